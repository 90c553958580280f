//! Suppressions: the findings a user accepted, in `policy-check.toml` or in
//! a comment of a template or module, and the suppressions that no longer
//! accept anything. The configuration layer (the `policy-workspace` crate)
//! applies suppressions and reports these rules; they have no check of their
//! own.

pub mod invalid_suppression;
pub mod unused_suppression;

use super::Rule;

pub(crate) static RULES: &[&Rule] = &[&unused_suppression::RULE, &invalid_suppression::RULE];
