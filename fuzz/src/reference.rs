//! Plain, slow models to compare the real code with: lines split one
//! character at a time, columns counted by encoding each character, a
//! document as a `String` edited by those positions.

use policy_analyzer::{LineCol, PositionEncoding};

/// The lines of `text` as (start, end) byte offsets without the line
/// ending; lines end at `\n`, `\r\n` or a lone `\r` (LSP 3.17).
pub fn lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut out, mut start, mut i) = (Vec::new(), 0, 0);
    while i < bytes.len() {
        let ending = match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' => 1,
            _ => 0,
        };
        if ending > 0 {
            out.push((start, i));
            start = i + ending;
            i = start;
        } else {
            i += 1;
        }
    }
    out.push((start, bytes.len()));
    out
}

fn width(c: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => c.len_utf8(),
        PositionEncoding::Utf16 => c.len_utf16(),
        PositionEncoding::Utf32 => 1,
    }
}

/// The lines of one text, split once for many questions.
pub struct Lines<'t> {
    text: &'t str,
    pub lines: Vec<(usize, usize)>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Self {
        Lines {
            text,
            lines: lines(text),
        }
    }

    /// The line and column of `offset` (rounded down to a character
    /// boundary, clamped to the text). An offset between the `\r` and `\n`
    /// of a line ending is the end of its line.
    pub fn line_col(&self, offset: usize, encoding: PositionEncoding) -> LineCol {
        let text = self.text;
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        if text[..offset].ends_with('\r') && text[offset..].starts_with('\n') {
            offset -= 1;
        }
        let line = self.lines.partition_point(|&(s, _)| s <= offset).max(1) - 1;
        let start = self.lines[line].0;
        let col: usize = text[start..offset]
            .chars()
            .map(|c| width(c, encoding))
            .sum();
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// The offset of a position: past the last line, the end of the text;
    /// past the end of a line, its end; inside a character, its start.
    pub fn offset(&self, pos: LineCol, encoding: PositionEncoding) -> usize {
        let Some(&(start, end)) = self.lines.get(pos.line as usize) else {
            return self.text.len();
        };
        let mut at = start;
        let mut used = 0;
        for c in self.text[start..end].chars() {
            let w = width(c, encoding);
            if used + w > pos.col as usize {
                break;
            }
            used += w;
            at += c.len_utf8();
        }
        at
    }
}

/// [`Lines::line_col`] of a text split for this one question.
pub fn line_col(text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
    Lines::new(text).line_col(offset, encoding)
}

/// [`Lines::offset`] of a text split for this one question.
pub fn offset(text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
    Lines::new(text).offset(pos, encoding)
}

/// A document as the LSP specification describes it, edited the slow way.
#[derive(Clone, Debug)]
pub struct Document {
    pub text: String,
}

impl Document {
    /// Replaces the text between two positions (in either order).
    pub fn edit(&mut self, from: LineCol, to: LineCol, encoding: PositionEncoding, new: &str) {
        let a = offset(&self.text, from, encoding);
        let b = offset(&self.text, to, encoding);
        self.text.replace_range(a.min(b)..a.max(b), new);
    }
}
