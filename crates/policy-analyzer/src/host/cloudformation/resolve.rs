//! Intrinsic functions become values: what the template settles (parameter
//! defaults, mappings, `Fn::Sub`, `Fn::Join`...) becomes text that keeps
//! where each piece was written; what only deployment settles becomes a
//! symbol (`crate::symbolic`): the deploying account and Region, or an
//! unknown value named after what it stands for.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::template::{Id, Kind, ScalarKind, Template, FUNCTIONS};
use crate::diagnostic::Diagnostic;
use crate::host::{report, HostString, Location, Piece, PieceOrigin};
use crate::rules::templates::{invalid_intrinsic, reference_cycle, unresolved_reference};
use crate::symbolic::{Symbol, SymbolTable};
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// Past this depth of nested values or functions, a value is unknown: no
/// input may overflow the stack.
const MAX_DEPTH: usize = 200;
/// Past this many values rendered for one policy (an alias bomb, a huge
/// mapping) the policy is not checked: a key policy of at most 32 KB holds
/// a few thousand.
const MAX_VALUES: usize = 50_000;

/// A resolved value.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Str {
        s: HostString,
        at: Location,
        /// Written as a literal scalar: a fix may replace it whole.
        literal: bool,
    },
    /// A boolean, number or null, as JSON text.
    Scalar {
        json: String,
        at: Location,
        literal: bool,
    },
    List {
        items: Vec<Val>,
        at: Location,
    },
    Map {
        entries: Vec<MapEntry>,
        at: Location,
    },
    /// `AWS::NoValue`: the element is left out.
    NoValue,
}

#[derive(Clone, Debug)]
pub(crate) struct MapEntry {
    pub key: HostString,
    pub key_at: Location,
    pub key_literal: bool,
    pub value: Val,
}

impl Val {
    pub fn location(&self) -> Option<&Location> {
        match self {
            Val::Str { at, .. }
            | Val::Scalar { at, .. }
            | Val::List { at, .. }
            | Val::Map { at, .. } => Some(at),
            Val::NoValue => None,
        }
    }

    /// The value as a string, as CloudFormation passes scalars to resources.
    pub fn as_host_string(&self) -> Option<HostString> {
        match self {
            Val::Str { s, .. } => Some(s.clone()),
            Val::Scalar { json, at, .. } => Some(HostString::whole(
                if json == "null" {
                    String::new()
                } else {
                    json.clone()
                },
                at.clone(),
            )),
            _ => None,
        }
    }
}

/// A resource of the template.
#[derive(Clone, Debug)]
pub(crate) struct Resource {
    pub id: Id,
    pub name_range: TextRange,
    pub resource_type: String,
    pub properties: Option<Id>,
}

/// The template's declarations by name.
#[derive(Debug, Default)]
pub(crate) struct Index<'t> {
    pub parameters: FxHashMap<&'t str, Id>,
    /// Parameters a condition tests: their value selects branches, so it is
    /// unknown, not their default.
    pub tested: FxHashSet<String>,
    pub mappings: Option<Id>,
    pub conditions: FxHashMap<&'t str, Id>,
    /// Where each condition is declared (its name in `Conditions`).
    pub condition_keys: FxHashMap<&'t str, TextRange>,
    pub resources: FxHashMap<&'t str, Resource>,
    /// Resource names in template order.
    pub order: Vec<&'t str>,
}

impl<'t> Index<'t> {
    pub fn new(t: &'t Template, root: Id) -> Index<'t> {
        let mut index = Index::default();
        let section = |name: &str| t.get(root, name);
        if let Some(p) = section("Parameters") {
            for e in t.entries(p) {
                index.parameters.insert(&e.key, e.value);
            }
        }
        index.mappings = section("Mappings");
        if let Some(c) = section("Conditions") {
            for e in t.entries(c) {
                index.conditions.insert(&e.key, e.value);
                index.condition_keys.insert(&e.key, e.key_range);
                collect_refs(t, e.value, &mut index.tested, 0);
            }
        }
        if let Some(r) = section("Resources") {
            for e in t.entries(r) {
                let resource_type = t
                    .get(e.value, "Type")
                    .and_then(|ty| t.str(ty))
                    .unwrap_or_default()
                    .to_string();
                index.order.push(&e.key);
                index.resources.insert(
                    &e.key,
                    Resource {
                        id: e.value,
                        name_range: e.key_range,
                        resource_type,
                        properties: t.get(e.value, "Properties"),
                    },
                );
            }
        }
        index
    }
}

/// The names a node `Ref`s (for the parameters conditions test).
fn collect_refs(t: &Template, id: Id, out: &mut FxHashSet<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match t.kind(id) {
        Kind::Map(entries) => {
            for e in entries {
                if e.key == "Ref" {
                    if let Some(name) = t.str(e.value) {
                        out.insert(name.to_string());
                    }
                }
                collect_refs(t, e.value, out, depth + 1);
            }
        }
        Kind::Seq(items) => {
            for &i in items {
                collect_refs(t, i, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The conditions the `Fn::If`s under `id` name, in first-seen order.
pub(crate) fn conditions_used(t: &Template, id: Id) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack = vec![(id, 0usize)];
    let mut seen = FxHashSet::default();
    while let Some((id, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !seen.insert(id) {
            continue;
        }
        match t.kind(id) {
            Kind::Map(entries) => {
                for e in entries.iter().rev() {
                    if e.key == "Fn::If" {
                        if let Some(&first) = t.items(e.value).first() {
                            if let Some(name) = t.str(first) {
                                if !out.iter().any(|n| n == name) {
                                    out.push(name.to_string());
                                }
                            }
                        }
                    }
                    stack.push((e.value, depth + 1));
                }
            }
            Kind::Seq(items) => stack.extend(items.iter().rev().map(|&i| (i, depth + 1))),
            _ => {}
        }
    }
    out
}

/// What the template's findings go to, once each.
#[derive(Default)]
pub(crate) struct Problems {
    pub diagnostics: Vec<Diagnostic>,
    seen: FxHashSet<(&'static str, u32, u32)>,
}

impl Problems {
    pub fn push(&mut self, d: Option<Diagnostic>) {
        if let Some(d) = d {
            if self.seen.insert((d.code, d.range.start, d.range.end)) {
                self.diagnostics.push(d);
            }
        }
    }
}

/// Resolves values of one template under one choice of its conditions.
pub(crate) struct Resolver<'a, 't> {
    pub t: &'t Template,
    pub index: &'a Index<'t>,
    pub file: &'a Arc<str>,
    pub options: &'a AnalyzeOptions,
    /// Conditions fixed for this variant.
    pub assignment: &'a [(String, bool)],
    pub symbols: &'a mut SymbolTable,
    pub problems: &'a mut Problems,
    /// The branches of `Fn::If` the variant's conditions chose, with their labels.
    pub branches: Vec<(Location, String)>,
    values: usize,
    /// More than [`MAX_VALUES`] values were asked for: what was resolved is
    /// incomplete.
    pub exhausted: bool,
}

impl<'a, 't> Resolver<'a, 't> {
    pub fn new(
        t: &'t Template,
        index: &'a Index<'t>,
        file: &'a Arc<str>,
        options: &'a AnalyzeOptions,
        assignment: &'a [(String, bool)],
        symbols: &'a mut SymbolTable,
        problems: &'a mut Problems,
    ) -> Self {
        Resolver {
            t,
            index,
            file,
            options,
            assignment,
            symbols,
            problems,
            branches: Vec::new(),
            values: 0,
            exhausted: false,
        }
    }

    fn at(&self, range: TextRange) -> Location {
        Location {
            file: self.file.clone(),
            range,
        }
    }

    fn node_at(&self, id: Id) -> Location {
        self.at(self.t.node(id).range)
    }

    /// An unknown value standing for `what`, shown as `spelling`.
    fn unknown(&mut self, what: &str, spelling: &str, at: &Location) -> HostString {
        let text = self.symbols.intern(Symbol::unknown(what), spelling);
        HostString::whole(text, at.clone())
    }

    fn symbol(&mut self, symbol: Symbol, spelling: &str, at: &Location) -> HostString {
        let text = self.symbols.intern(symbol, spelling);
        HostString::whole(text, at.clone())
    }

    fn string(&self, s: HostString, at: Location) -> Val {
        Val::Str {
            s,
            at,
            literal: false,
        }
    }

    /// The value of a node.
    pub fn value(&mut self, id: Id, depth: usize) -> Val {
        self.values += 1;
        let at = self.node_at(id);
        if self.values > MAX_VALUES {
            self.exhausted = true;
            return Val::NoValue;
        }
        if depth > MAX_DEPTH {
            self.problems.push(report(
                &invalid_intrinsic::RULE,
                self.options,
                &at,
                "the value is nested too deeply to be read; policy-check treats it as unknown",
            ));
            let s = self.unknown("too-deep", "(value nested too deeply)", &at);
            return self.string(s, at);
        }
        if let Some((entry, arg)) = self.t.call(id) {
            let name = entry.key.clone();
            let call_at = self.at(entry.key_range);
            return self.call(&name, arg, &at, &call_at, depth);
        }
        match self.t.kind(id) {
            Kind::Scalar(scalar) => match scalar.kind {
                ScalarKind::String => Val::Str {
                    s: self.scalar_string(id),
                    at,
                    literal: scalar.literal,
                },
                ScalarKind::Null => Val::Scalar {
                    json: "null".into(),
                    at,
                    literal: scalar.literal,
                },
                ScalarKind::Bool => Val::Scalar {
                    json: scalar.value.to_ascii_lowercase(),
                    at,
                    literal: scalar.literal,
                },
                ScalarKind::Number => Val::Scalar {
                    json: scalar.value.clone(),
                    at,
                    literal: scalar.literal,
                },
            },
            Kind::Seq(items) => {
                let items = items.clone();
                let items = items
                    .into_iter()
                    .map(|i| self.value(i, depth + 1))
                    .filter(|v| !matches!(v, Val::NoValue))
                    .collect();
                Val::List { items, at }
            }
            Kind::Map(entries) => {
                let entries = entries.clone();
                let mut out = Vec::with_capacity(entries.len());
                for (i, e) in entries.iter().enumerate() {
                    // A key written twice (reported with the template): the
                    // last value stands.
                    if entries[i + 1..].iter().any(|later| later.key == e.key) {
                        continue;
                    }
                    let e = e.clone();
                    let value = self.value(e.value, depth + 1);
                    if matches!(value, Val::NoValue) {
                        continue;
                    }
                    let key_at = self.at(e.key_range);
                    let key = match e.key_exact {
                        Some((range, quoting)) => {
                            HostString::exact(e.key.clone(), self.at(range), quoting)
                        }
                        None => HostString::whole(e.key.clone(), key_at.clone()),
                    };
                    out.push(MapEntry {
                        key,
                        key_at,
                        key_literal: true,
                        value,
                    });
                }
                Val::Map { entries: out, at }
            }
            Kind::Invalid => {
                let s = HostString::whole("", at.clone());
                self.string(s, at)
            }
        }
    }

    /// A string scalar with its exact runs.
    pub fn scalar_string(&self, id: Id) -> HostString {
        let node = self.t.node(id);
        let Some(scalar) = self.t.scalar(id) else {
            return HostString::whole("", self.at(node.range));
        };
        let whole = self.at(node.range);
        let mut s = HostString::default();
        let mut at = 0usize;
        for &(offset, range) in &scalar.runs {
            let offset = offset as usize;
            if offset > at {
                s.push(Piece {
                    text: scalar.value[at..offset].to_string(),
                    origin: PieceOrigin::Whole(whole.clone()),
                });
            }
            let end = offset + range.len();
            s.push(Piece {
                text: scalar.value[offset..end].to_string(),
                origin: PieceOrigin::Exact {
                    at: self.at(range),
                    quoting: scalar.quoting,
                },
            });
            at = end;
        }
        if at < scalar.value.len() || scalar.value.is_empty() {
            s.push(Piece {
                text: scalar.value[at..].to_string(),
                origin: PieceOrigin::Whole(whole),
            });
        }
        s
    }

    /// The value a node gives as a string, or `None` (with a finding) when
    /// it is a list or map.
    fn string_of(&mut self, id: Id, depth: usize, what: &str) -> Option<HostString> {
        let v = self.value(id, depth + 1);
        match v.as_host_string() {
            Some(s) => Some(s),
            None => {
                let at = self.node_at(id);
                self.problems.push(report(
                    &invalid_intrinsic::RULE,
                    self.options,
                    &at,
                    format!("{what} must be a string here, not a list or map; CloudFormation rejects the template"),
                ));
                None
            }
        }
    }

    fn call(
        &mut self,
        name: &str,
        arg: Id,
        at: &Location,
        call_at: &Location,
        depth: usize,
    ) -> Val {
        match name {
            "Ref" => {
                let Some(target) = self.t.str(arg).map(str::to_string) else {
                    return self.bad(call_at, "Ref takes the name of a parameter, resource or pseudo parameter");
                };
                self.reference(&target, at, depth)
            }
            "Fn::GetAtt" => {
                let parts: Option<(String, String)> = match self.t.kind(arg) {
                    Kind::Scalar(s) => s
                        .value
                        .split_once('.')
                        .map(|(a, b)| (a.to_string(), b.to_string())),
                    Kind::Seq(items) if items.len() == 2 => {
                        let name = self.t.str(items[0]).map(str::to_string);
                        let attr = self.value(items[1], depth + 1).as_host_string().map(|s| s.text());
                        name.zip(attr)
                    }
                    _ => None,
                };
                let Some((resource, attribute)) = parts else {
                    return self.bad(call_at, "Fn::GetAtt takes a resource and an attribute: `!GetAtt Resource.Attribute`");
                };
                let s = self.attribute(&resource, &attribute, at);
                self.string(s, at.clone())
            }
            "Fn::Sub" => self.sub(arg, at, call_at, depth),
            "Fn::Join" => self.join(arg, at, call_at, depth),
            "Fn::Select" => self.select(arg, call_at, depth),
            "Fn::Split" => self.split(arg, at, call_at, depth),
            "Fn::FindInMap" => self.find_in_map(arg, at, call_at, depth),
            "Fn::If" => {
                let items = self.t.items(arg).to_vec();
                let [cond, yes, no] = items.as_slice() else {
                    return self.bad(call_at, "Fn::If takes a condition name and two values: `!If [Condition, value-if-true, value-if-false]`");
                };
                let Some(cond) = self.t.str(*cond).map(str::to_string) else {
                    return self.bad(call_at, "the first argument of Fn::If is the name of a condition");
                };
                let chosen = self.condition(&cond, call_at, &mut Vec::new());
                if let Some(value) = chosen {
                    if self.assignment.iter().any(|(c, _)| *c == cond) {
                        let branch = if value { *yes } else { *no };
                        let at = self.node_at(branch);
                        self.branches.push((at, format!("`{cond}` is {value}")));
                    }
                }
                match chosen {
                    Some(true) => self.value(*yes, depth + 1),
                    Some(false) => self.value(*no, depth + 1),
                    // Not chosen by the variant: the analysis reads the first.
                    None => self.value(*yes, depth + 1),
                }
            }
            "Fn::ImportValue" => {
                let name = self
                    .value(arg, depth + 1)
                    .as_host_string()
                    .map(|s| s.text())
                    .unwrap_or_default();
                let shown = crate::symbolic::SymbolTable::default().display(&name).into_owned();
                let s = self.unknown(&format!("ImportValue.{name}"), &format!("!ImportValue {shown}"), at);
                self.string(s, at.clone())
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => self.bad(
                call_at,
                &format!("{name} is a condition function: it belongs in the template's Conditions or the first argument of Fn::If, not in a value"),
            ),
            // Values no template can settle: a list of zones, a CIDR block,
            // Base64 text, the length of a list, a JSON string, a transform.
            _ if FUNCTIONS.contains(&name) => {
                let s = self.unknown(
                    &format!("{name}@{}", at.range.start),
                    &format!("({name} ...)"),
                    at,
                );
                self.string(s, at.clone())
            }
            // An unknown function, reported where the template is scanned.
            _ => {
                let s = self.unknown(&format!("{name}@{}", at.range.start), name, at);
                self.string(s, at.clone())
            }
        }
    }

    fn bad(&mut self, at: &Location, message: &str) -> Val {
        self.problems.push(
            report(&invalid_intrinsic::RULE, self.options, at, message)
                .map(|d| d.with_help("see the function's page in the CloudFormation User Guide")),
        );
        let s = self.unknown(
            &format!("invalid@{}", at.range.start),
            "(invalid function)",
            at,
        );
        self.string(s, at.clone())
    }

    /// The value of `Ref name`.
    fn reference(&mut self, name: &str, at: &Location, depth: usize) -> Val {
        if name == "AWS::NoValue" {
            return Val::NoValue;
        }
        if let Some(s) = self.pseudo(name, at) {
            return self.string(s, at.clone());
        }
        if let Some(&param) = self.index.parameters.get(name) {
            let default = self.t.get(param, "Default");
            let list = self
                .t
                .get(param, "Type")
                .and_then(|ty| self.t.str(ty))
                .is_some_and(|ty| ty == "CommaDelimitedList" || ty.starts_with("List<"));
            return match default {
                Some(default) if !self.index.tested.contains(name) => {
                    let value = self.value(default, depth + 1);
                    // The value stands at the Ref, where the policy uses it.
                    match value.as_host_string() {
                        Some(s) if list => {
                            let text = s.text();
                            let items = text
                                .split(',')
                                .map(|item| Val::Str {
                                    s: HostString::whole(item.trim(), at.clone()),
                                    at: at.clone(),
                                    literal: false,
                                })
                                .collect();
                            Val::List {
                                items,
                                at: at.clone(),
                            }
                        }
                        Some(s) => self.string(HostString::whole(s.text(), at.clone()), at.clone()),
                        None => value,
                    }
                }
                _ => {
                    let s = self.unknown(name, &format!("${{{name}}}"), at);
                    self.string(s, at.clone())
                }
            };
        }
        if self.index.resources.contains_key(name) {
            let s = self.resource_ref(name, at);
            return self.string(s, at.clone());
        }
        self.unresolved(name, at, "parameter, resource or pseudo parameter")
    }

    fn unresolved(&mut self, name: &str, at: &Location, kind: &str) -> Val {
        let d = report(
            &unresolved_reference::RULE,
            self.options,
            at,
            format!("`{name}` names no {kind} of the template: CloudFormation rejects the template, and policy-check treats the value as unknown"),
        )
        .map(|d| d.with_help(format!("declare `{name}` in the template, or correct the name")));
        self.problems.push(d);
        let s = self.unknown(name, &format!("${{{name}}}"), at);
        self.string(s, at.clone())
    }

    fn pseudo(&mut self, name: &str, at: &Location) -> Option<HostString> {
        Some(match name {
            "AWS::AccountId" => self.symbol(Symbol::Account, "${AWS::AccountId}", at),
            "AWS::Region" => self.symbol(Symbol::Region, "${AWS::Region}", at),
            // The standard partition: a template deployed to aws-cn or
            // aws-us-gov differs only in the names this gives.
            "AWS::Partition" => HostString::whole("aws", at.clone()),
            "AWS::URLSuffix" => HostString::whole("amazonaws.com", at.clone()),
            "AWS::StackName" | "AWS::StackId" | "AWS::NotificationARNs" => {
                self.unknown(name, &format!("${{{name}}}"), at)
            }
            _ => return None,
        })
    }

    /// A literal property of a resource, when it is one.
    fn literal_property(&self, resource: &str, property: &str) -> Option<String> {
        let r = self.index.resources.get(resource)?;
        let value = self.t.get(r.properties?, property)?;
        let s = self.t.scalar(value)?;
        (s.kind == ScalarKind::String && s.literal).then(|| s.value.clone())
    }

    /// A resource's name: its literal name property, else unknown.
    fn resource_name(&mut self, resource: &str, property: &str, at: &Location) -> HostString {
        match self.literal_property(resource, property) {
            Some(name) => HostString::whole(name, at.clone()),
            None => self.unknown(resource, &format!("${{{resource}}}"), at),
        }
    }

    /// What `Ref` of a resource gives.
    pub fn resource_ref(&mut self, name: &str, at: &Location) -> HostString {
        let resource_type = self.index.resources[name].resource_type.clone();
        match resource_type.as_str() {
            "AWS::IAM::Role" => self.resource_name(name, "RoleName", at),
            "AWS::IAM::User" => self.resource_name(name, "UserName", at),
            "AWS::S3::Bucket" => self.resource_name(name, "BucketName", at),
            "AWS::SNS::Topic" => self.arn_of(name, "TopicArn", at),
            "AWS::SQS::Queue" => self.arn_of(name, "QueueUrl", at),
            "AWS::KMS::Alias" => self.resource_name(name, "AliasName", at),
            _ => self.unknown(name, &format!("${{{name}}}"), at),
        }
    }

    fn arn_of(&mut self, name: &str, attribute: &str, at: &Location) -> HostString {
        self.attribute(name, attribute, at)
    }

    /// What `Fn::GetAtt resource.attribute` gives: an ARN built from what the
    /// template says, where the type's ARN form is known.
    pub fn attribute(&mut self, resource: &str, attribute: &str, at: &Location) -> HostString {
        if let Some(s) = self.pseudo(resource, at) {
            return s;
        }
        let Some(r) = self.index.resources.get(resource) else {
            return match self.unresolved(resource, at, "resource") {
                Val::Str { s, .. } => s,
                _ => HostString::default(),
            };
        };
        let resource_type = r.resource_type.clone();
        let account = |me: &mut Self| me.symbol(Symbol::Account, "${AWS::AccountId}", at);
        let region = |me: &mut Self| me.symbol(Symbol::Region, "${AWS::Region}", at);
        let lit = |text: &str| HostString::whole(text, at.clone());
        let mut out = HostString::default();
        if matches!(
            resource_type.as_str(),
            "AWS::KMS::Key" | "AWS::KMS::ReplicaKey"
        ) && attribute == "KeyId"
        {
            // The key id, as `Ref` gives it.
            return self.unknown(resource, &format!("${{{resource}}}"), at);
        }
        let arn = matches!(attribute, "Arn" | "TopicArn");
        match (resource_type.as_str(), arn) {
            ("AWS::IAM::Role" | "AWS::IAM::User", true) => {
                let (kind, property) = if resource_type == "AWS::IAM::Role" {
                    ("role", "RoleName")
                } else {
                    ("user", "UserName")
                };
                let path = self
                    .literal_property(resource, "Path")
                    .unwrap_or_else(|| "/".to_string());
                out.append(lit("arn:aws:iam::"));
                out.append(account(self));
                out.append(lit(&format!(":{kind}{path}")));
                out.append(self.resource_name(resource, property, at));
            }
            ("AWS::S3::Bucket", true) => {
                out.append(lit("arn:aws:s3:::"));
                out.append(self.resource_name(resource, "BucketName", at));
            }
            ("AWS::SNS::Topic", true) | ("AWS::SQS::Queue", true) => {
                let (service, property) = if resource_type == "AWS::SNS::Topic" {
                    ("sns", "TopicName")
                } else {
                    ("sqs", "QueueName")
                };
                out.append(lit(&format!("arn:aws:{service}:")));
                out.append(region(self));
                out.append(lit(":"));
                out.append(account(self));
                out.append(lit(":"));
                out.append(self.resource_name(resource, property, at));
            }
            ("AWS::KMS::Key" | "AWS::KMS::ReplicaKey", true) => {
                out.append(lit("arn:aws:kms:"));
                out.append(region(self));
                out.append(lit(":"));
                out.append(account(self));
                out.append(lit(":key/"));
                out.append(self.unknown(resource, &format!("${{{resource}}}"), at));
            }
            _ => {
                let what = format!("{resource}.{attribute}");
                return self.unknown(&what, &format!("${{{what}}}"), at);
            }
        }
        out
    }

    fn sub(&mut self, arg: Id, at: &Location, call_at: &Location, depth: usize) -> Val {
        let (template, vars) = match self.t.kind(arg) {
            Kind::Seq(items) if items.len() == 2 => (items[0], Some(items[1])),
            Kind::Seq(_) => {
                return self.bad(
                    call_at,
                    "Fn::Sub takes a string, or a list of a string and a map of variables",
                )
            }
            _ => (arg, None),
        };
        if self.t.scalar(template).is_none() {
            return self.bad(call_at, "the first argument of Fn::Sub is a string");
        }
        if let Some(vars) = vars {
            if !matches!(self.t.kind(vars), Kind::Map(_)) {
                return self.bad(
                    call_at,
                    "the variables of Fn::Sub are a map of names to values",
                );
            }
        }
        let source = self.scalar_string(template);
        let text = source.text();
        let mut out = HostString::default();
        let mut last = 0;
        let mut rest = 0;
        while let Some(open) = text[rest..].find("${") {
            let open = rest + open;
            let Some(close) = text[open..].find('}') else {
                break;
            };
            let close = open + close;
            let name = &text[open + 2..close];
            rest = close + 1;
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Literal}` writes `${Literal}`.
                out.append(source.slice(last..open));
                out.push(Piece {
                    text: format!("${{{literal}}}"),
                    origin: PieceOrigin::Whole(
                        source.location_of(open..rest).unwrap_or(at.clone()),
                    ),
                });
                last = rest;
                continue;
            }
            out.append(source.slice(last..open));
            let here = source.location_of(open..rest).unwrap_or_else(|| at.clone());
            let name = name.trim();
            let value = match vars.and_then(|v| self.t.get(v, name)) {
                Some(var) => self
                    .value(var, depth + 1)
                    .as_host_string()
                    .map(|s| HostString::whole(s.text(), here.clone())),
                None => match name.split_once('.') {
                    Some((resource, attribute)) if !name.starts_with("AWS::") => {
                        Some(self.attribute(resource, attribute, &here))
                    }
                    _ => self.reference(name, &here, depth + 1).as_host_string(),
                },
            };
            out.append(value.unwrap_or_default());
            last = rest;
        }
        out.append(source.slice(last..text.len()));
        self.string(out, at.clone())
    }

    /// The items of a list argument, flattening lists that functions give.
    fn list(&mut self, id: Id, depth: usize) -> Option<Vec<Val>> {
        match self.value(id, depth + 1) {
            Val::List { items, .. } => Some(items),
            _ => None,
        }
    }

    fn join(&mut self, arg: Id, at: &Location, call_at: &Location, depth: usize) -> Val {
        let items = self.t.items(arg).to_vec();
        let [delimiter, list] = items.as_slice() else {
            return self.bad(
                call_at,
                "Fn::Join takes a delimiter and a list: `!Join [\":\", [a, b]]`",
            );
        };
        let Some(delimiter) = self.string_of(*delimiter, depth, "the delimiter of Fn::Join") else {
            return self.bad(call_at, "the delimiter of Fn::Join is a string");
        };
        let Some(values) = self.list(*list, depth) else {
            return self.bad(call_at, "the second argument of Fn::Join is a list");
        };
        let mut out = HostString::default();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.append(delimiter.clone());
            }
            match v.as_host_string() {
                Some(s) => out.append(s),
                None => return self.bad(call_at, "Fn::Join joins strings, not lists or maps"),
            }
        }
        self.string(out, at.clone())
    }

    fn select(&mut self, arg: Id, call_at: &Location, depth: usize) -> Val {
        let items = self.t.items(arg).to_vec();
        let [index, list] = items.as_slice() else {
            return self.bad(
                call_at,
                "Fn::Select takes an index and a list: `!Select [0, [a, b]]`",
            );
        };
        let index = self
            .value(*index, depth + 1)
            .as_host_string()
            .and_then(|s| s.text().trim().parse::<usize>().ok());
        let Some(index) = index else {
            return self.bad(call_at, "the index of Fn::Select is a number");
        };
        let Some(values) = self.list(*list, depth) else {
            return self.bad(call_at, "the second argument of Fn::Select is a list");
        };
        match values.into_iter().nth(index) {
            Some(v) => v,
            None => self.bad(
                call_at,
                &format!("Fn::Select asks for item {index} of a shorter list"),
            ),
        }
    }

    fn split(&mut self, arg: Id, at: &Location, call_at: &Location, depth: usize) -> Val {
        let items = self.t.items(arg).to_vec();
        let [delimiter, source] = items.as_slice() else {
            return self.bad(
                call_at,
                "Fn::Split takes a delimiter and a string: `!Split [\",\", \"a,b\"]`",
            );
        };
        let delimiter = self
            .string_of(*delimiter, depth, "the delimiter of Fn::Split")
            .map(|d| d.text());
        let source = self.string_of(*source, depth, "the string of Fn::Split");
        let (Some(delimiter), Some(source)) = (delimiter, source) else {
            return self.bad(call_at, "Fn::Split splits a string by a string");
        };
        if delimiter.is_empty() {
            return self.bad(call_at, "the delimiter of Fn::Split is empty");
        }
        let text = source.text();
        // A delimiter inside a symbol cannot be split on: what it stands for is unknown.
        let symbol_spans: Vec<std::ops::Range<usize>> =
            crate::symbolic::symbols(&text).map(|(r, _)| r).collect();
        let mut pieces = Vec::new();
        let mut last = 0;
        for (at, _) in text.match_indices(delimiter.as_str()) {
            if symbol_spans.iter().any(|r| r.contains(&at)) {
                let s = self.unknown(
                    &format!("split@{}", call_at.range.start),
                    "(Fn::Split ...)",
                    call_at,
                );
                return self.string(s, call_at.clone());
            }
            pieces.push(last..at);
            last = at + delimiter.len();
        }
        pieces.push(last..text.len());
        let items = pieces
            .into_iter()
            .map(|r| {
                let s = source.slice(r);
                let at = s.span().unwrap_or_else(|| call_at.clone());
                Val::Str {
                    s,
                    at,
                    literal: false,
                }
            })
            .collect();
        Val::List {
            items,
            at: at.clone(),
        }
    }

    fn find_in_map(&mut self, arg: Id, at: &Location, call_at: &Location, depth: usize) -> Val {
        let items = self.t.items(arg).to_vec();
        let [map, top, second] = items.as_slice() else {
            return self.bad(
                call_at,
                "Fn::FindInMap takes a mapping, a top-level key and a second-level key",
            );
        };
        let keys: Vec<Option<String>> = [*map, *top, *second]
            .iter()
            .map(|&k| {
                self.value(k, depth + 1)
                    .as_host_string()
                    .map(|s| s.text())
                    .filter(|s| !crate::symbolic::has_symbol(s))
            })
            .collect();
        let [Some(map), Some(top), Some(second)] = keys.as_slice() else {
            // A key only deployment settles (`!Ref AWS::Region`): unknown.
            let s = self.unknown(
                &format!("FindInMap@{}", at.range.start),
                "(Fn::FindInMap ...)",
                at,
            );
            return self.string(s, at.clone());
        };
        let found = self
            .index
            .mappings
            .and_then(|m| self.t.get(m, map))
            .map(|m| (m, self.t.get(m, top).and_then(|t| self.t.get(t, second))));
        match found {
            None => self.unresolved(map, call_at, "mapping"),
            Some((_, None)) => {
                self.unresolved(&format!("{map}.{top}.{second}"), call_at, "mapping entry")
            }
            Some((_, Some(value))) => {
                let v = self.value(value, depth + 1);
                match v.as_host_string() {
                    Some(s) => self.string(HostString::whole(s.text(), at.clone()), at.clone()),
                    None => v,
                }
            }
        }
    }

    /// A condition's truth: fixed by the variant, else worked out when the
    /// template settles it; `None` when only deployment does.
    pub fn condition(
        &mut self,
        name: &str,
        at: &Location,
        visiting: &mut Vec<String>,
    ) -> Option<bool> {
        if let Some((_, value)) = self.assignment.iter().find(|(n, _)| n == name) {
            return Some(*value);
        }
        let Some(&id) = self.index.conditions.get(name) else {
            self.unresolved(name, at, "condition");
            return None;
        };
        if visiting.iter().any(|v| v == name) || visiting.len() > MAX_DEPTH {
            let cycle = visiting.join(" -> ");
            let declared = self
                .index
                .condition_keys
                .get(name)
                .map_or(at.clone(), |&range| self.at(range));
            self.problems.push(report(
                &reference_cycle::RULE,
                self.options,
                &declared,
                format!("condition `{name}` depends on itself ({cycle} -> {name}): CloudFormation rejects the template"),
            ));
            return None;
        }
        visiting.push(name.to_string());
        let value = self.condition_value(id, at, visiting);
        visiting.pop();
        value
    }

    fn condition_value(
        &mut self,
        id: Id,
        at: &Location,
        visiting: &mut Vec<String>,
    ) -> Option<bool> {
        let (entry, arg) = self.t.call(id)?;
        let name = entry.key.clone();
        let items = self.t.items(arg).to_vec();
        match name.as_str() {
            "Fn::Equals" => {
                let [a, b] = items.as_slice() else {
                    return None;
                };
                let a = self.value(*a, visiting.len() + 1).as_host_string()?.text();
                let b = self.value(*b, visiting.len() + 1).as_host_string()?.text();
                if crate::symbolic::has_symbol(&a) || crate::symbolic::has_symbol(&b) {
                    None
                } else {
                    Some(a == b)
                }
            }
            "Fn::Not" => self
                .condition_value(*items.first()?, at, visiting)
                .map(|v| !v),
            "Fn::And" | "Fn::Or" => {
                let values: Vec<Option<bool>> = items
                    .iter()
                    .map(|&i| self.condition_value(i, at, visiting))
                    .collect();
                let decisive = name == "Fn::Or";
                if values.contains(&Some(decisive)) {
                    Some(decisive)
                } else if values.iter().all(|v| v.is_some()) {
                    Some(!decisive)
                } else {
                    None
                }
            }
            "Condition" => {
                let other = self.t.str(arg)?.to_string();
                self.condition(&other, at, visiting)
            }
            _ => None,
        }
    }
}
