//! End to end, over the wire: malformed frames get an error and the server
//! stays up; `$/` requests get MethodNotFound; the process ends on `exit`
//! (status 1 without `shutdown`) and when its input ends, even while it
//! waits for an answer from the client (issue 14).
//!
//! The client here writes raw bytes, so that it can send what a well-behaved
//! client never would. Every wait has a timeout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Generous: debug builds on a loaded CI machine.
const TIMEOUT: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Server {
    /// Starts the server and initializes it with `capabilities`.
    fn start(capabilities: Value) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policy-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn policy-lsp");
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut server = Server {
            child,
            stdin,
            incoming,
            next_id: 0,
        };
        let init = server.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities}),
        );
        assert!(init["result"]["capabilities"].is_object(), "{init}");
        server
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().unwrap();
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message that satisfies `accept`; the others are dropped.
    fn wait_for(&mut self, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) if accept(&message) => return message,
                Ok(_) => continue,
                Err(_) => panic!("no {what} from the server"),
            }
        }
    }

    /// Sends a request and returns the whole response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(&format!("answer to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    /// The error response with id null that answers a malformed message.
    fn error_for_malformed(&mut self) -> Value {
        self.wait_for("error response", |m| {
            m["id"].is_null() && m.get("error").is_some()
        })["error"]
            .clone()
    }

    /// The server still answers requests.
    fn assert_alive(&mut self) {
        let symbols = self.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": "file:///nowhere.json"}}),
        );
        assert!(symbols.get("error").is_none(), "{symbols}");
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server exited"
        );
    }

    /// Waits for the process to end.
    fn status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server is still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

#[test]
fn each_malformed_message_gets_an_error_and_the_server_stays_up() {
    let mut server = Server::start(json!({}));
    server.notify("initialized", json!({}));
    let framed = |body: &[u8]| {
        let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        bytes.extend_from_slice(body);
        bytes
    };
    let shutdown = br#"{"jsonrpc":"2.0","id":99,"method":"shutdown"}"#;
    let cases: Vec<(&str, Vec<u8>, i64)> = vec![
        ("the body {}", framed(b"{}"), INVALID_REQUEST),
        (
            "a body that is not JSON",
            framed(b"hello, server"),
            PARSE_ERROR,
        ),
        (
            "invalid UTF-8",
            framed(b"{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\"}"),
            PARSE_ERROR,
        ),
        (
            "jsonrpc 1.0",
            framed(br#"{"jsonrpc":"1.0","id":5,"method":"textDocument/documentSymbol"}"#),
            INVALID_REQUEST,
        ),
        (
            "an object as request id",
            framed(br#"{"jsonrpc":"2.0","id":{"n":1},"method":"shutdown"}"#),
            INVALID_REQUEST,
        ),
        (
            "a Content-Length too small",
            {
                let mut bytes = b"Content-Length: 10\r\n\r\n".to_vec();
                bytes.extend_from_slice(shutdown);
                bytes
            },
            PARSE_ERROR,
        ),
        (
            "a negative Content-Length",
            {
                let mut bytes = b"Content-Length: -20\r\n\r\n".to_vec();
                bytes.extend_from_slice(shutdown);
                bytes
            },
            PARSE_ERROR,
        ),
        (
            "a Content-Length that is not a number",
            {
                let mut bytes = b"Content-Length: twenty\r\n\r\n".to_vec();
                bytes.extend_from_slice(shutdown);
                bytes
            },
            PARSE_ERROR,
        ),
    ];
    for (what, bytes, code) in cases {
        server.send_raw(&bytes);
        let error = server.error_for_malformed();
        assert_eq!(error["code"], code, "{what}: {error}");
        server.assert_alive();
    }
    // None of the malformed shutdowns got through.
    let status = server.request("shutdown", Value::Null);
    assert_eq!(status["result"], Value::Null, "{status}");
    server.notify("exit", Value::Null);
    assert_eq!(server.status().code(), Some(0));
}

/// Issue 14: `JSON.stringify` writes a lone surrogate as `\ud83d`; the
/// document opens (with U+FFFD in its place) and gets its diagnostics.
#[test]
fn a_document_with_an_escaped_lone_surrogate_opens() {
    let mut server = Server::start(json!({}));
    server.notify("initialized", json!({}));
    let body = r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///tmp/key.json","languageId":"json","version":1,"text":"{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"\ud83d\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:Decrypts\", \"Resource\": \"*\"}]}"}}}"#;
    server.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    let published = server.wait_for("diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
    });
    let codes: Vec<&str> = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"PC201"), "{published}");
    server.assert_alive();
}

#[test]
fn a_dollar_request_gets_method_not_found() {
    let mut server = Server::start(json!({}));
    let answer = server.request("$/somethingCustom", json!({}));
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    // A `$/` notification needs no answer and changes nothing.
    server.notify("$/setTrace", json!({"value": "off"}));
    server.assert_alive();
}

#[test]
fn exit_without_shutdown_ends_with_status_1() {
    let mut server = Server::start(json!({}));
    server.notify("initialized", json!({}));
    server.notify("exit", Value::Null);
    assert_eq!(server.status().code(), Some(1));
}

/// Issue 14: the server outlived its editor when the input ended while it
/// waited for an answer to `workspace/configuration` or
/// `client/registerCapability`.
#[test]
fn the_server_ends_with_its_input_even_while_it_waits_for_the_client() {
    for (capabilities, method) in [
        (
            json!({"workspace": {"configuration": true}}),
            "workspace/configuration",
        ),
        (
            json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
            "client/registerCapability",
        ),
    ] {
        let mut server = Server::start(capabilities);
        server.notify("initialized", json!({}));
        let asked = server.wait_for(method, |m| m["method"] == method);
        assert!(asked.get("id").is_some(), "{asked}");
        // No answer: the editor is gone.
        server.stdin = None;
        let started = Instant::now();
        let status = server.status();
        assert!(started.elapsed() < Duration::from_secs(5), "{method}");
        assert_eq!(
            status.code(),
            Some(1),
            "{method}: the input ended before shutdown"
        );
    }
}

/// Issue 14: LSP 3.17 ends lines at `\r`, `\n` and `\r\n`. With `\r` alone,
/// PC201 was published at line 0, character 189, and hover missed.
#[test]
fn carriage_return_line_ends_are_lines() {
    let mut server = Server::start(json!({}));
    server.notify("initialized", json!({}));
    let text = [
        "{",
        "  \"Version\": \"2012-10-17\",",
        "  \"Statement\": [",
        "    {",
        "      \"Sid\": \"Enable IAM User Permissions\",",
        "      \"Effect\": \"Allow\",",
        "      \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"},",
        "      \"Resource\": \"*\",",
        "      \"Action\": [\"kms:*\",",
        "                 \"kms:Decrypts\"]",
        "    }",
        "  ]",
        "}",
    ]
    .join("\r");
    let uri = "file:///tmp/mac.json";
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
    );
    let published = server.wait_for("diagnostics", |m| {
        m["method"] == "textDocument/publishDiagnostics"
    });
    let unknown = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC201")
        .cloned()
        .unwrap_or_else(|| panic!("{published}"));
    assert_eq!(
        unknown["range"],
        json!({"start": {"line": 9, "character": 17}, "end": {"line": 9, "character": 31}})
    );
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 8, "character": 19}}),
    );
    let markdown = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(markdown.contains("kms:*"), "{hover}");
    assert_eq!(hover["result"]["range"]["start"]["line"], 8, "{hover}");
}
