use crate::diagnostic::{Fix, Severity};
use crate::rules::edits::json_string;
use crate::rules::shared::{capped, intrinsic, Findings};
use crate::rules::structure::{kind_name, policy_like, statement_entries, statement_of};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::{NodeId, NodeKind};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC103",
    name: "invalid-element-type",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A policy element holds a value of the wrong JSON type",
    docs: r#"## What it does
Reports values of the wrong JSON type:
- `Version`, `Id`, `Sid` or `Effect` that is not a string;
- `Statement` that is neither an object nor an array, and statement entries
  that are not objects;
- `Action`, `NotAction`, `Resource` or `NotResource` that is not a string or an
  array of strings;
- `Principal` or `NotPrincipal` that is neither `"*"` nor an object (an array,
  or a string such as an ARN written without `{"AWS": ...}`), and principal
  values that are not strings;
- `Condition` that is not an object, an operator whose value is not an object,
  and condition values that are not strings, booleans or numbers (or an array
  of them): nested objects and arrays, and `null`.

A CloudFormation intrinsic function (`{"Ref": ...}`, `{"Fn::Sub": ...}`) where a
string or a statement belongs (`{"Fn::If": [...]}` around a statement) is
reported as a warning: it is valid in a template, but not in a policy
document as written, and the other rules do not look inside it.

## Why it matters
IAM's policy grammar fixes the type of every element; KMS rejects a key policy
with a value of another type (`MalformedPolicyDocumentException`). A
`Principal` written as a bare ARN string or an array is the most common case:
only `"*"` may be written without naming the principal type.

## Example
```json
{
  "Effect": "Allow",
  "Principal": "arn:aws:iam::111122223333:root",
  "Action": "kms:*",
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
  "Action": "kms:*",
  "Resource": "*"
}
```

## Fix
A principal string that is an account, user or role ARN (or an account ID) is
wrapped as `{"AWS": ...}`, a service principal as `{"Service": ...}`; an array
of principals is wrapped as `{"AWS": [...]}` (marked for review, because the
array may contain `"*"`). An account ID written as a number is quoted. Other
cases need the author.

Naming the principal type of a bare principal string makes a statement that
applied to no one apply: in an Allow that fix is marked unsafe and says so.

## Sources
- IAM User Guide, "Grammar of the IAM JSON policy language": `"Version" : ("2008-10-17" | "2012-10-17")`, `<principal_block> = ("Principal" | "NotPrincipal") : ("*" | <principal_map>)`, `<action_block>` and `<resource_block>` as `"*"` or string arrays, `<condition_value> = ("string" | "number" | "Boolean")` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
- IAM User Guide, "AWS JSON policy elements: Principal": `"Principal": "*"` and `{"AWS": "*"}` are the only forms without a principal map; account IDs are written as strings (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
- AWS CloudFormation User Guide, intrinsic function reference: `Ref` and `Fn::*` are resolved by CloudFormation, not by the service that receives the policy (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if !policy_like(ctx) {
        return;
    }
    let Some(root) = ctx.policy.root else {
        return;
    };
    let checker = Checker { ctx };
    for m in ctx.tree.members(root) {
        match m.key.as_ref() {
            "Version" | "Id" => checker.expect_string(out, m.value, &|| format!("`{}`", m.key)),
            "Statement" => match ctx.tree.kind(m.value) {
                NodeKind::Object(_) | NodeKind::Array(_) | NodeKind::Invalid => {}
                other => {
                    let d = out
                        .diagnostic(
                            ctx.tree.range(m.value),
                            format!("`Statement` is {}: it must be an array of statements (or a single statement object), so KMS rejects the policy", kind_name(other)),
                        )
                        .with_help("write `\"Statement\": [ { \"Effect\": ..., \"Principal\": ..., \"Action\": ..., \"Resource\": \"*\" } ]`")
                        .at_node(ctx.tree, m.value);
                    out.push(d);
                }
            },
            _ => {}
        }
    }
    for (position, node) in statement_entries(ctx) {
        let kind = ctx.tree.kind(node);
        if intrinsic(ctx.tree, node).is_some() {
            checker.wrong(
                out,
                node,
                &|| format!("entry {} of `Statement`", position + 1),
                "",
                "",
                None,
            );
            continue;
        }
        if !matches!(kind, NodeKind::Object(_)) {
            if !matches!(kind, NodeKind::Invalid) {
                let hint = if matches!(kind, NodeKind::Array(_)) {
                    "remove the extra brackets so that each statement is an object directly inside `Statement`"
                } else {
                    "each entry of `Statement` must be a statement object `{ \"Effect\": ..., ... }`"
                };
                // An array or object can span many lines: point at its opening bracket.
                let range = ctx.tree.range(node);
                let range = if matches!(kind, NodeKind::Array(_)) {
                    TextRange::new(range.start as usize, range.start as usize + 1)
                } else {
                    range
                };
                let d = out
                    .diagnostic(
                        range,
                        format!("entry {} of `Statement` is {}: every statement must be a JSON object, so KMS rejects the policy", position + 1, kind_name(kind)),
                    )
                    .with_help(hint)
                    .at_node(ctx.tree, node);
                out.push(d);
            }
            continue;
        }
        // Places are written only for a finding: most values are fine.
        let label = || {
            statement_of(ctx, node)
                .map_or_else(|| format!("statement #{}", position + 1), |s| s.label())
        };
        for m in ctx.tree.members(node) {
            let place = || format!("`{}` of {}", m.key, label());
            match m.key.as_ref() {
                "Sid" | "Effect" => checker.expect_string(out, m.value, &place),
                "Action" | "NotAction" | "Resource" | "NotResource" => {
                    checker.expect_strings(out, m.value, &place)
                }
                "Principal" | "NotPrincipal" => checker.principal(out, m.value, &place),
                "Condition" => checker.condition(out, m.value, &place),
                _ => {}
            }
        }
    }
}

/// Where a value is, written only when a finding needs it.
type Place<'a> = &'a dyn Fn() -> String;

struct Checker<'c, 't> {
    ctx: &'c Context<'t>,
}

impl Checker<'_, '_> {
    /// Reports `node` as being of the wrong type; CloudFormation intrinsics
    /// get their own message at warning level.
    fn wrong(
        &self,
        out: &mut Findings<'_, '_>,
        node: NodeId,
        place: Place<'_>,
        expected: &str,
        help: &str,
        fix: Option<Fix>,
    ) {
        let tree = self.ctx.tree;
        let kind = tree.kind(node);
        if matches!(kind, NodeKind::Invalid) {
            return; // invalid-json reports it
        }
        let d = if let Some(function) = intrinsic(tree, node) {
            // The function name is the smallest text that says what the value is.
            let name_range = tree
                .members(node)
                .first()
                .map_or(tree.range(node), |m| m.key_range);
            out.diagnostic(
                name_range,
                format!("{} is a CloudFormation intrinsic function (`{function}`), not a policy value: only CloudFormation resolves it, a policy document sent as written is rejected, and policy-check cannot check the value", place()),
            )
            .with_help("check the policy as CloudFormation renders it, or the template that contains it")
            .with_severity(capped(self.ctx, &RULE, Severity::Warning))
        } else {
            out.diagnostic(
                tree.range(node),
                format!(
                    "{} is {}: it must be {expected}, so KMS rejects the policy",
                    place(),
                    kind_name(kind)
                ),
            )
            .with_help(help)
            .with_fix_opt(fix)
        };
        out.push(d.at_node(tree, node));
    }

    fn expect_string(&self, out: &mut Findings<'_, '_>, node: NodeId, place: Place<'_>) {
        if !matches!(self.ctx.tree.kind(node), NodeKind::String(_)) {
            self.wrong(
                out,
                node,
                place,
                "a string",
                "write the value as a JSON string in double quotes",
                quote_number(self.ctx, node),
            );
        }
    }

    /// A string or an array of strings (`Action`, `Resource`, principal values).
    fn expect_strings(&self, out: &mut Findings<'_, '_>, node: NodeId, place: Place<'_>) {
        let tree = self.ctx.tree;
        match tree.kind(node) {
            NodeKind::String(_) => {}
            NodeKind::Array(items) => {
                for &item in items {
                    if !matches!(tree.kind(item), NodeKind::String(_)) {
                        self.wrong(
                            out,
                            item,
                            &|| format!("an entry of {}", place()),
                            "a string",
                            "write each entry as a JSON string in double quotes",
                            quote_number(self.ctx, item),
                        );
                    }
                }
            }
            _ => self.wrong(
                out,
                node,
                place,
                "a string or an array of strings",
                "write one string, or an array of strings",
                quote_number(self.ctx, node),
            ),
        }
    }

    fn principal(&self, out: &mut Findings<'_, '_>, node: NodeId, place: Place<'_>) {
        let tree = self.ctx.tree;
        match tree.kind(node) {
            NodeKind::String(s) if s == "*" => {}
            NodeKind::String(s) => {
                let key = principal_type_of(s);
                // The principal is unreadable today, so the statement applies
                // to no one: named properly, an Allow starts to grant.
                let allow = tree
                    .node(node)
                    .parent
                    .and_then(|st| statement_of(self.ctx, st))
                    .is_none_or(|st| !st.is_deny());
                let fix = key.map(|key| {
                    let fix = Fix::replace(
                        format!("Write as `{{\"{key}\": ...}}`"),
                        tree.range(node),
                        format!("{{\"{key}\": {}}}", json_string(s)),
                    );
                    if allow {
                        Fix {
                            title: format!("Write as `{{\"{key}\": ...}}`: the statement, which applies to no one today, starts to grant to this principal; review"),
                            ..fix.unsafe_()
                        }
                    } else {
                        fix
                    }
                });
                let help = match key {
                    Some(key) => format!("name the principal type: `{{\"{key}\": {}}}`", json_string(s)),
                    None => "name the principal type: `{\"AWS\": ...}` for accounts, users and roles, `{\"Service\": ...}` for AWS services".to_string(),
                };
                self.wrong(out, node, place, "`\"*\"` or an object such as `{\"AWS\": ...}`; only `\"*\"` may be written without a principal type", &help, fix);
            }
            NodeKind::Array(_) => {
                let text = &self.ctx.text[tree.range(node).as_usize()];
                let fix = Fix::replace("Write as `{\"AWS\": [...]}`: the statement, which applies to no one today, starts to grant to these principals (`\"*\"` among them means everyone); review", tree.range(node), format!("{{\"AWS\": {text}}}")).unsafe_();
                self.wrong(
                    out,
                    node,
                    place,
                    "`\"*\"` or an object such as `{\"AWS\": [...]}`, not a bare array",
                    "put the array under its principal type: `{\"AWS\": [...]}` for accounts, users and roles, `{\"Service\": [...]}` for AWS services",
                    Some(fix),
                );
            }
            NodeKind::Object(members) => {
                for m in members {
                    self.expect_strings(out, m.value, &|| format!("`{}` in {}", m.key, place()));
                }
            }
            _ => self.wrong(out, node, place, "`\"*\"` or an object such as `{\"AWS\": ...}`", "write `\"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}` or the principals meant", None),
        }
    }

    fn condition(&self, out: &mut Findings<'_, '_>, node: NodeId, place: Place<'_>) {
        let tree = self.ctx.tree;
        let NodeKind::Object(operators) = tree.kind(node) else {
            self.wrong(out, node, place, "an object of condition operators", "write `\"Condition\": {\"StringEquals\": {\"kms:CallerAccount\": \"111122223333\"}}`", None);
            return;
        };
        for op in operators {
            let op_place = || format!("condition operator `{}` in {}", op.key, place());
            let NodeKind::Object(keys) = tree.kind(op.value) else {
                self.wrong(
                    out,
                    op.value,
                    &op_place,
                    "an object of condition keys and values",
                    &format!("write `\"{}\": {{\"condition-key\": \"value\"}}`", op.key),
                    None,
                );
                continue;
            };
            for k in keys {
                let key_place =
                    || format!("the value of `{}` under `{}` in {}", k.key, op.key, place());
                match tree.kind(k.value) {
                    NodeKind::String(_) | NodeKind::Bool(_) | NodeKind::Number(_) => {}
                    NodeKind::Array(items) => {
                        for &item in items {
                            if !matches!(
                                tree.kind(item),
                                NodeKind::String(_) | NodeKind::Bool(_) | NodeKind::Number(_)
                            ) {
                                self.wrong(out, item, &|| format!("an entry of {}", key_place()), "a string, a boolean or a number", "list the values as strings (or booleans or numbers) in one flat array", None);
                            }
                        }
                    }
                    _ => self.wrong(
                        out,
                        k.value,
                        &key_place,
                        "a string, a boolean, a number, or an array of them",
                        "write the value as a string, or several values as a flat array of strings",
                        None,
                    ),
                }
            }
        }
    }
}

/// The principal type a bare principal string belongs under, when it is clear.
fn principal_type_of(s: &str) -> Option<&'static str> {
    let account_id = s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    let iam_arn = s.starts_with("arn:")
        && (s.split(':').nth(2) == Some("iam") || s.split(':').nth(2) == Some("sts"));
    if account_id || iam_arn {
        Some("AWS")
    } else if s.ends_with(".amazonaws.com") && !s.contains([' ', '/', ':']) {
        Some("Service")
    } else {
        None
    }
}

/// A fix that quotes a number written where a string belongs (an account ID
/// such as `111122223333`).
fn quote_number(ctx: &Context<'_>, node: NodeId) -> Option<Fix> {
    match ctx.tree.kind(node) {
        NodeKind::Number(raw) => Some(Fix::replace(
            format!("Write as the string \"{raw}\""),
            ctx.tree.range(node),
            format!("\"{raw}\""),
        )),
        _ => None,
    }
}
