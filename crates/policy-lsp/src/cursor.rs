//! What the cursor is on: which element of which statement, and whether it
//! sits in a key, a value or an array item.
//!
//! Hover and completion both start here. Completion runs while the user types,
//! so the text is often not valid JSON: a string still open (`"kms:Gen`), a
//! key without its colon. The analyzer's parser recovers and keeps the
//! containers' ranges, but a half-typed key never becomes a tree member. So
//! the containers come from the tree, and the token under the cursor and the
//! punctuation before it come from the text itself: JSON strings cannot span
//! lines, so the string around the cursor is found by scanning its line.

use policy_analyzer::syntax::{NodeId, NodeKind, Tree};
use policy_analyzer::TextRange;

/// A string token in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StringToken {
    /// From the opening quote to the closing quote, or to the end of the line
    /// when the string is not closed yet.
    pub range: TextRange,
    /// Between the quotes.
    pub content: TextRange,
    pub terminated: bool,
}

/// The string whose content holds `offset` (the content's end counts, so a
/// cursor right before the closing quote, or at the end of an open string, is
/// inside).
pub fn string_at(text: &str, offset: usize) -> Option<StringToken> {
    let bytes = text.as_bytes();
    let offset = offset.min(text.len());
    // Lines end at `\n`, `\r\n` or a lone `\r`, as for the lexer and LSP:
    // a string never runs past the end of its line.
    let ends_line = |b: u8| b == b'\n' || b == b'\r';
    let line_start = text[..floor_boundary(text, offset)]
        .rfind(['\n', '\r'])
        .map_or(0, |i| i + 1);
    let mut i = line_start;
    while i < bytes.len() && !ends_line(bytes[i]) {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        let mut terminated = false;
        while j < bytes.len() && !ends_line(bytes[j]) {
            match bytes[j] {
                b'"' => {
                    terminated = true;
                    break;
                }
                // An escape: skip the escaped byte, unless it ends the line.
                b'\\' if bytes.get(j + 1).is_some_and(|&b| !ends_line(b)) => j += 2,
                _ => j += 1,
            }
        }
        let content_end = j.min(bytes.len());
        if start >= offset {
            return None;
        }
        if offset <= content_end {
            return Some(StringToken {
                range: TextRange::new(start, if terminated { j + 1 } else { j }),
                content: TextRange::new(start + 1, content_end),
                terminated,
            });
        }
        i = if terminated { j + 1 } else { j };
    }
    None
}

fn floor_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The decoded value of a string token (escapes resolved when the string is
/// complete; an open string is taken as written).
pub fn string_value(text: &str, token: &StringToken) -> String {
    let raw = &text[token.content.as_usize()];
    if token.terminated && raw.contains('\\') {
        if let Ok(decoded) = serde_json::from_str::<String>(&text[token.range.as_usize()]) {
            return decoded;
        }
    }
    raw.to_string()
}

/// One step from a container to a child container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Where inside its container the cursor is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// A member name (typed, being typed, or about to be).
    Key,
    /// The value of the member `key`.
    Value { key: String },
    /// An item of an array.
    Item,
    /// Somewhere else: between tokens that do not start a key or value.
    Between,
}

/// What the cursor is on, in policy terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A member name of the policy object (`Version`, `Statement`).
    RootKey,
    /// A member name of a statement (`Effect`, `Action`...).
    StatementKey,
    /// A principal type (`AWS`, `Service`...).
    PrincipalKey,
    /// An operator name in a `Condition` block.
    ConditionOperator,
    /// A condition key name under `operator`.
    ConditionKey {
        operator: String,
    },
    VersionValue,
    EffectValue,
    SidValue,
    /// An entry of `Action` (or `NotAction` when `negated`).
    Action {
        negated: bool,
    },
    /// A value of condition key `key` under `operator`.
    ConditionValue {
        operator: String,
        key: String,
    },
    /// Inside a statement, on nothing more specific.
    InStatement,
    Other,
}

/// The cursor's context.
#[derive(Clone, Debug)]
pub struct Cursor {
    pub offset: usize,
    /// The string the cursor is in, if any.
    pub string: Option<StringToken>,
    /// The innermost container holding the cursor and the path to it from
    /// the root (the root itself has no segment).
    pub container: Option<NodeId>,
    pub path: Vec<Segment>,
    pub slot: Slot,
    pub place: Place,
    /// The statement object the cursor is in.
    pub statement: Option<NodeId>,
}

impl Cursor {
    /// Locates `offset` in `text`, whose tree is `tree`.
    pub fn locate(text: &str, tree: &Tree<'_>, offset: usize) -> Cursor {
        let offset = floor_boundary(text, offset.min(text.len()));
        let string = string_at(text, offset);
        let anchor = string.map_or(offset, |s| s.range.start as usize);
        let (steps, path) = containers_holding(text, tree, anchor);
        let container = steps.last().copied();
        let slot = match container.map(|c| tree.kind(c)) {
            Some(NodeKind::Object(_)) => match previous_significant(text, anchor) {
                Some((_, b'{' | b',')) => Slot::Key,
                Some((colon, b':')) => match key_before(text, colon) {
                    Some(key) => Slot::Value { key },
                    None => Slot::Between,
                },
                _ => Slot::Between,
            },
            Some(NodeKind::Array(_)) => Slot::Item,
            _ => Slot::Between,
        };
        // The statement: `/Statement/<i>`, or `/Statement` itself when it is a
        // single object rather than an array.
        let statement = match path.first() {
            Some(Segment::Key(k)) if k == "Statement" => {
                match (steps.get(1), path.get(1), steps.get(2)) {
                    (_, Some(Segment::Index(_)), Some(&item))
                        if matches!(tree.kind(item), NodeKind::Object(_)) =>
                    {
                        Some(item)
                    }
                    (Some(&single), _, _) if matches!(tree.kind(single), NodeKind::Object(_)) => {
                        Some(single)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let in_statement_at =
            |depth: usize| statement.is_some_and(|s| steps.get(depth) == Some(&s));
        let statement_depth = if in_statement_at(2) { 2 } else { 1 };
        let rest: &[Segment] = if statement.is_some() {
            path.get(statement_depth..).unwrap_or(&[])
        } else {
            &[]
        };
        let key_is = |segment: Option<&Segment>, names: &[&str]| matches!(segment, Some(Segment::Key(k)) if names.contains(&k.as_str()));
        let place = match (&slot, statement.is_some()) {
            (Slot::Key, _) if path.is_empty() && container.is_some() => Place::RootKey,
            (Slot::Value { key }, _) if path.is_empty() && key == "Version" => Place::VersionValue,
            (Slot::Key, true) => match rest {
                [] => Place::StatementKey,
                [p] if key_is(Some(p), &["Principal", "NotPrincipal"]) => Place::PrincipalKey,
                [c] if key_is(Some(c), &["Condition"]) => Place::ConditionOperator,
                [c, Segment::Key(op)] if key_is(Some(c), &["Condition"]) => Place::ConditionKey {
                    operator: op.clone(),
                },
                _ => Place::Other,
            },
            (Slot::Value { key }, true) => match rest {
                [] => match key.as_str() {
                    "Effect" => Place::EffectValue,
                    "Sid" => Place::SidValue,
                    "Action" => Place::Action { negated: false },
                    "NotAction" => Place::Action { negated: true },
                    _ => Place::InStatement,
                },
                [c, Segment::Key(op)] if key_is(Some(c), &["Condition"]) => Place::ConditionValue {
                    operator: op.clone(),
                    key: key.clone(),
                },
                _ => Place::Other,
            },
            (Slot::Item, true) => match rest {
                [a] if key_is(Some(a), &["Action"]) => Place::Action { negated: false },
                [a] if key_is(Some(a), &["NotAction"]) => Place::Action { negated: true },
                [c, Segment::Key(op), Segment::Key(key)] if key_is(Some(c), &["Condition"]) => {
                    Place::ConditionValue {
                        operator: op.clone(),
                        key: key.clone(),
                    }
                }
                _ => Place::Other,
            },
            (Slot::Between, true) if rest.is_empty() => Place::InStatement,
            _ => Place::Other,
        };
        Cursor {
            offset,
            string,
            container,
            path,
            slot,
            place,
            statement,
        }
    }

    /// The token the cursor is on, for the separators around it: the string
    /// with its quotes (up to its content's end when it is still open), else
    /// the empty range at the cursor.
    pub fn token_range(&self) -> TextRange {
        self.string.map_or(TextRange::empty(self.offset), |s| {
            if s.terminated {
                s.range
            } else {
                TextRange::new(s.range.start as usize, s.content.end as usize)
            }
        })
    }

    /// The range a completion replaces: the string's content when the cursor
    /// is in a string, else an empty range at the cursor.
    pub fn replace_range(&self) -> TextRange {
        self.string
            .map_or(TextRange::empty(self.offset), |s| s.content)
    }
}

/// The containers that hold `anchor`, from the root down, and the path of
/// keys and indices that leads to the innermost one.
fn containers_holding(text: &str, tree: &Tree<'_>, anchor: usize) -> (Vec<NodeId>, Vec<Segment>) {
    let mut steps = Vec::new();
    let mut path = Vec::new();
    let Some(root) = tree.root() else {
        return (steps, path);
    };
    if !holds(text, tree, root, anchor) {
        return (steps, path);
    }
    let mut current = root;
    steps.push(root);
    loop {
        let next = match tree.kind(current) {
            NodeKind::Object(members) => members
                .iter()
                .find(|m| holds(text, tree, m.value, anchor))
                .map(|m| (m.value, Segment::Key(m.key.to_string()))),
            NodeKind::Array(items) => items
                .iter()
                .enumerate()
                .find(|&(_, &item)| holds(text, tree, item, anchor))
                .map(|(i, &item)| (item, Segment::Index(i))),
            _ => None,
        };
        let Some((node, segment)) = next else {
            break;
        };
        steps.push(node);
        path.push(segment);
        current = node;
    }
    (steps, path)
}

/// Whether the container `node` holds `anchor` strictly inside its brackets.
/// A container the parser closed at the end of the text (or at a wrong
/// bracket) has no closing bracket of its own, and holds its end too.
fn holds(text: &str, tree: &Tree<'_>, node: NodeId, anchor: usize) -> bool {
    let closing = match tree.kind(node) {
        NodeKind::Object(_) => b'}',
        NodeKind::Array(_) => b']',
        _ => return false,
    };
    let range = tree.range(node);
    let (start, end) = (range.start as usize, range.end as usize);
    if anchor <= start {
        return false;
    }
    let closed = end > start + 1 && text.as_bytes().get(end - 1) == Some(&closing);
    if closed {
        anchor < end
    } else {
        anchor <= end
    }
}

/// The last byte before `offset` that is not whitespace, with its position.
fn previous_significant(text: &str, offset: usize) -> Option<(usize, u8)> {
    let bytes = text.as_bytes();
    (0..offset.min(bytes.len()))
        .rev()
        .find(|&i| !bytes[i].is_ascii_whitespace())
        .map(|i| (i, bytes[i]))
}

/// The member name written before the colon at `colon`.
fn key_before(text: &str, colon: usize) -> Option<String> {
    let (close, quote) = previous_significant(text, colon)?;
    if quote != b'"' {
        return None;
    }
    let bytes = text.as_bytes();
    let mut open = close;
    loop {
        open = open.checked_sub(1)?;
        match bytes[open] {
            b'\n' | b'\r' => return None,
            b'"' => {
                let backslashes = bytes[..open]
                    .iter()
                    .rev()
                    .take_while(|&&b| b == b'\\')
                    .count();
                if backslashes % 2 == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    let token = StringToken {
        range: TextRange::new(open, close + 1),
        content: TextRange::new(open + 1, close),
        terminated: true,
    };
    Some(string_value(text, &token))
}

#[cfg(test)]
mod tests {
    use policy_analyzer::syntax::parse;

    use super::*;

    /// Locates the cursor marked `|` in `marked`.
    fn at(marked: &str) -> Cursor {
        let offset = marked.find('|').expect("a cursor mark");
        let text = marked.replacen('|', "", 1);
        let parse = parse(&text);
        Cursor::locate(&text, &parse.tree, offset)
    }

    #[test]
    fn strings_are_found_on_their_line() {
        let text = "{\"a\": \"b\\\"c\", \"open";
        let b = text.find('b').unwrap();
        let token = string_at(text, b + 1).unwrap();
        assert_eq!(&text[token.content.as_usize()], "b\\\"c");
        assert_eq!(string_value(text, &token), "b\"c");
        let open = string_at(text, text.len()).unwrap();
        assert!(!open.terminated);
        assert_eq!(&text[open.content.as_usize()], "open");
        // Just after a closing quote is outside; right before it is inside.
        let a_end = text.find("\":").unwrap();
        assert!(string_at(text, a_end + 1).is_none());
        assert!(string_at(text, a_end).is_some());
        assert!(string_at(text, 0).is_none());
    }

    /// Fuzz (lsp_document): a lone `\r` ends a line, so an open string
    /// stops there; completing inside it replaced text on two lines.
    #[test]
    fn a_string_ends_at_a_lone_carriage_return() {
        let text = "{\r  \"Sid\r  \"Effect\": \"Allow\"\r}";
        let sid = string_at(text, text.find("Sid").unwrap() + 1).unwrap();
        assert!(!sid.terminated);
        assert_eq!(&text[sid.range.as_usize()], "\"Sid");
        let effect = string_at(text, text.find("Effect").unwrap()).unwrap();
        assert_eq!(&text[effect.range.as_usize()], "\"Effect\"");
        let crlf = "{\"a\": \"open\r\n}";
        let open = string_at(crlf, crlf.find("open").unwrap()).unwrap();
        assert_eq!(&crlf[open.content.as_usize()], "open");
    }

    #[test]
    fn action_items_and_values() {
        let c =
            at(r#"{"Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:Gen|"]}]}"#);
        assert_eq!(c.place, Place::Action { negated: false });
        let c = at(r#"{"Statement": {"NotAction": "kms:|"}}"#);
        assert_eq!(c.place, Place::Action { negated: true });
    }

    #[test]
    fn unfinished_text_still_locates() {
        // An open string at the end of an unclosed array.
        let c = at("{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"kms:Gen|\n");
        assert_eq!(c.place, Place::Action { negated: false });
        let s = c.string.unwrap();
        assert!(!s.terminated);
        // A key being typed, before its colon exists.
        let c = at("{\"Statement\": [{\"Sid\": \"a\", \"Eff|\"\n}]}");
        assert_eq!(c.place, Place::StatementKey);
        // An empty value right after the colon.
        let c = at("{\"Statement\": [{\"Effect\": |}]}");
        assert_eq!(c.place, Place::EffectValue);
        assert!(c.string.is_none());
    }

    #[test]
    fn condition_operators_keys_and_values() {
        let c = at(
            r#"{"Statement": [{"Condition": {"StringEquals": {"kms:ViaService": ["s3.x", "|"]}}}]}"#,
        );
        assert_eq!(
            c.place,
            Place::ConditionValue {
                operator: "StringEquals".into(),
                key: "kms:ViaService".into()
            }
        );
        let c = at(r#"{"Statement": [{"Condition": {"StringEquals": {"kms:ViaService": "|"}}}]}"#);
        assert_eq!(
            c.place,
            Place::ConditionValue {
                operator: "StringEquals".into(),
                key: "kms:ViaService".into()
            }
        );
        let c = at(r#"{"Statement": [{"Condition": {"StringEquals": {"kms:Via|Service": "x"}}}]}"#);
        assert_eq!(
            c.place,
            Place::ConditionKey {
                operator: "StringEquals".into()
            }
        );
        let c = at(r#"{"Statement": [{"Condition": {"StringEquals": {}, "Str|"}}]}"#);
        assert_eq!(c.place, Place::ConditionOperator);
    }

    #[test]
    fn root_statement_and_principal_keys() {
        assert_eq!(at(r#"{"Ver|"}"#).place, Place::RootKey);
        assert_eq!(at(r#"{"Version": "|"}"#).place, Place::VersionValue);
        assert_eq!(at(r#"{"Statement": [{ | }]}"#).place, Place::StatementKey);
        assert_eq!(
            at(r#"{"Statement": [{"Principal": {"A|"}}]}"#).place,
            Place::PrincipalKey
        );
        let c = at(r#"{"Statement": [{"Sid": "S|1"}]}"#);
        assert_eq!(c.place, Place::SidValue);
        assert!(c.statement.is_some());
    }

    #[test]
    fn anything_goes_without_panic() {
        for text in [
            "|",
            "\"|",
            "{|",
            "[|",
            "{\"Statement\": [|",
            "x|y",
            "\u{e9}|\u{1f511}",
        ] {
            let _ = at(text);
        }
        let text = "\u{1f511}\"a\"";
        let parse = parse(text);
        for offset in 0..=text.len() + 3 {
            let _ = Cursor::locate(text, &parse.tree, offset);
        }
    }
}
