//! A user rule's selector (the input's first line) over a policy (the rest):
//! the rule compiles or is refused with an error, never a panic; a selector
//! the project evaluates itself (`user_rules::path`) selects, over the
//! policy's document and over its facts, exactly the nodes serde_json_path
//! selects over their JSON copies; and the analysis with the rule keeps
//! every invariant of `policy_check_fuzz::invariants`.
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use policy_analyzer::diagnostic::Severity;
use policy_analyzer::facts::{facts, Needs};
use policy_analyzer::rules::Context;
use policy_analyzer::user_rules::document::{Doc, Node, MAX_VALUE_DEPTH};
use policy_analyzer::user_rules::{AssertionSpec, RuleSpec, Target, UserRule, UserRules};
use policy_analyzer::{analyze, AnalyzeOptions};
use policy_check_fuzz::invariants;
use serde_json::Value;
use serde_json_path::JsonPath;

fuzz_target!(|bytes: &[u8]| {
    let Ok(input) = std::str::from_utf8(bytes) else {
        return;
    };
    let (select, text) = input.split_once('\n').unwrap_or((input, ""));
    for document in [Target::Policy, Target::Facts] {
        let spec = RuleSpec {
            id: "FUZZ001".into(),
            name: "fuzz-rule".into(),
            severity: Severity::Warning,
            summary: "a fuzzed rule".into(),
            message: "{statement}: {value}".into(),
            help: None,
            docs: String::new(),
            document,
            each: None,
            select: select.into(),
            assertion: AssertionSpec::Forbid,
        };
        let Ok(rule) = UserRule::compile(spec, "fuzz", "fuzz/rule.toml") else {
            continue;
        };
        if rule.select.is_native() {
            same_nodes_as_serde_json_path(&rule, text);
        }
        let options = AnalyzeOptions {
            user_rules: Some(Arc::new(UserRules::new(vec![Arc::new(rule)]))),
            ..AnalyzeOptions::default()
        };
        invariants::check_analysis(text, &analyze(text, &options));
    }
});

/// The rule's selector against serde_json_path, from the document's root.
fn same_nodes_as_serde_json_path(rule: &UserRule, text: &str) {
    let reference =
        JsonPath::parse(&rule.select_text).expect("compiled, so serde_json_path read it");
    let options = AnalyzeOptions::default();
    let parse = policy_analyzer::syntax::parse(text);
    let policy = policy_analyzer::model::Policy::from_tree(&parse.tree);
    let ctx = Context::new(text, &parse.tree, &parse.errors, &policy, &options, None);
    let doc = match rule.document {
        Target::Policy => Doc::policy(&parse.tree, parse.tree.root()),
        Target::Facts => facts(&ctx, Needs::ALL),
    };
    // The copy is cut at MAX_VALUE_DEPTH (serde_json drops values by
    // recursion); below that the two must agree exactly.
    if depth(&doc) >= MAX_VALUE_DEPTH {
        return;
    }
    let value = doc.to_value(Doc::ROOT);
    let mut nodes = HashMap::new();
    doc.pair_with(Doc::ROOT, &value, &mut |v, n| {
        nodes.insert(v as *const Value as usize, n);
    });
    let expected: Vec<Node> = reference
        .query(&value)
        .all()
        .into_iter()
        .map(|v| nodes[&(v as *const Value as usize)])
        .collect();
    assert_eq!(
        rule.select.select(&doc, Doc::ROOT),
        expected,
        "{} over {}",
        rule.select_text,
        doc.to_json(Doc::ROOT)
    );
}

/// How deep the document nests, without recursion.
fn depth(doc: &Doc<'_>) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(Doc::ROOT, 0)];
    while let Some((node, d)) = stack.pop() {
        deepest = deepest.max(d);
        stack.extend(doc.children(node).map(|(_, child)| (child, d + 1)));
    }
    deepest
}
