use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::{BaseOperator, Operator, ValueKind};
use crate::rules::conditions::{code, entries, fix, has_wildcard, never_applies, Entry};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC304",
    name: "wildcard-in-non-like-operator",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A `*` or `?` in a value that the operator compares literally",
    docs: r#"## What it does
Reports a condition value with `*` or `?` under an operator that compares
strings literally: `StringEquals`, `StringNotEquals`,
`StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase` (with any qualifier or
`IfExists`). ARN operators are not reported (they take wildcards), nor are
IAM's escapes `${*}` and `${?}`, which stand for the literal characters, nor
other policy variables.

## Why it matters
Only `StringLike`, `StringNotLike` and the ARN operators treat `*` and `?` as
wildcards; `StringEquals` compares them as the characters `*` and `?`. No
real request value is `arn:aws:s3:::my-bucket/*` with a literal asterisk, so
`"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-bucket/*"}`
never matches: the Allow statement grants nothing and the service that needs
the key is denied. Under `StringNotEquals` the value excludes nothing, which
in a Deny statement denies far more than intended.

## Example
```json
"Condition": {
  "StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*"}
}
```

## Use instead
```json
"Condition": {
  "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*"}
}
```

## Fix
The fix uses the `Like` operator of the same sense (`StringEquals` →
`StringLike`, `StringNotEquals` → `StringNotLike`), keeping any
`ForAnyValue:`/`ForAllValues:` qualifier and `IfExists`:
- when every key of the operator block has a wildcard value, the block is
  renamed (or merged into an existing block of the `Like` operator);
- otherwise only this key moves, into the existing `Like` block or a new one
  next to it, and the other keys keep their operator.

The fix is **safe** for `StringEquals`/`StringNotEquals`, and is the
preferred quick fix, because it is the one evident reading: as written, the
wildcard value can never equal a real request value, so it does nothing; the
author wrote a pattern and the `Like` operator makes it one. Values without
wildcards compare exactly the same under the `Like` operator (it is
case-sensitive like `StringEquals`), so nothing else changes. From
`...IgnoreCase` the fix is unsafe: the `Like` operators are case-sensitive.
No fix is offered when the key already appears in the `Like` block, or when
the edited text would not parse.

## Sources
- IAM User Guide, "IAM JSON policy elements: Condition operators": `StringEquals` is "Exact matching, case sensitive"; `StringLike` values "can include multi-character match wildcards (*) and single-character match wildcards (?)"; ARN operators take wildcards in each component (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference: "General Warning – Wildcard without like operator" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- IAM User Guide, "IAM policy elements: Variables and tags": `${*}`, `${?}`, `${$}` stand for the literal characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
- Amazon File Cache User Guide, "Working with server-side encrypted Amazon S3 buckets": the statement matches `kms:EncryptionContext:aws:s3:arn` with `StringLike` and `arn:aws:s3:::bucket_name/*` (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html).
"#,
    check: Check::Policy(check),
};

/// The `Like` operator for a literal string operator, if the base is one.
fn like_of(base: BaseOperator) -> Option<BaseOperator> {
    match base {
        BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase => {
            Some(BaseOperator::StringLike)
        }
        BaseOperator::StringNotEquals | BaseOperator::StringNotEqualsIgnoreCase => {
            Some(BaseOperator::StringNotLike)
        }
        _ => None,
    }
}

fn wants_wildcards(key: &crate::model::ConditionKeyEntry<'_>) -> bool {
    key.values
        .iter()
        .any(|v| v.kind == ValueKind::String && has_wildcard(v.value))
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        let Some(like) = like_of(op.base) else {
            continue;
        };
        let wild: Vec<_> = entry
            .key
            .values
            .iter()
            .filter(|v| v.kind == ValueKind::String && has_wildcard(v.value))
            .collect();
        let Some(first) = wild.first() else { continue };
        let target = Operator {
            qualifier: op.qualifier,
            base: like,
            if_exists: op.if_exists,
        }
        .name();
        let label = entry.statement.label();
        let all_wild = wild.len() == entry.key.values.len();
        let effect = if op.base.is_negated() && entry.statement.is_deny() {
            format!(
                "so {} exempts nothing and the Deny also applies to the requests {} meant to exclude",
                if wild.len() == 1 { "it" } else { "they" },
                if wild.len() == 1 { "it was" } else { "they were" },
            )
        } else if op.base.is_negated() {
            format!(
                "so {} excludes nothing and `{}` is true for every request as far as {} goes",
                if wild.len() == 1 { "it" } else { "they" },
                entry.op_name(),
                if wild.len() == 1 {
                    "this value"
                } else {
                    "these values"
                },
            )
        } else if all_wild && !op.if_exists {
            format!(
                "so no request matches this condition and {}",
                never_applies(entry.statement)
            )
        } else if all_wild {
            format!(
                "so only requests without {} pass this condition",
                code(entry.key_name())
            )
        } else {
            "so only the key's other values can match".to_string()
        };
        let message = format!(
            "{} has a wildcard, but `{}` compares it literally: no request carries {} with a literal `{}`, {effect} ({label})",
            code(first.value),
            entry.op_name(),
            code(entry.key_name()),
            if first.value.contains('*') { "*" } else { "?" },
        );
        let mut d = out
            .diagnostic(first.range, message)
            .with_related(
                entry.op.name.range,
                format!("`{}` does not expand `*` and `?`", entry.op_name()),
            )
            .with_help(format!(
                "use `{target}` for {} to match the pattern",
                code(entry.key_name())
            ))
            .at_node(ctx.tree, first.node);
        for other in wild.iter().skip(1) {
            d = d.with_related(other.range, "also compared literally");
        }
        d = d.with_fix_opt(out.fix(|| like_fix(ctx, &entry, &target, op.base.ignores_case())));
        out.push(d);
    }
}

fn like_fix(
    ctx: &Context<'_>,
    entry: &Entry<'_, '_>,
    target: &str,
    ignore_case: bool,
) -> Option<Fix> {
    let source = entry
        .block
        .operators
        .iter()
        .position(|o| std::ptr::eq(o, entry.op))?;
    let all_want = entry.op.keys.iter().all(wants_wildcards);
    let keys: Vec<usize> = if all_want {
        (0..entry.op.keys.len()).collect()
    } else {
        vec![entry
            .op
            .keys
            .iter()
            .position(|k| std::ptr::eq(k, entry.key))?]
    };
    let edits = fix::move_keys(ctx, entry.block, source, &keys, target)?;
    let title = if all_want
        && keys.len() == entry.op.keys.len()
        && edits.len() == 1
        && ctx.slice(edits[0].range) == entry.op_name()
    {
        format!("Replace `{}` with `{target}`", entry.op_name())
    } else {
        format!("Compare {} with `{target}`", code(entry.key_name()))
    };
    Some(Fix {
        title,
        applicability: if ignore_case {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        },
        edits,
    })
}

#[cfg(test)]
mod tests {
    use crate::{analyze, AnalyzeOptions, Applicability};

    /// The editor's quick fix for the commonest case: the object-ARN pattern
    /// alone under `StringEquals` becomes `StringLike`, as a safe edit of
    /// just the operator name.
    #[test]
    fn renames_a_lone_string_equals_to_string_like() {
        let text = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-bucket/*"}}
  }]
}"#;
        let analysis = analyze(text, &AnalyzeOptions::default());
        let d = analysis
            .diagnostics
            .iter()
            .find(|d| d.code == "PC304")
            .unwrap();
        assert_eq!(&text[d.range.as_usize()], "\"arn:aws:s3:::my-bucket/*\"");
        let fix = d.fix.as_ref().unwrap();
        assert_eq!(fix.applicability, Applicability::Safe);
        assert_eq!(fix.edits.len(), 1);
        assert_eq!(&text[fix.edits[0].range.as_usize()], "StringEquals");
        assert_eq!(fix.edits[0].replacement, "StringLike");
        let fixed = fix.apply(text);
        assert!(analyze(&fixed, &AnalyzeOptions::default())
            .diagnostics
            .iter()
            .all(|d| d.code != "PC304"));
    }
}
