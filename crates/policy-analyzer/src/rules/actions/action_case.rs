use crate::catalog::{ActionSet, Catalog};
use crate::diagnostic::{Fix, Severity};
use crate::matcher::first_wildcard;
use crate::rules::actions::{action_lists, classify, ActionClass};
use crate::rules::edits::json_string;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC206",
    name: "action-case",
    pack: Pack::Actions,
    severity: Severity::Hint,
    fix: FixAvailability::Always,
    tags: &[],
    summary: "A KMS action written in another letter case than its canonical name",
    docs: r#"## What it does
Reports KMS actions and patterns written with another letter case than the
catalogue's canonical spelling: `KMS:decrypt`, `kms:generatedatakey*`,
`kms:GenerateDataKeyWithoutPlainText` (as the EBS guide writes it).

## Why it matters
It works: IAM compares action names without regard to case, so these entries
match exactly what the canonical spelling matches (policy-check never calls
them unknown). But other tools and reviewers often compare names literally: a
search for `kms:Decrypt`, a diff against the AWS-documented statement, or a
script that checks for required actions misses the entry.

## Example
```json
"Action": ["KMS:Decrypt", "kms:generatedatakey*", "kms:GenerateDataKeyWithoutPlainText"]
```

## Use instead
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext"]
```

## Fix
The fix writes the canonical spelling; it never changes what the entry
matches.

## Sources
- IAM User Guide, "IAM JSON policy elements: Action": action names and service prefixes are case-insensitive (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service": the canonical action names (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- Amazon EBS User Guide, "Requirements for Amazon EBS encryption": writes `kms:GenerateDataKeyWithoutPlainText` (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html).
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
                let ActionClass::Kms { set, wildcard } = classify(ctx, v.value) else {
                    continue;
                };
                if spelled_canonically(ctx.catalog, v.value, set, wildcard) {
                    continue;
                }
                let Some(canonical) = canonical(ctx.catalog, v.value, set, wildcard) else {
                    continue;
                };
                if canonical == v.value {
                    continue;
                }
                let d = out
                    .diagnostic(
                        v.range,
                        format!(
                            "`{}` in `{element}` of {} is spelled `{canonical}` in the KMS catalogue: it works, because IAM ignores the letter case of action names, but tools and reviewers that compare names literally miss it",
                            v.value,
                            st.label()
                        ),
                    )
                    .with_help(format!("write `{canonical}`"))
                    .with_fix(Fix::replace(format!("Write `{canonical}`"), v.range, json_string(&canonical)))
                    .at_node(ctx.tree, v.node);
                out.push(d);
            }
        }
    }
}

/// Whether the entry already has the catalogue's spelling; cheap, because
/// nearly every entry does.
fn spelled_canonically(catalog: &Catalog, value: &str, set: ActionSet, wildcard: bool) -> bool {
    let Some(first) = catalog.actions_in(set).next() else {
        return true;
    };
    if !wildcard {
        return first.name == value;
    }
    let literal_len = first_wildcard(value).unwrap_or(value.len());
    first.name.get(..literal_len) == Some(&value[..literal_len])
}

/// The canonical spelling of a KMS action, or of a `kms:` pattern's literal
/// start (`kms:generatedatakey*` → `kms:GenerateDataKey*`). `None` when there
/// is nothing to compare (a pattern that does not start with `kms:`).
fn canonical(catalog: &Catalog, value: &str, set: ActionSet, wildcard: bool) -> Option<String> {
    let (service, name) = value.split_once(':')?;
    if !service.eq_ignore_ascii_case("kms") {
        return None;
    }
    if !wildcard {
        return catalog.actions_in(set).next().map(|a| a.name.clone());
    }
    let literal_len = first_wildcard(name).unwrap_or(name.len());
    let literal = &name[..literal_len];
    // Every action the pattern matches starts with the literal (in some case);
    // take its spelling from the first one.
    let action = catalog.actions_in(set).next()?;
    let short = action.short_name();
    let canonical_literal = short
        .get(..literal.len())
        .filter(|c| c.eq_ignore_ascii_case(literal))?;
    Some(format!("kms:{canonical_literal}{}", &name[literal_len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    fn canon(value: &str) -> Option<String> {
        let c = catalog();
        let parse = crate::syntax::parse("{}");
        let policy = crate::model::Policy::from_tree(&parse.tree);
        let options = crate::AnalyzeOptions::default();
        let ctx = Context::new("{}", &parse.tree, &parse.errors, &policy, &options, None);
        match classify(&ctx, value) {
            ActionClass::Kms { set, wildcard } => canonical(c, value, set, wildcard),
            _ => None,
        }
    }

    #[test]
    fn canonical_spellings() {
        assert_eq!(canon("KMS:decrypt").as_deref(), Some("kms:Decrypt"));
        assert_eq!(canon("kms:Decrypt").as_deref(), Some("kms:Decrypt"));
        assert_eq!(
            canon("kms:generatedatakey*").as_deref(),
            Some("kms:GenerateDataKey*")
        );
        assert_eq!(canon("KMS:*").as_deref(), Some("kms:*"));
        assert_eq!(
            canon("kms:GenerateDataKeyWithoutPlainText").as_deref(),
            Some("kms:GenerateDataKeyWithoutPlaintext")
        );
        assert_eq!(canon("kms:*Key").as_deref(), Some("kms:*Key"));
        assert_eq!(canon("*:Decrypt"), None);
    }
}
