//! Reading a module's files: HCL through hcl-edit (which keeps a span on
//! every expression), `.tf.json` through the project's JSON parser, and an
//! index of the blocks the rest of the reader looks up by name.

use std::sync::Arc;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};
use hcl_edit::Span;
use rustc_hash::FxHashMap;

use crate::diagnostic::Diagnostic;
use crate::host::{report, HostFile, Location};
use crate::rules::syntax::invalid_hcl;
use crate::syntax::{NodeId, NodeKind, Parse};
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// One file of the module, parsed.
pub(crate) struct SourceFile<'a> {
    pub path: Arc<str>,
    pub text: &'a str,
    pub content: Content<'a>,
    /// A variables file (`terraform.tfvars`, `*.auto.tfvars`).
    pub tfvars: bool,
}

pub(crate) enum Content<'a> {
    Hcl(Body),
    Json(Parse<'a>),
    /// Not readable; its error is reported.
    Broken,
}

/// An expression in one of the module's files.
#[derive(Clone, Copy)]
pub(crate) enum Expr<'m> {
    Hcl(&'m Expression, &'m SourceFile<'m>),
    Json(NodeId, &'m SourceFile<'m>),
}

impl<'m> Expr<'m> {
    pub fn file(&self) -> &'m SourceFile<'m> {
        match self {
            Expr::Hcl(_, f) | Expr::Json(_, f) => f,
        }
    }

    pub fn range(&self) -> TextRange {
        match self {
            Expr::Hcl(e, _) => span_of(*e),
            Expr::Json(node, f) => f.tree().map(|t| t.range(*node)).unwrap_or_default(),
        }
    }

    pub fn location(&self) -> Location {
        Location {
            file: self.file().path.clone(),
            range: self.range(),
        }
    }

    /// The expression as written, whitespace trimmed.
    pub fn source(&self) -> &'m str {
        let r = self.range();
        self.file().text.get(r.as_usize()).unwrap_or("").trim()
    }
}

pub(crate) fn span_of(e: &impl Span) -> TextRange {
    e.span()
        .map(|s| TextRange::new(s.start, s.end))
        .unwrap_or_default()
}

impl<'a> SourceFile<'a> {
    pub fn tree(&self) -> Option<&crate::syntax::Tree<'a>> {
        match &self.content {
            Content::Json(parse) => Some(&parse.tree),
            _ => None,
        }
    }

    pub fn location(&self, range: TextRange) -> Location {
        Location {
            file: self.path.clone(),
            range,
        }
    }
}

/// The body of a block (or of a file), in either syntax.
#[derive(Clone, Copy)]
pub(crate) enum BodyRef<'m> {
    Hcl(&'m Body, &'m SourceFile<'m>),
    Json(NodeId, &'m SourceFile<'m>),
}

/// A block: its body and where it is declared.
#[derive(Clone, Copy)]
pub(crate) struct BlockRef<'m> {
    pub body: BodyRef<'m>,
    /// The block's type (`resource`, `statement`) and labels.
    pub ident: &'m str,
    pub labels: [&'m str; 2],
    /// Where its labels are (its type keyword when it has none).
    pub head: TextRange,
    /// The whole block.
    pub range: TextRange,
}

impl<'m> BlockRef<'m> {
    pub fn file(&self) -> &'m SourceFile<'m> {
        self.body.file()
    }

    pub fn head_location(&self) -> Location {
        self.file().location(self.head)
    }

    pub fn location(&self) -> Location {
        self.file().location(self.range)
    }

    pub fn attr(&self, name: &str) -> Option<Expr<'m>> {
        self.body.attr(name)
    }

    pub fn blocks(&self, ident: &str) -> Vec<BlockRef<'m>> {
        self.body.blocks(ident)
    }
}

impl<'m> BodyRef<'m> {
    pub fn file(&self) -> &'m SourceFile<'m> {
        match self {
            BodyRef::Hcl(_, f) | BodyRef::Json(_, f) => f,
        }
    }

    pub fn attr(&self, name: &str) -> Option<Expr<'m>> {
        match *self {
            BodyRef::Hcl(body, file) => body.get_attribute(name).map(|a| Expr::Hcl(&a.value, file)),
            BodyRef::Json(node, file) => {
                let tree = file.tree()?;
                let member = tree.members(node).iter().rev().find(|m| m.key == name)?;
                Some(Expr::Json(member.value, file))
            }
        }
    }

    /// Every attribute, in order.
    pub fn attributes(&self) -> Vec<(&'m str, Expr<'m>)> {
        match *self {
            BodyRef::Hcl(body, file) => body
                .attributes()
                .map(|a| (a.key.as_str(), Expr::Hcl(&a.value, file)))
                .collect(),
            BodyRef::Json(node, file) => {
                let Some(tree) = file.tree() else {
                    return Vec::new();
                };
                tree.members(node)
                    .iter()
                    .map(|m| (m.key.as_ref(), Expr::Json(m.value, file)))
                    .collect()
            }
        }
    }

    /// The nested blocks of a type (in JSON, the object or objects under
    /// that key).
    pub fn blocks(&self, ident: &str) -> Vec<BlockRef<'m>> {
        match *self {
            BodyRef::Hcl(body, file) => body
                .blocks()
                .filter(|b| b.ident.as_str() == ident)
                .map(|b| hcl_block(b, file))
                .collect(),
            BodyRef::Json(node, file) => {
                let Some(tree) = file.tree() else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for m in tree.members(node).iter().filter(|m| m.key == ident) {
                    json_blocks(file, m.value, m.key.as_ref(), m.key_range, &mut out);
                }
                out
            }
        }
    }

    /// Every nested block, in order (HCL only: in JSON, blocks and
    /// attributes look alike and are reached by name).
    pub fn all_blocks(&self) -> Vec<BlockRef<'m>> {
        match *self {
            BodyRef::Hcl(body, file) => body.blocks().map(|b| hcl_block(b, file)).collect(),
            BodyRef::Json(..) => Vec::new(),
        }
    }
}

fn json_blocks<'m>(
    file: &'m SourceFile<'m>,
    node: NodeId,
    ident: &'m str,
    key_range: TextRange,
    out: &mut Vec<BlockRef<'m>>,
) {
    let Some(tree) = file.tree() else { return };
    match tree.kind(node) {
        NodeKind::Object(_) => out.push(BlockRef {
            body: BodyRef::Json(node, file),
            ident,
            labels: ["", ""],
            head: key_range,
            range: tree.range(node),
        }),
        NodeKind::Array(items) => {
            for &item in items {
                if matches!(tree.kind(item), NodeKind::Object(_)) {
                    out.push(BlockRef {
                        body: BodyRef::Json(item, file),
                        ident,
                        labels: ["", ""],
                        head: key_range,
                        range: tree.range(item),
                    });
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn hcl_block<'m>(block: &'m Block, file: &'m SourceFile<'m>) -> BlockRef<'m> {
    let mut labels = ["", ""];
    for (slot, label) in labels.iter_mut().zip(&block.labels) {
        *slot = label.as_str();
    }
    let ident_range = span_of(&block.ident);
    let head = match (block.labels.first(), block.labels.last()) {
        (Some(first), Some(last)) => span_of(first).cover(span_of(last)),
        _ => ident_range,
    };
    BlockRef {
        body: BodyRef::Hcl(&block.body, file),
        ident: block.ident.as_str(),
        labels,
        head,
        range: span_of(block),
    }
}

/// Parses every file; the unreadable ones get PC007.
pub(crate) fn parse_files<'a>(
    files: &[HostFile<'a>],
    options: &AnalyzeOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<SourceFile<'a>> {
    files
        .iter()
        .map(|f| {
            let path: Arc<str> = f.path.into();
            let name = f.path.rsplit(['/', '\\']).next().unwrap_or(f.path);
            let tfvars = name.ends_with(".tfvars") || name.ends_with(".tfvars.json");
            let content = if name.ends_with(".json") {
                let parse = crate::syntax::parse(f.text);
                match parse.errors.first() {
                    Some(e) if parse.tree.root().is_none() || !e.message.is_empty() => {
                        let at = Location {
                            file: path.clone(),
                            range: e.range,
                        };
                        diagnostics.extend(report(
                            &invalid_hcl::RULE,
                            options,
                            &at,
                            format!(
                                "{} is not valid Terraform JSON: {}; Terraform refuses to read the module until it is fixed",
                                f.path, e.message
                            ),
                        ));
                        if parse.tree.root().is_some() {
                            Content::Json(parse)
                        } else {
                            Content::Broken
                        }
                    }
                    _ => Content::Json(parse),
                }
            } else {
                parse_hcl(f.text, &path, options, diagnostics)
            };
            SourceFile {
                path,
                text: f.text,
                content,
                tfvars,
            }
        })
        .collect()
}

fn parse_hcl<'a>(
    text: &str,
    path: &Arc<str>,
    options: &AnalyzeOptions,
    diagnostics: &mut Vec<Diagnostic>,
) -> Content<'a> {
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => Content::Hcl(body),
        Err(e) => {
            let at = Location {
                file: path.clone(),
                range: crate::host::char_at(text, e.location().offset()),
            };
            let message = e.message().replace('\n', " ");
            diagnostics.extend(
                report(
                    &invalid_hcl::RULE,
                    options,
                    &at,
                    format!(
                        "{path} is not valid HCL at line {}, column {}: {message}; Terraform refuses to plan the module until it is fixed, so none of its keys are checked in this file",
                        e.location().line(),
                        e.location().column()
                    ),
                )
                .map(|d| d.with_help("correct the syntax at this position (an unclosed brace, string or heredoc, or an attribute without a value)")),
            );
            Content::Broken
        }
    }
}

/// A variable: its declaration and the value it takes.
#[derive(Clone, Copy)]
pub(crate) struct Variable<'m> {
    /// From the variables files, else the default.
    pub value: Option<Expr<'m>>,
}

/// The module's named things.
#[derive(Default)]
pub(crate) struct Index<'m> {
    pub variables: FxHashMap<&'m str, Variable<'m>>,
    pub locals: FxHashMap<&'m str, Expr<'m>>,
    /// By (type, name).
    pub resources: FxHashMap<(&'m str, &'m str), BlockRef<'m>>,
    pub data: FxHashMap<(&'m str, &'m str), BlockRef<'m>>,
    pub modules: FxHashMap<&'m str, BlockRef<'m>>,
    /// Every resource block, in file order.
    pub resource_list: Vec<BlockRef<'m>>,
    pub data_list: Vec<BlockRef<'m>>,
}

impl<'m> Index<'m> {
    pub fn build(files: &'m [SourceFile<'m>]) -> Index<'m> {
        let mut index = Index::default();
        let mut values: FxHashMap<&'m str, Expr<'m>> = FxHashMap::default();
        // Variables files in Terraform's order: terraform.tfvars, then its
        // JSON form, then *.auto.tfvars in name order; later ones win.
        let mut tfvars: Vec<&'m SourceFile<'m>> = files.iter().filter(|f| f.tfvars).collect();
        tfvars.sort_by_key(|f| {
            let name = f.path.rsplit(['/', '\\']).next().unwrap_or(&f.path);
            (!name.starts_with("terraform.tfvars"), name.to_string())
        });
        for file in tfvars {
            for (name, expr) in top_body(file).map(|b| b.attributes()).unwrap_or_default() {
                values.insert(name, expr);
            }
        }
        for file in files.iter().filter(|f| !f.tfvars) {
            match &file.content {
                Content::Hcl(body) => {
                    for block in body.blocks() {
                        let b = hcl_block(block, file);
                        index.add(b);
                    }
                }
                Content::Json(_) => index.add_json(file),
                Content::Broken => {}
            }
        }
        for (name, var) in index.variables.iter_mut() {
            if let Some(v) = values.get(name) {
                var.value = Some(*v);
            }
        }
        index
    }

    fn add(&mut self, b: BlockRef<'m>) {
        match b.ident {
            "resource" => {
                self.resources.insert((b.labels[0], b.labels[1]), b);
                self.resource_list.push(b);
            }
            "data" => {
                self.data.insert((b.labels[0], b.labels[1]), b);
                self.data_list.push(b);
            }
            "variable" => {
                let value = b.attr("default");
                self.variables.insert(b.labels[0], Variable { value });
            }
            "module" => {
                self.modules.insert(b.labels[0], b);
            }
            "locals" => {
                for (name, expr) in b.body.attributes() {
                    self.locals.insert(name, expr);
                }
            }
            _ => {}
        }
    }

    /// `{"resource": {"type": {"name": {...}}}}` and the like.
    fn add_json(&mut self, file: &'m SourceFile<'m>) {
        let Some(tree) = file.tree() else { return };
        let Some(root) = tree.root() else { return };
        for top in tree.members(root) {
            let ident: &'m str = top.key.as_ref();
            let labelled = match ident {
                "resource" | "data" => 2,
                "variable" | "module" => 1,
                "locals" => 0,
                _ => continue,
            };
            let mut found = Vec::new();
            collect_labelled(
                tree,
                top.value,
                labelled,
                ["", ""],
                0,
                top.key_range,
                &mut found,
            );
            for (node, labels, head) in found {
                self.add(BlockRef {
                    body: BodyRef::Json(node, file),
                    ident,
                    labels,
                    head,
                    range: tree.range(node),
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn collect_labelled<'m>(
    tree: &'m crate::syntax::Tree<'m>,
    node: NodeId,
    remaining: usize,
    labels: [&'m str; 2],
    depth: usize,
    head: TextRange,
    out: &mut Vec<(NodeId, [&'m str; 2], TextRange)>,
) {
    match tree.kind(node) {
        NodeKind::Array(items) => {
            for &item in items {
                collect_labelled(tree, item, remaining, labels, depth, head, out);
            }
        }
        NodeKind::Object(members) if remaining > 0 => {
            for m in members {
                let mut labels = labels;
                labels[depth.min(1)] = m.key.as_ref();
                collect_labelled(
                    tree,
                    m.value,
                    remaining - 1,
                    labels,
                    depth + 1,
                    m.key_range,
                    out,
                );
            }
        }
        NodeKind::Object(_) => out.push((node, labels, head)),
        _ => {}
    }
}

/// The top-level body of a file.
pub(crate) fn top_body<'m>(file: &'m SourceFile<'m>) -> Option<BodyRef<'m>> {
    match &file.content {
        Content::Hcl(body) => Some(BodyRef::Hcl(body, file)),
        Content::Json(parse) => parse.tree.root().map(|r| BodyRef::Json(r, file)),
        Content::Broken => None,
    }
}

/// The module's directory as its files' paths show it (`.` for bare names).
pub(crate) fn module_dir(files: &[HostFile<'_>]) -> String {
    let Some(first) = files.first() else {
        return ".".into();
    };
    match first.path.rfind(['/', '\\']) {
        Some(0) => "/".into(),
        Some(i) => first.path[..i].to_string(),
        None => ".".into(),
    }
}

/// `rel` joined to the module directory (absolute paths as they are).
pub(crate) fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') || rel.starts_with('\\') || rel.get(1..3) == Some(":\\") {
        return normalize(rel);
    }
    if dir == "." {
        return normalize(rel);
    }
    normalize(&format!("{dir}/{rel}"))
}

/// `a/./b` and `a/x/../b` as `a/b`, so one file has one name.
fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}
