//! Services: whether the services a key serves (FSx, FSx for Lustre, File
//! Cache, EFS, S3 buckets linked to them) can really use it. The rules
//! report from the shared [`ServiceAnalysis`](crate::services::ServiceAnalysis):
//! the requests each service makes, the evaluator's verdicts, and the cause
//! of each miss. This module holds what several of them share: grouping
//! requests, describing misses, and the fix that adds missing actions.

pub mod caller_account_mismatch;
pub mod disabled_key_in_use;
pub mod malformed_service_linked_role;
pub mod optional_permission_missing;
pub mod s3_encryption_context_mismatch;
pub mod service_inferred;
pub mod service_principal_for_forward_access_service;
pub mod service_request_delegated;
pub mod service_request_denied;
pub mod service_request_explicitly_denied;
pub mod unsupported_key_spec;
pub mod via_service_mismatch;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Fix, Severity};
use crate::eval::Failure;
use crate::model::{Statement, StringList};
use crate::services::analysis::condition_key_name;
use crate::services::profile::{Origin, Reason};
use crate::services::requests::Caller;
use crate::services::{Cause, Miss, RequestOutcome, ServiceCheck, Verdict};
use crate::syntax::NodeKind;
use crate::text::TextRange;

pub(crate) static RULES: &[&Rule] = &[
    &service_inferred::RULE,
    &service_request_denied::RULE,
    &service_request_delegated::RULE,
    &optional_permission_missing::RULE,
    &service_request_explicitly_denied::RULE,
    &via_service_mismatch::RULE,
    &caller_account_mismatch::RULE,
    &s3_encryption_context_mismatch::RULE,
    &malformed_service_linked_role::RULE,
    &service_principal_for_forward_access_service::RULE,
    &unsupported_key_spec::RULE,
    &disabled_key_in_use::RULE,
];

/// Requests of one caller in one region (and bucket): what one diagnostic is about.
pub(crate) struct Group<'a> {
    pub check: &'a ServiceCheck,
    pub caller: &'a Caller,
    pub outcomes: Vec<&'a RequestOutcome>,
}

impl Group<'_> {
    /// The actions of the group, in the order of the service's model.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut actions: Vec<&'static str> = Vec::new();
        for o in &self.outcomes {
            if !actions.contains(&o.action) {
                actions.push(o.action);
            }
        }
        actions
    }

    /// The intended statements' misses, without repeats.
    pub fn misses(&self) -> Vec<&Miss> {
        // Each request lists a miss for every intended statement: with a
        // statement per caller, comparing each with those kept was quadratic.
        let mut seen = FxHashSet::default();
        let mut misses: Vec<&Miss> = Vec::new();
        for o in &self.outcomes {
            for m in &o.misses {
                if seen.insert((m.statement, m.failure.range())) {
                    misses.push(m);
                }
            }
        }
        misses
    }

    /// Where no statement is meant for the requests: the statements that
    /// came closest (they name the caller, or everyone, and fail on a later
    /// element), for the labels.
    pub fn near_misses(&self) -> Vec<Miss> {
        let mut seen = FxHashSet::default();
        let mut out: Vec<Miss> = Vec::new();
        for o in &self.outcomes {
            for m in &o.best().evaluation.misses {
                let near = matches!(
                    m.failure,
                    Failure::Action { .. } | Failure::Condition { .. } | Failure::Resource { .. }
                );
                if near && seen.insert((m.statement, m.failure.range())) {
                    out.push(Miss {
                        statement: m.statement,
                        failure: m.failure.clone(),
                        cause: Cause::Other,
                    });
                }
            }
        }
        out
    }

    /// The `kms:ViaService` value the requests carry.
    pub fn via_service(&self) -> String {
        self.outcomes
            .first()
            .and_then(|o| o.best().request.context.get("kms:ViaService"))
            .map(|v| v.describe())
            .unwrap_or_default()
    }

    /// `a principal of account 111122223333` or `role arn:...`.
    pub fn caller_description(&self) -> String {
        self.caller.describe()
    }

    /// The one statement the missing actions should be added to: where
    /// every unexplained miss is a missing action of the same Allow statement.
    pub fn statement_lacking_actions(&self) -> Option<usize> {
        let misses = self.misses();
        let lacking: Vec<usize> = misses
            .iter()
            .filter(|m| m.cause == Cause::MissingAction)
            .map(|m| m.statement)
            .collect();
        let first = *lacking.first()?;
        let unexplained_elsewhere = misses
            .iter()
            .all(|m| m.cause == Cause::MissingAction || m.cause.is_explained_elsewhere());
        (lacking.iter().all(|&s| s == first) && unexplained_elsewhere).then_some(first)
    }
}

/// The outcomes of every check that pass `keep`, grouped by caller, region
/// and bucket, in the order they were synthesized.
pub(crate) fn groups<'a>(
    checks: &'a [ServiceCheck],
    keep: impl Fn(&RequestOutcome) -> bool,
) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    for check in checks {
        for outcome in check.outcomes.iter().filter(|o| keep(o)) {
            let found = out.iter_mut().find(|g| {
                std::ptr::eq(g.check, check)
                    && g.outcomes.first().is_some_and(|f| {
                        f.caller == outcome.caller
                            && f.region == outcome.region
                            && f.bucket == outcome.bucket
                    })
            });
            match found {
                Some(group) => group.outcomes.push(outcome),
                None => out.push(Group {
                    check,
                    caller: &check.callers[outcome.caller],
                    outcomes: vec![outcome],
                }),
            }
        }
    }
    out
}

/// Whether a caller's required requests all succeed at least through
/// delegation (so that hints about optional ones are worth giving).
pub(crate) fn required_requests_work(check: &ServiceCheck, caller: usize) -> bool {
    check
        .outcomes
        .iter()
        .filter(|o| o.caller == caller && o.need == crate::services::model::Need::Required)
        .all(|o| o.verdict >= Verdict::Delegated)
}

/// `kms:A`, `kms:A and kms:B`, `kms:A, kms:B and kms:C`.
pub(crate) fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(|s| s.as_ref())
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}

/// `it` or `them`.
pub(crate) fn it_or_them<T>(items: &[T]) -> &'static str {
    if items.len() == 1 {
        "it"
    } else {
        "them"
    }
}

/// The label of statement `index`: `statement "Sid"` or `statement #2`.
pub(crate) fn label(ctx: &Context<'_>, index: usize) -> String {
    ctx.policy
        .statements
        .get(index)
        .map_or_else(|| format!("statement #{}", index + 1), Statement::label)
}

/// Why a statement did not allow a request, in words, for a related range.
pub(crate) fn describe_miss(
    ctx: &Context<'_>,
    miss: &Miss,
    action: &str,
    caller: &Caller,
) -> String {
    let label = label(ctx, miss.statement);
    match &miss.failure {
        Failure::Action { .. } => {
            format!("{label} does not apply: its Action does not include {action}")
        }
        Failure::NotAction { .. } => {
            format!("{label} does not apply: its NotAction excludes {action}")
        }
        Failure::Principal { .. } => match miss.cause {
            Cause::MalformedRole => {
                format!("{label} does not apply: its principal is not a valid ARN of the role")
            }
            Cause::ServicePrincipal => {
                format!("{label} does not apply: the service never calls AWS KMS as this service principal")
            }
            _ => format!(
                "{label} does not apply: its Principal does not name {}",
                caller.describe()
            ),
        },
        Failure::NotPrincipal { .. } => format!(
            "{label} does not apply: its NotPrincipal lists {}",
            caller.describe()
        ),
        Failure::Resource { .. } | Failure::NotResource { .. } => {
            format!("{label} does not apply: its Resource does not cover this key (use \"*\")")
        }
        Failure::Condition { reason, .. } => format!("{label} does not apply: {reason}"),
        Failure::Unreadable { reason, .. } => format!("{label} does not apply: {reason}"),
    }
}

/// Where to point for a miss: the failing condition value when there is
/// one value, else the element.
pub(crate) fn miss_range(miss: &Miss) -> TextRange {
    match &miss.failure {
        Failure::Condition { values, key, .. } => match values.as_slice() {
            [one] => *one,
            _ => *key,
        },
        other => other.range(),
    }
}

/// Adds the related ranges of the misses (at most `limit`).
pub(crate) fn with_misses(
    ctx: &Context<'_>,
    mut d: Diagnostic,
    misses: &[&Miss],
    action_of: impl Fn(&Miss) -> String,
    caller: &Caller,
    limit: usize,
) -> Diagnostic {
    for miss in misses.iter().take(limit) {
        if miss_range(miss) == d.range {
            continue;
        }
        d = d.with_related(
            miss_range(miss),
            describe_miss(ctx, miss, &action_of(miss), caller),
        );
    }
    d
}

/// The name of the condition key of a condition miss.
pub(crate) fn failing_key(ctx: &Context<'_>, miss: &Miss) -> Option<String> {
    match &miss.failure {
        Failure::Condition { key, .. } => {
            let statement = ctx.policy.statements.get(miss.statement)?;
            Some(condition_key_name(statement, *key, ctx.text))
        }
        _ => None,
    }
}

/// A fix that adds actions to a statement's `Action` (a string becomes an
/// array; an array gets new entries in its own layout). `None` when the
/// element is neither.
pub(crate) fn add_actions_fix(
    ctx: &Context<'_>,
    statement: usize,
    actions: &[&str],
) -> Option<Fix> {
    let statement = ctx.policy.statements.get(statement)?;
    let list: &StringList<'_> = statement.action.as_ref()?;
    let quoted: Vec<String> = actions.iter().map(|a| format!("\"{a}\"")).collect();
    let title = format!("Add {} to {}", and_list(actions), statement.label());
    let value = list.element.value;
    match ctx.tree.kind(value) {
        NodeKind::String(_) => {
            let current = ctx.slice(list.element.value_range);
            let replacement = format!("[{current}, {}]", quoted.join(", "));
            Some(Fix::replace(title, list.element.value_range, replacement).unsafe_())
        }
        NodeKind::Array(items) => {
            let range = list.element.value_range;
            match items.last() {
                Some(&last) => {
                    let last_range = ctx.tree.range(last);
                    let between = ctx
                        .text
                        .get(range.start as usize..last_range.start as usize)?;
                    let insertion = match between.rfind('\n') {
                        // One entry per line: keep the indentation.
                        Some(newline) => {
                            let indent = &between[newline + 1..];
                            let indent: String =
                                indent.chars().take_while(|c| c.is_whitespace()).collect();
                            quoted
                                .iter()
                                .map(|q| format!(",\n{indent}{q}"))
                                .collect::<String>()
                        }
                        None => quoted.iter().map(|q| format!(", {q}")).collect(),
                    };
                    let at = TextRange::empty(last_range.end as usize);
                    Some(Fix::replace(title, at, insertion).unsafe_())
                }
                None => {
                    Some(Fix::replace(title, range, format!("[{}]", quoted.join(", "))).unsafe_())
                }
            }
        }
        _ => None,
    }
}

/// Error where the statement's defect leaves a required request without an
/// Allow of its own; warning where another statement allows it anyway.
pub(crate) fn mismatch_severity(outcomes: &[&RequestOutcome]) -> Severity {
    let breaks_a_required_request = outcomes
        .iter()
        .any(|o| o.need == crate::services::model::Need::Required && o.verdict != Verdict::Allowed);
    if breaks_a_required_request {
        Severity::Error
    } else {
        Severity::Warning
    }
}

/// A mismatch that breaks nothing because other statements allow the
/// requests still leaves a statement that is never used for them.
pub(crate) fn with_unused_note(message: String, severity: Severity) -> String {
    if severity == Severity::Warning {
        format!(
            "{message} (other statements allow the requests, so this one is never used for them)"
        )
    } else {
        message
    }
}

/// Misses of one cause grouped by statement and failing element, with the
/// outcomes they affect.
pub(crate) struct MissGroup<'a> {
    pub check: &'a ServiceCheck,
    pub miss: &'a Miss,
    pub outcomes: Vec<&'a RequestOutcome>,
}

pub(crate) fn miss_groups(checks: &[ServiceCheck], cause: Cause) -> Vec<MissGroup<'_>> {
    let mut out: Vec<MissGroup<'_>> = Vec::new();
    // Where each (statement, failure) group is in `out`.
    let mut groups = FxHashMap::default();
    for check in checks {
        for outcome in &check.outcomes {
            for miss in outcome.misses.iter().filter(|m| m.cause == cause) {
                let key = (miss.statement, miss.failure.range());
                match groups.get(&key) {
                    Some(&at) => {
                        let group: &mut MissGroup<'_> = &mut out[at];
                        group.outcomes.push(outcome);
                    }
                    None => {
                        groups.insert(key, out.len());
                        out.push(MissGroup {
                            check,
                            miss,
                            outcomes: vec![outcome],
                        });
                    }
                }
            }
        }
    }
    out
}

/// The service's name for messages, with what else shares its requests:
/// `Amazon FSx (and FSx for Lustre, File Cache)`.
/// Adds where the resources around the key use it for the check's service
/// (a template's file systems, caches, buckets), at most three.
pub(crate) fn with_consumers(mut d: Diagnostic, check: &ServiceCheck) -> Diagnostic {
    if let Reason::Resources(evidence) = &check.profile.reason {
        for e in evidence.iter().take(3) {
            d = d.with_related_at(&e.at, format!("{} uses this key here", e.what));
        }
    }
    d
}

/// Where a profile value came from, in words: "configured", "from
/// AWS::S3::Bucket `Data`", "from kms:ViaService \"...\" in statement #2".
pub(crate) fn origin_in_words(ctx: &Context<'_>, origin: &Origin) -> String {
    match origin {
        Origin::Policy(e) => format!("from {} in {}", e.what, label(ctx, e.statement)),
        other => other.describe(),
    }
}

pub(crate) fn service_name(check: &ServiceCheck) -> &'static str {
    check.service().model().name.as_str()
}

#[cfg(test)]
mod tests;
