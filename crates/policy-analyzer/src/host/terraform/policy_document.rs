//! `data "aws_iam_policy_document"`: its blocks become the policy the AWS
//! provider writes, each element standing for the HCL that gives it, and
//! its `source_policy_documents` / `override_policy_documents` merged the
//! way the provider merges them.

use rustc_hash::FxHashMap;

use super::eval::{Evaluator, Scope};
use super::functions::decode_json;
use super::parse::BlockRef;
use super::value::{Key, Kind, Value, LITERAL};
use crate::host::{HostString, Location, Replace};

impl<'m, 'k> Evaluator<'m, 'k> {
    /// The policy a document block gives, as an object value.
    pub(crate) fn policy_document(&mut self, block: BlockRef<'m>, scope: &Scope<'_>) -> Value {
        let at = block.location();
        let mut merged = Merged::default();
        // The provider starts from the source documents, in order, then
        // merges this document's own statements, then each override: a
        // statement with the Sid of an earlier one takes its place.
        for name in ["source_policy_documents", "source_json"] {
            if let Some(v) = self.attr(block, name, scope) {
                for doc in documents(v) {
                    merged.merge(self, doc);
                }
            }
        }
        let mut own = Document {
            version: self.attr(block, "version", scope).filter(|v| !v.is_null()),
            id: self
                .attr(block, "policy_id", scope)
                .filter(|v| !v.is_null()),
            statements: Vec::new(),
        };
        for statement in self.expanded(block, "statement", scope) {
            let (block, names) = statement;
            let inner = scope.child(names);
            own.statements.push(self.statement(block, &inner));
        }
        merged.merge_document(own);
        for name in ["override_policy_documents", "override_json"] {
            if let Some(v) = self.attr(block, name, scope) {
                for doc in documents(v) {
                    merged.merge(self, doc);
                }
            }
        }
        merged.finish(&block.head_location(), &at)
    }

    /// The nested blocks of a type, `dynamic` ones expanded: each with the
    /// names its iterator binds.
    pub(crate) fn expanded(
        &mut self,
        block: BlockRef<'m>,
        ident: &str,
        scope: &Scope<'_>,
    ) -> Vec<(BlockRef<'m>, Vec<(String, Value)>)> {
        let mut out = Vec::new();
        let nested = match block.body {
            super::parse::BodyRef::Hcl(..) => block.body.all_blocks(),
            super::parse::BodyRef::Json(..) => block.blocks(ident),
        };
        for b in nested {
            if b.ident == ident {
                out.push((b, Vec::new()));
            } else if b.ident == "dynamic" && b.labels[0] == ident {
                let Some(content) = b.blocks("content").into_iter().next() else {
                    continue;
                };
                let iterator = match b.attr("iterator") {
                    Some(e) => e.source().to_string(),
                    None => ident.to_string(),
                };
                let collection = match b.attr("for_each") {
                    Some(e) => self.eval(e, scope),
                    None => continue,
                };
                let at = b.head_location();
                match self.iterate(&collection) {
                    Some(pairs) => {
                        for (k, v) in pairs.into_iter().take(10_000) {
                            // A list's `key` is its index; a set's, its value.
                            let key = match collection.kind {
                                Kind::List(_) => v.clone(),
                                _ => k,
                            };
                            let it = super::eval::object(&[("key", key), ("value", v)], &at);
                            out.push((content, vec![(iterator.clone(), it)]));
                        }
                    }
                    None => {
                        // Unknown elements: the content once, its iterator unknown.
                        let what = format!("{iterator}.value");
                        let v = self.unknown(&what, &at);
                        let k = self.unknown(&format!("{iterator}.key"), &at);
                        let it = super::eval::object(&[("key", k), ("value", v)], &at);
                        out.push((content, vec![(iterator.clone(), it)]));
                    }
                }
            }
        }
        out
    }

    fn statement(&mut self, block: BlockRef<'m>, scope: &Scope<'_>) -> Value {
        let head = block.head_location();
        let mut members: Vec<(Key, Value)> = Vec::new();
        let key_at = |ev: &mut Self, name: &str| -> Location {
            let _ = ev;
            block
                .attr(name)
                .map(|e| e.location())
                .unwrap_or_else(|| head.clone())
        };
        if let Some(sid) = self.attr(block, "sid", scope) {
            if sid.as_text().is_some_and(|t| !t.is_empty()) {
                let at = key_at(self, "sid");
                members.push((Key::synthetic("Sid", &at), sid));
            }
        }
        let effect = match self.attr(block, "effect", scope).filter(|v| !v.is_null()) {
            Some(v) => v,
            // The provider writes the default.
            None => Value::string("Allow", &head),
        };
        let at = key_at(self, "effect");
        members.push((Key::synthetic("Effect", &at), effect));
        for (attr, element) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            if let Some(v) = self.attr(block, attr, scope) {
                if v.is_null() || v.as_list().is_some_and(|l| l.is_empty()) {
                    continue;
                }
                let at = key_at(self, attr);
                members.push((Key::synthetic(element, &at), v));
            }
        }
        for (ident, element) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let blocks = self.expanded(block, ident, scope);
            if blocks.is_empty() {
                continue;
            }
            let first_at = blocks[0].0.head_location();
            let mut principal: Vec<(Key, Value)> = Vec::new();
            let mut star: Option<Value> = None;
            for (b, names) in blocks {
                let inner = scope.child(names);
                let kind = self.attr(b, "type", &inner);
                let ids = self.attr(b, "identifiers", &inner);
                let (Some(kind), Some(ids)) = (kind, ids) else {
                    continue;
                };
                let type_at = kind.at.clone();
                let name = kind
                    .as_host_string()
                    .unwrap_or_else(|| HostString::whole("", type_at.clone()));
                // `type = "*"` with `identifiers = ["*"]` is `"Principal": "*"`.
                if name.text() == "*" {
                    star = Some(match ids.as_list() {
                        Some([only]) => only.clone(),
                        _ => ids,
                    });
                    continue;
                }
                let text = name.text();
                match principal.iter_mut().find(|(k, _)| k.text() == text) {
                    Some((_, existing)) => append(existing, ids),
                    None => principal.push((
                        Key {
                            name,
                            at: type_at,
                            replace: if kind.literal {
                                LITERAL
                            } else {
                                Replace::Never
                            },
                        },
                        ids,
                    )),
                }
            }
            let value = match (star, principal.is_empty()) {
                (Some(star), true) => star,
                (_, _) => Value::new(Kind::Object(principal), &first_at),
            };
            members.push((Key::synthetic(element, &first_at), value));
        }
        let conditions = self.expanded(block, "condition", scope);
        if !conditions.is_empty() {
            let first_at = conditions[0].0.head_location();
            let mut operators: Vec<(Key, Value)> = Vec::new();
            for (b, names) in conditions {
                let inner = scope.child(names);
                let test = self.attr(b, "test", &inner);
                let variable = self.attr(b, "variable", &inner);
                let values = self.attr(b, "values", &inner);
                let (Some(test), Some(variable), Some(values)) = (test, variable, values) else {
                    continue;
                };
                let key_of = |v: &Value| Key {
                    name: v
                        .as_host_string()
                        .unwrap_or_else(|| HostString::whole("", v.at.clone())),
                    at: v.at.clone(),
                    replace: if v.literal { LITERAL } else { Replace::Never },
                };
                let test_key = key_of(&test);
                let variable_key = key_of(&variable);
                let test_text = test_key.text();
                let position = operators.iter().position(|(k, _)| k.text() == test_text);
                let block_at = b.location();
                let op = match position {
                    Some(i) => &mut operators[i].1,
                    None => {
                        operators.push((test_key, Value::new(Kind::Object(Vec::new()), &block_at)));
                        &mut operators.last_mut().expect("just pushed").1
                    }
                };
                if let Kind::Object(keys) = &mut op.kind {
                    let variable_text = variable_key.text();
                    match keys.iter_mut().find(|(k, _)| k.text() == variable_text) {
                        Some((_, existing)) => append(existing, values),
                        None => keys.push((variable_key, values)),
                    }
                }
            }
            members.push((
                Key::synthetic("Condition", &first_at),
                Value::new(Kind::Object(operators), &first_at),
            ));
        }
        Value::new(Kind::Object(members), &block.location())
    }
}

/// Adds `more`'s elements to a list value (a lone value becomes a list).
fn append(existing: &mut Value, more: Value) {
    let mut items = match std::mem::replace(&mut existing.kind, Kind::Null) {
        Kind::List(items) => items,
        other => vec![Value {
            kind: other,
            at: existing.at.clone(),
            literal: existing.literal,
        }],
    };
    match more.kind {
        Kind::List(more) => items.extend(more),
        _ => items.push(more),
    }
    existing.kind = Kind::List(items);
    existing.literal = false;
}

/// The documents a `source_policy_documents` value lists (or a lone `source_json`).
fn documents(v: Value) -> Vec<Value> {
    match v.kind {
        Kind::List(items) => items,
        Kind::Null => Vec::new(),
        _ => vec![v],
    }
}

/// A policy's parts while documents are merged.
struct Document {
    version: Option<Value>,
    id: Option<Value>,
    statements: Vec<Value>,
}

#[derive(Default)]
struct Merged {
    version: Option<Value>,
    id: Option<Value>,
    statements: Vec<Value>,
    /// Where each Sid's statement is, so a merge replaces it in place
    /// without a scan.
    by_sid: FxHashMap<String, usize>,
}

impl Merged {
    /// Merges a document given as a value (a policy document's JSON, a
    /// `jsonencode`d object, a JSON string).
    fn merge(&mut self, ev: &mut Evaluator<'_, '_>, doc: Value) {
        let at = doc.at.clone();
        let object = match doc.kind {
            Kind::Json(inner) => *inner,
            Kind::Str(s) => match decode_json(&s, &at) {
                Some(v) => v,
                None => return,
            },
            Kind::Object(_) => doc,
            Kind::Unknown(_) => {
                // An unknown document adds statements nobody can see: the
                // policy is checked with what is known.
                let _ = ev;
                return;
            }
            _ => return,
        };
        let statements = match object.get("Statement").cloned() {
            Some(Value {
                kind: Kind::List(items),
                ..
            }) => items,
            Some(one) => vec![one],
            None => Vec::new(),
        };
        self.merge_document(Document {
            version: object.get("Version").cloned(),
            id: object.get("Id").cloned(),
            statements,
        });
    }

    fn merge_document(&mut self, doc: Document) {
        if let Some(id) = doc
            .id
            .filter(|v| v.as_text().is_some_and(|t| !t.is_empty()))
        {
            self.id = Some(id);
        }
        if let Some(version) = doc.version {
            let newer = match (&self.version, version.as_text()) {
                (None, _) => true,
                (Some(old), Some(new)) => old.as_text().is_none_or(|old| new > old),
                _ => false,
            };
            if newer {
                self.version = Some(version);
            }
        }
        for statement in doc.statements {
            let sid = statement
                .get("Sid")
                .and_then(Value::as_text)
                .filter(|s| !s.is_empty());
            match sid {
                Some(sid) => match self.by_sid.get(&sid) {
                    Some(&i) => self.statements[i] = statement,
                    None => {
                        self.by_sid.insert(sid, self.statements.len());
                        self.statements.push(statement);
                    }
                },
                None => self.statements.push(statement),
            }
        }
    }

    fn finish(self, head: &Location, at: &Location) -> Value {
        let version = self
            .version
            .unwrap_or_else(|| Value::string("2012-10-17", head));
        let mut members = vec![(Key::synthetic("Version", &version.at.clone()), version)];
        if let Some(id) = self.id {
            members.push((Key::synthetic("Id", &id.at.clone()), id));
        }
        members.push((
            Key::synthetic("Statement", at),
            Value::new(Kind::List(self.statements), at),
        ));
        Value::new(Kind::Object(members), at)
    }
}
