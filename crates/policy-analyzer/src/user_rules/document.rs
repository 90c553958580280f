//! The JSON documents user rules query, each node with the place in the
//! policy it stands for.
//!
//! A [`Doc`] is an arena: a node is an index, an array's items and an
//! object's members lie side by side in one table, and every node carries
//! the [`Origin`] a finding on it lands on. Building one allocates little:
//! the policy's keys and strings are borrowed from its syntax tree, the
//! facts' names from the catalogue, and no node is built or dropped by
//! recursion, so a document of any depth is safe. An object's members are
//! kept as `serde_json`'s map keeps them (one per key, the last written;
//! sorted by key), so that queries see the same document, in the same
//! order, as [`serde_json_path`] does over a [`serde_json::Value`].

use std::borrow::Cow;

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

/// A node of a [`Doc`]: its index.
pub type Node = u32;

/// What a node is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'t> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'t, str>),
    /// Items `links[start..start + len]`.
    Array {
        start: u32,
        len: u32,
    },
    /// Members `links[start..start + len]`, sorted by key.
    Object {
        start: u32,
        len: u32,
    },
}

/// A JSON document with the origin of each of its nodes.
#[derive(Clone, Debug, Default)]
pub struct Doc<'t> {
    kinds: Vec<Kind<'t>>,
    origins: Vec<Origin>,
    /// Array items (key `""`) and object members, each container's together.
    links: Vec<(&'t str, Node)>,
}

/// How deep [`Doc::to_value`] copies a document: past this, a value is
/// `null` in the copy. `serde_json` drops (and `serde_json_path` walks) a
/// value by recursion, so a copy of a hostile document nested 100,000 deep
/// would overflow the stack; `serde_json`'s own parser stops at 128 levels.
pub const MAX_VALUE_DEPTH: usize = 128;

impl<'t> Doc<'t> {
    /// The whole document.
    pub const ROOT: Node = 0;

    pub fn kind(&self, node: Node) -> &Kind<'t> {
        &self.kinds[node as usize]
    }

    /// Where `node` comes from.
    pub fn origin(&self, node: Node) -> Origin {
        self.origins[node as usize]
    }

    /// An array's items or an object's members (with their keys), in
    /// order; nothing for a scalar.
    pub fn children(&self, node: Node) -> &[(&'t str, Node)] {
        match self.kinds[node as usize] {
            Kind::Array { start, len } | Kind::Object { start, len } => {
                &self.links[start as usize..(start + len) as usize]
            }
            _ => &[],
        }
    }

    pub fn is_object(&self, node: Node) -> bool {
        matches!(self.kinds[node as usize], Kind::Object { .. })
    }

    /// The member `key` of an object.
    pub fn get(&self, node: Node, key: &str) -> Option<Node> {
        match self.kinds[node as usize] {
            Kind::Object { .. } => self
                .children(node)
                .iter()
                .find(|(k, _)| *k == key)
                .map(|&(_, n)| n),
            _ => None,
        }
    }

    /// Item `index` of an array.
    pub fn item(&self, node: Node, index: usize) -> Option<Node> {
        match self.kinds[node as usize] {
            Kind::Array { .. } => self.children(node).get(index).map(|&(_, n)| n),
            _ => None,
        }
    }

    pub fn as_str(&self, node: Node) -> Option<&str> {
        match &self.kinds[node as usize] {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether `node` equals `value` as `serde_json` compares values
    /// (numbers by their representation: `1` is not `1.0`).
    pub fn equals(&self, node: Node, value: &Value) -> bool {
        match (&self.kinds[node as usize], value) {
            (Kind::Null, Value::Null) => true,
            (Kind::Bool(a), Value::Bool(b)) => a == b,
            (Kind::Number(a), Value::Number(b)) => a == b,
            (Kind::String(a), Value::String(b)) => a == b,
            (Kind::Array { .. }, Value::Array(items)) => {
                let children = self.children(node);
                children.len() == items.len()
                    && children
                        .iter()
                        .zip(items)
                        .all(|(&(_, n), v)| self.equals(n, v))
            }
            (Kind::Object { .. }, Value::Object(map)) => {
                let children = self.children(node);
                children.len() == map.len()
                    && children
                        .iter()
                        .zip(map)
                        .all(|(&(k, n), (key, v))| k == key && self.equals(n, v))
            }
            _ => false,
        }
    }

    /// A copy of `node` as a [`serde_json::Value`], cut at
    /// [`MAX_VALUE_DEPTH`].
    pub fn to_value(&self, node: Node) -> Value {
        self.value_at(node, 0)
    }

    fn value_at(&self, node: Node, depth: usize) -> Value {
        if depth > MAX_VALUE_DEPTH {
            return Value::Null;
        }
        match &self.kinds[node as usize] {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.to_string()),
            Kind::Array { .. } => Value::Array(
                self.children(node)
                    .iter()
                    .map(|&(_, n)| self.value_at(n, depth + 1))
                    .collect(),
            ),
            Kind::Object { .. } => Value::Object(
                self.children(node)
                    .iter()
                    .map(|&(k, n)| (k.to_string(), self.value_at(n, depth + 1)))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }

    /// The nodes of [`Doc::to_value`]'s copy of `node`, each with the node
    /// it copies: `visit` is called with the address of each value.
    pub fn pair_with(&self, node: Node, value: &Value, visit: &mut dyn FnMut(&Value, Node)) {
        self.pair_at(node, value, 0, visit);
    }

    fn pair_at(
        &self,
        node: Node,
        value: &Value,
        depth: usize,
        visit: &mut dyn FnMut(&Value, Node),
    ) {
        if depth > MAX_VALUE_DEPTH {
            return;
        }
        visit(value, node);
        match value {
            Value::Array(items) => {
                for (&(_, n), item) in self.children(node).iter().zip(items) {
                    self.pair_at(n, item, depth + 1, visit);
                }
            }
            Value::Object(map) => {
                for (&(_, n), (_, member)) in self.children(node).iter().zip(map) {
                    self.pair_at(n, member, depth + 1, visit);
                }
            }
            _ => {}
        }
    }

    /// `node` as compact JSON, exactly as `serde_json::to_string` writes its
    /// [`Doc::to_value`] (without the cut: this writes without recursion).
    pub fn to_json(&self, node: Node) -> String {
        enum Step<'a> {
            Node(Node),
            Key(&'a str),
            Text(&'static str),
        }
        let mut out = String::new();
        let mut stack = vec![Step::Node(node)];
        while let Some(step) = stack.pop() {
            match step {
                Step::Text(t) => out.push_str(t),
                Step::Key(k) => {
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                }
                Step::Node(n) => match &self.kinds[n as usize] {
                    Kind::Null => out.push_str("null"),
                    Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    Kind::Number(x) => out.push_str(&serde_json::to_string(x).unwrap_or_default()),
                    Kind::String(s) => {
                        out.push_str(&serde_json::to_string(s.as_ref()).unwrap_or_default())
                    }
                    Kind::Array { .. } | Kind::Object { .. } => {
                        let object = self.is_object(n);
                        out.push(if object { '{' } else { '[' });
                        stack.push(Step::Text(if object { "}" } else { "]" }));
                        for (i, &(k, child)) in self.children(n).iter().enumerate().rev() {
                            stack.push(Step::Node(child));
                            if object {
                                stack.push(Step::Key(k));
                            }
                            if i > 0 {
                                stack.push(Step::Text(","));
                            }
                        }
                    }
                },
            }
        }
        out
    }

    /// A new node, its kind to be set.
    fn push(&mut self, origin: Origin) -> Node {
        self.kinds.push(Kind::Null);
        self.origins.push(origin);
        (self.kinds.len() - 1) as Node
    }

    /// The policy as written: the syntax tree as JSON. Where a key repeats,
    /// the last one wins, as it does for AWS; numbers keep their value
    /// (a number JSON cannot hold is its text); what could not be read is
    /// `null`. Built breadth first, without recursion.
    pub fn policy(tree: &'t Tree<'t>, root: Option<NodeId>) -> Doc<'t> {
        // At most one document node per syntax node.
        let mut doc = Doc {
            kinds: Vec::with_capacity(tree.len()),
            origins: Vec::with_capacity(tree.len()),
            links: Vec::with_capacity(tree.len()),
        };
        let Some(root) = root else {
            doc.push(Origin {
                range: TextRange::empty(0),
                node: None,
            });
            return doc;
        };
        // The whole document is a finding's place only when nothing
        // narrower is: its opening brace, as for the facts.
        let start = tree.range(root).start as usize;
        doc.push(Origin {
            range: TextRange::new(start, start + 1),
            node: Some(root),
        });
        // The syntax node of each document node, in the same order.
        let mut pending: Vec<NodeId> = Vec::with_capacity(tree.len());
        pending.push(root);
        let mut members: Vec<(&'t str, NodeId)> = Vec::new();
        let mut at = 0;
        while at < pending.len() {
            let kind = match tree.kind(pending[at]) {
                NodeKind::Object(list) => {
                    members.clear();
                    members.extend(list.iter().map(|m| (m.key.as_ref(), m.value)));
                    // Sorted by key, the last of repeated keys kept.
                    members.sort_by(|a, b| a.0.cmp(b.0));
                    let start = doc.links.len() as u32;
                    for (i, &(key, value)) in members.iter().enumerate() {
                        if members.get(i + 1).is_some_and(|next| next.0 == key) {
                            continue;
                        }
                        let child = doc.push(Origin {
                            range: tree.range(value),
                            node: Some(value),
                        });
                        pending.push(value);
                        doc.links.push((key, child));
                    }
                    Kind::Object {
                        start,
                        len: doc.links.len() as u32 - start,
                    }
                }
                NodeKind::Array(items) => {
                    let start = doc.links.len() as u32;
                    for &item in items {
                        let child = doc.push(Origin {
                            range: tree.range(item),
                            node: Some(item),
                        });
                        pending.push(item);
                        doc.links.push(("", child));
                    }
                    Kind::Array {
                        start,
                        len: items.len() as u32,
                    }
                }
                NodeKind::String(s) => Kind::String(Cow::Borrowed(s.as_ref())),
                NodeKind::Number(raw) => number(raw),
                NodeKind::Bool(b) => Kind::Bool(*b),
                NodeKind::Null | NodeKind::Invalid => Kind::Null,
            };
            doc.kinds[at] = kind;
            at += 1;
        }
        doc
    }

    /// A document built with [`Fact`]s: a fact without an origin of its own
    /// has its parent's.
    pub fn facts(root: Fact<'t>, origin: Origin) -> Doc<'t> {
        let mut doc = Doc::default();
        doc.add_fact(root, origin);
        doc
    }

    fn add_fact(&mut self, fact: Fact<'t>, origin: Origin) -> Node {
        let node = self.push(origin);
        let kind = match fact {
            Fact::Null => Kind::Null,
            Fact::Bool(b) => Kind::Bool(b),
            Fact::Int(i) => Kind::Number(i.into()),
            Fact::Str(s) => Kind::String(s),
            Fact::Actions(set) => {
                let start = self.links.len();
                for index in set.indices() {
                    let name = crate::catalog::catalog().action_at(index).name.as_str();
                    let child = self.push(origin);
                    self.kinds[child as usize] = Kind::String(Cow::Borrowed(name));
                    self.links.push(("", child));
                }
                Kind::Array {
                    start: start as u32,
                    len: (self.links.len() - start) as u32,
                }
            }
            Fact::Array(items) => {
                let start = self.links.len();
                let len = items.len();
                self.links.resize(start + len, ("", 0));
                for (i, (item, own)) in items.into_iter().enumerate() {
                    let child = self.add_fact(item, own.unwrap_or(origin));
                    self.links[start + i].1 = child;
                }
                Kind::Array {
                    start: start as u32,
                    len: len as u32,
                }
            }
            Fact::Object(mut members) => {
                // As a map keeps them: sorted by key, the last of repeated keys.
                members.sort_by(|a, b| a.0.cmp(b.0));
                if members.windows(2).any(|w| w[0].0 == w[1].0) {
                    let mut kept = Vec::with_capacity(members.len());
                    let mut rest = members.into_iter().peekable();
                    while let Some(m) = rest.next() {
                        if rest.peek().is_none_or(|next| next.0 != m.0) {
                            kept.push(m);
                        }
                    }
                    members = kept;
                }
                let start = self.links.len();
                let len = members.len();
                self.links.resize(start + len, ("", 0));
                for (i, (key, member, own)) in members.into_iter().enumerate() {
                    let child = self.add_fact(member, own.unwrap_or(origin));
                    self.links[start + i] = (key, child);
                }
                Kind::Object {
                    start: start as u32,
                    len: len as u32,
                }
            }
        };
        self.kinds[node as usize] = kind;
        node
    }
}

fn number<'t>(raw: &'t str) -> Kind<'t> {
    if let Ok(i) = raw.parse::<i64>() {
        return Kind::Number(i.into());
    }
    raw.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Kind::String(Cow::Borrowed(raw)), Kind::Number)
}

/// A node of a facts document, with where it comes from when that is more
/// precise than its parent.
#[derive(Clone, Debug)]
pub enum Fact<'t> {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'t, str>),
    Array(Vec<(Fact<'t>, Option<Origin>)>),
    Object(Vec<(&'static str, Fact<'t>, Option<Origin>)>),
    /// The names of these catalogue actions, in catalogue order, all from
    /// their parent's place.
    Actions(crate::catalog::ActionSet),
}

impl<'t> Fact<'t> {
    pub fn str(s: impl Into<Cow<'t, str>>) -> Fact<'t> {
        Fact::Str(s.into())
    }

    pub fn opt_str(s: Option<impl Into<Cow<'t, str>>>) -> Fact<'t> {
        s.map_or(Fact::Null, |s| Fact::Str(s.into()))
    }

    /// An array of strings, all from their parent's place.
    pub fn strings<S: Into<Cow<'t, str>>>(items: impl IntoIterator<Item = S>) -> Fact<'t> {
        Fact::Array(items.into_iter().map(|s| (Fact::str(s), None)).collect())
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
        let doc = Doc::policy(&parsed.tree, parsed.tree.root());
        let statement = doc
            .item(doc.get(Doc::ROOT, "Statement").unwrap(), 0)
            .unwrap();
        let effect = doc.get(statement, "Effect").unwrap();
        assert_eq!(
            doc.as_str(effect),
            Some("Allow"),
            "the last of repeated keys"
        );
        let range = doc.origin(effect).range;
        assert_eq!(&text[range.as_usize()], "\"Allow\"");
        let number = doc.item(doc.get(statement, "Action").unwrap(), 1).unwrap();
        assert_eq!(doc.to_value(number).as_f64(), Some(1.5));
        assert_eq!(&text[doc.origin(number).range.as_usize()], "1.5");
        // The members in the order of a map: by key, one per key.
        let value = doc.to_value(Doc::ROOT);
        assert_eq!(
            value.to_string(),
            r#"{"Statement":[{"Action":["kms:Decrypt",1.5],"Effect":"Allow"}]}"#
        );
        assert_eq!(doc.to_json(Doc::ROOT), value.to_string());
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
            ("y", Fact::Int(3), Some(b)),
            ("x", Fact::strings(["a", "b"]), None),
        ]);
        let doc = Doc::facts(fact, a);
        let x = doc.get(Doc::ROOT, "x").unwrap();
        assert_eq!(doc.origin(doc.item(x, 1).unwrap()), a);
        assert_eq!(doc.origin(doc.get(Doc::ROOT, "y").unwrap()), b);
        assert_eq!(doc.to_json(Doc::ROOT), r#"{"x":["a","b"],"y":3}"#);
    }

    #[test]
    fn a_deep_document_is_built_written_and_copied_without_recursion() {
        let depth = 100_000;
        let text = format!(
            r#"{{"Statement": [], "Deep": {}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let parsed = parse(&text);
        let doc = Doc::policy(&parsed.tree, parsed.tree.root());
        let json = doc.to_json(Doc::ROOT);
        let expected = format!(
            r#"{{"Deep":{}{},"Statement":[]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(json == expected, "{}", &json[..40]);
        // The copy is cut, so that dropping it cannot overflow the stack.
        let copy = doc.to_value(Doc::ROOT);
        drop(copy);
    }
}
