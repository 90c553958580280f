//! The GitHub Action's script (`scripts/github-action.sh`), run as the
//! action runs it, with the binary under test instead of a fresh build.

mod common;

use std::process::Command;

use common::{Scratch, CLEAN, TRAILING_COMMA};

struct ActionRun {
    stdout: String,
    outputs: String,
    status: i32,
}

fn run_action(s: &Scratch, paths: &str, args: &str) -> ActionRun {
    let outputs = s.path().join("github-output");
    std::fs::write(&outputs, "").unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/github-action.sh");
    let out = Command::new("bash")
        .arg(script)
        .current_dir(s.path())
        .env("POLICY_CHECK", env!("CARGO_BIN_EXE_policy-check"))
        .env("INPUT_PATHS", paths)
        .env("INPUT_ARGS", args)
        .env("INPUT_SARIF_FILE", "out/policy-check.sarif")
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .expect("bash runs");
    ActionRun {
        stdout: String::from_utf8(out.stdout).unwrap(),
        outputs: std::fs::read_to_string(&outputs).unwrap(),
        status: out.status.code().unwrap(),
    }
}

#[test]
fn findings_become_annotations_a_sarif_report_and_an_exit_code() {
    let s = Scratch::new();
    s.write("keys/broken.json", TRAILING_COMMA);
    s.write("keys/clean.json", CLEAN);
    std::fs::create_dir_all(s.path().join("out")).unwrap();
    let run = run_action(&s, "keys", "");
    assert_eq!(
        run.status, 0,
        "the script leaves failing to the action's last step"
    );
    assert!(
        run.stdout.contains(
            "::error file=keys/broken.json,line=10,col=22,endLine=10,endColumn=23,title=PC004"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.outputs,
        "exit-code=1\nsarif-file=out/policy-check.sarif\n"
    );
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.path().join("out/policy-check.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "PC004"), "{sarif}");
}

#[test]
fn arguments_pass_through_and_a_clean_run_exits_zero() {
    let s = Scratch::new();
    s.write("keys/broken.json", TRAILING_COMMA);
    s.write("keys/clean.json", CLEAN);
    std::fs::create_dir_all(s.path().join("out")).unwrap();
    let run = run_action(&s, "keys/clean.json keys/broken.json", "--ignore PC004");
    assert_eq!(
        run.outputs,
        "exit-code=0\nsarif-file=out/policy-check.sarif\n"
    );
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
}

#[test]
fn the_action_runs_the_script_and_fails_after_the_upload() {
    let action =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    assert!(action.contains("$GITHUB_ACTION_PATH/scripts/github-action.sh"));
    let upload = action.find("github/codeql-action/upload-sarif").unwrap();
    let fail = action
        .find("exit ${{ steps.check.outputs.exit-code }}")
        .unwrap();
    assert!(upload < fail, "the SARIF is uploaded before the step fails");
}
