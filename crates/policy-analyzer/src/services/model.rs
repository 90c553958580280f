//! The service models: what each AWS service needs from a customer managed
//! key, as data. One TOML file per service under `services/data/`, whose
//! name is the service's id; the build embeds every file there and they are
//! parsed once. Every fact in them names its source. `docs/adding-a-service.md`
//! describes the format.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::matcher::has_wildcard;
use crate::services::reading::ConditionText;

/// The data files, `(id, text)`, in id order (see `build.rs`).
const DATA: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/service_data.rs"));

/// A service the analyzer models: the name of its data file
/// (`services/data/fsx-lustre.toml` is `fsx-lustre`), which is also the name
/// a profile uses (`services = ["file-cache", "s3-link"]`). Services order
/// by name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(u16);

impl ServiceId {
    /// Every service, in name order.
    pub fn all() -> impl Iterator<Item = ServiceId> + Clone {
        (0..models().len()).map(|i| ServiceId(i as u16))
    }

    /// The name a profile uses.
    pub fn as_str(self) -> &'static str {
        DATA[self.0 as usize].0
    }

    pub fn parse(name: &str) -> Option<ServiceId> {
        DATA.iter()
            .position(|(id, _)| *id == name)
            .map(|i| ServiceId(i as u16))
    }

    /// The service's model.
    pub fn model(self) -> &'static ServiceModel {
        &models()[self.0 as usize]
    }

    /// The services that reach AWS KMS the same way (same caller kind and the
    /// same `kms:ViaService` or service principal name): a statement written
    /// for one of them serves all of them. FSx, FSx for Lustre and File Cache
    /// all call through `fsx.<region>.amazonaws.com` with the caller's
    /// identity.
    pub fn route(self) -> Route {
        self.model().route
    }
}

impl std::fmt::Debug for ServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A service compares equal to its profile name (`fsx == "fsx"`).
impl PartialEq<str> for ServiceId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ServiceId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for ServiceId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl std::fmt::Display for ServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServiceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        ServiceId::parse(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, service_names()))
    }
}

/// Every service's name, for messages.
pub fn service_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| DATA.iter().map(|(id, _)| *id).collect())
}

/// How a service reaches AWS KMS: who calls, through which service name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    pub caller: CallerKind,
    /// The first label of the `kms:ViaService` value (`fsx`, `s3`...), or of
    /// the service principal (`cloudtrail`).
    pub name: &'static str,
}

/// A document the facts come from: a page of the AWS documentation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Source {
    pub url: String,
    pub title: String,
}

/// What a service needs from a key, and how it calls AWS KMS.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceModel {
    /// The file's name.
    #[serde(skip, default = "no_id")]
    pub id: ServiceId,
    /// The service's name for messages (`Amazon FSx`).
    pub name: String,
    /// What the model covers (file-system types, persistent vs scratch).
    pub covers: String,
    pub sources: Vec<Source>,
    pub caller: CallerModel,
    /// How the service names itself in `kms:ViaService`, for services that
    /// call through another principal's identity.
    pub via_service: Option<ViaServiceModel>,
    pub key_spec: KeySpecModel,
    /// How a policy shows that a key serves the service.
    #[serde(default)]
    pub inference: InferenceModel,
    /// What the service's own service principal in a key policy means.
    pub service_principal: Option<ServicePrincipalModel>,
    /// The resources of a template or module that show the key serves the
    /// service (by their CloudFormation or Terraform type).
    #[serde(default)]
    pub resources: Vec<ResourceModel>,
    /// The values a profile may give for the service (beyond `region`,
    /// `account`, `key-spec` and `callers`), which its requests use.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The permissions the documentation lists, with their real actions.
    pub permissions: Vec<Permission>,
    /// The request context the service sends with its requests.
    pub context: Vec<ContextEntry>,
    /// Computed when the models load.
    #[serde(skip, default = "no_route")]
    pub route: Route,
}

fn no_id() -> ServiceId {
    ServiceId(u16::MAX)
}

fn no_route() -> Route {
    Route {
        caller: CallerKind::ForwardAccess,
        name: "",
    }
}

/// The document part of a fact's source, for short citations in messages:
/// a fact's source is written `<url>: <what it says>`.
pub fn source_document(source: &str) -> &str {
    source.split(": ").next().unwrap_or(source).trim()
}

/// Who calls AWS KMS when the service uses the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallerKind {
    /// Forward access: the service calls AWS KMS with the identity of the
    /// principal that uses the service (and `kms:ViaService` says which service).
    ForwardAccess,
    /// A service-linked role of the service, in the customer's account.
    ServiceLinkedRole,
    /// The service's own service principal (`cloudtrail.amazonaws.com`),
    /// acting for a resource of the customer's account.
    ServicePrincipal,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CallerModel {
    pub kind: CallerKind,
    pub source: String,
    /// Service-linked roles: the role's name, or the part of it before the
    /// resource id (`AWSServiceRoleForFSxS3Access_`).
    pub role_name: Option<String>,
    /// Service-linked roles named after a resource: the parameter whose
    /// value follows the name (`file-system-id`).
    pub role_id: Option<String>,
    /// Service-linked roles: the role's path, with both slashes.
    pub path: Option<String>,
    /// Service-linked roles: the session name the service uses (`aws:userid`
    /// is `<role-id>:<session-name>`).
    pub session_name: Option<String>,
    /// Service principals: the principal, with `{region}` where it is
    /// Regional (`logs.{region}.amazonaws.com`).
    pub principal: Option<Template>,
    /// Whether the caller's IAM policies can add to what the key policy
    /// delegates to the account. False for service-linked roles, whose
    /// permissions AWS defines.
    #[serde(default = "yes")]
    pub iam_policies_apply: bool,
    pub iam_policies_source: Option<String>,
    /// Where the requests may carry encryption-context pairs the model does
    /// not give (an S3 object's pairs are S3's `aws:s3:arn` plus those its
    /// writer added): the source that says so. A statement that requires
    /// such a pair may then apply, which the policy cannot show.
    pub added_context: Option<String>,
}

fn yes() -> bool {
    true
}

impl CallerModel {
    /// The service-linked role's ARN for an account and (for a role named
    /// after a resource) the resource's id.
    pub fn role_arn(&self, account: &str, resource_id: &str) -> Option<String> {
        let name = self.role_name.as_deref()?;
        let path = self.path.as_deref()?;
        Some(format!(
            "arn:aws:iam::{account}:role{path}{name}{resource_id}"
        ))
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ViaServiceModel {
    /// `fsx.{region}.amazonaws.com`.
    pub template: String,
    /// The parameter that gives the Region the value names, when it is not
    /// the profile's `region` (`bucket-region`: the linked bucket's).
    pub region: Option<String>,
    pub source: String,
}

impl ViaServiceModel {
    /// The value for a region.
    pub fn value(&self, region: &str) -> String {
        self.template.replace("{region}", region)
    }

    /// The service label of the value (`fsx`).
    pub fn service_name(&self) -> &str {
        self.template.split('.').next().unwrap_or_default()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeySpecModel {
    /// The key specs the service accepts (`SYMMETRIC_DEFAULT`).
    pub accepted: Vec<String>,
    pub source: String,
}

/// How a policy shows that a key serves the service.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InferenceModel {
    /// Whether a statement whose `kms:ViaService` names the service is taken
    /// to be meant for it. Services that share another's `kms:ViaService`
    /// (FSx for Lustre and File Cache call through `fsx`) leave it to that
    /// one, and are checked when a profile or a template names them.
    pub via_service: bool,
}

impl Default for InferenceModel {
    fn default() -> Self {
        InferenceModel { via_service: true }
    }
}

/// What the service's own service principal (`<name>.amazonaws.com`, or
/// with a Region) means in a statement that gives it the key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServicePrincipalModel {
    /// The principal's first label (`fsx`, `s3`).
    pub name: String,
    /// Whether the service never calls AWS KMS as it: such a statement is
    /// never used. False for a service whose principal other features use:
    /// then only a statement about this service's own requests (with its
    /// `kms:ViaService` or one of its encryption-context keys) is judged.
    pub never_calls_kms: bool,
    pub source: String,
}

/// A kind of resource that uses the key for the service, and the template
/// and module types that declare it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ResourceModel {
    /// The kind's name, which permissions and context entries may name
    /// (`trail`, `event-data-store`).
    pub kind: String,
    /// CloudFormation and Terraform resource types (`AWS::Logs::LogGroup`,
    /// `aws_cloudwatch_log_group`).
    pub types: Vec<String>,
    /// The top-level properties (CloudFormation), attributes or blocks
    /// (Terraform) through which such a resource names the key for this
    /// service (`BucketEncryption`, `server_side_encryption_configuration`),
    /// compared without regard to case; a key named under another one (an S3
    /// bucket's `ReplicationConfiguration`, which names the replicas' key)
    /// serves something else. Empty: any.
    #[serde(default)]
    pub key_properties: Vec<String>,
    pub source: String,
}

impl ResourceModel {
    /// Whether a resource of one of the types that names the key under
    /// `property` (when the host tells) uses it for the service.
    pub fn names_key_under(&self, property: Option<&str>) -> bool {
        self.key_properties.is_empty()
            || property.is_none_or(|p| {
                self.key_properties
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(p))
            })
    }
}

/// What a profile value of a parameter must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Any text.
    Text,
    /// `true` or `false`.
    Bool,
    /// A Region name, `us-east-1`.
    Region,
    /// A 12-digit account id.
    Account,
    /// An S3 bucket name.
    S3Bucket,
    /// An id that fits one of the parameter's `patterns`.
    ResourceId,
}

/// A value a profile may give for a service, which its templates use as
/// `{name}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Parameter {
    /// The profile key and placeholder name (`bucket`, `file-system-id`).
    pub name: String,
    /// Other profile keys for it (`cache-id`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// What it is, for the documentation of the profile key (Markdown, one line).
    pub doc: String,
    pub form: Form,
    /// For [`Form::ResourceId`]: what ids look like, `fs-*`, where `*` is one
    /// or more letters and digits.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// The value used when nothing gives one.
    pub representative: Option<String>,
    /// Another parameter (or `region`) whose value stands in when this one
    /// has none.
    pub fallback: Option<String>,
    /// Whether the service makes its requests once per value (a profile and
    /// a policy may name several buckets).
    #[serde(default)]
    pub per_value: bool,
    /// Whether a policy's pattern for it (`bucket/*` for an object key)
    /// gives a value, its wildcards filled in.
    #[serde(default)]
    pub from_patterns: bool,
    /// Whether PC401 lists the values the checks used.
    #[serde(default)]
    pub summary: bool,
    pub source: String,
}

impl Parameter {
    /// Why `value` is not a value of this parameter, if it is not.
    pub fn check(&self, value: &str) -> Result<(), String> {
        match self.form {
            Form::Text | Form::Bool => Ok(()),
            Form::Region if crate::aws::is_region(value) => Ok(()),
            Form::Region => Err(format!(
                "`{value}` is not an AWS Region name such as `us-east-1`"
            )),
            Form::Account if crate::aws::is_account_id(value) => Ok(()),
            Form::Account => Err(format!("`{value}` is not a 12-digit account id")),
            Form::S3Bucket if is_bucket_name(value) => Ok(()),
            Form::S3Bucket => Err(format!(
                "`{value}` is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
            )),
            Form::ResourceId if self.fits_patterns(value) => Ok(()),
            Form::ResourceId => Err(format!(
                "`{value}` is not {}",
                self.patterns
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }

    /// Whether a value fits one of the patterns (`fs-*`: `fs-` and then one
    /// or more letters and digits).
    pub fn fits_patterns(&self, value: &str) -> bool {
        self.patterns.iter().any(|pattern| {
            let prefix = pattern.trim_end_matches('*');
            value.strip_prefix(prefix).is_some_and(|rest| {
                if pattern.ends_with('*') {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                } else {
                    rest.is_empty()
                }
            })
        })
    }

    /// Whether the literal characters of a value a policy gives (a pattern
    /// under a wildcard operator, or a template's symbol) may belong to a
    /// value of this parameter: what the form can tell from a part.
    fn admits(&self, value: &str) -> bool {
        match self.form {
            Form::S3Bucket => !value.contains(['/', ':']),
            Form::Region | Form::Account => !value.contains(['/', ':']),
            // What is written must begin an id of the form (`db-...`).
            Form::ResourceId => {
                value.is_empty()
                    || crate::symbolic::has_symbol(value)
                    || self.patterns.iter().any(|p| {
                        let prefix = p.trim_end_matches('*');
                        value.starts_with(prefix) || prefix.starts_with(value)
                    })
            }
            Form::Text | Form::Bool => true,
        }
    }
}

/// `amzn-s3-demo-bucket`: 3 to 63 lowercase letters, digits, dots and
/// hyphens (S3 User Guide, bucket naming rules).
fn is_bucket_name(value: &str) -> bool {
    (3..=63).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// Whether the service needs a permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// The service fails without it.
    Required,
    /// Some features use it.
    Optional,
    /// Listed by the documentation, but a key policy cannot grant it (it is
    /// valid only in IAM policies): not checked.
    IamPolicyOnly,
    /// Listed by the documentation, but not a request the analyzer can model
    /// faithfully (the data says why): not checked.
    NotChecked,
}

impl Need {
    /// Whether the analyzer synthesizes requests for it.
    pub fn is_checked(self) -> bool {
        matches!(self, Need::Required | Need::Optional)
    }
}

/// One permission as the documentation lists it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Permission {
    /// The documentation's spelling (`kms:ReEncrypt`, which is not an action).
    pub documented_as: String,
    /// The real IAM actions it stands for (`kms:ReEncryptFrom`, `kms:ReEncryptTo`).
    pub actions: Vec<String>,
    pub need: Need,
    /// The resource kinds it is needed for; all when absent.
    pub kinds: Option<Vec<String>>,
    pub source: String,
}

/// One condition key the service's requests carry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContextEntry {
    pub key: String,
    /// The value, with `{placeholders}`: a parameter of the service, or one
    /// of [`ENGINE_VARIABLES`].
    pub value: Template,
    /// The value while a `bool` parameter is on, where it differs
    /// (`bucket-keys`: S3 sends the bucket ARN instead of the object ARN).
    #[serde(default)]
    pub when: BTreeMap<String, Template>,
    /// The actions whose requests carry the key; all when absent.
    pub actions: Option<Vec<String>>,
    /// The resource kinds whose requests carry the key; all when absent.
    pub kinds: Option<Vec<String>>,
    pub source: String,
    /// Whether the key takes several values, from the catalogue (filled in
    /// when the models load).
    #[serde(skip)]
    pub multivalued: bool,
}

impl ContextEntry {
    pub fn applies_to(&self, action: &str, kind: Option<&str>) -> bool {
        self.actions
            .as_ref()
            .is_none_or(|actions| actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
            && applies_to_kind(self.kinds.as_deref(), kind)
    }

    /// The value while the switch is in `on`: `(when-parameter, template)`
    /// when the entry has a variant.
    pub fn variant(&self) -> Option<(&str, &Template)> {
        self.when.iter().next().map(|(p, t)| (p.as_str(), t))
    }
}

/// Whether something limited to `kinds` applies to a request for `kind`.
pub fn applies_to_kind(kinds: Option<&[String]>, kind: Option<&str>) -> bool {
    match (kinds, kind) {
        (Some(kinds), Some(kind)) => kinds.iter().any(|k| k == kind),
        _ => true,
    }
}

/// The placeholders the engine fills in, besides the service's parameters:
/// the Region in `kms:ViaService` (or of the service principal), the
/// callers' account, the `kms:ViaService` value, the service-linked role's
/// unique id and session name, and the partition.
pub const ENGINE_VARIABLES: [&str; 7] = [
    "region",
    "account",
    "caller-account",
    "via-service",
    "role-id",
    "session-name",
    "partition",
];

/// A value with `{placeholders}`, split into text and placeholders once,
/// when the models load: every request of every policy renders it.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "String")]
pub struct Template {
    text: String,
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Text as written (a range of the template's text).
    Text(std::ops::Range<usize>),
    /// A placeholder's name (a range of the template's text, without the braces).
    Placeholder(std::ops::Range<usize>),
}

impl From<String> for Template {
    /// A `{` without its `}` stays text; names are checked by the data tests.
    fn from(text: String) -> Self {
        let mut pieces = Vec::new();
        let mut text_start = 0;
        let mut at = 0;
        while let Some(open) = text[at..].find('{').map(|i| at + i) {
            let Some(close) = text[open..].find('}').map(|i| open + i) else {
                break;
            };
            let name = &text[open + 1..close];
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                if text_start < open {
                    pieces.push(Piece::Text(text_start..open));
                }
                pieces.push(Piece::Placeholder(open + 1..close));
                text_start = close + 1;
            }
            at = close + 1;
        }
        if text_start < text.len() {
            pieces.push(Piece::Text(text_start..text.len()));
        }
        Template { text, pieces }
    }
}

/// How a policy's value fits a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fit<'v> {
    /// It has the template's form: the value of each placeholder, with
    /// whether it is concrete (no wildcard the operator would expand).
    Fits(Vec<(&'v str, &'v str, bool)>),
    /// A pattern that may match values of the form, without showing the
    /// parts (`arn:aws:s3:::bucket*`).
    MayFit,
    /// It cannot hold a value of the template's form.
    No,
}

impl Template {
    /// The template as written in the model.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The names of its placeholders, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Placeholder(range) => Some(&self.text[range.clone()]),
            Piece::Text(_) => None,
        })
    }

    /// Fills in a template: `lookup` gives each placeholder's value (an
    /// empty one when it gives none).
    pub fn render<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
        let mut out = String::with_capacity(self.text.len() + 32);
        for piece in &self.pieces {
            match piece {
                Piece::Text(range) => out.push_str(&self.text[range.clone()]),
                Piece::Placeholder(range) => {
                    out.push_str(lookup(&self.text[range.clone()]).unwrap_or_default())
                }
            }
        }
        out
    }

    /// Reads a policy's value as an instance of the template: the text
    /// between the template's literal parts is each placeholder's value.
    /// With `wildcards` (the value is under `StringLike` or an ARN operator),
    /// `*` and `?` may stand for any part: where the literal parts cannot be
    /// found, a value with a wildcard may still fit. `admits` says whether a
    /// placeholder (by name) can hold a given text.
    pub fn fit<'v>(
        &'v self,
        value: &'v str,
        wildcards: bool,
        admits: impl Fn(&str, &str) -> bool,
    ) -> Fit<'v> {
        let wild = |s: &str| wildcards && has_wildcard(s);
        let mut captures = Vec::new();
        let mut rest = value;
        let mut i = 0;
        while i < self.pieces.len() {
            match &self.pieces[i] {
                Piece::Text(range) => {
                    let literal = &self.text[range.clone()];
                    match rest.strip_prefix(literal) {
                        Some(after) => rest = after,
                        None => {
                            // A wildcard before the literal may stand for it.
                            // As many bytes as the literal, cut at a character
                            // boundary (the value may hold any Unicode).
                            let mut upto = rest.len().min(literal.len());
                            while !rest.is_char_boundary(upto) {
                                upto -= 1;
                            }
                            return if wild(&rest[..upto]) || wild(rest) && i > 0 {
                                Fit::MayFit
                            } else {
                                Fit::No
                            };
                        }
                    }
                }
                Piece::Placeholder(range) => {
                    let name = &self.text[range.clone()];
                    // The placeholder runs to the next literal part, or to the end.
                    let next = self.pieces.get(i + 1).map(|p| match p {
                        Piece::Text(r) => &self.text[r.clone()],
                        Piece::Placeholder(_) => "",
                    });
                    let (part, after) = match next {
                        None => (rest, ""),
                        Some(literal) => match rest.find(literal) {
                            Some(at) if !literal.is_empty() => (&rest[..at], &rest[at..]),
                            _ if wild(rest) => {
                                let part = rest;
                                return if admits(name, &strip_wildcards(part)) {
                                    Fit::MayFit
                                } else {
                                    Fit::No
                                };
                            }
                            _ => return Fit::No,
                        },
                    };
                    if !admits(name, &strip_wildcards(part)) {
                        return Fit::No;
                    }
                    let concrete = !part.is_empty() && !wild(part);
                    captures.push((name, part, concrete));
                    rest = after;
                }
            }
            i += 1;
        }
        if rest.is_empty() {
            Fit::Fits(captures)
        } else if wild(rest) {
            Fit::MayFit
        } else {
            Fit::No
        }
    }
}

/// The literal characters of a pattern.
fn strip_wildcards(value: &str) -> std::borrow::Cow<'_, str> {
    // Most parts have none: no copy for them (every request's context value
    // is read against every template).
    if value.contains(['*', '?']) {
        std::borrow::Cow::Owned(value.replace(['*', '?'], ""))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Every service model, in [`ServiceId`] order, parsed once.
pub fn models() -> &'static [ServiceModel] {
    static MODELS: OnceLock<Vec<ServiceModel>> = OnceLock::new();
    MODELS.get_or_init(|| {
        DATA.iter()
            .enumerate()
            .map(|(index, (file, text))| {
                let mut model = read_model(text)
                    // The files are part of the build and read by a test.
                    .unwrap_or_else(|e| panic!("services/data/{file}.toml is invalid: {e}"));
                model.id = ServiceId(index as u16);
                for entry in &mut model.context {
                    entry.multivalued = crate::catalog::catalog()
                        .condition_key(&entry.key)
                        .is_some_and(|k| k.info.multivalued);
                }
                model.route = Route {
                    caller: model.caller.kind,
                    name: leak(model.route_name()),
                };
                model
            })
            .collect()
    })
}

/// A data file's model, as written. Read through a JSON value, so that the
/// models' deserialisers are compiled for one input type rather than for
/// each of the TOML reader's table, inline-table and array forms (a tenth of
/// this crate's generated code). A test reads each file straight from TOML
/// as well, which names the line of any mistake, and requires the same model.
fn read_model(text: &str) -> Result<ServiceModel, toml::de::Error> {
    let value: serde_json::Value = toml::from_str(text)?;
    serde_json::from_value(value).map_err(serde::de::Error::custom)
}

/// A name that lives as long as the models.
fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

impl ServiceModel {
    fn route_name(&self) -> String {
        if let Some(via) = &self.via_service {
            return via.service_name().to_string();
        }
        self.caller
            .principal
            .as_ref()
            .map(|p| p.text().split('.').next().unwrap_or_default().to_string())
            .unwrap_or_default()
    }

    /// The parameter with this name or alias.
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.name == name || p.aliases.iter().any(|a| a == name))
    }

    /// The `bool` parameter that switches a context value (`bucket-keys`),
    /// if the service has one.
    pub fn switch(&self) -> Option<&Parameter> {
        self.context
            .iter()
            .find_map(|e| e.variant())
            .and_then(|(name, _)| self.parameter(name))
    }

    /// The context entries with a template that names a parameter, the
    /// Region or the account (what a policy's values on those keys tell
    /// about them).
    pub fn context_entries_with_parameters(&self) -> impl Iterator<Item = &ContextEntry> {
        self.context.iter().filter(|e| {
            std::iter::once(&e.value).chain(e.when.values()).any(|t| {
                t.placeholders()
                    .any(|n| n == "region" || n == "account" || self.parameter(n).is_some())
            })
        })
    }

    /// Whether a placeholder can hold `text`: what its parameter's form tells.
    pub fn admits(&self, placeholder: &str, text: &str) -> bool {
        match placeholder {
            "region" | "account" | "caller-account" | "partition" => !text.contains([':', '/']),
            _ => self.parameter(placeholder).is_none_or(|p| p.admits(text)),
        }
    }

    /// [`Self::fit_context`] for a statement's condition, its value read
    /// with wildcards where its operator matches them.
    pub fn fit_condition<'v>(
        &'v self,
        condition: &ConditionText<'v>,
    ) -> Option<(Fit<'v>, Option<Fit<'v>>)> {
        self.fit_context(
            condition.key.value,
            condition.value.value,
            condition.operator_matches_wildcards(),
        )
    }

    /// How a policy's value for a context key fits the service's template
    /// for it (the key's main value and, for a switch, its variant): the
    /// fits in that order.
    pub fn fit_context<'v>(
        &'v self,
        key: &str,
        value: &'v str,
        wildcards: bool,
    ) -> Option<(Fit<'v>, Option<Fit<'v>>)> {
        let entry = self
            .context
            .iter()
            .find(|e| e.key.eq_ignore_ascii_case(key))?;
        let admits = |name: &str, text: &str| self.admits(name, text);
        let main = entry.value.fit(value, wildcards, admits);
        let variant = entry
            .variant()
            .map(|(_, t)| t.fit(value, wildcards, admits));
        Some((main, variant))
    }

    /// The resource kind a template or module type declares, if any.
    /// The kind of resource that a resource of `resource_type`, naming the
    /// key under `property`, is for the service.
    pub fn kind_for_type(
        &self,
        resource_type: &str,
        property: Option<&str>,
    ) -> Option<&ResourceModel> {
        self.resources
            .iter()
            .find(|r| r.types.iter().any(|t| t == resource_type) && r.names_key_under(property))
    }
}

/// Every parameter of every service, by profile key (names and aliases),
/// with the first service that declares it: what a profile may set.
pub fn profile_parameters() -> &'static BTreeMap<&'static str, &'static Parameter> {
    static PARAMETERS: OnceLock<BTreeMap<&'static str, &'static Parameter>> = OnceLock::new();
    PARAMETERS.get_or_init(|| {
        let mut out = BTreeMap::new();
        for model in models() {
            for p in &model.parameters {
                for name in std::iter::once(&p.name).chain(&p.aliases) {
                    out.entry(name.as_str()).or_insert(p);
                }
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    fn id(name: &str) -> ServiceId {
        ServiceId::parse(name).unwrap()
    }

    #[test]
    fn every_data_file_reads_as_a_model_straight_from_toml() {
        for (file, text) in DATA {
            let mut direct: ServiceModel = toml::from_str(text)
                .unwrap_or_else(|e| panic!("services/data/{file}.toml is invalid: {e}"));
            let mut through_json = read_model(text).unwrap();
            // Set after reading (the file's place); shown by its name.
            direct.id = ServiceId::parse(file).unwrap();
            through_json.id = direct.id;
            assert_eq!(format!("{direct:?}"), format!("{through_json:?}"), "{file}");
        }
    }

    #[test]
    fn a_mistake_in_a_data_file_names_its_line() {
        let error = toml::from_str::<ServiceModel>("name = \"X\"\nnot-a-field = 1\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("TOML parse error at line 2, column 1"),
            "{error}"
        );
        assert!(
            error.to_string().contains("unknown field `not-a-field`"),
            "{error}"
        );
    }

    #[test]
    fn one_model_per_file_in_name_order() {
        let names: Vec<&str> = ServiceId::all().map(|s| s.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for service in ServiceId::all() {
            assert_eq!(service.model().id, service);
            assert_eq!(ServiceId::parse(service.as_str()), Some(service));
            assert_eq!(vec![service], vec![service.as_str().to_string()]);
            assert!(
                service
                    .as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{service}: name the file in kebab-case"
            );
        }
        assert!(ServiceId::parse("no-such-service").is_none());
    }

    #[test]
    fn every_fact_has_a_source_and_real_actions() {
        for model in models() {
            let id = model.id;
            assert!(!model.sources.is_empty(), "{id}: no sources");
            let mut sources = vec![&model.caller.source, &model.key_spec.source];
            sources.extend(model.via_service.as_ref().map(|v| &v.source));
            sources.extend(model.service_principal.as_ref().map(|s| &s.source));
            sources.extend(model.resources.iter().map(|r| &r.source));
            sources.extend(model.parameters.iter().map(|p| &p.source));
            for source in sources {
                assert!(!source.trim().is_empty(), "{id}: a fact without a source");
            }
            let kinds: Vec<&str> = model.resources.iter().map(|r| r.kind.as_str()).collect();
            for p in &model.permissions {
                assert!(
                    !p.source.trim().is_empty(),
                    "{id}: {} has no source",
                    p.documented_as
                );
                assert!(
                    !p.actions.is_empty(),
                    "{id}: {} names no action",
                    p.documented_as
                );
                for kind in p.kinds.iter().flatten() {
                    assert!(kinds.contains(&kind.as_str()), "{id}: unknown kind {kind}");
                }
                for action in &p.actions {
                    let (_, info) = catalog()
                        .action(action)
                        .unwrap_or_else(|| panic!("{id}: {action} is not a KMS action"));
                    assert_eq!(
                        &info.name, action,
                        "{id}: spell {action} as the catalogue does"
                    );
                    if p.need.is_checked() {
                        assert!(
                            info.effective_in_key_policy,
                            "{id}: {action} cannot be granted in a key policy, so it cannot be checked"
                        );
                    }
                }
            }
            for entry in &model.context {
                assert!(
                    !entry.source.trim().is_empty(),
                    "{id}: {} has no source",
                    entry.key
                );
                assert!(
                    catalog().condition_key(&entry.key).is_some(),
                    "{id}: {} is not a condition key",
                    entry.key
                );
                for (switch, template) in std::iter::once((None, &entry.value))
                    .chain(entry.when.iter().map(|(p, t)| (Some(p), t)))
                {
                    if let Some(switch) = switch {
                        assert!(
                            model
                                .parameter(switch)
                                .is_some_and(|p| p.form == Form::Bool),
                            "{id}: `when` names {switch}, which is no bool parameter"
                        );
                    }
                    for name in template.placeholders() {
                        assert!(
                            ENGINE_VARIABLES.contains(&name) || model.parameter(name).is_some(),
                            "{id}: unknown placeholder {{{name}}}"
                        );
                    }
                }
                assert!(entry.when.len() <= 1, "{id}: one switch per entry");
                for action in entry.actions.iter().flatten() {
                    assert!(
                        catalog().action(action).is_some(),
                        "{id}: {action} is not a KMS action"
                    );
                }
                for kind in entry.kinds.iter().flatten() {
                    assert!(kinds.contains(&kind.as_str()), "{id}: unknown kind {kind}");
                }
            }
            for p in &model.parameters {
                assert!(
                    !ENGINE_VARIABLES.contains(&p.name.as_str())
                        && !["services", "key-spec", "callers", "files"].contains(&p.name.as_str()),
                    "{id}: {} is a name the profile reserves",
                    p.name
                );
                assert_eq!(
                    p.form == Form::ResourceId,
                    !p.patterns.is_empty(),
                    "{id}: {}: resource ids, and only they, have patterns",
                    p.name
                );
                if let Some(value) = &p.representative {
                    assert_eq!(p.check(value), Ok(()), "{id}: {}", p.name);
                }
                if let Some(fallback) = &p.fallback {
                    assert!(
                        fallback == "region" || model.parameter(fallback).is_some(),
                        "{id}: {}: unknown fallback {fallback}",
                        p.name
                    );
                }
                assert!(!p.doc.contains('\n'), "{id}: {}: one line of doc", p.name);
            }
            assert!(
                model.parameters.iter().filter(|p| p.per_value).count() <= 1,
                "{id}: requests are made per value of one parameter at most"
            );
            // A parameter two services declare means the same in both.
            for p in &model.parameters {
                let first = profile_parameters()[p.name.as_str()];
                assert_eq!(
                    (first.form, &first.doc),
                    (p.form, &p.doc),
                    "{id}: {} differs from the parameter of the same name of another service",
                    p.name
                );
            }
            match model.caller.kind {
                CallerKind::ForwardAccess => {
                    assert!(
                        model.via_service.is_some(),
                        "{id}: forward access names its kms:ViaService"
                    );
                }
                CallerKind::ServiceLinkedRole => {
                    assert!(model.caller.role_name.is_some(), "{id}: role name");
                    let path = model.caller.path.as_deref().unwrap_or_default();
                    assert!(
                        path.starts_with('/') && path.ends_with('/'),
                        "{id}: role path"
                    );
                    assert!(
                        model.caller.iam_policies_source.is_some(),
                        "{id}: iam-policies-source"
                    );
                    if let Some(role_id) = &model.caller.role_id {
                        assert!(
                            model
                                .parameter(role_id)
                                .is_some_and(|p| p.form == Form::ResourceId),
                            "{id}: role-id names a resource-id parameter"
                        );
                    }
                }
                CallerKind::ServicePrincipal => {
                    let principal = model.caller.principal.as_ref();
                    assert!(
                        principal.is_some_and(|p| p.text().ends_with(".amazonaws.com")),
                        "{id}: a service principal"
                    );
                }
            }
            if let Some(via) = &model.via_service {
                assert!(
                    via.template.contains("{region}"),
                    "{id}: ViaService without a region"
                );
                if let Some(region) = &via.region {
                    assert!(
                        model
                            .parameter(region)
                            .is_some_and(|p| p.form == Form::Region),
                        "{id}: the ViaService region is a region parameter"
                    );
                }
            }
            assert!(
                model.permissions.iter().any(|p| p.need == Need::Required),
                "{id}: a service needs something"
            );
        }
    }

    #[test]
    fn documented_rewrites_of_non_actions() {
        // The guides' `kms:ReEncrypt` is two real actions (kms-facts §4d.1).
        for name in ["fsx", "fsx-lustre", "file-cache", "efs"] {
            let model = id(name).model();
            let p = model
                .permissions
                .iter()
                .find(|p| p.documented_as == "kms:ReEncrypt")
                .unwrap();
            assert_eq!(p.actions, ["kms:ReEncryptFrom", "kms:ReEncryptTo"]);
            let list = model
                .permissions
                .iter()
                .find(|p| p.documented_as == "kms:ListAliases")
                .unwrap();
            assert_eq!(list.need, Need::IamPolicyOnly);
        }
    }

    #[test]
    fn routes() {
        assert_eq!(id("fsx").route(), id("file-cache").route());
        assert_eq!(id("fsx").route(), id("fsx-lustre").route());
        assert_ne!(id("fsx").route(), id("efs").route());
        let link = id("s3-link");
        assert_eq!(link.route().caller, CallerKind::ServiceLinkedRole);
        assert_eq!(link.route().name, "s3");
        assert_eq!(
            link.model()
                .caller
                .role_arn("111122223333", "fc-0123456789abcdef0")
                .unwrap(),
            "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"
        );
    }

    #[test]
    fn sources_are_public_documents() {
        assert_eq!(
            source_document("https://docs.aws.amazon.com/a.html: \"kms:Decrypt\": x"),
            "https://docs.aws.amazon.com/a.html"
        );
        for model in models() {
            let mut sources: Vec<&str> = vec![&model.caller.source, &model.key_spec.source];
            sources.extend(model.via_service.as_ref().map(|v| v.source.as_str()));
            sources.extend(model.permissions.iter().map(|p| p.source.as_str()));
            sources.extend(model.context.iter().map(|c| c.source.as_str()));
            sources.extend(model.parameters.iter().map(|p| p.source.as_str()));
            sources.extend(model.resources.iter().map(|r| r.source.as_str()));
            sources.extend(model.service_principal.iter().map(|p| p.source.as_str()));
            sources.extend(model.caller.iam_policies_source.as_deref());
            sources.extend(model.caller.added_context.as_deref());
            for source in sources {
                assert!(
                    source.starts_with("https://docs.aws.amazon.com/")
                        && source_document(source).len() < source.len(),
                    "{}: a fact's source is `<AWS documentation URL>: <what it says>`: {source}",
                    model.id
                );
            }
            for source in &model.sources {
                assert!(
                    source.url.starts_with("https://docs.aws.amazon.com/"),
                    "{}: {}",
                    model.id,
                    source.url
                );
            }
        }
    }

    #[test]
    fn templates_render_and_fit() {
        let vars = |name: &str| match name {
            "region" => Some("us-east-1"),
            "role-id" => Some("AROAEXAMPLE"),
            "session-name" => Some("FSx"),
            "bucket" => Some("b"),
            "object-key" => Some("k"),
            _ => None,
        };
        let render = |template: &str| Template::from(template.to_string()).render(vars);
        assert_eq!(render("{role-id}:{session-name}"), "AROAEXAMPLE:FSx");
        assert_eq!(
            render("arn:aws:s3:::{bucket}/{object-key}"),
            "arn:aws:s3:::b/k"
        );
        assert_eq!(render("{unknown} {"), " {");
        assert_eq!(render("{region}{"), "us-east-1{");
        assert_eq!(render("x{}{region}"), "x{}us-east-1");
        assert_eq!(render(""), "");

        let object = Template::from("arn:{partition}:s3:::{bucket}/{object-key}".to_string());
        let bucket = Template::from("arn:{partition}:s3:::{bucket}".to_string());
        let admits = |name: &str, text: &str| name != "bucket" || !text.contains('/');
        assert_eq!(
            object.fit("arn:aws:s3:::b/data/*", true, admits),
            Fit::Fits(vec![
                ("partition", "aws", true),
                ("bucket", "b", true),
                ("object-key", "data/*", false)
            ])
        );
        assert_eq!(bucket.fit("arn:aws:s3:::b/data/*", true, admits), Fit::No);
        assert_eq!(
            bucket.fit("arn:aws:s3:::b", true, admits),
            Fit::Fits(vec![("partition", "aws", true), ("bucket", "b", true)])
        );
        assert_eq!(object.fit("arn:aws:s3:::b", true, admits), Fit::No);
        assert_eq!(object.fit("arn:aws:s3:::b*", true, admits), Fit::MayFit);
        assert!(matches!(
            bucket.fit("arn:aws:s3:::b*", true, admits),
            Fit::Fits(_)
        ));
        assert_eq!(object.fit("*", true, admits), Fit::MayFit);
        assert_eq!(object.fit("arn:aws:logs:::b/k", true, admits), Fit::No);
        assert_eq!(object.fit("arn:aws:s3:::b*", false, admits), Fit::No);
        let trail = Template::from(
            "arn:{partition}:cloudtrail:{region}:{account}:trail/{trail-name}".to_string(),
        );
        assert_eq!(
            trail.fit("arn:aws:cloudtrail:*:111122223333:trail/*", true, |_, _| {
                true
            }),
            Fit::Fits(vec![
                ("partition", "aws", true),
                ("region", "*", false),
                ("account", "111122223333", true),
                ("trail-name", "*", false)
            ])
        );
    }

    #[test]
    fn fitting_cuts_values_at_character_boundaries() {
        // A value whose bytes under the literal's length end inside a
        // multi-byte character (found by the lsp_document fuzzer).
        let bucket = Template::from("arn:{partition}:s3:::{bucket}".to_string());
        for value in ["ar€", "€", "a\u{10348}*", "ar\u{e9}n*"] {
            assert!(matches!(
                bucket.fit(value, true, |_, _| true),
                Fit::No | Fit::MayFit
            ));
        }
        assert_eq!(bucket.fit("a*€", true, |_, _| true), Fit::MayFit);
        assert_eq!(bucket.fit("a€*", true, |_, _| true), Fit::No);
    }

    #[test]
    fn resource_id_patterns() {
        let p = id("s3-link").model().parameter("cache-id").unwrap();
        assert_eq!(p.name, "file-system-id");
        assert!(p.fits_patterns("fs-0123456789abcdef0"));
        assert!(p.fits_patterns("fc-01234567890"));
        assert!(!p.fits_patterns("fc-"));
        assert!(!p.fits_patterns("file_cache_id"));
        assert!(!p.fits_patterns("fx-0123"));
        assert!(p.check("fs-0").is_ok());
        assert!(p.check("fs_0").unwrap_err().contains("`fs-*` or `fc-*`"));
    }

    #[test]
    fn key_properties_limit_the_resources_that_select_a_kind() {
        let resource: ResourceModel = toml::from_str(
            r#"
            kind = "bucket"
            types = ["AWS::S3::Bucket"]
            key-properties = ["BucketEncryption"]
            source = "https://docs.aws.amazon.com/x.html: x"
            "#,
        )
        .unwrap();
        assert!(resource.names_key_under(Some("BucketEncryption")));
        assert!(resource.names_key_under(Some("bucketencryption")));
        assert!(!resource.names_key_under(Some("ReplicationConfiguration")));
        assert!(resource.names_key_under(None), "the host does not say");
        let any = ResourceModel {
            key_properties: Vec::new(),
            ..resource
        };
        assert!(any.names_key_under(Some("ReplicationConfiguration")));
        for model in models() {
            for r in &model.resources {
                assert!(
                    r.key_properties.iter().all(|p| !p.trim().is_empty()),
                    "{}: an empty key property",
                    model.id
                );
            }
        }
    }
}
