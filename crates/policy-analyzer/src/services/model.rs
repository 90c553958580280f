//! The service models: what each AWS service needs from a customer managed
//! key, as data. One TOML file per service under `services/data/`, embedded
//! in the binary and parsed once; every fact in them names its source (a seed
//! file or a section and source tag of `reference/kms-facts.md`).

use std::sync::OnceLock;

use serde::Deserialize;

/// A service the analyzer models. The kebab-case names are the ones a
/// profile uses (`services = ["file-cache", "s3-link"]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceId {
    /// Amazon FSx for Windows File Server, NetApp ONTAP and OpenZFS.
    Fsx,
    /// Amazon FSx for Lustre (persistent file systems).
    FsxLustre,
    /// Amazon File Cache.
    FileCache,
    /// Amazon EFS.
    Efs,
    /// An SSE-KMS S3 bucket linked to a File Cache or an FSx for Lustre file
    /// system as its data repository.
    S3Link,
}

impl ServiceId {
    pub const ALL: [ServiceId; 5] = [
        ServiceId::Fsx,
        ServiceId::FsxLustre,
        ServiceId::FileCache,
        ServiceId::Efs,
        ServiceId::S3Link,
    ];

    /// The name a profile uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceId::Fsx => "fsx",
            ServiceId::FsxLustre => "fsx-lustre",
            ServiceId::FileCache => "file-cache",
            ServiceId::Efs => "efs",
            ServiceId::S3Link => "s3-link",
        }
    }

    pub fn parse(name: &str) -> Option<ServiceId> {
        ServiceId::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The service's model.
    pub fn model(self) -> &'static ServiceModel {
        let models = models();
        // `models()` holds one model per id, in `ALL` order (checked by a test).
        &models[self as usize]
    }

    /// The services that reach AWS KMS the same way (same caller kind and the
    /// same `kms:ViaService` name): a statement written for one of them serves
    /// all of them. FSx, FSx for Lustre and File Cache all call through
    /// `fsx.<region>.amazonaws.com` with the caller's identity.
    pub fn route(self) -> Route {
        let model = self.model();
        Route {
            caller: model.caller.kind,
            via_service_name: model.via_service.service_name(),
        }
    }
}

/// A service compares equal to its profile name (`ServiceId::Fsx == "fsx"`).
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

/// How a service reaches AWS KMS: who calls, through which service name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    pub caller: CallerKind,
    /// The first label of the `kms:ViaService` value (`fsx`, `s3`...).
    pub via_service_name: &'static str,
}

/// A document the facts come from.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Source {
    /// A seed file (`seeds/003_a7c6a4a498b59cae.txt`) or a kms-facts section and tag.
    pub tag: String,
    pub title: String,
}

/// What a service needs from a key, and how it calls AWS KMS.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceModel {
    pub id: ServiceId,
    /// The service's name for messages (`Amazon FSx`).
    pub name: String,
    /// What the model covers (file-system types, persistent vs scratch).
    pub covers: String,
    pub sources: Vec<Source>,
    pub caller: CallerModel,
    pub via_service: ViaServiceModel,
    pub key_spec: KeySpecModel,
    /// The permissions the documentation lists, with their real actions.
    pub permissions: Vec<Permission>,
    /// The request context the service sends with its requests.
    pub context: Vec<ContextEntry>,
}

/// The document part of a fact's source: `seeds/001_31e9581554ba3c76.txt`
/// or `kms-facts §4c`, for short citations in messages.
pub fn source_tag(source: &str) -> &str {
    let end = if source.starts_with("kms-facts") {
        source.find([' ', ':']).map(|i| {
            // `kms-facts §4c [S9]: ...` → `kms-facts §4c`
            source[i + 1..]
                .find([' ', ':', ','])
                .map_or(source.len(), |j| i + 1 + j)
        })
    } else {
        source.find(':')
    };
    source[..end.unwrap_or(source.len())].trim_end_matches(',')
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
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CallerModel {
    pub kind: CallerKind,
    pub source: String,
    /// Service-linked roles: the role name before the resource id
    /// (`AWSServiceRoleForFSxS3Access_`).
    pub role_name_prefix: Option<String>,
    /// Service-linked roles: the role's path, with both slashes.
    pub path: Option<String>,
    /// Service-linked roles: the session name the service uses (`aws:userid`
    /// is `<role-id>:<session-name>`).
    pub session_name: Option<String>,
    /// Whether the caller's IAM policies can add to what the key policy
    /// delegates to the account. False for service-linked roles, whose
    /// permissions AWS defines.
    #[serde(default = "yes")]
    pub iam_policies_apply: bool,
    pub iam_policies_source: Option<String>,
}

fn yes() -> bool {
    true
}

impl CallerModel {
    /// The service-linked role's ARN for an account and a resource id.
    pub fn role_arn(&self, account: &str, resource_id: &str) -> Option<String> {
        let prefix = self.role_name_prefix.as_deref()?;
        let path = self.path.as_deref()?;
        Some(format!(
            "arn:aws:iam::{account}:role{path}{prefix}{resource_id}"
        ))
    }
}

/// Which region the `kms:ViaService` value names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegionOf {
    /// The region of the file system or cache (and of the key).
    #[default]
    Service,
    /// The region of the linked S3 bucket.
    Bucket,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ViaServiceModel {
    /// `fsx.{region}.amazonaws.com`.
    pub template: String,
    #[serde(default)]
    pub region: RegionOf,
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
    pub source: String,
}

/// One condition key the service's requests carry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContextEntry {
    pub key: String,
    /// The value, with `{placeholders}` (see [`Vars`]).
    pub value: Template,
    /// The value when S3 Bucket Keys are on, where it differs.
    pub bucket_keys_value: Option<Template>,
    /// The actions whose requests carry the key; all when absent.
    pub actions: Option<Vec<String>>,
    pub source: String,
    /// Whether the key takes several values, from the catalogue (filled in
    /// when the models are loaded).
    #[serde(skip)]
    pub multivalued: bool,
}

impl ContextEntry {
    pub fn applies_to(&self, action: &str) -> bool {
        self.actions
            .as_ref()
            .is_none_or(|actions| actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
    }
}

/// A context value with `{placeholders}`, split into text and placeholders
/// once, when the models load: every request of every policy renders it.
#[derive(Clone, Debug, Deserialize)]
#[serde(from = "String")]
pub struct Template {
    text: String,
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug)]
enum Piece {
    /// Text as written (a range of the template's text).
    Text(std::ops::Range<usize>),
    /// A name of [`Vars::NAMES`].
    Placeholder(&'static str),
}

impl From<String> for Template {
    /// Unknown placeholders, and a `{` without its `}`, stay text (the data
    /// tests reject them).
    fn from(text: String) -> Self {
        let mut pieces = Vec::new();
        let mut text_start = 0;
        let mut at = 0;
        while let Some(open) = text[at..].find('{').map(|i| at + i) {
            let Some(close) = text[open..].find('}').map(|i| open + i) else {
                break;
            };
            if let Some(name) = Vars::NAMES.iter().find(|&&n| n == &text[open + 1..close]) {
                if text_start < open {
                    pieces.push(Piece::Text(text_start..open));
                }
                pieces.push(Piece::Placeholder(name));
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

impl Template {
    /// The template as written in the model.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The values the `{placeholders}` of a context template stand for.
#[derive(Clone, Debug, Default)]
pub struct Vars<'a> {
    pub region: &'a str,
    pub caller_account: &'a str,
    pub via_service: &'a str,
    pub role_id: &'a str,
    pub session_name: &'a str,
    pub bucket: &'a str,
    pub object_key: &'a str,
}

impl Vars<'_> {
    /// The names a template may use.
    pub const NAMES: [&'static str; 7] = [
        "region",
        "caller-account",
        "via-service",
        "role-id",
        "session-name",
        "bucket",
        "object-key",
    ];

    /// Fills in a template.
    pub fn render(&self, template: &Template) -> String {
        let mut out = String::with_capacity(template.text.len() + 32);
        for piece in &template.pieces {
            match piece {
                Piece::Text(range) => out.push_str(&template.text[range.clone()]),
                Piece::Placeholder(name) => out.push_str(self.get(name).unwrap_or_default()),
            }
        }
        out
    }

    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "region" => self.region,
            "caller-account" => self.caller_account,
            "via-service" => self.via_service,
            "role-id" => self.role_id,
            "session-name" => self.session_name,
            "bucket" => self.bucket,
            "object-key" => self.object_key,
            _ => return None,
        })
    }
}

const DATA: [(&str, &str); 5] = [
    ("fsx.toml", include_str!("data/fsx.toml")),
    ("fsx-lustre.toml", include_str!("data/fsx-lustre.toml")),
    ("file-cache.toml", include_str!("data/file-cache.toml")),
    ("efs.toml", include_str!("data/efs.toml")),
    ("s3-link.toml", include_str!("data/s3-link.toml")),
];

/// Every service model, in [`ServiceId::ALL`] order, parsed once.
pub fn models() -> &'static [ServiceModel] {
    static MODELS: OnceLock<Vec<ServiceModel>> = OnceLock::new();
    MODELS.get_or_init(|| {
        DATA.iter()
            .map(|(file, text)| {
                let mut model: ServiceModel = toml::from_str(text)
                    // The files are part of the build and parsed by a test.
                    .unwrap_or_else(|e| panic!("services/data/{file} is invalid: {e}"));
                for entry in &mut model.context {
                    entry.multivalued = crate::catalog::catalog()
                        .condition_key(&entry.key)
                        .is_some_and(|k| k.info.multivalued);
                }
                model
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::catalog;

    #[test]
    fn one_model_per_service_in_order() {
        let models = models();
        assert_eq!(models.len(), ServiceId::ALL.len());
        for (model, id) in models.iter().zip(ServiceId::ALL) {
            assert_eq!(
                model.id, id,
                "services/data: models must follow ServiceId::ALL"
            );
            assert_eq!(ServiceId::parse(id.as_str()), Some(id));
            assert_eq!(vec![id], vec![id.as_str().to_string()]);
        }
    }

    #[test]
    fn every_fact_has_a_source_and_real_actions() {
        for model in models() {
            let id = model.id;
            assert!(!model.sources.is_empty(), "{id}: no sources");
            for source in [
                &model.caller.source,
                &model.via_service.source,
                &model.key_spec.source,
            ] {
                assert!(!source.trim().is_empty(), "{id}: a fact without a source");
            }
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
                for template in std::iter::once(&entry.value).chain(&entry.bucket_keys_value) {
                    for name in placeholders(template.text()) {
                        assert!(
                            Vars::NAMES.contains(&name),
                            "{id}: unknown placeholder {{{name}}}"
                        );
                    }
                }
                for action in entry.actions.iter().flatten() {
                    assert!(
                        catalog().action(action).is_some(),
                        "{id}: {action} is not a KMS action"
                    );
                }
            }
            assert!(
                model.via_service.template.contains("{region}"),
                "{id}: ViaService without a region"
            );
            if model.caller.kind == CallerKind::ServiceLinkedRole {
                assert!(
                    model.caller.role_name_prefix.is_some(),
                    "{id}: role name prefix"
                );
                let path = model.caller.path.as_deref().unwrap_or_default();
                assert!(
                    path.starts_with('/') && path.ends_with('/'),
                    "{id}: role path"
                );
                assert!(model.caller.session_name.is_some(), "{id}: session name");
                assert!(
                    model.caller.iam_policies_source.is_some(),
                    "{id}: iam-policies-source"
                );
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
        for id in [
            ServiceId::Fsx,
            ServiceId::FsxLustre,
            ServiceId::FileCache,
            ServiceId::Efs,
        ] {
            let p = id
                .model()
                .permissions
                .iter()
                .find(|p| p.documented_as == "kms:ReEncrypt")
                .unwrap();
            assert_eq!(p.actions, ["kms:ReEncryptFrom", "kms:ReEncryptTo"]);
            let list = id
                .model()
                .permissions
                .iter()
                .find(|p| p.documented_as == "kms:ListAliases")
                .unwrap();
            assert_eq!(list.need, Need::IamPolicyOnly);
        }
    }

    #[test]
    fn routes() {
        assert_eq!(ServiceId::Fsx.route(), ServiceId::FileCache.route());
        assert_eq!(ServiceId::Fsx.route(), ServiceId::FsxLustre.route());
        assert_ne!(ServiceId::Fsx.route(), ServiceId::Efs.route());
        assert_eq!(
            ServiceId::S3Link.route().caller,
            CallerKind::ServiceLinkedRole
        );
        assert_eq!(ServiceId::S3Link.route().via_service_name, "s3");
        assert_eq!(
            ServiceId::S3Link
                .model()
                .caller
                .role_arn("111122223333", "fc-0123456789abcdef0")
                .unwrap(),
            "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"
        );
    }

    #[test]
    fn source_tags() {
        assert_eq!(
            source_tag("seeds/001_31e9581554ba3c76.txt: \"kms:Decrypt\""),
            "seeds/001_31e9581554ba3c76.txt"
        );
        assert_eq!(
            source_tag("kms-facts §4c [S9 encryption-at-rest.md]: x"),
            "kms-facts §4c"
        );
        assert_eq!(source_tag("kms-facts §5 [S13]: x"), "kms-facts §5");
        assert_eq!(source_tag("kms-facts §1, §4d.1: x"), "kms-facts §1");
    }

    #[test]
    fn templates_render() {
        let vars = Vars {
            region: "us-east-1",
            role_id: "AROAEXAMPLE",
            session_name: "FSx",
            bucket: "b",
            object_key: "k",
            ..Vars::default()
        };
        let render = |template: &str| vars.render(&Template::from(template.to_string()));
        assert_eq!(render("{role-id}:{session-name}"), "AROAEXAMPLE:FSx");
        assert_eq!(
            render("arn:aws:s3:::{bucket}/{object-key}"),
            "arn:aws:s3:::b/k"
        );
        assert_eq!(render("{unknown} {"), "{unknown} {");
        assert_eq!(render("{region}{"), "us-east-1{");
        assert_eq!(render("x{}{region}"), "x{}us-east-1");
        assert_eq!(render(""), "");
    }

    fn placeholders(template: &str) -> Vec<&str> {
        template
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect()
    }
}
