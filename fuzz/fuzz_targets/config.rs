//! Any text as `policy-check.toml`: the CLI's strict reader and the
//! server's lenient one never panic; the CLI's errors name a line of the
//! file; a config that reads is usable for an analysis.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use policy_analyzer::{analyze, AnalyzeOptions};
use policy_check::config::Config;
use policy_lsp::config::ProjectConfig;

/// A policy with something for most packs to say.
const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
  "Action": ["kms:Decrypt", "kms:Decrypts"], "Resource": "*",
  "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"}}}]}"#;

fuzz_target!(|text: &str| {
    let path = Path::new("/project/policy-check.toml");
    match Config::parse(path, text) {
        Ok(config) => {
            // Every profile the file gives is one the analysis can run with.
            for entry in &config.profiles {
                let options = AnalyzeOptions {
                    profile: Some(entry.profile.clone()),
                    ..AnalyzeOptions::default()
                };
                analyze(POLICY, &options);
            }
        }
        Err(error) => {
            let lines = text.split('\n').count();
            if let Some(line) = error.line {
                assert!(
                    (1..=lines).contains(&line),
                    "line {line} of a {lines}-line file: {error}"
                );
            }
            assert!(!error.message.is_empty() && !error.message.contains('\n'), "{error}");
        }
    }
    let server = ProjectConfig::parse(text, path);
    for problem in &server.problems {
        assert!(!problem.trim().is_empty() && !problem.ends_with(": "), "{problem:?}");
    }
    let options = AnalyzeOptions {
        rules: server.rules.clone(),
        ..AnalyzeOptions::default()
    };
    analyze(POLICY, &options);
});
