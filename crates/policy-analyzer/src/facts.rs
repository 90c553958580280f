//! The facts document: what the analyzer established about a policy, as
//! JSON that user rules query (docs/rule-packs.md gives its schema, and a
//! test keeps the two in agreement).
//!
//! Nothing here is decided afresh: principals are classified as the
//! evaluator classifies them, actions are the catalogue's expansion the
//! rules use, exposure comes from the outside-access search, the services'
//! verdicts from the shared [`ServiceAnalysis`](crate::services::ServiceAnalysis),
//! and the key's account from the same place the security rules take it.
//! Every fact keeps the place it comes from: a principal its value, a
//! condition its key, a statement its opening (or Sid), so that a finding on
//! a fact lands on the text that made it true.

use std::sync::OnceLock;

use crate::aws::arn_account;
use crate::catalog::{catalog, ActionSet};
use crate::eval::search::{OutsideAccessSearch, OutsideCaller, RequestSearch, Witness};
use crate::eval::{
    evaluate_statement, EvalOptions, PrincipalValue, RequestPrincipal, StatementOutcome,
};
use crate::model::{PrincipalElement, PrincipalKind, SetQualifier, Statement};
use crate::rules::Context;
use crate::services::Verdict;
use std::borrow::Cow;

use crate::user_rules::document::{key, Doc, Kind, Node, Origin};

/// The key-management actions: those that change the key, its policy, its
/// lifecycle, its aliases, tags, rotation or key material, and revoke its
/// grants. A principal an Allow statement gives one of them is an
/// administrator.
pub const ADMINISTRATION: [&str; 20] = [
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:UpdateKeyDescription",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:UpdateAlias",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:ImportKeyMaterial",
    "kms:DeleteImportedKeyMaterial",
    "kms:ReplicateKey",
    "kms:UpdatePrimaryRegion",
    "kms:SynchronizeMultiRegionKey",
    "kms:RevokeGrant",
];

/// The callers of another AWS account the exposure search tries, each kind
/// on its own.
const OUTSIDERS: [OutsideCaller; 3] = [
    OutsideCaller::RoleInOtherAccount,
    OutsideCaller::RootOfOtherAccount,
    OutsideCaller::UserInOtherAccount,
];

/// Which members of the facts the loaded rules can reach: the costly ones
/// (the exposure search, the administrators, expanded actions...) are built
/// only when a selector names them. A rule that does not name members (`..`,
/// `.*`, a wildcard over an object's members) gets every one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub services: bool,
    /// Each service's requests (`$.services[*].requests`).
    pub requests: bool,
    pub administrators: bool,
    pub principals: bool,
    pub actions: bool,
    pub conditions: bool,
    pub exposure: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        services: true,
        requests: true,
        administrators: true,
        principals: true,
        actions: true,
        conditions: true,
        exposure: true,
    };

    /// What the JSONPaths (and message templates) in `texts` can reach.
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Needs {
        let mut needs = Needs::default();
        for text in texts {
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            // The whole document, or a wildcard over some object's members.
            let any_member = compact == "$"
                || [
                    "..",
                    ".*",
                    "][*]",
                    "$[*]",
                    "@[*]",
                    "[*,",
                    ",*]",
                    "length(@)",
                ]
                .iter()
                .any(|p| compact.contains(p));
            if any_member {
                return Needs::ALL;
            }
            needs.services |= compact.contains("services");
            needs.requests |= compact.contains("requests");
            needs.administrators |= compact.contains("administrators");
            needs.principals |= compact.contains("principals");
            needs.actions |= compact.contains("actions");
            needs.conditions |= compact.contains("conditions");
            needs.exposure |= compact.contains("exposure");
        }
        needs
    }
}

/// Builds the facts document of the policy in `ctx`, with what `needs` says.
///
/// Each node is made with the place a finding on it lands on: its own (a
/// principal's value, a condition's key...), else its parent's.
pub fn facts<'c>(ctx: &'c Context<'_>, needs: Needs) -> Doc<'c> {
    let policy = ctx.policy;
    let root = Origin {
        range: policy.root.map_or(crate::text::TextRange::empty(0), |r| {
            let start = ctx.tree.range(r).start as usize;
            crate::text::TextRange::new(start, start + 1)
        }),
        node: policy.root,
    };
    // Only decisions are needed, not why a statement missed.
    let options = EvalOptions {
        brief: true,
        ..EvalOptions::default()
    };
    let search = OutsideAccessSearch::new(policy, &options);
    let classes = ActionClasses::new(policy);
    let asked = Asked {
        search: &search,
        options: &options,
        classes: &classes,
        verdicts: if needs.services {
            statement_verdicts(ctx)
        } else {
            Vec::new()
        },
    };
    // Room for the usual document: a principal or a condition takes a
    // handful of nodes.
    let mut doc = Doc::builder(16 + policy.statements.len() * 16 + ctx.tree.len());
    let statements: Vec<Node> = policy
        .statements
        .iter()
        .map(|s| statement(&mut doc, ctx, s, &asked, needs))
        .collect();
    let statements = doc.array(&statements, root);
    let account = crate::rules::security::key_account(ctx);
    let account = doc.opt_string(account, root);
    let mut members = vec![(key!("account"), account)];
    if needs.administrators {
        let administrators = administrators(&mut doc, ctx, &options, &classes, root);
        members.push((key!("administrators"), administrators));
    }
    if needs.services {
        members.push((
            key!("services"),
            services(&mut doc, ctx, needs.requests, root),
        ));
    }
    members.push((key!("statements"), statements));
    let root = doc.object(&members, root);
    doc.finish(root)
}

/// What the facts of every statement ask of the policy, made once.
struct Asked<'a, 'p> {
    search: &'a OutsideAccessSearch<'a, 'p>,
    options: &'a EvalOptions,
    classes: &'a ActionClasses,
    /// Per service checked, the worst verdict of the requests each statement
    /// decides or is meant for (by statement index).
    verdicts: Vec<Vec<Option<Verdict>>>,
}

fn statement<'c>(
    doc: &mut Doc<'c>,
    ctx: &'c Context<'_>,
    s: &'c Statement<'c>,
    asked: &Asked<'_, '_>,
    needs: Needs,
) -> Node {
    let origin = Origin {
        range: s.anchor(),
        node: Some(s.node),
    };
    // Members in the order of their keys.
    let mut members = Members::default();
    if needs.actions {
        let at = s
            .action
            .as_ref()
            .or(s.not_action.as_ref())
            .map_or(origin, |l| {
                text_origin(l.element.value_range, l.element.value)
            });
        members.push((key!("actions"), doc.actions(s.covered_actions(), at)));
    }
    if needs.conditions {
        members.push((key!("conditions"), conditions(doc, s, origin)));
    }
    let effect = match s.effect {
        Some((_, text)) => doc.string(text.value, text_origin(text.range, text.node)),
        None => doc.scalar(Kind::Null, origin),
    };
    members.push((key!("effect"), effect));
    if needs.exposure {
        let at = principal_origin(s).unwrap_or(origin);
        members.push((key!("exposure"), exposure(doc, ctx, s, asked, at)));
    }
    members.push((key!("index"), doc.int(s.index as i64, origin)));
    if needs.principals {
        members.push((
            key!("not_principals"),
            principals(doc, s.not_principal.as_ref(), origin),
        ));
        members.push((
            key!("principals"),
            principals(doc, s.principal.as_ref(), origin),
        ));
    }
    if needs.services {
        members.push((
            key!("services"),
            statement_services(doc, ctx, &asked.verdicts, s.index, origin),
        ));
    }
    let sid = match s.sid {
        Some(t) => doc.string(t.value, text_origin(t.range, t.node)),
        None => doc.scalar(Kind::Null, origin),
    };
    members.push((key!("sid"), sid));
    doc.object(members.as_slice(), origin)
}

/// A statement's members, made in key order, without a heap allocation.
#[derive(Default)]
struct Members {
    list: [(&'static str, Node); 9],
    len: usize,
}

impl Members {
    fn push(&mut self, member: (&'static str, Node)) {
        self.list[self.len] = member;
        self.len += 1;
    }

    fn as_slice(&self) -> &[(&'static str, Node)] {
        &self.list[..self.len]
    }
}

fn text_origin(range: crate::text::TextRange, node: crate::syntax::NodeId) -> Origin {
    Origin {
        range,
        node: Some(node),
    }
}

fn principals<'c>(
    doc: &mut Doc<'c>,
    element: Option<&'c PrincipalElement<'c>>,
    origin: Origin,
) -> Node {
    let items: Vec<Node> = element
        .into_iter()
        .flat_map(|e| e.values())
        .map(|(kind, text)| principal(doc, kind, text.value, text_origin(text.range, text.node)))
        .collect();
    doc.array(&items, origin)
}

/// One principal value, classified as the evaluator reads it.
fn principal<'c>(
    doc: &mut Doc<'c>,
    kind: Option<PrincipalKind>,
    value: &'c str,
    origin: Origin,
) -> Node {
    let parsed = PrincipalValue::parse(kind, value);
    let (class, arn, account): (&str, Option<Cow<'c, str>>, Option<&'c str>) = match parsed {
        PrincipalValue::Everyone => ("everyone", None, None),
        PrincipalValue::Account(account) => {
            // The value itself when it is that ARN.
            let written = value
                .strip_prefix("arn:aws:iam::")
                .and_then(|rest| rest.strip_suffix(":root"))
                == Some(account);
            let arn = if written {
                Cow::Borrowed(value)
            } else {
                Cow::Owned(format!("arn:aws:iam::{account}:root"))
            };
            ("account", Some(arn), Some(account))
        }
        PrincipalValue::Arn(arn) => {
            let class = match arn_resource_type(arn) {
                "role" => "role",
                "user" => "user",
                "assumed-role" => "session",
                _ => "other",
            };
            (class, Some(Cow::Borrowed(arn)), arn_account(arn))
        }
        PrincipalValue::Service(_) => ("service", None, None),
        PrincipalValue::Other(_) => match kind {
            Some(PrincipalKind::Federated) => ("federated", None, None),
            Some(PrincipalKind::CanonicalUser) => ("canonical-user", None, None),
            _ => ("other", None, None),
        },
    };
    let members = [
        (key!("account"), doc.opt_string(account, origin)),
        (key!("arn"), doc.opt_string(arn, origin)),
        (key!("kind"), doc.string(class, origin)),
        (
            key!("type"),
            doc.string(kind.map_or("unknown", PrincipalKind::key), origin),
        ),
        (key!("value"), doc.string(value, origin)),
    ];
    doc.object(&members, origin)
}

/// What an ARN's resource part names before its first `/` (`role` in
/// `arn:aws:iam::111122223333:role/Admin`): the text after the fifth colon,
/// up to a slash.
fn arn_resource_type(arn: &str) -> &str {
    let mut colons = 0;
    let resource = arn
        .bytes()
        .position(|b| {
            colons += usize::from(b == b':');
            colons == 5
        })
        .map_or("", |at| &arn[at + 1..]);
    resource
        .bytes()
        .position(|b| b == b'/')
        .map_or(resource, |at| &resource[..at])
}

fn conditions<'c>(doc: &mut Doc<'c>, s: &'c Statement<'c>, origin: Origin) -> Node {
    let Some(block) = &s.condition else {
        return doc.array(&[], origin);
    };
    let entries: Vec<Node> = block
        .entries()
        .map(|(op, key)| {
            let parsed = op.operator;
            let at_operator = text_origin(op.name.range, op.name.node);
            let at_key = text_origin(key.key.range, key.key.node);
            let members = [
                (
                    key!("base"),
                    doc.opt_string(parsed.map(|o| o.base.name()), at_operator),
                ),
                (
                    key!("if_exists"),
                    doc.scalar(Kind::Bool(parsed.is_some_and(|o| o.if_exists)), at_operator),
                ),
                (key!("key"), doc.string(lower(key.key.value), at_key)),
                (
                    key!("negated"),
                    doc.scalar(
                        Kind::Bool(parsed.is_some_and(|o| o.base.is_negated())),
                        at_operator,
                    ),
                ),
                (
                    key!("operator"),
                    doc.string(operator_name(op.name.value, parsed), at_operator),
                ),
                (
                    key!("set"),
                    doc.opt_string(
                        parsed.and_then(|o| o.qualifier).map(|q| match q {
                            SetQualifier::ForAnyValue => "ForAnyValue",
                            SetQualifier::ForAllValues => "ForAllValues",
                        }),
                        at_operator,
                    ),
                ),
                (
                    key!("values"),
                    doc.strings(
                        key.values
                            .iter()
                            .map(|v| (v.value, text_origin(v.range, v.node))),
                        at_key,
                    ),
                ),
            ];
            doc.object(&members, at_key)
        })
        .collect();
    doc.array(&entries, origin)
}

/// A condition key lower-cased, borrowed when it is already.
fn lower(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(key.to_ascii_lowercase())
    } else {
        Cow::Borrowed(key)
    }
}

/// An operator as IAM spells it (the written text when it is spelt so), or
/// as written when unknown.
fn operator_name(written: &str, parsed: Option<crate::model::Operator>) -> Cow<'_, str> {
    let Some(o) = parsed else {
        return Cow::Borrowed(written);
    };
    let canonical = o
        .qualifier
        .map_or(Some(written), |q| written.strip_prefix(q.prefix()))
        .and_then(|rest| rest.strip_prefix(o.base.name()))
        .is_some_and(|rest| rest == if o.if_exists { "IfExists" } else { "" });
    if canonical {
        Cow::Borrowed(written)
    } else {
        Cow::Owned(o.name())
    }
}

/// Which of the statement's actions a principal of an account the policy
/// does not name can get through it, past every Deny, and whether every
/// kind of such principal can (a role, a user, the account's root): the
/// outside-access search's answer, on the statement's principal element.
fn exposure(
    doc: &mut Doc<'_>,
    ctx: &Context<'_>,
    s: &Statement<'_>,
    asked: &Asked<'_, '_>,
    origin: Origin,
) -> Node {
    let search = asked.search;
    // Per kind of caller: a role, the root and a user of another account.
    // A statement that names its principals, or whose conditions hold the
    // caller to this account, admits none of them (the search finds
    // nothing for any action).
    // (Whether a statement admits a caller of another account, and whether
    // its conditions pin such a caller out, is the same for the three: the
    // first answers for all.)
    let mut per_kind = [ActionSet::EMPTY; OUTSIDERS.len()];
    if search.may_find(s.index, &OUTSIDERS[..1]) {
        for (kind, caller) in per_kind.iter_mut().zip(&OUTSIDERS) {
            let callers = std::slice::from_ref(caller);
            *kind = reachable(ctx, s, search, asked.options, asked.classes, callers);
        }
    }
    let union = per_kind
        .iter()
        .fold(ActionSet::EMPTY, |all, kind| all.union(*kind));
    let outsider = !union.is_empty();
    // Some action every kind gets.
    let anyone = !per_kind
        .iter()
        .fold(union, |all, kind| all.intersection(*kind))
        .is_empty();
    let members = [
        (key!("actions"), doc.actions(union, origin)),
        (key!("anyone"), doc.scalar(Kind::Bool(anyone), origin)),
        (key!("outsider"), doc.scalar(Kind::Bool(outsider), origin)),
    ];
    doc.object(&members, origin)
}

/// The statement's `Principal` (or `NotPrincipal`) value: where who may
/// use a statement is written.
fn principal_origin(s: &Statement<'_>) -> Option<Origin> {
    s.principal
        .as_ref()
        .or(s.not_principal.as_ref())
        .map(|p| text_origin(p.element.value_range, p.element.value))
}

/// The statement's catalogue actions a caller of `callers` can get through it.
fn reachable(
    ctx: &Context<'_>,
    s: &Statement<'_>,
    search: &OutsideAccessSearch<'_, '_>,
    options: &EvalOptions,
    classes: &ActionClasses,
    callers: &[OutsideCaller],
) -> ActionSet {
    let mut out = ActionSet::EMPTY;
    if !s.is_allow() {
        return out;
    }
    let covered = s.covered_actions();
    // The answer differs between actions only through Deny statements that
    // cover some of them and not others (as the public-access rule reasons).
    let denies_tell_apart = ctx.policy.statements.iter().any(|d| {
        d.is_deny() && {
            let n = d.covered_actions().intersection(covered).len();
            n != 0 && n != covered.len()
        }
    });
    let mut witness: Option<Witness> = None;
    // Each question is asked once per class of actions the policy treats
    // alike (see [`ActionClasses`]): the answer for one is the answer for all.
    let mut through_witness = classes.memo();
    let mut found = classes.memo();
    let mut denies = WitnessDenies::default();
    for index in covered.indices() {
        let action = catalog().action_at(index).name.as_str();
        let class = classes.of(index);
        if let Some(w) = &witness {
            let allowed = *through_witness[class]
                .get_or_insert_with(|| denies.hold(ctx.policy, &w.request, index, options));
            if allowed {
                out.insert(index);
                continue;
            }
            if !denies_tell_apart {
                continue;
            }
        }
        let reached =
            *found[class].get_or_insert_with(|| match search.find(s.index, action, callers) {
                Some(w) => {
                    witness.get_or_insert(w);
                    true
                }
                None => false,
            });
        if reached {
            out.insert(index);
        } else if !denies_tell_apart && witness.is_none() {
            break;
        }
    }
    out
}

/// Which Deny statements deny a witness: a request allowed (or delegated)
/// through a statement, which is still allowed through it when it asks for
/// another action the statement covers unless a Deny that covers that
/// action denies it. The statement decides the request as it decided the
/// witness (a statement reads the action only through whether it covers
/// it), and an Allow cannot deny it; so what
/// [`evaluate_with`](crate::eval::evaluate_with) would say needs only the
/// Denies, and each Deny decides alike every action it covers: each is
/// asked once per witness.
#[derive(Default)]
struct WitnessDenies {
    /// By statement index: whether it denies the witness.
    denies: Vec<Option<bool>>,
    /// The witness, asking for an action the Deny being asked covers.
    request: Option<crate::eval::Request>,
}

impl WitnessDenies {
    /// Whether `witness` is still allowed when it asks for the catalogue
    /// action at `index` (one the witness's statement covers).
    fn hold(
        &mut self,
        policy: &crate::model::Policy<'_>,
        witness: &crate::eval::Request,
        index: usize,
        options: &EvalOptions,
    ) -> bool {
        for d in &policy.statements {
            if !d.is_deny() || !d.covered_actions().contains(index) {
                continue;
            }
            if self.denies.len() <= d.index {
                self.denies
                    .resize(policy.statements.len().max(d.index + 1), None);
            }
            let denied = match self.denies[d.index] {
                Some(denied) => denied,
                None => {
                    let request = self.request.get_or_insert_with(|| witness.clone());
                    request.action.clear();
                    request.action.push_str(&catalog().action_at(index).name);
                    let denied =
                        evaluate_statement(policy, d, request, options) == StatementOutcome::Denies;
                    self.denies[d.index] = Some(denied);
                    denied
                }
            };
            if denied {
                return false;
            }
        }
        true
    }
}

/// The classes of catalogue actions that a policy cannot tell apart: two
/// actions that each statement's `Action` (or `NotAction`) covers alike.
/// The evaluator and the searches read a request's action only through
/// [`covers_action`](crate::eval::covers_action), so every evaluation and every search gives the same
/// answer for two actions of a class (with the request's action replaced),
/// and the facts ask each question once per class, not once per action.
pub(crate) struct ActionClasses {
    /// The class of each catalogue action, by its index.
    of: Vec<usize>,
}

impl ActionClasses {
    pub(crate) fn new(policy: &crate::model::Policy<'_>) -> ActionClasses {
        // Split the actions by each statement's: what is left are the sets
        // of actions every statement covers alike.
        let mut classes: Vec<u64> = vec![catalog().all_actions().bits()];
        let mut split = Vec::new();
        for statement in &policy.statements {
            let covered = statement.covered_actions().bits();
            split.clear();
            for &class in &classes {
                split.extend(
                    [class & covered, class & !covered]
                        .into_iter()
                        .filter(|&c| c != 0),
                );
            }
            std::mem::swap(&mut classes, &mut split);
        }
        let mut of = vec![0; catalog().actions().len()];
        for (id, &class) in classes.iter().enumerate() {
            let mut bits = class;
            while bits != 0 {
                of[bits.trailing_zeros() as usize] = id;
                bits &= bits - 1;
            }
        }
        ActionClasses { of }
    }

    /// The class of the catalogue action at `index`.
    pub(crate) fn of(&self, index: usize) -> usize {
        self.of[index]
    }

    /// An answer per class, none known yet (there are at most as many
    /// classes as actions, fewer than 64).
    pub(crate) fn memo(&self) -> [Option<bool>; 64] {
        [None; 64]
    }
}

/// The services the key serves, and how each of their requests fares.
fn services<'c>(
    doc: &mut Doc<'c>,
    ctx: &'c Context<'_>,
    with_requests: bool,
    origin: Origin,
) -> Node {
    let analysis = ctx.services();
    let services: Vec<Node> = analysis
        .checks
        .iter()
        .map(|check| {
            let service = check.service();
            // The worst verdict of the required requests, else of all.
            let required = check
                .outcomes
                .iter()
                .filter(|o| o.need == crate::services::model::Need::Required)
                .map(|o| o.verdict)
                .min();
            let worst = required.or_else(|| check.outcomes.iter().map(|o| o.verdict).min());
            let mut members = vec![
                (key!("id"), doc.string(service.as_str(), origin)),
                (
                    key!("name"),
                    doc.string(service.model().name.as_str(), origin),
                ),
            ];
            if with_requests {
                let requests: Vec<Node> = check
                    .outcomes
                    .iter()
                    .map(|o| {
                        let best = o.best();
                        let mut statements: Vec<usize> = best
                            .evaluation
                            .allowed_by
                            .iter()
                            .chain(&best.evaluation.delegated_by)
                            .chain(&best.evaluation.denied_by)
                            .copied()
                            .collect();
                        statements.sort_unstable();
                        statements.dedup();
                        let statements: Vec<Node> = statements
                            .iter()
                            .map(|&i| doc.int(i as i64, origin))
                            .collect();
                        let members = [
                            (key!("action"), doc.string(o.action, origin)),
                            (
                                key!("caller"),
                                doc.string(caller(&check.callers[o.caller].principal), origin),
                            ),
                            (key!("need"), doc.string(need(o.need), origin)),
                            (key!("region"), doc.string(o.region.as_str(), origin)),
                            (key!("statements"), doc.array(&statements, origin)),
                            (key!("verdict"), doc.string(verdict(o.verdict), origin)),
                        ];
                        doc.object(&members, origin)
                    })
                    .collect();
                members.push((key!("requests"), doc.array(&requests, origin)));
            }
            members.push((key!("verdict"), doc.opt_string(worst.map(verdict), origin)));
            doc.object(&members, origin)
        })
        .collect();
    doc.array(&services, origin)
}

/// Per service checked, the worst verdict of the requests each statement
/// decides (allows, delegates or denies) or is meant for, by statement.
fn statement_verdicts(ctx: &Context<'_>) -> Vec<Vec<Option<Verdict>>> {
    let statements = ctx.policy.statements.len();
    ctx.services()
        .checks
        .iter()
        .map(|check| {
            let mut worst: Vec<Option<Verdict>> = vec![None; statements];
            for o in &check.outcomes {
                let e = &o.best().evaluation;
                let deciding = o
                    .intended
                    .iter()
                    .chain(&e.allowed_by)
                    .chain(&e.delegated_by)
                    .chain(&e.denied_by);
                for &index in deciding {
                    if let Some(w) = worst.get_mut(index) {
                        *w = Some(w.map_or(o.verdict, |v| v.min(o.verdict)));
                    }
                }
            }
            worst
        })
        .collect()
}

/// The services whose requests statement `index` decides, with the worst
/// verdict among them.
fn statement_services(
    doc: &mut Doc<'_>,
    ctx: &Context<'_>,
    verdicts: &[Vec<Option<Verdict>>],
    index: usize,
    origin: Origin,
) -> Node {
    let mut out = Vec::new();
    for (check, worst) in ctx.services().checks.iter().zip(verdicts) {
        if let Some(worst) = worst.get(index).copied().flatten() {
            let members = [
                (key!("id"), doc.string(check.service().as_str(), origin)),
                (key!("verdict"), doc.string(verdict(worst), origin)),
            ];
            out.push(doc.object(&members, origin));
        }
    }
    doc.array(&out, origin)
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::ExplicitlyDenied => "explicitly-denied",
        Verdict::Denied => "denied",
        Verdict::Undecided => "undecided",
        Verdict::Delegated => "delegated",
        Verdict::Allowed => "allowed",
    }
}

fn need(n: crate::services::model::Need) -> &'static str {
    use crate::services::model::Need;
    match n {
        Need::Required => "required",
        Need::Optional => "optional",
        Need::IamPolicyOnly => "iam-policy-only",
        Need::NotChecked => "not-checked",
    }
}

fn caller(p: &RequestPrincipal) -> String {
    match p {
        RequestPrincipal::Iam { arn, .. } => arn.clone(),
        RequestPrincipal::AccountRoot { account } => format!("arn:aws:iam::{account}:root"),
        RequestPrincipal::Service(name) => name.clone(),
        RequestPrincipal::Anonymous => "anonymous".to_string(),
    }
}

/// The key-management actions, as a set.
fn administration() -> ActionSet {
    static SET: OnceLock<ActionSet> = OnceLock::new();
    *SET.get_or_init(|| {
        ADMINISTRATION
            .iter()
            .fold(ActionSet::EMPTY, |set, a| set.union(catalog().expand(a)))
    })
}

/// The principals named by Allow statements that the evaluator lets use a
/// key-management action through them (under some request context, with no
/// Deny in the way), with those actions.
fn administrators<'c>(
    doc: &mut Doc<'c>,
    ctx: &'c Context<'_>,
    options: &EvalOptions,
    classes: &ActionClasses,
    origin: Origin,
) -> Node {
    let policy = ctx.policy;
    let requests = RequestSearch::new(policy, options);
    let mut out = Vec::new();
    for s in policy.statements.iter().filter(|s| s.is_allow()) {
        let granted = s.covered_actions().intersection(administration());
        if granted.is_empty() {
            continue;
        }
        let Some(element) = &s.principal else {
            continue;
        };
        // The request that reached this statement for an earlier principal.
        let mut previous: Option<crate::eval::Request> = None;
        for (kind, text) in element.values() {
            let request_principal = match PrincipalValue::parse(kind, text.value) {
                PrincipalValue::Account(account) => RequestPrincipal::AccountRoot {
                    account: account.to_string(),
                },
                PrincipalValue::Arn(arn) => RequestPrincipal::Iam {
                    arn: arn.to_string(),
                    account: arn_account(arn).unwrap_or_default().to_string(),
                },
                PrincipalValue::Service(name) => RequestPrincipal::Service(name.to_string()),
                // Everyone is the exposure's question; the rest match no request.
                PrincipalValue::Everyone | PrincipalValue::Other(_) => continue,
            };
            // The request found for one action is tried for the next first:
            // only a condition on the action itself, or a Deny of some
            // actions, makes the answer differ. Each question is asked once
            // per class of actions the policy treats alike.
            // That request, from this principal: when the statement allows
            // it as well, it is this principal's witness without a search
            // (the Denies are still asked, per class, below).
            let mut witness = previous.take().and_then(|mut request| {
                request.principal = request_principal.clone();
                matches!(
                    evaluate_statement(policy, s, &request, options),
                    StatementOutcome::Allows | StatementOutcome::Delegates
                )
                .then_some(request)
            });
            let mut through_witness = classes.memo();
            let mut found = classes.memo();
            let mut denies = WitnessDenies::default();
            let mut actions = ActionSet::EMPTY;
            for index in granted.indices() {
                let action = catalog().action_at(index).name.as_str();
                let class = classes.of(index);
                if let Some(w) = &witness {
                    let allowed = *through_witness[class]
                        .get_or_insert_with(|| denies.hold(policy, w, index, options));
                    if allowed {
                        actions.insert(index);
                        continue;
                    }
                }
                let reached = *found[class].get_or_insert_with(|| {
                    match requests.request_through_only(s.index, request_principal.clone(), action)
                    {
                        Some(request) => {
                            witness.get_or_insert(request);
                            true
                        }
                        None => false,
                    }
                });
                if reached {
                    actions.insert(index);
                }
            }
            previous = witness;
            if actions.is_empty() {
                continue;
            }
            let at = text_origin(text.range, text.node);
            let members = [
                (key!("actions"), doc.actions(actions, at)),
                (key!("principal"), principal(doc, kind, text.value, at)),
                (key!("statement"), doc.int(s.index as i64, at)),
            ];
            out.push(doc.object(&members, at));
        }
    }
    doc.array(&out, origin)
}

/// The facts document of a policy's text, as JSON: what a rule over `facts`
/// queries (for tests, and to show a policy's facts).
pub fn facts_of(text: &str, options: &crate::AnalyzeOptions) -> serde_json::Value {
    let parse = crate::syntax::parse(text);
    let policy = crate::model::Policy::from_tree(&parse.tree);
    let ctx = Context::new(text, &parse.tree, &parse.errors, &policy, options, None);
    let doc = facts(&ctx, Needs::ALL);
    doc.to_value(Doc::ROOT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_members_a_selector_names_are_built() {
        let needs = Needs::of(["$.statements[?@.exposure.anyone == true].exposure"]);
        assert_eq!(
            needs,
            Needs {
                exposure: true,
                ..Needs::default()
            }
        );
        let needs = Needs::of(["$.administrators[*].principal.arn", "actions"]);
        assert!(needs.administrators && needs.actions && !needs.exposure && !needs.services);
        for everything in [
            "$",
            "$..key",
            "$.statements[*].*",
            "$.statements[0][*]",
            "$[*]",
        ] {
            assert_eq!(Needs::of([everything]), Needs::ALL, "{everything}");
        }
    }

    /// The principals and the number of actions of each administrator.
    fn administrators_of(text: &str) -> Vec<(String, usize)> {
        let facts = facts_of(text, &crate::AnalyzeOptions::default());
        facts["administrators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let arn = a["principal"]["arn"].as_str().unwrap().to_string();
                (arn, a["actions"].as_array().unwrap().len())
            })
            .collect()
    }

    #[test]
    fn each_principal_of_a_statement_is_proved_an_administrator_on_its_own() {
        // The request that reaches the statement for Admin needs MFA, and
        // Breakglass can send it too; Auditor is excluded by its ARN, so the
        // request that worked for the others must not count for it.
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Admins", "Effect": "Allow",
           "Principal": {"AWS": ["arn:aws:iam::111122223333:role/Admin",
                                 "arn:aws:iam::111122223333:role/Breakglass",
                                 "arn:aws:iam::111122223333:role/Auditor"]},
           "Action": ["kms:Create*", "kms:Describe*", "kms:Put*", "kms:ScheduleKeyDeletion"],
           "Resource": "*",
           "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                         "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Auditor"}}},
          {"Sid": "NoDeletionByBreakglass", "Effect": "Deny",
           "Principal": {"AWS": "arn:aws:iam::111122223333:role/Breakglass"},
           "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}
        ]}"#;
        let admins = administrators_of(text);
        let count = |arn: &str| {
            admins
                .iter()
                .find(|(a, _)| a.ends_with(arn))
                .map(|(_, n)| *n)
        };
        let admin = count("role/Admin").expect("Admin is an administrator");
        let breakglass = count("role/Breakglass").expect("Breakglass is one too");
        assert_eq!(
            breakglass + 1,
            admin,
            "all but the denied action: {admins:?}"
        );
        assert_eq!(count("role/Auditor"), None, "{admins:?}");
    }

    #[test]
    fn a_document_with_fewer_members_gives_the_same_answers() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
          {"Sid": "Open", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
        ]}"#;
        let all = facts_of(text, &crate::AnalyzeOptions::default());
        let parse = crate::syntax::parse(text);
        let policy = crate::model::Policy::from_tree(&parse.tree);
        let options = crate::AnalyzeOptions::default();
        let ctx = Context::new(text, &parse.tree, &parse.errors, &policy, &options, None);
        let some = facts(&ctx, Needs::of(["$.statements[*].exposure"])).to_value(Doc::ROOT);
        assert_eq!(
            some["statements"][1]["exposure"],
            all["statements"][1]["exposure"]
        );
        assert_eq!(some["statements"][1]["exposure"]["anyone"], true);
        assert!(some["statements"][1].get("actions").is_none());
        assert!(some.get("administrators").is_none());
        assert_eq!(
            all["administrators"][0]["principal"]["arn"],
            "arn:aws:iam::111122223333:root"
        );
        assert_eq!(
            all["administrators"][0]["actions"]
                .as_array()
                .unwrap()
                .len(),
            20
        );
    }
}
