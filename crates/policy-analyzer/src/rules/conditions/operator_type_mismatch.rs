use crate::catalog::{ConditionKeyInfo, KeyType};
use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::{BaseOperator, Operator, OperatorFamily};
use crate::rules::conditions::{code, entries, fix, has_wildcard, Entry};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC303",
    name: "operator-type-mismatch",
    pack: Pack::Conditions,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A condition operator that does not fit the type of its key",
    docs: r#"## What it does
Reports a condition operator whose type does not fit the condition key's
type in the catalogue: a Numeric or ARN operator on `kms:CallerAccount` (a
String key), `Bool` on a String key, a String operator on a Bool key such as
`kms:GrantIsForAWSResource`, `DateLessThan` on a Numeric key, and so on.

What is accepted:
- String operators on String keys, Numeric on Numeric, Date on Date, `Bool`
  on Bool, IP-address operators on IP-address keys, `BinaryEquals` on Binary
  keys;
- ARN operators and String operators on ARN keys (IAM allows string
  operators on ARN keys, though it recommends the ARN ones);
- String and ARN operators on `kms:EncryptionContext:<context-key>`: AWS's
  own documentation uses `ArnEquals`/`ArnLike` on
  `kms:EncryptionContext:aws:logs:arn` (CloudWatch Logs) and `StringLike` on
  `kms:EncryptionContext:aws:cloudtrail:arn`;
- Numeric operators on `aws:EpochTime`, which also takes the number of
  seconds since 1 January 1970;
- `Null` on any key.

String operators on Bool keys (`"StringEquals": {"aws:SecureTransport":
"true"}`) are reported: the IAM documentation gives these keys the Boolean
type and the `Bool` operator, AWS's policy validator reports the
combination as a type mismatch, and how IAM compares a Boolean key with a
string operator is not documented, so it cannot be relied on.

## Why it matters
The operator decides how the request value is read. A 12-digit account ID is
not an ARN, so `ArnEquals` on `kms:CallerAccount` can never match; a String
operator on a Bool key depends on undocumented behaviour. A condition that
never matches makes an Allow grant nothing; under a negated operator it
excludes nothing.

## Example
```json
"Condition": {
  "ArnEquals": {"kms:CallerAccount": "111122223333"}
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {"kms:CallerAccount": "111122223333"}
}
```

## Fix
When the key's type has an operator that says the same (`ArnEquals` →
`StringEquals`, `StringEquals` → `Bool`, `NumericLessThan` →
`DateLessThan`), the fix moves the key to that operator (the block is renamed
when the key is its only entry). It is unsafe: the condition starts to
match, so review what it allows.

## Sources
- IAM User Guide, "IAM JSON policy elements: Condition operators": the operator families and what each compares; "ArnEquals and ArnLike behave identically" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference: "General Warning – Type mismatch" ("Use the operator type instead of operator for the condition key") (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- IAM User Guide, "AWS global condition context keys" (`aws:SourceArn` and other ARN keys): string operators are allowed, ARN operators recommended (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
- Service Authorization Reference for AWS KMS: the type of each key (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- IAM User Guide, "AWS global condition context keys", `aws:EpochTime`: "This key also accepts the number of seconds since January 1, 1970" (Date and Numeric operators) (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-epochtime).
"#,
    check: Check::Policy(check),
};

fn family_for(ty: KeyType) -> OperatorFamily {
    match ty {
        KeyType::String => OperatorFamily::String,
        KeyType::Arn => OperatorFamily::Arn,
        KeyType::Numeric => OperatorFamily::Numeric,
        KeyType::Date => OperatorFamily::Date,
        KeyType::Bool => OperatorFamily::Bool,
        KeyType::IpAddress => OperatorFamily::Ip,
        KeyType::Binary => OperatorFamily::Binary,
    }
}

fn family_words(f: OperatorFamily) -> &'static str {
    match f {
        OperatorFamily::String => "compares strings",
        OperatorFamily::Numeric => "compares numbers",
        OperatorFamily::Date => "compares dates",
        OperatorFamily::Bool => "compares Boolean values",
        OperatorFamily::Binary => "compares base64-encoded binary values",
        OperatorFamily::Ip => "compares IP addresses",
        OperatorFamily::Arn => "compares ARNs, component by component",
        OperatorFamily::Null => "tests whether the key is present",
    }
}

/// Whether an operator family may be used on a key.
pub(crate) fn fits(family: OperatorFamily, key: &ConditionKeyInfo) -> bool {
    let encryption_context = key.prefix.as_deref() == Some("kms:encryptioncontext:");
    // aws:EpochTime also takes the number of seconds since 1970 (Date, Numeric).
    let epoch = key.name.eq_ignore_ascii_case("aws:EpochTime");
    fits_type(family, key.value_type, encryption_context)
        || (epoch && family == OperatorFamily::Numeric)
}

fn fits_type(family: OperatorFamily, key_type: KeyType, encryption_context: bool) -> bool {
    if family == OperatorFamily::Null {
        return true;
    }
    if encryption_context {
        return matches!(family, OperatorFamily::String | OperatorFamily::Arn);
    }
    family == family_for(key_type) || (key_type == KeyType::Arn && family == OperatorFamily::String)
}

/// The operator of family `to` that says what `base` says, if there is one.
fn equivalent(base: BaseOperator, to: OperatorFamily, wildcards: bool) -> Option<BaseOperator> {
    use BaseOperator::*;
    #[derive(PartialEq)]
    enum Kind {
        Eq,
        NotEq,
        Like,
        NotLike,
        Lt,
        Le,
        Gt,
        Ge,
    }
    let kind = match base {
        StringEquals | NumericEquals | DateEquals | Bool | BinaryEquals | IpAddress => Kind::Eq,
        StringNotEquals | NumericNotEquals | DateNotEquals | NotIpAddress => Kind::NotEq,
        ArnEquals | ArnLike | StringLike => Kind::Like,
        ArnNotEquals | ArnNotLike | StringNotLike => Kind::NotLike,
        NumericLessThan | DateLessThan => Kind::Lt,
        NumericLessThanEquals | DateLessThanEquals => Kind::Le,
        NumericGreaterThan | DateGreaterThan => Kind::Gt,
        NumericGreaterThanEquals | DateGreaterThanEquals => Kind::Ge,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase | Null => return None,
    };
    // A Like without wildcards in its values is an equality.
    let kind = match kind {
        Kind::Like if !wildcards => Kind::Eq,
        Kind::NotLike if !wildcards => Kind::NotEq,
        k => k,
    };
    Some(match (to, kind) {
        (OperatorFamily::String, Kind::Eq) => StringEquals,
        (OperatorFamily::String, Kind::NotEq) => StringNotEquals,
        (OperatorFamily::String, Kind::Like) => StringLike,
        (OperatorFamily::String, Kind::NotLike) => StringNotLike,
        (OperatorFamily::Arn, Kind::Eq | Kind::Like) => ArnLike,
        (OperatorFamily::Arn, Kind::NotEq | Kind::NotLike) => ArnNotLike,
        (OperatorFamily::Numeric, Kind::Eq) => NumericEquals,
        (OperatorFamily::Numeric, Kind::NotEq) => NumericNotEquals,
        (OperatorFamily::Numeric, Kind::Lt) => NumericLessThan,
        (OperatorFamily::Numeric, Kind::Le) => NumericLessThanEquals,
        (OperatorFamily::Numeric, Kind::Gt) => NumericGreaterThan,
        (OperatorFamily::Numeric, Kind::Ge) => NumericGreaterThanEquals,
        (OperatorFamily::Date, Kind::Eq) => DateEquals,
        (OperatorFamily::Date, Kind::NotEq) => DateNotEquals,
        (OperatorFamily::Date, Kind::Lt) => DateLessThan,
        (OperatorFamily::Date, Kind::Le) => DateLessThanEquals,
        (OperatorFamily::Date, Kind::Gt) => DateGreaterThan,
        (OperatorFamily::Date, Kind::Ge) => DateGreaterThanEquals,
        (OperatorFamily::Bool, Kind::Eq) => Bool,
        (OperatorFamily::Ip, Kind::Eq) => IpAddress,
        (OperatorFamily::Ip, Kind::NotEq) => NotIpAddress,
        (OperatorFamily::Binary, Kind::Eq) => BinaryEquals,
        _ => return None,
    })
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        let Some(found) = entry.key_info() else {
            continue;
        };
        let info = found.info;
        let encryption_context = info.prefix.as_deref() == Some("kms:encryptioncontext:");
        let family = op.base.family();
        if fits(family, info) {
            continue;
        }
        let label = entry.statement.label();
        let key_family = if encryption_context {
            OperatorFamily::String
        } else {
            family_for(info.value_type)
        };
        let type_name = if encryption_context {
            "String".to_string()
        } else {
            info.type_name()
        };
        let mut message = format!(
            "`{}` {}, but {} is a {type_name} key, in {label}",
            entry.op_name(),
            family_words(family),
            code(entry.key_name())
        );
        if key_family == OperatorFamily::Bool && family == OperatorFamily::String {
            message.push_str(": IAM gives this key the `Bool` operator, and how it compares a Boolean key with a string operator is not documented");
        } else if family == OperatorFamily::Arn {
            message.push_str(": its values are not ARNs, so the ARN comparison can never match");
        } else {
            message.push_str(
                ": the values are read as the wrong type, so the condition cannot work as written",
            );
        }
        let wildcards = entry.key.values.iter().any(|v| has_wildcard(v.value));
        let target = equivalent(op.base, key_family, wildcards).map(|base| Operator {
            qualifier: op.qualifier,
            base,
            if_exists: op.if_exists,
        });
        let mut d = out
            .diagnostic(entry.key.key.range, message)
            .with_related(
                entry.op.name.range,
                format!("`{}` {}", entry.op_name(), family_words(family)),
            )
            .at_node(ctx.tree, entry.key.value_node);
        match target {
            Some(t) => {
                let name = t.name();
                d = d.with_help(format!("use `{name}` for {}", code(entry.key_name())));
                d = d.with_fix_opt(out.fix(|| move_fix(ctx, &entry, &name)));
            }
            None => {
                d = d.with_help(format!(
                    "use an operator that {} for {}",
                    family_words(key_family),
                    code(entry.key_name())
                ));
            }
        }
        out.push(d);
    }
}

fn move_fix(ctx: &Context<'_>, entry: &Entry<'_, '_>, target: &str) -> Option<Fix> {
    let source = entry
        .block
        .operators
        .iter()
        .position(|o| std::ptr::eq(o, entry.op))?;
    let key = entry
        .op
        .keys
        .iter()
        .position(|k| std::ptr::eq(k, entry.key))?;
    let edits = fix::move_keys(ctx, entry.block, source, &[key], target)?;
    Some(Fix {
        title: format!("Compare {} with `{target}`", code(entry.key_name())),
        applicability: Applicability::Unsafe,
        edits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_fits() {
        assert!(fits_type(OperatorFamily::String, KeyType::String, false));
        assert!(fits_type(OperatorFamily::String, KeyType::Arn, false));
        assert!(fits_type(OperatorFamily::Arn, KeyType::String, true));
        assert!(fits_type(OperatorFamily::Null, KeyType::Bool, false));
        assert!(!fits_type(OperatorFamily::Arn, KeyType::String, false));
        assert!(!fits_type(OperatorFamily::Numeric, KeyType::String, false));
        assert!(!fits_type(OperatorFamily::String, KeyType::Bool, false));
        assert!(!fits_type(OperatorFamily::Bool, KeyType::String, true));
        let c = crate::catalog::catalog();
        let epoch = c.condition_key("aws:EpochTime").unwrap().info;
        assert!(fits(OperatorFamily::Numeric, epoch) && fits(OperatorFamily::Date, epoch));
        let current = c.condition_key("aws:CurrentTime").unwrap().info;
        assert!(!fits(OperatorFamily::Numeric, current));
    }

    #[test]
    fn equivalents() {
        use BaseOperator::*;
        assert_eq!(
            equivalent(ArnEquals, OperatorFamily::String, false),
            Some(StringEquals)
        );
        assert_eq!(
            equivalent(ArnLike, OperatorFamily::String, true),
            Some(StringLike)
        );
        assert_eq!(
            equivalent(StringEquals, OperatorFamily::Bool, false),
            Some(Bool)
        );
        assert_eq!(
            equivalent(StringNotEquals, OperatorFamily::Bool, false),
            None
        );
        assert_eq!(
            equivalent(NumericLessThan, OperatorFamily::Date, false),
            Some(DateLessThan)
        );
        assert_eq!(
            equivalent(StringEquals, OperatorFamily::Numeric, false),
            Some(NumericEquals)
        );
        assert_eq!(equivalent(StringLike, OperatorFamily::Numeric, true), None);
        assert_eq!(
            equivalent(StringEqualsIgnoreCase, OperatorFamily::Numeric, false),
            None
        );
    }
}
