//! Asking the evaluator about each service request, and explaining the
//! answers. Every verdict comes from `eval::evaluate`; this module only
//! decides which statements were meant to allow a request and says, for
//! each of their misses, what failed ([`Cause`]) and what else is wrong
//! with the failing element that a reader of the policy alone can see
//! ([`Defect`]). Which rule reports a miss is the rules' decision
//! (`rules::services::reporter`).

use super::model::{CallerKind, Fit, Need, ServiceId, ServiceModel};
use super::profile::{BucketKeys, ServiceProfile};
use super::reading::{PolicyReading, RoleArnProblem, StatementReading};
use super::requests::{callers, requests, Caller, ServiceRequest};
use crate::catalog::catalog;
use crate::eval::{action_matches, evaluate, Decision, Evaluation, Failure, Request};
use crate::matcher::has_wildcard;
use crate::model::{Policy, Statement};

/// How a request fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// A Deny statement applies.
    ExplicitlyDenied,
    /// No statement allows it.
    Denied,
    /// No statement allows it as written, but one whose principal (or
    /// `aws:PrincipalArn`-like condition) is a template placeholder covers
    /// it: what the template renders decides, which the policy cannot show.
    Undecided,
    /// Only the account-root statement allows it: the caller's IAM policy
    /// must allow it too.
    Delegated,
    /// A statement allows it.
    Allowed,
}

/// Why a statement meant for a request did not allow it: which part of
/// the statement failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    /// Its `kms:ViaService` condition.
    ViaService,
    /// Its `kms:CallerAccount` condition.
    CallerAccount,
    /// Its S3 encryption-context or `aws:userid` condition, for a
    /// service-linked role that reaches an S3 bucket.
    S3Context,
    /// Its principal is a malformed service-linked role ARN.
    MalformedRole,
    /// Its principal is a service principal, which the service never is.
    ServicePrincipal,
    /// Its principal is the service's own service principal without the
    /// Region the service calls from (`logs.amazonaws.com` where the service
    /// calls as `logs.us-east-1.amazonaws.com`).
    RegionlessPrincipal,
    /// Its `Action` lacks the action.
    MissingAction,
    /// Anything else (another principal, another condition).
    Other,
}

/// What is wrong with a failing element whatever the service: what the
/// packs that read the policy alone (actions, conditions, structure)
/// report, so that a miss it explains need not be explained again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Defect {
    /// The condition key is not one IAM knows.
    UnknownConditionKey,
    /// A condition value holds `${...}` that names no condition key (a
    /// template placeholder, or a policy variable of another version).
    UnresolvedVariable,
    /// `*` or `?` under an operator that compares literally.
    LiteralWildcard,
    /// A `kms:CallerAccount` value that is not a 12-digit account id.
    MalformedCallerAccount,
    /// A principal holding a template placeholder.
    PrincipalPlaceholder,
    /// A service-linked role ARN whose only problem is its account.
    MalformedPrincipalAccount,
    /// An `Action` value that misspells the action.
    MisspelledAction,
    /// The statement cannot apply to any request (no Effect, an unknown
    /// operator, a value of the wrong type).
    Unreadable,
}

/// An intended statement that did not allow a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss {
    pub statement: usize,
    pub failure: Failure,
    pub cause: Cause,
    /// What else is wrong with the failing element, in the order the
    /// reporters are asked.
    pub defects: Vec<Defect>,
}

/// One variant of a request (for the S3 link: one S3 Bucket Key setting).
#[derive(Clone, Debug)]
pub struct Variant {
    pub bucket_keys: Option<bool>,
    pub request: Request,
    pub evaluation: Evaluation,
    pub verdict: Verdict,
}

/// A request of a service (an action, as a caller, in a region, for a
/// bucket) and how it fared; variants that may hold are merged, the best wins.
#[derive(Clone, Debug)]
pub struct RequestOutcome {
    pub caller: usize,
    pub action: &'static str,
    pub need: Need,
    pub region: String,
    pub bucket: Option<String>,
    /// The kind of resource the request is for (a trail, an event data
    /// store), for a service with kinds.
    pub kind: Option<&'static str>,
    pub variants: Vec<Variant>,
    /// The variant the verdict is about.
    pub best: usize,
    pub verdict: Verdict,
    /// The statements meant to allow this request.
    pub intended: Vec<usize>,
    /// How the intended statements missed the best variant.
    pub misses: Vec<Miss>,
}

impl RequestOutcome {
    pub fn best(&self) -> &Variant {
        &self.variants[self.best]
    }
}

/// A service's callers and the outcome of each of its requests.
#[derive(Clone, Debug)]
pub struct ServiceCheck {
    pub profile: ServiceProfile,
    pub callers: Vec<Caller>,
    pub outcomes: Vec<RequestOutcome>,
    /// Not every region, bucket, file system, caller or request the policy
    /// names was checked (see `profile::MAX_VALUES`, `requests::MAX_REQUESTS`).
    pub truncated: bool,
}

impl ServiceCheck {
    pub fn service(&self) -> ServiceId {
        self.profile.service
    }
}

/// Synthesizes, evaluates and explains the requests of one service.
///
/// `unclaimed` lists the statements meant for services of the same kind
/// that the configuration does not name: when no statement is meant for a
/// configured service, they are the ones meant for it by mistake (a
/// `kms:ViaService` naming EFS in the key of an FSx file system).
pub fn check_service(
    profile: ServiceProfile,
    policy: &Policy<'_>,
    reading: &PolicyReading<'_>,
    text: &str,
    unclaimed: &[usize],
) -> ServiceCheck {
    let (callers, more_callers) = callers(&profile, reading, unclaimed);
    let (requests, more_requests) = requests(&profile, &callers, reading);
    let truncated = profile.truncated || more_callers || more_requests;
    let iam_policies_apply = profile.service.model().caller.iam_policies_apply;

    // Group the variants of one request: same caller, action, region, bucket.
    let mut outcomes: Vec<RequestOutcome> = Vec::new();
    for planned in requests {
        let ServiceRequest {
            caller,
            action,
            need,
            bucket_keys,
            kind,
            ..
        } = planned;
        let existing = outcomes.iter().position(|o| {
            o.caller == caller
                && o.action == action
                && o.region == planned.region
                && o.bucket == planned.bucket
                && o.kind == kind
        });
        // Another variant of an optional request that is already allowed
        // cannot change its verdict (only the required ones are compared
        // across S3 Bucket Key settings, by PC401).
        let settled = existing.is_some_and(|i| {
            need != Need::Required
                && outcomes[i]
                    .variants
                    .iter()
                    .any(|v| v.verdict == Verdict::Allowed)
        });
        if settled {
            continue;
        }
        let request = planned.build(&callers, reading);
        let evaluation = evaluate(policy, &request);
        let verdict = verdict_of(
            &evaluation,
            iam_policies_apply,
            Representative::of(&callers[caller]),
            (profile.service.model(), &request, kind),
            policy,
            text,
        );
        let variant = Variant {
            bucket_keys,
            request,
            verdict,
            evaluation,
        };
        match existing.map(|i| &mut outcomes[i]) {
            Some(outcome) => outcome.variants.push(variant),
            None => outcomes.push(RequestOutcome {
                caller,
                action,
                need,
                region: planned.region,
                bucket: planned.bucket,
                kind,
                variants: vec![variant],
                best: 0,
                verdict: Verdict::Denied,
                intended: Vec::new(),
                misses: Vec::new(),
            }),
        }
    }

    for outcome in &mut outcomes {
        let verdicts: Vec<Verdict> = outcome.variants.iter().map(|v| v.verdict).collect();
        let best_verdict = verdicts.iter().copied().max().unwrap_or(Verdict::Denied);
        // Among equally good variants, prefer the one the policy presumes.
        let presumed = match &profile.bucket_keys {
            BucketKeys::Unknown {
                presumed: Some((on, _)),
            } => Some(*on),
            keys => keys.stated(),
        };
        outcome.best = (0..outcome.variants.len())
            .filter(|&i| verdicts[i] == best_verdict)
            .max_by_key(|&i| outcome.variants[i].bucket_keys == presumed)
            .unwrap_or(0);
        outcome.verdict = best_verdict;
        let caller = &callers[outcome.caller];
        let intended = intended_statements(&profile, caller, outcome, reading, unclaimed);
        // Of statements meant for the service, those that cover the action
        // are the ones meant for this request (a guide may give each action
        // its own statement); when none does, the missing action is the cause.
        let covering: Vec<usize> = intended
            .iter()
            .copied()
            .filter(|&i| {
                policy
                    .statements
                    .get(i)
                    .is_some_and(|s| crate::eval::covers_action(s, outcome.action))
            })
            .collect();
        outcome.intended = if covering.is_empty() {
            intended
        } else {
            covering
        };
        let evaluation = &outcome.variants[outcome.best].evaluation;
        let best_request = &outcome.variants[outcome.best].request;
        let any_principal = Representative::of(caller).any_principal;
        outcome.misses = outcome
            .intended
            .iter()
            .filter_map(|&i| {
                let failure = evaluation.miss(i)?.clone();
                // The statement may apply to the principals the caller
                // stands for: no miss to explain.
                if any_principal
                    && outcome.verdict == Verdict::Undecided
                    && on_a_caller_variable(i, &failure, best_request, policy, text)
                {
                    return None;
                }
                let statement = policy.statements.get(i)?;
                let statement_reading = reading.statements.get(i)?;
                let (mut cause, defects) = classify(
                    &failure,
                    statement,
                    statement_reading,
                    profile.service,
                    outcome.action,
                    text,
                );
                // Adding the action would not do where the statement's
                // other elements do not fit this request either (an
                // encryption-context condition on kms:DescribeKey).
                if cause == Cause::MissingAction
                    && !applies_with_the_action(
                        policy,
                        statement,
                        &outcome.variants[outcome.best].request,
                    )
                {
                    cause = Cause::Other;
                }
                Some(Miss {
                    statement: i,
                    failure,
                    cause,
                    defects,
                })
            })
            .collect();
    }

    ServiceCheck {
        profile,
        callers,
        outcomes,
        truncated,
    }
}

/// The verdict of an evaluation. Where the caller's IAM policies cannot
/// add anything (a service-linked role), delegation is as good as a denial.
/// Whether the caller stands for any principal that uses the service (no
/// statement or configuration names it), and whether its account is known.
#[derive(Clone, Copy)]
struct Representative {
    any_principal: bool,
    account_known: bool,
}

impl Representative {
    fn of(caller: &Caller) -> Representative {
        Representative {
            any_principal: caller.representative && !caller.linked_role,
            account_known: caller.account_known,
        }
    }
}

/// `request` is the service's model, and the request evaluated with the
/// kind of resource it is for.
fn verdict_of(
    evaluation: &Evaluation,
    iam_policies_apply: bool,
    caller: Representative,
    request: (&ServiceModel, &Request, Option<&str>),
    policy: &Policy<'_>,
    text: &str,
) -> Verdict {
    match evaluation.decision {
        Decision::ExplicitDeny => Verdict::ExplicitlyDenied,
        Decision::ImplicitDeny
            if (caller.any_principal
                && (placeholder_caller_may_allow(evaluation, caller, policy, text)
                    || caller_variable_may_allow(evaluation, request.1, policy, text)))
                || added_context_may_allow(evaluation, request, policy, text) =>
        {
            Verdict::Undecided
        }
        Decision::ImplicitDeny => Verdict::Denied,
        // The account-root delegation allows it, and the statement meant for
        // the callers may too: not only through IAM policies, then.
        Decision::Allow
            if evaluation.is_delegated_only()
                && caller.any_principal
                && caller_variable_may_allow(evaluation, request.1, policy, text) =>
        {
            Verdict::Undecided
        }
        Decision::Allow if evaluation.is_delegated_only() && !iam_policies_apply => Verdict::Denied,
        Decision::Allow if evaluation.is_delegated_only() => Verdict::Delegated,
        Decision::Allow => Verdict::Allowed,
    }
}

/// Whether an Allow statement fails the request first on who the caller is,
/// written as nothing but a template placeholder (`"AWS": ${allowed_roles}`,
/// `"aws:PrincipalArn": "${node_role_arn}"`), or, where nothing names the
/// callers' account, as the root of an account the template leaves unknown
/// (`arn:aws:iam::${var.account_id}:root`): the principals it renders to may
/// be those that use the service.
fn placeholder_caller_may_allow(
    evaluation: &Evaluation,
    caller: Representative,
    policy: &Policy<'_>,
    text: &str,
) -> bool {
    let unknown_account_root = |value: &str| {
        !caller.account_known
            && crate::aws::arn_parts(value).is_some_and(|[_, _, service, _, account, resource]| {
                service == "iam" && resource == "root" && crate::symbolic::is_unknown(account)
            })
    };
    let whole_placeholder = |value: &str| {
        let value = value.trim_matches('"');
        crate::symbolic::is_unknown(value)
            || (value.starts_with("${")
                && value.ends_with('}')
                && value[2..].find('}') == Some(value.len() - 3)
                && has_template_placeholder(value))
    };
    evaluation.misses.iter().any(|m| {
        let Some(statement) = policy.statements.get(m.statement) else {
            return false;
        };
        if !statement.is_allow() {
            return false;
        }
        match &m.failure {
            Failure::Principal { .. } => statement
                .principal
                .iter()
                .flat_map(|p| p.values())
                .any(|(_, v)| whole_placeholder(v.value) || unknown_account_root(v.value)),
            Failure::Condition { key, values, .. } => {
                crate::services::reading::is_identity_key(&condition_key_name(
                    statement, *key, text,
                )) && values
                    .iter()
                    .any(|r| text.get(r.as_usize()).is_some_and(whole_placeholder))
            }
            _ => false,
        }
    })
}

/// Whether an Allow statement fails the request first on a condition whose
/// value is a policy variable of the caller (`${aws:PrincipalTag/team}`):
/// the representative caller has no such value, but the principals it stands
/// for may have the one that matches.
/// (A key the request does not carry matches no value, whoever calls.)
fn caller_variable_may_allow(
    evaluation: &Evaluation,
    request: &Request,
    policy: &Policy<'_>,
    text: &str,
) -> bool {
    evaluation
        .misses
        .iter()
        .any(|m| on_a_caller_variable(m.statement, &m.failure, request, policy, text))
}

/// Whether an Allow statement's miss is a condition, on a key the request
/// carries, whose value is a policy variable of the caller.
fn on_a_caller_variable(
    statement: usize,
    failure: &Failure,
    request: &Request,
    policy: &Policy<'_>,
    text: &str,
) -> bool {
    let Failure::Condition { key, values, .. } = failure else {
        return false;
    };
    let Some(statement) = policy.statements.get(statement) else {
        return false;
    };
    statement.is_allow()
        && request
            .context
            .contains(&condition_key_name(statement, *key, text))
        && values.iter().any(|r| {
            text.get(r.as_usize()).is_some_and(|v| {
                crate::matcher::policy_variables(v).any(crate::services::reading::is_identity_key)
            })
        })
}

/// Whether an Allow statement fails the request first on an
/// encryption-context pair that the service's requests may carry beyond the
/// model's (a CloudTrail log file's `aws:cloudtrail:arn`, read through S3).
/// A key the model gives only to other actions or kinds of resource (RDS's
/// `aws:rds:db-id`, which it documents for cryptographic operations, in a
/// condition on `kms:CreateGrant`) is one the model does not say of this
/// request.
fn added_context_may_allow(
    evaluation: &Evaluation,
    (model, request, kind): (&ServiceModel, &Request, Option<&str>),
    policy: &Policy<'_>,
    text: &str,
) -> bool {
    let action = request.action.as_str();
    if model.caller.added_context.is_none() {
        return false;
    }
    evaluation.misses.iter().any(|m| {
        let Failure::Condition { key, operator, .. } = &m.failure else {
            return false;
        };
        let Some(statement) = policy.statements.get(m.statement) else {
            return false;
        };
        let name = condition_key_name(statement, *key, text);
        let positive = text
            .get(operator.as_usize())
            .and_then(|o| crate::model::Operator::parse(o.trim_matches('"')))
            .is_some_and(|o| !o.base.is_negated() && o.base != crate::model::BaseOperator::Null);
        statement.is_allow()
            && positive
            && starts_with_ignore_case(&name, "kms:EncryptionContext:")
            && !model
                .context
                .iter()
                .any(|e| e.key.eq_ignore_ascii_case(&name) && e.applies_to(action, kind))
    })
}

/// The statements meant to allow a request: those the caller comes from, or
/// every statement meant for the service. Where the profile's regions or
/// buckets were read from the policy, a statement that names only other
/// regions (buckets) is meant for those, not for this request.
fn intended_statements(
    profile: &ServiceProfile,
    caller: &Caller,
    outcome: &RequestOutcome,
    reading: &PolicyReading<'_>,
    unclaimed: &[usize],
) -> Vec<usize> {
    let base: Vec<&StatementReading<'_>> = if caller.origins.is_empty() {
        let meant: Vec<&StatementReading<'_>> = reading.meant_for(profile.service).collect();
        let kind = profile.service.model().caller.kind;
        if meant.is_empty() && profile.is_stated() {
            unclaimed
                .iter()
                .filter_map(|&i| reading.statements.get(i))
                .filter(|s| {
                    s.purposes
                        .iter()
                        .any(|p| p.service.model().caller.kind == kind)
                })
                .collect()
        } else {
            meant
        }
    } else {
        caller
            .origins
            .iter()
            .filter_map(|&i| reading.statements.get(i))
            .collect()
    };
    let model = profile.service.model();
    let regions_inferred = profile.regions.iter().all(|r| !r.origin.is_stated());
    let per_value = model.parameters.iter().find(|p| p.per_value);
    let instances_inferred = per_value.is_some_and(|p| {
        profile
            .values_of(&p.name)
            .iter()
            .all(|v| !v.origin.is_stated())
    });
    let via_name = model.route.name;
    base.into_iter()
        .filter(|s| {
            let regions = s
                .via_services
                .iter()
                .filter(|v| v.service_name.eq_ignore_ascii_case(via_name))
                .map(|v| v.region);
            !(regions_inferred && names_only_others(regions, &outcome.region))
        })
        .filter(|s| match (&outcome.bucket, per_value) {
            (Some(instance), Some(parameter)) => {
                !(instances_inferred
                    && names_only_others(
                        parameter_values_of(model, s, &parameter.name).into_iter(),
                        instance,
                    ))
            }
            _ => true,
        })
        .map(|s| s.index)
        .collect()
}

/// What a statement's context values give a parameter: the value where it
/// is concrete, `None` for a pattern (values of another form give nothing).
fn parameter_values_of<'t>(
    model: &'static ServiceModel,
    statement: &StatementReading<'t>,
    parameter: &str,
) -> Vec<Option<&'t str>> {
    let mut out = Vec::new();
    for context in &statement.contexts {
        let Some((main, variant)) = model.fit_condition(context) else {
            continue;
        };
        let fits = [Some(main), variant];
        let value = fits.iter().flatten().find_map(|fit| match fit {
            Fit::Fits(parts) => parts
                .iter()
                .find(|(name, _, _)| *name == parameter)
                .map(|&(_, v, concrete)| concrete.then_some(v)),
            _ => None,
        });
        match value {
            Some(v) => out.push(v),
            None if fits.iter().flatten().any(|f| *f == Fit::MayFit) => out.push(None),
            None => {}
        }
    }
    out
}

/// Whether the values (`None` for a pattern) name something, and only
/// concrete things other than `target`.
fn names_only_others<'a>(values: impl Iterator<Item = Option<&'a str>>, target: &str) -> bool {
    let mut any = false;
    for value in values {
        match value {
            Some(v) if v != target => any = true,
            _ => return false,
        }
    }
    any
}

/// Whether a statement that lacks a request's action would allow it if its
/// `Action` covered it: evaluated as a request for an action it covers, with
/// the same caller and context.
fn applies_with_the_action(
    policy: &Policy<'_>,
    statement: &Statement<'_>,
    request: &Request,
) -> bool {
    let Some(covered) = statement.covered_actions().indices().next() else {
        return true;
    };
    let mut probe = request.clone();
    probe.action = catalog().action_at(covered).name.clone();
    !matches!(
        crate::eval::evaluate_statement(policy, statement, &probe, &Default::default()),
        crate::eval::StatementOutcome::Miss(_)
    )
}

/// Why an intended statement missed a request, and what else is wrong
/// with the failing element.
fn classify(
    failure: &Failure,
    statement: &Statement<'_>,
    reading: &StatementReading<'_>,
    service: ServiceId,
    action: &str,
    text: &str,
) -> (Cause, Vec<Defect>) {
    let model = service.model();
    let linked_role = model.caller.kind == CallerKind::ServiceLinkedRole;
    let mut defects = Vec::new();
    let cause = match failure {
        Failure::Condition {
            key,
            values,
            operator,
            ..
        } => {
            let name = condition_key_name(statement, *key, text);
            let is = |k: &str| name.eq_ignore_ascii_case(k);
            let value_texts: Vec<&str> = values
                .iter()
                .filter_map(|r| text.get(r.as_usize()))
                .map(|v| v.trim_matches('"'))
                .collect();
            let literal_operator = text
                .get(operator.as_usize())
                .and_then(|o| crate::model::Operator::parse(o.trim_matches('"')))
                .is_some_and(|o| !o.base.supports_wildcards());
            if catalog().condition_key(&name).is_none() {
                defects.push(Defect::UnknownConditionKey);
            }
            // `${aws_region}` in a template, or a policy variable that names
            // no key: what the value will be is not known here.
            if values
                .iter()
                .any(|r| text.get(r.as_usize()).is_some_and(has_template_placeholder))
            {
                defects.push(Defect::UnresolvedVariable);
            }
            if literal_operator && value_texts.iter().any(|v| has_wildcard(v)) {
                defects.push(Defect::LiteralWildcard);
            }
            if is("kms:CallerAccount")
                && !value_texts.is_empty()
                && value_texts.iter().all(|v| !crate::aws::is_account_id(v))
            {
                defects.push(Defect::MalformedCallerAccount);
            }
            if is("kms:ViaService") {
                Cause::ViaService
            } else if is("kms:CallerAccount") {
                Cause::CallerAccount
            } else if (linked_role
                && (starts_with_ignore_case(&name, "kms:EncryptionContext:")
                    || is("kms:EncryptionContextKeys")
                    || is("aws:userid")))
                || (model.switch().is_some()
                    && (is("kms:EncryptionContext:aws:s3:arn") || is("kms:EncryptionContextKeys")))
            {
                Cause::S3Context
            } else {
                Cause::Other
            }
        }
        Failure::Principal { .. } => {
            let placeholder = statement
                .principal
                .iter()
                .flat_map(|p| p.values())
                .any(|(_, v)| has_template_placeholder(v.value));
            if placeholder {
                defects.push(Defect::PrincipalPlaceholder);
            }
            let role_problems = |r: &&crate::services::reading::RoleReference<'_>| {
                r.in_principal && !r.problems.is_empty()
            };
            if reading.roles.iter().any(|r| role_problems(&r)) {
                let only_account_problems = reading.roles.iter().filter(role_problems).all(|r| {
                    r.problems
                        .iter()
                        .all(|p| matches!(p, RoleArnProblem::MalformedAccount { .. }))
                });
                if only_account_problems {
                    defects.push(Defect::MalformedPrincipalAccount);
                }
                Cause::MalformedRole
            } else if model.caller.kind == CallerKind::ServicePrincipal
                && reading.service_principals.iter().any(|sp| {
                    sp.service.route() == service.route()
                        && sp.region.is_none()
                        && model
                            .caller
                            .principal
                            .as_ref()
                            .is_some_and(|p| p.placeholders().any(|n| n == "region"))
                })
            {
                Cause::RegionlessPrincipal
            } else if !reading.service_principals.is_empty()
                && reading.service_principals.iter().all(|sp| !sp.is_caller())
                && reading.aws_principals.is_empty()
                && !reading.principal_everyone
            {
                Cause::ServicePrincipal
            } else {
                Cause::Other
            }
        }
        Failure::Action { .. } => {
            let misspelled = statement
                .action
                .iter()
                .flat_map(|a| a.values.iter())
                .any(|v| {
                    let value = v.value;
                    if has_wildcard(value) {
                        // A pattern that matches no action
                        // (`kms:GenerateDataKeys*`), whose literal part
                        // is a misspelling of this one.
                        let literal = value.replace(['*', '?'], "");
                        return !catalog()
                            .actions()
                            .iter()
                            .any(|a| action_matches(value, &a.name))
                            && catalog()
                                .suggest_action(&literal)
                                .is_some_and(|s| action_matches(s, action));
                    }
                    catalog().action(value).is_none()
                        && (starts_with_ignore_case(action, value)
                            || catalog()
                                .suggest_action(value)
                                .is_some_and(|s| action_matches(s, action)))
                });
            if misspelled {
                defects.push(Defect::MisspelledAction);
            }
            Cause::MissingAction
        }
        Failure::Unreadable { .. } => {
            defects.push(Defect::Unreadable);
            Cause::Other
        }
        Failure::NotPrincipal { .. }
        | Failure::NotAction { .. }
        | Failure::Resource { .. }
        | Failure::NotResource { .. } => Cause::Other,
    };
    (cause, defects)
}

/// The condition key whose name is at `range`.
pub fn condition_key_name(
    statement: &Statement<'_>,
    range: crate::text::TextRange,
    text: &str,
) -> String {
    statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .find(|(_, k)| k.key.range == range)
        .map(|(_, k)| k.key.value.to_string())
        .unwrap_or_else(|| {
            text.get(range.as_usize())
                .unwrap_or_default()
                .trim_matches('"')
                .to_string()
        })
}

/// `${aws_region}` from a template, or a policy variable that names no
/// condition key: what the value will be is not known here, and the syntax
/// and conditions packs report it.
fn has_template_placeholder(value: &str) -> bool {
    crate::matcher::policy_variables(value).any(|var| catalog().condition_key(var).is_none())
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::infer::resolve;
    use crate::services::profile::Profile;
    use crate::syntax::parse;

    fn check(text: &str, config: Option<&Profile>) -> Vec<ServiceCheck> {
        let parse = parse(text);
        let policy = Policy::from_tree(&parse.tree);
        let reading = PolicyReading::read(&policy);
        resolve(config, None, &reading)
            .into_iter()
            .map(|p| check_service(p, &policy, &reading, text, &[]))
            .collect()
    }

    fn verdict(check: &ServiceCheck, action: &str) -> Verdict {
        check
            .outcomes
            .iter()
            .filter(|o| o.action == action)
            .map(|o| o.verdict)
            .min()
            .unwrap()
    }

    const FSX: &str = r#"{"Version": "2012-10-17", "Statement": [
      {"Sid": "Allow FSx", "Effect": "Allow", "Principal": {"AWS": "*"},
       "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
       "Resource": "*",
       "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"}}}]}"#;

    #[test]
    fn fsx_without_create_grant_is_denied_for_lack_of_the_action() {
        let checks = check(FSX, None);
        assert_eq!(checks.len(), 1);
        let c = &checks[0];
        assert_eq!(c.service(), ServiceId::parse("fsx").unwrap());
        assert_eq!(verdict(c, "kms:Decrypt"), Verdict::Allowed);
        assert_eq!(verdict(c, "kms:CreateGrant"), Verdict::Denied);
        let o = c
            .outcomes
            .iter()
            .find(|o| o.action == "kms:CreateGrant")
            .unwrap();
        assert_eq!(o.misses.len(), 1);
        assert_eq!(o.misses[0].cause, Cause::MissingAction);
    }

    #[test]
    fn configured_region_mismatch_is_a_via_service_cause() {
        let config = Profile {
            services: vec![ServiceId::parse("fsx").unwrap()],
            region: Some("eu-west-1".into()),
            ..Profile::default()
        };
        let checks = check(FSX, Some(&config));
        let o = checks[0]
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.verdict, Verdict::Denied);
        assert_eq!(o.misses[0].cause, Cause::ViaService);
        assert!(o.misses[0].defects.is_empty());
    }

    #[test]
    fn s3_link_bucket_keys_unknown_accepts_either_form() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {
             "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"},
             "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket/*"}}}]}"#;
        let checks = check(text, None);
        let c = &checks[0];
        assert_eq!(c.service(), ServiceId::parse("s3-link").unwrap());
        for action in [
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "kms:Encrypt",
            "kms:ReEncryptFrom",
        ] {
            assert_eq!(verdict(c, action), Verdict::Allowed, "{action}");
        }
        let o = c
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.variants.len(), 2);
        assert_eq!(o.best().bucket_keys, Some(false));
        assert!(
            !o.variants[1].evaluation.is_allowed(),
            "the bucket ARN does not match bucket/*"
        );

        let config = Profile {
            ..Profile::default()
        }
        .with(
            "bucket-keys",
            crate::services::profile::ProfileValue::Bool(true),
        );
        let checks = check(text, Some(&config));
        let o = checks[0]
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.verdict, Verdict::Denied);
        assert_eq!(o.misses[0].cause, Cause::S3Context);
    }

    #[test]
    fn a_placeholder_principal_leaves_the_representative_callers_requests_undecided() {
        // `${users}` may render to the principals that use FSx: whether
        // they can is not known, so nothing is denied; a statement that names
        // the callers' own account root still delegates.
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Users", "Effect": "Allow", "Principal": {"AWS": "${users}"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
           "Resource": "*"}]}"#;
        let config = Profile {
            services: vec![ServiceId::parse("fsx").unwrap()],
            ..Profile::default()
        };
        let checks = check(text, Some(&config));
        assert_eq!(verdict(&checks[0], "kms:CreateGrant"), Verdict::Undecided);

        // A principal that is partly known names someone else.
        let named = text.replace("${users}", "arn:aws:iam::${account}:role/Admin");
        let checks = check(&named, Some(&config));
        assert_eq!(verdict(&checks[0], "kms:CreateGrant"), Verdict::Denied);
    }

    #[test]
    fn requests_carry_the_region_they_are_made_to() {
        let deny = r#"{"Sid": "Regions", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
           "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}"#;
        let text = FSX.replace(r#""Statement": ["#, &format!(r#""Statement": [{deny},"#));
        let checks = check(&text, None);
        assert_eq!(verdict(&checks[0], "kms:Decrypt"), Verdict::Allowed);
        let elsewhere = text.replace("fsx.us-east-1", "fsx.ap-south-1");
        let checks = check(&elsewhere, None);
        assert_eq!(
            verdict(&checks[0], "kms:Decrypt"),
            Verdict::ExplicitlyDenied
        );
    }

    #[test]
    fn a_missing_action_is_the_cause_only_where_adding_it_would_do() {
        // The grant statement's condition holds only for kms:CreateGrant:
        // adding kms:Decrypt to it would not let FSx decrypt.
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Grants", "Effect": "Allow", "Principal": {"AWS": "*"},
           "Action": "kms:CreateGrant", "Resource": "*",
           "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"},
                         "Bool": {"kms:GrantIsForAWSResource": "true"}}}]}"#;
        let checks = check(text, None);
        let cause = |action: &str| {
            checks[0]
                .outcomes
                .iter()
                .find(|o| o.action == action)
                .unwrap()
                .misses[0]
                .cause
        };
        assert_eq!(cause("kms:Decrypt"), Cause::Other);
        let checks = check(FSX, None);
        let o = checks[0]
            .outcomes
            .iter()
            .find(|o| o.action == "kms:CreateGrant")
            .unwrap();
        assert_eq!(o.misses[0].cause, Cause::MissingAction);
    }

    #[test]
    fn delegation_to_the_account() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#;
        let config = Profile {
            services: vec![ServiceId::parse("efs").unwrap()],
            ..Profile::default()
        };
        let checks = check(text, Some(&config));
        let c = &checks[0];
        assert_eq!(c.callers.len(), 1);
        assert!(c.callers[0].representative);
        assert_eq!(c.callers[0].account(), "111122223333");
        assert_eq!(verdict(c, "kms:CreateGrant"), Verdict::Delegated);
    }

    #[test]
    fn identity_conditions_describe_the_representative_caller() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Allow EFS for the organization", "Effect": "Allow", "Principal": "*",
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {
             "StringEquals": {"kms:ViaService": "elasticfilesystem.us-east-2.amazonaws.com", "aws:PrincipalOrgID": "o-a1b2c3d4e5"},
             "StringLike": {"aws:PrincipalTag/team": "storage-*"}}}]}"#;
        let checks = check(text, None);
        for action in [
            "kms:Decrypt",
            "kms:CreateGrant",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:DescribeKey",
        ] {
            assert_eq!(verdict(&checks[0], action), Verdict::Allowed, "{action}");
        }
    }

    #[test]
    fn explicit_deny() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Allow EFS", "Effect": "Allow", "Principal": "*",
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {"StringEquals": {"kms:ViaService": "elasticfilesystem.us-east-2.amazonaws.com", "kms:CallerAccount": "111122223333"}}},
          {"Sid": "No grants", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"}]}"#;
        let checks = check(text, None);
        assert_eq!(
            verdict(&checks[0], "kms:CreateGrant"),
            Verdict::ExplicitlyDenied
        );
        assert_eq!(verdict(&checks[0], "kms:Decrypt"), Verdict::Allowed);
    }

    #[test]
    fn added_context_is_what_the_model_does_not_give_to_the_request() {
        // A model whose requests may carry pairs beyond its own, and which
        // gives `aws:example:id` to kms:Decrypt only.
        let model: ServiceModel = toml::from_str(
            r#"
            name = "Example"
            covers = "a test"
            sources = []
            [caller]
            kind = "forward-access"
            source = "https://docs.aws.amazon.com/x.html: x"
            added-context = "https://docs.aws.amazon.com/x.html: more pairs"
            [key-spec]
            accepted = ["SYMMETRIC_DEFAULT"]
            source = "https://docs.aws.amazon.com/x.html: x"
            [[permissions]]
            documented-as = "kms:Decrypt"
            actions = ["kms:Decrypt"]
            need = "required"
            source = "https://docs.aws.amazon.com/x.html: x"
            [[context]]
            key = "kms:EncryptionContext:aws:example:id"
            value = "ex-1"
            actions = ["kms:Decrypt"]
            source = "https://docs.aws.amazon.com/x.html: x"
            "#,
        )
        .unwrap();
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:CreateGrant"], "Resource": "*",
           "Condition": {"StringEquals": {"kms:EncryptionContext:aws:example:id": "ex-2"}}}]}"#;
        let parse = parse(text);
        let policy = Policy::from_tree(&parse.tree);
        let principal = crate::eval::RequestPrincipal::role("111122223333", "User");
        let caller = Representative {
            any_principal: false,
            account_known: true,
        };
        let verdict_for = |action: &str, context: Option<&str>| {
            let mut request = Request::new(principal.clone(), action);
            if let Some(value) = context {
                request
                    .context
                    .set("kms:EncryptionContext:aws:example:id", value);
            }
            let evaluation = evaluate(&policy, &request);
            verdict_of(
                &evaluation,
                true,
                caller,
                (&model, &request, None),
                &policy,
                text,
            )
        };
        // The model gives kms:Decrypt the pair, with another value.
        assert_eq!(verdict_for("kms:Decrypt", Some("ex-1")), Verdict::Denied);
        // It says nothing of a kms:CreateGrant request's pairs.
        assert_eq!(verdict_for("kms:CreateGrant", None), Verdict::Undecided);
    }

    #[test]
    fn a_principal_arn_pattern_of_any_account_names_a_role_of_the_callers_account() {
        // `arn:aws:iam::*:role/storage-admin`: the role of that name in
        // every account, the callers' included (AWS SRA writes its keys so).
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
          {"Sid": "Allow EFS for the storage administrators", "Effect": "Allow", "Principal": {"AWS": "*"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {
             "StringEquals": {"kms:ViaService": "elasticfilesystem.us-east-2.amazonaws.com"},
             "StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/storage-admin"}}}]}"#;
        let checks = check(text, None);
        let c = &checks[0];
        assert!(c.callers.iter().any(|caller| matches!(
            &caller.principal,
            crate::eval::RequestPrincipal::Iam { arn, .. }
                if arn == "arn:aws:iam::111122223333:role/storage-admin"
        )));
        for action in ["kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey"] {
            assert_eq!(verdict(c, action), Verdict::Allowed, "{action}");
        }
    }

    #[test]
    fn a_statement_for_another_service_of_the_same_kind_names_the_callers() {
        // The key of a configured EFS file system whose only statement for a
        // forward-access service names FSx: its role is who calls, and its
        // kms:ViaService is what is wrong.
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}}]}"#;
        let config = Profile {
            services: vec![ServiceId::parse("efs").unwrap()],
            region: Some("us-east-1".into()),
            ..Profile::default()
        };
        let parse = parse(text);
        let policy = Policy::from_tree(&parse.tree);
        let reading = PolicyReading::read(&policy);
        let profile = resolve(Some(&config), None, &reading).remove(0);
        let c = check_service(profile, &policy, &reading, text, &[0]);
        assert!(c.callers.iter().any(|caller| matches!(
            &caller.principal,
            crate::eval::RequestPrincipal::Iam { arn, .. }
                if arn == "arn:aws:iam::111122223333:role/App"
        )));
        let o = c
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.verdict, Verdict::Denied);
        assert_eq!(o.misses[0].cause, Cause::ViaService);
    }

    #[test]
    fn a_condition_on_a_variable_of_the_caller_leaves_the_representative_undecided() {
        // Each team's volumes: a principal whose tag names the volume is
        // allowed, which the representative principal of the account may be.
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Volumes of each team", "Effect": "Allow", "Principal": {"AWS": "*"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {"StringEquals": {
             "kms:CallerAccount": "111122223333", "kms:ViaService": "ec2.us-east-1.amazonaws.com",
             "kms:EncryptionContext:aws:ebs:id": "${aws:PrincipalTag/volume}"}}}]}"#;
        let checks = check(text, None);
        let c = &checks[0];
        assert_eq!(c.service(), ServiceId::parse("ebs").unwrap());
        assert_eq!(verdict(c, "kms:Decrypt"), Verdict::Undecided);
        // A kms:CreateGrant request carries no aws:ebs:id: whoever calls,
        // the condition is false.
        assert_eq!(verdict(c, "kms:CreateGrant"), Verdict::Denied);
        // Beside the account-root delegation: not delegated only.
        let root = r#"{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},"#;
        let delegating = text.replace(r#""Statement": ["#, &format!(r#""Statement": [{root}"#));
        let checks = check(&delegating, None);
        assert_eq!(verdict(&checks[0], "kms:Decrypt"), Verdict::Undecided);
        let decrypt = checks[0]
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert!(decrypt.misses.is_empty(), "nothing to explain");
        assert_eq!(verdict(&checks[0], "kms:CreateGrant"), Verdict::Delegated);
    }
}
