//! Invariants of an analysis, of its diagnostics and of the line index.

use policy_analyzer::rules::{MAX_FINDINGS_PER_FILE, MAX_FINDINGS_PER_RULE};
use policy_analyzer::syntax::{self, Tree};
use policy_analyzer::{
    all_rules, Analysis, Diagnostic, LineCol, LineIndex, PositionEncoding, TextRange,
};

use crate::reference;

pub const ENCODINGS: [PositionEncoding; 3] = [
    PositionEncoding::Utf8,
    PositionEncoding::Utf16,
    PositionEncoding::Utf32,
];

/// Everything that must hold of the analysis of `text`: each diagnostic
/// (see [`check_diagnostics`]), the JSON pointers, and the bound on findings.
pub fn check_analysis(text: &str, analysis: &Analysis) {
    check_diagnostics(text, &analysis.diagnostics);
    let parse = syntax::parse(text);
    check_pointers(&parse.tree, &analysis.diagnostics);
    check_bounded(&analysis.diagnostics);
}

/// Diagnostics of any reader: ranges in bounds and on character
/// boundaries, positions that survive the trip to line/column and back in
/// every encoding, sorted by position, and fixes whose edits are apart and
/// never make valid JSON invalid.
pub fn check_diagnostics(text: &str, diagnostics: &[Diagnostic]) {
    let index = LineIndex::new(text);
    let lines = reference::Lines::new(text);
    let valid = syntax::parse(text).errors.is_empty();
    for d in diagnostics {
        assert!(!d.message.is_empty(), "{}: empty message", d.code);
        check_range(text, &index, &lines, d.range, d.code);
        for related in &d.related {
            check_range(text, &index, &lines, related.range, d.code);
        }
        if let Some(fix) = &d.fix {
            for edit in &fix.edits {
                check_range(text, &index, &lines, edit.range, d.code);
            }
            let mut edits: Vec<TextRange> = fix.edits.iter().map(|e| e.range).collect();
            edits.sort();
            for pair in edits.windows(2) {
                assert!(
                    pair[0].end <= pair[1].start && pair[0].start < pair[1].start,
                    "{}: fix `{}` has overlapping edits {:?}",
                    d.code,
                    fix.title,
                    pair
                );
            }
            if valid {
                let fixed = fix.apply(text);
                let errors = syntax::parse(&fixed).errors;
                assert!(
                    errors.is_empty(),
                    "{}: fix `{}` makes valid JSON invalid: {:?}\n{fixed}",
                    d.code,
                    fix.title,
                    errors
                );
            }
        }
    }
    for pair in diagnostics.windows(2) {
        let key = |d: &Diagnostic| (d.range.start, d.range.end, d.code);
        assert!(key(&pair[0]) <= key(&pair[1]), "diagnostics out of order");
    }
}

/// A range lies in the text, on character boundaries, and both ends map to
/// a line and column (in each encoding) that map back to them, as the naive
/// line count of [`reference`] does.
pub fn check_range(
    text: &str,
    index: &LineIndex,
    lines: &reference::Lines<'_>,
    range: TextRange,
    code: &str,
) {
    assert!(
        range.start <= range.end && range.end as usize <= text.len(),
        "{code}: range {range:?} outside a text of {} bytes",
        text.len()
    );
    for offset in [range.start as usize, range.end as usize] {
        assert!(
            text.is_char_boundary(offset),
            "{code}: offset {offset} inside a character"
        );
        check_offset(text, index, lines, offset);
    }
}

/// An offset's line and column in each encoding agree with the reference
/// count, and map back to the offset (or, between the `\r` and `\n` of one
/// line ending, to the end of the line: no position addresses that gap).
pub fn check_offset(text: &str, index: &LineIndex, lines: &reference::Lines<'_>, offset: usize) {
    for encoding in ENCODINGS {
        let lc = index.line_col(text, offset, encoding);
        assert_eq!(
            lc,
            lines.line_col(offset, encoding),
            "line/column of offset {offset} in {encoding:?}"
        );
        let inside_crlf = text[..offset].ends_with('\r') && text[offset..].starts_with('\n');
        let expected = if inside_crlf { offset - 1 } else { offset };
        assert_eq!(
            index.offset(text, lc, encoding),
            expected,
            "offset {offset} -> {lc:?} -> back in {encoding:?}"
        );
    }
}

/// Any position, even outside the text, maps to the offset the reference
/// gives: past the end of a line its end, past the last line the text's end,
/// inside a character its start.
pub fn check_position(text: &str, index: &LineIndex, lines: &reference::Lines<'_>, pos: LineCol) {
    for encoding in ENCODINGS {
        assert_eq!(
            index.offset(text, pos, encoding),
            lines.offset(pos, encoding),
            "offset of {pos:?} in {encoding:?}"
        );
    }
}

/// Every pointer a diagnostic carries names a node of the tree.
pub fn check_pointers(tree: &Tree<'_>, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        if let Some(pointer) = &d.pointer {
            assert!(
                tree.lookup(pointer).is_some(),
                "{}: pointer {pointer:?} names no node",
                d.code
            );
        }
    }
}

/// At most the findings a file has room for, plus one summary per rule.
pub fn check_bounded(diagnostics: &[Diagnostic]) {
    let rules = all_rules().count();
    assert!(
        diagnostics.len() <= MAX_FINDINGS_PER_FILE + rules,
        "{} diagnostics",
        diagnostics.len()
    );
    for rule in all_rules() {
        let n = diagnostics.iter().filter(|d| d.code == rule.code).count();
        assert!(
            n <= MAX_FINDINGS_PER_RULE + 1,
            "{} findings of {}",
            n,
            rule.code
        );
    }
}
