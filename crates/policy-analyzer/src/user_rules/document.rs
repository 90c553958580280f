//! The JSON documents user rules query, each node with the place in the
//! policy it stands for.
//!
//! A JSONPath query returns references into the document; the document
//! finds, by the address of a node, the source range (and the syntax node,
//! for the JSON pointer) it came from, so that a finding lands on the matched
//! node's own text. The table of addresses is built at the first finding, not
//! before: most documents have none, and pay only for their JSON. Addresses
//! stay valid because the document is never changed once built.

use std::cell::OnceCell;

use rustc_hash::FxHashMap;
use serde_json::{Map, Number, Value};

use crate::syntax::{NodeId, NodeKind, Tree};
use crate::text::TextRange;

/// Where a node of a document comes from in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub range: TextRange,
    /// The syntax node, when the document node stands for one (for the
    /// finding's JSON pointer).
    pub node: Option<NodeId>,
}

/// What a document was built from, to find its nodes' origins.
enum Source<'t> {
    Policy(&'t Tree<'t>, Option<NodeId>),
    Facts(Mirror),
}

/// The origins of a facts document's nodes, in its shape: what is left of
/// the [`Fact`]s once their values moved into the JSON.
struct Mirror {
    origin: Option<Origin>,
    /// An array's items in order, or an object's members by key.
    children: Vec<(&'static str, Mirror)>,
}

/// A JSON document with the origin of each of its nodes.
pub struct Located<'t> {
    pub value: Value,
    /// The root's origin: the root moves with the document, its children
    /// (on the heap) do not.
    root: Option<Origin>,
    source: Source<'t>,
    origins: OnceCell<FxHashMap<usize, Origin>>,
}

impl<'t> Located<'t> {
    /// Where `node` (a reference into [`Located::value`]) comes from.
    pub fn origin(&self, node: &Value) -> Option<Origin> {
        if std::ptr::eq(node, &self.value) {
            return self.root;
        }
        let origins = self.origins.get_or_init(|| {
            let mut out = FxHashMap::default();
            match &self.source {
                Source::Policy(tree, Some(root)) => record_tree(tree, *root, &self.value, &mut out),
                Source::Policy(_, None) => {}
                Source::Facts(mirror) => {
                    if let Some(root) = self.root {
                        record_fact(mirror, &self.value, root, &mut out);
                    }
                }
            }
            out
        });
        origins.get(&address(node)).copied()
    }

    /// The policy as written: the syntax tree as JSON. Where a key repeats,
    /// the last one wins, as it does for AWS; numbers keep their value
    /// (a number JSON cannot hold is its text); what could not be read is
    /// `null`.
    pub fn policy(tree: &'t Tree<'t>, root: Option<NodeId>) -> Located<'t> {
        let value = root.map_or(Value::Null, |root| to_value(tree, root));
        Located {
            // The whole document is a finding's place only when nothing
            // narrower is: its opening brace, as for the facts.
            root: root.map(|root| {
                let start = tree.range(root).start as usize;
                Origin {
                    range: TextRange::new(start, start + 1),
                    node: Some(root),
                }
            }),
            value,
            source: Source::Policy(tree, root),
            origins: OnceCell::new(),
        }
    }

    /// A document built with [`Fact`]s.
    pub fn facts(root: Fact, origin: Origin) -> Located<'t> {
        let (value, mirror) = root.into_value(None);
        Located {
            value,
            root: Some(origin),
            source: Source::Facts(mirror),
            origins: OnceCell::new(),
        }
    }
}

fn address(node: &Value) -> usize {
    node as *const Value as usize
}

fn to_value(tree: &Tree<'_>, node: NodeId) -> Value {
    match tree.kind(node) {
        NodeKind::Object(members) => {
            let mut map = Map::new();
            for m in members {
                map.insert(m.key.to_string(), to_value(tree, m.value));
            }
            Value::Object(map)
        }
        NodeKind::Array(items) => Value::Array(items.iter().map(|&i| to_value(tree, i)).collect()),
        NodeKind::String(s) => Value::String(s.to_string()),
        NodeKind::Number(raw) => number(raw),
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Null | NodeKind::Invalid => Value::Null,
    }
}

fn number(raw: &str) -> Value {
    if let Ok(i) = raw.parse::<i64>() {
        return Value::Number(i.into());
    }
    raw.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(raw.to_string()), Value::Number)
}

fn record_tree(tree: &Tree<'_>, node: NodeId, value: &Value, out: &mut FxHashMap<usize, Origin>) {
    out.insert(
        address(value),
        Origin {
            range: tree.range(node),
            node: Some(node),
        },
    );
    match (tree.kind(node), value) {
        (NodeKind::Object(members), Value::Object(map)) => {
            // The last of repeated keys is the one in the document.
            let mut seen: Vec<&str> = Vec::new();
            for m in members.iter().rev() {
                if seen.contains(&m.key.as_ref()) {
                    continue;
                }
                seen.push(m.key.as_ref());
                if let Some(child) = map.get(m.key.as_ref()) {
                    record_tree(tree, m.value, child, out);
                }
            }
        }
        (NodeKind::Array(items), Value::Array(values)) => {
            for (&item, child) in items.iter().zip(values) {
                record_tree(tree, item, child, out);
            }
        }
        _ => {}
    }
}

/// A node of a facts document, with where it comes from when that is more
/// precise than its parent.
#[derive(Clone, Debug)]
pub enum Fact {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Array(Vec<(Fact, Option<Origin>)>),
    Object(Vec<(&'static str, Fact, Option<Origin>)>),
}

impl Fact {
    pub fn str(s: impl Into<String>) -> Fact {
        Fact::Str(s.into())
    }

    pub fn opt_str(s: Option<impl Into<String>>) -> Fact {
        s.map_or(Fact::Null, |s| Fact::Str(s.into()))
    }

    /// An array of strings, all from their parent's place.
    pub fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Fact {
        Fact::Array(items.into_iter().map(|s| (Fact::str(s), None)).collect())
    }

    /// The JSON of the fact, its strings moved, and the origins left over.
    fn into_value(self, origin: Option<Origin>) -> (Value, Mirror) {
        let leaf = |value| {
            (
                value,
                Mirror {
                    origin,
                    children: Vec::new(),
                },
            )
        };
        match self {
            Fact::Null => leaf(Value::Null),
            Fact::Bool(b) => leaf(Value::Bool(b)),
            Fact::Int(i) => leaf(Value::Number(i.into())),
            Fact::Str(s) => leaf(Value::String(s)),
            Fact::Array(items) => {
                let mut values = Vec::with_capacity(items.len());
                let mut children = Vec::with_capacity(items.len());
                for (fact, own) in items {
                    let (value, mirror) = fact.into_value(own);
                    values.push(value);
                    children.push(("", mirror));
                }
                (Value::Array(values), Mirror { origin, children })
            }
            Fact::Object(members) => {
                let mut map = Map::new();
                let mut children = Vec::with_capacity(members.len());
                for (key, fact, own) in members {
                    let (value, mirror) = fact.into_value(own);
                    map.insert(key.to_string(), value);
                    children.push((key, mirror));
                }
                (Value::Object(map), Mirror { origin, children })
            }
        }
    }
}

fn record_fact(
    mirror: &Mirror,
    value: &Value,
    inherited: Origin,
    out: &mut FxHashMap<usize, Origin>,
) {
    let origin = mirror.origin.unwrap_or(inherited);
    out.insert(address(value), origin);
    match value {
        Value::Array(values) => {
            for ((_, child), item) in mirror.children.iter().zip(values) {
                record_fact(child, item, origin, out);
            }
        }
        Value::Object(map) => {
            for (key, child) in &mirror.children {
                if let Some(member) = map.get(*key) {
                    record_fact(child, member, origin, out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn every_node_of_the_policy_knows_its_range() {
        let text = r#"{"Statement": [{"Effect": "Deny", "Effect": "Allow", "Action": ["kms:Decrypt", 1.5]}]}"#;
        let parsed = parse(text);
        let doc = Located::policy(&parsed.tree, parsed.tree.root());
        let statement = &doc.value["Statement"][0];
        let effect = &statement["Effect"];
        assert_eq!(effect, "Allow", "the last of repeated keys");
        let range = doc.origin(effect).unwrap().range;
        assert_eq!(&text[range.as_usize()], "\"Allow\"");
        let number = &statement["Action"][1];
        assert_eq!(number.as_f64(), Some(1.5));
        assert_eq!(&text[doc.origin(number).unwrap().range.as_usize()], "1.5");
    }

    #[test]
    fn facts_inherit_their_parents_origin() {
        let a = Origin {
            range: TextRange::new(1, 2),
            node: None,
        };
        let b = Origin {
            range: TextRange::new(5, 9),
            node: None,
        };
        let fact = Fact::Object(vec![
            ("x", Fact::strings(["a", "b"]), None),
            ("y", Fact::Int(3), Some(b)),
        ]);
        let doc = Located::facts(fact, a);
        assert_eq!(doc.origin(&doc.value["x"][1]), Some(a));
        assert_eq!(doc.origin(&doc.value["y"]), Some(b));
    }
}
