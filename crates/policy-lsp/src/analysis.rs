//! Running the analyzer on a document and deciding what of its result the
//! user sees.
//!
//! The analysis itself is `policy_analyzer::analyze`, unchanged; this module
//! only decides whether the document is one the server speaks about (a policy,
//! or a file the user named) and applies the minimum severity.

use std::panic::{catch_unwind, AssertUnwindSafe};

use policy_analyzer::{AnalyzeOptions, Diagnostic, Severity};
use tower_lsp_server::lsp_types::{self, Uri};

use crate::convert::{self, PositionMapper};

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
}

/// The analyzer panicked (a bug): the panic's message, for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panicked(pub String);

/// Analyses `text` under `scope`. Never panics: a panic inside the analyzer
/// is caught and returned as such, so that one bad rule cannot take the
/// editor session down, and so that nobody mistakes it for an analysis that
/// found nothing (publishing that would erase the findings already shown).
pub fn run(text: &str, version: i32, scope: &Scope) -> Result<DocumentAnalysis, Panicked> {
    run_with(text, version, scope, policy_analyzer::analyze)
}

fn run_with(
    text: &str,
    version: i32,
    scope: &Scope,
    analyze: impl FnOnce(&str, &policy_analyzer::AnalyzeOptions) -> policy_analyzer::Analysis,
) -> Result<DocumentAnalysis, Panicked> {
    if !scope.enabled {
        return Ok(DocumentAnalysis {
            version,
            is_policy: false,
            shown: false,
            diagnostics: Vec::new(),
        });
    }
    let analysis =
        catch_unwind(AssertUnwindSafe(|| analyze(text, &scope.options))).map_err(|payload| {
            Panicked(
                payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_string()),
            )
        })?;
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
    Ok(DocumentAnalysis {
        version,
        is_policy: analysis.is_policy,
        shown,
        diagnostics,
    })
}

/// The analysis as LSP diagnostics of `uri`.
pub fn lsp_diagnostics(
    analysis: &DocumentAnalysis,
    uri: &Uri,
    mapper: &PositionMapper<'_>,
) -> Vec<lsp_types::Diagnostic> {
    convert::diagnostics(&analysis.diagnostics, uri, mapper)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A complete key policy (Version, account-root statement) whose only
    /// defect is a trailing comma, so no other rule pack reports anything.
    const BROKEN_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*",}]}"#;

    #[test]
    fn policies_are_shown_and_other_json_is_not() {
        let policy = run(BROKEN_POLICY, 1, &Scope::default()).unwrap();
        assert!(policy.is_policy && policy.shown);
        let codes: Vec<&str> = policy.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["PC004"]);
        let other = run(r#"{"name": "x",}"#, 1, &Scope::default()).unwrap();
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
            let analysis = run(text, 1, &scope).unwrap();
            assert!(analysis.shown && !analysis.diagnostics.is_empty());
        }
    }

    #[test]
    fn minimum_severity_and_enable_filter() {
        let errors_only = Scope {
            min_severity: Severity::Error,
            ..Scope::default()
        };
        assert!(!run(BROKEN_POLICY, 1, &errors_only)
            .unwrap()
            .diagnostics
            .is_empty());
        let disabled = Scope {
            enabled: false,
            ..Scope::default()
        };
        assert!(run(BROKEN_POLICY, 1, &disabled)
            .unwrap()
            .diagnostics
            .is_empty());
    }

    #[test]
    fn empty_and_binaryish_text_analyse_quietly() {
        for text in ["", "   ", "\u{0}\u{1}", "[[[[[[", "{\"Statement\": "] {
            assert!(run(text, 1, &Scope::default()).is_ok());
        }
    }

    /// Issue 14: a panic in the analyzer gave an analysis with no findings,
    /// which the server published, erasing the findings already shown.
    #[test]
    fn a_panic_is_not_an_analysis_without_findings() {
        let result = run_with(BROKEN_POLICY, 1, &Scope::default(), |_, _| {
            panic!("byte index 1 is not a char boundary")
        });
        assert_eq!(
            result.unwrap_err(),
            Panicked("byte index 1 is not a char boundary".into())
        );
    }
}
