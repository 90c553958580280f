use crate::diagnostic::Severity;
use crate::eval::PrincipalValue;
use crate::rules::conditions::{absent_consequence, code, entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC318",
    name: "key-absent-for-service-principal",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A condition key about an IAM principal in a statement for service principals, whose requests never carry it",
    docs: r#"## What it does
Reports, in a statement whose principals are all AWS service principals
(`"Service": "cloudtrail.amazonaws.com"`), a condition on a key that
describes an IAM principal: `aws:PrincipalArn`, `aws:PrincipalAccount`,
`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalTag/...`,
`aws:userid`, `aws:username`.

## Why it matters
A service principal is not an IAM principal of any account: the requests it
makes carry none of these keys. A condition such as `"StringEquals":
{"aws:PrincipalOrgID": "o-a1b2c3d4e5"}` on a statement for
`cloudtrail.amazonaws.com` is therefore never true, and the statement never
lets the service use the key; under a negated operator or `...IfExists` it is
always true and restricts nothing. What ties a service's request to your
organization or account are the `aws:Source...` keys: `aws:SourceOrgID`,
`aws:SourceAccount`, `aws:SourceArn`.

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"Service": "cloudtrail.amazonaws.com"},
  "Action": "kms:GenerateDataKey*",
  "Resource": "*",
  "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
}
```

## Use instead
```json
  "Condition": {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}
```

## Fix
No automatic fix: choose the `aws:Source...` key that says what you meant.

## Sources
- IAM User Guide, "AWS global condition context keys": the principal keys describe the IAM principal that makes the request; `aws:SourceAccount`, `aws:SourceArn`, `aws:SourceOrgID` are the keys for a service acting on a resource's behalf (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
- IAM User Guide, IAM policy validation check reference: "Error – Unsupported condition key for service principal", with `aws:PrincipalOrgID` and a service principal as its example (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

/// Keys that describe an IAM principal, and what a service's request has instead.
const PRINCIPAL_KEYS: [(&str, &str); 7] = [
    ("aws:PrincipalArn", "aws:SourceArn"),
    ("aws:PrincipalAccount", "aws:SourceAccount"),
    ("aws:PrincipalOrgID", "aws:SourceOrgID"),
    ("aws:PrincipalOrgPaths", "aws:SourceOrgPaths"),
    ("aws:PrincipalTag/", "aws:SourceArn"),
    ("aws:userid", "aws:SourceArn"),
    ("aws:username", "aws:SourceArn"),
];

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(principal) = &entry.statement.principal else {
            continue;
        };
        let only_services = principal.values().count() > 0
            && principal.values().all(|(kind, text)| {
                matches!(
                    PrincipalValue::parse(kind, text.value),
                    PrincipalValue::Service(_)
                )
            });
        if !only_services {
            continue;
        }
        let key = entry.key_name();
        let Some((_, instead)) = PRINCIPAL_KEYS.iter().find(|(k, _)| {
            if k.ends_with('/') {
                key.len() > k.len()
                    && key
                        .get(..k.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(k))
            } else {
                key.eq_ignore_ascii_case(k)
            }
        }) else {
            continue;
        };
        let d = out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {} describes an IAM principal, but the statement is for service principals, whose requests never carry it, {}",
                    code(key),
                    entry.statement.label(),
                    absent_consequence(&entry)
                ),
            )
            .with_help(format!(
                "to tie the service's requests to your resources, condition on the keys that describe the resource it acts for, here `{instead}`"
            ))
            .at_node(ctx.tree, entry.key.value_node);
        out.push(d);
    }
}
