//! Conditions: operators and condition keys against IAM's grammar and the
//! KMS catalogue, and the format of condition values.
//!
//! The helpers here are shared by the rule files of this pack: walking every
//! (statement, operator, key) entry, what a condition does when its key is
//! absent from the request, and policy-variable handling. Value parsers live in
//! [`formats`], text edits for fixes in [`fix`].

pub mod condition_key_not_supported_by_actions;
pub mod deprecated_condition_key;
pub mod duplicate_condition_key_case;
pub mod epoch_date_value;
pub mod equivalent_to_null;
pub mod fix;
pub mod formats;
pub mod invalid_caller_account;
pub mod invalid_condition_value;
pub mod invalid_s3_arn_context;
pub mod invalid_via_service;
pub mod key_absent_for_service_principal;
pub mod key_not_supported_in_key_policy;
pub mod missing_paired_condition_key;
pub mod missing_set_operator;
pub mod null_with_if_exists;
pub mod operator_type_mismatch;
pub mod private_source_ip;
pub mod redundant_condition_value;
pub mod set_operator_on_single_valued_key;
pub mod string_operator_on_arn_key;
pub mod unknown_condition_key;
pub mod unknown_operator;
pub mod unresolved_policy_variable;
pub mod wildcard_in_non_like_operator;

use super::Rule;
use crate::catalog::{catalog, KeyMatch};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{
    BaseOperator, ConditionBlock, ConditionKeyEntry, ConditionOperatorEntry, ConditionValue,
    Operator, Policy, SetQualifier, Statement,
};

pub(crate) static RULES: &[&Rule] = &[
    &unknown_operator::RULE,
    &unknown_condition_key::RULE,
    &operator_type_mismatch::RULE,
    &wildcard_in_non_like_operator::RULE,
    &set_operator_on_single_valued_key::RULE,
    &missing_set_operator::RULE,
    &null_with_if_exists::RULE,
    &key_not_supported_in_key_policy::RULE,
    &deprecated_condition_key::RULE,
    &condition_key_not_supported_by_actions::RULE,
    &invalid_caller_account::RULE,
    &invalid_via_service::RULE,
    &invalid_s3_arn_context::RULE,
    &invalid_condition_value::RULE,
    &unresolved_policy_variable::RULE,
    &duplicate_condition_key_case::RULE,
    &private_source_ip::RULE,
    &key_absent_for_service_principal::RULE,
    &missing_paired_condition_key::RULE,
    &string_operator_on_arn_key::RULE,
    &epoch_date_value::RULE,
    &redundant_condition_value::RULE,
    &equivalent_to_null::RULE,
];

/// One condition entry: a key under an operator in a statement's `Condition`.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a, 't> {
    pub statement: &'a Statement<'t>,
    pub block: &'a ConditionBlock<'t>,
    pub op: &'a ConditionOperatorEntry<'t>,
    pub key: &'a ConditionKeyEntry<'t>,
}

impl<'a, 't> Entry<'a, 't> {
    /// The key in the catalogue, if it is there.
    pub fn key_info(&self) -> Option<KeyMatch<'static>> {
        catalog().condition_key(self.key.key.value)
    }

    /// The operator, when IAM knows it (exact spelling).
    pub fn operator(&self) -> Option<Operator> {
        self.op.operator
    }

    /// The operator's name as written.
    pub fn op_name(&self) -> &'t str {
        self.op.name.value
    }

    pub fn key_name(&self) -> &'t str {
        self.key.key.value
    }
}

/// Every (statement, operator, key) entry of the policy, in document order.
pub(crate) fn entries<'a, 't>(policy: &'a Policy<'t>) -> impl Iterator<Item = Entry<'a, 't>> + 'a {
    policy.statements.iter().flat_map(|statement| {
        statement.condition.iter().flat_map(move |block| {
            block.operators.iter().flat_map(move |op| {
                op.keys.iter().map(move |key| Entry {
                    statement,
                    block,
                    op,
                    key,
                })
            })
        })
    })
}

/// What a condition entry evaluates to when its key is absent from the
/// request context, per the IAM User Guide: a key that is not present makes
/// a condition false, a negated one true; `...IfExists` makes it true;
/// `ForAllValues` is true and `ForAnyValue` false on an empty set; `Null`
/// tests presence (`true` = absent). `None` when it cannot be told (a `Null`
/// value that is neither true nor false).
pub(crate) fn absent_outcome(op: Operator, values: &[ConditionValue<'_>]) -> Option<bool> {
    if op.base == BaseOperator::Null {
        // Several values are ORed: true if any says "absent".
        let mut any_true = false;
        for v in values {
            match v.value.trim().to_ascii_lowercase().as_str() {
                "true" => any_true = true,
                "false" => {}
                _ => return None,
            }
        }
        return Some(any_true);
    }
    if op.if_exists {
        return Some(true);
    }
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => Some(true),
        Some(SetQualifier::ForAnyValue) => Some(false),
        None => Some(op.base.is_negated()),
    }
}

/// Whether a value holds a policy variable or a template placeholder
/// (`${aws:username}`, `${AWS::AccountId}`, `${var.account_id}`): its
/// request-time text is unknown, so format checks skip it.
pub(crate) fn has_placeholder(value: &str) -> bool {
    crate::matcher::has_variable(value)
}

/// The value with every `${...}` removed; `${*}`, `${?}` and `${$}` (IAM's
/// escapes for literal characters) are removed too, so what remains holds
/// only the wildcards the policy author typed.
pub(crate) fn without_variables(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => rest = &after[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a value has a `*` or `?` that is not inside `${...}`.
pub(crate) fn has_wildcard(value: &str) -> bool {
    crate::matcher::has_wildcard(&without_variables(value))
}

/// "the statement never allows anything" (Allow) / "never denies anything" (Deny).
pub(crate) fn never_applies(statement: &Statement<'_>) -> &'static str {
    if statement.is_allow() {
        "the statement never allows anything"
    } else if statement.is_deny() {
        "the statement never denies anything"
    } else {
        "the statement never applies"
    }
}

/// What a condition does when its key is never in a KMS request: "never
/// true, so the statement never ..." or "always true, so it restricts
/// nothing".
pub(crate) fn absent_consequence(entry: &Entry<'_, '_>) -> String {
    let name = entry.op_name();
    match entry.operator().and_then(|op| absent_outcome(op, &entry.key.values)) {
        Some(false) => format!(
            "so this `{name}` condition is never true and {}",
            never_applies(entry.statement)
        ),
        Some(true) if entry.statement.is_deny() => format!(
            "so this `{name}` condition is always true and the Deny applies to every request the statement covers"
        ),
        Some(true) => format!("so this `{name}` condition is always true and restricts nothing"),
        None => "so this condition cannot work as intended".to_string(),
    }
}

/// What a value that can never equal a real request value does, as a clause
/// starting with "; ": under a positive operator it never matches (and if
/// every value is like that, the condition is never true for requests that
/// carry the key); under a negated one it excludes nothing.
pub(crate) fn dead_value_consequence(entry: &Entry<'_, '_>, all_values_dead: bool) -> String {
    let Some(op) = entry.operator() else {
        return String::new();
    };
    let name = entry.op_name();
    if op.base.is_negated() && entry.statement.is_deny() {
        return "; it exempts nothing, so the Deny also applies to the requests this value was meant to exclude".to_string();
    }
    if op.base.is_negated() {
        return format!("; it excludes nothing, so `{name}` is true for every request as far as this value goes");
    }
    if !all_values_dead {
        return "; only the key's other values can match".to_string();
    }
    if op.if_exists || op.qualifier == Some(SetQualifier::ForAllValues) {
        format!(
            "; only requests without `{}` pass this condition",
            entry.key_name()
        )
    } else {
        format!(
            "; no request satisfies this condition, so {}",
            never_applies(entry.statement)
        )
    }
}

/// `` `text` `` for messages.
pub(crate) fn code(text: &str) -> String {
    format!("`{text}`")
}

/// Lists values for a message: `a`, `b` and `c`; at most `max` shown.
pub(crate) fn list(items: &[String], max: usize) -> String {
    let shown: Vec<&String> = items.iter().take(max).collect();
    let more = items.len().saturating_sub(max);
    let mut s = match shown.len() {
        0 => String::new(),
        1 => shown[0].clone(),
        n => {
            let head: Vec<String> = shown[..n - 1].iter().map(|s| s.to_string()).collect();
            if more > 0 {
                format!("{}, {}", head.join(", "), shown[n - 1])
            } else {
                format!("{} and {}", head.join(", "), shown[n - 1])
            }
        }
    };
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// Lowers a diagnostic's severity to at most `cap` (a sub-case of a rule
/// that is less certain than the rule's main case). A severity the user
/// configured lower stays lower.
pub(crate) fn at_most(mut d: Diagnostic, cap: Severity) -> Diagnostic {
    d.severity = d.severity.min(cap);
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn outcome(policy_json: &str) -> Option<bool> {
        let parsed = parse(policy_json);
        let policy = Policy::from_tree(&parsed.tree);
        let e = entries(&policy).next().unwrap();
        absent_outcome(e.operator().unwrap(), &e.key.values)
    }

    fn cond(op: &str, value: &str) -> String {
        format!(r#"{{"Statement":[{{"Condition":{{"{op}":{{"kms:ViaService":{value}}}}}}}]}}"#)
    }

    #[test]
    fn absent_key_outcomes_follow_iam() {
        assert_eq!(outcome(&cond("StringEquals", "\"x\"")), Some(false));
        assert_eq!(outcome(&cond("StringNotEquals", "\"x\"")), Some(true));
        assert_eq!(outcome(&cond("StringLikeIfExists", "\"x\"")), Some(true));
        assert_eq!(outcome(&cond("ArnNotLike", "\"x\"")), Some(true));
        assert_eq!(
            outcome(&cond("ForAllValues:StringEquals", "\"x\"")),
            Some(true)
        );
        assert_eq!(
            outcome(&cond("ForAnyValue:StringNotEquals", "\"x\"")),
            Some(false)
        );
        assert_eq!(outcome(&cond("Null", "\"true\"")), Some(true));
        assert_eq!(outcome(&cond("Null", "false")), Some(false));
        assert_eq!(outcome(&cond("Null", "[\"false\", true]")), Some(true));
        assert_eq!(outcome(&cond("Null", "\"maybe\"")), None);
    }

    #[test]
    fn variables_and_escapes_are_not_wildcards() {
        assert!(has_wildcard("arn:aws:s3:::bucket/*"));
        assert!(has_wildcard("a?c"));
        assert!(!has_wildcard("arn:aws:s3:::bucket/${aws:username}"));
        assert!(!has_wildcard("literal${*}star"));
        assert!(!has_wildcard("question${?}"));
        assert!(has_wildcard("${aws:username}/*"));
        assert_eq!(without_variables("a${x}b${"), "ab");
    }

    /// Every fix of this pack on the pack's fixtures leaves JSON that parses
    /// cleanly and makes its own diagnostic go away.
    #[test]
    fn fixes_on_fixtures_reparse_and_resolve() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/conditions");
        let Ok(dirs) = std::fs::read_dir(&root) else {
            return; // fixtures are not shipped with the crate
        };
        let mut checked = 0;
        for dir in dirs.flatten() {
            for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap();
                let options = crate::AnalyzeOptions::default();
                let analysis = crate::analyze(&text, &options);
                for d in analysis
                    .diagnostics
                    .iter()
                    .filter(|d| d.code.starts_with("PC3"))
                {
                    let Some(fix) = &d.fix else { continue };
                    let fixed = fix.apply(&text);
                    let parsed = parse(&fixed);
                    assert!(
                        parsed.errors.is_empty(),
                        "{}: {} fix breaks the JSON:\n{fixed}",
                        file.path().display(),
                        d.code
                    );
                    let count = |a: &crate::Analysis| {
                        a.diagnostics.iter().filter(|x| x.code == d.code).count()
                    };
                    let after = crate::analyze(&fixed, &options);
                    assert!(
                        count(&after) < count(&analysis),
                        "{}: {} fix does not resolve it:\n{fixed}",
                        file.path().display(),
                        d.code
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 0, "no fix was checked");
    }

    /// Odd input never makes a rule of this pack panic: non-ASCII names and
    /// values, empty strings, values of every JSON type, truncated text.
    #[test]
    fn odd_conditions_do_not_panic() {
        let text = r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":["kms:*","é"],"Resource":"*","Condition":{
            "":{"":""},
            "Stringé":{"kms:Ca\u00e9":"1"},
            "ForAnyValue:":{"kms:EncryptionContext:":[]},
            "StringEquals":{"kms:EncryptionContext:aws:s3:ärn":"arn:aws:s3:::é/*","kms:ViaService":["é.us-east-1.amazonaws.com",1,true,null,{}],"kms:CallerAccount":["é",12]},
            "StringLike":{"kms:ViaService":"*é*.amazonaws.com","kms:EncryptionContext:aws:s3:arn":["arn:é:s3:::*","*"]},
            "ArnLike":{"aws:SourceArn":["arn","arn:::::","é:é:é:é:é:é"]},
            "DateLessThan":{"aws:CurrentTime":["2020-01-01T10:00+1é2","é"]},
            "IpAddress":{"aws:SourceIp":"é/é"},
            "NumericLessThan":{"kms:RotationPeriodInDays":"١٢"},
            "Bool":{"aws:SecureTransport":"é"},
            "NullIfExists":{"é":"é"},
            "Condition":{"StringEquals":{"a:b":"c"}},
            "kms:ViaService":"x"
          }}]}"#;
        let options = crate::AnalyzeOptions::default();
        let _ = crate::analyze(text, &options);
        for (i, _) in text.char_indices().step_by(5) {
            let _ = crate::analyze(&text[..i], &options);
        }
    }

    #[test]
    fn lists_read_naturally() {
        let items: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(list(&items[..1], 3), "a");
        assert_eq!(list(&items, 3), "a, b and c");
        assert_eq!(list(&items, 2), "a, b and 1 more");
    }
}
