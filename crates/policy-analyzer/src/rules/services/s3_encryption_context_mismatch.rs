use super::{
    failing_key, label, mismatch_severity, miss_groups, miss_range, origin_in_words, service_name,
    with_consumers, with_unused_note, MissGroup,
};
use crate::aws::S3Arn;
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::eval::Failure;
use crate::matcher::has_wildcard;
use crate::model::Operator;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::profile::BucketKeys;
use crate::services::reading::{ConditionText, PolicyReading};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC408",
    name: "s3-encryption-context-mismatch",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "The S3 encryption context (or, for a linked bucket, aws:userid) condition of a bucket's statement does not fit the bucket",
    docs: r#"## What it does
Checks the conditions of the statement for an SSE-KMS S3 bucket against the
requests S3 makes with the key (for a bucket linked to a File Cache or an FSx
for Lustre file system, the requests S3 makes for the cache's service-linked
role), and reports the one that fails:
- `kms:EncryptionContext:aws:s3:arn` names objects (`arn:aws:s3:::bucket/*`)
  while the bucket uses S3 Bucket Keys, so S3 sends the bucket ARN;
- it names the bucket (`arn:aws:s3:::bucket`) while Bucket Keys are off, so
  S3 sends object ARNs;
- it names another bucket than the profile's;
- an object pattern or the `aws:userid` pattern `*:FSx` is under
  `StringEquals`, which compares literally, so the `*` matches only a `*`
  (PC304 `wildcard-in-non-like-operator` reports this; this rule does only
  while PC304 is disabled).

When nothing says whether Bucket Keys are on, either context is accepted and
PC401 reports the assumption. An error when a required request is left
without an Allow of its own; a warning when another statement allows it.

## Why it matters
"By default, Amazon S3 uses the object or bucket ARN as the encryption
context": without an S3 Bucket Key the object ARN, with one the bucket ARN;
policies that use the object ARN "won't work with an S3 Bucket Key". The
statement then applies to none of the cache's imports and exports, and the
cache cannot read or write the bucket.

## Example
With `bucket-keys = true` in the profile:
```json
"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket/*"}
```

## Use instead
```json
"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket"}
```
and, while Bucket Keys are off, the object form `arn:aws:s3:::amzn-s3-demo-bucket/*`.

## Fix
With a stated Bucket Key setting, the fix replaces the value with the form S3
sends; for a pattern under `StringEquals`, it renames the operator to
`StringLike` when the condition has no `StringLike` block yet (review both).

## Sources
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the documented statement uses `StringLike` for `kms:EncryptionContext:aws:s3:arn` (`arn:aws:s3:::bucket_name/*`) and `aws:userid` (`*:FSx`); "If you're using ... S3 bucket keys enabled, set the EncryptionContext to the bucket ARN, not the object ARN".
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html: the object ARN without an S3 Bucket Key, the bucket ARN with one.
- IAM User Guide, condition operators: only `StringLike`/`StringNotLike` and the ARN operators treat `*` and `?` as wildcards (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let groups = miss_groups(ctx, &analysis.checks, &RULE);
    if groups.is_empty() {
        return;
    }
    let reading = PolicyReading::read(ctx.policy);
    for group in groups {
        if let Some(d) = report(ctx, out, &reading, &group) {
            out.push(with_consumers(d, group.check));
        }
    }
}

fn report(
    ctx: &Context<'_>,
    out: &Emitter<'_>,
    reading: &PolicyReading<'_>,
    group: &MissGroup<'_>,
) -> Option<Diagnostic> {
    let Failure::Condition {
        operator: operator_range,
        values,
        reason,
        ..
    } = &group.miss.failure
    else {
        return None;
    };
    let check = group.check;
    let outcome = group.outcomes.first()?;
    let key = failing_key(ctx, group.miss)?;
    let operator_name = ctx.text.get(operator_range.as_usize())?.trim_matches('"');
    let operator = Operator::parse(operator_name);
    let literal = operator.is_some_and(|o| !o.base.supports_wildcards());
    let wanted: Vec<&str> = values
        .iter()
        .filter_map(|r| ctx.text.get(r.as_usize()))
        .map(|v| v.trim_matches('"'))
        .collect();
    let statement_label = label(ctx, group.miss.statement);
    let service = service_name(check);
    let sent = outcome
        .best()
        .request
        .context
        .get(&key)
        .map(|v| v.describe())
        .unwrap_or_default();
    let range = miss_range(group.miss);
    let severity = mismatch_severity(&group.outcomes);
    let statement_reading = reading.statements.get(group.miss.statement)?;

    let (for_whom, the_bucket) = if outcome_caller_is_linked_role(check, outcome) {
        (" for the cache", "the linked bucket")
    } else {
        ("", "the bucket")
    };
    let mut fix = None;
    let what_is_sent = if key.eq_ignore_ascii_case("aws:userid") {
        format!("the role's sessions ({sent})")
    } else {
        format!("the value S3 sends ({sent})")
    };
    let message = if literal && wanted.iter().any(|w| has_wildcard(w)) {
        fix = rename_to_string_like(ctx, group.miss.statement, *operator_range, operator_name);
        format!(
            "{statement_label} (for {service}) compares {key} with {operator_name}, which treats * and ? literally: \
             {} matches only those exact characters, never {what_is_sent}; use StringLike",
            wanted.join(", ")
        )
    } else if key.eq_ignore_ascii_case("kms:EncryptionContext:aws:s3:arn") {
        let bucket = outcome.bucket.clone().unwrap_or_default();
        let context = values.iter().find_map(|r| {
            statement_reading
                .contexts
                .iter()
                .find(|c| c.value.range == *r)
                .and_then(s3_form)
        });
        let stated = check.profile.bucket_keys.stated();
        let stated_by = match &check.profile.bucket_keys {
            BucketKeys::Declared(_, e) => format!("as {} declares", e.what),
            _ => "configured".to_string(),
        };
        match (context, stated) {
            (Some((_, Some(named))), _) if named != bucket => {
                let origin = bucket_origin(ctx, check, &bucket);
                format!(
                    "{statement_label} (for {service}) wants the encryption context of bucket {named}, \
                     but {the_bucket} is {bucket} ({origin}), so S3 sends {sent}"
                )
            }
            (Some((S3Form::Object, _)), Some(true)) => {
                fix = replace_value(values, &format!("arn:aws:s3:::{bucket}"));
                format!(
                    "{statement_label} (for {service}) wants object ARNs ({}) in kms:EncryptionContext:aws:s3:arn, \
                     but S3 Bucket Keys are on for {bucket} ({stated_by}), so S3 sends the bucket ARN {sent}",
                    wanted.join(", ")
                )
            }
            (Some((S3Form::Bucket, _)), Some(false)) => {
                if operator.is_some_and(|o| o.base.supports_wildcards()) {
                    fix = replace_value(values, &format!("arn:aws:s3:::{bucket}/*"));
                }
                format!(
                    "{statement_label} (for {service}) wants the bucket ARN ({}) in kms:EncryptionContext:aws:s3:arn, \
                     but S3 Bucket Keys are off for {bucket} ({stated_by}), so S3 sends object ARNs such as {sent}",
                    wanted.join(", ")
                )
            }
            _ => format!("{statement_label} (for {service}) does not apply to the requests S3 makes{for_whom}: {reason}"),
        }
    } else {
        format!("{statement_label} (for {service}) does not apply to the requests S3 makes{for_whom}: {reason}")
    };
    let help = if key.eq_ignore_ascii_case("aws:userid") {
        "match the role's sessions with \"StringLike\": {\"aws:userid\": \"*:FSx\"}".to_string()
    } else {
        let bucket = outcome.bucket.clone().unwrap_or_default();
        format!(
            "with StringLike, use arn:aws:s3:::{bucket}/* while S3 Bucket Keys are off and arn:aws:s3:::{bucket} while they are on"
        )
    };
    let message = with_unused_note(message, severity);
    Some(
        out.diagnostic(range, message)
            .with_help(help)
            .with_severity(severity)
            .with_fix_opt(fix),
    )
}

/// The forms of an S3 ARN in the encryption context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum S3Form {
    /// `arn:aws:s3:::bucket/...`: objects, which S3 sends without Bucket Keys.
    Object,
    /// `arn:aws:s3:::bucket`: the bucket, which S3 sends with Bucket Keys.
    Bucket,
    /// `arn:aws:s3:::bucket*` and other patterns that may match both.
    Pattern,
}

/// The form of an S3 ARN condition value, with its bucket when concrete.
fn s3_form<'t>(condition: &ConditionText<'t>) -> Option<(S3Form, Option<&'t str>)> {
    let wildcards = condition.operator_matches_wildcards();
    let concrete = |s: &str| !s.is_empty() && (!wildcards || !has_wildcard(s));
    Some(match S3Arn::parse(condition.value.value)? {
        S3Arn::Object { bucket, .. } => (S3Form::Object, concrete(bucket).then_some(bucket)),
        S3Arn::Bucket(bucket) if concrete(bucket) => (S3Form::Bucket, Some(bucket)),
        S3Arn::Bucket(_) => (S3Form::Pattern, None),
    })
}

/// Whether the requests' caller is the service-linked role of a linked cache.
fn outcome_caller_is_linked_role(
    check: &crate::services::ServiceCheck,
    outcome: &crate::services::RequestOutcome,
) -> bool {
    check.callers[outcome.caller].linked_role
}

/// Where the linked bucket's name comes from.
fn bucket_origin(ctx: &Context<'_>, check: &crate::services::ServiceCheck, bucket: &str) -> String {
    match check
        .profile
        .buckets()
        .iter()
        .find(|b| b.value == bucket)
        .map(|b| &b.origin)
    {
        Some(origin) => origin_in_words(ctx, origin),
        None => "representative".to_string(),
    }
}

fn replace_value(values: &[TextRange], replacement: &str) -> Option<Fix> {
    match values {
        [one] => Some(
            Fix::replace(
                format!("Use \"{replacement}\""),
                *one,
                format!("\"{replacement}\""),
            )
            .unsafe_(),
        ),
        _ => None,
    }
}

/// `StringEquals` → `StringLike`, when the condition has no `StringLike`
/// block the rename would duplicate.
fn rename_to_string_like(
    ctx: &Context<'_>,
    statement: usize,
    range: TextRange,
    name: &str,
) -> Option<Fix> {
    if name != "StringEquals" {
        return None;
    }
    let condition = ctx.policy.statements.get(statement)?.condition.as_ref()?;
    if condition
        .operators
        .iter()
        .any(|op| op.name.value == "StringLike")
    {
        return None;
    }
    Some(Fix::replace("Use StringLike", range, "\"StringLike\"").unsafe_())
}
