//! Splits JSON text into tokens. Comments are returned as tokens so that the
//! parser can report them; whitespace is skipped.

use std::borrow::Cow;

use crate::text::TextRange;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TokenKind<'a> {
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Colon,
    Comma,
    String(Cow<'a, str>),
    Number,
    True,
    False,
    Null,
    /// A bare word that is not `true`, `false` or `null`: `True`, `undefined`,
    /// or a template placeholder such as `${account_id}`.
    Word,
    Comment,
    /// A character that cannot start any token.
    Unexpected,
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub kind: TokenKind<'a>,
    pub range: TextRange,
}

/// A problem inside a single token (bad escape, unterminated string...).
#[derive(Clone, Debug)]
pub(crate) struct LexError {
    pub range: TextRange,
    pub message: String,
}

pub(crate) struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    pub errors: Vec<LexError>,
    /// How many errors the lexer may keep in all. One string can hold any
    /// number of bad escapes, and the parser counts errors only between
    /// tokens: without this, 1,000 lone surrogates gave 1,000 errors.
    pub error_limit: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        // A UTF-8 byte order mark is not part of the document.
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos,
            errors: Vec::new(),
            error_limit: usize::MAX,
        }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        if self.errors.len() >= self.error_limit {
            return;
        }
        self.errors.push(LexError {
            range: TextRange::new(start, end),
            message: message.into(),
        });
    }

    pub fn next_token(&mut self) -> Token<'a> {
        self.pos = skip_whitespace(self.bytes, self.pos);
        let start = self.pos;
        let Some(&b) = self.bytes.get(start) else {
            return Token {
                kind: TokenKind::Eof,
                range: TextRange::empty(start),
            };
        };
        let kind = match b {
            b'{' => self.single(TokenKind::LBrace),
            b'}' => self.single(TokenKind::RBrace),
            b'[' => self.single(TokenKind::LBracket),
            b']' => self.single(TokenKind::RBracket),
            b':' => self.single(TokenKind::Colon),
            b',' => self.single(TokenKind::Comma),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(),
            b'/' if matches!(self.bytes.get(start + 1), Some(b'/') | Some(b'*')) => self.comment(),
            _ if is_word_byte(b) => self.word(),
            _ => {
                let ch_len = self.text[start..].chars().next().map_or(1, char::len_utf8);
                self.pos += ch_len;
                TokenKind::Unexpected
            }
        };
        Token {
            kind,
            range: TextRange::new(start, self.pos),
        }
    }

    fn single(&mut self, kind: TokenKind<'a>) -> TokenKind<'a> {
        self.pos += 1;
        kind
    }

    fn comment(&mut self) -> TokenKind<'a> {
        let start = self.pos;
        if self.bytes[start + 1] == b'/' {
            let end = memchr_newline(&self.bytes[start..]).map_or(self.bytes.len(), |i| start + i);
            self.pos = end;
        } else {
            match find(&self.bytes[start + 2..], b"*/") {
                Some(i) => self.pos = start + 2 + i + 2,
                None => {
                    self.pos = self.bytes.len();
                    self.error(
                        start,
                        start + 2,
                        "unterminated block comment: expected `*/`",
                    );
                }
            }
        }
        TokenKind::Comment
    }

    fn word(&mut self) -> TokenKind<'a> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                // `${...}` and `%{...}` are template placeholders and directives:
                // one token each, so that one bad template gives one error.
                b'{' if depth > 0
                    || (self.pos > start && matches!(self.bytes[self.pos - 1], b'$' | b'%')) =>
                {
                    depth += 1
                }
                b'}' if depth > 0 => depth -= 1,
                b'\n' => break,
                _ if depth > 0 => {}
                _ if !is_word_byte(b) => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            self.pos += 1;
        }
        while !self.text.is_char_boundary(self.pos) {
            self.pos += 1;
        }
        match &self.text[start..self.pos] {
            "true" => TokenKind::True,
            "false" => TokenKind::False,
            "null" => TokenKind::Null,
            _ => TokenKind::Word,
        }
    }

    fn number(&mut self) -> TokenKind<'a> {
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let raw = &self.text[start..self.pos];
        if !is_json_number(raw) {
            self.error(
                start,
                self.pos,
                format!("`{raw}` is not a valid JSON number"),
            );
        }
        TokenKind::Number
    }

    fn string(&mut self) -> TokenKind<'a> {
        let start = self.pos;
        self.pos += 1;
        let content_start = self.pos;
        let mut owned: Option<String> = None;
        let mut run_start = content_start;
        loop {
            // Most of a string is plain text: skip it in one scan.
            self.pos = skip_plain_string(self.bytes, self.pos);
            let Some(&b) = self.bytes.get(self.pos) else {
                self.error(
                    start,
                    self.pos,
                    "unterminated string: expected a closing `\"`",
                );
                break;
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                // A line ends at `\n`, `\r\n` or a lone `\r` (as editors
                // count them, and as `LineIndex` does), and no string runs
                // past the end of its line.
                b'\n' | b'\r' => {
                    let newline = self.pos;
                    let after = if b == b'\r' && self.bytes.get(newline + 1) == Some(&b'\n') {
                        newline + 2
                    } else {
                        newline + 1
                    };
                    // A long string wrapped onto the next line, as in a
                    // snippet copied from a page: one finding at the break,
                    // and the string read on as if the lines were joined.
                    if let Some(resume) = wrapped_string_continues(self.bytes, after) {
                        let buf = owned.get_or_insert_with(String::new);
                        buf.push_str(&self.text[run_start..newline]);
                        self.error(
                            start,
                            newline,
                            "line break inside a string: the string goes on on the next line, and a JSON string cannot span lines, so AWS rejects the policy; join the two lines",
                        );
                        self.pos = resume;
                        run_start = resume;
                        continue;
                    }
                    self.error(
                        start,
                        self.pos,
                        "unterminated string: expected a closing `\"` before the end of the line",
                    );
                    break;
                }
                b'\\' => {
                    let buf = owned.get_or_insert_with(String::new);
                    buf.push_str(&self.text[run_start..self.pos]);
                    let esc_start = self.pos;
                    self.pos += 1;
                    match self.bytes.get(self.pos) {
                        Some(b'"') => buf.push('"'),
                        Some(b'\\') => buf.push('\\'),
                        Some(b'/') => buf.push('/'),
                        Some(b'b') => buf.push('\u{8}'),
                        Some(b'f') => buf.push('\u{c}'),
                        Some(b'n') => buf.push('\n'),
                        Some(b'r') => buf.push('\r'),
                        Some(b't') => buf.push('\t'),
                        Some(b'u') => {
                            self.pos += 1;
                            let ch = self.unicode_escape(esc_start);
                            owned.get_or_insert_with(String::new).push(ch);
                            run_start = self.pos;
                            continue;
                        }
                        _ => {
                            let end = (self.pos + 1).min(self.bytes.len());
                            let mut end = end;
                            while !self.text.is_char_boundary(end) {
                                end += 1;
                            }
                            self.error(
                                esc_start,
                                end,
                                format!(
                                    "invalid escape `{}` in string: JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX",
                                    &self.text[esc_start..end]
                                ),
                            );
                            self.pos = end;
                            run_start = self.pos;
                            continue;
                        }
                    }
                    self.pos += 1;
                    run_start = self.pos;
                }
                0x00..=0x1f => {
                    self.error(
                        self.pos,
                        self.pos + 1,
                        format!("control character U+{b:04X} inside a string must be escaped"),
                    );
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        let content_end = if self.bytes.get(self.pos.wrapping_sub(1)) == Some(&b'"')
            && self.pos > content_start
        {
            self.pos - 1
        } else {
            self.pos
        };
        let value = match owned {
            Some(mut buf) => {
                buf.push_str(&self.text[run_start..content_end.max(run_start)]);
                Cow::Owned(buf)
            }
            None => Cow::Borrowed(&self.text[content_start..content_end]),
        };
        TokenKind::String(value)
    }

    /// Reads the four hex digits after `\u` (and a low surrogate after a high one).
    fn unicode_escape(&mut self, esc_start: usize) -> char {
        let Some(high) = self.hex4() else {
            self.error(
                esc_start,
                self.pos,
                "invalid `\\u` escape: expected four hex digits",
            );
            return char::REPLACEMENT_CHARACTER;
        };
        if (0xD800..0xDC00).contains(&high) {
            if self.bytes.get(self.pos) == Some(&b'\\')
                && self.bytes.get(self.pos + 1) == Some(&b'u')
            {
                let save = self.pos;
                self.pos += 2;
                if let Some(low) = self.hex4() {
                    if (0xDC00..0xE000).contains(&low) {
                        let cp = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        return char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
                    }
                }
                self.pos = save;
            }
            self.error(
                esc_start,
                self.pos,
                "unpaired UTF-16 surrogate in `\\u` escape",
            );
            return char::REPLACEMENT_CHARACTER;
        }
        char::from_u32(high).unwrap_or_else(|| {
            self.error(
                esc_start,
                self.pos,
                "unpaired UTF-16 surrogate in `\\u` escape",
            );
            char::REPLACEMENT_CHARACTER
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4)?;
        let mut value = 0u32;
        for &d in digits {
            value = value * 16 + (d as char).to_digit(16)?;
        }
        self.pos += 4;
        Some(value)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'$'
                | b'.'
                | b'-'
                | b'<'
                | b'>'
                | b'%'
                | b'!'
                | b'&'
                | b'|'
                | b'='
                | b'@'
                | b'#'
                | b'*'
                | b'?'
                | b'+'
                | b'\''
                | b'('
                | b')'
                | b'~'
                | b'^'
                | b'`'
                | b';'
                | b'\\'
        )
        || b >= 0x80
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

// Policies are mostly indentation and plain string text, so the two scans
// below look at eight bytes at a time (SWAR) and finish byte by byte.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// A word with the high bit set in each byte of `word` that is zero (and
/// possibly in bytes above one that is: only the lowest flag is exact, so
/// callers use the first flag alone).
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

fn repeat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Reads eight bytes at `at`, if there are eight.
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// The first position at or after `at` that is not JSON whitespace.
fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    loop {
        match bytes.get(at) {
            // Indentation: count a run of spaces eight bytes at a time.
            Some(b' ') => match word_at(bytes, at) {
                Some(word) => {
                    // Little-endian: the lowest byte that is not a space ends the run.
                    let others = word ^ repeat(b' ');
                    at += if others == 0 {
                        8
                    } else {
                        (others.trailing_zeros() / 8) as usize
                    };
                }
                None => at += 1,
            },
            Some(b'\t' | b'\n' | b'\r') => at += 1,
            _ => return at,
        }
    }
}

/// Whether the line that starts at `at` ends a string that a line break cut
/// in two: it holds a closing `"` (no other quote before it) followed by what
/// can follow a string (`,` `:` `}` `]` or the end of the line). Returns where
/// the string's text goes on: past the line's indentation.
fn wrapped_string_continues(bytes: &[u8], at: usize) -> Option<usize> {
    // The line ends at `\n`, `\r\n` or a lone `\r`, as the string's own did.
    let line_end = memchr::memchr2(b'\n', b'\r', &bytes[at.min(bytes.len())..])
        .map_or(bytes.len(), |i| at + i);
    let line = &bytes[at.min(bytes.len())..line_end];
    let quote = line.iter().position(|&b| b == b'"')?;
    if line[..quote].contains(&b'\\') {
        return None;
    }
    let rest = line[quote + 1..]
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t'));
    if !matches!(rest, None | Some(b',' | b':' | b'}' | b']')) {
        return None;
    }
    let indent = line
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    Some(at + indent)
}

/// The first position at or after `at` that holds `"`, `\\` or a control
/// character (or the end): the run before it is plain string text.
fn skip_plain_string(bytes: &[u8], mut at: usize) -> usize {
    while let Some(word) = word_at(bytes, at) {
        // Control characters are the bytes below 0x20: those whose top three
        // bits are clear.
        let special = zero_bytes(word ^ repeat(b'"'))
            | zero_bytes(word ^ repeat(b'\\'))
            | zero_bytes(word & repeat(0xe0));
        if special != 0 {
            // Little-endian: the lowest flagged byte is the first special one.
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at.min(bytes.len())
}

fn is_json_number(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let digits = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        let digits = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time scans agree with byte-by-byte ones at every start
    /// position, for every byte value in every lane of a word.
    #[test]
    fn word_scans_agree_with_byte_scans() {
        let naive_space = |bytes: &[u8], at: usize| {
            at + bytes[at..]
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(bytes.len() - at)
        };
        let naive_plain = |bytes: &[u8], at: usize| {
            at + bytes[at..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(bytes.len() - at)
        };
        for lane in 0..20 {
            for byte in 0..=255u8 {
                for base in [b' ', b'\n', b'a', 0xc3] {
                    let mut bytes = vec![base; 20];
                    bytes[lane] = byte;
                    for at in 0..=bytes.len() {
                        assert_eq!(skip_whitespace(&bytes, at), naive_space(&bytes, at));
                        assert_eq!(skip_plain_string(&bytes, at), naive_plain(&bytes, at));
                    }
                }
            }
        }
    }

    fn kinds(text: &str) -> Vec<TokenKind<'_>> {
        let mut lexer = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token();
            if t.kind == TokenKind::Eof {
                break;
            }
            out.push(t.kind);
        }
        out
    }

    #[test]
    fn strings_decode_escapes() {
        assert_eq!(
            kinds(r#""a\"b\u00e9\ud83d\ude00""#),
            vec![TokenKind::String(Cow::Owned("a\"b\u{e9}\u{1f600}".into()))]
        );
    }

    #[test]
    fn numbers_are_validated() {
        for ok in ["0", "-1", "1.5", "1e10", "-0.5E-3"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["01", "1.", ".5", "-", "1e", "+1", "0x10"] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }

    #[test]
    fn template_placeholders_are_one_word() {
        assert_eq!(kinds("${var.account}"), vec![TokenKind::Word]);
        assert_eq!(kinds("%{ for s in list ~}"), vec![TokenKind::Word]);
        assert_eq!(kinds("True"), vec![TokenKind::Word]);
    }
}
