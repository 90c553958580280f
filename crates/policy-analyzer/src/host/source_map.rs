//! The map from a rendered policy back to the host files it came from.
//!
//! A host renders each policy it finds to JSON text, which the analysis reads
//! like any policy; the map takes every range of the result back to the
//! host. Two kinds of segment make it up:
//!
//! - *exact* segments, where the rendered bytes are the host bytes one for
//!   one (a string written without escapes, a line of a template file): a
//!   range inside one maps to the same bytes of the host;
//! - *whole* segments, where a rendered token stands for a host range as a
//!   whole (a YAML scalar rendered as a JSON string, `{` for a YAML mapping,
//!   an intrinsic function that resolved to a value): a range inside one
//!   maps to all of it.
//!
//! Segments of one kind never overlap; an exact segment may lie inside a
//! whole one (the contents of a string token), and then it is the one used.
//! A fix's edit maps only where the host accepts the replacement as written:
//! a whole scalar replaced by a JSON string literal, or text inside an exact
//! segment that the host's quoting leaves alone.

use std::sync::Arc;

use crate::text::TextRange;

/// A range in a host file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file's path as the user names it.
    pub file: Arc<str>,
    pub range: TextRange,
}

/// How the host writes the text of an exact segment, which decides what a
/// fix may put there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// Inside a JSON string.
    JsonString,
    /// A YAML plain (unquoted) scalar.
    YamlPlain,
    /// Inside a YAML single-quoted scalar.
    YamlSingle,
    /// Inside a YAML double-quoted scalar.
    YamlDouble,
    /// Inside an HCL quoted string or heredoc, where `${` and `%{` start
    /// interpolations and directives.
    Hcl,
    /// Text written as it is, such as a YAML block scalar's line or a
    /// template file's line; `interpolation` when `${` has a meaning there
    /// (`Fn::Sub`, Terraform templates).
    Raw { interpolation: bool },
}

impl Quoting {
    /// Whether `text` can be written here as it is and still read back as itself.
    pub fn accepts(self, text: &str) -> bool {
        let interpolates = |t: &str| t.contains("${") || t.contains("%{");
        let controls = text.chars().any(|c| c.is_control());
        match self {
            Quoting::JsonString => !controls && !text.contains(['"', '\\']),
            Quoting::YamlPlain => {
                text.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(
                            b,
                            b'.' | b'_' | b'/' | b'*' | b'?' | b'@' | b'+' | b'=' | b'-'
                        )
                        || b == b':'
                }) && !text.contains(": ")
                    && !text.ends_with(':')
            }
            Quoting::YamlSingle => !controls && !text.contains('\''),
            Quoting::YamlDouble => !controls && !text.contains(['"', '\\']),
            Quoting::Hcl => !controls && !text.contains(['"', '\\']) && !interpolates(text),
            Quoting::Raw { interpolation } => {
                !(text.contains(['\n', '\r']) || interpolation && interpolates(text))
            }
        }
    }
}

/// What a fix may write over a whole segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replace {
    /// Nothing: the host range is not a literal (an intrinsic function, a
    /// reference, punctuation).
    Never,
    /// A JSON string, number or boolean literal, which the host reads as the
    /// same value in place of the whole range (a YAML or HCL scalar).
    /// `interpolation`: the host would read `${` inside a string as an
    /// interpolation (HCL), so such a string may not be written.
    Literal { interpolation: bool },
}

#[derive(Clone, Debug)]
struct Segment {
    rendered: TextRange,
    file: u16,
    host: TextRange,
}

#[derive(Clone, Debug)]
struct Exact {
    segment: Segment,
    quoting: Quoting,
}

#[derive(Clone, Debug)]
struct Whole {
    segment: Segment,
    replace: Replace,
}

/// Rendered ranges to host locations.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<Arc<str>>,
    exact: Vec<Exact>,
    /// Parts of a string that stand for a host range as a whole (a
    /// reference inside `Fn::Sub`, an escaped run); inside whole tokens.
    parts: Vec<Whole>,
    whole: Vec<Whole>,
}

impl SourceMap {
    fn file_id(&mut self, file: &Arc<str>) -> u16 {
        match self.files.iter().position(|f| f == file) {
            Some(i) => i as u16,
            None => {
                self.files.push(file.clone());
                (self.files.len() - 1) as u16
            }
        }
    }

    /// Records that `rendered` is the text of `host`, byte for byte.
    pub fn exact(&mut self, rendered: TextRange, host: &Location, quoting: Quoting) {
        debug_assert_eq!(rendered.len(), host.range.len());
        if rendered.is_empty() {
            return;
        }
        let file = self.file_id(&host.file);
        let segment = Segment {
            rendered,
            file,
            host: host.range,
        };
        debug_assert!(self
            .exact
            .last()
            .is_none_or(|e| e.segment.rendered.end <= rendered.start));
        self.exact.push(Exact { segment, quoting });
    }

    /// Records that `rendered`, part of a string token, stands for `host` as
    /// a whole: a fix never edits it.
    pub fn part(&mut self, rendered: TextRange, host: &Location) {
        if rendered.is_empty() {
            return;
        }
        let file = self.file_id(&host.file);
        let segment = Segment {
            rendered,
            file,
            host: host.range,
        };
        debug_assert!(self
            .parts
            .last()
            .is_none_or(|w| w.segment.rendered.end <= rendered.start));
        self.parts.push(Whole {
            segment,
            replace: Replace::Never,
        });
    }

    /// Records that `rendered` stands for `host` as a whole.
    pub fn whole(&mut self, rendered: TextRange, host: &Location, replace: Replace) {
        let file = self.file_id(&host.file);
        let segment = Segment {
            rendered,
            file,
            host: host.range,
        };
        debug_assert!(self
            .whole
            .last()
            .is_none_or(|w| w.segment.rendered.end <= rendered.start));
        self.whole.push(Whole { segment, replace });
    }

    /// Appends `other`, whose rendered ranges start at `offset` of this map's text.
    pub fn append(&mut self, other: &SourceMap, offset: u32) {
        let shift = |s: &Segment, ids: &[u16]| Segment {
            rendered: TextRange {
                start: s.rendered.start + offset,
                end: s.rendered.end + offset,
            },
            file: ids[s.file as usize],
            host: s.host,
        };
        let ids: Vec<u16> = other.files.iter().map(|f| self.file_id(f)).collect();
        self.exact.extend(other.exact.iter().map(|e| Exact {
            segment: shift(&e.segment, &ids),
            quoting: e.quoting,
        }));
        self.parts.extend(other.parts.iter().map(|w| Whole {
            segment: shift(&w.segment, &ids),
            replace: w.replace,
        }));
        self.whole.extend(other.whole.iter().map(|w| Whole {
            segment: shift(&w.segment, &ids),
            replace: w.replace,
        }));
    }

    fn location(&self, segment: &Segment, range: TextRange) -> Location {
        Location {
            file: self.files[segment.file as usize].clone(),
            range,
        }
    }

    /// The host location of a rendered range: exact where the range lies in
    /// one exact segment, the host range of the whole segment it lies in, or
    /// the span from where it starts to where it ends. `None` only for a map
    /// without segments.
    pub fn locate(&self, range: TextRange) -> Option<Location> {
        if let Some(e) = find(&self.exact, |e| &e.segment, range) {
            let s = &e.segment;
            let start = s.host.start + (range.start - s.rendered.start);
            let host = TextRange {
                start,
                end: start + range.len() as u32,
            };
            return Some(self.location(s, host));
        }
        for layer in [&self.parts, &self.whole] {
            if let Some(w) = find(layer, |w| &w.segment, range) {
                return Some(self.location(&w.segment, w.segment.host));
            }
        }
        let (start_file, start) = self.point(range.start, false)?;
        let (end_file, end) = self.point(range.end, true)?;
        if start_file == end_file && start <= end {
            let file = self.files[start_file as usize].clone();
            return Some(Location {
                file,
                range: TextRange { start, end },
            });
        }
        let (file, at) = (start_file, start);
        let segment = self
            .segment_at(range.start, false)
            .filter(|(s, _)| s.file == file)
            .map(|(s, _)| s.host)
            .unwrap_or(TextRange { start: at, end: at });
        Some(Location {
            file: self.files[file as usize].clone(),
            range: segment,
        })
    }

    /// The host location of a rendered edit, when the host accepts its text there.
    pub fn edit(&self, range: TextRange, replacement: &str) -> Option<Location> {
        if let Some(w) = self.whole.iter().find(|w| w.segment.rendered == range) {
            // A whole token replaced: only by a literal the host reads alike.
            return match w.replace {
                Replace::Literal { interpolation }
                    if is_scalar_literal(replacement)
                        && !(interpolation && replacement.contains("${"))
                        && !(interpolation && replacement.contains("%{")) =>
                {
                    Some(self.location(&w.segment, w.segment.host))
                }
                _ => None,
            };
        }
        let e = find(&self.exact, |e| &e.segment, range)?;
        if !e.quoting.accepts(replacement) {
            return None;
        }
        self.locate(range)
    }

    /// The segment holding `offset` (exact first), or in a gap between
    /// segments (punctuation) the next one for a start and the previous one
    /// for an end; and whether it is exact.
    fn segment_at(&self, offset: u32, is_end: bool) -> Option<(&Segment, bool)> {
        let holds = |s: &&Segment| {
            if is_end {
                s.rendered.start < offset && offset <= s.rendered.end
            } else {
                s.rendered.start <= offset && offset < s.rendered.end
            }
        };
        let exact = around(&self.exact, |e| &e.segment, offset);
        if let Some(s) = exact.iter().map(|e| &e.segment).find(holds) {
            return Some((s, true));
        }
        let parts = around(&self.parts, |w| &w.segment, offset);
        if let Some(s) = parts.iter().map(|w| &w.segment).find(holds) {
            return Some((s, false));
        }
        let whole = around(&self.whole, |w| &w.segment, offset);
        if let Some(s) = whole.iter().map(|w| &w.segment).find(holds) {
            return Some((s, false));
        }
        let candidates = exact
            .iter()
            .map(|e| (&e.segment, true))
            .chain(parts.iter().map(|w| (&w.segment, false)))
            .chain(whole.iter().map(|w| (&w.segment, false)));
        if is_end {
            candidates
                .filter(|(s, _)| s.rendered.end <= offset)
                .max_by_key(|(s, _)| s.rendered.end)
        } else {
            candidates
                .filter(|(s, _)| s.rendered.start >= offset)
                .min_by_key(|(s, _)| s.rendered.start)
        }
    }

    /// A rendered offset as a host file and offset.
    fn point(&self, offset: u32, is_end: bool) -> Option<(u16, u32)> {
        let (s, exact) = self.segment_at(offset, is_end)?;
        let at = if exact && s.rendered.start <= offset && offset <= s.rendered.end {
            s.host.start + (offset - s.rendered.start)
        } else if is_end {
            s.host.end
        } else {
            s.host.start
        };
        Some((s.file, at))
    }

    /// The rendered offset that stands for `offset` of the host file `file`
    /// (an editor's cursor): where an exact segment holds it, the same byte;
    /// else the start of the smallest whole segment around it.
    pub fn rendered_offset(&self, file: &str, offset: u32) -> Option<u32> {
        let in_file = |s: &Segment| &*self.files[s.file as usize] == file;
        if let Some(e) = self.exact.iter().find(|e| {
            in_file(&e.segment) && e.segment.host.start <= offset && offset <= e.segment.host.end
        }) {
            return Some(e.segment.rendered.start + (offset - e.segment.host.start));
        }
        self.parts
            .iter()
            .chain(&self.whole)
            .filter(|w| {
                in_file(&w.segment)
                    && w.segment.host.start <= offset
                    && offset <= w.segment.host.end
                    && !w.segment.rendered.is_empty()
            })
            .min_by_key(|w| w.segment.host.len())
            // Inside the token: past a string's opening quote.
            .map(|w| (w.segment.rendered.start + 1).min(w.segment.rendered.end))
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.parts.is_empty() && self.whole.is_empty()
    }
}

/// The item whose segment contains `range` entirely.
fn find<T>(items: &[T], segment: impl Fn(&T) -> &Segment, range: TextRange) -> Option<&T> {
    let item = nearest(items, &segment, range.start)?;
    let s = segment(item);
    (s.rendered.start <= range.start && range.end <= s.rendered.end).then_some(item)
}

/// The last item starting at or before `offset`.
fn nearest<T>(items: &[T], segment: impl Fn(&T) -> &Segment, offset: u32) -> Option<&T> {
    let after = items.partition_point(|i| segment(i).rendered.start <= offset);
    after.checked_sub(1).map(|i| &items[i])
}

/// The items that can hold `offset` or lie next to it: segments of one kind
/// never overlap, so these are the two before and the one after the first
/// that starts past it.
fn around<T>(items: &[T], segment: impl Fn(&T) -> &Segment, offset: u32) -> &[T] {
    let after = items.partition_point(|i| segment(i).rendered.start <= offset);
    &items[after.saturating_sub(2)..(after + 1).min(items.len())]
}

/// A JSON string, number, boolean or null literal.
fn is_scalar_literal(text: &str) -> bool {
    matches!(
        serde_json::from_str::<serde_json::Value>(text),
        Ok(serde_json::Value::String(_)
            | serde_json::Value::Number(_)
            | serde_json::Value::Bool(_))
    ) && !text.contains(['\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(file: &Arc<str>, start: u32, end: u32) -> Location {
        Location {
            file: file.clone(),
            range: TextRange { start, end },
        }
    }

    fn r(start: u32, end: u32) -> TextRange {
        TextRange { start, end }
    }

    #[test]
    fn ranges_map_exactly_inside_strings_and_wholly_elsewhere() {
        // Rendered `{"Action":"kms:Decrypts"}` from the YAML
        // `Action: kms:Decrypts` at host offset 100.
        let file: Arc<str> = "t.yaml".into();
        let mut map = SourceMap::default();
        map.whole(r(0, 1), &loc(&file, 100, 101), Replace::Never);
        map.whole(
            r(1, 9),
            &loc(&file, 100, 106),
            Replace::Literal {
                interpolation: false,
            },
        );
        map.exact(r(2, 8), &loc(&file, 100, 106), Quoting::YamlPlain);
        map.whole(
            r(10, 24),
            &loc(&file, 108, 120),
            Replace::Literal {
                interpolation: false,
            },
        );
        map.exact(r(11, 23), &loc(&file, 108, 120), Quoting::YamlPlain);
        map.whole(r(24, 25), &loc(&file, 120, 120), Replace::Never);

        assert_eq!(map.locate(r(10, 24)).unwrap().range, r(108, 120));
        assert_eq!(map.locate(r(15, 18)).unwrap().range, r(112, 115));
        assert_eq!(map.locate(r(0, 25)).unwrap().range, r(100, 120));
        assert_eq!(
            map.locate(r(9, 10)).unwrap().range,
            r(108, 120),
            "a colon between tokens maps to the token after it"
        );
        // A whole scalar replaced by a JSON string: valid YAML.
        assert_eq!(
            map.edit(r(10, 24), "\"kms:Decrypt\"").unwrap().range,
            r(108, 120)
        );
        assert!(map.edit(r(10, 24), "[\"kms:Decrypt\"]").is_none());
        // Inside a plain scalar: only text that stays one plain scalar.
        assert_eq!(map.edit(r(22, 23), "").unwrap().range, r(119, 120));
        assert!(map.edit(r(22, 23), "# x").is_none());
        // Across tokens: never.
        assert!(map.edit(r(9, 24), "").is_none());
    }

    #[test]
    fn quoting_accepts_what_reads_back_as_itself() {
        assert!(Quoting::YamlPlain.accepts("kms:Decrypt"));
        assert!(!Quoting::YamlPlain.accepts("a: b"));
        assert!(Quoting::JsonString.accepts("a b"));
        assert!(!Quoting::JsonString.accepts("a\"b"));
        assert!(!Quoting::Hcl.accepts("${x}"));
        assert!(Quoting::Raw {
            interpolation: false
        }
        .accepts("\"x\": 1"));
        assert!(!Quoting::Raw {
            interpolation: true
        }
        .accepts("${x}"));
    }
}
