use super::{
    add_actions_fix, and_list, groups, it_or_them, label, miss_range, service_name, with_consumers,
    with_misses, Group,
};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::model::{source_tag, Need};
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
or key reported by the actions and conditions packs) are reported there only.

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
- `seeds/001_31e9581554ba3c76.txt` (FSx), `seeds/002_802ee41e043be489.txt` (FSx for Lustre), `seeds/000_aef0a2a228006e0e.txt` (File Cache): kms:Decrypt, kms:GenerateDataKeyWithoutPlaintext, kms:CreateGrant and kms:DescribeKey are "(Required)".
- kms-facts §4c [S9]: the same list for Amazon EFS.
- `seeds/003_a7c6a4a498b59cae.txt` and kms-facts §5 [S13]: the linked bucket's key must allow the FSx S3 service-linked role kms:GenerateDataKey and kms:Decrypt through S3.
- kms-facts §3 [S10 key-policy-default.md]: without a key-policy Allow (direct, or delegated to IAM policies by the account-root statement) a request is denied.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let denied = |o: &RequestOutcome| {
        o.need == Need::Required && o.verdict == Verdict::Denied && !o.is_explained_elsewhere()
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
    let lacking = group.statement_lacking_actions();
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
        let tag = source_tag(&p.source);
        if !sources.contains(&tag) {
            sources.push(tag);
        }
    }
    let help = match lacking {
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
            "add a statement that allows {} to {caller} with kms:ViaService {} (required: {})",
            and_list(&actions),
            group.via_service(),
            and_list(&sources)
        ),
        None => format!(
            "make the statement meant for {service} apply to these requests (see the labels), \
             or add one that allows {} to {caller} with kms:ViaService {}",
            and_list(&actions),
            group.via_service()
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
