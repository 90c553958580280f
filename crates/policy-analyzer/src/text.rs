//! Byte ranges into the analysed text and their conversion to line/column.
//!
//! Ranges are byte offsets everywhere inside the analyzer; line and column
//! numbers exist only at the edges (the CLI's renderers, the language server).

use serde::Serialize;

/// A half-open byte range `start..end` into the analysed text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        TextRange {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset < (self.end as usize)
    }

    /// Like [`contains`](Self::contains) but also true at the end offset, which is
    /// what an editor cursor placed right after a token expects.
    pub fn touches(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }

    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn as_usize(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionEncoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the LSP default).
    Utf16,
    /// Unicode scalar values (what the CLI shows humans).
    Utf32,
}

/// A zero-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Maps byte offsets to lines and columns and back.
///
/// Lines end at `\n`, `\r\n` or a lone `\r`, as LSP 3.17 counts them, so the
/// server, the CLI and every editor agree on line numbers whatever the line
/// endings. Every conversion is a binary search: a file with thousands of
/// findings on one minified line costs no more per finding than one with a
/// finding per line.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// The offset of every character of more than one byte, in order.
    wide: Vec<u32>,
    /// `saved16[k]`: how many fewer UTF-16 units than bytes the first `k`
    /// wide characters take (one more entry than `wide`).
    saved16: Vec<u32>,
    /// `saved32[k]`: the same in characters.
    saved32: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // Built for every file with findings: find the line ends with SIMD.
        let mut line_starts = vec![0u32];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // The `\n` of a `\r\n` ends the line; a lone `\r` ends one too.
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                line_starts.push(i as u32 + 1);
            }
        }
        let (mut wide, mut saved16, mut saved32) = (Vec::new(), vec![0u32], vec![0u32]);
        if !text.is_ascii() {
            let (mut s16, mut s32) = (0u32, 0u32);
            for (i, &b) in bytes.iter().enumerate() {
                // A lead byte: 110xxxxx, 1110xxxx or 11110xxx.
                if b >= 0xC0 {
                    let len8 = utf8_len(b);
                    s16 += len8 - if len8 == 4 { 2 } else { 1 };
                    s32 += len8 - 1;
                    wide.push(i as u32);
                    saved16.push(s16);
                    saved32.push(s32);
                }
            }
        }
        LineIndex {
            line_starts,
            wide,
            saved16,
            saved32,
            len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte range of a zero-based line, without its line ending; past
    /// the last line, the empty range at the end of the text.
    pub fn line_range(&self, text: &str, line: usize) -> TextRange {
        let Some(&start) = self.line_starts.get(line) else {
            return TextRange::empty(self.len as usize);
        };
        let end = match self.line_starts.get(line + 1) {
            Some(&next) => {
                let next = next as usize;
                let crlf = next >= 2 && &text.as_bytes()[next - 2..next] == b"\r\n";
                next - if crlf { 2 } else { 1 }
            }
            None => self.len as usize,
        };
        TextRange::new(start as usize, end.max(start as usize))
    }

    /// How many wide characters start before `offset`.
    fn wide_before(&self, offset: usize) -> usize {
        self.wide.partition_point(|&w| (w as usize) < offset)
    }

    /// The column of `offset` on the line starting at `start`, both on
    /// character boundaries.
    fn column(&self, start: usize, offset: usize, encoding: PositionEncoding) -> usize {
        let bytes = offset - start;
        let saved = match encoding {
            PositionEncoding::Utf8 => return bytes,
            PositionEncoding::Utf16 => &self.saved16,
            PositionEncoding::Utf32 => &self.saved32,
        };
        if self.wide.is_empty() {
            return bytes;
        }
        bytes - (saved[self.wide_before(offset)] - saved[self.wide_before(start)]) as usize
    }

    /// The zero-based line and column of `offset`, columns counted in `encoding`.
    /// An offset inside a multi-byte character is rounded down to its start,
    /// one between the `\r` and `\n` of a line ending to the end of the line:
    /// no position addresses that gap.
    pub fn line_col(&self, text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let mut offset = offset.min(self.len as usize);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let bytes = text.as_bytes();
        if offset > 0 && bytes[offset - 1] == b'\r' && bytes.get(offset) == Some(&b'\n') {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = self.line_starts[line] as usize;
        LineCol {
            line: line as u32,
            col: self.column(start, offset, encoding) as u32,
        }
    }

    /// The byte offset of a zero-based line and column. Positions past the end of
    /// a line clamp to the line's end; past the last line, to the end of the text.
    /// A column inside a character (half of a surrogate pair) rounds down to its start.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
        if pos.line as usize >= self.line_starts.len() {
            return text.len();
        }
        let line = self.line_range(text, pos.line as usize);
        let (start, end) = (line.start as usize, line.end as usize);
        let col = pos.col as usize;
        let (saved, unit) = match encoding {
            PositionEncoding::Utf8 => {
                let mut at = start.saturating_add(col).min(end);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                return at;
            }
            PositionEncoding::Utf16 => (&self.saved16, 2),
            PositionEncoding::Utf32 => (&self.saved32, 1),
        };
        // The wide characters on this line; the last that starts at or before
        // the column decides, the text after it up to the next is ASCII.
        let (first, last) = (self.wide_before(start), self.wide_before(end));
        let column_of = |k: usize| {
            let w = self.wide[k] as usize;
            (w - start) - (saved[k] - saved[first]) as usize
        };
        // Binary search for the first wide character past the column.
        let (mut lo, mut hi) = (first, last);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if column_of(mid) <= col {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let k = lo;
        if k == first {
            return start.saturating_add(col).min(end);
        }
        let j = k - 1;
        let at = self.wide[j] as usize;
        let len8 = utf8_len(text.as_bytes()[at]) as usize;
        let width = if unit == 2 && len8 == 4 { 2 } else { 1 };
        let column = column_of(j);
        if col < column + width {
            at
        } else {
            (at + len8 + (col - column - width)).min(end)
        }
    }
}

/// The length of the UTF-8 sequence a lead byte starts.
fn utf8_len(lead: u8) -> u32 {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_each_encoding() {
        let text = "ab\n\u{e9}\u{1f600}x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            index.line_col(text, x, PositionEncoding::Utf8),
            LineCol { line: 1, col: 6 }
        );
        assert_eq!(
            index.line_col(text, x, PositionEncoding::Utf16),
            LineCol { line: 1, col: 3 }
        );
        assert_eq!(
            index.line_col(text, x, PositionEncoding::Utf32),
            LineCol { line: 1, col: 2 }
        );
        for enc in [
            PositionEncoding::Utf8,
            PositionEncoding::Utf16,
            PositionEncoding::Utf32,
        ] {
            let lc = index.line_col(text, x, enc);
            assert_eq!(index.offset(text, lc, enc), x);
        }
    }

    /// Line/column the slow way: split into lines at `\n`, `\r\n` and `\r`,
    /// then count the columns of the line's prefix.
    fn naive_lines(text: &str) -> Vec<(usize, usize)> {
        let bytes = text.as_bytes();
        let (mut lines, mut start, mut i) = (Vec::new(), 0, 0);
        while i < bytes.len() {
            let ending = match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
                b'\r' | b'\n' => 1,
                _ => 0,
            };
            if ending > 0 {
                lines.push((start, i));
                start = i + ending;
                i = start;
            } else {
                i += 1;
            }
        }
        lines.push((start, bytes.len()));
        lines
    }

    fn width(s: &str, encoding: PositionEncoding) -> usize {
        match encoding {
            PositionEncoding::Utf8 => s.len(),
            PositionEncoding::Utf16 => s.encode_utf16().count(),
            PositionEncoding::Utf32 => s.chars().count(),
        }
    }

    const ENCODINGS: [PositionEncoding; 3] = [
        PositionEncoding::Utf8,
        PositionEncoding::Utf16,
        PositionEncoding::Utf32,
    ];

    #[test]
    fn agrees_with_the_naive_count_on_every_short_text() {
        // Every text of up to five pieces from this alphabet.
        let alphabet = ["a", "\n", "\r", "\r\n", "\u{e9}", "\u{4e2d}", "\u{1f511}"];
        let mut texts = vec![String::new()];
        for _ in 0..5 {
            let mut longer = Vec::new();
            for t in &texts {
                for piece in alphabet {
                    longer.push(format!("{t}{piece}"));
                }
            }
            texts.extend(longer);
            texts.dedup();
        }
        for text in &texts {
            let index = LineIndex::new(text);
            let lines = naive_lines(text);
            assert_eq!(index.line_count(), lines.len(), "{text:?}");
            for (n, &(start, end)) in lines.iter().enumerate() {
                assert_eq!(index.line_range(text, n), TextRange::new(start, end));
            }
            for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
                let line = lines.iter().rposition(|&(s, _)| s <= offset).unwrap();
                // Inside a `\r\n`: the end of the line.
                let at = offset.min(lines[line].1);
                for encoding in ENCODINGS {
                    let col = width(&text[lines[line].0..at], encoding);
                    let lc = index.line_col(text, offset, encoding);
                    assert_eq!(
                        (lc.line as usize, lc.col as usize),
                        (line, col),
                        "{text:?} at {offset} in {encoding:?}"
                    );
                    // Offsets inside a line ending map back to its end.
                    let back = index.offset(text, lc, encoding);
                    assert_eq!(back, offset.min(lines[line].1), "{text:?} {offset}");
                }
            }
            // Columns past the end of a line clamp to the end; a column
            // inside a character rounds down to its start.
            for (n, &(start, end)) in lines.iter().enumerate() {
                for encoding in ENCODINGS {
                    for col in 0..12u32 {
                        let got = index.offset(
                            text,
                            LineCol {
                                line: n as u32,
                                col,
                            },
                            encoding,
                        );
                        let mut want = start;
                        let mut used = 0;
                        for ch in text[start..end].chars() {
                            let w = width(ch.encode_utf8(&mut [0; 4]), encoding);
                            if used + w > col as usize {
                                break;
                            }
                            used += w;
                            want += ch.len_utf8();
                        }
                        assert_eq!(got, want, "{text:?} line {n} col {col} {encoding:?}");
                    }
                }
            }
        }
    }

    /// LSP 3.17: a lone `\r` ends a line, as `\n` and `\r\n` do.
    #[test]
    fn carriage_returns_end_lines() {
        let text = "{\r  \"a\": 1,\r\n  \"b\": 2\n}";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        let b = text.find("\"b\"").unwrap();
        assert_eq!(
            index.line_col(text, b, PositionEncoding::Utf16),
            LineCol { line: 2, col: 2 }
        );
        let close = text.len() - 1;
        assert_eq!(
            index.line_col(text, close, PositionEncoding::Utf16),
            LineCol { line: 3, col: 0 }
        );
        assert_eq!(&text[index.line_range(text, 1).as_usize()], "  \"a\": 1,");
    }

    #[test]
    fn offsets_clamp() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        let lc = LineCol { line: 0, col: 99 };
        assert_eq!(index.offset(text, lc, PositionEncoding::Utf16), 2);
        let lc = LineCol { line: 7, col: 0 };
        assert_eq!(index.offset(text, lc, PositionEncoding::Utf16), 5);
        assert_eq!(
            index.line_col(text, 99, PositionEncoding::Utf8),
            LineCol { line: 1, col: 2 }
        );
    }
}
