use crate::diagnostic::{Fix, Severity};
use crate::rules::conditions::at_most;
use crate::rules::edits::insert_last_member;
use crate::rules::shared::{statements, Findings, Label};
use crate::rules::structure::{
    identity_policy_like, policy_like, suggest_element, STATEMENT_ELEMENTS, TOP_LEVEL_ELEMENTS,
};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::{NodeId, Tree};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC101",
    name: "missing-element",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary:
        "The policy has no Statement, or a statement lacks Effect, Action, Principal or Resource",
    docs: r#"## What it does
Reports a policy without `Statement`, and a statement without one of the
elements a key-policy statement needs: `Effect`, `Action` (or `NotAction`),
`Principal` (or `NotPrincipal`) and `Resource` (or `NotResource`).

An element that is only misspelled (`"effect"`, `"Actions"`) is reported by
`unknown-element` instead, and an empty statement `{}` by `empty-element`.
When no statement has a principal, the document is most likely an IAM
identity policy: that is said once, at `Statement`, instead of once per
statement.

## Why it matters
- Without `Statement`, or with a statement that lacks `Effect` or `Principal`,
  KMS rejects the key policy (`MalformedPolicyDocumentException`): every
  key-policy statement must name one or more principals.
- Without `Action` or `Resource` the policy is accepted, but the statement has
  no effect: it allows or denies nothing. Only the KMS console reports the
  error; `CreateKey` and `PutKeyPolicy` succeed silently, so the mistake
  reaches production through the API, CloudFormation or Terraform.

## Example
```json
{
  "Sid": "Allow use of the key",
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
  "Action": ["kms:Decrypt", "kms:DescribeKey"]
}
```

## Use instead
```json
{
  "Sid": "Allow use of the key",
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
  "Action": ["kms:Decrypt", "kms:DescribeKey"],
  "Resource": "*"
}
```

## Fix
For a missing `Resource` the fix adds `"Resource": "*"`, which in a key policy
means this KMS key. It is marked for review because it makes a statement
that had no effect take effect. For the other elements only the author knows
the value: add it by hand.

## Sources
- AWS KMS Developer Guide, "Creating a key policy" ("Elements in a key policy"): `Version` and `Statement` are required, a key policy has at least one statement, and `Effect`, `Principal`, `Action` and `Resource` are required in each statement (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- AWS KMS API Reference, PutKeyPolicy and CreateKey, `Policy` parameter: "Each statement in the key policy must contain one or more principals"; "If either of the required Resource or Action elements are missing from a key policy statement, the policy statement has no effect … the PutKeyPolicy API request succeeds" (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html, https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html).
- IAM User Guide, "Grammar of the IAM JSON policy language": a statement has an `effect_block`, an `action_block` (`Action` or `NotAction`) and a `resource_block` (`Resource` or `NotResource`) (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
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
    if ctx.policy.lone_statement {
        // The shape the AWS guides show a statement in: it is checked as a
        // statement, and said once what it lacks to be a key policy.
        let at = ctx.tree.range(root).start as usize;
        let d = out
            .diagnostic(
                TextRange::new(at, at + 1),
                "this file holds a single statement, not a key policy: it is checked as one statement of a key policy, and the checks of a whole policy (who can manage the key, the services it serves) do not run; as a key policy it needs `{\"Version\": \"2012-10-17\", \"Statement\": [ ... ]}` around it",
            )
            .with_help("to check it as a key policy, put it in a `Statement` array with the policy's other statements")
            .at_node(ctx.tree, root);
        out.push(at_most(d, Severity::Info));
    } else if ctx.policy.statement_element.is_none()
        && !near_miss(ctx.tree, root, TOP_LEVEL_ELEMENTS, &["Statement"])
    {
        let at = ctx.tree.range(root).start as usize;
        let d = out
            .diagnostic(
                TextRange::new(at, at + 1),
                "the policy has no `Statement`: a key policy needs at least one statement, and KMS rejects a policy without one",
            )
            .with_help("add `\"Statement\": [ ... ]` with at least one statement that has Effect, Principal, Action and Resource")
            .at_node(ctx.tree, root);
        out.push(d);
    }

    let identity_policy = identity_policy_like(ctx);
    if identity_policy {
        if let Some(element) = &ctx.policy.statement_element {
            let d = out
                .diagnostic(
                    element.key_range,
                    "no statement has a `Principal`: this looks like an IAM identity policy, which is attached to a user or role; every statement of a key policy must name its principals, and KMS rejects the policy without them",
                )
                .with_help("to use this as a key policy, add to each statement the principals it is for, for example `\"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/ExampleRole\"}`; an identity policy belongs on the user or role instead")
                .at_node(ctx.tree, element.value);
            out.push(d);
        }
    }
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        if ctx.tree.members(st.node).is_empty() {
            continue; // `{}`: empty-element reports it once.
        }
        let near = |names: &[&str]| near_miss(ctx.tree, st.node, STATEMENT_ELEMENTS, names);
        let label = Label(st);
        let anchor = st.anchor();

        if st.effect_element.is_none() && !near(&["Effect"]) {
            let d = out
                .diagnostic(
                    anchor,
                    format!("{label} has no `Effect`: every statement must say whether it allows or denies, and KMS rejects the policy without it"),
                )
                .with_help("add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`")
                .at_node(ctx.tree, st.node);
            out.push(d);
        }
        if st.principal.is_none()
            && st.not_principal.is_none()
            && !identity_policy
            && !near(&["Principal", "NotPrincipal"])
        {
            let d = out
                .diagnostic(
                    anchor,
                    format!("{label} has no `Principal`: every statement of a key policy must name its principals, and KMS rejects the policy without one"),
                )
                .with_help("add the principals this statement is for, for example `\"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}`")
                .at_node(ctx.tree, st.node);
            out.push(d);
        }
        if st.action.is_none() && st.not_action.is_none() && !near(&["Action", "NotAction"]) {
            let d = out
                .diagnostic(
                    anchor,
                    format!("{label} has no `Action`: KMS accepts the policy, but a key-policy statement without `Action` or `NotAction` has no effect, so this statement allows or denies nothing"),
                )
                .with_help("add `\"Action\"` with the KMS actions the statement is about, for example `[\"kms:Decrypt\", \"kms:DescribeKey\"]`")
                .at_node(ctx.tree, st.node);
            out.push(d);
        }
        if st.resource.is_none() && st.not_resource.is_none() && !near(&["Resource", "NotResource"])
        {
            let fix =
                insert_last_member(ctx.tree, ctx.text, st.node, "Resource", "\"*\"").map(|edit| {
                    Fix::replace(
                        "Add `\"Resource\": \"*\"` (this key)",
                        edit.range,
                        edit.replacement,
                    )
                    .unsafe_()
                });
            let d = out
                .diagnostic(
                    anchor,
                    format!("{label} has no `Resource`: KMS accepts the policy (only the console reports the error), but a key-policy statement without `Resource` has no effect, so this statement allows or denies nothing"),
                )
                .with_help("add `\"Resource\": \"*\"`, which in a key policy means this KMS key")
                .with_fix_opt(fix)
                .at_node(ctx.tree, st.node);
            out.push(d);
        }
    }
}

/// Whether `object` has a key that is not one of `known` but misspells one of `names`
/// (then `unknown-element` reports it, with the fix).
fn near_miss(tree: &Tree<'_>, object: NodeId, known: &[&'static str], names: &[&str]) -> bool {
    tree.members(object).iter().any(|m| {
        !known.contains(&m.key.as_ref())
            && suggest_element(&m.key, known).is_some_and(|s| names.contains(&s.name))
    })
}
