use crate::diagnostic::Severity;
use crate::rules::conditions::code;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC316",
    name: "duplicate-condition-key-case",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "One condition key written twice under one operator, in different letter case",
    docs: r#"## What it does
Reports a condition key that appears twice under the same condition operator,
spelled with different letter case: `"aws:SourceArn"` and `"aws:sourcearn"`
in one `StringEquals` block. (The same spelling twice is a duplicate JSON key,
which `duplicate-key` reports.)

## Why it matters
Condition key names are case-insensitive, so the two entries name one key,
but JSON keeps them apart and the policy says two things about it. Which of
the two AWS applies, or whether it combines them, is not documented, and
IAM Access Analyzer rejects such a policy as an error ("Duplicate keys with
different case"). A reader sees two conditions where the service may apply
one.

## Example
```json
"StringEquals": {
  "aws:SourceAccount": "111122223333",
  "AWS:SourceAccount": "444455556666"
}
```

## Use instead
```json
"StringEquals": {
  "aws:SourceAccount": ["111122223333", "444455556666"]
}
```
(several values of one key are ORed), or two statements if both must hold.

## Fix
No automatic fix: whether the values were meant together (OR) or as two
conditions (AND) only the author knows.

## Sources
- IAM User Guide, "IAM JSON policy elements: Condition": condition key names are not case-sensitive (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
- IAM User Guide, IAM policy validation check reference: "Error – Duplicate keys with different case" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for statement in &ctx.policy.statements {
        let Some(block) = &statement.condition else {
            continue;
        };
        for op in &block.operators {
            for (i, key) in op.keys.iter().enumerate() {
                let first = op.keys[..i].iter().find(|k| {
                    k.key.value != key.key.value && k.key.value.eq_ignore_ascii_case(key.key.value)
                });
                let Some(first) = first else { continue };
                // Report each spelling once, at its first repetition.
                if op.keys[..i].iter().any(|k| k.key.value == key.key.value) {
                    continue;
                }
                let d = out
                    .diagnostic(
                        key.key.range,
                        format!(
                            "{} and {} under `{}` in {} are one condition key written twice (key names are case-insensitive): which of the two conditions applies is not defined, and IAM Access Analyzer rejects the policy",
                            code(first.key.value),
                            code(key.key.value),
                            op.name.value,
                            statement.label()
                        ),
                    )
                    .with_help("write the key once and list its values in one array (they are ORed), or put the second condition in its own statement")
                    .with_related(first.key.range, "the same key")
                    .at_node(ctx.tree, key.value_node);
                out.push(d);
            }
        }
    }
}
