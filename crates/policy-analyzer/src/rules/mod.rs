//! The rules: one file per rule, grouped in packs. This module holds the
//! registry (the one table of codes) and what a rule sees and produces.

pub mod actions;
pub mod conditions;
pub(crate) mod edits;
pub mod security;
pub mod services;
pub(crate) mod shared;
pub mod structure;
pub mod suppressions;
pub mod syntax;
pub mod templates;

use std::cell::{OnceCell, RefCell};
use std::marker::PhantomData;

use rustc_hash::FxHashMap;

use crate::catalog::{catalog, ActionSet, Catalog};
use crate::diagnostic::{Diagnostic, DiagnosticTag, Fix, Severity};
use crate::model::Policy;
use crate::resources::KeyContext;
use crate::syntax::{SyntaxError, Tree};
use crate::text::TextRange;
use crate::AnalyzeOptions;

/// A group of rules with one concern; also the fixture folder name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pack {
    Syntax,
    Structure,
    Actions,
    Conditions,
    Services,
    Security,
    Templates,
    Suppressions,
}

impl Pack {
    pub const ALL: [Pack; 8] = [
        Pack::Syntax,
        Pack::Structure,
        Pack::Actions,
        Pack::Conditions,
        Pack::Services,
        Pack::Security,
        Pack::Templates,
        Pack::Suppressions,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Pack::Syntax => "syntax",
            Pack::Structure => "structure",
            Pack::Actions => "actions",
            Pack::Conditions => "conditions",
            Pack::Services => "services",
            Pack::Security => "security",
            Pack::Templates => "templates",
            Pack::Suppressions => "suppressions",
        }
    }

    fn rules(self) -> &'static [&'static Rule] {
        match self {
            Pack::Syntax => syntax::RULES,
            Pack::Structure => structure::RULES,
            Pack::Actions => actions::RULES,
            Pack::Conditions => conditions::RULES,
            Pack::Services => services::RULES,
            Pack::Security => security::RULES,
            Pack::Templates => templates::RULES,
            Pack::Suppressions => suppressions::RULES,
        }
    }
}

/// Whether a rule can offer a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "no",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "yes",
        }
    }
}

/// A rule: its identity, its documentation and its check.
pub struct Rule {
    /// Stable code, `PC` + three digits; the hundreds give the pack.
    pub code: &'static str,
    /// Kebab-case name, unique.
    pub name: &'static str,
    pub pack: Pack,
    pub severity: Severity,
    pub fix: FixAvailability,
    pub tags: &'static [DiagnosticTag],
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Markdown with the headings `## What it does`, `## Why it matters`,
    /// `## Example`, `## Use instead`, `## Fix`, `## Sources`.
    pub docs: &'static str,
    pub check: Check,
}

/// Where a rule's findings come from.
#[derive(Clone, Copy)]
pub enum Check {
    /// A check of every policy, over its [`Context`].
    Policy(fn(&Context<'_>, &mut Emitter<'_>)),
    /// Findings reported outside the policy checks: by the host readers
    /// while they read a template or module (a YAML error, a reference to
    /// nothing), or by the configuration layer (a suppression that is not
    /// used), through an [`Emitter`].
    Host,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// The headings every rule's documentation has, in this order.
pub const DOC_HEADINGS: [&str; 6] = [
    "## What it does",
    "## Why it matters",
    "## Example",
    "## Use instead",
    "## Fix",
    "## Sources",
];

/// Every rule, in code order.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    Pack::ALL
        .into_iter()
        .flat_map(|p| p.rules().iter().copied())
}

impl Rule {
    /// Whether the host readers report this rule's findings.
    pub fn is_host_rule(&self) -> bool {
        matches!(self.check, Check::Host)
    }
}

/// The rule with this code or name.
pub fn find_rule(code_or_name: &str) -> Option<&'static Rule> {
    all_rules().find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// Everything a rule can look at. Derived analyses that several rules share
/// are computed once, on first use.
pub struct Context<'a> {
    pub text: &'a str,
    pub tree: &'a Tree<'a>,
    pub syntax_errors: &'a [SyntaxError],
    pub policy: &'a Policy<'a>,
    pub catalog: &'static Catalog,
    pub options: &'a AnalyzeOptions,
    /// The key's resource context, when a host (a template, a module) gave one.
    pub key: Option<&'a KeyContext>,
    pub(crate) shared: SharedAnalyses<'a>,
}

/// Analyses computed at most once per document and shared by rules.
#[derive(Default)]
pub(crate) struct SharedAnalyses<'a> {
    pub(crate) services: OnceCell<crate::services::ServiceAnalysis>,
    /// What each action entry of the document names, by the address and
    /// length of its text (see `actions::classify`).
    pub(crate) action_classes: RefCell<FxHashMap<(usize, usize), actions::ActionClass>>,
    /// The texts those addresses belong to outlive the map.
    texts: PhantomData<&'a str>,
    /// The account the policy's own ARNs show as the key's owner: four
    /// security rules ask, and finding it reads every principal and ARN.
    pub(crate) policy_account: OnceCell<Option<String>>,
    /// The starts of the invalid-JSON syntax errors, in order, each with the
    /// furthest end of it and those before it (see [`Context::overlaps_invalid`]).
    invalid_spans: OnceCell<Vec<(u32, u32)>>,
    /// Per statement whose principal is `"*"`: who "every principal of" its
    /// conditions name, and the key-administration actions they get
    /// (broad-key-administration and create-grant-without-aws-resource-condition ask).
    pub(crate) account_wide_admin: RefCell<FxHashMap<usize, AccountWideAdmin>>,
}

/// See [`SharedAnalyses::account_wide_admin`].
pub(crate) type AccountWideAdmin = Option<(String, Vec<&'static str>)>;

impl<'a> Context<'a> {
    pub fn new(
        text: &'a str,
        tree: &'a Tree<'a>,
        syntax_errors: &'a [SyntaxError],
        policy: &'a Policy<'a>,
        options: &'a AnalyzeOptions,
        key: Option<&'a KeyContext>,
    ) -> Self {
        Context {
            text,
            tree,
            syntax_errors,
            policy,
            catalog: catalog(),
            options,
            key,
            shared: SharedAnalyses {
                // Sized for every entry up front, not grown (and rehashed) entry by entry.
                action_classes: RefCell::new(FxHashMap::with_capacity_and_hasher(
                    action_entries(policy),
                    Default::default(),
                )),
                ..SharedAnalyses::default()
            },
        }
    }

    /// The source text of a range.
    pub fn slice(&self, range: TextRange) -> &'a str {
        &self.text[range.as_usize()]
    }

    /// Whether `range` overlaps text the parser could not read as JSON (an
    /// empty error range counts as one byte). A rule asks this for every
    /// statement, so it is a binary search rather than a walk over the errors.
    pub(crate) fn overlaps_invalid(&self, range: TextRange) -> bool {
        let spans = self.shared.invalid_spans.get_or_init(|| {
            let mut starts: Vec<(u32, u32)> = self
                .syntax_errors
                .iter()
                .filter(|e| e.kind == crate::syntax::SyntaxErrorKind::Invalid)
                .map(|e| (e.range.start, e.range.end.max(e.range.start + 1)))
                .collect();
            starts.sort_unstable();
            let mut furthest = 0;
            for span in &mut starts {
                furthest = furthest.max(span.1);
                span.1 = furthest;
            }
            starts
        });
        let before_end = spans.partition_point(|&(start, _)| start < range.end);
        before_end > 0 && spans[before_end - 1].1 > range.start
    }

    /// The catalogue actions an action pattern matches (the catalogue keeps
    /// the expansions of wildcard patterns it has seen).
    pub fn expand_actions(&self, pattern: &str) -> ActionSet {
        self.catalog.expand(pattern)
    }

    /// What the service packs found: which services the key serves (from the
    /// profile or inferred) and how each of their requests is decided.
    pub fn services(&self) -> &crate::services::ServiceAnalysis {
        self.shared.services.get_or_init(|| {
            crate::services::ServiceAnalysis::run(
                self.policy,
                self.text,
                self.options.profile.as_ref(),
                self.key,
            )
        })
    }
}

/// How many entries the policy's `Action` and `NotAction` lists hold.
fn action_entries(policy: &Policy<'_>) -> usize {
    policy
        .statements
        .iter()
        .flat_map(|s| s.action.iter().chain(&s.not_action))
        .map(|list| list.values.len())
        .sum()
}

/// At most this many findings of one rule are kept for one document. A key
/// policy is at most 32 KB; past this many findings of one kind, more of the
/// same helps nobody, and a hostile 64 MiB file must not produce millions.
pub const MAX_FINDINGS_PER_RULE: usize = 200;

/// At most this many findings of all rules together are kept for one
/// document (not counting the summaries of what was left out).
pub const MAX_FINDINGS_PER_FILE: usize = 1_000;

/// Collects one rule's diagnostics, stamping them with the rule's identity
/// and with the severity the user configured for the rule, if any.
///
/// It keeps at most the findings the document has room for (see
/// [`MAX_FINDINGS_PER_RULE`], [`MAX_FINDINGS_PER_FILE`]); past that it only
/// counts them, and closes with one finding that says how many were left
/// out. A rule that can stop looking once the emitter [is full](Self::is_full)
/// may; one that does not still costs no more per finding than it took to
/// find it, since [`fix`](Self::fix) skips the work of a fix nobody will see.
pub struct Emitter<'r> {
    /// The rule's code, name and tags (a built-in rule's, or a user rule's).
    code: &'static str,
    name: &'static str,
    tags: &'static [DiagnosticTag],
    rule: PhantomData<&'r Rule>,
    severity: Severity,
    /// The user's severity for this rule: it applies to every finding, also
    /// to those the rule gives a severity of their own (a sub-case that is
    /// only a warning), so that `PC406 = "hint"` means hint everywhere.
    configured: Option<Severity>,
    out: Vec<Diagnostic>,
    /// How many findings this emitter keeps.
    room: usize,
    /// Why `room` is what it is, for the summary.
    limited_by_file: bool,
    /// Findings past `room`: how many, and where the first was.
    omitted: usize,
    /// The first finding left out: its range, and the file it is in when
    /// that is not the analysed text (see [`Diagnostic::file`]).
    first_omitted: Option<(TextRange, Option<std::sync::Arc<str>>)>,
}

impl<'r> Emitter<'r> {
    pub fn new(rule: &'r Rule, selection: &crate::RuleSelection) -> Self {
        Self::with_room(rule, selection, MAX_FINDINGS_PER_RULE)
    }

    /// An emitter that keeps at most `room` findings (and never more than
    /// [`MAX_FINDINGS_PER_RULE`]): what is left of the document's findings.
    pub fn with_room(rule: &'r Rule, selection: &crate::RuleSelection, room: usize) -> Self {
        let configured = selection.configured_severity(rule);
        Emitter {
            code: rule.code,
            name: rule.name,
            tags: rule.tags,
            rule: PhantomData,
            severity: configured.unwrap_or(rule.severity),
            configured,
            out: Vec::new(),
            room: room.min(MAX_FINDINGS_PER_RULE),
            limited_by_file: room < MAX_FINDINGS_PER_RULE,
            omitted: 0,
            first_omitted: None,
        }
    }

    /// An emitter for a user rule (see [`crate::user_rules`]), whose
    /// findings have `severity` (the configured one, else the rule's), with
    /// `room` as in [`with_room`](Self::with_room).
    pub(crate) fn for_user_rule(
        code: &'static str,
        name: &'static str,
        severity: Severity,
        room: usize,
    ) -> Emitter<'static> {
        Emitter {
            code,
            name,
            tags: &[],
            rule: PhantomData,
            severity,
            configured: Some(severity),
            out: Vec::new(),
            room: room.min(MAX_FINDINGS_PER_RULE),
            limited_by_file: room < MAX_FINDINGS_PER_RULE,
            omitted: 0,
            first_omitted: None,
        }
    }

    /// A diagnostic of this rule; add help, related ranges and a fix, then [`push`](Self::push) it.
    pub fn diagnostic(&self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: self.code,
            name: self.name,
            severity: self.severity,
            message: message.into(),
            range,
            file: None,
            pointer: None,
            statement: None,
            related: Vec::new(),
            help: None,
            fix: None,
            tags: self.tags.to_vec(),
        }
    }

    pub fn push(&mut self, mut diagnostic: Diagnostic) {
        if self.out.len() < self.room {
            if let Some(configured) = self.configured {
                diagnostic.severity = configured;
            }
            self.out.push(diagnostic);
        } else {
            self.omitted += 1;
            if self.first_omitted.is_none() {
                self.first_omitted = Some((diagnostic.range, diagnostic.file));
            }
        }
    }

    /// Counts a finding at `range` (in the analysed text) that will not be
    /// kept, without building it: for when the emitter [is full](Self::is_full).
    pub(crate) fn omit(&mut self, range: TextRange) {
        self.omitted += 1;
        if self.first_omitted.is_none() {
            self.first_omitted = Some((range, None));
        }
    }

    /// Whether further findings are only counted.
    pub fn is_full(&self) -> bool {
        self.out.len() >= self.room
    }

    /// The fix `make` builds, unless the next finding will only be counted:
    /// then building it (rendering a condition block, say) is skipped.
    pub fn fix(&self, make: impl FnOnce() -> Option<Fix>) -> Option<Fix> {
        if self.is_full() {
            None
        } else {
            make()
        }
    }

    /// How many findings are kept (the summary not included).
    pub fn kept(&self) -> usize {
        self.out.len()
    }

    /// The findings kept, and when some were left out, one more that says
    /// how many, placed at the first of them.
    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        if let Some((range, file)) = self.first_omitted.take() {
            let summary = self.summary(range, file, self.omitted, self.limited_by_file);
            self.out.push(summary);
        }
        self.out
    }

    /// The finding that says `omitted` findings of this rule were left out,
    /// at the first of them, because of the rule's limit or (`by_file`) the
    /// file's.
    fn summary(
        &self,
        range: TextRange,
        file: Option<std::sync::Arc<str>>,
        omitted: usize,
        by_file: bool,
    ) -> Diagnostic {
        let (limit, scope) = if by_file {
            (MAX_FINDINGS_PER_FILE, "of all rules in one file")
        } else {
            (MAX_FINDINGS_PER_RULE, "of one rule in one file")
        };
        let message = format!(
            "and {} more `{}` findings, not shown: at most {} findings {scope} are reported",
            thousands(omitted),
            self.name,
            thousands(limit),
        );
        let mut summary = self
            .diagnostic(range, message)
            .with_help("fix the findings shown and check again to see the rest");
        summary.file = file;
        summary
    }
}

/// How many findings `d` says were left out, if it is the summary an
/// [`Emitter`] closes with (whatever a host appended to its message).
fn summarised(d: &Diagnostic) -> Option<usize> {
    let rest = d.message.strip_prefix("and ")?;
    let digits = rest.find(|c: char| !c.is_ascii_digit() && c != ',')?;
    let tail = format!(" more `{}` findings, not shown: ", d.name);
    if !rest[digits..].starts_with(&tail) {
        return None;
    }
    rest[..digits].replace(',', "").parse().ok()
}

/// Bounds the findings of a host analysis (a template's or a module's:
/// those of each policy it holds, and the host's own) as [`crate::analyze`]
/// bounds one policy's: in each file at most [`MAX_FINDINGS_PER_RULE`]
/// findings of a rule and [`MAX_FINDINGS_PER_FILE`] in all, the first met
/// in `diagnostics`' order; the rest, and those the summaries of each
/// policy counted, are counted in one summary per rule and file.
pub fn bound_findings(
    diagnostics: Vec<Diagnostic>,
    selection: &crate::RuleSelection,
) -> Vec<Diagnostic> {
    type Key = (Option<std::sync::Arc<str>>, &'static str);
    struct Omitted {
        count: usize,
        first: (TextRange, Option<std::sync::Arc<str>>),
        by_file: bool,
        /// The name and severity of the first, for a user rule's summary.
        name: &'static str,
        severity: Severity,
    }
    let mut per_file: FxHashMap<Option<std::sync::Arc<str>>, usize> = FxHashMap::default();
    let mut per_rule: FxHashMap<Key, usize> = FxHashMap::default();
    let mut omitted: Vec<(Key, Omitted)> = Vec::new();
    let mut omitted_at: FxHashMap<Key, usize> = FxHashMap::default();
    let mut kept = Vec::with_capacity(diagnostics.len().min(MAX_FINDINGS_PER_FILE));
    for d in diagnostics {
        let key: Key = (d.file.clone(), d.code);
        let summarised = summarised(&d);
        let in_file = per_file.entry(d.file.clone()).or_default();
        let of_rule = per_rule.entry(key.clone()).or_default();
        if summarised.is_none()
            && *in_file < MAX_FINDINGS_PER_FILE
            && *of_rule < MAX_FINDINGS_PER_RULE
        {
            *in_file += 1;
            *of_rule += 1;
            kept.push(d);
            continue;
        }
        let by_file = match summarised {
            Some(_) => d.message.contains("of all rules in one file"),
            None => *of_rule < MAX_FINDINGS_PER_RULE,
        };
        let at = *omitted_at.entry(key.clone()).or_insert_with(|| {
            omitted.push((
                key,
                Omitted {
                    count: 0,
                    first: (d.range, d.file.clone()),
                    by_file: false,
                    name: d.name,
                    severity: d.severity,
                },
            ));
            omitted.len() - 1
        });
        let entry = &mut omitted[at].1;
        entry.count += summarised.unwrap_or(1);
        entry.by_file |= by_file;
    }
    for ((_, code), left_out) in omitted {
        // A user rule's findings carry its name and severity.
        let emitter = match find_rule(code) {
            Some(rule) => Emitter::new(rule, selection),
            None => Emitter::for_user_rule(
                code,
                left_out.name,
                left_out.severity,
                MAX_FINDINGS_PER_RULE,
            ),
        };
        let (range, file) = left_out.first;
        kept.push(emitter.summary(range, file, left_out.count, left_out.by_file));
    }
    kept
}

/// `19000` as `19,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in all_rules() {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.code.len() == 5
                    && rule.code.starts_with("PC")
                    && rule.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "{rule:?}: code must be PC + three digits"
            );
            let pack_digit = Pack::ALL.iter().position(|&p| p == rule.pack).unwrap();
            assert_eq!(
                rule.code.as_bytes()[2] - b'0',
                pack_digit as u8,
                "{rule:?}: the hundreds of the code give the pack"
            );
            assert!(
                rule.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{rule:?}: name must be kebab-case"
            );
        }
    }

    #[test]
    fn every_rule_is_documented_under_the_fixed_headings() {
        for rule in all_rules() {
            let mut last = 0;
            for heading in DOC_HEADINGS {
                let at = rule
                    .docs
                    .find(heading)
                    .unwrap_or_else(|| panic!("{rule:?}: documentation lacks `{heading}`"));
                assert!(at >= last, "{rule:?}: `{heading}` is out of order");
                last = at;
            }
            assert!(
                !rule.summary.is_empty() && !rule.summary.ends_with('.'),
                "{rule:?}: summary is one line without a full stop"
            );
        }
    }

    #[test]
    fn overlaps_invalid_agrees_with_a_walk_over_the_errors() {
        let options = AnalyzeOptions::default();
        for text in [
            r#"{"a": x, "b": [1,,2], "c": {"d" 1}, %{ if }, "e": "#,
            r#"{"a": 1, "a": 2 // c
            , "b": [1,], "c": tru }"#,
            "[1 2 3 {} {",
        ] {
            let parse = crate::syntax::parse(text);
            let policy = Policy::from_tree(&parse.tree);
            let ctx = Context::new(text, &parse.tree, &parse.errors, &policy, &options, None);
            for start in 0..=text.len() {
                for end in start..=text.len() {
                    let range = TextRange::new(start, end);
                    let walk = parse.errors.iter().any(|e| {
                        e.kind == crate::syntax::SyntaxErrorKind::Invalid
                            && e.range.start < range.end
                            && e.range.end.max(e.range.start + 1) > range.start
                    });
                    assert_eq!(ctx.overlaps_invalid(range), walk, "{text:?} {range:?}");
                }
            }
        }
    }

    #[test]
    fn codes_are_in_order_within_packs() {
        for pack in Pack::ALL {
            let codes: Vec<_> = pack.rules().iter().map(|r| r.code).collect();
            let mut sorted = codes.clone();
            sorted.sort();
            assert_eq!(codes, sorted, "{pack:?}: list rules in code order");
        }
    }
}
