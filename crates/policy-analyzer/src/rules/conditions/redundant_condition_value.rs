use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::BaseOperator;
use crate::rules::conditions::{code, entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC322",
    name: "redundant-condition-value",
    pack: Pack::Conditions,
    severity: Severity::Hint,
    fix: FixAvailability::Always,
    tags: &[],
    summary:
        "Several values for a numeric less-than or greater-than condition, of which only one counts",
    docs: r#"## What it does
Reports a `NumericLessThan`, `NumericLessThanEquals`, `NumericGreaterThan` or
`NumericGreaterThanEquals` condition with several values.

## Why it matters
Several values of one key are ORed: "less than 7 or less than 30" is "less
than 30". Only the greatest value counts for a less-than operator and only
the least for a greater-than one; the others only make the reader wonder
which bound holds, and IAM Access Analyzer suggests replacing them with the
single value that counts ("Redundant condition value num").

## Example
```json
"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": ["7", "30"]}
```

## Use instead
```json
"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}
```

## Fix
The fix keeps the value that counts. It is safe: the condition is true for
the same requests.

## Sources
- IAM User Guide, "Creating a condition with multiple keys or values": multiple values of one key are evaluated with a logical OR (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
- IAM User Guide, IAM policy validation check reference: "Suggestion – Redundant condition value num" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        if op.qualifier.is_some() {
            continue;
        }
        let greatest = match op.base {
            BaseOperator::NumericLessThan | BaseOperator::NumericLessThanEquals => true,
            BaseOperator::NumericGreaterThan | BaseOperator::NumericGreaterThanEquals => false,
            _ => continue,
        };
        let values = &entry.key.values;
        if values.len() < 2 {
            continue;
        }
        let numbers: Option<Vec<f64>> = values
            .iter()
            .map(|v| v.value.trim().parse::<f64>().ok())
            .collect();
        let Some(numbers) = numbers else { continue };
        let best = numbers.iter().enumerate().fold(0, |best, (i, n)| {
            let better = if greatest {
                *n > numbers[best]
            } else {
                *n < numbers[best]
            };
            if better {
                i
            } else {
                best
            }
        });
        let kept = &values[best];
        let fix = out.fix(|| {
            Some(Fix {
                title: format!("Keep only {}", code(kept.value)),
                applicability: Applicability::Safe,
                edits: vec![crate::diagnostic::TextEdit {
                    range: ctx.tree.range(entry.key.value_node),
                    replacement: ctx.slice(kept.range).to_string(),
                }],
            })
        });
        let others: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, v)| code(v.value))
            .collect();
        let d = out
            .diagnostic(
                ctx.tree.range(entry.key.value_node),
                format!(
                    "`{}` on {} in {} has {} values, which are ORed: only the {} one, {}, counts, and {} {} nothing",
                    entry.op_name(),
                    code(entry.key_name()),
                    entry.statement.label(),
                    values.len(),
                    if greatest { "greatest" } else { "least" },
                    code(kept.value),
                    crate::rules::conditions::list(&others, 3),
                    if others.len() == 1 { "adds" } else { "add" }
                ),
            )
            .with_help(format!("write the single value {}", code(kept.value)))
            .with_fix_opt(fix)
            .at_node(ctx.tree, entry.key.value_node);
        out.push(d);
    }
}
