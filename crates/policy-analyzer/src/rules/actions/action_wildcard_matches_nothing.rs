use crate::diagnostic::{Fix, Severity};
use crate::matcher::has_wildcard;
use crate::rules::actions::{action_lists, classify, no_match_consequence, ActionClass};
use crate::rules::edits::json_string;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC202",
    name: "action-wildcard-matches-nothing",
    pack: Pack::Actions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A `kms:` wildcard pattern that matches no KMS action",
    docs: r#"## What it does
Reports `kms:` patterns with `*` or `?` in `Action` or `NotAction` that match
none of the KMS actions, such as `kms:Frob*`, `kms:GenerateDataKeys*` or
`kms:Encrpt*`.

## Why it matters
A pattern that matches nothing is as good as no entry: an Allow grants none
of the actions the author had in mind, a Deny denies none of them, and in
`NotAction` it excludes nothing. IAM accepts the policy without complaint.

## Example
```json
"Action": ["kms:Encrpt*", "kms:Decrypt*", "kms:GenerateDataKeys*"]
```

## Use instead
```json
"Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"]
```

## Fix
For a pattern `name*` whose `name` is a misspelled action, the fix writes the
pattern for the action meant (`kms:GenerateDataKeys*` → `kms:GenerateDataKey*`);
it is marked for review because it changes what the statement covers.

## Sources
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service": the KMS action names (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- IAM User Guide, "IAM JSON policy elements: Action": `*` and `?` wildcards in action names, compared without regard to case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (list, element) in action_lists(st) {
            for v in &list.values {
                if out.full() {
                    return;
                }
                if classify(ctx, v.value) != ActionClass::KmsNothing {
                    continue;
                }
                let suggestion = v
                    .value
                    .strip_suffix('*')
                    .filter(|stem| !has_wildcard(stem))
                    .and_then(|stem| ctx.catalog.suggest_action(stem))
                    .map(|name| format!("{name}*"));
                let mut message = format!(
                    "`{}` in `{element}` of {} matches no KMS action, {}",
                    v.value,
                    st.label(),
                    no_match_consequence(st, element)
                );
                let (help, fix) = match &suggestion {
                    Some(s) => {
                        message.push_str(&format!("; did you mean `{s}`?"));
                        (
                            format!("write `{s}`"),
                            Some(Fix::replace(format!("Write `{s}`"), v.range, json_string(s)).unsafe_()),
                        )
                    }
                    None => (
                        "check the pattern against the KMS action names in the Service Authorization Reference, or delete it".to_string(),
                        None,
                    ),
                };
                let d = out
                    .diagnostic(v.range, message)
                    .with_help(help)
                    .with_fix_opt(fix)
                    .at_node(ctx.tree, v.node);
                out.push(d);
            }
        }
    }
}
