use crate::diagnostic::Severity;
use crate::eval::covers_action;
use crate::rules::security::join_names;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC503",
    name: "allow-with-not-action",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "An Allow statement with NotAction grants every action it does not list, including future ones",
    docs: r#"## What it does
Reports an `Allow` statement that uses `NotAction`, and names the sensitive
KMS actions it grants as a result (`kms:PutKeyPolicy`,
`kms:ScheduleKeyDeletion`, `kms:Decrypt`...).

## Why it matters
`NotAction` with `Allow` grants everything except the listed actions: today
that includes changing the key policy, scheduling the key's deletion and
decrypting, and tomorrow it includes whatever action KMS adds next. It is
the wrong tool for "everything but": write the actions the principal needs.
(`NotAction` with `Deny` is fine: it denies everything but a few actions.)

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
  "NotAction": ["kms:ScheduleKeyDeletion", "kms:DisableKey"],
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
  "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
  "Resource": "*"
}
```

## Fix
List the actions the principal needs in `Action`.

## Sources
- IAM User Guide, "IAM JSON policy elements: NotAction": with Allow, every action not listed is allowed, including actions added later (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html).
- Service Authorization Reference for AWS KMS: the key actions, their access levels (PutKeyPolicy is Permissions management) (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
"#,
    check: Check::Policy(check),
};

/// The actions whose grant matters most, in the order a reader should see them.
const SENSITIVE: [&str; 10] = [
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:DeleteImportedKeyMaterial",
    "kms:DisableKeyRotation",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
];

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for statement in &ctx.policy.statements {
        let Some(not_action) = &statement.not_action else {
            continue;
        };
        if !statement.is_allow() || statement.action.is_some() {
            continue;
        }
        let granted: Vec<&str> = ctx
            .catalog
            .actions()
            .iter()
            .filter(|a| a.effective_in_key_policy && covers_action(statement, &a.name))
            .map(|a| a.name.as_str())
            .collect();
        if granted.is_empty() {
            continue; // `NotAction: "kms:*"` grants no KMS action.
        }
        let sensitive: Vec<String> = SENSITIVE
            .iter()
            .filter(|s| granted.contains(s))
            .map(|s| s.to_string())
            .collect();
        let including = if sensitive.is_empty() {
            String::new()
        } else {
            format!(", including {}", join_names(&sensitive, 4))
        };
        out.push(
            out.diagnostic(
                not_action.element.key_range,
                format!(
                    "{} allows every action except those in NotAction: {} KMS actions today{including}, \
                     and any action KMS adds later",
                    statement.label(),
                    granted.len(),
                ),
            )
            .at_node(ctx.tree, not_action.element.value)
            .with_help("list the actions the principal needs in Action instead"),
        );
    }
}
