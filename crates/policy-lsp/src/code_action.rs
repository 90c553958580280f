//! Code actions: every analyzer fix as a quick fix, and a "fix all" source
//! action that applies the safe ones together.
//!
//! Fixes come from the analysis the diagnostics were published from, so a
//! quick fix always matches the diagnostic the user sees.

use std::collections::HashMap;

use policy_analyzer::{Applicability, Diagnostic as AnalyzerDiagnostic, TextRange};
use tower_lsp_server::lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, TextEdit, Uri, WorkspaceEdit,
};

use crate::analysis::DocumentAnalysis;
use crate::convert::{self, PositionMapper, Target};

/// The kind of the "fix all" action, under the standard `source.fixAll`.
pub const FIX_ALL_KIND: &str = "source.fixAll.policy-check";

/// Whether the client asked for actions of `kind` (`only` lists kinds or
/// their parents: `source` includes `source.fixAll`).
fn wanted(only: Option<&[CodeActionKind]>, kind: &str, by_default: bool) -> bool {
    match only {
        None => by_default,
        Some(kinds) => kinds.iter().any(|k| {
            let k = k.as_str();
            kind == k || (kind.starts_with(k) && kind[k.len()..].starts_with('.')) || k.is_empty()
        }),
    }
}

/// The code actions for the byte range `range` of the document.
pub fn code_actions(
    analysis: &DocumentAnalysis,
    uri: &Uri,
    mapper: &PositionMapper<'_>,
    range: TextRange,
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    let target = analysis.target(uri, mapper);
    if wanted(only, CodeActionKind::QUICKFIX.as_str(), true) {
        for d in &analysis.diagnostics {
            let Some(fix) = &d.fix else { continue };
            if !overlaps(d.range, range) {
                continue;
            }
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![convert::diagnostic(d, &target)]),
                edit: Some(edit(uri, convert::fix_edits(fix, mapper))),
                // A safe fix keeps what the author evidently meant: the one
                // obvious fix, which editors apply with a single keystroke.
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..CodeAction::default()
            }));
        }
    }
    if wanted(only, FIX_ALL_KIND, false) {
        if let Some(action) = fix_all(&analysis.diagnostics, &target) {
            actions.push(CodeActionOrCommand::CodeAction(action));
        }
    }
    actions
}

/// Touching counts: a cursor right after a trailing comma still gets its fix.
fn overlaps(a: TextRange, b: TextRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

fn edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// All safe fixes in one edit. A fix whose edits overlap an earlier fix's is
/// left for a second round: applying both could garble the text.
fn fix_all(diagnostics: &[AnalyzerDiagnostic], target: &Target<'_>) -> Option<CodeAction> {
    let (uri, mapper) = (target.uri(), target.mapper());
    let mut taken: Vec<TextRange> = Vec::new();
    let mut edits = Vec::new();
    let mut fixed = Vec::new();
    for d in diagnostics {
        let Some(fix) = d
            .fix
            .as_ref()
            .filter(|f| f.applicability == Applicability::Safe)
        else {
            continue;
        };
        let clashes = fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.range.start < t.end && t.start < e.range.end || e.range == *t)
        });
        if clashes {
            continue;
        }
        taken.extend(fix.edits.iter().map(|e| e.range));
        edits.extend(convert::fix_edits(fix, mapper));
        fixed.push(convert::diagnostic(d, target));
    }
    if edits.is_empty() {
        return None;
    }
    Some(CodeAction {
        title: format!(
            "Fix all safely fixable policy-check problems ({})",
            fixed.len()
        ),
        kind: Some(CodeActionKind::from(FIX_ALL_KIND)),
        diagnostics: Some(fixed),
        edit: Some(edit(uri, edits)),
        ..CodeAction::default()
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use policy_analyzer::{LineIndex, PositionEncoding};

    use super::*;
    use crate::analysis::{run, Scope};

    fn actions(text: &str, range: TextRange, only: Option<&[CodeActionKind]>) -> Vec<CodeAction> {
        let analysis = run(text, 1, &Scope::default());
        let index = LineIndex::new(text);
        let mapper = PositionMapper::new(text, &index, PositionEncoding::Utf16);
        let uri = Uri::from_str("file:///tmp/key.json").unwrap();
        code_actions(&analysis, &uri, &mapper, range, only)
            .into_iter()
            .map(|a| match a {
                CodeActionOrCommand::CodeAction(a) => a,
                CodeActionOrCommand::Command(_) => panic!("commands are not produced"),
            })
            .collect()
    }

    /// A complete key policy (Version, account-root statement) whose only
    /// defects are three trailing commas, each with a safe fix.
    const TWO_COMMAS: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Enable IAM User Permissions\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Resource\": \"*\", \"Action\": [\"kms:*\",],},]}";

    #[test]
    fn a_trailing_comma_gets_a_preferred_quick_fix() {
        let comma = TWO_COMMAS.find(",]").unwrap();
        let found = actions(TWO_COMMAS, TextRange::empty(comma + 1), None);
        assert_eq!(found.len(), 1);
        let action = &found[0];
        assert_eq!(action.kind, Some(CodeActionKind::QUICKFIX));
        assert_eq!(action.is_preferred, Some(true));
        let edits = action
            .edit
            .as_ref()
            .unwrap()
            .changes
            .as_ref()
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!(edits[0].new_text, "");
        assert_eq!(edits[0].range.start.character as usize, comma);
        assert_eq!(
            action.diagnostics.as_ref().unwrap()[0].code,
            Some(tower_lsp_server::lsp_types::NumberOrString::String(
                "PC004".into()
            ))
        );
    }

    #[test]
    fn fix_all_only_when_asked() {
        let everything = TextRange::new(0, TWO_COMMAS.len() as u32 as usize);
        let quick = actions(TWO_COMMAS, everything, None);
        assert_eq!(quick.len(), 3);
        for action in &quick {
            assert_eq!(
                action.diagnostics.as_ref().unwrap()[0].code,
                Some(tower_lsp_server::lsp_types::NumberOrString::String(
                    "PC004".into()
                ))
            );
        }
        let source = [CodeActionKind::SOURCE];
        let all = actions(TWO_COMMAS, everything, Some(&source));
        assert_eq!(all.len(), 1);
        let edits = all[0]
            .edit
            .as_ref()
            .unwrap()
            .changes
            .as_ref()
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!(edits.len(), 3);
        assert!(edits.iter().all(|e| e.new_text.is_empty()));
        assert_eq!(
            all[0].title,
            "Fix all safely fixable policy-check problems (3)"
        );
        let quickfix_only = [CodeActionKind::QUICKFIX];
        assert_eq!(
            actions(TWO_COMMAS, everything, Some(&quickfix_only)).len(),
            3
        );
    }

    /// The conditions pack's fix (PC304) renames the operator; whatever rule
    /// produces it, the server must turn the byte edit into the right LSP
    /// edit, also after non-ASCII text. The diagnostic is built by hand so
    /// that only the conversion is under test.
    #[test]
    fn a_rule_fix_becomes_an_lsp_edit_in_the_negotiated_encoding() {
        let text = "{\"Statement\": [{\"Sid\": \"Cl\u{e9} \u{1f511}\", \"Condition\": {\"StringEquals\": {\"kms:EncryptionContext:aws:s3:arn\": \"arn:aws:s3:::b/*\"}}}]}";
        let operator = text.find("\"StringEquals\"").unwrap();
        let operator = TextRange::new(operator, operator + "\"StringEquals\"".len());
        let value = text.find("\"arn:").unwrap();
        let diagnostic = AnalyzerDiagnostic {
            code: "PC399",
            name: "wildcard-in-non-like-operator",
            severity: policy_analyzer::Severity::Error,
            message: "StringEquals compares `*` literally".into(),
            range: TextRange::new(value, value + 18),
            file: None,
            pointer: None,
            statement: None,
            related: Vec::new(),
            help: None,
            fix: Some(policy_analyzer::Fix::replace(
                "Use StringLike",
                operator,
                "\"StringLike\"",
            )),
            tags: Vec::new(),
        };
        let analysis = DocumentAnalysis {
            version: 1,
            is_policy: true,
            shown: true,
            diagnostics: vec![diagnostic],
            panic: None,
            host: None,
        };
        let uri = Uri::from_str("file:///tmp/key.json").unwrap();
        let index = LineIndex::new(text);
        for encoding in [PositionEncoding::Utf16, PositionEncoding::Utf8] {
            let mapper = PositionMapper::new(text, &index, encoding);
            let found = code_actions(&analysis, &uri, &mapper, TextRange::empty(value + 3), None);
            let CodeActionOrCommand::CodeAction(action) = &found[0] else {
                panic!("a code action");
            };
            assert_eq!(action.title, "Use StringLike");
            assert_eq!(action.is_preferred, Some(true));
            let edits = &action.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri];
            assert_eq!(edits[0].new_text, "\"StringLike\"");
            assert_eq!(edits[0].range, mapper.range(operator));
            // `Clé 🔑` is 3 bytes longer in UTF-8 than in UTF-16 units.
            let expected_start = match encoding {
                PositionEncoding::Utf8 => operator.start,
                _ => operator.start - 3,
            };
            assert_eq!(edits[0].range.start.character, expected_start);
        }
    }

    #[test]
    fn kinds_match_by_prefix() {
        assert!(wanted(Some(&[CodeActionKind::SOURCE]), FIX_ALL_KIND, false));
        assert!(wanted(
            Some(&[CodeActionKind::SOURCE_FIX_ALL]),
            FIX_ALL_KIND,
            false
        ));
        assert!(!wanted(
            Some(&[CodeActionKind::from("source.fix")]),
            FIX_ALL_KIND,
            false
        ));
        assert!(!wanted(Some(&[CodeActionKind::REFACTOR]), "quickfix", true));
    }
}
