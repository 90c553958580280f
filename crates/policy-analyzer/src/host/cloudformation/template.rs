//! A CloudFormation template as one tree with byte ranges, read from JSON
//! (the project's own parser) or YAML (saphyr's event parser).
//!
//! YAML's short forms become the long ones: `!Sub x` is a map with the one
//! key `Fn::Sub` whose range is the tag's, so the resolver reads one form. An
//! alias shares the node of its anchor instead of copying it, so an alias
//! bomb costs nothing here; whoever walks the tree bounds the walk. A merge
//! key (`<<`) adds the merged map's entries the map does not have.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::host::{Location, Quoting};
use crate::syntax::{self, NodeKind, SyntaxError};
use crate::text::TextRange;

pub(crate) type Id = u32;

/// How the template is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    Json,
    Yaml,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub range: TextRange,
    pub parent: Option<Id>,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Map(Vec<Entry>),
    Seq(Vec<Id>),
    Scalar(Scalar),
    /// Where a value was expected but none could be read.
    Invalid,
}

#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub key: String,
    /// The key's range (for a short-form tag, the tag's: `!Sub`).
    pub key_range: TextRange,
    /// Where the key is written byte for byte, when it is.
    pub key_exact: Option<(TextRange, Quoting)>,
    pub value: Id,
}

/// What a scalar is, as CloudFormation reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    String,
    Bool,
    Number,
    Null,
}

#[derive(Clone, Debug)]
pub(crate) struct Scalar {
    pub value: String,
    pub kind: ScalarKind,
    /// Runs of `value` written byte for byte in the source: (offset in
    /// `value`, source range). One run for a string without escapes on one
    /// line; one per line for a literal block scalar.
    pub runs: Vec<(u32, TextRange)>,
    pub quoting: Quoting,
    /// Written as a plain literal (not the argument of a short-form tag),
    /// so a fix may replace it whole.
    pub literal: bool,
}

/// A template: its nodes, and what reading it found wrong.
#[derive(Debug)]
pub(crate) struct Template {
    pub syntax: Syntax,
    pub nodes: Vec<Node>,
    pub root: Option<Id>,
    pub errors: Vec<SyntaxError>,
    /// Keys written twice in one map: (the later key's range, the first's).
    pub duplicates: Vec<(TextRange, TextRange, String)>,
    /// Where reading stopped at an error: nodes past it may be incomplete.
    pub broken_at: Option<u32>,
}

impl Template {
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn kind(&self, id: Id) -> &Kind {
        &self.node(id).kind
    }

    pub fn entries(&self, id: Id) -> &[Entry] {
        match self.kind(id) {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self, id: Id) -> &[Id] {
        match self.kind(id) {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    /// The value of `key` in a map (the last, where a key repeats).
    pub fn get(&self, id: Id, key: &str) -> Option<Id> {
        self.entries(id)
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value)
    }

    pub fn scalar(&self, id: Id) -> Option<&Scalar> {
        match self.kind(id) {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn str(&self, id: Id) -> Option<&str> {
        self.scalar(id).map(|s| s.value.as_str())
    }

    /// The intrinsic function a node calls: a map with one key `Ref`,
    /// `Condition` or `Fn::...`, and its argument.
    pub fn call(&self, id: Id) -> Option<(&Entry, Id)> {
        match self.kind(id) {
            Kind::Map(entries) if entries.len() == 1 => {
                let e = &entries[0];
                (e.key == "Ref" || e.key == "Condition" || e.key.starts_with("Fn::"))
                    .then_some((e, e.value))
            }
            _ => None,
        }
    }

    /// Whether the node lies wholly before the point where reading broke off.
    pub fn is_complete(&self, id: Id) -> bool {
        self.broken_at
            .is_none_or(|at| self.node(id).range.end <= at)
    }

    /// The JSON pointer of the node holding `range` (its innermost node),
    /// through the template: `/Resources/Key/Properties/KeyPolicy/Statement/0`.
    pub fn pointer_at(&self, range: TextRange) -> Option<String> {
        let mut current = self.root?;
        let mut segments: Vec<String> = Vec::new();
        // Bounded: an alias can make the tree a graph, never deeper than it has nodes.
        for _ in 0..self.nodes.len() {
            let next = match self.kind(current) {
                Kind::Map(entries) => entries.iter().find_map(|e| {
                    let covers = |r: TextRange| r.start <= range.start && range.end <= r.end;
                    let value = self.node(e.value).range;
                    if covers(e.key_range)
                        || (covers(value) && self.node(e.value).parent == Some(current))
                    {
                        Some((e.key.clone(), e.value, covers(e.key_range)))
                    } else {
                        None
                    }
                }),
                Kind::Seq(items) => items.iter().enumerate().find_map(|(i, &item)| {
                    let r = self.node(item).range;
                    (r.start <= range.start
                        && range.end <= r.end
                        && self.node(item).parent == Some(current))
                    .then(|| (i.to_string(), item, false))
                }),
                _ => None,
            };
            match next {
                Some((segment, node, on_key)) => {
                    segments.push(segment.replace('~', "~0").replace('/', "~1"));
                    if on_key {
                        break;
                    }
                    current = node;
                }
                None => break,
            }
        }
        let mut out = String::new();
        for s in segments {
            out.push('/');
            out.push_str(&s);
        }
        Some(out)
    }

    /// The location of a range in the template's file.
    pub fn at(file: &Arc<str>, range: TextRange) -> Location {
        Location {
            file: file.clone(),
            range,
        }
    }
}

/// The intrinsic functions and condition functions of CloudFormation, by
/// their long names; a YAML short form `!X` is `Fn::X` (or `Ref`, `Condition`).
pub(crate) const FUNCTIONS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::FindInMap",
    "Fn::ForEach",
    "Fn::GetAtt",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
    "Fn::If",
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::Or",
    "Fn::GetStackOutput",
];

fn long_name(tag_suffix: &str) -> String {
    match tag_suffix {
        "Ref" | "Condition" => tag_suffix.to_string(),
        other => format!("Fn::{other}"),
    }
}

// ---------------------------------------------------------------- JSON

/// Reads a JSON template with the project's JSON parser.
pub(crate) fn from_json(text: &str) -> Template {
    let parse = syntax::parse(text);
    let tree = &parse.tree;
    let mut template = Template {
        syntax: Syntax::Json,
        nodes: Vec::with_capacity(tree.len()),
        root: None,
        errors: parse.errors.clone(),
        duplicates: Vec::new(),
        broken_at: parse
            .errors
            .iter()
            .filter(|e| e.kind == syntax::SyntaxErrorKind::Invalid)
            .map(|e| e.range.start)
            .min(),
    };
    let Some(root) = tree.root() else {
        return template;
    };
    // The syntax tree is an arena in creation order: parents come first.
    let mut ids: FxHashMap<syntax::NodeId, Id> = FxHashMap::default();
    let mut stack = vec![(root, None)];
    while let Some((node, parent)) = stack.pop() {
        let id = template.nodes.len() as Id;
        ids.insert(node, id);
        let range = tree.range(node);
        let exact_string = |value: &str, range: TextRange| -> Vec<(u32, TextRange)> {
            let raw = text.get(range.start as usize + 1..(range.end as usize).saturating_sub(1));
            if raw == Some(value) && range.len() >= 2 {
                vec![(
                    0,
                    TextRange::new(range.start as usize + 1, range.end as usize - 1),
                )]
            } else {
                Vec::new()
            }
        };
        let kind = match tree.kind(node) {
            NodeKind::Object(_) | NodeKind::Array(_) => Kind::Invalid, // filled below
            NodeKind::String(s) => Kind::Scalar(Scalar {
                value: s.to_string(),
                kind: ScalarKind::String,
                runs: exact_string(s, range),
                quoting: Quoting::JsonString,
                literal: true,
            }),
            NodeKind::Number(n) => Kind::Scalar(Scalar {
                value: n.to_string(),
                kind: ScalarKind::Number,
                runs: vec![(0, range)],
                quoting: Quoting::JsonString,
                literal: true,
            }),
            NodeKind::Bool(b) => Kind::Scalar(Scalar {
                value: b.to_string(),
                kind: ScalarKind::Bool,
                runs: vec![(0, range)],
                quoting: Quoting::JsonString,
                literal: true,
            }),
            NodeKind::Null => Kind::Scalar(Scalar {
                value: String::new(),
                kind: ScalarKind::Null,
                runs: Vec::new(),
                quoting: Quoting::JsonString,
                literal: true,
            }),
            NodeKind::Invalid => Kind::Invalid,
        };
        template.nodes.push(Node {
            kind,
            range,
            parent,
        });
        let children: Vec<syntax::NodeId> = match tree.kind(node) {
            NodeKind::Object(members) => members.iter().map(|m| m.value).collect(),
            NodeKind::Array(items) => items.clone(),
            _ => Vec::new(),
        };
        for child in children.into_iter().rev() {
            stack.push((child, Some(id)));
        }
    }
    // Containers, now that every node has its id.
    for (node, &id) in &ids {
        let kind = match tree.kind(*node) {
            NodeKind::Object(members) => {
                let mut entries = Vec::with_capacity(members.len());
                for m in members {
                    let inner = TextRange::new(
                        m.key_range.start as usize + 1,
                        (m.key_range.end as usize)
                            .saturating_sub(1)
                            .max(m.key_range.start as usize + 1),
                    );
                    let exact = (text.get(inner.as_usize()) == Some(&*m.key))
                        .then_some((inner, Quoting::JsonString));
                    entries.push(Entry {
                        key: m.key.to_string(),
                        key_range: m.key_range,
                        key_exact: exact,
                        value: ids[&m.value],
                    });
                }
                Kind::Map(entries)
            }
            NodeKind::Array(items) => Kind::Seq(items.iter().map(|i| ids[i]).collect()),
            _ => continue,
        };
        template.nodes[id as usize].kind = kind;
    }
    template.root = Some(0);
    template
}

// ---------------------------------------------------------------- YAML

/// Converts saphyr's character offsets to byte offsets, walking from the
/// last one asked (the parser's offsets mostly grow, so the walk is linear).
struct CharToByte<'t> {
    text: &'t str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'t> CharToByte<'t> {
    fn new(text: &'t str) -> Self {
        CharToByte {
            text,
            ascii: text.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        while self.chars < char_index && self.bytes < self.text.len() {
            let c = self.text[self.bytes..].chars().next().unwrap_or('\0');
            self.bytes += c.len_utf8().max(1);
            self.chars += 1;
        }
        while self.chars > char_index {
            self.bytes -= 1;
            while self.bytes > 0 && !self.text.is_char_boundary(self.bytes) {
                self.bytes -= 1;
            }
            self.chars -= 1;
        }
        self.bytes
    }
}

/// An open container while the events are read.
enum Open {
    Map {
        id: Id,
        entries: Vec<Entry>,
        /// A key read, waiting for its value.
        key: Option<Entry>,
        /// Maps to merge in (`<<`), applied at the end.
        merges: Vec<Id>,
        /// The node to wrap in a short-form call, if the map was tagged.
        tag: Option<(String, TextRange)>,
    },
    Seq {
        id: Id,
        items: Vec<Id>,
        tag: Option<(String, TextRange)>,
    },
}

/// Reads a YAML template from saphyr's events.
pub(crate) fn from_yaml(text: &str) -> Template {
    let mut t = Template {
        syntax: Syntax::Yaml,
        nodes: Vec::new(),
        root: None,
        errors: Vec::new(),
        duplicates: Vec::new(),
        broken_at: None,
    };
    let mut pos = CharToByte::new(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: FxHashMap<usize, Id> = FxHashMap::default();
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(e) => e,
            Err(error) => {
                let at = pos.byte(error.marker().index());
                let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                t.errors.push(SyntaxError {
                    kind: syntax::SyntaxErrorKind::Invalid,
                    range: TextRange::new(at, end),
                    message: yaml_message(error.info()),
                    related: None,
                });
                t.broken_at = Some(at as u32);
                break;
            }
        };
        let start = pos.byte(span.start.index());
        let end = pos.byte(span.end.index()).max(start);
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    t.errors.push(SyntaxError {
                        kind: syntax::SyntaxErrorKind::Invalid,
                        range: TextRange::new(start, end.max(start + 1).min(text.len())),
                        message: "a second YAML document in the template: CloudFormation reads one document per template".into(),
                        related: None,
                    });
                    t.broken_at = Some(start as u32);
                    break;
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.filter(|tag| tag.handle == "!").map(|tag| {
                    let tag_len = 1 + tag.suffix.len();
                    (
                        long_name(&tag.suffix),
                        TextRange::new(start, (start + tag_len).min(end)),
                    )
                });
                let content_start = match &tag {
                    Some((_, tag_range)) => skip_space(text, tag_range.end as usize, end),
                    None => start,
                };
                // A quoted scalar's span may run on over a comment after it.
                let end = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                        quoted_end(text, content_start, end)
                    }
                    _ => end,
                };
                let scalar = read_scalar(text, &value, style, content_start, end, tag.is_none());
                let id = push(
                    &mut t,
                    Kind::Scalar(scalar),
                    TextRange::new(content_start, end.max(content_start)),
                );
                let id = match tag {
                    Some((name, tag_range)) => wrap(&mut t, id, name, tag_range, start),
                    None => id,
                };
                if anchor > 0 {
                    anchors.insert(anchor, id);
                }
                add(&mut t, &mut stack, id, text);
            }
            Event::Alias(anchor) => {
                let id = match anchors.get(&anchor) {
                    Some(&id) => id,
                    None => push(&mut t, Kind::Invalid, TextRange::new(start, end)),
                };
                add(&mut t, &mut stack, id, text);
            }
            Event::MappingStart(anchor, tag) => {
                let tag = tag.filter(|tag| tag.handle == "!").map(|tag| {
                    (
                        long_name(&tag.suffix),
                        TextRange::new(start, start + 1 + tag.suffix.len()),
                    )
                });
                // The span of a block map is empty at its first key; of a
                // flow map, its `{`; of an anchored one, the anchor too.
                let first = skip_decorations(text, start, end);
                let id = push(&mut t, Kind::Invalid, TextRange::new(first, first));
                if anchor > 0 {
                    anchors.insert(anchor, id);
                }
                stack.push(Open::Map {
                    id,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                    tag,
                });
            }
            Event::SequenceStart(anchor, tag) => {
                let tag = tag.filter(|tag| tag.handle == "!").map(|tag| {
                    (
                        long_name(&tag.suffix),
                        TextRange::new(start, start + 1 + tag.suffix.len()),
                    )
                });
                let first = skip_decorations(text, start, end);
                let id = push(&mut t, Kind::Invalid, TextRange::new(first, first));
                if anchor > 0 {
                    anchors.insert(anchor, id);
                }
                stack.push(Open::Seq {
                    id,
                    items: Vec::new(),
                    tag,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(open) = stack.pop() else { continue };
                // A flow container's end event starts at its bracket (and
                // may run on over a comment); a block one's, past its content.
                let bracket = matches!(text.as_bytes().get(start), Some(b'}' | b']'));
                let end = if bracket { start + 1 } else { start };
                let (id, tag) = close(&mut t, open, text, end);
                let id = match tag {
                    Some((name, tag_range)) => {
                        wrap(&mut t, id, name, tag_range, tag_range.start as usize)
                    }
                    None => id,
                };
                add(&mut t, &mut stack, id, text);
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    // Containers left open by an error run to the end: they are incomplete.
    while let Some(open) = stack.pop() {
        let (id, _) = close(&mut t, open, text, text.len());
        let start = t.nodes[id as usize].range.start as usize;
        t.nodes[id as usize].range = TextRange::new(start, text.len());
        add(&mut t, &mut stack, id, text);
    }
    t
}

fn push(t: &mut Template, kind: Kind, range: TextRange) -> Id {
    t.nodes.push(Node {
        kind,
        range,
        parent: None,
    });
    (t.nodes.len() - 1) as Id
}

/// Wraps `inner` in a one-key map `{name: inner}`, the long form of a tag.
fn wrap(t: &mut Template, inner: Id, name: String, tag_range: TextRange, start: usize) -> Id {
    let end = t.node(inner).range.end.max(tag_range.end);
    let id = push(
        t,
        Kind::Map(vec![Entry {
            key: name,
            key_range: tag_range,
            key_exact: None,
            value: inner,
        }]),
        TextRange::new(start, end as usize),
    );
    if t.nodes[inner as usize].parent.is_none() {
        t.nodes[inner as usize].parent = Some(id);
    }
    if let Kind::Scalar(s) = &mut t.nodes[inner as usize].kind {
        s.literal = false;
    }
    id
}

/// Ends a container: its range runs to its last child (or its closing
/// bracket), merges are applied, duplicates noted.
fn close(
    t: &mut Template,
    open: Open,
    text: &str,
    end: usize,
) -> (Id, Option<(String, TextRange)>) {
    match open {
        Open::Map {
            id,
            mut entries,
            key,
            merges,
            tag,
        } => {
            if let Some(key) = key {
                // A key without a value: YAML reads null.
                let at = key.key_range.end as usize;
                let null = push(
                    t,
                    Kind::Scalar(Scalar {
                        value: String::new(),
                        kind: ScalarKind::Null,
                        runs: Vec::new(),
                        quoting: Quoting::YamlPlain,
                        literal: true,
                    }),
                    TextRange::new(at, at),
                );
                entries.push(Entry { value: null, ..key });
            }
            for merged in merges {
                let inherited: Vec<Entry> = t
                    .entries(merged)
                    .iter()
                    .filter(|e| !entries.iter().any(|own| own.key == e.key))
                    .cloned()
                    .collect();
                entries.extend(inherited);
            }
            let mut seen: FxHashMap<&str, TextRange> = FxHashMap::default();
            let mut duplicates = Vec::new();
            for e in &entries {
                if let Some(first) = seen.insert(&e.key, e.key_range) {
                    if first != e.key_range {
                        duplicates.push((e.key_range, first, e.key.clone()));
                    }
                }
            }
            t.duplicates.extend(duplicates);
            let last = entries
                .iter()
                .map(|e| t.node(e.value).range.end.max(e.key_range.end))
                .max();
            let start = t.node(id).range.start as usize;
            let stop = closing_end(text, end, last);
            t.nodes[id as usize].range = TextRange::new(start, stop.max(start));
            t.nodes[id as usize].kind = Kind::Map(entries);
            (id, tag)
        }
        Open::Seq { id, items, tag } => {
            let last = items.iter().map(|&i| t.node(i).range.end).max();
            let start = t.node(id).range.start as usize;
            let stop = closing_end(text, end, last);
            t.nodes[id as usize].range = TextRange::new(start, stop.max(start));
            t.nodes[id as usize].kind = Kind::Seq(items);
            (id, tag)
        }
    }
}

/// Where a container ends: after its closing bracket for a flow container,
/// else after its last child.
fn closing_end(text: &str, end: usize, last_child: Option<u32>) -> usize {
    let bracket = end > 0 && matches!(text.as_bytes().get(end - 1), Some(b'}' | b']'));
    match (bracket, last_child) {
        (true, _) => end,
        (false, Some(last)) => last as usize,
        (false, None) => end,
    }
}

/// Adds a finished node to the open container.
fn add(t: &mut Template, stack: &mut [Open], id: Id, text: &str) {
    match stack.last_mut() {
        None => {
            if t.root.is_none() {
                t.root = Some(id);
            }
        }
        Some(Open::Seq {
            id: parent, items, ..
        }) => {
            if t.nodes[id as usize].parent.is_none() {
                t.nodes[id as usize].parent = Some(*parent);
            }
            items.push(id);
        }
        Some(Open::Map {
            id: parent,
            entries,
            key,
            merges,
            ..
        }) => match key.take() {
            None => {
                // A key. Keys that are not scalars are kept by their text.
                let range = t.node(id).range;
                let (name, exact) = match &t.nodes[id as usize].kind {
                    Kind::Scalar(s) => (
                        s.value.clone(),
                        match s.runs.as_slice() {
                            [(0, r)] if r.len() == s.value.len() => Some((*r, s.quoting)),
                            _ => None,
                        },
                    ),
                    _ => (
                        text.get(range.as_usize()).unwrap_or_default().to_string(),
                        None,
                    ),
                };
                *key = Some(Entry {
                    key: name,
                    key_range: range,
                    key_exact: exact,
                    value: id,
                });
            }
            Some(k) => {
                if t.nodes[id as usize].parent.is_none() {
                    t.nodes[id as usize].parent = Some(*parent);
                }
                if k.key == "<<" && k.key_exact.is_some_and(|(_, q)| q == Quoting::YamlPlain) {
                    // A merge key: one map or a list of maps.
                    match &t.nodes[id as usize].kind {
                        Kind::Map(_) => merges.push(id),
                        Kind::Seq(items) => merges.extend(items.iter().copied()),
                        _ => {}
                    }
                } else {
                    entries.push(Entry { value: id, ..k });
                }
            }
        },
    }
}

/// Past an anchor (`&a`) or tag before a node's content.
fn skip_decorations(text: &str, start: usize, end: usize) -> usize {
    let mut at = start;
    let bytes = text.as_bytes();
    while at < end {
        match bytes[at] {
            b'&' | b'!' => {
                while at < end && !bytes[at].is_ascii_whitespace() {
                    at += 1;
                }
            }
            b if b.is_ascii_whitespace() => at += 1,
            _ => break,
        }
    }
    at.min(end).max(start)
}

/// Where a quoted scalar starting at `start` ends: after its closing quote
/// (`''` in single quotes and `\"` in double quotes do not close it).
fn quoted_end(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let Some(&quote) = bytes.get(start) else {
        return end;
    };
    let mut at = start + 1;
    while at < end.min(bytes.len()) {
        match bytes[at] {
            b'\\' if quote == b'"' => at += 2,
            b'\'' if quote == b'\'' && bytes.get(at + 1) == Some(&b'\'') => at += 2,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    end
}

fn skip_space(text: &str, from: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < end && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// A YAML scalar as CloudFormation reads it, with the runs written byte for byte.
fn read_scalar(
    text: &str,
    value: &str,
    style: ScalarStyle,
    start: usize,
    end: usize,
    untagged: bool,
) -> Scalar {
    let source = text.get(start..end).unwrap_or_default();
    let (kind, quoting, runs) = match style {
        ScalarStyle::Plain => {
            let kind = if untagged {
                plain_kind(value)
            } else {
                ScalarKind::String
            };
            let source = source.trim_end();
            let runs = if source == value && !value.is_empty() {
                vec![(0, TextRange::new(start, start + value.len()))]
            } else {
                Vec::new()
            };
            (kind, Quoting::YamlPlain, runs)
        }
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
            let quoting = if style == ScalarStyle::SingleQuoted {
                Quoting::YamlSingle
            } else {
                Quoting::YamlDouble
            };
            let inner = source.get(1..).and_then(|s| s.strip_suffix(['\'', '"']));
            let runs = match inner {
                Some(inner) if inner == value && !value.is_empty() => {
                    vec![(0, TextRange::new(start + 1, start + 1 + value.len()))]
                }
                _ => Vec::new(),
            };
            (ScalarKind::String, quoting, runs)
        }
        ScalarStyle::Literal => (
            ScalarKind::String,
            Quoting::Raw {
                interpolation: false,
            },
            literal_block_runs(text, value, start, end),
        ),
        _ => (
            ScalarKind::String,
            Quoting::Raw {
                interpolation: false,
            },
            Vec::new(),
        ),
    };
    Scalar {
        value: value.to_string(),
        kind,
        runs,
        quoting,
        literal: untagged && style != ScalarStyle::Literal && style != ScalarStyle::Folded,
    }
}

/// Each line of a literal block scalar (`|`) maps to its source line past
/// the block's indentation.
fn literal_block_runs(text: &str, value: &str, start: usize, end: usize) -> Vec<(u32, TextRange)> {
    let source = text.get(start..end).unwrap_or_default();
    // saphyr's span starts at the content; where it starts at the header
    // (`|`, `|-`, `|2`), the content starts on the next line.
    let mut at = start;
    if source.starts_with('|') {
        let Some(header_end) = source.find('\n') else {
            return Vec::new();
        };
        at = start + header_end + 1;
    }
    let mut runs = Vec::new();
    let mut offset = 0usize; // in `value`
    for line in value.split_inclusive('\n') {
        let content = line.trim_end_matches('\n');
        if content.is_empty() {
            // An empty line may have less indentation; find the next newline.
            match text[at..end.min(text.len())].find('\n') {
                Some(nl) => at += nl + 1,
                None => break,
            }
            offset += line.len();
            continue;
        }
        let rest = &text[at..end.min(text.len())];
        let Some(col) = rest.find(content) else { break };
        // The content must be on this line, after its indentation.
        if rest[..col].contains('\n') || !rest[..col].bytes().all(|b| b == b' ') {
            break;
        }
        runs.push((
            offset as u32,
            TextRange::new(at + col, at + col + content.len()),
        ));
        offset += line.len();
        at += col + content.len();
        if line.ends_with('\n') {
            match text[at..end.min(text.len())].find('\n') {
                Some(nl) => at += nl + 1,
                None => break,
            }
        }
    }
    runs
}

/// What a plain scalar is in YAML 1.2's core schema, which CloudFormation follows.
fn plain_kind(value: &str) -> ScalarKind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarKind::Bool,
        _ if is_number(value) => ScalarKind::Number,
        _ => ScalarKind::String,
    }
}

fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() {
        return false;
    }
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or_default();
    let frac = parts.next();
    (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()))
        && !(int.len() > 1 && int.starts_with('0'))
}

/// saphyr's message, shaped as the project's messages are.
fn yaml_message(info: &str) -> String {
    let info = info.trim_end_matches('.');
    if info.contains("tab") {
        format!(
            "{info}: YAML indents with spaces, never tabs, and CloudFormation rejects the template"
        )
    } else {
        format!("the template is not valid YAML: {info}; CloudFormation rejects it")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Template {
        from_yaml(text)
    }

    #[test]
    fn short_forms_become_long_forms_with_the_tag_as_key() {
        let text = "A: !Sub 'arn:${AWS::AccountId}'\nB: !GetAtt R.Arn\nC: !If [X, a, b]\n";
        let t = yaml(text);
        let root = t.root.unwrap();
        let a = t.get(root, "A").unwrap();
        let (entry, arg) = t.call(a).unwrap();
        assert_eq!(entry.key, "Fn::Sub");
        assert_eq!(&text[entry.key_range.as_usize()], "!Sub");
        let s = t.scalar(arg).unwrap();
        assert_eq!(s.value, "arn:${AWS::AccountId}");
        assert_eq!(&text[s.runs[0].1.as_usize()], "arn:${AWS::AccountId}");
        let (entry, arg) = t.call(t.get(root, "C").unwrap()).unwrap();
        assert_eq!(entry.key, "Fn::If");
        assert_eq!(t.items(arg).len(), 3);
        assert_eq!(
            t.call(t.get(root, "B").unwrap()).unwrap().0.key,
            "Fn::GetAtt"
        );
    }

    #[test]
    fn scalars_keep_their_kind_and_exact_runs() {
        let text = "a: true\nb: 12\nc: \"x\\ny\"\nd: 'it''s'\ne: plain text\nf:\n";
        let t = yaml(text);
        let root = t.root.unwrap();
        let kind = |k: &str| t.scalar(t.get(root, k).unwrap()).unwrap().kind;
        assert_eq!(kind("a"), ScalarKind::Bool);
        assert_eq!(kind("b"), ScalarKind::Number);
        assert_eq!(kind("f"), ScalarKind::Null);
        assert!(t.scalar(t.get(root, "c").unwrap()).unwrap().runs.is_empty());
        assert!(t.scalar(t.get(root, "d").unwrap()).unwrap().runs.is_empty());
        let e = t.scalar(t.get(root, "e").unwrap()).unwrap();
        assert_eq!(&text[e.runs[0].1.as_usize()], "plain text");
    }

    #[test]
    fn literal_blocks_map_line_by_line() {
        let text = "P: |\n  {\"Version\": \"2012-10-17\",\n   \"Statement\": []}\nQ: 1\n";
        let t = yaml(text);
        let s = t.scalar(t.get(t.root.unwrap(), "P").unwrap()).unwrap();
        assert_eq!(s.runs.len(), 2);
        for (offset, range) in &s.runs {
            let line = s.value[*offset as usize..].lines().next().unwrap();
            assert_eq!(&text[range.as_usize()], line);
        }
    }

    #[test]
    fn aliases_share_and_merge_keys_merge() {
        let text = "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: *b\n";
        let t = yaml(text);
        let root = t.root.unwrap();
        let c = t.get(root, "c").unwrap();
        assert_eq!(t.str(t.get(c, "x").unwrap()), Some("1"));
        assert_eq!(t.str(t.get(c, "y").unwrap()), Some("3"));
        assert_eq!(t.get(root, "d"), t.get(root, "base"));
    }

    #[test]
    fn duplicates_and_errors_are_reported_with_positions() {
        let t = yaml("a: 1\na: 2\n");
        assert_eq!(t.duplicates.len(), 1);
        let text = "a:\n\tb: 1\n";
        let t = yaml(text);
        assert_eq!(t.errors.len(), 1, "{:?}", t.errors);
        assert!(t.broken_at.is_some());
    }

    #[test]
    fn positions_are_bytes_after_non_ascii_text() {
        let text = "d: \"é🔑\"\nk: value\n";
        let t = yaml(text);
        let k = t.get(t.root.unwrap(), "k").unwrap();
        assert_eq!(&text[t.node(k).range.as_usize()], "value");
    }

    #[test]
    fn pointers_run_through_the_template() {
        let text = "Resources:\n  K:\n    Properties:\n      P: [a, !Ref b]\n";
        let t = yaml(text);
        let b = text.find("b]").unwrap();
        assert_eq!(
            t.pointer_at(TextRange::new(b, b + 1)).as_deref(),
            Some("/Resources/K/Properties/P/1/Ref")
        );
    }

    #[test]
    fn json_templates_read_alike() {
        let text = r#"{"Resources": {"K": {"Properties": {"P": ["a", {"Ref": "b"}]}}}}"#;
        let t = from_json(text);
        let root = t.root.unwrap();
        let p = t
            .get(
                t.get(
                    t.get(t.get(root, "Resources").unwrap(), "K").unwrap(),
                    "Properties",
                )
                .unwrap(),
                "P",
            )
            .unwrap();
        let items = t.items(p);
        assert_eq!(t.str(items[0]), Some("a"));
        assert_eq!(t.call(items[1]).unwrap().0.key, "Ref");
        let a = t.scalar(items[0]).unwrap();
        assert_eq!(&text[a.runs[0].1.as_usize()], "a");
    }
}
