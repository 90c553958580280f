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
    test_rule_findings(analyze(text, &options).diagnostics)
        .into_iter()
        .map(|d| (text[d.range.as_usize()].to_string(), d.message))
        .collect()
}

/// Those of `diagnostics` that the rule [`spec`] makes (`TEST001`).
fn test_rule_findings(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter(|d| d.code == "TEST001")
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

fn options_with(specs: Vec<RuleSpec>) -> AnalyzeOptions {
    let rules = specs
        .into_iter()
        .map(|s| Arc::new(UserRule::compile(s, "pack", "pack/test.toml").unwrap()))
        .collect();
    AnalyzeOptions {
        user_rules: Some(Arc::new(UserRules::new(rules))),
        ..AnalyzeOptions::default()
    }
}

/// A policy with `n` extra values beside its statement.
fn policy_with_values(n: usize) -> String {
    let values = vec!["\"x\""; n].join(",");
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Action": "kms:*", "Resource": "*"}}], "Extra": [{values}]}}"#
    )
}

#[test]
fn a_user_rule_keeps_as_many_findings_as_a_built_in_rule_and_counts_the_rest() {
    let text = policy_with_values(100_000);
    let options = options_with(vec![spec("$.Extra[*]", AssertionSpec::Forbid)]);
    let found = test_rule_findings(analyze(&text, &options).diagnostics);
    assert_eq!(found.len(), crate::rules::MAX_FINDINGS_PER_RULE + 1);
    let summary = found.last().unwrap();
    assert_eq!(
        summary.message,
        "and 99,800 more `test-rule` findings, not shown: at most 200 findings of one rule in one file are reported"
    );
    assert_eq!(summary.severity, Severity::Warning);
    // At the first finding left out.
    assert_eq!(&text[summary.range.as_usize()], "\"x\"");
    assert!(summary.range.start > found[199].range.start);
}

#[test]
fn user_rules_share_the_room_of_a_file() {
    let text = policy_with_values(300);
    let specs = (1..=6)
        .map(|i| {
            let mut s = spec("$.Extra[*]", AssertionSpec::Forbid);
            s.id = format!("TEST00{i}");
            s.name = format!("test-rule-{i}");
            s
        })
        .collect();
    let found = analyze(&text, &options_with(specs)).diagnostics;
    let user: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.code.starts_with("TEST"))
        .collect();
    let built_in = found.len() - user.len();
    let kept = user
        .iter()
        .filter(|d| !d.message.starts_with("and "))
        .count();
    assert_eq!(built_in + kept, crate::rules::MAX_FINDINGS_PER_FILE);
    let last: Vec<&&Diagnostic> = user.iter().filter(|d| d.code == "TEST006").collect();
    assert_eq!(last.len(), 1, "{last:?}");
    assert!(
        last[0]
            .message
            .ends_with("at most 1,000 findings of all rules in one file are reported"),
        "{}",
        last[0].message
    );
}

#[test]
fn a_template_bounds_the_findings_of_its_policies_together() {
    // Two keys whose policies have 150 findings each: 300 in one file.
    let policy = |i: usize| {
        let values = vec!["\"x\""; 150].join(",");
        format!(
            r#""Key{i}": {{"Type": "AWS::KMS::Key", "Properties": {{"KeyPolicy": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"AWS": {{"Fn::Sub": "arn:aws:iam::${{AWS::AccountId}}:root"}}}}, "Action": "kms:*", "Resource": "*", "Condition": {{"StringEquals": {{"kms:ViaService": [{values}]}}}}}}]}}}}}}"#
        )
    };
    let text = format!(r#"{{"Resources": {{{}, {}}}}}"#, policy(1), policy(2));
    let options = options_with(vec![spec(
        "$.Statement[*].Condition.StringEquals['kms:ViaService'][*]",
        AssertionSpec::Forbid,
    )]);
    let analysis = crate::host::analyze_file(
        crate::host::HostKind::CloudFormation,
        crate::host::HostFile {
            path: "template.json",
            text: &text,
        },
        &crate::host::NoFiles,
        &options,
    );
    assert_eq!(analysis.policies, 2);
    let found = test_rule_findings(analysis.diagnostics);
    assert_eq!(found.len(), crate::rules::MAX_FINDINGS_PER_RULE + 1);
    let summary = found.last().unwrap();
    assert!(
        summary
            .message
            .starts_with("and 100 more `test-rule` findings, not shown"),
        "{}",
        summary.message
    );
    assert_eq!(summary.name, "test-rule");
    assert_eq!(summary.severity, Severity::Warning);
}

#[test]
fn a_deep_policy_is_queried_without_recursion() {
    let depth = 100_000;
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [], "Deep": {}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    for select in ["$..[0]", "$..*", "$.Deep[0][0]"] {
        let options = options_with(vec![spec(select, AssertionSpec::Forbid)]);
        let found = test_rule_findings(analyze(&text, &options).diagnostics);
        assert!(!found.is_empty(), "{select}");
    }
}

#[test]
fn a_descendant_segment_walks_as_deep_as_the_copy_holds() {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [], "Deep": {}{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    let options = options_with(vec![spec("$.Deep..[0]", AssertionSpec::Forbid)]);
    let found = test_rule_findings(analyze(&text, &options).diagnostics);
    // Item 0 of `Deep` and of each array below it, down to 128 levels.
    assert_eq!(found.len(), crate::user_rules::document::MAX_VALUE_DEPTH);
}

#[test]
fn selectors_with_functions_or_slices_run_on_a_copy_and_land_alike() {
    for select in [
        "$.Statement[?length(@.Action) == 1]",
        "$.Statement[1:2]",
        "$.Statement[?match(@.Principal, '[*]')]",
    ] {
        let rule = spec(select, AssertionSpec::Forbid);
        assert!(!UserRule::compile(rule.clone(), "p", "f")
            .unwrap()
            .select
            .is_native());
        assert_eq!(
            findings(rule, POLICY),
            [(
                r#"{"Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt"], "Resource": "*"}"#
                    .to_string(),
                r#"statement #2: {"Action":["kms:Decrypt"],"Effect":"Allow","Principal":"*","Resource":"*"}"#
                    .to_string()
            )],
            "{select}"
        );
    }
}
