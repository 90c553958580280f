//! The resource context of a key: what the key is (its spec, usage, state,
//! rotation) and which resources use it, as a template or module declares
//! them. Free of any host's types: CloudFormation and Terraform fill the
//! same model, and the rules read it without knowing which did.

use crate::host::Location;

/// A value and where the host declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub at: Location,
}

/// A key as its host declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyContext {
    /// The key for messages: "AWS::KMS::Key `AppKey`", "aws_kms_key.app".
    pub name: String,
    /// Its declaration (the logical id, the block's labels).
    pub at: Location,
    /// The account the key is created in: for a template or module, the
    /// deploying account ([`crate::symbolic::ACCOUNT`]).
    pub account: Option<String>,
    /// `KeySpec` / `customer_master_key_spec`, when it is known.
    pub spec: Option<Located<String>>,
    /// `KeyUsage` / `key_usage`, when it is known.
    pub usage: Option<Located<String>>,
    /// `Enabled` / `is_enabled`, when written (both default to enabled);
    /// the value is `None` when only deployment settles it.
    pub enabled: Option<Located<Option<bool>>>,
    /// `EnableKeyRotation` / `enable_key_rotation`, when written (both
    /// default to off); the value is `None` when only deployment settles it.
    pub rotation: Option<Located<Option<bool>>>,
    /// A replica of a multi-Region key: its primary decides rotation.
    pub replica: bool,
    /// Key material imported (`Origin: EXTERNAL`), which KMS cannot rotate.
    pub external_material: bool,
    /// The resources that use the key.
    pub consumers: Vec<Consumer>,
}

impl KeyContext {
    /// Whether the key is a symmetric encryption key, as far as is known (a
    /// key spec that is not written is the default, `SYMMETRIC_DEFAULT`).
    pub fn is_symmetric(&self) -> Option<bool> {
        match &self.spec {
            None => Some(true),
            Some(spec) if crate::symbolic::has_symbol(&spec.value) => None,
            Some(spec) => Some(spec.value.eq_ignore_ascii_case("SYMMETRIC_DEFAULT")),
        }
    }
}

/// A resource that uses a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// For messages: "AWS::FSx::FileSystem `ScratchLustre`".
    pub name: String,
    /// Its CloudFormation or Terraform type (`AWS::Logs::LogGroup`,
    /// `aws_cloudwatch_log_group`), which the service models name.
    pub resource_type: String,
    pub kind: ConsumerKind,
    /// The top-level property (CloudFormation), attribute or block
    /// (Terraform) under which it names the key (`BucketEncryption`,
    /// `ReplicationConfiguration`, `kms_key_id`), when the host tells: a
    /// resource may name keys for several uses (an RDS instance's storage and
    /// its master user secret).
    pub property: Option<String>,
    /// Where it names the key (its `KmsKeyId`, `kms_key_id`...).
    pub at: Location,
}

/// What kind of resource uses the key, with what the service checks need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsumerKind {
    /// An Amazon FSx file system. `file_system_type` is `WINDOWS`, `ONTAP`,
    /// `OPENZFS` or `LUSTRE` when known.
    FsxFileSystem { file_system_type: Option<String> },
    /// An Amazon File Cache.
    FileCache,
    /// An Amazon EFS file system.
    EfsFileSystem,
    /// An S3 bucket encrypted with the key (SSE-KMS or DSSE-KMS).
    S3Bucket(S3BucketUse),
    /// Another resource (a log group, a trail, a volume...), named by its type.
    Other { resource_type: String },
}

/// How an S3 bucket uses the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3BucketUse {
    /// The bucket's name, when the host knows it (possibly symbolic).
    pub bucket: Option<String>,
    /// Whether S3 Bucket Keys are on, when the host says (`BucketKeyEnabled`,
    /// `bucket_key_enabled`).
    pub bucket_keys: Option<Located<bool>>,
    /// File caches and FSx for Lustre file systems that link the bucket as
    /// their data repository.
    pub linked_by: Vec<Located<String>>,
}
