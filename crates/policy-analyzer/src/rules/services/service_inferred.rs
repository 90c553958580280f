use super::{and_list, label, service_name};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::profile::{
    BucketKeys, Evidence, Origin, Reason, ResourceEvidence, Valued, MAX_VALUES,
};
use crate::services::requests::request_limit;
use crate::services::{ServiceCheck, ServiceId, Verdict};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC401",
    name: "service-inferred",
    pack: Pack::Services,
    severity: Severity::Info,
    fix: FixAvailability::None,
    tags: &[],
    summary: "Which services the service checks ran for, inferred from what, and what they assumed",
    docs: r#"## What it does
Says which services the checks of the services pack ran for when no profile
configures them, and why: the `kms:ViaService` value (of a statement that
allows any of the service's requests), the service-linked role or the service
principal that shows the key serves one of the services policy-check models,
with the values the checks used (region, account, bucket, trail...).

For a key of a CloudFormation template or a Terraform module, it names the
resources that use the key instead (a file system, a trail, a log group, a
bucket that a cache links), at the place each names the key, with the values
the checks used.

For a linked S3 bucket it also says when nothing tells whether the bucket
uses S3 Bucket Keys: the checks then accept either encryption context (the
object ARN or the bucket ARN), and the message says which one the policy
allows, since S3 sends only one of them.

## Why it matters
A service check that runs silently is hard to trust, and one that does not
run looks like a pass. The evidence tells you why a finding about FSx appears
on a key you thought was for something else, and which values to put in a
profile (`policy-check.toml`) when the inference is wrong.

S3 sends the object ARN (`arn:aws:s3:::bucket/key`) as encryption context
without S3 Bucket Keys and the bucket ARN (`arn:aws:s3:::bucket`) with them; a
key policy written for one stops working when the setting changes.

## Example
```json
{
  "Sid": "Allow access through Amazon FSx",
  "Effect": "Allow",
  "Principal": {"AWS": "*"},
  "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
  "Resource": "*",
  "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}
}
```
reports that the key was checked for Amazon FSx in us-east-1 for account
111122223333.

## Use instead
Nothing to change. To check other services or values, configure a profile:
```toml
[[profiles]]
services = ["file-cache", "s3-link"]
region = "us-east-1"
bucket = "amzn-s3-demo-bucket"
bucket-keys = true
```

## Fix
None: this is information.

## Sources
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html (File Cache and SSE-KMS buckets): "If you're using ... S3 bucket keys enabled, set the EncryptionContext to the bucket ARN, not the object ARN".
- https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html: the encryption context is the object ARN without an S3 Bucket Key and the bucket ARN with one.
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html: the `kms:ViaService` values of Amazon FSx (`fsx.<region>.amazonaws.com`), EFS and S3.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    for check in &analysis.checks {
        match &check.profile.reason {
            Reason::Inferred(evidence) => {
                if let Some(first) = evidence.first() {
                    report_inference(ctx, out, check, first, &evidence[1..]);
                }
            }
            Reason::Resources(evidence) => report_resources(ctx, out, check, evidence),
            Reason::Configured => {}
        }
        if check.service().model().switch().is_some() {
            report_bucket_keys_assumption(ctx, out, check);
        }
    }
}

fn report_inference(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    check: &ServiceCheck,
    first: &Evidence,
    more: &[Evidence],
) {
    let service = check.service();
    let same_requests: Vec<&str> = ServiceId::all()
        .filter(|s| *s != service && s.route() == service.route())
        .map(|s| s.model().name.as_str())
        .collect();
    let also = if same_requests.is_empty() {
        String::new()
    } else {
        format!(" ({} make the same requests)", and_list(&same_requests))
    };
    let message = format!(
        "checked the key for {}{also}, inferred from {} in {}",
        service_name(check),
        first.what,
        label(ctx, first.statement)
    );
    let limits = if check.truncated {
        format!(
            " (the policy names more: only the first {MAX_VALUES} regions, buckets, file systems and callers, and {} requests, were checked)",
            request_limit(ctx.policy.statements.len())
        )
    } else {
        String::new()
    };
    let help = format!(
        "the checks used {}{limits}; to check other services or values, configure a profile in policy-check.toml \
         ([[profiles]] with services = [\"{}\"], region, account...)",
        used_values(check),
        service.as_str()
    );
    // Evidence whose text holds a value a template leaves unknown
    // (`dynamodb.${var.region}.amazonaws.com`) is anchored at its statement:
    // the hosts drop findings about such a value, and this one is about the
    // statement's purpose, not the value's form.
    let holds_unknown = |range: TextRange| {
        ctx.text
            .get(range.as_usize())
            .is_some_and(crate::symbolic::has_unknown)
    };
    let range = match ctx.policy.statements.get(first.statement) {
        Some(statement) if holds_unknown(first.range) => statement.anchor(),
        _ => first.range,
    };
    let mut d = out.diagnostic(range, message).with_help(help);
    for e in more.iter().take(3) {
        d = d.with_related(
            e.range,
            format!("also meant for {}: {}", service_name(check), e.what),
        );
    }
    out.push(d);
}

/// Checks that run because resources of the template or module use the key:
/// said once, at the first of them, with the values the checks used.
fn report_resources(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    check: &ServiceCheck,
    evidence: &[ResourceEvidence],
) {
    let Some(first) = evidence.first() else {
        return;
    };
    let users: Vec<&str> = evidence.iter().map(|e| e.what.as_str()).collect();
    let message = format!(
        "checked the key for {}, because {} {} it",
        service_name(check),
        and_list(&users),
        if users.len() == 1 { "uses" } else { "use" }
    );
    let help = format!("the checks used {}", used_values(check));
    let range = ctx
        .policy
        .statement_element
        .map_or(TextRange::empty(0), |e| e.key_range);
    let mut d = out
        .diagnostic(range, message)
        .with_help(help)
        .at_location(&first.at);
    for e in &evidence[1..evidence.len().min(4)] {
        d = d.with_related_at(&e.at, format!("{} uses the key here", e.what));
    }
    out.push(d);
}

/// The region, account, bucket and callers the checks used, in words.
fn used_values(check: &ServiceCheck) -> String {
    let mut values = Vec::new();
    let regions: Vec<String> = check.profile.regions.iter().map(describe).collect();
    values.push(format!("region {}", and_list(&regions)));
    if let Some(account) = &check.profile.account {
        values.push(format!("account {}", describe(account)));
    }
    let model = check.service().model();
    for (name, list) in &check.profile.values {
        if model.parameter(name).is_some_and(|p| p.summary) {
            let described: Vec<String> = list.iter().map(describe).collect();
            values.push(format!(
                "{} {}",
                name.replace('-', " "),
                and_list(&described)
            ));
        }
    }
    if let Some(on) = check.profile.bucket_keys.stated() {
        values.push(format!("S3 Bucket Keys {}", if on { "on" } else { "off" }));
    }
    if model.resources.len() > 1 {
        let kinds: Vec<String> = check
            .profile
            .kinds
            .iter()
            .map(|k| k.replace('-', " "))
            .collect();
        values.push(format!("for the {}", and_list(&kinds)));
    }
    let callers: Vec<String> = check.callers.iter().map(|c| c.describe()).collect();
    values.push(format!("as {}", and_list(&callers)));
    values.join(", ")
}

/// `us-east-1 (from kms:ViaService "...")`, `111122223333 (configured)`.
fn describe(valued: &Valued) -> String {
    match &valued.origin {
        Origin::Representative => format!("{} (representative: nothing says)", valued.value),
        origin => format!("{} ({})", valued.value, origin.describe()),
    }
}

fn report_bucket_keys_assumption(ctx: &Context<'_>, out: &mut Emitter<'_>, check: &ServiceCheck) {
    let BucketKeys::Unknown { presumed } = &check.profile.bucket_keys else {
        return;
    };
    // The setting matters only to a condition on the context it switches
    // (kms:EncryptionContext:aws:s3:arn): with none, either context is
    // allowed alike, and there is nothing to say.
    let model = check.service().model();
    let switched = |name: &str| {
        model
            .context
            .iter()
            .any(|e| e.variant().is_some() && e.key.eq_ignore_ascii_case(name))
    };
    if !crate::rules::conditions::entries(ctx.policy).any(|e| switched(e.key_name())) {
        return;
    }
    // Which of the two contexts the policy allows for the required requests.
    let allowed_with = |on: bool| {
        check
            .outcomes
            .iter()
            .filter(|o| o.need == crate::services::model::Need::Required)
            .all(|o| {
                o.variants
                    .iter()
                    .any(|v| v.bucket_keys == Some(on) && v.verdict >= Verdict::Delegated)
            })
    };
    let (object_ok, bucket_ok) = (allowed_with(false), allowed_with(true));
    let buckets: Vec<&str> = check
        .profile
        .buckets()
        .iter()
        .map(|b| b.value.as_str())
        .collect();
    let bucket = buckets.first().copied().unwrap_or_default();
    let which = match (object_ok, bucket_ok) {
        (true, true) => "the policy allows both".to_string(),
        (true, false) => format!(
            "the policy allows only the object-ARN context (arn:aws:s3:::{bucket}/...), which S3 sends only while Bucket Keys are off"
        ),
        (false, true) => format!(
            "the policy allows only the bucket-ARN context (arn:aws:s3:::{bucket}), which S3 sends only while Bucket Keys are on"
        ),
        (false, false) => "the policy allows neither (see the errors)".to_string(),
    };
    let message = format!(
        "nothing says whether S3 Bucket Keys are on for {}: both the object-ARN and the bucket-ARN encryption contexts were accepted; {which}",
        and_list(&buckets)
    );
    let range = presumed
        .as_ref()
        .map(|(_, e)| e.range)
        .or_else(|| match &check.profile.reason {
            Reason::Inferred(evidence) => evidence.first().map(|e| e.range),
            Reason::Configured | Reason::Resources(_) => None,
        })
        .or_else(|| ctx.policy.statement_element.map(|e| e.key_range))
        .unwrap_or(TextRange::empty(0));
    let help = "say so in the profile (bucket-keys = true or false in policy-check.toml) to check the context S3 really sends: \
                with Bucket Keys on, kms:EncryptionContext:aws:s3:arn must match the bucket ARN; without, the object ARNs (bucket/*)";
    out.push(out.diagnostic(range, message).with_help(help));
}
