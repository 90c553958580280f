//! Turning diagnostics into output. Line and column numbers exist only here.

pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod summary;

use std::io::{self, Write};
use std::path::PathBuf;

use policy_analyzer::user_rules::UserRules;
use policy_analyzer::{LineIndex, PositionEncoding, TextRange};

use crate::cli::Format;
use crate::report::{CheckedFile, Problem, Summary};

/// One output format. Files are rendered in parallel (`render_file` takes
/// `&self`); the results are written in path order on one thread.
pub trait Renderer: Sync {
    /// Writes what comes before the first file.
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    /// The output for one checked file; may be empty.
    fn render_file(&self, file: &CheckedFile<'_>) -> String;

    /// Writes one file's rendered output.
    fn write_file(&mut self, out: &mut dyn Write, rendered: &str) -> io::Result<()> {
        out.write_all(rendered.as_bytes())
    }

    /// Records a problem. Every format also gets it on standard error, from
    /// the runner; formats that carry problems in their document keep them here.
    fn problem(&mut self, _out: &mut dyn Write, _problem: &Problem) -> io::Result<()> {
        Ok(())
    }

    /// Records the user rules the files written next were checked with
    /// (their config's rule packs): formats that describe their rules keep them.
    fn user_rules(&mut self, _rules: &UserRules) {}

    /// Writes what comes after the last file.
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary, exit_code: u8) -> io::Result<()>;
}

/// The renderer for `--format`.
/// `cwd` is what relative paths in SARIF resolve against.
pub fn renderer(
    format: Format,
    color: bool,
    width: usize,
    quiet: bool,
    cwd: PathBuf,
) -> Box<dyn Renderer> {
    match format {
        Format::Human => Box::new(human::HumanRenderer::new(color, width, quiet)),
        Format::Json => Box::new(json::JsonRenderer::default()),
        Format::Sarif => Box::new(sarif::SarifRenderer::new(cwd)),
        Format::Github => Box::new(github::GithubRenderer),
        Format::Concise => Box::new(concise::ConciseRenderer::new(color, quiet)),
    }
}

/// A 1-based line and column, columns counted in Unicode scalar values:
/// what every machine-readable format of the CLI uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A range as 1-based positions; `end` is exclusive (just past the last character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    pub start: Position,
    pub end: Position,
}

/// Converts byte ranges of one file to positions.
pub struct Positions<'a> {
    text: &'a str,
    index: LineIndex,
}

impl<'a> Positions<'a> {
    pub fn new(text: &'a str) -> Self {
        Positions {
            text,
            index: LineIndex::new(text),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn position(&self, offset: u32) -> Position {
        let lc = self
            .index
            .line_col(self.text, offset as usize, PositionEncoding::Utf32);
        Position {
            line: lc.line + 1,
            column: lc.col + 1,
        }
    }

    /// The whole lines `range` touches, without the last line's ending.
    pub fn lines_around(&self, range: TextRange) -> TextRange {
        let line_of = |offset: u32| {
            self.index
                .line_col(self.text, offset as usize, PositionEncoding::Utf8)
                .line as usize
        };
        let first = self.index.line_range(self.text, line_of(range.start));
        let last = self.index.line_range(self.text, line_of(range.end));
        TextRange::new(first.start as usize, last.end.max(first.start) as usize)
    }

    pub fn span(&self, range: TextRange) -> Span {
        Span {
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }
}
