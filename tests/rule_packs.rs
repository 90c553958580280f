//! User rule packs end to end: the facts document against its documented
//! schema, each assertion over each document, a raw-JSON rule against a
//! facts rule on the same fixtures, the `test-rules` harness, errors, and
//! user rules in the config, the output formats, `--list-rules`,
//! `--explain`, suppressions and templates.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{json, run, Scratch, CLEAN};
use policy_analyzer::AnalyzeOptions;
use policy_check::test_rules;
use policy_workspace::packs::Packs;
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn root() -> &'static Path {
    Path::new(ROOT)
}

fn load(dir: &str) -> Packs {
    let packs = Packs::load(&[root().join(dir)], root());
    assert!(packs.errors.is_empty(), "{:?}", packs.errors);
    packs
}

/// The files of a directory with one of these extensions, in name order.
fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
        })
        .collect();
    out.sort();
    out
}

/// Every JSON policy under a directory, recursively.
fn policies_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            policies_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The documented schema: path -> its types.
fn documented_schema() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(root().join("docs/rule-packs.md")).unwrap();
    let start = doc
        .find("<!-- facts-schema:start -->")
        .expect("schema start");
    let end = doc.find("<!-- facts-schema:end -->").expect("schema end");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let path = cells[1].trim_matches('`').to_string();
            let types = cells[2].split(',').map(|t| t.trim().to_string()).collect();
            (path, types)
        })
        .collect()
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn observe(value: &Value, path: String, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
    out.entry(path.clone()).or_default().insert(type_of(value));
    match value {
        Value::Array(items) => {
            for item in items {
                observe(item, format!("{path}[*]"), out);
            }
        }
        Value::Object(map) => {
            for (key, member) in map {
                observe(member, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// docs/rule-packs.md documents every path of the facts document with its
/// types, and nothing the analyzer does not build: checked over every
/// policy of the fixtures, the examples and these tests.
#[test]
fn the_facts_schema_is_the_documented_one() {
    let mut policies = Vec::new();
    for dir in ["fixtures", "examples", "tests/rule-packs"] {
        policies_under(&root().join(dir), &mut policies);
    }
    let mut observed = BTreeMap::new();
    for path in &policies {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !text.trim_start().starts_with('{') || !text.contains("\"Statement\"") {
            continue;
        }
        let facts = policy_analyzer::facts::facts_of(&text, &AnalyzeOptions::default());
        observe(&facts, "$".to_string(), &mut observed);
    }
    let documented = documented_schema();
    for (path, types) in &observed {
        let Some(allowed) = documented.get(path) else {
            panic!(
                "the facts have `{path}` ({types:?}), which docs/rule-packs.md does not document"
            );
        };
        for t in types {
            assert!(
                allowed.contains(*t),
                "`{path}` is {t} in the facts, documented as {allowed:?}"
            );
        }
    }
    for path in documented.keys() {
        assert!(
            observed.contains_key(path),
            "docs/rule-packs.md documents `{path}`, which no policy's facts have"
        );
    }
}

/// Each assertion kind over each document, on the same policies: the
/// findings as the harness writes them (range, severity, code, message).
#[test]
fn each_assertion_over_each_document() {
    let packs = load("tests/rule-packs/assertions");
    let policies = files(&root().join("tests/rule-packs/policies"), &["json"]);
    assert_eq!(packs.rules.len(), 12, "six assertions, two documents");
    for rule in packs.rules.iter() {
        let mut out = format!(
            "{} {} ({}, {}): {}\n",
            rule.id,
            rule.name,
            rule.document.as_str(),
            rule.assertion.kind(),
            rule.select_text
        );
        let mut fired = false;
        for path in &policies {
            let text = std::fs::read_to_string(path).unwrap();
            let shown = path.file_name().unwrap().to_string_lossy();
            let found = test_rules::findings(rule, &shown, &text);
            fired |= !found.is_empty();
            out.push_str(&format!("\n{shown}:\n"));
            for line in found.lines() {
                // The flagged text, to see that the range is the node's own.
                let range = line.split(' ').next().unwrap();
                out.push_str(&format!(
                    "  {line}\n    at `{}`\n",
                    text_at(&text, range).replace('\n', " ")
                ));
            }
        }
        assert!(fired, "{} finds nothing on any policy", rule.id);
        insta::assert_snapshot!(rule.name, out);
    }
}

/// The text of `L:C-L:C` (1-based, columns in characters).
fn text_at(text: &str, range: &str) -> String {
    let offset = |lc: &str| {
        let (l, c) = lc.split_once(':').unwrap();
        let (l, c): (usize, usize) = (l.parse().unwrap(), c.parse().unwrap());
        let line_start: usize = text.split_inclusive('\n').take(l - 1).map(str::len).sum();
        line_start
            + text[line_start..]
                .chars()
                .take(c - 1)
                .map(char::len_utf8)
                .sum::<usize>()
    };
    let (start, end) = range.split_once('-').unwrap();
    let s: String = text[offset(start)..offset(end)].chars().take(120).collect();
    s
}

/// A rule over the raw `"Principal": "*"` and a rule over the facts'
/// exposure, on the same fixtures: the first flags every statement that
/// writes `*`, the second only those the exposure search opens to another
/// account or to anyone. Each of the second's findings is one of the
/// first's; the pinned fixtures are the first's false positives.
#[test]
fn a_raw_principal_rule_against_an_exposure_rule() {
    let packs = load("tests/rule-packs/raw-vs-facts");
    let raw = packs.rules.find("RAW001").unwrap();
    let facts = packs.rules.find("RAW002").unwrap();
    let mut out = String::new();
    for path in files(
        &root().join("tests/rule-packs/raw-vs-facts/policies"),
        &["json"],
    ) {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let by_raw = test_rules::findings(raw, &name, &text);
        let by_facts = test_rules::findings(facts, &name, &text);
        assert!(
            !by_raw.is_empty(),
            "{name}: every fixture writes Principal *"
        );
        let ranges = |found: &str| -> BTreeSet<String> {
            found
                .lines()
                .map(|l| l.split(' ').next().unwrap().to_string())
                .collect()
        };
        assert!(
            ranges(&by_facts).is_subset(&ranges(&by_raw)),
            "{name}: the exposure rule flags what the raw rule does not"
        );
        if name.starts_with("pinned-") || name.starts_with("denied-") {
            assert!(
                by_facts.is_empty(),
                "{name}: the exposure rule must not fire: {by_facts}"
            );
        } else {
            assert!(!by_facts.is_empty(), "{name}: the statement is open");
        }
        let or_none = |found: &str| {
            if found.is_empty() {
                "(none)\n".to_string()
            } else {
                found.to_string()
            }
        };
        out.push_str(&format!(
            "{name}\n  raw:   {}  facts: {}",
            or_none(&by_raw),
            or_none(&by_facts)
        ));
    }
    insta::assert_snapshot!(out);
}

/// The sample pack in examples/ passes its own tests (CI runs this).
#[test]
fn the_sample_pack_passes_its_tests() {
    let r = run(Command::cargo_bin("policy-check")
        .unwrap()
        .current_dir(root().join("examples/rule-pack"))
        .args(["test-rules", "--color", "never"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.ends_with("\n13 passed, 0 failed\n"), "{r:?}");
    assert!(r
        .stdout
        .contains("PASS ACME002 rules/no-outside-use/valid-star-pinned-to-our-account.json"));
    // From elsewhere, naming the project's directory.
    let r = run(Command::cargo_bin("policy-check")
        .unwrap()
        .current_dir(root())
        .args(["test-rules", "examples/rule-pack", "--color", "never"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(
        "PASS ACME003 examples/rule-pack/rules/via-service-regions/invalid-other-region.json"
    ));
    assert!(r.stdout.ends_with("\n13 passed, 0 failed\n"), "{r:?}");
}

use assert_cmd::Command;

const RULE: &str = r#"id = "ACME001"
name = "no-decrypt-for-everyone"
severity = "error"
summary = "Nobody outside may decrypt"
message = "{statement} lets anyone decrypt"
document = "facts"
select = "$.statements[?@.exposure.anyone == true].exposure"
forbid = true
"#;

const OPEN: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
]}
"#;

/// `test-rules`: a fixture whose findings changed fails with a diff, an
/// invalid fixture on which the rule does not fire fails even with
/// `--update`, `--update` writes the expected files, and the exit codes say so.
#[test]
fn the_harness_reports_each_fixture() {
    let s = Scratch::new();
    s.write("rules/open.toml", RULE);
    s.write("rules/open/invalid-open.json", OPEN);
    s.write("rules/open/valid-clean.json", CLEAN);
    s.write("rules/open/invalid-not-really.json", CLEAN);

    let first = run(s.cmd().args(["test-rules", "rules", "--color", "never"]));
    assert_eq!(first.code, 1, "{first:?}");
    assert!(first.stdout.contains(
        "FAIL ACME001 rules/open/invalid-open.json\n    rules/open/invalid-open.json.expected is missing: run `policy-check test-rules --update` to write it"
    ), "{first:?}");

    let update = run(s
        .cmd()
        .args(["test-rules", "rules", "--update", "--color", "never"]));
    assert_eq!(
        update.code, 1,
        "the invalid fixture still does not fire: {update:?}"
    );
    assert!(update.stdout.contains(
        "FAIL ACME001 rules/open/invalid-not-really.json\n    the rule does not fire on this invalid fixture"
    ), "{update:?}");
    assert!(
        update.stdout.ends_with("\n2 passed, 1 failed\n"),
        "{update:?}"
    );
    let expected =
        std::fs::read_to_string(s.path().join("rules/open/invalid-open.json.expected")).unwrap();
    assert_eq!(
        expected,
        "3:51-3:54 error ACME001 statement \"Open\" lets anyone decrypt\n"
    );

    std::fs::remove_file(s.path().join("rules/open/invalid-not-really.json")).unwrap();
    std::fs::remove_file(s.path().join("rules/open/invalid-not-really.json.expected")).unwrap();
    let pass = run(s.cmd().args(["test-rules", "rules", "--color", "never"]));
    assert_eq!(pass.code, 0, "{pass:?}");
    assert!(pass.stdout.ends_with("\n2 passed, 0 failed\n"), "{pass:?}");

    // The rule's message changed: the fixture fails with a diff.
    s.write(
        "rules/open.toml",
        RULE.replace("lets anyone decrypt", "is open to all"),
    );
    let changed = run(s.cmd().args(["test-rules", "rules", "--color", "never"]));
    assert_eq!(changed.code, 1);
    assert!(changed.stdout.contains(
        "    the findings differ from rules/open/invalid-open.json.expected (- expected, + found):\n    - 3:51-3:54 error ACME001 statement \"Open\" lets anyone decrypt\n    + 3:51-3:54 error ACME001 statement \"Open\" is open to all"
    ), "{changed:?}");

    // A rule without fixtures fails; a rule file with an error is exit 2.
    s.write(
        "rules/lonely.toml",
        RULE.replace("ACME001", "ACME002")
            .replace("no-decrypt-for-everyone", "lonely"),
    );
    s.write("rules/broken.toml", "id = \"ACME003\"\nname = [\n");
    let r = run(s.cmd().args(["test-rules", "rules", "--color", "never"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stdout
            .contains("ERROR rules/broken.toml:3:1: unclosed array"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("FAIL ACME002 rules/lonely\n    a rule needs fixtures in rules/lonely/"),
        "{r:?}"
    );
}

/// A pack file with a syntax error, an unknown field, an invalid JSONPath,
/// an invalid regex, or a built-in rule's code is reported with its file,
/// line and column; the other rules and the built-in rules still run, and
/// the exit code is 2.
#[test]
fn pack_errors_name_the_place_and_the_rest_still_runs() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "rule-packs = [\"rules\", \"more\", \"missing\"]\n",
    );
    s.write("rules/good.toml", RULE);
    s.write("rules/syntax.toml", "id = \"ACME010\"\nname = \"x\n");
    s.write(
        "rules/unknown-field.toml",
        format!(
            "{}selector = \"$\"\n",
            RULE.replace("ACME001", "ACME011")
                .replace("no-decrypt-for-everyone", "unknown-field")
        ),
    );
    s.write(
        "rules/bad-path.toml",
        RULE.replace("ACME001", "ACME012")
            .replace("no-decrypt-for-everyone", "bad-path")
            .replace(
                "select = \"$.statements[?@.exposure.anyone == true].exposure\"",
                "select = \"$.statements[?@.exposure.anyone = true]\"",
            ),
    );
    s.write("more/bad-regex.toml", "id = \"ACME013\"\nname = \"bad-regex\"\nseverity = \"warning\"\nsummary = \"s\"\nmessage = \"m\"\nselect = \"$.Statement[*].Sid\"\nmatches = '^(unclosed'\n");
    s.write(
        "more/builtin-code.toml",
        RULE.replace("ACME001", "PC501")
            .replace("no-decrypt-for-everyone", "builtin-code"),
    );
    s.write("keys/open.json", OPEN);
    let r = run(s
        .cmd()
        .args(["--format", "concise", "--color", "never", "keys"]));
    assert_eq!(r.code, 2, "{r:?}");
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(
        errors,
        [
            "error: policy-check.toml:1:32: invalid rule: the rule pack `missing` is not a directory (rule-packs are relative to the config)",
            "error: rules/bad-path.toml:7:42: invalid rule: not a valid JSONPath (RFC 9535): in long-hand segment, expected closing ']'",
            "error: rules/syntax.toml:2:10: invalid rule: invalid basic string, expected `\"`",
            "error: rules/unknown-field.toml:9:1: invalid rule: unknown field `selector`, expected one of `id`, `name`, `severity`, `summary`, `message`, `help`, `docs`, `document`, `each`, `select`, `forbid`, `require`, `equals`, `in`, `matches`, `count`",
            "error: more/bad-regex.toml:7:11: invalid rule: not a valid regular expression: unclosed group",
            "error: more/builtin-code.toml:1:6: invalid rule: `PC501` is the code of the built-in rule PC501 (public-key-access): choose an id in your own namespace, such as `ACME001`",
        ],
        "{r:?}"
    );
    assert!(
        r.stdout.contains(
            "keys/open.json:3:51: ACME001 [error] statement \"Open\" lets anyone decrypt"
        ),
        "{r:?}"
    );
    assert!(r.stdout.contains("PC501"), "the built-in rules run: {r:?}");
}

/// The config selects user rules and sets their severity by id, name,
/// namespace or pack; `--select` and `--ignore` name them; suppressions in
/// the config and in comments accept their findings.
#[test]
fn user_rules_under_selection_severity_and_suppressions() {
    let s = Scratch::new();
    s.write("rules/open.toml", RULE);
    s.write("keys/open.json", OPEN);
    s.write("keys/other.json", OPEN);
    s.write(
        "keys/template.yaml",
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Sid: Root\n            Effect: Allow\n            Principal: {AWS: 'arn:aws:iam::111122223333:root'}\n            Action: 'kms:*'\n            Resource: '*'\n          # policy-check-ignore: ACME001 # the key of the public bucket\n          - Sid: Open\n            Effect: Allow\n            Principal: '*'\n            Action: kms:Decrypt\n            Resource: '*'\n",
    );
    let codes_in = |config: &str, args: &[&str]| -> Vec<(String, String, String)> {
        s.write("policy-check.toml", config);
        let r = run(s.cmd().args(["--format", "json"]).args(args).arg("keys"));
        assert!(r.code < 2, "{r:?}");
        json(&r)["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                let path = f["path"].as_str().unwrap().to_string();
                f["diagnostics"].as_array().unwrap().iter().map(move |d| {
                    (
                        path.clone(),
                        d["code"].as_str().unwrap().to_string(),
                        d["severity"].as_str().unwrap().to_string(),
                    )
                })
            })
            .filter(|(_, code, _)| code.starts_with("ACME"))
            .collect()
    };
    let base = "rule-packs = [\"rules\"]\n";
    assert_eq!(
        codes_in(base, &[]),
        [
            ("keys/open.json".into(), "ACME001".into(), "error".into()),
            ("keys/other.json".into(), "ACME001".into(), "error".into()),
        ],
        "the comment in the template accepts its finding"
    );
    for selector in ["ACME001", "no-decrypt-for-everyone", "ACME", "rules"] {
        assert!(
            codes_in(&format!("{base}[rules]\nignore = [\"{selector}\"]\n"), &[]).is_empty(),
            "ignore = [{selector}]"
        );
        assert!(
            codes_in(
                &format!("{base}[rules.severity]\n{selector} = \"hint\"\n"),
                &[]
            )
            .iter()
            .all(|(_, _, severity)| severity == "hint"),
            "severity of {selector}"
        );
    }
    assert_eq!(
        codes_in(&format!("{base}[rules]\nselect = [\"PC5\"]\n"), &[]),
        []
    );
    assert_eq!(codes_in(base, &["--select", "ACME001"]).len(), 2);
    assert!(codes_in(base, &["--ignore", "ACME"]).is_empty());
    assert_eq!(
        codes_in(
            &format!("{base}[[suppressions]]\nrules = [\"ACME001\"]\nfiles = [\"keys/other.json\"]\nstatement = \"Open\"\nreason = \"reviewed\"\n"),
            &[]
        ),
        [("keys/open.json".into(), "ACME001".into(), "error".into())]
    );
    // A selector that names no rule here is a usage error.
    s.write("policy-check.toml", base);
    let r = run(s.cmd().args(["--select", "ACME9", "keys"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--select: unknown rule `ACME9`"), "{r:?}");
}

/// Findings of user rules in every output format, on the policy's text in
/// a JSON file and in a CloudFormation template.
#[test]
fn user_findings_in_every_format() {
    let s = Scratch::new();
    s.write("policy-check.toml", "rule-packs = [\"rules\"]\n");
    s.write("rules/open.toml", RULE);
    s.write("keys/open.json", OPEN);
    s.write(
        "keys/template.yaml",
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Sid: Open\n            Effect: Allow\n            Principal: '*'\n            Action: kms:Decrypt\n            Resource: '*'\n",
    );
    let out = |format: &str| {
        run(s.cmd().args([
            "--format", format, "--color", "never", "--select", "ACME001", "keys",
        ]))
    };

    let concise = out("concise");
    assert_eq!(concise.code, 1, "{concise:?}");
    assert!(
        concise.stdout.contains(
            "keys/open.json:3:51: ACME001 [error] statement \"Open\" lets anyone decrypt"
        ),
        "{concise:?}"
    );
    assert!(
        concise.stdout.contains(
            "keys/template.yaml:10:24: ACME001 [error] statement \"Open\" lets anyone decrypt"
        ),
        "{concise:?}"
    );

    let human = out("human");
    assert!(human.stdout.contains("ACME001"), "{human:?}");
    assert!(human.stdout.contains("lets anyone decrypt"), "{human:?}");

    let github = out("github");
    assert!(
        github.stdout.contains(
            "::error file=keys/open.json,line=3,col=51,endLine=3,endColumn=54,title=ACME001"
        ),
        "{github:?}"
    );

    let report = json(&out("json"));
    let d = &report["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "ACME001");
    assert_eq!(d["name"], "no-decrypt-for-everyone");
    assert_eq!(d["pointer"], "/Statement/1/Principal");
    assert_eq!(d["statement"]["sid"], "Open");

    let sarif: Value = serde_json::from_str(&out("sarif").stdout).unwrap();
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let user = rules
        .iter()
        .find(|r| r["id"] == "ACME001")
        .expect("the user rule is described");
    assert_eq!(
        user["shortDescription"]["text"],
        "Nobody outside may decrypt."
    );
    assert_eq!(user["properties"]["tags"][0], "rules");
    let result = &run0["results"][0];
    assert_eq!(result["ruleId"], "ACME001");
    assert!(result.get("ruleIndex").is_none());
}

/// `--list-rules` and `--explain` know the rules of the packs of the
/// config that governs the current directory.
#[test]
fn list_rules_and_explain_show_user_rules() {
    let s = Scratch::new();
    s.write("policy-check.toml", "rule-packs = [\"rules\"]\n");
    s.write("rules/open.toml", RULE);
    let list = run(s.cmd().arg("--list-rules"));
    assert_eq!(list.code, 0);
    let line = list.stdout.lines().last().unwrap();
    assert!(
        line.starts_with("ACME001  no-decrypt-for-everyone"),
        "{line}"
    );
    assert!(
        line.ends_with("Nobody outside may decrypt [rules]"),
        "{line}"
    );
    let listed: Value =
        serde_json::from_str(&run(s.cmd().args(["--list-rules", "--format", "json"])).stdout)
            .unwrap();
    let last = listed.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["code"], "ACME001");
    assert_eq!(last["file"], "rules/open.toml");
    for name in ["ACME001", "acme001", "no-decrypt-for-everyone"] {
        let explain = run(s.cmd().args(["--explain", name]));
        assert_eq!(explain.code, 0, "{explain:?}");
        assert!(
            explain.stdout.starts_with(
                "# ACME001 no-decrypt-for-everyone\n\n**Pack:** rules (rules/open.toml)"
            ),
            "{explain:?}"
        );
        assert!(
            explain.stdout.contains(
                "select = $.statements[?@.exposure.anyone == true].exposure\nforbid = true"
            ),
            "{explain:?}"
        );
    }
}
