//! End to end: the output formats, as documented in docs/json-output.md and
//! docs/ci.md.

mod common;

use common::{json, run, Scratch, CLEAN, COMMENT, TRAILING_COMMA};
use serde_json::json;

/// A policy whose trailing comma follows non-ASCII text on its line, so
/// that columns counted in characters differ from bytes and UTF-16 units.
const UNICODE_LINE: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"Clé 🔑\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\",}]\n}\n";

#[test]
fn json_schema_version_1() {
    let s = Scratch::new();
    s.write("a/clean.json", CLEAN);
    s.write("a/unicode.json", UNICODE_LINE);
    s.write("a/comment.json", COMMENT);
    let r = run(s.cmd().args(["--format", "json", "a", "missing.json"]));
    assert_eq!(r.code, 2, "{r:?}");
    let out = json(&r);
    assert_eq!(out["version"], 1);
    let files = out["files"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["a/clean.json", "a/comment.json", "a/unicode.json"],
        "every checked file, in path order"
    );
    assert_eq!(files[0]["diagnostics"], json!([]));

    let comment = &files[1]["diagnostics"][0];
    let keys: Vec<&str> = comment
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "code",
            "fix",
            "help",
            "message",
            "name",
            "pointer",
            "range",
            "related",
            "severity",
            "statement"
        ]
    );
    assert_eq!(comment["code"], "PC003");
    assert_eq!(comment["name"], "json-comment");
    assert_eq!(comment["severity"], "error");
    assert!(comment["message"]
        .as_str()
        .unwrap()
        .contains("comments are not allowed"));
    // 1-based; `end` just past the last character.
    assert_eq!(
        comment["range"],
        json!({"start": {"line": 2, "column": 3}, "end": {"line": 2, "column": 24}})
    );
    assert_eq!(comment["fix"]["applicability"], "safe");
    assert!(comment["fix"]["title"].is_string());
    assert_eq!(comment["fix"]["edits"][0]["replacement"], "");
    assert!(comment["pointer"].is_null() || comment["pointer"].is_string());

    // Columns count Unicode scalar values: `é` and `🔑` are one column each.
    let comma = &files[2]["diagnostics"][0];
    assert_eq!(comma["code"], "PC004");
    let column = UNICODE_LINE.lines().nth(2).unwrap().find(",}").unwrap();
    let column = UNICODE_LINE.lines().nth(2).unwrap()[..column]
        .chars()
        .count() as u64
        + 1;
    assert_eq!(
        comma["range"]["start"],
        json!({"line": 3, "column": column})
    );

    assert_eq!(
        out["errors"],
        json!([{"path": "missing.json", "line": null, "message": "No such file or directory"}])
    );
    assert_eq!(out["skipped"], json!([]));
    assert_eq!(
        out["summary"],
        json!({"files_checked": 3, "findings": {"error": 2, "warning": 0, "info": 0, "hint": 0}, "errors": 1, "skipped": 0, "fixed": 0, "suppressed": 0, "baselined": 0, "exit_code": 2})
    );
}

#[test]
fn json_of_a_clean_run_and_of_no_files() {
    let s = Scratch::new();
    let r = run(s.cmd().args(["--format", "json", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json(&r)["files"], json!([]));
    s.write("k.json", CLEAN);
    let r = run(s.cmd().args(["--format", "json", "--quiet", "."]));
    assert_eq!(json(&r)["summary"]["files_checked"], 1);
}

#[test]
fn github_workflow_commands() {
    let s = Scratch::new();
    s.write("keys/a.json", TRAILING_COMMA);
    s.write("keys/b.json", CLEAN);
    s.write(
        "policy-check.toml",
        "[rules.severity]\njson-comment = \"info\"\n",
    );
    s.write("keys/c.json", COMMENT);
    // By default the annotations are the warnings and errors: an info-level
    // finding is counted, not annotated on every pull request.
    let quiet = run(s
        .cmd()
        .args(["--format", "github", "keys", "keys/missing.json"]));
    assert_eq!(quiet.code, 2, "{quiet:?}");
    assert_eq!(quiet.stdout.lines().count(), 2, "{quiet:?}");
    assert!(!quiet.stdout.contains("::notice"), "{quiet:?}");
    let r = run(s.cmd().args([
        "--format",
        "github",
        "--min-severity",
        "info",
        "keys",
        "keys/missing.json",
    ]));
    assert_eq!(r.code, 2, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{r:?}");
    assert_eq!(
        lines[0],
        "::error file=keys/a.json,line=10,col=22,endLine=10,endColumn=23,title=PC004::trailing comma: JSON allows no comma after the last element, and AWS rejects the policy (trailing-comma)%0Ahelp: delete the comma"
    );
    assert!(
        lines[1].starts_with(
            "::notice file=keys/c.json,line=2,col=3,endLine=2,endColumn=24,title=PC003::"
        ),
        "{r:?}"
    );
    assert_eq!(
        lines[2],
        "::error file=keys/missing.json,title=policy-check::No such file or directory"
    );
}

fn sarif_of(s: &Scratch, args: &[&str]) -> (common::Run, serde_json::Value) {
    let r = run(s.cmd().args(["--format", "sarif"]).args(args));
    let out = json(&r);
    (r, out)
}

#[test]
fn sarif_structure() {
    let s = Scratch::new();
    s.write("keys/a b.json", COMMENT);
    s.write("keys/c.json", CLEAN);
    let (r, out) = sarif_of(&s, &["keys"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(out["version"], "2.1.0");
    assert_eq!(
        out["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run = &out["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "policy-check");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), policy_analyzer::all_rules().count());
    let rule = rules.iter().find(|r| r["id"] == "PC003").unwrap();
    assert_eq!(rule["name"], "JsonComment");
    assert_eq!(
        rule["helpUri"],
        "https://github.com/policy-check/policy-check/blob/main/docs/rules/PC003.md"
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    for key in ["shortDescription", "fullDescription", "help"] {
        assert!(rule[key]["text"].as_str().unwrap().len() > 10, "{key}");
    }

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["ruleId"], "PC003");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "PC003"
    );
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"],
        json!({"uri": "keys/a%20b.json", "uriBaseId": "%SRCROOT%"})
    );
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 3);
    assert_eq!(location["region"]["endColumn"], 24);
    assert_eq!(
        location["region"]["snippet"]["text"],
        "// the default policy"
    );
    assert_eq!(
        location["contextRegion"]["snippet"]["text"],
        "  // the default policy"
    );
    let fix = &result["fixes"][0];
    assert!(fix["description"]["text"].is_string());
    let change = &fix["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "keys/a%20b.json");
    assert!(change["replacements"][0]["deletedRegion"]["startLine"].is_u64());
    assert_eq!(change["replacements"][0]["insertedContent"]["text"], "");

    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert_eq!(invocation["toolExecutionNotifications"], json!([]));
    let srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        srcroot.starts_with("file:///") && srcroot.ends_with('/'),
        "{srcroot}"
    );
}

#[test]
fn sarif_reports_unreadable_files_and_bad_configs_as_notifications() {
    let s = Scratch::new();
    s.write("policy-check.toml", "[rules]\nnope = 1\n");
    s.write("k.json", CLEAN);
    let (r, out) = sarif_of(&s, &["k.json", "missing.json"]);
    assert_eq!(r.code, 2, "{r:?}");
    let invocation = &out["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0]["level"], "error");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(notes[1]["message"]["text"], "No such file or directory.");
}

/// The SARIF multitool that `sarif_passes_the_official_validator` runs, pinned
/// so that a new release with new rules does not change CI's verdict.
const SARIF_MULTITOOL: &str = "@microsoft/sarif-multitool@5.7.0";

/// With `SARIF_VALIDATE=1`, the official validator checks the output:
/// `npx --yes --prefer-offline @microsoft/sarif-multitool@5.7.0 validate` (or
/// the binary named by `SARIF_MULTITOOL`). It must report no error and no
/// warning. The multitool exits 0 and prints "Analysis completed successfully"
/// even when it finds errors, so the test reads its report.
/// `--prefer-offline` uses the npm cache without asking the registry once the
/// package is there: without it npx retries the registry for minutes offline.
#[test]
fn sarif_passes_the_official_validator() {
    if std::env::var_os("SARIF_VALIDATE").is_none_or(|v| v != "1") {
        eprintln!("skipped: set SARIF_VALIDATE=1 to run the SARIF multitool");
        return;
    }
    let s = Scratch::new();
    s.write("keys/a.json", COMMENT);
    s.write("keys/b.json", TRAILING_COMMA);
    s.write("keys/c.json", UNICODE_LINE);
    s.write(
        "keys/latin1.json",
        b"{\"Statement\": [{\"Sid\": \"Cl\xe9\"}]}",
    );
    s.write("keys/sub/policy-check.toml", "oops = 1\n");
    s.write("keys/sub/d.json", CLEAN);
    // A whole line flagged (the region is its line: no context around it),
    // and a line with many findings.
    s.write(
        "keys/e.json",
        format!(
            "{{\"Statement\": [{}]}}",
            vec!["{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"kms:Decrypts\", \"Resource\": \"*\"}"; 300].join(", ")
        ),
    );
    // Every example and fixture, and the corpus where it is.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<std::path::PathBuf> = vec!["keys".into(), "missing.json".into()];
    paths.push(root.join("examples"));
    paths.push(root.join("fixtures"));
    let corpus = root.join("../shared/corpus");
    if corpus.is_dir() {
        paths.push(corpus);
    }
    let r = run(s
        .cmd()
        .args(["--format", "sarif", "--no-config"])
        .args(&paths));
    assert_eq!(r.code, 2, "{}", r.stderr);
    validate_sarif(&s.write("out.sarif", &r.stdout));

    // With the user rules of the sample rule pack, which the driver lists
    // after the built-in rules and whose results carry only their id.
    let pack = root.join("examples/rule-pack");
    let r = run(s
        .cmd()
        .args(["--format", "sarif", "--config"])
        .arg(pack.join("policy-check.toml"))
        .arg(pack.join("rules")));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("\"ruleId\":\"ACME002\""));
    validate_sarif(&s.write("packs.sarif", &r.stdout));
}

/// Runs the official validator on a SARIF file: no error, no warning.
fn validate_sarif(file: &std::path::Path) {
    let mut validator = match std::env::var_os("SARIF_MULTITOOL") {
        Some(tool) => std::process::Command::new(tool),
        None => {
            let mut npx = std::process::Command::new("npx");
            npx.args(["--yes", "--prefer-offline", SARIF_MULTITOOL]);
            npx
        }
    };
    let output = validator
        .arg("validate")
        .arg(file)
        .output()
        .expect("the SARIF multitool runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && report.contains("Analysis completed successfully"),
        "{}\n{report}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let problems: Vec<&str> = report
        .lines()
        .filter(|l| l.contains(": error ") || l.contains(": warning "))
        .collect();
    assert!(
        problems.is_empty(),
        "the validator reports:\n{}",
        problems.join("\n")
    );
}
