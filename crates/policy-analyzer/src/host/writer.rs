//! Rendering a policy a host holds as data (a YAML mapping, an HCL object,
//! `aws_iam_policy_document` blocks) to JSON text, recording where every
//! token came from.

use super::source_map::{Location, Quoting, Replace, SourceMap};
use crate::text::TextRange;

/// One piece of a string a host resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The text (symbols encoded, see [`crate::symbolic`]).
    pub text: String,
    pub origin: PieceOrigin,
}

/// Where a piece of a string came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PieceOrigin {
    /// Written in the host as it reads here, byte for byte.
    Exact { at: Location, quoting: Quoting },
    /// Stands for this host range as a whole: an escaped run, a resolved
    /// reference, a symbol.
    Whole(Location),
}

impl PieceOrigin {
    pub fn location(&self) -> &Location {
        match self {
            PieceOrigin::Exact { at, .. } | PieceOrigin::Whole(at) => at,
        }
    }
}

/// A string value a host resolved, in pieces that remember where they came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostString {
    pub pieces: Vec<Piece>,
}

impl HostString {
    /// A string written in the host byte for byte at `at`.
    pub fn exact(text: impl Into<String>, at: Location, quoting: Quoting) -> HostString {
        HostString {
            pieces: vec![Piece {
                text: text.into(),
                origin: PieceOrigin::Exact { at, quoting },
            }],
        }
    }

    /// A string that stands for `at` as a whole.
    pub fn whole(text: impl Into<String>, at: Location) -> HostString {
        HostString {
            pieces: vec![Piece {
                text: text.into(),
                origin: PieceOrigin::Whole(at),
            }],
        }
    }

    pub fn push(&mut self, piece: Piece) {
        // Adjacent exact pieces of one run stay one piece.
        if let (
            Some(Piece {
                text,
                origin: PieceOrigin::Exact { at, quoting },
            }),
            PieceOrigin::Exact {
                at: next,
                quoting: next_quoting,
            },
        ) = (self.pieces.last_mut(), &piece.origin)
        {
            if at.file == next.file && at.range.end == next.range.start && quoting == next_quoting {
                text.push_str(&piece.text);
                at.range.end = next.range.end;
                return;
            }
        }
        if !piece.text.is_empty() || self.pieces.is_empty() {
            self.pieces.push(piece);
        }
    }

    pub fn append(&mut self, other: HostString) {
        for piece in other.pieces {
            self.push(piece);
        }
    }

    /// The whole value.
    pub fn text(&self) -> String {
        self.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    /// The value, when it is one piece of text (no allocation).
    pub fn as_single(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [] => Some(""),
            [piece] => Some(&piece.text),
            _ => None,
        }
    }

    /// The host range the value spans (its pieces' first to last, in their
    /// first piece's file).
    pub fn span(&self) -> Option<Location> {
        let first = self.pieces.first()?.origin.location();
        let mut range = first.range;
        for piece in &self.pieces {
            let at = piece.origin.location();
            if at.file == first.file {
                range = range.cover(at.range);
            }
        }
        Some(Location {
            file: first.file.clone(),
            range,
        })
    }

    /// The part of the value at `range` of its text (byte offsets on char
    /// boundaries): exact pieces keep their exact place in the host, a piece
    /// cut in a whole one stands for all of it.
    pub fn slice(&self, range: std::ops::Range<usize>) -> HostString {
        let mut out = HostString::default();
        let mut at = 0;
        for piece in &self.pieces {
            let (start, end) = (at, at + piece.text.len());
            at = end;
            let (from, to) = (range.start.max(start), range.end.min(end));
            if from >= to {
                continue;
            }
            let text = piece.text[from - start..to - start].to_string();
            let origin = match &piece.origin {
                PieceOrigin::Exact { at, quoting } => PieceOrigin::Exact {
                    at: Location {
                        file: at.file.clone(),
                        range: TextRange::new(
                            at.range.start as usize + (from - start),
                            at.range.start as usize + (to - start),
                        ),
                    },
                    quoting: *quoting,
                },
                whole => whole.clone(),
            };
            out.push(Piece { text, origin });
        }
        out
    }

    /// The host location of the part of the value at `range`: exact where
    /// one exact piece holds it, else what the pieces it touches span.
    pub fn location_of(&self, range: std::ops::Range<usize>) -> Option<Location> {
        self.slice(range).span()
    }

    /// The text, rendered as the policy text itself (a `KeyPolicy` written as
    /// a JSON string, a heredoc, a template file), with the map of its pieces.
    pub fn render_as_text(&self) -> (String, SourceMap) {
        let mut text = String::new();
        let mut map = SourceMap::default();
        for piece in &self.pieces {
            let start = text.len();
            text.push_str(&piece.text);
            let rendered = TextRange::new(start, text.len());
            match &piece.origin {
                PieceOrigin::Exact { at, quoting } if at.range.len() == piece.text.len() => {
                    map.exact(rendered, at, *quoting)
                }
                origin => map.part(rendered, origin.location()),
            }
        }
        (text, map)
    }
}

/// Writes JSON text and its [`SourceMap`] as a host walks its policy.
#[derive(Debug, Default)]
pub struct PolicyWriter {
    json: String,
    map: SourceMap,
    /// Per open container: whether it holds an element yet.
    open: Vec<bool>,
    /// A key was written and its value is due.
    after_key: bool,
}

impl PolicyWriter {
    pub fn new() -> Self {
        Self::default()
    }

    fn separate(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(has_element) = self.open.last_mut() {
            if *has_element {
                self.json.push(',');
            }
            *has_element = true;
        }
    }

    fn token(&mut self, text: &str, at: &Location, replace: Replace) {
        let start = self.json.len();
        self.json.push_str(text);
        self.map
            .whole(TextRange::new(start, self.json.len()), at, replace);
    }

    /// `{`, standing for `open` (where the host's mapping starts).
    pub fn begin_object(&mut self, open: &Location) {
        self.separate();
        self.token("{", open, Replace::Never);
        self.open.push(false);
    }

    /// `}`, standing for `close` (where the host's mapping ends).
    pub fn end_object(&mut self, close: &Location) {
        self.open.pop();
        self.token("}", close, Replace::Never);
    }

    pub fn begin_array(&mut self, open: &Location) {
        self.separate();
        self.token("[", open, Replace::Never);
        self.open.push(false);
    }

    pub fn end_array(&mut self, close: &Location) {
        self.open.pop();
        self.token("]", close, Replace::Never);
    }

    /// A member's key; its value comes next.
    pub fn key(&mut self, key: &HostString, at: &Location, replace: Replace) {
        self.string(key, at, replace);
        self.json.push(':');
        self.after_key = true;
    }

    /// A string value.
    pub fn string(&mut self, value: &HostString, at: &Location, replace: Replace) {
        self.separate();
        let start = self.json.len();
        self.json.push('"');
        let mut pieces = Vec::with_capacity(value.pieces.len());
        for piece in &value.pieces {
            let piece_start = self.json.len();
            escape_into(&piece.text, &mut self.json);
            let rendered = TextRange::new(piece_start, self.json.len());
            pieces.push((rendered, piece));
        }
        self.json.push('"');
        self.map
            .whole(TextRange::new(start, self.json.len()), at, replace);
        for (rendered, piece) in pieces {
            match &piece.origin {
                // Escaping left it alone: still byte for byte.
                PieceOrigin::Exact { at, quoting }
                    if rendered.len() == piece.text.len() && at.range.len() == rendered.len() =>
                {
                    self.map.exact(rendered, at, *quoting)
                }
                origin => self.map.part(rendered, origin.location()),
            }
        }
    }

    /// A number, boolean or null, written as `json`.
    pub fn literal(&mut self, json: &str, at: &Location, replace: Replace) {
        self.separate();
        self.token(json, at, replace);
    }

    /// The JSON text and its map.
    pub fn finish(self) -> (String, SourceMap) {
        (self.json, self.map)
    }
}

/// Appends `text` as the inside of a JSON string.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_yaml_like_mapping_renders_to_json_with_its_ranges() {
        // `Action: [kms:Decrypt, "a\"b"]` at offset 0 of a host file.
        let file: Arc<str> = "t.yaml".into();
        let at = |s: usize, e: usize| Location {
            file: file.clone(),
            range: TextRange::new(s, e),
        };
        let mut w = PolicyWriter::new();
        w.begin_object(&at(0, 1));
        w.key(
            &HostString::exact("Action", at(0, 6), Quoting::YamlPlain),
            &at(0, 6),
            Replace::Literal {
                interpolation: false,
            },
        );
        w.begin_array(&at(8, 9));
        w.string(
            &HostString::exact("kms:Decrypt", at(9, 20), Quoting::YamlPlain),
            &at(9, 20),
            Replace::Literal {
                interpolation: false,
            },
        );
        w.string(
            &HostString::whole("a\"b", at(22, 28)),
            &at(22, 28),
            Replace::Never,
        );
        w.end_array(&at(28, 29));
        w.end_object(&at(29, 29));
        let (json, map) = w.finish();
        assert_eq!(json, r#"{"Action":["kms:Decrypt","a\"b"]}"#);
        let decrypt = json.find("kms:Decrypt").unwrap();
        let at_decrypt = map
            .locate(TextRange::new(decrypt + 4, decrypt + 11))
            .unwrap();
        assert_eq!(at_decrypt.range, TextRange::new(13, 20));
        let quoted = json.find("\"a\\").unwrap();
        assert_eq!(
            map.locate(TextRange::new(quoted, quoted + 6))
                .unwrap()
                .range,
            TextRange::new(22, 28)
        );
        assert_eq!(
            map.locate(TextRange::new(0, json.len())).unwrap().range,
            TextRange::new(0, 29)
        );
    }

    #[test]
    fn adjacent_exact_pieces_merge() {
        let file: Arc<str> = "f".into();
        let at = |s: usize, e: usize| Location {
            file: file.clone(),
            range: TextRange::new(s, e),
        };
        let mut s = HostString::exact("arn:", at(0, 4), Quoting::Hcl);
        s.push(Piece {
            text: "aws".into(),
            origin: PieceOrigin::Exact {
                at: at(4, 7),
                quoting: Quoting::Hcl,
            },
        });
        assert_eq!(s.pieces.len(), 1);
        assert_eq!(s.text(), "arn:aws");
        s.push(Piece {
            text: crate::symbolic::ACCOUNT.into(),
            origin: PieceOrigin::Whole(at(7, 30)),
        });
        assert_eq!(s.pieces.len(), 2);
        assert_eq!(s.span().unwrap().range, TextRange::new(0, 30));
    }
}
