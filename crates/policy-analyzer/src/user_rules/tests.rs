use super::*;
use crate::{analyze, AnalyzeOptions};

fn spec(select: &str, assertion: AssertionSpec) -> RuleSpec {
    RuleSpec {
        id: "TEST001".into(),
        name: "test-rule".into(),
        severity: Severity::Warning,
        summary: "a test".into(),
        message: "{statement}: {value}".into(),
        help: None,
        docs: String::new(),
        document: Target::Policy,
        each: None,
        select: select.into(),
        assertion,
    }
}

fn findings(spec: RuleSpec, text: &str) -> Vec<(String, String)> {
    let rule = UserRule::compile(spec, "pack", "pack/test.toml").unwrap();
    let options = AnalyzeOptions {
        user_rules: Some(Arc::new(UserRules::new(vec![Arc::new(rule)]))),
        ..AnalyzeOptions::default()
    };
    analyze(text, &options)
        .diagnostics
        .into_iter()
        .filter(|d| d.code == "TEST001")
        .map(|d| (text[d.range.as_usize()].to_string(), d.message))
        .collect()
}

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt"], "Resource": "*"}
]}"#;

#[test]
fn findings_land_on_the_matched_node_with_their_statement() {
    assert_eq!(
        findings(
            spec("$.Statement[*].Principal", AssertionSpec::In(vec![])),
            POLICY
        ),
        [
            (
                r#"{"AWS": "arn:aws:iam::111122223333:root"}"#.to_string(),
                r#"statement "A": {"AWS":"arn:aws:iam::111122223333:root"}"#.to_string()
            ),
            ("\"*\"".to_string(), "statement #2: *".to_string()),
        ]
    );
}

#[test]
fn a_node_reached_twice_is_one_finding() {
    assert_eq!(
        findings(spec("$..Sid", AssertionSpec::Forbid), POLICY).len(),
        1
    );
}

#[test]
fn templates_check_their_placeholders() {
    let mut bad = spec("$", AssertionSpec::Forbid);
    bad.message = "a {valeu} b".into();
    let e = UserRule::compile(bad, "p", "f").unwrap_err();
    assert_eq!((e.field, e.offset), ("message", Some(2)));
    assert!(
        e.message.starts_with("unknown placeholder `{valeu}`"),
        "{e}"
    );
    let mut braces = spec("$.Version", AssertionSpec::Forbid);
    braces.message = "{{literal}} {value} {count}".into();
    assert_eq!(
        findings(braces, POLICY),
        [("\"2012-10-17\"".into(), "{literal} 2012-10-17 1".into())]
    );
}

#[test]
fn ids_names_paths_and_regexes_are_checked_once() {
    let mut s = spec("$", AssertionSpec::Forbid);
    s.id = "PC501".into();
    assert!(UserRule::compile(s, "p", "f")
        .unwrap_err()
        .message
        .contains("built-in rule PC501"));
    let mut s = spec("$", AssertionSpec::Forbid);
    s.id = "PC999".into();
    assert!(UserRule::compile(s, "p", "f")
        .unwrap_err()
        .message
        .contains("`PC` namespace"));
    let mut s = spec("$", AssertionSpec::Forbid);
    s.id = "acme1".into();
    assert_eq!(UserRule::compile(s, "p", "f").unwrap_err().field, "id");
    let mut s = spec("$", AssertionSpec::Forbid);
    s.name = "public-key-access".into();
    assert_eq!(UserRule::compile(s, "p", "f").unwrap_err().field, "name");
    let e = UserRule::compile(
        spec("$.Statement[?@.Sid = 'A']", AssertionSpec::Forbid),
        "p",
        "f",
    )
    .unwrap_err();
    assert_eq!(e.field, "select");
    assert_eq!(e.offset, Some(18), "the space before `=`");
    let e = UserRule::compile(spec("$", AssertionSpec::Matches("(".into())), "p", "f").unwrap_err();
    assert_eq!(e.field, "matches");
    let e = UserRule::compile(
        spec(
            "$",
            AssertionSpec::Count {
                min: Some(2),
                max: Some(1),
            },
        ),
        "p",
        "f",
    )
    .unwrap_err();
    assert_eq!(e.field, "count");
}

#[test]
fn interned_ids_are_shared() {
    let a = intern("ZZ123");
    let b = intern(&String::from("ZZ123"));
    assert!(std::ptr::eq(a, b));
}

#[test]
fn disabled_user_rules_do_not_run_and_severities_apply() {
    let rule = UserRule::compile(spec("$.Version", AssertionSpec::Forbid), "p", "f").unwrap();
    let id = rule.id;
    let mut options = AnalyzeOptions {
        user_rules: Some(Arc::new(UserRules::new(vec![Arc::new(rule)]))),
        ..AnalyzeOptions::default()
    };
    options.rules.severity.insert(id, Severity::Hint);
    let found = analyze(POLICY, &options).diagnostics;
    let d = found.iter().find(|d| d.code == id).unwrap();
    assert_eq!(d.severity, Severity::Hint);
    assert_eq!(d.pointer.as_deref(), Some("/Version"));
    options.rules.disabled.push(id);
    assert!(!analyze(POLICY, &options)
        .diagnostics
        .iter()
        .any(|d| d.code == id));
}
