//! What a run reports, whatever the format: checked files, problems that
//! stopped a file or config from being checked, and the totals.

use std::time::Duration;

use policy_analyzer::{Diagnostic, Severity};

/// One checked policy, ready to render.
pub struct CheckedFile<'a> {
    /// The path as the user sees it (as given, or as found by the walk).
    pub path: &'a str,
    pub text: &'a str,
    pub diagnostics: &'a [Diagnostic],
    /// The other files the job read, (path, text): where related locations
    /// in another file are (a resource of the module that uses the key).
    pub others: &'a [(String, String)],
}

impl<'a> CheckedFile<'a> {
    /// The text of `file`, when it is this file or one the job read.
    pub fn text_of(&self, file: Option<&str>) -> Option<(&'a str, &'a str)> {
        match file {
            None => Some((self.path, self.text)),
            Some(f) if f == self.path => Some((self.path, self.text)),
            Some(f) => self
                .others
                .iter()
                .find(|(p, _)| p == f)
                .map(|(p, t)| (p.as_str(), t.as_str())),
        }
    }
}

/// How a problem affects the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The file or config could not be used; the exit code is 2.
    Error,
    /// A file named on the command line was not checked, and that is not a
    /// failure: it is not a key policy (pre-commit passes every staged JSON file).
    Skipped,
}

/// A file or config that could not be checked or used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    /// 1-based, for config and rule-pack errors.
    pub line: Option<usize>,
    /// 1-based, in characters, for rule-pack errors.
    pub column: Option<usize>,
    pub level: Level,
    pub message: String,
}

impl Problem {
    pub fn error(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            line: None,
            column: None,
            level: Level::Error,
            message: message.into(),
        }
    }

    pub fn skipped(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            level: Level::Skipped,
            ..Problem::error(path, message)
        }
    }

    /// `path:line:column`, `path:line` or `path`.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(line), Some(column)) => format!("{}:{line}:{column}", self.path),
            (Some(line), None) => format!("{}:{line}", self.path),
            _ => self.path.clone(),
        }
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub files_checked: usize,
    /// Findings by severity, indexed by `Severity as usize` (hint, info, warning, error).
    pub findings: [usize; 4],
    pub errors: usize,
    pub skipped: usize,
    /// Findings whose fixes `--fix` applied (or `--diff` would).
    pub fixed: usize,
    /// Findings a suppression (config or comment) accepted.
    pub suppressed: usize,
    /// Findings `--baseline` held.
    pub baselined: usize,
    /// `--diff`: the fixes were shown, not written.
    pub diff_only: bool,
    /// Findings below this were counted, not shown.
    pub min_severity: Severity,
    /// Per service, how many keys were checked for it.
    pub services: std::collections::BTreeMap<&'static str, usize>,
    /// Per rule code and name, how many findings (for `--statistics`).
    pub by_rule: std::collections::BTreeMap<(&'static str, &'static str), usize>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings[severity as usize]
    }

    pub fn add_findings(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            self.findings[d.severity as usize] += 1;
            *self.by_rule.entry((d.code, d.name)).or_default() += 1;
        }
    }

    /// Adds another summary's counts.
    pub fn add(&mut self, other: &Summary) {
        for (total, n) in self.findings.iter_mut().zip(other.findings) {
            *total += n;
        }
        self.fixed += other.fixed;
        self.suppressed += other.suppressed;
        self.baselined += other.baselined;
        for (service, n) in &other.services {
            *self.services.entry(service).or_default() += n;
        }
        for (rule, n) in &other.by_rule {
            *self.by_rule.entry(*rule).or_default() += n;
        }
    }
}

/// The exit code: 2 when a file or config could not be used, else 1 when a
/// finding reached `--fail-on`, else 0.
pub fn exit_code(errors: bool, failed: bool) -> u8 {
    if errors {
        2
    } else if failed {
        1
    } else {
        0
    }
}
