use crate::diagnostic::{Fix, Severity};
use crate::model::Operator;
use crate::rules::edits::json_string;
use crate::rules::shared::{intrinsic, statements, Findings};
use crate::rules::structure::{
    policy_like, statement_entries, statement_of, suggest_element, PRINCIPAL_TYPES,
    STATEMENT_ELEMENTS, TOP_LEVEL_ELEMENTS,
};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::{Member, NodeId, NodeKind};

pub(crate) static RULE: Rule = Rule {
    code: "PC102",
    name: "unknown-element",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "An element or principal type that IAM's policy grammar does not know",
    docs: r#"## What it does
Reports a key that is not part of IAM's policy grammar: at the top level
anything but `Version`, `Id` and `Statement`; in a statement anything but
`Sid`, `Effect`, `Principal`, `NotPrincipal`, `Action`, `NotAction`,
`Resource`, `NotResource` and `Condition`; in a principal object anything but
`AWS`, `Service`, `Federated` and `CanonicalUser`. When the key is another
element in the wrong letter case (`"effect"`, `"aws"`) or a close misspelling
(`"Actions"`, `"Conditions"`, `"Services"`), it says which one was meant.

## Why it matters
Element names are matched exactly. `"Actions"` is not `"Action"`: AWS rejects
a policy with an element it does not know, and the statement never gets the
actions, conditions or principals the author wrote. A condition operator
written directly in the statement (`"StringEquals": {...}` next to `Effect`)
is not a condition at all.

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"Services": "logs.us-east-1.amazonaws.com"},
  "Actions": ["kms:Encrypt*", "kms:Decrypt*"],
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
  "Action": ["kms:Encrypt*", "kms:Decrypt*"],
  "Resource": "*"
}
```

## Fix
When the name is the known one in another letter case or a close
misspelling, the fix renames the key (unless the object already has the
intended key, which would make a duplicate).

A misspelled element is ignored, so renaming it can make a statement grant
more (a principal type, `Action`, `Resource` of an Allow, `Condition` of a
Deny): those renames are marked unsafe and say so; renaming `Condition` of
an Allow, or any element of a Deny, only narrows access.

## Sources
- IAM User Guide, "Grammar of the IAM JSON policy language": the policy, statement and `principal_map` grammar, and "Individual elements must not contain multiple instances of the same key" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
- IAM User Guide, "AWS JSON policy elements: Principal": the principal types `AWS`, `Service`, `Federated`, `CanonicalUser` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
- AWS KMS Developer Guide, "Creating a key policy" ("Elements in a key policy") (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
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
    // A lone statement's root is the statement: its keys are checked below.
    let top_level: &[_] = if ctx.policy.lone_statement {
        &[]
    } else {
        ctx.tree.members(root)
    };
    for m in top_level {
        if !TOP_LEVEL_ELEMENTS.contains(&m.key.as_ref()) {
            report(
                ctx,
                out,
                root,
                m,
                TOP_LEVEL_ELEMENTS,
                "the policy",
                Where::TopLevel,
            );
        }
    }
    for (position, node) in statement_entries(ctx) {
        if !matches!(ctx.tree.kind(node), NodeKind::Object(_))
            || intrinsic(ctx.tree, node).is_some()
        {
            continue; // invalid-element-type reports both
        }
        let label = statement_of(ctx, node)
            .map_or_else(|| format!("statement #{}", position + 1), |s| s.label());
        for m in ctx.tree.members(node) {
            if !STATEMENT_ELEMENTS.contains(&m.key.as_ref()) {
                report(
                    ctx,
                    out,
                    node,
                    m,
                    STATEMENT_ELEMENTS,
                    &label,
                    Where::Statement,
                );
            }
        }
    }
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (element, name) in [
            (&st.principal, "Principal"),
            (&st.not_principal, "NotPrincipal"),
        ] {
            let Some(p) = element else { continue };
            let object = p.element.value;
            for m in ctx.tree.members(object) {
                if !PRINCIPAL_TYPES.contains(&m.key.as_ref()) {
                    let place = format!("`{name}` of {}", st.label());
                    report(
                        ctx,
                        out,
                        object,
                        m,
                        PRINCIPAL_TYPES,
                        &place,
                        Where::Principal,
                    );
                }
            }
        }
    }
}

/// Whether renaming a misspelled element to `name` can grant more: the
/// element is ignored today, so in an Allow statement (or one whose Effect
/// cannot be read) an `Effect`, principal, action or resource that starts to
/// count makes the statement apply; a `Condition` narrows an Allow and
/// widens only a Deny. A Sid or Id changes nothing.
fn renaming_widens(
    ctx: &Context<'_>,
    object: NodeId,
    m: &Member<'_>,
    name: &str,
    at: Where,
) -> bool {
    let statement_node = match at {
        Where::TopLevel => None,
        Where::Statement => Some(object),
        Where::Principal => ctx.tree.node(object).parent,
    };
    let statement = statement_node.and_then(|n| statement_of(ctx, n));
    match name {
        "Sid" | "Id" => false,
        "Effect" => ctx.tree.as_str(m.value) != Some("Deny"),
        "Condition" => !statement.is_some_and(|st| st.is_allow()),
        _ => !statement.is_some_and(|st| st.is_deny()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Where {
    TopLevel,
    Statement,
    Principal,
}

fn report(
    ctx: &Context<'_>,
    out: &mut Findings<'_, '_>,
    object: NodeId,
    m: &Member<'_>,
    known: &[&'static str],
    place: &str,
    at: Where,
) {
    if out.is_full() {
        // Only counted: spare the search for a suggestion and a clash.
        out.push(out.diagnostic(m.key_range, String::new()));
        return;
    }
    let key = m.key.as_ref();
    // A key a host could not resolve (a `dynamic` block's unknown
    // iterator) may be any element: nothing to say about it.
    if crate::symbolic::has_unknown(key) {
        return;
    }
    let what = if at == Where::Principal {
        "principal type"
    } else {
        "element"
    };
    let mut message = format!("unknown {what} `{key}` in {place}");
    let mut help = match at {
        Where::TopLevel => "a policy document has only `Version`, `Id` and `Statement`; move statement elements into a statement of `Statement` or delete the key".to_string(),
        Where::Statement => "a statement has only Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource and Condition; delete the key or rename it".to_string(),
        Where::Principal => "write the principals under `AWS` (accounts, users, roles), `Service` (AWS services), `Federated` or `CanonicalUser`".to_string(),
    };
    let mut fix = None;
    if let Some(s) = suggest_element(key, known) {
        let names = if at == Where::Principal {
            "principal types"
        } else {
            "element names"
        };
        if s.case_only {
            message.push_str(&format!(
                ": {names} are case-sensitive, so this is not `{}`, and AWS rejects the policy",
                s.name
            ));
        } else {
            message.push_str(&format!(
                ": this is not `{}` (is it misspelled?), and AWS rejects the policy",
                s.name
            ));
        }
        if ctx
            .tree
            .members(object)
            .iter()
            .any(|other| other.key == s.name)
        {
            help = format!(
                "the object already has `{}`: merge the two or delete `{key}`",
                s.name
            );
        } else {
            help = format!("rename `{key}` to `{}`", s.name);
            let rename = Fix::replace(
                format!("Rename to `{}`", s.name),
                m.key_range,
                json_string(s.name),
            );
            fix = Some(if renaming_widens(ctx, object, m, s.name, at) {
                Fix {
                    title: if at == Where::TopLevel {
                        format!(
                            "Rename to `{}`: what it holds starts to count, and the policy may grant more than it does today; review",
                            s.name
                        )
                    } else {
                        format!(
                            "Rename to `{}`: what the element says starts to count, and the statement may grant more than it does today; review",
                            s.name
                        )
                    },
                    ..rename.unsafe_()
                }
            } else {
                rename
            });
        }
    } else if at == Where::Statement && Operator::parse(key).is_some() {
        message.push_str(": it is a condition operator, and outside `Condition` it is not a condition at all; AWS rejects the policy");
        help = format!(
            "move it into the statement's condition: `\"Condition\": {{\"{key}\": {{ ... }}}}`"
        );
    } else if at == Where::Statement && PRINCIPAL_TYPES.contains(&key) {
        message.push_str(
            ": it is a principal type, which belongs inside `Principal`; AWS rejects the policy",
        );
        help = format!("move it into the principal: `\"Principal\": {{\"{key}\": ...}}`");
    } else {
        message.push_str(": IAM's policy grammar has no such key, so AWS rejects the policy");
    }
    let d = out
        .diagnostic(m.key_range, message)
        .with_help(help)
        .with_fix_opt(fix)
        .at_node(ctx.tree, m.value);
    out.push(d);
}
