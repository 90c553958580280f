use super::{
    add_actions_fix, and_list, explained_elsewhere, groups, it_or_them, label,
    required_requests_work, service_name, with_consumers, Group,
};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::model::Need;
use crate::services::{RequestOutcome, Verdict};

pub(crate) static RULE: Rule = Rule {
    code: "PC404",
    name: "optional-permission-missing",
    pack: Pack::Services,
    severity: Severity::Hint,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A permission a service lists as optional is not allowed",
    docs: r#"## What it does
Reports an optional request of a service (for Amazon FSx, FSx for Lustre,
File Cache and EFS: `kms:Encrypt` and the guides' `kms:ReEncrypt`, which is
`kms:ReEncryptFrom` plus `kms:ReEncryptTo`) that the policy does not allow,
or allows only through the account-root delegation to IAM policies, when the
service's required requests work. It stays quiet while required
requests fail (PC402, PC405), and about `kms:ListAliases`, which the guides
list as optional but which a key policy cannot grant.

## Why it matters
The service works without them, but the features that use them do not
(re-encrypting data under another key, for example). The guides say each is
"included in the default key policy", so their absence is usually an
accident of hand-writing the statement.

## Example
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:DescribeKey"]
```

## Use instead
```json
"Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"]
```

## Fix
When one statement meant for the service lacks them, the fix adds the
actions to its `Action` (review it: it widens what the statement allows).

## Sources
- https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html, https://docs.aws.amazon.com/fsx/latest/LustreGuide/FSXKMS.html, https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html: kms:Encrypt and kms:ReEncrypt are "(Optional)"; kms:ListAliases is optional for the console.
- https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html: kms:ReEncrypt is authorized as kms:ReEncryptFrom and kms:ReEncryptTo; kms:ListAliases is valid only in IAM policies.
- https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the linked bucket's statement grants kms:Encrypt, kms:ReEncrypt* and kms:GenerateDataKey*.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let missing = |o: &RequestOutcome| {
        o.need == Need::Optional
            && !matches!(o.verdict, Verdict::Allowed | Verdict::Undecided)
            && !explained_elsewhere(ctx, o)
    };
    for group in groups(&analysis.checks, missing) {
        if required_requests_work(group.check, group.outcomes[0].caller) {
            report(ctx, out, &group);
        }
    }
}

fn report(ctx: &Context<'_>, out: &mut Emitter<'_>, group: &Group<'_>) {
    let actions = group.actions();
    let service = service_name(group.check);
    let model = group.check.service().model();
    // The guides' names for them: kms:ReEncrypt for ReEncryptFrom + ReEncryptTo.
    let documented: Vec<&str> = model
        .permissions
        .iter()
        .filter(|p| {
            p.need == Need::Optional && p.actions.iter().any(|a| actions.contains(&a.as_str()))
        })
        .map(|p| p.documented_as.as_str())
        .collect();
    let denied_by: Vec<usize> = group
        .outcomes
        .iter()
        .flat_map(|o| o.best().evaluation.denied_by.iter().copied())
        .fold(Vec::new(), |mut acc, s| {
            if !acc.contains(&s) {
                acc.push(s);
            }
            acc
        });
    let mut message = format!(
        "{service} can use {} (optional: {}) as {}, but ",
        and_list(&actions),
        and_list(&documented),
        group.caller_description()
    );
    let delegated = group
        .outcomes
        .iter()
        .all(|o| o.verdict == Verdict::Delegated);
    match denied_by.first() {
        Some(&deny) => message.push_str(&format!("{} denies {}", label(ctx, deny), it_or_them(&actions))),
        None if delegated => message.push_str(&format!(
            "the key policy allows {} only through the account-root delegation, so only where an IAM policy does too",
            it_or_them(&actions)
        )),
        None => message.push_str(&format!("no statement allows {}", it_or_them(&actions))),
    }
    let lacking = group.statement_lacking_actions(ctx);
    let range = match (lacking, denied_by.first()) {
        (Some(statement), _) => ctx.policy.statements[statement]
            .action
            .as_ref()
            .map_or(ctx.policy.statements[statement].anchor(), |a| {
                a.element.value_range
            }),
        (None, Some(&deny)) => ctx.policy.statements[deny].anchor(),
        (None, None) => match group.misses().first() {
            Some(miss) => super::miss_range(miss),
            None => return,
        },
    };
    let help = match lacking {
        Some(statement) => format!(
            "the service works without {}; add {} to {} if you use the features that need {}",
            it_or_them(&actions),
            and_list(&actions),
            label(ctx, statement),
            it_or_them(&actions)
        ),
        None => "the service works without them; allow them if you use the features that need them"
            .to_string(),
    };
    let mut d = out.diagnostic(range, message).with_help(help);
    if let Some(statement) = lacking {
        d = d.with_fix_opt(add_actions_fix(ctx, statement, &actions));
    }
    out.push(with_consumers(d, group.check));
}
