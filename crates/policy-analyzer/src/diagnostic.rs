//! Diagnostics as plain data: what every check produces and every front end renders.

use serde::Serialize;

use crate::syntax::{NodeId, Tree};
use crate::text::TextRange;

/// How serious a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "hint" => Some(Severity::Hint),
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Extra meaning an editor can show (greyed out, struck through).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticTag {
    /// The flagged text has no effect.
    Unnecessary,
    /// The flagged text uses something deprecated.
    Deprecated,
}

/// A secondary range that explains the primary one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub range: TextRange,
    pub label: String,
}

/// A replacement of one range of the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextEdit {
    pub range: TextRange,
    pub replacement: String,
}

/// Whether a fix may be applied without a human looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the meaning the author evidently intended; safe to apply automatically.
    Safe,
    /// Changes what the policy allows; offered, never applied without review.
    Unsafe,
}

/// A fix: edits that never overlap, applied together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<TextEdit>,
}

impl Fix {
    pub fn replace(
        title: impl Into<String>,
        range: TextRange,
        replacement: impl Into<String>,
    ) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Safe,
            edits: vec![TextEdit {
                range,
                replacement: replacement.into(),
            }],
        }
    }

    pub fn unsafe_(mut self) -> Fix {
        self.applicability = Applicability::Unsafe;
        self
    }

    /// Applies the fix to `text`. Edits are applied back to front so earlier
    /// offsets stay valid.
    pub fn apply(&self, text: &str) -> String {
        let mut edits: Vec<&TextEdit> = self.edits.iter().collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        let mut out = text.to_string();
        for edit in edits {
            out.replace_range(edit.range.as_usize(), &edit.replacement);
        }
        out
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `PC201`.
    pub code: &'static str,
    /// Kebab-case rule name, e.g. `unknown-action`.
    pub name: &'static str,
    pub severity: Severity,
    /// What is wrong and why, naming the concrete values.
    pub message: String,
    /// The primary range.
    pub range: TextRange,
    /// The JSON pointer of the flagged node, where there is one.
    pub pointer: Option<String>,
    pub related: Vec<Related>,
    /// What to do.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    pub tags: Vec<DiagnosticTag>,
}

impl Diagnostic {
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, range: TextRange, label: impl Into<String>) -> Self {
        self.related.push(Related {
            range,
            label: label.into(),
        });
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_fix_opt(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }

    /// Records the JSON pointer of `node`, when a pointer can name it (not
    /// under a member that a later duplicate key shadows).
    pub fn at_node(mut self, tree: &Tree<'_>, node: NodeId) -> Self {
        self.pointer = tree.addressable_pointer(node);
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
