//! `docs/access-analyzer-parity.md` maps every IAM Access Analyzer policy
//! check to the rule that covers it, or to the reason it does not apply.
//! This test keeps that table and the rule registry in agreement.

use std::collections::BTreeSet;

use policy_analyzer::{all_rules, find_rule};

const TABLE: &str = include_str!("../docs/access-analyzer-parity.md");

/// The checks issue 13 names, each of which must map to a rule.
const IMPLEMENTED: &[&str] = &[
    "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
    "INVALID_CONDITION_MULTIPLE_BOOLEAN",
    "INVALID_VARIABLE_FOR_OPERATOR",
    "INVALID_REGION",
    "PRIVATE_IP_ADDRESS",
    "PRIVATE_NOT_IP_ADDRESS",
    "INVALID_VPC_FORMAT",
    "INVALID_VPCE_FORMAT",
    "MISSING_TAG_KEY_IN_CONDITION",
    "UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL",
    "MISSING_ACTION_FOR_CONDITION_KEY",
    "MISSING_PAIRED_CONDITION_KEYS",
    "RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL",
    "UNTRUSTWORTHY_CONDITION_KEY",
    "STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS",
    "INVALID_DATE_VALUE",
    "REDUNDANT_STATEMENT",
    "REDUNDANT_CONDITION_VALUE_NUM",
    "EQUIVALENT_TO_NULL_TRUE",
    "EQUIVALENT_TO_NULL_FALSE",
    "VARIABLE_USAGE_TOO_PERMISSIVE",
    "WILDCARD_USAGE_TOO_PERMISSIVE",
];

struct Row {
    check: String,
    code: String,
    /// (rule code, rule name) pairs the row names.
    rules: Vec<(String, String)>,
    here: String,
}

fn rows() -> Vec<Row> {
    let mut out = Vec::new();
    for line in TABLE.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| check | code | here | notes |` gives 6 cells with the outer empties.
        if cells.len() != 6 || !cells[2].starts_with('`') {
            continue;
        }
        let here = cells[3].to_string();
        let mut rules = Vec::new();
        let mut rest = here.as_str();
        while let Some(start) = rest.find("[PC") {
            let code = rest[start + 1..start + 6].to_string();
            let after = &rest[start + 6..];
            let name = after
                .split('`')
                .nth(1)
                .unwrap_or_else(|| panic!("{code} in `{here}` has no `name` after it"))
                .to_string();
            assert!(
                after.starts_with(&format!("](rules/{code}.md) `{name}`")),
                "{code} in `{here}` must be written [{code}](rules/{code}.md) `name`"
            );
            rules.push((code, name));
            rest = &after[1..];
        }
        out.push(Row {
            check: cells[1].to_string(),
            code: cells[2].trim_matches('`').to_string(),
            rules,
            here,
        });
    }
    out
}

#[test]
fn every_row_names_registered_rules_or_a_reason() {
    let rows = rows();
    assert!(rows.len() > 100, "the table has {} rows", rows.len());
    let mut codes = BTreeSet::new();
    for row in &rows {
        assert!(codes.insert(row.code.clone()), "{} twice", row.code);
        assert_eq!(
            row.code,
            row.code.to_ascii_uppercase(),
            "{}: issue codes are upper case",
            row.check
        );
        if row.rules.is_empty() {
            let reason = row
                .here
                .strip_prefix("n/a: ")
                .or_else(|| row.here.strip_prefix("not implemented: "))
                .unwrap_or_else(|| {
                    panic!(
                        "{}: name a rule, or say `n/a: ...` or `not implemented: ...`",
                        row.code
                    )
                });
            assert!(reason.len() > 10, "{}: give the reason", row.code);
        }
        for (code, name) in &row.rules {
            let rule = find_rule(code).unwrap_or_else(|| panic!("{}: no rule {code}", row.code));
            assert_eq!(rule.name, name, "{}: {code} is `{}`", row.code, rule.name);
        }
    }
}

#[test]
fn the_checks_of_issue_13_map_to_rules() {
    let rows = rows();
    for code in IMPLEMENTED {
        let row = rows
            .iter()
            .find(|r| r.code == *code)
            .unwrap_or_else(|| panic!("{code} is not in the table"));
        assert!(!row.rules.is_empty(), "{code} maps to no rule");
    }
}

/// A rule whose documentation cites the check reference is in the table,
/// and a rule in the table is one the registry lists.
#[test]
fn rules_that_cite_access_analyzer_are_in_the_table() {
    let named: BTreeSet<String> = rows()
        .into_iter()
        .flat_map(|r| r.rules.into_iter().map(|(code, _)| code))
        .collect();
    for rule in all_rules() {
        let cites = rule
            .docs
            .contains("access-analyzer-reference-policy-checks")
            || rule.docs.contains("Access Analyzer policy checks");
        if cites {
            assert!(
                named.contains(rule.code),
                "{} {} cites Access Analyzer but is not in docs/access-analyzer-parity.md",
                rule.code,
                rule.name
            );
        }
    }
}
