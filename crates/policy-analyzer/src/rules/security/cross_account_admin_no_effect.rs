use crate::diagnostic::{DiagnosticTag, Severity};
use crate::eval::PrincipalValue;
use crate::rules::security::{join_names, key_account};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC506",
    name: "cross-account-admin-no-effect",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[DiagnosticTag::Unnecessary],
    summary: "Key-management actions granted to another account's principals have no effect",
    docs: r#"## What it does
Reports an action of an Allow statement whose principals all belong to
accounts other than the key's, when every KMS action it stands for is one
that KMS never lets another account perform (`kms:PutKeyPolicy`,
`kms:ScheduleKeyDeletion`, `kms:DisableKey`, `kms:TagResource`...). The
key's account comes from the configuration, else from the policy's own ARNs;
without it the rule stays silent. Wildcards such as `kms:*` that also cover
cross-account operations are not reported.

## Why it matters
"Cross-account permission is effective only for" the cryptographic
operations, `CreateGrant`, `DescribeKey`, `GetKeyRotationStatus`,
`GetPublicKey`, `ListGrants`, `RetireGrant` and `RevokeGrant`. A policy that
gives another account `kms:ScheduleKeyDeletion` suggests that account can
administer the key; it cannot, and the grant is dead text that misleads
reviewers.

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
  "Action": ["kms:Decrypt", "kms:ScheduleKeyDeletion"],
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
  "Action": "kms:Decrypt",
  "Resource": "*"
}
```

## Fix
Delete the action, or administer the key from a principal of its own account.

## Sources
- AWS KMS Developer Guide, "Allowing users in other accounts to use a KMS key": "Cross-account permission is effective only for: cryptographic operations, CreateGrant, DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant, RevokeGrant" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
- AWS KMS Developer Guide, "Cryptographic operations": which operations are cryptographic (https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations).
"#,
    check: Check::Policy(check),
};

/// The actions KMS honours for principals of another account (kms-facts §1).
const CROSS_ACCOUNT_EFFECTIVE: [&str; 21] = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GenerateRandom",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:Sign",
    "kms:Verify",
    "kms:VerifyMac",
    "kms:DeriveSharedSecret",
    "kms:CreateGrant",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",
    "kms:ListGrants",
    "kms:RetireGrant",
    "kms:RevokeGrant",
];

fn cross_account_effective(action: &str) -> bool {
    CROSS_ACCOUNT_EFFECTIVE
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action))
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let Some(account) = key_account(ctx) else {
        return;
    };
    for statement in &ctx.policy.statements {
        if !statement.is_allow() {
            continue;
        }
        let (Some(principal), Some(action)) = (&statement.principal, &statement.action) else {
            continue;
        };
        // Every principal must be of another account: a principal of the
        // key's own account (or "*") gives the action its effect.
        let mut foreign = Vec::new();
        let mut all_foreign = true;
        for (kind, text) in principal.values() {
            match PrincipalValue::parse(kind, text.value).account() {
                Some(a) if a != account => foreign.push(text),
                _ => all_foreign = false,
            }
        }
        if !all_foreign || foreign.is_empty() {
            continue;
        }
        let names: Vec<String> = foreign.iter().map(|t| t.value.to_string()).collect();
        let ineffective: Vec<_> = action
            .values
            .iter()
            .filter(|value| {
                let expanded = ctx.catalog.expand(value.value);
                let mut effective = ctx
                    .catalog
                    .actions_in(expanded)
                    .filter(|a| a.effective_in_key_policy)
                    .peekable();
                effective.peek().is_some() && effective.all(|a| !cross_account_effective(&a.name))
            })
            .collect();
        let Some(first) = ineffective.first() else {
            continue;
        };
        let listed: Vec<String> = ineffective.iter().map(|v| v.value.to_string()).collect();
        let verb = if listed.len() == 1 { "has" } else { "have" };
        let mut d = out
            .diagnostic(
                first.range,
                format!(
                    "{} {verb} no effect for {}: KMS lets principals of another account (the key is in \
                     {account}) use only cryptographic operations, CreateGrant, DescribeKey, \
                     GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and RevokeGrant",
                    join_names(&listed, 4),
                    join_names(&names, 2),
                ),
            )
            .at_node(ctx.tree, first.node)
            .with_help(format!(
                "delete {}, or administer the key from a principal of account {account}",
                if listed.len() == 1 { "it" } else { "them" }
            ));
        for value in &ineffective[1..] {
            d = d.with_related(value.range, "no effect either");
        }
        for text in foreign.iter().take(3) {
            d = d.with_related(text.range, "a principal of another account");
        }
        out.push(d);
    }
}
