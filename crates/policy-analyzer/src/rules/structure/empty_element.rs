use crate::diagnostic::{Fix, Severity};
use crate::model::StringList;
use crate::rules::edits::remove_array_item;
use crate::rules::shared::{capped, statements, Findings, Label};
use crate::rules::structure::{policy_like, statement_entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::{NodeId, NodeKind};

pub(crate) static RULE: Rule = Rule {
    code: "PC105",
    name: "empty-element",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "An empty Statement, statement, Action, Resource, Principal, Condition, condition value list or Sid, or an empty action or principal string",
    docs: r#"## What it does
Reports elements that are present but empty:
- `"Statement": []` and an empty statement `{}`;
- empty `Action`, `NotAction`, `Resource` and `NotResource` arrays, and empty
  strings in them;
- `"Principal": {}`, an empty principal array (`"AWS": []`) and empty
  principal strings;
- an empty `Condition` block or operator block (`"StringEquals": {}`), and a
  condition key with an empty list of values (`"kms:CallerAccount": []`), as
  warnings;
- an empty `Sid`, as a hint.

## Why it matters
An empty element is never what the author meant, and what it does differs:
- a key policy without statements, an empty statement, and a statement that
  names no principal are rejected by KMS;
- an empty `Action` or `Resource` (or an empty string in it) matches nothing,
  so the statement or entry has no effect;
- an empty `NotAction` excludes nothing: the statement then applies to every
  action;
- an empty `Condition` or operator block tests nothing, so the statement
  applies unconditionally although it looks conditional;
- a condition key with no values compares the request with nothing: under a
  plain operator the condition is never true, under a negated one it
  excludes nothing, and with `ForAllValues` or `...IfExists` it holds only
  for requests without the key (IAM Access Analyzer's "Empty array
  condition" suggestions, https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": ["arn:aws:iam::111122223333:role/ExampleRole", ""]},
  "Action": ["kms:Decrypt", ""],
  "Resource": "*",
  "Condition": {"StringEquals": {}}
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
  "Action": "kms:Decrypt",
  "Resource": "*",
  "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}
}
```

## Fix
An empty string among other entries, and an empty statement among other
statements, is deleted (with its comma). Other empty elements need the value
the author meant.

## Sources
- AWS KMS Developer Guide, "Creating a key policy": a key policy has at least one statement; `Effect`, `Principal`, `Action` and `Resource` are required (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- AWS KMS API Reference, PutKeyPolicy `Policy` parameter: "Each statement in the key policy must contain one or more principals." (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html)
- IAM User Guide, "Grammar of the IAM JSON policy language": arrays "can take one or more values" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html); "IAM JSON policy elements: NotAction": `NotAction` matches everything except the listed actions (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if !policy_like(ctx) {
        return;
    }
    let tree = ctx.tree;
    if let Some(element) = &ctx.policy.statement_element {
        if matches!(tree.kind(element.value), NodeKind::Array(items) if items.is_empty()) {
            let d = out
                .diagnostic(element.value_range, "`Statement` is empty: a key policy needs at least one statement, so KMS rejects it")
                .with_help("add the statements of the key policy; a key normally starts with one that gives the account root `kms:*`")
                .at_node(tree, element.value);
            out.push(d);
        }
        let entries = statement_entries(ctx);
        for (position, node) in &entries {
            if matches!(tree.kind(*node), NodeKind::Object(m) if m.is_empty()) {
                let fix = (entries.len() > 1)
                    .then(|| remove_array_item(tree, ctx.text, element.value, *node))
                    .flatten()
                    .map(|e| Fix::replace("Delete the empty statement", e.range, e.replacement));
                let d = out
                    .diagnostic(
                        tree.range(*node),
                        format!("statement #{} is empty: it has no Effect, Principal, Action or Resource, so KMS rejects the policy", position + 1),
                    )
                    .with_help("delete it, or write the statement that was meant")
                    .with_fix_opt(fix)
                    .at_node(tree, *node);
                out.push(d);
            }
        }
    }

    for st in statements(ctx) {
        if out.full() {
            return;
        }
        let label = Label(st);
        let lists: [(&Option<StringList<'_>>, &str, &str, &str); 4] = [
            (&st.action, "Action", "it matches no action, so the statement has no effect", "an empty action name matches no action"),
            (&st.not_action, "NotAction", "it excludes nothing, so the statement applies to every action", "an empty action name excludes nothing"),
            (&st.resource, "Resource", "it matches no resource, so the statement has no effect", "an empty resource matches nothing"),
            (&st.not_resource, "NotResource", "it excludes nothing, so the statement applies to this key as `\"Resource\": \"*\"` would", "an empty resource excludes nothing"),
        ];
        for (list, name, empty_array, empty_string) in lists {
            let Some(list) = list else { continue };
            let value = list.element.value;
            if matches!(tree.kind(value), NodeKind::Array(items) if items.is_empty()) {
                let d = out
                    .diagnostic(
                        list.element.value_range,
                        format!("`{name}` of {label} is an empty array: {empty_array}"),
                    )
                    .with_help(format!("list the values `{name}` is meant to have"))
                    .at_node(tree, value);
                out.push(d);
            }
            for v in list.values.iter().filter(|v| v.value.is_empty()) {
                if out.full() {
                    return;
                }
                let d = out
                    .diagnostic(
                        v.range,
                        format!("`{name}` of {label} has an empty string: {empty_string}"),
                    )
                    .with_help("delete the empty entry or write the value that was meant")
                    .with_fix_opt(delete_entry(ctx, value, v.node))
                    .at_node(tree, v.node);
                out.push(d);
            }
        }

        for (principal, name) in [
            (&st.principal, "Principal"),
            (&st.not_principal, "NotPrincipal"),
        ] {
            let Some(p) = principal else { continue };
            let value = p.element.value;
            if matches!(tree.kind(value), NodeKind::Object(m) if m.is_empty()) {
                let d = out
                    .diagnostic(p.element.value_range, format!("`{name}` of {label} is empty: it names no principal, and every key-policy statement must name one, so KMS rejects the policy"))
                    .with_help("name the principals, for example `{\"AWS\": \"arn:aws:iam::111122223333:role/ExampleRole\"}`")
                    .at_node(tree, value);
                out.push(d);
            }
            for m in tree.members(value) {
                if matches!(tree.kind(m.value), NodeKind::Array(items) if items.is_empty()) {
                    let d = out
                        .diagnostic(tree.range(m.value), format!("`{}` in `{name}` of {label} is an empty array: it names no principal", m.key))
                        .with_help(format!("list the `{}` principals, or delete the key", m.key))
                        .at_node(tree, m.value);
                    out.push(d);
                }
            }
            for entry in &p.entries {
                for v in entry.values.iter().filter(|v| v.value.is_empty()) {
                    let d = out
                        .diagnostic(v.range, format!("`{}` in `{name}` of {label} has an empty string: it is not a principal, so KMS rejects the policy", entry.key.value))
                        .with_help("delete the empty entry or write the principal that was meant")
                        .with_fix_opt(delete_entry(ctx, entry.key.node, v.node))
                        .at_node(tree, v.node);
                    out.push(d);
                }
            }
        }

        if let Some(sid) = st.sid.filter(|s| s.value.is_empty()) {
            let d = out
                .diagnostic(
                    sid.range,
                    format!("the `Sid` of {label} is empty: it names nothing"),
                )
                .with_help(
                    "write a Sid that says what the statement is for, or delete the `Sid` element",
                )
                .with_severity(capped(ctx, &RULE, Severity::Hint))
                .at_node(tree, sid.node);
            out.push(d);
        }
        if let Some(condition) = &st.condition {
            let value = condition.element.value;
            let warning = capped(ctx, &RULE, Severity::Warning);
            if matches!(tree.kind(value), NodeKind::Object(m) if m.is_empty()) {
                let d = out
                    .diagnostic(condition.element.value_range, format!("`Condition` of {label} is empty: it tests nothing, so the statement applies unconditionally"))
                    .with_help("write the condition that was meant, or delete the empty `Condition`")
                    .with_severity(warning)
                    .at_node(tree, value);
                out.push(d);
            }
            for op in &condition.operators {
                for key in &op.keys {
                    if !matches!(tree.kind(key.value_node), NodeKind::Array(items) if items.is_empty())
                    {
                        continue;
                    }
                    // What an empty list does depends on the operator: no
                    // value to match (never true), `ForAllValues` true only
                    // when the request carries no value, `...IfExists` true
                    // only when the key is absent.
                    let reading = match op.operator {
                        Some(o) if o.qualifier == Some(crate::model::SetQualifier::ForAllValues) => {
                            "with `ForAllValues` it holds only for a request without the key, which `Null` says plainly"
                        }
                        Some(o) if o.base.is_negated() => "it excludes nothing, so the condition is always true",
                        Some(o) if o.if_exists => "it holds only for a request without the key, which `Null` says plainly",
                        _ => "no value can match, so the condition is never true",
                    };
                    let d = out
                        .diagnostic(
                            tree.range(key.value_node),
                            format!(
                                "`{}` under `{}` of {label} has no values: {reading}",
                                key.key.value, op.name.value
                            ),
                        )
                        .with_help("list the values the condition is meant to compare, or write `Null` to test whether the key is present")
                        .with_severity(warning)
                        .at_node(tree, key.value_node);
                    out.push(d);
                }
                if matches!(tree.kind(op.value_node), NodeKind::Object(m) if m.is_empty()) {
                    let d = out
                        .diagnostic(tree.range(op.value_node), format!("condition operator `{}` of {label} has no condition keys: it tests nothing", op.name.value))
                        .with_help("add the condition keys and values it is meant to test, or delete the operator")
                        .with_severity(warning)
                        .at_node(tree, op.value_node);
                    out.push(d);
                }
            }
        }
    }
}

/// Deletes an entry of an array with more than one element.
fn delete_entry(ctx: &Context<'_>, array: NodeId, item: NodeId) -> Option<Fix> {
    if ctx.tree.items(array).len() < 2 {
        return None;
    }
    let edit = remove_array_item(ctx.tree, ctx.text, array, item)?;
    Some(Fix::replace(
        "Delete the empty entry",
        edit.range,
        edit.replacement,
    ))
}
