//! What the statements of a policy say about services: the `kms:ViaService`
//! values, the service-linked roles they name, the `aws:userid` session
//! patterns, the values of the context keys the services send (encryption
//! contexts, `aws:SourceArn`...), the accounts in `kms:CallerAccount` and the
//! service principals, each with its range. This is reading, not
//! judging: whether a request is allowed is the evaluator's question. The
//! reading tells which statements are meant for which service (their
//! purpose), which the inference, the callers of the requests and the
//! explanations of denials build on.

use super::model::{models, CallerKind, ServiceId, ServiceModel};
use crate::aws::{is_account_id, Arn, CallerKey, ServicePrincipal, ViaService};
use crate::matcher::has_wildcard;
use crate::model::{
    ConditionBlock, ConditionValue, Operator, Policy, PrincipalKind, Statement, Text, ValueKind,
};
use crate::text::TextRange;

/// What each statement says about services, in statement order.
#[derive(Clone, Debug, Default)]
pub struct PolicyReading<'t> {
    pub statements: Vec<StatementReading<'t>>,
}

impl<'t> PolicyReading<'t> {
    pub fn read(policy: &Policy<'t>) -> PolicyReading<'t> {
        PolicyReading {
            statements: policy
                .statements
                .iter()
                .map(StatementReading::read)
                .collect(),
        }
    }

    /// The statements meant for a service (see [`StatementReading::purposes`]).
    pub fn meant_for(&self, service: ServiceId) -> impl Iterator<Item = &StatementReading<'t>> {
        self.statements
            .iter()
            .filter(move |s| s.is_meant_for(service))
    }
}

/// A condition value with the operator it is under.
#[derive(Clone, Copy, Debug)]
pub struct ConditionText<'t> {
    pub value: ConditionValue<'t>,
    /// `None` when the operator is not one IAM knows.
    pub operator: Option<Operator>,
    pub operator_range: TextRange,
    pub key: Text<'t>,
}

impl ConditionText<'_> {
    /// Whether its operator reads `*` and `?` as wildcards (StringLike,
    /// ArnLike, ...), whatever the value holds.
    pub fn operator_matches_wildcards(&self) -> bool {
        self.operator.is_some_and(|op| op.base.supports_wildcards())
    }

    /// Whether `*` and `?` in the value are wildcards under its operator.
    pub fn has_wildcards(&self) -> bool {
        self.operator_matches_wildcards() && has_wildcard(self.value.value)
    }
}

/// A `kms:ViaService` value: `<service>.<region>.amazonaws.com`.
#[derive(Clone, Copy, Debug)]
pub struct ViaServiceValue<'t> {
    pub text: ConditionText<'t>,
    /// The first label (`fsx`, `elasticfilesystem`, `s3`).
    pub service_name: &'t str,
    /// The region label, when it is a concrete region (no wildcard).
    pub region: Option<&'t str>,
}

/// A reference to a service's service-linked role: a principal ARN, or an
/// `aws:PrincipalArn` condition value.
#[derive(Clone, Debug)]
pub struct RoleReference<'t> {
    pub service: ServiceId,
    pub value: &'t str,
    pub range: TextRange,
    /// In `Principal` (else in a condition).
    pub in_principal: bool,
    /// The 12-digit account of the ARN.
    pub account: Option<&'t str>,
    /// The file-system or cache id after the role-name prefix, when concrete.
    pub resource_id: Option<&'t str>,
    /// What is wrong with the ARN, if anything.
    pub problems: Vec<RoleArnProblem>,
}

/// Why a service-linked role ARN cannot name the role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleArnProblem {
    /// Not `arn:<partition>:iam::<account>:role/...` (for example an STS
    /// assumed-role ARN, or no ARN at all).
    NotARoleArn,
    /// The role's path is missing or another one.
    WrongPath { found: String, expected: String },
    /// Nothing after the role-name prefix.
    MissingId,
    /// The id is not a file-system (`fs-...`) or cache (`fc-...`) id.
    MalformedId { id: String },
    /// The account is not a 12-digit id.
    MalformedAccount { account: String },
}

/// An `aws:userid` value that matches the service-linked role's sessions
/// (`*:FSx`).
#[derive(Clone, Copy, Debug)]
pub struct SessionUserId<'t> {
    pub service: ServiceId,
    pub text: ConditionText<'t>,
    /// The role id before the colon, when the value gives a concrete one.
    pub role_id: Option<&'t str>,
}

/// A service principal that names one of the modelled services
/// (`fsx.amazonaws.com`, `elasticfilesystem.us-east-1.amazonaws.com`,
/// `cloudtrail.amazonaws.com`).
#[derive(Clone, Copy, Debug)]
pub struct ServicePrincipalRef<'t> {
    pub text: Text<'t>,
    /// The service it names: one that calls AWS KMS as this principal, or
    /// one that never does (see [`ServiceModel::service_principal`]).
    pub service: ServiceId,
    /// The region label, when the value has one.
    pub region: Option<&'t str>,
}

impl ServicePrincipalRef<'_> {
    /// Whether the service calls AWS KMS as this principal.
    pub fn is_caller(&self) -> bool {
        self.service.model().caller.kind == CallerKind::ServicePrincipal
    }
}

/// Why a statement is taken to be meant for a service.
#[derive(Clone, Debug)]
pub struct Purpose {
    pub service: ServiceId,
    /// The text that says so.
    pub range: TextRange,
    pub what: String,
    /// Weak evidence: a service principal, which the service never uses.
    pub weak: bool,
}

/// What one statement says about services.
#[derive(Clone, Debug)]
pub struct StatementReading<'t> {
    pub index: usize,
    pub allow: bool,
    pub via_services: Vec<ViaServiceValue<'t>>,
    /// Values of `kms:CallerAccount` under positive operators.
    pub caller_accounts: Vec<ConditionText<'t>>,
    pub roles: Vec<RoleReference<'t>>,
    pub session_user_ids: Vec<SessionUserId<'t>>,
    /// Values of the context keys with parameters that the services send
    /// (`kms:EncryptionContext:aws:s3:arn`, `aws:SourceArn`...), under
    /// positive operators.
    pub contexts: Vec<ConditionText<'t>>,
    pub service_principals: Vec<ServicePrincipalRef<'t>>,
    /// The services the statement is meant for (Allow statements only); the
    /// first purpose per service. `fsx` stands for every service of its
    /// route (FSx, FSx for Lustre, File Cache).
    pub purposes: Vec<Purpose>,
    /// Condition values on keys that describe the caller rather than the
    /// request (`aws:PrincipalOrgID`...), under positive operators.
    pub identity_conditions: Vec<ConditionText<'t>>,
    /// Condition values on keys that describe the resource a service
    /// principal acts for (`aws:SourceArn`, `aws:SourceOrgID`...), under
    /// positive operators.
    pub source_conditions: Vec<ConditionText<'t>>,
    /// Deny statements: what a caller must be for the Deny to spare it,
    /// read from negated conditions on identity keys (`StringNotEquals
    /// aws:PrincipalOrgID o-...`) and from `Bool` ones (`"aws:MultiFactorAuthPresent": "false"`).
    pub identity_requirements: Vec<ConditionText<'t>>,
    /// `Principal: "*"` or `{"AWS": "*"}`.
    pub principal_everyone: bool,
    /// The statement uses `NotPrincipal`.
    pub not_principal: bool,
    /// AWS principal values (ARNs, account ids), in order.
    pub aws_principals: Vec<Text<'t>>,
    /// The catalogue actions its `Action` (or `NotAction`) covers.
    pub actions: crate::catalog::ActionSet,
}

impl<'t> StatementReading<'t> {
    /// Whether the statement is meant for `service` or a service of the same route.
    pub fn is_meant_for(&self, service: ServiceId) -> bool {
        let route = service.route();
        self.purposes.iter().any(|p| p.service.route() == route)
    }

    /// Whether its `Action` (or `NotAction`) covers a catalogue action.
    pub fn covers_action(&self, action: &str) -> bool {
        crate::catalog::catalog()
            .action_position(action)
            .is_some_and(|i| self.actions.contains(i))
    }

    pub fn purpose_for(&self, service: ServiceId) -> Option<&Purpose> {
        let route = service.route();
        self.purposes.iter().find(|p| p.service.route() == route)
    }

    fn read(statement: &Statement<'t>) -> StatementReading<'t> {
        let mut reading = StatementReading {
            index: statement.index,
            allow: statement.is_allow(),
            via_services: Vec::new(),
            caller_accounts: Vec::new(),
            roles: Vec::new(),
            session_user_ids: Vec::new(),
            contexts: Vec::new(),
            service_principals: Vec::new(),
            purposes: Vec::new(),
            identity_conditions: Vec::new(),
            source_conditions: Vec::new(),
            identity_requirements: Vec::new(),
            principal_everyone: false,
            not_principal: statement.not_principal.is_some(),
            aws_principals: Vec::new(),
            actions: statement.covered_actions(),
        };
        if let Some(principal) = &statement.principal {
            for (kind, text) in principal.values() {
                match kind {
                    Some(PrincipalKind::Aws) if text.value == "*" => {
                        reading.principal_everyone = true
                    }
                    Some(PrincipalKind::Aws) => {
                        reading.aws_principals.push(text);
                        reading
                            .roles
                            .extend(role_reference(text.value, text.range, true));
                    }
                    Some(PrincipalKind::Service) => {
                        reading.service_principals.extend(service_principal(text));
                    }
                    _ => {}
                }
            }
        }
        if let Some(block) = &statement.condition {
            reading.read_conditions(block);
        }
        if reading.allow {
            reading.find_purposes();
        }
        reading
    }

    fn read_conditions(&mut self, block: &ConditionBlock<'t>) {
        for (op, key) in block.entries() {
            let operator = op.operator;
            if !self.allow && is_identity_key(key.key.value) {
                let spares_by_value = operator.is_some_and(|o| {
                    o.base.is_negated() || o.base.family() == crate::model::OperatorFamily::Bool
                });
                if spares_by_value {
                    if let Some(value) = key.values.first() {
                        self.identity_requirements.push(ConditionText {
                            value: *value,
                            operator,
                            operator_range: op.name.range,
                            key: key.key,
                        });
                    }
                }
            }
            // Negated operators and `Null` say what a request must not be, not
            // what it is: they are no evidence of a service.
            let positive = operator.is_some_and(|o| {
                !o.base.is_negated() && o.base != crate::model::BaseOperator::Null
            });
            if !positive {
                continue;
            }
            let name = key.key.value;
            for value in &key.values {
                if value.kind != ValueKind::String {
                    if is_identity_key(name) {
                        self.identity_conditions.push(ConditionText {
                            value: *value,
                            operator,
                            operator_range: op.name.range,
                            key: key.key,
                        });
                    }
                    continue;
                }
                let text = ConditionText {
                    value: *value,
                    operator,
                    operator_range: op.name.range,
                    key: key.key,
                };
                if crate::aws::caller_key(name) == Some(CallerKey::Source) {
                    self.source_conditions.push(text);
                }
                if name.eq_ignore_ascii_case("kms:ViaService") {
                    if let Some(v) = via_service_value(text) {
                        self.via_services.push(v);
                    }
                } else if name.eq_ignore_ascii_case("kms:CallerAccount") {
                    self.caller_accounts.push(text);
                } else if is_parameter_key(name) {
                    self.contexts.push(text);
                } else if name.eq_ignore_ascii_case("aws:PrincipalArn") {
                    self.roles
                        .extend(role_reference(value.value, value.range, false));
                    self.identity_conditions.push(text);
                } else if name.eq_ignore_ascii_case("aws:userid") {
                    match session_user_id(text) {
                        Some(s) => self.session_user_ids.push(s),
                        None => self.identity_conditions.push(text),
                    }
                } else if is_identity_key(name) {
                    self.identity_conditions.push(text);
                }
            }
        }
    }

    /// A statement that names a service-linked role (or matches its sessions)
    /// is meant for that role's service, whatever its `kms:ViaService` says;
    /// otherwise the `kms:ViaService` values say which forward-access service
    /// it is for, when it allows any of that service's requests; a service
    /// principal is weak evidence of the same.
    fn find_purposes(&mut self) {
        fn add(purposes: &mut Vec<Purpose>, p: Purpose) {
            if !purposes
                .iter()
                .any(|q| q.service.route() == p.service.route())
            {
                purposes.push(p);
            }
        }
        let mut purposes: Vec<Purpose> = Vec::new();
        for role in &self.roles {
            add(
                &mut purposes,
                Purpose {
                    service: role.service,
                    range: role.range,
                    what: format!(
                        "the service-linked role {}",
                        role.value.rsplit('/').next().unwrap_or(role.value)
                    ),
                    weak: false,
                },
            );
        }
        for session in &self.session_user_ids {
            add(
                &mut purposes,
                Purpose {
                    service: session.service,
                    range: session.text.value.range,
                    what: format!(
                        "aws:userid \"{}\" (the service-linked role's sessions)",
                        session.text.value.value
                    ),
                    weak: false,
                },
            );
        }
        let linked = purposes
            .iter()
            .any(|p| p.service.model().caller.kind == CallerKind::ServiceLinkedRole);
        if !linked {
            for via in &self.via_services {
                // A statement that allows none of the service's requests
                // (`kms:CreateAlias` through `ec2`, as AWS's CloudTrail
                // console policy writes) is not meant for them.
                let model = forward_access_model(via.service_name).filter(|m| {
                    m.permissions
                        .iter()
                        .filter(|p| p.need.is_checked())
                        .flat_map(|p| &p.actions)
                        .any(|a| self.covers_action(a))
                });
                if let Some(model) = model {
                    add(
                        &mut purposes,
                        Purpose {
                            service: model.id,
                            range: via.text.value.range,
                            what: format!("kms:ViaService \"{}\"", via.text.value.value),
                            weak: false,
                        },
                    );
                }
            }
            for sp in &self.service_principals {
                if sp.service.model().caller.kind == CallerKind::ForwardAccess {
                    add(
                        &mut purposes,
                        Purpose {
                            service: sp.service,
                            range: sp.text.range,
                            what: format!("the service principal \"{}\"", sp.text.value),
                            weak: true,
                        },
                    );
                }
            }
        }
        // A service that calls AWS KMS as its service principal.
        for sp in self.service_principals.iter().filter(|sp| sp.is_caller()) {
            add(
                &mut purposes,
                Purpose {
                    service: sp.service,
                    range: sp.text.range,
                    what: format!("the service principal \"{}\"", sp.text.value),
                    weak: false,
                },
            );
        }
        self.purposes = purposes;
    }
}

/// A service-linked role ARN that names no role, owned (for the rules).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedRole {
    pub statement: usize,
    pub service: ServiceId,
    pub value: String,
    pub range: TextRange,
    pub in_principal: bool,
    pub account: Option<String>,
    pub resource_id: Option<String>,
    pub problems: Vec<RoleArnProblem>,
}

/// A service principal that the service never calls AWS KMS as, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnusedServicePrincipal {
    pub statement: usize,
    pub service: ServiceId,
    pub value: String,
    pub range: TextRange,
    pub region: Option<String>,
}

impl PolicyReading<'_> {
    /// Every reference to a service-linked role whose ARN names no role.
    pub fn malformed_roles(&self) -> Vec<MalformedRole> {
        let mut out = Vec::new();
        for statement in &self.statements {
            for role in statement.roles.iter().filter(|r| !r.problems.is_empty()) {
                out.push(MalformedRole {
                    statement: statement.index,
                    service: role.service,
                    value: role.value.to_string(),
                    range: role.range,
                    in_principal: role.in_principal,
                    account: role.account.map(str::to_string),
                    resource_id: role.resource_id.map(str::to_string),
                    problems: role.problems.clone(),
                });
            }
        }
        out
    }

    /// Service principals in Allow statements that the service never uses:
    /// forward-access services never appear as principals; S3 appears as
    /// one for other features (event notifications, inventory reports), so
    /// only a statement about SSE-KMS objects (with `kms:ViaService`
    /// `s3.<region>` or an `aws:s3:arn` encryption context) is judged.
    pub fn unused_service_principals(&self) -> Vec<UnusedServicePrincipal> {
        let mut out = Vec::new();
        for statement in self.statements.iter().filter(|s| s.allow) {
            for sp in &statement.service_principals {
                let model = sp.service.model();
                let Some(principal) = &model.service_principal else {
                    continue;
                };
                let never_used = principal.never_calls_kms || {
                    // Judged only in a statement about this service's requests.
                    let name = model.route.name;
                    statement
                        .via_services
                        .iter()
                        .any(|v| v.service_name.eq_ignore_ascii_case(name))
                        || statement.contexts.iter().any(|c| {
                            model.context.iter().any(|e| {
                                e.key.eq_ignore_ascii_case(c.key.value)
                                    && starts_with_ignore_case(&e.key, "kms:EncryptionContext:")
                            })
                        })
                };
                if never_used {
                    out.push(UnusedServicePrincipal {
                        statement: statement.index,
                        service: sp.service,
                        value: sp.text.value.to_string(),
                        range: sp.text.range,
                        region: sp.region.map(str::to_string),
                    });
                }
            }
        }
        out
    }
}

/// The first model (in [`ServiceId`] order) of a forward-access service
/// that a `kms:ViaService` name shows: `fsx` → Amazon FSx.
fn forward_access_model(via_service_name: &str) -> Option<&'static ServiceModel> {
    models().iter().find(|m| {
        m.caller.kind == CallerKind::ForwardAccess
            && m.inference.via_service
            && m.route.name.eq_ignore_ascii_case(via_service_name)
    })
}

/// Whether a condition key is one whose value a service's template gives
/// with a parameter (what a policy's value on it tells about the parameter).
fn is_parameter_key(name: &str) -> bool {
    static KEYS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<&'static str> = models()
            .iter()
            .flat_map(|m| m.context_entries_with_parameters())
            .map(|e| e.key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    })
    .iter()
    .any(|k| k.eq_ignore_ascii_case(name))
}

/// Keys that describe who the caller is rather than what the service sends.
/// A representative caller takes the values a statement asks of them (it
/// stands for the principals the statement means).
pub fn is_identity_key(name: &str) -> bool {
    matches!(
        crate::aws::caller_key(name),
        Some(CallerKey::Identity | CallerKey::Attribute)
    )
}

/// `fsx.us-east-1.amazonaws.com` → (`fsx`, `us-east-1`).
fn via_service_value(text: ConditionText<'_>) -> Option<ViaServiceValue<'_>> {
    let via = ViaService::parse(text.value.value)?;
    if via.service.is_empty() || has_wildcard(via.service) {
        return None;
    }
    Some(ViaServiceValue {
        text,
        service_name: via.service,
        region: via.concrete_region(),
    })
}

/// `*:FSx` or `AROA...:FSx`: a session of a service-linked role.
fn session_user_id(text: ConditionText<'_>) -> Option<SessionUserId<'_>> {
    let (role_id, session) = text.value.value.rsplit_once(':')?;
    let model = models().iter().find(|m| {
        m.caller.kind == CallerKind::ServiceLinkedRole
            && m.caller.session_name.as_deref() == Some(session)
    })?;
    let concrete = !role_id.is_empty() && !has_wildcard(role_id);
    Some(SessionUserId {
        service: model.id,
        text,
        role_id: concrete.then_some(role_id),
    })
}

/// A service principal of a modelled service: `<name>.amazonaws.com` or
/// `<name>.<region>.amazonaws.com`: the first service (in [`ServiceId`]
/// order) that calls AWS KMS as it, else the first that says what it means.
fn service_principal(text: Text<'_>) -> Option<ServicePrincipalRef<'_>> {
    let principal = ServicePrincipal::parse(text.value)?;
    let name = principal.service;
    let model = models()
        .iter()
        .find(|m| {
            m.caller.kind == CallerKind::ServicePrincipal && m.route.name.eq_ignore_ascii_case(name)
        })
        .or_else(|| {
            models().iter().find(|m| {
                m.service_principal
                    .as_ref()
                    .is_some_and(|p| p.name.eq_ignore_ascii_case(name))
            })
        })?;
    Some(ServicePrincipalRef {
        text,
        service: model.id,
        region: principal.region,
    })
}

/// A reference to a modelled service-linked role, with what is wrong with it.
fn role_reference(value: &str, range: TextRange, in_principal: bool) -> Option<RoleReference<'_>> {
    let (model, at) = models().iter().find_map(|m| {
        let name = m.caller.role_name.as_deref()?;
        find_ignore_case(value, name).map(|at| (m, at))
    })?;
    let prefix_len = model.caller.role_name.as_deref().map_or(0, str::len);
    let id_parameter = model
        .caller
        .role_id
        .as_deref()
        .and_then(|p| model.parameter(p));
    let expected_path = model.caller.path.clone().unwrap_or_default();
    let mut reference = RoleReference {
        service: model.id,
        value,
        range,
        in_principal,
        account: None,
        resource_id: None,
        problems: Vec::new(),
    };
    let id = &value[at + prefix_len..];
    // In a condition under a wildcard operator, a pattern may stand for any
    // part; only what is concrete is judged, and what a template leaves
    // unknown is not.
    let judge = |s: &str| (in_principal || !has_wildcard(s)) && !crate::symbolic::has_unknown(s);
    match id_parameter {
        // A role named after a resource: the id must follow.
        Some(_) if id.is_empty() => reference.problems.push(RoleArnProblem::MissingId),
        Some(_) if crate::symbolic::is_unknown(id) => {
            // The id of a cache or file system the template creates.
            reference.resource_id = Some(id);
        }
        Some(parameter) if judge(id) => {
            if parameter.fits_patterns(id) {
                reference.resource_id = Some(id);
            } else {
                reference
                    .problems
                    .push(RoleArnProblem::MalformedId { id: id.to_string() });
            }
        }
        Some(_) => {}
        // A role of fixed name, or with a custom suffix (`_suffix`).
        None if id.is_empty() || id.starts_with('_') || !judge(id) => {
            reference.resource_id = (!id.is_empty()).then_some(id);
        }
        None => reference
            .problems
            .push(RoleArnProblem::MalformedId { id: id.to_string() }),
    }
    match Arn::parse(&value[..at]) {
        Some(Arn {
            service: "iam",
            region: "",
            account,
            resource,
            ..
        }) if resource.starts_with("role/") || resource == "role" => {
            if is_account_id(account) {
                reference.account = Some(account);
            } else if judge(account) {
                reference.problems.push(RoleArnProblem::MalformedAccount {
                    account: account.to_string(),
                });
            }
            let path = &resource["role".len()..];
            if judge(path) && path != expected_path {
                reference.problems.push(RoleArnProblem::WrongPath {
                    found: path.to_string(),
                    expected: expected_path,
                });
            }
        }
        _ => reference.problems.insert(0, RoleArnProblem::NotARoleArn),
    }
    Some(reference)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
    let first = pin[0].to_ascii_lowercase();
    // Runs for every principal and condition value against every service's
    // role prefix: look at the first byte before comparing the rest.
    (0..=hay.len() - pin.len()).find(|&i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i..i + pin.len()].eq_ignore_ascii_case(pin)
            // An ASCII needle can only match on character boundaries.
            && (needle.is_ascii()
                || (haystack.is_char_boundary(i) && haystack.is_char_boundary(i + pin.len())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn read(text: &str) -> Vec<StatementReading<'static>> {
        let text: &'static str = Box::leak(text.to_string().into_boxed_str());
        let parse = Box::leak(Box::new(parse(text)));
        let policy = Policy::from_tree(&parse.tree);
        PolicyReading::read(&policy).statements
    }

    #[test]
    fn s3_link_statement_is_read() {
        let s = read(
            r#"{"Statement": [{"Effect": "Allow",
              "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
              "Action": "kms:Decrypt", "Resource": "*",
              "Condition": {
                "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-west-2.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket/*"}}}]}"#,
        );
        let s = &s[0];
        assert_eq!(s.purposes.len(), 1);
        assert_eq!(s.purposes[0].service, "s3-link");
        assert_eq!(s.roles[0].account, Some("111122223333"));
        assert_eq!(s.roles[0].resource_id, Some("fc-0123456789abcdef0"));
        assert!(s.roles[0].problems.is_empty(), "{:?}", s.roles[0].problems);
        assert_eq!(s.via_services[0].region, Some("us-west-2"));
        assert_eq!(
            s.contexts[0].value.value,
            "arn:aws:s3:::amzn-s3-demo-bucket/*"
        );
        assert_eq!(s.caller_accounts[0].value.value, "111122223333");
    }

    #[test]
    fn malformed_roles() {
        let s = read(
            r#"{"Statement": [{"Effect": "Allow",
              "Principal": {"AWS": ["arn:aws:iam::111122223333:role/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0",
                                    "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_",
                                    "arn:aws:iam::aws_account_id:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_file_cache_id"]},
              "Action": "kms:Decrypt", "Resource": "*"}]}"#,
        );
        let roles = &s[0].roles;
        assert!(matches!(
            roles[0].problems[..],
            [RoleArnProblem::WrongPath { .. }]
        ));
        assert_eq!(roles[1].problems, [RoleArnProblem::MissingId]);
        assert_eq!(roles[2].problems.len(), 2, "{:?}", roles[2].problems);
    }

    #[test]
    fn forward_access_purposes_and_service_principals() {
        let s = read(
            r#"{"Statement": [
              {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
               "Condition": {"StringEquals": {"kms:ViaService": ["fsx.eu-west-1.amazonaws.com", "elasticfilesystem.eu-west-1.amazonaws.com"]}}},
              {"Effect": "Allow", "Principal": {"Service": "fsx.amazonaws.com"}, "Action": "kms:*", "Resource": "*"},
              {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
               "Condition": {"StringNotEquals": {"kms:ViaService": "fsx.eu-west-1.amazonaws.com"}}},
              {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
               "Condition": {"StringLike": {"aws:userid": "*:FSx"}, "StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}}
            ]}"#,
        );
        let services = |i: usize| s[i].purposes.iter().map(|p| p.service).collect::<Vec<_>>();
        assert_eq!(services(0), ["fsx", "efs"]);
        assert_eq!(services(1), ["fsx"]);
        assert!(s[1].purposes[0].weak);
        assert!(services(2).is_empty());
        assert!(
            s[2].via_services.is_empty(),
            "negated operators are no evidence"
        );
        assert_eq!(
            services(3),
            ["s3-link"],
            "the session pattern decides, not the ViaService"
        );
        let id = |name: &str| ServiceId::parse(name).unwrap();
        assert!(s[3].is_meant_for(id("s3-link")));
        assert!(!s[3].is_meant_for(id("file-cache")));
        assert!(s[0].is_meant_for(id("file-cache")));
    }

    #[test]
    fn a_via_service_statement_that_allows_none_of_the_requests_is_not_meant_for_them() {
        // AWS's CloudTrail console policy lets the account create aliases
        // through EC2: no FSx or EBS request is kms:CreateAlias.
        let s = read(
            r#"{"Statement": [
              {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:CreateAlias", "Resource": "*",
               "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}},
              {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:CreateAlias", "kms:Decrypt"], "Resource": "*",
               "Condition": {"StringEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}}
            ]}"#,
        );
        assert!(s[0].purposes.is_empty());
        assert_eq!(s[1].purposes.len(), 1);
        assert!(s[1].covers_action("kms:Decrypt"));
        assert!(!s[1].covers_action("kms:CreateGrant"));
    }

    #[test]
    fn identity_keys() {
        assert!(is_identity_key("aws:PrincipalOrgID"));
        assert!(is_identity_key("aws:principaltag/team"));
        assert!(!is_identity_key("aws:PrincipalTag/"));
        assert!(!is_identity_key("kms:ViaService"));
    }
}
