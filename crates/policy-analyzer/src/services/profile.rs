//! Profiles: which services a key serves, with the concrete values their
//! requests carry (account, region, bucket...). A profile comes from the
//! configuration ([`Profile`]) and, for whatever the configuration leaves
//! open, from the policy itself (`infer.rs`); the result is one
//! [`ServiceProfile`] per service, each value remembering where it came from
//! so that the user can see why a check ran and with what.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::Deserialize;

use super::model::{profile_parameters, Form, Parameter, ServiceId};
use crate::host::Location;
use crate::text::TextRange;

/// What a key serves, as the user configured it (a `[[profiles]]` table of
/// `policy-check.toml`, or the editor's settings). Every field is optional:
/// what is left out is inferred from the policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Services the key serves, by the names of their models (`fsx`,
    /// `s3-link`...). Empty: inferred from the policy.
    pub services: Vec<ServiceId>,
    /// The 12-digit account of the resources and their users (the callers'
    /// account; `kms:CallerAccount`).
    pub account: Option<String>,
    /// The region of the resources that use the key (and of the key).
    pub region: Option<String>,
    /// The key's spec (`SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`...).
    pub key_spec: Option<String>,
    /// Principal ARNs that use the services (for example the role that
    /// creates the file systems). Unset: the principals the policy gives the
    /// services to.
    pub callers: Vec<String>,
    /// The values of the parameters the service models declare (`bucket`,
    /// `bucket-keys`, `file-system-id`...), by parameter name (an alias such
    /// as `cache-id` is stored under its parameter's name).
    pub values: BTreeMap<String, ProfileValue>,
}

/// A parameter's value in a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileValue {
    Text(String),
    Bool(bool),
}

impl Profile {
    /// The value of a parameter as text.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.values.get(name)? {
            ProfileValue::Text(t) => Some(t),
            ProfileValue::Bool(_) => None,
        }
    }

    /// The value of a `bool` parameter.
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.values.get(name)? {
            ProfileValue::Bool(b) => Some(*b),
            ProfileValue::Text(_) => None,
        }
    }

    /// Sets a parameter's value (for callers that build a profile in code).
    pub fn with(mut self, name: &str, value: ProfileValue) -> Profile {
        self.values.insert(name.to_string(), value);
        self
    }
}

/// The profile keys that are not a service's parameter.
const GLOBAL_KEYS: [&str; 5] = ["services", "account", "region", "key-spec", "callers"];

/// Every key a profile may have: the global ones and every parameter of
/// every service, for the "expected one of" of an unknown key.
fn profile_keys() -> &'static [&'static str] {
    static KEYS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        GLOBAL_KEYS
            .iter()
            .copied()
            .chain(profile_parameters().keys().copied())
            .collect()
    })
}

/// A profile key, resolved: a global key, or a service's parameter.
enum Key {
    Global(&'static str),
    Parameter(&'static Parameter),
}

/// Reads a key; an unknown one is an error of the key itself (so that a
/// config reader can point at its line).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a profile key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                if let Some(global) = GLOBAL_KEYS.iter().find(|k| **k == v) {
                    return Ok(Key::Global(global));
                }
                profile_parameters()
                    .get(v)
                    .map(|p| Key::Parameter(p))
                    .ok_or_else(|| E::unknown_field(v, profile_keys()))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// Reads a parameter's value and checks it against the parameter's form.
struct ValueSeed(&'static Parameter);

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = ProfileValue;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<ProfileValue, D::Error> {
        let parameter = self.0;
        if parameter.form == Form::Bool {
            return bool::deserialize(deserializer).map(ProfileValue::Bool);
        }
        let text = String::deserialize(deserializer)?;
        parameter
            .check(&text)
            .map_err(|why| de::Error::custom(format!("`{}`: {why}", parameter.name)))?;
        Ok(ProfileValue::Text(text))
    }
}

/// Reads a text value and checks it: the error is the value's own (so that a
/// config reader can point at its line).
struct Checked(&'static str, fn(&str) -> Option<String>);

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        let text = String::deserialize(deserializer)?;
        match (self.1)(&text) {
            Some(why) => Err(de::Error::custom(format!("`{}`: {why}", self.0))),
            None => Ok(text),
        }
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProfileVisitor;
        impl<'de> Visitor<'de> for ProfileVisitor {
            type Value = Profile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a profile table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Profile, A::Error> {
                let mut profile = Profile::default();
                let mut seen: Vec<&'static str> = Vec::new();
                while let Some(key) = map.next_key_seed(KeySeed)? {
                    let name = match &key {
                        Key::Global(name) => *name,
                        Key::Parameter(p) => p.name.as_str(),
                    };
                    if seen.contains(&name) {
                        return Err(de::Error::duplicate_field(name));
                    }
                    seen.push(name);
                    match key {
                        Key::Global("services") => profile.services = map.next_value()?,
                        Key::Global("account") => {
                            profile.account =
                                Some(map.next_value_seed(Checked("account", |v| {
                                    (!crate::aws::is_account_id(v))
                                        .then(|| format!("`{v}` is not a 12-digit account id"))
                                }))?);
                        }
                        Key::Global("region") => {
                            profile.region = Some(map.next_value_seed(Checked("region", |v| {
                                (!crate::aws::is_region(v)).then(|| {
                                    format!("`{v}` is not an AWS Region name such as `us-east-1`")
                                })
                            }))?);
                        }
                        Key::Global("key-spec") => profile.key_spec = Some(map.next_value()?),
                        Key::Global(_) => profile.callers = map.next_value()?,
                        Key::Parameter(p) => {
                            let value = map.next_value_seed(ValueSeed(p))?;
                            profile.values.insert(p.name.clone(), value);
                        }
                    }
                }
                Ok(profile)
            }
        }
        deserializer.deserialize_map(ProfileVisitor)
    }
}

/// Where the policy says something: what was read and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// What was read, in words: `kms:ViaService "fsx.us-east-1.amazonaws.com"`.
    pub what: String,
    pub range: TextRange,
    /// The statement it is in.
    pub statement: usize,
}

/// Where a template or module says something about a key: which resource
/// and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceEvidence {
    /// What was read, in words: "AWS::FSx::FileSystem `Lustre` (LUSTRE)".
    pub what: String,
    pub at: Location,
}

/// Where a profile value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The configuration.
    Configured,
    /// The resources of the template or module that holds the key.
    Resource(ResourceEvidence),
    /// The policy.
    Policy(Evidence),
    /// Nothing said: a representative value, so the check can run. Messages
    /// call it that.
    Representative,
}

impl Origin {
    /// Stated outside the policy, by the configuration or by the resources
    /// around the key: not a guess from the statements.
    pub fn is_stated(&self) -> bool {
        matches!(self, Origin::Configured | Origin::Resource(_))
    }

    /// In words, for messages: "configured", "from AWS::S3::Bucket `Data`".
    pub fn describe(&self) -> String {
        match self {
            Origin::Configured => "configured".into(),
            Origin::Resource(e) => format!("from {}", e.what),
            Origin::Policy(e) => format!("from {}", e.what),
            Origin::Representative => "representative".into(),
        }
    }
}

/// A profile value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Valued {
    pub value: String,
    pub origin: Origin,
}

impl Valued {
    pub fn configured(value: &str) -> Valued {
        Valued {
            value: value.to_string(),
            origin: Origin::Configured,
        }
    }

    pub fn representative(value: &str) -> Valued {
        Valued {
            value: value.to_string(),
            origin: Origin::Representative,
        }
    }

    pub fn is_representative(&self) -> bool {
        self.origin == Origin::Representative
    }
}

/// Whether the linked bucket uses S3 Bucket Keys, which decides the
/// encryption context S3 sends: the object ARN without, the bucket ARN with
/// (kms-facts §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BucketKeys {
    /// Stated by the configuration.
    Stated(bool),
    /// Declared by the bucket resource (`BucketKeyEnabled`, `bucket_key_enabled`).
    Declared(bool, ResourceEvidence),
    /// Nothing says: both contexts are accepted, and the assumption is
    /// reported. `presumed` is what the policy's context values suggest
    /// (`bucket/*` suggests off), with where it says so.
    Unknown { presumed: Option<(bool, Evidence)> },
}

impl BucketKeys {
    /// The contexts to try: `[false]`, `[true]` or both.
    pub fn variants(&self) -> &'static [bool] {
        match self {
            BucketKeys::Stated(false) | BucketKeys::Declared(false, _) => &[false],
            BucketKeys::Stated(true) | BucketKeys::Declared(true, _) => &[true],
            BucketKeys::Unknown { .. } => &[false, true],
        }
    }

    /// The setting, when the configuration or the bucket resource states it.
    pub fn stated(&self) -> Option<bool> {
        match self {
            BucketKeys::Stated(on) | BucketKeys::Declared(on, _) => Some(*on),
            BucketKeys::Unknown { .. } => None,
        }
    }
}

/// Why the checks run for a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    Configured,
    /// Resources of the template or module use the key (at least one).
    Resources(Vec<ResourceEvidence>),
    /// Inferred from the policy, with the evidence (at least one).
    Inferred(Vec<Evidence>),
}

/// One service the key serves, with every value its requests need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceProfile {
    pub service: ServiceId,
    pub reason: Reason,
    /// The regions in `kms:ViaService` (or of the service principal): the
    /// service's region, or the one its model names (for `s3-link`, the
    /// bucket's). At least one.
    pub regions: Vec<Valued>,
    /// The callers' account when the configuration names it, else what the
    /// policy suggests (statements may still name their own; see `requests.rs`).
    pub account: Option<Valued>,
    /// The values of the service's parameters that its requests use (at
    /// least one each, representative where nothing gives one), in the
    /// order of the model.
    pub values: Vec<(&'static str, Vec<Valued>)>,
    /// The state of the service's switch (`bucket-keys`: whether the
    /// buckets use S3 Bucket Keys); unknown for services without one.
    pub bucket_keys: BucketKeys,
    /// The kinds of resource that use the key for the service (a trail, an
    /// event data store), when the template or module says; else the
    /// model's first kind.
    pub kinds: Vec<&'static str>,
    /// The key spec, when configured or declared by the key resource.
    pub key_spec: Option<Valued>,
    /// Callers the configuration names.
    pub callers: Vec<String>,
    /// The policy named more regions, buckets or linked file systems than
    /// [`MAX_VALUES`]: only the first were kept.
    pub truncated: bool,
}

/// At most this many regions, buckets, linked file systems or callers of one
/// service are checked. Real key policies name a few of each; a hostile one
/// with thousands would otherwise make thousands of requests, each evaluated
/// against every statement.
pub const MAX_VALUES: usize = 16;

impl ServiceProfile {
    /// Whether the configuration or the resources around the key say the
    /// key serves the service (rather than the statements suggesting it).
    pub fn is_stated(&self) -> bool {
        matches!(self.reason, Reason::Configured | Reason::Resources(_))
    }

    /// The values of a parameter (empty for one the service does not use).
    pub fn values_of(&self, parameter: &str) -> &[Valued] {
        self.values
            .iter()
            .find(|(name, _)| *name == parameter)
            .map_or(&[], |(_, values)| values.as_slice())
    }

    /// The buckets, for a service that reaches an S3 bucket.
    pub fn buckets(&self) -> &[Valued] {
        self.values_of("bucket")
    }
}

/// Values used when nothing says otherwise. They only make a request
/// concrete; no check depends on them matching anything in particular.
pub mod representative {
    /// AWS's documentation account.
    pub const ACCOUNT: &str = "111122223333";
    pub const REGION: &str = "us-east-1";
    /// AWS's documentation bucket name.
    pub const BUCKET: &str = "amzn-s3-demo-bucket";
    /// The object the linked cache reads or writes.
    pub const OBJECT_KEY: &str = "data/example-object";
    /// A cache id, for a service-linked role whose id the policy does not give.
    pub const RESOURCE_ID: &str = "fc-0123456789abcdef0";
    /// The unique id of the service-linked role (`aws:userid` is
    /// `<role-id>:<session>`; role ids start with `AROA`).
    pub const ROLE_ID: &str = "AROAEXAMPLEFSXS3ACCESS";
    /// The role name of a representative caller of a forward-access service.
    pub const CALLER_ROLE: &str = "policy-check-representative-caller";
    /// What replaces `*` when a representative value is built from a pattern.
    pub const WILDCARD_FILL: &str = "example";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_reads_from_toml() {
        let profile: Profile = toml::from_str(
            r#"
            services = ["file-cache", "s3-link"]
            account = "111122223333"
            region = "us-east-1"
            bucket = "amzn-s3-demo-bucket"
            bucket-region = "us-west-2"
            bucket-keys = true
            cache-id = "fc-0123456789abcdef0"
            key-spec = "SYMMETRIC_DEFAULT"
            callers = ["arn:aws:iam::111122223333:role/CacheAdmin"]
            "#,
        )
        .unwrap();
        assert_eq!(profile.services, ["file-cache", "s3-link"]);
        assert_eq!(profile.flag("bucket-keys"), Some(true));
        assert_eq!(profile.text("file-system-id"), Some("fc-0123456789abcdef0"));
        assert_eq!(profile.text("bucket-region"), Some("us-west-2"));
        let error = |text: &str| toml::from_str::<Profile>(text).unwrap_err().to_string();
        assert!(error("services = [\"fsxx\"]").contains("unknown variant `fsxx`"));
        assert!(error("bucket_keys = true").contains("unknown field `bucket_keys`"));
        assert!(error("bucket-keys = \"yes\"").contains("invalid type"));
        assert!(error("cache-id = \"file_cache_id\"")
            .contains("`file-system-id`: `file_cache_id` is not `fs-*` or `fc-*`"));
        assert!(error("region = \"bucket-region\"").contains("not an AWS Region name"));
        assert!(error("account = \"aws_account_id\"").contains("not a 12-digit account id"));
        assert!(error("bucket = \"a\"\nbucket = \"b\"").contains("duplicate"));
        assert!(error("cache-id = \"fc-1\"\nfile-system-id = \"fc-2\"").contains("duplicate"));
        assert_eq!(toml::from_str::<Profile>("").unwrap(), Profile::default());
    }
}
