use crate::catalog::KeyType;
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::{BaseOperator, Operator};
use crate::rules::conditions::{code, fix};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC320",
    name: "string-operator-on-arn-key",
    pack: Pack::Conditions,
    severity: Severity::Hint,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "`StringLike` or `StringNotLike` on an ARN condition key such as `aws:PrincipalArn` or `aws:SourceArn`",
    docs: r#"## What it does
Reports `StringLike` and `StringNotLike` (with or without `IfExists`) on a
condition key whose values are ARNs: `aws:PrincipalArn`, `aws:SourceArn`,
`kms:GrantConstraintSourceArn`.

## Why it matters
Under `StringLike` a `*` matches any run of characters, colons included, so
`arn:aws:iam::*:role/Admin` lets the `*` stand for the partition, the
account, or more; `ArnLike` matches each of the six colon-separated parts on
its own, which is what such a pattern means. AWS recommends the ARN
operators for ARN keys, and IAM Access Analyzer suggests them ("String like
operator with ARN condition keys").

## Example
```json
"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app-*"}
```

## Use instead
```json
"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app-*"}
```

## Fix
The fix moves the ARN keys to `ArnLike` (`ArnNotLike`), merging with a block
of that name. It is marked unsafe: a `*` that spanned several parts under
`StringLike` matches within one part under `ArnLike`, so review each
pattern.

## Sources
- IAM User Guide, "Condition operators", Amazon Resource Name (ARN) condition operators: `ArnLike` checks "each of the six colon-delimited components of the ARN" separately (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
- IAM User Guide, IAM policy validation check reference (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for statement in &ctx.policy.statements {
        let Some(block) = &statement.condition else {
            continue;
        };
        for (index, op_entry) in block.operators.iter().enumerate() {
            let Some(op) = op_entry.operator else {
                continue;
            };
            let arn_base = match op.base {
                BaseOperator::StringLike => BaseOperator::ArnLike,
                BaseOperator::StringNotLike => BaseOperator::ArnNotLike,
                _ => continue,
            };
            let arn_keys: Vec<usize> = op_entry
                .keys
                .iter()
                .enumerate()
                .filter(|(_, k)| {
                    crate::catalog::catalog()
                        .condition_key(k.key.value)
                        .is_some_and(|m| m.info.value_type == KeyType::Arn)
                })
                .map(|(i, _)| i)
                .collect();
            if arn_keys.is_empty() {
                continue;
            }
            let target = Operator {
                base: arn_base,
                ..op
            }
            .name();
            // `move_keys` refuses any move it cannot write cleanly (a key
            // already in the target block, syntax errors), so the fix needs
            // no second parse: this hint fires often, and cheaply.
            let fix = fix::move_keys(ctx, block, index, &arn_keys, &target).map(|edits| Fix {
                title: format!("Compare with `{target}`: a `*` then matches within one part of the ARN, not across colons; review each pattern"),
                applicability: Applicability::Unsafe,
                edits,
            });
            let key = &op_entry.keys[arn_keys[0]];
            let d = out
                .diagnostic(
                    key.key.range,
                    format!(
                        "{} in {} is an ARN key compared with `{}`, where `*` also matches colons: `{target}` matches each part of the ARN on its own, as an ARN pattern means",
                        code(key.key.value),
                        statement.label(),
                        op_entry.name.value
                    ),
                )
                .with_help(format!("write `{target}`"))
                .with_fix_opt(fix)
                .at_node(ctx.tree, key.value_node);
            out.push(d);
        }
    }
}
