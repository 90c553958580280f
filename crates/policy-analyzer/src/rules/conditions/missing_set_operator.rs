use crate::diagnostic::Severity;
use crate::model::{BaseOperator, Operator, SetQualifier};
use crate::rules::conditions::{code, entries};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC306",
    name: "missing-set-operator",
    pack: Pack::Conditions,
    severity: Severity::Warning,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A multivalued condition key without `ForAnyValue:` or `ForAllValues:`",
    docs: r#"## What it does
Reports a multivalued condition key (catalogue type `ArrayOf...`:
`kms:EncryptionContextKeys`, `kms:GrantOperations`, `kms:ResourceAliases`,
`aws:TagKeys`, `aws:PrincipalOrgPaths`, `aws:CalledVia`,
`aws:PrincipalServiceNamesList`, ...) used under an operator without a
`ForAnyValue:` or `ForAllValues:` qualifier. `Null`, which only tests
whether the key is present, needs no qualifier.

## Why it matters
A multivalued key can carry several values in one request, for example every
key of the encryption context or every operation a grant allows. The set
qualifier says how the request's set is compared with the policy's values:
`ForAnyValue` (at least one request value matches) or `ForAllValues` (every
request value matches; also true when there is none). IAM requires one of
them for multivalued keys; without it the condition does not say which
comparison is meant, and AWS's policy validator reports it as an error
("Missing qualifier").

## Example
```json
"Condition": {
  "StringEquals": {"kms:GrantOperations": ["Decrypt", "GenerateDataKey"]}
}
```

## Use instead
```json
"Condition": {
  "ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt", "GenerateDataKey"]},
  "Null": {"kms:GrantOperations": "false"}
}
```

## Fix
No automatic fix: the two qualifiers mean different things. Use
`ForAnyValue:` to require at least one of the listed values; use
`ForAllValues:` to allow only the listed values, with
`"Null": {"<key>": "false"}` so that requests without the key are not let
through.

## Sources
- IAM User Guide, "Single-valued vs. multivalued context keys": "Multivalued context keys require a condition set operator"; `ForAllValues` "also returns true if there are no context keys in the request" and should be paired with `Null` `false` in Allow statements (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_single-vs-multi-valued-condition-keys.html).
- IAM User Guide, IAM policy validation check reference: "Error – Missing qualifier" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- AWS KMS Developer Guide, "AWS KMS condition keys": "Multi-valued condition keys require a set operator" (`kms:ResourceAliases`, `kms:EncryptionContextKeys`, `kms:GrantOperations`) (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
- Service Authorization Reference for AWS KMS: which keys are `ArrayOf...` (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        if op.qualifier.is_some() || op.base == BaseOperator::Null {
            continue;
        }
        let Some(found) = entry.key_info() else {
            continue;
        };
        if !found.info.multivalued {
            continue;
        }
        let with = |q: SetQualifier| {
            Operator {
                qualifier: Some(q),
                ..op
            }
            .name()
        };
        let any = with(SetQualifier::ForAnyValue);
        let all = with(SetQualifier::ForAllValues);
        let d = out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} is multivalued ({}: a request can carry several values), but `{}` in {} has no `ForAnyValue:` or `ForAllValues:` qualifier to say how the request's values are compared",
                    code(entry.key_name()),
                    found.info.type_name(),
                    entry.op_name(),
                    entry.statement.label()
                ),
            )
            .with_related(entry.op.name.range, "no set qualifier")
            .with_help(format!(
                "use `{any}` to require at least one of the listed values, or `{all}` (with `\"Null\": {{\"{}\": \"false\"}}`) to allow only the listed values",
                entry.key_name()
            ))
            .at_node(ctx.tree, entry.key.value_node);
        out.push(d);
    }
}
