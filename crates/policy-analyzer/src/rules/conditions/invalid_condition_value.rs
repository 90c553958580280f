use crate::aws::is_region;
use crate::catalog::{catalog, KeyType};
use crate::diagnostic::Severity;
use crate::model::{BaseOperator, OperatorFamily, ValueKind};
use crate::rules::conditions::formats::{
    arn_problem, is_bool, is_date, is_ip_or_cidr, is_number, placeholder_word,
    principal_arn_problem, vpc_id_problem,
};
use crate::rules::conditions::{
    code, dead_value_consequence, entries, has_placeholder, has_wildcard, Entry,
};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC314",
    name: "invalid-condition-value",
    pack: Pack::Conditions,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A condition value that the operator cannot read",
    docs: r#"## What it does
Reports a condition value that is malformed for the type its operator
compares:
- `Bool`: anything but `true` or `false` (as JSON booleans or strings);
- `Null`: anything but `true` or `false`;
- Numeric operators: anything but an integer or decimal number;
- Date operators: anything but a W3C ISO 8601 date or date-time
  (`2024-01-31`, `2024-01-31T12:00:00Z`) or epoch seconds;
- `IpAddress`/`NotIpAddress`: anything but an IPv4 or IPv6 address or CIDR
  range (`203.0.113.0/24`, `2001:DB8::/32`);
- ARN operators: anything that is not an ARN
  (`arn:partition:service:region:account-id:resource`, wildcards allowed in
  each part): a bare account ID, a placeholder Region such as `region`, an
  account part that is not 12 digits.

Values with a policy variable or template placeholder (`${...}`) are not
judged. `kms:EncryptionContext:aws:s3:arn` is left to
`invalid-s3-arn-context`, and keys whose operator does not fit their type to
`operator-type-mismatch`.

## Why it matters
A value the operator cannot read never matches a request: under a positive
operator the value is dead (and if every value is, the statement never
applies); under a negated one it excludes nothing. AWS's policy validator
reports these as type mismatches (Boolean, date, IP range, number).

## Example
```json
"Bool": {"kms:GrantIsForAWSResource": "yes"}
```

## Use instead
```json
"Bool": {"kms:GrantIsForAWSResource": "true"}
```

## Fix
No automatic fix.

## Sources
- IAM User Guide, "IAM JSON policy elements: Condition operators": Boolean values "true" or "false"; numeric operators compare "an integer or decimal value"; dates in "one of the W3C implementations of the ISO 8601 date formats … or in epoch (UNIX) time"; IP addresses "in the standard CIDR format"; ARN operators check "each of the six colon-delimited components"; `Null` takes `true` or `false` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
- IAM User Guide, IAM policy validation check reference: "Type mismatch Boolean", "Type mismatch date", "Type mismatch IP range", "Type mismatch number"; "Account IDs are 12-digit integers" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

/// Why a value cannot be read by an operator of this family, if it cannot.
fn problem(
    family: OperatorFamily,
    base: BaseOperator,
    value: &str,
    kind: ValueKind,
) -> Option<String> {
    match family {
        OperatorFamily::Bool | OperatorFamily::Null => (kind != ValueKind::Bool && !is_bool(value)).then(|| {
            format!(
                "`{}` takes `true` or `false`, not {}",
                base.name(),
                code(value)
            )
        }),
        OperatorFamily::Numeric => (kind != ValueKind::Number && !is_number(value))
            .then(|| format!("{} is not a number", code(value))),
        OperatorFamily::Date => (!is_date(value)).then(|| {
            format!(
                "{} is not an ISO 8601 date (`2024-01-31`, `2024-01-31T12:00:00Z`) or epoch seconds",
                code(value)
            )
        }),
        OperatorFamily::Ip => (!is_ip_or_cidr(value)).then(|| {
            format!(
                "{} is not an IPv4 or IPv6 address or CIDR range (`203.0.113.0/24`)",
                code(value)
            )
        }),
        OperatorFamily::Arn => arn_problem(value),
        OperatorFamily::String | OperatorFamily::Binary => None,
    }
}

/// Why a value cannot be what its key holds, whatever the operator's family:
/// the keys whose values have a form of their own.
fn key_problem(
    key: &str,
    key_type: Option<KeyType>,
    value: &str,
    wildcards: bool,
) -> Option<String> {
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    if is("aws:PrincipalArn") {
        return principal_arn_problem(value);
    }
    if key_type == Some(KeyType::Arn) {
        return arn_problem(value);
    }
    if wildcards && has_wildcard(value) {
        return None;
    }
    if is("aws:RequestedRegion") || is("kms:ReplicaRegion") || is("kms:PrimaryRegion") {
        return (!is_region(value)).then(|| {
            if placeholder_word(value) {
                format!("{} is a placeholder copied from a guide, not a Region name such as `us-east-1`", code(value))
            } else {
                format!("{} is not an AWS Region name such as `us-east-1`", code(value))
            }
        });
    }
    if is("aws:SourceVpc") {
        return vpc_id_problem(value, "vpc-");
    }
    if is("aws:SourceVpce") {
        return vpc_id_problem(value, "vpce-");
    }
    None
}

/// The values of an entry that its operator cannot read, with why; `None`
/// when the entry is not judged (no known operator, the S3 context key, a
/// key whose type the operator does not fit).
fn bad_values<'a, 't>(
    entry: &Entry<'a, 't>,
) -> Option<Vec<(&'a crate::model::ConditionValue<'t>, String)>> {
    let op = entry.operator()?;
    let family = op.base.family();
    let key_name = entry.key_name();
    if key_name.eq_ignore_ascii_case("kms:EncryptionContext:aws:s3:arn") {
        return None; // invalid-s3-arn-context
    }
    let key_info = entry.key_info();
    if family != OperatorFamily::Null {
        if let Some(found) = &key_info {
            if !super::operator_type_mismatch::fits(family, found.info) {
                return None;
            }
        }
    }
    let key_type = key_info.as_ref().map(|k| k.info.value_type);
    let textual = matches!(family, OperatorFamily::String | OperatorFamily::Arn);
    let wildcards = op.base.supports_wildcards();
    let mut bad = Vec::new();
    for v in &entry.key.values {
        // A policy variable of a known key under an operator that does
        // not substitute variables is literal text.
        if !textual && family != OperatorFamily::Null {
            let known: Vec<&str> = crate::matcher::policy_variables(v.value)
                .filter(|name| catalog().condition_key(name).is_some())
                .collect();
            if let Some(name) = known.first() {
                bad.push((
                    v,
                    format!(
                        "`${{{name}}}` is literal text here: IAM substitutes policy variables only under String and ARN operators, not under `{}`",
                        entry.op_name()
                    ),
                ));
                continue;
            }
        }
        if has_placeholder(v.value) {
            continue;
        }
        let Some(view) = crate::symbolic::format_view(v.value) else {
            continue;
        };
        let problem = if textual && v.kind == ValueKind::String {
            key_problem(key_name, key_type, &view, wildcards).or_else(|| {
                (family == OperatorFamily::Arn)
                    .then(|| arn_problem(&view))
                    .flatten()
            })
        } else {
            problem(family, op.base, &view, v.kind)
        };
        if let Some(p) = problem {
            bad.push((v, p));
        }
    }
    Some(bad)
}

/// Whether this rule reports every value of a condition entry: the entry
/// never matches, for a reason this rule gives.
pub(crate) fn reports_every_value(entry: &Entry<'_, '_>) -> bool {
    bad_values(entry).is_some_and(|bad| !bad.is_empty() && bad.len() == entry.key.values.len())
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        let family = op.base.family();
        let key_name = entry.key_name();
        let Some(bad) = bad_values(&entry) else {
            continue;
        };
        let all_bad = !bad.is_empty() && bad.len() == entry.key.values.len();
        for (value, why) in bad {
            let tail = if family == OperatorFamily::Null {
                format!("for {} in {}", code(key_name), entry.statement.label())
            } else {
                format!(
                    "so it never matches {} in {}{}",
                    code(key_name),
                    entry.statement.label(),
                    dead_value_consequence(&entry, all_bad)
                )
            };
            let d = out
                .diagnostic(value.range, format!("{why}, {tail}"))
                .with_help(help(family, key_name))
                .at_node(ctx.tree, value.node);
            out.push(d);
        }
        // `Bool` compares one value: `true` and `false` together match every
        // request that carries the key.
        let values = &entry.key.values;
        if op.base == BaseOperator::Bool && op.qualifier.is_none() && values.len() > 1 {
            let shown: Vec<String> = values.iter().map(|v| code(v.value)).collect();
            let d = out
                .diagnostic(
                    values[1].range,
                    format!(
                        "`{}` on {} in {} has {} values ({}); a Boolean key takes one value, and more than one make the condition true for {}",
                        entry.op_name(),
                        code(key_name),
                        entry.statement.label(),
                        values.len(),
                        shown.join(", "),
                        "any request whose value is among them (with `true` and `false`, every request that carries the key)"
                    ),
                )
                .with_help("keep the one value you mean, `true` or `false`")
                .at_node(ctx.tree, values[1].node);
            out.push(d);
        }
    }
}

fn help(family: OperatorFamily, key: &str) -> &'static str {
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    if is("aws:PrincipalArn") {
        return "write the ARN of the calling role, user or account root, such as `arn:aws:iam::111122223333:role/Admin`";
    }
    if is("aws:SourceVpc") {
        return "write the VPC ID, such as `vpc-1a2b3c4d`";
    }
    if is("aws:SourceVpce") {
        return "write the VPC endpoint ID, such as `vpce-1a2b3c4d`";
    }
    if is("aws:RequestedRegion") || is("kms:ReplicaRegion") || is("kms:PrimaryRegion") {
        return "write a Region name such as `us-east-1`";
    }
    match family {
        OperatorFamily::Bool | OperatorFamily::Null => "write `true` or `false`",
        OperatorFamily::Numeric => "write a number such as `30`",
        OperatorFamily::Date => "write a date such as `2024-01-31T12:00:00Z`",
        OperatorFamily::Ip => "write an address or CIDR range such as `203.0.113.0/24`",
        _ => "write an ARN such as `arn:aws:logs:us-east-1:111122223333:log-group:my-group`",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_family() {
        use OperatorFamily as F;
        let b = BaseOperator::Bool;
        assert!(problem(F::Bool, b, "true", ValueKind::String).is_none());
        assert!(problem(F::Bool, b, "true", ValueKind::Bool).is_none());
        assert!(problem(F::Bool, b, "yes", ValueKind::String).is_some());
        assert!(problem(
            F::Numeric,
            BaseOperator::NumericLessThan,
            "30",
            ValueKind::String
        )
        .is_none());
        assert!(problem(
            F::Numeric,
            BaseOperator::NumericLessThan,
            "thirty",
            ValueKind::String
        )
        .is_some());
        assert!(problem(
            F::Date,
            BaseOperator::DateLessThan,
            "2024-01-31",
            ValueKind::String
        )
        .is_none());
        assert!(problem(
            F::Date,
            BaseOperator::DateLessThan,
            "31/01/2024",
            ValueKind::String
        )
        .is_some());
        assert!(problem(
            F::Ip,
            BaseOperator::IpAddress,
            "10.0.0.0/8",
            ValueKind::String
        )
        .is_none());
        assert!(problem(
            F::Ip,
            BaseOperator::IpAddress,
            "vpc-1234",
            ValueKind::String
        )
        .is_some());
        assert!(problem(
            F::Arn,
            BaseOperator::ArnLike,
            "arn:aws:logs:us-east-1:111122223333:*",
            ValueKind::String
        )
        .is_none());
        assert!(problem(
            F::Arn,
            BaseOperator::ArnLike,
            "111122223333",
            ValueKind::String
        )
        .is_some());
        assert!(problem(
            F::String,
            BaseOperator::StringEquals,
            "anything",
            ValueKind::String
        )
        .is_none());
    }
}
