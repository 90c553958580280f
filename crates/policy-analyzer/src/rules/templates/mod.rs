//! Templates: what stops CloudFormation or Terraform from reading the
//! template or module that holds a key policy, found while the host readers
//! resolve it (`crate::host`). These rules have no check of their own: the
//! readers report them where they meet the problem.

pub mod invalid_intrinsic;
pub mod missing_file;
pub mod missing_template_variable;
pub mod reference_cycle;
pub mod unknown_function;
pub mod unresolved_reference;

use super::Rule;

pub(crate) static RULES: &[&Rule] = &[
    &unresolved_reference::RULE,
    &unknown_function::RULE,
    &reference_cycle::RULE,
    &missing_file::RULE,
    &missing_template_variable::RULE,
    &invalid_intrinsic::RULE,
];
