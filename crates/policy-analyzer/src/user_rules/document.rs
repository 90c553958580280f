//! The JSON documents user rules query, each node with the place in the
//! policy it stands for.
//!
//! A JSONPath query returns references into the document; the document keeps,
//! by the address of each node, the source range (and the syntax node, for
//! the JSON pointer) it came from, so that a finding lands on the matched
//! node's own text. Addresses are recorded once the document is complete and
//! is never changed again, so they stay valid for its whole life.

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

/// A JSON document with the origin of each of its nodes.
pub struct Located {
    pub value: Value,
    /// The root's origin: the root moves with the document, its children
    /// (on the heap) do not.
    root: Option<Origin>,
    origins: FxHashMap<usize, Origin>,
}

impl Located {
    /// Where `node` (a reference into [`Located::value`]) comes from.
    pub fn origin(&self, node: &Value) -> Option<Origin> {
        if std::ptr::eq(node, &self.value) {
            return self.root;
        }
        self.origins.get(&address(node)).copied()
    }

    /// The policy as written: the syntax tree as JSON. Where a key repeats,
    /// the last one wins, as it does for AWS; numbers keep their value
    /// (a number JSON cannot hold is its text); what could not be read is
    /// `null`.
    pub fn policy(tree: &Tree<'_>, root: Option<NodeId>) -> Located {
        let value = root.map_or(Value::Null, |root| to_value(tree, root));
        let mut origins = FxHashMap::default();
        if let Some(root) = root {
            record_tree(tree, root, &value, &mut origins);
        }
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
            origins,
        }
    }

    /// A document built with [`Fact`]s.
    pub fn facts(root: Fact, origin: Origin) -> Located {
        let value = root.to_value();
        let mut origins = FxHashMap::default();
        record_fact(&root, &value, origin, &mut origins);
        Located {
            value,
            root: Some(origin),
            origins,
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

    fn to_value(&self) -> Value {
        match self {
            Fact::Null => Value::Null,
            Fact::Bool(b) => Value::Bool(*b),
            Fact::Int(i) => Value::Number((*i).into()),
            Fact::Str(s) => Value::String(s.clone()),
            Fact::Array(items) => Value::Array(items.iter().map(|(f, _)| f.to_value()).collect()),
            Fact::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, f, _)| (k.to_string(), f.to_value()))
                    .collect(),
            ),
        }
    }
}

fn record_fact(fact: &Fact, value: &Value, origin: Origin, out: &mut FxHashMap<usize, Origin>) {
    out.insert(address(value), origin);
    match (fact, value) {
        (Fact::Array(items), Value::Array(values)) => {
            for ((item, own), child) in items.iter().zip(values) {
                record_fact(item, child, own.unwrap_or(origin), out);
            }
        }
        (Fact::Object(members), Value::Object(map)) => {
            for (key, member, own) in members {
                if let Some(child) = map.get(*key) {
                    record_fact(member, child, own.unwrap_or(origin), out);
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
