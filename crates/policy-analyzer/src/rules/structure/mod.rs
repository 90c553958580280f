//! Structure: the policy's elements and their types, Sids, Version, size,
//! Resource and principals: what IAM's policy grammar and the KMS key-policy
//! rules require before any action or condition is looked at.

pub mod conflicting_elements;
pub mod duplicate_sid;
pub mod empty_element;
pub mod invalid_effect;
pub mod invalid_element_type;
pub mod invalid_principal;
pub mod invalid_version;
pub mod missing_element;
pub mod policy_too_large;
pub mod policy_variable_in_old_version;
pub mod redundant_statement;
pub mod resource_key_arn;
pub mod resource_not_wildcard;
pub mod unknown_element;

use super::shared::{intact, statements};
use super::{Context, Rule};
use crate::catalog::distance;
use crate::model::Statement;
use crate::syntax::{NodeId, NodeKind};

pub(crate) static RULES: &[&Rule] = &[
    &missing_element::RULE,
    &unknown_element::RULE,
    &invalid_element_type::RULE,
    &invalid_effect::RULE,
    &empty_element::RULE,
    &conflicting_elements::RULE,
    &duplicate_sid::RULE,
    &invalid_version::RULE,
    &policy_variable_in_old_version::RULE,
    &policy_too_large::RULE,
    &resource_not_wildcard::RULE,
    &invalid_principal::RULE,
    &resource_key_arn::RULE,
    &redundant_statement::RULE,
];

/// The elements of a policy document (IAM UG, grammar of the policy language).
pub(crate) const TOP_LEVEL_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];

/// The elements of a statement.
pub(crate) const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The keys of a principal object.
pub(crate) const PRINCIPAL_TYPES: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];

/// What an unknown element name most likely stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Suggestion {
    pub name: &'static str,
    /// The name differs only in letter case (or surrounding white space).
    pub case_only: bool,
}

/// The known name that `name` most likely misspells: the same letters in
/// another case, or the single closest name within two edits (one edit for
/// names of up to four characters). Ties give no suggestion.
pub(crate) fn suggest_element(name: &str, known: &[&'static str]) -> Option<Suggestion> {
    let trimmed = name.trim();
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(trimmed)) {
        return Some(Suggestion {
            name: k,
            case_only: true,
        });
    }
    let lower = trimmed.to_ascii_lowercase();
    let limit = if trimmed.chars().count() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for &k in known {
        let d = distance(&lower, &k.to_ascii_lowercase());
        match best {
            Some((bd, _)) if d == bd => tie = true,
            Some((bd, _)) if d > bd => {}
            _ => {
                best = Some((d, k));
                tie = false;
            }
        }
    }
    match best {
        Some((d, k)) if d <= limit && !tie => Some(Suggestion {
            name: k,
            case_only: false,
        }),
        _ => None,
    }
}

/// Whether the document is meant as a policy: a top-level object with
/// `Statement` or `Version`, or a key that misspells one of them. Other JSON
/// (CloudFormation templates, statement fragments, unrelated files) is left
/// alone by the structure rules.
pub(crate) fn policy_like(ctx: &Context<'_>) -> bool {
    let Some(root) = ctx.policy.root else {
        return false;
    };
    ctx.policy.lone_statement
        || ctx.policy.statement_element.is_some()
        || ctx.policy.version_element.is_some()
        || ctx.tree.members(root).iter().any(|m| {
            matches!(
                suggest_element(&m.key, TOP_LEVEL_ELEMENTS),
                Some(Suggestion {
                    name: "Statement" | "Version",
                    ..
                })
            )
        })
}

/// The entries of `Statement` with their position: the object itself when
/// `Statement` is one object, else each array element of any type; entries
/// that hold invalid JSON are left out (see [`intact`]).
pub(crate) fn statement_entries(ctx: &Context<'_>) -> Vec<(usize, NodeId)> {
    if ctx.policy.lone_statement {
        return ctx.policy.root.map(|root| (0, root)).into_iter().collect();
    }
    let Some(element) = &ctx.policy.statement_element else {
        return Vec::new();
    };
    let entries: Vec<(usize, NodeId)> = match ctx.tree.kind(element.value) {
        NodeKind::Object(_) => vec![(0, element.value)],
        NodeKind::Array(items) => items.iter().copied().enumerate().collect(),
        _ => Vec::new(),
    };
    entries
        .into_iter()
        .filter(|&(_, node)| intact(ctx, ctx.tree.range(node)))
        .collect()
}

/// The model's statement for a statement node.
pub(crate) fn statement_of<'c, 't>(
    ctx: &'c Context<'t>,
    node: NodeId,
) -> Option<&'c Statement<'t>> {
    // Statements are in source order: search by start offset.
    let start = ctx.tree.range(node).start;
    let statements = &ctx.policy.statements;
    let at = statements
        .binary_search_by_key(&start, |s| s.range.start)
        .ok()?;
    Some(&statements[at]).filter(|s| s.node == node)
}

/// Whether the policy looks like an IAM identity policy rather than a key
/// policy: it has statements, and none of them has `Principal` or
/// `NotPrincipal` (or a misspelling of them). Rules about what a key policy
/// can express stay quiet on such documents; `missing-element` reports once
/// that a key policy needs principals.
pub(crate) fn identity_policy_like(ctx: &Context<'_>) -> bool {
    let mut any = false;
    for st in statements(ctx) {
        any = true;
        let has_principal = ctx.tree.members(st.node).iter().any(|m| {
            matches!(
                suggest_element(&m.key, STATEMENT_ELEMENTS),
                Some(Suggestion {
                    name: "Principal" | "NotPrincipal",
                    ..
                })
            )
        });
        if has_principal {
            return false;
        }
    }
    any
}

/// A human name for a JSON value's type, with its article.
pub(crate) fn kind_name(kind: &NodeKind<'_>) -> &'static str {
    match kind {
        NodeKind::Object(_) => "an object",
        NodeKind::Array(_) => "an array",
        NodeKind::String(_) => "a string",
        NodeKind::Number(_) => "a number",
        NodeKind::Bool(_) => "a boolean",
        NodeKind::Null => "null",
        NodeKind::Invalid => "not valid JSON",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_case_fixes_and_close_typos() {
        let s = |n| suggest_element(n, STATEMENT_ELEMENTS);
        assert_eq!(
            s("effect"),
            Some(Suggestion {
                name: "Effect",
                case_only: true
            })
        );
        assert_eq!(
            s("NOTACTION"),
            Some(Suggestion {
                name: "NotAction",
                case_only: true
            })
        );
        assert_eq!(
            s("Actions"),
            Some(Suggestion {
                name: "Action",
                case_only: false
            })
        );
        assert_eq!(
            s("Conditions"),
            Some(Suggestion {
                name: "Condition",
                case_only: false
            })
        );
        assert_eq!(
            s("Principle"),
            Some(Suggestion {
                name: "Principal",
                case_only: false
            })
        );
        assert_eq!(
            s("Resources"),
            Some(Suggestion {
                name: "Resource",
                case_only: false
            })
        );
        assert_eq!(s("Description"), None);
        assert_eq!(s("StringEquals"), None);
        let p = |n| suggest_element(n, PRINCIPAL_TYPES);
        assert_eq!(
            p("aws"),
            Some(Suggestion {
                name: "AWS",
                case_only: true
            })
        );
        assert_eq!(
            p("Services"),
            Some(Suggestion {
                name: "Service",
                case_only: false
            })
        );
        assert_eq!(
            p("Federate"),
            Some(Suggestion {
                name: "Federated",
                case_only: false
            })
        );
        assert_eq!(p("IAM"), None);
    }
}
