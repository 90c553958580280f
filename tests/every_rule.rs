//! Two fixtures trigger every rule: `fixtures/every-rule.json` the rules of
//! a policy, `fixtures/every-rule.yaml` those that need a template around the
//! policy. A quick way to see every diagnostic at once (in an editor, or with
//! `policy-check fixtures/every-rule.json fixtures/every-rule.yaml`), and a
//! check that no rule is dead.

use std::collections::BTreeSet;

use policy_analyzer::host::{HostFile, HostKind, NoFiles};
use policy_analyzer::{all_rules, analyze, AnalyzeOptions, Profile, ProfileValue};

/// Rules the fixture cannot trigger, and why.
const EXCEPTIONS: &[(&str, &str)] = &[
    (
        "invalid-encoding",
        "a file that is not UTF-8 is not analysed at all; its own fixture covers it",
    ),
    (
        "unresolved-policy-variable",
        "it needs Version 2012-10-17, under which `${...}` is substituted, while \
         policy-variable-in-old-version needs the Version missing; its own fixtures cover it",
    ),
    (
        "invalid-hcl",
        "Terraform's syntax; the Terraform fixtures cover it",
    ),
    (
        "missing-file",
        "only Terraform's file() and templatefile() name other files; their fixtures cover it",
    ),
    (
        "missing-template-variable",
        "only Terraform's templatefile() renders templates; its fixtures cover it",
    ),
    (
        "key-lockout-risk",
        "it stays silent when the JSON is broken (the admin statement could be in the part that \
         cannot be read), and invalid-json must fire here; its own fixtures cover it",
    ),
];

#[test]
fn every_rule_fires_on_the_kitchen_sink() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/every-rule.json");
    let text = std::fs::read_to_string(path).unwrap();
    let options = AnalyzeOptions {
        profile: every_rule_profile(),
        ..AnalyzeOptions::default()
    };
    let mut fired: BTreeSet<&str> = analyze(&text, &options)
        .diagnostics
        .iter()
        .map(|d| d.name)
        .collect();
    let path = "fixtures/every-rule.yaml";
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/every-rule.yaml"
    ))
    .unwrap();
    let file = HostFile {
        path,
        text: &template,
    };
    let kind = HostKind::detect(path, &template).expect("a template");
    let options = AnalyzeOptions::default();
    let diagnostics =
        policy_analyzer::host::analyze_file(kind, file, &NoFiles, &options).diagnostics;
    // The suppression rules judge the template's `policy-check-ignore` comments.
    let settings = policy_workspace::Settings::new(None, Default::default());
    let absolute = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let file = policy_workspace::suppress::FileText {
        path,
        absolute: &absolute,
        text: &template,
    };
    fired.extend(
        policy_workspace::suppress::apply(&settings, &options, file, diagnostics)
            .kept
            .iter()
            .map(|d| d.name),
    );
    let missing: Vec<&str> = all_rules()
        .map(|r| r.name)
        .filter(|name| !fired.contains(name) && !EXCEPTIONS.iter().any(|(e, _)| e == name))
        .collect();
    assert!(
        missing.is_empty(),
        "rules that do not fire on fixtures/every-rule.json or .yaml: {missing:?}"
    );
}

/// The profile the fixture is checked with (some service rules need what a
/// policy cannot say): an asymmetric key spec (unsupported-key-spec) and a
/// linked bucket with S3 Bucket Keys on (s3-encryption-context-mismatch).
/// It names no services, so they are still inferred (service-inferred).
fn every_rule_profile() -> Option<Profile> {
    Some(
        Profile {
            key_spec: Some("RSA_2048".into()),
            ..Profile::default()
        }
        .with("bucket-keys", ProfileValue::Bool(true)),
    )
}
