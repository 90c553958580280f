use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::{BaseOperator, Operator, SetQualifier};
use crate::rules::conditions::{at_most, code, entries, fix, Entry};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC305",
    name: "set-operator-on-single-valued-key",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "`ForAnyValue:` or `ForAllValues:` on a single-valued condition key",
    docs: r#"## What it does
Reports a `ForAnyValue:` or `ForAllValues:` qualifier on a condition key that
has at most one value in a request (every key whose catalogue type is not
`ArrayOf...`): `kms:EncryptionContext:<context-key>`, `kms:CallerAccount`,
`kms:ViaService`, `aws:PrincipalArn`, `aws:RequestTag/<tag-key>`, ...

- `ForAllValues:` on `kms:EncryptionContext:<context-key>` or
  `aws:RequestTag/<tag-key>` is an error: AWS KMS rejects the policy with
  `OverlyPermissiveCondition`.
- `ForAllValues:` on another single-valued key in an Allow statement is an
  error: the condition is true when the request has no such key at all.
- Every other case (`ForAllValues:` in a Deny, `ForAnyValue:`) is a warning.

## Why it matters
`ForAllValues` is true when every value in the request matches, and so also
when the request has no value. With `Allow` and
`"ForAllValues:StringEquals": {"kms:EncryptionContext:Department": "IT"}`,
requests with no encryption context are allowed, and so are requests whose
context has other pairs: the condition does not require what it was meant
to require. KMS documents exactly this and refuses such policies.
`ForAnyValue` on a single-valued key matches like the plain operator when
the key is present, but is false when it is absent, also for negated
operators, where the plain operator is true.

## Example
```json
"Condition": {
  "ForAllValues:StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket"}
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket"}
}
```

## Fix
The fix removes the qualifier (moving the key to the unqualified operator
when the block holds other keys). It is safe for `ForAnyValue:` with a
positive operator, which means the same as the plain operator on a
single-valued key; otherwise it is unsafe, because requests without the key
are then treated differently.

## Sources
- AWS KMS Developer Guide, "AWS KMS condition keys": "Do not use a set operator with the kms:EncryptionContext:context-key condition key"; with `Allow` and `ForAllValues` "the condition allows requests with no encryption context and requests with encryption context pairs that are not specified"; KMS returns `OverlyPermissiveCondition` for `ForAllValues` with `kms:EncryptionContext:context-key` or `aws:RequestTag/tag-key` (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
- IAM User Guide, "Single-valued vs. multivalued context keys": "Do not use condition set operators ForAllValues or ForAnyValue with single-valued context keys"; `ForAllValues` "also returns true if there are no context keys in the request" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_single-vs-multi-valued-condition-keys.html).
- IAM User Guide, IAM policy validation check reference: "Security Warning – ForAllValues with single valued key" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        let Some(qualifier) = op.qualifier else {
            continue;
        };
        if op.base == BaseOperator::Null {
            continue; // null-with-if-exists
        }
        let Some(found) = entry.key_info() else {
            continue;
        };
        if found.info.multivalued {
            continue;
        }
        let prefix = found.info.prefix.as_deref();
        let kms_rejects = qualifier == SetQualifier::ForAllValues
            && matches!(
                prefix,
                Some("kms:encryptioncontext:") | Some("aws:requesttag/")
            );
        let label = entry.statement.label();
        let key = code(entry.key_name());
        let q = qualifier.prefix();
        let (message, cap) = match qualifier {
            SetQualifier::ForAllValues if kms_rejects => (
                format!(
                    "`{q}` on the single-valued key {key} in {label}: AWS KMS rejects this policy (OverlyPermissiveCondition), because the condition would also match requests without {key} or with other values"
                ),
                Severity::Error,
            ),
            SetQualifier::ForAllValues if entry.statement.is_allow() => (
                format!(
                    "`{q}` on the single-valued key {key} in {label}: `ForAllValues` is also true when the request has no {key}, so this Allow statement allows requests without it"
                ),
                Severity::Error,
            ),
            SetQualifier::ForAllValues => (
                format!(
                    "`{q}` on the single-valued key {key} in {label}: `ForAllValues` is also true when the request has no {key}, so the statement applies to requests without it"
                ),
                Severity::Warning,
            ),
            SetQualifier::ForAnyValue if op.base.is_negated() => (
                format!(
                    "`{q}` on the single-valued key {key} in {label}: set qualifiers are for keys with several values; here `{}` is false when the request has no {key}, where the plain `{}` is true",
                    entry.op_name(),
                    plain_name(op),
                ),
                Severity::Warning,
            ),
            SetQualifier::ForAnyValue => (
                format!(
                    "`{q}` on the single-valued key {key} in {label}: set qualifiers are for keys with several values; on this key `{}` means the same as `{}`, and the qualifier only suggests otherwise",
                    entry.op_name(),
                    plain_name(op),
                ),
                Severity::Warning,
            ),
        };
        let plain = plain_name(op);
        let safe = qualifier == SetQualifier::ForAnyValue && !op.base.is_negated();
        let d = out
            .diagnostic(entry.key.key.range, message)
            .with_related(entry.op.name.range, format!("`{q}` qualifier"))
            .with_help(format!("remove `{q}`: use `{plain}`"))
            .with_fix_opt(out.fix(|| plain_fix(ctx, &entry, &plain, safe)))
            .at_node(ctx.tree, entry.key.value_node);
        out.push(at_most(d, cap));
    }
}

/// The operator without its set qualifier.
fn plain_name(op: Operator) -> String {
    Operator {
        qualifier: None,
        ..op
    }
    .name()
}

fn plain_fix(ctx: &Context<'_>, entry: &Entry<'_, '_>, plain: &str, safe: bool) -> Option<Fix> {
    let source = entry
        .block
        .operators
        .iter()
        .position(|o| std::ptr::eq(o, entry.op))?;
    let all_single = entry.op.keys.iter().all(|k| {
        crate::catalog::catalog()
            .condition_key(k.key.value)
            .is_some_and(|m| !m.info.multivalued)
    });
    let keys: Vec<usize> = if all_single {
        (0..entry.op.keys.len()).collect()
    } else {
        vec![entry
            .op
            .keys
            .iter()
            .position(|k| std::ptr::eq(k, entry.key))?]
    };
    let edits = fix::move_keys(ctx, entry.block, source, &keys, plain)?;
    Some(Fix {
        title: format!("Use `{plain}`"),
        applicability: if safe {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        },
        edits,
    })
}
