//! Evaluating Terraform expressions to [`Value`]s: what the module says is
//! resolved (variables with defaults or values, locals, data sources that
//! always give one answer), the rest becomes a symbol named by the
//! expression that holds it, so that the same expression is always the same
//! unknown.
//!
//! Evaluation is bounded: recursion through locals and nested expressions
//! stops at [`MAX_DEPTH`], and the total work per module at [`MAX_WORK`],
//! so that no input can hang the reader or overflow its stack.

use std::sync::Arc;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use rustc_hash::{FxHashMap, FxHashSet};

use super::parse::{span_of, BlockRef, Expr, Index, SourceFile};
use super::value::{unknown_symbol, Key, Kind, Value, LITERAL};
use crate::diagnostic::Diagnostic;
use crate::host::{report, HostString, Loader, Location, Replace};
use crate::rules::templates::{reference_cycle, unresolved_reference};
use crate::rules::Rule;
use crate::symbolic::{Symbol, SymbolTable, ACCOUNT, REGION};
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// How deep evaluation may nest (references through locals, nested calls).
pub(crate) const MAX_DEPTH: usize = 96;
/// How many expressions one module's evaluation may visit.
const MAX_WORK: usize = 4_000_000;
/// How much of named values one module's evaluation may copy, in units of
/// [`Value::size`](super::value::Value::size): about a value per unit, a few
/// hundred bytes once rendered and analysed. Locals that each repeat the one
/// before (`l1 = [local.l0, local.l0]`, ...) double at every step; past
/// this, a value to copy is unknown instead.
const MAX_COPIED: usize = 400_000;
/// How many unknown conditions a policy is checked both ways for.
pub(crate) const MAX_BRANCHES: usize = 3;

/// Where an expression's spans are: a file, or a string of one whose
/// template was parsed on its own (a `.tf.json` string), at an offset.
#[derive(Clone, Copy)]
pub(crate) struct Src<'s> {
    pub path: &'s Arc<str>,
    pub text: &'s str,
    pub base: u32,
    /// Spans map one for one; otherwise every span is `whole`.
    pub exact: bool,
    pub whole: TextRange,
}

impl<'s> Src<'s> {
    pub fn of(file: &'s SourceFile<'s>) -> Src<'s> {
        Src {
            path: &file.path,
            text: file.text,
            base: 0,
            exact: true,
            whole: TextRange::default(),
        }
    }

    pub fn range(&self, span: TextRange) -> TextRange {
        if self.exact {
            TextRange {
                start: span.start + self.base,
                end: span.end + self.base,
            }
        } else {
            self.whole
        }
    }

    pub fn loc(&self, span: TextRange) -> Location {
        Location {
            file: self.path.clone(),
            range: self.range(span),
        }
    }

    /// The host text of a span, when spans map exactly.
    pub fn source(&self, span: TextRange) -> Option<&'s str> {
        if !self.exact {
            return None;
        }
        self.text.get(self.range(span).as_usize())
    }
}

/// Names bound by `for` expressions, `dynamic` blocks, `count`/`for_each`
/// and `templatefile()` variables.
#[derive(Default)]
pub(crate) struct Scope<'p> {
    names: Vec<(String, Value)>,
    parent: Option<&'p Scope<'p>>,
    /// A template's scope: only its variables are visible.
    pub template: bool,
    /// A template met alone: every name it uses is unknown.
    pub open: bool,
}

impl<'p> Scope<'p> {
    pub fn child(&'p self, names: Vec<(String, Value)>) -> Scope<'p> {
        Scope {
            names,
            parent: Some(self),
            template: self.template,
            open: self.open,
        }
    }

    pub fn template(names: Vec<(String, Value)>) -> Scope<'static> {
        Scope {
            names,
            parent: None,
            template: true,
            open: false,
        }
    }

    /// The scope of a template met alone.
    pub fn open_template() -> Scope<'static> {
        Scope {
            names: Vec::new(),
            parent: None,
            template: true,
            open: true,
        }
    }

    pub fn lookup(&self, name: &str) -> Option<&Value> {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some((_, v)) = s.names.iter().rev().find(|(n, _)| n == name) {
                return Some(v);
            }
            scope = s.parent;
        }
        None
    }
}

/// What evaluation reports, shared by every evaluation of one module.
pub(crate) struct Sink<'o> {
    pub options: &'o AnalyzeOptions,
    pub diagnostics: Vec<Diagnostic>,
    seen: FxHashSet<(&'static str, Location)>,
    pub symbols: SymbolTable,
    /// Every template file a `templatefile()` call rendered.
    pub templates: Vec<String>,
    pub work: usize,
    /// How much of named values (locals, variables) was copied into others:
    /// see [`MAX_COPIED`].
    copied: usize,
    unresolved: FxHashSet<String>,
}

impl<'o> Sink<'o> {
    pub fn new(options: &'o AnalyzeOptions) -> Self {
        Sink {
            options,
            diagnostics: Vec::new(),
            seen: FxHashSet::default(),
            symbols: SymbolTable::default(),
            templates: Vec::new(),
            work: 0,
            copied: 0,
            unresolved: FxHashSet::default(),
        }
    }

    /// Reports a host rule's finding once per place.
    pub fn report(&mut self, rule: &'static Rule, at: &Location, message: String, help: &str) {
        if !self.seen.insert((rule.code, at.clone())) {
            return;
        }
        // A name that is not declared is reported where it is first used,
        // not at every use.
        if rule.code == unresolved_reference::RULE.code {
            let name = message.split('`').nth(1).unwrap_or_default().to_string();
            if !self.unresolved.insert(name) {
                return;
            }
        }
        if let Some(d) = report(rule, self.options, at, message) {
            self.diagnostics.push(if help.is_empty() {
                d
            } else {
                d.with_help(help)
            });
        }
    }
}

/// The module being evaluated.
pub(crate) struct Module<'m> {
    pub index: Index<'m>,
    /// The module's directory as its files' paths show it (`path.module`).
    pub dir: String,
    pub loader: &'m dyn Loader,
}

enum Memo {
    Busy,
    /// The value, the unknown conditions met while computing it, and what
    /// a copy of it costs ([`Value::size`]).
    Done(Value, Vec<String>, usize),
}

/// One evaluation: a policy's, or one variant of it.
pub(crate) struct Evaluator<'m, 'k> {
    pub module: &'m Module<'m>,
    pub sink: &'k mut Sink<'m>,
    memo: FxHashMap<String, Memo>,
    depth: usize,
    /// Errors met (a missing attribute, a bad index): `try()` and `can()`
    /// look at whether evaluating an argument added any.
    pub errors: usize,
    /// The choices for unknown conditions, by order of first meeting
    /// (`true` where none is given).
    pub plan: Vec<bool>,
    /// The unknown conditions met, each once, as written.
    pub met: Vec<String>,
    /// Whether unknown conditions past the plan become unknown values
    /// (checking variants) or take their true branch (finding them).
    pub variants: bool,
}

impl<'m, 'k> Evaluator<'m, 'k> {
    pub fn new(module: &'m Module<'m>, sink: &'k mut Sink<'m>) -> Self {
        Evaluator {
            module,
            sink,
            memo: FxHashMap::default(),
            depth: 0,
            errors: 0,
            plan: Vec::new(),
            met: Vec::new(),
            variants: false,
        }
    }

    /// Starts a new policy: its unknown conditions are counted afresh;
    /// with a plan, memorised values (which depend on the choices) are
    /// dropped.
    pub fn start(&mut self, plan: Vec<bool>, variants: bool) {
        if variants || !self.plan.is_empty() {
            self.memo.clear();
        }
        self.plan = plan;
        self.variants = variants;
        self.met.clear();
    }

    pub fn index(&self) -> &'m Index<'m> {
        &self.module.index
    }

    pub fn unknown(&mut self, what: &str, at: &Location) -> Value {
        let symbol = unknown_symbol(&mut self.sink.symbols, what);
        Value::unknown(symbol, at)
    }

    pub fn report(&mut self, rule: &'static Rule, at: &Location, message: String, help: &str) {
        self.sink.report(rule, at, message, help);
    }

    /// Evaluates an expression of the module.
    pub fn eval(&mut self, expr: Expr<'m>, scope: &Scope<'_>) -> Value {
        match expr {
            Expr::Hcl(e, file) => self.eval_hcl(e, Src::of(file), scope),
            Expr::Json(node, file) => self.eval_json(node, file, scope),
        }
    }

    /// Guards recursion and total work; `None` when either is spent.
    fn enter(&mut self) -> bool {
        self.sink.work += 1;
        self.depth < MAX_DEPTH && self.sink.work < MAX_WORK
    }

    pub fn eval_hcl(&mut self, e: &Expression, src: Src<'_>, scope: &Scope<'_>) -> Value {
        let span = span_of(e);
        let at = src.loc(span);
        if !self.enter() {
            return self.unknown("a value nested too deep to follow", &at);
        }
        self.depth += 1;
        let value = self.eval_inner(e, span, &at, src, scope);
        self.depth -= 1;
        value
    }

    fn eval_inner(
        &mut self,
        e: &Expression,
        span: TextRange,
        at: &Location,
        src: Src<'_>,
        scope: &Scope<'_>,
    ) -> Value {
        let literal = |kind: Kind| Value {
            kind,
            at: at.clone(),
            literal: true,
        };
        match e {
            Expression::Null(_) => Value::null(at),
            Expression::Bool(b) => literal(Kind::Bool(*b.value())),
            Expression::Number(n) => literal(Kind::Number(n.value().to_string())),
            Expression::String(s) => {
                let inner = TextRange {
                    start: span.start + 1,
                    end: span.end.saturating_sub(1).max(span.start + 1),
                };
                let text = super::template::align_literal(
                    s.value(),
                    inner,
                    src,
                    super::template::Flavor::Quoted,
                );
                literal(Kind::Str(text))
            }
            Expression::Array(items) => Value::new(
                Kind::List(
                    items
                        .iter()
                        .map(|item| self.eval_hcl(item, src, scope))
                        .collect(),
                ),
                at,
            ),
            Expression::Object(object) => {
                let mut members: Vec<(Key, Value)> = Vec::with_capacity(object.len());
                for (key, value) in object.iter() {
                    let key = self.object_key(key, src, scope);
                    let value = self.eval_hcl(value.expr(), src, scope);
                    let name = key.text();
                    // A repeated key: the last one wins.
                    members.retain(|(k, _)| k.text() != name);
                    members.push((key, value));
                }
                Value::new(Kind::Object(members), at)
            }
            Expression::StringTemplate(t) => {
                self.eval_template(t, src, scope, super::template::Flavor::Quoted, at)
            }
            Expression::HeredocTemplate(h) => self.eval_template(
                &h.template,
                src,
                scope,
                super::template::Flavor::Heredoc,
                at,
            ),
            Expression::Parenthesis(p) => self.eval_hcl(p.inner(), src, scope),
            Expression::Variable(name) => match scope.lookup(name.as_str()) {
                Some(v) => v.clone(),
                None => {
                    let what = name.as_str().to_string();
                    self.unresolved(&what, at, scope)
                }
            },
            Expression::Traversal(t) => self.traversal(t, src, scope, at),
            Expression::Conditional(c) => {
                let cond = self.eval_hcl(&c.cond_expr, src, scope);
                let choice = match cond.as_bool() {
                    Some(b) => b,
                    None => {
                        let text = src
                            .source(span_of(&c.cond_expr))
                            .unwrap_or("a condition")
                            .trim()
                            .to_string();
                        match self.choose(&text) {
                            Some(b) => b,
                            None => {
                                let whole = src.source(span).unwrap_or("a conditional").trim();
                                let whole = whole.to_string();
                                return self.unknown(&whole, at);
                            }
                        }
                    }
                };
                let branch = if choice { &c.true_expr } else { &c.false_expr };
                self.eval_hcl(branch, src, scope)
            }
            Expression::FuncCall(call) => self.call(call, src, scope, at),
            Expression::UnaryOp(op) => {
                let v = self.eval_hcl(&op.expr, src, scope);
                match op.operator.value() {
                    UnaryOperator::Not => match v.as_bool() {
                        Some(b) => Value::new(Kind::Bool(!b), at),
                        None => self.unknown_of(span, src, at),
                    },
                    UnaryOperator::Neg => match v.as_number() {
                        Some(n) => Value::new(Kind::Number(number(-n)), at),
                        None => self.unknown_of(span, src, at),
                    },
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval_hcl(&op.lhs_expr, src, scope);
                let rhs = self.eval_hcl(&op.rhs_expr, src, scope);
                match binary(*op.operator.value(), &lhs, &rhs) {
                    Some(kind) => Value::new(kind, at),
                    None => self.unknown_of(span, src, at),
                }
            }
            Expression::ForExpr(f) => self.for_expr(f, src, scope, at, span),
        }
    }

    /// An unknown named by the expression at `span`.
    fn unknown_of(&mut self, span: TextRange, src: Src<'_>, at: &Location) -> Value {
        let what = src.source(span).unwrap_or("a value").trim().to_string();
        self.unknown(&what, at)
    }

    /// The branch to take for an unknown condition: by the plan, or `None`
    /// when the condition is one too many to check both ways.
    pub fn choose(&mut self, condition: &str) -> Option<bool> {
        let index = match self.met.iter().position(|m| m == condition) {
            Some(i) => i,
            None => {
                self.met.push(condition.to_string());
                self.met.len() - 1
            }
        };
        if self.variants && index >= MAX_BRANCHES.min(self.plan.len()) {
            return None;
        }
        Some(self.plan.get(index).copied().unwrap_or(true))
    }

    fn object_key(&mut self, key: &ObjectKey, src: Src<'_>, scope: &Scope<'_>) -> Key {
        match key {
            ObjectKey::Ident(ident) => {
                let at = src.loc(span_of(ident));
                Key {
                    name: HostString::whole(ident.as_str(), at.clone()),
                    at,
                    replace: LITERAL,
                }
            }
            ObjectKey::Expression(e) => {
                let v = self.eval_hcl(e, src, scope);
                let replace = if v.literal { LITERAL } else { Replace::Never };
                let name = v
                    .as_host_string()
                    .unwrap_or_else(|| HostString::whole("", v.at.clone()));
                Key {
                    name,
                    at: v.at,
                    replace,
                }
            }
        }
    }

    fn for_expr(
        &mut self,
        f: &hcl_edit::expr::ForExpr,
        src: Src<'_>,
        scope: &Scope<'_>,
        at: &Location,
        span: TextRange,
    ) -> Value {
        let collection = self.eval_hcl(&f.intro.collection_expr, src, scope);
        let Some(pairs) = self.iterate(&collection) else {
            return self.unknown_of(span, src, at);
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut items = Vec::new();
        let mut members: Vec<(Key, Value)> = Vec::new();
        for (key, value) in pairs {
            let mut names = Vec::with_capacity(2);
            match &key_var {
                Some(k) => {
                    names.push((k.clone(), key));
                    names.push((value_var.clone(), value));
                }
                None => names.push((value_var.clone(), value)),
            }
            let inner = scope.child(names);
            if let Some(cond) = &f.cond {
                // An unknown filter keeps the element: better to check one
                // element too many than to skip one.
                if self.eval_hcl(&cond.expr, src, &inner).as_bool() == Some(false) {
                    continue;
                }
            }
            let value = self.eval_hcl(&f.value_expr, src, &inner);
            match &f.key_expr {
                Some(k) => {
                    let kv = self.eval_hcl(k, src, &inner);
                    let name = kv
                        .as_host_string()
                        .unwrap_or_else(|| HostString::whole("", kv.at.clone()));
                    let key = Key {
                        name,
                        at: kv.at.clone(),
                        replace: Replace::Never,
                    };
                    let text = key.text();
                    if f.grouping {
                        match members.iter_mut().find(|(k, _)| k.text() == text) {
                            Some((
                                _,
                                Value {
                                    kind: Kind::List(list),
                                    ..
                                },
                            )) => list.push(value),
                            _ => members.push((key, Value::new(Kind::List(vec![value]), at))),
                        }
                    } else {
                        members.retain(|(k, _)| k.text() != text);
                        members.push((key, value));
                    }
                }
                None => items.push(value),
            }
        }
        if f.key_expr.is_some() {
            Value::new(Kind::Object(members), at)
        } else {
            Value::new(Kind::List(items), at)
        }
    }

    /// The (key, value) pairs of a collection: index and element of a
    /// list, key and value of a map; `None` when it is not known.
    pub fn iterate(&mut self, collection: &Value) -> Option<Vec<(Value, Value)>> {
        match &collection.kind {
            Kind::List(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::new(Kind::Number(i.to_string()), &v.at), v.clone()))
                    .collect(),
            ),
            Kind::Object(members) => Some(
                members
                    .iter()
                    .map(|(k, v)| (Value::new(Kind::Str(k.name.clone()), &k.at), v.clone()))
                    .collect(),
            ),
            Kind::Json(inner) => self.iterate(inner),
            _ => None,
        }
    }

    /// A name nothing binds.
    fn unresolved(&mut self, what: &str, at: &Location, scope: &Scope<'_>) -> Value {
        if scope.open {
            return self.unknown(what, at);
        }
        if scope.template {
            let message = format!(
                "the template uses `{what}`, but the templatefile() call gives no variable `{what}`: Terraform fails the plan (\"vars map does not contain key\"), so the key policy is never rendered"
            );
            self.report(
                &crate::rules::templates::missing_template_variable::RULE,
                at,
                message,
                "add the variable to the templatefile() call's map, or remove it from the template",
            );
        } else if !matches!(what, "count" | "each" | "self") {
            let message = format!(
                "`{what}` names nothing this module declares: Terraform refuses to plan (\"Reference to undeclared resource\"), so the key policy is never deployed"
            );
            self.report(
                &unresolved_reference::RULE,
                at,
                message,
                "declare it, or correct the name",
            );
        }
        self.unknown(what, at)
    }

    fn traversal(
        &mut self,
        t: &hcl_edit::expr::Traversal,
        src: Src<'_>,
        scope: &Scope<'_>,
        at: &Location,
    ) -> Value {
        let whole_text = src
            .source(span_of(t))
            .map(|s| s.split_whitespace().collect::<String>())
            .unwrap_or_else(|| "a reference".into());
        let ops = &t.operators;
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        if let Expression::Variable(root) = &t.expr {
            let root = root.as_str();
            if let Some(v) = scope.lookup(root) {
                let v = v.clone();
                return self.apply(v, ops, 0, src, scope, &whole_text, at);
            }
            if scope.template {
                // A template sees its variables only.
                if scope.open {
                    return self.unknown(&whole_text, at);
                }
                return self.unresolved(root, at, scope);
            }
            match root {
                "var" => {
                    let Some(name) = attr(0) else {
                        return self.unknown(&whole_text, at);
                    };
                    let v = self.variable(name, at);
                    return self.apply(v, ops, 1, src, scope, &whole_text, at);
                }
                "local" => {
                    let Some(name) = attr(0) else {
                        return self.unknown(&whole_text, at);
                    };
                    let v = self.local(name, at);
                    return self.apply(v, ops, 1, src, scope, &whole_text, at);
                }
                "path" => {
                    let dir = self.module.dir.clone();
                    let v = match attr(0) {
                        Some("module" | "root" | "cwd") => Value::string(&dir, at),
                        _ => self.unknown(&whole_text, at),
                    };
                    return self.apply(v, ops, 1, src, scope, &whole_text, at);
                }
                "data" => {
                    let (Some(kind), Some(name)) = (attr(0), attr(1)) else {
                        return self.unknown(&whole_text, at);
                    };
                    return self.data(kind, name, ops, src, scope, &whole_text, at);
                }
                "module" => {
                    if let Some(name) = attr(0) {
                        if !self.index().modules.contains_key(name) {
                            return self.unresolved(&format!("module.{name}"), at, scope);
                        }
                    }
                    return self.unknown(&whole_text, at);
                }
                "terraform" | "count" | "each" | "self" => {
                    if scope.template {
                        return self.unresolved(root, at, scope);
                    }
                    return self.unknown(&whole_text, at);
                }
                _ => {
                    if scope.template {
                        return self.unresolved(root, at, scope);
                    }
                    let Some(name) = attr(0) else {
                        return self.unresolved(root, at, scope);
                    };
                    return self.resource(root, name, ops, src, scope, &whole_text, at);
                }
            }
        }
        let v = self.eval_hcl(&t.expr, src, scope);
        self.apply(v, ops, 0, src, scope, &whole_text, at)
    }

    /// Applies traversal operators from `from` on.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        mut v: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        from: usize,
        src: Src<'_>,
        scope: &Scope<'_>,
        whole: &str,
        at: &Location,
    ) -> Value {
        let mut i = from;
        while let Some(op) = ops.get(i) {
            if v.is_unknown() {
                return self.unknown(whole, at);
            }
            if let Kind::Json(inner) = v.kind {
                // `jsondecode(jsonencode(x))` aside, a JSON string has no attributes.
                v = *inner;
                continue;
            }
            v = match op.value() {
                TraversalOperator::GetAttr(name) => match v.get(name.as_str()) {
                    Some(found) => found.clone(),
                    None => {
                        self.errors += 1;
                        return self.unknown(whole, at);
                    }
                },
                TraversalOperator::Index(e) => {
                    let index = self.eval_hcl(e, src, scope);
                    match self.index_into(&v, &index) {
                        Some(found) => found,
                        None => return self.unknown(whole, at),
                    }
                }
                TraversalOperator::LegacyIndex(n) => {
                    let index = Value::new(Kind::Number(n.value().to_string()), at);
                    match self.index_into(&v, &index) {
                        Some(found) => found,
                        None => return self.unknown(whole, at),
                    }
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items: Vec<Value> = match &v.kind {
                        Kind::List(items) => items.clone(),
                        Kind::Null => Vec::new(),
                        _ => vec![v.clone()],
                    };
                    let rest = &ops[i + 1..];
                    let mapped = items
                        .into_iter()
                        .map(|item| self.apply(item, rest, 0, src, scope, whole, at))
                        .collect();
                    return Value::new(Kind::List(mapped), at);
                }
            };
            i += 1;
        }
        v
    }

    fn index_into(&mut self, v: &Value, index: &Value) -> Option<Value> {
        if index.has_unknown() {
            return None;
        }
        let found = match &v.kind {
            Kind::List(items) => index
                .as_number()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .and_then(|n| items.get(n as usize))
                .cloned(),
            Kind::Object(_) => index.as_text().and_then(|k| v.get(&k).cloned()),
            _ => None,
        };
        if found.is_none() {
            self.errors += 1;
        }
        found
    }

    fn variable(&mut self, name: &str, at: &Location) -> Value {
        let key = format!("var.{name}");
        let Some(var) = self.index().variables.get(name).copied() else {
            let message = format!(
                "`var.{name}` names no variable: the module declares no `variable \"{name}\"` block, so Terraform refuses to plan (\"Reference to undeclared input variable\")"
            );
            self.report(
                &unresolved_reference::RULE,
                at,
                message,
                "declare the variable, or correct its name",
            );
            return self.unknown(&key, at);
        };
        match var.value {
            Some(expr) => self.memoized(&key, at, |ev| ev.eval(expr, &Scope::default())),
            // No value anywhere: what the caller passes is unknown.
            None => self.unknown(&key, at),
        }
    }

    fn local(&mut self, name: &str, at: &Location) -> Value {
        let key = format!("local.{name}");
        let Some(expr) = self.index().locals.get(name).copied() else {
            let message = format!(
                "`local.{name}` names no local value: no `locals` block declares `{name}`, so Terraform refuses to plan (\"Reference to undeclared local value\")"
            );
            self.report(
                &unresolved_reference::RULE,
                at,
                message,
                "declare it in a `locals` block, or correct its name",
            );
            return self.unknown(&key, at);
        };
        self.memoized(&key, at, |ev| ev.eval(expr, &Scope::default()))
    }

    /// A named value computed once per evaluation; a value that needs
    /// itself is a cycle (PC603) and unknown.
    pub fn memoized(
        &mut self,
        key: &str,
        at: &Location,
        compute: impl FnOnce(&mut Self) -> Value,
    ) -> Value {
        match self.memo.get(key) {
            Some(Memo::Done(_, _, size)) if self.sink.copied.saturating_add(*size) > MAX_COPIED => {
                return self.unknown("a value too large to follow", at);
            }
            Some(Memo::Done(v, met, size)) => {
                self.sink.copied += *size;
                let (v, met) = (v.clone(), met.clone());
                for m in met {
                    if !self.met.contains(&m) {
                        self.met.push(m);
                    }
                }
                return v;
            }
            Some(Memo::Busy) => {
                let message = format!(
                    "`{key}` depends on itself: Terraform refuses to plan a module whose values form a cycle (\"Cycle: {key}\"), so the key is never deployed"
                );
                self.report(
                    &reference_cycle::RULE,
                    at,
                    message,
                    "break the cycle: give one of the values a definition that does not refer back",
                );
                return self.unknown(key, at);
            }
            None => {}
        }
        self.memo.insert(key.to_string(), Memo::Busy);
        let before = self.met.len();
        let v = compute(self);
        let met = self.met[before..].to_vec();
        // Kept and returned: two copies, each counted.
        let mut size = v.size();
        let mut v = v;
        if self.sink.copied.saturating_add(2 * size) > MAX_COPIED {
            v = self.unknown("a value too large to follow", at);
            size = v.size();
        }
        self.sink.copied += 2 * size;
        self.memo
            .insert(key.to_string(), Memo::Done(v.clone(), met, size));
        v
    }

    #[allow(clippy::too_many_arguments)]
    fn data(
        &mut self,
        kind: &str,
        name: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        src: Src<'_>,
        scope: &Scope<'_>,
        whole: &str,
        at: &Location,
    ) -> Value {
        let block = self.index().data.get(&(kind, name)).copied();
        if block.is_none() {
            let message = format!(
                "`data.{kind}.{name}` names no data source: the module declares no `data \"{kind}\" \"{name}\"` block, so Terraform refuses to plan (\"Reference to undeclared resource\")"
            );
            self.report(
                &unresolved_reference::RULE,
                at,
                message,
                "declare the data source, or correct its name",
            );
            // The data sources that always give one answer still give it.
            if !matches!(kind, "aws_caller_identity" | "aws_region" | "aws_partition") {
                return self.unknown(whole, at);
            }
        }
        // An instance index (`[0]`, `["a"]`) before the attribute.
        let (instance, next) = match ops.get(2).map(|o| o.value()) {
            Some(TraversalOperator::Index(e)) => (Some(self.eval_hcl(e, src, scope)), 3),
            Some(TraversalOperator::LegacyIndex(n)) => {
                (Some(Value::new(Kind::Number(n.value().to_string()), at)), 3)
            }
            _ => (None, 2),
        };
        let attribute = match ops.get(next).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => a.as_str(),
            _ => return self.unknown(whole, at),
        };
        let spelled = format!("${{{whole}}}");
        let v = match (kind, attribute) {
            ("aws_caller_identity", "account_id") => {
                Value::unknown(self.sink.symbols.intern(Symbol::Account, &spelled), at)
            }
            ("aws_region", "name" | "region" | "id") => {
                Value::unknown(self.sink.symbols.intern(Symbol::Region, &spelled), at)
            }
            ("aws_partition", "partition" | "id") => Value::string("aws", at),
            ("aws_partition", "dns_suffix") => Value::string("amazonaws.com", at),
            ("aws_iam_policy_document", "json" | "minified_json") if block.is_some() => {
                let block = block.expect("checked");
                let key = format!(
                    "data.{kind}.{name}[{}]",
                    instance
                        .as_ref()
                        .and_then(Value::as_text)
                        .unwrap_or_default()
                );
                if instance.as_ref().is_some_and(Value::has_unknown) {
                    return self.unknown(whole, at);
                }
                let v = self.memoized(&key, at, |ev| {
                    let names = ev.instance_names(block, instance.as_ref());
                    let scope = Scope::default();
                    let scope = scope.child(names);
                    let document = ev.policy_document(block, &scope);
                    let at = document.at.clone();
                    Value::new(Kind::Json(Box::new(document)), &at)
                });
                // The document stands where it is declared; the reference
                // is where it is used.
                return v;
            }
            _ => return self.unknown(whole, at),
        };
        self.apply(v, ops, next + 1, src, scope, whole, at)
    }

    /// `count.index`, `each.key` and `each.value` for one instance of a block.
    pub fn instance_names(
        &mut self,
        block: BlockRef<'m>,
        instance: Option<&Value>,
    ) -> Vec<(String, Value)> {
        let at = block.head_location();
        let mut names = Vec::new();
        if block.attr("count").is_some() {
            let index = instance
                .cloned()
                .unwrap_or_else(|| Value::new(Kind::Number("0".into()), &at));
            names.push(("count".to_string(), object(&[("index", index)], &at)));
        }
        if let Some(for_each) = block.attr("for_each") {
            let collection = self.eval(for_each, &Scope::default());
            let key = instance.and_then(Value::as_text);
            let pair = self.iterate(&collection).and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, v)| match (&key, &collection.kind) {
                        (Some(key), Kind::List(_)) => v.as_text().as_deref() == Some(key),
                        (Some(key), _) => k.as_text().as_deref() == Some(key),
                        (None, _) => true,
                    })
            });
            let (k, v) = match pair {
                Some((_, v)) if matches!(collection.kind, Kind::List(_)) => (v.clone(), v),
                Some(pair) => pair,
                None => (
                    self.unknown("each.key", &at),
                    self.unknown("each.value", &at),
                ),
            };
            names.push(("each".to_string(), object(&[("key", k), ("value", v)], &at)));
        }
        names
    }

    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        kind: &str,
        name: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        src: Src<'_>,
        scope: &Scope<'_>,
        whole: &str,
        at: &Location,
    ) -> Value {
        let Some(block) = self.index().resources.get(&(kind, name)).copied() else {
            let message = format!(
                "`{kind}.{name}` names no resource: the module declares no `resource \"{kind}\" \"{name}\"` block, so Terraform refuses to plan (\"Reference to undeclared resource\")"
            );
            self.report(
                &unresolved_reference::RULE,
                at,
                message,
                "declare the resource, or correct its name",
            );
            return self.unknown(whole, at);
        };
        let next = match ops.get(1).map(|o| o.value()) {
            Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)) => 2,
            Some(TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)) => {
                return self.unknown(whole, at)
            }
            _ => 1,
        };
        let attribute = match ops.get(next).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => a.as_str(),
            _ => return self.unknown(whole, at),
        };
        let prefix = format!("{kind}.{name}");
        // An attribute the block writes, when it is one that is known
        // before apply (its name, a bucket's name).
        let known = |ev: &mut Self, attr: &str| -> Value {
            match block.attr(attr) {
                Some(e) if block.attr("count").is_none() && block.attr("for_each").is_none() => {
                    let v = ev.eval(e, &Scope::default());
                    if v.as_text().is_some() {
                        let text = v.as_text().unwrap_or_default();
                        return Value::string(&text, at);
                    }
                    ev.unknown(&format!("{prefix}.{attr}"), at)
                }
                _ => ev.unknown(&format!("{prefix}.{attr}"), at),
            }
        };
        let v = match (kind, attribute) {
            ("aws_iam_role" | "aws_iam_user", "arn") => {
                let what = if kind == "aws_iam_role" {
                    "role"
                } else {
                    "user"
                };
                let path = match block.attr("path") {
                    Some(e) => self.eval(e, &Scope::default()).as_text(),
                    None => Some("/".to_string()),
                }
                .unwrap_or_else(|| "/".into());
                let name = known(self, "name");
                let name = name.as_text().unwrap_or_default();
                Value::string(&format!("arn:aws:iam::{ACCOUNT}:{what}{path}{name}"), at)
            }
            ("aws_iam_role" | "aws_iam_user", "name" | "id") => known(self, "name"),
            ("aws_s3_bucket", "arn") => {
                let bucket = known(self, "bucket").as_text().unwrap_or_default();
                Value::string(&format!("arn:aws:s3:::{bucket}"), at)
            }
            ("aws_s3_bucket", "id" | "bucket") => known(self, "bucket"),
            ("aws_kms_key" | "aws_kms_replica_key" | "aws_kms_external_key", "arn") => {
                let id = self.unknown(&format!("{prefix}.key_id"), at);
                let id = id.as_text().unwrap_or_default();
                Value::string(&format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"), at)
            }
            ("aws_kms_key" | "aws_kms_replica_key" | "aws_kms_external_key", "key_id" | "id") => {
                self.unknown(&format!("{prefix}.key_id"), at)
            }
            _ => return self.unknown(whole, at),
        };
        self.apply(v, ops, next + 1, src, scope, whole, at)
    }

    fn eval_json(
        &mut self,
        node: crate::syntax::NodeId,
        file: &'m SourceFile<'m>,
        scope: &Scope<'_>,
    ) -> Value {
        use crate::syntax::NodeKind;
        let Some(tree) = file.tree() else {
            return Value::null(&file.location(TextRange::default()));
        };
        let range = tree.range(node);
        let at = file.location(range);
        if !self.enter() {
            return self.unknown("a value nested too deep to follow", &at);
        }
        self.depth += 1;
        let v = match tree.kind(node) {
            NodeKind::Null | NodeKind::Invalid => Value::null(&at),
            NodeKind::Bool(b) => Value {
                kind: Kind::Bool(*b),
                at,
                literal: true,
            },
            NodeKind::Number(n) => Value {
                kind: Kind::Number(n.to_string()),
                at,
                literal: true,
            },
            NodeKind::Array(items) => Value::new(
                Kind::List(
                    items
                        .iter()
                        .map(|&i| self.eval_json(i, file, scope))
                        .collect(),
                ),
                &at,
            ),
            NodeKind::Object(members) => {
                let mut out = Vec::with_capacity(members.len());
                for m in members {
                    let key_at = file.location(m.key_range);
                    let key = Key {
                        name: HostString::whole(m.key.as_ref(), key_at.clone()),
                        at: key_at,
                        replace: Replace::Never,
                    };
                    out.push((key, self.eval_json(m.value, file, scope)));
                }
                Value::new(Kind::Object(out), &at)
            }
            NodeKind::String(s) => {
                // A string of Terraform JSON is a template.
                let inner = TextRange {
                    start: range.start + 1,
                    end: range.end.saturating_sub(1).max(range.start + 1),
                };
                let raw = file.text.get(inner.as_usize()).unwrap_or("");
                let src = Src {
                    path: &file.path,
                    text: file.text,
                    base: inner.start,
                    exact: raw == s.as_ref(),
                    whole: range,
                };
                if !s.contains("${") && !s.contains("%{") {
                    let text = if src.exact {
                        HostString::exact(
                            s.as_ref(),
                            file.location(inner),
                            crate::host::Quoting::JsonString,
                        )
                    } else {
                        HostString::whole(s.as_ref(), at.clone())
                    };
                    Value {
                        kind: Kind::Str(text),
                        at,
                        literal: true,
                    }
                } else {
                    match hcl_edit::parser::parse_template(s) {
                        Ok(template) => self.eval_template(
                            &template,
                            src,
                            scope,
                            super::template::Flavor::JsonString,
                            &at,
                        ),
                        Err(_) => Value::string(s, &at),
                    }
                }
            }
        };
        self.depth -= 1;
        v
    }

    /// Evaluates an attribute of a block, if written.
    pub fn attr(&mut self, block: BlockRef<'m>, name: &str, scope: &Scope<'_>) -> Option<Value> {
        block.attr(name).map(|e| self.eval(e, scope))
    }
}

/// An object of plain keys.
pub(crate) fn object(members: &[(&str, Value)], at: &Location) -> Value {
    Value::new(
        Kind::Object(
            members
                .iter()
                .map(|(k, v)| (Key::synthetic(k, at), v.clone()))
                .collect(),
        ),
        at,
    )
}

/// A number as Terraform shows it.
pub(crate) fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn binary(op: BinaryOperator, lhs: &Value, rhs: &Value) -> Option<Kind> {
    use BinaryOperator::*;
    match op {
        Eq | NotEq => {
            if lhs.has_unknown() || rhs.has_unknown() {
                return None;
            }
            let same = match (lhs.as_number(), rhs.as_number()) {
                (Some(a), Some(b)) if !matches!(lhs.kind, Kind::Str(_)) => a == b,
                _ => lhs.same(rhs),
            };
            Some(Kind::Bool(same == matches!(op, Eq)))
        }
        And | Or => {
            let (a, b) = (lhs.as_bool(), rhs.as_bool());
            match (op, a, b) {
                (And, Some(false), _) | (And, _, Some(false)) => Some(Kind::Bool(false)),
                (Or, Some(true), _) | (Or, _, Some(true)) => Some(Kind::Bool(true)),
                (_, Some(a), Some(b)) => {
                    Some(Kind::Bool(if matches!(op, And) { a && b } else { a || b }))
                }
                _ => None,
            }
        }
        _ => {
            let (a, b) = (lhs.as_number()?, rhs.as_number()?);
            Some(match op {
                Less => Kind::Bool(a < b),
                LessEq => Kind::Bool(a <= b),
                Greater => Kind::Bool(a > b),
                GreaterEq => Kind::Bool(a >= b),
                Plus => Kind::Number(number(a + b)),
                Minus => Kind::Number(number(a - b)),
                Mul => Kind::Number(number(a * b)),
                Div if b != 0.0 => Kind::Number(number(a / b)),
                Mod if b != 0.0 => Kind::Number(number(a % b)),
                _ => return None,
            })
        }
    }
}
