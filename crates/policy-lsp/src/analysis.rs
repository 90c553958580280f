//! Running the analyzer on a document and deciding what of its result the
//! user sees.
//!
//! The analysis itself is `policy_analyzer::analyze`, unchanged; this module
//! only decides whether the document is one the server speaks about (a policy,
//! or a file the user named) and applies the minimum severity.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use policy_analyzer::{AnalyzeOptions, Diagnostic, Severity};
use policy_workspace::suppress::{self, FileText};
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
    /// The project's settings and the document's file, for suppressions.
    pub project: Option<Project>,
}

/// The project a document with a file belongs to.
#[derive(Clone, Debug)]
pub struct Project {
    pub settings: Arc<policy_workspace::Settings>,
    pub path: PathBuf,
}

impl Scope {
    /// The findings of one file after the config's suppressions and the
    /// file's `policy-check-ignore` comments, as the CLI applies them.
    fn suppressed(&self, path: &str, text: &str, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let Some(project) = &self.project else {
            return diagnostics;
        };
        let file = FileText {
            path,
            absolute: &project.path,
            text,
        };
        suppress::apply(&project.settings, &self.options, file, diagnostics).kept
    }
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            options: AnalyzeOptions::default(),
            enabled: true,
            min_severity: Severity::Hint,
            included: false,
            seen_policy: false,
            project: None,
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
    /// The analyzer panicked (a bug); the message is for the log. Such an
    /// analysis is no analysis: the server publishes nothing for it, since
    /// an empty list would erase the findings already shown.
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
/// is caught and returned as such (`DocumentAnalysis::panic`), so that one
/// bad rule cannot take the editor session down, and so that nobody mistakes
/// it for an analysis that found nothing (publishing that would erase the
/// findings already shown).
pub fn run(text: &str, version: i32, scope: &Scope) -> DocumentAnalysis {
    run_with(text, version, scope, policy_analyzer::analyze)
}

fn run_with(
    text: &str,
    version: i32,
    scope: &Scope,
    analyze: impl FnOnce(&str, &policy_analyzer::AnalyzeOptions) -> policy_analyzer::Analysis,
) -> DocumentAnalysis {
    if !scope.enabled {
        return DocumentAnalysis::silent(version);
    }
    let analysis = match catch_unwind(AssertUnwindSafe(|| analyze(text, &scope.options))) {
        Ok(analysis) => analysis,
        Err(payload) => {
            return DocumentAnalysis {
                panic: Some(crate::hosts::panic_message(payload)),
                ..DocumentAnalysis::silent(version)
            };
        }
    };
    let shown = analysis.is_policy || scope.included || scope.seen_policy;
    let diagnostics = if shown {
        let path = scope
            .project
            .as_ref()
            .map(|p| p.path.to_string_lossy().into_owned())
            .unwrap_or_default();
        scope
            .suppressed(&path, text, analysis.diagnostics)
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
        let mine: Vec<Diagnostic> = result
            .diagnostics
            .iter()
            .filter(|d| {
                d.file
                    .as_deref()
                    .is_none_or(|file| file == path || normalize(Path::new(file)) == here)
            })
            // The analysis ran under the config of the document that started
            // it; another file of a module may turn more rules off.
            .filter(|d| !scope.options.rules.disabled.contains(&d.code))
            .cloned()
            .collect();
        let text = files
            .iter()
            .find(|f| f.path == path || normalize(Path::new(&f.path)) == here)
            .map(|f| f.text.as_str());
        let mine = match text {
            Some(text) => scope.suppressed(path, text, mine),
            None => mine,
        };
        mine.into_iter()
            .filter(|d| d.severity >= scope.min_severity)
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
            assert!(run(text, 1, &Scope::default()).panic.is_none());
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
            result.panic.as_deref(),
            Some("byte index 1 is not a char boundary")
        );
        assert!(!result.shown && result.diagnostics.is_empty());
    }
}

/// A module's result split into its documents, without a Terraform reader:
/// the result is made by hand, as the reader would return it.
#[cfg(test)]
mod module_tests {
    use std::str::FromStr;

    use policy_analyzer::{LineIndex, PositionEncoding, Related, TextRange};
    use tower_lsp_server::lsp_types::Uri;

    use super::*;

    fn finding(code: &'static str, file: &str, range: TextRange) -> Diagnostic {
        Diagnostic {
            code,
            name: "test",
            severity: Severity::Error,
            message: format!("{code} in {file}"),
            range,
            file: Some(file.into()),
            pointer: None,
            statement: None,
            related: Vec::new(),
            help: None,
            fix: None,
            tags: Vec::new(),
        }
    }

    fn read(path: &str, text: &str, uri: Option<&str>) -> FileRead {
        FileRead {
            path: path.into(),
            text: Arc::new(text.into()),
            open: uri.map(|_| 0),
            uri: uri.map(|u| Uri::from_str(u).unwrap()),
        }
    }

    #[test]
    fn each_document_gets_the_findings_in_its_file_with_related_locations_elsewhere() {
        let main = "resource \"aws_kms_key\" \"app\" {\n  policy = templatefile(\"key.json.tpl\", {})\n}\n";
        let template = "{\n  \"Statement\": [{\"Action\": \"kms:Decrypts\"}]\n}\n";
        let fsx = "resource \"aws_fsx_lustre_file_system\" \"scratch\" {\n  kms_key_id = aws_kms_key.app.arn\n}\n";
        let typo = template.find("\"kms:Decrypts\"").unwrap();
        let consumer = fsx.find("aws_kms_key.app.arn").unwrap();
        let mut in_template = finding(
            "PC201",
            "/m/./key.json.tpl",
            TextRange::new(typo, typo + 14),
        );
        in_template.related.push(Related {
            range: TextRange::new(consumer, consumer + 19),
            label: "FileSystem `scratch` uses this key here".into(),
            file: Some("/m/fsx.tf".into()),
        });
        let result = HostResult {
            policies: 1,
            diagnostics: vec![
                in_template,
                finding("PC602", "/m/main.tf", TextRange::new(0, 8)),
                finding("PC004", "/m/main.tf", TextRange::new(9, 10)),
            ],
            files: Vec::new(),
            panic: None,
        };
        let files: Arc<[FileRead]> = vec![
            read("/m/main.tf", main, Some("file:///m/main.tf")),
            read("/m/fsx.tf", fsx, None),
            read(
                "/m/./key.json.tpl",
                template,
                Some("file:///m/key.json.tpl"),
            ),
        ]
        .into();

        let scope = Scope {
            options: AnalyzeOptions {
                rules: policy_analyzer::RuleSelection {
                    disabled: vec!["PC004"],
                    ..Default::default()
                },
                ..AnalyzeOptions::default()
            },
            ..Scope::default()
        };
        let main_part = host_document(&result, &files, "/m/main.tf", 3, &scope);
        assert!(main_part.shown && main_part.is_policy);
        let codes: Vec<&str> = main_part.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["PC602"], "PC004 is off in this document's config");

        // The template was named `/m/./key.json.tpl` by the reader.
        let template_part = host_document(&result, &files, "/m/key.json.tpl", 7, &Scope::default());
        assert_eq!(template_part.version, 7);
        assert_eq!(template_part.diagnostics.len(), 1);
        let uri = Uri::from_str("file:///m/key.json.tpl").unwrap();
        let index = LineIndex::new(template);
        let mapper = PositionMapper::new(template, &index, PositionEncoding::Utf16);
        let lsp = lsp_diagnostics(&template_part, &uri, &mapper);
        assert_eq!(lsp[0].range.start.line, 1);
        assert_eq!(lsp[0].range.start.character, 27);
        // The consumer is in a file that is not open: its location is the
        // file's URI, at its line and column.
        let related = &lsp[0].related_information.as_ref().unwrap()[0];
        assert_eq!(related.location.uri.as_str(), "file:///m/fsx.tf");
        assert_eq!(related.location.range.start.line, 1);
        assert_eq!(related.location.range.start.character, 15);
        assert_eq!(related.message, "FileSystem `scratch` uses this key here");

        // A module without a key shows nothing, unless the document was
        // named by `include` or showed a policy before.
        let keyless = HostResult {
            policies: 0,
            ..HostResult::default()
        };
        assert!(!host_document(&keyless, &files, "/m/main.tf", 1, &Scope::default()).shown);
        let seen = Scope {
            seen_policy: true,
            ..Scope::default()
        };
        assert!(host_document(&keyless, &files, "/m/main.tf", 1, &seen).shown);
    }
}
