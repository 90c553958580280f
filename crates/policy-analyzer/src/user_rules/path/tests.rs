//! `Path` against `serde_json_path`: the same nodes, in the same order, for
//! hand-written selectors and for thousands of generated ones, over the
//! policies and facts of every JSON fixture.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

use serde_json::Value;
use serde_json_path::JsonPath;

use super::Path;
use crate::facts::{facts, Needs};
use crate::rules::Context;
use crate::user_rules::document::{Doc, Kind, Node};
use crate::AnalyzeOptions;

/// The nodes `serde_json_path` selects from `scope`, over the copy of it.
fn reference(doc: &Doc<'_>, scope: Node, path: &JsonPath) -> Vec<Node> {
    let value = doc.to_value(scope);
    let mut nodes = HashMap::new();
    doc.pair_with(scope, &value, &mut |v, n| {
        nodes.insert(v as *const Value as usize, n);
    });
    path.query(&value)
        .all()
        .into_iter()
        .map(|v| nodes[&(v as *const Value as usize)])
        .collect()
}

fn json_files(dir: &FsPath, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The texts of the repository's JSON fixtures and examples.
fn texts() -> Vec<String> {
    let root = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["fixtures", "examples", "tests/rule-packs"] {
        json_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "{} fixtures", files.len());
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect()
}

/// Checks `selector` over both documents of every text, from the root and
/// from every node of the policy's first statement.
/// Returns how many comparisons selected something.
fn agree_on(texts: &[String], selectors: &[String]) -> usize {
    let options = AnalyzeOptions::default();
    let mut compared = 0;
    let parsed: Vec<(String, Path, JsonPath)> = selectors
        .iter()
        .filter_map(|s| {
            let reference = JsonPath::parse(s).ok()?;
            let native = Path::parse(s).unwrap_or_else(|| panic!("not read natively: {s}"));
            Some((s.clone(), native, reference))
        })
        .collect();
    for text in texts {
        let parse = crate::syntax::parse(text);
        let policy = crate::model::Policy::from_tree(&parse.tree);
        let ctx = Context::new(text, &parse.tree, &parse.errors, &policy, &options, None);
        let documents = [
            Doc::policy(&parse.tree, parse.tree.root()),
            facts(&ctx, Needs::ALL),
        ];
        for doc in &documents {
            let mut scopes = vec![Doc::ROOT];
            if let Some(first) = doc.children(Doc::ROOT).next() {
                scopes.push(first.1);
                scopes.extend(doc.children(first.1).map(|c| c.1).take(3));
            }
            for (text, native, reference_path) in &parsed {
                for &scope in &scopes {
                    let selected = native.select(doc, scope);
                    assert_eq!(
                        selected,
                        reference(doc, scope, reference_path),
                        "{text} from node {scope} of {}",
                        doc.to_json(scope)
                    );
                    compared += usize::from(!selected.is_empty());
                }
            }
        }
    }
    compared
}

#[test]
fn hand_written_selectors_select_what_serde_json_path_selects() {
    let selectors = [
        "$",
        "$.Version",
        "$.Statement[*].Sid",
        "$.Statement[0]",
        "$.Statement[-1].Effect",
        "$.Statement[-9]",
        "$.Statement[1, 0, 1]",
        "$.Statement[*]['Effect', 'Sid']",
        "$['Statement'][?@.Effect == 'Allow'].NotPrincipal",
        "$.Statement[?@.Principal == '*']",
        "$..Condition.Bool['aws:SecureTransport']",
        "$..*",
        "$..[0]",
        "$..['Effect']",
        "$..[?@.Effect]",
        "$..[?$..Condition]",
        "$.Statement[?!$..Condition && $..Sid]",
        "$.statements[?$.administrators[?$..kind]]",
        "$.Statement[?!@.Condition]",
        "$.Statement[?(@.Effect == 'Deny' || @.Sid) && !(@.Sid == 'x')]",
        "$.Statement[? @.Effect != \"Allow\" ]",
        "$.Statement[?@.Resource == $.Statement[0].Resource]",
        "$.Statement[?@ == $.Statement[0]]",
        "$.Statement[?@.Action[0] == 'kms:*']",
        "$.Statement[?@.Action[-1] == 'kms:*']",
        "$.statements[?@.exposure.outsider == true || @.exposure.anyone == true].exposure",
        "$.administrators[?@.principal.kind == 'account']",
        "$.statements[*].conditions[?@.key == 'kms:viaservice'].values[*]",
        "$.statements[?@.effect == 'Allow'].actions[?@ == 'kms:PutKeyPolicy']",
        "$.statements[*].actions[?'kms:Decrypt' == @]",
        "$.statements[*].actions[?@ == 'kms:decrypt']",
        "$.statements[*].actions[?@ == 'kms:*']",
        "$.statements[*].actions[?@ != 'kms:Decrypt']",
        "$.statements[*].actions[?@ == 'kms:Decrypt' || @ == 'kms:Encrypt']",
        "$.statements[?@.actions[?@ == 'kms:ScheduleKeyDeletion']].index",
        "$..[?@ == 'kms:Decrypt']",
        "$.statements[?@.effect == 'Allow' && @.principals[?@.kind == 'service']].conditions[?@.key == 'aws:sourcearn' || @.key == 'aws:sourceaccount']",
        "$.statements[?@.index >= 1 && @.index < 3]",
        "$.statements[?@.index > 0.5]",
        "$.statements[?@.index <= -1 || 2 > @.index]",
        "$.statements[?@.index == 1.0]",
        "$.statements[?@.index == 1e0]",
        "$.statements[?@.sid == null]",
        "$.statements[?@.sid < 'M']",
        "$.statements[?@.conditions == @.principals]",
        "$.statements[?@.exposure == @.exposure]",
        "$.statements[?@.actions[0] == 'kms:CancelKeyDeletion']",
        "$.services[?@.verdict == 'denied' || @.verdict == 'explicitly-denied']",
        "$.services[*].requests[?@.need == 'required'].statements[*]",
        "$.statements[*].*",
        "$.statements[*][*]",
        "$.*",
        "$[*]",
        "$['account']",
        "$[\"account\"]",
        "$['a\\u0062c', 'it\\'s', \"\\\"q\\\"\", '\\uD83D\\uDE00']",
        "$.statements[?@.sid == 'Allow \\'x\\'']",
    ];
    let selectors: Vec<String> = selectors.iter().map(|s| s.to_string()).collect();
    for s in &selectors {
        assert!(JsonPath::parse(s).is_ok(), "serde_json_path refuses {s}");
    }
    let selected = agree_on(&texts(), &selectors);
    assert!(selected > 10_000, "{selected}");
}

#[test]
fn functions_and_slices_are_left_to_serde_json_path() {
    for s in [
        "$.Statement[0:2]",
        "$.Statement[::-1]",
        "$.Statement[1 :]",
        "$.Statement[?length(@.Action) > 1]",
        "$.Statement[?match(@.Effect, 'A.*')]",
        "$.Statement[?!search(@.Sid, 'x')]",
        "$.Statement[?count(@.*) == 5]",
    ] {
        assert!(JsonPath::parse(s).is_ok(), "{s}");
        assert_eq!(Path::parse(s), None, "{s}");
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &'a [String]) -> &'a str {
        &items[self.below(items.len())]
    }
}

/// Names and string values of the documents, to make selectors that find
/// something.
fn vocabulary(texts: &[String]) -> (Vec<String>, Vec<String>) {
    let options = AnalyzeOptions::default();
    let mut names = vec!["nothing".to_string(), "Sid".to_string()];
    let mut strings = vec!["".to_string(), "Allow".to_string()];
    for text in texts.iter().take(40) {
        let parse = crate::syntax::parse(text);
        let policy = crate::model::Policy::from_tree(&parse.tree);
        let ctx = Context::new(text, &parse.tree, &parse.errors, &policy, &options, None);
        let facts = facts(&ctx, Needs::ALL);
        for doc in [&Doc::policy(&parse.tree, parse.tree.root()), &facts] {
            let mut stack = vec![Doc::ROOT];
            while let Some(node) = stack.pop() {
                for (key, child) in doc.children(node) {
                    if !key.is_empty() && !names.iter().any(|n| n == key) {
                        names.push(key.to_string());
                    }
                    stack.push(child);
                }
                if let Kind::String(s) = doc.kind(node) {
                    if strings.len() < 300 && !strings.iter().any(|x| x == s.as_ref()) {
                        strings.push(s.to_string());
                    }
                }
            }
        }
    }
    (names, strings)
}

fn quoted(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn name_selector(rng: &mut Rng, names: &[String]) -> String {
    let name = rng.pick(names);
    let shorthand = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if shorthand && rng.below(2) == 0 {
        format!(".{name}")
    } else {
        format!("[{}]", quoted(name))
    }
}

fn segments(rng: &mut Rng, v: &(Vec<String>, Vec<String>), depth: usize, relative: bool) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(if relative { 3 } else { 5 }) + 1 {
        let space = if rng.below(8) == 0 { " " } else { "" };
        let segment = match rng.below(11) {
            0..=3 => name_selector(rng, &v.0),
            4 => "[*]".to_string(),
            5 => ".*".to_string(),
            6 => format!("[{}]", rng.below(5) as i64 - 2),
            7 if !relative || rng.below(3) == 0 => match rng.below(3) {
                0 => format!("..{}", name_selector(rng, &v.0).trim_start_matches('.')),
                1 => "..*".to_string(),
                _ => "..[0]".to_string(),
            },
            8 if depth < 2 => format!("[?{}]", filter(rng, v, depth + 1)),
            9 => format!("[{}, {}]", quoted(rng.pick(&v.0)), rng.below(3)),
            _ => name_selector(rng, &v.0),
        };
        // `..x` never follows blank space.
        if !segment.starts_with("..") {
            out.push_str(space);
        }
        out.push_str(&segment);
    }
    out
}

fn singular(rng: &mut Rng, v: &(Vec<String>, Vec<String>)) -> String {
    let mut out = String::from(if rng.below(6) == 0 { "$" } else { "@" });
    for _ in 0..rng.below(3) {
        if rng.below(4) == 0 {
            out.push_str(&format!("[{}]", rng.below(4) as i64 - 1));
        } else {
            out.push_str(&name_selector(rng, &v.0));
        }
    }
    out
}

fn literal(rng: &mut Rng, v: &(Vec<String>, Vec<String>)) -> String {
    match rng.below(8) {
        0 => "true".into(),
        1 => "false".into(),
        2 => "null".into(),
        3 => ["0", "1", "-1", "2", "1.0", "0.5", "1e0", "-0"][rng.below(8)].into(),
        _ => quoted(rng.pick(&v.1)),
    }
}

fn filter(rng: &mut Rng, v: &(Vec<String>, Vec<String>), depth: usize) -> String {
    let mut ors = Vec::new();
    for _ in 0..rng.below(2) + 1 {
        let mut ands = Vec::new();
        for _ in 0..rng.below(2) + 1 {
            let basic = match rng.below(7) {
                0 => format!("@{}", segments(rng, v, depth, true)),
                1 => format!("!@{}", segments(rng, v, depth, true)),
                2 if depth < 2 => format!(
                    "{}({})",
                    if rng.below(2) == 0 { "!" } else { "" },
                    filter(rng, v, depth + 1)
                ),
                _ => {
                    let op = ["==", "!=", "<", "<=", ">", ">="][rng.below(6)];
                    let left = if rng.below(5) == 0 {
                        literal(rng, v)
                    } else {
                        singular(rng, v)
                    };
                    let right = if rng.below(4) == 0 {
                        singular(rng, v)
                    } else {
                        literal(rng, v)
                    };
                    let space = if rng.below(3) == 0 { " " } else { "" };
                    format!("{left}{space}{op}{space}{right}")
                }
            };
            ands.push(basic);
        }
        ors.push(ands.join(if rng.below(2) == 0 { " && " } else { "&&" }));
    }
    ors.join(" || ")
}

#[test]
fn generated_selectors_select_what_serde_json_path_selects() {
    let texts = texts();
    let vocabulary = vocabulary(&texts);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut selectors = Vec::new();
    let mut refused = 0;
    while selectors.len() < 1_500 {
        let s = format!("${}", segments(&mut rng, &vocabulary, 0, false));
        if JsonPath::parse(&s).is_ok() {
            selectors.push(s);
        } else {
            refused += 1;
        }
    }
    assert!(refused < selectors.len() / 4, "{refused} refused");
    // Every text against a share of the selectors, every selector against
    // some texts: all against all would take too long.
    let mut compared = 0;
    for (i, chunk) in selectors.chunks(50).enumerate() {
        let texts: Vec<String> = texts.iter().skip(i % 7).step_by(7).cloned().collect();
        compared += agree_on(&texts, chunk);
    }
    assert!(compared > 10_000, "{compared}");
}
