use crate::diagnostic::Severity;
use crate::model::{OperatorFamily, ValueKind};
use crate::rules::conditions::formats::via_service_problem;
use crate::rules::conditions::{
    code, dead_value_consequence, entries, has_placeholder, has_wildcard,
};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC312",
    name: "invalid-via-service",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A `kms:ViaService` value not of the form `<service>.<region>.amazonaws.com`",
    docs: r#"## What it does
Reports a value of `kms:ViaService` that is not of the form
`<service>.<region>.amazonaws.com`:
- a documentation placeholder in the Region place
  (`s3.bucket-region.amazonaws.com`, `logs.region.amazonaws.com`);
- a service principal name without a Region (`fsx.amazonaws.com`);
- another suffix (`.amazonaws.com.cn`): KMS uses `.amazonaws.com` in every
  partition;
- uppercase letters, or more parts than a service and a Region
  (`s3.data-source.lustre.fsx.amazonaws.com` is a service-linked role's
  service name, not a ViaService value).

Region names are checked by shape (`us-east-1`, `eu-central-2`,
`us-gov-west-1`, `cn-north-1`), not against a list, so new Regions pass.
Under `StringLike`/`StringNotLike` wildcards may stand for any part
(`dynamodb.*.amazonaws.com` is documented); only literal parts are judged.
Service names are not checked against a list: the set of services that call
KMS grows, and an unknown service is not an error. Values with a policy
variable or template placeholder are not judged; wildcards under
`StringEquals` are left to `wildcard-in-non-like-operator`.

## Why it matters
`kms:ViaService` carries the endpoint name of the AWS service that made the
request on the principal's behalf, always `<service>.<region>.amazonaws.com`.
A value of another form never matches: the Allow statement grants nothing
and the service is denied (for an S3 bucket linked to a File Cache or FSx for
Lustre file system, the data repository cannot read or write); in a Deny with
`StringNotEquals` the value excludes nothing.

## Example
```json
"StringEquals": {"kms:ViaService": "s3.bucket-region.amazonaws.com"}
```

## Use instead
```json
"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
```

## Fix
No automatic fix: the Region is the one of the resource that uses the key
(for S3, the bucket's Region).

## Sources
- AWS KMS Developer Guide, "AWS KMS condition keys", `kms:ViaService`: values `<service>.<region>.amazonaws.com`; "Use the .amazonaws.com suffix of the AWS KMS ViaService name in all AWS partitions" (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
- IAM User Guide, IAM policy validation check reference: "the kms:ViaService condition key requires the following format for service principals: service-name.AWS_region.amazonaws.com" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- Amazon DynamoDB Developer Guide: `StringLike` `kms:ViaService` `dynamodb.*.amazonaws.com` (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html).
- Amazon File Cache User Guide, "Working with server-side encrypted Amazon S3 buckets": the statements use the placeholder `s3.bucket-region.amazonaws.com` (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html).
"#,
    check: Check::Policy(check),
};

/// The service part of a value, for the example in the help (`s3` when
/// the value has none that reads as a service name).
fn service_of(value: &str) -> &str {
    let first = value.split('.').next().unwrap_or_default();
    if !first.is_empty()
        && first
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        first
    } else {
        "s3"
    }
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        if !entry.key_name().eq_ignore_ascii_case("kms:ViaService") {
            continue;
        }
        let Some(op) = entry.operator() else { continue };
        if op.base.family() != OperatorFamily::String {
            continue;
        }
        let wildcards = op.base.supports_wildcards();
        let bad: Vec<_> = entry
            .key
            .values
            .iter()
            .filter(|v| v.kind == ValueKind::String && !has_placeholder(v.value))
            .filter(|v| wildcards || !has_wildcard(v.value))
            .filter_map(|v| {
                let view = crate::symbolic::format_view(v.value)?;
                let value = if op.base.ignores_case() {
                    view.to_ascii_lowercase()
                } else {
                    view.into_owned()
                };
                via_service_problem(&value, wildcards).map(|p| (v, p))
            })
            .collect();
        let all_bad = !bad.is_empty() && bad.len() == entry.key.values.len();
        for (value, why) in bad {
            let d = out
                .diagnostic(
                    value.range,
                    format!(
                        "{} is not a `kms:ViaService` value (`<service>.<region>.amazonaws.com`): {why}, so it never matches in {}{}",
                        code(value.value),
                        entry.statement.label(),
                        dead_value_consequence(&entry, all_bad)
                    ),
                )
                .with_help(format!(
                    "write the endpoint of the service that calls KMS in the Region of the resource it serves (for S3, the bucket's Region), such as `{}.us-east-1.amazonaws.com`",
                    service_of(value.value)
                ))
                .at_node(ctx.tree, value.node);
            out.push(d);
        }
    }
}
