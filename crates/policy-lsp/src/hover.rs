//! Hover: what an action, a condition key, an operator or a whole statement
//! means, from the analyzer's catalogue and model.
//!
//! Hover content is Markdown; ranges are byte ranges, converted by the caller.

use std::fmt::Write as _;

use policy_analyzer::catalog::{catalog, ActionSet, Catalog, ConditionKeyInfo};
use policy_analyzer::eval::Failure;
use policy_analyzer::model::{Operator, Policy, SetQualifier, Statement};
use policy_analyzer::services::model::Need;
use policy_analyzer::services::ServiceAnalysis;
use policy_analyzer::syntax::parse;
use policy_analyzer::TextRange;

use crate::cursor::{string_value, Cursor, Place};
use crate::elements::{self, Element};
use crate::service_notes;

/// Hover text and the range it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverInfo {
    pub markdown: String,
    pub range: Option<TextRange>,
}

/// Above this many entries, lists in a hover are cut short.
const LIST_LIMIT: usize = 16;

/// The hover at byte `offset` of `text`, if the cursor is on something the
/// server can explain.
pub fn hover(text: &str, offset: usize) -> Option<HoverInfo> {
    let parse = parse(text);
    let cursor = Cursor::locate(text, &parse.tree, offset);
    let policy = Policy::from_tree(&parse.tree);
    let statement = cursor
        .statement
        .and_then(|node| policy.statements.iter().find(|s| s.node == node));
    let value = cursor.string.map(|s| string_value(text, &s));
    let range = cursor.string.map(|s| s.range);
    let markdown = match (&cursor.place, value.as_deref()) {
        (Place::Action { negated }, Some(action)) => action_hover(catalog(), action, *negated),
        (Place::ConditionOperator, Some(name)) => operator_hover(name),
        (Place::ConditionKey { .. }, Some(key)) => key_hover(catalog(), key, statement),
        (Place::ConditionValue { key, .. }, Some(value))
            if key.eq_ignore_ascii_case("kms:ViaService") =>
        {
            via_service_hover(value)?
        }
        (Place::StatementKey, Some("Sid")) => {
            statement_hover(catalog(), statement?, &services(&policy, text))
        }
        (Place::StatementKey, Some(name)) => element_hover(elements::STATEMENT_ELEMENTS, name)?,
        (Place::RootKey, Some(name)) => element_hover(elements::POLICY_ELEMENTS, name)?,
        (Place::PrincipalKey, Some(name)) => element_hover(elements::PRINCIPAL_TYPES, name)?,
        (Place::SidValue, _) => statement_hover(catalog(), statement?, &services(&policy, text)),
        (Place::InStatement, None) => {
            let statement = statement?;
            return Some(HoverInfo {
                markdown: statement_hover(catalog(), statement, &services(&policy, text)),
                range: Some(statement.range),
            });
        }
        _ => return None,
    };
    Some(HoverInfo { markdown, range })
}

/// The actions a statement covers: its `Action` patterns expanded, or for
/// `NotAction` every action but those. `None` when it has neither.
pub fn covered_actions(catalog: &Catalog, statement: &Statement<'_>) -> Option<ActionSet> {
    let expand = |values: &[policy_analyzer::model::Text<'_>]| {
        values.iter().fold(ActionSet::EMPTY, |set, v| {
            set.union(catalog.expand(v.value))
        })
    };
    if let Some(action) = &statement.action {
        return Some(expand(&action.values));
    }
    statement
        .not_action
        .as_ref()
        .map(|not| catalog.all_actions().difference(expand(&not.values)))
}

fn action_hover(catalog: &Catalog, pattern: &str, negated: bool) -> String {
    let mut out = String::new();
    let matched = catalog.expand(pattern);
    let has_wildcard = pattern.contains(['*', '?']);
    if negated {
        out.push_str("In `NotAction`: the statement covers every action **except** these.\n\n");
    }
    if matched.is_empty() {
        let service = pattern.split_once(':').map(|(s, _)| s);
        match service {
            Some(s) if !s.eq_ignore_ascii_case("kms") && !s.contains(['*', '?']) => {
                let _ = write!(
                    out,
                    "`{pattern}` is not a KMS action: a key policy controls only KMS actions on its key, so this entry has no effect."
                );
            }
            _ => {
                let _ = write!(out, "`{pattern}` matches no KMS action.");
                let wildcard = format!("{pattern}*");
                if !has_wildcard && !catalog.expand(&wildcard).is_empty() {
                    let _ = write!(out, " Did you mean `{wildcard}`?");
                } else if let Some(suggestion) = catalog.suggest_action(pattern) {
                    let _ = write!(out, " Did you mean `{suggestion}`?");
                }
            }
        }
        return out;
    }
    if !has_wildcard {
        if let Some((_, info)) = catalog.action(pattern) {
            let _ = writeln!(out, "**{}** · {}\n", info.name, info.access_level.as_str());
            let _ = writeln!(out, "{}.", info.description.trim_end_matches('.'));
            if !info.effective_in_key_policy {
                out.push_str(
                    "\n**No effect in a key policy**: this action has no key resource, so only an IAM policy can grant it.\n",
                );
            }
            if !info.condition_keys.is_empty() {
                let _ = writeln!(out, "\nCondition keys: {}", code_list(&info.condition_keys));
            }
            if !info.resource_condition_keys.is_empty() {
                let _ = writeln!(
                    out,
                    "\nKey resource condition keys: {}",
                    code_list(&info.resource_condition_keys)
                );
            }
            return out;
        }
    }
    let _ = writeln!(
        out,
        "`{pattern}` matches {} of {} KMS actions:\n",
        matched.len(),
        catalog.actions().len()
    );
    for info in catalog
        .actions_in(matched)
        .take(if matched.len() > 20 { LIST_LIMIT } else { 20 })
    {
        let note = if info.effective_in_key_policy {
            ""
        } else {
            " — no effect in a key policy"
        };
        let _ = writeln!(
            out,
            "- `{}` ({}){note}",
            info.name,
            info.access_level.as_str()
        );
    }
    if matched.len() > 20 {
        let _ = writeln!(out, "- … and {} more", matched.len() - LIST_LIMIT);
    }
    out
}

fn code_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn operator_hover(name: &str) -> String {
    let Some(operator) = Operator::parse(name) else {
        return match Operator::parse_ignore_case(name) {
            Some(op) => format!(
                "`{name}` is not a condition operator: operator names are case-sensitive. Write `{}`.",
                op.name()
            ),
            None => format!("`{name}` is not a condition operator IAM knows; the condition never matches."),
        };
    };
    let mut out = format!(
        "**{}**\n\n{}\n",
        operator.name(),
        operator.base.description()
    );
    match operator.qualifier {
        Some(SetQualifier::ForAnyValue) => out.push_str(
            "\n`ForAnyValue:` — true when at least one value in the request matches one of the policy's values (false when the key is absent). For multivalued keys only.\n",
        ),
        Some(SetQualifier::ForAllValues) => out.push_str(
            "\n`ForAllValues:` — true when every value in the request matches one of the policy's values; **also true when the key is absent or empty**. For multivalued keys only.\n",
        ),
        None => {}
    }
    if operator.if_exists {
        out.push_str("\n`IfExists` — true when the key is absent from the request; otherwise the comparison above decides.\n");
    }
    out
}

fn key_hover(catalog: &Catalog, key: &str, statement: Option<&Statement<'_>>) -> String {
    let Some(found) = catalog.condition_key(key) else {
        let mut out = format!("`{key}` is not a known condition key: a condition on it never matches (negated operators: always match).");
        if let Some(suggestion) = catalog.suggest_condition_key(key) {
            let _ = write!(out, " Did you mean `{suggestion}`?");
        }
        return out;
    };
    let info: &ConditionKeyInfo = found.info;
    let mut out = String::new();
    if info.prefix.is_some() {
        let _ = writeln!(out, "**{key}** · {}\n", info.type_name());
        let _ = writeln!(out, "An instance of `{}`.\n", info.name);
    } else {
        let _ = writeln!(out, "**{}** · {}\n", info.name, info.type_name());
    }
    if !info.description.is_empty() {
        let _ = writeln!(out, "{}.", info.description.trim_end_matches('.'));
    }
    if info.multivalued {
        out.push_str("\nMultivalued: compare it with `ForAnyValue:` or `ForAllValues:`.\n");
    }
    if info.deprecated {
        out.push_str("\n**Deprecated.**\n");
    }
    if found.case_differs && info.prefix.is_none() {
        let _ = writeln!(
            out,
            "\nCanonical spelling: `{}` (key names are case-insensitive).",
            info.name
        );
    }
    if info.global {
        out.push_str("\nGlobal condition key: present in the request context of every service that sets it, for any action.\n");
    } else {
        let supported = info.actions;
        let total = catalog.actions().len();
        if supported.len() <= LIST_LIMIT {
            let names: Vec<String> = catalog
                .actions_in(supported)
                .map(|a| a.name.clone())
                .collect();
            let _ = writeln!(
                out,
                "\nSupported by {} of {total} actions: {}",
                supported.len(),
                code_list(&names)
            );
        } else {
            let _ = writeln!(
                out,
                "\nSupported by {} of {total} KMS actions.",
                supported.len()
            );
        }
        if let Some(covered) = statement.and_then(|s| covered_actions(catalog, s)) {
            let unsupported = covered.difference(supported);
            if !covered.is_empty() && !unsupported.is_empty() {
                let names: Vec<String> = catalog
                    .actions_in(unsupported)
                    .take(LIST_LIMIT)
                    .map(|a| a.name.clone())
                    .collect();
                let more = if unsupported.len() > LIST_LIMIT {
                    ", …"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "\nOf this statement's actions, {} never carry this key: {}{more}. For them the condition sees no value: false, except under negated operators, `IfExists` and `Null`.",
                    unsupported.len(),
                    code_list(&names)
                );
            }
        }
    }
    if let Some(note) = service_notes::note_for(key) {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

fn via_service_hover(value: &str) -> Option<String> {
    let prefix = value.split('.').next()?;
    let service = service_notes::via_service_names()
        .into_iter()
        .find(|s| s.prefix == prefix)?;
    let region = service_notes::via_service_region(value)
        .map(|r| format!(" in `{r}`"))
        .unwrap_or_default();
    Some(format!(
        "`{value}`: requests that {}{region} makes to KMS on the principal's behalf.",
        service.services
    ))
}

fn element_hover(elements: &'static [Element], name: &str) -> Option<String> {
    let element = elements::find(elements, name)?;
    Some(format!("**{}**\n\n{}", element.name, element.doc))
}

/// What the service checks find for the document: the services the policy
/// shows, their requests and how each statement treats them.
fn services(policy: &Policy<'_>, text: &str) -> ServiceAnalysis {
    ServiceAnalysis::run(policy, text, None, None)
}

/// A summary of one statement: effect, principals, the actions it covers
/// after wildcard expansion, resources and conditions, and what it means
/// for the services the key serves.
fn statement_hover(
    catalog: &Catalog,
    statement: &Statement<'_>,
    services: &ServiceAnalysis,
) -> String {
    let mut out = String::new();
    let effect = statement.effect.map_or("no valid Effect", |(_, t)| t.value);
    let _ = writeln!(out, "**{}** · {effect}\n", capitalize(&statement.label()));
    for (label, element) in [
        ("Principal", &statement.principal),
        ("NotPrincipal", &statement.not_principal),
    ] {
        let Some(principal) = element else { continue };
        let values: Vec<String> = principal
            .values()
            .map(|(kind, v)| match kind {
                Some(kind) if principal.wildcard.is_none() => {
                    format!("{}: `{}`", kind.key(), v.value)
                }
                _ => format!("`{}`", v.value),
            })
            .collect();
        let _ = writeln!(
            out,
            "- {label}: {}",
            if values.is_empty() {
                "(none)".into()
            } else {
                values.join(", ")
            }
        );
    }
    match covered_actions(catalog, statement) {
        Some(covered) => {
            let verb = if statement.is_deny() {
                "Denies"
            } else {
                "Covers"
            };
            let names: Vec<&str> = catalog
                .actions_in(covered)
                .map(|a| a.short_name())
                .collect();
            let shown = names
                .iter()
                .take(24)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if names.len() > 24 { ", …" } else { "" };
            let via = if statement.not_action.is_some() {
                " (through NotAction)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "- {verb} {} of {} KMS actions{via}: {shown}{more}",
                covered.len(),
                catalog.actions().len()
            );
        }
        None => out.push_str("- No Action or NotAction: the statement covers nothing.\n"),
    }
    if let Some(resource) = &statement.resource {
        let values: Vec<String> = resource
            .values
            .iter()
            .map(|v| format!("`{}`", v.value))
            .collect();
        let _ = writeln!(out, "- Resource: {}", values.join(", "));
    }
    if let Some(condition) = &statement.condition {
        let entries: Vec<String> = condition
            .entries()
            .map(|(op, key)| {
                let values: Vec<String> = key
                    .values
                    .iter()
                    .map(|v| format!("`{}`", v.value))
                    .collect();
                format!(
                    "  - `{}` `{}`: {}",
                    op.name.value,
                    key.key.value,
                    values.join(" or ")
                )
            })
            .collect();
        if !entries.is_empty() {
            let _ = writeln!(out, "- When (all of):\n{}", entries.join("\n"));
        }
    }
    for line in service_lines(statement, services) {
        let _ = writeln!(out, "- {line}");
    }
    out
}

/// What the statement means for each service the key serves (as the
/// policy shows them): which of the service's requests it allows, and which
/// requests meant for it it does not, with the element that keeps it from
/// applying.
fn service_lines(statement: &Statement<'_>, services: &ServiceAnalysis) -> Vec<String> {
    let index = statement.index;
    let mut lines = Vec::new();
    for check in &services.checks {
        let name = &check.service().model().name;
        let mut allowed: Vec<&str> = Vec::new();
        let mut missed: Vec<(&str, bool, String)> = Vec::new();
        for outcome in &check.outcomes {
            let evaluation = &outcome.best().evaluation;
            if evaluation.allowed_by.contains(&index) || evaluation.delegated_by.contains(&index) {
                if !allowed.contains(&outcome.action) {
                    allowed.push(outcome.action);
                }
            } else if let Some(miss) = outcome.misses.iter().find(|m| m.statement == index) {
                if !missed.iter().any(|(a, _, _)| *a == outcome.action) {
                    let required = outcome.need == Need::Required;
                    missed.push((outcome.action, required, miss_words(&miss.failure)));
                }
            }
        }
        missed.retain(|(action, _, _)| !allowed.contains(action));
        if !allowed.is_empty() {
            let actions: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
            lines.push(format!("**{name}**: allows {}", actions.join(", ")));
        }
        for (required, what) in [(true, "needs"), (false, "may use")] {
            let actions: Vec<String> = missed
                .iter()
                .filter(|(_, r, _)| *r == required)
                .map(|(a, _, _)| format!("`{a}`"))
                .collect();
            let Some((_, _, why)) = missed.iter().find(|(_, r, _)| *r == required) else {
                continue;
            };
            let them = if actions.len() == 1 { "it" } else { "them" };
            lines.push(format!(
                "**{name}**: does not allow {}, which the service {what}: {}",
                actions.join(", "),
                why.replace("{them}", them)
            ));
        }
    }
    lines
}

/// Why a statement does not apply to a request, in a few words.
fn miss_words(failure: &Failure) -> String {
    match failure {
        Failure::Principal { .. } => "its Principal does not name the caller".into(),
        Failure::NotPrincipal { .. } => "its NotPrincipal lists the caller".into(),
        Failure::Action { .. } => "its Action does not include {them}".into(),
        Failure::NotAction { .. } => "its NotAction excludes them".into(),
        Failure::Resource { .. } | Failure::NotResource { .. } => {
            "its Resource does not cover this key".into()
        }
        Failure::Condition { reason, .. } | Failure::Unreadable { reason, .. } => reason.clone(),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hover_at(marked: &str) -> Option<HoverInfo> {
        let offset = marked.find('|').expect("a cursor mark");
        hover(&marked.replacen('|', "", 1), offset)
    }

    #[test]
    fn a_wildcard_lists_what_it_expands_to() {
        let h = hover_at(r#"{"Statement": [{"Action": ["kms:GenerateData|Key*"]}]}"#).unwrap();
        for action in [
            "kms:GenerateDataKey`",
            "kms:GenerateDataKeyPair`",
            "kms:GenerateDataKeyPairWithoutPlaintext`",
            "kms:GenerateDataKeyWithoutPlaintext`",
        ] {
            assert!(h.markdown.contains(action), "{action} in {}", h.markdown);
        }
        assert!(h.markdown.contains("matches 4 of"));
        assert_eq!(h.range, Some(TextRange::new(27, 49)));
    }

    #[test]
    fn an_action_shows_level_description_and_keys() {
        let h = hover_at(r#"{"Statement": [{"Action": "kms:Decr|ypt"}]}"#).unwrap();
        assert!(
            h.markdown.starts_with("**kms:Decrypt** · Write"),
            "{}",
            h.markdown
        );
        assert!(h.markdown.contains("`kms:ViaService`"));
        let h = hover_at(r#"{"Statement": [{"Action": "kms:List|Aliases"}]}"#).unwrap();
        assert!(h.markdown.contains("No effect in a key policy"));
        let h = hover_at(r#"{"Statement": [{"Action": "kms:ReEncr|ypt"}]}"#).unwrap();
        assert!(
            h.markdown.contains("Did you mean `kms:ReEncrypt*`?"),
            "{}",
            h.markdown
        );
        let h = hover_at(r#"{"Statement": [{"Action": "s3:Get|Object"}]}"#).unwrap();
        assert!(h.markdown.contains("not a KMS action"));
    }

    #[test]
    fn a_condition_key_shows_type_actions_and_what_services_send() {
        let h = hover_at(
            r#"{"Statement": [{"Action": "kms:Decrypt", "Condition": {"StringLike": {"kms:EncryptionContext:aws:s3:|arn": "x"}}}]}"#,
        )
        .unwrap();
        assert!(
            h.markdown
                .contains("**kms:EncryptionContext:aws:s3:arn** · String"),
            "{}",
            h.markdown
        );
        assert!(h.markdown.contains("bucket ARN"));
        let h = hover_at(
            r#"{"Statement": [{"Action": "kms:*", "Condition": {"StringEquals": {"kms:Grant|IsForAWSResource": "true"}}}]}"#,
        )
        .unwrap();
        assert!(
            h.markdown.contains("never carry this key"),
            "{}",
            h.markdown
        );
        let h = hover_at(
            r#"{"Statement": [{"Condition": {"StringEquals": {"kms:ViaServis|": "x"}}}]}"#,
        )
        .unwrap();
        assert!(
            h.markdown.contains("Did you mean `kms:ViaService`?"),
            "{}",
            h.markdown
        );
    }

    #[test]
    fn an_operator_shows_its_semantics() {
        let h =
            hover_at(r#"{"Statement": [{"Condition": {"ForAllValues:String|LikeIfExists": {}}}]}"#)
                .unwrap();
        assert!(h.markdown.contains("`*` matches any run"));
        assert!(h.markdown.contains("also true when the key is absent"));
        assert!(h.markdown.contains("`IfExists`"));
        let h = hover_at(r#"{"Statement": [{"Condition": {"stringequals|": {}}}]}"#).unwrap();
        assert!(h.markdown.contains("Write `StringEquals`"));
    }

    #[test]
    fn a_statement_is_summarised() {
        let text = r#"{"Statement": [{"Sid": "Fs|x", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}}]}"#;
        let h = hover_at(text).unwrap();
        assert!(
            h.markdown.starts_with("**Statement \"Fsx\"** · Allow"),
            "{}",
            h.markdown
        );
        assert!(h.markdown.contains("Covers 5 of"));
        assert!(h.markdown.contains("GenerateDataKeyWithoutPlaintext"));
        assert!(h
            .markdown
            .contains("`StringEquals` `kms:ViaService`: `fsx.us-east-1.amazonaws.com`"));
        let via = hover_at(&text.replace("Fs|x", "Fsx").replace("fsx.us-", "fsx|.us-")).unwrap();
        assert!(via.markdown.contains("Amazon FSx"), "{}", via.markdown);
    }

    #[test]
    fn a_statement_says_what_it_means_for_the_services() {
        let text = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Fs|x", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}]}"#;
        let h = hover_at(text).unwrap();
        assert!(
            h.markdown.contains(
                "**Amazon FSx**: allows `kms:Decrypt`, `kms:GenerateDataKeyWithoutPlaintext`, `kms:DescribeKey`"
            ),
            "{}",
            h.markdown
        );
        assert!(
            h.markdown.contains(
                "**Amazon FSx**: does not allow `kms:CreateGrant`, which the service needs: its Action does not include it"
            ),
            "{}",
            h.markdown
        );
    }

    #[test]
    fn nothing_to_say_is_none_and_nothing_panics() {
        assert_eq!(hover_at(r#"{"Statement": [{"Resource": "|*"}]}"#), None);
        assert_eq!(hover_at("|"), None);
        let text = "{\"Statement\": [{\"Sid\": \"\u{e9}\u{1f511}\", \"Action\": [\"kms:";
        for offset in 0..=text.len() + 2 {
            let _ = hover(text, offset);
        }
    }
}
