//! The open documents: text, version and line index, kept in step with the
//! client through incremental changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use policy_analyzer::host::HostKind;
use policy_analyzer::{LineIndex, PositionEncoding};
use tower_lsp_server::lsp_types::{TextDocumentContentChangeEvent, Uri};
use tower_lsp_server::UriExt;

use crate::analysis::DocumentAnalysis;
use crate::convert::PositionMapper;

/// Which text of which opening of a document a result was computed from.
/// The version alone is not enough: a document closed and opened again
/// starts over at the client's version numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revision {
    /// Set by the store, different for each `didOpen`.
    pub opened: u64,
    pub version: i32,
}

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// The file behind the document, for `file:` URIs (config lookup, globs).
    pub path: Option<PathBuf>,
    /// Which `didOpen` this is (see [`Revision`]); set by the store.
    pub opened: u64,
    pub version: i32,
    /// Shared with in-flight analyses and feature requests, which work on a
    /// snapshot without holding the store's lock. An edit copies the text only
    /// when such a snapshot is still alive (`Arc::make_mut`).
    pub text: Arc<String>,
    pub line_index: Arc<LineIndex>,
    /// Set once an analysis has recognised a policy in this document, and kept
    /// until the document closes: while the user types, the text is often
    /// briefly broken in ways that hide the top-level `Statement` (a stray
    /// character before `{`), and that is exactly when diagnostics must not
    /// vanish.
    pub seen_policy: bool,
    /// The reader that found that policy (a template's, say), kept for the
    /// same reason: a template whose marks are briefly gone is still one.
    pub kind: Option<HostKind>,
    /// The latest analysis whose diagnostics were published, for code actions.
    pub analysis: Option<Arc<DocumentAnalysis>>,
    /// Whether diagnostics were published for this document, so that a
    /// document that stops being a policy gets its old diagnostics cleared,
    /// while other JSON files never receive even an empty publish.
    pub published: bool,
}

impl Document {
    pub fn new(uri: &Uri, version: i32, text: String) -> Self {
        let line_index = Arc::new(LineIndex::new(&text));
        Document {
            path: file_path(uri),
            opened: 0,
            version,
            text: Arc::new(text),
            line_index,
            seen_policy: false,
            kind: None,
            analysis: None,
            published: false,
        }
    }

    /// Applies the client's changes in order and takes the new version.
    ///
    /// Each change's range is expressed in the text as left by the previous
    /// change, so the line index is rebuilt after each one. A change without a
    /// range replaces the whole text.
    pub fn apply_changes(
        &mut self,
        changes: &[TextDocumentContentChangeEvent],
        version: i32,
        encoding: PositionEncoding,
    ) {
        for change in changes {
            self.apply_change(change, encoding);
        }
        self.version = version;
    }

    fn apply_change(
        &mut self,
        change: &TextDocumentContentChangeEvent,
        encoding: PositionEncoding,
    ) {
        match change.range {
            None => self.text = Arc::new(change.text.clone()),
            Some(range) => {
                // Out-of-range positions clamp, so a confused client cannot
                // make the edit panic; the result then differs from the
                // client's text, and the next full sync repairs it.
                let range =
                    PositionMapper::new(&self.text, &self.line_index, encoding).text_range(range);
                Arc::make_mut(&mut self.text).replace_range(range.as_usize(), &change.text);
            }
        }
        self.line_index = Arc::new(LineIndex::new(&self.text));
    }

    pub fn revision(&self) -> Revision {
        Revision {
            opened: self.opened,
            version: self.version,
        }
    }

    pub fn snapshot(&self, uri: &Uri, encoding: PositionEncoding) -> Snapshot {
        Snapshot {
            uri: uri.clone(),
            path: self.path.clone(),
            revision: self.revision(),
            text: Arc::clone(&self.text),
            line_index: Arc::clone(&self.line_index),
            encoding,
        }
    }
}

/// A document's state at one version, usable without the store's lock.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    pub revision: Revision,
    pub text: Arc<String>,
    pub line_index: Arc<LineIndex>,
    pub encoding: PositionEncoding,
}

impl Snapshot {
    pub fn version(&self) -> i32 {
        self.revision.version
    }

    pub fn mapper(&self) -> PositionMapper<'_> {
        PositionMapper::new(&self.text, &self.line_index, self.encoding)
    }
}

/// The file system path of a `file:` URI.
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    let is_file = uri
        .scheme()
        .is_some_and(|scheme| scheme.as_str().eq_ignore_ascii_case("file"));
    if !is_file {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// All open documents by URI.
#[derive(Debug, Default)]
pub struct DocumentStore {
    documents: HashMap<Uri, Document>,
    openings: u64,
}

impl DocumentStore {
    pub fn open(&mut self, uri: Uri, mut document: Document) {
        self.openings += 1;
        document.opened = self.openings;
        self.documents.insert(uri, document);
    }

    pub fn close(&mut self, uri: &Uri) -> Option<Document> {
        self.documents.remove(uri)
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.documents.get(uri)
    }

    pub fn get_mut(&mut self, uri: &Uri) -> Option<&mut Document> {
        self.documents.get_mut(uri)
    }

    pub fn uris(&self) -> Vec<Uri> {
        self.documents.keys().cloned().collect()
    }

    /// Whether `uri` is open at exactly `revision`.
    pub fn is_current(&self, uri: &Uri, revision: Revision) -> bool {
        self.documents
            .get(uri)
            .is_some_and(|d| d.revision() == revision)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use tower_lsp_server::lsp_types::{Position, Range};

    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l1, c1), (l2, c2))| {
                Range::new(Position::new(l1, c1), Position::new(l2, c2))
            }),
            range_length: None,
            text: text.to_string(),
        }
    }

    fn doc(text: &str) -> Document {
        Document::new(
            &Uri::from_str("file:///tmp/key.json").unwrap(),
            1,
            text.to_string(),
        )
    }

    #[test]
    fn changes_apply_in_order_and_take_the_version() {
        let mut d = doc("{\n  \"Sid\": \"a\"\n}");
        d.apply_changes(
            &[
                // Insert "bc" after `a`, then replace the `{` on line 0.
                change(Some(((1, 11), (1, 11))), "bc"),
                change(Some(((0, 0), (0, 1))), "[{"),
            ],
            7,
            PositionEncoding::Utf16,
        );
        assert_eq!(d.text.as_str(), "[{\n  \"Sid\": \"abc\"\n}");
        assert_eq!(d.version, 7);
        assert_eq!(d.line_index.line_count(), 3);
    }

    #[test]
    fn ranges_are_read_in_the_negotiated_encoding() {
        // "é🔑" is 3 UTF-16 units and 6 UTF-8 bytes.
        let mut utf16 = doc("\"\u{e9}\u{1f511}x\"");
        utf16.apply_changes(
            &[change(Some(((0, 4), (0, 5))), "y")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(utf16.text.as_str(), "\"\u{e9}\u{1f511}y\"");
        let mut utf8 = doc("\"\u{e9}\u{1f511}x\"");
        utf8.apply_changes(
            &[change(Some(((0, 7), (0, 8))), "y")],
            2,
            PositionEncoding::Utf8,
        );
        assert_eq!(utf8.text.as_str(), "\"\u{e9}\u{1f511}y\"");
    }

    #[test]
    fn a_change_without_range_replaces_the_text_and_bad_ranges_clamp() {
        let mut d = doc("old");
        d.apply_changes(&[change(None, "new text")], 2, PositionEncoding::Utf16);
        assert_eq!(d.text.as_str(), "new text");
        // Past the end, reversed, inside a surrogate pair: none may panic.
        d.apply_changes(
            &[change(Some(((9, 9), (0, 3))), "!")],
            3,
            PositionEncoding::Utf16,
        );
        assert_eq!(d.text.as_str(), "new!");
        let mut e = doc("\u{1f511}");
        e.apply_changes(
            &[change(Some(((0, 1), (0, 1))), "x")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(e.text.as_str(), "x\u{1f511}");
    }

    #[test]
    fn reopening_starts_a_new_revision() {
        let uri = Uri::from_str("file:///tmp/key.json").unwrap();
        let mut store = DocumentStore::default();
        store.open(uri.clone(), doc("a"));
        let first = store.get(&uri).unwrap().revision();
        assert!(store.is_current(&uri, first));
        store.close(&uri);
        assert!(!store.is_current(&uri, first));
        store.open(uri.clone(), doc("b"));
        let second = store.get(&uri).unwrap().revision();
        assert_eq!(first.version, second.version);
        assert!(!store.is_current(&uri, first) && store.is_current(&uri, second));
    }

    #[test]
    fn a_snapshot_survives_later_edits() {
        let mut d = doc("abc");
        let uri = Uri::from_str("file:///tmp/key.json").unwrap();
        let before = d.snapshot(&uri, PositionEncoding::Utf16);
        d.apply_changes(
            &[change(Some(((0, 0), (0, 1))), "X")],
            2,
            PositionEncoding::Utf16,
        );
        assert_eq!(before.text.as_str(), "abc");
        assert_eq!(d.text.as_str(), "Xbc");
    }
}
