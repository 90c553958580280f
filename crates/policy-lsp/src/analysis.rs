//! Running the analyzer on a document and deciding what of its result the
//! user sees.
//!
//! The analysis itself is `policy_analyzer::analyze`, unchanged; this module
//! only decides whether the document is one the server speaks about (a policy,
//! or a file the user named) and applies the minimum severity.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use policy_analyzer::{AnalyzeOptions, Diagnostic, Severity};
use tower_lsp_server::lsp_types::{self, Uri};

use crate::convert::{self, PositionMapper, Target};
use crate::hosts::{normalize, FileRead, HostResult};

/// What governs one analysis of one document.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Rule selection and severities from the project's config.
    pub options: AnalyzeOptions,
    /// The client's `enable` setting.
    pub enabled: bool,
    /// The client's `minSeverity` setting.
    pub min_severity: Severity,
    /// Named by an `include` glob (settings or config): diagnosed even
    /// without a top-level `Statement`.
    pub included: bool,
    /// An earlier analysis saw a policy in this document (see
    /// `Document::seen_policy`).
    pub seen_policy: bool,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            options: AnalyzeOptions::default(),
            enabled: true,
            min_severity: Severity::Hint,
            included: false,
            seen_policy: false,
        }
    }
}

/// The outcome of analysing one version of a document.
#[derive(Clone, Debug)]
pub struct DocumentAnalysis {
    pub version: i32,
    /// The analyzer recognised a policy (top-level `Statement`).
    pub is_policy: bool,
    /// Whether the server speaks about this document at all. When false,
    /// `diagnostics` is empty and nothing is published unless an earlier
    /// publish has to be cleared.
    pub shown: bool,
    /// The diagnostics the user sees: at or above the minimum severity.
    pub diagnostics: Vec<Diagnostic>,
    /// The analyzer panicked (a bug); the message is for the log.
    pub panic: Option<String>,
    /// For a host document, its name in the analysis (`Diagnostic::file`)
    /// and every file the analysis read, for related locations in them.
    pub host: Option<HostFiles>,
}

/// The files of a host analysis, as one document's diagnostics refer to them.
#[derive(Clone, Debug)]
pub struct HostFiles {
    /// The document's name in the analysis.
    pub path: String,
    pub files: Arc<[FileRead]>,
}

impl DocumentAnalysis {
    /// Where this analysis' ranges are converted: in the document `uri`,
    /// and for related locations in the other files it read.
    pub fn target<'a>(&'a self, uri: &'a Uri, mapper: &'a PositionMapper<'a>) -> Target<'a> {
        match &self.host {
            Some(host) => Target::with_files(uri, mapper, &host.path, &host.files),
            None => Target::new(uri, mapper),
        }
    }
}

/// Analyses `text` under `scope`. Never panics: a panic inside the analyzer
/// is caught and reported as an analysis without diagnostics, so that one bad
/// rule cannot take the editor session down.
pub fn run(text: &str, version: i32, scope: &Scope) -> DocumentAnalysis {
    if !scope.enabled {
        return DocumentAnalysis::silent(version);
    }
    let analysis = match catch_unwind(AssertUnwindSafe(|| {
        policy_analyzer::analyze(text, &scope.options)
    })) {
        Ok(analysis) => analysis,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            return DocumentAnalysis {
                panic: Some(message),
                ..DocumentAnalysis::silent(version)
            };
        }
    };
    let shown = analysis.is_policy || scope.included || scope.seen_policy;
    let diagnostics = if shown {
        analysis
            .diagnostics
            .into_iter()
            .filter(|d| d.severity >= scope.min_severity)
            .collect()
    } else {
        Vec::new()
    };
    DocumentAnalysis {
        version,
        is_policy: analysis.is_policy,
        shown,
        diagnostics,
        panic: None,
        host: None,
    }
}

impl DocumentAnalysis {
    /// An analysis that shows nothing: the server is disabled, or no reader
    /// takes the document (YAML that is not a template).
    pub fn silent(version: i32) -> DocumentAnalysis {
        DocumentAnalysis {
            version,
            is_policy: false,
            shown: false,
            diagnostics: Vec::new(),
            panic: None,
            host: None,
        }
    }
}

/// One document's part of a host analysis (of the document alone, or of the
/// module it belongs to): the findings in the file `path`, under the
/// document's own scope. A host that holds a key policy is shown, as a JSON
/// document with a `Statement` is.
pub fn host_document(
    result: &HostResult,
    files: &Arc<[FileRead]>,
    path: &str,
    version: i32,
    scope: &Scope,
) -> DocumentAnalysis {
    if !scope.enabled {
        return DocumentAnalysis::silent(version);
    }
    let is_policy = result.policies > 0;
    let shown = is_policy || scope.included || scope.seen_policy;
    let here = normalize(Path::new(path));
    let mut diagnostics: Vec<Diagnostic> = if shown {
        result
            .diagnostics
            .iter()
            .filter(|d| {
                d.file
                    .as_deref()
                    .is_none_or(|file| file == path || normalize(Path::new(file)) == here)
            })
            // The analysis ran under the config of the document that started
            // it; another file of a module may turn more rules off.
            .filter(|d| d.severity >= scope.min_severity && !scope.options.rules.disabled.contains(&d.code))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    diagnostics.sort_by(|a, b| {
        (a.range.start, a.range.end, a.code).cmp(&(b.range.start, b.range.end, b.code))
    });
    DocumentAnalysis {
        version,
        is_policy,
        shown,
        diagnostics,
        panic: result.panic.clone(),
        host: Some(HostFiles {
            path: path.to_string(),
            files: Arc::clone(files),
        }),
    }
}

/// The analysis as LSP diagnostics of `uri`.
pub fn lsp_diagnostics(
    analysis: &DocumentAnalysis,
    uri: &Uri,
    mapper: &PositionMapper<'_>,
) -> Vec<lsp_types::Diagnostic> {
    convert::diagnostics(&analysis.diagnostics, &analysis.target(uri, mapper))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete key policy (Version, account-root statement) whose only
    /// defect is a trailing comma, so no other rule pack reports anything.
    const BROKEN_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*",}]}"#;

    #[test]
    fn policies_are_shown_and_other_json_is_not() {
        let policy = run(BROKEN_POLICY, 1, &Scope::default());
        assert!(policy.is_policy && policy.shown);
        let codes: Vec<&str> = policy.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["PC004"]);
        let other = run(r#"{"name": "x",}"#, 1, &Scope::default());
        assert!(!other.shown && other.diagnostics.is_empty());
    }

    #[test]
    fn included_or_once_seen_documents_are_shown_without_a_statement() {
        let text = r#"x{"name": "x",}"#;
        for scope in [
            Scope {
                included: true,
                ..Scope::default()
            },
            Scope {
                seen_policy: true,
                ..Scope::default()
            },
        ] {
            let analysis = run(text, 1, &scope);
            assert!(analysis.shown && !analysis.diagnostics.is_empty());
        }
    }

    #[test]
    fn minimum_severity_and_enable_filter() {
        let errors_only = Scope {
            min_severity: Severity::Error,
            ..Scope::default()
        };
        assert!(!run(BROKEN_POLICY, 1, &errors_only).diagnostics.is_empty());
        let disabled = Scope {
            enabled: false,
            ..Scope::default()
        };
        assert!(run(BROKEN_POLICY, 1, &disabled).diagnostics.is_empty());
    }

    #[test]
    fn empty_and_binaryish_text_analyse_quietly() {
        for text in ["", "   ", "\u{0}\u{1}", "[[[[[[", "{\"Statement\": "] {
            let analysis = run(text, 1, &Scope::default());
            assert!(analysis.panic.is_none());
        }
    }
}
