//! RFC 9535 JSONPath queries evaluated over a [`Doc`], exactly as
//! `serde_json_path` evaluates them over a [`serde_json::Value`].
//!
//! `serde_json_path` parses and checks every selector when its pack loads
//! (its errors are the ones users see). It can only query a
//! `serde_json::Value`, though, and building one per policy and document
//! cost more than the built-in analysis itself: every key and string
//! allocated, every member inserted into a map, every filter comparison
//! cloning its literal. So a selector is parsed a second time, here, into
//! a plain tree, and evaluated over the borrowed arena of [`Doc`] without
//! allocating per node. The semantics are `serde_json_path` 0.7's, quirks
//! included (a singular query's negative index selects nothing; numbers
//! compare as `f64`; object members come in key order); the tests compare
//! both over the fixtures for many generated selectors.
//!
//! What this module does not evaluate (function extensions such as
//! `length()` or `match()`, array slices) [`Path::parse`] declines, and
//! `serde_json_path` evaluates over a copy of the document (see
//! `user_rules::Selector`).

use std::cell::RefCell;

use serde_json::{Number, Value};

use super::document::{Doc, Kind, Node, MAX_VALUE_DEPTH};

/// A parsed query: `$` (the document, or the `each` node) or `@` (the node
/// a filter tests), then segments.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    absolute: bool,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug, PartialEq)]
struct Segment {
    /// `..`: the selectors apply to the node and to every node below it.
    descendant: bool,
    selectors: Vec<Selector>,
}

#[derive(Clone, Debug, PartialEq)]
enum Selector {
    Name(Name),
    Wildcard,
    Index(i64),
    Filter(Or),
}

/// `a || b || ...`
#[derive(Clone, Debug, PartialEq)]
struct Or(Vec<And>);

/// `a && b && ...`
#[derive(Clone, Debug, PartialEq)]
struct And(Vec<Basic>);

#[derive(Clone, Debug, PartialEq)]
enum Basic {
    /// `(...)`, or `!(...)` when negated.
    Paren { negated: bool, expr: Or },
    /// A query that selects something (or, negated, nothing).
    Exists { negated: bool, query: Path },
    Compare {
        left: Operand,
        op: Op,
        right: Operand,
    },
    /// `@.a == 'x'` (or `!=`, or the other way round): the common
    /// comparison, tested without the general one's steps.
    Equals {
        negated: bool,
        node: Operand,
        literal: Value,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Literal(Value),
    /// A query of names and indices: at most one node.
    Singular {
        absolute: bool,
        steps: Vec<Step>,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Name(Name),
    Index(i64),
}

/// A member name, with its stored string when it is a facts member name
/// (see [`Doc::member`]).
#[derive(Clone, Debug, PartialEq)]
struct Name {
    text: String,
    fact: Option<&'static str>,
}

impl Name {
    fn new(text: String) -> Name {
        Name {
            fact: super::document::fact_key(&text),
            text,
        }
    }

    fn of(&self, doc: &Doc<'_>, node: Node) -> Option<Node> {
        doc.member(node, &self.text, self.fact)
    }
}

impl Path {
    /// Parses a query that `serde_json_path` accepted; `None` for one that
    /// uses what this module leaves to `serde_json_path` (function
    /// extensions, slices), or anything it does not read.
    pub fn parse(text: &str) -> Option<Path> {
        let mut p = Parser { text, at: 0 };
        let path = p.query()?;
        if !path.absolute {
            return None;
        }
        p.ws();
        (p.at == text.len()).then_some(path)
    }

    /// The nodes the query selects with `scope` as `$`, in
    /// `serde_json_path`'s order (duplicates kept).
    #[cfg(test)]
    pub fn select(&self, doc: &Doc<'_>, scope: Node) -> Vec<Node> {
        let mut out = Vec::new();
        self.select_into(doc, scope, &mut out, &mut Buffers::default());
        out
    }

    /// [`select`](Self::select) into `out`, with `buffers` for the nodes
    /// between segments.
    pub fn select_into(
        &self,
        doc: &Doc<'_>,
        scope: Node,
        out: &mut Vec<Node>,
        buffers: &mut Buffers,
    ) {
        out.clear();
        let Some((last, first)) = self.segments.split_last() else {
            out.push(scope);
            return;
        };
        let root = Root::new(scope);
        if first.is_empty() {
            last.apply(doc, scope, &root, out);
            return;
        }
        self.before_last(doc, scope, &root, buffers);
        for &node in &buffers.nodes {
            last.apply(doc, node, &root, out);
        }
    }

    /// Into `buffers.nodes`, the nodes the segments but the last select
    /// from `start`.
    fn before_last(&self, doc: &Doc<'_>, start: Node, root: &Root, buffers: &mut Buffers) {
        let Buffers { nodes, next } = buffers;
        nodes.clear();
        nodes.push(start);
        for segment in &self.segments[..self.segments.len() - 1] {
            next.clear();
            for &node in nodes.iter() {
                segment.apply(doc, node, root, next);
            }
            std::mem::swap(nodes, next);
            if nodes.is_empty() {
                break;
            }
        }
    }

    /// Whether the query selects any node (found without collecting them).
    fn exists(&self, doc: &Doc<'_>, current: Node, root: &Root) -> bool {
        if !self.absolute {
            return self.exists_from(doc, current, root);
        }
        if let Some(known) = root.known(self) {
            return known;
        }
        let found = self.exists_from(doc, root.node, root);
        root.remember(self, found);
        found
    }

    /// Whether the query selects any node from `start`.
    fn exists_from(&self, doc: &Doc<'_>, start: Node, root: &Root) -> bool {
        let Some((last, first)) = self.segments.split_last() else {
            return true;
        };
        if first.is_empty() {
            return last.any(doc, start, root);
        }
        let mut buffers = Buffers::default();
        self.before_last(doc, start, root, &mut buffers);
        buffers.nodes.iter().any(|&node| last.any(doc, node, root))
    }
}

/// The node a query's `$` names, with the answers of the existence tests on
/// absolute queries asked so far: `$..x` in a filter does not depend on the
/// node the filter tests, and asking it again for every node a `..` segment
/// visits would make the selection quadratic in the document's size.
struct Root {
    node: Node,
    /// By the address of the query (in the selector being evaluated).
    exists: RefCell<Vec<(*const Path, bool)>>,
}

impl Root {
    fn new(node: Node) -> Root {
        Root {
            node,
            exists: RefCell::new(Vec::new()),
        }
    }

    fn known(&self, query: &Path) -> Option<bool> {
        let exists = self.exists.borrow();
        let found = exists.iter().find(|(q, _)| std::ptr::eq(*q, query));
        found.map(|&(_, answer)| answer)
    }

    fn remember(&self, query: &Path, answer: bool) {
        self.exists.borrow_mut().push((query, answer));
    }
}

/// The lists of nodes a query passes from segment to segment, kept from one
/// query to the next.
#[derive(Debug, Default)]
pub struct Buffers {
    nodes: Vec<Node>,
    next: Vec<Node>,
}

impl Segment {
    fn apply(&self, doc: &Doc<'_>, node: Node, root: &Root, out: &mut Vec<Node>) {
        if !self.descendant {
            for selector in &self.selectors {
                selector.apply(doc, node, root, out);
            }
            return;
        }
        // The node, then each child with everything below it, in order. A
        // scalar has no children and no selector selects anything from it:
        // only arrays and objects are visited.
        let mut stack = vec![(node, 0)];
        while let Some((node, depth)) = stack.pop() {
            for selector in &self.selectors {
                selector.apply(doc, node, root, out);
            }
            stack.extend(descendants_to_visit(doc, node, depth).rev());
        }
    }

    /// Whether [`apply`](Self::apply) would select anything.
    fn any(&self, doc: &Doc<'_>, node: Node, root: &Root) -> bool {
        if !self.descendant {
            return self.selectors.iter().any(|s| s.any(doc, node, root));
        }
        let mut stack = vec![(node, 0)];
        while let Some((node, depth)) = stack.pop() {
            if self.selectors.iter().any(|s| s.any(doc, node, root)) {
                return true;
            }
            stack.extend(descendants_to_visit(doc, node, depth));
        }
        false
    }
}

impl Selector {
    /// Whether [`apply`](Self::apply) would select anything.
    fn any(&self, doc: &Doc<'_>, node: Node, root: &Root) -> bool {
        match self {
            Selector::Name(name) => name.of(doc, node).is_some(),
            Selector::Wildcard => doc.children(node).len() > 0,
            Selector::Index(index) => item(doc, node, *index).is_some(),
            Selector::Filter(filter) => match action_named(doc, node, filter) {
                Some(found) => found.is_some(),
                None => doc
                    .children(node)
                    .any(|(_, child)| filter.test(doc, child, root)),
            },
        }
    }

    fn apply(&self, doc: &Doc<'_>, node: Node, root: &Root, out: &mut Vec<Node>) {
        match self {
            Selector::Name(name) => out.extend(name.of(doc, node)),
            Selector::Wildcard => out.extend(doc.children(node).map(|(_, child)| child)),
            Selector::Index(index) => out.extend(item(doc, node, *index)),
            Selector::Filter(filter) => match action_named(doc, node, filter) {
                Some(found) => out.extend(found),
                None => out.extend(
                    doc.children(node)
                        .map(|(_, child)| child)
                        .filter(|&child| filter.test(doc, child, root)),
                ),
            },
        }
    }
}

/// What `[?@ == 'kms:X']` selects from an array of catalogue actions (the
/// facts' expanded actions, dozens per statement), found by the action's
/// index instead of by comparing every item; `None` for any other filter
/// or node.
fn action_named(doc: &Doc<'_>, node: Node, filter: &Or) -> Option<Option<Node>> {
    let [And(basics)] = &filter.0[..] else {
        return None;
    };
    let [Basic::Equals {
        negated: false,
        node: Operand::Singular {
            absolute: false,
            steps,
        },
        literal: Value::String(name),
    }] = &basics[..]
    else {
        return None;
    };
    if !steps.is_empty() {
        return None;
    }
    doc.action_named(node, name)
}

/// The children of `node` (at `depth` below where a `..` segment started)
/// that the segment visits next, with their depth: the arrays and objects,
/// down to [`MAX_VALUE_DEPTH`] levels, as deep as the JSON copy that
/// `serde_json_path` reads. Past that a document is no policy, and a filter
/// that itself walks down (`$..[?@..a]`) would cost the square of its depth.
fn descendants_to_visit<'d>(
    doc: &'d Doc<'_>,
    node: Node,
    depth: usize,
) -> impl DoubleEndedIterator<Item = (Node, usize)> + 'd {
    let deeper = depth + 1 < MAX_VALUE_DEPTH;
    doc.children(node)
        .filter(move |&(_, child)| deeper && doc.is_container(child))
        .map(move |(_, child)| (child, depth + 1))
}

/// Item `index` of an array, counting from its end when negative.
fn item(doc: &Doc<'_>, node: Node, index: i64) -> Option<Node> {
    let len = doc.len(node)?;
    let at = if index < 0 {
        len.checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(index).ok()?
    };
    doc.item(node, at)
}

impl Or {
    fn test(&self, doc: &Doc<'_>, current: Node, root: &Root) -> bool {
        if let [And(basics)] = &self.0[..] {
            if let [basic] = &basics[..] {
                return basic.test(doc, current, root);
            }
        }
        self.0
            .iter()
            .any(|and| and.0.iter().all(|basic| basic.test(doc, current, root)))
    }
}

/// What an operand is for one node: a node, a literal, or nothing.
#[derive(Clone, Copy)]
enum Operated<'v> {
    Node(Node),
    Literal(&'v Value),
    Nothing,
}

impl Basic {
    fn test(&self, doc: &Doc<'_>, current: Node, root: &Root) -> bool {
        match self {
            Basic::Paren { negated, expr } => expr.test(doc, current, root) != *negated,
            Basic::Exists { negated, query } => query.exists(doc, current, root) != *negated,
            Basic::Equals {
                negated,
                node,
                literal,
            } => {
                let equal = match node.eval(doc, current, root) {
                    Operated::Node(n) => match (doc.kind(n), literal) {
                        (Kind::String(a), Value::String(b)) => a.as_ref() == b.as_str(),
                        (Kind::Number(x), Value::Number(y)) => number_equal(x, y),
                        _ => doc.equals(n, literal),
                    },
                    _ => false,
                };
                equal != *negated
            }
            Basic::Compare { left, op, right } => {
                let a = left.eval(doc, current, root);
                let b = right.eval(doc, current, root);
                match op {
                    Op::Eq => equal(doc, a, b),
                    Op::Ne => !equal(doc, a, b),
                    Op::Lt => same_type(doc, a, b) && less(doc, a, b),
                    Op::Gt => same_type(doc, a, b) && !less(doc, a, b) && !equal(doc, a, b),
                    Op::Le => same_type(doc, a, b) && (less(doc, a, b) || equal(doc, a, b)),
                    Op::Ge => same_type(doc, a, b) && !less(doc, a, b),
                }
            }
        }
    }
}

impl Operand {
    #[inline]
    fn eval(&self, doc: &Doc<'_>, current: Node, root: &Root) -> Operated<'_> {
        match self {
            Operand::Literal(v) => Operated::Literal(v),
            Operand::Singular { absolute, steps } => {
                let mut node = if *absolute { root.node } else { current };
                for step in steps {
                    let next = match step {
                        Step::Name(name) => name.of(doc, node),
                        // A negative index selects nothing here (as in
                        // serde_json_path), unlike in a query's segments.
                        Step::Index(i) => usize::try_from(*i).ok().and_then(|i| doc.item(node, i)),
                    };
                    match next {
                        Some(n) => node = n,
                        None => return Operated::Nothing,
                    }
                }
                Operated::Node(node)
            }
        }
    }
}

/// What `serde_json_path` compares: a node's kind or a literal's.
enum Scalar<'a> {
    Null,
    Bool,
    Number(&'a Number),
    String(&'a str),
    Array,
    Object,
}

fn scalar<'a>(doc: &'a Doc<'_>, v: Operated<'a>) -> Option<Scalar<'a>> {
    Some(match v {
        Operated::Nothing => return None,
        Operated::Node(n) => match doc.kind(n) {
            Kind::Null => Scalar::Null,
            Kind::Bool(_) => Scalar::Bool,
            Kind::Number(x) => Scalar::Number(x),
            Kind::String(s) => Scalar::String(s),
            Kind::Array { .. } | Kind::Actions(_) => Scalar::Array,
            Kind::Object { .. } => Scalar::Object,
        },
        Operated::Literal(v) => match v {
            Value::Null => Scalar::Null,
            Value::Bool(_) => Scalar::Bool,
            Value::Number(x) => Scalar::Number(x),
            Value::String(s) => Scalar::String(s),
            Value::Array(_) => Scalar::Array,
            Value::Object(_) => Scalar::Object,
        },
    })
}

fn equal(doc: &Doc<'_>, a: Operated<'_>, b: Operated<'_>) -> bool {
    // Numbers compare by value; the rest as serde_json compares values.
    match (a, b) {
        (Operated::Nothing, Operated::Nothing) => true,
        (Operated::Nothing, _) | (_, Operated::Nothing) => false,
        (Operated::Node(n), Operated::Literal(v)) | (Operated::Literal(v), Operated::Node(n)) => {
            match (doc.kind(n), v) {
                (Kind::Number(x), Value::Number(y)) => number_equal(x, y),
                _ => doc.equals(n, v),
            }
        }
        (Operated::Node(x), Operated::Node(y)) => match (doc.kind(x), doc.kind(y)) {
            (Kind::Number(x), Kind::Number(y)) => number_equal(x, y),
            _ => same_value(doc, x, y),
        },
        (Operated::Literal(v), Operated::Literal(w)) => match (v, w) {
            (Value::Number(x), Value::Number(y)) => number_equal(x, y),
            _ => v == w,
        },
    }
}

fn less(doc: &Doc<'_>, a: Operated<'_>, b: Operated<'_>) -> bool {
    match (scalar(doc, a), scalar(doc, b)) {
        (Some(Scalar::Number(x)), Some(Scalar::Number(y))) => number_less(x, y),
        (Some(Scalar::String(x)), Some(Scalar::String(y))) => x < y,
        _ => false,
    }
}

fn same_type(doc: &Doc<'_>, a: Operated<'_>, b: Operated<'_>) -> bool {
    matches!(
        (scalar(doc, a), scalar(doc, b)),
        (Some(Scalar::Null), Some(Scalar::Null))
            | (Some(Scalar::Bool), Some(Scalar::Bool))
            | (Some(Scalar::Number(_)), Some(Scalar::Number(_)))
            | (Some(Scalar::String(_)), Some(Scalar::String(_)))
            | (Some(Scalar::Array), Some(Scalar::Array))
            | (Some(Scalar::Object), Some(Scalar::Object))
    )
}

fn number_equal(a: &Number, b: &Number) -> bool {
    if let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) {
        a == b
    } else if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        a == b
    } else if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        a == b
    } else {
        false
    }
}

fn number_less(a: &Number, b: &Number) -> bool {
    if let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) {
        a < b
    } else if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        a < b
    } else if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        a < b
    } else {
        false
    }
}

/// Whether two nodes are equal as `serde_json` compares two values, walked
/// without recursion.
fn same_value(doc: &Doc<'_>, a: Node, b: Node) -> bool {
    let mut pending = vec![(a, b)];
    while let Some((a, b)) = pending.pop() {
        let same = match (doc.kind(a), doc.kind(b)) {
            (Kind::Object { len: m, .. }, Kind::Object { len: n, .. }) => {
                m == n
                    && doc
                        .children(a)
                        .zip(doc.children(b))
                        .all(|(x, y)| x.0 == y.0)
            }
            (x, y) => match (doc.len(a), doc.len(b)) {
                (Some(m), Some(n)) => m == n,
                (None, None) => x == y,
                _ => false,
            },
        };
        if !same {
            return false;
        }
        pending.extend(
            doc.children(a)
                .zip(doc.children(b))
                .map(|(x, y)| (x.1, y.1)),
        );
    }
    true
}

/// A recursive-descent reader of the queries `serde_json_path` accepted.
struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.text[self.at..].starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    /// Blank space, as `serde_json_path` skips it.
    fn ws(&mut self) {
        while let Some(c @ (' ' | '\t' | '\n' | '\r')) = self.peek() {
            self.at += c.len_utf8();
        }
    }

    fn query(&mut self) -> Option<Path> {
        let absolute = if self.eat("$") {
            true
        } else if self.eat("@") {
            false
        } else {
            return None;
        };
        let mut segments = Vec::new();
        loop {
            if self.eat("..") {
                let selectors = if self.eat("*") {
                    vec![Selector::Wildcard]
                } else if self.peek() == Some('[') {
                    self.bracketed()?
                } else {
                    vec![Selector::Name(Name::new(self.member_name()?))]
                };
                segments.push(Segment {
                    descendant: true,
                    selectors,
                });
                continue;
            }
            let before = self.at;
            self.ws();
            let selectors = if self.eat(".") {
                if self.eat("*") {
                    vec![Selector::Wildcard]
                } else {
                    vec![Selector::Name(Name::new(self.member_name()?))]
                }
            } else if self.peek() == Some('[') {
                self.bracketed()?
            } else {
                self.at = before;
                break;
            };
            segments.push(Segment {
                descendant: false,
                selectors,
            });
        }
        Some(Path { absolute, segments })
    }

    /// `name` after a dot: a letter, `_` or a non-ASCII character, then
    /// those or digits.
    fn member_name(&mut self) -> Option<String> {
        let rest = &self.text[self.at..];
        let first = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
        if !rest.starts_with(first) {
            return None;
        }
        let end = rest
            .find(|c: char| !(first(c) || c.is_ascii_digit()))
            .unwrap_or(rest.len());
        self.at += end;
        Some(rest[..end].to_string())
    }

    fn bracketed(&mut self) -> Option<Vec<Selector>> {
        if !self.eat("[") {
            return None;
        }
        let mut selectors = Vec::new();
        loop {
            self.ws();
            selectors.push(self.selector()?);
            self.ws();
            if self.eat("]") {
                return Some(selectors);
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn selector(&mut self) -> Option<Selector> {
        match self.peek()? {
            '\'' | '"' => Some(Selector::Name(Name::new(self.string()?))),
            '*' => {
                self.at += 1;
                Some(Selector::Wildcard)
            }
            '?' => {
                self.at += 1;
                self.ws();
                Some(Selector::Filter(self.or()?))
            }
            '-' | '0'..='9' => {
                let index = self.integer()?;
                let before = self.at;
                self.ws();
                if self.peek() == Some(':') {
                    return None; // A slice: serde_json_path's.
                }
                self.at = before;
                Some(Selector::Index(index))
            }
            _ => None,
        }
    }

    fn integer(&mut self) -> Option<i64> {
        let rest = &self.text[self.at..];
        let sign = usize::from(rest.starts_with('-'));
        let digits = rest[sign..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - sign);
        if digits == 0 {
            return None;
        }
        let value = rest[..sign + digits].parse().ok()?;
        self.at += sign + digits;
        Some(value)
    }

    /// A string literal in single or double quotes, its escapes decoded.
    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.text[self.at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.at += i + 1;
                    return Some(out);
                }
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    out.push(match escaped {
                        'b' => '\u{8}',
                        't' => '\t',
                        'n' => '\n',
                        'f' => '\u{c}',
                        'r' => '\r',
                        '/' => '/',
                        '\\' => '\\',
                        c if c == quote => c,
                        'u' => {
                            let high = hex4(&mut chars)?;
                            if (0xD800..0xDC00).contains(&high) {
                                if chars.next()?.1 != '\\' || chars.next()?.1 != 'u' {
                                    return None;
                                }
                                let low = hex4(&mut chars)?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return None;
                                }
                                char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?
                            } else {
                                char::from_u32(high)?
                            }
                        }
                        _ => return None,
                    });
                }
                c => out.push(c),
            }
        }
        None
    }

    fn or(&mut self) -> Option<Or> {
        self.separated("||", Self::and).map(Or)
    }

    fn and(&mut self) -> Option<And> {
        self.separated("&&", Self::basic).map(And)
    }

    /// One or more `item`s with `operator` between them (and blanks around
    /// it); the blanks after the last item are left unread.
    fn separated<T>(&mut self, operator: &str, item: fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut items = vec![item(self)?];
        loop {
            let before = self.at;
            self.ws();
            if self.eat(operator) {
                self.ws();
                items.push(item(self)?);
            } else {
                self.at = before;
                return Some(items);
            }
        }
    }

    fn basic(&mut self) -> Option<Basic> {
        if self.eat("!") {
            self.ws();
            return match self.peek()? {
                '(' => Some(Basic::Paren {
                    negated: true,
                    expr: self.paren()?,
                }),
                '$' | '@' => Some(Basic::Exists {
                    negated: true,
                    query: self.query()?,
                }),
                // A function: serde_json_path's.
                _ => None,
            };
        }
        if self.peek()? == '(' {
            return Some(Basic::Paren {
                negated: false,
                expr: self.paren()?,
            });
        }
        let left = if matches!(self.peek()?, '$' | '@') {
            let query = self.query()?;
            let before = self.at;
            self.ws();
            if self.comparison().is_none() {
                self.at = before;
                return Some(Basic::Exists {
                    negated: false,
                    query,
                });
            }
            self.at = before;
            singular(query)?
        } else {
            Operand::Literal(self.literal()?)
        };
        self.ws();
        let op = self.comparison()?;
        self.ws();
        let right = self.operand()?;
        Some(match (left, op, right) {
            (node @ Operand::Singular { .. }, Op::Eq | Op::Ne, Operand::Literal(literal))
            | (Operand::Literal(literal), Op::Eq | Op::Ne, node @ Operand::Singular { .. }) => {
                Basic::Equals {
                    negated: op == Op::Ne,
                    node,
                    literal,
                }
            }
            (left, op, right) => Basic::Compare { left, op, right },
        })
    }

    fn paren(&mut self) -> Option<Or> {
        if !self.eat("(") {
            return None;
        }
        self.ws();
        let expr = self.or()?;
        self.ws();
        self.eat(")").then_some(expr)
    }

    fn comparison(&mut self) -> Option<Op> {
        for (token, op) in [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
        ] {
            if self.eat(token) {
                return Some(op);
            }
        }
        None
    }

    fn operand(&mut self) -> Option<Operand> {
        if matches!(self.peek()?, '$' | '@') {
            singular(self.query()?)
        } else {
            Some(Operand::Literal(self.literal()?))
        }
    }

    /// A string, a number, `true`, `false` or `null` (a function name is
    /// none of these: `None`).
    fn literal(&mut self) -> Option<Value> {
        match self.peek()? {
            '\'' | '"' => Some(Value::String(self.string()?)),
            '-' | '0'..='9' => {
                // As serde_json_path reads it: an integer, a fraction, an
                // exponent, then serde_json's reading of that text.
                let rest = &self.text[self.at..];
                let digits = |from: usize| {
                    rest[from..]
                        .find(|c: char| !c.is_ascii_digit())
                        .map_or(rest.len(), |n| from + n)
                };
                let mut end = digits(usize::from(rest.starts_with('-')));
                if rest[end..].starts_with('.') {
                    end = digits(end + 1);
                }
                if rest[end..].starts_with(['e', 'E']) {
                    end += 1;
                    if rest[end..].starts_with(['-', '+']) {
                        end += 1;
                    }
                    end = digits(end);
                }
                let number: Number = rest[..end].parse().ok()?;
                self.at += end;
                Some(Value::Number(number))
            }
            _ if self.eat("true") => Some(Value::Bool(true)),
            _ if self.eat("false") => Some(Value::Bool(false)),
            _ if self.eat("null") => Some(Value::Null),
            _ => None,
        }
    }
}

/// Four hexadecimal digits, of a `\\uXXXX` escape.
fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.1.to_digit(16)?;
    }
    Some(value)
}

/// A query of names and indices only, as a comparison's operand.
fn singular(query: Path) -> Option<Operand> {
    let steps = query
        .segments
        .into_iter()
        .map(
            |segment| match (segment.descendant, &segment.selectors[..]) {
                (false, [Selector::Name(name)]) => Some(Step::Name(name.clone())),
                (false, [Selector::Index(i)]) => Some(Step::Index(*i)),
                _ => None,
            },
        )
        .collect::<Option<Vec<Step>>>()?;
    Some(Operand::Singular {
        absolute: query.absolute,
        steps,
    })
}

#[cfg(test)]
mod tests;
