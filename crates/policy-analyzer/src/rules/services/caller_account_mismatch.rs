use super::{
    label, mismatch_severity, miss_groups, miss_range, origin_in_words, service_name,
    with_consumers, with_unused_note, MissGroup,
};
use crate::aws::is_account_id;
use crate::diagnostic::{Fix, Severity};
use crate::eval::Failure;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::profile::representative;

pub(crate) static RULE: Rule = Rule {
    code: "PC407",
    name: "caller-account-mismatch",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "kms:CallerAccount in a statement meant for a service names another account than the service's callers",
    docs: r#"## What it does
Reports a statement meant for a service whose `kms:CallerAccount` condition
does not match the account the service's requests come from: the account in
the profile, the account of the service-linked role the statement names, or
the account its other statements and principals agree on. An error when a
required request is left without an Allow of its own; a warning when another
statement allows it anyway.

A value that is not a 12-digit account id (the `aws_account_id` placeholder
of the AWS examples) matches no request at all; PC311 `invalid-caller-account`
reports it, and this rule does only while PC311 is disabled.

## Why it matters
`kms:CallerAccount` is the account of the identity that calls AWS KMS: with
forward access, the account of the principal using FSx, File Cache or EFS;
for the S3 bucket of a data repository, the account of the cache's
service-linked role. A statement that wants another account never applies to
the service's requests.

## Example
The role of a cache in account 111122223333, with a condition naming another
account:
```json
"Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
"Condition": {
  "StringEquals": {"kms:CallerAccount": "444455556666", "kms:ViaService": "s3.us-east-1.amazonaws.com"}
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"}
}
```

## Fix
When the condition has one value and the callers' account is known, the fix
replaces the value with it (review it: it changes who the statement applies to).

## Sources
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html: kms:CallerAccount is the account of the calling identity; AWS managed keys combine `Principal *` with kms:CallerAccount and kms:ViaService.
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: `"kms:CallerAccount": "aws_account_id"`, the account of the cache and of its service-linked role; https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the statements are fragments with placeholders, not valid values.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    for group in miss_groups(ctx, &analysis.checks, &RULE) {
        report(ctx, out, &group);
    }
}

fn report(ctx: &Context<'_>, out: &mut Emitter<'_>, group: &MissGroup<'_>) {
    let Failure::Condition { values, .. } = &group.miss.failure else {
        return;
    };
    let check = group.check;
    let Some(outcome) = group.outcomes.first() else {
        return;
    };
    let caller = &check.callers[outcome.caller];
    let account = caller.account().to_string();
    let wanted: Vec<&str> = values
        .iter()
        .filter_map(|r| ctx.text.get(r.as_usize()))
        .map(|v| v.trim_matches('"'))
        .collect();
    let placeholders: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|v| !is_account_id(v))
        .collect();
    // Where the callers' account comes from, so the user can judge it.
    let source =
        if caller.linked_role && caller.principal.account().is_some() && !caller.representative {
            format!("the account of {}", caller.describe())
        } else {
            match check
                .profile
                .account
                .as_ref()
                .filter(|a| a.value == account)
            {
                Some(a) => origin_in_words(ctx, &a.origin),
                None if account == representative::ACCOUNT => {
                    "representative: nothing names the account".to_string()
                }
                None => format!("the account of {}", caller.describe()),
            }
        };
    let mut message = format!(
        "{} is meant for {}, but its kms:CallerAccount condition wants {}; the requests come from account {account} ({source})",
        label(ctx, group.miss.statement),
        service_name(check),
        wanted.join(", ")
    );
    if !placeholders.is_empty() {
        message.push_str(&format!(
            "; {} is not a 12-digit account id, so no request ever matches it",
            placeholders.join(", ")
        ));
    }
    let severity = mismatch_severity(&group.outcomes);
    let message = with_unused_note(message, severity);
    let known = account != representative::ACCOUNT || check.profile.account.is_some();
    let help = if known {
        format!("use kms:CallerAccount \"{account}\", the account of the callers")
    } else {
        "put the 12-digit id of the callers' account (the account of the principals that use the service) in kms:CallerAccount".to_string()
    };
    let mut d = out
        .diagnostic(miss_range(group.miss), message)
        .with_help(help)
        .with_severity(severity);
    if let ([one], true) = (values.as_slice(), known) {
        if ctx
            .text
            .get(one.as_usize())
            .is_some_and(|t| t.starts_with('"'))
        {
            d = d.with_fix(
                Fix::replace(format!("Use \"{account}\""), *one, format!("\"{account}\""))
                    .unsafe_(),
            );
        }
    }
    out.push(with_consumers(d, group.check));
}
