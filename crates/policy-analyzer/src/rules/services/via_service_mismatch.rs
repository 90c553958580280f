use super::{
    and_list, label, mismatch_severity, miss_groups, miss_range, origin_in_words, service_name,
    with_consumers, MissGroup,
};
use crate::diagnostic::{Fix, Severity};
use crate::eval::Failure;
use crate::matcher::has_wildcard;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::reading::PolicyReading;

pub(crate) static RULE: Rule = Rule {
    code: "PC406",
    name: "via-service-mismatch",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "kms:ViaService names another service or region than the one the statement's service calls through",
    docs: r#"## What it does
Reports a statement meant for a service (it names the service's role, or its
`kms:ViaService` names the service) whose `kms:ViaService` condition does not
match the requests the service makes: another service (`fsx.` in the statement
for the S3 bucket linked to a File Cache, whose requests come through S3), or
another region than the profile's (for the linked bucket: the bucket's
region). An error when a required request is left without an Allow of its
own; a warning when another statement allows the requests anyway.

## Why it matters
`kms:ViaService` is the name of the service that calls AWS KMS on the
principal's behalf, with the region of the endpoint it calls:
`fsx.<region>.amazonaws.com` for Amazon FSx and File Cache,
`elasticfilesystem.<region>.amazonaws.com` for EFS, and for the S3 bucket of a
File Cache or FSx for Lustre data repository `s3.<bucket-region>.amazonaws.com`
(the cache's role reads and writes objects through S3). Any other value makes
the statement apply to no request of the service.

## Example
```json
{"Sid": "Allow the File Cache S3 role", "Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
 "Resource": "*",
 "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"},
               "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket/*"}}}
```

## Use instead
```json
"kms:ViaService": "s3.us-east-1.amazonaws.com"
```

## Fix
When the condition has one value, the fix replaces it with the value the
service's requests carry (review it: check the region).

## Sources
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html: `fsx.<region>`, `elasticfilesystem.<region>`, `s3.<region>`.amazonaws.com.
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the linked bucket's statement uses `"kms:ViaService": "s3.bucket-region.amazonaws.com"`; https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the bucket's region.
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
        report(ctx, out, &reading, &group);
    }
}

fn report(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    reading: &PolicyReading<'_>,
    group: &MissGroup<'_>,
) {
    let Failure::Condition { values, .. } = &group.miss.failure else {
        return;
    };
    let check = group.check;
    let service = check.service();
    let model = service.model();
    let Some(outcome) = group.outcomes.first() else {
        return;
    };
    let expected = outcome
        .best()
        .request
        .context
        .get("kms:ViaService")
        .map(|v| v.describe())
        .unwrap_or_default();
    let wanted: Vec<&str> = values
        .iter()
        .filter_map(|r| ctx.text.get(r.as_usize()))
        .map(|v| v.trim_matches('"'))
        .collect();
    let wanted_text = wanted.join(", ");
    let expected_name = model.route.name;
    let names_other_service = wanted.iter().all(|w| {
        let name = w.split('.').next().unwrap_or_default();
        !name.eq_ignore_ascii_case(expected_name) && !has_wildcard(name)
    });
    let statement_label = label(ctx, group.miss.statement);
    let purpose = reading
        .statements
        .get(group.miss.statement)
        .and_then(|s| s.purpose_for(service))
        .filter(|p| !values.contains(&p.range))
        .map(|p| format!(" (it names {})", p.what))
        .unwrap_or_default();
    let whose_region = match model.via_service.as_ref().and_then(|v| v.region.as_deref()) {
        Some(parameter) => format!(
            "the {}'s region",
            parameter.trim_end_matches("-region").replace('-', " ")
        ),
        None => "the region of the key and of the resources it serves".to_string(),
    };
    let region_origin = check
        .profile
        .regions
        .iter()
        .find(|r| r.value == outcome.region)
        .map(|r| origin_in_words(ctx, &r.origin))
        .unwrap_or_default();
    let why = if expected.is_empty() {
        format!(
            "{} calls AWS KMS as its service principal, and its requests carry no kms:ViaService",
            service_name(check)
        )
    } else if names_other_service {
        let other: Vec<&str> = wanted
            .iter()
            .map(|w| w.split('.').next().unwrap_or_default())
            .collect();
        format!(
            "the requests of {} come through {expected}, not through {}",
            service_name(check),
            and_list(&other)
        )
    } else {
        format!(
            "the requests carry kms:ViaService {expected}: {whose_region} is {} ({region_origin})",
            outcome.region
        )
    };
    let message = format!(
        "{statement_label} is meant for {}{purpose}, but its kms:ViaService condition wants {wanted_text}; {why}",
        service_name(check)
    );
    let range = miss_range(group.miss);
    let severity = mismatch_severity(&group.outcomes);
    let message = super::with_unused_note(message, severity);
    let help = if expected.is_empty() {
        "remove the kms:ViaService condition from the statement for the service principal"
            .to_string()
    } else {
        format!("use kms:ViaService \"{expected}\"")
    };
    let mut d = out
        .diagnostic(range, message)
        .with_help(help)
        .with_severity(severity);
    if let ([one], false) = (values.as_slice(), expected.is_empty()) {
        if ctx
            .text
            .get(one.as_usize())
            .is_some_and(|t| t.starts_with('"'))
        {
            d = d.with_fix(
                Fix::replace(
                    format!("Use \"{expected}\""),
                    *one,
                    format!("\"{expected}\""),
                )
                .unsafe_(),
            );
        }
    }
    out.push(with_consumers(d, group.check));
}
