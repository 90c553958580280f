//! The `Condition` element: operators, keys, values, set qualifiers,
//! `...IfExists`, `Null` and policy variables (IAM UG, "Condition operators"
//! and "Conditions with multiple context keys or values").
//!
//! The logic, in one place:
//! - operators are ANDed, the keys of one operator are ANDed, the values of
//!   one key are ORed; a negated operator is true when *no* value matches;
//! - a key the request lacks makes an entry false, a negated one true, and
//!   any `...IfExists` one true; `Null` tests presence itself;
//! - `ForAllValues` is true when every request value matches (and when the
//!   key is absent or an empty set); `ForAnyValue` when one does (false when
//!   absent or empty); a negated operator under a qualifier negates per value;
//! - without a qualifier a multivalued request value behaves like
//!   `ForAnyValue` for positive operators and matches for negated ones only if
//!   no value matches (the documented rule for single values, applied to each).

use super::context::{ContextValue, ContextView};
use super::operators::{compare, parse_operand, positive, PolicyOperand};
use super::Failure;
use crate::matcher::compile_with_variables;
use crate::model::{
    BaseOperator, ConditionBlock, ConditionKeyEntry, ConditionOperatorEntry, Operator,
    OperatorFamily, SetQualifier,
};
use crate::text::TextRange;

/// The result of one (operator, key) entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EntryOutcome {
    True,
    /// False, with the reason in words.
    False(String),
    /// The entry cannot be evaluated (unknown operator, a value of the wrong
    /// type): the statement's condition can never be met.
    Unreadable(TextRange, String),
}

/// Evaluates a whole `Condition` block: `Ok` when every entry holds, else the
/// first entry (in document order) that does not.
pub(crate) fn evaluate_block(
    block: &ConditionBlock<'_>,
    view: &ContextView<'_>,
    variables: bool,
    explain: bool,
) -> Result<(), Failure> {
    for op in &block.operators {
        if op.operator.is_none() {
            return Err(Failure::Unreadable {
                range: op.name.range,
                reason: format!(
                    "`{}` is not a condition operator IAM knows, so this condition can never be met",
                    op.name.value
                ),
            });
        }
        for key in &op.keys {
            match evaluate_entry(op, key, view, variables, explain) {
                EntryOutcome::True => {}
                EntryOutcome::False(reason) => {
                    return Err(Failure::Condition {
                        operator: op.name.range,
                        key: key.key.range,
                        values: key.values.iter().map(|v| v.range).collect(),
                        reason,
                    })
                }
                EntryOutcome::Unreadable(range, reason) => {
                    return Err(Failure::Unreadable { range, reason })
                }
            }
        }
    }
    Ok(())
}

/// Policy variables are substituted in the string and ARN operators only (IAM
/// UG, "Where you can use policy variables").
fn takes_variables(base: BaseOperator) -> bool {
    matches!(base.family(), OperatorFamily::String | OperatorFamily::Arn)
}

/// Evaluates one key of one operator against the request.
pub(crate) fn evaluate_entry(
    op_entry: &ConditionOperatorEntry<'_>,
    key_entry: &ConditionKeyEntry<'_>,
    view: &ContextView<'_>,
    variables: bool,
    explain: bool,
) -> EntryOutcome {
    let Some(operator) = op_entry.operator else {
        return EntryOutcome::Unreadable(
            op_entry.name.range,
            format!(
                "`{}` is not a condition operator IAM knows",
                op_entry.name.value
            ),
        );
    };
    let key = key_entry.key.value;
    let request_value = view.get(key);

    if operator.base == BaseOperator::Null {
        return evaluate_null(key_entry, request_value.as_deref(), explain);
    }

    let mut operands = Vec::with_capacity(key_entry.values.len());
    for value in &key_entry.values {
        if variables && takes_variables(operator.base) && crate::matcher::has_variable(value.value)
        {
            let wildcards = positive(operator.base).supports_wildcards();
            match compile_with_variables(value.value, wildcards, &|name| view.variable(name)) {
                Some(pieces) => operands.push(PolicyOperand::Pattern(pieces)),
                None => {
                    // "If AWS cannot resolve a variable, this might cause the
                    // entire statement to be invalid" (IAM UG, policy variables).
                    return EntryOutcome::False(if explain {
                        format!(
                            "`{}` uses a policy variable that has no value in this request",
                            value.value
                        )
                    } else {
                        String::new()
                    });
                }
            }
        } else {
            match parse_operand(operator.base, value.value) {
                Ok(operand) => operands.push(operand),
                Err(reason) => {
                    return EntryOutcome::Unreadable(
                        value.range,
                        format!(
                            "{reason}, as {} needs, so this condition can never be met",
                            operator.base.name()
                        ),
                    )
                }
            }
        }
    }
    let matches_any = |request: &str| operands.iter().any(|o| compare(operator.base, o, request));
    let negated = operator.base.is_negated();
    // Per request value: does it satisfy the operator (negation included)?
    let value_ok = |request: &str| matches_any(request) != negated;

    let explanation = |request: Option<&ContextValue>| -> String {
        let wants = wants(&operator, key_entry);
        match (operator.qualifier, request) {
            (None, None) => format!("{key} is not in the request, the condition wants {wants}"),
            (None, Some(v)) => format!("{key} is {}, the condition wants {wants}", v.describe()),
            (Some(SetQualifier::ForAnyValue), None) => format!(
                "{key} is not in the request, and ForAnyValue needs at least one value that is {wants}"
            ),
            (Some(SetQualifier::ForAnyValue), Some(v)) => format!(
                "{key} is {}, and ForAnyValue needs at least one value that is {wants}",
                v.describe()
            ),
            (Some(SetQualifier::ForAllValues), v) => format!(
                "{key} is {}, and ForAllValues needs every value to be {wants}",
                v.map_or_else(|| "not in the request".to_string(), ContextValue::describe)
            ),
        }
    };

    let verdict = |ok: bool, request: Option<&ContextValue>| {
        if ok {
            EntryOutcome::True
        } else {
            EntryOutcome::False(if explain {
                explanation(request)
            } else {
                String::new()
            })
        }
    };

    let present = request_value.as_deref().filter(|v| !v.is_empty_set());
    match operator.qualifier {
        None => match present {
            None => verdict(negated || operator.if_exists, request_value.as_deref()),
            Some(v) => {
                let ok = if negated {
                    v.values().iter().all(|r| value_ok(r))
                } else {
                    v.values().iter().any(|r| value_ok(r))
                };
                verdict(ok, Some(v))
            }
        },
        Some(SetQualifier::ForAllValues) => match present {
            None => EntryOutcome::True,
            Some(v) => verdict(v.values().iter().all(|r| value_ok(r)), Some(v)),
        },
        Some(SetQualifier::ForAnyValue) => match (request_value.as_deref(), present) {
            (None, _) if operator.if_exists => EntryOutcome::True,
            (_, None) => verdict(false, request_value.as_deref()),
            (_, Some(v)) => verdict(v.values().iter().any(|r| value_ok(r)), Some(v)),
        },
    }
}

/// `"Null": {"key": "true"}` holds when the key is absent (or an empty set),
/// `"false"` when it is present. Several values are ORed like any others.
fn evaluate_null(
    key_entry: &ConditionKeyEntry<'_>,
    request: Option<&ContextValue>,
    explain: bool,
) -> EntryOutcome {
    let key = key_entry.key.value;
    let present = request.is_some_and(|v| !v.is_empty_set());
    let mut wanted = Vec::new();
    for value in &key_entry.values {
        match parse_operand(BaseOperator::Null, value.value) {
            Ok(PolicyOperand::Bool(b)) => wanted.push(b),
            Ok(_) => {}
            Err(reason) => {
                return EntryOutcome::Unreadable(
                    value.range,
                    format!("{reason}, as Null needs, so this condition can never be met"),
                )
            }
        }
    }
    // `true` means "the key is null", i.e. absent.
    if wanted.iter().any(|&absent| absent != present) {
        EntryOutcome::True
    } else if !explain {
        EntryOutcome::False(String::new())
    } else if present {
        EntryOutcome::False(format!(
            "{key} is in the request, the condition wants it absent"
        ))
    } else {
        EntryOutcome::False(format!(
            "{key} is not in the request, the condition wants it present"
        ))
    }
}

/// What an entry wants, in words: `fsx.us-east-1.amazonaws.com`, `a value
/// matching arn:aws:s3:::bucket/*`, `anything but 111122223333`.
fn wants(operator: &Operator, key_entry: &ConditionKeyEntry<'_>) -> String {
    use BaseOperator::*;
    let values: Vec<&str> = key_entry.values.iter().map(|v| v.value).collect();
    let list = match values.len() {
        0 => "(no values)".to_string(),
        _ => values.join(" or "),
    };
    let none_of = match values.len() {
        0 | 1 => list.clone(),
        _ => format!("any of {}", values.join(", ")),
    };
    match operator.base {
        StringEquals | Bool | BinaryEquals => list,
        StringEqualsIgnoreCase => format!("{list} (ignoring case)"),
        StringLike | ArnEquals | ArnLike => format!("a value matching {list}"),
        StringNotEquals => format!("anything but {none_of}"),
        StringNotEqualsIgnoreCase => format!("anything but {none_of} (ignoring case)"),
        StringNotLike | ArnNotEquals | ArnNotLike => format!("a value not matching {none_of}"),
        NumericEquals => format!("a number equal to {list}"),
        NumericNotEquals => format!("a number other than {none_of}"),
        NumericLessThan => format!("a number less than {list}"),
        NumericLessThanEquals => format!("a number at most {list}"),
        NumericGreaterThan => format!("a number greater than {list}"),
        NumericGreaterThanEquals => format!("a number at least {list}"),
        DateEquals => format!("the date {list}"),
        DateNotEquals => format!("a date other than {none_of}"),
        DateLessThan => format!("a date before {list}"),
        DateLessThanEquals => format!("a date at or before {list}"),
        DateGreaterThan => format!("a date after {list}"),
        DateGreaterThanEquals => format!("a date at or after {list}"),
        IpAddress => format!("an address in {list}"),
        NotIpAddress => format!("an address outside {none_of}"),
        Null => list,
    }
}
