//! Actions: the names in `Action` and `NotAction`, checked against the KMS
//! catalogue (unknown names, wildcards that match nothing, other services,
//! actions without a key resource, redundant entries, letter case).

pub mod action_case;
pub mod action_no_effect_in_key_policy;
pub mod action_wildcard_matches_nothing;
pub mod non_kms_action;
pub mod redundant_action;
pub mod unknown_action;

use super::{Context, Rule};
use crate::catalog::{catalog, distance, ActionSet, Catalog};
use crate::diagnostic::Fix;
use crate::matcher::has_wildcard;
use crate::memo::{remembered, Memo};
use crate::model::{Statement, StringList, Text};
use crate::rules::edits::remove_array_item;

pub(crate) static RULES: &[&Rule] = &[
    &unknown_action::RULE,
    &action_wildcard_matches_nothing::RULE,
    &non_kms_action::RULE,
    &action_no_effect_in_key_policy::RULE,
    &redundant_action::RULE,
    &action_case::RULE,
];

/// What an entry of `Action` or `NotAction` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ActionClass {
    /// `""` (empty-element reports it).
    Empty,
    /// `*`: every action of every service.
    All,
    /// A KMS action or a pattern that matches KMS actions.
    Kms { set: ActionSet, wildcard: bool },
    /// `kms:Name` that is not in the catalogue.
    KmsUnknown,
    /// A pattern that matches no KMS action although it is written for KMS.
    KmsNothing,
    /// An action of another service, with the service prefix as written.
    OtherService(String),
    /// A name without a service prefix (`Decrypt`), or with `kms` misspelled
    /// (`km:Decrypt`); `suggestion` is the KMS action or pattern it most likely means.
    BadPrefix { suggestion: Option<String> },
}

/// What an entry names, computed once per entry and document.
pub(crate) fn classify<'a>(ctx: &Context<'a>, value: &'a str) -> ActionClass {
    // Six rules ask about every entry. The text lives as long as the
    // document, so its address and length identify it without hashing it.
    let entry = (value.as_ptr() as usize, value.len());
    if let Some(class) = ctx.shared.action_classes.borrow().get(&entry) {
        return class.clone();
    }
    let class = classify_text(value);
    ctx.shared
        .action_classes
        .borrow_mut()
        .insert(entry, class.clone());
    class
}

/// What an entry's text names. It depends on the text alone, and the same
/// few dozen texts (`kms:Decrypt`, `kms:GenerateDataKey*`) come back in file
/// after file, so each thread remembers the texts it has classified.
fn classify_text(value: &str) -> ActionClass {
    thread_local! {
        static CLASSES: Memo<ActionClass> = Memo::default();
    }
    remembered(&CLASSES, value, || classify_uncached(catalog(), value))
}

fn classify_uncached(catalog: &Catalog, value: &str) -> ActionClass {
    if value.is_empty() {
        return ActionClass::Empty;
    }
    if value.chars().all(|c| c == '*') {
        return ActionClass::All;
    }
    let wildcard = has_wildcard(value);
    let Some((service, name)) = value.split_once(':') else {
        let expanded = catalog.expand(value);
        if wildcard && !expanded.is_empty() {
            return ActionClass::Kms {
                set: expanded,
                wildcard,
            };
        }
        let candidate = format!("kms:{}", value.trim());
        return ActionClass::BadPrefix {
            suggestion: kms_name(catalog, &candidate),
        };
    };
    if service.eq_ignore_ascii_case("kms") {
        let set = catalog.expand(value);
        return match (set.is_empty(), wildcard) {
            (false, _) => ActionClass::Kms { set, wildcard },
            (true, false) => ActionClass::KmsUnknown,
            (true, true) => ActionClass::KmsNothing,
        };
    }
    if has_wildcard(service) {
        let set = catalog.expand(value);
        if !set.is_empty() {
            return ActionClass::Kms {
                set,
                wildcard: true,
            };
        }
    }
    let trimmed = service.trim().to_ascii_lowercase();
    if distance(&trimmed, "kms") <= 1 {
        if let Some(suggestion) = kms_name(catalog, &format!("kms:{}", name.trim())) {
            return ActionClass::BadPrefix {
                suggestion: Some(suggestion),
            };
        }
    }
    ActionClass::OtherService(service.to_string())
}

/// The canonical spelling of a KMS action or pattern that matches something.
fn kms_name(catalog: &Catalog, candidate: &str) -> Option<String> {
    if has_wildcard(candidate) {
        (!catalog.expand(candidate).is_empty()).then(|| candidate.to_string())
    } else {
        catalog.action(candidate).map(|(_, a)| a.name.clone())
    }
}

/// The statement's action lists: `Action` and `NotAction`, with their names.
pub(crate) fn action_lists<'s, 't>(
    st: &'s Statement<'t>,
) -> impl Iterator<Item = (&'s StringList<'t>, &'static str)> {
    [
        (st.action.as_ref(), "Action"),
        (st.not_action.as_ref(), "NotAction"),
    ]
    .into_iter()
    .filter_map(|(list, name)| list.map(|l| (l, name)))
}

/// The service whose resource policy this is, when it is not a key policy:
/// every entry of every `Action` names an action of one other service
/// (`s3:GetObject`, `s3:*`) and no statement has `NotAction`. A bucket policy
/// in a folder of key policies; `None` for a key policy.
pub(crate) fn other_service_policy(ctx: &Context<'_>) -> Option<String> {
    let mut service: Option<String> = None;
    for st in &ctx.policy.statements {
        if st.not_action.is_some() {
            return None;
        }
        let Some(action) = &st.action else { continue };
        for v in &action.values {
            match classify(ctx, v.value) {
                ActionClass::OtherService(s) => {
                    let s = s.to_ascii_lowercase();
                    match &service {
                        Some(seen) if *seen != s => return None,
                        Some(_) => {}
                        None => service = Some(s),
                    }
                }
                ActionClass::Empty => {}
                _ => return None,
            }
        }
    }
    service
}

/// What a resource policy of `service` is called.
pub(crate) fn policy_kind(service: &str) -> String {
    match service {
        "s3" => "an S3 bucket policy".to_string(),
        "sns" => "an SNS topic policy".to_string(),
        "sqs" => "an SQS queue policy".to_string(),
        "sts" => "an IAM role trust policy".to_string(),
        "logs" => "a CloudWatch Logs resource policy".to_string(),
        "secretsmanager" => "a Secrets Manager resource policy".to_string(),
        "ecr" => "an ECR repository policy".to_string(),
        "lambda" => "a Lambda function policy".to_string(),
        "events" => "an EventBridge event bus policy".to_string(),
        "glacier" => "a Glacier vault policy".to_string(),
        "es" => "an OpenSearch domain policy".to_string(),
        other => format!("a resource policy of `{other}`"),
    }
}

/// What an entry that matches nothing means for the statement.
pub(crate) fn no_match_consequence(st: &Statement<'_>, element: &str) -> &'static str {
    if element == "NotAction" {
        "so excluding it excludes nothing"
    } else if st.is_deny() {
        "so this entry denies nothing"
    } else {
        "so this entry allows nothing"
    }
}

/// A fix that deletes `value` from its list, when the list is an array with
/// other entries (deleting the only entry would leave an empty `Action`).
pub(crate) fn delete_entry(
    ctx: &Context<'_>,
    list: &StringList<'_>,
    value: &Text<'_>,
    title: &str,
) -> Option<Fix> {
    let array = list.element.value;
    if ctx.tree.items(array).len() < 2 {
        return None;
    }
    let edit = remove_array_item(ctx.tree, ctx.text, array, value.node)?;
    Some(Fix::replace(title, edit.range, edit.replacement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Policy;
    use crate::AnalyzeOptions;

    #[test]
    fn classifies_action_entries() {
        let parse = crate::syntax::parse("{}");
        let policy = Policy::from_tree(&parse.tree);
        let options = AnalyzeOptions::default();
        let c = &Context::new("{}", &parse.tree, &parse.errors, &policy, &options, None);
        assert_eq!(classify(c, "*"), ActionClass::All);
        assert!(matches!(
            classify(c, "kms:Decrypt"),
            ActionClass::Kms {
                wildcard: false,
                ..
            }
        ));
        assert!(matches!(
            classify(c, "KMS:decrypt"),
            ActionClass::Kms {
                wildcard: false,
                ..
            }
        ));
        assert!(matches!(
            classify(c, "kms:GenerateDataKey*"),
            ActionClass::Kms { wildcard: true, .. }
        ));
        assert!(matches!(
            classify(c, "*:Decrypt"),
            ActionClass::Kms { wildcard: true, .. }
        ));
        assert_eq!(classify(c, "kms:ReEncrypt"), ActionClass::KmsUnknown);
        assert_eq!(classify(c, "kms:Frob*"), ActionClass::KmsNothing);
        assert_eq!(
            classify(c, "s3:GetObject"),
            ActionClass::OtherService("s3".into())
        );
        assert_eq!(
            classify(c, "fsx:CreateGrant"),
            ActionClass::OtherService("fsx".into())
        );
        assert_eq!(
            classify(c, "s3*:*"),
            ActionClass::OtherService("s3*".into())
        );
        assert_eq!(
            classify(c, "Decrypt"),
            ActionClass::BadPrefix {
                suggestion: Some("kms:Decrypt".into())
            }
        );
        assert_eq!(
            classify(c, "km:Decrypt"),
            ActionClass::BadPrefix {
                suggestion: Some("kms:Decrypt".into())
            }
        );
        assert_eq!(
            classify(c, "Frobnicate"),
            ActionClass::BadPrefix { suggestion: None }
        );
        assert_eq!(classify(c, ""), ActionClass::Empty);
    }
}
