//! The wire between the editor and tower-lsp-server.
//!
//! tower-lsp-server stops reading at the first message it cannot decode, and
//! then the process exits: one malformed frame from a client (a bad
//! `Content-Length`, a body that is not JSON-RPC, a lone UTF-16 surrogate
//! escape that serde_json refuses) ended the session. So the server reads
//! its input here first:
//!
//! ```text
//! stdin ─► frames ─► checked ─┬─► (pipe) ─► tower-lsp-server ─► (pipe) ─┐
//!                             └─► error responses ─────────────────────┴─► stdout
//! ```
//!
//! A frame that tower-lsp-server would accept goes on, re-framed; one whose
//! only fault is a lone surrogate escape goes on with the escape replaced by
//! U+FFFD (one UTF-16 unit, like the surrogate, so positions stay put);
//! anything else is answered here with a JSON-RPC error (ParseError or
//! InvalidRequest, id null), logged on stderr, and the reading goes on from
//! the next `Content-Length` header. Requests whose method starts with `$/`
//! get MethodNotFound, as LSP requires. One writer puts whole frames on
//! stdout, so the server's messages and these answers never interleave.
//!
//! The session ends on `exit` (status 0 after `shutdown`, else 1) or at the
//! end of the input, even while a handler still waits for the client.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Request, Response};

/// Frames larger than this are refused (and skipped, not buffered): a
/// document of the CLI's 64 MiB limit, escaped, fits.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// A header block longer than this is garbage.
const MAX_HEADER: usize = 16 * 1024;

/// How long the server may go on after its input ended, to write what is
/// already on its way; a handler still waiting for the client does not
/// keep the process alive.
const DRAIN: Duration = Duration::from_millis(500);

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;

/// What the frame reader found next in the input.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A body, as many bytes as its `Content-Length` said.
    Frame(Vec<u8>),
    /// Bytes that are not a frame, and why; `answer` is false when they are
    /// the rest of a frame already answered.
    Malformed { why: String, answer: bool },
    /// A frame over [`MAX_BODY`], skipped.
    TooLarge(usize),
}

/// Reads LSP frames (`Content-Length: N\r\n\r\n` and N bytes of body) from a
/// byte stream that may hold anything. After bytes that are not a frame it
/// reads on from the next `Content-Length` header.
pub struct FrameReader<R> {
    input: R,
    buffer: Vec<u8>,
    eof: bool,
    /// The last frame was answered as malformed: garbage right after it is
    /// most likely the rest of it (a `Content-Length` that was too small).
    after_bad_frame: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(input: R) -> Self {
        FrameReader {
            input,
            buffer: Vec::new(),
            eof: false,
            after_bad_frame: false,
        }
    }

    /// Reads more input into the buffer; false at the end of the input.
    async fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let mut chunk = [0u8; 64 * 1024];
        match self.input.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                self.eof = true;
                false
            }
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The next frame, or what stood in its place; `None` at the end of the
    /// input (a frame cut short by it included).
    pub async fn next(&mut self) -> Option<Incoming> {
        // Blank lines between frames are harmless.
        loop {
            let blank = self
                .buffer
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            self.buffer.drain(..blank);
            if !self.buffer.is_empty() || !self.fill().await {
                break;
            }
        }
        if self.buffer.is_empty() {
            return None;
        }
        let header_end = loop {
            if let Some(end) = header_end(&self.buffer) {
                break Some(end);
            }
            if self.buffer.len() > MAX_HEADER || !self.fill().await {
                break None;
            }
        };
        let Some((block_len, body_start)) = header_end else {
            if self.buffer.len() <= MAX_HEADER && self.eof {
                // Cut off by the end of the input: nothing to answer.
                self.buffer.clear();
                return None;
            }
            return Some(self.garbage("no header ends within 16 KiB".into()));
        };
        let length = match content_length(&self.buffer[..block_len]) {
            Ok(length) => length,
            Err(why) => return Some(self.garbage(why)),
        };
        self.buffer.drain(..body_start);
        if length > MAX_BODY {
            self.skip(length).await;
            self.after_bad_frame = false;
            return Some(Incoming::TooLarge(length));
        }
        while self.buffer.len() < length {
            if !self.fill().await {
                self.buffer.clear();
                return None;
            }
        }
        let body: Vec<u8> = self.buffer.drain(..length).collect();
        self.after_bad_frame = false;
        Some(Incoming::Frame(body))
    }

    /// Says that the last frame was answered as malformed, so that the rest
    /// of it (after a `Content-Length` that was too small) is not answered
    /// again.
    pub fn rejected(&mut self) {
        self.after_bad_frame = true;
    }

    /// Drops bytes up to the next `Content-Length` header after the first
    /// byte (or all of them), and says why.
    fn garbage(&mut self, why: String) -> Incoming {
        let after_first = self.buffer.get(1..).unwrap_or_default();
        let next = find_content_length(after_first).map(|i| i + 1);
        self.buffer.drain(..next.unwrap_or(self.buffer.len()));
        let answer = !self.after_bad_frame;
        self.after_bad_frame = true;
        Incoming::Malformed { why, answer }
    }

    /// Reads past `length` bytes of body without keeping them.
    async fn skip(&mut self, mut length: usize) {
        loop {
            let n = length.min(self.buffer.len());
            self.buffer.drain(..n);
            length -= n;
            if length == 0 || !self.fill().await {
                return;
            }
        }
    }
}

/// Where the header block ends: its length, and where the body starts.
/// Lines end with `\r\n`; a bare `\n` is taken too. Only the first
/// [`MAX_HEADER`] bytes are looked at.
fn header_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let head = &buffer[..buffer.len().min(MAX_HEADER + 4)];
    let newline = |i: usize| head[i] == b'\n';
    (0..head.len()).find_map(|i| {
        if !newline(i) {
            return None;
        }
        if head.get(i + 1) == Some(&b'\n') {
            Some((i, i + 2))
        } else if head.get(i + 1) == Some(&b'\r') && head.get(i + 2) == Some(&b'\n') {
            // `\r\n\r\n`: the block ends before the first `\r`.
            let end = if i > 0 && head[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            Some((end, i + 3))
        } else {
            None
        }
    })
}

/// The `Content-Length` of a header block in which every line is a
/// `Name: value` header.
fn content_length(block: &[u8]) -> Result<usize, String> {
    let text = std::str::from_utf8(block).map_err(|_| "the header is not UTF-8".to_string())?;
    let mut length = None;
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("`{}` is not a header", shorten(line)));
        };
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !token {
            return Err(format!("`{}` is not a header", shorten(line)));
        }
        if name.eq_ignore_ascii_case("Content-Length") {
            let value = value.trim();
            let parsed = value
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| value.parse::<usize>().ok())
                .flatten()
                .filter(|_| !value.is_empty());
            match parsed {
                Some(n) => length = Some(n),
                None => {
                    return Err(format!(
                        "Content-Length `{}` is not a length",
                        shorten(value)
                    ))
                }
            }
        }
    }
    length.ok_or_else(|| "no Content-Length header".to_string())
}

/// Where a `Content-Length` header name starts, ignoring case.
fn find_content_length(bytes: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"content-length";
    bytes
        .windows(NAME.len())
        .position(|w| w.eq_ignore_ascii_case(NAME))
}

fn shorten(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// What to do with one frame's body.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Pass it on to tower-lsp-server (repaired, if it needed it).
    Forward {
        body: Vec<u8>,
        method: Option<String>,
        is_request: bool,
    },
    /// Answer it here with this error response; log `why`.
    Reject { response: Value, why: String },
}

/// Checks a body: JSON (lone surrogate escapes repaired), a JSON-RPC 2.0
/// request, notification or response that tower-lsp-server accepts, and no
/// `$/` request (which tower-lsp-server leaves unanswered).
pub fn check(body: Vec<u8>) -> Verdict {
    let reject = |code: i64, message: &str, id: Value, why: String| Verdict::Reject {
        response: json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
        why,
    };
    let Ok(text) = String::from_utf8(body) else {
        return reject(
            PARSE_ERROR,
            "Parse error: the message is not UTF-8",
            Value::Null,
            "invalid UTF-8".into(),
        );
    };
    let (text, value) = match serde_json::from_str::<Value>(&text) {
        Ok(value) => (text, value),
        Err(err) => match repair_lone_surrogates(&text) {
            Some(repaired) => match serde_json::from_str::<Value>(&repaired) {
                Ok(value) => {
                    eprintln!("policy-lsp: replaced lone UTF-16 surrogate escapes with U+FFFD");
                    (repaired, value)
                }
                Err(err) => {
                    return reject(PARSE_ERROR, "Parse error", Value::Null, err.to_string())
                }
            },
            None => return reject(PARSE_ERROR, "Parse error", Value::Null, err.to_string()),
        },
    };
    let Value::Object(object) = &value else {
        return reject(
            INVALID_REQUEST,
            "Invalid Request: not an object",
            Value::Null,
            "not an object".into(),
        );
    };
    if object.get("jsonrpc") != Some(&json!("2.0")) {
        return reject(
            INVALID_REQUEST,
            "Invalid Request: jsonrpc must be \"2.0\"",
            Value::Null,
            "not JSON-RPC 2.0".into(),
        );
    }
    let id = object.get("id");
    let id_ok = match id {
        None | Some(Value::Null) | Some(Value::String(_)) => true,
        Some(Value::Number(n)) => n.is_i64(),
        Some(_) => false,
    };
    if !id_ok {
        return reject(
            INVALID_REQUEST,
            "Invalid Request: the id must be an integer or a string",
            Value::Null,
            "bad id".into(),
        );
    }
    let method = match object.get("method") {
        None => None,
        Some(Value::String(m)) if !m.is_empty() => Some(m.clone()),
        Some(_) => {
            return reject(
                INVALID_REQUEST,
                "Invalid Request: the method must be a string",
                Value::Null,
                "bad method".into(),
            )
        }
    };
    let is_request = method.is_some() && id.is_some();
    // What tower-lsp-server's decoder must accept, or it stops reading.
    let accepted = match &method {
        Some(_) => Request::deserialize(&value).is_ok(),
        None => Response::deserialize(&value).is_ok(),
    };
    if !accepted {
        return reject(
            INVALID_REQUEST,
            "Invalid Request",
            Value::Null,
            "neither a request nor a response".into(),
        );
    }
    if let (true, Some(m)) = (is_request, &method) {
        if m.starts_with("$/") {
            let id = id.cloned().unwrap_or(Value::Null);
            return reject(
                METHOD_NOT_FOUND,
                &format!("Method not found: {m}"),
                id,
                format!("no request {m}"),
            );
        }
    }
    Verdict::Forward {
        body: text.into_bytes(),
        method,
        is_request,
    }
}

/// The JSON text with every `\u` escape of a lone UTF-16 surrogate replaced
/// by `\ufffd`; `None` when it has none. `JSON.stringify` writes lone
/// surrogates that way, and serde_json refuses them.
fn repair_lone_surrogates(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let hex = |at: usize| -> Option<u32> {
        let digits = text.get(at..at + 4)?;
        u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i, mut in_string, mut changed) = (0, 0, false, false);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                if bytes.get(i + 1) == Some(&b'u') {
                    if let Some(unit) = hex(i + 2) {
                        let high = (0xD800..0xDC00).contains(&unit);
                        let low = (0xDC00..0xE000).contains(&unit);
                        let paired = high
                            && bytes.get(i + 6) == Some(&b'\\')
                            && bytes.get(i + 7) == Some(&b'u')
                            && hex(i + 8).is_some_and(|u| (0xDC00..0xE000).contains(&u));
                        if paired {
                            i += 12;
                            continue;
                        }
                        if high || low {
                            out.push_str(&text[copied..i]);
                            out.push_str("\\ufffd");
                            changed = true;
                            i += 6;
                            copied = i;
                            continue;
                        }
                    }
                }
                // Any other escape: skip the escaped character.
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    changed.then(|| {
        out.push_str(&text[copied..]);
        out
    })
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Serves LSP on `input` and `output` until `exit` or the end of the input;
/// returns the process's exit status: 0 after `shutdown`, else 1.
pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (to_server, server_input) = tokio::io::duplex(1024 * 1024);
    let (server_output, from_server) = tokio::io::duplex(1024 * 1024);
    let (frames, mut outgoing) = mpsc::unbounded_channel::<Vec<u8>>();

    // The one writer of `output`.
    let writer = tokio::spawn(async move {
        let mut output = output;
        while let Some(bytes) = outgoing.recv().await {
            if output.write_all(&bytes).await.is_err() || output.flush().await.is_err() {
                break;
            }
        }
    });

    // What the server writes, frame by frame, onto the writer.
    let server_frames = frames.clone();
    let forward_output = tokio::spawn(async move {
        let mut reader = FrameReader::new(from_server);
        while let Some(incoming) = reader.next().await {
            if let Incoming::Frame(body) = incoming {
                if server_frames.send(frame(&body)).is_err() {
                    break;
                }
            }
        }
    });

    let (service, socket) = tower_lsp_server::LspService::build(crate::server::Backend::new)
        .custom_method(
            crate::status::CONFIG_FOR,
            crate::server::Backend::config_for_document,
        )
        .finish();
    let server = tokio::spawn(
        tower_lsp_server::Server::new(server_input, server_output, socket).serve(service),
    );

    let mut to_server = to_server;
    let mut reader = FrameReader::new(input);
    let mut shut_down = false;
    let mut status = None;
    while let Some(incoming) = reader.next().await {
        let body = match incoming {
            Incoming::Frame(body) => body,
            Incoming::Malformed { why, answer } => {
                eprintln!("policy-lsp: skipped input that is not an LSP message: {why}");
                if answer {
                    let response = json!({"jsonrpc": "2.0", "id": null,
                        "error": {"code": PARSE_ERROR, "message": format!("Parse error: {why}")}});
                    let _ = frames.send(frame(response.to_string().as_bytes()));
                }
                continue;
            }
            Incoming::TooLarge(length) => {
                eprintln!(
                    "policy-lsp: skipped a message of {length} bytes (the limit is {MAX_BODY})"
                );
                let response = json!({"jsonrpc": "2.0", "id": null,
                    "error": {"code": INVALID_REQUEST, "message": format!("Invalid Request: a message of {length} bytes is over the limit of {MAX_BODY}")}});
                let _ = frames.send(frame(response.to_string().as_bytes()));
                continue;
            }
        };
        match check(body) {
            Verdict::Reject { response, why } => {
                eprintln!("policy-lsp: answered a message with an error: {why}");
                if response["error"]["code"] == PARSE_ERROR {
                    reader.rejected();
                }
                let _ = frames.send(frame(response.to_string().as_bytes()));
            }
            Verdict::Forward {
                body,
                method,
                is_request,
            } => {
                if is_request && method.as_deref() == Some("shutdown") {
                    shut_down = true;
                }
                let exit = !is_request && method.as_deref() == Some("exit");
                if to_server.write_all(&frame(&body)).await.is_err() {
                    break;
                }
                if exit {
                    status = Some(if shut_down { 0 } else { 1 });
                    break;
                }
            }
        }
    }
    // The input ended (or `exit` came): the server reads no more, and gets a
    // moment to write what is on its way. A handler waiting for the client
    // (`workspace/configuration`) never finishes, and does not hold us.
    drop(to_server);
    let _ = tokio::time::timeout(DRAIN, server).await;
    let _ = tokio::time::timeout(DRAIN, forward_output).await;
    drop(frames);
    let _ = tokio::time::timeout(DRAIN, writer).await;
    status.unwrap_or(if shut_down { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    async fn read_all(input: &[u8]) -> Vec<Incoming> {
        let mut reader = FrameReader::new(input);
        let mut out = Vec::new();
        while let Some(incoming) = reader.next().await {
            out.push(incoming);
        }
        out
    }

    fn frame_of(body: &str) -> Incoming {
        Incoming::Frame(body.as_bytes().to_vec())
    }

    const PING: &str = r#"{"jsonrpc":"2.0","id":7,"method":"shutdown"}"#;

    #[tokio::test]
    async fn frames_in_a_row_with_any_header_order_and_line_ends() {
        let input = format!(
            "{}\r\n{}Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: {}\r\n\r\n{PING}Content-Length: 2\n\n{{}}",
            framed(PING),
            framed(PING),
            PING.len()
        );
        assert_eq!(
            read_all(input.as_bytes()).await,
            [
                frame_of(PING),
                frame_of(PING),
                frame_of(PING),
                frame_of("{}")
            ]
        );
    }

    #[tokio::test]
    async fn a_content_length_too_small_costs_one_frame() {
        let input = format!("Content-Length: 5\r\n\r\n{PING}{}", framed(PING));
        let mut reader = FrameReader::new(input.as_bytes());
        let short = reader.next().await.unwrap();
        assert_eq!(short, frame_of(&PING[..5]));
        // Answered as a parse error: the rest of it is not answered again.
        reader.rejected();
        let rest = reader.next().await.unwrap();
        assert!(
            matches!(rest, Incoming::Malformed { answer: false, .. }),
            "{rest:?}"
        );
        assert_eq!(reader.next().await, Some(frame_of(PING)));
        assert_eq!(reader.next().await, None);
    }

    #[tokio::test]
    async fn bad_lengths_are_skipped_up_to_the_next_header() {
        for length in ["-5", "abc", "", "1e3", "99999999999999999999999"] {
            let input = format!("Content-Length: {length}\r\n\r\n{PING}{}", framed(PING));
            let got = read_all(input.as_bytes()).await;
            assert!(
                matches!(&got[..], [Incoming::Malformed { answer: true, .. }, f] if *f == frame_of(PING)),
                "{length}: {got:?}"
            );
        }
        let input = format!("X-Nothing: 1\r\n\r\n{PING}{}", framed(PING));
        let got = read_all(input.as_bytes()).await;
        assert!(
            matches!(&got[0], Incoming::Malformed { why, answer: true } if why == "no Content-Length header")
        );
        assert_eq!(got[1], frame_of(PING));
    }

    #[tokio::test]
    async fn garbage_without_headers_and_cut_frames_end_quietly() {
        let got = read_all(b"\x00\xffgarbage with no header at all\r\n\r\n").await;
        assert!(
            matches!(&got[..], [Incoming::Malformed { answer: true, .. }]),
            "{got:?}"
        );
        // The input ends inside a body: nothing to answer.
        assert_eq!(
            read_all(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"").await,
            []
        );
        assert_eq!(read_all(b"Content-Len").await, []);
    }

    #[tokio::test]
    async fn an_oversized_frame_is_skipped_without_being_kept() {
        let input = format!("Content-Length: {}\r\n\r\n", MAX_BODY + 1);
        let mut bytes = input.into_bytes();
        bytes.resize(bytes.len() + MAX_BODY + 1, b' ');
        bytes.extend_from_slice(framed(PING).as_bytes());
        let got = read_all(&bytes).await;
        assert_eq!(got, [Incoming::TooLarge(MAX_BODY + 1), frame_of(PING)]);
    }

    /// Any bytes: the reader ends, and a well-formed frame after the
    /// garbage (and a blank line) is still found, unless the garbage held a
    /// header of its own.
    #[tokio::test]
    async fn byte_soup_ends_and_frames_after_it_are_found() {
        let pieces: [&[u8]; 9] = [
            b"Content-Length: ",
            b"12",
            b"-3",
            b"\r\n",
            b"\n",
            b"{\"jsonrpc\":",
            b"\xff\xfe",
            b"x: y",
            b"content-length:7",
        ];
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..300 {
            let mut input = Vec::new();
            for _ in 0..(state % 12) {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                input.extend_from_slice(pieces[state as usize % pieces.len()]);
            }
            input.extend_from_slice(b"\r\n\r\n");
            input.extend_from_slice(framed(PING).as_bytes());
            let got = read_all(&input).await;
            // The frame is lost only to a header the garbage itself held,
            // whose body then ran into it.
            let framed_garbage = got
                .iter()
                .any(|i| matches!(i, Incoming::Frame(b) if b != PING.as_bytes()));
            assert!(
                got.last() == Some(&frame_of(PING)) || framed_garbage,
                "{:?}: {got:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    fn rejected(body: &[u8]) -> (i64, Value) {
        match check(body.to_vec()) {
            Verdict::Reject { response, .. } => (
                response["error"]["code"].as_i64().unwrap(),
                response["id"].clone(),
            ),
            other => panic!("{}: forwarded {other:?}", String::from_utf8_lossy(body)),
        }
    }

    #[test]
    fn malformed_bodies_get_the_json_rpc_error_they_deserve() {
        assert_eq!(rejected(b"{}"), (INVALID_REQUEST, Value::Null));
        assert_eq!(rejected(b"not json"), (PARSE_ERROR, Value::Null));
        assert_eq!(
            rejected(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}"),
            (PARSE_ERROR, Value::Null)
        );
        assert_eq!(
            rejected(br#"{"jsonrpc":"1.0","id":1,"method":"shutdown"}"#),
            (INVALID_REQUEST, Value::Null)
        );
        for id in [r#"{"a":1}"#, "[1]", "true", "1.5", "18446744073709551615"] {
            let body = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"shutdown"}}"#);
            assert_eq!(
                rejected(body.as_bytes()),
                (INVALID_REQUEST, Value::Null),
                "{id}"
            );
        }
        assert_eq!(
            rejected(br#"{"jsonrpc":"2.0","id":1,"method":5}"#),
            (INVALID_REQUEST, Value::Null)
        );
        assert_eq!(
            rejected(br#"{"jsonrpc":"2.0"}"#),
            (INVALID_REQUEST, Value::Null)
        );
        assert_eq!(
            rejected(br#"[{"jsonrpc":"2.0","method":"exit"}]"#),
            (INVALID_REQUEST, Value::Null)
        );
        // LSP: a request starting with `$/` that the server does not know.
        assert_eq!(
            rejected(br#"{"jsonrpc":"2.0","id":"x","method":"$/custom"}"#),
            (METHOD_NOT_FOUND, json!("x"))
        );
    }

    #[test]
    fn requests_notifications_and_responses_go_on() {
        for body in [
            PING,
            r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#,
            r#"{"jsonrpc":"2.0","id":0,"result":[null]}"#,
            r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}"#,
        ] {
            assert!(
                matches!(check(body.as_bytes().to_vec()), Verdict::Forward { body: ref b, .. } if b == body.as_bytes()),
                "{body}"
            );
        }
    }

    /// Issue 14: `JSON.stringify` writes a lone surrogate as `\ud83d`, which
    /// serde_json refuses; the document reaches the server with U+FFFD.
    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let body = r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///k.json","languageId":"json","version":1,"text":"{\"Sid\": \"\ud83d \ud83d\udd11 \\ud83d \udd11\"}"}}}"#;
        let Verdict::Forward {
            body: repaired,
            method,
            is_request,
        } = check(body.as_bytes().to_vec())
        else {
            panic!("not forwarded");
        };
        assert_eq!(method.as_deref(), Some("textDocument/didOpen"));
        assert!(!is_request);
        let value: Value = serde_json::from_slice(&repaired).unwrap();
        let text = value["params"]["textDocument"]["text"].as_str().unwrap();
        // Lone halves replaced, the pair kept, the escaped backslash untouched.
        assert_eq!(text, "{\"Sid\": \"\u{fffd} \u{1f511} \\ud83d \u{fffd}\"}");
    }
}
