//! Services: whether the services a key serves can really use it. The rules
//! report from the shared [`ServiceAnalysis`](crate::services::ServiceAnalysis):
//! the requests each service makes, the evaluator's verdicts, and the cause
//! of each miss. This module holds what several of them share: which rule
//! reports a miss ([`reporter`]), grouping requests, describing misses, and
//! the fix that adds missing actions.

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
use crate::services::model::Fit;
use crate::services::profile::{Origin, Reason};
use crate::services::requests::Caller;
use crate::services::{Cause, Defect, Miss, RequestOutcome, ServiceCheck, Verdict};
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

/// Who reports a statement's miss of a service request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reporter {
    /// This rule.
    Rule(&'static Rule),
    /// The packs that read the policy alone, whose rules report what makes a
    /// statement unreadable or names nothing IAM knows, whichever of them runs.
    OtherPacks,
}

impl Reporter {
    pub(crate) fn is(self, rule: &Rule) -> bool {
        matches!(self, Reporter::Rule(r) if std::ptr::eq(r, rule))
    }
}

/// The rule that explains a miss, if one does: a defect of the failing
/// element that another pack reports (while its rule runs), else the rule of
/// this pack for the failing element. `None`: the verdict rules
/// (service-request-denied, -delegated, optional-permission-missing) explain
/// it.
pub(crate) fn reporter(ctx: &Context<'_>, miss: &Miss) -> Option<Reporter> {
    use crate::rules::{conditions, structure};
    let enabled = |rule: &'static Rule| {
        ctx.options
            .rules
            .is_enabled(rule)
            .then_some(Reporter::Rule(rule))
    };
    if let Some(reporter) = reported_element(ctx, miss).and_then(enabled) {
        return Some(reporter);
    }
    for defect in &miss.defects {
        let reporter = match defect {
            Defect::UnknownConditionKey
            | Defect::PrincipalPlaceholder
            | Defect::MisspelledAction
            | Defect::Unreadable => Some(Reporter::OtherPacks),
            Defect::UnresolvedVariable => {
                if crate::eval::uses_policy_variables(ctx.policy) {
                    enabled(&conditions::unresolved_policy_variable::RULE)
                } else {
                    enabled(&structure::policy_variable_in_old_version::RULE)
                }
            }
            Defect::LiteralWildcard => enabled(&conditions::wildcard_in_non_like_operator::RULE),
            Defect::MalformedCallerAccount => enabled(&conditions::invalid_caller_account::RULE),
            Defect::MalformedPrincipalAccount => enabled(&structure::invalid_principal::RULE),
        };
        if reporter.is_some() {
            return reporter;
        }
    }
    let rule: &'static Rule = match miss.cause {
        Cause::ViaService => &via_service_mismatch::RULE,
        Cause::CallerAccount => &caller_account_mismatch::RULE,
        Cause::S3Context => &s3_encryption_context_mismatch::RULE,
        Cause::MalformedRole => &malformed_service_linked_role::RULE,
        Cause::ServicePrincipal => &service_principal_for_forward_access_service::RULE,
        Cause::MissingAction | Cause::Other | Cause::RegionlessPrincipal => return None,
    };
    Some(Reporter::Rule(rule))
}

/// The rule of another pack that reports the failing element itself as one
/// that never matches: a `Resource` none of whose values can be a key's ARN
/// (a guide's `arn:aws:kms:Region:account_ID:key/key_ID`), a condition none of
/// whose values its operator can read (`arn:aws:logs:region:account-id:*`)
/// or, for `kms:EncryptionContext:aws:s3:arn`, is an S3 ARN at all
/// (`arn:aws:s3:us-east-1:111122223333:bucket/*`).
fn reported_element(ctx: &Context<'_>, miss: &Miss) -> Option<&'static Rule> {
    use crate::rules::{conditions, structure};
    let statement = ctx.policy.statements.get(miss.statement)?;
    match &miss.failure {
        Failure::Resource { .. } => {
            let resource = statement.resource.as_ref()?;
            let never = !resource.values.is_empty()
                && resource.values.iter().all(|v| {
                    !structure::resource_not_wildcard::may_match_key(
                        structure::resource_not_wildcard::classify(v.value),
                    )
                });
            never.then_some(&structure::resource_not_wildcard::RULE)
        }
        Failure::Condition { key, .. } => {
            let entry = conditions::entries(ctx.policy)
                .find(|e| std::ptr::eq(e.statement, statement) && e.key.key.range == *key)?;
            if conditions::invalid_condition_value::reports_every_value(&entry) {
                Some(&conditions::invalid_condition_value::RULE)
            } else if conditions::invalid_s3_arn_context::reports_every_value(&entry) {
                Some(&conditions::invalid_s3_arn_context::RULE)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether every intended statement's miss of a request is one another rule
/// reports (and there is at least one).
pub(crate) fn explained_elsewhere(ctx: &Context<'_>, outcome: &RequestOutcome) -> bool {
    !outcome.misses.is_empty() && outcome.misses.iter().all(|m| reporter(ctx, m).is_some())
}

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
                        defects: Vec::new(),
                    });
                }
            }
        }
        out
    }

    /// The `kms:ViaService` value the requests carry (empty for a service
    /// that calls as its service principal).
    pub fn via_service(&self) -> String {
        self.outcomes
            .first()
            .and_then(|o| o.best().request.context.get("kms:ViaService"))
            .map(|v| v.describe())
            .unwrap_or_default()
    }

    /// ` with kms:ViaService <value>`, for help that says how to allow the
    /// requests; empty when they carry none.
    pub fn with_via_service(&self) -> String {
        match self.via_service() {
            via if via.is_empty() => String::new(),
            via => format!(" with kms:ViaService {via}"),
        }
    }

    /// `a principal of account 111122223333` or `role arn:...`.
    pub fn caller_description(&self) -> String {
        self.caller.describe()
    }

    /// The one statement the missing actions should be added to: where
    /// every unexplained miss is a missing action of the same Allow statement.
    pub fn statement_lacking_actions(&self, ctx: &Context<'_>) -> Option<usize> {
        let misses = self.misses();
        let unexplained = |m: &&&Miss| reporter(ctx, m).is_none();
        let lacking: Vec<usize> = misses
            .iter()
            .filter(unexplained)
            .filter(|m| m.cause == Cause::MissingAction)
            .map(|m| m.statement)
            .collect();
        let first = *lacking.first()?;
        let only_missing_actions = misses
            .iter()
            .filter(unexplained)
            .all(|m| m.cause == Cause::MissingAction);
        (lacking.iter().all(|&s| s == first) && only_missing_actions).then_some(first)
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
            Cause::RegionlessPrincipal => format!(
                "{label} does not apply: it names the service principal without the Region; the requests come from {}",
                caller.describe()
            ),
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

/// When a miss is a condition on a key the service's requests carry whose
/// values are none of the form the service sends: that form, in words
/// (`AWS CloudTrail sends aws:SourceArn as arn:aws:cloudtrail:<region>:...`).
pub(crate) fn form_note(ctx: &Context<'_>, check: &ServiceCheck, miss: &Miss) -> Option<String> {
    let Failure::Condition {
        values, operator, ..
    } = &miss.failure
    else {
        return None;
    };
    let key = failing_key(ctx, miss)?;
    let model = check.service().model();
    let entry = model
        .context
        .iter()
        .find(|e| e.key.eq_ignore_ascii_case(&key))?;
    if entry
        .value
        .placeholders()
        .all(|p| model.parameter(p).is_none())
    {
        return None;
    }
    let wildcards = ctx
        .text
        .get(operator.as_usize())
        .and_then(|o| crate::model::Operator::parse(o.trim_matches('"')))
        .is_some_and(|o| o.base.supports_wildcards());
    let fits_none = values
        .iter()
        .filter_map(|r| ctx.text.get(r.as_usize()))
        .map(|v| v.trim_matches('"'))
        .all(|v| {
            model
                .fit_context(&key, v, wildcards)
                .is_some_and(|(main, variant)| {
                    main == Fit::No && variant.is_none_or(|v| v == Fit::No)
                })
        });
    if !fits_none {
        return None;
    }
    let readable: String = {
        // `{name}` placeholders as `<name>`.
        let mut out = String::new();
        let mut rest = entry.value.text();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            match rest[open..].find('}') {
                Some(close) => {
                    let name = &rest[open + 1..open + close];
                    if name == "partition" {
                        out.push_str("aws");
                    } else {
                        out.push('<');
                        out.push_str(name);
                        out.push('>');
                    }
                    rest = &rest[open + close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    };
    Some(format!(
        "{} sends {key} as {readable}, and the condition's values are of another form",
        model.name
    ))
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
    let breaks_a_required_request = outcomes.iter().any(|o| {
        o.need == crate::services::model::Need::Required
            && !matches!(o.verdict, Verdict::Allowed | Verdict::Undecided)
    });
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

/// The misses that `rule` reports (see [`reporter`]), grouped.
pub(crate) fn miss_groups<'a>(
    ctx: &Context<'_>,
    checks: &'a [ServiceCheck],
    rule: &Rule,
) -> Vec<MissGroup<'a>> {
    let mut out: Vec<MissGroup<'a>> = Vec::new();
    // Where each (statement, failure) group is in `out`.
    let mut groups = FxHashMap::default();
    for check in checks {
        for outcome in &check.outcomes {
            let reported_here = |m: &&Miss| reporter(ctx, m).is_some_and(|r| r.is(rule));
            for miss in outcome.misses.iter().filter(reported_here) {
                let key = (miss.statement, miss.failure.range());
                match groups.get(&key) {
                    Some(&at) => {
                        let group: &mut MissGroup<'a> = &mut out[at];
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
