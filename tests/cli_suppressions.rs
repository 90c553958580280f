//! Accepting findings on purpose: `[[suppressions]]` with a reason,
//! `policy-check-ignore` comments in templates and modules, and baselines.

mod common;

use common::{codes, json, run, Scratch, CLEAN};

/// A key any principal can use for kms:Decrypt (PC501, an error in
/// statement `Everyone`, index 1).
const PUBLIC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Everyone",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": "kms:Decrypt",
      "Resource": "*"
    }
  ]
}
"#;

fn suppression(files: &str, extra: &str) -> String {
    format!(
        "[[suppressions]]\nrules = [\"PC501\"]\nfiles = [\"{files}\"]\n{extra}reason = \"the data under this key is public by design (SEC-123)\"\n"
    )
}

#[test]
fn a_config_suppression_accepts_the_findings_of_its_statement() {
    let s = Scratch::new();
    s.write("keys/public.json", PUBLIC);
    s.write(
        "policy-check.toml",
        suppression("keys/public.json", "statement = \"Everyone\"\n"),
    );
    let r = run(s.cmd().arg("."));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("Checked 1 file in") && r.stdout.contains("; 1 suppressed"),
        "{r:?}"
    );
    let out = json(&run(s.cmd().args(["--format", "json", "."])));
    assert_eq!(out["summary"]["suppressed"], 1);
    assert!(codes(&out, "keys/public.json").is_empty());

    // Another statement, or another pointer, is not accepted.
    s.write(
        "policy-check.toml",
        suppression("keys/public.json", "statement = \"Someone else\"\n"),
    );
    let out = json(&run(s.cmd().args(["--format", "json", "."])));
    assert_eq!(codes(&out, "keys/public.json"), ["PC501"]);
    s.write(
        "policy-check.toml",
        suppression("keys/public.json", "pointer = \"/Statement/1\"\n"),
    );
    let out = json(&run(s.cmd().args(["--format", "json", "."])));
    assert!(codes(&out, "keys/public.json").is_empty(), "{out}");
    s.write(
        "policy-check.toml",
        suppression("keys/public.json", "pointer = \"/Statement/0\"\n"),
    );
    let out = json(&run(s.cmd().args(["--format", "json", "."])));
    assert_eq!(codes(&out, "keys/public.json"), ["PC501"], "{out}");
    assert_eq!(codes(&out, "policy-check.toml"), ["PC701"], "{out}");
}

#[test]
fn an_unused_config_suppression_is_reported_at_its_line() {
    let s = Scratch::new();
    s.write("keys/public.json", CLEAN);
    s.write("other/clean.json", CLEAN);
    s.write(
        "policy-check.toml",
        format!(
            "fail-on = \"warning\"\n\n{}",
            suppression("keys/*.json", "")
        ),
    );
    let r = run(s.cmd().args(["--format", "concise", "."]));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.starts_with(
            "policy-check.toml:3:1: PC701 [warning] this suppression of PC501 in keys/*.json accepted no finding in the files checked"
        ),
        "{r:?}"
    );
    // A run that checks none of its files cannot judge it.
    let r = run(s.cmd().args(["--format", "concise", "other"]));
    assert_eq!(r.code, 0, "{r:?}");
    // Nor a run in which its rule does not run.
    let r = run(s
        .cmd()
        .args(["--format", "concise", "--select", "PC2", "."]));
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_suppression_without_a_reason_is_a_config_error_naming_the_line() {
    let s = Scratch::new();
    s.write("keys/public.json", PUBLIC);
    s.write(
        "policy-check.toml",
        "include = [\"*.json\"]\n\n[[suppressions]]\nrules = [\"PC501\"]\nfiles = [\"keys/public.json\"]\n",
    );
    let r = run(s.cmd().arg("."));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(
            "error: policy-check.toml:3: invalid config: the suppression has no `reason`: add `reason = \"...\"` saying why these findings are accepted"
        ),
        "{r:?}"
    );
    // The files are still checked, under the default settings.
    assert!(r.stdout.contains("PC501"), "{r:?}");
}

#[test]
fn comments_in_templates_and_modules_suppress_with_a_reason() {
    let s = Scratch::new();
    let template = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Sid: Root\n            Effect: Allow\n            Principal:\n              AWS: !Sub arn:aws:iam::${AWS::AccountId}:root\n            Action: kms:*\n            Resource: '*'\n          # policy-check-ignore: PC501 # public by design (SEC-123)\n          - Sid: Everyone\n            Effect: Allow\n            Principal: {AWS: '*'}\n            Action: kms:Decrypt\n            Resource: '*'\n";
    s.write("stack.yaml", template);
    let out = json(&run(s.cmd().args(["--format", "json", "stack.yaml"])));
    assert!(codes(&out, "stack.yaml").is_empty(), "{out}");
    assert_eq!(out["summary"]["suppressed"], 1);

    // Without the reason, the finding stays and the comment is reported.
    s.write(
        "stack.yaml",
        template.replace(" # public by design (SEC-123)", ""),
    );
    let out = json(&run(s.cmd().args(["--format", "json", "stack.yaml"])));
    assert_eq!(codes(&out, "stack.yaml"), ["PC702", "PC501"], "{out}");

    // On a statement that is fine, the comment is unused.
    s.write(
        "stack.yaml",
        template.replace("{AWS: '*'}", "{AWS: !Ref AWS::AccountId}"),
    );
    let out = json(&run(s.cmd().args(["--format", "json", "stack.yaml"])));
    assert_eq!(codes(&out, "stack.yaml"), ["PC701"], "{out}");
}

#[test]
fn a_baseline_reports_only_new_findings() {
    let s = Scratch::new();
    s.write("keys/public.json", PUBLIC);
    let r = run(s.cmd().args(["--write-baseline", "baseline.json", "."]));
    assert_eq!(r.code, 0, "writing a baseline accepts its findings: {r:?}");
    assert!(
        r.stderr
            .contains("note: wrote 1 finding to the baseline baseline.json"),
        "{r:?}"
    );
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["findings"][0]["path"], "keys/public.json");
    assert_eq!(baseline["findings"][0]["code"], "PC501");
    assert_eq!(baseline["findings"][0]["pointer"], "/Statement/*/Principal");

    let r = run(s.cmd().args(["--baseline", "baseline.json", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("; 1 in the baseline"), "{r:?}");

    // A new defect in a statement added before the old one, and the file
    // reformatted: only the new defect is reported.
    let reformatted = PUBLIC.replace("\n    {\n      \"Sid\": \"Everyone\"", "\n    {\"Sid\": \"Typo\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:Decrpyt\", \"Resource\": \"*\"},\n    {\n        \"Sid\": \"Everyone\"");
    assert_ne!(reformatted, PUBLIC);
    s.write("keys/public.json", &reformatted);
    let out = json(&run(s.cmd().args([
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        ".",
    ])));
    assert_eq!(out["summary"]["baselined"], 1, "{out}");
    let found = codes(&out, "keys/public.json");
    assert!(
        !found.is_empty() && !found.contains(&"PC501".to_string()),
        "{out}"
    );
    assert_eq!(out["summary"]["exit_code"], 1);

    // From another directory, the paths still match.
    let r = run(s.cmd().current_dir(s.path().join("keys")).args([
        "--baseline",
        "../baseline.json",
        "--select",
        "PC501",
        ".",
    ]));
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_bad_baseline_is_an_error() {
    let s = Scratch::new();
    s.write("keys/public.json", PUBLIC);
    s.write("baseline.json", "{\"version\": 1,\n \"findings\": 3}");
    let r = run(s.cmd().args(["--baseline", "baseline.json", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.starts_with("error: --baseline baseline.json:2:"),
        "{r:?}"
    );
    let r = run(s.cmd().args(["--baseline", "missing.json", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.starts_with("error: --baseline missing.json: "),
        "{r:?}"
    );
}
