//! Security: who can use or manage the key beyond what the author meant.
//! Every rule here asks the evaluator (`crate::eval`) rather than reading
//! JSON shapes.

pub mod allow_with_not_action;
pub mod allow_with_not_principal;
pub mod create_grant_without_aws_resource_condition;
pub mod cross_account_admin_no_effect;
pub mod key_lockout_risk;
pub mod public_key_access;

use super::{Context, Rule};
use crate::eval::accounts;

pub(crate) static RULES: &[&Rule] = &[
    &public_key_access::RULE,
    &allow_with_not_principal::RULE,
    &allow_with_not_action::RULE,
    &key_lockout_risk::RULE,
    &create_grant_without_aws_resource_condition::RULE,
    &cross_account_admin_no_effect::RULE,
];

/// The account that owns the key: the configured profile's, else the one the
/// policy's own ARNs show (see [`accounts::key_account`]).
pub(crate) fn key_account(ctx: &Context<'_>) -> Option<String> {
    ctx.options
        .profile
        .as_ref()
        .and_then(|p| p.account.clone())
        .or_else(|| accounts::key_account(ctx.policy))
}

/// Joins names for a message: `a`, `a and b`, `a, b and c`, and past `max`
/// names, `a, b, c and 4 more`.
pub(crate) fn join_names(names: &[String], max: usize) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        _ if names.len() > max => {
            format!("{} and {} more", names[..max].join(", "), names.len() - max)
        }
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
