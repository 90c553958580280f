//! Values of Terraform expressions as the reader resolves them: each keeps
//! the host range of the expression it came from, so that a policy built
//! from them (`jsonencode`, `aws_iam_policy_document`) points every element
//! at what the user wrote. What cannot be known is a [symbol](crate::symbolic).

use crate::host::{
    HostString, Location, Piece, PieceOrigin, PolicyWriter, Quoting, Replace, SourceMap,
};
use crate::symbolic::{self, Symbol, SymbolTable};
use crate::syntax::{NodeKind, Tree};
use crate::text::TextRange;

/// A resolved value and where it was written.
#[derive(Clone, Debug)]
pub(crate) struct Value {
    pub kind: Kind,
    pub at: Location,
    /// Written as a literal at `at`, so a fix may replace it with another literal.
    pub literal: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    /// The number as JSON writes it.
    Number(String),
    Str(HostString),
    /// A list, tuple or set.
    List(Vec<Value>),
    /// A map or object, in the order written.
    Object(Vec<(Key, Value)>),
    /// A string that is the JSON encoding of a value (`jsonencode`, the
    /// `json` of a policy document): kept as data so that its elements keep
    /// their ranges.
    Json(Box<Value>),
    /// Nothing can be known of it, not even its type: the encoded symbol.
    Unknown(String),
}

/// An object's key.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub name: HostString,
    pub at: Location,
    pub replace: Replace,
}

impl Key {
    pub fn text(&self) -> String {
        self.name.text()
    }

    /// A key the reader writes itself (`Action` for `actions`), standing for `at`.
    pub fn synthetic(name: &str, at: &Location) -> Key {
        Key {
            name: HostString::whole(name, at.clone()),
            at: at.clone(),
            replace: Replace::Never,
        }
    }
}

pub(crate) const LITERAL: Replace = Replace::Literal {
    interpolation: true,
};

impl Value {
    /// What copying the value costs, in units of the evaluation's work: one
    /// per value and key, and per 16 bytes of string text.
    pub fn size(&self) -> usize {
        let text =
            |s: &HostString| -> usize { s.pieces.iter().map(|p| 1 + p.text.len() / 16).sum() };
        1 + match &self.kind {
            Kind::Str(s) => text(s),
            Kind::List(items) => items.iter().map(Value::size).sum(),
            Kind::Object(members) => members.iter().map(|(k, v)| text(&k.name) + v.size()).sum(),
            Kind::Json(v) => v.size(),
            Kind::Null | Kind::Bool(_) | Kind::Number(_) | Kind::Unknown(_) => 0,
        }
    }

    pub fn new(kind: Kind, at: &Location) -> Value {
        Value {
            kind,
            at: at.clone(),
            literal: false,
        }
    }

    pub fn null(at: &Location) -> Value {
        Value::new(Kind::Null, at)
    }

    pub fn unknown(symbol: String, at: &Location) -> Value {
        Value::new(Kind::Unknown(symbol), at)
    }

    pub fn string(text: &str, at: &Location) -> Value {
        Value::new(Kind::Str(HostString::whole(text, at.clone())), at)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, Kind::Unknown(_))
    }

    /// Whether the value holds an unknown anywhere.
    pub fn has_unknown(&self) -> bool {
        match &self.kind {
            Kind::Unknown(_) => true,
            Kind::Str(s) => symbolic::has_unknown(&s.text()),
            Kind::List(items) => items.iter().any(Value::has_unknown),
            Kind::Object(members) => members
                .iter()
                .any(|(k, v)| symbolic::has_unknown(&k.text()) || v.has_unknown()),
            Kind::Json(inner) => inner.has_unknown(),
            _ => false,
        }
    }

    /// The value as a string, as Terraform converts it; `None` for a list,
    /// an object or null.
    pub fn as_host_string(&self) -> Option<HostString> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Bool(b) => Some(HostString::whole(b.to_string(), self.at.clone())),
            Kind::Number(n) => Some(HostString::whole(n.clone(), self.at.clone())),
            Kind::Unknown(symbol) => Some(HostString::whole(symbol.clone(), self.at.clone())),
            Kind::Json(inner) => Some(HostString::whole(inner.to_json(), self.at.clone())),
            _ => None,
        }
    }

    /// The string's text, when the value is a string (or converts to one).
    pub fn as_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.text()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Number(n) => Some(n.clone()),
            Kind::Unknown(symbol) => Some(symbol.clone()),
            Kind::Json(inner) => Some(inner.to_json()),
            _ => None,
        }
    }

    /// A string without unknowns.
    pub fn known_text(&self) -> Option<String> {
        self.as_text().filter(|t| !symbolic::has_symbol(t))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            Kind::Str(s) => match s.text().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<f64> {
        match &self.kind {
            Kind::Number(n) => n.parse().ok(),
            Kind::Str(s) => s.text().trim().parse().ok(),
            _ => None,
        }
    }

    /// The elements of a list, or of a map's values (as `for_each` and
    /// `flatten` see them).
    pub fn as_list(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        match &self.kind {
            Kind::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| {
                    k.name
                        .as_single()
                        .map_or_else(|| k.text() == name, |t| t == name)
                })
                .map(|(_, v)| v),
            Kind::Json(inner) => inner.get(name),
            _ => None,
        }
    }

    /// Structural equality, ignoring where values were written.
    pub fn same(&self, other: &Value) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Null, Kind::Null) => true,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            (Kind::Number(a), Kind::Number(b)) => a == b || a.parse::<f64>().ok() == b.parse().ok(),
            (Kind::Str(a), Kind::Str(b)) => a.text() == b.text(),
            (Kind::Unknown(a), Kind::Unknown(b)) => a == b,
            (Kind::List(a), Kind::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Kind::Object(a), Kind::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka.text() == kb.text() && va.same(vb))
            }
            (Kind::Json(a), Kind::Json(b)) => a.same(b),
            _ => false,
        }
    }

    /// The value as compact JSON (what `jsonencode` gives), symbols kept.
    pub fn to_json(&self) -> String {
        let mut writer = PolicyWriter::new();
        self.write(&mut writer);
        writer.finish().0
    }

    /// Writes the value as JSON, every token standing for where it was written.
    pub fn write(&self, w: &mut PolicyWriter) {
        let replace = if self.literal {
            LITERAL
        } else {
            Replace::Never
        };
        match &self.kind {
            Kind::Null => w.literal("null", &self.at, Replace::Never),
            Kind::Bool(b) => w.literal(if *b { "true" } else { "false" }, &self.at, replace),
            Kind::Number(n) => w.literal(n, &self.at, replace),
            Kind::Str(s) => w.string(s, &self.at, replace),
            Kind::Unknown(symbol) => w.string(
                &HostString::whole(symbol.clone(), self.at.clone()),
                &self.at,
                Replace::Never,
            ),
            Kind::Json(inner) => w.string(
                &HostString::whole(inner.to_json(), self.at.clone()),
                &self.at,
                Replace::Never,
            ),
            Kind::List(items) => {
                let (open, close) = brackets(&self.at);
                w.begin_array(&open);
                for item in items {
                    item.write(w);
                }
                w.end_array(&close);
            }
            Kind::Object(members) => {
                let (open, close) = brackets(&self.at);
                w.begin_object(&open);
                for (key, value) in members {
                    w.key(&key.name, &key.at, key.replace);
                    value.write(w);
                }
                w.end_object(&close);
            }
        }
    }
}

/// Where the opening and closing brackets of a collection written at `at`
/// stand: its first and last byte (the whole of it when it is not written
/// with brackets, such as a block).
fn brackets(at: &Location) -> (Location, Location) {
    let r = at.range;
    if r.len() >= 2 {
        let open = Location {
            file: at.file.clone(),
            range: TextRange {
                start: r.start,
                end: r.start + 1,
            },
        };
        let close = Location {
            file: at.file.clone(),
            range: TextRange {
                start: r.end - 1,
                end: r.end,
            },
        };
        (open, close)
    } else {
        (at.clone(), at.clone())
    }
}

/// A policy found in a host, rendered to JSON: `None` when its value is not
/// known to be a policy document (an unknown, null, a number).
pub(crate) fn render_policy(value: &Value) -> Option<(String, SourceMap)> {
    match &value.kind {
        Kind::Json(inner) => {
            let mut w = PolicyWriter::new();
            inner.write(&mut w);
            Some(w.finish())
        }
        Kind::Str(s) => {
            let text = s.text();
            // A whole unknown is no document to check.
            if symbolic::is_unknown(text.trim()) {
                return None;
            }
            Some(s.render_as_text())
        }
        Kind::Object(_) => {
            // A policy given as an object (a plan's decoded value): as JSON.
            let mut w = PolicyWriter::new();
            value.write(&mut w);
            Some(w.finish())
        }
        _ => None,
    }
}

/// A value from JSON text parsed with the project's parser; every node's
/// range maps through `locate` (the JSON text's own positions to the host).
pub(crate) fn from_json_tree(
    tree: &Tree<'_>,
    node: crate::syntax::NodeId,
    locate: &dyn Fn(TextRange) -> Location,
    exact: &dyn Fn(TextRange) -> Option<(Location, Quoting)>,
    depth: usize,
) -> Value {
    let n = tree.node(node);
    let at = locate(n.range);
    if depth > super::eval::MAX_DEPTH {
        return Value::unknown(Symbol::unknown("nested too deep").encode(), &at);
    }
    let kind = match &n.kind {
        NodeKind::Null | NodeKind::Invalid => Kind::Null,
        NodeKind::Bool(b) => Kind::Bool(*b),
        NodeKind::Number(t) => Kind::Number(t.to_string()),
        NodeKind::String(s) => Kind::Str(json_string(s, n.range, &at, exact)),
        NodeKind::Array(items) => Kind::List(
            items
                .iter()
                .map(|&i| from_json_tree(tree, i, locate, exact, depth + 1))
                .collect(),
        ),
        NodeKind::Object(members) => Kind::Object(
            members
                .iter()
                .map(|m| {
                    let key_at = locate(m.key_range);
                    let key = Key {
                        name: json_string(&m.key, m.key_range, &key_at, exact),
                        at: key_at,
                        replace: Replace::Never,
                    };
                    (key, from_json_tree(tree, m.value, locate, exact, depth + 1))
                })
                .collect(),
        ),
    };
    let literal = !matches!(kind, Kind::Object(_) | Kind::List(_));
    Value {
        kind,
        at,
        literal: literal && exact(n.range).is_some(),
    }
}

/// A JSON string's decoded text, exact where its bytes are the host's.
fn json_string(
    decoded: &str,
    range: TextRange,
    at: &Location,
    exact: &dyn Fn(TextRange) -> Option<(Location, Quoting)>,
) -> HostString {
    let inner = TextRange {
        start: range.start + 1,
        end: range.end.saturating_sub(1).max(range.start + 1),
    };
    if inner.len() == decoded.len() {
        if let Some((host, quoting)) = exact(inner) {
            return HostString {
                pieces: vec![Piece {
                    text: decoded.to_string(),
                    origin: PieceOrigin::Exact { at: host, quoting },
                }],
            };
        }
    }
    HostString::whole(decoded, at.clone())
}

/// Interns the symbol for an unknown named `what`, shown as `${spelling}`.
pub(crate) fn unknown_symbol(symbols: &mut SymbolTable, what: &str) -> String {
    symbols.intern(Symbol::unknown(what), &format!("${{{what}}}"))
}
