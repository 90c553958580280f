use crate::catalog::{catalog, distance};
use crate::diagnostic::{Fix, Severity};
use crate::model::{BaseOperator, Operator, SetQualifier};
use crate::rules::conditions::{at_most, code, fix};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC301",
    name: "unknown-operator",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A condition operator that IAM does not know",
    docs: r#"## What it does
Reports a name inside `Condition` that is not one of IAM's condition
operators (`StringEquals`, `ArnLike`, `Bool`, ... with an optional
`ForAnyValue:`/`ForAllValues:` qualifier and `IfExists` suffix). It suggests
the operator that was probably meant (`StringEqual` → `StringEquals`,
`ForAnyValues:StringLike` → `ForAnyValue:StringLike`) and has its own message
for two real-world mistakes: a `Condition` element nested inside `Condition`,
and a condition key written where the operator belongs.

A name that differs from an operator only in letter case (`stringequals`)
is reported as a warning: IAM documents the operators with one spelling, and
whether AWS accepts another casing is not documented.

## Why it matters
The operator decides how the key is compared. IAM Access Analyzer reports an
unknown operator as an error ("Invalid condition operator"), and the
condition cannot do what it was written for. A doubled
`"Condition": {"Condition": {...}}` is a mistake found in real key policies:
the inner block is not read as conditions at all.

## Example
```json
"Condition": {
  "StringEqual": {"kms:CallerAccount": "111122223333"}
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {"kms:CallerAccount": "111122223333"}
}
```

## Fix
When one operator is clearly meant, the fix renames it: safe when only the
letter case differs, unsafe (review it) for a spelling correction, which
changes what the policy allows. For a nested `Condition` that is the only
entry of the outer block, the fix lifts the inner operators up one level
(unsafe: the conditions start to take effect). A condition key in the
operator's place has no fix: choose the operator for the key.

## Sources
- IAM User Guide, "IAM JSON policy elements: Condition operators": the list of operators, `IfExists`, set qualifiers (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference: "Error – Invalid condition operator" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

/// Every operator name IAM documents, with its qualifier and suffix forms.
/// `Null` takes neither (see `null-with-if-exists`).
fn candidates() -> Vec<String> {
    let mut out = Vec::new();
    for qualifier in [
        None,
        Some(SetQualifier::ForAnyValue),
        Some(SetQualifier::ForAllValues),
    ] {
        for base in BaseOperator::ALL {
            for if_exists in [false, true] {
                if base == BaseOperator::Null && (if_exists || qualifier.is_some()) {
                    continue;
                }
                out.push(
                    Operator {
                        qualifier,
                        base,
                        if_exists,
                    }
                    .name(),
                );
            }
        }
    }
    out
}

/// Names that are not a small typo away from the operator they mean.
fn alias(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "boolean" | "boolequals" | "booleanequals" => Some("Bool"),
        "booleanifexists" => Some("BoolIfExists"),
        "arnmatches" => Some("ArnLike"),
        "ipaddressequals" => Some("IpAddress"),
        _ => None,
    }
}

/// The operators closest to a misspelled name, if any is close enough.
fn suggestions(name: &str) -> Vec<String> {
    if let Some(a) = alias(name) {
        return vec![a.to_string()];
    }
    let lower = name.to_ascii_lowercase();
    let limit = if name.chars().count() >= 8 { 2 } else { 1 };
    let mut best: Option<usize> = None;
    let mut out: Vec<String> = Vec::new();
    for c in candidates() {
        let d = distance(&lower, &c.to_ascii_lowercase());
        if d > limit {
            continue;
        }
        match best {
            Some(b) if d > b => {}
            Some(b) if d == b => out.push(c),
            _ => {
                best = Some(d);
                out = vec![c];
            }
        }
    }
    out
}

/// The width of the indentation of the line holding `offset`.
fn indent_at(text: &str, offset: usize) -> usize {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..offset]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .count()
}

/// `text` with up to `by` leading blanks removed from every line but the
/// first. JSON strings hold no raw line breaks, so only layout changes.
fn dedent(text: &str, by: usize) -> String {
    let mut lines = text.split('\n');
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push('\n');
        let blanks = line
            .chars()
            .take(by)
            .take_while(|c| *c == ' ' || *c == '\t')
            .count();
        out.push_str(&line[blanks..]);
    }
    out
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for statement in &ctx.policy.statements {
        let Some(block) = &statement.condition else {
            continue;
        };
        for op in &block.operators {
            if op.operator.is_some() {
                continue;
            }
            let name = op.name.value;
            let label = statement.label();
            if name.trim().is_empty() {
                let d = out
                    .diagnostic(
                        op.name.range,
                        format!("empty condition operator name in {label}"),
                    )
                    .with_help(
                        "write the operator for the keys in this block, such as `StringEquals`",
                    );
                out.push(d.at_node(ctx.tree, op.value_node));
                continue;
            }
            if name.eq_ignore_ascii_case("Condition") {
                let mut d = out
                    .diagnostic(
                        op.name.range,
                        format!(
                            "`Condition` nested inside `Condition` in {label}: `Condition` is not a condition operator, so the operators inside it are not read as conditions"
                        ),
                    )
                    .with_related(block.element.key_range, "the outer `Condition` element")
                    .with_help("remove the inner `\"Condition\": { ... }` wrapper so that its operators sit directly in the statement's `Condition`");
                if block.operators.len() == 1
                    && matches!(
                        ctx.tree.kind(op.value_node),
                        crate::syntax::NodeKind::Object(_)
                    )
                {
                    let fix = out.fix(|| {
                        let inner = dedent(
                            ctx.slice(ctx.tree.range(op.value_node)),
                            indent_at(ctx.text, op.name.range.start as usize).saturating_sub(
                                indent_at(ctx.text, block.element.key_range.start as usize),
                            ),
                        );
                        let fix = Fix::replace(
                            "Lift the inner operators out of the nested `Condition`",
                            ctx.tree.range(block.element.value),
                            inner,
                        );
                        Some(fix.unsafe_())
                    });
                    d = d.with_fix_opt(fix);
                }
                out.push(d.at_node(ctx.tree, op.value_node));
                continue;
            }
            if let Some(op_ci) = Operator::parse_ignore_case(name) {
                let canonical = op_ci.name();
                if canonical != name {
                    let edit = fix::string_edit(ctx, op.name.range, name, &canonical);
                    let fix = crate::diagnostic::Fix {
                        title: format!("Write `{canonical}`"),
                        applicability: crate::diagnostic::Applicability::Safe,
                        edits: vec![edit],
                    };
                    let d = out
                        .diagnostic(
                            op.name.range,
                            format!(
                                "condition operator {} in {label} is spelled with other letter case than IAM's `{canonical}`",
                                code(name)
                            ),
                        )
                        .with_help(format!(
                            "write `{canonical}`: IAM documents operator names with one spelling, and whether AWS accepts another casing is not documented"
                        ))
                        .with_fix_opt(Some(fix));
                    out.push(at_most(
                        d.at_node(ctx.tree, op.value_node),
                        Severity::Warning,
                    ));
                    continue;
                }
            }
            let looks_like_key = name.contains(':')
                && !name.to_ascii_lowercase().starts_with("foranyvalue")
                && !name.to_ascii_lowercase().starts_with("forallvalue");
            if looks_like_key || catalog().condition_key(name).is_some() {
                let d = out
                    .diagnostic(
                        op.name.range,
                        format!(
                            "{} in {label} is a condition key, not a condition operator: a condition is written `\"Operator\": {{\"key\": value}}`",
                            code(name)
                        ),
                    )
                    .with_help(format!(
                        "wrap the key in an operator block, such as `\"StringEquals\": {{\"{name}\": ...}}`"
                    ));
                out.push(d.at_node(ctx.tree, op.value_node));
                continue;
            }
            let suggestions = suggestions(name);
            let mut message = format!(
                "{} in {label} is not a condition operator IAM knows, so this condition is invalid",
                code(name)
            );
            let d = match suggestions.as_slice() {
                [one] => {
                    message.push_str(&format!("; did you mean `{one}`?"));
                    let edit = fix::string_edit(ctx, op.name.range, name, one);
                    let fix = crate::diagnostic::Fix {
                        title: format!("Replace with `{one}`"),
                        applicability: crate::diagnostic::Applicability::Unsafe,
                        edits: vec![edit],
                    };
                    out.diagnostic(op.name.range, message)
                        .with_help(format!("write `{one}`"))
                        .with_fix_opt(Some(fix))
                }
                [] => out.diagnostic(op.name.range, message).with_help(
                    "use one of IAM's operators: String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress, NotIpAddress, Arn* or Null (for partial string matches, `StringLike` with `*` and `?`)",
                ),
                many => {
                    let names: Vec<String> = many.iter().map(|m| code(m)).collect();
                    message.push_str(&format!("; did you mean one of {}?", names.join(", ")));
                    out.diagnostic(op.name.range, message)
                }
            };
            out.push(d.at_node(ctx.tree, op.value_node));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_operator_meant() {
        assert_eq!(suggestions("StringEqual"), vec!["StringEquals"]);
        assert_eq!(
            suggestions("ForAnyValues:StringLike"),
            vec!["ForAnyValue:StringLike"]
        );
        assert_eq!(
            suggestions("ForAnyValueStringEquals"),
            vec!["ForAnyValue:StringEquals"]
        );
        assert_eq!(suggestions("StringNotEqual"), vec!["StringNotEquals"]);
        assert_eq!(suggestions("Boolean"), vec!["Bool"]);
        assert_eq!(
            suggestions("NumericLessThanOrEquals"),
            vec!["NumericLessThanEquals"]
        );
        assert!(suggestions("StringContains").is_empty());
        assert!(!candidates().contains(&"NullIfExists".to_string()));
        assert_eq!(candidates().len(), 3 * 26 * 2 + 1);
    }
}
