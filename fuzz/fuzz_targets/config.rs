//! Any text as `policy-check.toml`, through the one reader the CLI and the
//! server share (`policy_workspace::Config::parse`), in both modes: no
//! panic; errors and lenient warnings name a line of the file and say
//! something on one line; what the strict reader accepts the lenient one
//! accepts without a warning; a config that reads gives settings an
//! analysis runs with, profiles, per-file ignores and suppressions included.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use policy_analyzer::analyze;
use policy_workspace::suppress::{self, FileText};
use policy_workspace::{Config, ConfigError, Mode, Overrides, Settings};

/// A policy with something for most packs to say.
const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
  "Action": ["kms:Decrypt", "kms:Decrypts"], "Resource": "*",
  "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"}}}]}"#;

/// A problem names a line of the file, when it names one, and says
/// something on one line.
fn check_problem(text: &str, problem: &ConfigError) {
    let lines = text.split('\n').count();
    if let Some(line) = problem.line {
        assert!(
            (1..=lines).contains(&line),
            "line {line} of a {lines}-line file: {problem}"
        );
    }
    let message = problem.message.trim();
    assert!(
        !message.is_empty() && !problem.message.contains('\n') && !message.ends_with(':'),
        "{problem:?}"
    );
}

/// The settings of a config that reads run an analysis of a file it
/// governs, and its suppressions apply to the findings.
fn use_config(config: Config) {
    let settings = Settings::new(Some(config), Arc::new(Overrides::default()));
    for file in [
        "/project/key.json",
        "/project/keys/app/policy.json",
        "/elsewhere/k.json",
    ] {
        let absolute = Path::new(file);
        let options = settings.options_for(absolute);
        let analysis = analyze(POLICY, &options);
        let applied = suppress::apply(
            &settings,
            &options,
            FileText {
                path: file,
                absolute,
                text: POLICY,
            },
            analysis.diagnostics,
        );
        policy_check_fuzz::invariants::check_diagnostics(POLICY, &applied.kept);
        settings.includes(absolute);
        settings.excludes(absolute, true);
    }
}

fuzz_target!(|text: &str| {
    let path = Path::new("/project/policy-check.toml");
    let strict = Config::parse(path, text, Mode::Strict);
    let lenient = Config::parse(path, text, Mode::Lenient);
    if let Err(error) = &strict {
        check_problem(text, error);
    }
    match (&strict, &lenient) {
        (Ok(_), Ok(config)) => assert!(
            config.warnings.is_empty(),
            "strict reading took it as it is, yet lenient reading skipped: {:?}",
            config.warnings
        ),
        (Ok(_), Err(error)) => {
            panic!("strict reading accepts what lenient reading refuses: {error}")
        }
        _ => {}
    }
    match lenient {
        Ok(config) => {
            for warning in &config.warnings {
                check_problem(text, warning);
            }
            use_config(config);
        }
        Err(error) => check_problem(text, &error),
    }
    if let Ok(config) = strict {
        use_config(config);
    }
});
