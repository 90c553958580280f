use crate::catalog::distance;
use crate::diagnostic::{Fix, Severity};
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC104",
    name: "invalid-effect",
    pack: Pack::Structure,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "Effect is neither `Allow` nor `Deny`",
    docs: r#"## What it does
Reports an `Effect` string other than exactly `Allow` or `Deny`: another
letter case (`allow`, `DENY`), a misspelling (`Alow`), or another word
(`Permit`).

## Why it matters
The `Effect` value is case-sensitive and has only two values. KMS rejects a
key policy with any other value (`MalformedPolicyDocumentException`), so the
key cannot be created or its policy updated.

## Example
```json
{"Sid": "Allow use of the key", "Effect": "allow", ...}
```

## Use instead
```json
{"Sid": "Allow use of the key", "Effect": "Allow", ...}
```

## Fix
When the value is `Allow` or `Deny` in another letter case (or with
surrounding spaces), the fix writes it correctly. A close misspelling
(`Alow`, `Deney`) gets the same fix marked for review. Other values need the
author.

A statement whose Effect cannot be read applies to nothing: the fix to
`"Allow"` makes it grant, so it is marked unsafe and says so; the fix to
`"Deny"` only takes access away.

## Sources
- IAM User Guide, "IAM JSON policy elements: Effect": "Valid values for Effect are Allow and Deny. The Effect value is case sensitive." (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html)
- IAM User Guide, "Grammar of the IAM JSON policy language": `<effect_block> = "Effect" : ("Allow" | "Deny")` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        let Some(element) = &st.effect_element else {
            continue;
        };
        let Some(value) = ctx.tree.as_str(element.value) else {
            continue; // invalid-element-type reports it
        };
        if value == "Allow" || value == "Deny" {
            continue;
        }
        let range = element.value_range;
        let trimmed = value.trim();
        let exact = ["Allow", "Deny"]
            .into_iter()
            .find(|e| e.eq_ignore_ascii_case(trimmed));
        let close = || {
            let lower = trimmed.to_ascii_lowercase();
            let da = distance(&lower, "allow");
            let dd = distance(&lower, "deny");
            match (da <= 2 && da < dd, dd <= 1 && dd < da) {
                (true, _) => Some("Allow"),
                (_, true) => Some("Deny"),
                _ => None,
            }
        };
        let label = st.label();
        let placeholder = value.contains("${") || value.contains("{{");
        let message = if placeholder {
            format!("{label} has `\"Effect\": \"{value}\"`, a template placeholder: the rendered value must be exactly `Allow` or `Deny`, and as written KMS rejects the policy")
        } else {
            format!("{label} has `\"Effect\": \"{value}\"`: the value must be exactly `Allow` or `Deny` (it is case-sensitive), so KMS rejects the policy")
        };
        let mut d = out.diagnostic(range, message);
        // A statement with an unreadable Effect applies to nothing: made an
        // Allow, it starts to grant, which a reviewer must see.
        let widening = " (the statement, which applies to nothing today, starts to grant what it lists: review it)";
        if let Some(e) = exact {
            let fix = if e == "Allow" {
                Fix::replace(
                    format!("Write \"{e}\"{widening}"),
                    range,
                    format!("\"{e}\""),
                )
                .unsafe_()
            } else {
                Fix::replace(format!("Write \"{e}\""), range, format!("\"{e}\""))
            };
            d = d.with_help(format!("write `\"{e}\"`")).with_fix(fix);
        } else if let Some(e) = close() {
            let title = if e == "Allow" {
                format!("Write \"{e}\"{widening}")
            } else {
                format!("Write \"{e}\"")
            };
            d = d
                .with_help(format!("did you mean `\"{e}\"`?"))
                .with_fix(Fix::replace(title, range, format!("\"{e}\"")).unsafe_());
        } else if placeholder {
            d = d.with_help("check the rendered policy, or write `\"Allow\"` or `\"Deny\"`");
        } else {
            d = d.with_help("write `\"Allow\"` to grant the actions or `\"Deny\"` to refuse them");
        }
        out.push(d.at_node(ctx.tree, element.value));
    }
}
