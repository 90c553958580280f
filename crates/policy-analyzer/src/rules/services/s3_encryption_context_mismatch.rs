use super::{
    failing_key, label, mismatch_severity, miss_groups, miss_range, origin_in_words, service_name,
    with_consumers, with_unused_note, MissGroup,
};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::eval::Failure;
use crate::matcher::has_wildcard;
use crate::model::Operator;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::profile::BucketKeys;
use crate::services::reading::{PolicyReading, S3ArnForm};
use crate::services::Cause;
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC408",
    name: "s3-encryption-context-mismatch",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "The S3 encryption context or aws:userid condition of a linked bucket's statement does not fit the bucket",
    docs: r#"## What it does
Checks the conditions of the statement for the S3 bucket linked to a File
Cache or an FSx for Lustre file system against the requests S3 makes for the
cache's service-linked role, and reports the one that fails:
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
- `seeds/003_a7c6a4a498b59cae.txt`: the documented statement uses `StringLike` for `kms:EncryptionContext:aws:s3:arn` (`arn:aws:s3:::bucket_name/*`) and `aws:userid` (`*:FSx`); "If you're using ... S3 bucket keys enabled, set the EncryptionContext to the bucket ARN, not the object ARN".
- kms-facts §5 [S13 bucket-key.md, UsingKMSEncryption.md]: the object ARN without an S3 Bucket Key, the bucket ARN with one.
- DESIGN.md "Semantics that must be exact": only `StringLike`/`StringNotLike` and the ARN operators treat `*` and `?` as wildcards.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let groups = miss_groups(&analysis.checks, Cause::S3Context);
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
                .s3_contexts
                .iter()
                .find(|c| c.text.value.range == *r)
        });
        let stated = check.profile.bucket_keys.stated();
        let stated_by = match &check.profile.bucket_keys {
            BucketKeys::Declared(_, e) => format!("as {} declares", e.what),
            _ => "configured".to_string(),
        };
        match (context.map(|c| (c.form, c.bucket)), stated) {
            (Some((_, Some(named))), _) if named != bucket => {
                let origin = bucket_origin(ctx, check, &bucket);
                format!(
                    "{statement_label} (for {service}) wants the encryption context of bucket {named}, \
                     but the linked bucket is {bucket} ({origin}), so S3 sends {sent}"
                )
            }
            (Some((S3ArnForm::Object, _)), Some(true)) => {
                fix = replace_value(values, &format!("arn:aws:s3:::{bucket}"));
                format!(
                    "{statement_label} (for {service}) wants object ARNs ({}) in kms:EncryptionContext:aws:s3:arn, \
                     but S3 Bucket Keys are on for {bucket} ({stated_by}), so S3 sends the bucket ARN {sent}",
                    wanted.join(", ")
                )
            }
            (Some((S3ArnForm::Bucket, _)), Some(false)) => {
                if operator.is_some_and(|o| o.base.supports_wildcards()) {
                    fix = replace_value(values, &format!("arn:aws:s3:::{bucket}/*"));
                }
                format!(
                    "{statement_label} (for {service}) wants the bucket ARN ({}) in kms:EncryptionContext:aws:s3:arn, \
                     but S3 Bucket Keys are off for {bucket} ({stated_by}), so S3 sends object ARNs such as {sent}",
                    wanted.join(", ")
                )
            }
            _ => format!("{statement_label} (for {service}) does not apply to the requests S3 makes for the cache: {reason}"),
        }
    } else {
        format!("{statement_label} (for {service}) does not apply to the requests S3 makes for the cache: {reason}")
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

/// Where the linked bucket's name comes from.
fn bucket_origin(ctx: &Context<'_>, check: &crate::services::ServiceCheck, bucket: &str) -> String {
    match check
        .profile
        .buckets
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
