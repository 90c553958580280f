//! The language server's document store under arbitrary incremental edits,
//! compared with a plain `String` edited the slow way, and the editor
//! features at arbitrary positions of each version, with the LSP range
//! invariants checked on everything they answer.
//!
//! Input: the document's first text, then a NUL, then bytes that describe
//! the edits and requests. Without a NUL the whole input is the text and a
//! few requests are made at positions spread over it, so the seed policies
//! work as they are.
#![no_main]

use std::str::FromStr;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use policy_analyzer::{LineCol, LineIndex, PositionEncoding, TextRange};
use policy_check_fuzz::{invariants, reference};
use policy_lsp::analysis::{self, Scope};
use policy_lsp::code_action::{self, FIX_ALL_KIND};
use policy_lsp::convert::PositionMapper;
use policy_lsp::documents::Document;
use policy_lsp::{completion, hover, symbols};
use tower_lsp_server::lsp_types::{
    CodeActionKind, CodeActionOrCommand, DocumentSymbol, Position, Range,
    TextDocumentContentChangeEvent, Uri,
};

#[derive(Arbitrary, Debug)]
struct Session {
    encoding: u8,
    snippets: bool,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Step {
    /// Replace a range (ends in either order, possibly past the text).
    Edit {
        from: (u8, u8),
        to: (u8, u8),
        text: String,
    },
    /// Several edits in one `didChange`, each on the text the previous left.
    Edits(Vec<((u8, u8), (u8, u8), String)>),
    /// Replace the whole text.
    Replace(String),
    Hover(u8, u8),
    Complete(u8, u8),
    CodeActions {
        from: (u8, u8),
        to: (u8, u8),
    },
}

fn position((line, col): (u8, u8)) -> Position {
    Position::new(line as u32, col as u32)
}

fn line_col(p: Position) -> LineCol {
    LineCol {
        line: p.line,
        col: p.character,
    }
}

fuzz_target!(|input: &[u8]| {
    let (text, rest) = match input.iter().rposition(|&b| b == 0) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &[][..]),
    };
    let text = String::from_utf8_lossy(text).into_owned();
    let session = if rest.is_empty() {
        spread(&text)
    } else {
        match Session::arbitrary_take_rest(Unstructured::new(rest)) {
            Ok(session) => session,
            Err(_) => return,
        }
    };
    let encoding = match session.encoding % 3 {
        0 => PositionEncoding::Utf16,
        1 => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf32,
    };
    let uri = Uri::from_str("file:///fuzz/key.json").unwrap();
    let mut document = Document::new(&uri, 1, text.clone());
    let mut model = reference::Document { text };
    let mut version = 1;
    check_document(&document, &model);
    for step in session.steps.into_iter().take(64) {
        match step {
            Step::Edit { from, to, text } => {
                version += 1;
                let change = ranged(from, to, &text);
                model.edit(
                    line_col(position(from)),
                    line_col(position(to)),
                    encoding,
                    &text,
                );
                document.apply_changes(&[change], version, encoding);
                check_document(&document, &model);
            }
            Step::Edits(edits) => {
                version += 1;
                let changes: Vec<_> = edits
                    .iter()
                    .take(8)
                    .map(|(from, to, text)| {
                        model.edit(
                            line_col(position(*from)),
                            line_col(position(*to)),
                            encoding,
                            text,
                        );
                        ranged(*from, *to, text)
                    })
                    .collect();
                document.apply_changes(&changes, version, encoding);
                check_document(&document, &model);
            }
            Step::Replace(text) => {
                version += 1;
                let change = TextDocumentContentChangeEvent {
                    range: None,
                    range_length: None,
                    text: text.clone(),
                };
                model.text = text;
                document.apply_changes(&[change], version, encoding);
                check_document(&document, &model);
            }
            Step::Hover(line, col) => {
                let mapper = mapper(&document, encoding);
                let lines = reference::Lines::new(mapper.text());
                let offset = mapper.offset(position((line, col)));
                if let Some(found) = hover::hover(mapper.text(), offset) {
                    assert!(!found.markdown.is_empty());
                    if let Some(range) = found.range {
                        assert!(range.touches(offset), "hover {range:?} away from {offset}");
                        check_lsp_range(&mapper, &lines, mapper.range(range));
                    }
                }
            }
            Step::Complete(line, col) => {
                let mapper = mapper(&document, encoding);
                let lines = reference::Lines::new(mapper.text());
                let offset = mapper.offset(position((line, col)));
                for item in completion::complete(mapper.text(), offset, session.snippets) {
                    // LSP: a completion's edit is on one line and holds the cursor.
                    assert!(item.range.touches(offset), "{item:?} away from {offset}");
                    let range = mapper.range(item.range);
                    check_lsp_range(&mapper, &lines, range);
                    assert_eq!(range.start.line, range.end.line, "{item:?} spans lines");
                }
            }
            Step::CodeActions { from, to } => {
                let mapper = mapper(&document, encoding);
                let lines = reference::Lines::new(mapper.text());
                let range = mapper.text_range(Range::new(position(from), position(to)));
                code_actions(&document, &uri, &mapper, &lines, range);
            }
        }
    }
    // Every version ends with what the server publishes and lists.
    let mapper = mapper(&document, encoding);
    let lines = reference::Lines::new(mapper.text());
    let analysis = analysis::run(mapper.text(), version, &Scope::default());
    assert_eq!(analysis.panic, None, "the analyzer panicked");
    for d in analysis::lsp_diagnostics(&analysis, &uri, &mapper) {
        check_lsp_range(&mapper, &lines, d.range);
        for related in d.related_information.iter().flatten() {
            check_lsp_range(&mapper, &lines, related.location.range);
        }
    }
    check_symbols(&mapper, &lines, &symbols::document_symbols(&mapper));
    let whole = TextRange::new(0, mapper.text().len());
    code_actions(&document, &uri, &mapper, &lines, whole);
});

/// Without steps: hover and completion at a dozen offsets spread over the
/// text, and the code actions of all of it.
fn spread(text: &str) -> Session {
    let index = LineIndex::new(text);
    let mut steps = Vec::new();
    for i in 0..12 {
        let offset = text.len() * i / 12;
        let lc = index.line_col(text, offset, PositionEncoding::Utf16);
        let at = (lc.line.min(255) as u8, lc.col.min(255) as u8);
        steps.push(Step::Hover(at.0, at.1));
        steps.push(Step::Complete(at.0, at.1));
    }
    Session {
        encoding: 0,
        snippets: true,
        steps,
    }
}

fn ranged(from: (u8, u8), to: (u8, u8), text: &str) -> TextDocumentContentChangeEvent {
    TextDocumentContentChangeEvent {
        range: Some(Range::new(position(from), position(to))),
        range_length: None,
        text: text.to_string(),
    }
}

fn mapper(document: &Document, encoding: PositionEncoding) -> PositionMapper<'_> {
    PositionMapper::new(&document.text, &document.line_index, encoding)
}

/// The store holds exactly the reference text, with a line index of it.
fn check_document(document: &Document, model: &reference::Document) {
    assert_eq!(
        document.text.as_str(),
        model.text,
        "the store's text drifted"
    );
    assert_eq!(
        document.line_index.line_count(),
        reference::lines(&model.text).len(),
        "line count"
    );
}

/// An LSP range: start before end, both on a line of the text, no further
/// than the line's end, and each mapping back to the same position.
fn check_lsp_range(mapper: &PositionMapper<'_>, reference: &reference::Lines<'_>, range: Range) {
    let lines = &reference.lines;
    assert!(
        (range.start.line, range.start.character) <= (range.end.line, range.end.character),
        "reversed {range:?}"
    );
    for p in [range.start, range.end] {
        let Some(&(_, end)) = lines.get(p.line as usize) else {
            panic!("{p:?} past the last line ({} lines)", lines.len());
        };
        let width = reference.line_col(end, mapper.encoding()).col;
        assert!(
            p.character <= width,
            "{p:?} past the end of its line ({width})"
        );
        assert_eq!(
            mapper.position(mapper.offset(p)),
            p,
            "{p:?} does not map back"
        );
    }
}

/// Symbols: valid ranges, each selection inside its symbol, children inside
/// their parent.
fn check_symbols(
    mapper: &PositionMapper<'_>,
    lines: &reference::Lines<'_>,
    symbols: &[DocumentSymbol],
) {
    let key = |p: Position| (p.line, p.character);
    for s in symbols {
        check_lsp_range(mapper, lines, s.range);
        check_lsp_range(mapper, lines, s.selection_range);
        assert!(
            key(s.range.start) <= key(s.selection_range.start)
                && key(s.selection_range.end) <= key(s.range.end),
            "{}: selection {:?} outside {:?}",
            s.name,
            s.selection_range,
            s.range
        );
        for child in s.children.iter().flatten() {
            assert!(key(s.range.start) <= key(child.range.start));
            assert!(key(child.range.end) <= key(s.range.end));
        }
        check_symbols(mapper, lines, s.children.as_deref().unwrap_or_default());
    }
}

/// Quick fixes and "fix all" for `range`: valid ranges, edits of one action
/// apart, and text that parsed cleanly still does after a quick fix.
fn code_actions(
    document: &Document,
    uri: &Uri,
    mapper: &PositionMapper<'_>,
    lines: &reference::Lines<'_>,
    range: TextRange,
) {
    let text = mapper.text();
    let analysis = analysis::run(text, document.version, &Scope::default());
    assert_eq!(analysis.panic, None, "the analyzer panicked");
    invariants::check_diagnostics(text, &analysis.diagnostics);
    let only = [CodeActionKind::QUICKFIX, CodeActionKind::from(FIX_ALL_KIND)];
    for action in code_action::code_actions(&analysis, uri, mapper, range, Some(&only)) {
        let CodeActionOrCommand::CodeAction(action) = action else {
            panic!("a command instead of a code action");
        };
        let edits = action
            .edit
            .and_then(|e| e.changes)
            .and_then(|mut c| c.remove(uri))
            .expect("a code action edits the document");
        let mut ranges: Vec<TextRange> = edits
            .iter()
            .map(|e| {
                check_lsp_range(mapper, lines, e.range);
                mapper.text_range(e.range)
            })
            .collect();
        ranges.sort();
        for pair in ranges.windows(2) {
            assert!(
                pair[0].end <= pair[1].start,
                "{}: overlapping edits {pair:?}",
                action.title
            );
        }
    }
}
