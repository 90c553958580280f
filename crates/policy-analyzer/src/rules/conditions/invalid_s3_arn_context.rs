use crate::diagnostic::Severity;
use crate::model::{ConditionValue, OperatorFamily, ValueKind};
use crate::rules::conditions::formats::s3_arn_problem;
use crate::rules::conditions::{
    at_most, code, dead_value_consequence, entries, has_wildcard, Entry,
};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC313",
    name: "invalid-s3-arn-context",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A `kms:EncryptionContext:aws:s3:arn` value that is not an S3 bucket or object ARN",
    docs: r#"## What it does
Reports a value of `kms:EncryptionContext:aws:s3:arn` that is not an S3
object ARN `arn:aws:s3:::<bucket>/<key>` or bucket ARN
`arn:aws:s3:::<bucket>` (partitions `aws`, `aws-cn`, `aws-us-gov`, and the
isolated ones):
- not an ARN at all (a bare bucket name);
- an ARN of another service;
- an ARN with a Region or account (`arn:aws:s3:us-east-1:111122223333:bucket`):
  S3 bucket and object ARNs have neither;
- a bucket name that breaks S3's naming rules (3 to 63 characters; lowercase
  letters, digits, dots and hyphens; starting and ending with a letter or
  digit; not an IP address): the placeholder `bucket_name` from the AWS
  documentation is not a valid bucket name.

Under `StringLike` and the ARN operators, wildcards may stand for any part
(`arn:aws:s3:::my-bucket/*`, `arn:aws:s3:::logs-*`); only literal text is
judged. A bucket name with uppercase letters or underscores is only a warning:
buckets created in US East (N. Virginia) before 1 March 2018 may have such
names. Values with a policy variable or template placeholder are not judged
in that part; wildcards under `StringEquals` are left to
`wildcard-in-non-like-operator`.

## Why it matters
S3 sends the object ARN as the encryption context (or, with S3 Bucket Keys,
the bucket ARN). A value that is not such an ARN never matches: the
statement that lets S3 (and a File Cache or FSx for Lustre data repository
through S3) use the key grants nothing, and reads and writes of the bucket
fail; under a negated operator the value excludes nothing.

## Example
```json
"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:us-east-1:111122223333:my-data-bucket/*"}
```

## Use instead
```json
"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*"}
```

## Fix
No automatic fix: the bucket is the author's.

## Sources
- Amazon S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)": "Amazon S3 uses the object or bucket ARN as the encryption context pair" (`arn:aws:s3:::<bucket>/<key>`, or `arn:aws:s3:::<bucket>` with an S3 Bucket Key) (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html; https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
- Amazon S3 User Guide, "General purpose bucket naming rules" (length, characters, first and last character, IP-address form, `xn--`, `-s3alias`; the pre-2018 US East exception); S3 ARNs name partitions `aws`, `aws-cn`, `aws-us-gov` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
- IAM User Guide, IAM policy validation check reference, "Error – ARN Region not allowed" / "ARN account not allowed": S3 bucket ARNs take no account ID (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- Amazon File Cache User Guide, "Working with server-side encrypted Amazon S3 buckets": the statements use `arn:aws:s3:::bucket_name/*` and `arn:aws:s3:::bucket_name` with the placeholder `bucket_name` (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html).
"#,
    check: Check::Policy(check),
};

/// The values of a `kms:EncryptionContext:aws:s3:arn` entry that are no S3
/// bucket or object ARN, with why and whether only a legacy bucket name
/// could match them; `None` for another key or operator.
fn bad_values<'e>(
    entry: &'e Entry<'_, '_>,
) -> Option<Vec<(&'e ConditionValue<'e>, (String, bool))>> {
    if !entry
        .key_name()
        .eq_ignore_ascii_case("kms:EncryptionContext:aws:s3:arn")
    {
        return None;
    }
    let op = entry.operator()?;
    if !matches!(
        op.base.family(),
        OperatorFamily::String | OperatorFamily::Arn
    ) {
        return None;
    }
    let wildcards = op.base.supports_wildcards();
    Some(
        entry
            .key
            .values
            .iter()
            .filter(|v| v.kind == ValueKind::String)
            .filter(|v| wildcards || !has_wildcard(v.value))
            .filter_map(|v| {
                let view = crate::symbolic::format_view(v.value)?;
                s3_arn_problem(&view, wildcards).map(|p| (v, p))
            })
            .collect(),
    )
}

/// Whether this rule reports every value of a condition entry as one that
/// never matches (a legacy bucket name may).
pub(crate) fn reports_every_value(entry: &Entry<'_, '_>) -> bool {
    bad_values(entry).is_some_and(|bad| {
        !bad.is_empty()
            && bad.len() == entry.key.values.len()
            && bad.iter().all(|(_, (_, legacy))| !legacy)
    })
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(bad) = bad_values(&entry) else {
            continue;
        };
        let all_bad = !bad.is_empty() && bad.len() == entry.key.values.len();
        for (value, (why, legacy)) in bad {
            let mut message = format!(
                "{} is not an S3 bucket or object ARN: {why}",
                code(value.value)
            );
            if legacy {
                message.push_str(" (unless the bucket was created in US East (N. Virginia) before 1 March 2018, when such names were allowed)");
            }
            message.push_str(&format!(
                ", so it never matches the encryption context S3 sends, in {}{}",
                entry.statement.label(),
                dead_value_consequence(&entry, all_bad)
            ));
            let d = out
                .diagnostic(value.range, message)
                .with_help("write `arn:aws:s3:::<bucket>/*` for objects, or `arn:aws:s3:::<bucket>` when the bucket uses S3 Bucket Keys")
                .at_node(ctx.tree, value.node);
            out.push(if legacy {
                at_most(d, Severity::Warning)
            } else {
                d
            });
        }
    }
}
