//! Security: see the rule files of this pack.

use super::Rule;

pub(crate) static RULES: &[&Rule] = &[];
