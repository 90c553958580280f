//! The concise format: one line per finding, `path:line:column: CODE
//! message`, as compilers and ruff's `concise` print them, then the summary.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Positions, Renderer};
use crate::report::{CheckedFile, Summary};

pub struct ConciseRenderer {
    color: bool,
    quiet: bool,
}

impl ConciseRenderer {
    pub fn new(color: bool, quiet: bool) -> Self {
        ConciseRenderer { color, quiet }
    }
}

impl Renderer for ConciseRenderer {
    fn render_file(&self, file: &CheckedFile<'_>) -> String {
        let mut out = String::new();
        if file.diagnostics.is_empty() {
            return out;
        }
        let positions = Positions::new(file.text);
        for d in file.diagnostics {
            let at = positions.position(d.range.start);
            let code = if self.color {
                format!("\x1b[1;31m{}\x1b[0m", d.code)
            } else {
                d.code.to_string()
            };
            let _ = writeln!(
                out,
                "{}:{}:{}: {code} [{}] {}",
                file.path, at.line, at.column, d.severity, d.message
            );
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
