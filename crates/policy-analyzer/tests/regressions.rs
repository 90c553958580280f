//! Inputs that once crashed the analyzer or made it misreport, from issue 14
//! and from the fuzz targets in `fuzz/`: each runs clean now and reports what
//! a user should see.

use policy_analyzer::{analyze, analyze_bytes, Analysis, AnalyzeOptions};

fn run(text: &str) -> Analysis {
    analyze(text, &AnalyzeOptions::default())
}

fn codes(analysis: &Analysis) -> Vec<&'static str> {
    analysis.diagnostics.iter().map(|d| d.code).collect()
}

/// Issue 14: an operator name whose last 8 bytes start inside a multi-byte
/// character panicked in `Operator::parse` ("byte index 1 is not a char
/// boundary").
#[test]
fn an_operator_name_of_multibyte_characters_is_an_unknown_operator() {
    let text = r#"{"Statement":[{"Condition":{"中中中":{}}}]}"#;
    let analysis = run(text);
    let unknown = analysis
        .diagnostics
        .iter()
        .find(|d| d.code == "PC301")
        .expect("unknown-operator is reported");
    assert_eq!(&text[unknown.range.as_usize()], "\"中中中\"");
    assert!(unknown.message.contains("中中中"), "{}", unknown.message);
}

/// Issue 14: the same slice was reached through `unknown_element::report`,
/// which asks whether an unknown statement key is a misplaced operator.
#[test]
fn a_statement_key_of_multibyte_characters_is_an_unknown_element() {
    for key in [
        "中中中",
        "ForAnyValue:中中中",
        "é".repeat(9).as_str(),
        "x中IfExists",
    ] {
        let text = format!(r#"{{"Statement":[{{"{key}":1,"Effect":"Allow"}}]}}"#);
        let analysis = run(&text);
        let d = analysis
            .diagnostics
            .iter()
            .find(|d| d.code == "PC102")
            .unwrap_or_else(|| panic!("{key}: {:?}", codes(&analysis)));
        assert_eq!(&text[d.range.as_usize()], format!("\"{key}\""));
    }
}

/// Bytes that are not UTF-8 get one invalid-encoding finding, whatever
/// surrounds them.
#[test]
fn invalid_utf8_is_one_finding() {
    let mut bytes = br#"{"Statement": [{"Sid": ""#.to_vec();
    bytes.extend_from_slice(&[0xe4, 0xb8]);
    bytes.extend_from_slice(br#""}]}"#);
    let analysis = analyze_bytes(&bytes, &AnalyzeOptions::default());
    assert_eq!(codes(&analysis), ["PC005"]);
}

/// Issue 14: the parser's limit of 50 errors was checked only between
/// tokens, so one string of 1,000 lone surrogates (`\ud800`) gave 1,001
/// findings. The lexer's errors now count towards the same limit.
#[test]
fn lone_surrogates_in_one_string_stop_at_the_error_limit() {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "{}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Action": "kms:*", "Resource": "*"}}]}}"#,
        r"\ud800".repeat(1000)
    );
    let analysis = run(&text);
    let invalid: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "PC001")
        .collect();
    assert_eq!(
        invalid.len(),
        51,
        "50 errors and the note that reading stopped"
    );
    assert!(invalid[0].message.contains("unpaired UTF-16 surrogate"));
    assert!(
        invalid[50].message.starts_with("too many syntax errors"),
        "{}",
        invalid[50].message
    );
}

fn statement(body: &str) -> String {
    format!(
        r#"{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Resource": "*", {body}}}"#
    )
}

fn policy(statements: &[String]) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",\n")
    )
}

/// Issue 14: findings are bounded per rule, and one closing finding says how
/// many more there were.
#[test]
fn findings_of_one_rule_stop_at_200_with_a_count_of_the_rest() {
    let actions: Vec<String> = (0..19_200).map(|i| format!("\"kms:Nope{i}\"")).collect();
    let text = policy(&[statement(&format!(r#""Action": [{}]"#, actions.join(", ")))]);
    let analysis = run(&text);
    let unknown: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "PC201")
        .collect();
    assert_eq!(unknown.len(), 201);
    let summary = unknown.last().unwrap();
    assert_eq!(
        summary.message,
        "and 19,000 more `unknown-action` findings, not shown: at most 200 findings of one rule in one file are reported"
    );
    // Placed at the first finding left out, with its pointer.
    assert_eq!(&text[summary.range.as_usize()], "\"kms:Nope200\"");
    assert_eq!(summary.pointer.as_deref(), Some("/Statement/0/Action/200"));
}

/// Issue 14: all rules together keep at most 1,000 findings per file; the
/// rules past that report only how many they found.
#[test]
fn findings_of_a_file_stop_at_1000() {
    // Each statement: an unknown element (PC102), a bad Effect (PC104), an
    // unknown action (PC201), an unknown operator (PC301) and a condition
    // key of no service (PC302): far more than 1,000 findings in all.
    let statements: Vec<String> = (0..400)
        .map(|i| {
            format!(
                r#"{{"Sid": "S{i}", "Effect": "Allw", "Principal": {{"AWS": "arn:aws:iam::111122223333:root"}}, "Actions": "x", "Action": "kms:Nope{i}", "Resource": "*", "Condition": {{"StringEqual": {{"kms:ViaServce": "x"}}}}}}"#
            )
        })
        .collect();
    let analysis = run(&policy(&statements));
    let summaries: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.message.starts_with("and ") && d.message.contains("more `"))
        .collect();
    assert_eq!(analysis.diagnostics.len() - summaries.len(), 1_000);
    assert!(
        summaries.iter().any(|d| d
            .message
            .ends_with("at most 1,000 findings of all rules in one file are reported")),
        "{:#?}",
        summaries.iter().map(|d| &d.message).collect::<Vec<_>>()
    );
}

/// Issue 14: statements that a service's checks read (here one linked cache
/// and bucket per statement) made requests for every pair of them, each
/// evaluated against every statement. The checks now take the first 16 of
/// each and say so.
#[test]
fn the_service_checks_take_the_first_16_caches_and_say_so() {
    let statements: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"Sid": "Cache{i}", "Effect": "Allow",
                "Principal": {{"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-{i:017x}"}},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {{"StringEquals": {{"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-west-2.amazonaws.com"}},
                               "StringLike": {{"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::bucket-{i}/*"}}}}}}"#
            )
        })
        .collect();
    let analysis = run(&policy(&statements));
    let inferred = analysis
        .diagnostics
        .iter()
        .find(|d| d.code == "PC401" && d.message.starts_with("checked the key for"))
        .expect("the inference is reported");
    let help = inferred.help.as_deref().unwrap();
    assert!(
        help.contains(
            "the policy names more: only the first 16 regions, buckets, file systems and callers"
        ),
        "{help}"
    );
    assert!(
        help.contains("bucket-15") && !help.contains("bucket-16"),
        "{help}"
    );
}

/// Fuzz (analyze): a diagnostic under a member that a later duplicate key
/// shadows carried a JSON pointer naming the duplicate's value instead,
/// here nothing at all (`/Statement/0/Principal/AWS` with the last
/// `Principal` a number). Such a diagnostic now has no pointer; every
/// pointer given names a node.
#[test]
fn no_pointer_names_a_value_shadowed_by_a_duplicate_key() {
    let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
      "Principal": {"AWS": tru}, "Principal": 1,
      "Action": "kms:*", "Resource": "*"}]}"#;
    let analysis = run(text);
    let tree = policy_analyzer::syntax::parse(text).tree;
    for d in &analysis.diagnostics {
        if let Some(pointer) = &d.pointer {
            assert!(tree.lookup(pointer).is_some(), "{}: {pointer}", d.code);
        }
    }
    let shadowed = analysis
        .diagnostics
        .iter()
        .find(|d| d.code == "PC001" && &text[d.range.as_usize()] == "tru")
        .expect("the bare word is reported");
    assert_eq!(shadowed.pointer, None, "{shadowed:?}");
    let duplicate = analysis
        .diagnostics
        .iter()
        .find(|d| d.code == "PC002")
        .unwrap();
    assert_eq!(duplicate.pointer.as_deref(), Some("/Statement/0/Principal"));
}

/// Fuzz (lsp_document): a condition key of a statement for service
/// principals whose 17th byte lies inside a character panicked in
/// key-absent-for-service-principal, which compared its first 17 bytes with
/// `aws:PrincipalTag/` by slicing.
#[test]
fn a_condition_key_cut_inside_a_character_is_no_principal_tag() {
    let text = r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTa�x": "a", "aws:PrincipalTag/team": "b"}}}]}"#;
    let analysis = run(text);
    let found: Vec<&str> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == "PC318")
        .map(|d| &text[d.range.as_usize()])
        .collect();
    assert_eq!(
        found,
        ["\"aws:PrincipalTag/team\""],
        "{:?}",
        codes(&analysis)
    );
}

/// A CloudFormation template of `keys` keys, each allowing the root the
/// actions `actions` (YAML flow list items).
fn template_of_keys(keys: usize, actions: impl Fn(usize) -> String) -> String {
    let mut text = String::from("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n");
    for k in 0..keys {
        text.push_str(&format!(
            "  Key{k}:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {{AWS: !Sub 'arn:aws:iam::${{AWS::AccountId}}:root'}}\n            Action: [{}]\n            Resource: '*'\n",
            actions(k)
        ));
    }
    text
}

fn host_codes(analysis: &policy_analyzer::host::HostAnalysis, code: &str) -> Vec<String> {
    analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| d.message.clone())
        .collect()
}

/// Issue 14, for templates: each policy of a template was bounded on its
/// own, so a template of many keys gave any number of findings. The
/// template's findings are bounded as one file's, and the summaries of
/// each policy add up.
#[test]
fn the_findings_of_a_template_are_bounded_as_one_files() {
    use policy_analyzer::host::{cloudformation, HostFile};
    let options = AnalyzeOptions::default();
    let many_keys = template_of_keys(300, |k| format!("'kms:Decrypt{k}x'"));
    let file = HostFile {
        path: "stack.yaml",
        text: &many_keys,
    };
    let analysis = cloudformation::analyze(file, &options);
    assert_eq!(analysis.policies, 300);
    let unknown = host_codes(&analysis, "PC201");
    assert_eq!(unknown.len(), 201, "200 findings and a summary");
    assert!(
        unknown[200].starts_with("and 100 more `unknown-action` findings, not shown"),
        "{}",
        unknown[200]
    );

    // One key with 250 unknown actions (200 and a summary of 50 from its
    // own analysis) and one with 10: 200 shown, 60 counted.
    let two_keys = template_of_keys(2, |k| {
        let n = if k == 0 { 250 } else { 10 };
        (0..n)
            .map(|i| format!("'kms:Decrypt{k}y{i}'"))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let file = HostFile {
        path: "stack.yaml",
        text: &two_keys,
    };
    let unknown = host_codes(&cloudformation::analyze(file, &options), "PC201");
    assert_eq!(unknown.len(), 201);
    assert!(
        unknown[200].starts_with("and 60 more `unknown-action` findings, not shown"),
        "{}",
        unknown[200]
    );
}

/// Fuzz (terraform): hcl-edit's error offset can fall inside a character
/// (`a Ҟ`: at its second byte), and the reader sliced the text there to
/// find the character after it, for the finding's range. The finding now
/// covers the character the offset is in, in a module file, a template
/// file on its own, and a template that `templatefile()` renders.
#[test]
fn an_hcl_error_inside_a_character_covers_that_character() {
    use policy_analyzer::host::{terraform, HostFile, Loader, NoFiles};
    let options = AnalyzeOptions::default();
    let check = |text: &str, analysis: &policy_analyzer::host::HostAnalysis| {
        let invalid: Vec<_> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == "PC007")
            .collect();
        assert!(!invalid.is_empty(), "{:?}", analysis.diagnostics);
        for d in invalid {
            let range = d.range.as_usize();
            assert!(text.get(range.clone()).is_some(), "{range:?} in {text:?}");
        }
    };
    let text = "a \u{49e}";
    let file = HostFile {
        path: "main.tf",
        text,
    };
    check(
        text,
        &terraform::analyze_module(&[file], &NoFiles, &options),
    );

    let template = "{\"Statement\": [${a \u{49e}]}";
    let alone = HostFile {
        path: "p.json.tpl",
        text: template,
    };
    check(template, &terraform::analyze_template(alone, &options));

    struct Serve;
    impl Loader for Serve {
        fn load(&self, _: &str) -> Result<String, String> {
            Ok("{\"Statement\": [${a \u{49e}]}".to_string())
        }
    }
    let module =
        "resource \"aws_kms_key\" \"k\" {\n  policy = templatefile(\"p.json.tpl\", {})\n}\n";
    let file = HostFile {
        path: "main.tf",
        text: module,
    };
    let analysis = terraform::analyze_module(&[file], &Serve, &options);
    check(template, &analysis);
}

/// Scaling (tf-locals): locals that each repeat the one before nine times
/// (`l1 = [local.l0, local.l0, ...]`) are a billion laughs: each named value
/// was copied whole into every use, so 10 levels took over 60 s and 24 GB.
/// Copies are counted now, and a value past the budget is unknown.
#[test]
fn locals_that_repeat_each_other_are_not_expanded_without_end() {
    use policy_analyzer::host::{terraform, HostFile, NoFiles};
    let mut text = String::from("locals {\n  l0 = [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for i in 1..=40 {
        let uses = vec![format!("local.l{}", i - 1); 9].join(", ");
        text.push_str(&format!("  l{i} = [{uses}]\n"));
    }
    text.push_str("}\nresource \"aws_kms_key\" \"k\" {\n  policy = jsonencode({Statement = [{Effect = \"Allow\", Principal = {AWS = \"*\"}, Action = \"kms:Decrypt\", Resource = \"*\", Condition = {StringEquals = {\"kms:ViaService\" = local.l40}}}]})\n}\n");
    let file = HostFile {
        path: "main.tf",
        text: &text,
    };
    let started = std::time::Instant::now();
    let analysis = terraform::analyze_module(&[file], &NoFiles, &AnalyzeOptions::default());
    assert_eq!(analysis.policies, 1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

/// Fuzz (terraform): a policy in a heredoc ending in an unterminated `/*`
/// comment got PC003's fix "Delete the comment", whose edit took the
/// heredoc's last line break with it and joined `EOT` to the line before:
/// the module no longer read. A fix that leaves a module file unreadable
/// is not offered.
#[test]
fn a_fix_never_breaks_the_heredoc_it_edits() {
    use policy_analyzer::host::{terraform, HostFile, NoFiles};
    let text = "resource \"aws_kms_key\" \"k\" {\n  policy = <<EOT\n{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]} /* open\nEOT\n}\n";
    assert!(hcl_edit::parser::parse_body(text).is_ok());
    let file = HostFile {
        path: "main.tf",
        text,
    };
    let analysis = terraform::analyze_module(&[file], &NoFiles, &AnalyzeOptions::default());
    assert!(
        analysis.diagnostics.iter().any(|d| d.code == "PC003"),
        "{:?}",
        analysis.diagnostics
    );
    for d in &analysis.diagnostics {
        if let Some(fix) = &d.fix {
            let fixed = fix.apply(text);
            assert!(
                hcl_edit::parser::parse_body(&fixed).is_ok(),
                "{}: {}\n{fixed}",
                d.code,
                fix.title
            );
        }
    }
}

/// fuzz/user_rules: a selector that ends inside a string literal's `\u`
/// escape made serde_json_path panic ("we do not use streaming parsers"), and
/// with it the CLI loading the rule pack (exit 101). It is a rule error now,
/// at the string's opening quote; quotes that close still compile.
#[test]
fn a_selector_that_leaves_a_string_open_is_a_rule_error() {
    use policy_analyzer::diagnostic::Severity;
    use policy_analyzer::user_rules::{AssertionSpec, RuleSpec, Target, UserRule};
    let compile = |select: &str| {
        let spec = RuleSpec {
            id: "FUZZ001".into(),
            name: "fuzz-rule".into(),
            severity: Severity::Warning,
            summary: "a rule".into(),
            message: "{value}".into(),
            help: None,
            docs: String::new(),
            document: Target::Policy,
            each: None,
            select: select.into(),
            assertion: AssertionSpec::Forbid,
        };
        UserRule::compile(spec, "pack", "pack/rule.toml")
    };
    for (select, quote) in [
        (r"$.Statement[?@.Sid == 'aEnbleIA\u", 22),
        (r"$.Statement[?@.Sid == 'a\u00", 22),
        (r#"$["Stat\u"#, 2),
        (r"$['a\'", 2),
    ] {
        let error = compile(select).expect_err(select);
        assert_eq!(error.field, "select");
        assert_eq!(error.offset, Some(quote), "{select}");
        assert_eq!(
            error.message,
            "not a valid JSONPath (RFC 9535): the string that starts here is not closed"
        );
    }
    for select in [
        r"$.Statement[?@.Sid == 'a\u0041']",
        r#"$['it\'s', 'say "x"']"#,
        r#"$["a'b"]"#,
    ] {
        assert!(compile(select).is_ok(), "{select}");
    }
}
