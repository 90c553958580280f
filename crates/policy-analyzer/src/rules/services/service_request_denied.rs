use super::{
    add_actions_fix, and_list, explained_elsewhere, groups, it_or_them, label, miss_range,
    service_name, with_consumers, with_misses, Group,
};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::model::{source_document, Need};
use crate::services::{RequestOutcome, Verdict};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC402",
    name: "service-request-denied",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A request that a service needs is denied: no statement allows it",
    docs: r#"## What it does
Synthesizes the requests a service makes to AWS KMS when it uses the key
(for example Amazon FSx calling `kms:CreateGrant` with the identity of the
principal that creates the file system, with `kms:ViaService`
`fsx.us-east-1.amazonaws.com`), evaluates each against the key policy, and
reports a required request that no statement allows. The related ranges show
the statements meant for the service and the element that keeps each from
applying: the missing action, the condition whose value differs.

Defects that a more specific rule explains (a wrong `kms:ViaService`
PC406, `kms:CallerAccount` PC407, S3 encryption context PC408, a malformed
service-linked role PC409, a service principal PC410, or a misspelled action
or key reported by the actions and conditions packs, a `Resource` or a
condition that another pack reports as never matching, such as a guide's
placeholder ARN or an S3 encryption context with a Region: PC111, PC314,
PC313) are reported there only. A request that only a
statement whose principal is a template placeholder (`"AWS": ${users}`) may
allow is not reported: what the template renders decides.

## Why it matters
The service fails: an FSx file system cannot be created, or becomes
inaccessible, without `kms:Decrypt`, `kms:GenerateDataKeyWithoutPlaintext`,
`kms:CreateGrant` and `kms:DescribeKey`; a File Cache cannot import from or
export to its SSE-KMS bucket without `kms:Decrypt` and `kms:GenerateDataKey`.
KMS evaluates the key policy first; without an Allow (in the key policy, or
in the caller's IAM policy through the account-root statement) the request is
denied.

## Example
```json
{
  "Sid": "Allow access through Amazon FSx",
  "Effect": "Allow",
  "Principal": {"AWS": "*"},
  "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
  "Resource": "*",
  "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}
}
```
Amazon FSx needs `kms:CreateGrant`, and nothing allows it.

## Use instead
```json
"Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"]
```

## Fix
When one statement meant for the service lacks only actions, the fix adds
them to its `Action` (review it: it widens what the statement allows).

## Sources
- https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html (FSx), https://docs.aws.amazon.com/fsx/latest/LustreGuide/FSXKMS.html (FSx for Lustre), https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html (File Cache): kms:Decrypt, kms:GenerateDataKeyWithoutPlaintext, kms:CreateGrant and kms:DescribeKey are "(Required)".
- https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html: the same list for Amazon EFS.
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html and https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html: the linked bucket's key must allow the FSx S3 service-linked role kms:GenerateDataKey and kms:Decrypt through S3.
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html: without a key-policy Allow (direct, or delegated to IAM policies by the account-root statement) a request is denied.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let denied = |o: &RequestOutcome| {
        o.need == Need::Required && o.verdict == Verdict::Denied && !explained_elsewhere(ctx, o)
    };
    for group in groups(&analysis.checks, denied) {
        report(ctx, out, &group);
    }
}

fn report(ctx: &Context<'_>, out: &mut Emitter<'_>, group: &Group<'_>) {
    let actions = group.actions();
    let misses = group.misses();
    let service = service_name(group.check);
    let caller = group.caller_description();
    let model = group.check.service().model();
    // Delegation that cannot help (a service-linked role's permissions are AWS's).
    let delegations: Vec<usize> = group
        .outcomes
        .iter()
        .flat_map(|o| o.best().evaluation.delegated_by.iter().copied())
        .fold(Vec::new(), |mut acc, s| {
            if !acc.contains(&s) {
                acc.push(s);
            }
            acc
        });
    // The statements meant for the requests first: they are the ones to fix.
    let intended: Vec<usize> = group
        .outcomes
        .iter()
        .flat_map(|o| o.intended.iter().copied())
        .collect();
    let mut delegations = delegations;
    delegations.sort_by_key(|s| !intended.contains(s));
    let mut message = format!(
        "{service} needs {} as {caller}, but no statement allows {}",
        and_list(&actions),
        it_or_them(&actions)
    );
    if let Some(&delegation) = delegations.first() {
        message.push_str(&format!(
            "; {} only delegates to IAM policies, which cannot give a service-linked role anything",
            label(ctx, delegation)
        ));
    }
    // Only a service principal written without its Region: the guide names
    // the Regional one, but whether the other form works is not documented.
    let regionless = !misses.is_empty()
        && misses
            .iter()
            .all(|m| m.cause == crate::services::Cause::RegionlessPrincipal);
    if regionless {
        message.push_str(&format!(
            "; {} names the service principal without the Region, and the service's guide names the Regional one",
            label(ctx, misses[0].statement)
        ));
    }
    let lacking = group.statement_lacking_actions(ctx);
    // The finding points at the first miss when no statement only lacks the
    // actions: it says why that statement does not apply.
    if let (None, Some(miss), false) = (lacking, misses.first(), regionless) {
        let action = group
            .outcomes
            .iter()
            .find(|o| o.misses.iter().any(|m| m == *miss))
            .map_or("", |o| o.action);
        message.push_str(&format!(
            "; {}",
            super::describe_miss(ctx, miss, action, group.caller)
        ));
        if let Some(note) = super::form_note(ctx, group.check, miss) {
            message.push_str(&format!(" ({note})"));
        }
    }
    let range = match (lacking, misses.first()) {
        (Some(statement), _) => ctx.policy.statements[statement]
            .action
            .as_ref()
            .map_or(ctx.policy.statements[statement].anchor(), |a| {
                a.element.value_range
            }),
        (None, Some(miss)) => miss_range(miss),
        // The statement meant for the requests matched, yet only delegates.
        (None, None) => match group.outcomes.iter().flat_map(|o| o.intended.iter()).next() {
            Some(&statement) => ctx.policy.statements[statement].anchor(),
            None => ctx
                .policy
                .statement_element
                .map_or(TextRange::empty(0), |e| e.key_range),
        },
    };
    let mut sources: Vec<&str> = Vec::new();
    for p in model
        .permissions
        .iter()
        .filter(|p| p.actions.iter().any(|a| actions.contains(&a.as_str())))
    {
        let tag = source_document(&p.source);
        if !sources.contains(&tag) {
            sources.push(tag);
        }
    }
    let help = match lacking {
        _ if regionless => format!(
            "name {} in the Principal of {}",
            group.caller.principal.describe(),
            label(ctx, misses[0].statement)
        ),
        Some(statement) => format!(
            "add {} to {}, the statement meant for {service} (required: {})",
            and_list(&actions),
            label(ctx, statement),
            and_list(&sources)
        ),
        None if misses.is_empty() && !delegations.is_empty() => format!(
            "name {caller} in the Principal of the statement meant for it, instead of the account"
        ),
        None if misses.is_empty() => format!(
            "add a statement that allows {} to {caller}{} (required: {})",
            and_list(&actions),
            group.with_via_service(),
            and_list(&sources)
        ),
        None => format!(
            "make the statement meant for {service} apply to these requests (see the labels), \
             or add one that allows {} to {caller}{}",
            and_list(&actions),
            group.with_via_service()
        ),
    };
    let first_action = actions.first().copied().unwrap_or_default();
    let action_of = |m: &crate::services::Miss| {
        group
            .outcomes
            .iter()
            .find(|o| o.misses.iter().any(|x| x == m))
            .map_or(first_action, |o| o.action)
            .to_string()
    };
    let mut d = out.diagnostic(range, message).with_help(help);
    if regionless {
        d = d.with_severity(crate::rules::shared::capped(ctx, &RULE, Severity::Warning));
    }
    d = with_misses(ctx, d, &misses, action_of, group.caller, 4);
    if misses.is_empty() {
        let near = group.near_misses();
        let near: Vec<&crate::services::Miss> = near.iter().collect();
        d = with_misses(ctx, d, &near, |_| first_action.to_string(), group.caller, 3);
    }
    for &delegation in &delegations {
        let anchor = ctx.policy.statements[delegation].anchor();
        if anchor != d.range {
            d = d.with_related(
                anchor,
                format!(
                    "{} names the account, which delegates to its IAM policies",
                    label(ctx, delegation)
                ),
            );
        }
    }
    if let Some(statement) = lacking {
        d = d.with_fix_opt(add_actions_fix(ctx, statement, &actions));
    }
    out.push(with_consumers(d, group.check));
}
