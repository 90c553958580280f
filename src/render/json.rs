//! The JSON format, version 1 (documented in docs/json-output.md).
//!
//! The document is streamed: one line per checked file inside `files`, so
//! memory does not grow with the number of files.

use std::io::{self, Write};

use policy_analyzer::{Applicability, Diagnostic, Severity};
use serde::Serialize;

use super::{Positions, Renderer, Span};
use crate::report::{CheckedFile, Level, Problem, Summary};

/// The version of the JSON document; bumped on incompatible changes.
pub const VERSION: u32 = 1;

#[derive(Default)]
pub struct JsonRenderer {
    files_written: usize,
    errors: Vec<ErrorEntry>,
    skipped: Vec<SkippedEntry>,
}

#[derive(Serialize)]
struct FileEntry<'a> {
    path: &'a str,
    diagnostics: Vec<DiagnosticEntry<'a>>,
}

#[derive(Serialize)]
struct DiagnosticEntry<'a> {
    code: &'a str,
    name: &'a str,
    severity: Severity,
    message: &'a str,
    range: Span,
    pointer: Option<&'a str>,
    /// The statement the finding is in: `{index, sid}`.
    statement: Option<&'a policy_analyzer::StatementRef>,
    related: Vec<RelatedEntry<'a>>,
    help: Option<&'a str>,
    fix: Option<FixEntry<'a>>,
}

#[derive(Serialize)]
struct RelatedEntry<'a> {
    /// The file of a related place in another file than the diagnostic's.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    range: Span,
    label: &'a str,
}

#[derive(Serialize)]
struct FixEntry<'a> {
    title: &'a str,
    applicability: Applicability,
    edits: Vec<EditEntry<'a>>,
}

#[derive(Serialize)]
struct EditEntry<'a> {
    range: Span,
    replacement: &'a str,
}

#[derive(Serialize)]
struct ErrorEntry {
    path: String,
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    message: String,
}

#[derive(Serialize)]
struct SkippedEntry {
    path: String,
    reason: String,
}

#[derive(Serialize)]
struct SummaryEntry {
    files_checked: usize,
    findings: Findings,
    errors: usize,
    skipped: usize,
    /// Findings whose fixes `--fix` applied (`--diff`: would apply).
    fixed: usize,
    /// Findings a suppression accepted; not in `files`.
    suppressed: usize,
    /// Findings `--baseline` held; not in `files`.
    baselined: usize,
    exit_code: u8,
}

#[derive(Serialize)]
struct Findings {
    error: usize,
    warning: usize,
    info: usize,
    hint: usize,
}

fn diagnostic<'a>(
    d: &'a Diagnostic,
    file: &CheckedFile<'a>,
    positions: &Positions<'_>,
) -> DiagnosticEntry<'a> {
    DiagnosticEntry {
        code: d.code,
        name: d.name,
        severity: d.severity,
        message: &d.message,
        range: positions.span(d.range),
        pointer: d.pointer.as_deref(),
        statement: d.statement.as_ref(),
        related: d
            .related
            .iter()
            .map(|r| match file.text_of(r.file.as_deref()) {
                Some((other, text)) if other != file.path => RelatedEntry {
                    path: Some(other),
                    range: Positions::new(text).span(r.range),
                    label: &r.label,
                },
                _ => RelatedEntry {
                    path: None,
                    range: positions.span(r.range),
                    label: &r.label,
                },
            })
            .collect(),
        help: d.help.as_deref(),
        fix: d.fix.as_ref().map(|f| FixEntry {
            title: &f.title,
            applicability: f.applicability,
            edits: f
                .edits
                .iter()
                .map(|e| EditEntry {
                    range: positions.span(e.range),
                    replacement: &e.replacement,
                })
                .collect(),
        }),
    }
}

impl Renderer for JsonRenderer {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "{{\"version\":{VERSION},\"files\":[")
    }

    fn render_file(&self, file: &CheckedFile<'_>) -> String {
        // Files without findings need no line index.
        let positions = (!file.diagnostics.is_empty()).then(|| Positions::new(file.text));
        let entry = FileEntry {
            path: file.path,
            diagnostics: positions
                .map(|p| {
                    file.diagnostics
                        .iter()
                        .map(|d| diagnostic(d, file, &p))
                        .collect()
                })
                .unwrap_or_default(),
        };
        serde_json::to_string(&entry).expect("diagnostics serialize")
    }

    fn write_file(&mut self, out: &mut dyn Write, rendered: &str) -> io::Result<()> {
        let separator = if self.files_written == 0 { "\n" } else { ",\n" };
        self.files_written += 1;
        out.write_all(separator.as_bytes())?;
        out.write_all(rendered.as_bytes())
    }

    fn problem(&mut self, _out: &mut dyn Write, problem: &Problem) -> io::Result<()> {
        match problem.level {
            Level::Error => self.errors.push(ErrorEntry {
                path: problem.path.clone(),
                line: problem.line,
                column: problem.column,
                message: problem.message.clone(),
            }),
            Level::Skipped => self.skipped.push(SkippedEntry {
                path: problem.path.clone(),
                reason: problem.message.clone(),
            }),
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary, exit_code: u8) -> io::Result<()> {
        let summary = SummaryEntry {
            files_checked: summary.files_checked,
            fixed: summary.fixed,
            suppressed: summary.suppressed,
            baselined: summary.baselined,
            findings: Findings {
                error: summary.count(Severity::Error),
                warning: summary.count(Severity::Warning),
                info: summary.count(Severity::Info),
                hint: summary.count(Severity::Hint),
            },
            errors: summary.errors,
            skipped: summary.skipped,
            exit_code,
        };
        let newline = if self.files_written == 0 { "" } else { "\n" };
        writeln!(
            out,
            "{newline}],\"errors\":{},\"skipped\":{},\"summary\":{}}}",
            serde_json::to_string(&self.errors)?,
            serde_json::to_string(&self.skipped)?,
            serde_json::to_string(&summary)?
        )
    }
}
