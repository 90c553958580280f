//! The GitHub Actions format: one workflow command per finding, which GitHub
//! shows as an annotation on the pull request.
//! <https://docs.github.com/actions/reference/workflow-commands-for-github-actions>

use std::fmt::Write as _;
use std::io::{self, Write};

use policy_analyzer::Severity;

use super::{Positions, Renderer};
use crate::report::{CheckedFile, Level, Problem, Summary};

pub struct GithubRenderer;

impl Renderer for GithubRenderer {
    fn render_file(&self, file: &CheckedFile<'_>) -> String {
        let mut out = String::new();
        if file.diagnostics.is_empty() {
            return out;
        }
        let positions = Positions::new(file.text);
        for d in file.diagnostics {
            let span = positions.span(d.range);
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info | Severity::Hint => "notice",
            };
            let mut message = format!("{} ({})", d.message, d.name);
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let _ = writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(file.path),
                span.start.line,
                span.start.column,
                span.end.line,
                span.end.column,
                escape_property(d.code),
                escape_data(&message)
            );
        }
        out
    }

    fn problem(&mut self, out: &mut dyn Write, problem: &Problem) -> io::Result<()> {
        let command = match problem.level {
            Level::Error => "error",
            Level::Skipped => "notice",
        };
        let mut line = problem
            .line
            .map(|l| format!(",line={l}"))
            .unwrap_or_default();
        if let (Some(column), false) = (problem.column, line.is_empty()) {
            line.push_str(&format!(",col={column}"));
        }
        writeln!(
            out,
            "::{command} file={}{line},title=policy-check::{}",
            escape_property(&problem.path),
            escape_data(&problem.message)
        )
    }

    fn finish(
        &mut self,
        _out: &mut dyn Write,
        _summary: &Summary,
        _exit_code: u8,
    ) -> io::Result<()> {
        Ok(())
    }
}

/// Escapes the message of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50%\na"), "50%25%0Aa");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
