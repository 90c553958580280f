use crate::diagnostic::Severity;
use crate::rules::conditions::{code, entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC308",
    name: "key-not-supported-in-key-policy",
    pack: Pack::Conditions,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A condition key that AWS KMS supports only in IAM policies",
    docs: r#"## What it does
Reports condition keys that the AWS KMS documentation lists as supported in
IAM policies only, not in key policies:
- `aws:ResourceTag/<tag-key>` (attribute-based access control by the tags of
  the KMS key);
- `kms:ResourceAliases` (access control by the aliases of the KMS key),
  whose policy type in the KMS condition-key table is "IAM policies only".

## Why it matters
KMS says these keys are not supported in key policies, so a key-policy
condition on them cannot be relied on to control access: the documentation
does not say whether such a condition is ignored or never matches, and
either reading is wrong for a policy that means to restrict (or to grant) by
tag or alias. Tag- and alias-based access control for KMS keys belongs in
IAM policies, which the key policy enables by allowing the account
(`arn:aws:iam::<account>:root`).

## Example
```json
"Condition": {
  "StringEquals": {"aws:ResourceTag/Project": "alpha"}
}
```

## Use instead
Put the tag condition in an IAM policy of the principals, and keep the key
policy's statement that lets IAM policies grant access:
```json
{
  "Sid": "Enable IAM User Permissions",
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
  "Action": "kms:*",
  "Resource": "*"
}
```

## Fix
No automatic fix: the condition has to move to an IAM policy.

## Sources
- AWS KMS Developer Guide, "Use tags to control access to KMS keys": `aws:ResourceTag/tag-key` "is supported only in IAM policies. It isn't supported in key policies" (https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html).
- AWS KMS Developer Guide, "AWS KMS condition keys", `kms:ResourceAliases`: policy type "IAM policies only". What KMS does with this key in a key policy is not documented, so this rule reports it as a warning, like `aws:ResourceTag` (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(found) = entry.key_info() else {
            continue;
        };
        let what = if found.info.prefix.as_deref() == Some("aws:resourcetag/") {
            "tags of the KMS key (`aws:ResourceTag/<tag-key>`)"
        } else if found.info.name.eq_ignore_ascii_case("kms:ResourceAliases") {
            "aliases of the KMS key (`kms:ResourceAliases`)"
        } else {
            continue;
        };
        let d = out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {}: AWS KMS supports conditions on the {what} only in IAM policies, not in key policies, so this condition cannot be relied on to control access",
                    code(entry.key_name()),
                    entry.statement.label()
                ),
            )
            .with_help("move this condition to an IAM policy of the principals, and let the key policy delegate to IAM by allowing the account root principal")
            .at_node(ctx.tree, entry.key.value_node);
        out.push(d);
    }
}
