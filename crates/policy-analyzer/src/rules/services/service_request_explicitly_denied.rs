use super::{and_list, groups, it_or_them, label, service_name, with_consumers};
use crate::diagnostic::Severity;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::services::model::Need;
use crate::services::{RequestOutcome, Verdict};

pub(crate) static RULE: Rule = Rule {
    code: "PC405",
    name: "service-request-explicitly-denied",
    pack: Pack::Services,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A Deny statement blocks a request that a service needs",
    docs: r#"## What it does
Reports a required request of a service (see PC402) that a Deny statement
matches, pointing at the Deny and at the Allow statements it overrides.

## Why it matters
An explicit Deny wins over every Allow, in the key policy and in IAM
policies alike; nothing else can make the request succeed. Broad Denies (on
`kms:CreateGrant`, or on requests without some condition) often catch the
requests that FSx, File Cache or EFS make on a user's behalf, which come
through the service (`kms:ViaService`) and for CreateGrant carry
`kms:GrantIsForAWSResource` = true.

## Example
```json
{"Sid": "Deny grants", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"}
```

## Use instead
Exempt the requests of AWS services, for example deny only grants that are
not for an AWS resource:
```json
{"Sid": "Deny grants except for AWS resources", "Effect": "Deny", "Principal": "*",
 "Action": "kms:CreateGrant", "Resource": "*",
 "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}}}
```

## Fix
None: which requests the Deny should still block is the author's decision.

## Sources
- https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html: kms:GrantIsForAWSResource is true when an integrated AWS service creates the grant for the user.
- IAM User Guide, policy evaluation logic: an explicit Deny overrides any Allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
- https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html, https://docs.aws.amazon.com/fsx/latest/LustreGuide/FSXKMS.html, https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html, https://docs.aws.amazon.com/efs/latest/ug/encryption-at-rest.html, https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html: the required permissions.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let analysis = ctx.services();
    let denied =
        |o: &RequestOutcome| o.need == Need::Required && o.verdict == Verdict::ExplicitlyDenied;
    for group in groups(&analysis.checks, denied) {
        // One diagnostic per Deny statement.
        let mut denies: Vec<usize> = Vec::new();
        for o in &group.outcomes {
            for &s in &o.best().evaluation.denied_by {
                if !denies.contains(&s) {
                    denies.push(s);
                }
            }
        }
        for deny in denies {
            let outcomes: Vec<&RequestOutcome> = group
                .outcomes
                .iter()
                .copied()
                .filter(|o| o.best().evaluation.denied_by.contains(&deny))
                .collect();
            let mut actions: Vec<&str> = Vec::new();
            let mut overridden: Vec<usize> = Vec::new();
            for o in &outcomes {
                if !actions.contains(&o.action) {
                    actions.push(o.action);
                }
                let e = &o.best().evaluation;
                for &s in e.allowed_by.iter().chain(&e.delegated_by) {
                    if !overridden.contains(&s) {
                        overridden.push(s);
                    }
                }
            }
            let service = service_name(group.check);
            let mut message = format!(
                "{} denies {} as {}, which {service} needs",
                label(ctx, deny),
                and_list(&actions),
                group.caller_description()
            );
            let direct = outcomes
                .iter()
                .find_map(|o| o.best().evaluation.allowed_by.first().copied());
            if let Some(allow) = direct.or_else(|| overridden.first().copied()) {
                message.push_str(&format!(
                    "; an explicit Deny overrides the Allow of {}",
                    label(ctx, allow)
                ));
            }
            let via = group.via_service();
            let grant_hint = if actions.contains(&"kms:CreateGrant") {
                "; for kms:CreateGrant, \"Bool\": {\"kms:GrantIsForAWSResource\": \"false\"} spares the grants services create"
            } else {
                ""
            };
            let help = if via.is_empty() {
                // A service principal: its requests carry aws:PrincipalIsAWSService.
                format!(
                    "exempt the service's requests from {}: add a condition they do not meet, such as \
                     \"Bool\": {{\"aws:PrincipalIsAWSService\": \"false\"}} (requests a service principal makes carry true){grant_hint}",
                    label(ctx, deny),
                )
            } else {
                format!(
                    "exempt the service's requests from {}: add a condition they do not meet, such as \
                     \"StringNotEquals\": {{\"kms:ViaService\": \"{via}\"}} or \"Bool\": {{\"aws:ViaAWSService\": \"false\"}} \
                     (requests a service makes for a principal carry true){grant_hint}",
                    label(ctx, deny),
                )
            };
            let deny_statement = &ctx.policy.statements[deny];
            let mut d = out
                .diagnostic(deny_statement.anchor(), message)
                .with_help(help);
            let delegates: Vec<usize> = outcomes
                .iter()
                .flat_map(|o| o.best().evaluation.delegated_by.iter().copied())
                .collect();
            for allow in overridden.iter().take(3) {
                let how = if delegates.contains(allow) {
                    "delegates"
                } else {
                    "allows"
                };
                d = d.with_related(
                    ctx.policy.statements[*allow].anchor(),
                    format!(
                        "{} {how} {}, but the Deny wins",
                        label(ctx, *allow),
                        it_or_them(&actions)
                    ),
                );
            }
            out.push(with_consumers(d, group.check));
        }
    }
}
