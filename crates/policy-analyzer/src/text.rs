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
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // Built for every file with findings: find the newlines with SIMD.
        let mut line_starts = vec![0u32];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        LineIndex {
            line_starts,
            len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The zero-based line and column of `offset`, columns counted in `encoding`.
    /// An offset inside a multi-byte character is rounded down to its start.
    pub fn line_col(&self, text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = offset.min(self.len as usize);
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut end = offset;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let segment = &text[start..end];
        let col = match encoding {
            PositionEncoding::Utf8 => segment.len(),
            PositionEncoding::Utf16 => segment.chars().map(char::len_utf16).sum(),
            PositionEncoding::Utf32 => segment.chars().count(),
        };
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// The byte offset of a zero-based line and column. Positions past the end of
    /// a line clamp to the line's end; past the last line, to the end of the text.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
        let Some(&start) = self.line_starts.get(pos.line as usize) else {
            return text.len();
        };
        let start = start as usize;
        let line_end = self
            .line_starts
            .get(pos.line as usize + 1)
            .map(|&s| s as usize - 1)
            .unwrap_or(text.len());
        let line = &text[start..line_end];
        let mut remaining = pos.col as usize;
        for (i, ch) in line.char_indices() {
            if remaining == 0 {
                return start + i;
            }
            let width = match encoding {
                PositionEncoding::Utf8 => ch.len_utf8(),
                PositionEncoding::Utf16 => ch.len_utf16(),
                PositionEncoding::Utf32 => 1,
            };
            if remaining < width {
                return start + i;
            }
            remaining -= width;
        }
        line_end
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
