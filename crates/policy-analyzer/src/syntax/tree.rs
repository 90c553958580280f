//! The spanned JSON tree: an arena of nodes, each with its byte range.

use std::borrow::Cow;

use crate::text::TextRange;

/// Index of a node in its [`Tree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

/// One `"key": value` pair of an object.
#[derive(Clone, Debug)]
pub struct Member<'a> {
    /// The decoded key.
    pub key: Cow<'a, str>,
    /// The range of the key, quotes included.
    pub key_range: TextRange,
    pub value: NodeId,
}

#[derive(Clone, Debug)]
pub enum NodeKind<'a> {
    /// Members in source order; duplicates are kept (see [`Tree::get`]).
    Object(Vec<Member<'a>>),
    Array(Vec<NodeId>),
    /// The decoded string.
    String(Cow<'a, str>),
    /// The number as written.
    Number(&'a str),
    Bool(bool),
    Null,
    /// Where a value was expected but none could be read.
    Invalid,
}

#[derive(Clone, Debug)]
pub struct Node<'a> {
    pub kind: NodeKind<'a>,
    /// The range of the value (for a string, quotes included).
    pub range: TextRange,
    pub parent: Option<NodeId>,
}

/// The parsed document. Nodes are stored flat, so dropping or walking a tree of
/// any depth needs no recursion.
#[derive(Clone, Debug, Default)]
pub struct Tree<'a> {
    pub(crate) nodes: Vec<Node<'a>>,
    pub(crate) root: Option<NodeId>,
    /// The values of members that a later member with the same key shadows
    /// (AWS keeps the last), in order: no JSON pointer can name them.
    pub(crate) shadowed: Vec<NodeId>,
}

impl<'a> Tree<'a> {
    /// The top-level value, if the text held one.
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }

    pub fn node(&self, id: NodeId) -> &Node<'a> {
        &self.nodes[id.0 as usize]
    }

    pub fn kind(&self, id: NodeId) -> &NodeKind<'a> {
        &self.node(id).kind
    }

    pub fn range(&self, id: NodeId) -> TextRange {
        self.node(id).range
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn members(&self, id: NodeId) -> &[Member<'a>] {
        match self.kind(id) {
            NodeKind::Object(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match self.kind(id) {
            NodeKind::Array(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self, id: NodeId) -> Option<&str> {
        match self.kind(id) {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The member named `key` (case-sensitive). Where a key repeats, the last
    /// one wins, as it does for AWS.
    pub fn get(&self, id: NodeId, key: &str) -> Option<&Member<'a>> {
        self.members(id).iter().rev().find(|m| m.key == key)
    }

    /// A digest of a node's content, as sixteen hex digits: the FNV-1a hash
    /// of its normalised JSON (object keys sorted, no whitespace, strings
    /// decoded and escaped again). It does not change with formatting, key
    /// order or the node's place in the document, and it is the same in
    /// every version and on every platform (baselines store it).
    pub fn digest(&self, id: NodeId) -> String {
        enum Work<'w> {
            Node(NodeId),
            Text(&'static str),
            Key(&'w str),
        }
        let mut hash = Fnv1a::default();
        let mut stack = vec![Work::Node(id)];
        while let Some(work) = stack.pop() {
            let node = match work {
                Work::Text(text) => {
                    hash.write(text.as_bytes());
                    continue;
                }
                Work::Key(key) => {
                    hash.write_json_string(key);
                    hash.write(b":");
                    continue;
                }
                Work::Node(node) => node,
            };
            match self.kind(node) {
                NodeKind::Object(members) => {
                    let mut sorted: Vec<&Member<'a>> = members.iter().collect();
                    sorted.sort_by(|a, b| a.key.cmp(&b.key));
                    stack.push(Work::Text("}"));
                    for (i, member) in sorted.iter().enumerate().rev() {
                        stack.push(Work::Node(member.value));
                        stack.push(Work::Key(&member.key));
                        if i > 0 {
                            stack.push(Work::Text(","));
                        }
                    }
                    stack.push(Work::Text("{"));
                }
                NodeKind::Array(items) => {
                    stack.push(Work::Text("]"));
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push(Work::Node(*item));
                        if i > 0 {
                            stack.push(Work::Text(","));
                        }
                    }
                    stack.push(Work::Text("["));
                }
                NodeKind::String(s) => hash.write_json_string(s),
                NodeKind::Number(n) => hash.write(n.as_bytes()),
                NodeKind::Bool(true) => hash.write(b"true"),
                NodeKind::Bool(false) => hash.write(b"false"),
                NodeKind::Null => hash.write(b"null"),
                NodeKind::Invalid => hash.write(b"?"),
            }
        }
        format!("{:016x}", hash.0)
    }

    /// The JSON pointer (RFC 6901) of a node, e.g. `/Statement/0/Action`.
    pub fn pointer(&self, id: NodeId) -> String {
        let mut segments: Vec<String> = Vec::new();
        let mut current = id;
        while let Some(parent) = self.node(current).parent {
            let segment = match self.kind(parent) {
                NodeKind::Object(members) => self
                    .child_index(parent, current)
                    .map(|i| members[i].key.replace('~', "~0").replace('/', "~1"))
                    .unwrap_or_default(),
                NodeKind::Array(_) => self
                    .child_index(parent, current)
                    .map(|i| i.to_string())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            segments.push(segment);
            current = parent;
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            out.push('/');
            out.push_str(segment);
        }
        out
    }

    /// The JSON pointer of a node, when one names it: not for a node under
    /// a member that a later duplicate key shadows, where the pointer would
    /// name the duplicate's value instead (see [`lookup`](Self::lookup)).
    pub fn addressable_pointer(&self, id: NodeId) -> Option<String> {
        if !self.shadowed.is_empty() {
            let mut current = Some(id);
            while let Some(node) = current {
                if self.shadowed.binary_search(&node).is_ok() {
                    return None;
                }
                current = self.node(node).parent;
            }
        }
        Some(self.pointer(id))
    }

    /// The member of its parent object that `id` is the value of.
    pub fn member_of(&self, id: NodeId) -> Option<&Member<'a>> {
        let parent = self.node(id).parent?;
        let i = self.child_index(parent, id)?;
        self.members(parent).get(i)
    }

    /// Where `child` is among the members or items of `parent`. Children are
    /// in source order, so their starts never decrease: a binary search finds
    /// the first with the child's start, and the few that share it (empty
    /// invalid values) are compared one by one. A diagnostic asks this for
    /// its pointer; a linear search made an array of n flagged values cost n².
    fn child_index(&self, parent: NodeId, child: NodeId) -> Option<usize> {
        let target = self.range(child).start;
        let starts_before = |v: NodeId| self.range(v).start < target;
        let starts_at = |v: NodeId| self.range(v).start == target;
        match self.kind(parent) {
            NodeKind::Object(members) => {
                let at = members.partition_point(|m| starts_before(m.value));
                members[at..]
                    .iter()
                    .take_while(|m| starts_at(m.value))
                    .position(|m| m.value == child)
                    .map(|i| at + i)
            }
            NodeKind::Array(items) => {
                let at = items.partition_point(|&v| starts_before(v));
                items[at..]
                    .iter()
                    .take_while(|&&v| starts_at(v))
                    .position(|&v| v == child)
                    .map(|i| at + i)
            }
            _ => None,
        }
    }

    /// The node a JSON pointer names, if any.
    pub fn lookup(&self, pointer: &str) -> Option<NodeId> {
        let mut current = self.root?;
        if pointer.is_empty() {
            return Some(current);
        }
        let rest = pointer.strip_prefix('/')?;
        for raw in rest.split('/') {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            current = match self.kind(current) {
                NodeKind::Object(_) => self.get(current, &segment)?.value,
                NodeKind::Array(items) => *items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The innermost node whose range touches `offset`, and whether the offset
    /// is on a member key rather than a value (then the member's value is returned).
    pub fn node_at(&self, offset: usize) -> Option<(NodeId, bool)> {
        let mut current = self.root?;
        if !self.range(current).touches(offset) {
            return None;
        }
        // Children are in source order and do not overlap, so only the few
        // around `offset` can touch it: binary searches find them, and the
        // first that touches wins, keys before values.
        loop {
            let next = match self.kind(current) {
                NodeKind::Object(members) => {
                    let end = |m: &Member<'_>| m.key_range.end.max(self.range(m.value).end);
                    let from = members.partition_point(|m| (end(m) as usize) < offset);
                    let to = members.partition_point(|m| (m.key_range.start as usize) <= offset);
                    let near = &members[from..to.max(from)];
                    if let Some(m) = near.iter().find(|m| m.key_range.touches(offset)) {
                        return Some((m.value, true));
                    }
                    near.iter()
                        .map(|m| m.value)
                        .find(|&v| self.range(v).touches(offset))
                }
                NodeKind::Array(items) => {
                    let from = items.partition_point(|&v| (self.range(v).end as usize) < offset);
                    let to = items.partition_point(|&v| (self.range(v).start as usize) <= offset);
                    items[from..to.max(from)]
                        .iter()
                        .copied()
                        .find(|&v| self.range(v).touches(offset))
                }
                _ => None,
            };
            match next {
                Some(n) => current = n,
                None => return Some((current, false)),
            }
        }
    }
}

/// The 64-bit FNV-1a hash: tiny, and fixed by its definition, unlike std's
/// `DefaultHasher`, whose output may change between Rust versions.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_json_string(&mut self, s: &str) {
        self.write(b"\"");
        for c in s.chars() {
            match c {
                '"' => self.write(b"\\\""),
                '\\' => self.write(b"\\\\"),
                c if (c as u32) < 0x20 => self.write(format!("\\u{:04x}", c as u32).as_bytes()),
                c => self.write(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        self.write(b"\"");
    }
}

#[cfg(test)]
mod tests {
    use crate::syntax::parse;

    fn digest(text: &str) -> String {
        let parse = parse(text);
        parse.tree.digest(parse.tree.root().unwrap())
    }

    #[test]
    fn digests_ignore_formatting_and_key_order_but_not_content() {
        let a = digest(r#"{"Sid": "A", "Action": ["kms:Decrypt", "kms:Encrypt"], "N": 1.0}"#);
        let b = digest("{\n  \"N\": 1.0,\n  \"Action\": [ \"kms:Decrypt\",\"kms:Encrypt\" ],\n  \"Sid\": \"A\"\n}");
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        assert_ne!(
            a,
            digest(r#"{"Sid": "A", "Action": ["kms:Encrypt", "kms:Decrypt"], "N": 1.0}"#)
        );
        assert_ne!(
            a,
            digest(r#"{"Sid": "B", "Action": ["kms:Decrypt", "kms:Encrypt"], "N": 1.0}"#)
        );
        // An escape and the character it stands for are the same string.
        assert_eq!(digest(r#"["\u0041"]"#), digest(r#"["A"]"#));
        // Fixed by the definition of FNV-1a: baselines written by one
        // version are read by the next.
        // (FNV-1a of `[]`, computed independently.)
        assert_eq!(digest("[]"), "09612b07b5ecb5a5");
    }
}
