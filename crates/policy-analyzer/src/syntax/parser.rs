//! An iterative, error-recovering JSON parser.

use super::lexer::{Lexer, Token, TokenKind};
use super::tree::{Member, Node, NodeId, NodeKind, Tree};
use super::{Parse, SyntaxError, SyntaxErrorKind};
use crate::text::TextRange;

/// Parses `text` into a tree. Never fails, never panics, never recurses.
pub fn parse(text: &str) -> Parse<'_> {
    Parser::new(text).run()
}

/// Past this many errors the text is most likely not JSON at all (a binary
/// file, say), and more messages would only bury the first one.
pub(crate) const MAX_ERRORS: usize = 50;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// After `{` or `,` in an object: a key or (after `{`) `}`.
    Key,
    /// After a key: `:`.
    Colon,
    /// After `:` or `[` / `,` in an array: a value.
    Value,
    /// After a value inside a container: `,` or the closing bracket.
    CommaOrEnd,
}

struct Frame<'a> {
    node: NodeId,
    is_object: bool,
    state: State,
    /// The comma just read, to report it if the container closes right after.
    pending_comma: Option<TextRange>,
    /// The key waiting for its value.
    pending_key: Option<(std::borrow::Cow<'a, str>, TextRange)>,
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    tree: Tree<'a>,
    stack: Vec<Frame<'a>>,
    errors: Vec<SyntaxError>,
    /// A token read but not yet consumed (for recovery that re-dispatches it).
    peeked: Option<Token<'a>>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        // About one node per 32 bytes in pretty-printed policies: reserving
        // that spares the growth copies; capped, so odd input reserves little.
        let nodes = (text.len() / 32 + 16).min(1 << 14);
        Parser {
            lexer: Lexer::new(text),
            tree: Tree {
                nodes: Vec::with_capacity(nodes),
                root: None,
                shadowed: Vec::new(),
            },
            stack: Vec::new(),
            errors: Vec::new(),
            peeked: None,
        }
    }

    fn error(&mut self, range: TextRange, message: impl Into<String>) {
        self.errors.push(SyntaxError {
            kind: SyntaxErrorKind::Invalid,
            range,
            message: message.into(),
            related: None,
        });
    }

    /// The next significant token; comments are reported and skipped.
    fn next(&mut self) -> Token<'a> {
        if let Some(t) = self.peeked.take() {
            return t;
        }
        loop {
            // The lexer's errors and the parser's share one limit.
            self.lexer.error_limit = MAX_ERRORS.saturating_sub(self.errors.len());
            let t = self.lexer.next_token();
            // A template directive (`%{ for ... }`, `%{ endif }`) stands between
            // values rather than for one: report it and read on as if it were
            // not there, so the rest of the template is still checked.
            if t.kind == TokenKind::Word && self.lexer.text()[t.range.as_usize()].starts_with("%{")
            {
                let raw = &self.lexer.text()[t.range.as_usize()];
                self.error(
                    t.range,
                    format!("template directive `{raw}` in the policy: render the template before checking it"),
                );
                continue;
            }
            if t.kind == TokenKind::Comment {
                self.errors.push(SyntaxError {
                    kind: SyntaxErrorKind::Comment,
                    range: t.range,
                    message:
                        "comments are not allowed in a policy document: AWS rejects the policy"
                            .into(),
                    related: None,
                });
                continue;
            }
            return t;
        }
    }

    fn push_node(&mut self, kind: NodeKind<'a>, range: TextRange) -> NodeId {
        let id = NodeId(self.tree.nodes.len() as u32);
        let parent = self.stack.last().map(|f| f.node);
        self.tree.nodes.push(Node {
            kind,
            range,
            parent,
        });
        // Attach to the enclosing container, or make it the root.
        match self.stack.last_mut() {
            Some(frame) if frame.is_object => {
                if let Some((key, key_range)) = frame.pending_key.take() {
                    let container = frame.node;
                    if let NodeKind::Object(members) =
                        &mut self.tree.nodes[container.0 as usize].kind
                    {
                        members.push(Member {
                            key,
                            key_range,
                            value: id,
                        });
                    }
                }
            }
            Some(frame) => {
                let container = frame.node;
                if let NodeKind::Array(items) = &mut self.tree.nodes[container.0 as usize].kind {
                    items.push(id);
                }
            }
            None => self.tree.root = Some(id),
        }
        id
    }

    fn run(mut self) -> Parse<'a> {
        loop {
            if self.stack.is_empty() && self.tree.root.is_some() {
                let token = self.next();
                if token.kind != TokenKind::Eof {
                    self.error(
                        token.range,
                        format!(
                            "expected the end of the document, found {}: a policy is a single JSON object",
                            describe(&token)
                        ),
                    );
                }
                break;
            }
            if self.errors.len() + self.lexer.errors.len() >= MAX_ERRORS {
                let at = TextRange::empty(self.lexer.position());
                self.error(
                    at,
                    format!("too many syntax errors: stopped reading after {MAX_ERRORS}"),
                );
                // What is still open ends where reading stopped, so that
                // every node's range holds its members (an editor's outline
                // needs a statement's Sid inside the statement).
                while !self.stack.is_empty() {
                    self.close(at.start as usize);
                }
                break;
            }
            let token = self.next();
            if token.kind == TokenKind::Eof && !self.stack.is_empty() {
                self.unexpected_eof(token.range);
                break;
            }
            let Some(frame) = self.stack.last() else {
                if token.kind == TokenKind::Eof {
                    self.error(
                        token.range,
                        "expected a JSON object, found the end of the file",
                    );
                    break;
                }
                self.value(token);
                continue;
            };
            match (frame.state, frame.is_object) {
                (State::Key, _) => self.key(token),
                (State::Colon, _) => self.colon(token),
                (State::Value, true) => {
                    if matches!(
                        token.kind,
                        TokenKind::RBrace | TokenKind::Comma | TokenKind::Eof
                    ) {
                        let at = TextRange::empty(token.range.start as usize);
                        self.error(at, format!("expected a value, found {}", describe(&token)));
                        self.push_node(NodeKind::Invalid, at);
                        self.after_value();
                        self.peeked = Some(token);
                    } else {
                        self.value(token);
                    }
                }
                (State::Value, false) => match token.kind {
                    TokenKind::RBracket => {
                        if let Some(comma) =
                            self.stack.last_mut().and_then(|f| f.pending_comma.take())
                        {
                            self.trailing_comma(comma);
                        }
                        self.close(token.range.end as usize);
                    }
                    TokenKind::Comma => self.error(token.range, "expected a value before `,`"),
                    TokenKind::RBrace | TokenKind::Eof => {
                        self.error(
                            token.range,
                            format!("expected a value or `]`, found {}", describe(&token)),
                        );
                        self.close(token.range.start as usize);
                        self.peeked = Some(token);
                    }
                    _ => self.value(token),
                },
                (State::CommaOrEnd, is_object) => self.comma_or_end(token, is_object),
            }
        }
        let mut errors = self.errors;
        errors.extend(self.lexer.errors.drain(..).map(|e| SyntaxError {
            kind: SyntaxErrorKind::Invalid,
            range: e.range,
            message: e.message,
            related: None,
        }));
        errors.sort_by_key(|e| (e.range.start, e.range.end));
        self.tree.shadowed.sort_unstable();
        Parse {
            tree: self.tree,
            errors,
        }
    }

    /// Starts a value with `token`.
    fn value(&mut self, token: Token<'a>) {
        let range = token.range;
        match token.kind {
            TokenKind::LBrace => {
                let node = self.push_node(NodeKind::Object(Vec::new()), range);
                self.stack.push(Frame {
                    node,
                    is_object: true,
                    state: State::Key,
                    pending_comma: None,
                    pending_key: None,
                });
                return;
            }
            TokenKind::LBracket => {
                let node = self.push_node(NodeKind::Array(Vec::new()), range);
                self.stack.push(Frame {
                    node,
                    is_object: false,
                    state: State::Value,
                    pending_comma: None,
                    pending_key: None,
                });
                return;
            }
            TokenKind::String(s) => {
                self.push_node(NodeKind::String(s), range);
            }
            TokenKind::Number => {
                let raw = &self.lexer_text()[range.as_usize()];
                self.push_node(NodeKind::Number(raw), range);
            }
            TokenKind::True => {
                self.push_node(NodeKind::Bool(true), range);
            }
            TokenKind::False => {
                self.push_node(NodeKind::Bool(false), range);
            }
            TokenKind::Null => {
                self.push_node(NodeKind::Null, range);
            }
            TokenKind::Word => {
                let raw = &self.lexer_text()[range.as_usize()];
                let message = if raw.starts_with("${") {
                    format!("expected a value, found the unquoted template placeholder `{raw}`: render the template before checking it, or quote the placeholder")
                } else {
                    let lower = raw.to_ascii_lowercase();
                    if matches!(lower.as_str(), "true" | "false" | "null") {
                        format!("expected a value, found `{raw}`: JSON literals are lowercase, write `{lower}`")
                    } else {
                        format!("expected a value, found `{raw}`: strings must be in double quotes")
                    }
                };
                self.error(range, message);
                self.push_node(NodeKind::Invalid, range);
            }
            _ => {
                self.error(
                    range,
                    format!("expected a value, found {}", describe(&token)),
                );
                self.push_node(NodeKind::Invalid, range);
            }
        }
        self.after_value();
    }

    fn lexer_text(&self) -> &'a str {
        self.lexer.text()
    }

    /// Moves the enclosing container to "expect `,` or its end".
    fn after_value(&mut self) {
        if let Some(frame) = self.stack.last_mut() {
            frame.state = State::CommaOrEnd;
            frame.pending_comma = None;
        }
    }

    fn key(&mut self, token: Token<'a>) {
        match token.kind {
            TokenKind::String(s) => {
                let frame = self.stack.last_mut().expect("key state has a frame");
                frame.pending_key = Some((s, token.range));
                frame.state = State::Colon;
            }
            TokenKind::RBrace => {
                if let Some(comma) = self.stack.last_mut().and_then(|f| f.pending_comma.take()) {
                    self.trailing_comma(comma);
                }
                self.close(token.range.end as usize);
            }
            TokenKind::Word => {
                let raw = &self.lexer_text()[token.range.as_usize()];
                self.error(
                    token.range,
                    format!("expected a property name in double quotes, found `{raw}`"),
                );
                let frame = self.stack.last_mut().expect("key state has a frame");
                frame.pending_key = Some((std::borrow::Cow::Borrowed(raw), token.range));
                frame.state = State::Colon;
            }
            TokenKind::Comma => {
                self.error(token.range, "expected a property name before `,`");
            }
            TokenKind::RBracket | TokenKind::Eof => {
                self.error(
                    token.range,
                    format!(
                        "expected a property name or `}}`, found {}",
                        describe(&token)
                    ),
                );
                self.close(token.range.start as usize);
                self.peeked = Some(token);
            }
            _ => {
                self.error(
                    token.range,
                    format!(
                        "expected a property name in double quotes, found {}",
                        describe(&token)
                    ),
                );
            }
        }
    }

    fn colon(&mut self, token: Token<'a>) {
        match token.kind {
            TokenKind::Colon => {
                self.stack.last_mut().expect("frame").state = State::Value;
            }
            TokenKind::LBrace
            | TokenKind::LBracket
            | TokenKind::String(_)
            | TokenKind::Number
            | TokenKind::True
            | TokenKind::False
            | TokenKind::Null => {
                self.error(
                    TextRange::empty(token.range.start as usize),
                    format!(
                        "expected `:` after the property name, found {}",
                        describe(&token)
                    ),
                );
                self.stack.last_mut().expect("frame").state = State::Value;
                self.peeked = Some(token);
            }
            _ => {
                self.error(
                    token.range,
                    format!(
                        "expected `:` after the property name, found {}",
                        describe(&token)
                    ),
                );
                let frame = self.stack.last_mut().expect("frame");
                frame.pending_key = None;
                frame.state = State::CommaOrEnd;
                self.peeked = Some(token);
            }
        }
    }

    fn comma_or_end(&mut self, token: Token<'a>, is_object: bool) {
        let (close, close_name) = if is_object {
            (TokenKind::RBrace, "}")
        } else {
            (TokenKind::RBracket, "]")
        };
        if token.kind == TokenKind::Comma {
            let frame = self.stack.last_mut().expect("frame");
            frame.state = if is_object { State::Key } else { State::Value };
            frame.pending_comma = Some(token.range);
            return;
        }
        if token.kind == close {
            self.close(token.range.end as usize);
            return;
        }
        let starts_member = if is_object {
            matches!(token.kind, TokenKind::String(_))
        } else {
            matches!(
                token.kind,
                TokenKind::LBrace
                    | TokenKind::LBracket
                    | TokenKind::String(_)
                    | TokenKind::Number
                    | TokenKind::True
                    | TokenKind::False
                    | TokenKind::Null
                    | TokenKind::Word
            )
        };
        if starts_member {
            // A missing comma: report it and carry on as if it were there.
            let at = self.last_value_end();
            self.error(
                TextRange::empty(at),
                format!("expected `,` or `{close_name}`, found {}", describe(&token)),
            );
            let frame = self.stack.last_mut().expect("frame");
            frame.state = if is_object { State::Key } else { State::Value };
            self.peeked = Some(token);
            return;
        }
        match token.kind {
            TokenKind::RBrace | TokenKind::RBracket | TokenKind::Eof => {
                let what = if is_object { "object" } else { "array" };
                self.error(
                    token.range,
                    format!(
                        "expected `,` or `{close_name}` to close the {what}, found {}",
                        describe(&token)
                    ),
                );
                self.close(token.range.start as usize);
                self.peeked = Some(token);
            }
            _ => {
                self.error(
                    token.range,
                    format!("expected `,` or `{close_name}`, found {}", describe(&token)),
                );
            }
        }
    }

    /// Reports one error for all containers still open at the end of the text,
    /// naming the innermost, and closes them.
    fn unexpected_eof(&mut self, eof: TextRange) {
        let frame = self.stack.last().expect("caller checked");
        let (what, close) = if frame.is_object {
            ("object", "}")
        } else {
            ("array", "]")
        };
        let opened = self.tree.range(frame.node).start as usize;
        let open_count = self.stack.len();
        let more = if open_count > 1 {
            format!(" ({open_count} objects and arrays are still open)")
        } else {
            String::new()
        };
        self.errors.push(SyntaxError {
            kind: SyntaxErrorKind::Invalid,
            range: eof,
            message: format!(
                "unexpected end of file: expected `{close}` to close the {what}{more}"
            ),
            related: Some((
                TextRange::new(opened, opened + 1),
                format!("this {what} is never closed"),
            )),
        });
        while !self.stack.is_empty() {
            self.close(eof.start as usize);
        }
    }

    fn last_value_end(&self) -> usize {
        let frame = self.stack.last().expect("frame");
        let last = match &self.tree.node(frame.node).kind {
            NodeKind::Object(members) => members.last().map(|m| m.value),
            NodeKind::Array(items) => items.last().copied(),
            _ => None,
        };
        last.map_or(self.tree.range(frame.node).end as usize, |n| {
            self.tree.range(n).end as usize
        })
    }

    fn trailing_comma(&mut self, comma: TextRange) {
        self.errors.push(SyntaxError {
            kind: SyntaxErrorKind::TrailingComma,
            range: comma,
            message: "trailing comma: JSON allows no comma after the last element, and AWS rejects the policy".into(),
            related: None,
        });
    }

    /// Closes the innermost container; its range ends at `end`.
    fn close(&mut self, end: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let node = &mut self.tree.nodes[frame.node.0 as usize];
        node.range.end = end.max(node.range.start as usize) as u32;
        if frame.is_object {
            self.report_duplicate_keys(frame.node);
        }
        self.after_value();
    }

    fn report_duplicate_keys(&mut self, object: NodeId) {
        let NodeKind::Object(members) = &self.tree.node(object).kind else {
            return;
        };
        if members.len() < 2 {
            return;
        }
        // Policy objects are small: compare keys pairwise there, hash beyond.
        // Each repeat reports the first occurrence and shadows the one
        // before it (the last of the keys wins).
        let mut seen: rustc_hash::FxHashMap<&str, (TextRange, NodeId)> = Default::default();
        let mut shadowed = Vec::new();
        for (i, m) in members.iter().enumerate() {
            let earlier = if members.len() <= 16 {
                let first = members[..i].iter().find(|e| e.key == m.key);
                let previous = members[..i].iter().rev().find(|e| e.key == m.key);
                first.zip(previous).map(|(f, p)| (f.key_range, p.value))
            } else {
                seen.insert(m.key.as_ref(), (m.key_range, m.value))
                    .map(|(first, previous)| {
                        // Keep the first occurrence's range for later repeats.
                        seen.insert(m.key.as_ref(), (first, m.value));
                        (first, previous)
                    })
            };
            if let Some((first, previous)) = earlier {
                shadowed.push(previous);
                self.errors.push(SyntaxError {
                    kind: SyntaxErrorKind::DuplicateKey { first },
                    range: m.key_range,
                    message: format!(
                        "duplicate key `{}`: AWS keeps only one of the two and silently ignores the other",
                        m.key
                    ),
                    related: None,
                });
            }
        }
        self.tree.shadowed.extend(shadowed);
    }
}

fn describe(token: &Token<'_>) -> String {
    match &token.kind {
        TokenKind::LBrace => "`{`".into(),
        TokenKind::RBrace => "`}`".into(),
        TokenKind::LBracket => "`[`".into(),
        TokenKind::RBracket => "`]`".into(),
        TokenKind::Colon => "`:`".into(),
        TokenKind::Comma => "`,`".into(),
        TokenKind::String(_) => "a string".into(),
        TokenKind::Number => "a number".into(),
        TokenKind::True | TokenKind::False => "a boolean".into(),
        TokenKind::Null => "`null`".into(),
        TokenKind::Word => "a bare word".into(),
        TokenKind::Comment => "a comment".into(),
        TokenKind::Unexpected => "an unexpected character".into(),
        TokenKind::Eof => "the end of the file".into(),
    }
}
