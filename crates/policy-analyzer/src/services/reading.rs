//! What the statements of a policy say about services: the `kms:ViaService`
//! values, the service-linked roles they name, the `aws:userid` session
//! patterns, the S3 encryption contexts, the accounts in `kms:CallerAccount`
//! and the service principals, each with its range. This is reading, not
//! judging: whether a request is allowed is the evaluator's question. The
//! reading tells which statements are meant for which service (their
//! purpose), which the inference, the callers of the requests and the
//! explanations of denials build on.

use super::model::{models, CallerKind, ServiceId, ServiceModel};
use super::profile::is_account_id;
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
    /// Whether `*` and `?` in the value are wildcards under its operator.
    pub fn has_wildcards(&self) -> bool {
        self.operator.is_some_and(|op| op.base.supports_wildcards())
            && has_wildcard(self.value.value)
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

/// The S3 ARN forms of `kms:EncryptionContext:aws:s3:arn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3ArnForm {
    /// `arn:aws:s3:::bucket/...`: objects, which S3 sends without Bucket Keys.
    Object,
    /// `arn:aws:s3:::bucket`: the bucket, which S3 sends with Bucket Keys.
    Bucket,
    /// `arn:aws:s3:::bucket*` and other patterns that may match both.
    Pattern,
}

/// A `kms:EncryptionContext:aws:s3:arn` value.
#[derive(Clone, Copy, Debug)]
pub struct S3ContextValue<'t> {
    pub text: ConditionText<'t>,
    pub form: S3ArnForm,
    /// The bucket name, when concrete.
    pub bucket: Option<&'t str>,
    /// For the object form: what follows `bucket/`.
    pub object_pattern: Option<&'t str>,
}

/// A service principal that names one of the modelled services
/// (`fsx.amazonaws.com`, `elasticfilesystem.us-east-1.amazonaws.com`).
#[derive(Clone, Copy, Debug)]
pub struct ServicePrincipalRef<'t> {
    pub text: Text<'t>,
    /// The services that call AWS KMS this way, i.e. never as this principal.
    pub service: ServiceId,
    /// The region label, when the value has one.
    pub region: Option<&'t str>,
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
    pub s3_contexts: Vec<S3ContextValue<'t>>,
    pub service_principals: Vec<ServicePrincipalRef<'t>>,
    /// The services the statement is meant for (Allow statements only); the
    /// first purpose per service. `fsx` stands for every service of its
    /// route (FSx, FSx for Lustre, File Cache).
    pub purposes: Vec<Purpose>,
    /// Condition values on keys that describe the caller rather than the
    /// request (`aws:PrincipalOrgID`...), under positive operators.
    pub identity_conditions: Vec<ConditionText<'t>>,
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
}

impl<'t> StatementReading<'t> {
    /// Whether the statement is meant for `service` or a service of the same route.
    pub fn is_meant_for(&self, service: ServiceId) -> bool {
        let route = service.route();
        self.purposes.iter().any(|p| p.service.route() == route)
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
            s3_contexts: Vec::new(),
            service_principals: Vec::new(),
            purposes: Vec::new(),
            identity_conditions: Vec::new(),
            identity_requirements: Vec::new(),
            principal_everyone: false,
            not_principal: statement.not_principal.is_some(),
            aws_principals: Vec::new(),
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
                if name.eq_ignore_ascii_case("kms:ViaService") {
                    if let Some(v) = via_service_value(text) {
                        self.via_services.push(v);
                    }
                } else if name.eq_ignore_ascii_case("kms:CallerAccount") {
                    self.caller_accounts.push(text);
                } else if name.eq_ignore_ascii_case("kms:EncryptionContext:aws:s3:arn") {
                    if let Some(v) = s3_context_value(text) {
                        self.s3_contexts.push(v);
                    }
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
    /// it is for; a service principal is weak evidence of the same.
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
                if let Some(model) = forward_access_model(via.service_name) {
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
                let never_used = match model.caller.kind {
                    CallerKind::ForwardAccess => true,
                    CallerKind::ServiceLinkedRole => {
                        let name = model.via_service.service_name();
                        statement
                            .via_services
                            .iter()
                            .any(|v| v.service_name.eq_ignore_ascii_case(name))
                            || !statement.s3_contexts.is_empty()
                    }
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

/// The first model (in [`ServiceId::ALL`] order) of a forward-access
/// service with this `kms:ViaService` name: `fsx` → Amazon FSx.
fn forward_access_model(via_service_name: &str) -> Option<&'static ServiceModel> {
    models().iter().find(|m| {
        m.caller.kind == CallerKind::ForwardAccess
            && m.via_service
                .service_name()
                .eq_ignore_ascii_case(via_service_name)
    })
}

/// Keys that describe who the caller is rather than what the service sends.
/// A representative caller takes the values a statement asks of them (it
/// stands for the principals the statement means).
pub fn is_identity_key(name: &str) -> bool {
    const KEYS: [&str; 8] = [
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalType",
        "aws:userid",
        "aws:username",
        "aws:SourceIdentity",
        "aws:MultiFactorAuthPresent",
    ];
    const TAG_PREFIX: &str = "aws:PrincipalTag/";
    KEYS.iter().any(|k| k.eq_ignore_ascii_case(name))
        || (name.len() > TAG_PREFIX.len()
            && name
                .get(..TAG_PREFIX.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(TAG_PREFIX)))
}

/// `fsx.us-east-1.amazonaws.com` → (`fsx`, `us-east-1`).
fn via_service_value(text: ConditionText<'_>) -> Option<ViaServiceValue<'_>> {
    let value = text.value.value;
    let rest = value.strip_suffix(".amazonaws.com")?;
    let (service_name, region) = rest.split_once('.')?;
    if service_name.is_empty() || has_wildcard(service_name) {
        return None;
    }
    let region = (!region.is_empty() && !has_wildcard(region) && !region.contains(['.', '$', '{']))
        .then_some(region);
    Some(ViaServiceValue {
        text,
        service_name,
        region,
    })
}

/// `arn:aws:s3:::bucket/prefix/*` → object form of `bucket`.
fn s3_context_value(text: ConditionText<'_>) -> Option<S3ContextValue<'_>> {
    let value = text.value.value;
    let mut parts = value.splitn(6, ':');
    let (arn, _partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" || service != "s3" || !region.is_empty() || !account.is_empty() {
        return None;
    }
    let wildcards = text.operator.is_some_and(|op| op.base.supports_wildcards());
    let concrete = |s: &str| !s.is_empty() && (!wildcards || !has_wildcard(s));
    Some(match resource.split_once('/') {
        Some((bucket, object)) => S3ContextValue {
            text,
            form: S3ArnForm::Object,
            bucket: concrete(bucket).then_some(bucket),
            object_pattern: Some(object),
        },
        None if concrete(resource) => S3ContextValue {
            text,
            form: S3ArnForm::Bucket,
            bucket: Some(resource),
            object_pattern: None,
        },
        None => S3ContextValue {
            text,
            form: S3ArnForm::Pattern,
            bucket: None,
            object_pattern: None,
        },
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
/// `<name>.<region>.amazonaws.com`.
fn service_principal(text: Text<'_>) -> Option<ServicePrincipalRef<'_>> {
    let rest = text.value.strip_suffix(".amazonaws.com")?;
    let (name, region) = match rest.split_once('.') {
        Some((name, region)) => (name, Some(region)),
        None => (rest, None),
    };
    let model = models()
        .iter()
        .find(|m| m.via_service.service_name().eq_ignore_ascii_case(name))?;
    Some(ServicePrincipalRef {
        text,
        service: model.id,
        region: region.filter(|r| !r.is_empty()),
    })
}

/// A reference to a modelled service-linked role, with what is wrong with it.
fn role_reference(value: &str, range: TextRange, in_principal: bool) -> Option<RoleReference<'_>> {
    let (model, at) = models().iter().find_map(|m| {
        let prefix = m.caller.role_name_prefix.as_deref()?;
        find_ignore_case(value, prefix).map(|at| (m, at))
    })?;
    let prefix_len = model.caller.role_name_prefix.as_deref().map_or(0, str::len);
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
    if id.is_empty() {
        reference.problems.push(RoleArnProblem::MissingId);
    } else if crate::symbolic::is_unknown(id) {
        // The id of a cache or file system the template creates.
        reference.resource_id = Some(id);
    } else if judge(id) {
        if is_resource_id(id) {
            reference.resource_id = Some(id);
        } else {
            reference
                .problems
                .push(RoleArnProblem::MalformedId { id: id.to_string() });
        }
    }
    let parts: Vec<&str> = value[..at].splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, resource]
            if resource.starts_with("role/") || *resource == "role" =>
        {
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

/// `fs-0123456789abcdef0` or `fc-01234567890`.
fn is_resource_id(id: &str) -> bool {
    let Some((kind, rest)) = id.split_once('-') else {
        return false;
    };
    matches!(kind, "fs" | "fc")
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
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
        assert_eq!(s.purposes[0].service, ServiceId::S3Link);
        assert_eq!(s.roles[0].account, Some("111122223333"));
        assert_eq!(s.roles[0].resource_id, Some("fc-0123456789abcdef0"));
        assert!(s.roles[0].problems.is_empty(), "{:?}", s.roles[0].problems);
        assert_eq!(s.via_services[0].region, Some("us-west-2"));
        assert_eq!(s.s3_contexts[0].form, S3ArnForm::Object);
        assert_eq!(s.s3_contexts[0].bucket, Some("amzn-s3-demo-bucket"));
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
        assert_eq!(services(0), [ServiceId::Fsx, ServiceId::Efs]);
        assert_eq!(services(1), [ServiceId::Fsx]);
        assert!(s[1].purposes[0].weak);
        assert!(services(2).is_empty());
        assert!(
            s[2].via_services.is_empty(),
            "negated operators are no evidence"
        );
        assert_eq!(
            services(3),
            [ServiceId::S3Link],
            "the session pattern decides, not the ViaService"
        );
        assert!(s[3].is_meant_for(ServiceId::S3Link));
        assert!(!s[3].is_meant_for(ServiceId::FileCache));
        assert!(s[0].is_meant_for(ServiceId::FileCache));
    }

    #[test]
    fn identity_keys() {
        assert!(is_identity_key("aws:PrincipalOrgID"));
        assert!(is_identity_key("aws:principaltag/team"));
        assert!(!is_identity_key("aws:PrincipalTag/"));
        assert!(!is_identity_key("kms:ViaService"));
    }
}
