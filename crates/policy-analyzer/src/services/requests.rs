//! The requests a service makes to AWS KMS, synthesized from its model and
//! profile: for each checked permission, as each caller, in each region (and,
//! for the S3 link, for each bucket and each S3 Bucket Key setting that may
//! hold), with the full request context the service sends.
//!
//! Callers are the principals the policy gives the service to: the
//! principals of the statements meant for it, the service-linked role, or
//! for `Principal: "*"` a representative principal of the callers' account;
//! the configuration may name them instead.

use super::model::{CallerKind, Need, ServiceId, Vars};
use super::profile::{is_account_id, representative, Origin, ServiceProfile, Valued, MAX_VALUES};
use super::reading::{ConditionText, PolicyReading, S3ArnForm, StatementReading};
use crate::catalog::catalog;
use crate::eval::{PrincipalValue, Request, RequestPrincipal};
use crate::model::{OperatorFamily, PrincipalKind};

/// Who calls AWS KMS for a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: RequestPrincipal,
    /// Whether the principal stands for "any principal the statement allows"
    /// rather than one the policy or the configuration names.
    pub representative: bool,
    /// Whether it is the service-linked role of the service.
    pub linked_role: bool,
    /// The statements the caller comes from (empty: from the configuration,
    /// or no statement names any caller).
    pub origins: Vec<usize>,
    /// The service-linked role's unique id (`aws:userid` is `<id>:<session>`).
    pub role_id: Option<String>,
    /// Whether the configuration or the policy names the caller's account
    /// (else it is a representative one).
    pub account_known: bool,
}

impl Caller {
    pub fn arn(&self) -> &str {
        match &self.principal {
            RequestPrincipal::Iam { arn, .. } => arn,
            _ => "",
        }
    }

    pub fn account(&self) -> &str {
        self.principal.account().unwrap_or(representative::ACCOUNT)
    }

    /// For messages: `role arn:...`, or `a principal of account 111122223333`
    /// for representative callers.
    pub fn describe(&self) -> String {
        if self.representative && !self.linked_role && !self.account_known {
            format!(
                "a principal of the callers' account (nothing names it; {} stands for it)",
                self.account()
            )
        } else if self.representative && !self.linked_role {
            format!("a principal of account {}", self.account())
        } else {
            self.principal.describe()
        }
    }
}

/// One request a service makes: what it is about. The request itself, with
/// the full context the service sends, is built by [`ServiceRequest::build`]
/// only when it is evaluated (most optional requests are settled before).
#[derive(Clone, Debug)]
pub struct ServiceRequest {
    pub service: ServiceId,
    /// Index into the callers of the service.
    pub caller: usize,
    pub action: &'static str,
    pub need: Need,
    /// The region in `kms:ViaService`.
    pub region: String,
    /// `s3-link`: the bucket.
    pub bucket: Option<String>,
    /// `s3-link`: the S3 Bucket Key setting this request assumes.
    pub bucket_keys: Option<bool>,
    /// `s3-link`: the object the request reads or writes.
    object_key: String,
    via_service: String,
}

/// The callers of a service (at most [`MAX_VALUES`]), and whether there were
/// more.
pub fn callers(profile: &ServiceProfile, reading: &PolicyReading<'_>) -> (Vec<Caller>, bool) {
    let mut out = Callers::default();
    collect_callers(&mut out, profile, reading);
    mark_unknown_accounts(&mut out.list, profile, reading);
    (out.list, out.truncated)
}

#[derive(Default)]
struct Callers {
    list: Vec<Caller>,
    truncated: bool,
}

fn collect_callers(out: &mut Callers, profile: &ServiceProfile, reading: &PolicyReading<'_>) {
    let model = profile.service.model();
    let statements: Vec<&StatementReading<'_>> = reading.meant_for(profile.service).collect();

    if model.caller.kind == CallerKind::ServiceLinkedRole {
        for id in &profile.resource_ids {
            // The role's account: where a statement names this role, its
            // account; else the profile's; else representative.
            let named_account = statements
                .iter()
                .flat_map(|s| s.roles.iter())
                .filter(|r| r.resource_id == Some(id.value.as_str()))
                .find_map(|r| r.account);
            let account = match (&profile.account, named_account) {
                (Some(a), _) if a.origin.is_stated() => a.value.clone(),
                (_, Some(a)) => a.to_string(),
                (Some(a), None) => a.value.clone(),
                (None, None) => representative::ACCOUNT.to_string(),
            };
            let Some(arn) = model.caller.role_arn(&account, &id.value) else {
                continue;
            };
            // A statement naming another concrete role is not for this one.
            let origins = statements
                .iter()
                .filter(|s| {
                    s.roles
                        .iter()
                        .filter(|r| r.service == profile.service)
                        .all(|r| r.resource_id.is_none_or(|rid| rid == id.value))
                })
                .map(|s| s.index)
                .collect();
            let role_id = statements
                .iter()
                .flat_map(|s| s.session_user_ids.iter())
                .find_map(|u| u.role_id)
                .unwrap_or(representative::ROLE_ID);
            out.add(Caller {
                principal: RequestPrincipal::Iam { arn, account },
                representative: id.is_representative(),
                linked_role: true,
                origins,
                role_id: Some(role_id.to_string()),
                account_known: true,
            });
        }
        return;
    }

    if !profile.callers.is_empty() {
        for arn in &profile.callers {
            let account = PrincipalValue::parse(Some(PrincipalKind::Aws), arn)
                .account()
                .unwrap_or(representative::ACCOUNT)
                .to_string();
            let principal = if is_account_id(arn) {
                representative_principal(&account, None)
            } else {
                RequestPrincipal::Iam {
                    arn: arn.clone(),
                    account,
                }
            };
            out.add(Caller {
                principal,
                representative: is_account_id(arn),
                linked_role: false,
                origins: Vec::new(),
                role_id: None,
                account_known: true,
            });
        }
        return;
    }

    let configured_account = profile
        .account
        .as_ref()
        .filter(|a| a.origin.is_stated())
        .map(|a| a.value.as_str());
    let fallback_account = profile
        .account
        .as_ref()
        .map_or(representative::ACCOUNT, |a| a.value.as_str());
    for statement in &statements {
        // Service principals are never callers of a forward-access service
        // (PC410); other kinds of principal are not modelled.
        let everyone = statement.principal_everyone || statement.not_principal;
        if everyone {
            // Any principal: one of the callers' account, which the
            // configuration gives, else the statement's own kms:CallerAccount.
            let account = configured_account
                .or_else(|| {
                    statement
                        .caller_accounts
                        .iter()
                        .map(|c| c.value.value)
                        .find(|v| is_account_id(v))
                })
                .unwrap_or(fallback_account);
            let arn_hint = identity_value(statement, "aws:PrincipalArn");
            out.add(Caller {
                principal: representative_principal(account, arn_hint.as_deref()),
                representative: true,
                linked_role: false,
                origins: vec![statement.index],
                role_id: None,
                account_known: true,
            });
        }
        for principal in &statement.aws_principals {
            let caller = match PrincipalValue::parse(Some(PrincipalKind::Aws), principal.value) {
                // The account: any principal of it whose IAM policy allows.
                PrincipalValue::Account(account) => Caller {
                    principal: representative_principal(account, None),
                    representative: true,
                    linked_role: false,
                    origins: vec![statement.index],
                    role_id: None,
                    account_known: true,
                },
                PrincipalValue::Arn(arn) => match PrincipalValue::Arn(arn)
                    .account()
                    // A principal a template leaves unknown (another
                    // resource's ARN) is of the account that deploys it.
                    .or_else(|| crate::symbolic::has_unknown(arn).then_some(fallback_account))
                {
                    Some(account) => Caller {
                        principal: RequestPrincipal::Iam {
                            arn: arn.to_string(),
                            account: account.to_string(),
                        },
                        representative: false,
                        linked_role: false,
                        origins: vec![statement.index],
                        role_id: None,
                        account_known: true,
                    },
                    None => continue,
                },
                _ => continue,
            };
            out.add(caller);
        }
    }
    if out.list.is_empty() {
        // No statement names a caller: someone in the callers' account.
        out.add(Caller {
            principal: representative_principal(fallback_account, None),
            representative: true,
            linked_role: false,
            origins: Vec::new(),
            role_id: None,
            account_known: true,
        });
    }
}

/// Marks the callers whose account neither the profile nor the policy names.
fn mark_unknown_accounts(
    callers: &mut [Caller],
    profile: &ServiceProfile,
    reading: &PolicyReading<'_>,
) {
    let named = |account: &str| {
        profile.account.as_ref().is_some_and(|a| a.value == account)
            || reading.statements.iter().any(|s| {
                s.caller_accounts.iter().any(|c| c.value.value == account)
                    || s.aws_principals.iter().any(|p| {
                        PrincipalValue::parse(Some(PrincipalKind::Aws), p.value).account()
                            == Some(account)
                    })
                    || s.roles.iter().any(|r| r.account == Some(account))
            })
    };
    for caller in callers {
        caller.account_known = named(caller.account());
    }
}

impl Callers {
    /// Adds a caller, merging the origins of one already there; past
    /// [`MAX_VALUES`] callers it only notes that there were more.
    fn add(&mut self, caller: Caller) {
        match self
            .list
            .iter_mut()
            .find(|c| c.principal == caller.principal)
        {
            Some(existing) => {
                // Origins are statement indices, kept in order: a thousand
                // statements for one caller must not cost a million compares.
                for origin in caller.origins {
                    if let Err(at) = existing.origins.binary_search(&origin) {
                        existing.origins.insert(at, origin);
                    }
                }
            }
            None => {
                if self.list.len() >= MAX_VALUES {
                    self.truncated = true;
                } else {
                    self.list.push(caller);
                }
            }
        }
    }
}

/// A role standing for the principals of an account; where the statement
/// asks for a principal ARN, one that fits it.
fn representative_principal(account: &str, arn_hint: Option<&str>) -> RequestPrincipal {
    if let Some(arn) = arn_hint {
        if let Some(arn_account) = PrincipalValue::parse(Some(PrincipalKind::Aws), arn).account() {
            if arn.contains(":role/") || arn.contains(":user/") {
                return RequestPrincipal::Iam {
                    arn: arn.to_string(),
                    account: arn_account.to_string(),
                };
            }
        }
    }
    RequestPrincipal::role(account, representative::CALLER_ROLE)
}

/// A concrete value that meets a statement's condition on an identity key:
/// the value itself, or under a wildcard operator the pattern with its
/// wildcards filled in.
fn identity_value(statement: &StatementReading<'_>, key: &str) -> Option<String> {
    statement
        .identity_conditions
        .iter()
        .find(|c| c.key.value.eq_ignore_ascii_case(key))
        .map(instantiate)
}

fn instantiate(condition: &ConditionText<'_>) -> String {
    if condition.has_wildcards() {
        condition
            .value
            .value
            .replace('*', representative::WILDCARD_FILL)
            .replace('?', "x")
    } else {
        condition.value.value.to_string()
    }
}

/// At most this many requests of one service are evaluated. A key serving a
/// few file systems makes a few dozen.
pub const MAX_REQUESTS: usize = 512;

/// Each request is evaluated against every statement, and its evaluation
/// keeps why each statement missed: in a policy of thousands of statements,
/// fewer requests are evaluated, so that one service costs at most about
/// this many statement evaluations (but at least [`MIN_REQUESTS`] requests).
/// Time and memory then grow with the statements, not their square.
const STATEMENT_EVALUATIONS: usize = 1_000_000;
const MIN_REQUESTS: usize = 16;

/// How many requests of one service are evaluated in a policy of this many
/// statements.
pub fn request_limit(statements: usize) -> usize {
    (STATEMENT_EVALUATIONS / statements.max(1)).clamp(MIN_REQUESTS, MAX_REQUESTS)
}

/// Every request of a service, for every caller (at most [`request_limit`]),
/// and whether there were more.
pub fn requests(
    profile: &ServiceProfile,
    callers: &[Caller],
    reading: &PolicyReading<'_>,
) -> (Vec<ServiceRequest>, bool) {
    let model = profile.service.model();
    let mut out = Vec::new();
    let limit = request_limit(reading.statements.len());
    let linked = model.caller.kind == CallerKind::ServiceLinkedRole;
    let bucket_key_variants: &[bool] = if linked {
        profile.bucket_keys.variants()
    } else {
        &[false]
    };
    for (caller_index, caller) in callers.iter().enumerate() {
        let buckets: Vec<Option<&str>> = if linked {
            own_values(&profile.buckets, caller)
                .into_iter()
                .map(|b| Some(b.value.as_str()))
                .collect()
        } else {
            vec![None]
        };
        for region in own_values(&profile.regions, caller) {
            let via_service = model.via_service.value(&region.value);
            for &bucket in &buckets {
                let object_key = bucket.map_or(representative::OBJECT_KEY.to_string(), |b| {
                    object_key_for(reading, caller, b)
                });
                for &bucket_keys in bucket_key_variants {
                    for permission in model.permissions.iter().filter(|p| p.need.is_checked()) {
                        for action in &permission.actions {
                            if out.len() >= limit {
                                return (out, true);
                            }
                            out.push(ServiceRequest {
                                service: profile.service,
                                caller: caller_index,
                                action: action.as_str(),
                                need: permission.need,
                                region: region.value.clone(),
                                bucket: bucket.map(str::to_string),
                                bucket_keys: linked.then_some(bucket_keys),
                                object_key: object_key.clone(),
                                via_service: via_service.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    (out, false)
}

impl ServiceRequest {
    /// The request as the service sends it: the caller, the action, and the
    /// context of the service model, plus the identity the caller needs to be
    /// one of the principals the policy means.
    pub fn build(&self, callers: &[Caller], reading: &PolicyReading<'_>) -> Request {
        let model = self.service.model();
        let caller = &callers[self.caller];
        let vars = Vars {
            region: &self.region,
            caller_account: caller.account(),
            via_service: &self.via_service,
            role_id: caller.role_id.as_deref().unwrap_or(representative::ROLE_ID),
            session_name: model.caller.session_name.as_deref().unwrap_or_default(),
            bucket: self.bucket.as_deref().unwrap_or(representative::BUCKET),
            object_key: &self.object_key,
        };
        let mut request = Request::new(caller.principal.clone(), self.action);
        let origin = caller
            .origins
            .first()
            .and_then(|&i| reading.statements.get(i));
        if let Some(statement) = origin {
            add_identity_context(&mut request, &statement.identity_conditions, caller, false);
        }
        for deny in reading.statements.iter().filter(|s| !s.allow) {
            add_identity_context(&mut request, &deny.identity_requirements, caller, true);
        }
        for entry in model.context.iter().filter(|e| e.applies_to(self.action)) {
            let template = match (&entry.bucket_keys_value, self.bucket_keys) {
                (Some(with_bucket_keys), Some(true)) => with_bucket_keys,
                _ => &entry.value,
            };
            let value = vars.render(template);
            if entry.multivalued {
                request.context.set_multi(&entry.key, vec![value]);
            } else {
                request.context.set(&entry.key, value);
            }
        }
        request
    }
}

/// The object the linked cache reads or writes: one that fits the object
/// patterns of the statements for this caller (the data repository may be a
/// prefix of the bucket), else a representative one.
/// The values a caller is checked with: those read from the caller's own
/// statements when they name any, else all of them. Pairing every caller with
/// every region and bucket read anywhere multiplied the requests (callers x
/// regions x buckets): a policy with a hundred linked caches and buckets took
/// minutes.
fn own_values<'v>(values: &'v [Valued], caller: &Caller) -> Vec<&'v Valued> {
    let own: Vec<&Valued> = values
        .iter()
        .filter(|v| matches!(&v.origin, Origin::Policy(e) if caller.origins.binary_search(&e.statement).is_ok()))
        .collect();
    if own.is_empty() {
        values.iter().collect()
    } else {
        own
    }
}

fn object_key_for(reading: &PolicyReading<'_>, caller: &Caller, bucket: &str) -> String {
    caller
        .origins
        .iter()
        .filter_map(|&i| reading.statements.get(i))
        .flat_map(|s| s.s3_contexts.iter())
        .find(|c| c.form == S3ArnForm::Object && c.bucket == Some(bucket) && c.text.has_wildcards())
        .and_then(|c| c.object_pattern)
        .map(|pattern| {
            pattern
                .replace('*', representative::WILDCARD_FILL)
                .replace('?', "x")
        })
        .filter(|key| !key.is_empty())
        .unwrap_or_else(|| representative::OBJECT_KEY.to_string())
}

/// The identity a caller needs to be one of the principals the policy
/// means: those its statement allows (`aws:PrincipalOrgID`,
/// `aws:PrincipalTag/...`), and those a Deny spares (a perimeter Deny on
/// principals outside the organization is not about the service). What the
/// principal itself determines, and what the service sends, is not taken
/// from the policy; the first value set for a key stays.
fn add_identity_context(
    request: &mut Request,
    conditions: &[ConditionText<'_>],
    caller: &Caller,
    spared_by_deny: bool,
) {
    for condition in conditions {
        let key = condition.key.value;
        let determined = key.eq_ignore_ascii_case("aws:PrincipalArn")
            || key.eq_ignore_ascii_case("aws:PrincipalType")
            || key.eq_ignore_ascii_case("aws:username")
            || (caller.linked_role && key.eq_ignore_ascii_case("aws:userid"));
        if determined || request.context.contains(key) {
            continue;
        }
        let value = match condition.operator {
            // A Deny on `"aws:MultiFactorAuthPresent": "false"` spares `true`.
            Some(op) if spared_by_deny && op.base.family() == OperatorFamily::Bool => {
                if condition.value.value.eq_ignore_ascii_case("false") {
                    "true".to_string()
                } else {
                    "false".to_string()
                }
            }
            _ => instantiate(condition),
        };
        let multivalued = catalog()
            .condition_key(key)
            .is_some_and(|k| k.info.multivalued);
        if multivalued {
            request.context.set_multi(key, vec![value]);
        } else {
            request.context.set(key, value);
        }
    }
}
