use crate::catalog::catalog;
use crate::diagnostic::Severity;
use crate::eval::uses_policy_variables;
use crate::matcher::policy_variables;
use crate::rules::conditions::{code, dead_value_consequence, entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC315",
    name: "unresolved-policy-variable",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A `${...}` in a condition value that names no condition key, such as an unrendered template placeholder",
    docs: r#"## What it does
Reports a `${name}` in a condition value, in a policy whose Version is
`2012-10-17`, when `name` is not a condition key a request can carry:
`${AWS::AccountId}` copied out of a CloudFormation `Fn::Sub` (or written in
a template without `!Sub`), a placeholder of a documentation page, a
misspelled key. A file written as a Terraform template (`${account_id}`,
`%{ for }`) is read as a template, with its placeholders unknown, not as a
policy; a CloudFormation template's `Fn::Sub` is resolved.

## Why it matters
Under Version `2012-10-17`, IAM reads every `${...}` as a policy variable and
replaces it with the value of the condition key it names. A name that is no
condition key has no value in any request: "If AWS cannot resolve a
variable, this might cause the entire statement to be invalid". In practice
the value never matches, so an Allow that relies on it never allows (the
`kms:CallerAccount` condition of an FSx statement written as
`${AWS::AccountId}` locks the file system out of its key), and a negated
condition in a Deny denies everyone it was meant to exempt. IAM accepts the
policy, so the mistake shows only when the service fails.

Keys that requests do carry (`${aws:username}`, `${aws:PrincipalTag/team}`,
`${kms:CallerAccount}`) are real policy variables and are not reported; the
escapes `${*}`, `${?}` and `${$}` are literal characters. Under Version
`2008-10-17` or without a Version, `${...}` is literal text, which
`policy-variable-in-old-version` (PC109) reports.

## Example
```json
"Condition": {
  "StringEquals": {
    "kms:CallerAccount": "${AWS::AccountId}",
    "kms:ViaService": "elasticfilesystem.${AWS::Region}.amazonaws.com"
  }
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {
    "kms:CallerAccount": "111122223333",
    "kms:ViaService": "elasticfilesystem.us-east-1.amazonaws.com"
  }
}
```

## Fix
Write the concrete value, or in a CloudFormation template put the string in
`!Sub` so that CloudFormation substitutes `${AWS::AccountId}`. If the `${...}` was meant as a policy variable, name the
condition key it stands for (`${aws:PrincipalAccount}`).

## Sources
- IAM User Guide, "IAM policy elements: Variables and tags": "When the policy is evaluated, the policy variables are replaced with values that come from the context of the request itself"; "If AWS cannot resolve a variable, this might cause the entire statement to be invalid"; variables work only with `"Version": "2012-10-17"`; `${*}`, `${?}`, `${$}` stand for the literal characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
- Service Authorization Reference for AWS KMS: the condition keys KMS requests carry (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html); IAM User Guide, "AWS global condition context keys" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    if !uses_policy_variables(ctx.policy) {
        return;
    }
    for entry in entries(ctx.policy) {
        let values = &entry.key.values;
        let unresolved: Vec<Vec<&str>> = values
            .iter()
            .map(|v| {
                policy_variables(v.value)
                    .filter(|name| catalog().condition_key(name).is_none())
                    .collect()
            })
            .collect();
        let all_dead = unresolved.iter().all(|names| !names.is_empty());
        for (value, names) in values.iter().zip(&unresolved) {
            let Some(first) = names.first() else {
                continue;
            };
            let listed = names
                .iter()
                .map(|n| format!("`${{{n}}}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let d = out
                .diagnostic(
                    value.range,
                    format!(
                        "{listed} in the {} value of {} names no condition key, so IAM cannot resolve it and the value never matches{}",
                        code(entry.key_name()),
                        entry.statement.label(),
                        dead_value_consequence(&entry, all_dead),
                    ),
                )
                .with_help(format!(
                    "it looks like a template placeholder that was never rendered: check the rendered policy, or write the value; if it is meant as a policy variable, name a condition key (`${{aws:PrincipalAccount}}`) instead of `{first}`"
                ))
                .at_node(ctx.tree, value.node);
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{analyze, AnalyzeOptions};

    fn codes(text: &str) -> Vec<&'static str> {
        analyze(text, &AnalyzeOptions::default())
            .diagnostics
            .iter()
            .filter(|d| d.code == "PC315")
            .map(|d| d.code)
            .collect()
    }

    fn policy(version: &str, value: &str) -> String {
        format!(
            r#"{{"Version": "{version}", "Statement": [{{"Effect": "Allow",
              "Principal": {{"AWS": "arn:aws:iam::111122223333:role/App"}},
              "Action": "kms:Decrypt", "Resource": "*",
              "Condition": {{"StringEquals": {{"kms:CallerAccount": "{value}"}}}}}}]}}"#
        )
    }

    #[test]
    fn placeholders_are_reported_and_real_variables_are_not() {
        assert_eq!(codes(&policy("2012-10-17", "${aws_account}")), ["PC315"]);
        assert_eq!(codes(&policy("2012-10-17", "${var.account_id}")), ["PC315"]);
        assert!(codes(&policy("2012-10-17", "${aws:PrincipalAccount}")).is_empty());
        assert!(codes(&policy("2012-10-17", "${aws:PrincipalTag/account}")).is_empty());
        assert!(codes(&policy("2012-10-17", "111122223333${*}")).is_empty());
        // Literal text under the old version: PC109's business.
        assert!(codes(&policy("2008-10-17", "${aws_account}")).is_empty());
    }
}
