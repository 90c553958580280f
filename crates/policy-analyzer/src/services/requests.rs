//! The requests a service makes to AWS KMS, synthesized from its model and
//! profile: for each checked permission, as each caller, in each region (and,
//! for a service whose requests are made per value of a parameter, for each
//! of its values, such as the buckets of the S3 link; for each setting of
//! its switch that may hold, such as S3 Bucket Keys; for each kind of
//! resource that uses the key), with the full request context the service
//! sends.
//!
//! Callers are the principals the policy gives the service to: the
//! principals of the statements meant for it, the service-linked role, the
//! service principal, or for `Principal: "*"` a representative principal of
//! the callers' account; the configuration may name them instead.

use super::model::{applies_to_kind, CallerKind, Fit, Need, ServiceId, ServiceModel};
use super::profile::{representative, Origin, ServiceProfile, Valued, MAX_VALUES};
use super::reading::{ConditionText, PolicyReading, StatementReading};
use crate::aws::is_account_id;
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
    /// A service principal: the Region its name gives (it calls only there),
    /// and the account of the resources it acts for.
    pub region: Option<String>,
    pub resource_account: Option<String>,
}

impl Caller {
    /// Any principal of `account` that its IAM policies allow, standing for
    /// the callers the statements in `origins` admit.
    fn anyone_in(account: &str, arn_hint: Option<&str>, origins: Vec<usize>) -> Caller {
        Caller {
            principal: representative_principal(account, arn_hint),
            representative: true,
            linked_role: false,
            origins,
            role_id: None,
            account_known: true,
            region: None,
            resource_account: None,
        }
    }
}

impl Caller {
    pub fn arn(&self) -> &str {
        match &self.principal {
            RequestPrincipal::Iam { arn, .. } => arn,
            _ => "",
        }
    }

    pub fn account(&self) -> &str {
        self.principal
            .account()
            .or(self.resource_account.as_deref())
            .unwrap_or(representative::ACCOUNT)
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
    /// The region in `kms:ViaService` (or of the service principal).
    pub region: String,
    /// The value of the parameter the requests are made per (for the S3
    /// link, the bucket).
    pub bucket: Option<String>,
    /// The setting of the service's switch (S3 Bucket Keys) this request
    /// assumes, for a service that has one.
    pub bucket_keys: Option<bool>,
    /// The kind of resource the request is for, for a service with kinds.
    pub kind: Option<&'static str>,
    /// The values of the service's parameters for this request.
    values: Vec<(&'static str, String)>,
    via_service: String,
}

/// The callers of a service. `unclaimed` lists the statements meant for
/// services of the same kind that the configuration does not name: where
/// none is meant for a configured service, they stand for the ones meant
/// for it (see [`super::analysis::check_service`]).
/// At most [`MAX_VALUES`] callers; the flag says whether there were more.
pub fn callers(
    profile: &ServiceProfile,
    reading: &PolicyReading<'_>,
    unclaimed: &[usize],
) -> (Vec<Caller>, bool) {
    let mut callers = collect_callers(profile, reading, unclaimed);
    mark_unknown_accounts(&mut callers.list, profile, reading);
    (callers.list, callers.truncated)
}

/// Callers as they are collected, at most [`MAX_VALUES`].
#[derive(Default)]
struct Callers {
    list: Vec<Caller>,
    truncated: bool,
}

fn collect_callers(
    profile: &ServiceProfile,
    reading: &PolicyReading<'_>,
    unclaimed: &[usize],
) -> Callers {
    let model = profile.service.model();
    let mut statements: Vec<&StatementReading<'_>> = reading.meant_for(profile.service).collect();
    if statements.is_empty() && profile.is_stated() {
        // A statement written for another service of the same kind (a
        // kms:ViaService naming S3 in the key of a configured EFS file
        // system) still names who calls: what is wrong with it is its
        // kms:ViaService, which PC406 reports, not its principal.
        statements = unclaimed
            .iter()
            .filter_map(|&i| reading.statements.get(i))
            .filter(|s| {
                s.purposes
                    .iter()
                    .any(|p| p.service.model().caller.kind == model.caller.kind)
            })
            .collect();
    }
    let mut out = Callers::default();

    if model.caller.kind == CallerKind::ServicePrincipal {
        let template = model.caller.principal.as_ref();
        let account = profile.account.as_ref().map(|a| a.value.clone());
        for region in &profile.regions {
            let Some(name) = template.map(|t| {
                t.render(|placeholder| (placeholder == "region").then_some(region.value.as_str()))
            }) else {
                continue;
            };
            out.add(Caller {
                principal: RequestPrincipal::Service(name),
                representative: false,
                linked_role: false,
                origins: statements.iter().map(|s| s.index).collect(),
                role_id: None,
                account_known: true,
                region: Some(region.value.clone()),
                resource_account: account.clone(),
            });
        }
        return out;
    }

    if model.caller.kind == CallerKind::ServiceLinkedRole {
        let fixed_name = [Valued::representative("")];
        let ids = match model.caller.role_id.as_deref() {
            Some(parameter) => profile.values_of(parameter),
            None => &fixed_name[..],
        };
        for id in ids {
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
                representative: id.is_representative() && model.caller.role_id.is_some(),
                linked_role: true,
                origins,
                role_id: Some(role_id.to_string()),
                account_known: true,
                region: None,
                resource_account: None,
            });
        }
        return out;
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
                region: None,
                resource_account: None,
            });
        }
        return out;
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
            let arn_hint = principal_arn_hint(statement, account);
            out.add(Caller::anyone_in(
                account,
                arn_hint.as_deref(),
                vec![statement.index],
            ));
        }
        for principal in &statement.aws_principals {
            let caller = match PrincipalValue::parse(Some(PrincipalKind::Aws), principal.value) {
                // The account: any principal of it whose IAM policy allows.
                PrincipalValue::Account(account) => {
                    Caller::anyone_in(account, None, vec![statement.index])
                }
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
                        region: None,
                        resource_account: None,
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
        out.add(Caller::anyone_in(fallback_account, None, Vec::new()));
    }
    out
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

/// A role or user ARN that meets a statement's `aws:PrincipalArn` condition,
/// in the callers' account where the pattern leaves the account open
/// (`arn:aws:iam::*:role/sra-execution`: the role of that name in any
/// account, the callers' among them).
fn principal_arn_hint(statement: &StatementReading<'_>, account: &str) -> Option<String> {
    let condition = statement
        .identity_conditions
        .iter()
        .find(|c| c.key.value.eq_ignore_ascii_case("aws:PrincipalArn"))?;
    if condition.has_wildcards() {
        if let Some([prefix, partition, service, region, "*", resource]) =
            crate::aws::arn_parts(condition.value.value)
        {
            let arn = format!("{prefix}:{partition}:{service}:{region}:{account}:{resource}");
            return Some(
                arn.replace('*', representative::WILDCARD_FILL)
                    .replace('?', "x"),
            );
        }
    }
    Some(instantiate(condition))
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
    let per_value = model.parameters.iter().find(|p| p.per_value);
    let switch_variants: &[bool] = if model.switch().is_some() {
        profile.bucket_keys.variants()
    } else {
        &[false]
    };
    let kinds: Vec<Option<&'static str>> = if profile.kinds.is_empty() {
        vec![None]
    } else {
        profile.kinds.iter().map(|k| Some(*k)).collect()
    };
    for (caller_index, caller) in callers.iter().enumerate() {
        let instances: Vec<Option<&str>> = match per_value {
            Some(parameter) => own_values(profile.values_of(&parameter.name), caller)
                .into_iter()
                .map(|v| Some(v.value.as_str()))
                .collect(),
            None => vec![None],
        };
        let regions: Vec<&Valued> = own_values(&profile.regions, caller)
            .into_iter()
            .filter(|r| caller.region.as_ref().is_none_or(|own| *own == r.value))
            .collect();
        for region in regions {
            let via_service = model
                .via_service
                .as_ref()
                .map(|v| v.value(&region.value))
                .unwrap_or_default();
            for &instance in &instances {
                let values = parameter_values(model, profile, reading, caller, instance);
                for &on in switch_variants {
                    for &kind in &kinds {
                        let permissions = model.permissions.iter().filter(|p| {
                            p.need.is_checked() && applies_to_kind(p.kinds.as_deref(), kind)
                        });
                        for permission in permissions {
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
                                    bucket: instance.map(str::to_string),
                                    bucket_keys: model.switch().map(|_| on),
                                    kind,
                                    values: values.clone(),
                                    via_service: via_service.clone(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    (out, false)
}

/// The values of the service's parameters for a caller's requests (and the
/// value of the parameter they are made per): the first value the caller's
/// own statements give, else the first of all; for a parameter read from
/// patterns (an object key), what the caller's statements' pattern allows,
/// its wildcards filled in.
fn parameter_values(
    model: &'static ServiceModel,
    profile: &ServiceProfile,
    reading: &PolicyReading<'_>,
    caller: &Caller,
    instance: Option<&str>,
) -> Vec<(&'static str, String)> {
    let per_value = model.parameters.iter().find(|p| p.per_value);
    let mut out = Vec::with_capacity(model.parameters.len());
    for parameter in &model.parameters {
        let name = parameter.name.as_str();
        let value = if parameter.per_value {
            instance.map(str::to_string)
        } else if parameter.from_patterns {
            Some(
                pattern_value(
                    model,
                    reading,
                    caller,
                    name,
                    per_value.map(|p| p.name.as_str()),
                    instance,
                )
                .or_else(|| parameter.representative.clone())
                .unwrap_or_default(),
            )
        } else {
            own_values(profile.values_of(name), caller)
                .first()
                .map(|v| v.value.clone())
        };
        if let Some(value) = value {
            out.push((name, value));
        }
    }
    out
}

/// The values of a caller's requests: those read from the caller's own
/// statements when they name any, else all of them. Pairing every caller
/// with every region and bucket read anywhere multiplied the requests
/// (callers x regions x buckets): a policy with a hundred linked caches and
/// buckets took minutes.
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

/// A value of a parameter that the caller's statements give as a pattern
/// (the linked cache's objects: `bucket/*`), for the request's instance (the
/// bucket), its wildcards filled in.
fn pattern_value(
    model: &'static ServiceModel,
    reading: &PolicyReading<'_>,
    caller: &Caller,
    name: &str,
    per_value: Option<&str>,
    instance: Option<&str>,
) -> Option<String> {
    for statement in caller
        .origins
        .iter()
        .filter_map(|&i| reading.statements.get(i))
    {
        for context in statement.contexts.iter().filter(|c| c.has_wildcards()) {
            let Some((Fit::Fits(parts), _)) =
                model.fit_context(context.key.value, context.value.value, true)
            else {
                continue;
            };
            let of_instance = match (per_value, instance) {
                (Some(p), Some(instance)) => parts
                    .iter()
                    .any(|&(n, v, concrete)| n == p && concrete && v == instance),
                _ => true,
            };
            if !of_instance {
                continue;
            }
            if let Some(&(_, pattern, _)) = parts.iter().find(|(n, _, _)| *n == name) {
                let value = pattern
                    .replace('*', representative::WILDCARD_FILL)
                    .replace('?', "x");
                if !value.is_empty() {
                    return Some(value);
                }
            }
        }
    }
    None
}

impl ServiceRequest {
    /// The request as the service sends it: the caller, the action, and the
    /// context of the service model, plus the identity the caller needs to be
    /// one of the principals the policy means.
    pub fn build(&self, callers: &[Caller], reading: &PolicyReading<'_>) -> Request {
        let model = self.service.model();
        let caller = &callers[self.caller];
        let role_id = caller.role_id.as_deref().unwrap_or(representative::ROLE_ID);
        let session_name = model.caller.session_name.as_deref().unwrap_or_default();
        let lookup = |name: &str| -> Option<&str> {
            Some(match name {
                "region" => &self.region,
                "account" | "caller-account" => caller.account(),
                "via-service" => &self.via_service,
                "role-id" => role_id,
                "session-name" => session_name,
                "partition" => "aws",
                _ => {
                    return self
                        .values
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, v)| v.as_str())
                }
            })
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
        for entry in model
            .context
            .iter()
            .filter(|e| e.applies_to(self.action, self.kind))
        {
            let template = match (entry.variant(), self.bucket_keys) {
                (Some((_, switched)), Some(true)) => switched,
                _ => &entry.value,
            };
            let value = template.render(lookup);
            if entry.multivalued {
                request.context.set_multi(&entry.key, vec![value]);
            } else {
                request.context.set(&entry.key, value);
            }
        }
        // Every request carries the Region it is made to (the IAM User
        // Guide, aws:RequestedRegion: "This key is always included in the
        // request context"): the key's, where the service calls from.
        if !request.context.contains("aws:RequestedRegion") {
            request
                .context
                .set("aws:RequestedRegion", self.region.clone());
        }
        // A service principal acts for a resource of the account; what the
        // model does not say of it (its organization), the statement's own
        // values stand for.
        // A key the model gives only for other kinds of resource is absent
        // (CloudTrail sends aws:SourceArn for a trail, not for an event data
        // store).
        if let (RequestPrincipal::Service(_), Some(statement)) = (&caller.principal, origin) {
            for condition in &statement.source_conditions {
                let key = condition.key.value;
                let modelled = model
                    .context
                    .iter()
                    .any(|e| e.key.eq_ignore_ascii_case(key));
                if !modelled && !request.context.contains(key) {
                    request.context.set(key, instantiate(condition));
                }
            }
        }
        request
    }
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
