//! Syntax: the text is not the JSON that AWS accepts, or a template or
//! module that CloudFormation or Terraform can read.

pub mod duplicate_key;
pub mod invalid_encoding;
pub mod invalid_hcl;
pub mod invalid_json;
pub mod invalid_yaml;
pub mod json_comment;
pub mod trailing_comma;

use super::Rule;

pub(crate) static RULES: &[&Rule] = &[
    &invalid_json::RULE,
    &duplicate_key::RULE,
    &json_comment::RULE,
    &trailing_comma::RULE,
    &invalid_encoding::RULE,
    &invalid_yaml::RULE,
    &invalid_hcl::RULE,
];
