use crate::aws::is_account_id;
use crate::diagnostic::Severity;
use crate::model::{OperatorFamily, ValueKind};
use crate::rules::conditions::{
    code, dead_value_consequence, entries, has_placeholder, has_wildcard,
};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC311",
    name: "invalid-caller-account",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A `kms:CallerAccount`, `aws:PrincipalAccount` or `aws:SourceAccount` value that is not a 12-digit account ID",
    docs: r#"## What it does
Reports a value of a key that holds an account ID — `kms:CallerAccount`,
`aws:PrincipalAccount`, `aws:SourceAccount`, `aws:ResourceAccount` — that is
not an AWS account ID of exactly 12 digits: the documentation placeholder `aws_account_id`, an ID
with 11 or 13 digits, an ID written with hyphens (`1111-2222-3333`), an
angle-bracket placeholder. Under `StringLike`/`StringNotLike` a pattern of
digits, `*` and `?` is accepted when it can match 12 digits. Values with a
policy variable or template placeholder (`${aws:PrincipalAccount}`,
`${AWS::AccountId}`) are not judged. Wildcards under `StringEquals` are left
to `wildcard-in-non-like-operator`.

## Why it matters
`kms:CallerAccount` and `aws:PrincipalAccount` are the account of the
principal that calls KMS, `aws:SourceAccount` the account of the resource an
AWS service acts for, `aws:ResourceAccount` the key's account: always 12
digits. A value that is not an account ID never matches, the same class of
dead condition as an impossible ARN (`invalid-condition-value`). In the usual
pattern, `"Principal": {"AWS": "*"}` with `kms:CallerAccount`, the statement
then grants nothing (the File Cache / FSx for Lustre S3 statement copied with
its placeholder); in a Deny with `StringNotEquals` it denies every caller.

## Example
```json
"StringEquals": {"kms:CallerAccount": "aws_account_id"}
```

## Use instead
```json
"StringEquals": {"kms:CallerAccount": "111122223333"}
```

## Fix
No automatic fix: only the author knows the account.

## Sources
- AWS KMS Developer Guide, "AWS KMS condition keys": `kms:CallerAccount` is the account of the caller, a single-valued String (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account).
- IAM User Guide, "AWS global condition context keys": `aws:PrincipalAccount` "the AWS account to which the requesting principal belongs", `aws:SourceAccount`, `aws:ResourceAccount` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
- IAM User Guide, IAM policy validation check reference: "Account IDs are 12-digit integers" ("Invalid ARN account") (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- Amazon File Cache User Guide, "Working with server-side encrypted Amazon S3 buckets": the statements use the placeholder `aws_account_id`, to be replaced with a real account ID (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html).
"#,
    check: Check::Policy(check),
};

/// Why a value is not an account ID (or a pattern that can match one).
fn problem(value: &str, wildcards: bool) -> Option<String> {
    if wildcards && has_wildcard(value) {
        if !value
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '?')
        {
            return Some(format!("{} can match no 12-digit account ID", code(value)));
        }
        let fixed = value.chars().filter(|c| *c != '*').count();
        if fixed > 12 || (!value.contains('*') && fixed != 12) {
            return Some(format!("{} can match no 12-digit account ID", code(value)));
        }
        return None;
    }
    if is_account_id(value) {
        return None;
    }
    let digits = value.chars().filter(|c| c.is_ascii_digit()).count();
    if value.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!(
            "{} has {digits} digits; an AWS account ID has exactly 12",
            code(value)
        ));
    }
    if digits == 12
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
    {
        return Some(format!(
            "{} is written with separators; account IDs are matched as 12 digits without hyphens or spaces",
            code(value)
        ));
    }
    if value.chars().any(|c| c.is_ascii_alphabetic()) {
        return Some(format!(
            "{} is not an AWS account ID (12 digits); it looks like a placeholder that was never filled in",
            code(value)
        ));
    }
    Some(format!(
        "{} is not an AWS account ID (12 digits)",
        code(value)
    ))
}

/// The keys whose values are account IDs.
const ACCOUNT_KEYS: [&str; 4] = [
    "kms:CallerAccount",
    "aws:PrincipalAccount",
    "aws:SourceAccount",
    "aws:ResourceAccount",
];

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let key = entry.key_name();
        if !ACCOUNT_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            continue;
        }
        let Some(op) = entry.operator() else { continue };
        if op.base.family() != OperatorFamily::String {
            continue;
        }
        let wildcards = op.base.supports_wildcards();
        let checked: Vec<_> = entry
            .key
            .values
            .iter()
            .filter(|v| v.kind != ValueKind::Bool && !has_placeholder(v.value))
            .filter(|v| wildcards || !has_wildcard(v.value))
            .collect();
        let bad: Vec<_> = checked
            .iter()
            .filter_map(|v| {
                let view = crate::symbolic::format_view(v.value)?;
                problem(&view, wildcards).map(|p| (*v, p))
            })
            .collect();
        let all_bad = !bad.is_empty() && bad.len() == entry.key.values.len();
        for (value, why) in bad {
            let d = out
                .diagnostic(
                    value.range,
                    format!(
                        "{why}, so it never matches `{key}` in {}{}",
                        entry.statement.label(),
                        dead_value_consequence(&entry, all_bad)
                    ),
                )
                .with_help(if key.eq_ignore_ascii_case("aws:SourceAccount") {
                    "write the 12-digit ID of the account that owns the resource the service acts for, such as `111122223333`"
                } else {
                    "write the 12-digit ID of the account whose principals call KMS, such as `111122223333`"
                })
                .at_node(ctx.tree, value.node);
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_values() {
        assert!(problem("111122223333", false).is_none());
        assert!(problem("aws_account_id", false)
            .unwrap()
            .contains("placeholder"));
        assert!(problem("11112222333", false).unwrap().contains("11 digits"));
        assert!(problem("1111-2222-3333", false)
            .unwrap()
            .contains("separators"));
        assert!(problem("<ACCOUNT_ID>", false).is_some());
        assert!(problem("1111222233*", true).is_none());
        assert!(problem("*", true).is_none());
        assert!(problem("11112222333?", true).is_none());
        assert!(problem("1111222233?", true).is_some());
        assert!(problem("acct-*", true).is_some());
    }
}
