use super::{
    add_actions_fix, and_list, explained_elsewhere, groups, it_or_them, label, service_name,
    with_consumers, with_misses, Group,
};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::model::Need;
use crate::services::{RequestOutcome, Verdict};

pub(crate) static RULE: Rule = Rule {
    code: "PC403",
    name: "service-request-delegated",
    pack: Pack::Services,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A request that a service needs is allowed only through the account-root statement, so only if an IAM policy allows it too",
    docs: r#"## What it does
Reports a required request of a service (see PC402) that no statement allows
for the caller itself, only the account principal (`arn:aws:iam::ACCOUNT:root`
or the bare account id): the statement that delegates the key to the
account's IAM policies.

## Why it matters
A key-policy statement for the account root does not give any user or role a
permission; it lets the account's IAM policies give it. The service's request
then succeeds only if the IAM policy of the principal that uses the service
also allows the action on this key, which the key policy cannot show. When
the statement meant for the service lacks the action (for example FSx's
`kms:CreateGrant`), this is usually an oversight that works for
administrators and fails for everyone else.

## Example
```json
{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
 "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
{"Sid": "Allow access through Amazon FSx", "Effect": "Allow", "Principal": {"AWS": "*"},
 "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
 "Resource": "*",
 "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}
```
FSx's `kms:CreateGrant` works only for principals whose IAM policy allows it.

## Use instead
Add `kms:CreateGrant` to the statement meant for FSx.

## Fix
When one statement meant for the service lacks only actions, the fix adds
them to its `Action` (review it: it widens what the statement allows).

## Sources
- https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html: the account principal "enables IAM policies; does not by itself give any IAM user permission".
- https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html, https://docs.aws.amazon.com/fsx/latest/LustreGuide/FSXKMS.html, https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html, https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html: the required permissions.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let delegated = |o: &RequestOutcome| {
        o.need == Need::Required && o.verdict == Verdict::Delegated && !explained_elsewhere(ctx, o)
    };
    for group in groups(&analysis.checks, delegated) {
        report(ctx, out, &group);
    }
}

fn report(ctx: &Context<'_>, out: &mut Emitter<'_>, group: &Group<'_>) {
    let actions = group.actions();
    let misses = group.misses();
    let service = service_name(group.check);
    let caller = group.caller_description();
    let mut delegations: Vec<usize> = Vec::new();
    for o in &group.outcomes {
        for &s in &o.best().evaluation.delegated_by {
            if !delegations.contains(&s) {
                delegations.push(s);
            }
        }
    }
    let Some(&delegation) = delegations.first() else {
        return;
    };
    let message = format!(
        "{service} needs {} as {caller}, and only {} allows {}, by delegating to IAM policies: \
         the requests succeed only if the caller's IAM policy also allows {} on this key",
        and_list(&actions),
        label(ctx, delegation),
        it_or_them(&actions),
        it_or_them(&actions),
    );
    let lacking = group.statement_lacking_actions(ctx);
    let range = match lacking {
        Some(statement) => ctx.policy.statements[statement]
            .action
            .as_ref()
            .map_or(ctx.policy.statements[statement].anchor(), |a| {
                a.element.value_range
            }),
        None => ctx.policy.statements[delegation].anchor(),
    };
    let help = match lacking {
        Some(statement) => format!(
            "add {} to {}, the statement meant for {service}, so that it does not depend on IAM policies",
            and_list(&actions),
            label(ctx, statement)
        ),
        None => format!(
            "allow {} to {caller} in the key policy{}, or make sure the callers' IAM policies allow {}",
            and_list(&actions),
            match group.via_service() {
                via if via.is_empty() => String::new(),
                via => format!(" (with kms:ViaService {via})"),
            },
            it_or_them(&actions)
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
    let delegation_anchor = ctx.policy.statements[delegation].anchor();
    if delegation_anchor != range {
        d = d.with_related(
            delegation_anchor,
            format!(
                "{} delegates to the account's IAM policies",
                label(ctx, delegation)
            ),
        );
    }
    if let Some(statement) = lacking {
        d = d.with_fix_opt(add_actions_fix(ctx, statement, &actions));
    }
    out.push(with_consumers(d, group.check));
}
