use crate::diagnostic::{DiagnosticTag, Severity};
use crate::matcher::has_wildcard;
use crate::rules::actions::{
    action_lists, classify, delete_entry, other_service_policy, policy_kind, ActionClass,
};
use crate::rules::shared::{statements, Findings, MAX_ENTRIES_PER_LIST};
use crate::rules::structure::identity_policy_like;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC203",
    name: "non-kms-action",
    pack: Pack::Actions,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[DiagnosticTag::Unnecessary],
    summary: "An action of another service (`s3:GetObject`, `fsx:CreateGrant`) in a key policy, where it has no effect",
    docs: r#"## What it does
Reports entries of `Action` and `NotAction` that name actions of services
other than KMS, such as `s3:GetObject`, `iam:PassRole` or `fsx:CreateGrant`.
`*` (every action) and `kms:*` are not reported. When every action of the
policy belongs to one other service, the file is that service's resource
policy (an S3 bucket policy checked as a key policy): it is said once, at
`Statement`, and the other rules about its statements stay silent.

## Why it matters
A key policy is the resource policy of one KMS key: it is evaluated only for
requests to KMS on that key, so an action of another service never matches a
request there. `fsx:CreateGrant` in a key policy does not let FSx do anything
(FSx calls KMS with the caller's identity, and the KMS action is
`kms:CreateGrant`), and `s3:GetObject` does not let anyone read a bucket. The
entry usually means the statement was copied from an IAM or bucket policy, or
that the author meant the KMS action of the same name. When every entry is of
another service, the statement has no effect at all.

## Example
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKey", "s3:GetObject", "s3:PutObject"]
```

## Use instead
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKey"]
```
and grant `s3:GetObject` and `s3:PutObject` in the principal's IAM policy or
the bucket policy.

## Fix
The fix deletes the entry (it has no effect, so this is safe). An entry that
is the only one of its list is left to the author.

## Sources
- AWS KMS Developer Guide, "Creating a key policy": a key policy controls access to its KMS key, and `Resource: "*"` in it means this key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- Amazon File Cache User Guide, "Working with server-side encrypted Amazon S3 buckets": the key-policy statements for S3 buckets linked to File Cache list only `kms:` actions; the S3 side of the access is granted elsewhere (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html).
- IAM User Guide, "IAM JSON policy elements: Action": an action is `service-prefix:action-name`, and a policy statement applies to requests to that service (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if identity_policy_like(ctx) {
        return; // an IAM identity policy: missing-element says so once
    }
    // Another service's policy (a bucket policy in a folder of key
    // policies): say so once, at `Statement`, rather than entry by entry.
    if let (Some(service), Some(element)) =
        (other_service_policy(ctx), ctx.policy.statement_element)
    {
        let kind = policy_kind(&service);
        let resources: Vec<&str> = ctx
            .policy
            .statements
            .iter()
            .flat_map(|s| {
                s.resource
                    .iter()
                    .flat_map(|r| r.values.iter().map(|v| v.value))
            })
            .filter(|v| *v != "*")
            .take(2)
            .collect();
        let on = if resources.is_empty() {
            String::new()
        } else {
            format!(
                " on {}",
                resources
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        };
        let d = out
            .diagnostic(
                element.key_range,
                format!(
                    "this is {kind}, not a key policy: every action is of the `{service}` service{on}, and a key policy applies only to KMS actions on its key, so as a key policy none of its statements would have any effect"
                ),
            )
            .with_help(format!(
                "attach it to its `{service}` resource instead, and give the key a key policy of its own (the default statement for the account root, and the `kms:` actions the key's users need); if the file is not meant as a key policy, exclude it from the check"
            ))
            .at_node(ctx.tree, element.value);
        out.push(d);
        return;
    }
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (list, element) in action_lists(st) {
            let classes: Vec<ActionClass> = list
                .values
                .iter()
                .take(MAX_ENTRIES_PER_LIST)
                .map(|v| classify(ctx, v.value))
                .collect();
            let all_foreign = !classes.is_empty()
                && classes
                    .iter()
                    .all(|c| matches!(c, ActionClass::OtherService(_)));
            for (v, class) in list.values.iter().zip(&classes) {
                if out.full() {
                    return;
                }
                let ActionClass::OtherService(service) = class else {
                    continue;
                };
                let label = st.label();
                let message = if element == "NotAction" {
                    format!(
                        "`{}` in `NotAction` of {label} is an action of the `{service}` service: a key policy applies only to KMS actions on this key, so excluding it has no effect",
                        v.value
                    )
                } else if all_foreign {
                    format!(
                        "`{}` in `Action` of {label} is an action of the `{service}` service: a key policy applies only to KMS actions on this key, and with no KMS action in `Action` the statement has no effect",
                        v.value
                    )
                } else {
                    format!(
                        "`{}` in `Action` of {label} is an action of the `{service}` service: a key policy applies only to KMS actions on this key, so this entry has no effect",
                        v.value
                    )
                };
                let help = match kms_counterpart(ctx, v.value) {
                    Some(kms) => format!("for the KMS action of that name write `{kms}`; grant `{}` in an IAM policy or the resource's own policy", v.value),
                    None if all_foreign && element == "Action" => format!("delete the statement from the key policy and grant `{}` in an IAM policy or the resource's own policy", v.value),
                    None => format!("delete it here and grant `{}` in an IAM policy or the resource's own policy", v.value),
                };
                let d = out
                    .diagnostic(v.range, message)
                    .with_help(help)
                    // When every entry is of another service, deleting them one by one
                    // would leave an empty `Action`: the statement itself should go.
                    .with_fix_opt(if all_foreign && element == "Action" {
                        None
                    } else {
                        delete_entry(ctx, list, v, "Delete the entry")
                    })
                    .at_node(ctx.tree, v.node);
                out.push(d);
            }
        }
    }
}

/// `kms:CreateGrant` for `fsx:CreateGrant`: the KMS action with the same name.
fn kms_counterpart(ctx: &Context<'_>, value: &str) -> Option<String> {
    let (_, name) = value.split_once(':')?;
    if has_wildcard(name) {
        return None;
    }
    ctx.catalog
        .action(&format!("kms:{name}"))
        .map(|(_, a)| a.name.clone())
}
