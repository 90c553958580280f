//! The human format: miette's graphical report with the source snippet,
//! labels and help, then a one-line summary.

use std::borrow::Cow;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use policy_analyzer::{Applicability, Diagnostic, LineIndex, PositionEncoding, Severity};

use super::Renderer;
use crate::report::{CheckedFile, Summary};

/// Snippets longer than this are not shown (a 50 MB one-line file, or
/// labels megabytes apart); the location is given instead.
const MAX_SNIPPET_BYTES: usize = 64 * 1024;

/// Renders one file's diagnostics (used by the fixture snapshots).
pub fn render(
    path: &str,
    text: &str,
    diagnostics: &[Diagnostic],
    color: bool,
    width: usize,
) -> String {
    HumanRenderer::new(color, width, true)
        .without_blank_lines()
        .render_file(&CheckedFile {
            path,
            text,
            diagnostics,
            others: &[],
        })
}

/// The human format. The miette handler is built once per run.
pub struct HumanRenderer {
    handler: GraphicalReportHandler,
    color: bool,
    quiet: bool,
    /// A blank line after each diagnostic, so reports stand apart.
    blank_lines: bool,
}

impl HumanRenderer {
    pub fn new(color: bool, width: usize, quiet: bool) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            .with_links(false)
            .with_context_lines(1);
        HumanRenderer {
            handler,
            color,
            quiet,
            blank_lines: true,
        }
    }

    /// Without the blank line after each diagnostic, as the fixture snapshots were taken.
    pub fn without_blank_lines(mut self) -> Self {
        self.blank_lines = false;
        self
    }
}

impl Renderer for HumanRenderer {
    fn render_file(&self, file: &CheckedFile<'_>) -> String {
        let mut out = String::new();
        if file.diagnostics.is_empty() {
            return out;
        }
        let text = lone_carriage_returns_as_newlines(file.text);
        let index = LineIndex::new(&text);
        let source = Source {
            name: file.path,
            text: &text,
            index: &index,
        };
        for d in file.diagnostics {
            let mut report = Report {
                diagnostic: to_miette(d, file),
                source: Some(&source),
            };
            if snippet_len(d, &index, &text) > MAX_SNIPPET_BYTES {
                let lc = index.line_col(&text, d.range.start as usize, PositionEncoding::Utf32);
                report.diagnostic.message = format!(
                    "{}\n(at {}:{}:{}; the source is too long to show)",
                    report.diagnostic.message,
                    file.path,
                    lc.line + 1,
                    lc.col + 1
                );
                report.diagnostic.labels = None;
                report.source = None;
            }
            if self.handler.render_report(&mut out, &report).is_err() {
                // Rendering only fails on a broken formatter; fall back to one line.
                out.push_str(&format!("{}: {} {}\n", file.path, d.code, d.message));
            }
            if self.blank_lines {
                out.push('\n');
            }
        }
        out
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &Summary, _exit_code: u8) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        writeln!(out, "{}", super::summary::line(summary, self.color))
    }
}

/// The bytes from the start of the first labelled line to the end of the last.
fn snippet_len(d: &Diagnostic, index: &LineIndex, text: &str) -> usize {
    let ranges = std::iter::once(d.range).chain(
        d.related
            .iter()
            .filter(|r| r.file.is_none() || d.file == r.file)
            .map(|r| r.range),
    );
    let start = ranges.clone().map(|r| r.start).min().unwrap_or(0) as usize;
    let end = ranges.map(|r| r.end).max().unwrap_or(0) as usize;
    let line_of = |offset| index.line_col(text, offset, PositionEncoding::Utf8).line as usize;
    let first = index.line_range(text, line_of(start));
    let last = index.line_range(text, line_of(end));
    (last.end as usize).saturating_sub(first.start as usize)
}

/// miette counts lines at `\n` only, while the line index (and every editor)
/// also ends one at a lone `\r`: shown as `\n`, such a file gets the same line
/// numbers in the snippets as in every other format. One byte for one, so
/// every offset stays where it was.
fn lone_carriage_returns_as_newlines(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone_crs =
        || (0..bytes.len()).filter(|&i| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    if lone_crs().next().is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for i in lone_crs() {
        out.push_str(&text[rest..i]);
        out.push('\n');
        rest = i + 1;
    }
    out.push_str(&text[rest..]);
    Cow::Owned(out)
}

fn to_miette(d: &Diagnostic, file: &CheckedFile<'_>) -> MietteDiagnostic {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info | Severity::Hint => miette::Severity::Advice,
    };
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(d.name.to_string()),
        (d.range.start as usize, d.range.len()),
    )];
    let here = |r: &&policy_analyzer::Related| r.file.as_deref().is_none_or(|f| f == file.path);
    labels.extend(d.related.iter().filter(here).map(|r| {
        LabeledSpan::new_with_span(
            Some(r.label.clone()),
            (r.range.start as usize, r.range.len()),
        )
    }));
    let mut help = d.help.clone();
    // Related places in other files, as `path:line:column: label`.
    for r in d.related.iter().filter(|r| !here(r)) {
        let place = match file.text_of(r.file.as_deref()) {
            Some((path, text)) => {
                let lc = LineIndex::new(text).line_col(
                    text,
                    r.range.start as usize,
                    PositionEncoding::Utf32,
                );
                format!("{path}:{}:{}", lc.line + 1, lc.col + 1)
            }
            None => r.file.as_deref().unwrap_or_default().to_string(),
        };
        let line = format!("{place}: {}", r.label);
        help = Some(match help {
            Some(h) => format!("{h}\n{line}"),
            None => line,
        });
    }
    if let Some(fix) = &d.fix {
        let kind = match fix.applicability {
            Applicability::Safe => "fix",
            Applicability::Unsafe => "fix (review before applying)",
        };
        let line = format!("{kind}: {}", fix.title);
        help = Some(match help {
            Some(h) => format!("{h}\n{line}"),
            None => line,
        });
    }
    let mut m = MietteDiagnostic::new(d.message.clone())
        .with_code(format!("{}({})", d.code, d.severity.as_str()))
        .with_severity(severity)
        .with_labels(labels);
    if let Some(h) = help {
        m = m.with_help(h);
    }
    m
}

/// A diagnostic with borrowed source code, so that rendering copies no text.
#[derive(Debug)]
struct Report<'a> {
    diagnostic: MietteDiagnostic,
    source: Option<&'a Source<'a>>,
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.diagnostic, f)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diagnostic.code()
    }
    fn severity(&self) -> Option<miette::Severity> {
        self.diagnostic.severity
    }
    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diagnostic.help()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.diagnostic.labels()
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|s| s as &dyn SourceCode)
    }
}

/// A file's text for miette. miette's own `SourceCode for str` scans from the
/// start of the text for every span it reads; this one starts the same scan
/// at the nearest line found through the line index, so a diagnostic near
/// the end of a 50 MB file costs no more than one near the start. The
/// results are identical for text with `\n` or `\r\n` line ends (and lone `\r`
/// are shown as `\n`, see `lone_carriage_returns_as_newlines`).
#[derive(Debug)]
struct Source<'a> {
    name: &'a str,
    text: &'a str,
    index: &'a LineIndex,
}

impl SourceCode for Source<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let line = self
            .index
            .line_col(self.text, span.offset(), PositionEncoding::Utf8)
            .line as usize;
        let first_line = line.saturating_sub(context_lines_before);
        let window_start = self.index.offset(
            self.text,
            policy_analyzer::LineCol {
                line: first_line as u32,
                col: 0,
            },
            PositionEncoding::Utf8,
        );
        let window = &self.text[window_start..];
        let shifted = SourceSpan::new((span.offset() - window_start).into(), span.len());
        let inner = window.read_span(&shifted, context_lines_before, context_lines_after)?;
        let contents = MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + window_start).into(),
                inner.span().len(),
            ),
            inner.line() + first_line,
            inner.column(),
            inner.line_count() + first_line,
        )
        .with_language("json");
        Ok(Box::new(contents))
    }
}

#[cfg(test)]
mod tests {
    use policy_analyzer::{Diagnostic, TextRange};

    use super::*;

    fn diagnostic(range: TextRange) -> Diagnostic {
        Diagnostic {
            code: "PC999",
            name: "test-rule",
            severity: Severity::Warning,
            message: "something is wrong".into(),
            range,
            file: None,
            pointer: None,
            statement: None,
            related: Vec::new(),
            help: Some("do this".into()),
            fix: None,
            tags: Vec::new(),
        }
    }

    #[test]
    fn a_snippet_near_the_end_of_a_long_text() {
        let mut text = "{\n".repeat(100_000);
        text.push_str("  \"Statement\": x\n}\n");
        let at = text.find('x').unwrap();
        let out = render(
            "big.json",
            &text,
            &[diagnostic(TextRange::new(at, at + 1))],
            false,
            100,
        );
        assert!(out.contains("[big.json:100001:16]"), "{out}");
        assert!(out.contains("100001 │   \"Statement\": x"), "{out}");
        assert!(
            out.contains("100000 │ {"),
            "one line of context before: {out}"
        );
    }

    #[test]
    fn a_huge_range_is_located_but_not_shown() {
        let text = format!(
            "{{\"Statement\": [\n{}]}}\n",
            "{\"Effect\": \"Allow\"},\n".repeat(10_000)
        );
        let out = render(
            "big.json",
            &text,
            &[diagnostic(TextRange::new(0, text.len()))],
            false,
            100,
        );
        assert!(
            out.contains("(at big.json:1:1; the source is too long to show)"),
            "{out}"
        );
        assert!(out.len() < 1000, "{} bytes", out.len());
        assert!(out.contains("help: do this"), "{out}");
    }
}
