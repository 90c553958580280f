//! Syntax: the text is not the JSON that AWS accepts.

pub mod duplicate_key;
pub mod invalid_encoding;
pub mod invalid_json;
pub mod json_comment;
pub mod trailing_comma;

use super::Rule;

pub(crate) static RULES: &[&Rule] = &[
    &invalid_json::RULE,
    &duplicate_key::RULE,
    &json_comment::RULE,
    &trailing_comma::RULE,
    &invalid_encoding::RULE,
];
