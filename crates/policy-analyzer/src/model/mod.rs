//! The key-policy model: the policy's elements, typed, each keeping its range.
//!
//! The model is lenient: it takes whatever it can read and leaves judging the
//! shape to the structure rules, which look at the same tree nodes. A value of
//! the wrong type is simply absent from the model.

mod operator;

pub use operator::{BaseOperator, Operator, OperatorFamily, SetQualifier};

use std::cell::OnceCell;

use crate::catalog::{catalog, ActionSet};
use crate::syntax::{NodeId, NodeKind, Tree};
use crate::text::TextRange;

/// A string from the policy with its range and node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<'t> {
    pub value: &'t str,
    pub range: TextRange,
    pub node: NodeId,
}

impl Text<'_> {
    /// The source range of `self.value[start..end]`. Offsets into the decoded
    /// value map onto the source only when the string is written without
    /// escapes; otherwise (or for offsets out of bounds) this is the whole
    /// string's range, quotes included.
    pub fn sub_range(&self, source: &str, start: usize, end: usize) -> TextRange {
        let raw = source.get(self.range.as_usize()).unwrap_or_default();
        let inner = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
        match inner {
            Some(inner)
                if inner == self.value
                    && start <= end
                    && end <= inner.len()
                    && inner.is_char_boundary(start)
                    && inner.is_char_boundary(end) =>
            {
                let base = self.range.start as usize + 1;
                TextRange::new(base + start, base + end)
            }
            _ => self.range,
        }
    }
}

/// A member of a JSON object as the model sees it: its key and its value node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub key_range: TextRange,
    pub value: NodeId,
    pub value_range: TextRange,
}

impl Element {
    /// From the key to the end of the value.
    pub fn range(&self) -> TextRange {
        self.key_range.cover(self.value_range)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A string element that may be a single string or an array of strings
/// (`Action`, `Resource`, principal values).
#[derive(Clone, Debug)]
pub struct StringList<'t> {
    pub element: Element,
    /// The string entries; entries of another type are left out.
    pub values: Vec<Text<'t>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalKind {
    pub fn parse(key: &str) -> Option<PrincipalKind> {
        match key {
            "AWS" => Some(PrincipalKind::Aws),
            "Service" => Some(PrincipalKind::Service),
            "Federated" => Some(PrincipalKind::Federated),
            "CanonicalUser" => Some(PrincipalKind::CanonicalUser),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }
}

/// One `"AWS": [...]` entry of a principal object.
#[derive(Clone, Debug)]
pub struct PrincipalEntry<'t> {
    pub key: Text<'t>,
    /// `None` for a key that is not a principal type.
    pub kind: Option<PrincipalKind>,
    pub values: Vec<Text<'t>>,
}

/// `Principal` or `NotPrincipal`.
#[derive(Clone, Debug)]
pub struct PrincipalElement<'t> {
    pub element: Element,
    /// `"Principal": "*"`.
    pub wildcard: Option<Text<'t>>,
    pub entries: Vec<PrincipalEntry<'t>>,
}

impl<'t> PrincipalElement<'t> {
    /// Every principal value with its kind (`"*"` counts as an AWS value).
    pub fn values(&self) -> impl Iterator<Item = (Option<PrincipalKind>, Text<'t>)> + '_ {
        self.wildcard
            .iter()
            .map(|w| (Some(PrincipalKind::Aws), *w))
            .chain(
                self.entries
                    .iter()
                    .flat_map(|e| e.values.iter().map(move |v| (e.kind, *v))),
            )
    }
}

/// How a condition value was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Bool,
    Number,
}

/// One value of a condition key. Booleans and numbers keep their text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionValue<'t> {
    pub value: &'t str,
    pub kind: ValueKind,
    pub range: TextRange,
    pub node: NodeId,
}

/// `"kms:CallerAccount": ["111122223333"]` inside an operator block.
#[derive(Clone, Debug)]
pub struct ConditionKeyEntry<'t> {
    pub key: Text<'t>,
    pub value_node: NodeId,
    pub values: Vec<ConditionValue<'t>>,
}

/// `"StringEquals": { ... }` inside `Condition`.
#[derive(Clone, Debug)]
pub struct ConditionOperatorEntry<'t> {
    pub name: Text<'t>,
    /// `None` when the name is not an operator IAM knows.
    pub operator: Option<Operator>,
    pub value_node: NodeId,
    pub keys: Vec<ConditionKeyEntry<'t>>,
}

#[derive(Clone, Debug)]
pub struct ConditionBlock<'t> {
    pub element: Element,
    pub operators: Vec<ConditionOperatorEntry<'t>>,
}

impl<'t> ConditionBlock<'t> {
    /// Every (operator, key) pair.
    pub fn entries(
        &self,
    ) -> impl Iterator<Item = (&ConditionOperatorEntry<'t>, &ConditionKeyEntry<'t>)> {
        self.operators
            .iter()
            .flat_map(|op| op.keys.iter().map(move |k| (op, k)))
    }
}

#[derive(Clone, Debug)]
pub struct Statement<'t> {
    pub index: usize,
    pub node: NodeId,
    pub range: TextRange,
    pub sid: Option<Text<'t>>,
    pub effect: Option<(Effect, Text<'t>)>,
    /// The `Effect` element, whatever its value.
    pub effect_element: Option<Element>,
    pub principal: Option<PrincipalElement<'t>>,
    pub not_principal: Option<PrincipalElement<'t>>,
    pub action: Option<StringList<'t>>,
    pub not_action: Option<StringList<'t>>,
    pub resource: Option<StringList<'t>>,
    pub not_resource: Option<StringList<'t>>,
    pub condition: Option<ConditionBlock<'t>>,
    /// The catalogue actions `Action` / `NotAction` cover, computed on first
    /// use (see [`Statement::covered_actions`]).
    covered: OnceCell<ActionSet>,
}

impl<'t> Statement<'t> {
    /// The catalogue actions the statement's `Action` (or `NotAction`)
    /// covers, whatever its other elements say: empty with neither element,
    /// or with both (IAM rejects that).
    pub fn covered_actions(&self) -> ActionSet {
        *self.covered.get_or_init(|| {
            let catalog = catalog();
            let union = |list: &StringList<'_>| {
                list.values.iter().fold(ActionSet::EMPTY, |set, v| {
                    set.union(catalog.expand(v.value))
                })
            };
            match (&self.action, &self.not_action) {
                (Some(action), None) => union(action),
                (None, Some(not_action)) => catalog.all_actions().difference(union(not_action)),
                _ => ActionSet::EMPTY,
            }
        })
    }

    /// A short human name: `statement "Sid"` or `statement #2`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.value.is_empty() => format!("statement \"{}\"", sid.value),
            _ => format!("statement #{}", self.index + 1),
        }
    }

    pub fn is_allow(&self) -> bool {
        matches!(self.effect, Some((Effect::Allow, _)))
    }

    pub fn is_deny(&self) -> bool {
        matches!(self.effect, Some((Effect::Deny, _)))
    }

    /// The range to point at when the whole statement is meant: its Sid if it
    /// has one (short and recognisable), else its opening.
    pub fn anchor(&self) -> TextRange {
        match &self.sid {
            Some(sid) => sid.range,
            None => TextRange::new(self.range.start as usize, self.range.start as usize + 1),
        }
    }
}

/// A key policy document.
#[derive(Clone, Debug, Default)]
pub struct Policy<'t> {
    /// The root node when it is an object.
    pub root: Option<NodeId>,
    pub version: Option<Text<'t>>,
    pub version_element: Option<Element>,
    pub id: Option<Text<'t>>,
    pub statement_element: Option<Element>,
    pub statements: Vec<Statement<'t>>,
    /// The document is one statement object, not a policy: the shape the
    /// AWS guides show a statement in. Its one statement is the root.
    pub lone_statement: bool,
}

impl<'t> Policy<'t> {
    /// Builds the model from a parsed tree. Never fails.
    pub fn from_tree(tree: &'t Tree<'t>) -> Policy<'t> {
        let mut policy = Policy::default();
        let Some(root) = tree.root() else {
            return policy;
        };
        if !matches!(tree.kind(root), NodeKind::Object(_)) {
            return policy;
        }
        policy.root = Some(root);
        if let Some(m) = tree.get(root, "Version") {
            policy.version_element = Some(element(tree, m.key_range, m.value));
            policy.version = text(tree, m.value);
        }
        if let Some(m) = tree.get(root, "Id") {
            policy.id = text(tree, m.value);
        }
        if tree.get(root, "Statement").is_none()
            && tree.get(root, "Version").is_none()
            && is_statement_object(tree, root)
        {
            policy.statements.push(statement(tree, root, 0));
            policy.lone_statement = true;
            return policy;
        }
        if let Some(m) = tree.get(root, "Statement") {
            policy.statement_element = Some(element(tree, m.key_range, m.value));
            match tree.kind(m.value) {
                NodeKind::Object(_) => policy.statements.push(statement(tree, m.value, 0)),
                NodeKind::Array(items) => {
                    for &item in items {
                        if matches!(tree.kind(item), NodeKind::Object(_)) {
                            let index = policy.statements.len();
                            policy.statements.push(statement(tree, item, index));
                        }
                    }
                }
                _ => {}
            }
        }
        policy
    }

    /// Whether the text looked like a policy: a top-level object with `Statement`.
    pub fn is_policy(&self) -> bool {
        self.statement_element.is_some()
    }
}

/// Whether an object reads as one statement: an `Effect` and what the
/// statement is about (`Action`, `Principal` or their `Not` forms).
fn is_statement_object(tree: &Tree<'_>, node: NodeId) -> bool {
    tree.get(node, "Effect").is_some()
        && ["Action", "NotAction", "Principal", "NotPrincipal"]
            .iter()
            .any(|k| tree.get(node, k).is_some())
}

fn element(tree: &Tree<'_>, key_range: TextRange, value: NodeId) -> Element {
    Element {
        key_range,
        value,
        value_range: tree.range(value),
    }
}

fn text<'t>(tree: &'t Tree<'t>, node: NodeId) -> Option<Text<'t>> {
    tree.as_str(node).map(|value| Text {
        value,
        range: tree.range(node),
        node,
    })
}

/// A string or an array of strings; other entries are skipped.
fn strings<'t>(tree: &'t Tree<'t>, node: NodeId) -> Vec<Text<'t>> {
    match tree.kind(node) {
        NodeKind::String(_) => text(tree, node).into_iter().collect(),
        NodeKind::Array(items) => items.iter().filter_map(|&i| text(tree, i)).collect(),
        _ => Vec::new(),
    }
}

fn string_list<'t>(tree: &'t Tree<'t>, key_range: TextRange, node: NodeId) -> StringList<'t> {
    StringList {
        element: element(tree, key_range, node),
        values: strings(tree, node),
    }
}

fn statement<'t>(tree: &'t Tree<'t>, node: NodeId, index: usize) -> Statement<'t> {
    let get = |key: &str| tree.get(node, key);
    let effect_member = get("Effect");
    let effect = effect_member
        .and_then(|m| text(tree, m.value))
        .and_then(|t| {
            match t.value {
                "Allow" => Some(Effect::Allow),
                "Deny" => Some(Effect::Deny),
                _ => None,
            }
            .map(|e| (e, t))
        });
    Statement {
        index,
        node,
        range: tree.range(node),
        sid: get("Sid").and_then(|m| text(tree, m.value)),
        effect,
        effect_element: effect_member.map(|m| element(tree, m.key_range, m.value)),
        principal: get("Principal").map(|m| principal(tree, m.key_range, m.value)),
        not_principal: get("NotPrincipal").map(|m| principal(tree, m.key_range, m.value)),
        action: get("Action").map(|m| string_list(tree, m.key_range, m.value)),
        not_action: get("NotAction").map(|m| string_list(tree, m.key_range, m.value)),
        resource: get("Resource").map(|m| string_list(tree, m.key_range, m.value)),
        not_resource: get("NotResource").map(|m| string_list(tree, m.key_range, m.value)),
        condition: get("Condition").map(|m| condition(tree, m.key_range, m.value)),
        covered: OnceCell::new(),
    }
}

fn principal<'t>(tree: &'t Tree<'t>, key_range: TextRange, node: NodeId) -> PrincipalElement<'t> {
    let mut out = PrincipalElement {
        element: element(tree, key_range, node),
        wildcard: None,
        entries: Vec::new(),
    };
    match tree.kind(node) {
        NodeKind::String(s) if s == "*" => out.wildcard = text(tree, node),
        NodeKind::Object(members) => {
            for m in members {
                out.entries.push(PrincipalEntry {
                    key: Text {
                        value: m.key.as_ref(),
                        range: m.key_range,
                        node: m.value,
                    },
                    kind: PrincipalKind::parse(&m.key),
                    values: strings(tree, m.value),
                });
            }
        }
        _ => {}
    }
    out
}

fn condition<'t>(tree: &'t Tree<'t>, key_range: TextRange, node: NodeId) -> ConditionBlock<'t> {
    let mut block = ConditionBlock {
        element: element(tree, key_range, node),
        operators: Vec::new(),
    };
    for op in tree.members(node) {
        let mut entry = ConditionOperatorEntry {
            name: Text {
                value: op.key.as_ref(),
                range: op.key_range,
                node: op.value,
            },
            operator: Operator::parse(&op.key),
            value_node: op.value,
            keys: Vec::new(),
        };
        for k in tree.members(op.value) {
            entry.keys.push(ConditionKeyEntry {
                key: Text {
                    value: k.key.as_ref(),
                    range: k.key_range,
                    node: k.value,
                },
                value_node: k.value,
                values: condition_values(tree, k.value),
            });
        }
        block.operators.push(entry);
    }
    block
}

fn condition_value<'t>(tree: &'t Tree<'t>, node: NodeId) -> Option<ConditionValue<'t>> {
    let range = tree.range(node);
    let (value, kind) = match tree.kind(node) {
        NodeKind::String(s) => (s.as_ref(), ValueKind::String),
        NodeKind::Bool(true) => ("true", ValueKind::Bool),
        NodeKind::Bool(false) => ("false", ValueKind::Bool),
        NodeKind::Number(raw) => (*raw, ValueKind::Number),
        _ => return None,
    };
    Some(ConditionValue {
        value,
        kind,
        range,
        node,
    })
}

fn condition_values<'t>(tree: &'t Tree<'t>, node: NodeId) -> Vec<ConditionValue<'t>> {
    match tree.kind(node) {
        NodeKind::Array(items) => items
            .iter()
            .filter_map(|&i| condition_value(tree, i))
            .collect(),
        _ => condition_value(tree, node).into_iter().collect(),
    }
}
