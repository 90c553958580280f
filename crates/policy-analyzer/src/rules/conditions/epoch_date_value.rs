use crate::diagnostic::{Applicability, Fix, Severity};
use crate::model::OperatorFamily;
use crate::rules::conditions::{code, entries, fix};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC321",
    name: "epoch-date-value",
    pack: Pack::Conditions,
    severity: Severity::Hint,
    fix: FixAvailability::Always,
    tags: &[],
    summary: "A date condition value written as epoch seconds",
    docs: r#"## What it does
Reports a value of a date operator (`DateLessThan`, `DateGreaterThan`...)
written as seconds since 1970 (`1735689600`) rather than as an ISO 8601 date.

## Why it matters
IAM accepts epoch seconds, but a reader cannot tell which day
`1735689600` is, and IAM Access Analyzer warns that epoch time "might not
resolve to the precise time that you expect". The ISO 8601 form says the
same instant plainly.

## Example
```json
"DateLessThan": {"aws:CurrentTime": "1735689600"}
```

## Use instead
```json
"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}
```

## Fix
The fix writes the same instant in ISO 8601, in UTC. It is safe: the
condition compares the same time.

## Sources
- IAM User Guide, "Condition operators", date condition operators: values in "one of the W3C implementations of the ISO 8601 date formats" or "epoch (UNIX) time" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date).
- IAM User Guide, IAM policy validation check reference: "General Warning – Invalid date value" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

/// Epoch seconds as an ISO 8601 UTC date-time (proleptic Gregorian).
fn iso_from_epoch(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(op) = entry.operator() else { continue };
        if op.base.family() != OperatorFamily::Date {
            continue;
        }
        // A key of another type is operator-type-mismatch's; `aws:EpochTime`
        // is epoch seconds by name.
        let date_key = entry
            .key_info()
            .is_some_and(|k| k.info.value_type == crate::catalog::KeyType::Date);
        if !date_key || entry.key_name().eq_ignore_ascii_case("aws:EpochTime") {
            continue;
        }
        for v in &entry.key.values {
            let epoch = !v.value.is_empty()
                && v.value.len() != 4
                && v.value.len() <= 12
                && v.value.bytes().all(|b| b.is_ascii_digit());
            if !epoch {
                continue;
            }
            let Ok(seconds) = v.value.parse::<i64>() else {
                continue;
            };
            let iso = iso_from_epoch(seconds);
            let fix = out.fix(|| {
                Some(Fix {
                    title: format!("Write `{iso}`"),
                    applicability: Applicability::Safe,
                    edits: vec![crate::diagnostic::TextEdit {
                        range: v.range,
                        replacement: fix::json_string(&iso),
                    }],
                })
            });
            let d = out
                .diagnostic(
                    v.range,
                    format!(
                        "{} under `{}` in {} is epoch seconds, {iso}: IAM reads it, but the ISO 8601 form says which day it is",
                        code(v.value),
                        entry.op_name(),
                        entry.statement.label()
                    ),
                )
                .with_help(format!("write `{iso}`"))
                .with_fix_opt(fix)
                .at_node(ctx.tree, v.node);
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::iso_from_epoch;

    #[test]
    fn epoch_to_iso() {
        assert_eq!(iso_from_epoch(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_from_epoch(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(iso_from_epoch(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_from_epoch(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
