//! Conversion between the analyzer's byte ranges and LSP positions, and from
//! analyzer diagnostics and fixes to LSP types.
//!
//! This is the only place where the negotiated position encoding matters:
//! the analyzer works in byte offsets, the client in (line, column) with columns
//! counted in UTF-8 bytes or UTF-16 code units.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use policy_analyzer::{
    Diagnostic as AnalyzerDiagnostic, DiagnosticTag as AnalyzerTag, Fix, LineCol, LineIndex,
    PositionEncoding, Severity, TextRange,
};
use tower_lsp_server::lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    Location, NumberOrString, Position, PositionEncodingKind, Range, TextEdit, Uri,
};
use tower_lsp_server::UriExt;

use crate::hosts::{normalize, FileRead};

/// The `source` of every published diagnostic.
pub const SOURCE: &str = "policy-check";

/// Where each rule's documentation lives; `<CODE>.md` is appended.
pub const RULE_DOCS_BASE: &str =
    "https://github.com/policy-check/policy-check/blob/main/docs/rules/";

/// Picks the position encoding from what the client offers: UTF-8 when it is
/// offered (no conversion cost, and exact for the analyzer's byte offsets),
/// else UTF-16, which every client must support.
pub fn negotiate_encoding(offered: Option<&[PositionEncodingKind]>) -> PositionEncoding {
    match offered {
        Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

pub fn encoding_kind(encoding: PositionEncoding) -> PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => PositionEncodingKind::UTF32,
    }
}

/// Converts byte offsets of one text to LSP positions and back. Lines end at
/// `\n`, `\r\n` or `\r` (LSP 3.17); each conversion is a binary search in the
/// line index, so converting every finding of a minified one-line policy
/// stays linear.
pub struct PositionMapper<'a> {
    text: &'a str,
    index: &'a LineIndex,
    encoding: PositionEncoding,
}

impl<'a> PositionMapper<'a> {
    pub fn new(text: &'a str, index: &'a LineIndex, encoding: PositionEncoding) -> Self {
        PositionMapper {
            text,
            index,
            encoding,
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.encoding
    }

    /// The LSP position of a byte offset. Offsets past the end clamp to the
    /// end; an offset inside a multi-byte character rounds down to its start.
    pub fn position(&self, offset: usize) -> Position {
        let line_col = self.index.line_col(self.text, offset, self.encoding);
        Position::new(line_col.line, line_col.col)
    }

    pub fn range(&self, range: TextRange) -> Range {
        Range::new(
            self.position(range.start as usize),
            self.position(range.end as usize),
        )
    }

    /// The byte offset of an LSP position; positions outside the text clamp
    /// to the nearest valid offset (the protocol asks servers to be lenient).
    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(
            self.text,
            LineCol {
                line: position.line,
                col: position.character,
            },
            self.encoding,
        )
    }

    /// A byte range from an LSP range, with start and end in order.
    pub fn text_range(&self, range: Range) -> TextRange {
        let start = self.offset(range.start);
        let end = self.offset(range.end);
        TextRange::new(start.min(end), start.max(end))
    }
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

fn tag(tag: AnalyzerTag) -> DiagnosticTag {
    match tag {
        AnalyzerTag::Unnecessary => DiagnosticTag::UNNECESSARY,
        AnalyzerTag::Deprecated => DiagnosticTag::DEPRECATED,
    }
}

/// The link to a rule's documentation.
pub fn rule_docs_url(code: &str) -> Option<Uri> {
    Uri::from_str(&format!("{RULE_DOCS_BASE}{code}.md")).ok()
}

/// The document whose diagnostics are being converted, and the other files
/// their related locations may be in (the resources of a module that use a
/// key, say).
pub struct Target<'a> {
    uri: &'a Uri,
    mapper: &'a PositionMapper<'a>,
    /// The document's name in a host analysis (`Diagnostic::file`); `None`
    /// for a policy analysed alone, whose ranges are all its own.
    path: Option<&'a str>,
    files: &'a [FileRead],
    /// Line indexes of the other files, built when first needed.
    indexes: RefCell<HashMap<String, LineIndex>>,
}

impl<'a> Target<'a> {
    pub fn new(uri: &'a Uri, mapper: &'a PositionMapper<'a>) -> Self {
        Target {
            uri,
            mapper,
            path: None,
            files: &[],
            indexes: RefCell::default(),
        }
    }

    pub fn with_files(
        uri: &'a Uri,
        mapper: &'a PositionMapper<'a>,
        path: &'a str,
        files: &'a [FileRead],
    ) -> Self {
        Target {
            path: Some(path),
            files,
            ..Target::new(uri, mapper)
        }
    }

    pub fn uri(&self) -> &Uri {
        self.uri
    }

    pub fn mapper(&self) -> &PositionMapper<'a> {
        self.mapper
    }

    /// The location of a range of `file` (`None`: the document itself).
    /// `None` for a file the analysis did not read, which cannot be shown.
    fn location(&self, file: Option<&str>, range: TextRange) -> Option<Location> {
        let Some(file) = file.filter(|f| Some(*f) != self.path) else {
            return Some(Location::new(self.uri.clone(), self.mapper.range(range)));
        };
        let wanted = normalize(Path::new(file));
        if self.path.is_some_and(|p| normalize(Path::new(p)) == wanted) {
            return Some(Location::new(self.uri.clone(), self.mapper.range(range)));
        }
        let read = self
            .files
            .iter()
            .find(|f| f.path == file || normalize(Path::new(&f.path)) == wanted)?;
        let uri = match &read.uri {
            Some(uri) => uri.clone(),
            None => Uri::from_file_path(&wanted)?,
        };
        let mut indexes = self.indexes.borrow_mut();
        let index = indexes
            .entry(read.path.clone())
            .or_insert_with(|| LineIndex::new(&read.text));
        let mapper = PositionMapper::new(&read.text, index, self.mapper.encoding());
        Some(Location::new(uri, mapper.range(range)))
    }
}

/// One analyzer diagnostic as an LSP diagnostic of the target document.
///
/// LSP has no field for the analyzer's `help`, so it goes on its own line
/// after the message, where every client shows it.
pub fn diagnostic(d: &AnalyzerDiagnostic, target: &Target<'_>) -> Diagnostic {
    let mapper = target.mapper;
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    let related: Vec<DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(DiagnosticRelatedInformation {
                location: target.location(r.file.as_deref(), r.range)?,
                message: r.label.clone(),
            })
        })
        .collect();
    let tags: Vec<DiagnosticTag> = d.tags.iter().copied().map(tag).collect();
    Diagnostic {
        range: mapper.range(d.range),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.to_string())),
        // A user rule's documentation is its pack's (`--explain`), not online.
        code_description: policy_analyzer::find_rule(d.code)
            .and_then(|_| rule_docs_url(d.code))
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        data: None,
    }
}

/// Converts analyzer diagnostics in one pass. The mapper's memory of the last
/// position makes this linear in the text when the diagnostics are sorted.
pub fn diagnostics<'d>(
    diagnostics: impl IntoIterator<Item = &'d AnalyzerDiagnostic>,
    target: &Target<'_>,
) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .map(|d| diagnostic(d, target))
        .collect()
}

/// A fix's byte edits as LSP text edits.
pub fn fix_edits(fix: &Fix, mapper: &PositionMapper<'_>) -> Vec<TextEdit> {
    fix.edits
        .iter()
        .map(|e| TextEdit::new(mapper.range(e.range), e.replacement.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        assert_eq!(negotiate_encoding(None), PositionEncoding::Utf16);
        assert_eq!(
            negotiate_encoding(Some(&[PositionEncodingKind::UTF16])),
            PositionEncoding::Utf16
        );
        assert_eq!(
            negotiate_encoding(Some(&[
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ])),
            PositionEncoding::Utf8
        );
    }

    #[test]
    fn positions_count_in_the_negotiated_encoding() {
        let text = "{\"Sid\": \"Cl\u{e9} \u{1f511}\", \"x\": 1}\n  \u{e9}z";
        let index = LineIndex::new(text);
        let x = text.find("\"x\"").unwrap();
        let z = text.find('z').unwrap();
        let utf16 = PositionMapper::new(text, &index, PositionEncoding::Utf16);
        // `{"Sid": "Clé 🔑", ` is 18 UTF-16 units (é is 1, the key emoji 2)
        // and 21 bytes (é is 2, the emoji 4).
        assert_eq!(utf16.position(x), Position::new(0, 18));
        assert_eq!(utf16.position(z), Position::new(1, 3));
        let utf8 = PositionMapper::new(text, &index, PositionEncoding::Utf8);
        assert_eq!(utf8.position(x), Position::new(0, 21));
        assert_eq!(utf8.position(z), Position::new(1, 4));
        for mapper in [&utf16, &utf8] {
            assert_eq!(mapper.offset(mapper.position(x)), x);
            assert_eq!(mapper.offset(mapper.position(z)), z);
        }
    }

    #[test]
    fn carriage_returns_end_lines_in_every_encoding() {
        // Classic Mac line ends: only `\r`.
        let text = "{\r  \"Sid\": \"\u{e9}\u{1f511}\",\r  \"Action\": \"kms:Decrypts\"\r}";
        let index = LineIndex::new(text);
        let action = text.find("kms:Decrypts").unwrap();
        for (encoding, sid_end) in [
            (PositionEncoding::Utf8, 17),
            (PositionEncoding::Utf16, 14),
            (PositionEncoding::Utf32, 13),
        ] {
            let mapper = PositionMapper::new(text, &index, encoding);
            assert_eq!(mapper.position(action), Position::new(2, 13));
            assert_eq!(mapper.offset(Position::new(2, 13)), action);
            let comma = text.find(",\r").unwrap();
            assert_eq!(mapper.position(comma), Position::new(1, sid_end));
            // Past the end of line 1: its end, not the next line.
            assert_eq!(mapper.offset(Position::new(1, 99)), comma + 1);
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        let mapper = PositionMapper::new(text, &index, PositionEncoding::Utf16);
        assert_eq!(mapper.offset(Position::new(0, 99)), 2);
        assert_eq!(mapper.offset(Position::new(99, 0)), 5);
        assert_eq!(mapper.position(99), Position::new(1, 2));
        let reversed = Range::new(Position::new(1, 1), Position::new(0, 1));
        assert_eq!(mapper.text_range(reversed), TextRange::new(1, 4));
    }

    #[test]
    fn a_diagnostic_keeps_code_link_related_and_tags() {
        let text = "{\"a\": 1, \"a\": 2}";
        let index = LineIndex::new(text);
        let mapper = PositionMapper::new(text, &index, PositionEncoding::Utf16);
        let uri = Uri::from_str("file:///tmp/key.json").unwrap();
        let d = AnalyzerDiagnostic {
            code: "PC002",
            name: "duplicate-key",
            severity: Severity::Warning,
            message: "duplicate key".into(),
            range: TextRange::new(9, 12),
            file: None,
            pointer: None,
            statement: None,
            related: vec![policy_analyzer::Related {
                range: TextRange::new(1, 4),
                label: "first here".into(),
                file: None,
            }],
            help: Some("merge them".into()),
            fix: None,
            tags: vec![AnalyzerTag::Unnecessary],
        };
        let lsp = diagnostic(&d, &Target::new(&uri, &mapper));
        assert_eq!(
            lsp.range,
            Range::new(Position::new(0, 9), Position::new(0, 12))
        );
        assert_eq!(lsp.severity, Some(DiagnosticSeverity::WARNING));
        assert_eq!(lsp.code, Some(NumberOrString::String("PC002".into())));
        assert_eq!(
            lsp.code_description.unwrap().href.as_str(),
            "https://github.com/policy-check/policy-check/blob/main/docs/rules/PC002.md"
        );
        assert_eq!(lsp.message, "duplicate key\nhelp: merge them");
        let related = lsp.related_information.unwrap();
        assert_eq!(related[0].location.uri, uri);
        assert_eq!(related[0].message, "first here");
        assert_eq!(lsp.tags, Some(vec![DiagnosticTag::UNNECESSARY]));
    }
}
