//! policy-analyzer: text in, diagnostics out.
//!
//! The one entry point is [`analyze`]. It does no I/O and knows nothing of
//! terminals or editors: the `policy-check` CLI and the `policy-lsp` server
//! call it the same way and differ only in how they present the result.

pub mod aws;
pub mod catalog;
pub mod diagnostic;
pub mod eval;
pub mod facts;
pub mod host;
pub mod matcher;
mod memo;
pub mod model;
pub mod resources;
pub mod rules;
pub mod services;
pub mod symbolic;
pub mod syntax;
pub mod text;
pub mod user_rules;

use std::collections::HashMap;
use std::sync::Arc;

pub use diagnostic::{
    Applicability, Diagnostic, DiagnosticTag, Fix, Related, Severity, StatementRef, TextEdit,
};
pub use rules::{all_rules, find_rule, Check, FixAvailability, Pack, Rule};
pub use services::profile::ProfileValue;
pub use services::Profile;
pub use text::{LineCol, LineIndex, PositionEncoding, TextRange};

/// Key policies may not exceed 32 KB (AWS KMS key policy document limit).
pub const KEY_POLICY_MAX_BYTES: usize = 32 * 1024;

/// Which rules run and how severe their findings are.
#[derive(Clone, Debug, Default)]
pub struct RuleSelection {
    /// Codes of rules that do not run.
    pub disabled: Vec<&'static str>,
    /// Per-code severity overrides.
    pub severity: HashMap<&'static str, Severity>,
}

impl RuleSelection {
    pub fn is_enabled(&self, rule: &Rule) -> bool {
        !self.disabled.contains(&rule.code)
    }

    pub fn severity_of(&self, rule: &Rule) -> Severity {
        self.configured_severity(rule).unwrap_or(rule.severity)
    }

    /// The severity the user gave the rule, which every finding of the rule takes.
    pub fn configured_severity(&self, rule: &Rule) -> Option<Severity> {
        self.severity.get(rule.code).copied()
    }
}

/// Options for one analysis.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    pub rules: RuleSelection,
    /// What the key serves, when the user said so (the config file). Without
    /// it, the service packs infer the services from the policy itself.
    pub profile: Option<Profile>,
    /// The user rules of the rule packs the configuration names: they run
    /// after the built-in rules, under the same selection and severities.
    pub user_rules: Option<Arc<user_rules::UserRules>>,
}

/// What the analysis found.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Whether the text is a policy document: a top-level object with
    /// `Statement`, or a single statement object (checked as a statement).
    pub is_policy: bool,
    /// All findings, ordered by position, then code.
    pub diagnostics: Vec<Diagnostic>,
    /// The services whose needs were checked (their names: "Amazon EFS").
    pub services: Vec<&'static str>,
}

/// Loads the embedded KMS catalogue and service models, which the first
/// analysis would otherwise load (about 1.5 ms): a caller with a thread to
/// spare, such as the CLI's main thread while the walk finds the first
/// files, takes that off the path of the checks.
pub fn prepare() {
    catalog::catalog();
    services::model::models();
}

/// Analyses one key policy.
pub fn analyze(text: &str, options: &AnalyzeOptions) -> Analysis {
    analyze_policy(text, options, None)
}

/// Analyses one key policy of a key whose resource context a host gave.
pub(crate) fn analyze_policy(
    text: &str,
    options: &AnalyzeOptions,
    key: Option<&resources::KeyContext>,
) -> Analysis {
    let parse = syntax::parse(text);
    let policy = model::Policy::from_tree(&parse.tree);
    let ctx = rules::Context::new(text, &parse.tree, &parse.errors, &policy, options, key);
    let mut diagnostics = Vec::new();
    // The findings the document has room for: each rule keeps what is left,
    // up to its own limit, and summarises the rest (see `rules::Emitter`).
    let mut room = rules::MAX_FINDINGS_PER_FILE;
    for rule in all_rules() {
        let rules::Check::Policy(check) = rule.check else {
            continue;
        };
        if !options.rules.is_enabled(rule) {
            continue;
        }
        let mut emitter = rules::Emitter::with_room(rule, &options.rules, room);
        check(&ctx, &mut emitter);
        room -= emitter.kept();
        diagnostics.extend(emitter.into_diagnostics());
    }
    if let Some(user) = options.user_rules.as_deref() {
        user_rules::check(&ctx, user, &options.rules, room, &mut diagnostics);
    }
    // A finding located in a host file (the key's resource context) has its
    // edits there, not in `text`: the host checks those (see `host`).
    let mut checker = rules::edits::FixChecker::new(
        text,
        &parse.tree,
        rules::edits::FixChecker::budget_for(text),
    );
    for d in diagnostics.iter_mut().filter(|d| d.file.is_none()) {
        if d.fix.as_ref().is_some_and(|fix| !checker.is_sound(fix)) {
            d.fix = None;
        }
    }
    fill_pointers(&parse.tree, &mut diagnostics);
    fill_statements(&parse.tree, &policy, &mut diagnostics);
    diagnostics.sort_by(|a, b| {
        (a.range.start, a.range.end, a.code).cmp(&(b.range.start, b.range.end, b.code))
    });
    // One finding reached twice (a service's requests in two regions that
    // fail alike) is one finding.
    diagnostics.dedup_by(|a, b| a.code == b.code && a.range == b.range && a.message == b.message);
    let services = ctx
        .shared
        .services
        .get()
        .map(|analysis| {
            analysis
                .checks
                .iter()
                .map(|c| c.service().model().name.as_str())
                .collect()
        })
        .unwrap_or_default();
    Analysis {
        is_policy: policy.is_policy() || policy.lone_statement,
        diagnostics,
        services,
    }
}

/// Gives each diagnostic that has none the JSON pointer of the node it flags:
/// the value whose range it lies in, or the member whose key it names.
fn fill_pointers(tree: &syntax::Tree<'_>, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut().filter(|d| d.pointer.is_none()) {
        let Some((node, _on_key)) = tree.node_at(d.range.start as usize) else {
            continue;
        };
        let covers = |r: TextRange| r.start <= d.range.start && d.range.end <= r.end;
        let member_key_covers = tree.member_of(node).is_some_and(|m| covers(m.key_range));
        if covers(tree.range(node)) || member_key_covers {
            d.pointer = tree.addressable_pointer(node);
        }
    }
}

/// Gives each diagnostic inside a statement that statement's reference.
fn fill_statements(
    tree: &syntax::Tree<'_>,
    policy: &model::Policy<'_>,
    diagnostics: &mut [Diagnostic],
) {
    if policy.statements.is_empty() || diagnostics.is_empty() {
        return;
    }
    let mut references: Vec<Option<StatementRef>> = vec![None; policy.statements.len()];
    for d in diagnostics.iter_mut() {
        // The statements are in document order and do not overlap: the one
        // that can hold the finding is the last that starts at or before it.
        let after = policy
            .statements
            .partition_point(|s| s.range.start <= d.range.start);
        let Some(at) = after.checked_sub(1) else {
            continue;
        };
        if d.range.end > policy.statements[at].range.end {
            continue;
        }
        let statement = &policy.statements[at];
        let reference = references[at].get_or_insert_with(|| StatementRef {
            index: statement.index,
            sid: statement.sid.as_ref().map(|sid| sid.value.to_string()),
            digest: tree.digest(statement.node),
        });
        d.statement = Some(reference.clone());
    }
}

/// Analyses raw bytes: text that is not UTF-8 gets one diagnostic at the first
/// invalid byte instead of an analysis.
pub fn analyze_bytes(bytes: &[u8], options: &AnalyzeOptions) -> Analysis {
    match std::str::from_utf8(bytes) {
        Ok(text) => analyze(text, options),
        Err(err) => Analysis {
            is_policy: false,
            diagnostics: vec![rules::syntax::invalid_encoding::diagnostic(
                bytes, &err, options,
            )],
            services: Vec::new(),
        },
    }
}
