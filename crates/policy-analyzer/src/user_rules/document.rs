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
use std::cell::RefCell;

use std::sync::OnceLock;

use serde_json::{Map, Number, Value};

use crate::catalog::ActionSet;

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

/// The member names of the facts document (its schema is in
/// docs/rule-packs.md).
const FACT_KEY_NAMES: [&str; 35] = [
    "account",
    "action",
    "actions",
    "administrators",
    "anyone",
    "arn",
    "base",
    "caller",
    "conditions",
    "effect",
    "exposure",
    "id",
    "if_exists",
    "index",
    "key",
    "kind",
    "name",
    "need",
    "negated",
    "not_principals",
    "operator",
    "outsider",
    "principal",
    "principals",
    "region",
    "requests",
    "services",
    "set",
    "sid",
    "statement",
    "statements",
    "type",
    "value",
    "values",
    "verdict",
];

/// The member names of the facts document, each stored once: the keys of a
/// facts object are these very strings (see [`key!`]), so that a query
/// finds a member by the string's address (see [`Doc::member`]).
pub static FACT_KEYS: [&str; 35] = FACT_KEY_NAMES;

/// The index of a member name in [`FACT_KEYS`]; a name that is none is an
/// error when the crate is compiled (through [`key!`]).
pub const fn fact_key_index(name: &str) -> usize {
    let mut i = 0;
    while i < FACT_KEY_NAMES.len() {
        let (a, b) = (FACT_KEY_NAMES[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("not a member name of the facts document")
}

/// The stored string of a facts member name (see [`FACT_KEYS`]).
macro_rules! key {
    ($name:literal) => {
        $crate::user_rules::document::FACT_KEYS[{
            const INDEX: usize = $crate::user_rules::document::fact_key_index($name);
            INDEX
        }]
    };
}
pub(crate) use key;

/// The stored string of a facts member name, if `name` is one.
pub fn fact_key(name: &str) -> Option<&'static str> {
    FACT_KEYS.iter().find(|k| **k == name).copied()
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
    /// An array of the names of these catalogue actions, in catalogue
    /// order: items made only when asked for (see [`Doc::children`]), each
    /// from the array's place. A policy's statements, exposures and
    /// administrators hold dozens of actions each, that most rules never
    /// look at.
    Actions(ActionSet),
}

/// The string of each catalogue action, for the items of [`Kind::Actions`].
fn action_kinds() -> &'static [Kind<'static>] {
    static KINDS: OnceLock<Vec<Kind<'static>>> = OnceLock::new();
    KINDS.get_or_init(|| {
        crate::catalog::catalog()
            .actions()
            .iter()
            .map(|a| Kind::String(Cow::Borrowed(a.name.as_str())))
            .collect()
    })
}

/// An item of a [`Kind::Actions`] array: this bit, then the array's node
/// and the action's index.
const ITEM: Node = 1 << 31;
/// An array of actions whose node is past this has items of its own (see
/// [`Doc::actions`]).
const MAX_ACTIONS_NODE: Node = (ITEM >> 6) - 1;

fn item_of(array: Node, action: usize) -> Node {
    ITEM | (array << 6) | action as Node
}

/// The children of a node (see [`Doc::children`]).
#[derive(Clone, Debug)]
pub enum Children<'d, 't> {
    Links(std::slice::Iter<'d, (&'t str, Node)>),
    Actions { array: Node, bits: u64 },
}

impl<'t> Iterator for Children<'_, 't> {
    type Item = (&'t str, Node);

    fn next(&mut self) -> Option<(&'t str, Node)> {
        match self {
            Children::Links(links) => links.next().copied(),
            Children::Actions { array, bits } => {
                if *bits == 0 {
                    return None;
                }
                let i = bits.trailing_zeros() as usize;
                *bits &= *bits - 1;
                Some(("", item_of(*array, i)))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Children<'_, '_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Children::Links(links) => links.next_back().copied(),
            Children::Actions { array, bits } => {
                if *bits == 0 {
                    return None;
                }
                let i = 63 - bits.leading_zeros() as usize;
                *bits &= !(1 << i);
                Some(("", item_of(*array, i)))
            }
        }
    }
}

impl ExactSizeIterator for Children<'_, '_> {
    fn len(&self) -> usize {
        match self {
            Children::Links(links) => links.len(),
            Children::Actions { bits, .. } => bits.count_ones() as usize,
        }
    }
}

/// A JSON document with the origin of each of its nodes.
#[derive(Clone, Debug, Default)]
pub struct Doc<'t> {
    kinds: Vec<Kind<'t>>,
    /// Each node's origin (a facts document's); or, for the policy's, the
    /// root's only.
    origins: Vec<Origin>,
    /// For the policy's document: its syntax tree and each node's syntax
    /// node, whose range is the node's origin.
    tree: Option<&'t Tree<'t>>,
    syntax: Vec<NodeId>,
    /// Array items (key `""`) and object members, each container's together.
    links: Vec<(&'t str, Node)>,
}

/// A document's tables, empty, kept from one document to the next on each
/// thread (see [`Doc::with_room`]).
#[derive(Default)]
struct Tables {
    kinds: Vec<Kind<'static>>,
    origins: Vec<Origin>,
    syntax: Vec<NodeId>,
    links: Vec<(&'static str, Node)>,
}

thread_local! {
    static SPARE_TABLES: RefCell<Vec<Tables>> = const { RefCell::new(Vec::new()) };
}

/// An empty vector of `T` in the memory of `from` (cleared): a vector of
/// borrowed strings becomes one of `'static` strings to be kept, and back.
fn recycle<F, T>(mut from: Vec<F>) -> Vec<T> {
    from.clear();
    // Collecting a vector's iterator into a vector of a type of the same
    // size reuses its memory; there is nothing to map.
    from.into_iter()
        .map(|_| unreachable!("the vector was cleared"))
        .collect()
}

impl<'t> Doc<'t> {
    /// An empty document with room for `nodes` nodes, in the memory of the
    /// last document this thread dropped: every policy's documents are
    /// written afresh, and memory a thread wrote a moment ago is cheaper to
    /// write than memory it never touched.
    fn with_room(nodes: usize, tree: Option<&'t Tree<'t>>) -> Doc<'t> {
        let Tables {
            kinds,
            origins,
            syntax,
            links,
        } = SPARE_TABLES
            .with(|spare| spare.borrow_mut().pop())
            .unwrap_or_default();
        let mut doc = Doc {
            kinds,
            origins,
            tree,
            syntax,
            links,
        };
        doc.kinds.reserve(nodes);
        doc.links.reserve(nodes);
        if tree.is_some() {
            doc.syntax.reserve(nodes);
            doc.origins.reserve(1);
        } else {
            doc.origins.reserve(nodes);
        }
        doc
    }
}

impl Drop for Doc<'_> {
    fn drop(&mut self) {
        let tables = Tables {
            kinds: recycle(std::mem::take(&mut self.kinds)),
            origins: recycle(std::mem::take(&mut self.origins)),
            syntax: recycle(std::mem::take(&mut self.syntax)),
            links: recycle(std::mem::take(&mut self.links)),
        };
        // A policy's two documents, and a few more for the threads of a
        // language server.
        let _ = SPARE_TABLES.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                if spare.len() < 4 {
                    spare.push(tables);
                }
            }
        });
    }
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
        if node & ITEM != 0 {
            return &action_kinds()[(node & 63) as usize];
        }
        &self.kinds[node as usize]
    }

    /// Where `node` comes from.
    pub fn origin(&self, node: Node) -> Origin {
        if node & ITEM != 0 {
            return self.origin((node & !ITEM) >> 6);
        }
        match self.tree {
            Some(tree) if node != Doc::ROOT => {
                let syntax = self.syntax[node as usize];
                Origin {
                    range: tree.range(syntax),
                    node: Some(syntax),
                }
            }
            _ => self.origins[node as usize],
        }
    }

    /// An array's items or an object's members (with their keys, `""` for
    /// an item), in order; nothing for a scalar.
    pub fn children(&self, node: Node) -> Children<'_, 't> {
        match *self.kind(node) {
            Kind::Array { start, len } | Kind::Object { start, len } => {
                Children::Links(self.links[start as usize..(start + len) as usize].iter())
            }
            Kind::Actions(set) => Children::Actions {
                array: node,
                bits: set.bits(),
            },
            _ => Children::Links([].iter()),
        }
    }

    pub fn is_object(&self, node: Node) -> bool {
        matches!(self.kind(node), Kind::Object { .. })
    }

    /// Whether `node` is an array or an object.
    pub fn is_container(&self, node: Node) -> bool {
        matches!(
            self.kind(node),
            Kind::Array { .. } | Kind::Object { .. } | Kind::Actions(_)
        )
    }

    /// The member `key` of an object.
    pub fn get(&self, node: Node, key: &str) -> Option<Node> {
        match *self.kind(node) {
            Kind::Object { start, len } => self.links[start as usize..(start + len) as usize]
                .iter()
                .find(|(k, _)| same_key(k, key))
                .map(|&(_, n)| n),
            _ => None,
        }
    }

    /// The member `name` of an object, found in a facts document by the
    /// address of its stored name, `fact` (see [`FACT_KEYS`]): a name that
    /// is no facts member name is in no facts object.
    pub fn member(&self, node: Node, name: &str, fact: Option<&'static str>) -> Option<Node> {
        let Kind::Object { start, len } = *self.kind(node) else {
            return None;
        };
        let mut members = self.links[start as usize..(start + len) as usize].iter();
        if self.tree.is_some() {
            return members.find(|(k, _)| same_key(k, name)).map(|&(_, n)| n);
        }
        // The same string: the same address and length (one literal may
        // begin another, `action` and `actions`).
        let fact = fact?;
        members
            .find(|(k, _)| std::ptr::eq(k.as_ptr(), fact.as_ptr()) && k.len() == fact.len())
            .map(|&(_, n)| n)
    }

    /// For an array of catalogue actions, its item that is exactly the
    /// string `name` (each action is in it once); `None` when `node` is no
    /// such array.
    pub fn action_named(&self, node: Node, name: &str) -> Option<Option<Node>> {
        let Kind::Actions(set) = *self.kind(node) else {
            return None;
        };
        Some(
            crate::catalog::catalog()
                .action(name)
                .filter(|(i, action)| set.contains(*i) && action.name == name)
                .map(|(i, _)| item_of(node, i)),
        )
    }

    /// How many items an array has (`None` for anything else).
    pub fn len(&self, node: Node) -> Option<usize> {
        match *self.kind(node) {
            Kind::Array { len, .. } => Some(len as usize),
            Kind::Actions(set) => Some(set.len()),
            _ => None,
        }
    }

    /// Item `index` of an array.
    pub fn item(&self, node: Node, index: usize) -> Option<Node> {
        match *self.kind(node) {
            Kind::Array { start, len } => {
                (index < len as usize).then(|| self.links[start as usize + index].1)
            }
            Kind::Actions(set) => set.indices().nth(index).map(|action| item_of(node, action)),
            _ => None,
        }
    }

    pub fn as_str(&self, node: Node) -> Option<&str> {
        match self.kind(node) {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether `node` equals `value` as `serde_json` compares values
    /// (numbers by their representation: `1` is not `1.0`).
    pub fn equals(&self, node: Node, value: &Value) -> bool {
        match (self.kind(node), value) {
            (Kind::Null, Value::Null) => true,
            (Kind::Bool(a), Value::Bool(b)) => a == b,
            (Kind::Number(a), Value::Number(b)) => a == b,
            (Kind::String(a), Value::String(b)) => a == b,
            (Kind::Array { .. } | Kind::Actions(_), Value::Array(items)) => {
                let children = self.children(node);
                children.len() == items.len()
                    && children.zip(items).all(|((_, n), v)| self.equals(n, v))
            }
            (Kind::Object { .. }, Value::Object(map)) => {
                let children = self.children(node);
                children.len() == map.len()
                    && children
                        .zip(map)
                        .all(|((k, n), (key, v))| k == key && self.equals(n, v))
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
        match self.kind(node) {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.to_string()),
            Kind::Array { .. } | Kind::Actions(_) => Value::Array(
                self.children(node)
                    .map(|(_, n)| self.value_at(n, depth + 1))
                    .collect(),
            ),
            Kind::Object { .. } => Value::Object(
                self.children(node)
                    .map(|(k, n)| (k.to_string(), self.value_at(n, depth + 1)))
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
                for ((_, n), item) in self.children(node).zip(items) {
                    self.pair_at(n, item, depth + 1, visit);
                }
            }
            Value::Object(map) => {
                for ((_, n), (_, member)) in self.children(node).zip(map) {
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
                Step::Node(n) => match self.kind(n) {
                    Kind::Null => out.push_str("null"),
                    Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                    Kind::Number(x) => out.push_str(&serde_json::to_string(x).unwrap_or_default()),
                    Kind::String(s) => {
                        out.push_str(&serde_json::to_string(s.as_ref()).unwrap_or_default())
                    }
                    Kind::Array { .. } | Kind::Object { .. } | Kind::Actions(_) => {
                        let object = self.is_object(n);
                        out.push(if object { '{' } else { '[' });
                        stack.push(Step::Text(if object { "}" } else { "]" }));
                        for (i, (k, child)) in self.children(n).enumerate().rev() {
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
        self.scalar(Kind::Null, origin)
    }

    /// The policy as written: the syntax tree as JSON. Where a key repeats,
    /// the last one wins, as it does for AWS; numbers keep their value
    /// (a number JSON cannot hold is its text); what could not be read is
    /// `null`. Built breadth first, without recursion.
    pub fn policy(tree: &'t Tree<'t>, root: Option<NodeId>) -> Doc<'t> {
        let Some(root) = root else {
            let mut doc = Doc::with_room(1, None);
            doc.push(Origin {
                range: TextRange::empty(0),
                node: None,
            });
            return doc;
        };
        // At most one document node per syntax node.
        let mut doc = Doc::with_room(tree.len(), Some(tree));
        // The whole document is a finding's place only when nothing
        // narrower is: its opening brace, as for the facts.
        let start = tree.range(root).start as usize;
        doc.origins.push(Origin {
            range: TextRange::new(start, start + 1),
            node: Some(root),
        });
        // Node `n` stands for syntax node `syntax[n]`; the nodes are made in
        // this order, each container's children numbered as they are queued.
        doc.syntax.push(root);
        let mut members: Vec<(&'t str, NodeId)> = Vec::new();
        let mut at = 0;
        while at < doc.syntax.len() {
            let kind = match tree.kind(doc.syntax[at]) {
                NodeKind::Object(list) => {
                    members.clear();
                    members.extend(list.iter().map(|m| (m.key.as_ref(), m.value)));
                    // Sorted by key, the last of repeated keys kept.
                    members.sort_by(|a, b| key_order(a.0, b.0));
                    let start = doc.links.len() as u32;
                    for (i, &(key, value)) in members.iter().enumerate() {
                        if members.get(i + 1).is_some_and(|next| same_key(next.0, key)) {
                            continue;
                        }
                        doc.links.push((key, doc.syntax.len() as Node));
                        doc.syntax.push(value);
                    }
                    Kind::Object {
                        start,
                        len: doc.links.len() as u32 - start,
                    }
                }
                NodeKind::Array(items) => {
                    let start = doc.links.len() as u32;
                    for &item in items {
                        doc.links.push(("", doc.syntax.len() as Node));
                        doc.syntax.push(item);
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
            doc.kinds.push(kind);
            at += 1;
        }
        doc
    }
}

/// Building a document from its leaves up: each node is made with its
/// origin, a container from nodes made before it; [`Doc::finish`] makes
/// the last one the root.
impl<'t> Doc<'t> {
    pub fn builder(capacity: usize) -> Doc<'t> {
        let mut doc = Doc::with_room(capacity, None);
        // The root's place, filled by `finish`.
        doc.push(Origin {
            range: TextRange::empty(0),
            node: None,
        });
        doc
    }

    pub fn scalar(&mut self, kind: Kind<'t>, origin: Origin) -> Node {
        self.kinds.push(kind);
        self.origins.push(origin);
        (self.kinds.len() - 1) as Node
    }

    pub fn string(&mut self, s: impl Into<Cow<'t, str>>, origin: Origin) -> Node {
        self.scalar(Kind::String(s.into()), origin)
    }

    pub fn opt_string(&mut self, s: Option<impl Into<Cow<'t, str>>>, origin: Origin) -> Node {
        match s {
            Some(s) => self.string(s, origin),
            None => self.scalar(Kind::Null, origin),
        }
    }

    pub fn int(&mut self, i: i64, origin: Origin) -> Node {
        self.scalar(Kind::Number(i.into()), origin)
    }

    pub fn array(&mut self, items: &[Node], origin: Origin) -> Node {
        let start = self.links.len() as u32;
        self.links.extend(items.iter().map(|&item| ("", item)));
        self.scalar(
            Kind::Array {
                start,
                len: items.len() as u32,
            },
            origin,
        )
    }

    /// An array of strings, each with its origin.
    pub fn strings<S: Into<Cow<'t, str>>>(
        &mut self,
        items: impl IntoIterator<Item = (S, Origin)>,
        origin: Origin,
    ) -> Node {
        // The items' links are the next ones: a string makes none.
        let start = self.links.len() as u32;
        for (s, at) in items {
            let item = self.string(s, at);
            self.links.push(("", item));
        }
        let len = self.links.len() as u32 - start;
        self.scalar(Kind::Array { start, len }, origin)
    }

    /// An object of `members`, which are sorted by key (as a map keeps
    /// them), each key once.
    pub fn object(&mut self, members: &[(&'static str, Node)], origin: Origin) -> Node {
        debug_assert!(
            members.windows(2).all(|w| w[0].0 < w[1].0),
            "unsorted: {members:?}"
        );
        debug_assert!(
            members.iter().all(|(k, _)| fact_key(k)
                .is_some_and(|f| std::ptr::eq(f.as_ptr(), k.as_ptr()) && f.len() == k.len())),
            "a member name not from FACT_KEYS: {members:?}"
        );
        let start = self.links.len() as u32;
        self.links.extend_from_slice(members);
        self.scalar(
            Kind::Object {
                start,
                len: members.len() as u32,
            },
            origin,
        )
    }

    /// The names of a set of catalogue actions, in catalogue order, each
    /// from the array's place.
    pub fn actions(&mut self, set: ActionSet, origin: Origin) -> Node {
        let node = self.scalar(Kind::Actions(set), origin);
        if node <= MAX_ACTIONS_NODE {
            return node;
        }
        // Too many nodes to number the items after the array's: make them.
        let start = self.links.len() as u32;
        for i in set.indices() {
            let item = self.scalar(action_kinds()[i].clone(), origin);
            self.links.push(("", item));
        }
        let len = self.links.len() as u32 - start;
        self.kinds[node as usize] = Kind::Array { start, len };
        node
    }

    /// The document whose root is `root`.
    pub fn finish(mut self, root: Node) -> Doc<'t> {
        self.kinds.swap(0, root as usize);
        self.origins.swap(0, root as usize);
        self
    }
}

/// Byte order, as a map orders its keys; the first bytes settle most pairs
/// without a call to `memcmp`.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
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
    fn a_built_document_has_its_last_node_as_root() {
        let a = Origin {
            range: TextRange::new(1, 2),
            node: None,
        };
        let b = Origin {
            range: TextRange::new(5, 9),
            node: None,
        };
        let mut doc = Doc::builder(16);
        let items = [doc.string("a", a), doc.string("b", a)];
        let x = doc.array(&items, a);
        let y = doc.int(3, b);
        let root = doc.object(&[(key!("index"), y), (key!("values"), x)], a);
        let doc = doc.finish(root);
        let x = doc.get(Doc::ROOT, "values").unwrap();
        assert_eq!(doc.origin(doc.item(x, 1).unwrap()), a);
        assert_eq!(doc.origin(doc.get(Doc::ROOT, "index").unwrap()), b);
        assert_eq!(doc.origin(Doc::ROOT), a);
        assert_eq!(doc.to_json(Doc::ROOT), r#"{"index":3,"values":["a","b"]}"#);
        // By the stored name's address.
        assert_eq!(
            doc.member(Doc::ROOT, "index", fact_key("index")),
            doc.get(Doc::ROOT, "index")
        );
        assert_eq!(doc.member(Doc::ROOT, "index", None), None);
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
