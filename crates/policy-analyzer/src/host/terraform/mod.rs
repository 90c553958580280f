//! Terraform: key policies in `.tf` modules (jsonencode, heredocs, `file()`,
//! `templatefile()`, `aws_iam_policy_document`), template files on their
//! own, and plan JSON.
//!
//! - `parse.rs` reads the module's files and indexes its blocks;
//! - `eval.rs` resolves expressions to values that keep their ranges
//!   (`functions.rs`: built-in functions; `template.rs`: strings, heredocs
//!   and template files; `policy_document.rs`: `aws_iam_policy_document`);
//! - `resources.rs` builds each key's resource context;
//! - `plan.rs` reads `terraform show -json`.
//!
//! A condition whose value is unknown (`var.x ? a : b` without a value for
//! `var.x`) is checked both ways: the policy is rendered once per
//! combination of the first [`eval::MAX_BRANCHES`] such conditions and the
//! variants analysed together ([`host::analyze_variants`]), so a finding of
//! one branch says which; further unknown conditions in the same policy
//! give unknown values, which no rule reads as text.

mod eval;
mod functions;
mod parse;
mod plan;
mod policy_document;
mod resources;
mod template;
#[cfg(test)]
mod tests;
mod value;

use std::sync::Arc;

use super::{analyze_variants, EmbeddedPolicy, HostAnalysis, HostFile, Loader, NoFiles};
use crate::host::SourceMap;
use crate::resources::KeyContext;
use crate::AnalyzeOptions;
use eval::{Evaluator, Module, Scope, Sink, Src};
use parse::{BlockRef, Index};
use value::{render_policy, Kind, Value};

pub use plan::analyze_plan;

/// How many instances of a `count`/`for_each` key are checked.
const MAX_INSTANCES: usize = 8;

/// Analyses one Terraform module: the `.tf` and `.tf.json` files of one
/// directory, with its `terraform.tfvars` and `*.auto.tfvars`.
pub fn analyze_module(
    files: &[HostFile<'_>],
    loader: &dyn Loader,
    options: &AnalyzeOptions,
) -> HostAnalysis {
    let mut diagnostics = Vec::new();
    let mut services: Vec<&'static str> = Vec::new();
    let parsed = parse::parse_files(files, options, &mut diagnostics);
    let module = Module {
        index: Index::build(&parsed),
        dir: parse::module_dir(files),
        loader,
    };
    let mut sink = Sink::new(options);
    let rendered = render_all(&module, &mut sink);
    let count = rendered.len();
    let symbols = Arc::new(terraform_spellings(std::mem::take(&mut sink.symbols)));
    diagnostics.append(&mut sink.diagnostics);
    for variants in rendered {
        let variants = embed(variants, &symbols);
        if !variants.is_empty() {
            let findings = analyze_variants(&variants, options);
            services.extend(findings.services);
            diagnostics.extend(findings.diagnostics);
        }
    }
    let mut diagnostics = crate::rules::bound_findings(diagnostics, &options.rules);
    keep_fixes_that_parse(&mut diagnostics, files);
    HostAnalysis {
        diagnostics,
        policies: count,
        services,
    }
}

/// Drops the fixes after which a module file that read as HCL no longer
/// does. The source map keeps an edit inside the text it maps, but a
/// heredoc's last line break belongs to its syntax too: deleting an
/// unterminated `/*` comment up to the end of the heredoc's text joined
/// its closing marker to the line before (found by the terraform fuzz
/// target). Each file is re-read at most 4 times its size and 1 MiB in
/// all; past that, a fix is not offered, since it cannot be checked.
fn keep_fixes_that_parse(diagnostics: &mut [crate::Diagnostic], files: &[HostFile<'_>]) {
    let mut parsed: Vec<Option<bool>> = vec![None; files.len()];
    let mut budget: Vec<usize> = files
        .iter()
        .map(|f| f.text.len().saturating_mul(4).saturating_add(1 << 20))
        .collect();
    for d in diagnostics.iter_mut().filter(|d| d.fix.is_some()) {
        let Some(at) = files
            .iter()
            .position(|f| d.file.as_deref() == Some(f.path) && !f.path.ends_with(".json"))
        else {
            continue;
        };
        let text = files[at].text;
        if !*parsed[at].get_or_insert_with(|| hcl_edit::parser::parse_body(text).is_ok()) {
            continue;
        }
        let Some(fix) = &d.fix else { continue };
        let fixed = fix.apply(text);
        let sound = budget[at] >= fixed.len() && hcl_edit::parser::parse_body(&fixed).is_ok();
        budget[at] = budget[at].saturating_sub(fixed.len());
        if !sound {
            d.fix = None;
        }
    }
}

/// One rendering of a policy.
struct Rendered {
    json: String,
    map: SourceMap,
    key: Option<KeyContext>,
    branch: Option<String>,
}

/// The symbols as Terraform spells them, also where a module never wrote
/// them (the key's account in a finding about a policy that names none).
pub(super) fn terraform_spellings(
    mut symbols: crate::symbolic::SymbolTable,
) -> crate::symbolic::SymbolTable {
    use crate::symbolic::Symbol;
    symbols.spell_by_default(
        Symbol::Account,
        "${data.aws_caller_identity.current.account_id}",
    );
    symbols.spell_by_default(Symbol::Region, "${data.aws_region.current.name}");
    symbols
}

/// A policy's renderings as the policies the analysis reads.
fn embed(
    variants: Vec<Rendered>,
    symbols: &Arc<crate::symbolic::SymbolTable>,
) -> Vec<EmbeddedPolicy> {
    variants
        .into_iter()
        .map(|r| EmbeddedPolicy {
            json: r.json,
            map: r.map,
            symbols: symbols.clone(),
            key: r.key,
            branch: r.branch,
            branches: Vec::new(),
        })
        .collect()
}

/// Every policy of the module, each as its variants.
fn render_all<'m>(module: &'m Module<'m>, sink: &mut Sink<'m>) -> Vec<Vec<Rendered>> {
    let mut ev = Evaluator::new(module, sink);
    let contexts = resources::contexts(&mut ev);
    let index = &module.index;
    let mut out = Vec::new();
    for block in &index.resource_list {
        let kind = block.labels[0];
        let key = if resources::KEY_TYPES.contains(&kind) {
            Some((kind, block.labels[1]))
        } else if kind == "aws_kms_key_policy" {
            block
                .attr("key_id")
                .and_then(|e| resources::key_of(index, e))
        } else {
            continue;
        };
        let Some(policy) = block.attr("policy") else {
            continue;
        };
        let context = key.and_then(|k| contexts.get(&k)).cloned();
        let mut variants = Vec::new();
        for (names, instance) in instances(&mut ev, *block) {
            let scope = Scope::default();
            let scope = scope.child(names);
            ev.start(Vec::new(), false);
            let first = ev.eval(policy, &scope);
            let met = ev.met.clone();
            let runs: Vec<(Value, Option<String>)> = if met.is_empty() {
                vec![(first, None)]
            } else {
                let n = met.len().min(eval::MAX_BRANCHES);
                (0..1usize << n)
                    .map(|mask| {
                        let plan: Vec<bool> = (0..n).map(|i| mask & (1 << i) == 0).collect();
                        let words: Vec<String> = plan
                            .iter()
                            .zip(&met)
                            .map(|(b, m)| format!("`{m}` is {b}"))
                            .collect();
                        ev.start(plan, true);
                        let v = ev.eval(policy, &scope);
                        (v, Some(format!("where {}", words.join(" and "))))
                    })
                    .collect()
            };
            for (v, branch) in runs {
                let Some((json, map)) = render_policy(&v) else {
                    continue;
                };
                let branch = match (&instance, branch) {
                    (Some(i), Some(b)) => Some(format!("{i}, {b}")),
                    (Some(i), None) => Some(i.clone()),
                    (None, b) => b,
                };
                variants.push(Rendered {
                    json,
                    map,
                    key: context.clone(),
                    branch,
                });
            }
        }
        out.push(variants);
    }
    out
}

/// The names one instance binds, and how to say which it is.
type Instance = (Vec<(String, Value)>, Option<String>);

/// The instances of a block: for `count` and `for_each`, the names each
/// binds and how to say which it is; one plain instance otherwise.
fn instances<'m>(ev: &mut Evaluator<'m, '_>, block: BlockRef<'m>) -> Vec<Instance> {
    let name = format!("{}.{}", block.labels[0], block.labels[1]);
    let at = block.head_location();
    ev.start(Vec::new(), false);
    if let Some(count) = block.attr("count") {
        let n = ev.eval(count, &Scope::default());
        return match n.as_number() {
            Some(n) if n <= 0.0 => Vec::new(),
            Some(n) => (0..(n as usize).min(MAX_INSTANCES))
                .map(|i| {
                    let index = Value::new(Kind::Number(i.to_string()), &at);
                    let names = ev.instance_names(block, Some(&index));
                    (names, (n > 1.0).then(|| format!("for {name}[{i}]")))
                })
                .collect(),
            None => {
                let index = ev.unknown("count.index", &at);
                vec![(ev.instance_names(block, Some(&index)), None)]
            }
        };
    }
    if let Some(for_each) = block.attr("for_each") {
        let collection = ev.eval(for_each, &Scope::default());
        return match ev.iterate(&collection) {
            Some(pairs) => pairs
                .into_iter()
                .take(MAX_INSTANCES)
                .map(|(k, v)| {
                    let key = if matches!(collection.kind, Kind::List(_)) {
                        v
                    } else {
                        k
                    };
                    let text = key.as_text().unwrap_or_default();
                    let names = ev.instance_names(block, Some(&key));
                    (names, Some(format!("for {name}[\"{text}\"]")))
                })
                .collect(),
            None => vec![(ev.instance_names(block, None), None)],
        };
    }
    vec![(Vec::new(), None)]
}

/// Whether text parses as a Terraform template: JSON with a `${...}` that
/// is no Terraform expression (`${new Date()}` in a document's example) is
/// not one, whatever it looks like.
pub fn parses_as_template(text: &str) -> bool {
    hcl_edit::parser::parse_template(text).is_ok()
}

/// Analyses a template file met on its own: `${...}` placeholders are
/// unknown values, `%{...}` directives are skipped (a section under an
/// unknown condition is left out; a loop is rendered once, as one
/// representative element).
pub fn analyze_template(file: HostFile<'_>, options: &AnalyzeOptions) -> HostAnalysis {
    let path: Arc<str> = file.path.into();
    let mut diagnostics = Vec::new();
    let mut services: Vec<&'static str> = Vec::new();
    let template = match hcl_edit::parser::parse_template(file.text) {
        Ok(t) => t,
        Err(e) => {
            let at = crate::host::Location {
                file: path.clone(),
                range: crate::host::char_at(file.text, e.location().offset()),
            };
            diagnostics.extend(crate::host::report(
                &crate::rules::syntax::invalid_hcl::RULE,
                options,
                &at,
                format!(
                    "{} is not a valid Terraform template at line {}, column {}: {}; templatefile() fails on it",
                    file.path,
                    e.location().line(),
                    e.location().column(),
                    e.message().replace('\n', " ")
                ),
            ));
            return HostAnalysis {
                diagnostics,
                policies: 0,
                services,
            };
        }
    };
    let module = Module {
        index: Index::default(),
        dir: ".".into(),
        loader: &NoFiles,
    };
    let mut sink = Sink::new(options);
    let text = {
        let mut ev = Evaluator::new(&module, &mut sink);
        let src = Src {
            path: &path,
            text: file.text,
            base: 0,
            exact: true,
            whole: Default::default(),
        };
        let scope = Scope::open_template();
        ev.render(
            &template,
            src,
            &scope,
            template::Flavor::File,
            template::Directives::Alone,
        )
    };
    let (json, map) = text.render_as_text();
    if !is_policy(&json) {
        // A fragment (one statement, a list of principals) is checked
        // where a module puts it in a policy.
        return HostAnalysis {
            diagnostics,
            policies: 0,
            services,
        };
    }
    let policy = EmbeddedPolicy {
        json,
        map,
        symbols: Arc::new(terraform_spellings(std::mem::take(&mut sink.symbols))),
        key: None,
        branch: None,
        branches: Vec::new(),
    };
    diagnostics.append(&mut sink.diagnostics);
    let findings = super::analyze_embedded(&policy, options);
    services.extend(findings.services);
    diagnostics.extend(findings.diagnostics);
    HostAnalysis {
        diagnostics: crate::rules::bound_findings(diagnostics, &options.rules),
        policies: 1,
        services,
    }
}

/// Whether JSON text is a policy document: an object with `Statement`
/// (an unreadable one counts, so its syntax errors are reported).
fn is_policy(json: &str) -> bool {
    let parse = crate::syntax::parse(json);
    match parse.tree.root() {
        Some(root) => match parse.tree.kind(root) {
            crate::syntax::NodeKind::Object(_) => {
                parse.tree.get(root, "Statement").is_some() || !parse.errors.is_empty()
            }
            _ => false,
        },
        None => !json.trim().is_empty(),
    }
}

/// The key policies of a module, rendered (for each key, its first variant).
pub fn policies(
    files: &[HostFile<'_>],
    loader: &dyn Loader,
    options: &AnalyzeOptions,
) -> Vec<EmbeddedPolicy> {
    let mut ignored = Vec::new();
    let parsed = parse::parse_files(files, options, &mut ignored);
    let module = Module {
        index: Index::build(&parsed),
        dir: parse::module_dir(files),
        loader,
    };
    let mut sink = Sink::new(options);
    let rendered = render_all(&module, &mut sink);
    let symbols = Arc::new(terraform_spellings(std::mem::take(&mut sink.symbols)));
    rendered
        .into_iter()
        .filter_map(|variants| embed(variants, &symbols).into_iter().next())
        .collect()
}

/// The files (paths as the loader takes them) that the module's
/// `templatefile()` and `file()` calls read: a walk checks them through the
/// module, in the context of the resources that use them.
pub fn files_read(files: &[HostFile<'_>]) -> Vec<String> {
    let options = AnalyzeOptions::default();
    let mut ignored = Vec::new();
    let parsed = parse::parse_files(files, &options, &mut ignored);
    let module = Module {
        index: Index::build(&parsed),
        dir: parse::module_dir(files),
        loader: &NoFiles,
    };
    let mut sink = Sink::new(&options);
    let mut ev = Evaluator::new(&module, &mut sink);
    let mut paths = Vec::new();
    for file in &parsed {
        let parse::Content::Hcl(body) = &file.content else {
            continue;
        };
        let mut calls = FileCalls::default();
        calls.visit_body(body);
        for arg in calls.paths {
            let v = ev.eval(parse::Expr::Hcl(arg, file), &Scope::default());
            if let Some(path) = v.known_text() {
                let path = if path.starts_with(&format!("{}/", module.dir)) || path.starts_with('/')
                {
                    path
                } else {
                    parse::join(&module.dir, &path)
                };
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
    }
    paths
}

/// The first arguments of `templatefile()` and `file()` calls.
#[derive(Default)]
struct FileCalls<'a> {
    paths: Vec<&'a hcl_edit::expr::Expression>,
}

impl<'a> FileCalls<'a> {
    fn visit_body(&mut self, body: &'a hcl_edit::structure::Body) {
        for structure in body.iter() {
            match structure {
                hcl_edit::structure::Structure::Attribute(a) => self.visit_expr_ref(&a.value),
                hcl_edit::structure::Structure::Block(b) => self.visit_body(&b.body),
            }
        }
    }

    fn visit_expr_ref(&mut self, e: &'a hcl_edit::expr::Expression) {
        collect_calls(e, &mut self.paths, 0);
    }
}

/// Finds `templatefile` and `file` calls, keeping their first argument.
fn collect_calls<'a>(
    e: &'a hcl_edit::expr::Expression,
    out: &mut Vec<&'a hcl_edit::expr::Expression>,
    depth: usize,
) {
    use hcl_edit::expr::Expression as E;
    if depth > eval::MAX_DEPTH {
        return;
    }
    match e {
        E::FuncCall(call) => {
            if matches!(call.name.name.as_str(), "templatefile" | "file") {
                if let Some(first) = call.args.iter().next() {
                    out.push(first);
                }
            }
            for a in call.args.iter() {
                collect_calls(a, out, depth + 1);
            }
        }
        E::Array(items) => items.iter().for_each(|i| collect_calls(i, out, depth + 1)),
        E::Object(o) => o
            .iter()
            .for_each(|(_, v)| collect_calls(v.expr(), out, depth + 1)),
        E::Parenthesis(p) => collect_calls(p.inner(), out, depth + 1),
        E::Conditional(c) => {
            collect_calls(&c.true_expr, out, depth + 1);
            collect_calls(&c.false_expr, out, depth + 1);
        }
        E::ForExpr(f) => collect_calls(&f.value_expr, out, depth + 1),
        E::StringTemplate(t) => {
            for el in t.iter() {
                if let hcl_edit::template::Element::Interpolation(i) = el {
                    collect_calls(&i.expr, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}
