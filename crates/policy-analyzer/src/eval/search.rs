//! Questions over many requests: is there *some* request of a given kind that
//! the policy allows?
//!
//! The security rules ask "can a principal of an account the policy does not
//! name, or an anonymous caller, get `kms:Decrypt` through this statement?"
//! and "can anyone still change this key's policy?". Rather than read the
//! JSON for telltale shapes, the search builds candidate requests from the
//! values the policy itself mentions (plus a fresh account and fresh values)
//! and asks [`evaluate_with`] about each. Whatever it reports was allowed by
//! the evaluator; what it cannot find within its budget it does not report,
//! so its answers err towards silence.
//!
//! What a caller controls decides the candidates:
//! - keys that describe the request (`kms:ViaService`, `kms:EncryptionContext:*`,
//!   `aws:SourceIp`, `aws:SecureTransport`, `kms:GrantIsForAWSResource`, tags
//!   it sets on itself...) take any value: an outsider calls through S3 in
//!   its own account, picks its encryption context, its network;
//! - keys that describe the caller (`kms:CallerAccount`, `aws:PrincipalAccount`,
//!   `aws:PrincipalArn`, `aws:PrincipalOrgID`, `aws:username`, and
//!   `aws:SourceAccount`/`aws:SourceArn` of a service acting for a resource)
//!   take the outsider's own values, fresh ones the policy never mentions;
//! - `aws:userid` is `<unique id>:<session name>` for a role: the outsider's
//!   own id, with any session name it likes (so `*:FSx` does not pin anyone).

use super::condition::{evaluate_entry, EntryOutcome};
use super::context::ContextView;
use super::operators::{parse_date, parse_number, Cidr};
use super::principal::PrincipalValue;
use super::{
    accounts::mentions_account, covers_action, evaluate_statement, evaluate_with,
    uses_policy_variables, ContextValue, EvalOptions, Evaluation, Failure, Request, RequestContext,
    RequestPrincipal, StatementOutcome,
};
use std::cell::OnceCell;

use crate::catalog::catalog;
use crate::model::{
    BaseOperator, ConditionBlock, ConditionKeyEntry, ConditionOperatorEntry, OperatorFamily,
    Policy, PrincipalElement, PrincipalKind, Statement, StringList, ValueKind,
};
use crate::text::TextRange;

/// At most this many requests are evaluated per question: enough for a
/// handful of keys with a handful of candidate values each.
const MAX_EVALUATIONS: usize = 4096;

/// Filler for wildcards and fresh values: a string no policy names.
const FRESH: &str = "policy-check-unlisted";

/// A kind of caller from outside the accounts a policy names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutsideCaller {
    /// An IAM role in an account the policy does not mention.
    RoleInOtherAccount,
    /// An IAM user in an account the policy does not mention.
    UserInOtherAccount,
    /// The root of an account the policy does not mention.
    RootOfOtherAccount,
    /// This AWS service principal acting for a resource in an account the
    /// policy does not mention (the confused-deputy case).
    ServiceForOtherAccount(String),
}

impl OutsideCaller {
    /// The IAM callers of another account. There are no anonymous callers
    /// to consider: AWS KMS takes only requests signed with an access key
    /// (KMS API Reference, "Signing requests"), so every caller is a
    /// principal of some account, and `kms:CallerAccount`,
    /// `aws:PrincipalAccount` and `aws:PrincipalArn` are in every request.
    pub const PUBLIC: [OutsideCaller; 3] = [
        OutsideCaller::RoleInOtherAccount,
        OutsideCaller::RootOfOtherAccount,
        OutsideCaller::UserInOtherAccount,
    ];

    /// For messages: "an IAM role in another AWS account".
    pub fn describe(&self) -> String {
        match self {
            OutsideCaller::RoleInOtherAccount => "an IAM role in another AWS account".to_string(),
            OutsideCaller::UserInOtherAccount => "an IAM user in another AWS account".to_string(),
            OutsideCaller::RootOfOtherAccount => "another AWS account".to_string(),
            OutsideCaller::ServiceForOtherAccount(service) => {
                format!("{service} acting for a resource in another AWS account")
            }
        }
    }
}

/// "Can a caller of these kinds get `action` through statement `statement`?"
#[derive(Clone, Debug)]
pub struct OutsideAccessQuestion<'q> {
    /// The canonical action, e.g. `kms:Decrypt`.
    pub action: &'q str,
    /// The kinds of caller to try, in order; the first that succeeds is reported.
    pub callers: &'q [OutsideCaller],
    pub options: &'q EvalOptions,
}

/// A request that shows the answer is yes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    pub caller: OutsideCaller,
    /// The request, allowed by the statement and denied by no statement.
    pub request: Request,
    pub evaluation: Evaluation,
    /// The statement's condition entries, each met by the request.
    pub conditions: Vec<MetCondition>,
    /// Whether the caller took a shape the policy's own patterns allow (a
    /// role named as in `arn:aws:iam::*:role/Admin`, an account matching
    /// `1111*`, no organization) rather than the plain outsider's.
    pub shaped: bool,
}

/// A condition entry the witness request met, and with what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetCondition {
    pub operator: TextRange,
    pub key: TextRange,
    /// The key as the policy spells it.
    pub key_name: String,
    /// The request's value for the key, `None` when the request leaves it out.
    pub value: Option<ContextValue>,
}

/// Whether a caller of one of `question.callers`, from an account the policy
/// does not mention, can get `question.action` through statement `statement`
/// (an Allow that names it directly, with no Deny in the way). To ask many
/// questions of one policy, use [`OutsideAccessSearch`].
pub fn find_outside_access(
    policy: &Policy<'_>,
    statement: usize,
    question: &OutsideAccessQuestion<'_>,
) -> Option<Witness> {
    OutsideAccessSearch::new(policy, question.options).find(
        statement,
        question.action,
        question.callers,
    )
}

/// Outside-access questions about one policy, sharing what they all need:
/// the outsider's fresh account (found by scanning the policy once) and the
/// policy's Deny statements.
pub struct OutsideAccessSearch<'a, 'p> {
    policy: &'a Policy<'p>,
    options: &'a EvalOptions,
    outsider: OnceCell<Outsider>,
    denies: Vec<usize>,
}

impl<'a, 'p> OutsideAccessSearch<'a, 'p> {
    pub fn new(policy: &'a Policy<'p>, options: &'a EvalOptions) -> Self {
        OutsideAccessSearch {
            policy,
            options,
            outsider: OnceCell::new(),
            denies: deny_statements(policy),
        }
    }

    /// Whether statement `statement` could admit one of `callers` at all:
    /// when not, [`find`](Self::find) answers at once, without a search.
    pub fn may_admit(&self, statement: usize, callers: &[OutsideCaller]) -> bool {
        self.policy
            .statements
            .get(statement)
            .is_some_and(|s| callers.iter().any(|c| may_admit(s, c)))
    }

    /// Whether [`find`](Self::find) can find anything through statement
    /// `statement` for one of `callers`, whatever the action: not when the
    /// statement is no Allow, admits none of them, or its conditions hold
    /// each of them to values no outsider has.
    pub fn may_find(&self, statement: usize, callers: &[OutsideCaller]) -> bool {
        self.policy.statements.get(statement).is_some_and(|s| {
            s.is_allow() && callers.iter().any(|c| may_admit(s, c) && !pins_out(s, c))
        })
    }

    /// [`find_outside_access`] for this policy.
    pub fn find(
        &self,
        statement: usize,
        action: &str,
        callers: &[OutsideCaller],
    ) -> Option<Witness> {
        let policy = self.policy;
        let target = policy.statements.get(statement)?;
        if !target.is_allow() {
            return None;
        }
        // Most statements name their principals; none of those is an
        // outsider. Checked first because it is cheap and settles most.
        let callers: Vec<&OutsideCaller> =
            callers.iter().filter(|c| may_admit(target, c)).collect();
        if callers.is_empty() {
            return None;
        }
        let outsider = self.outsider.get_or_init(|| Outsider::new(policy));
        for caller in callers {
            // What the search would find for every identity, found once.
            if pins_out(target, caller) {
                continue;
            }
            for identity in &outsider.identities {
                let (base, special) = outsider.request(caller, identity, action, target);
                let accept = |e: &Evaluation| e.is_allowed() && e.allowed_by.contains(&statement);
                let space = SearchSpace {
                    special: &special,
                    identity: &is_identity_key,
                    denies: &self.denies,
                };
                if let Some((request, evaluation)) =
                    search(policy, base, statement, &space, self.options, &accept)
                {
                    let conditions = met_conditions(target, &request);
                    return Some(Witness {
                        caller: caller.clone(),
                        request,
                        evaluation,
                        conditions,
                        shaped: identity != &outsider.identities[0],
                    });
                }
            }
        }
        None
    }
}

/// Whether a condition of `statement` holds callers of this kind to literal
/// values of who they are (an account, an organization, a principal's or a
/// source resource's ARN, a unique id) under an operator that needs the key:
/// no outsider has such a value (its account, organization and resources
/// are ones the policy never names), so the search could only fail.
fn pins_out(statement: &Statement<'_>, caller: &OutsideCaller) -> bool {
    let keys: &[&str] = match caller {
        OutsideCaller::ServiceForOtherAccount(_) => {
            &["aws:sourceaccount", "aws:sourceorgid", "aws:sourcearn"]
        }
        _ => &[
            "kms:calleraccount",
            "aws:principalaccount",
            "aws:principalorgid",
            "aws:principalarn",
            "aws:userid",
        ],
    };
    let literal = |v: &str| !has_pattern(v) && !v.contains("${");
    statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .any(|(op, key)| {
            op.operator.is_some_and(|o| {
                !o.base.is_negated()
                    && !o.if_exists
                    && o.qualifier.is_none()
                    && o.base != BaseOperator::Null
            }) && keys.iter().any(|k| k.eq_ignore_ascii_case(key.key.value))
                && !key.values.is_empty()
                && key
                    .values
                    .iter()
                    .all(|v| v.kind == ValueKind::String && literal(v.value))
        })
}

/// Whether two statements decide every request alike: the same Effect,
/// principals, actions, resources and conditions (their Sids may differ).
pub fn same_rules(a: &Statement<'_>, b: &Statement<'_>) -> bool {
    fn principals<'t>(
        p: &Option<PrincipalElement<'t>>,
    ) -> Option<Vec<(Option<PrincipalKind>, &'t str)>> {
        p.as_ref()
            .map(|p| p.values().map(|(kind, text)| (kind, text.value)).collect())
    }
    fn list<'t>(l: &Option<StringList<'t>>) -> Option<Vec<&'t str>> {
        l.as_ref()
            .map(|l| l.values.iter().map(|v| v.value).collect())
    }
    /// (operator, key, values) per condition entry.
    type Entries<'t> = Vec<(&'t str, &'t str, Vec<(&'t str, ValueKind)>)>;
    fn conditions<'t>(c: &Option<ConditionBlock<'t>>) -> Option<Entries<'t>> {
        c.as_ref().map(|c| {
            c.entries()
                .map(|(op, key)| {
                    let values = key.values.iter().map(|v| (v.value, v.kind)).collect();
                    (op.name.value, key.key.value, values)
                })
                .collect()
        })
    }
    a.effect.map(|(e, _)| e) == b.effect.map(|(e, _)| e)
        && principals(&a.principal) == principals(&b.principal)
        && principals(&a.not_principal) == principals(&b.not_principal)
        && list(&a.action) == list(&b.action)
        && list(&a.not_action) == list(&b.not_action)
        && list(&a.resource) == list(&b.resource)
        && list(&a.not_resource) == list(&b.not_resource)
        && conditions(&a.condition) == conditions(&b.condition)
}

/// The indices of the Deny statements.
fn deny_statements(policy: &Policy<'_>) -> Vec<usize> {
    policy
        .statements
        .iter()
        .filter(|s| s.is_deny())
        .map(|s| s.index)
        .collect()
}

/// What a search varies and what it must get past.
struct SearchSpace<'s> {
    /// Candidates for keys the caller partly chooses (`aws:userid`...).
    special: &'s [KeyCandidates],
    /// Keys held to the caller's own values.
    identity: &'s dyn Fn(&str) -> bool,
    /// The policy's Deny statements.
    denies: &'s [usize],
}

/// Whether a statement's principal element could admit a caller of this
/// kind from an account it does not name: `"*"`, any `NotPrincipal`, or, for
/// a service, the service itself.
fn may_admit(statement: &Statement<'_>, caller: &OutsideCaller) -> bool {
    if statement.not_principal.is_some() {
        return true;
    }
    let Some(principal) = &statement.principal else {
        return false;
    };
    principal.values().any(
        |(kind, text)| match (PrincipalValue::parse(kind, text.value), caller) {
            (PrincipalValue::Everyone, _) => true,
            (PrincipalValue::Service(s), OutsideCaller::ServiceForOtherAccount(name)) => {
                s.eq_ignore_ascii_case(name)
            }
            _ => false,
        },
    )
}

/// At most this many statements are searched through for one question, and
/// a rule that asks one question per statement asks about at most this many.
/// Each search evaluates the whole policy, so more would make the cost grow
/// with the square of the statements; a key policy within KMS's 32 KB limit
/// holds far fewer.
pub const MAX_SEARCHED_STATEMENTS: usize = 256;

/// Whether `principal` can get `action` under some request context: a
/// search over the values the policy mentions, the keys the principal
/// determines held to its own values. A principal of an account is taken to
/// be in the organization the policy names, if it names one: a policy that
/// guards with `aws:PrincipalOrgID` names the organization of its own
/// account. `accept` says which evaluations count
/// (e.g. [`Evaluation::is_allowed`], which includes delegation).
pub fn find_allowed_request(
    policy: &Policy<'_>,
    principal: RequestPrincipal,
    action: &str,
    options: &EvalOptions,
    accept: &dyn Fn(&Evaluation) -> bool,
) -> Option<(Request, Evaluation)> {
    RequestSearch::new(policy, options).allowed_request(principal, action, accept)
}

/// A request of `principal` for `action` that some Allow statement allows or
/// delegates, whatever the Deny statements say: the question "would anyone
/// be allowed, but for the Denies?". The evaluation's `denied_by` names the
/// Deny statements in the way, if any.
pub fn find_request_past_denies(
    policy: &Policy<'_>,
    principal: RequestPrincipal,
    action: &str,
    options: &EvalOptions,
) -> Option<(Request, Evaluation)> {
    RequestSearch::new(policy, options).request_past_denies(principal, action)
}

/// The organization the principals of the policy's own accounts belong to:
/// the one organization its conditions name on `aws:PrincipalOrgID` (a
/// data perimeter names the organization of the key's account), with a path
/// in it that the policy's `aws:PrincipalOrgPaths` patterns allow. `None`
/// when the policy names no organization, or several.
fn organization_of_insiders(policy: &Policy<'_>) -> Option<(String, String)> {
    let mut org: Option<&str> = None;
    let mut paths: Vec<&str> = Vec::new();
    for statement in &policy.statements {
        for (_, key) in statement.condition.iter().flat_map(|c| c.entries()) {
            let name = key.key.value;
            for v in key.values.iter().map(|v| v.value) {
                if name.eq_ignore_ascii_case("aws:PrincipalOrgID") && !has_pattern(v) {
                    match org {
                        Some(o) if o != v => return None,
                        _ => org = Some(v),
                    }
                } else if name.eq_ignore_ascii_case("aws:PrincipalOrgPaths") {
                    paths.push(v);
                }
            }
        }
    }
    let org = org?;
    let path = paths
        .iter()
        .find(|p| p.starts_with(org))
        .map(|p| instantiate(p))
        .unwrap_or_else(|| format!("{org}/r-pc00/ou-pc00-00000000/"));
    Some((org.to_string(), path))
}

/// Whether statement `statement` allows (or delegates) `action` to
/// `principal` in some request whose context holds `fixed`, and leaves out
/// the keys in `absent` (a name ending in `*` leaves out every key it
/// begins, `kms:EncryptionContext:*`), with no Deny in the way. Other keys the principal
/// does not determine take candidate values as in [`find_allowed_request`].
pub fn find_request_through(
    policy: &Policy<'_>,
    statement: usize,
    principal: RequestPrincipal,
    action: &str,
    fixed: &RequestContext,
    absent: &[&str],
    options: &EvalOptions,
) -> Option<(Request, Evaluation)> {
    RequestSearch::new(policy, options).request_through(statement, principal, action, fixed, absent)
}

/// [`find_allowed_request`], [`find_request_past_denies`] and
/// [`find_request_through`] for many questions about one policy: its Deny
/// statements and the organization of its insiders are found once, not per
/// question.
pub struct RequestSearch<'a, 'p> {
    policy: &'a Policy<'p>,
    options: &'a EvalOptions,
    denies: Vec<usize>,
    /// See [`organization_of_insiders`]; found on first use.
    org: std::cell::OnceCell<Option<(String, String)>>,
}

impl<'a, 'p> RequestSearch<'a, 'p> {
    pub fn new(policy: &'a Policy<'p>, options: &'a EvalOptions) -> Self {
        RequestSearch {
            policy,
            options,
            denies: deny_statements(policy),
            org: std::cell::OnceCell::new(),
        }
    }

    /// [`find_allowed_request`]: through at most [`MAX_SEARCHED_STATEMENTS`]
    /// distinct Allow statements that cover the action.
    pub fn allowed_request(
        &self,
        principal: RequestPrincipal,
        action: &str,
        accept: &dyn Fn(&Evaluation) -> bool,
    ) -> Option<(Request, Evaluation)> {
        self.through_allows(principal, action, accept, &self.denies)
    }

    /// [`find_request_past_denies`], through at most
    /// [`MAX_SEARCHED_STATEMENTS`] distinct Allow statements.
    pub fn request_past_denies(
        &self,
        principal: RequestPrincipal,
        action: &str,
    ) -> Option<(Request, Evaluation)> {
        let accept = |e: &Evaluation| !e.allowed_by.is_empty() || !e.delegated_by.is_empty();
        self.through_allows(principal, action, &accept, &[])
    }

    fn through_allows(
        &self,
        principal: RequestPrincipal,
        action: &str,
        accept: &dyn Fn(&Evaluation) -> bool,
        denies: &[usize],
    ) -> Option<(Request, Evaluation)> {
        let org = if principal.account().is_some() {
            self.org
                .get_or_init(|| organization_of_insiders(self.policy))
                .as_ref()
        } else {
            None
        };
        // Some Allow statement must match: search through each in turn. A
        // statement that says what an earlier one said (a copy with another Sid,
        // as loops in templates make) decides every request the same way.
        let mut searched: Vec<&Statement<'_>> = Vec::new();
        for s in self.policy.statements.iter() {
            if !s.is_allow() || !covers_action(s, action) {
                continue;
            }
            if searched.iter().any(|earlier| same_rules(earlier, s)) {
                continue;
            }
            if searched.len() >= MAX_SEARCHED_STATEMENTS {
                return None;
            }
            searched.push(s);
            let mut base = Request::new(principal.clone(), action);
            if let Some((id, path)) = org {
                base = base
                    .with("aws:PrincipalOrgID", id.clone())
                    .with_multi("aws:PrincipalOrgPaths", vec![path.clone()]);
            }
            let space = SearchSpace {
                special: &[],
                identity: &is_identity_key,
                denies,
            };
            if let Some(found) = search(self.policy, base, s.index, &space, self.options, accept) {
                return Some(found);
            }
        }
        None
    }

    /// [`find_request_through`] for a caller that needs only the request.
    /// Its answer needs no evaluation of the whole policy: a request that
    /// the statement allows (or delegates) and that no Deny statement
    /// covering the action denies is allowed through the statement (an
    /// Allow cannot deny, and a Deny that does not cover the action does
    /// not apply), so the search's own checks settle it.
    pub fn request_through_only(
        &self,
        statement: usize,
        principal: RequestPrincipal,
        action: &str,
    ) -> Option<Request> {
        let base = Request::new(principal, action);
        let space = SearchSpace {
            special: &[],
            identity: &is_identity_key,
            denies: &self.denies,
        };
        search_with(
            self.policy,
            base,
            statement,
            &space,
            self.options,
            &|_, _| Some(()),
        )
        .map(|(request, ())| request)
    }

    /// [`find_request_through`].
    pub fn request_through(
        &self,
        statement: usize,
        principal: RequestPrincipal,
        action: &str,
        fixed: &RequestContext,
        absent: &[&str],
    ) -> Option<(Request, Evaluation)> {
        let mut base = Request::new(principal, action);
        base.context = fixed.clone();
        let pinned = |key: &str| {
            is_identity_key(key)
                || fixed.contains(key)
                || absent.iter().any(|a| match a.strip_suffix('*') {
                    Some(prefix) => key
                        .get(..prefix.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(prefix)),
                    None => a.eq_ignore_ascii_case(key),
                })
        };
        let accept = |e: &Evaluation| {
            e.is_allowed()
                && (e.allowed_by.contains(&statement) || e.delegated_by.contains(&statement))
        };
        let space = SearchSpace {
            special: &[],
            identity: &pinned,
            denies: &self.denies,
        };
        search(self.policy, base, statement, &space, self.options, &accept)
    }
}

/// Keys that describe who calls; the search never varies them freely
/// (what the caller brings along, its tags or MFA, it may choose).
fn is_identity_key(key: &str) -> bool {
    use crate::aws::CallerKey;
    matches!(
        crate::aws::caller_key(key),
        Some(
            CallerKey::Identity
                | CallerKey::Account
                | CallerKey::ServicePrincipal
                | CallerKey::Source
        )
    )
}

/// Who the outsider is: an account the policy does not name, its
/// organization (or none), and the names it gives its role and its user.
///
/// An outsider cannot pick its account ID, but among the accounts of the
/// world there is one of every shape: a pattern such as `1111*` matches
/// millions the policy never names. It cannot join an organization the
/// policy names, but it may belong to none, or to one a wildcard matches.
/// Role, user and session names it chooses freely: any account can create
/// `role/Admin`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    account: String,
    /// The organization ID and the principal's path in it; `None` outside
    /// any organization (then `aws:PrincipalOrgID` is absent).
    org: Option<(String, String)>,
    /// The role's `path/name`.
    role: String,
    user: String,
}

const DEFAULT_NAME: &str = "policy-check-outsider";
const DEFAULT_ORG: &str = "o-policycheck0";

/// At most this many identities are tried per caller: the plain one, one
/// outside any organization, and those the policy's patterns shape.
const MAX_IDENTITIES: usize = 12;

/// The outsider's identities, the plain one first.
struct Outsider {
    identities: Vec<Identity>,
}

/// Keys whose values are, or hold, the caller's account.
const ACCOUNT_KEYS: [&str; 3] = [
    "kms:calleraccount",
    "aws:principalaccount",
    "aws:sourceaccount",
];
/// Keys whose values are ARNs with the caller's (or its resource's) account.
const ARN_KEYS: [&str; 2] = ["aws:principalarn", "aws:sourcearn"];
const ORG_KEYS: [&str; 2] = ["aws:principalorgid", "aws:principalorgpaths"];

impl Outsider {
    fn new(policy: &Policy<'_>) -> Outsider {
        let fresh = fresh_account(policy, "999999999999");
        let mut accounts = vec![fresh.clone()];
        let mut roles = Vec::new();
        let mut users = Vec::new();
        let mut orgs: Vec<(String, String)> = Vec::new();
        let mut named_orgs: Vec<&str> = Vec::new();
        let mut org_keys = false;
        let is = |key: &str, set: &[&str]| set.iter().any(|k| k.eq_ignore_ascii_case(key));
        for statement in &policy.statements {
            for (op, key) in statement.condition.iter().flat_map(|c| c.entries()) {
                let name = key.key.value;
                // A caller outside any organization carries no org keys:
                // only a condition that absent keys can meet (negated,
                // `...IfExists`, `Null`) lets such a caller through.
                let absent_may_pass = op.operator.is_none_or(|o| {
                    o.base.is_negated() || o.if_exists || o.base == BaseOperator::Null
                });
                if is(name, &ORG_KEYS) && absent_may_pass {
                    org_keys = true;
                }
                for value in key.values.iter().map(|v| v.value) {
                    let wild = has_pattern(value);
                    if is(name, &ACCOUNT_KEYS) && wild {
                        if let Some(a) = account_for_pattern(policy, value) {
                            push_unique(&mut accounts, a);
                        }
                    } else if is(name, &ARN_KEYS) {
                        if let Some(parts) = crate::aws::arn_parts(value) {
                            if has_pattern(parts[4]) {
                                if let Some(a) = account_for_pattern(policy, parts[4]) {
                                    push_unique(&mut accounts, a);
                                }
                            }
                            // A name matters only in an account the pattern leaves open.
                            if name.eq_ignore_ascii_case("aws:principalarn")
                                && has_pattern(parts[4])
                            {
                                if let Some(r) = parts[5].strip_prefix("role/") {
                                    push_unique(&mut roles, instantiate(r));
                                } else if let Some(u) = parts[5].strip_prefix("user/") {
                                    push_unique(&mut users, instantiate(u));
                                }
                            }
                        }
                    } else if name.eq_ignore_ascii_case("aws:username") {
                        // A user name is unique only within its account:
                        // any account can create a user of the name.
                        push_unique(&mut users, instantiate(value));
                    } else if is(name, &ORG_KEYS) {
                        let id = value.split('/').next().unwrap_or_default();
                        if wild && has_pattern(id) {
                            let id = instantiate(id);
                            let path = if name.eq_ignore_ascii_case("aws:principalorgpaths") {
                                instantiate(value)
                            } else {
                                format!("{id}/r-pc00/ou-pc00-00000000/")
                            };
                            if !orgs.iter().any(|(o, _)| *o == id) {
                                orgs.push((id, path));
                            }
                        } else {
                            named_orgs.push(id);
                        }
                    }
                }
            }
        }
        // An organization the policy names is not the outsider's.
        orgs.retain(|(id, _)| !named_orgs.contains(&id.as_str()));
        let plain = Identity {
            account: fresh,
            org: Some((
                DEFAULT_ORG.to_string(),
                format!("{DEFAULT_ORG}/r-pc00/ou-pc00-00000000/"),
            )),
            role: DEFAULT_NAME.to_string(),
            user: DEFAULT_NAME.to_string(),
        };
        let mut identities = vec![plain.clone()];
        if org_keys {
            identities.push(Identity {
                org: None,
                ..plain.clone()
            });
        }
        // The policy's shapes: each account it allows, with each name it
        // allows (an account pattern and a role name may have to hold at
        // once, `arn:aws:iam::1111*:role/Admin`), in each organization.
        let names = roles.len().max(users.len());
        let shaped_orgs: Vec<Option<(String, String)>> = std::iter::once(plain.org.clone())
            .chain(orgs.into_iter().map(Some))
            .collect();
        'shapes: for account in &accounts {
            for i in 0..=names {
                let name = |list: &[String]| {
                    i.checked_sub(1)
                        .and_then(|i| list.get(i))
                        .cloned()
                        .unwrap_or_else(|| DEFAULT_NAME.to_string())
                };
                for org in &shaped_orgs {
                    if identities.len() >= MAX_IDENTITIES {
                        break 'shapes;
                    }
                    push_unique(
                        &mut identities,
                        Identity {
                            account: account.clone(),
                            org: org.clone(),
                            role: name(&roles),
                            user: name(&users),
                        },
                    );
                }
            }
        }
        Outsider { identities }
    }

    /// The request a caller starts from, and candidates for the identity keys
    /// it may choose part of (`aws:userid` session names, `aws:SourceArn`).
    fn request(
        &self,
        caller: &OutsideCaller,
        identity: &Identity,
        action: &str,
        target: &Statement<'_>,
    ) -> (Request, Vec<KeyCandidates>) {
        let account = identity.account.as_str();
        let in_org = |request: Request| match &identity.org {
            Some((id, path)) => request
                .with("aws:PrincipalOrgID", id.clone())
                .with_multi("aws:PrincipalOrgPaths", vec![path.clone()]),
            None => request,
        };
        match caller {
            OutsideCaller::RoleInOtherAccount => {
                let request = in_org(Request::new(
                    RequestPrincipal::role(account, &identity.role),
                    action,
                ));
                // A role session's id is the role's unique id and a session
                // name the caller picks.
                let mut sessions = vec!["policy-check".to_string()];
                for value in values_of(target, "aws:userid") {
                    if let Some((_, session)) = value.split_once(':') {
                        sessions.push(instantiate(session));
                    }
                }
                let userids = sessions
                    .into_iter()
                    .map(|s| Some(ContextValue::Single(format!("AROAPOLICYCHECKOUTSIDER:{s}"))))
                    .collect();
                (request, vec![KeyCandidates::new("aws:userid", userids)])
            }
            OutsideCaller::UserInOtherAccount => {
                let request = in_org(Request::new(
                    RequestPrincipal::user(account, &identity.user),
                    action,
                ))
                .with("aws:userid", "AIDAPOLICYCHECKOUTSIDER");
                (request, Vec::new())
            }
            OutsideCaller::RootOfOtherAccount => {
                let request = in_org(Request::new(
                    RequestPrincipal::AccountRoot {
                        account: account.to_string(),
                    },
                    action,
                ));
                (request, Vec::new())
            }
            OutsideCaller::ServiceForOtherAccount(service) => {
                let mut request = Request::new(RequestPrincipal::Service(service.clone()), action)
                    .with("aws:SourceAccount", account);
                if let Some((id, _)) = &identity.org {
                    request = request.with("aws:SourceOrgID", id.clone());
                }
                // The service's resource is in the outsider's account, but may
                // otherwise look like the one the policy names.
                let prefix = service.split('.').next().unwrap_or("service");
                let mut arns = vec![format!("arn:aws:{prefix}:us-east-1:{account}:{FRESH}")];
                for value in values_of(target, "aws:SourceArn") {
                    if let Some(arn) = resource_of_outsider(value, account) {
                        arns.push(arn);
                    }
                }
                let arns = arns
                    .into_iter()
                    .map(|a| Some(ContextValue::Single(a)))
                    .collect();
                let mut special = vec![KeyCandidates::new("aws:SourceArn", arns)];
                // The encryption context an integrated service sets names the
                // resource it acts for (`aws:cloudtrail:arn` the trail,
                // `aws:logs:arn` the log group): the outsider's own resource.
                for key in service_context_keys(target) {
                    let own = format!("arn:aws:{prefix}:us-east-1:{account}:{FRESH}");
                    let mut values = vec![None, Some(ContextValue::Single(own))];
                    for value in values_of(target, &key) {
                        if let Some(arn) = resource_of_outsider(value, account) {
                            values.push(Some(ContextValue::Single(arn)));
                        }
                    }
                    special.push(KeyCandidates::new(&key, values));
                }
                (request, special)
            }
        }
    }
}

/// The keys `kms:EncryptionContext:aws:...` of a statement: the encryption
/// context pairs AWS services set themselves (their names start with `aws:`).
fn service_context_keys(statement: &Statement<'_>) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (_, key) in statement.condition.iter().flat_map(|c| c.entries()) {
        let name = key.key.value;
        let is_service_pair = name
            .get(.."kms:EncryptionContext:aws:".len())
            .is_some_and(|p| p.eq_ignore_ascii_case("kms:EncryptionContext:aws:"));
        if is_service_pair && !keys.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            keys.push(name.to_string());
        }
    }
    keys
}

/// A resource of the outsider's shaped like a policy value: an ARN with the
/// outsider's account. An ARN without an account (an S3 bucket, whose name is
/// global) is the outsider's only where a wildcard leaves the name open:
/// nobody else can own a bucket the policy names.
fn resource_of_outsider(value: &str, account: &str) -> Option<String> {
    let raw = crate::aws::arn_parts(value)?;
    let mut parts: Vec<String> = raw.iter().map(|p| instantiate(p)).collect();
    if raw[4].is_empty() {
        let bucket = raw[5].split('/').next().unwrap_or_default();
        return has_pattern(bucket).then(|| parts.join(":"));
    }
    parts[4] = account.to_string();
    Some(parts.join(":"))
}

/// Whether a value holds a wildcard (`*` or `?`, not the escapes `${*}`, `${?}`).
fn has_pattern(value: &str) -> bool {
    // Most values hold neither character: no allocation for them.
    if !value.contains(['*', '?']) {
        return false;
    }
    value
        .replace("${*}", "")
        .replace("${?}", "")
        .contains(['*', '?'])
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// An account the policy does not mention, counting down from `start`.
fn fresh_account(policy: &Policy<'_>, start: &str) -> String {
    let mut n: u64 = start.parse().unwrap_or(999_999_999_999);
    while mentions_account(policy, &format!("{n:012}")) && n > 0 {
        n -= 1;
    }
    format!("{n:012}")
}

/// A 12-digit account ID that an account pattern (`1111*`, `11112222333?`)
/// matches and the policy does not mention; `None` when the pattern can
/// match no account ID, or only ones the policy names.
fn account_for_pattern(policy: &Policy<'_>, pattern: &str) -> Option<String> {
    if !pattern
        .chars()
        .all(|c| c.is_ascii_digit() || c == '*' || c == '?')
    {
        return None;
    }
    let literal = pattern
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '?')
        .count();
    if literal > 12 || (!pattern.contains('*') && literal != 12) {
        return None;
    }
    for fill in ['9', '8', '7', '6', '5', '4', '3', '2', '1', '0'] {
        let mut out = String::with_capacity(12);
        let mut star_done = false;
        for c in pattern.chars() {
            match c {
                '?' => out.push(fill),
                '*' if !star_done => {
                    star_done = true;
                    for _ in 0..12 - literal {
                        out.push(fill);
                    }
                }
                '*' => {}
                d => out.push(d),
            }
        }
        if !mentions_account(policy, &out) {
            return Some(out);
        }
    }
    None
}

/// The values a statement's conditions give a key.
fn values_of<'t>(statement: &Statement<'t>, key: &str) -> Vec<&'t str> {
    statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .filter(|(_, k)| k.key.value.eq_ignore_ascii_case(key))
        .flat_map(|(_, k)| k.values.iter().map(|v| v.value))
        .collect()
}

/// A policy value made concrete: wildcards filled, variable escapes resolved.
fn instantiate(value: &str) -> String {
    value
        .replace("${*}", "\u{1}")
        .replace("${?}", "\u{2}")
        .replace("${$}", "$")
        .replace(['*', '?'], "x")
        .replace('\u{1}', "*")
        .replace('\u{2}', "?")
}

/// The values the search tries for one key; `None` is "absent".
#[derive(Clone, Debug)]
struct KeyCandidates {
    key: String,
    values: Vec<Option<ContextValue>>,
}

impl KeyCandidates {
    fn new(key: &str, values: Vec<Option<ContextValue>>) -> KeyCandidates {
        let mut c = KeyCandidates {
            key: key.to_string(),
            values: Vec::new(),
        };
        for v in values {
            c.push(v);
        }
        c
    }

    fn push(&mut self, value: Option<ContextValue>) {
        if !self.values.contains(&value) {
            self.values.push(value);
        }
    }
}

/// The free keys of the statements that decide the question (the target
/// and the Denies that could apply), with candidates from their values.
fn free_keys(statements: &[&Statement<'_>], identity: &dyn Fn(&str) -> bool) -> Vec<KeyCandidates> {
    let mut keys: Vec<KeyCandidates> = Vec::new();
    for statement in statements {
        let Some(condition) = &statement.condition else {
            continue;
        };
        for (op, key) in condition.entries() {
            if identity(key.key.value) {
                continue;
            }
            let i = match keys
                .iter()
                .position(|k| k.key.eq_ignore_ascii_case(key.key.value))
            {
                Some(i) => i,
                None => {
                    // Absent first: it is what a caller who does nothing sends.
                    keys.push(KeyCandidates::new(key.key.value, vec![None]));
                    keys.len() - 1
                }
            };
            // A key KMS does not know (a misspelling, another service's key)
            // is in no request: a caller can only send it absent.
            if catalog().condition_key(key.key.value).is_none() {
                continue;
            }
            for value in candidates_for(op, key) {
                keys[i].push(Some(value));
            }
        }
    }
    keys
}

/// Candidate request values for one condition entry: each policy value made
/// concrete and its neighbours, a fresh value, and set forms for multivalued keys.
fn candidates_for(
    op: &ConditionOperatorEntry<'_>,
    key: &ConditionKeyEntry<'_>,
) -> Vec<ContextValue> {
    let Some(operator) = op.operator else {
        return Vec::new();
    };
    let mut singles: Vec<String> = Vec::new();
    let values = key.values.iter().map(|v| v.value);
    match operator.base.family() {
        OperatorFamily::String | OperatorFamily::Binary => {
            singles.extend(values.map(instantiate));
            singles.push(FRESH.to_string());
        }
        OperatorFamily::Arn => {
            singles.extend(values.map(instantiate));
            singles.push(format!("arn:aws:iam::999999999999:{FRESH}"));
        }
        OperatorFamily::Numeric => {
            for v in values.filter_map(parse_number) {
                singles.extend([v - 1.0, v, v + 1.0].map(|n| n.to_string()));
            }
        }
        OperatorFamily::Date => {
            for v in values.filter_map(parse_date) {
                singles.extend([v - 1.0, v, v + 1.0].map(|n| n.to_string()));
            }
        }
        OperatorFamily::Bool => singles.extend(["true".to_string(), "false".to_string()]),
        OperatorFamily::Ip => {
            for v in values.filter_map(Cidr::parse) {
                singles.push(v.network.to_string());
            }
            singles.extend(
                [
                    "192.0.2.1",
                    "198.51.100.1",
                    "203.0.113.1",
                    "10.0.0.1",
                    "2001:db8::1",
                    "fd00::1",
                ]
                .map(String::from),
            );
        }
        OperatorFamily::Null => singles.push(FRESH.to_string()),
    }
    let multivalued = operator.qualifier.is_some()
        || catalog()
            .condition_key(key.key.value)
            .is_some_and(|m| m.info.multivalued);
    if multivalued {
        let mut sets: Vec<ContextValue> = singles
            .iter()
            .map(|s| ContextValue::Multi(vec![s.clone()]))
            .collect();
        sets.push(ContextValue::Multi(Vec::new()));
        if singles.len() > 1 {
            sets.push(ContextValue::Multi(singles));
        }
        sets
    } else {
        singles.into_iter().map(ContextValue::Single).collect()
    }
}

/// The search itself, for one Allow statement (the target): keep per key
/// only the values that meet the target's entries on that key (conditions on
/// different keys are independent), then try combinations, first against
/// the target alone, then against the Denies, and only for a request that
/// passes both, against the whole policy. At most [`MAX_EVALUATIONS`]
/// combinations are tried.
fn search(
    policy: &Policy<'_>,
    base: Request,
    target: usize,
    space: &SearchSpace<'_>,
    options: &EvalOptions,
    accept: &dyn Fn(&Evaluation) -> bool,
) -> Option<(Request, Evaluation)> {
    search_with(policy, base, target, space, options, &|request, options| {
        let evaluation = evaluate_with(policy, request, options);
        accept(&evaluation).then_some(evaluation)
    })
}

/// [`search`], with `decide` judging each request that the target allows
/// (or delegates) and no Deny denies.
fn search_with<T>(
    policy: &Policy<'_>,
    base: Request,
    target: usize,
    space: &SearchSpace<'_>,
    options: &EvalOptions,
    decide: &dyn Fn(&Request, &EvalOptions) -> Option<T>,
) -> Option<(Request, T)> {
    let statement = policy.statements.get(target)?;
    // A search tries many requests and needs only decisions, not the words
    // for each failed condition (the witness's evaluation has none).
    let brief = EvalOptions {
        brief: true,
        ..options.clone()
    };
    let options = &brief;
    // Elements other than conditions do not depend on the context: if the
    // target fails on one of them, no request of this caller can succeed.
    let outcome = evaluate_statement(policy, statement, &base, options);
    if let StatementOutcome::Miss(failure) = &outcome {
        if !matches!(failure, Failure::Condition { .. }) {
            return None;
        }
    }
    // With no condition entry in the target or in a Deny that covers the
    // action, and no candidates given, there is nothing to vary: `base` is
    // the one request the search would try.
    let unconditional =
        |s: &Statement<'_>| s.condition.iter().all(|c| c.entries().next().is_none());
    let covering_denies = || {
        space
            .denies
            .iter()
            .filter_map(|&i| policy.statements.get(i))
            .filter(|s| covers_action(s, &base.action))
    };
    if space.special.is_empty() && unconditional(statement) && covering_denies().all(unconditional)
    {
        let allowed = matches!(
            outcome,
            StatementOutcome::Allows | StatementOutcome::Delegates
        ) && !covering_denies()
            .any(|d| evaluate_statement(policy, d, &base, options) == StatementOutcome::Denies);
        if !allowed {
            return None;
        }
        let decided = decide(&base, options)?;
        return Some((base, decided));
    }
    let variables = uses_policy_variables(policy);
    let entries: Vec<_> = statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .collect();
    let uses_variables = |key: &ConditionKeyEntry<'_>| {
        key.values
            .iter()
            .any(|v| crate::matcher::has_variable(v.value))
    };

    // Entries on keys the caller cannot vary hold or fail for every
    // combination: settle them first, before building any candidate.
    let base_view = ContextView::new(&base.context, &base.principal);
    let pinned_fails = entries.iter().any(|(op, k)| {
        let special = space
            .special
            .iter()
            .any(|c| c.key.eq_ignore_ascii_case(k.key.value));
        (space.identity)(k.key.value)
            && !special
            && !uses_variables(k)
            && evaluate_entry(op, k, &base_view, variables, false) != EntryOutcome::True
    });
    if pinned_fails {
        return None;
    }

    let denies: Vec<&Statement<'_>> = space
        .denies
        .iter()
        .filter_map(|&i| policy.statements.get(i))
        .filter(|s| covers_action(s, &base.action))
        .collect();
    let mut deciding = vec![statement];
    deciding.extend(denies.iter().copied());
    let mut keys = free_keys(&deciding, space.identity);
    for special in space.special {
        match keys
            .iter_mut()
            .find(|k| k.key.eq_ignore_ascii_case(&special.key))
        {
            Some(k) => *k = special.clone(),
            None => keys.push(special.clone()),
        }
    }

    // Keep, per key, only the values that meet the target's entries on it.
    for key in &mut keys {
        let on_key: Vec<_> = entries
            .iter()
            .filter(|(_, k)| k.key.value.eq_ignore_ascii_case(&key.key))
            .collect();
        if on_key.is_empty() || on_key.iter().any(|(_, k)| uses_variables(k)) {
            continue; // Policy variables couple keys: leave it to the combinations.
        }
        // One copy of the base request per key, its value set in place for
        // each candidate.
        let mut request = base.clone();
        key.values.retain(|value| {
            set_value(&mut request, &key.key, value);
            let view = ContextView::new(&request.context, &request.principal);
            on_key
                .iter()
                .all(|(op, k)| evaluate_entry(op, k, &view, variables, false) == EntryOutcome::True)
        });
        if key.values.is_empty() {
            return None;
        }
    }
    let varied = |name: &str| keys.iter().any(|k| k.key.eq_ignore_ascii_case(name));

    let mut choice = vec![0usize; keys.len()];
    for _ in 0..MAX_EVALUATIONS {
        let mut request = base.clone();
        for (key, &i) in keys.iter().zip(&choice) {
            if let Some(value) = &key.values[i] {
                request.context.insert(&key.key, value.clone());
            }
        }
        match evaluate_statement(policy, statement, &request, options) {
            StatementOutcome::Allows | StatementOutcome::Delegates => {
                let denied = denies.iter().any(|d| {
                    evaluate_statement(policy, d, &request, options) == StatementOutcome::Denies
                });
                if !denied {
                    if let Some(decided) = decide(&request, options) {
                        return Some((request, decided));
                    }
                }
            }
            StatementOutcome::Miss(Failure::Condition { key: range, .. }) => {
                // An entry on a key the search holds fixed fails the same
                // way for every combination.
                let fixed = entries
                    .iter()
                    .find(|(_, k)| k.key.range == range)
                    .is_some_and(|(_, k)| !varied(k.key.value) && !uses_variables(k));
                if fixed {
                    return None;
                }
            }
            StatementOutcome::Miss(_) => return None,
            StatementOutcome::Denies => return None,
        }
        if !advance(&mut choice, &keys) {
            return None;
        }
    }
    None
}

/// The next combination, odometer-style; false after the last.
fn advance(choice: &mut [usize], keys: &[KeyCandidates]) -> bool {
    for (i, key) in choice.iter_mut().zip(keys) {
        *i += 1;
        if *i < key.values.len() {
            return true;
        }
        *i = 0;
    }
    false
}

/// Sets `key` to `value` in `request`, or takes it out for `None`.
fn set_value(request: &mut Request, key: &str, value: &Option<ContextValue>) {
    match value {
        Some(v) => request.context.insert(key, v.clone()),
        None => {
            request.context.remove(key);
        }
    }
}

fn met_conditions(statement: &Statement<'_>, request: &Request) -> Vec<MetCondition> {
    let view = ContextView::new(&request.context, &request.principal);
    statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .map(|(op, key)| MetCondition {
            operator: op.name.range,
            key: key.key.range,
            key_name: key.key.value.to_string(),
            value: view.get(key.key.value).map(|v| v.into_owned()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn outside(policy: &str, action: &str) -> Option<Witness> {
        let parsed = parse(policy);
        let model = Policy::from_tree(&parsed.tree);
        let options = EvalOptions::default();
        let question = OutsideAccessQuestion {
            action,
            callers: &OutsideCaller::PUBLIC,
            options: &options,
        };
        (0..model.statements.len()).find_map(|i| find_outside_access(&model, i, &question))
    }

    #[test]
    fn statements_that_differ_only_in_sid_decide_alike() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"},
           "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
          {"Sid": "B", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"},
           "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
          {"Sid": "C", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"},
           "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": true}}},
          {"Sid": "D", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"},
           "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
        ]}"#;
        let parsed = parse(text);
        let model = Policy::from_tree(&parsed.tree);
        let s = &model.statements;
        assert!(same_rules(&s[0], &s[1]));
        // A JSON boolean is another value kind; a Deny is another effect.
        assert!(!same_rules(&s[0], &s[2]));
        assert!(!same_rules(&s[0], &s[3]));
    }

    fn statement(principal: &str, condition: &str) -> String {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {principal}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*", "Condition": {condition}}}]}}"#
        )
    }

    /// (principal, condition, reachable from outside?)
    #[rustfmt::skip]
    const CASES: &[(&str, &str, bool)] = &[
        (r#""*""#, "{}", true),
        (r#"{"AWS": "*"}"#, "{}", true),
        // kms:ViaService and the encryption context describe the request, not the caller (kms-facts §8.9).
        (r#""*""#, r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, true),
        (r#""*""#, r#"{"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::bucket/*"}}"#, true),
        (r#""*""#, r#"{"StringLike": {"aws:userid": "*:FSx"}}"#, true),
        (r#""*""#, r#"{"StringLike": {"aws:userid": "AROA*"}}"#, true),
        (r#""*""#, r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, true),
        (r#""*""#, r#"{"Bool": {"aws:SecureTransport": "true"}}"#, true),
        (r#""*""#, r#"{"StringEquals": {"aws:PrincipalTag/team": "data"}}"#, true),
        (r#""*""#, r#"{"StringNotEquals": {"kms:CallerAccount": "111122223333"}}"#, true),
        // Conditions that pin the caller's identity to concrete values.
        (r#""*""#, r#"{"StringEquals": {"kms:CallerAccount": "111122223333"}}"#, false),
        (r#""*""#, r#"{"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, false),
        (r#""*""#, r#"{"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}"#, false),
        (r#""*""#, r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}"#, false),
        (r#""*""#, r#"{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#, false),
        (r#""*""#, r#"{"StringEquals": {"aws:userid": "AROAEXAMPLEID:FSx"}}"#, false),
        (r#""*""#, r#"{"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}"#, false),
        // A user name is the caller's own choice in its own account.
        (r#""*""#, r#"{"StringEquals": {"aws:username": "alice"}}"#, true),
        (r#""*""#, r#"{"StringEquals": {"aws:SourceAccount": "111122223333"}}"#, false),
        (r#""*""#, r#"{"StringLike": {"kms:CallerAccount": "*"}}"#, true),
        // Patterns on who calls admit the outsiders of their shape.
        (r#""*""#, r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}"#, true),
        (r#"{"AWS": "*"}"#, r#"{"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}"#, true),
        (r#"{"AWS": ["*"]}"#, r#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:user/ci-*"}}"#, true),
        (r#""*""#, r#"{"StringLike": {"kms:CallerAccount": "1111*"}}"#, true),
        (r#""*""#, r#"{"StringLike": {"aws:PrincipalAccount": ["11112222333?"]}}"#, true),
        (r#""*""#, r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1111*:role/Admin"}}"#, true),
        (r#""*""#, r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::1111*:role/Admin"}, "StringEquals": {"kms:CallerAccount": "111122223333"}}"#, false),
        (r#""*""#, r#"{"StringLike": {"aws:PrincipalOrgID": "o-*"}}"#, true),
        (r#""*""#, r#"{"StringLike": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#, false),
        (r#""*""#, r#"{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}"#, false),
        (r#""*""#, r#"{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/r-*/ou-*/*"}}"#, true),
        (r#""*""#, r#"{"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}"#, true),
        // KMS takes no anonymous requests and every caller has an account:
        // `...IfExists` on kms:CallerAccount says what StringEquals says.
        (r#""*""#, r#"{"StringEqualsIfExists": {"kms:CallerAccount": "111122223333"}}"#, false),
        // Every caller outside the organization, or in none.
        (r#""*""#, r#"{"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#, true),
        (r#""*""#, r#"{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#, true),
        (r#""*""#, r#"{"Null": {"aws:PrincipalAccount": "false"}}"#, true),
        // Named principals of the policy's accounts are not outsiders.
        (r#"{"AWS": "arn:aws:iam::111122223333:root"}"#, "{}", false),
        (r#"{"AWS": "arn:aws:iam::444455556666:role/Reader"}"#, "{}", false),
        (r#"{"Service": "cloudtrail.amazonaws.com"}"#, "{}", false),
        // An unknown operator can never be met.
        (r#""*""#, r#"{"StringEqualz": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, false),
    ];

    #[test]
    fn outside_access_table() {
        for (i, (principal, condition, reachable)) in CASES.iter().enumerate() {
            let policy = statement(principal, condition);
            let witness = outside(&policy, "kms:Decrypt");
            assert_eq!(
                witness.is_some(),
                *reachable,
                "row {i}: {principal} {condition}: {witness:?}"
            );
        }
    }

    #[test]
    fn not_principal_allow_is_reachable() {
        let policy = r#"{"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#;
        assert!(outside(policy, "kms:Decrypt").is_some());
    }

    #[test]
    fn a_deny_perimeter_blocks_outsiders() {
        let policy = r#"{"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}},
          {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
        ]}"#;
        assert!(outside(policy, "kms:Decrypt").is_none());
    }

    #[test]
    fn a_deny_the_outsider_can_avoid_does_not_block() {
        let policy = r#"{"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"},
          {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
          {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
        ]}"#;
        let witness =
            outside(policy, "kms:Decrypt").expect("reachable over TLS from 203.0.113.0/24");
        assert!(witness.evaluation.is_allowed());
        assert_eq!(witness.caller, OutsideCaller::RoleInOtherAccount);
        assert_eq!(
            witness
                .request
                .context
                .get("aws:SourceIp")
                .map(|v| v.describe()),
            Some("203.0.113.0".into())
        );
    }

    #[test]
    fn witness_lists_the_conditions_it_met() {
        let policy = statement(
            r#"{"AWS": "*"}"#,
            r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, "StringLike": {"aws:userid": "*:FSx"}}"#,
        );
        let witness = outside(&policy, "kms:Decrypt").unwrap();
        let met: Vec<(String, Option<String>)> = witness
            .conditions
            .iter()
            .map(|c| {
                (
                    c.key_name.clone(),
                    c.value.as_ref().map(ContextValue::describe),
                )
            })
            .collect();
        assert_eq!(
            met,
            vec![
                (
                    "kms:ViaService".to_string(),
                    Some("s3.us-east-1.amazonaws.com".to_string())
                ),
                (
                    "aws:userid".to_string(),
                    Some("AROAPOLICYCHECKOUTSIDER:FSx".to_string())
                ),
            ]
        );
        assert!(witness.request.principal.account() == Some("999999999999"));
    }

    #[test]
    fn unknown_keys_are_never_sent() {
        // `kms:CallerAcount` is in no request, so StringEquals on it is never
        // true and the statement admits nobody, outsiders included.
        let policy = statement(
            r#"{"AWS": "*"}"#,
            r#"{"StringEquals": {"kms:CallerAcount": "111122223333"}}"#,
        );
        assert!(outside(&policy, "kms:Decrypt").is_none());
    }

    #[test]
    fn the_outsider_account_is_fresh() {
        let policy = statement(
            r#""*""#,
            r#"{"StringNotEquals": {"kms:CallerAccount": "999999999999"}}"#,
        );
        let witness = outside(&policy, "kms:Decrypt").unwrap();
        assert_eq!(witness.request.principal.account(), Some("999999999998"));
    }

    #[test]
    fn service_principals_acting_for_another_account() {
        let parsed = parse(
            r#"{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
               "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}},
              {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
               "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}},
              {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
               "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:*:trail/*"}}},
              {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
               "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:1111*:trail/*"}}},
              {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
               "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket"}}},
              {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*",
               "Condition": {"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::logs-*"}}}
            ]}"#,
        );
        let model = Policy::from_tree(&parsed.tree);
        let options = EvalOptions::default();
        let reachable = |statement: usize, service: &str| {
            let callers = [OutsideCaller::ServiceForOtherAccount(service.into())];
            let question = OutsideAccessQuestion {
                action: "kms:GenerateDataKey",
                callers: &callers,
                options: &options,
            };
            find_outside_access(&model, statement, &question).is_some()
        };
        // The context the service sets names the resource it acts for: a
        // trail of another account has that account in its ARN.
        assert!(!reachable(0, "cloudtrail.amazonaws.com"));
        // aws:SourceArn is the outsider's own trail: a pin.
        assert!(!reachable(1, "cloudtrail.amazonaws.com"));
        assert!(reachable(2, "cloudtrail.amazonaws.com"));
        assert!(reachable(3, "cloudtrail.amazonaws.com"));
        assert!(reachable(4, "cloudtrail.amazonaws.com"));
        // Bucket names are global: nobody else owns the policy's bucket, but
        // anyone may create one whose name a pattern matches.
        assert!(!reachable(5, "s3.amazonaws.com"));
        assert!(reachable(6, "s3.amazonaws.com"));
    }

    #[test]
    fn allowed_requests_for_a_named_principal() {
        let parsed = parse(
            r#"{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalType": "Account"}}}
            ]}"#,
        );
        let model = Policy::from_tree(&parsed.tree);
        let options = EvalOptions::default();
        let root = RequestPrincipal::AccountRoot {
            account: "111122223333".into(),
        };
        assert!(
            find_allowed_request(&model, root, "kms:PutKeyPolicy", &options, &|e| e
                .is_allowed())
            .is_some()
        );
        let admin = RequestPrincipal::role("111122223333", "Admin");
        assert!(
            find_allowed_request(&model, admin, "kms:PutKeyPolicy", &options, &|e| e
                .is_allowed())
            .is_none()
        );
    }
}
