use crate::diagnostic::Severity;
use crate::model::Element;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC106",
    name: "conflicting-elements",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A statement has both Action and NotAction, Principal and NotPrincipal, or Resource and NotResource",
    docs: r#"## What it does
Reports a statement that has both elements of a pair: `Action` and
`NotAction`, `Principal` and `NotPrincipal`, or `Resource` and `NotResource`.

## Why it matters
Each pair is one element written two ways: a statement names the actions it
covers, or the actions it does not cover, never both. IAM's policy grammar
allows one of each pair, and KMS rejects a key policy with both. The mix
usually comes from merging two statements or from a half-finished edit, and
the two lists say different things about what the statement covers.

## Example
```json
{
  "Effect": "Deny",
  "Principal": "*",
  "Action": "kms:*",
  "NotAction": ["kms:Decrypt", "kms:DescribeKey"],
  "Resource": "*"
}
```

## Use instead
```json
{
  "Effect": "Deny",
  "Principal": "*",
  "NotAction": ["kms:Decrypt", "kms:DescribeKey"],
  "Resource": "*"
}
```

## Fix
Keep the element that says what the statement is meant to cover and delete
the other. There is no automatic fix: the two mean very different things.

## Sources
- IAM User Guide, "Grammar of the IAM JSON policy language": `("Principal" | "NotPrincipal")`, `("Action" | "NotAction")`, `("Resource" | "NotResource")`: one of each pair per statement (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
- IAM User Guide, the NotAction, NotPrincipal and NotResource elements: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        let pairs: [(Option<Element>, Option<Element>, &str, &str); 3] = [
            (
                st.action.as_ref().map(|a| a.element),
                st.not_action.as_ref().map(|a| a.element),
                "Action",
                "NotAction",
            ),
            (
                st.principal.as_ref().map(|p| p.element),
                st.not_principal.as_ref().map(|p| p.element),
                "Principal",
                "NotPrincipal",
            ),
            (
                st.resource.as_ref().map(|r| r.element),
                st.not_resource.as_ref().map(|r| r.element),
                "Resource",
                "NotResource",
            ),
        ];
        for (positive, negative, p_name, n_name) in pairs {
            let (Some(p), Some(n)) = (positive, negative) else {
                continue;
            };
            let ((first, first_name), second) = if p.key_range.start <= n.key_range.start {
                ((p, p_name), n)
            } else {
                ((n, n_name), p)
            };
            let d = out
                .diagnostic(
                    second.key_range,
                    format!(
                        "{} has both `{p_name}` and `{n_name}`: a statement can have only one of them, so KMS rejects the policy",
                        st.label()
                    ),
                )
                .with_related(first.key_range, format!("`{first_name}` is here"))
                .with_help(format!(
                    "keep `{p_name}` (what the statement covers) or `{n_name}` (everything except what it lists), and delete the other; to combine both meanings, split the statement in two"
                ))
                .at_node(ctx.tree, second.value);
            out.push(d);
        }
    }
}
