use crate::catalog::{catalog, distance};
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::rules::conditions::{absent_consequence, at_most, code, entries, fix, Entry};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC302",
    name: "unknown-condition-key",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A condition key that KMS requests never carry",
    docs: r#"## What it does
Reports a condition key that is not in the KMS catalogue: not a KMS key
(`kms:CallerAccount`, `kms:ViaService`, `kms:EncryptionContext:<context-key>`,
...), not a global key (`aws:SourceArn`, `aws:PrincipalOrgID`, ...) and not
one of the few keys of other services that the catalogue lists as global.
It suggests the key that was probably meant (`kms:CallerAcount` →
`kms:CallerAccount`, `kms:ViaSevice` → `kms:ViaService`).

Keys of other services (`s3:x-amz-acl`, `ec2:Vpc`, `secretsmanager:...`) are
reported too: AWS KMS builds the request context of its own API calls, and
other services' keys are never in it, even when that service calls KMS.

For `kms:EncryptionContext:<context-key>` the context key is free-form, but
context keys that start with `aws:` are the ones AWS services set. A context
key that is a near miss of one of those (`aws:s3:arm` for `aws:s3:arn`) is
reported as a warning; any other context key, including custom `aws:...`
ones that are not close to a known one, is left alone.

A known key written with other letter case (`aws:sourcearn`) is only a hint:
condition key names are case-insensitive.

## Why it matters
A key that is not in the request is absent, and IAM evaluates a condition on
an absent key as false (negated operators: true). So under `StringEquals` an
unknown key makes the statement never apply: an Allow grants nothing, and a
Deny that was meant to protect the key denies nothing. Under a negated
operator the condition is always true and restricts nothing.

## Example
```json
"Condition": {
  "StringEquals": {"kms:CallerAcount": "111122223333"}
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {"kms:CallerAccount": "111122223333"}
}
```

## Fix
When one key is clearly meant, the fix writes it (unsafe: the statement
starts to apply, so review it). The letter-case hint has a safe fix to the
catalogue's spelling.

## Sources
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service": the KMS condition keys (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html); IAM User Guide, "AWS global condition context keys": the global keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
- IAM User Guide, "IAM JSON policy elements: Condition operators": "If the key that you specify in a policy condition is not present in the request context, the values do not match and the condition is false" (negated operators: true) (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference: "Condition key names are not case-sensitive" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- Encryption context keys set by AWS services: `aws:s3:arn` (Amazon S3 User Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html; Amazon File Cache User Guide, https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html), `aws:logs:arn` (CloudWatch Logs User Guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html), `aws:cloudtrail:arn` (CloudTrail User Guide, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html), `aws:ebs:id` (AWS KMS Developer Guide, "How Amazon Elastic Block Store (Amazon EBS) uses AWS KMS", https://docs.aws.amazon.com/kms/latest/developerguide/services-ebs.html), `aws:rds:db-id` (RDS User Guide, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html), `aws:dynamodb:tableName` and `aws:dynamodb:subscriberId` (DynamoDB Developer Guide, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html). `aws:sqs:arn` and `aws:sns:topicArn` are used in public key policies but were not confirmed in the AWS documentation read; they are known here only so that they are never mistaken for near misses.
"#,
    check: Check::Policy(check),
};

/// The encryption-context keys AWS services set (see the Sources).
const AWS_CONTEXT_KEYS: &[&str] = &[
    "aws:s3:arn",
    "aws:logs:arn",
    "aws:cloudtrail:arn",
    "aws:ebs:id",
    "aws:rds:db-id",
    "aws:dynamodb:tableName",
    "aws:dynamodb:subscriberId",
    "aws:sqs:arn",
    "aws:sns:topicArn",
];

const CONTEXT_PREFIX: &str = "kms:encryptioncontext:";

/// How many edits still make a near miss of `known`.
fn tolerance(known: &str) -> usize {
    if known.chars().count() >= 6 {
        2
    } else {
        1
    }
}

/// The known AWS context key a context key (`aws:s3:arm`) nearly spells, if
/// exactly one is close: the service part matches and the name is a typo
/// away, or the name matches and the service part (not itself a known
/// service) is a typo away.
pub(crate) fn near_aws_context_key(context_key: &str) -> Option<&'static str> {
    let lower = context_key.to_ascii_lowercase();
    let rest = lower.strip_prefix("aws:")?;
    if AWS_CONTEXT_KEYS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(context_key))
    {
        return None;
    }
    let (service, name) = rest.split_once(':').unwrap_or((rest, ""));
    let service_known = AWS_CONTEXT_KEYS.iter().any(|k| {
        k[4..]
            .split(':')
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case(service))
    });
    let mut found: Vec<&'static str> = Vec::new();
    for known in AWS_CONTEXT_KEYS {
        let (k_service, k_name) = known[4..].split_once(':').unwrap_or((&known[4..], ""));
        let k_service = k_service.to_ascii_lowercase();
        let k_name = k_name.to_ascii_lowercase();
        let near = if service == k_service {
            let d = distance(name, &k_name);
            d > 0 && d <= tolerance(&k_name)
        } else if !service_known {
            let ds = distance(service, &k_service);
            let dn = distance(name, &k_name);
            ds > 0
                && ds <= tolerance(&k_service).min(if k_service.len() <= 4 { 1 } else { 2 })
                && dn == 0
        } else {
            false
        };
        if near {
            found.push(known);
        }
    }
    match found.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// A typo fix for an unknown `kms:`/`aws:` key, or for a key with no service
/// prefix (`CallerAccount`).
fn suggestion(name: &str) -> Option<String> {
    let c = catalog();
    if let Some(s) = c.suggest_condition_key(name) {
        return Some(s);
    }
    if !name.contains(':') {
        for prefix in ["kms:", "aws:"] {
            let candidate = format!("{prefix}{name}");
            if let Some(k) = c.condition_key(&candidate) {
                return Some(if k.info.prefix.is_some() {
                    candidate
                } else {
                    k.info.name.clone()
                });
            }
        }
    }
    None
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        if entry.op_name().eq_ignore_ascii_case("Condition") {
            continue; // a nested Condition element: unknown-operator reports it
        }
        let name = entry.key_name();
        let label = entry.statement.label();
        match entry.key_info() {
            Some(found) => {
                if found.info.prefix.as_deref() == Some(CONTEXT_PREFIX) {
                    check_context_key(ctx, out, &entry);
                }
                // Two spellings of one key under one operator:
                // duplicate-condition-key-case reports them together.
                let spelled_twice = entry
                    .op
                    .keys
                    .iter()
                    .any(|k| k.key.value != name && k.key.value.eq_ignore_ascii_case(name));
                if found.case_differs && !spelled_twice {
                    let canonical = match &found.info.prefix {
                        None => found.info.name.clone(),
                        Some(p) => format!("{}{}", &found.info.name[..p.len()], &name[p.len()..]),
                    };
                    if canonical == name {
                        continue;
                    }
                    let edit = fix::string_edit(ctx, entry.key.key.range, name, &canonical);
                    let fix = Fix {
                        title: format!("Write `{canonical}`"),
                        applicability: Applicability::Safe,
                        edits: vec![edit],
                    };
                    let d = out
                        .diagnostic(
                            entry.key.key.range,
                            format!(
                                "{} in {label} is the catalogue's `{canonical}` with other letter case; condition key names are case-insensitive, so it works",
                                code(name)
                            ),
                        )
                        .with_help(format!("write `{canonical}` for consistency"))
                        .with_fix_opt(Some(fix))
                        .at_node(ctx.tree, entry.key.value_node);
                    out.push(at_most(d, Severity::Hint));
                }
            }
            None => report_unknown(ctx, out, &entry),
        }
    }
}

fn report_unknown(ctx: &Context<'_>, out: &mut Emitter<'_>, entry: &Entry<'_, '_>) {
    if out.is_full() {
        // Only counted: spare the search for what was meant.
        out.push(out.diagnostic(entry.key.key.range, String::new()));
        return;
    }
    let name = entry.key_name();
    let label = entry.statement.label();
    let consequence = absent_consequence(entry);
    let lower = name.to_ascii_lowercase();
    if lower == CONTEXT_PREFIX || lower == "kms:encryptioncontext" {
        let d = out
            .diagnostic(
                entry.key.key.range,
                format!("{} in {label} names no encryption context key", code(name)),
            )
            .with_help("write the context key after the prefix, as in `kms:EncryptionContext:aws:s3:arn`, or use `kms:EncryptionContextKeys` to test which keys are present")
            .at_node(ctx.tree, entry.key.value_node);
        out.push(d);
        return;
    }
    // `aws:PrincipalTag` (or `aws:PrincipalTag/`) without a tag key: the
    // key is `aws:PrincipalTag/<tag-key>`, and no spelling fix finds the
    // tag key that was meant (Access Analyzer's "Missing tag key in
    // condition").
    let tag_key = ["aws:principaltag", "aws:resourcetag", "aws:requesttag"]
        .into_iter()
        .find(|t| lower.trim_end_matches('/') == *t);
    if tag_key.is_some() {
        let written = name.trim_end_matches('/');
        let d = out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {label} names no tag (the key is `{written}/<tag-key>`, one key per tag): KMS requests never carry it as written, {consequence}",
                    code(name)
                ),
            )
            .with_help(format!("write the tag's key after the slash, as in `{written}/team`"))
            .at_node(ctx.tree, entry.key.value_node);
        out.push(d);
        return;
    }
    let service = name.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    let typo = suggestion(name).filter(|s| {
        // Another service's key is only a typo when the prefix itself is a near miss.
        matches!(service.as_deref(), Some("kms") | Some("aws") | None)
            || distance(&lower, &s.to_ascii_lowercase()) <= 2
    });
    let mut d = match (&typo, service.as_deref()) {
        (Some(s), _) => out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {label} is not a condition key of AWS KMS or a global key; did you mean `{s}`? KMS requests never carry the key as written, {consequence}",
                    code(name)
                ),
            )
            .with_help(format!("write `{s}`"))
            .with_fix_opt(Some(Fix {
                    title: format!("Replace with `{s}`"),
                    applicability: Applicability::Unsafe,
                    edits: vec![fix::string_edit(ctx, entry.key.key.range, name, s)],
                })),
        (None, Some(svc)) if svc != "kms" && svc != "aws" => out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {label} is a condition key of the `{svc}` service; the request context of an AWS KMS call never carries it (even when `{svc}` calls KMS for you), {consequence}",
                    code(name)
                ),
            )
            .with_help("use the KMS keys that describe such calls instead, such as `kms:ViaService` for the calling service and `kms:EncryptionContext:<context-key>` for the resource, or move this condition to a policy of that service"),
        (None, None) => out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {label} is not a condition key: keys are written `service:name`, such as `kms:CallerAccount`; KMS requests never carry it, {consequence}",
                    code(name)
                ),
            )
            .with_help("write the full key name with its service prefix"),
        (None, Some(_)) => out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {label} is not a condition key of AWS KMS or a global key; KMS requests never carry it, {consequence}",
                    code(name)
                ),
            )
            .with_help("use a key from the AWS KMS condition keys or the global condition keys"),
    };
    d = d.at_node(ctx.tree, entry.key.value_node);
    out.push(d);
}

fn check_context_key(ctx: &Context<'_>, out: &mut Emitter<'_>, entry: &Entry<'_, '_>) {
    let name = entry.key_name();
    let context_key = &name[CONTEXT_PREFIX.len()..];
    let Some(known) = near_aws_context_key(context_key) else {
        return;
    };
    let label = entry.statement.label();
    let fixed = format!("{}{known}", &name[..CONTEXT_PREFIX.len()]);
    let consequence = absent_consequence(entry);
    let d = out
        .diagnostic(
            entry.key.key.range,
            format!(
                "encryption context key `{context_key}` in {label} is not one that AWS services set; did you mean `{known}`? The service sends `{known}`, so requests never carry `{name}`, {consequence}"
            ),
        )
        .with_help(format!("write `{fixed}`"))
        .with_fix_opt(Some(Fix {
                title: format!("Replace with `{fixed}`"),
                applicability: Applicability::Unsafe,
                edits: vec![fix::string_edit(ctx, entry.key.key.range, name, &fixed)],
            }))
        .at_node(ctx.tree, entry.key.value_node);
    out.push(at_most(d, Severity::Warning));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_of_aws_context_keys() {
        assert_eq!(near_aws_context_key("aws:s3:arm"), Some("aws:s3:arn"));
        assert_eq!(near_aws_context_key("aws:logs:arm"), Some("aws:logs:arn"));
        assert_eq!(
            near_aws_context_key("aws:cloudtrial:arn"),
            Some("aws:cloudtrail:arn")
        );
        assert_eq!(
            near_aws_context_key("aws:dynamodb:tableNmae"),
            Some("aws:dynamodb:tableName")
        );
        assert_eq!(near_aws_context_key("aws:rds:db_id"), Some("aws:rds:db-id"));
        assert_eq!(near_aws_context_key("aws:s4:arn"), Some("aws:s3:arn"));
        // Known keys, any case, are fine.
        assert_eq!(near_aws_context_key("aws:s3:arn"), None);
        assert_eq!(near_aws_context_key("AWS:S3:ARN"), None);
        assert_eq!(near_aws_context_key("aws:sqs:arn"), None);
        // Not close to any, or another known service: left alone.
        assert_eq!(near_aws_context_key("aws:sns:arn"), None);
        assert_eq!(near_aws_context_key("aws:lambda:FunctionArn"), None);
        assert_eq!(near_aws_context_key("aws:myapp:tenant"), None);
        assert_eq!(near_aws_context_key("SecretARN"), None);
        assert_eq!(near_aws_context_key("AppName"), None);
    }

    #[test]
    fn suggests_keys() {
        assert_eq!(
            suggestion("kms:CallerAcount").as_deref(),
            Some("kms:CallerAccount")
        );
        assert_eq!(
            suggestion("kms:ViaSevice").as_deref(),
            Some("kms:ViaService")
        );
        assert_eq!(
            suggestion("CallerAccount").as_deref(),
            Some("kms:CallerAccount")
        );
    }
}
