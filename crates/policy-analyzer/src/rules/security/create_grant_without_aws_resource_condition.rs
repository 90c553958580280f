use crate::diagnostic::Severity;
use crate::eval::search::{RequestSearch, MAX_SEARCHED_STATEMENTS};
use crate::eval::{
    action_matches, covers_action, EvalOptions, PrincipalValue, RequestContext, RequestPrincipal,
};
use crate::rules::security::key_account;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC505",
    name: "create-grant-without-aws-resource-condition",
    pack: Pack::Security,
    severity: Severity::Hint,
    fix: FixAvailability::None,
    tags: &[],
    summary: "kms:CreateGrant is allowed to a principal without kms:GrantIsForAWSResource",
    docs: r#"## What it does
Reports an Allow statement that gives `kms:CreateGrant` to a role, a user or
`"*"` even in a request that no AWS service makes on the caller's behalf:
the evaluator finds a request with `kms:GrantIsForAWSResource` false and no
`kms:ViaService` that the statement allows. Statements for the account root
and for key administrators (who also get `kms:PutKeyPolicy` or
`kms:ScheduleKeyDeletion`) are left alone.

## Why it matters
A grant gives its grantee the use of the key without any change to the key
policy, and grants are easy to overlook. Services such as EBS, FSx and EFS
need `kms:CreateGrant` only to create grants for themselves while acting for
the caller. `"Bool": {"kms:GrantIsForAWSResource": "true"}` (or a
`kms:ViaService` condition) limits the permission to that case; without it
the principal can grant the key's use to anyone.

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
  "Action": ["kms:Decrypt", "kms:CreateGrant"],
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
  "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
  "Resource": "*",
  "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
}
```

## Fix
Move `kms:CreateGrant` (with `kms:ListGrants` and `kms:RevokeGrant`) to a
statement of its own with `"Bool": {"kms:GrantIsForAWSResource": "true"}`,
as the default key policy's "Allow attachment of persistent resources"
statement does.

## Sources
- AWS KMS Developer Guide, "AWS KMS condition keys" (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource) and "Default key policy" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): `kms:GrantIsForAWSResource` allows the grant operations "only when an AWS service integrated with AWS KMS calls the operation on the user's behalf".
- Amazon EBS User Guide, "Requirements for Amazon EBS encryption": restrict CreateGrant with `kms:GrantIsForAWSResource` (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let account = key_account(ctx).unwrap_or_else(|| "111122223333".to_string());
    let options = EvalOptions::default();
    let mut direct = RequestContext::new();
    direct.set("kms:GrantIsForAWSResource", "false");
    let search = RequestSearch::new(ctx.policy, &options);
    let mut searched = 0;
    for statement in &ctx.policy.statements {
        if !statement.is_allow() || !covers_action(statement, "kms:CreateGrant") {
            continue;
        }
        // Key administrators manage grants as part of their job.
        if covers_action(statement, "kms:PutKeyPolicy")
            || covers_action(statement, "kms:ScheduleKeyDeletion")
        {
            continue;
        }
        let Some(principal) = &statement.principal else {
            continue;
        };
        // `"*"` limited to an account or organization is a grant to every
        // principal there: broad-key-administration reports it, as a warning.
        let account_wide = super::broad_key_administration::account_wide_admin(ctx, statement)
            .is_some_and(|(_, actions)| actions.contains(&"kms:CreateGrant"));
        let grantees: Vec<(RequestPrincipal, String)> = principal
            .values()
            .filter_map(
                |(kind, text)| match PrincipalValue::parse(kind, text.value) {
                    PrincipalValue::Everyone if !account_wide => Some((
                        RequestPrincipal::role(&account, "policy-check-caller"),
                        "any principal".to_string(),
                    )),
                    PrincipalValue::Arn(arn)
                        if arn.contains(":role/") || arn.contains(":user/") =>
                    {
                        let account = PrincipalValue::Arn(arn).account()?.to_string();
                        Some((
                            RequestPrincipal::Iam {
                                arn: arn.to_string(),
                                account,
                            },
                            arn.to_string(),
                        ))
                    }
                    _ => None,
                },
            )
            .collect();
        if searched == MAX_SEARCHED_STATEMENTS {
            return;
        }
        searched += 1;
        let found = grantees.into_iter().find(|(principal, _)| {
            search
                .request_through(
                    statement.index,
                    principal.clone(),
                    "kms:CreateGrant",
                    &direct,
                    &["kms:ViaService"],
                )
                .is_some()
        });
        let Some((_, who)) = found else {
            continue;
        };
        let range = statement
            .action
            .as_ref()
            .and_then(|a| {
                a.values
                    .iter()
                    .find(|v| action_matches(v.value, "kms:CreateGrant"))
            })
            .map(|v| v.range)
            .or_else(|| statement.not_action.as_ref().map(|n| n.element.key_range))
            .unwrap_or_else(|| statement.anchor());
        out.push(
            out.diagnostic(
                range,
                format!(
                    "{} allows kms:CreateGrant to {who} even when no AWS service calls on its behalf: without \
                     kms:GrantIsForAWSResource it can grant the key's use to anyone",
                    statement.label()
                ),
            )
            .with_help(
                "move kms:CreateGrant (with kms:ListGrants and kms:RevokeGrant) to a statement with \
                 \"Bool\": {\"kms:GrantIsForAWSResource\": \"true\"}",
            ),
        );
    }
}
