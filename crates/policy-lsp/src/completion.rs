//! Completion: KMS actions and wildcards, condition operators, the condition
//! keys the statement's actions support, `kms:ViaService` endpoints, element
//! names and `Effect` values.
//!
//! Items are produced with byte ranges and converted by the caller. Inside a
//! string an item replaces the string's content (an open string is closed);
//! outside one it inserts a quoted string.

use policy_analyzer::catalog::{catalog, ActionSet, Catalog};
use policy_analyzer::model::{BaseOperator, Policy, SetQualifier};
use policy_analyzer::syntax::{parse, Tree};
use policy_analyzer::TextRange;

use crate::cursor::{Cursor, Place, Slot};
use crate::elements::{self, Element};
use crate::hover::covered_actions;
use crate::separators::{self, Placement, Separated, Separators};
use crate::service_notes;

/// What kind of thing an item names (mapped to an LSP item kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Action,
    Wildcard,
    Operator,
    ConditionKey,
    Value,
    Element,
}

/// One completion item, in byte ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub kind: ItemKind,
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// Replaces `range`.
    pub insert: String,
    /// `insert` is an LSP snippet (`${1:placeholder}`).
    pub snippet: bool,
    pub range: TextRange,
    /// Items sort by this, then by label.
    pub sort_group: u8,
    pub deprecated: bool,
    /// Where the item's text stands, for the separators it needs.
    pub placement: Placement,
    /// Edits away from `range` that go with it: a comma after the previous
    /// array item, or after the closing quote of the string being completed.
    pub additional: Vec<Edit>,
}

/// A text edit in byte offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub insert: String,
}

impl Item {
    /// Writes `found` with the item: into its own text where a separator
    /// touches its range, as an additional edit elsewhere.
    pub fn separate(&mut self, found: Separators) {
        if let Some(after) = found.after {
            if after.at == self.range.end as usize {
                self.insert.push_str(after.text);
            } else {
                self.additional.push(Edit {
                    range: TextRange::empty(after.at),
                    insert: after.text.to_string(),
                });
            }
        }
        if let Some(before) = found.before {
            if before.at == self.range.start as usize {
                self.insert.insert_str(0, before.text);
            } else {
                self.additional.push(Edit {
                    range: TextRange::empty(before.at),
                    insert: before.text.to_string(),
                });
            }
        }
    }
}

/// The completions at byte `offset` of `text`. `snippets`: whether the client
/// accepts snippet syntax.
pub fn complete(text: &str, offset: usize, snippets: bool) -> Vec<Item> {
    let parse = parse(text);
    let cursor = Cursor::locate(text, &parse.tree, offset);
    let ctx = Context {
        cursor: &cursor,
        snippets,
    };
    let catalog = catalog();
    let mut items = match &cursor.place {
        Place::Action { .. } => action_items(catalog, &ctx),
        Place::ConditionOperator => operator_items(&ctx),
        Place::ConditionKey { .. } => {
            let policy = Policy::from_tree(&parse.tree);
            let covered = cursor
                .statement
                .and_then(|node| policy.statements.iter().find(|s| s.node == node))
                .and_then(|s| covered_actions(catalog, s));
            condition_key_items(catalog, covered, &ctx)
        }
        Place::ConditionValue { key, .. } if key.eq_ignore_ascii_case("kms:ViaService") => {
            via_service_items(&parse.tree, &ctx)
        }
        Place::EffectValue => ["Allow", "Deny"]
            .iter()
            .map(|v| ctx.value_item(v, ItemKind::Value, None, None))
            .collect(),
        Place::VersionValue => vec![ctx.value_item(
            "2012-10-17",
            ItemKind::Value,
            Some("current policy language version".into()),
            None,
        )],
        Place::RootKey => element_items(elements::POLICY_ELEMENTS, &parse.tree, &ctx),
        Place::StatementKey => element_items(elements::STATEMENT_ELEMENTS, &parse.tree, &ctx),
        Place::PrincipalKey => element_items(elements::PRINCIPAL_TYPES, &parse.tree, &ctx),
        _ => Vec::new(),
    };
    if let Some(first) = items.first() {
        let found = separators::around(
            text,
            cursor.token_range(),
            first.placement,
            Separated::Commas,
        );
        for item in &mut items {
            item.separate(found);
        }
    }
    items
}

struct Context<'c> {
    cursor: &'c Cursor,
    snippets: bool,
}

impl Context<'_> {
    /// The text that puts `content` in place: the bare content inside a
    /// closed string, the content and a closing quote inside an open one, a
    /// quoted string outside any string.
    fn quoted(&self, content: &str) -> String {
        match self.cursor.string {
            Some(s) if s.terminated => content.to_string(),
            Some(_) => format!("{content}\""),
            None => format!("\"{content}\""),
        }
    }

    fn value_item(
        &self,
        value: &str,
        kind: ItemKind,
        detail: Option<String>,
        doc: Option<String>,
    ) -> Item {
        Item {
            label: value.to_string(),
            kind,
            detail,
            documentation: doc,
            insert: self.quoted(value),
            snippet: false,
            range: self.cursor.replace_range(),
            sort_group: 0,
            deprecated: false,
            placement: match self.cursor.slot {
                Slot::Item => Placement::ArrayItem,
                Slot::Value { .. } => Placement::MemberValue,
                Slot::Key | Slot::Between => Placement::Other,
            },
            additional: Vec::new(),
        }
    }
}

/// Wildcards worth offering: the ones AWS documentation and real policies use.
const WILDCARDS: &[&str] = &[
    "kms:*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
    "kms:Describe*",
    "kms:Get*",
    "kms:List*",
    "kms:Create*",
    "kms:Delete*",
    "kms:Enable*",
    "kms:Disable*",
    "kms:Update*",
    "kms:Revoke*",
];

fn action_items(catalog: &Catalog, ctx: &Context<'_>) -> Vec<Item> {
    let mut items: Vec<Item> = catalog
        .actions()
        .iter()
        .map(|info| {
            let (group, detail) = if info.effective_in_key_policy {
                (0, info.access_level.as_str().to_string())
            } else {
                (
                    2,
                    format!("{} · no effect in a key policy", info.access_level.as_str()),
                )
            };
            Item {
                sort_group: group,
                ..ctx.value_item(
                    &info.name,
                    ItemKind::Action,
                    Some(detail),
                    Some(format!("{}.", info.description.trim_end_matches('.'))),
                )
            }
        })
        .collect();
    for pattern in WILDCARDS {
        let matched = catalog.expand(pattern);
        if matched.len() < 2 {
            continue;
        }
        let names: Vec<String> = catalog
            .actions_in(matched)
            .map(|a| format!("`{}`", a.name))
            .collect();
        items.push(Item {
            sort_group: 1,
            ..ctx.value_item(
                pattern,
                ItemKind::Wildcard,
                Some(format!("{} actions", matched.len())),
                Some(format!("Matches {}.", names.join(", "))),
            )
        });
    }
    items
}

/// Every operator spelling worth offering: the base operators, their
/// `IfExists` forms, and the set forms for multivalued keys.
fn operator_names() -> Vec<(String, &'static str)> {
    let mut names = Vec::new();
    for base in BaseOperator::ALL {
        names.push((base.name().to_string(), base.description()));
    }
    for base in BaseOperator::ALL {
        if base != BaseOperator::Null {
            names.push((format!("{}IfExists", base.name()), base.description()));
        }
    }
    for qualifier in [SetQualifier::ForAnyValue, SetQualifier::ForAllValues] {
        for base in BaseOperator::ALL {
            if base != BaseOperator::Null {
                names.push((
                    format!("{}{}", qualifier.prefix(), base.name()),
                    base.description(),
                ));
            }
        }
    }
    names
}

fn operator_items(ctx: &Context<'_>) -> Vec<Item> {
    operator_names()
        .into_iter()
        .enumerate()
        .map(|(i, (name, description))| {
            // Plain forms first, then IfExists, then the set forms.
            let group = match i {
                i if i < BaseOperator::ALL.len() => 0,
                i if i < 2 * BaseOperator::ALL.len() => 1,
                _ => 2,
            };
            Item {
                sort_group: group,
                ..ctx.key_item(
                    &name,
                    ItemKind::Operator,
                    None,
                    Some(description.to_string()),
                )
            }
        })
        .collect()
}

impl Context<'_> {
    /// An item for a member name. Outside a string it inserts `"name": `.
    fn key_item(
        &self,
        name: &str,
        kind: ItemKind,
        detail: Option<String>,
        doc: Option<String>,
    ) -> Item {
        let insert = match self.cursor.string {
            Some(_) => self.quoted(name),
            None => format!("\"{name}\": "),
        };
        Item {
            label: name.to_string(),
            kind,
            detail,
            documentation: doc,
            insert,
            snippet: false,
            range: self.cursor.replace_range(),
            sort_group: 0,
            deprecated: false,
            placement: Placement::Other,
            additional: Vec::new(),
        }
    }
}

/// Condition keys: the KMS keys that at least one of the statement's actions
/// supports (all of them when the actions are unknown), then the global keys.
fn condition_key_items(
    catalog: &Catalog,
    covered: Option<ActionSet>,
    ctx: &Context<'_>,
) -> Vec<Item> {
    let mut items = Vec::new();
    let applies = |supported: ActionSet| {
        covered.is_none_or(|c| c.is_empty() || !c.intersection(supported).is_empty())
    };
    for info in catalog.condition_keys() {
        if !info.global && !applies(info.actions) {
            continue;
        }
        let group = if info.global { 2 } else { 0 };
        let doc = (!info.description.is_empty()).then(|| {
            let mut doc = format!("{}.", info.description.trim_end_matches('.'));
            if let Some(note) = service_notes::note_for(&info.name) {
                doc.push_str("\n\n");
                doc.push_str(&note);
            }
            doc
        });
        let mut item = ctx.key_item(
            &info.name,
            ItemKind::ConditionKey,
            Some(info.type_name()),
            doc,
        );
        item.sort_group = group;
        item.deprecated = info.deprecated;
        if let Some(prefix) = &info.prefix {
            // A pattern key (`kms:EncryptionContext:${EncryptionContextKey}`):
            // insert the fixed part and leave the variable part to the user.
            let fixed = &info.name[..prefix.len()];
            let variable = info.name[prefix.len()..]
                .trim_start_matches("${")
                .trim_end_matches('}');
            item.label = format!("{fixed}…");
            let content = if ctx.snippets {
                item.snippet = true;
                format!("{fixed}${{1:{variable}}}")
            } else {
                fixed.to_string()
            };
            item.insert = match ctx.cursor.string {
                Some(_) => ctx.quoted(&content),
                None => format!("\"{content}\": "),
            };
            if item.snippet && ctx.cursor.string.is_none() {
                item.insert.push_str("$0");
            }
        }
        items.push(item);
    }
    // The encryption-context keys the services are known to send.
    let context_key = catalog.condition_key("kms:EncryptionContext:x");
    if context_key.is_some_and(|k| applies(k.info.actions)) {
        for (key, note) in service_notes::encryption_context_keys() {
            let mut item = ctx.key_item(
                key,
                ItemKind::ConditionKey,
                Some("String".into()),
                Some(note),
            );
            item.sort_group = 1;
            items.push(item);
        }
    }
    items
}

/// `kms:ViaService` endpoints, in the region the policy already uses for
/// other endpoints, else with the region as a placeholder.
fn via_service_items(tree: &Tree<'_>, ctx: &Context<'_>) -> Vec<Item> {
    let region = document_region(tree);
    service_notes::via_service_names()
        .into_iter()
        .map(|service| {
            let detail = Some(service.services.clone());
            match region.as_deref() {
                Some(region) => ctx.value_item(
                    &format!("{}.{region}.amazonaws.com", service.prefix),
                    ItemKind::Value,
                    detail,
                    None,
                ),
                None if ctx.snippets => Item {
                    snippet: true,
                    insert: ctx.quoted(&format!(
                        "{}.${{1:us-east-1}}.amazonaws.com",
                        service.prefix
                    )),
                    ..ctx.value_item(
                        &format!("{}.<region>.amazonaws.com", service.prefix),
                        ItemKind::Value,
                        detail,
                        None,
                    )
                },
                None => ctx.value_item(
                    &format!("{}.us-east-1.amazonaws.com", service.prefix),
                    ItemKind::Value,
                    detail,
                    Some("Replace `us-east-1` with the key's region.".into()),
                ),
            }
        })
        .collect()
}

/// The region of the first `kms:ViaService` endpoint in the policy.
fn document_region(tree: &Tree<'_>) -> Option<String> {
    let policy = Policy::from_tree(tree);
    let region = policy
        .statements
        .iter()
        .filter_map(|s| s.condition.as_ref())
        .flat_map(|c| c.entries())
        .filter(|(_, key)| key.key.value.eq_ignore_ascii_case("kms:ViaService"))
        .flat_map(|(_, key)| key.values.iter())
        .find_map(|v| service_notes::via_service_region(v.value).map(str::to_string));
    region
}

/// Element names not yet present in the object (the one being typed aside).
fn element_items(elements: &'static [Element], tree: &Tree<'_>, ctx: &Context<'_>) -> Vec<Item> {
    let cursor = ctx.cursor;
    let present: Vec<&str> = cursor
        .container
        .map(|object| {
            tree.members(object)
                .iter()
                .filter(|m| {
                    cursor
                        .string
                        .is_none_or(|s| m.key_range.start != s.range.start)
                })
                .map(|m| m.key.as_ref())
                .collect()
        })
        .unwrap_or_default();
    elements
        .iter()
        .filter(|e| !present.contains(&e.name))
        .map(|e| ctx.key_item(e.name, ItemKind::Element, None, Some(e.doc.to_string())))
        .collect()
}

/// `text` with `item` accepted: its edit and its additional edits.
#[cfg(test)]
pub(crate) fn accepted(text: &str, item: &Item) -> String {
    let mut edits: Vec<(TextRange, &str)> = vec![(item.range, item.insert.as_str())];
    edits.extend(item.additional.iter().map(|e| (e.range, e.insert.as_str())));
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = text.to_string();
    for (range, insert) in edits {
        out.replace_range(range.as_usize(), insert);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete_at(marked: &str) -> (String, Vec<Item>) {
        let offset = marked.find('|').expect("a cursor mark");
        let text = marked.replacen('|', "", 1);
        let items = complete(&text, offset, true);
        (text, items)
    }

    fn labels(items: &[Item]) -> Vec<&str> {
        items.iter().map(|i| i.label.as_str()).collect()
    }

    #[test]
    fn actions_inside_an_open_string_of_an_action_array() {
        let (text, items) = complete_at(
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"kms:Decrypt\", \"kms:Gen|\n",
        );
        let item = items
            .iter()
            .find(|i| i.label == "kms:GenerateDataKeyWithoutPlaintext")
            .expect("offered");
        // Replaces `kms:Gen` and closes the string.
        assert_eq!(&text[item.range.as_usize()], "kms:Gen");
        assert_eq!(item.insert, "kms:GenerateDataKeyWithoutPlaintext\"");
        assert!(labels(&items).contains(&"kms:GenerateDataKey*"));
        assert!(
            !labels(&items).contains(&"kms:Put*"),
            "single-action wildcards are noise"
        );
    }

    #[test]
    fn actions_outside_a_string_are_quoted() {
        let (_, items) = complete_at(r#"{"Statement": [{"Action": [|]}]}"#);
        let item = items.iter().find(|i| i.label == "kms:Decrypt").unwrap();
        assert_eq!(item.insert, "\"kms:Decrypt\"");
        assert!(item.range.is_empty());
    }

    #[test]
    fn condition_keys_follow_the_statements_actions() {
        let (_, items) = complete_at(
            r#"{"Statement": [{"Action": "kms:Decrypt", "Condition": {"StringEquals": {"|"}}}]}"#,
        );
        let names = labels(&items);
        assert!(names.contains(&"kms:ViaService"));
        assert!(names.contains(&"kms:EncryptionContext:aws:s3:arn"));
        assert!(names.contains(&"aws:SourceArn"), "global keys are offered");
        assert!(
            !names.contains(&"kms:BypassPolicyLockoutSafetyCheck"),
            "Decrypt does not support it"
        );
        let pattern = items
            .iter()
            .find(|i| i.label == "kms:EncryptionContext:…")
            .unwrap();
        assert!(pattern.snippet);
        assert_eq!(
            pattern.insert,
            "kms:EncryptionContext:${1:EncryptionContextKey}"
        );
    }

    #[test]
    fn operators_in_a_condition_block() {
        let (_, items) = complete_at(r#"{"Statement": [{"Condition": {|}}]}"#);
        let like = items.iter().find(|i| i.label == "StringLike").unwrap();
        assert_eq!(like.insert, "\"StringLike\": ");
        assert!(labels(&items).contains(&"ForAnyValue:StringEquals"));
        assert!(labels(&items).contains(&"ArnLikeIfExists"));
    }

    #[test]
    fn via_service_uses_the_documents_region() {
        let (_, items) = complete_at(
            r#"{"Statement": [{"Condition": {"StringEquals": {"kms:ViaService": ["s3.eu-west-3.amazonaws.com", "|"]}}}]}"#,
        );
        assert!(labels(&items).contains(&"fsx.eu-west-3.amazonaws.com"));
        let (_, items) = complete_at(
            r#"{"Statement": [{"Condition": {"StringEquals": {"kms:ViaService": "|"}}}]}"#,
        );
        let fsx = items
            .iter()
            .find(|i| i.label == "fsx.<region>.amazonaws.com")
            .unwrap();
        assert!(fsx.snippet);
        assert_eq!(fsx.insert, "fsx.${1:us-east-1}.amazonaws.com");
    }

    #[test]
    fn elements_and_effect_values() {
        let (_, items) = complete_at(r#"{"Statement": [{"Effect": "Allow", "|"}]}"#);
        let names = labels(&items);
        assert!(names.contains(&"Action") && names.contains(&"Condition"));
        assert!(!names.contains(&"Effect"), "already present");
        let (_, items) = complete_at(r#"{"Statement": [{"Effect": "|"}]}"#);
        assert_eq!(labels(&items), vec!["Allow", "Deny"]);
        let (_, items) = complete_at(r#"{"Ver|"#);
        assert!(labels(&items).contains(&"Version"));
    }

    /// The item labelled `label` at the `|` of `marked`, and the text once
    /// it is accepted.
    fn accept(marked: &str, label: &str) -> (Item, String) {
        let (text, items) = complete_at(marked);
        let item = items
            .into_iter()
            .find(|i| i.label == label)
            .unwrap_or_else(|| panic!("{label} offered at {marked}"));
        let after = accepted(&text, &item);
        (item, after)
    }

    fn assert_valid_json(text: &str) {
        if let Err(err) = serde_json::from_str::<serde_json::Value>(text) {
            panic!("not valid JSON ({err}):\n{text}");
        }
    }

    #[test]
    fn an_action_accepted_before_another_item_brings_its_comma() {
        let (item, after) = accept(
            r#"{"Statement": [{"Action": [| "kms:Encrypt"]}]}"#,
            "kms:Decrypt",
        );
        assert_eq!(item.insert, "\"kms:Decrypt\",");
        assert!(item.range.is_empty() && item.additional.is_empty());
        assert_eq!(
            after,
            r#"{"Statement": [{"Action": ["kms:Decrypt", "kms:Encrypt"]}]}"#
        );

        // In the string the editor's auto-closing quotes made: the content is
        // replaced and the comma goes after the closing quote.
        let marked = r#"{"Statement": [{"Action": ["kms:De|" "kms:Encrypt"]}]}"#;
        let (item, after) = accept(marked, "kms:Decrypt");
        let text = marked.replace('|', "");
        assert_eq!(&text[item.range.as_usize()], "kms:De");
        assert_eq!(item.insert, "kms:Decrypt");
        let quote_end = text.find("\" \"kms:Enc").unwrap() + 1;
        assert_eq!(
            item.additional,
            vec![Edit {
                range: TextRange::empty(quote_end),
                insert: ",".into()
            }]
        );
        assert_eq!(
            after,
            r#"{"Statement": [{"Action": ["kms:Decrypt", "kms:Encrypt"]}]}"#
        );

        // On its own line, in a string left open.
        let (item, after) = accept(
            "{\"Statement\": [{\"Action\": [\n  \"kms:De|\n  \"kms:Encrypt\"\n]}]}",
            "kms:Decrypt",
        );
        assert_eq!(item.insert, "kms:Decrypt\",");
        assert_valid_json(&after);
    }

    #[test]
    fn an_action_accepted_after_an_item_without_a_comma_brings_one_before_it() {
        let marked = r#"{"Statement": [{"Action": ["kms:Encrypt" "kms:De|"]}]}"#;
        let (item, after) = accept(marked, "kms:Decrypt");
        let text = marked.replace('|', "");
        let previous_end = text.find("\" \"kms:De").unwrap() + 1;
        assert_eq!(
            item.additional,
            vec![Edit {
                range: TextRange::empty(previous_end),
                insert: ",".into()
            }]
        );
        assert_eq!(
            after,
            r#"{"Statement": [{"Action": ["kms:Encrypt", "kms:Decrypt"]}]}"#
        );
        let (item, after) = accept(
            r#"{"Statement": [{"Action": ["kms:Encrypt"|]}]}"#,
            "kms:Decrypt",
        );
        assert_eq!(item.insert, ", \"kms:Decrypt\"");
        assert_valid_json(&after);
    }

    #[test]
    fn commas_already_there_are_not_doubled() {
        for marked in [
            r#"{"Statement": [{"Action": ["kms:De|", "kms:Encrypt"]}]}"#,
            r#"{"Statement": [{"Action": ["kms:Encrypt", "kms:De|"]}]}"#,
            r#"{"Statement": [{"Action": [|, "kms:Encrypt"]}]}"#,
            r#"{"Statement": [{"Action": ["kms:Encrypt", |]}]}"#,
            r#"{"Statement": [{"Action": [|]}]}"#,
            "{\"Statement\": [{\"Action\": [\n  \"kms:Encrypt\",\n  \"kms:De|\"\n]}]}",
        ] {
            let (item, after) = accept(marked, "kms:Decrypt");
            assert!(
                item.additional.is_empty(),
                "{marked}: {:?}",
                item.additional
            );
            assert!(!item.insert.contains(','), "{marked}: {}", item.insert);
            assert_valid_json(&after);
        }
    }

    #[test]
    fn values_of_members_and_conditions_are_separated_too() {
        let (_, after) = accept(
            r#"{"Statement": [{"Effect": | "Action": "kms:Decrypt"}]}"#,
            "Allow",
        );
        assert_eq!(
            after,
            r#"{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt"}]}"#
        );
        let (_, after) = accept(
            r#"{"Statement": [{"Condition": {"StringEquals": {"kms:ViaService": ["s3.eu-west-3.amazonaws.com" |]}}}]}"#,
            "fsx.eu-west-3.amazonaws.com",
        );
        assert_valid_json(&after);
        assert!(after.contains(r#"["s3.eu-west-3.amazonaws.com", "fsx.eu-west-3.amazonaws.com"]"#));
    }

    #[test]
    fn nowhere_special_gives_nothing_and_never_panics() {
        assert!(complete_at(r#"{"Statement": [{"Resource": "|"}]}"#)
            .1
            .is_empty());
        let text = "{\"Statement\": [{\"Sid\": \"\u{e9}\u{1f511}\", \"Action\": [\"kms:";
        for offset in 0..=text.len() + 2 {
            let _ = complete(text, offset, false);
        }
    }
}
