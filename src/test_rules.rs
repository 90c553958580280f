//! `policy-check test-rules [DIR]`: runs each user rule over its own
//! fixtures and compares its findings with the expected file beside each.
//!
//! A rule file `NAME.toml` keeps its fixtures in the directory `NAME/` beside
//! it: `valid-*` files, on which the rule must find nothing, and `invalid-*`
//! files, on which it must find something; each fixture `F` has its expected
//! findings in `F.expected`, one line per finding:
//!
//! ```text
//! 4:20-4:23 error ACME002 statement "Open" lets another AWS account use the key
//! ```
//!
//! Each fixture passes or fails, with a diff; `--update` writes the expected
//! files. Exit status: 0 when every fixture passes, 1 when one fails, 2 when
//! a rule file has an error or a fixture cannot be read.

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use policy_analyzer::host::{self, HostFile, HostKind};
use policy_analyzer::user_rules::{UserRule, UserRules};
use policy_analyzer::{all_rules, AnalyzeOptions, Diagnostic, RuleSelection};
use policy_workspace::packs::Packs;
use policy_workspace::{Discovery, Mode, Overrides};

use crate::cli::TestRulesArgs;
use crate::files::FsLoader;
use crate::render::Positions;

/// What one fixture came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Why, and the diff of expected and found lines when they differ.
    Fail(String),
}

/// One fixture's result.
#[derive(Debug)]
pub struct FixtureResult {
    pub rule: &'static str,
    /// The fixture's path as shown.
    pub fixture: String,
    pub verdict: Verdict,
}

/// Runs the command; returns the exit code.
pub fn run(args: &TestRulesArgs) -> u8 {
    let color = args.color.enabled(io::stdout().is_terminal());
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            eprintln!("error: cannot read the current directory: {e}");
            return 2;
        }
    };
    let packs = match &args.dir {
        Some(dir) => {
            let dir = if dir.is_absolute() {
                dir.clone()
            } else {
                cwd.join(dir)
            };
            if !dir.is_dir() {
                eprintln!("error: {}: not a directory", dir.display());
                return 2;
            }
            if dir.join(policy_workspace::FILE_NAME).is_file() {
                // A project's directory: the packs its config names.
                match config_packs(&cwd, &dir) {
                    Some(packs) => packs,
                    None => return 2,
                }
            } else {
                Packs::load(&[dir], &cwd)
            }
        }
        None => match config_packs(&cwd, &cwd) {
            Some(packs) => packs,
            None => return 2,
        },
    };
    let mut out = io::stdout().lock();
    let mut code = 0;
    for error in &packs.errors {
        let shown = error.path.strip_prefix(&cwd).unwrap_or(&error.path);
        let mut error = error.clone();
        error.path = shown.to_path_buf();
        let _ = writeln!(out, "{} {error}", paint("ERROR", "1;31", color));
        code = 2;
    }
    if packs.rules.is_empty() && packs.errors.is_empty() {
        let _ = writeln!(out, "no rules found");
        return 2;
    }
    let mut passed = 0;
    let mut failed = 0;
    for (rule, file) in packs.rules.iter().zip(&packs.files) {
        let results = match test_rule(rule, file, &cwd, args.update) {
            Ok(results) => results,
            Err(message) => {
                let _ = writeln!(
                    out,
                    "{} {}: {message}",
                    paint("ERROR", "1;31", color),
                    rule.id
                );
                code = 2;
                continue;
            }
        };
        for result in results {
            match &result.verdict {
                Verdict::Pass => {
                    passed += 1;
                    let _ = writeln!(
                        out,
                        "{} {} {}",
                        paint("PASS", "32", color),
                        result.rule,
                        result.fixture
                    );
                }
                Verdict::Fail(why) => {
                    failed += 1;
                    let _ = writeln!(
                        out,
                        "{} {} {}\n{}",
                        paint("FAIL", "1;31", color),
                        result.rule,
                        result.fixture,
                        indent(why)
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "\n{passed} passed, {failed} failed");
    if failed > 0 && code == 0 {
        code = 1;
    }
    code
}

/// The packs of the config that governs `dir`, or why there are none.
fn config_packs(cwd: &Path, dir: &Path) -> Option<Packs> {
    let overrides = Arc::new(Overrides {
        cwd: cwd.to_path_buf(),
        ..Overrides::default()
    });
    let mut discovery = Discovery::new(overrides, None, Mode::Strict);
    let settings = discovery.for_directory(dir);
    let errors = discovery.take_errors();
    match settings.config() {
        Some(config) if !config.packs.dirs.is_empty() || !config.packs.errors.is_empty() => {
            Some(config.packs.clone())
        }
        _ => {
            for e in errors.iter().filter(|e| !e.rule_pack) {
                eprintln!("error: {e}");
            }
            eprintln!(
                "error: no policy-check.toml with `rule-packs` governs {}: name a pack directory",
                dir.display()
            );
            None
        }
    }
}

fn paint(text: &str, sgr: &str, color: bool) -> String {
    if color {
        format!("\x1b[{sgr}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one rule over its fixtures. `update` writes the expected files.
pub fn test_rule(
    rule: &UserRule,
    rule_file: &Path,
    cwd: &Path,
    update: bool,
) -> Result<Vec<FixtureResult>, String> {
    let dir = rule_file.with_extension("");
    let shown = |p: &Path| p.strip_prefix(cwd).unwrap_or(p).display().to_string();
    let fixtures = fixtures(&dir).map_err(|e| format!("{}: {e}", shown(&dir)))?;
    let mut results = Vec::new();
    let valid = fixtures.iter().any(|f| name_of(f).starts_with("valid-"));
    let invalid = fixtures.iter().any(|f| name_of(f).starts_with("invalid-"));
    if !valid || !invalid {
        results.push(FixtureResult {
            rule: rule.id,
            fixture: shown(&dir),
            verdict: Verdict::Fail(format!(
                "a rule needs fixtures in {}/: at least one `valid-*` file (on which it finds nothing) and one `invalid-*` file (on which it finds something)",
                shown(&dir)
            )),
        });
    }
    for fixture in fixtures {
        let text =
            std::fs::read_to_string(&fixture).map_err(|e| format!("{}: {e}", shown(&fixture)))?;
        let found = findings(rule, &shown(&fixture), &text);
        let expected_path = expected_path(&fixture);
        let name = name_of(&fixture);
        let mut problems = Vec::new();
        if name.starts_with("invalid-") && found.is_empty() {
            problems.push("the rule does not fire on this invalid fixture".to_string());
        }
        if name.starts_with("valid-") && !found.is_empty() {
            problems.push("the rule fires on this valid fixture".to_string());
        }
        if update {
            std::fs::write(&expected_path, &found)
                .map_err(|e| format!("{}: {e}", shown(&expected_path)))?;
        } else {
            match std::fs::read_to_string(&expected_path) {
                Ok(expected) if expected == found => {}
                Ok(expected) => problems.push(format!(
                    "the findings differ from {} (- expected, + found):\n{}",
                    shown(&expected_path),
                    diff(&expected, &found)
                )),
                Err(_) => problems.push(format!(
                    "{} is missing: run `policy-check test-rules --update` to write it",
                    shown(&expected_path)
                )),
            }
        }
        results.push(FixtureResult {
            rule: rule.id,
            fixture: shown(&fixture),
            verdict: if problems.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail(problems.join("\n"))
            },
        });
    }
    Ok(results)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn expected_path(fixture: &Path) -> PathBuf {
    let mut name = fixture.as_os_str().to_owned();
    name.push(".expected");
    PathBuf::from(name)
}

/// The fixture files of a rule, in name order: every file but the expected ones.
fn fixtures(dir: &Path) -> io::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && !name_of(p).ends_with(".expected"))
        .collect();
    files.sort();
    Ok(files)
}

/// The rule's findings on one fixture, as the expected file writes them:
/// the rule alone runs, with the default settings.
pub fn findings(rule: &UserRule, path: &str, text: &str) -> String {
    let options = AnalyzeOptions {
        rules: RuleSelection {
            disabled: all_rules().map(|r| r.code).collect(),
            ..RuleSelection::default()
        },
        profile: None,
        user_rules: Some(Arc::new(UserRules::new(vec![Arc::new(rule.clone())]))),
    };
    let diagnostics: Vec<Diagnostic> = match HostKind::detect(path, text) {
        Some(HostKind::Policy) | None => policy_analyzer::analyze(text, &options).diagnostics,
        Some(kind) => {
            host::analyze_file(kind, HostFile { path, text }, &FsLoader, &options).diagnostics
        }
    };
    let positions = Positions::new(text);
    let mut out = String::new();
    for d in diagnostics.iter().filter(|d| d.code == rule.id) {
        let span = positions.span(d.range);
        let _ = writeln!(
            out,
            "{}:{}-{}:{} {} {} {}",
            span.start.line,
            span.start.column,
            span.end.line,
            span.end.column,
            d.severity,
            d.code,
            d.message
        );
    }
    out
}

/// A line diff: `-` expected, `+` found, every line shown.
fn diff(expected: &str, found: &str) -> String {
    // Context as long as the texts: one hunk holding every line.
    let every_line = expected.lines().count().max(found.lines().count());
    let patch = diffy::DiffOptions::new()
        .set_context_len(every_line)
        .create_patch(expected, found);
    let mut out = String::new();
    for line in patch.hunks().iter().flat_map(|hunk| hunk.lines()) {
        let (sign, text) = match line {
            diffy::Line::Delete(text) => ('-', text),
            diffy::Line::Insert(text) => ('+', text),
            diffy::Line::Context(text) => (' ', text),
        };
        let _ = write!(out, "{sign} {text}");
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out.trim_end().to_string()
}
