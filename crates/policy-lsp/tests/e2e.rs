//! End-to-end tests: spawn the real `policy-lsp` binary and speak JSON-RPC to
//! it over stdio, as an editor does.
//!
//! Every wait has a timeout, so a hung server fails the test instead of
//! hanging CI. The diagnostics asserted on come mostly from the syntax pack;
//! the sample policies are otherwise complete (Version, an account-root
//! statement, Effect, Principal, Action, Resource) so that the other rule
//! packs have nothing to report and only the intended defect shows.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use policy_analyzer::{LineCol, LineIndex, PositionEncoding};
use serde_json::{json, Value};

/// Generous: debug builds on a loaded CI machine.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A minimal LSP client around the spawned server.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for something else.
    backlog: VecDeque<Value>,
    next_id: i64,
}

impl Client {
    /// Starts the server and completes the initialize handshake.
    fn start(capabilities: Value, initialization_options: Value) -> (Client, Value) {
        Self::start_in(capabilities, initialization_options, None)
    }

    fn start_in(
        capabilities: Value,
        initialization_options: Value,
        root: Option<&Path>,
    ) -> (Client, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policy-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn policy-lsp");
        let stdout = child.stdout.take().expect("stdout");
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
        let mut client = Client {
            child,
            stdin,
            incoming,
            backlog: VecDeque::new(),
            next_id: 0,
        };
        let root_uri = root.map(file_uri);
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "capabilities": capabilities,
                "initializationOptions": initialization_options,
            }),
        );
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write to server");
        stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message, from the backlog or the server.
    fn next_message(&mut self, deadline: Instant) -> Value {
        if let Some(message) = self.backlog.pop_front() {
            return message;
        }
        self.read(deadline)
    }

    /// Reads from the server, answering its requests on the way.
    fn read(&mut self, deadline: Instant) -> Value {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.incoming.recv_timeout(left) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for the server"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
            };
            if message.get("method").is_some() && message.get("id").is_some() {
                self.answer(&message);
                continue;
            }
            return message;
        }
    }

    /// Answers a request from the server: empty configuration, `null` otherwise.
    fn answer(&mut self, request: &Value) {
        let result = match request["method"].as_str() {
            Some("workspace/configuration") => {
                let n = request["params"]["items"].as_array().map_or(0, Vec::len);
                Value::Array(vec![Value::Null; n])
            }
            _ => Value::Null,
        };
        self.send(&json!({"jsonrpc": "2.0", "id": request["id"], "result": result}));
    }

    /// Sends a request and returns its result; other messages are kept.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let message = self.read(deadline);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                if let Some(error) = message.get("error") {
                    panic!("{method} failed: {error}");
                }
                return message["result"].clone();
            }
            self.backlog.push_back(message);
        }
    }

    /// Waits for a `publishDiagnostics` for `uri` that satisfies `accept`;
    /// earlier publications for `uri` are returned in `skipped`.
    fn diagnostics_where(
        &mut self,
        uri: &str,
        accept: impl Fn(&Value) -> bool,
    ) -> (Value, Vec<Value>) {
        let deadline = Instant::now() + TIMEOUT;
        let mut kept = VecDeque::new();
        let mut skipped = Vec::new();
        let found = loop {
            let message = self.next_message(deadline);
            let is_ours = message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri;
            if !is_ours {
                kept.push_back(message);
                continue;
            }
            if accept(&message["params"]) {
                break message["params"].clone();
            }
            skipped.push(message["params"].clone());
        };
        kept.extend(self.backlog.drain(..));
        self.backlog = kept;
        (found, skipped)
    }

    /// Waits for the next notification `method`; other messages are kept.
    fn notification(&mut self, method: &str) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        let mut kept = VecDeque::new();
        let found = loop {
            let message = self.next_message(deadline);
            if message["method"] == method && message.get("id").is_none() {
                break message["params"].clone();
            }
            kept.push_back(message);
        };
        kept.extend(self.backlog.drain(..));
        self.backlog = kept;
        found
    }

    /// The `window/showMessage` notifications received so far, waiting for
    /// at least `at_least` of them: the server shows a message without
    /// waiting for it to be written, so it may follow the diagnostics it
    /// accompanies. Everything read stays in the backlog.
    fn shown_messages(&mut self, at_least: usize) -> Vec<Value> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let shown: Vec<Value> = self
                .backlog
                .iter()
                .filter(|m| m["method"] == "window/showMessage")
                .cloned()
                .collect();
            if shown.len() >= at_least {
                return shown;
            }
            let message = self.read(deadline);
            self.backlog.push_back(message);
        }
    }

    fn diagnostics_for_version(&mut self, uri: &str, version: i64) -> Value {
        self.diagnostics_where(uri, |p| p["version"] == version).0
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}),
        );
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.stdin = None;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
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

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn utf16_only() -> Value {
    json!({})
}

fn utf8_capable() -> Value {
    json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}})
}

/// The LSP range of a byte range of `text`.
fn lsp_range(text: &str, start: usize, end: usize, encoding: PositionEncoding) -> Value {
    let index = LineIndex::new(text);
    let position = |offset| {
        let LineCol { line, col } = index.line_col(text, offset, encoding);
        json!({"line": line, "character": col})
    };
    json!({"start": position(start), "end": position(end)})
}

fn position_of(text: &str, needle: &str, encoding: PositionEncoding) -> Value {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"));
    lsp_range(text, offset, offset, encoding)["start"].clone()
}

fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Applies LSP text edits (UTF-16 positions) to `text`.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let index = LineIndex::new(text);
    let offset = |p: &Value| {
        let pos = LineCol {
            line: p["line"].as_u64().unwrap() as u32,
            col: p["character"].as_u64().unwrap() as u32,
        };
        index.offset(text, pos, PositionEncoding::Utf16)
    };
    let mut ranged: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    ranged.sort_by_key(|&(start, _, _)| std::cmp::Reverse(start));
    let mut out = text.to_string();
    for (start, end, new_text) in ranged {
        out.replace_range(start..end, new_text);
    }
    out
}

/// A complete key policy without defects: nothing is reported for it.
const CLEAN: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}
"#;

const DEFECTIVE: &str = r#"{
  "Version": "2012-10-17",
  // a comment
  "Statement": [
    {
      "Sid": "Admins",
      "Effect": "Allow",
      "Sid": "AdminsAgain",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["kms:Decrypt", "kms:GenerateDataKey*",],
      "Resource": "*"
    }
  ]
}
"#;

#[test]
fn initialize_negotiates_encoding_and_announces_features() {
    let (client, result) = Client::start(utf16_only(), Value::Null);
    let caps = &result["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["documentSymbolProvider"], true);
    assert!(caps["completionProvider"].is_object());
    assert!(caps["codeActionProvider"]["codeActionKinds"]
        .as_array()
        .unwrap()
        .contains(&json!("quickfix")));
    client.shutdown();

    let (client, result) = Client::start(utf8_capable(), Value::Null);
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    client.shutdown();
}

#[test]
fn diagnostics_on_open_carry_code_range_message_link_and_related() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/defective.json";
    client.open(uri, DEFECTIVE);
    let published = client.diagnostics_for_version(uri, 1);
    assert_eq!(codes(&published), vec!["PC003", "PC002", "PC004"]);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    let enc = PositionEncoding::Utf16;

    let comment = &diagnostics[0];
    let start = DEFECTIVE.find("// a comment").unwrap();
    assert_eq!(
        comment["range"],
        lsp_range(DEFECTIVE, start, start + "// a comment".len(), enc)
    );
    assert_eq!(comment["severity"], 1);
    assert_eq!(comment["source"], "policy-check");
    assert!(comment["message"]
        .as_str()
        .unwrap()
        .starts_with("comments are not allowed"));
    assert_eq!(
        comment["codeDescription"]["href"],
        "https://github.com/policy-check/policy-check/blob/main/docs/rules/PC003.md"
    );

    let duplicate = &diagnostics[1];
    let second_sid = DEFECTIVE.rfind("\"Sid\"").unwrap();
    assert_eq!(
        duplicate["range"],
        lsp_range(DEFECTIVE, second_sid, second_sid + 5, enc)
    );
    assert!(duplicate["message"]
        .as_str()
        .unwrap()
        .starts_with("duplicate key `Sid`"));
    let related = &duplicate["relatedInformation"][0];
    let first_sid = DEFECTIVE.find("\"Sid\"").unwrap();
    assert_eq!(related["location"]["uri"], uri);
    assert_eq!(
        related["location"]["range"],
        lsp_range(DEFECTIVE, first_sid, first_sid + 5, enc)
    );

    let comma = &diagnostics[2];
    let at = DEFECTIVE.find(",]").unwrap();
    assert_eq!(comma["range"], lsp_range(DEFECTIVE, at, at + 1, enc));
    assert!(comma["message"]
        .as_str()
        .unwrap()
        .starts_with("trailing comma"));
    client.shutdown();
}

#[test]
fn other_json_gets_no_diagnostics_at_all() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let other = "file:///tmp/policy-lsp-e2e/package.json";
    client.open(other, "{\"name\": \"x\",}");
    let policy = "file:///tmp/policy-lsp-e2e/key.json";
    client.open(policy, "{\"Statement\": []}");
    // Publications leave in order, so once the later policy's arrive nothing
    // can still come for the earlier file.
    client.diagnostics_for_version(policy, 1);
    assert!(
        !client.backlog.iter().any(|m| m["params"]["uri"] == other),
        "no publication for a JSON file that is not a policy"
    );
    // Nor completions or hovers: `"Version"` is no key for a package.json.
    let at_key = json!({"textDocument": {"uri": other}, "position": {"line": 0, "character": 3}});
    assert_eq!(
        client.request("textDocument/completion", at_key.clone()),
        Value::Null
    );
    assert_eq!(client.request("textDocument/hover", at_key), Value::Null);
    client.shutdown();
}

#[test]
fn non_ascii_text_before_a_defect_gets_exact_ranges_in_both_encodings() {
    // A complete account-root statement whose only defect is the comma.
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Cl\u{e9} \u{1f511} \u{fc}n\u{ef}c\u{f8}d\u{e9}\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": [\"kms:*\",], \"Resource\": \"*\"}]}";
    let comma = text.find(",]").unwrap();
    for (capabilities, encoding) in [
        (utf16_only(), PositionEncoding::Utf16),
        (utf8_capable(), PositionEncoding::Utf8),
    ] {
        let (mut client, _) = Client::start(capabilities, Value::Null);
        let uri = "file:///tmp/policy-lsp-e2e/unicode.json";
        client.open(uri, text);
        let published = client.diagnostics_for_version(uri, 1);
        assert_eq!(codes(&published), ["PC004"], "{encoding:?}");
        let diagnostic = &published["diagnostics"][0];
        assert_eq!(
            diagnostic["range"],
            lsp_range(text, comma, comma + 1, encoding)
        );
        // The columns really differ between the encodings.
        let expected_column = match encoding {
            PositionEncoding::Utf16 => comma - 7,
            _ => comma,
        };
        assert_eq!(
            diagnostic["range"]["start"]["character"], expected_column,
            "{encoding:?}"
        );

        // An edit after the non-ASCII text, in the same encoding, lands where meant:
        // delete the comma.
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"range": diagnostic["range"], "text": ""}],
            }),
        );
        let published = client.diagnostics_for_version(uri, 2);
        assert_eq!(published["diagnostics"], json!([]), "{encoding:?}");
        client.shutdown();
    }
}

#[test]
fn a_burst_of_changes_ends_with_the_final_texts_diagnostics() {
    burst_of_changes(200, 0, &["PC002", "PC004"]);
}

#[test]
fn a_burst_of_changes_to_a_large_document_ends_with_the_final_texts_diagnostics() {
    // Above the server's large-document threshold, analyses run on blocking
    // threads and can finish out of order; the result must be the same.
    // A document that large is also over KMS's 32 KB limit (PC110).
    burst_of_changes(40, 600 * 1024, &["PC110", "PC002", "PC004"]);
}

/// Sends `changes` rapid edits (an even number) and checks that the last
/// publication is for the last version and matches the final text, and that
/// no publication ever goes back to an older version. `expected_codes` are
/// the codes of the final text (the padding of a large document adds some).
fn burst_of_changes(changes: u32, padding_bytes: usize, expected_codes: &[&str]) {
    assert!(changes % 2 == 0);
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/burst.json";
    // A complete policy: an account-root statement on the first line, then
    // the statement the edits below go to (lines 1 to 6), then the padding.
    let mut text = String::from(concat!(
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Enable IAM User Permissions\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}, {\n",
        "  \"Sid\": \"Burst\",\n",
        "  \"Action\": [\n",
        "    \"kms:Decrypt\"\n",
        "  ],\n",
        "  \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:role/App\"}, \"Resource\": \"*\"\n",
        "}",
    ));
    let padded_end = text.len() + padding_bytes;
    let mut pad = 0;
    while text.len() < padded_end {
        pad += 1;
        // Each statement for its own role: identical statements would be
        // redundant-statement findings.
        text.push_str(&format!(",\n{{\"Sid\": \"Pad{pad}\", \"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"arn:aws:iam::111122223333:role/App{pad}\"}}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\"}}"));
    }
    text.push_str("]}\n");
    client.open(uri, &text);
    let range = |l1: u32, c1: u32, l2: u32, c2: u32| json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}});
    // Toggles of a trailing comma after "kms:Decrypt" (an odd number: it
    // ends present), every tenth with a second change in the same
    // notification, then one change adding a duplicate Sid.
    for k in 1..=changes {
        let mut edits = Vec::new();
        if k < changes {
            if k % 2 == 1 {
                edits.push(json!({"range": range(3, 17, 3, 17), "text": ","}));
            } else {
                edits.push(json!({"range": range(3, 17, 3, 18), "text": ""}));
            }
            if k % 10 == 0 {
                edits.push(json!({"range": range(1, 10, 1, 10), "text": "x"}));
            }
        } else {
            edits.push(json!({"range": range(1, 2, 1, 2), "text": "\"Sid\": \"dup\", "}));
        }
        for edit in &edits {
            text = apply_edits(
                &text,
                &[json!({"range": edit["range"], "newText": edit["text"]})],
            );
        }
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": k + 1}, "contentChanges": edits}),
        );
    }
    let last_version = i64::from(changes) + 1;
    let (last, earlier) = client.diagnostics_where(uri, |p| p["version"] == last_version);
    let versions: Vec<i64> = earlier
        .iter()
        .map(|p| p["version"].as_i64().unwrap())
        .collect();
    eprintln!(
        "{} bytes: {} publications before the last, for {changes} versions",
        text.len(),
        versions.len()
    );
    assert!(
        versions.windows(2).all(|w| w[0] < w[1]) && versions.iter().all(|&v| v < last_version),
        "publications must never go back to an older version: {versions:?}"
    );
    let expected: Vec<Value> = policy_analyzer::analyze(&text, &Default::default())
        .diagnostics
        .iter()
        .map(|d| json!({"code": d.code, "range": lsp_range(&text, d.range.start as usize, d.range.end as usize, PositionEncoding::Utf16)}))
        .collect();
    let got: Vec<Value> = last["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!({"code": d["code"], "range": d["range"]}))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(codes(&last), expected_codes);
    // The server's text is the client's text: hover on the first action still works.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "Decrypt", PositionEncoding::Utf16)}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("kms:Decrypt"));
    client.shutdown();
}

#[test]
fn closing_clears_and_reopening_starts_afresh() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/reopen.json";
    client.open(uri, DEFECTIVE);
    assert_eq!(codes(&client.diagnostics_for_version(uri, 1)).len(), 3);
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    // Opened again at the same version number, with a clean text.
    client.open(uri, CLEAN);
    let (clean, before) =
        client.diagnostics_where(uri, |p| p["version"] == 1 && p["diagnostics"] == json!([]));
    assert_eq!(clean["diagnostics"], json!([]));
    // The close cleared (no version), and nothing of the old text came after it.
    let cleared = before
        .iter()
        .position(|p| p["version"].is_null() && p["diagnostics"] == json!([]));
    assert!(
        cleared.is_some(),
        "the close clears the diagnostics: {before:?}"
    );
    assert!(before[cleared.unwrap()..]
        .iter()
        .all(|p| p["diagnostics"] == json!([])));
    client.shutdown();
}

#[test]
fn hover_on_a_wildcard_lists_its_four_actions() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/hover.json";
    client.open(uri, DEFECTIVE);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(DEFECTIVE, "GenerateDataKey*", PositionEncoding::Utf16)}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    for action in [
        "kms:GenerateDataKey`",
        "kms:GenerateDataKeyPair`",
        "kms:GenerateDataKeyPairWithoutPlaintext`",
        "kms:GenerateDataKeyWithoutPlaintext`",
    ] {
        assert!(
            markdown.contains(action),
            "{action} missing from {markdown}"
        );
    }
    let start = DEFECTIVE.find("\"kms:GenerateDataKey*\"").unwrap();
    assert_eq!(
        hover["range"],
        lsp_range(DEFECTIVE, start, start + 22, PositionEncoding::Utf16)
    );
    client.shutdown();
}

#[test]
fn completion_inside_an_unfinished_action_array() {
    let (mut client, _) = Client::start(
        json!({"textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}}),
        Value::Null,
    );
    let uri = "file:///tmp/policy-lsp-e2e/completion.json";
    let text = "{\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": [\"kms:Decrypt\", \"kms:Gen\n";
    client.open(uri, text);
    let typed = text.find("kms:Gen").unwrap();
    let replaced = lsp_range(
        text,
        typed,
        typed + "kms:Gen".len(),
        PositionEncoding::Utf16,
    );
    let result = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": replaced["end"]}),
    );
    let items = result["items"].as_array().expect("a completion list");
    let item = items
        .iter()
        .find(|i| i["label"] == "kms:GenerateDataKeyWithoutPlaintext")
        .expect("kms:GenerateDataKeyWithoutPlaintext offered");
    // It replaces `kms:Gen` and closes the open string.
    assert_eq!(item["textEdit"]["range"], replaced);
    assert_eq!(
        item["textEdit"]["newText"],
        "kms:GenerateDataKeyWithoutPlaintext\""
    );
    client.shutdown();
}

/// Accepting an action typed in front of another one leaves valid JSON:
/// the comma between them comes as an additional edit.
#[test]
fn a_completion_before_another_item_brings_its_comma() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/separator.json";
    let text = CLEAN.replace(
        "\"Action\": \"kms:*\"",
        "\"Action\": [\"kms:*\", \"kms:De\" \"kms:Encrypt\"]",
    );
    client.open(uri, &text);
    client.diagnostics_for_version(uri, 1);
    let typed = text.find("kms:De\"").unwrap() + "kms:De".len();
    let result = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": lsp_range(&text, typed, typed, PositionEncoding::Utf16)["start"]}),
    );
    let item = result["items"]
        .as_array()
        .expect("a completion list")
        .iter()
        .find(|i| i["label"] == "kms:Decrypt")
        .expect("kms:Decrypt offered")
        .clone();
    let mut edits = vec![item["textEdit"].clone()];
    edits.extend(
        item["additionalTextEdits"]
            .as_array()
            .expect("an additional edit for the comma")
            .iter()
            .cloned(),
    );
    let accepted = apply_edits(&text, &edits);
    assert!(
        accepted.contains("[\"kms:*\", \"kms:Decrypt\", \"kms:Encrypt\"]"),
        "{accepted}"
    );
    serde_json::from_str::<Value>(&accepted).expect("valid JSON");
    client.shutdown();
}

#[test]
fn a_trailing_comma_quick_fix_deletes_the_comma() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/fix.json";
    client.open(uri, DEFECTIVE);
    let published = client.diagnostics_for_version(uri, 1);
    let comma = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC004")
        .unwrap()
        .clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": comma["range"], "context": {"diagnostics": [comma]}}),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = &actions[0];
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["isPreferred"], true);
    assert_eq!(action["diagnostics"][0]["code"], "PC004");
    let edits = action["edit"]["changes"][uri].as_array().unwrap();
    let fixed = apply_edits(DEFECTIVE, edits);
    assert_eq!(fixed, DEFECTIVE.replace(",]", "]"));
    client.shutdown();
}

#[test]
fn a_wildcard_under_string_equals_gets_the_string_like_fix() {
    // The conditions pack is part of every build now: no skipping.
    let rule = policy_analyzer::find_rule("wildcard-in-non-like-operator")
        .expect("the rule `wildcard-in-non-like-operator` (conditions pack)");
    let text = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "S3Link",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:GenerateDataKey",
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::bucket/*"}}
  }, {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:*",
    "Resource": "*"
  }]
}
"#;
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/string-like.json";
    client.open(uri, text);
    let published = client.diagnostics_for_version(uri, 1);
    let diagnostic = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == rule.code)
        .unwrap_or_else(|| panic!("{} reported in {published}", rule.code))
        .clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}}),
    );
    let fixed: Vec<(String, bool)> = actions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "quickfix")
        .map(|a| {
            (
                apply_edits(text, a["edit"]["changes"][uri].as_array().unwrap()),
                a["isPreferred"] == true,
            )
        })
        .collect();
    // However the fix is shaped (renaming the operator, or moving the key to
    // a new StringLike block), the result must compare the key with StringLike.
    let compares_with_string_like = |fixed: &String| {
        let Ok(policy) = serde_json::from_str::<Value>(fixed) else {
            return false;
        };
        let condition = &policy["Statement"][0]["Condition"];
        let key = "kms:EncryptionContext:aws:s3:arn";
        condition["StringLike"][key] == "arn:aws:s3:::bucket/*"
            && condition["StringEquals"].get(key).is_none()
    };
    // The fix is safe (a wildcard under StringEquals can never match), so it
    // is the preferred one.
    assert!(
        fixed
            .iter()
            .any(|(fixed, preferred)| *preferred && compares_with_string_like(fixed)),
        "no preferred quick fix turns StringEquals into StringLike: {actions}"
    );
    client.shutdown();
}

#[test]
fn document_symbols_name_statements_by_sid() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/symbols.json";
    let text =
        "{\"Statement\": [{\"Sid\": \"Admins\", \"Effect\": \"Allow\"}, {\"Effect\": \"Deny\"}]}";
    client.open(uri, text);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Admins", "Statement 2"]);
    client.shutdown();
}

#[test]
fn bad_input_and_bad_requests_never_crash_the_server() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let broken = "file:///tmp/policy-lsp-e2e/broken.json";
    let broken_text =
        "{\"Version\": \"2012-10-17\", \"Statement\": [ {\"Effect\": Allow, ,, \"Action\": [\"kms:";
    client.open(broken, broken_text);
    let published = client.diagnostics_for_version(broken, 1);
    assert!(codes(&published).iter().all(|c| c == "PC001"));
    assert!(!codes(&published).is_empty());

    let empty = "file:///tmp/policy-lsp-e2e/empty.json";
    client.open(empty, "");
    let binary = "file:///tmp/policy-lsp-e2e/binary.json";
    client.open(binary, "\u{0}\u{1}\u{7f}\u{fffd}\u{1f511}[[[[[[[[[[{{{{");
    // A complete statement, but the array and the object are never closed.
    const UNCLOSED: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Enable IAM User Permissions\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}";
    // Changes to a document that is not open, out-of-range edits and positions,
    // unknown documents.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": "file:///nowhere.json", "version": 2}, "contentChanges": [{"text": "{}"}]}),
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": empty, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 99, "character": 99}, "end": {"line": 0, "character": 0}}, "text": UNCLOSED}
        ]}),
    );
    for uri in [broken, empty, binary, "file:///nowhere.json"] {
        for (line, character) in [(0, 0), (0, 40), (1_000_000, 3), (0, 4_000_000_000u32)] {
            let position = json!({"line": line, "character": character});
            let document = json!({"uri": uri});
            client.request(
                "textDocument/hover",
                json!({"textDocument": document, "position": position}),
            );
            client.request(
                "textDocument/completion",
                json!({"textDocument": document, "position": position}),
            );
            client.request(
                "textDocument/codeAction",
                json!({"textDocument": document, "range": {"start": position, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}}),
            );
        }
        client.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    // The empty document became a broken policy with version 2 and is diagnosed.
    let published = client.diagnostics_for_version(empty, 2);
    assert!(!codes(&published).is_empty() && codes(&published).iter().all(|c| c == "PC001"));
    // And the server still answers properly.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": broken}, "position": position_of(broken_text, "ms:", PositionEncoding::Utf16)}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .contains("KMS action"));
    client.shutdown();
}

#[test]
fn a_five_megabyte_document_does_not_block_the_server() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let statement = r#"{"Sid": "Stmt", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},"#;
    let mut text = String::from("{\"Version\": \"2012-10-17\", \"Statement\": [\n");
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(statement);
        text.push('\n');
    }
    // Broken at the very end: a trailing comma and no closing brackets.
    let big = "file:///tmp/policy-lsp-e2e/big.json";
    client.open(big, &text);
    // A small document is served while the big one is analysed.
    let small = "file:///tmp/policy-lsp-e2e/small.json";
    client.open(small, DEFECTIVE);
    let started = Instant::now();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": small}, "position": position_of(DEFECTIVE, "Decrypt", PositionEncoding::Utf16)}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("kms:Decrypt"));
    eprintln!(
        "hover on a small document next to a 5 MB one: {:?}",
        started.elapsed()
    );
    // The big one gets its diagnostics (the unclosed array) eventually.
    let published = client.diagnostics_for_version(big, 1);
    assert!(
        codes(&published).contains(&"PC001".to_string()),
        "{:?}",
        codes(&published)
    );
    // And requests on it are answered.
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": big}, "position": {"line": 1, "character": 80}}),
    );
    client.shutdown();
}

/// A temporary directory, removed afterwards.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("policy-lsp-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_project_config_selects_rules_and_reloads_when_it_changes() {
    let dir = TempDir::new("config");
    let config = dir.0.join("policy-check.toml");
    std::fs::write(
        &config,
        "[rules]\nignore = [\"trailing-comma\"]\n[rules.severity]\nPC002 = \"warning\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.0.join("keys")).unwrap();
    let uri = file_uri(&dir.0.join("keys/key.json"));
    let (mut client, _) = Client::start_in(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
        Some(&dir.0),
    );
    client.open(&uri, DEFECTIVE);
    let published = client.diagnostics_for_version(&uri, 1);
    assert_eq!(codes(&published), vec!["PC003", "PC002"]);
    assert_eq!(
        published["diagnostics"][1]["severity"], 2,
        "PC002 lowered to a warning"
    );

    std::fs::write(&config, "[rules]\nignore = [\"PC003\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
    );
    let (republished, _) = client.diagnostics_where(&uri, |p| codes(p) == ["PC002", "PC004"]);
    assert_eq!(republished["version"], 1);
    client.shutdown();
}

/// The editor is told the server's version and the config in use, at
/// start and after the config changes, and can ask which config governs a
/// document.
#[test]
fn the_status_names_the_version_and_the_config_in_use() {
    let dir = TempDir::new("status");
    let config = dir.0.join("policy-check.toml");
    std::fs::write(&config, "[rules]\nignore = [\"PC003\"]\n").unwrap();
    std::fs::create_dir_all(dir.0.join("nested")).unwrap();
    let nested_config = dir.0.join("nested/policy-check.toml");
    std::fs::write(&nested_config, "include = 3\n").unwrap();
    let (mut client, _) = Client::start_in(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
        Some(&dir.0),
    );
    let status = client.notification("policyCheck/status");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["config"], config.display().to_string());
    assert_eq!(status["configError"], Value::Null);

    let nested = client.request(
        "policyCheck/configFor",
        json!({"uri": file_uri(&dir.0.join("nested/deeper/key.json"))}),
    );
    assert_eq!(nested["config"], nested_config.display().to_string());
    assert!(
        nested["configError"]
            .as_str()
            .is_some_and(|e| e.starts_with("line 1: ") && e.contains("expected a sequence")),
        "{nested}"
    );

    std::fs::write(&config, "[rules\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
    );
    let reloaded = client.notification("policyCheck/status");
    assert_eq!(reloaded["config"], config.display().to_string());
    assert!(
        reloaded["configError"]
            .as_str()
            .is_some_and(|e| e.starts_with("line 1: unclosed table")),
        "{reloaded}"
    );
    std::fs::remove_file(&config).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&config), "type": 3}]}),
    );
    let removed = client.notification("policyCheck/status");
    assert_eq!(removed["config"], Value::Null);
    client.shutdown();
}

#[test]
fn settings_filter_severity_enable_and_include_files() {
    let dir = TempDir::new("settings");
    std::fs::write(
        dir.0.join("policy-check.toml"),
        "[rules.severity]\nPC002 = \"warning\"\n",
    )
    .unwrap();
    let (mut client, _) = Client::start_in(
        json!({}),
        json!({"policyCheck": {"minSeverity": "error", "include": ["kms/*.policy"]}}),
        Some(&dir.0),
    );
    let policy = file_uri(&dir.0.join("key.json"));
    client.open(&policy, DEFECTIVE);
    let published = client.diagnostics_for_version(&policy, 1);
    assert_eq!(
        codes(&published),
        vec!["PC003", "PC004"],
        "the warning is below minSeverity"
    );

    // A file named by `include` is diagnosed without a top-level Statement.
    // (A `.tpl` file is Terraform's: the template-file reader takes it, with
    // its `${...}` placeholders as unknown values.)
    let template = file_uri(&dir.0.join("kms/key.policy"));
    client.open(&template, "{\"Sid\": \"x\",}");
    let published = client.diagnostics_for_version(&template, 1);
    assert_eq!(codes(&published), vec!["PC004"]);

    // Disabling clears what was published.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"policyCheck": {"enable": false}}}),
    );
    let (cleared, _) = client.diagnostics_where(&policy, |p| p["diagnostics"] == json!([]));
    assert_eq!(cleared["version"], 1);
    client.shutdown();
}

impl Client {
    fn open_as(&mut self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }
}

/// A CloudFormation template whose one defect is a misspelled action in
/// `KeyPolicy`, after non-ASCII text on earlier lines and its own.
const TEMPLATE: &str = "AWSTemplateFormatVersion: '2010-09-09'
Description: Cl\u{e9} \u{1f511} for the app's data
Resources:
  AppKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: Enable IAM User Permissions
            Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::${AWS::AccountId}:root
            Action: kms:*
            Resource: '*'
          - Sid: Readers
            Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::${AWS::AccountId}:role/Readers
            Action: [\u{1f511}x, kms:Decrypts, \"kms:DescribeKey\"]
            Resource: '*'
";

#[test]
fn a_yaml_template_gets_its_key_policy_findings_at_template_positions() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/stack.yaml";
    client.open_as(uri, "yaml", TEMPLATE);
    let published = client.diagnostics_for_version(uri, 1);
    let typo = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC201" && d["message"].as_str().unwrap().contains("kms:Decrypts"))
        .unwrap_or_else(|| panic!("PC201 on kms:Decrypts: {published}"));
    let start = TEMPLATE.find("kms:Decrypts").unwrap();
    let range = lsp_range(TEMPLATE, start, start + 12, PositionEncoding::Utf16);
    assert_eq!(typo["range"], range);
    // Line 20; the key emoji before it on the line is two UTF-16 units.
    assert_eq!(range["start"], json!({"line": 20, "character": 26}));
    assert!(typo["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `kms:Decrypt`?"));
    assert_eq!(typo["source"], "policy-check");

    // Its quick fix is an edit of the template, valid YAML.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Write `kms:Decrypt`")
        })
        .unwrap_or_else(|| panic!("the fix: {actions}"));
    // The typo's fix makes the statement grant: it says so and is not preferred.
    assert_eq!(
        fix["title"],
        "Write `kms:Decrypt`: the statement starts to grant it; review"
    );
    assert_eq!(fix["isPreferred"], false);
    let changes = fix["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [uri]);
    let fixed = apply_edits(TEMPLATE, changes[uri].as_array().unwrap());
    assert!(fixed.contains("Action: [\u{1f511}x, \"kms:Decrypt\", \"kms:DescribeKey\"]"));

    // The outline: the key, named by its logical id, holding its statements.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let key = &symbols[0];
    assert_eq!(key["name"], "AppKey");
    assert_eq!(key["detail"], "AWS::KMS::Key · 2 statements");
    let sids: Vec<&str> = key["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(sids, ["Enable IAM User Permissions", "Readers"]);
    assert_eq!(
        key["selectionRange"],
        lsp_range(
            TEMPLATE,
            TEMPLATE.find("AppKey").unwrap(),
            TEMPLATE.find("AppKey").unwrap() + 6,
            PositionEncoding::Utf16
        )
    );
    client.shutdown();
}

#[test]
fn hover_in_a_key_policy_explains_the_action_under_the_cursor() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/hover-stack.yaml";
    client.open_as(uri, "yaml", TEMPLATE);
    client.diagnostics_for_version(uri, 1);
    // On the quoted scalar `"kms:DescribeKey"`.
    let at = TEMPLATE.find("DescribeKey").unwrap();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": lsp_range(TEMPLATE, at, at, PositionEncoding::Utf16)["start"]}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.starts_with("**kms:DescribeKey**"), "{markdown}");
    let scalar = TEMPLATE.find("\"kms:DescribeKey\"").unwrap();
    assert_eq!(
        hover["range"],
        lsp_range(TEMPLATE, scalar, scalar + 17, PositionEncoding::Utf16)
    );
    // On a plain scalar: the range is the scalar.
    let at = TEMPLATE.find("kms:*").unwrap();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": lsp_range(TEMPLATE, at + 2, at + 2, PositionEncoding::Utf16)["start"]}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("matches 56 of 56 KMS actions"));
    assert_eq!(
        hover["range"],
        lsp_range(TEMPLATE, at, at + 5, PositionEncoding::Utf16)
    );
    // Outside the key policy: nothing.
    let at = TEMPLATE.find("EnableKeyRotation").unwrap();
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": lsp_range(TEMPLATE, at, at, PositionEncoding::Utf16)["start"]}),
    );
    assert_eq!(hover, Value::Null);
    client.shutdown();
}

/// Completes at `|` of `marked` in a YAML template and returns the text with
/// the item labelled `label` applied.
fn complete_in_template(client: &mut Client, uri: &str, marked: &str, label: &str) -> String {
    let offset = marked.find('|').unwrap();
    let text = marked.replacen('|', "", 1);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    let result = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": lsp_range(&text, offset, offset, PositionEncoding::Utf16)["start"]}),
    );
    let item = result["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a completion list: {result}"))
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("{label} offered: {result}"))
        .clone();
    assert_eq!(item["insertTextFormat"], 1, "plain text");
    apply_edits(&text, &[item["textEdit"].clone()])
}

#[test]
fn completion_in_a_yaml_key_policy_inserts_valid_yaml() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/complete-stack.yaml";
    client.open_as(uri, "yaml", TEMPLATE);
    client.diagnostics_for_version(uri, 1);
    let list = TEMPLATE.replace(
        "            Action: [\u{1f511}x, kms:Decrypts, \"kms:DescribeKey\"]\n",
        "            Action:\n              - kms:DescribeKey\n              - kms:|\n",
    );
    let done = complete_in_template(&mut client, uri, &list, "kms:Decrypt");
    assert!(
        done.contains("              - kms:DescribeKey\n              - kms:Decrypt\n"),
        "{done}"
    );
    // What was inserted reads back as the action: nothing left to report.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": done}]}),
    );
    let published = client.diagnostics_for_version(uri, 3);
    assert_eq!(codes(&published), Vec::<String>::new(), "{published}");

    // In a flow sequence and in double quotes.
    let flow = TEMPLATE.replace("kms:Decrypts", "kms:Dec|");
    let done = complete_in_template(&mut client, uri, &flow, "kms:Decrypt");
    assert!(done.contains("[\u{1f511}x, kms:Decrypt, \"kms:DescribeKey\"]"));
    let quoted = TEMPLATE.replace("\"kms:DescribeKey\"", "\"kms:Desc|\"");
    let done = complete_in_template(&mut client, uri, &quoted, "kms:DescribeKey");
    assert!(done.contains("kms:Decrypts, \"kms:DescribeKey\"]"));

    // A condition key typed without its colon yet becomes a key.
    let condition = TEMPLATE.replace(
        "            Resource: '*'\n",
        "            Resource: '*'\n            Condition:\n              StringEquals:\n                kms:Via|\n",
    );
    let done = complete_in_template(&mut client, uri, &condition, "kms:ViaService");
    assert!(
        done.contains("              StringEquals:\n                kms:ViaService: \n"),
        "{done}"
    );
    client.shutdown();
}

#[test]
fn a_json_template_is_served_like_a_yaml_one() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let uri = "file:///tmp/policy-lsp-e2e/stack.json";
    let text = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "AppKey": {
      "Type": "AWS::KMS::Key",
      "Properties": {
        "EnableKeyRotation": true,
        "KeyPolicy": {
          "Version": "2012-10-17",
          "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}},
            "Action": ["kms:*", "kms:Decrypts"],
            "Resource": "*"
          }]
        }
      }
    }
  }
}
"#;
    client.open(uri, text);
    let published = client.diagnostics_for_version(uri, 1);
    assert_eq!(codes(&published), ["PC201"], "{published}");
    let start = text.find("\"kms:Decrypts\"").unwrap();
    assert_eq!(
        published["diagnostics"][0]["range"],
        lsp_range(text, start, start + 14, PositionEncoding::Utf16)
    );
    let typed = text.replace("\"kms:Decrypts\"", "\"kms:Gen|\"");
    let done = complete_in_template(&mut client, uri, &typed, "kms:GenerateDataKey*");
    assert!(
        done.contains("[\"kms:*\", \"kms:GenerateDataKey*\"]"),
        "{done}"
    );
    client.shutdown();
}

#[test]
fn other_yaml_gets_nothing_at_all() {
    let (mut client, _) = Client::start(utf16_only(), Value::Null);
    let compose = "file:///tmp/policy-lsp-e2e/docker-compose.yaml";
    let text = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"\n  broken: [\n";
    client.open_as(compose, "yaml", text);
    let workflow = "file:///tmp/policy-lsp-e2e/ci.yml";
    client.open_as(
        workflow,
        "yaml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    );
    // A template without a key is no business of ours, broken or not.
    let bucket = "file:///tmp/policy-lsp-e2e/bucket.yaml";
    client.open_as(
        bucket,
        "yaml",
        "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: [\n",
    );
    let policy = "file:///tmp/policy-lsp-e2e/after-yaml.json";
    client.open(policy, "{\"Statement\": []}");
    client.diagnostics_for_version(policy, 1);
    for uri in [compose, workflow, bucket] {
        assert!(
            !client.backlog.iter().any(|m| m["params"]["uri"] == uri),
            "no publication for {uri}"
        );
        let at = json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 6}});
        assert_eq!(
            client.request("textDocument/completion", at.clone()),
            Value::Null
        );
        assert_eq!(client.request("textDocument/hover", at), Value::Null);
        assert_eq!(
            client.request(
                "textDocument/documentSymbol",
                json!({"textDocument": {"uri": uri}})
            ),
            Value::Null
        );
    }
    assert!(
        !client
            .backlog
            .iter()
            .any(|m| m["method"] == "window/showMessage"),
        "no error shown"
    );
    client.shutdown();
}

/// A Terraform module: a key whose policy is `jsonencode` with a misspelled
/// action, a second key whose policy is a template file with another, and a
/// variables file.
fn write_module(dir: &Path) -> (String, String, String) {
    let main = r#"data "aws_caller_identity" "current" {}

resource "aws_kms_key" "app" {
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "Root"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "Use"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/App" }
        Action    = ["kms:Decrypts", "kms:Encrypt"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_key" "logs" {
  enable_key_rotation = true
  policy = templatefile("${path.module}/key-policy.json.tpl", {
    account_id = data.aws_caller_identity.current.account_id
  })
}
"#;
    let template = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Root",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::${account_id}:root"},
      "Action": ["kms:*", "kms:PutKeyPolicys"],
      "Resource": "*"
    }
  ]
}
"#;
    let variables = "variable \"unused\" {\n  default = \"x\"\n}\n";
    std::fs::write(dir.join("main.tf"), main).unwrap();
    std::fs::write(dir.join("key-policy.json.tpl"), template).unwrap();
    std::fs::write(dir.join("variables.tf"), variables).unwrap();
    (main.into(), template.into(), variables.into())
}

/// Module files and template files are accepted, every request on them is
/// answered, nothing fails, publications go to the module's files only, and
/// closing one of them is no trouble.
#[test]
fn terraform_files_are_accepted_and_read_as_a_module() {
    let dir = TempDir::new("terraform-plumbing");
    let (main, template, variables) = write_module(&dir.0);
    let (mut client, _) = Client::start_in(utf16_only(), Value::Null, Some(&dir.0));
    let main_uri = file_uri(&dir.0.join("main.tf"));
    let template_uri = file_uri(&dir.0.join("key-policy.json.tpl"));
    let variables_uri = file_uri(&dir.0.join("variables.tf"));
    client.open_as(&main_uri, "terraform", &main);
    client.open_as(&variables_uri, "terraform", &variables);
    client.open_as(&template_uri, "plaintext", &template);
    // Unsaved edits to a module file are what the module is read with; an
    // edit is accepted like any other.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": variables_uri, "version": 2}, "contentChanges": [{"text": "variable \"unused\" {}\n"}]}),
    );
    let policy = "file:///tmp/policy-lsp-e2e/after-terraform.json";
    client.open(policy, "{\"Statement\": []}");
    client.diagnostics_for_version(policy, 1);
    for (uri, text) in [(&main_uri, &main), (&template_uri, &template)] {
        let at = position_of(text, "kms:", PositionEncoding::Utf16);
        // Answered (whatever the reader renders), not an error.
        client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": at}),
        );
        client.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": at}),
        );
        client.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": variables_uri}}),
    );
    client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": main_uri}, "position": {"line": 0, "character": 0}}),
    );
    assert!(
        !client
            .backlog
            .iter()
            .any(|m| m["method"] == "window/showMessage"),
        "no error shown: {:?}",
        client.backlog
    );
    for message in &client.backlog {
        let uri = message["params"]["uri"].as_str().unwrap_or_default();
        if message["method"] == "textDocument/publishDiagnostics" && uri != policy {
            assert!(
                [&main_uri, &template_uri, &variables_uri].contains(&&uri.to_string()),
                "a publication for a file of the module only: {message}"
            );
        }
    }
    client.shutdown();
}

/// A module's findings are published to each open file they are in, hover
/// and completion work inside `jsonencode`, a quick fix edits the file its
/// finding is in, and an edit of the template file re-checks the module.
#[test]
fn a_terraform_modules_findings_go_to_each_open_file_of_the_module() {
    let dir = TempDir::new("terraform");
    let (main, template, _) = write_module(&dir.0);
    let (mut client, _) = Client::start_in(utf16_only(), Value::Null, Some(&dir.0));
    let main_uri = file_uri(&dir.0.join("main.tf"));
    let template_uri = file_uri(&dir.0.join("key-policy.json.tpl"));
    client.open_as(&main_uri, "terraform", &main);
    let (published, _) = client.diagnostics_where(&main_uri, |p| !codes(p).is_empty());
    let typo = main.find("\"kms:Decrypts\"").unwrap();
    let in_main = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC201")
        .unwrap_or_else(|| panic!("PC201 in main.tf: {published}"));
    assert_eq!(
        in_main["range"],
        lsp_range(&main, typo, typo + 14, PositionEncoding::Utf16)
    );
    let at = position_of(&main, "Decrypts", PositionEncoding::Utf16);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": main_uri}, "position": at}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("Did you mean `kms:Decrypt`?"));
    assert_eq!(
        hover["range"],
        lsp_range(&main, typo, typo + 14, PositionEncoding::Utf16)
    );

    // The template file, opened, gets the module's finding in it.
    client.open_as(&template_uri, "plaintext", &template);
    let (published, _) = client.diagnostics_where(&template_uri, |p| !codes(p).is_empty());
    let typo = template.find("\"kms:PutKeyPolicys\"").unwrap();
    assert_eq!(codes(&published), ["PC201"], "{published}");
    let range = lsp_range(&template, typo, typo + 19, PositionEncoding::Utf16);
    assert_eq!(published["diagnostics"][0]["range"], range);
    // Its quick fix edits the template file, not main.tf.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": template_uri}, "range": range, "context": {"diagnostics": []}}),
    );
    let fix = &actions[0];
    assert_eq!(
        fix["title"], "Delete the entry",
        "`kms:*` has it: {actions}"
    );
    let changes = fix["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [&template_uri]);
    assert!(
        apply_edits(&template, changes[&template_uri].as_array().unwrap())
            .contains("\"Action\": [\"kms:*\"],")
    );
    // Fixed in the editor (unsaved): the module is read with the new text.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": template_uri, "version": 2},
               "contentChanges": [{"text": template.replace(", \"kms:PutKeyPolicys\"", "")}]}),
    );
    let fixed = client.diagnostics_for_version(&template_uri, 2);
    assert_eq!(codes(&fixed), Vec::<String>::new());
    let (still, _) = client.diagnostics_where(&main_uri, |p| codes(p) == ["PC201"]);
    assert_eq!(still["version"], 1);

    // The outline: each key by its address; the template's statements in it.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": main_uri}}),
    );
    let keys: Vec<(&str, &str)> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [
            ("aws_kms_key.app", "key · 2 statements"),
            ("aws_kms_key.logs", "key · policy in key-policy.json.tpl")
        ]
    );
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": template_uri}}),
    );
    assert_eq!(symbols[0]["name"], "Root");

    // Completion inside `jsonencode`: an HCL string.
    let typed = main.replace("\"kms:Decrypts\"", "\"kms:Dec|\"");
    let offset = typed.find('|').unwrap();
    let typed = typed.replacen('|', "", 1);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": main_uri, "version": 2}, "contentChanges": [{"text": typed}]}),
    );
    let result = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": main_uri}, "position": lsp_range(&typed, offset, offset, PositionEncoding::Utf16)["start"]}),
    );
    let item = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "kms:Decrypt")
        .unwrap_or_else(|| panic!("kms:Decrypt offered: {result}"));
    let done = apply_edits(&typed, &[item["textEdit"].clone()]);
    assert!(
        done.contains("Action    = [\"kms:Decrypt\", \"kms:Encrypt\"]"),
        "{done}"
    );
    client.shutdown();
}

/// A template file no module renders is checked alone, its `${...}`
/// placeholders unknown values (no false findings on them); its text is
/// JSON, so hover reads it directly.
#[test]
fn a_template_file_alone_is_checked_with_its_placeholders_unknown() {
    let dir = TempDir::new("template-alone");
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Sid\": \"Root\",\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"AWS\": \"arn:aws:iam::${account_id}:root\"},\n    \"Action\": [\"kms:*\", \"kms:Decrypts\"],\n    \"Resource\": \"*\"\n  }]\n}\n";
    let uri = file_uri(&dir.0.join("key.json.tpl"));
    let (mut client, _) = Client::start_in(utf16_only(), Value::Null, Some(&dir.0));
    client.open_as(&uri, "plaintext", text);
    let published = client.diagnostics_for_version(&uri, 1);
    assert_eq!(codes(&published), ["PC201"], "{published}");
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(text, "Decrypts", PositionEncoding::Utf16)}),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("Did you mean `kms:Decrypt`?"));
    client.shutdown();
}

/// A JSON policy a module reads with `file()` is checked through the module
/// once the module has been read, and an unsaved edit of it re-checks the
/// module.
#[test]
fn a_policy_file_a_module_reads_is_checked_through_the_module() {
    let dir = TempDir::new("terraform-file");
    let main = "resource \"aws_kms_key\" \"app\" {\n  enable_key_rotation = true\n  policy = file(\"${path.module}/policy.json\")\n}\n";
    let policy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Sid\": \"Root\",\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"},\n    \"Action\": [\"kms:*\", \"kms:Decrypts\"],\n    \"Resource\": \"*\"\n  }]\n}\n";
    std::fs::write(dir.0.join("main.tf"), main).unwrap();
    std::fs::write(dir.0.join("policy.json"), policy).unwrap();
    let (mut client, _) = Client::start_in(utf16_only(), Value::Null, Some(&dir.0));
    let main_uri = file_uri(&dir.0.join("main.tf"));
    let policy_uri = file_uri(&dir.0.join("policy.json"));
    client.open(&policy_uri, policy);
    client.open_as(&main_uri, "terraform", main);
    let (published, _) = client.diagnostics_where(&main_uri, |_| true);
    assert_eq!(codes(&published), Vec::<String>::new(), "{published}");
    let (published, _) = client.diagnostics_where(&policy_uri, |p| codes(p) == ["PC201"]);
    let typo = policy.find("\"kms:Decrypts\"").unwrap();
    assert_eq!(
        published["diagnostics"][0]["range"],
        lsp_range(policy, typo, typo + 14, PositionEncoding::Utf16)
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": policy_uri, "version": 2},
               "contentChanges": [{"text": policy.replace(", \"kms:Decrypts\"", "")}]}),
    );
    let fixed = client.diagnostics_for_version(&policy_uri, 2);
    assert_eq!(codes(&fixed), Vec::<String>::new());
    client.shutdown();
}

/// Every open file of a module gets a publication from each analysis of the
/// module, so an edit of one file (or its closing) re-publishes the others.
/// The files are named by `include` so that this holds whatever the reader
/// finds in them.
#[test]
fn an_edit_in_one_file_of_a_module_republishes_the_others() {
    let dir = TempDir::new("module-plumbing");
    let (main, _, variables) = write_module(&dir.0);
    let (mut client, _) = Client::start_in(
        utf16_only(),
        json!({"policyCheck": {"include": ["**/*.tf"]}}),
        Some(&dir.0),
    );
    let main_uri = file_uri(&dir.0.join("main.tf"));
    let variables_uri = file_uri(&dir.0.join("variables.tf"));
    client.open_as(&main_uri, "terraform", &main);
    client.diagnostics_for_version(&main_uri, 1);
    client.open_as(&variables_uri, "terraform", &variables);
    client.diagnostics_for_version(&variables_uri, 1);
    // main.tf was re-published when variables.tf opened; drain that.
    client.diagnostics_for_version(&main_uri, 1);

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": variables_uri, "version": 5},
               "contentChanges": [{"text": "variable \"region\" {}\n"}]}),
    );
    client.diagnostics_for_version(&variables_uri, 5);
    let (again, _) = client.diagnostics_where(&main_uri, |_| true);
    assert_eq!(again["version"], 1, "main.tf, unchanged, is re-published");

    // Closed: cleared, and the module read again for main.tf.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": variables_uri}}),
    );
    let (cleared, _) = client.diagnostics_where(&variables_uri, |p| p["version"].is_null());
    assert_eq!(cleared["diagnostics"], json!([]));
    let (again, _) = client.diagnostics_where(&main_uri, |_| true);
    assert_eq!(again["version"], 1);
    client.shutdown();
}

/// The `toml` blocks of the documentation that are `policy-check.toml`
/// examples: every block, except one whose first line names another file
/// (an editor's own configuration).
fn documented_configs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut configs = Vec::new();
    for doc in [
        "README.md",
        "docs/configuration.md",
        "crates/policy-lsp/README.md",
        "editors/vscode/README.md",
    ] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let mut lines = text.lines().enumerate();
        while let Some((at, line)) = lines.next() {
            if line.trim() != "```toml" {
                continue;
            }
            let block: Vec<&str> = lines
                .by_ref()
                .map(|(_, l)| l)
                .take_while(|l| l.trim() != "```")
                .collect();
            let first = block.first().copied().unwrap_or_default();
            let another_file = first.starts_with('#')
                && first.contains(".toml")
                && !first.contains("policy-check.toml");
            if !another_file {
                configs.push((format!("{doc}:{}", at + 1), block.join("\n") + "\n"));
            }
        }
    }
    configs
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file of a tree, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Per file, its findings as `CODE line:column` (1-based), sorted.
type Findings = std::collections::BTreeMap<PathBuf, Vec<String>>;

/// What the CLI reports for these files, named on its command line as an
/// editor names the documents it opens (a template a module renders is
/// reported through the module, as in the editor).
fn cli_findings(files: &[PathBuf]) -> Findings {
    use clap::Parser;
    let output = std::env::temp_dir().join(format!(
        "policy-check-agreement-{}-{}.json",
        std::process::id(),
        files.len()
    ));
    let mut args = vec![
        "policy-check".to_string(),
        "--format".into(),
        "json".into(),
        "--min-severity".into(),
        "hint".into(),
        "--output-file".into(),
        output.to_string_lossy().into_owned(),
    ];
    args.extend(
        files
            .iter()
            .filter(|f| !f.to_string_lossy().ends_with(".tpl"))
            .map(|f| f.to_string_lossy().into_owned()),
    );
    let args = policy_check::cli::Args::parse_from(args);
    policy_check::run::run(&args, Instant::now());
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let _ = std::fs::remove_file(&output);
    let mut findings = Findings::new();
    for file in report["files"].as_array().unwrap() {
        let path = PathBuf::from(file["path"].as_str().unwrap());
        if path.file_name().is_some_and(|n| n == "policy-check.toml") {
            // Unused config suppressions: only a whole run can tell.
            continue;
        }
        let mut found: Vec<String> = file["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let start = &d["range"]["start"];
                format!(
                    "{} {}:{}",
                    d["code"].as_str().unwrap(),
                    start["line"],
                    start["column"]
                )
            })
            .collect();
        found.sort();
        if !found.is_empty() {
            findings.insert(path, found);
        }
    }
    findings
}

/// What the server publishes for these files, opened together, once it is
/// quiet.
fn server_findings(root: &Path, files: &[PathBuf]) -> Findings {
    let (mut client, _) = Client::start_in(utf16_only(), Value::Null, Some(root));
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.to_string_lossy();
        let language = if name.ends_with(".json") {
            "json"
        } else if name.ends_with(".tf") {
            "terraform"
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            "yaml"
        } else {
            "plaintext"
        };
        client.open_as(&file_uri(file), language, &text);
    }
    let mut last: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
    let mut note = |message: Value| {
        if message["method"] == "textDocument/publishDiagnostics" {
            let uri = message["params"]["uri"].as_str().unwrap().to_string();
            last.insert(uri, message["params"]["diagnostics"].clone());
        }
    };
    for message in client.backlog.drain(..) {
        note(message);
    }
    // Quiet for two seconds: every analysis, module ones included, is done.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match client.incoming.recv_timeout(Duration::from_secs(2)) {
            Ok(message) => note(message),
            Err(RecvTimeoutError::Timeout) => break,
            Err(RecvTimeoutError::Disconnected) => panic!("the server exited"),
        }
        assert!(Instant::now() < deadline, "the server never went quiet");
    }
    client.shutdown();
    let mut findings = Findings::new();
    for file in files {
        let Some(diagnostics) = last.get(&file_uri(file)) else {
            continue;
        };
        let mut found: Vec<String> = diagnostics
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let start = &d["range"]["start"];
                format!(
                    "{} {}:{}",
                    d["code"].as_str().unwrap(),
                    start["line"].as_u64().unwrap() + 1,
                    start["character"].as_u64().unwrap() + 1
                )
            })
            .collect();
        found.sort();
        if !found.is_empty() {
            findings.insert(file.clone(), found);
        }
    }
    findings
}

/// The CLI and the server read `policy-check.toml` with one reader: for
/// every config example of the documentation, and for the examples' own
/// configs, they report the same findings on the bundled examples.
#[test]
fn the_cli_and_the_server_agree_under_every_documented_config() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut cases: Vec<(String, Option<String>)> = vec![("the examples' own configs".into(), None)];
    cases.extend(
        documented_configs()
            .into_iter()
            .map(|(name, text)| (name, Some(text))),
    );
    assert!(cases.len() >= 4, "the documentation's configs: {cases:?}");
    for (i, (name, config)) in cases.iter().enumerate() {
        let dir = TempDir::new(&format!("agreement-{i}"));
        copy_tree(&examples, &dir.0.join("examples"));
        if let Some(config) = config {
            for file in files_under(&dir.0) {
                if file.file_name().is_some_and(|n| n == "policy-check.toml") {
                    std::fs::remove_file(file).unwrap();
                }
            }
            std::fs::write(dir.0.join("policy-check.toml"), config).unwrap();
            policy_workspace::Config::parse(
                &dir.0.join("policy-check.toml"),
                config,
                policy_workspace::Mode::Strict,
            )
            .unwrap_or_else(|e| panic!("{name}: the documented config is refused: {e}"));
        }
        let files: Vec<PathBuf> = files_under(&dir.0)
            .into_iter()
            .filter(|f| {
                let name = f.to_string_lossy();
                [".json", ".yaml", ".tf", ".tpl"]
                    .iter()
                    .any(|e| name.ends_with(e))
            })
            .collect();
        let cli = cli_findings(&files);
        let server = server_findings(&dir.0, &files);
        assert!(
            !cli.is_empty() || config.is_some(),
            "{name}: the defective examples have findings"
        );
        assert_eq!(
            cli, server,
            "{name}: the CLI (left) and the server (right) disagree"
        );
    }
}

/// A config that an edit breaks is shown once and the last good one stays
/// in force; an unknown key is skipped with a warning, the rest applies.
#[test]
fn a_broken_config_keeps_the_last_good_one_and_says_so_once() {
    let dir = TempDir::new("broken-config");
    let config = dir.0.join("policy-check.toml");
    std::fs::write(&config, "[rules]\nignore = [\"PC003\"]\n").unwrap();
    let uri = file_uri(&dir.0.join("key.json"));
    let (mut client, _) = Client::start_in(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
        Some(&dir.0),
    );
    client.open(&uri, DEFECTIVE);
    assert_eq!(
        codes(&client.diagnostics_for_version(&uri, 1)),
        ["PC002", "PC004"]
    );

    let changed = |client: &mut Client| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": file_uri(&config), "type": 2}]}),
        );
    };
    std::fs::write(&config, "[rules]\nignore = [\"PC003\"\n").unwrap();
    changed(&mut client);
    let (republished, _) = client.diagnostics_where(&uri, |_| true);
    assert_eq!(
        codes(&republished),
        ["PC002", "PC004"],
        "the last good config applies"
    );
    let shown: Vec<String> = client
        .shown_messages(1)
        .iter()
        .map(|m| m["params"]["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("policy-check.toml:3: unclosed array")
            && shown[0].ends_with("(the last version that could be read still applies)"),
        "{shown:?}"
    );

    client.backlog.clear();
    std::fs::write(&config, "futur = 1\n[rules]\nignore = [\"PC004\"]\n").unwrap();
    changed(&mut client);
    let (republished, _) = client.diagnostics_where(&uri, |p| codes(p) == ["PC003", "PC002"]);
    assert_eq!(republished["version"], 1);
    let shown = client.shown_messages(1);
    assert_eq!(shown.len(), 1, "{shown:?}");
    let message = shown[0]["params"]["message"].as_str().unwrap();
    assert!(
        message.contains("policy-check.toml:1: unknown field `futur`")
            && message.contains("; skipped"),
        "{message}"
    );
    client.shutdown();
}

/// Suppression comments apply in the editor as in the CLI, and one that
/// accepts nothing is reported.
#[test]
fn suppression_comments_apply_in_the_editor() {
    let dir = TempDir::new("suppression-comments");
    let uri = file_uri(&dir.0.join("stack.yaml"));
    let template = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Sid: Root\n            Effect: Allow\n            Principal:\n              AWS: !Sub arn:aws:iam::${AWS::AccountId}:root\n            Action: kms:*\n            Resource: '*'\n          # policy-check-ignore: PC501 # public by design (SEC-123)\n          - Sid: Everyone\n            Effect: Allow\n            Principal: {AWS: '*'}\n            Action: kms:Decrypt\n            Resource: '*'\n";
    let (mut client, _) = Client::start_in(utf16_only(), Value::Null, Some(&dir.0));
    client.open_as(&uri, "yaml", template);
    let published = client.diagnostics_for_version(&uri, 1);
    assert!(
        !codes(&published).contains(&"PC501".to_string()),
        "{published}"
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"text": template.replace("{AWS: '*'}", "{AWS: !Ref AWS::AccountId}")}]}),
    );
    let published = client.diagnostics_for_version(&uri, 2);
    assert_eq!(codes(&published), ["PC701"], "{published}");
    assert_eq!(
        published["diagnostics"][0]["range"]["start"],
        json!({"line": 14, "character": 10})
    );
    client.shutdown();
}

/// A user rule pack applies in the editor, and an edit of one of its files
/// reloads it: a changed rule is republished, a broken one is shown with
/// its file, line and column while the built-in rules go on.
#[test]
fn rule_packs_apply_and_reload_when_their_files_change() {
    let dir = TempDir::new("rule-packs");
    std::fs::write(
        dir.0.join("policy-check.toml"),
        "rule-packs = [\"rules\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.0.join("rules")).unwrap();
    let rule = dir.0.join("rules/open.toml");
    let text = |id: &str| {
        format!(
            "id = \"{id}\"\nname = \"open-to-anyone\"\nseverity = \"warning\"\nsummary = \"s\"\nmessage = \"{{statement}} is open\"\ndocument = \"facts\"\nselect = \"$.statements[?@.exposure.anyone == true].exposure\"\nforbid = true\n"
        )
    };
    std::fs::write(&rule, text("ACME001")).unwrap();
    let policy = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
  {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
]}
"#;
    let uri = file_uri(&dir.0.join("key.json"));
    let (mut client, _) = Client::start_in(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        Value::Null,
        Some(&dir.0),
    );
    client.open(&uri, policy);
    let published = client.diagnostics_for_version(&uri, 1);
    let user: Vec<&Value> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "ACME001")
        .collect();
    assert_eq!(user.len(), 1, "{published}");
    assert_eq!(user[0]["message"], "statement \"Open\" is open");
    assert_eq!(
        user[0]["range"],
        lsp_range(policy, 221, 224, PositionEncoding::Utf16)
    );

    let changed = |client: &mut Client| {
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": file_uri(&rule), "type": 2}]}),
        );
    };
    std::fs::write(&rule, text("ACME002")).unwrap();
    changed(&mut client);
    client.diagnostics_where(&uri, |p| {
        codes(p).contains(&"ACME002".to_string()) && !codes(p).contains(&"ACME001".to_string())
    });

    client.backlog.clear();
    std::fs::write(
        &rule,
        text("ACME002").replace("forbid = true", "forbid = true\nselector = 1"),
    )
    .unwrap();
    changed(&mut client);
    let (republished, _) =
        client.diagnostics_where(&uri, |p| !codes(p).iter().any(|c| c.starts_with("ACME")));
    assert!(
        codes(&republished).contains(&"PC501".to_string()),
        "the built-in rules go on"
    );
    let shown: Vec<String> = client
        .shown_messages(1)
        .iter()
        .map(|m| m["params"]["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        shown
            .iter()
            .any(|m| m.contains("rules/open.toml:9:1: unknown field `selector`")),
        "{shown:?}"
    );
    client.shutdown();
}
