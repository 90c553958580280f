//! The resource context of each key: its own attributes, and the resources
//! that name it (by `aws_kms_key.x.arn|key_id|id`, through an alias, or
//! through a local holding either), read into the host-free model of
//! [`crate::resources`].

use hcl_edit::expr::{Expression, TraversalOperator};
use rustc_hash::{FxHashMap, FxHashSet};

use super::eval::{Evaluator, Scope};
use super::parse::{BlockRef, BodyRef, Expr, Index};
use crate::resources::{Consumer, ConsumerKind, KeyContext, Located, S3BucketUse};

/// The key resource types, and whether each is a replica / has imported material.
pub(crate) const KEY_TYPES: &[&str] = &[
    "aws_kms_key",
    "aws_kms_replica_key",
    "aws_kms_external_key",
    "aws_kms_replica_external_key",
];

/// A reference to a key: its (type, name).
type KeyRef<'m> = (&'m str, &'m str);

/// Finds which keys an expression names.
struct KeyFinder<'a, 'm> {
    index: &'a Index<'m>,
    found: Vec<KeyRef<'m>>,
    locals_seen: FxHashSet<&'m str>,
    depth: usize,
}

impl<'a, 'm> KeyFinder<'a, 'm> {
    fn scan(&mut self, expr: Expr<'m>) {
        if self.depth > 16 {
            return;
        }
        self.depth += 1;
        match expr {
            Expr::Hcl(e, _) => self.visit_expr(e),
            Expr::Json(_, file) => {
                // A `.tf.json` string: the references written in it.
                let text = file.text.get(expr.range().as_usize()).unwrap_or("");
                for key_type in KEY_TYPES.iter().chain(&["aws_kms_alias"]) {
                    let needle = format!("{key_type}.");
                    for (i, _) in text.match_indices(&needle) {
                        let rest = &text[i + needle.len()..];
                        let name: &str = rest
                            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                            .next()
                            .unwrap_or("");
                        if let Some((&(t, n), _)) =
                            self.index.resources.get_key_value(&(*key_type, name))
                        {
                            self.named(t, n);
                        }
                    }
                }
            }
        }
        self.depth -= 1;
    }

    fn named(&mut self, kind: &'m str, name: &'m str) {
        if KEY_TYPES.contains(&kind) {
            if !self.found.contains(&(kind, name)) {
                self.found.push((kind, name));
            }
        } else if kind == "aws_kms_alias" {
            if let Some(alias) = self.index.resources.get(&(kind, name)) {
                if let Some(target) = alias.attr("target_key_id") {
                    self.scan(target);
                }
            }
        }
    }
}

impl<'a, 'm> KeyFinder<'a, 'm> {
    /// Walks an expression for traversals (hcl-edit bounds its nesting).
    fn visit_expr(&mut self, e: &'m Expression) {
        match e {
            Expression::Array(items) => items.iter().for_each(|i| self.visit_expr(i)),
            Expression::Object(o) => {
                for (k, v) in o.iter() {
                    if let hcl_edit::expr::ObjectKey::Expression(k) = k {
                        self.visit_expr(k);
                    }
                    self.visit_expr(v.expr());
                }
            }
            Expression::StringTemplate(t) => self.visit_template(t),
            Expression::HeredocTemplate(h) => self.visit_template(&h.template),
            Expression::Parenthesis(p) => self.visit_expr(p.inner()),
            Expression::Conditional(c) => {
                self.visit_expr(&c.cond_expr);
                self.visit_expr(&c.true_expr);
                self.visit_expr(&c.false_expr);
            }
            Expression::FuncCall(f) => f.args.iter().for_each(|a| self.visit_expr(a)),
            Expression::UnaryOp(op) => self.visit_expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.visit_expr(&op.lhs_expr);
                self.visit_expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.visit_expr(&f.intro.collection_expr);
                self.visit_expr(&f.value_expr);
            }
            Expression::Traversal(t) => {
                self.traversal(t);
                self.visit_expr(&t.expr);
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op.value() {
                        self.visit_expr(i);
                    }
                }
            }
            _ => {}
        }
    }

    fn visit_template(&mut self, t: &'m hcl_edit::template::Template) {
        use hcl_edit::template::{Directive, Element};
        for element in t.iter() {
            match element {
                Element::Interpolation(i) => self.visit_expr(&i.expr),
                Element::Directive(d) => match &**d {
                    Directive::If(d) => {
                        self.visit_expr(&d.if_expr.cond_expr);
                        self.visit_template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.visit_template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        self.visit_expr(&d.for_expr.collection_expr);
                        self.visit_template(&d.for_expr.template);
                    }
                },
                Element::Literal(_) => {}
            }
        }
    }

    fn traversal(&mut self, t: &'m hcl_edit::expr::Traversal) {
        let Expression::Variable(root) = &t.expr else {
            return;
        };
        let first = match t.operators.first().map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => a.as_str(),
            _ => return,
        };
        if root.as_str() == "local" {
            if let Some(&expr) = self.index.locals.get(first) {
                if self.locals_seen.insert(first) {
                    self.scan(expr);
                }
            }
        } else if self.index.resources.contains_key(&(root.as_str(), first)) {
            self.named(root.as_str(), first);
        }
    }
}

/// The keys an expression names.
fn keys_named<'m>(index: &Index<'m>, expr: Expr<'m>) -> Vec<KeyRef<'m>> {
    let mut finder = KeyFinder {
        index,
        found: Vec::new(),
        locals_seen: FxHashSet::default(),
        depth: 0,
    };
    finder.scan(expr);
    finder.found
}

/// The key that an `aws_kms_key_policy`'s `key_id` names.
pub(crate) fn key_of<'m>(index: &Index<'m>, expr: Expr<'m>) -> Option<KeyRef<'m>> {
    keys_named(index, expr).into_iter().next()
}

/// Every key's context, by (type, name).
pub(crate) fn contexts<'m>(ev: &mut Evaluator<'m, '_>) -> FxHashMap<KeyRef<'m>, KeyContext> {
    let index = ev.index();
    let mut keys: FxHashMap<KeyRef<'m>, KeyContext> = FxHashMap::default();
    for block in &index.resource_list {
        let kind = block.labels[0];
        if KEY_TYPES.contains(&kind) {
            keys.insert((kind, block.labels[1]), key_context(block));
        }
    }
    if keys.is_empty() {
        return keys;
    }
    // Buckets by name, linked by file caches and Lustre file systems.
    let mut links: Vec<(String, Located<String>)> = Vec::new();
    // Lustre file systems by name, for the data repository associations.
    for block in &index.resource_list {
        let kind = block.labels[0];
        let name = format!("{kind}.{}", block.labels[1]);
        match kind {
            "aws_fsx_file_cache" => {
                for dra in block.blocks("data_repository_association") {
                    if let Some(link) = bucket_link(ev, dra, "data_repository_path", &name) {
                        links.push(link);
                    }
                }
            }
            "aws_fsx_lustre_file_system" => {
                for attr in ["import_path", "export_path"] {
                    if let Some(link) = bucket_link(ev, *block, attr, &name) {
                        links.push(link);
                    }
                }
            }
            "aws_fsx_data_repository_association" => {
                // Linked on behalf of the file system it names.
                let fs = block
                    .attr("file_system_id")
                    .map(|e| e.source().split('.').take(2).collect::<Vec<_>>().join("."))
                    .filter(|s| s.starts_with("aws_fsx_"))
                    .unwrap_or(name.clone());
                if let Some(link) = bucket_link(ev, *block, "data_repository_path", &fs) {
                    links.push(link);
                }
            }
            _ => {}
        }
    }
    for block in &index.resource_list {
        let kind = block.labels[0];
        if kind.starts_with("aws_kms_") || kind.starts_with("aws_iam_") {
            continue;
        }
        let name = format!("{kind}.{}", block.labels[1]);
        let mut seen: Vec<KeyRef<'m>> = Vec::new();
        for (property, expr, key) in key_references(index, block.body, 0) {
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let Some(context) = keys.get_mut(&key) else {
                continue;
            };
            let kind_of = consumer_kind(ev, *block, kind, &links);
            context.consumers.push(Consumer {
                name: name.clone(),
                resource_type: kind.to_string(),
                kind: kind_of,
                property: Some(property.to_string()),
                at: expr.location(),
            });
        }
    }
    keys
}

/// Every (top-level attribute or block, attribute expression, key) a body
/// names, nested blocks included.
fn key_references<'m>(
    index: &Index<'m>,
    body: BodyRef<'m>,
    depth: usize,
) -> Vec<(&'m str, Expr<'m>, KeyRef<'m>)> {
    let mut out = Vec::new();
    if depth > 8 {
        return out;
    }
    for (name, expr) in body.attributes() {
        for key in keys_named(index, expr) {
            out.push((name, expr, key));
        }
    }
    for nested in body.all_blocks() {
        out.extend(
            key_references(index, nested.body, depth + 1)
                .into_iter()
                .map(|(name, expr, key)| (if depth == 0 { nested.ident } else { name }, expr, key)),
        );
    }
    out
}

fn key_context(block: &BlockRef<'_>) -> KeyContext {
    let kind = block.labels[0];
    let literal_text = |name: &str| -> Option<Located<String>> {
        let e = block.attr(name)?;
        match e {
            Expr::Hcl(Expression::String(s), _) => Some(Located {
                value: s.value().to_string(),
                at: e.location(),
            }),
            _ => None,
        }
    };
    // Written as a literal: its value; written otherwise (a variable, a
    // conditional): known only at apply time.
    let literal_bool = |name: &str| -> Option<Located<Option<bool>>> {
        let e = block.attr(name)?;
        let value = match e {
            Expr::Hcl(Expression::Bool(b), _) => Some(*b.value()),
            _ => None,
        };
        Some(Located {
            value,
            at: e.location(),
        })
    };
    KeyContext {
        name: format!("{kind}.{}", block.labels[1]),
        at: block.head_location(),
        account: Some(crate::symbolic::ACCOUNT.to_string()),
        spec: literal_text("customer_master_key_spec").or_else(|| literal_text("key_spec")),
        usage: literal_text("key_usage"),
        enabled: literal_bool("is_enabled").or_else(|| literal_bool("enabled")),
        rotation: literal_bool("enable_key_rotation"),
        replica: kind.contains("replica"),
        external_material: kind.contains("external"),
        consumers: Vec::new(),
    }
}

/// A bucket an `s3://bucket/prefix` path links, with who links it.
fn bucket_link<'m>(
    ev: &mut Evaluator<'m, '_>,
    block: BlockRef<'m>,
    attr: &str,
    linker: &str,
) -> Option<(String, Located<String>)> {
    let expr = block.attr(attr)?;
    let value = ev.eval(expr, &Scope::default());
    let path = value.as_text()?;
    let rest = path.strip_prefix("s3://")?;
    let bucket = rest.split('/').next()?.to_string();
    if bucket.is_empty() {
        return None;
    }
    Some((
        bucket,
        Located {
            value: linker.to_string(),
            at: expr.location(),
        },
    ))
}

fn consumer_kind<'m>(
    ev: &mut Evaluator<'m, '_>,
    block: BlockRef<'m>,
    kind: &str,
    links: &[(String, Located<String>)],
) -> ConsumerKind {
    let fsx = |t: &str| ConsumerKind::FsxFileSystem {
        file_system_type: Some(t.to_string()),
    };
    match kind {
        "aws_fsx_lustre_file_system" => fsx("LUSTRE"),
        "aws_fsx_windows_file_system" => fsx("WINDOWS"),
        "aws_fsx_ontap_file_system" => fsx("ONTAP"),
        "aws_fsx_openzfs_file_system" => fsx("OPENZFS"),
        "aws_fsx_file_cache" => ConsumerKind::FileCache,
        "aws_efs_file_system" => ConsumerKind::EfsFileSystem,
        "aws_s3_bucket_server_side_encryption_configuration" => {
            let bucket = block
                .attr("bucket")
                .and_then(|e| ev.eval(e, &Scope::default()).as_text());
            let rules = block.blocks("rule");
            let bucket_keys = rules
                .iter()
                .find_map(|r| literal_bool(*r, "bucket_key_enabled"));
            s3_use(bucket, bucket_keys, links)
        }
        "aws_s3_bucket" => {
            let bucket = block
                .attr("bucket")
                .and_then(|e| ev.eval(e, &Scope::default()).as_text())
                .or_else(|| {
                    Some(
                        ev.unknown(
                            &format!("{kind}.{}.bucket", block.labels[1]),
                            &block.head_location(),
                        )
                        .as_text()
                        .unwrap_or_default(),
                    )
                });
            let bucket_keys = block
                .blocks("server_side_encryption_configuration")
                .iter()
                .flat_map(|c| c.blocks("rule"))
                .find_map(|r| literal_bool(r, "bucket_key_enabled"));
            s3_use(bucket, bucket_keys, links)
        }
        other => ConsumerKind::Other {
            resource_type: other.to_string(),
        },
    }
}

fn literal_bool(block: BlockRef<'_>, name: &str) -> Option<Located<bool>> {
    let e = block.attr(name)?;
    match e {
        Expr::Hcl(Expression::Bool(b), _) => Some(Located {
            value: *b.value(),
            at: e.location(),
        }),
        _ => None,
    }
}

fn s3_use(
    bucket: Option<String>,
    bucket_keys: Option<Located<bool>>,
    links: &[(String, Located<String>)],
) -> ConsumerKind {
    let linked_by = match &bucket {
        Some(name) => links
            .iter()
            .filter(|(b, _)| b == name)
            .map(|(_, l)| l.clone())
            .collect(),
        None => Vec::new(),
    };
    let bucket = bucket.filter(|b| !b.is_empty());
    ConsumerKind::S3Bucket(S3BucketUse {
        bucket,
        bucket_keys,
        linked_by,
    })
}
