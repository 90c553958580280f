use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::BaseOperator;
use crate::rules::conditions::{at_most, code, fix};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC307",
    name: "null-with-if-exists",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "`NullIfExists` or a set qualifier on `Null`",
    docs: r#"## What it does
Reports the `Null` operator with the `IfExists` suffix (`NullIfExists`) or
with a `ForAnyValue:`/`ForAllValues:` qualifier.

## Why it matters
`Null` tests whether a key is present: `true` means absent, `false` means
present. `IfExists` means "if the key is absent, the condition is true",
which contradicts what `Null` tests; IAM does not allow `IfExists` on `Null`
and AWS's policy validator reports it as an error. A set qualifier compares
sets of values, but `Null` compares no value, so it has no meaning there
either (a warning: this combination is not documented either way).

## Example
```json
"Condition": {
  "NullIfExists": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}
}
```

## Use instead
```json
"Condition": {
  "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}
}
```

## Fix
The fix writes `Null` (merging into an existing `Null` block when there is
one). It is safe: IAM does not accept the suffix, so `Null` is the only
reading.

## Sources
- IAM User Guide, "IAM JSON policy elements: Condition operators": "You can add IfExists to the end of any condition operator name except the Null condition"; `Null` "check[s] if a condition key is absent" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference: "Error – Null with if exists" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
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
            if op.base != BaseOperator::Null || !(op.if_exists || op.qualifier.is_some()) {
                continue;
            }
            let name = op_entry.name.value;
            let label = statement.label();
            let (message, cap) = if op.if_exists {
                (
                    format!(
                        "{} in {label}: `IfExists` cannot be added to `Null`, which itself tests whether the key exists",
                        code(name)
                    ),
                    Severity::Error,
                )
            } else {
                (
                    format!(
                        "{} in {label}: a set qualifier has no meaning on `Null`, which tests whether the key is present and compares no values",
                        code(name)
                    ),
                    Severity::Warning,
                )
            };
            let keys: Vec<usize> = (0..op_entry.keys.len()).collect();
            let fix = out.fix(|| {
                let edits = fix::move_keys(ctx, block, index, &keys, "Null")?;
                Some(Fix {
                    title: "Use `Null`".to_string(),
                    applicability: Applicability::Safe,
                    edits,
                })
            });
            let d = out
                .diagnostic(op_entry.name.range, message)
                .with_help("write `Null` with `\"true\"` (the key must be absent) or `\"false\"` (the key must be present)")
                .with_fix_opt(fix)
                .at_node(ctx.tree, op_entry.value_node);
            out.push(at_most(d, cap));
        }
    }
}
