//! The IAM evaluator: whether a key policy allows a request, and why not.
//!
//! IAM semantics are implemented here once (ARCHITECTURE.md, invariant 4);
//! the service packs and the security rules ask this module questions
//! instead of matching JSON shapes. The rules it follows, with sources in
//! `reference/kms-facts.md` and the IAM User Guide:
//! - a statement applies when its Effect is readable and its principal,
//!   action, resource and condition elements all match the request;
//! - an applicable Deny wins over any Allow; statement order has no meaning;
//! - an Allow that names the caller's account (`arn:aws:iam::ACCOUNT:root` or
//!   the bare id) rather than the caller only delegates to the account's IAM
//!   policies, and is reported apart ([`Evaluation::delegated_by`]);
//! - `Resource: "*"` in a key policy means this key.
//!
//! Module map: `principal` (Principal/NotPrincipal), `condition` (the
//! Condition element), `operators` (value comparison per operator family),
//! `context` (the request context), `accounts` (which accounts a policy
//! mentions), `search` (questions over many requests).

pub mod accounts;
mod condition;
mod context;
mod operators;
mod principal;
pub mod search;

#[cfg(test)]
mod tests;

pub use context::{ContextValue, RequestContext};
pub use principal::{account_root_arn, PrincipalValue};

use context::ContextView;
use principal::{excluded_by_not_principal, match_principal, PrincipalMatch};

use crate::matcher::{compile_with_variables, has_wildcard, match_pieces};
use crate::model::{Effect, Policy, Statement, StringList};
use crate::text::TextRange;

/// One request to KMS, as the evaluator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub principal: RequestPrincipal,
    /// The canonical action, e.g. `kms:Decrypt`.
    pub action: String,
    pub context: RequestContext,
}

impl Request {
    /// A request with an empty context.
    pub fn new(principal: RequestPrincipal, action: impl Into<String>) -> Self {
        Request {
            principal,
            action: action.into(),
            context: RequestContext::new(),
        }
    }

    /// Adds a single-valued context key.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context.set(key, value);
        self
    }

    /// Adds a multivalued context key.
    pub fn with_multi(mut self, key: &str, values: Vec<String>) -> Self {
        self.context.set_multi(key, values);
        self
    }
}

/// Who makes a request.
///
/// Keys that the principal alone determines (`aws:PrincipalArn`,
/// `aws:PrincipalAccount`, `kms:CallerAccount`, `aws:PrincipalType`,
/// `aws:username` of users, `aws:userid` of the account root and anonymous
/// callers, `aws:PrincipalServiceName`, `aws:PrincipalIsAWSService`) are
/// derived from it when the request context does not set them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestPrincipal {
    /// An IAM role or user: its ARN (for roles, the role ARN with path, e.g.
    /// `arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123...`)
    /// and account.
    Iam { arn: String, account: String },
    /// The account root itself.
    AccountRoot { account: String },
    /// An AWS service principal, e.g. `cloudtrail.amazonaws.com`.
    Service(String),
    /// An unauthenticated caller.
    Anonymous,
}

impl RequestPrincipal {
    /// A role, from its account and `path/name` (`aws-service-role/x.amazonaws.com/Name` or `Admin`).
    pub fn role(account: &str, path_and_name: &str) -> Self {
        RequestPrincipal::Iam {
            arn: format!("arn:aws:iam::{account}:role/{path_and_name}"),
            account: account.to_string(),
        }
    }

    /// An IAM user, from its account and name.
    pub fn user(account: &str, name: &str) -> Self {
        RequestPrincipal::Iam {
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            account: account.to_string(),
        }
    }

    /// The account the principal belongs to.
    pub fn account(&self) -> Option<&str> {
        match self {
            RequestPrincipal::Iam { account, .. } | RequestPrincipal::AccountRoot { account } => {
                Some(account)
            }
            RequestPrincipal::Service(_) | RequestPrincipal::Anonymous => None,
        }
    }

    /// For messages: `role arn:aws:iam::...`, `the account root of 111122223333`...
    pub fn describe(&self) -> String {
        match self {
            RequestPrincipal::Iam { arn, .. } if arn.contains(":user/") => format!("user {arn}"),
            RequestPrincipal::Iam { arn, .. } => format!("role {arn}"),
            RequestPrincipal::AccountRoot { account } => format!("the account root of {account}"),
            RequestPrincipal::Service(name) => format!("service principal {name}"),
            RequestPrincipal::Anonymous => "an anonymous caller".to_string(),
        }
    }
}

/// What the evaluator needs beyond the policy and the request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvalOptions {
    /// The key's ARN. With it, `Resource` ARN patterns are matched against it;
    /// without it, KMS key ARN patterns (`arn:aws:kms:...`, not aliases) are
    /// taken to match this key and other ARNs not to.
    pub key_arn: Option<String>,
    /// Leave the reasons of failed conditions empty. For searches, which try
    /// many requests and need only the decisions; every other evaluation
    /// explains its misses.
    pub brief: bool,
}

/// The verdict for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Some Allow statement applies and no Deny does. See
    /// [`Evaluation::is_delegated_only`] for allows that need an IAM policy too.
    Allow,
    /// No statement applies.
    ImplicitDeny,
    /// A Deny statement applies.
    ExplicitDeny,
}

/// The result of evaluating a request: the decision and, per statement, how it
/// treated the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// Allow statements that match the request by naming the principal (or "*").
    pub allowed_by: Vec<usize>,
    /// Allow statements that match by naming the caller's account root
    /// (`arn:aws:iam::ACCOUNT:root` or a bare account id): they grant only if
    /// the caller's IAM policy also allows.
    pub delegated_by: Vec<usize>,
    /// Deny statements that match the request.
    pub denied_by: Vec<usize>,
    /// For every statement that did not match, the first element that failed.
    pub misses: Vec<StatementMiss>,
}

impl Evaluation {
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// Allowed only via delegation: the request succeeds only if the caller's
    /// IAM policies also allow it.
    pub fn is_delegated_only(&self) -> bool {
        self.is_allowed() && self.allowed_by.is_empty() && !self.delegated_by.is_empty()
    }

    /// Why a statement did not match, if it did not.
    pub fn miss(&self, statement: usize) -> Option<&Failure> {
        // `misses` is in statement order (the evaluation walks them in
        // order): the service checks ask this of every intended statement
        // for every request, so a walk made it quadratic.
        let at = self.misses.partition_point(|m| m.statement < statement);
        self.misses
            .get(at)
            .filter(|m| m.statement == statement)
            .map(|m| &m.failure)
    }
}

/// A statement that did not match a request, and the first element that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementMiss {
    pub statement: usize,
    pub failure: Failure,
}

/// The element of a statement that did not match, with its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `Principal` names neither the caller nor its account.
    Principal {
        range: TextRange,
    },
    /// `NotPrincipal` lists the caller (and its account).
    NotPrincipal {
        range: TextRange,
    },
    /// No `Action` value covers the action.
    Action {
        range: TextRange,
    },
    /// A `NotAction` value covers the action.
    NotAction {
        range: TextRange,
    },
    /// `Resource` does not cover this key (or `NotResource` does).
    Resource {
        range: TextRange,
    },
    NotResource {
        range: TextRange,
    },
    /// A condition entry is false for this request.
    Condition {
        operator: TextRange,
        key: TextRange,
        values: Vec<TextRange>,
        /// E.g. "kms:ViaService is s3.us-east-1.amazonaws.com, the condition wants fsx.us-east-1.amazonaws.com".
        reason: String,
    },
    /// The statement cannot apply to any request: no Effect, an unknown
    /// condition operator, a value of the wrong type.
    Unreadable {
        range: TextRange,
        reason: String,
    },
}

impl Failure {
    /// The range to point at.
    pub fn range(&self) -> TextRange {
        match self {
            Failure::Principal { range }
            | Failure::NotPrincipal { range }
            | Failure::Action { range }
            | Failure::NotAction { range }
            | Failure::Resource { range }
            | Failure::NotResource { range }
            | Failure::Unreadable { range, .. } => *range,
            Failure::Condition { key, .. } => *key,
        }
    }
}

/// How one statement treats a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatementOutcome {
    /// An Allow that names the caller (or everyone).
    Allows,
    /// An Allow that names the caller's account: delegation to IAM policies.
    Delegates,
    /// A Deny that applies.
    Denies,
    /// The statement does not apply; the first element that failed.
    Miss(Failure),
}

/// Evaluates a request against a key policy.
pub fn evaluate(policy: &Policy<'_>, request: &Request) -> Evaluation {
    evaluate_with(policy, request, &EvalOptions::default())
}

/// [`evaluate`] with options (the key ARN).
pub fn evaluate_with(policy: &Policy<'_>, request: &Request, options: &EvalOptions) -> Evaluation {
    let variables = uses_policy_variables(policy);
    let view = ContextView::new(&request.context, &request.principal);
    let mut evaluation = Evaluation {
        decision: Decision::ImplicitDeny,
        allowed_by: Vec::new(),
        delegated_by: Vec::new(),
        denied_by: Vec::new(),
        misses: Vec::new(),
    };
    let action_index = crate::catalog::catalog().action_position(&request.action);
    for statement in &policy.statements {
        match statement_outcome(statement, request, action_index, &view, variables, options) {
            StatementOutcome::Allows => evaluation.allowed_by.push(statement.index),
            StatementOutcome::Delegates => evaluation.delegated_by.push(statement.index),
            StatementOutcome::Denies => evaluation.denied_by.push(statement.index),
            StatementOutcome::Miss(failure) => evaluation.misses.push(StatementMiss {
                statement: statement.index,
                failure,
            }),
        }
    }
    evaluation.decision = if !evaluation.denied_by.is_empty() {
        Decision::ExplicitDeny
    } else if !evaluation.allowed_by.is_empty() || !evaluation.delegated_by.is_empty() {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    evaluation
}

/// How one statement of `policy` treats a request.
pub fn evaluate_statement(
    policy: &Policy<'_>,
    statement: &Statement<'_>,
    request: &Request,
    options: &EvalOptions,
) -> StatementOutcome {
    let view = ContextView::new(&request.context, &request.principal);
    statement_outcome(
        statement,
        request,
        crate::catalog::catalog().action_position(&request.action),
        &view,
        uses_policy_variables(policy),
        options,
    )
}

/// Policy variables are substituted only under Version 2012-10-17; otherwise
/// `${aws:username}` is literal text (IAM UG, "Policy variables"). A lone
/// statement is taken to go into a policy of that version.
pub fn uses_policy_variables(policy: &Policy<'_>) -> bool {
    // A lone statement goes into a policy of the current version.
    policy.lone_statement || policy.version.is_some_and(|v| v.value == "2012-10-17")
}

fn statement_outcome(
    statement: &Statement<'_>,
    request: &Request,
    action_index: Option<usize>,
    view: &ContextView<'_>,
    variables: bool,
    options: &EvalOptions,
) -> StatementOutcome {
    match match_statement(statement, request, action_index, view, variables, options) {
        Err(failure) => StatementOutcome::Miss(failure),
        Ok(principal_match) => match statement.effect {
            Some((Effect::Deny, _)) => StatementOutcome::Denies,
            _ if principal_match == PrincipalMatch::Delegated => StatementOutcome::Delegates,
            _ => StatementOutcome::Allows,
        },
    }
}

/// Checks the elements in the order a reader would: Effect, principal,
/// action, resource, condition. Returns how the principal matched.
fn match_statement(
    statement: &Statement<'_>,
    request: &Request,
    action_index: Option<usize>,
    view: &ContextView<'_>,
    variables: bool,
    options: &EvalOptions,
) -> Result<PrincipalMatch, Failure> {
    if statement.effect.is_none() {
        return Err(Failure::Unreadable {
            range: statement
                .effect_element
                .map_or(statement.anchor(), |e| e.value_range),
            reason: format!(
                "{} has no Effect of Allow or Deny, so it applies to nothing",
                statement.label()
            ),
        });
    }
    let principal_match = match (&statement.principal, &statement.not_principal) {
        (Some(_), Some(not_principal)) => {
            return Err(Failure::Unreadable {
                range: not_principal.element.key_range,
                reason: "a statement cannot have both Principal and NotPrincipal".to_string(),
            })
        }
        (Some(principal), None) => match match_principal(principal, &request.principal) {
            PrincipalMatch::NoMatch => {
                return Err(Failure::Principal {
                    range: principal.element.value_range,
                })
            }
            m => m,
        },
        (None, Some(not_principal)) => {
            if excluded_by_not_principal(not_principal, &request.principal) {
                return Err(Failure::NotPrincipal {
                    range: not_principal.element.value_range,
                });
            }
            PrincipalMatch::Named
        }
        (None, None) => {
            return Err(Failure::Unreadable {
                range: statement.anchor(),
                reason: format!(
                    "{} has no Principal; a key-policy statement without one applies to no one",
                    statement.label()
                ),
            })
        }
    };

    match (&statement.action, &statement.not_action) {
        (Some(_), Some(not_action)) => {
            return Err(Failure::Unreadable {
                range: not_action.element.key_range,
                reason: "a statement cannot have both Action and NotAction".to_string(),
            })
        }
        (Some(action), None) => {
            if !covers(statement, request, action_index) {
                return Err(Failure::Action {
                    range: action.element.value_range,
                });
            }
        }
        (None, Some(not_action)) => {
            if !covers(statement, request, action_index) {
                let excluding = not_action
                    .values
                    .iter()
                    .find(|v| action_matches(v.value, &request.action))
                    .map_or(not_action.element.value_range, |v| v.range);
                return Err(Failure::NotAction { range: excluding });
            }
        }
        (None, None) => {
            return Err(Failure::Unreadable {
                range: statement.anchor(),
                reason: format!(
                    "{} has no Action, so it applies to nothing",
                    statement.label()
                ),
            })
        }
    }

    match (&statement.resource, &statement.not_resource) {
        (Some(_), Some(not_resource)) => {
            return Err(Failure::Unreadable {
                range: not_resource.element.key_range,
                reason: "a statement cannot have both Resource and NotResource".to_string(),
            })
        }
        (Some(resource), None) => {
            if !any_resource_matches(resource, view, variables, options) {
                return Err(Failure::Resource {
                    range: resource.element.value_range,
                });
            }
        }
        (None, Some(not_resource)) => {
            if let Some(v) = not_resource
                .values
                .iter()
                .find(|v| resource_matches(v.value, view, variables, options))
            {
                return Err(Failure::NotResource { range: v.range });
            }
        }
        (None, None) => {
            // "If the required Resource element is missing from a key policy
            // statement, the policy statement has no effect" (KMS DG, kms-facts §3).
            return Err(Failure::Unreadable {
                range: statement.anchor(),
                reason: format!(
                    "{} has no Resource; KMS gives such a statement no effect",
                    statement.label()
                ),
            });
        }
    }

    if let Some(condition) = &statement.condition {
        condition::evaluate_block(condition, view, variables, !options.brief)?;
    }
    Ok(principal_match)
}

/// Whether a statement's `Action` (or `NotAction`) covers an action, whatever
/// its other elements say.
pub fn covers_action(statement: &Statement<'_>, action: &str) -> bool {
    match crate::catalog::catalog().action_position(action) {
        Some(index) => statement.covered_actions().contains(index),
        None => covers_action_by_matching(statement, action),
    }
}

/// [`covers_action`] for the request's action, whose catalogue position
/// the evaluation looked up once: a catalogue action is one bit of the
/// statement's expanded actions.
fn covers(statement: &Statement<'_>, request: &Request, action_index: Option<usize>) -> bool {
    match action_index {
        Some(index) => statement.covered_actions().contains(index),
        None => covers_action_by_matching(statement, &request.action),
    }
}

/// [`covers_action`] value by value, for actions the catalogue lacks.
fn covers_action_by_matching(statement: &Statement<'_>, action: &str) -> bool {
    match (&statement.action, &statement.not_action) {
        (Some(a), None) => a.values.iter().any(|v| action_matches(v.value, action)),
        (None, Some(n)) => !n.values.iter().any(|v| action_matches(v.value, action)),
        _ => false,
    }
}

/// Action names compare case-insensitively; `*` and `?` are wildcards anywhere.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    if has_wildcard(pattern) {
        operators::wildcard_matches(pattern, action, true)
    } else {
        pattern.eq_ignore_ascii_case(action)
    }
}

fn any_resource_matches(
    resource: &StringList<'_>,
    view: &ContextView<'_>,
    variables: bool,
    options: &EvalOptions,
) -> bool {
    resource
        .values
        .iter()
        .any(|v| resource_matches(v.value, view, variables, options))
}

/// Whether a `Resource` value covers this key.
fn resource_matches(
    pattern: &str,
    view: &ContextView<'_>,
    variables: bool,
    options: &EvalOptions,
) -> bool {
    if pattern == "*" {
        return true;
    }
    match &options.key_arn {
        Some(key_arn) if variables && crate::matcher::has_variable(pattern) => {
            match compile_with_variables(pattern, true, &|name| view.variable(name)) {
                Some(pieces) => match_pieces(&pieces, key_arn, false),
                None => false,
            }
        }
        Some(key_arn) => operators::wildcard_matches(pattern, key_arn, false),
        None => looks_like_key_arn(pattern),
    }
}

/// Without the key's ARN: a KMS ARN pattern that could name a key
/// (`arn:aws:kms:us-east-1:111122223333:key/...`, `arn:aws:kms:*`), not an
/// alias, and not an ARN whose Region or account part no key can have.
fn looks_like_key_arn(pattern: &str) -> bool {
    let (count, parts) = crate::aws::arn_parts_lenient(pattern);
    let parts = &parts[..count];
    if parts.len() < 3
        || !operators::wildcard_matches(parts[0], "arn", false)
        || !operators::wildcard_matches(parts[2], "kms", false)
    {
        return false;
    }
    match parts.get(5) {
        Some(resource) => !resource.starts_with("alias/") && impossible_key_arn(pattern).is_none(),
        None => parts.last().is_some_and(|p| p.ends_with('*')),
    }
}

/// Why a KMS ARN in `Resource` can be no key's ARN, if it can be none: its
/// Region part is literal text that is not a Region (`Region`,
/// `region-code`), or its account part is literal text that is not a 12-digit
/// account ID (`account_ID`, `111122223333x`). Such an ARN, copied from a
/// guide with its placeholders, matches no key. Returns the part's index
/// (3 for the Region, 4 for the account) and its text. Wildcards, policy
/// variables, template placeholders and symbols are not judged.
pub fn impossible_key_arn(value: &str) -> Option<(usize, &str)> {
    let parts = crate::aws::arn_parts(value)?;
    if !parts[2].eq_ignore_ascii_case("kms") {
        return None;
    }
    let literal = |p: &str| {
        !crate::matcher::has_wildcard(p)
            && !p.contains("${")
            && !p.contains("#{")
            && !crate::symbolic::has_symbol(p)
    };
    let region = parts[3];
    if literal(region) && !crate::aws::is_region(region) {
        return Some((3, region));
    }
    let account = parts[4];
    if literal(account) && !crate::aws::is_account_id(account) {
        return Some((4, account));
    }
    None
}
