use crate::diagnostic::{Fix, Severity};
use crate::eval::search::same_rules;
use crate::rules::edits::remove_array_item;
use crate::rules::structure::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC114",
    name: "redundant-statement",
    pack: Pack::Structure,
    severity: Severity::Hint,
    fix: FixAvailability::Sometimes,
    tags: &[crate::diagnostic::DiagnosticTag::Unnecessary],
    summary: "A statement that repeats an earlier one: same Effect, principals, actions, resources and conditions",
    docs: r#"## What it does
Reports a statement that says exactly what an earlier statement of the policy
says: the same `Effect`, principals, actions, resources and conditions,
written the same way. Their Sids may differ.

## Why it matters
The copy grants or denies nothing the first one does not, so it only makes
the policy longer (against its 32 KB limit) and harder to review. Worse,
someone who edits one of the two later — narrowing a principal, adding a
condition — leaves the other in place, and the old access stays. IAM Access
Analyzer suggests removing it ("Redundant statement").

## Example
```json
{"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"},
{"Sid": "Readers2", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
```json
{"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"}
```

## Fix
The fix deletes the later statement. It is safe: every request is decided as
before.

## Sources
- IAM User Guide, "Policy evaluation logic": statements are evaluated together, and their order has no meaning (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
- IAM User Guide, IAM policy validation check reference: "Suggestion – Redundant statement" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    let array = ctx.policy.statement_element.map(|e| e.value);
    let intact: Vec<_> = statements(ctx).collect();
    // Statements are compared pairwise; a policy of a few dozen statements
    // costs nothing, and the budget of the findings bounds a huge one.
    for (i, later) in intact.iter().enumerate() {
        if out.full() {
            return;
        }
        if later.effect.is_none() {
            continue;
        }
        let Some(earlier) = intact[..i].iter().find(|e| same_rules(e, later)) else {
            continue;
        };
        let fix = array
            .and_then(|array| remove_array_item(ctx.tree, ctx.text, array, later.node))
            .map(|e| Fix::replace("Delete the repeated statement", e.range, e.replacement));
        let d = out
            .diagnostic(
                later.anchor(),
                format!(
                    "{} repeats {}: the same Effect, principals, actions, resources and conditions, so it decides nothing the first does not; an edit to one of the two would leave the other's access in place",
                    later.label(),
                    earlier.label()
                ),
            )
            .with_help("delete the repeated statement")
            .with_related(earlier.anchor(), "the same statement")
            .with_fix_opt(fix)
            .at_node(ctx.tree, later.node);
        out.push(d);
    }
}
