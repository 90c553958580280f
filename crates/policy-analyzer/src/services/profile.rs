//! Profiles: which services a key serves, with the concrete values their
//! requests carry (account, region, bucket...). A profile comes from the
//! configuration ([`Profile`]) and, for whatever the configuration leaves
//! open, from the policy itself (`infer.rs`); the result is one
//! [`ServiceProfile`] per service, each value remembering where it came from
//! so that the user can see why a check ran and with what.

use serde::Deserialize;

use super::model::ServiceId;
use crate::host::Location;
use crate::text::TextRange;

/// What a key serves, as the user configured it (a `[[profiles]]` table of
/// `policy-check.toml`, or the editor's settings). Every field is optional:
/// what is left out is inferred from the policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    /// Services the key serves: `fsx`, `fsx-lustre`, `file-cache`, `efs`,
    /// `s3-link`. Empty: inferred from the policy.
    #[serde(default)]
    pub services: Vec<ServiceId>,
    /// The 12-digit account of the file systems, caches and their users (the
    /// callers' account; `kms:CallerAccount`).
    pub account: Option<String>,
    /// The region of the file system or cache (and of the key).
    pub region: Option<String>,
    /// The S3 bucket linked to the cache or file system (`s3-link`).
    pub bucket: Option<String>,
    /// The bucket's region, when it differs from `region`.
    pub bucket_region: Option<String>,
    /// Whether the bucket uses S3 Bucket Keys. Unset: unknown, and either
    /// encryption context (object ARN or bucket ARN) is accepted.
    pub bucket_keys: Option<bool>,
    /// The id of the file system (`fs-...`) or cache (`fc-...`) linked to the
    /// bucket: it names the service-linked role `AWSServiceRoleForFSxS3Access_<id>`.
    #[serde(alias = "cache-id")]
    pub file_system_id: Option<String>,
    /// The key's spec (`SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`...).
    pub key_spec: Option<String>,
    /// Principal ARNs that use the services (for example the role that
    /// creates the file systems). Unset: the principals the policy gives the
    /// services to.
    #[serde(default)]
    pub callers: Vec<String>,
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
    /// The regions in `kms:ViaService`: the service's region, or for
    /// `s3-link` the bucket's. At least one.
    pub regions: Vec<Valued>,
    /// The callers' account when the configuration names it, else what the
    /// policy suggests (statements may still name their own; see `requests.rs`).
    pub account: Option<Valued>,
    /// `s3-link`: the linked buckets (at least one).
    pub buckets: Vec<Valued>,
    /// `s3-link`: whether the buckets use S3 Bucket Keys.
    pub bucket_keys: BucketKeys,
    /// `s3-link`: the linked file systems or caches, which name the
    /// service-linked roles.
    pub resource_ids: Vec<Valued>,
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

pub use crate::eval::is_account_id;

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
        assert_eq!(profile.services, [ServiceId::FileCache, ServiceId::S3Link]);
        assert_eq!(profile.bucket_keys, Some(true));
        assert_eq!(
            profile.file_system_id.as_deref(),
            Some("fc-0123456789abcdef0")
        );
        assert!(toml::from_str::<Profile>("services = [\"fsxx\"]").is_err());
        assert!(toml::from_str::<Profile>("bucket_keys = true").is_err());
        assert_eq!(toml::from_str::<Profile>("").unwrap(), Profile::default());
    }
}
