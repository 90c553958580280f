//! CloudFormation: key policies in templates, JSON or YAML.
//!
//! - `template.rs` reads the text into one tree (short forms as long forms);
//! - `resolve.rs` turns intrinsic functions into values and symbols;
//! - `resources.rs` builds each key's resource context;
//! - here: each `AWS::KMS::Key` / `AWS::KMS::ReplicaKey` policy is rendered
//!   once per choice of the conditions its `Fn::If`s test, and analysed.

mod dependencies;
mod resolve;
mod resources;
mod template;

use std::sync::Arc;

use resolve::{conditions_used, Index, Problems, Resolver, Val};
use template::{Id, Kind, Syntax, Template, FUNCTIONS};

use super::{
    analyze_variants, report, EmbeddedPolicy, HostAnalysis, HostFile, HostString, Location,
    PolicyWriter, Replace,
};
use crate::resources::KeyContext;
use crate::rules::syntax::{
    duplicate_key, invalid_json, invalid_yaml, json_comment, trailing_comma,
};
use crate::rules::templates::{invalid_intrinsic, unknown_function};
use crate::symbolic::SymbolTable;
use crate::syntax::SyntaxErrorKind;
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// At most this many conditions are combined (2^3 variants); a policy whose
/// `Fn::If`s test more is checked with all of them true, then all false.
const MAX_COMBINED_CONDITIONS: usize = 3;

/// Analyses one CloudFormation template.
pub fn analyze(file: HostFile<'_>, options: &AnalyzeOptions) -> HostAnalysis {
    let path: Arc<str> = file.path.into();
    let read = read(file, &path, options);
    let policies = read.keys.len();
    let mut diagnostics = Vec::new();
    let mut services: Vec<&'static str> = Vec::new();
    for variants in &read.keys {
        let findings = analyze_variants(variants, options);
        services.extend(findings.services);
        diagnostics.extend(findings.diagnostics);
    }
    diagnostics.extend(read.problems.diagnostics);
    // A value two keys share (a YAML alias) is one finding.
    let mut seen = rustc_hash::FxHashSet::default();
    diagnostics.retain(|d| seen.insert((d.code, d.file.clone(), d.range, d.message.clone())));
    let mut diagnostics = crate::rules::bound_findings(diagnostics, &options.rules);
    for d in &mut diagnostics {
        if d.file.as_deref() == Some(&*path) {
            d.pointer = read.template.pointer_at(d.range);
        }
    }
    HostAnalysis {
        diagnostics,
        policies,
        services,
    }
}

/// The key policies of a template, rendered: for each key, its first
/// variant (what an editor's hover and completion read).
pub fn policies(file: HostFile<'_>, options: &AnalyzeOptions) -> Vec<EmbeddedPolicy> {
    let path: Arc<str> = file.path.into();
    read(file, &path, options)
        .keys
        .into_iter()
        .filter_map(|variants| variants.into_iter().next())
        .collect()
}

/// A template read: its tree, the problems met, and each key's policy variants.
struct Read {
    template: Template,
    problems: Problems,
    keys: Vec<Vec<EmbeddedPolicy>>,
}

fn read(file: HostFile<'_>, path: &Arc<str>, options: &AnalyzeOptions) -> Read {
    let text = file.text;
    let template = if text.trim_start().starts_with('{') {
        template::from_json(text)
    } else {
        template::from_yaml(text)
    };
    let mut problems = Problems::default();
    syntax_problems(&template, path, options, &mut problems);
    let Some(root) = template
        .root
        .filter(|&r| matches!(template.kind(r), Kind::Map(_)))
    else {
        return Read {
            template,
            problems,
            keys: Vec::new(),
        };
    };
    unknown_functions(&template, path, options, &mut problems);
    let mut keys = Vec::new();
    {
        let index = Index::new(&template, root);
        dependencies::report_cycles(&template, &index, path, options, &mut problems);
        let mut symbols = SymbolTable::default();
        let contexts = {
            let mut r = Resolver::new(
                &template,
                &index,
                path,
                options,
                &[],
                &mut symbols,
                &mut problems,
            );
            resources::key_contexts(&mut r)
        };
        for (name, key) in contexts {
            let resource = &index.resources[name.as_str()];
            if !template.is_complete(resource.id) {
                continue;
            }
            let policy = resource
                .properties
                .and_then(|p| template.get(p, "KeyPolicy"));
            let reading = Reading {
                t: &template,
                index: &index,
                path,
                text,
                options,
            };
            keys.push(match policy {
                Some(policy) => {
                    render_variants(&reading, policy, &key, &mut symbols, &mut problems)
                }
                None => vec![default_policy(&key, &mut symbols)],
            });
        }
        // One table for the template, shared once every value is resolved
        // (a copy per key would cost the template's size per key).
        let symbols = Arc::new(symbols);
        for policy in keys.iter_mut().flatten() {
            policy.symbols = symbols.clone();
        }
    }
    Read {
        template,
        problems,
        keys,
    }
}

/// The template's syntax errors and duplicate keys, with the rules that
/// report them in any file.
fn syntax_problems(
    t: &Template,
    path: &Arc<str>,
    options: &AnalyzeOptions,
    problems: &mut Problems,
) {
    for error in &t.errors {
        let rule = match (t.syntax, &error.kind) {
            (Syntax::Yaml, _) => &invalid_yaml::RULE,
            (Syntax::Json, SyntaxErrorKind::Invalid) => &invalid_json::RULE,
            (Syntax::Json, SyntaxErrorKind::DuplicateKey { .. }) => &duplicate_key::RULE,
            (Syntax::Json, SyntaxErrorKind::Comment) => &json_comment::RULE,
            (Syntax::Json, SyntaxErrorKind::TrailingComma) => &trailing_comma::RULE,
        };
        let at = Template::at(path, error.range);
        let mut d = report(rule, options, &at, error.message.clone());
        if let (Some(d), SyntaxErrorKind::DuplicateKey { first }) = (&mut d, &error.kind) {
            d.related.push(crate::diagnostic::Related {
                range: *first,
                label:
                    "first written here; CloudFormation rejects a template with a key written twice"
                        .into(),
                file: Some(path.clone()),
            });
        }
        problems.push(d);
    }
    for (later, first, key) in &t.duplicates {
        let at = Template::at(path, *later);
        problems.push(
            report(
                &duplicate_key::RULE,
                options,
                &at,
                format!(
                    "`{key}` is written twice in the same map: CloudFormation rejects the template"
                ),
            )
            .map(|d| {
                d.with_related_at(
                    &Template::at(path, *first),
                    format!("`{key}` first written here"),
                )
                .with_help("merge the two values or delete the one that is not meant")
            }),
        );
    }
}

/// `Fn::X` and `!X` that CloudFormation does not have, anywhere in the template.
fn unknown_functions(
    t: &Template,
    path: &Arc<str>,
    options: &AnalyzeOptions,
    problems: &mut Problems,
) {
    for node in &t.nodes {
        let Kind::Map(entries) = &node.kind else {
            continue;
        };
        if entries.len() != 1 {
            continue;
        }
        let e = &entries[0];
        if e.key.starts_with("Fn::") && !FUNCTIONS.contains(&e.key.as_str()) {
            let shown = e.key.trim_start_matches("Fn::");
            let closest = FUNCTIONS
                .iter()
                .map(|f| f.trim_start_matches("Fn::"))
                .min_by_key(|f| strsim_distance(f, shown))
                .unwrap_or_default();
            let at = Template::at(path, e.key_range);
            problems.push(
                report(
                    &unknown_function::RULE,
                    options,
                    &at,
                    format!("`{}` is not an intrinsic function of CloudFormation, which rejects the template", e.key),
                )
                .map(|d| d.with_help(format!("did you mean `Fn::{closest}` (`!{closest}`)?"))),
            );
        }
    }
}

/// A small edit distance, for the did-you-mean of function names.
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.to_ascii_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.to_ascii_lowercase().chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// One template being read.
struct Reading<'a, 't> {
    t: &'t Template,
    index: &'a Index<'t>,
    path: &'a Arc<str>,
    text: &'a str,
    options: &'a AnalyzeOptions,
}

/// The key policy once per choice of the conditions its `Fn::If`s test
/// (those the template itself does not settle).
fn render_variants(
    reading: &Reading<'_, '_>,
    policy: Id,
    key: &KeyContext,
    symbols: &mut SymbolTable,
    problems: &mut Problems,
) -> Vec<EmbeddedPolicy> {
    let Reading {
        t,
        index,
        path,
        text,
        options,
    } = *reading;
    let open: Vec<String> = {
        let mut r = Resolver::new(t, index, path, options, &[], symbols, problems);
        let at = Template::at(path, t.node(policy).range);
        conditions_used(t, policy)
            .into_iter()
            .filter(|c| {
                r.condition(c, &at, &mut Vec::new()).is_none()
                    && index.conditions.contains_key(c.as_str())
            })
            .collect()
    };
    let assignments: Vec<Vec<(String, bool)>> = if open.is_empty() {
        vec![Vec::new()]
    } else if open.len() <= MAX_COMBINED_CONDITIONS {
        (0..1u32 << open.len())
            .map(|bits| {
                open.iter()
                    .enumerate()
                    .map(|(i, c)| (c.clone(), bits & (1 << i) == 0))
                    .collect()
            })
            .collect()
    } else {
        [true, false]
            .into_iter()
            .map(|v| open.iter().map(|c| (c.clone(), v)).collect())
            .collect()
    };
    let mut variants = Vec::with_capacity(assignments.len());
    for assignment in &assignments {
        let (value, branches, exhausted) = {
            let mut r = Resolver::new(t, index, path, options, assignment, symbols, problems);
            let value = r.value(policy, 0);
            (value, r.branches, r.exhausted)
        };
        if exhausted {
            let at = Template::at(path, key_range(t, policy));
            problems.push(report(
                &invalid_intrinsic::RULE,
                options,
                &at,
                "the key policy expands to more values than any key policy holds (an alias that repeats an alias?), so it is not checked; KMS rejects a key policy over 32 KB",
            ));
            return Vec::new();
        }
        let rendered = match &value {
            Val::Map { .. } => {
                let mut w = PolicyWriter::new();
                write_value(&mut w, &value, text);
                Some(w.finish())
            }
            // A policy written as a JSON string (`Fn::Sub` of a block, say).
            Val::Str { s, .. } => Some(s.render_as_text()),
            _ => None,
        };
        let Some((json, map)) = rendered else {
            let at = Template::at(path, key_range(t, policy));
            problems.push(report(
                &invalid_intrinsic::RULE,
                options,
                &at,
                "KeyPolicy must be a policy document: a map, or a JSON string; CloudFormation rejects anything else",
            ));
            return Vec::new();
        };
        let branch = (!assignment.is_empty()).then(|| {
            let parts: Vec<String> = assignment
                .iter()
                .map(|(c, v)| format!("`{c}` is {v}"))
                .collect();
            format!("where condition {}", parts.join(" and "))
        });
        variants.push(EmbeddedPolicy {
            json,
            map,
            // Set once the whole template is resolved (see `read`).
            symbols: Arc::default(),
            key: Some(key.clone()),
            branch,
            branches,
        });
    }
    variants
}

/// The `KeyPolicy` key of a policy node (its value may run over many lines).
fn key_range(t: &Template, policy: Id) -> TextRange {
    t.node(policy)
        .parent
        .and_then(|p| t.entries(p).iter().find(|e| e.value == policy))
        .map_or(t.node(policy).range, |e| e.key_range)
}

/// Writes a resolved value as JSON. Maps open at their `{` or first key and
/// close at their end, so that a statement's range is its map's.
fn write_value(w: &mut PolicyWriter, value: &Val, text: &str) {
    let replace = |literal: bool| {
        if literal {
            Replace::Literal {
                interpolation: false,
            }
        } else {
            Replace::Never
        }
    };
    match value {
        Val::Str { s, at, literal } => w.string(s, at, replace(*literal)),
        Val::Scalar { json, at, literal } => w.literal(json, at, replace(*literal)),
        Val::List { items, at } => {
            w.begin_array(&opening(at, text, items.first().and_then(|i| i.location())));
            for item in items {
                write_value(w, item, text);
            }
            w.end_array(&closing(at, text));
        }
        Val::Map { entries, at } => {
            w.begin_object(&opening(at, text, entries.first().map(|e| &e.key_at)));
            for e in entries {
                w.key(&e.key, &e.key_at, replace(e.key_literal));
                write_value(w, &e.value, text);
            }
            w.end_object(&closing(at, text));
        }
        Val::NoValue => {}
    }
}

/// Where a container opens: its bracket, else its first element.
fn opening(at: &Location, text: &str, first: Option<&Location>) -> Location {
    let start = at.range.start as usize;
    if matches!(text.as_bytes().get(start), Some(b'{' | b'[')) {
        return Location {
            file: at.file.clone(),
            range: TextRange::new(start, start + 1),
        };
    }
    match first {
        Some(first) if first.file == at.file => first.clone(),
        _ => Location {
            file: at.file.clone(),
            range: TextRange::empty(start),
        },
    }
}

/// Where a container closes: its bracket, else its end.
fn closing(at: &Location, text: &str) -> Location {
    let end = at.range.end as usize;
    let range = if end > 0 && matches!(text.as_bytes().get(end - 1), Some(b'}' | b']')) {
        TextRange::new(end - 1, end)
    } else {
        TextRange::empty(end)
    };
    Location {
        file: at.file.clone(),
        range,
    }
}

/// The policy AWS KMS gives a key created without one: the account root may
/// do everything, which lets the account's IAM policies grant the key.
fn default_policy(key: &KeyContext, symbols: &mut SymbolTable) -> EmbeddedPolicy {
    let at = &key.at;
    let mut w = PolicyWriter::new();
    let lit = |s: &str| HostString::whole(s, at.clone());
    let account = symbols.intern(crate::symbolic::Symbol::Account, "${AWS::AccountId}");
    w.begin_object(at);
    for (k, v) in [("Version", "2012-10-17"), ("Id", "key-default-1")] {
        w.key(&lit(k), at, Replace::Never);
        w.string(&lit(v), at, Replace::Never);
    }
    w.key(&lit("Statement"), at, Replace::Never);
    w.begin_array(at);
    w.begin_object(at);
    w.key(&lit("Sid"), at, Replace::Never);
    w.string(&lit("Enable IAM User Permissions"), at, Replace::Never);
    w.key(&lit("Effect"), at, Replace::Never);
    w.string(&lit("Allow"), at, Replace::Never);
    w.key(&lit("Principal"), at, Replace::Never);
    w.begin_object(at);
    w.key(&lit("AWS"), at, Replace::Never);
    w.string(
        &lit(&format!("arn:aws:iam::{account}:root")),
        at,
        Replace::Never,
    );
    w.end_object(at);
    w.key(&lit("Action"), at, Replace::Never);
    w.string(&lit("kms:*"), at, Replace::Never);
    w.key(&lit("Resource"), at, Replace::Never);
    w.string(&lit("*"), at, Replace::Never);
    w.end_object(at);
    w.end_array(at);
    w.end_object(at);
    let (json, map) = w.finish();
    EmbeddedPolicy {
        json,
        map,
        symbols: Arc::default(),
        key: Some(key.clone()),
        branch: Some(
            "in the default key policy, which AWS KMS gives a key without KeyPolicy".into(),
        ),
        branches: Vec::new(),
    }
}
