//! User rules: JSONPath (RFC 9535) selectors over the policy as written or
//! over the facts the analyzer established, each with an assertion.
//!
//! This module compiles a rule the user wrote ([`RuleSpec`], from a pack
//! file that `policy-workspace` reads) into a [`UserRule`] once, and runs the
//! enabled ones over each policy ([`check`]). The documents are built once
//! per policy and only when a rule asks for them. The rules' ids and names
//! are interned, so that their findings are the same plain
//! [`Diagnostic`]s as the built-in rules' and go everywhere those go:
//! selection, severities, suppressions, baselines and every output format.

pub mod document;
mod path;

use std::cell::OnceCell;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Context, Emitter};
use crate::text::TextRange;
use crate::RuleSelection;
use document::{Doc, Kind, Node, Origin};

/// Which document a rule's selectors query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The policy as written.
    Policy,
    /// What the analyzer established (docs/rule-packs.md).
    Facts,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Policy => "policy",
            Target::Facts => "facts",
        }
    }
}

/// What a rule asserts of the nodes its selector matches.
#[derive(Clone, Debug)]
pub enum AssertionSpec {
    /// Every match is a finding.
    Forbid,
    /// No match is a finding.
    Require,
    /// Every match must equal this value.
    Equals(Value),
    /// Every match must be one of these values.
    In(Vec<Value>),
    /// Every match must be a string this regular expression finds a match in.
    Matches(String),
    /// The number of matches must lie within these bounds.
    Count {
        min: Option<usize>,
        max: Option<usize>,
    },
}

/// A rule as its pack file writes it.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub summary: String,
    pub message: String,
    pub help: Option<String>,
    pub docs: String,
    pub document: Target,
    pub each: Option<String>,
    pub select: String,
    pub assertion: AssertionSpec,
}

/// The field of a [`RuleSpec`] an error is about, and where in its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The field's name as the pack file writes it (`select`, `matches`...).
    pub field: &'static str,
    /// A byte offset into the field's text, when the error has one.
    pub offset: Option<usize>,
    pub message: String,
}

impl SpecError {
    fn new(field: &'static str, message: impl Into<String>) -> SpecError {
        SpecError {
            field,
            offset: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

/// A compiled assertion.
#[derive(Clone, Debug)]
pub enum Assertion {
    Forbid,
    Require,
    Equals(Value),
    In(Vec<Value>),
    Matches(regex::Regex),
    Count {
        min: Option<usize>,
        max: Option<usize>,
    },
}

impl Assertion {
    /// Its name in a pack file.
    pub fn kind(&self) -> &'static str {
        match self {
            Assertion::Forbid => "forbid",
            Assertion::Require => "require",
            Assertion::Equals(_) => "equals",
            Assertion::In(_) => "in",
            Assertion::Matches(_) => "matches",
            Assertion::Count { .. } => "count",
        }
    }
}

/// A user rule, compiled: its selectors parsed, its regex built and its
/// message template checked, once.
#[derive(Clone, Debug)]
pub struct UserRule {
    /// The rule's code, e.g. `ACME001`: letters (its namespace), then digits.
    pub id: &'static str,
    /// Kebab-case, unique.
    pub name: &'static str,
    pub severity: Severity,
    pub summary: String,
    pub help: Option<String>,
    /// Markdown: what `--explain` prints.
    pub docs: String,
    /// The pack's name (its directory's name).
    pub pack: String,
    /// The rule file, as the user would name it.
    pub file: String,
    pub document: Target,
    pub each: Option<Selector>,
    pub each_text: Option<String>,
    pub select: Selector,
    pub select_text: String,
    pub assertion: Assertion,
    message: Template,
    /// The members the message's `{value.a.b}` placeholders name, as
    /// `a.b c.d` (what of the facts they reach).
    message_text: String,
}

impl UserRule {
    /// Compiles a rule of the pack `pack`, read from `file`.
    pub fn compile(spec: RuleSpec, pack: &str, file: &str) -> Result<UserRule, SpecError> {
        check_id(&spec.id)?;
        check_name(&spec.name)?;
        if spec.summary.trim().is_empty() {
            return Err(SpecError::new("summary", "is empty"));
        }
        let message = Template::parse(&spec.message).map_err(|(offset, message)| SpecError {
            field: "message",
            offset: Some(offset),
            message,
        })?;
        let each = spec
            .each
            .as_deref()
            .map(|text| parse_path("each", text))
            .transpose()?;
        let select = parse_path("select", &spec.select)?;
        let assertion = match spec.assertion {
            AssertionSpec::Forbid => Assertion::Forbid,
            AssertionSpec::Require => Assertion::Require,
            AssertionSpec::Equals(v) => Assertion::Equals(v),
            AssertionSpec::In(values) => Assertion::In(values),
            AssertionSpec::Matches(pattern) => {
                Assertion::Matches(regex::Regex::new(&pattern).map_err(|e| {
                    SpecError::new(
                        "matches",
                        format!("not a valid regular expression: {}", regex_error(&e)),
                    )
                })?)
            }
            AssertionSpec::Count { min, max } => {
                if min.is_none() && max.is_none() {
                    return Err(SpecError::new("count", "give `min`, `max` or both"));
                }
                if let (Some(min), Some(max)) = (min, max) {
                    if min > max {
                        return Err(SpecError::new(
                            "count",
                            format!("`min` ({min}) is greater than `max` ({max})"),
                        ));
                    }
                }
                Assertion::Count { min, max }
            }
        };
        Ok(UserRule {
            id: intern(&spec.id),
            name: intern(&spec.name),
            severity: spec.severity,
            summary: spec.summary.trim().to_string(),
            help: spec.help.filter(|h| !h.trim().is_empty()),
            docs: spec.docs,
            pack: pack.to_string(),
            file: file.to_string(),
            document: spec.document,
            each_text: spec.each,
            each,
            select_text: spec.select,
            select,
            assertion,
            message_text: message.value_paths(),
            message,
        })
    }

    /// The rule's namespace: the letters of its id.
    pub fn namespace(&self) -> &str {
        let end = self
            .id
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(self.id.len());
        &self.id[..end]
    }

    /// The page `--explain` prints.
    pub fn page(&self) -> String {
        let mut out = format!(
            "# {} {}\n\n**Pack:** {} ({}) · **Default severity:** {} · **Document:** {}\n\n{}\n",
            self.id,
            self.name,
            self.pack,
            self.file,
            self.severity,
            self.document.as_str(),
            self.summary
        );
        if !self.docs.trim().is_empty() {
            out.push('\n');
            out.push_str(self.docs.trim());
            out.push('\n');
        }
        out.push_str("\n## Selector\n\n```\n");
        if let Some(each) = &self.each_text {
            out.push_str(&format!("each   = {each}\n"));
        }
        out.push_str(&format!(
            "select = {}\n{}\n```\n",
            self.select_text,
            self.assertion_text()
        ));
        out
    }

    fn assertion_text(&self) -> String {
        match &self.assertion {
            Assertion::Forbid => "forbid = true".into(),
            Assertion::Require => "require = true".into(),
            Assertion::Equals(v) => format!("equals = {v}"),
            Assertion::In(values) => format!("in = {}", Value::Array(values.clone())),
            Assertion::Matches(re) => format!("matches = {:?}", re.as_str()),
            Assertion::Count { min, max } => {
                let mut parts = Vec::new();
                if let Some(min) = min {
                    parts.push(format!("min = {min}"));
                }
                if let Some(max) = max {
                    parts.push(format!("max = {max}"));
                }
                format!("count = {{ {} }}", parts.join(", "))
            }
        }
    }
}

/// The regex crate's message without its drawing of the pattern: its
/// `error: ...` line.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.lines().last().unwrap_or_default().trim().to_string(),
            str::to_string,
        )
}

fn parse_path(field: &'static str, text: &str) -> Result<Selector, SpecError> {
    if let Some(at) = unclosed_string(text) {
        return Err(SpecError {
            field,
            offset: Some(at),
            message: "not a valid JSONPath (RFC 9535): the string that starts here is not closed"
                .to_string(),
        });
    }
    let path = JsonPath::parse(text).map_err(|e| SpecError {
        field,
        // serde_json_path counts from 1.
        offset: Some(e.position().saturating_sub(1).min(text.len())),
        message: format!("not a valid JSONPath (RFC 9535): {}", e.message()),
    })?;
    Ok(Selector {
        native: path::Path::parse(text).map(Arc::new),
        path,
    })
}

/// Where a string literal that `text` leaves open starts. Such a query is
/// never valid, and `serde_json_path` (0.7) panics on one that ends inside a
/// `\u` escape ("we do not use streaming parsers"), so it is refused first.
/// Quotes and backslashes appear in a query only in its string literals.
fn unclosed_string(text: &str) -> Option<usize> {
    let mut open: Option<(usize, char)> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match open {
            None if c == '\'' || c == '"' => open = Some((i, c)),
            None => {}
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some((_, quote)) if c == quote => open = None,
            Some(_) => {}
        }
    }
    open.map(|(at, _)| at)
}

/// A rule's JSONPath, compiled once. `serde_json_path` checked it; it is
/// evaluated over the rule's [`Doc`] by `path` (see there), or, when it uses
/// what only `serde_json_path` evaluates (function extensions such as
/// `length()` or `match()`, array slices), by `serde_json_path` over a JSON
/// copy of the node it starts from (see [`Doc::to_value`]).
#[derive(Clone, Debug)]
pub struct Selector {
    path: JsonPath,
    native: Option<Arc<path::Path>>,
}

impl Selector {
    /// Whether the selector runs without a JSON copy of the document.
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// The nodes the selector matches with `scope` as `$`, in order.
    pub fn select(&self, doc: &Doc<'_>, scope: Node) -> Vec<Node> {
        let mut out = Vec::new();
        self.select_into(doc, scope, &mut out, &mut path::Buffers::default());
        out
    }

    /// [`select`](Self::select) into `out` (cleared first), reusing `buffers`.
    fn select_into(
        &self,
        doc: &Doc<'_>,
        scope: Node,
        out: &mut Vec<Node>,
        buffers: &mut path::Buffers,
    ) {
        match &self.native {
            Some(native) => native.select_into(doc, scope, out, buffers),
            None => {
                out.clear();
                out.extend(self.select_copy(doc, scope));
            }
        }
    }

    /// [`select`](Self::select) by `serde_json_path`, over a copy of `scope`.
    fn select_copy(&self, doc: &Doc<'_>, scope: Node) -> Vec<Node> {
        let value = doc.to_value(scope);
        let found = self.path.query(&value).all();
        if found.is_empty() {
            return Vec::new();
        }
        let address = |v: &Value| v as *const Value as usize;
        let mut nodes: FxHashMap<usize, Node> = FxHashMap::default();
        doc.pair_with(scope, &value, &mut |v, node| {
            nodes.insert(address(v), node);
        });
        found
            .into_iter()
            .filter_map(|v| nodes.get(&address(v)).copied())
            .collect()
    }
}

/// `ACME001`: one or more capital letters, then one or more digits; not the
/// built-in rules' `PC` namespace.
fn check_id(id: &str) -> Result<(), SpecError> {
    let letters = id.bytes().take_while(u8::is_ascii_uppercase).count();
    let digits = id[letters..].bytes().take_while(u8::is_ascii_digit).count();
    if letters == 0 || digits == 0 || letters + digits != id.len() || id.len() > 16 {
        return Err(SpecError::new(
            "id",
            format!("`{id}` is not a rule id: write capital letters (the pack's namespace), then digits, such as `ACME001`"),
        ));
    }
    if let Some(rule) = crate::rules::find_rule(id) {
        return Err(SpecError::new(
            "id",
            format!(
                "`{id}` is the code of the built-in rule {} ({}): choose an id in your own namespace, such as `ACME001`",
                rule.code, rule.name
            ),
        ));
    }
    if &id[..letters] == "PC" {
        return Err(SpecError::new(
            "id",
            format!("`{id}` is in the `PC` namespace, which the built-in rules use: choose another, such as `ACME001`"),
        ));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), SpecError> {
    let kebab = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !kebab {
        return Err(SpecError::new(
            "name",
            format!("`{name}` is not a kebab-case name, such as `break-glass-role-missing`"),
        ));
    }
    if let Some(rule) = crate::rules::find_rule(name) {
        return Err(SpecError::new(
            "name",
            format!("`{name}` is the name of the built-in rule {}", rule.code),
        ));
    }
    Ok(())
}

/// Interns a rule's id or name: findings carry `&'static str` codes. Each
/// distinct string is kept once for the life of the process, however often
/// its pack is loaded again.
pub fn intern(text: &str) -> &'static str {
    static TABLE: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut table = TABLE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&found) = table.get(text) {
        return found;
    }
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    table.insert(leaked);
    leaked
}

/// The user rules a file is checked with.
#[derive(Clone, Debug, Default)]
pub struct UserRules {
    rules: Vec<Arc<UserRule>>,
    /// What of the facts the rules over `facts` can reach.
    needs: crate::facts::Needs,
}

impl UserRules {
    pub fn new(rules: Vec<Arc<UserRule>>) -> UserRules {
        let needs = crate::facts::Needs::of(
            rules
                .iter()
                .filter(|r| r.document == Target::Facts)
                .flat_map(|r| {
                    [
                        Some(r.select_text.as_str()),
                        r.each_text.as_deref(),
                        Some(r.message_text.as_str()),
                    ]
                })
                .flatten(),
        );
        UserRules { rules, needs }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<UserRule>> {
        self.rules.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rule with this id (any case) or name.
    pub fn find(&self, id_or_name: &str) -> Option<&Arc<UserRule>> {
        self.rules
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name == id_or_name)
    }
}

/// A message with `{placeholders}`.
#[derive(Clone, Debug)]
struct Template(Vec<Piece>);

#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    /// `{value}`, or `{value.a.b}`: the matched value or a member of it.
    Value(Vec<String>),
    /// `{count}`: how many nodes matched.
    Count,
    /// `{statement}`: `statement "Sid"` or `statement #2`.
    Statement,
    /// `{sid}`: the statement's Sid (empty without one).
    Sid,
    /// `{id}`, `{name}`: the rule's.
    Id,
    Name,
}

/// The placeholders a message may use.
pub const PLACEHOLDERS: [&str; 6] = ["value", "count", "statement", "sid", "id", "name"];

impl Template {
    /// Parses a message; an unknown placeholder or a lone brace is an error
    /// at its byte offset.
    fn parse(text: &str) -> Result<Template, (usize, String)> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &text[at + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err((
                            at,
                            "`{` opens no placeholder: write `{{` for a brace".into(),
                        ));
                    };
                    let name = rest[..end].trim();
                    let piece = match name {
                        "count" => Piece::Count,
                        "statement" => Piece::Statement,
                        "sid" => Piece::Sid,
                        "id" => Piece::Id,
                        "name" => Piece::Name,
                        _ if name == "value" || name.starts_with("value.") => {
                            Piece::Value(name.split('.').skip(1).map(str::to_string).collect())
                        }
                        _ => {
                            return Err((
                                at,
                                format!(
                                    "unknown placeholder `{{{name}}}`: use {}",
                                    PLACEHOLDERS
                                        .iter()
                                        .map(|p| format!("`{{{p}}}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ))
                        }
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                    for _ in 0..rest[..=end].chars().count() {
                        chars.next();
                    }
                }
                '}' => {
                    return Err((
                        at,
                        "`}` closes no placeholder: write `}}` for a brace".into(),
                    ))
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template(pieces))
    }

    /// The member paths of the `{value.a.b}` placeholders: `a.b c`.
    fn value_paths(&self) -> String {
        self.0
            .iter()
            .filter_map(|p| match p {
                Piece::Value(path) => Some(path.join(".")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn render(&self, rule: &UserRule, found: &Found<'_, '_>, ctx: &Context<'_>) -> String {
        let mut out = String::new();
        let statement = || {
            ctx.policy.statements.iter().find(|s| {
                s.range.start <= found.origin.range.start && found.origin.range.end <= s.range.end
            })
        };
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(path) => {
                    let doc = found.doc;
                    let node = path
                        .iter()
                        .try_fold(found.node, |n, key| doc.get(n, key.as_str()));
                    out.push_str(&node.map_or_else(String::new, |n| show(doc, n)));
                }
                Piece::Count => out.push_str(&found.count.to_string()),
                Piece::Statement => out
                    .push_str(&statement().map_or_else(|| "the policy".to_string(), |s| s.label())),
                Piece::Sid => out.push_str(statement().and_then(|s| s.sid).map_or("", |t| t.value)),
                Piece::Id => out.push_str(rule.id),
                Piece::Name => out.push_str(rule.name),
            }
        }
        out
    }
}

/// A value for a message: strings as they are, an array of scalars as a
/// list (`kms:Decrypt, kms:Encrypt`), the rest as compact JSON.
fn show(doc: &Doc<'_>, node: Node) -> String {
    match doc.kind(node) {
        Kind::String(s) => s.to_string(),
        Kind::Array { .. } | Kind::Actions(_)
            if doc.children(node).all(|(_, item)| !doc.is_container(item)) =>
        {
            doc.children(node)
                .map(|(_, item)| show(doc, item))
                .collect::<Vec<_>>()
                .join(", ")
        }
        _ => doc.to_json(node),
    }
}

/// The lists of nodes the rules of a policy select, kept from one rule to
/// the next.
#[derive(Default)]
struct Buffers {
    each: Vec<Node>,
    matches: Vec<Node>,
    path: path::Buffers,
}

/// What a finding is about.
struct Found<'d, 't> {
    doc: &'d Doc<'t>,
    node: Node,
    origin: Origin,
    count: usize,
}

/// Runs the enabled user rules over the policy in `ctx`, each keeping what
/// is left of the document's `room` for findings (and at most
/// [`crate::rules::MAX_FINDINGS_PER_RULE`]) and counting the rest in one
/// summary, as the built-in rules do. Returns how many findings it kept.
pub(crate) fn check(
    ctx: &Context<'_>,
    rules: &UserRules,
    selection: &RuleSelection,
    room: usize,
    out: &mut Vec<Diagnostic>,
) -> usize {
    if !ctx.policy.is_policy() {
        return 0;
    }
    let policy: OnceCell<Doc> = OnceCell::new();
    let facts: OnceCell<Doc> = OnceCell::new();
    let mut kept = 0;
    let mut seen: FxHashSet<TextRange> = FxHashSet::default();
    let mut buffers = Buffers::default();
    for rule in rules.iter() {
        if selection.disabled.contains(&rule.id) {
            continue;
        }
        let document = match rule.document {
            Target::Policy => policy.get_or_init(|| Doc::policy(ctx.tree, ctx.policy.root)),
            Target::Facts => facts.get_or_init(|| crate::facts::facts(ctx, rules.needs)),
        };
        let severity = selection
            .severity
            .get(rule.id)
            .copied()
            .unwrap_or(rule.severity);
        let mut emitter = Emitter::for_user_rule(rule.id, rule.name, severity, room - kept);
        seen.clear();
        run(
            ctx,
            rule,
            document,
            severity,
            &mut emitter,
            &mut seen,
            &mut buffers,
        );
        kept += emitter.kept();
        out.extend(emitter.into_diagnostics());
    }
    kept
}

fn run(
    ctx: &Context<'_>,
    rule: &UserRule,
    doc: &Doc<'_>,
    severity: Severity,
    emitter: &mut Emitter<'_>,
    seen: &mut FxHashSet<TextRange>,
    buffers: &mut Buffers,
) {
    let Buffers {
        each,
        matches,
        path,
    } = buffers;
    let scopes: &[Node] = match &rule.each {
        Some(selector) => {
            selector.select_into(doc, Doc::ROOT, each, path);
            each
        }
        None => &[Doc::ROOT],
    };
    for &scope in scopes {
        rule.select.select_into(doc, scope, matches, path);
        let matches = &*matches;
        let count = matches.len();
        let mut emit = |node: Node| {
            let origin = doc.origin(node);
            // A node reached twice (`$..`), or two facts from one place,
            // are one finding.
            if !seen.insert(origin.range) {
                return;
            }
            if emitter.is_full() {
                emitter.omit(origin.range);
                return;
            }
            let found = Found {
                doc,
                node,
                origin,
                count,
            };
            emitter.push(finding(ctx, rule, &found, severity));
        };
        match &rule.assertion {
            Assertion::Forbid => matches.iter().for_each(|&m| emit(m)),
            Assertion::Require => {
                if matches.is_empty() {
                    emit(scope);
                }
            }
            Assertion::Equals(expected) => matches
                .iter()
                .filter(|&&m| !doc.equals(m, expected))
                .for_each(|&m| emit(m)),
            Assertion::In(allowed) => matches
                .iter()
                .filter(|&&m| !allowed.iter().any(|v| doc.equals(m, v)))
                .for_each(|&m| emit(m)),
            Assertion::Matches(re) => matches
                .iter()
                .filter(|&&m| !doc.as_str(m).is_some_and(|s| re.is_match(s)))
                .for_each(|&m| emit(m)),
            Assertion::Count { min, max } => {
                if min.is_some_and(|min| count < min) {
                    emit(scope);
                } else if let Some(&extra) = max.and_then(|max| matches.get(max)) {
                    emit(extra);
                }
            }
        }
    }
}

fn finding(
    ctx: &Context<'_>,
    rule: &UserRule,
    found: &Found<'_, '_>,
    severity: Severity,
) -> Diagnostic {
    Diagnostic {
        code: rule.id,
        name: rule.name,
        severity,
        message: rule.message.render(rule, found, ctx),
        range: found.origin.range,
        file: None,
        pointer: found.origin.node.map(|n| ctx.tree.pointer(n)),
        statement: None,
        related: Vec::new(),
        help: rule.help.clone(),
        fix: None,
        tags: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
