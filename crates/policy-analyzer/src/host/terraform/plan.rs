//! `terraform show -json`: a plan (`planned_values`, `resource_changes`,
//! `configuration`) or a state (`values`). Values there are resolved: each
//! key's policy is the JSON string the provider will send, parsed with its
//! ranges in the plan file (the string's unescaped runs byte for byte, each
//! escape standing for itself). A value the plan marks unknown
//! (`after_unknown`) is not read; the resources that use a key are found
//! from the references the configuration records.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::eval::Src;
use super::template::{align_literal, Flavor};
use crate::host::{analyze_embedded, EmbeddedPolicy, HostAnalysis, HostFile, Location};
use crate::resources::{Consumer, ConsumerKind, KeyContext, Located};
use crate::symbolic::SymbolTable;
use crate::syntax::{NodeId, NodeKind, Tree};
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// How deep modules may nest in a plan.
const MAX_MODULE_DEPTH: usize = 32;

/// A resource of the plan's values.
struct PlannedResource {
    address: String,
    kind: String,
    values: NodeId,
    head: TextRange,
}

/// Analyses the JSON of `terraform show -json`.
pub fn analyze_plan(file: HostFile<'_>, options: &AnalyzeOptions) -> HostAnalysis {
    let parse = crate::syntax::parse(file.text);
    let tree = &parse.tree;
    let path: Arc<str> = file.path.into();
    let Some(root) = tree.root() else {
        return HostAnalysis::default();
    };
    let mut resources = Vec::new();
    for top in ["planned_values", "values"] {
        if let Some(m) = tree.get(root, top) {
            if let Some(module) = tree.get(m.value, "root_module") {
                collect(tree, module.value, 0, &mut resources);
            }
        }
    }
    // What the plan cannot know yet, by address.
    let mut unknown: FxHashMap<String, NodeId> = FxHashMap::default();
    if let Some(changes) = tree.get(root, "resource_changes") {
        for &change in tree.items(changes.value) {
            let address = tree
                .get(change, "address")
                .and_then(|m| tree.as_str(m.value));
            let after_unknown = tree
                .get(change, "change")
                .and_then(|c| tree.get(c.value, "after_unknown"));
            if let (Some(address), Some(u)) = (address, after_unknown) {
                unknown.insert(address.to_string(), u.value);
            }
        }
    }
    let consumers = configuration_consumers(tree, root, &path);
    let at = |r: TextRange| Location {
        file: path.clone(),
        range: r,
    };
    let mut diagnostics = Vec::new();
    let mut services: Vec<&'static str> = Vec::new();
    let mut policies = 0;
    let symbols = Arc::new(super::terraform_spellings(SymbolTable::default()));
    let key_types = super::resources::KEY_TYPES;
    for resource in &resources {
        let is_key = key_types.contains(&resource.kind.as_str());
        if !is_key && resource.kind != "aws_kms_key_policy" {
            continue;
        }
        let is_unknown = |name: &str| {
            unknown
                .get(&resource.address)
                .and_then(|u| tree.get(*u, name))
                .is_some_and(|m| matches!(tree.kind(m.value), NodeKind::Bool(true)))
        };
        let Some(policy) = tree.get(resource.values, "policy") else {
            continue;
        };
        if is_unknown("policy") {
            continue;
        }
        let NodeKind::String(text) = tree.kind(policy.value) else {
            continue;
        };
        let range = tree.range(policy.value);
        let inner = TextRange {
            start: range.start + 1,
            end: range.end.saturating_sub(1).max(range.start + 1),
        };
        let src = Src {
            path: &path,
            text: file.text,
            base: 0,
            exact: true,
            whole: range,
        };
        let string = align_literal(text, inner, src, Flavor::PlanString);
        let (json, map) = string.render_as_text();
        let key = is_key.then(|| {
            let string_of = |name: &str| -> Option<Located<String>> {
                let m = tree.get(resource.values, name)?;
                let value = tree.as_str(m.value)?.to_string();
                (!is_unknown(name)).then(|| Located {
                    value,
                    at: at(tree.range(m.value)),
                })
            };
            let bool_of = |name: &str| -> Option<Located<Option<bool>>> {
                let m = tree.get(resource.values, name)?;
                let value = match tree.kind(m.value) {
                    NodeKind::Bool(b) => Some(*b),
                    _ => None,
                };
                Some(Located {
                    value,
                    at: at(tree.range(m.value)),
                })
            };
            KeyContext {
                name: resource.address.clone(),
                at: at(resource.head),
                account: Some(crate::symbolic::ACCOUNT.to_string()),
                spec: string_of("customer_master_key_spec").or_else(|| string_of("key_spec")),
                usage: string_of("key_usage"),
                enabled: bool_of("is_enabled"),
                rotation: bool_of("enable_key_rotation"),
                replica: resource.kind.contains("replica"),
                external_material: resource.kind.contains("external"),
                consumers: consumers
                    .get(config_address(&resource.address).as_str())
                    .cloned()
                    .unwrap_or_default(),
            }
        });
        policies += 1;
        let embedded = EmbeddedPolicy {
            json,
            map,
            symbols: symbols.clone(),
            key,
            branch: None,
            branches: Vec::new(),
        };
        let findings = analyze_embedded(&embedded, options);
        services.extend(findings.services);
        diagnostics.extend(findings.diagnostics);
    }
    HostAnalysis {
        diagnostics: crate::rules::bound_findings(diagnostics, &options.rules),
        policies,
        services,
    }
}

/// The resources of a module's values and its child modules'.
fn collect(tree: &Tree<'_>, module: NodeId, depth: usize, out: &mut Vec<PlannedResource>) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    if let Some(list) = tree.get(module, "resources") {
        for &r in tree.items(list.value) {
            let field = |name: &str| {
                tree.get(r, name)
                    .and_then(|m| tree.as_str(m.value))
                    .unwrap_or_default()
                    .to_string()
            };
            let Some(values) = tree.get(r, "values") else {
                continue;
            };
            let head = tree
                .get(r, "address")
                .map(|m| tree.range(m.value))
                .unwrap_or_else(|| tree.range(r));
            out.push(PlannedResource {
                address: field("address"),
                kind: field("type"),
                values: values.value,
                head,
            });
        }
    }
    if let Some(children) = tree.get(module, "child_modules") {
        for &child in tree.items(children.value) {
            collect(tree, child, depth + 1, out);
        }
    }
}

/// The address the configuration uses for an instance (`aws_kms_key.a[0]`
/// is `aws_kms_key.a`).
fn config_address(address: &str) -> String {
    match address.find('[') {
        Some(i) => address[..i].to_string(),
        None => address.to_string(),
    }
}

/// The resources of the root module's configuration that refer to a key,
/// by the key's address.
fn configuration_consumers(
    tree: &Tree<'_>,
    root: NodeId,
    path: &Arc<str>,
) -> FxHashMap<String, Vec<Consumer>> {
    let mut out: FxHashMap<String, Vec<Consumer>> = FxHashMap::default();
    let Some(resources) = tree
        .get(root, "configuration")
        .and_then(|c| tree.get(c.value, "root_module"))
        .and_then(|m| tree.get(m.value, "resources"))
    else {
        return out;
    };
    for &r in tree.items(resources.value) {
        let kind = tree
            .get(r, "type")
            .and_then(|m| tree.as_str(m.value))
            .unwrap_or_default();
        let address = tree
            .get(r, "address")
            .and_then(|m| tree.as_str(m.value))
            .unwrap_or_default();
        if kind.starts_with("aws_kms_") || kind.starts_with("aws_iam_") {
            continue;
        }
        let Some(expressions) = tree.get(r, "expressions") else {
            continue;
        };
        // Each reference with the top-level attribute or block it lies under.
        let mut refs: Vec<(String, TextRange, &str)> = Vec::new();
        match tree.kind(expressions.value) {
            NodeKind::Object(members) => {
                for m in members {
                    let mut found = Vec::new();
                    references(tree, m.value, 1, &mut found);
                    refs.extend(found.into_iter().map(|(r, range)| (r, range, &*m.key)));
                }
            }
            _ => {
                let mut found = Vec::new();
                references(tree, expressions.value, 0, &mut found);
                refs.extend(found.into_iter().map(|(r, range)| (r, range, "")));
            }
        }
        let consumer_kind = match kind {
            "aws_fsx_lustre_file_system" => fsx("LUSTRE"),
            "aws_fsx_windows_file_system" => fsx("WINDOWS"),
            "aws_fsx_ontap_file_system" => fsx("ONTAP"),
            "aws_fsx_openzfs_file_system" => fsx("OPENZFS"),
            "aws_fsx_file_cache" => ConsumerKind::FileCache,
            "aws_efs_file_system" => ConsumerKind::EfsFileSystem,
            other => ConsumerKind::Other {
                resource_type: other.to_string(),
            },
        };
        let mut seen: Vec<String> = Vec::new();
        for (reference, range, property) in refs {
            let key: String = reference.split('.').take(2).collect::<Vec<_>>().join(".");
            let key_type = key.split('.').next().unwrap_or_default();
            if !super::resources::KEY_TYPES.contains(&key_type) || seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            out.entry(key).or_default().push(Consumer {
                name: address.to_string(),
                resource_type: kind.to_string(),
                kind: consumer_kind.clone(),
                property: (!property.is_empty()).then(|| property.to_string()),
                at: Location {
                    file: path.clone(),
                    range,
                },
            });
        }
    }
    out
}

fn fsx(t: &str) -> ConsumerKind {
    ConsumerKind::FsxFileSystem {
        file_system_type: Some(t.to_string()),
    }
}

/// Every `references` entry under a configuration's expressions.
fn references(tree: &Tree<'_>, node: NodeId, depth: usize, out: &mut Vec<(String, TextRange)>) {
    if depth > 16 {
        return;
    }
    match tree.kind(node) {
        NodeKind::Object(members) => {
            for m in members {
                if m.key == "references" {
                    for &r in tree.items(m.value) {
                        if let Some(s) = tree.as_str(r) {
                            out.push((s.to_string(), tree.range(r)));
                        }
                    }
                } else {
                    references(tree, m.value, depth + 1, out);
                }
            }
        }
        NodeKind::Array(items) => {
            for &i in items {
                references(tree, i, depth + 1, out);
            }
        }
        _ => {}
    }
}
