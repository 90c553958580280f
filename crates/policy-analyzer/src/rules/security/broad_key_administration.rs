use crate::aws::is_account_id;
use crate::diagnostic::Severity;
use crate::eval::search::{find_request_through, OutsideAccessSearch, OutsideCaller};
use crate::eval::{
    action_matches, covers_action, EvalOptions, PrincipalValue, RequestContext, RequestPrincipal,
};
use crate::model::{Statement, Text};
use crate::rules::security::{join_names, judged_service_principal, key_account};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC508",
    name: "broad-key-administration",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "Key administration granted to a service principal, or to every principal of an account or organization",
    docs: r#"## What it does
Reports an Allow statement that lets either of these administer the key —
change its policy (`kms:PutKeyPolicy`), schedule its deletion
(`kms:ScheduleKeyDeletion`), or create grants on it (`kms:CreateGrant`)
outside an AWS service's own use (without `kms:GrantIsForAWSResource`):
- an AWS service principal (`"Service": "logs.us-east-1.amazonaws.com"`);
- `"*"` restricted only by who the caller's account or organization is
  (`kms:CallerAccount`, `aws:PrincipalAccount`, `aws:PrincipalOrgID`,
  `aws:PrincipalOrgPaths`): every role and user of that account or
  organization.

The check asks the evaluator: for a service principal, whether the service
can get the action through the statement; for `"*"`, whether an arbitrary
role of the account or organization the conditions name, calling KMS
directly (not through a service, with no tags, no particular name), can. A
statement that also pins the caller's ARN, tags or the service it calls
through is not reported. Statements open to other accounts are
`public-key-access`'s to report.

## Why it matters
A key policy statement that names a principal grants without any IAM
policy: with `"*"` and `kms:CallerAccount`, every role and user of the
account — a build job, a Lambda function, a developer's sandbox role —
may replace the key policy, lock everyone else out, or schedule the key's
deletion, which destroys all data encrypted under it when the waiting
period ends. The account-root statement (`arn:aws:iam::ACCOUNT:root`)
does not do this: it delegates to IAM policies, so only principals an
administrator empowered can manage the key. AWS services that use a key
need its cryptographic operations, never its administration: the AWS
managed keys give their services `kms:Encrypt`, `kms:Decrypt`,
`kms:GenerateDataKey*` and `kms:CreateGrant` with
`kms:GrantIsForAWSResource`, and no service principal in AWS's guides is
given `kms:*` or `kms:PutKeyPolicy`. `kms:CreateGrant` without
`kms:GrantIsForAWSResource` lets the grantee give the key's use to any
principal, in any account, with a grant that no key policy shows.

## Example
```json
{
  "Sid": "Allow CloudWatch Logs",
  "Effect": "Allow",
  "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
  "Action": "kms:*",
  "Resource": "*"
}
```

## Use instead
```json
{
  "Sid": "Allow CloudWatch Logs",
  "Effect": "Allow",
  "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
  "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
  "Resource": "*",
  "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:*"}}
}
```
and leave key administration to named administrator roles, or to the
account root statement and IAM policies.

## Fix
No automatic fix: only the author knows which actions the principal needs.
Name the key's administrators, or give the account root `kms:*` and let
IAM policies choose them; give services and account-wide statements only
the cryptographic operations they use.

## Sources
- AWS KMS Developer Guide, "Default key policy" — key administrators and key users, and the account-root statement that lets IAM policies choose them (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
- AWS KMS Developer Guide, "Best practices for AWS KMS permissions" — grant least privilege, limit `kms:PutKeyPolicy` and `kms:ScheduleKeyDeletion` to administrators (https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html).
- AWS KMS Developer Guide, "kms:GrantIsForAWSResource" — allow grant operations only when an AWS service calls on the user's behalf (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
- AWS KMS Developer Guide, "Deleting AWS KMS keys" — after the waiting period the key and the data encrypted under it are unrecoverable (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html).
- AWS KMS Developer Guide, "Allowing AWS services to use a KMS key": the documented service statements grant cryptographic operations (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-services.html).
"#,
    check: Check::Policy(check),
};

/// The actions of key administration the rule looks at.
const ADMIN_ACTIONS: [&str; 3] = [
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:CreateGrant",
];

/// Keys that say how a request reaches KMS or which principal of an account
/// makes it, held absent for "an arbitrary role calling KMS directly".
const DIRECT_CALL_ABSENT: [&str; 9] = [
    "kms:ViaService",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "kms:GrantIsForAWSResource",
    "kms:EncryptionContext:*",
    "kms:EncryptionContextKeys",
    "aws:PrincipalTag/*",
    "aws:SourceVpce",
];

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let options = EvalOptions::default();
    let mut outsiders: Option<OutsideAccessSearch<'_, '_>> = None;
    for statement in &ctx.policy.statements {
        if !statement.is_allow() || !ADMIN_ACTIONS.iter().any(|a| covers_action(statement, a)) {
            continue;
        }
        let Some(principal) = &statement.principal else {
            continue;
        };
        for (kind, text) in principal.values() {
            if let PrincipalValue::Service(service) = PrincipalValue::parse(kind, text.value) {
                if !judged_service_principal(ctx, &text) {
                    continue;
                }
                let actions = service_admin(ctx, statement, service, &options);
                if !actions.is_empty() {
                    report_service(ctx, out, statement, text, service, &actions);
                }
            }
        }
        let everyone = principal.values().any(|(kind, text)| {
            PrincipalValue::parse(kind, text.value) == PrincipalValue::Everyone
        });
        if !everyone {
            continue;
        }
        let Some((scope, actions)) = account_wide_admin(ctx, statement) else {
            continue;
        };
        // Open to other accounts: public-key-access's finding.
        let search =
            outsiders.get_or_insert_with(|| OutsideAccessSearch::new(ctx.policy, &options));
        if actions.iter().any(|a| {
            search
                .find(statement.index, a, &OutsideCaller::PUBLIC)
                .is_some()
        }) {
            continue;
        }
        report_account_wide(out, ctx, statement, &scope, &actions);
    }
}

/// The administration actions a service principal gets through a statement,
/// acting for the resources the statement names (or any).
fn service_admin(
    ctx: &Context<'_>,
    statement: &Statement<'_>,
    service: &str,
    options: &EvalOptions,
) -> Vec<&'static str> {
    // The service acting for a resource the statement names: its own
    // `aws:SourceAccount` and `aws:SourceArn` values, when it gives them.
    let mut fixed = RequestContext::new();
    for key in ["aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID"] {
        if let Some(value) = literal_value(statement, key) {
            fixed.set(key, value);
        }
    }
    ADMIN_ACTIONS
        .into_iter()
        .filter(|action| covers_action(statement, action))
        .filter(|action| {
            let absent: &[&str] = if *action == "kms:CreateGrant" {
                &["kms:GrantIsForAWSResource"]
            } else {
                &[]
            };
            find_request_through(
                ctx.policy,
                statement.index,
                RequestPrincipal::Service(service.to_string()),
                action,
                &fixed,
                absent,
                options,
            )
            .is_some()
        })
        .collect()
}

/// Who "every principal of" means in a message, and the administration
/// actions an arbitrary role of that scope gets through statement
/// `statement` (whose principal is `"*"`) calling KMS directly: `None` when
/// it gets none. Also asked by `create-grant-without-aws-resource-condition`,
/// which leaves these statements to this rule.
pub(crate) fn account_wide_admin(
    ctx: &Context<'_>,
    statement: &Statement<'_>,
) -> Option<(String, Vec<&'static str>)> {
    if let Some(known) = ctx.shared.account_wide_admin.borrow().get(&statement.index) {
        return known.clone();
    }
    let found = find_account_wide_admin(ctx, statement);
    ctx.shared
        .account_wide_admin
        .borrow_mut()
        .insert(statement.index, found.clone());
    found
}

fn find_account_wide_admin(
    ctx: &Context<'_>,
    statement: &Statement<'_>,
) -> Option<(String, Vec<&'static str>)> {
    let options = EvalOptions::default();
    let org = literal_value(statement, "aws:PrincipalOrgID");
    let org_path =
        literal_value(statement, "aws:PrincipalOrgPaths").map(|p| p.replace(['*', '?'], "x"));
    let mut accounts: Vec<String> = ["kms:CallerAccount", "aws:PrincipalAccount"]
        .iter()
        .flat_map(|key| literal_values(statement, key))
        .filter(|a| is_account_id(a))
        .collect();
    if accounts.is_empty() {
        accounts.extend(key_account(ctx));
    }
    if accounts.is_empty() {
        accounts.push("111122223333".to_string());
    }
    accounts.dedup();
    for account in accounts.iter().take(3) {
        let mut direct = RequestContext::new();
        direct.set("aws:ViaAWSService", "false");
        if let Some(org) = &org {
            direct.set("aws:PrincipalOrgID", org.clone());
            let path = org_path
                .clone()
                .unwrap_or_else(|| format!("{org}/r-pc00/ou-pc00-00000000/"));
            direct.set_multi("aws:PrincipalOrgPaths", vec![path]);
        }
        let role = RequestPrincipal::role(account, "policy-check-any-role");
        let actions: Vec<&'static str> = ADMIN_ACTIONS
            .into_iter()
            .filter(|action| covers_action(statement, action))
            .filter(|action| {
                find_request_through(
                    ctx.policy,
                    statement.index,
                    role.clone(),
                    action,
                    &direct,
                    &DIRECT_CALL_ABSENT,
                    &options,
                )
                .is_some_and(|(_, e)| e.allowed_by.contains(&statement.index))
            })
            .collect();
        if !actions.is_empty() {
            let scope = match &org {
                Some(org)
                    if literal_value(statement, "kms:CallerAccount").is_none()
                        && literal_value(statement, "aws:PrincipalAccount").is_none() =>
                {
                    format!("every role and user of every account in organization {org}")
                }
                _ => format!("every role and user of account {account}"),
            };
            return Some((scope, actions));
        }
    }
    None
}

/// The first value a statement's conditions give `key` without a wildcard
/// or a policy variable.
fn literal_value(statement: &Statement<'_>, key: &str) -> Option<String> {
    literal_values(statement, key).into_iter().next()
}

fn literal_values(statement: &Statement<'_>, key: &str) -> Vec<String> {
    statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .filter(|(op, k)| {
            k.key.value.eq_ignore_ascii_case(key)
                && op.operator.is_some_and(|o| !o.base.is_negated())
        })
        .flat_map(|(_, k)| k.values.iter().map(|v| v.value))
        .filter(|v| !v.contains(['*', '?']) && !v.contains("${"))
        .map(str::to_string)
        .collect()
}

/// The range of the statement's action entry that covers `action`.
fn action_range(statement: &Statement<'_>, action: &str) -> TextRange {
    statement
        .action
        .as_ref()
        .and_then(|a| a.values.iter().find(|v| action_matches(v.value, action)))
        .map(|v| v.range)
        .or_else(|| statement.not_action.as_ref().map(|n| n.element.key_range))
        .unwrap_or_else(|| statement.anchor())
}

/// "grants ..." labels, one per action entry (`kms:*` covers several).
fn grants(statement: &Statement<'_>, actions: &[&'static str]) -> Vec<(TextRange, String)> {
    let mut by_range: Vec<(TextRange, Vec<String>)> = Vec::new();
    for action in actions {
        let range = action_range(statement, action);
        match by_range.iter_mut().find(|(r, _)| *r == range) {
            Some((_, names)) => names.push(action.to_string()),
            None => by_range.push((range, vec![action.to_string()])),
        }
    }
    by_range
        .into_iter()
        .map(|(range, names)| (range, format!("grants {}", join_names(&names, 3))))
        .collect()
}

fn names(actions: &[&'static str]) -> String {
    let names: Vec<String> = actions
        .iter()
        .map(|a| {
            if *a == "kms:CreateGrant" {
                "kms:CreateGrant (without kms:GrantIsForAWSResource)".to_string()
            } else {
                a.to_string()
            }
        })
        .collect();
    join_names(&names, 3)
}

fn report_service(
    ctx: &Context<'_>,
    out: &mut Emitter<'_>,
    statement: &Statement<'_>,
    text: Text<'_>,
    service: &str,
    actions: &[&'static str],
) {
    let message = format!(
        "{} lets the service principal {service} administer this key: {}; a service that uses a key needs its cryptographic operations, never the power to change its policy, delete it or hand out grants",
        statement.label(),
        names(actions)
    );
    let mut d = out
        .diagnostic(text.range, message)
        .at_node(ctx.tree, text.node)
        .with_help(format!(
            "give {service} only the operations its guide lists (such as kms:GenerateDataKey* and kms:Decrypt), and keep key administration for named administrator roles"
        ));
    for (range, label) in grants(statement, actions) {
        d = d.with_related(range, label);
    }
    out.push(d);
}

fn report_account_wide(
    out: &mut Emitter<'_>,
    ctx: &Context<'_>,
    statement: &Statement<'_>,
    scope: &str,
    actions: &[&'static str],
) {
    let Some(principal) = &statement.principal else {
        return;
    };
    let mut powers: Vec<String> = Vec::new();
    if actions.contains(&"kms:PutKeyPolicy") {
        powers.push("replace the key policy and lock out the administrators".to_string());
    }
    if actions.contains(&"kms:ScheduleKeyDeletion") {
        powers.push("schedule the key's deletion".to_string());
    }
    if actions.contains(&"kms:CreateGrant") {
        powers.push("grant the key's use to any principal of any account".to_string());
    }
    let message = format!(
        "{} lets {scope} administer this key without any IAM policy: {}; the principal `\"*\"` limited only by the caller's account or organization names every principal there, so any of them can {}",
        statement.label(),
        names(actions),
        join_names(&powers, 3)
    );
    let mut d = out
        .diagnostic(principal.element.value_range, message)
        .at_node(ctx.tree, principal.element.value)
        .with_help(
            "name the administrator roles in Principal, or give the account root (arn:aws:iam::ACCOUNT:root) kms:* and grant administration in IAM policies; keep the account-wide statement to the cryptographic operations",
        );
    for (range, label) in grants(statement, actions) {
        d = d.with_related(range, label);
    }
    out.push(d);
}
