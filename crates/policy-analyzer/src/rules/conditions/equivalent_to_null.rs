use crate::diagnostic::Severity;
use crate::model::BaseOperator;
use crate::rules::conditions::{code, entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC323",
    name: "equivalent-to-null",
    pack: Pack::Conditions,
    severity: Severity::Hint,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A `Like` condition whose only value is `*`: it only tests whether the key is present, as `Null` does",
    docs: r#"## What it does
Reports `StringLike` or `ArnLike` (and their `Not` forms) whose only value
is `"*"`.

## Why it matters
`*` matches every value, so `"StringLike": {"aws:SourceArn": "*"}` is true
exactly when the request carries the key, and `StringNotLike` with `*` exactly
when it does not: the same as `"Null": {"aws:SourceArn": "false"}` and
`"Null": {... "true"}`. Written as a pattern it reads like a restriction
that is not there, which is how a placeholder `*` left in a template looks
like protection. IAM Access Analyzer suggests `Null` ("Equivalent to null
false", "Equivalent to null true").

## Example
```json
"StringLike": {"aws:SourceArn": "*"}
```

## Use instead
```json
"Null": {"aws:SourceArn": "false"}
```
or, if the condition was meant to pin a resource, its ARN.

## Fix
No automatic fix: the `*` may be a placeholder for the value that was meant.

## Sources
- IAM User Guide, "Condition operators": `StringLike` wildcards, and the `Null` operator that checks "if a condition key is absent" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        if op.qualifier.is_some() || op.if_exists {
            continue;
        }
        let present = match op.base {
            BaseOperator::StringLike | BaseOperator::ArnLike => true,
            BaseOperator::StringNotLike | BaseOperator::ArnNotLike => false,
            _ => continue,
        };
        let values = &entry.key.values;
        if values.is_empty() || !values.iter().all(|v| v.value == "*") {
            continue;
        }
        let null = if present { "false" } else { "true" };
        let d = out
            .diagnostic(
                values[0].range,
                format!(
                    "`{}` on {} in {} with only `*` matches every value, so it only tests that the key is {}: it says `\"Null\": {{{}: \"{null}\"}}`, and restricts nothing more",
                    entry.op_name(),
                    code(entry.key_name()),
                    entry.statement.label(),
                    if present { "present" } else { "absent" },
                    code(entry.key_name()).replace('`', "\"")
                ),
            )
            .with_help(format!(
                "write `\"Null\": {{\"{}\": \"{null}\"}}` if that is meant, or the value the condition should pin",
                entry.key_name()
            ))
            .at_node(ctx.tree, values[0].node);
        out.push(d);
    }
}
