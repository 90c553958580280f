use crate::diagnostic::{Fix, Severity};
use crate::matcher::policy_variables;
use crate::model::{Text, ValueKind};
use crate::rules::edits::insert_first_member;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC109",
    name: "policy-variable-in-old-version",
    pack: Pack::Structure,
    severity: Severity::Warning,
    fix: FixAvailability::Always,
    tags: &[],
    summary: "A policy variable in a policy whose Version is 2008-10-17 or missing, where it is literal text",
    docs: r#"## What it does
Reports `${...}` policy variables (such as `${aws:username}`,
`${aws:PrincipalTag/team}` or `${aws:PrincipalAccount}`) in `Resource`,
`NotResource` and condition values when the policy's `Version` is
`2008-10-17` or missing. `${*}`, `${?}` and `${$}`, which stand for literal
characters, are not reported.

## Why it matters
Policy variables were introduced with the 2012-10-17 policy language. Under
2008-10-17, which also applies when `Version` is missing, `${aws:username}` is
not replaced by anything: it is compared as the literal text
`${aws:username}`. A condition such as
`"aws:PrincipalTag/team": "${aws:ResourceTag/team}"` then never matches (or, in
a negated condition, always matches), so the statement silently does
something else than written. (A file written as a Terraform template is read
as a template, and CloudFormation's `Fn::Sub` is resolved: their placeholders
are not policy variables.)

## Example
```json
{
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}
  }]
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [{ ... }]
}
```

## Fix
The fix sets `"Version": "2012-10-17"` (adding it when missing). It is marked
for review, because it turns every `${...}` in the policy into a variable.

## Sources
- IAM User Guide, "IAM policy elements: Variables and tags": "Variables were introduced in version 2012-10-17 … If you don't include the Version element and set it to an appropriate version date, variables like `${aws:username}` are treated as literal strings"; policy variables are used in `Resource` and in string and ARN conditions; `${*}`, `${?}`, `${$}` are special characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
- IAM User Guide, "IAM JSON policy elements: Version": under 2008-10-17 variables "are instead treated as literal strings in the policy" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if !ctx.policy.is_policy() {
        return;
    }
    let why = match (&ctx.policy.version_element, &ctx.policy.version) {
        (None, _) => "the policy has no `Version`, so the 2008-10-17 language applies",
        (Some(_), Some(v)) if v.value == "2008-10-17" => "the policy's `Version` is 2008-10-17",
        _ => return, // 2012-10-17, or a version invalid-version reports
    };
    let fix = version_fix(ctx);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        let label = st.label();
        let mut values: Vec<(Text<'_>, String)> = Vec::new();
        for (list, name) in [
            (&st.resource, "Resource"),
            (&st.not_resource, "NotResource"),
        ] {
            if let Some(list) = list {
                values.extend(
                    list.values
                        .iter()
                        .map(|v| (*v, format!("`{name}` of {label}"))),
                );
            }
        }
        if let Some(condition) = &st.condition {
            for (op, key) in condition.entries() {
                for v in key.values.iter().filter(|v| v.kind == ValueKind::String) {
                    let text = Text {
                        value: v.value,
                        range: v.range,
                        node: v.node,
                    };
                    values.push((
                        text,
                        format!(
                            "the `{}` condition (`{}`) of {label}",
                            key.key.value, op.name.value
                        ),
                    ));
                }
            }
        }
        for (text, place) in values {
            if out.full() {
                return;
            }
            for (start, end) in variables(text.value) {
                let variable = &text.value[start..end];
                let mut d = out
                    .diagnostic(
                        text.sub_range(ctx.text, start, end),
                        format!("`{variable}` in {place} is literal text, not a policy variable: {why}, and only 2012-10-17 substitutes variables; the value matches only the characters `{variable}` themselves"),
                    )
                    .with_help("set `\"Version\": \"2012-10-17\"`; if `${...}` is a template placeholder, check the rendered policy instead")
                    .with_fix_opt(fix.clone())
                    .at_node(ctx.tree, text.node);
                if let Some(v) = &ctx.policy.version {
                    d = d.with_related(v.range, "the policy language version is set here");
                }
                out.push(d);
            }
        }
    }
}

/// Byte ranges of `${...}` variables in a value, without `${*}`, `${?}`, `${$}`:
/// the variables `matcher::policy_variables` names, with their positions.
fn variables(value: &str) -> Vec<(usize, usize)> {
    if policy_variables(value).next().is_none() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = value[from..].find("${") {
        let start = from + i;
        let Some(j) = value[start + 2..].find('}') else {
            break;
        };
        let end = start + 2 + j + 1;
        let inner = value[start + 2..end - 1].trim();
        if !matches!(inner, "*" | "?" | "$") {
            found.push((start, end));
        }
        from = end;
    }
    found
}

fn version_fix(ctx: &Context<'_>) -> Option<Fix> {
    let title = "Set `\"Version\": \"2012-10-17\"`";
    match &ctx.policy.version {
        Some(v) => Some(Fix::replace(title, v.range, "\"2012-10-17\"").unsafe_()),
        None => {
            let root = ctx.policy.root?;
            let e = insert_first_member(ctx.tree, ctx.text, root, "Version", "\"2012-10-17\"")?;
            Some(Fix::replace(title, e.range, e.replacement).unsafe_())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::variables;

    #[test]
    fn finds_variables_but_not_escapes() {
        let v = "arn:aws:s3:::b/${aws:username}/${*}/${aws:PrincipalTag/team, 'none'}";
        let found: Vec<&str> = variables(v).into_iter().map(|(s, e)| &v[s..e]).collect();
        assert_eq!(
            found,
            ["${aws:username}", "${aws:PrincipalTag/team, 'none'}"]
        );
        assert!(variables("${?}${$} and ${unterminated").is_empty());
    }

    #[test]
    fn agrees_with_the_matcher() {
        for v in [
            "${a}${*}${b}",
            "x${ aws:userid }y",
            "${$}${?}",
            "${a, 'd'}-${}",
            "${open",
            "plain",
        ] {
            assert_eq!(
                variables(v).len(),
                crate::matcher::policy_variables(v).count(),
                "{v}"
            );
        }
    }
}
