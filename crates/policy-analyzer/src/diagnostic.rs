//! Diagnostics as plain data: what every check produces and every front end renders.

use std::sync::Arc;

use serde::Serialize;

use crate::host::Location;

use crate::syntax::{NodeId, Tree};
use crate::text::TextRange;

/// How serious a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
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

/// The statement a finding is in: which one, by index and `Sid`, and a
/// digest of its content that does not change when the text around it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatementRef {
    /// The statement's index in the policy's `Statement`.
    pub index: usize,
    pub sid: Option<String>,
    /// A digest of the statement's normalised content (keys sorted, no
    /// whitespace): the same for the same statement wherever it moves, and
    /// whatever the formatting. Sixteen hex digits.
    #[serde(skip)]
    pub digest: String,
}

/// A secondary range that explains the primary one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub range: TextRange,
    pub label: String,
    /// The file `range` is in, when it is not the analysed text: a resource
    /// of a template or module that uses the key, in this file or another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
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
    /// The file `range` is in, when it is not the analysed text (a host's
    /// file: a template, a Terraform module's file, a `.tpl` it renders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// The JSON pointer of the flagged node, where there is one.
    pub pointer: Option<String>,
    /// The statement the finding is in, where it is in one.
    pub statement: Option<StatementRef>,
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
            file: None,
        });
        self
    }

    /// A related location in a host file (see [`Related::file`]).
    pub fn with_related_at(mut self, at: &Location, label: impl Into<String>) -> Self {
        self.related.push(Related {
            range: at.range,
            label: label.into(),
            file: Some(at.file.clone()),
        });
        self
    }

    /// Moves the primary range to a host file (see [`Diagnostic::file`]).
    pub fn at_location(mut self, at: &Location) -> Self {
        self.range = at.range;
        self.file = Some(at.file.clone());
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
