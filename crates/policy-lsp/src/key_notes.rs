//! What AWS services put in the request context, for hover and completion.
//!
//! These are editor notes, not analysis: they explain a key to the reader and
//! never decide a diagnostic. Seam: when the service packs land in the
//! analyzer (`policy_analyzer::services`), the per-service facts there
//! (which ViaService endpoint, which encryption context) should replace this
//! table, so that the hover and the checks read one source. Every note links
//! the public AWS documentation page that states it.

/// A note about a condition key: what the services send for it.
pub struct KeyNote {
    /// The key, in its canonical spelling (compared case-insensitively).
    pub key: &'static str,
    /// Markdown.
    pub note: &'static str,
}

pub const KEY_NOTES: &[KeyNote] = &[
    KeyNote {
        key: "kms:ViaService",
        note: "Present only when an AWS service calls KMS on the principal's behalf, as \
               `<service>.<region>.amazonaws.com`: `s3.<bucket-region>.amazonaws.com` for S3 SSE-KMS, \
               `fsx.<region>.amazonaws.com` for Amazon FSx and File Cache, \
               `elasticfilesystem.<region>.amazonaws.com` for Amazon EFS. A direct call from the \
               principal carries no ViaService, so `StringEquals` on it denies direct use. \
               ([AWS KMS Developer Guide: kms:ViaService](https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service))",
    },
    KeyNote {
        key: "kms:CallerAccount",
        note: "The account of the principal that made the request, also when a service calls \
               KMS on the principal's behalf. Used with \
               `kms:ViaService` to limit a `\"AWS\": \"*\"` statement to one account, as the AWS \
               managed keys do. ([AWS KMS Developer Guide: kms:CallerAccount](https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account))",
    },
    KeyNote {
        key: "kms:EncryptionContext:aws:s3:arn",
        note: "Amazon S3 (SSE-KMS) sends the **object ARN** `arn:aws:s3:::<bucket>/<object-key>`; \
               with **S3 Bucket Keys** enabled it sends the **bucket ARN** `arn:aws:s3:::<bucket>` \
               instead, so a condition on `arn:aws:s3:::<bucket>/*` stops matching when Bucket Keys \
               are turned on. The same holds for replication. ([Amazon S3 User Guide: SSE-KMS](https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html), \
               [S3 Bucket Keys](https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html), \
               [replicating encrypted objects](https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html))",
    },
    KeyNote {
        key: "kms:EncryptionContext:aws:logs:arn",
        note: "CloudWatch Logs sends the log group ARN \
               `arn:aws:logs:<region>:<account>:log-group:<name>`; match it with `ArnEquals` or \
               `ArnLike`. ([CloudWatch Logs User Guide: encrypt log data](https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html))",
    },
    KeyNote {
        key: "kms:EncryptionContext:aws:cloudtrail:arn",
        note: "CloudTrail sends the trail ARN `arn:aws:cloudtrail:<region>:<account>:trail/<name>` \
               (with `aws:s3:arn` for the log file). ([CloudTrail User Guide: KMS key policies for \
               CloudTrail](https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html))",
    },
    KeyNote {
        key: "kms:EncryptionContext:aws:ebs:id",
        note: "Amazon EBS sends the volume ID (the snapshot ID for CopySnapshot). \
               ([AWS KMS Developer Guide: how Amazon EBS uses AWS KMS](https://docs.aws.amazon.com/kms/latest/developerguide/services-ebs.html))",
    },
    KeyNote {
        key: "kms:EncryptionContext:aws:rds:db-id",
        note: "Amazon RDS sends the DB instance's resource ID. ([RDS User Guide: AWS KMS key \
               management](https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html))",
    },
    KeyNote {
        key: "kms:EncryptionContext:aws:dynamodb:tableName",
        note: "Amazon DynamoDB sends the table name (and `aws:dynamodb:subscriberId`, the account). \
               ([DynamoDB Developer Guide: encryption at rest](https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html))",
    },
    KeyNote {
        key: "kms:EncryptionContext:SecretARN",
        note: "AWS Secrets Manager sends the secret's ARN (and `SecretVersionId`). \
               ([Secrets Manager User Guide: secret encryption](https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html))",
    },
    KeyNote {
        key: "aws:userid",
        note: "For an assumed role, `<role-id>:<session-name>`. Amazon FSx and File Cache reach a \
               linked S3 bucket with the `AWSServiceRoleForFSxS3Access_<id>` role in a session named \
               `FSx`, hence the documented `StringLike` `\"aws:userid\": \"*:FSx\"`. ([IAM User Guide: \
               aws:userid](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid); [File Cache User Guide: \
               server-side encrypted S3 buckets](https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html))",
    },
];

/// The note for `key`, if there is one.
pub fn note_for(key: &str) -> Option<&'static str> {
    KEY_NOTES
        .iter()
        .find(|n| n.key.eq_ignore_ascii_case(key))
        .map(|n| n.note)
}

/// The encryption-context keys the services are known to send, for completion.
pub fn known_encryption_context_keys() -> impl Iterator<Item = &'static KeyNote> {
    KEY_NOTES
        .iter()
        .filter(|n| n.key.starts_with("kms:EncryptionContext:"))
}

/// A service that calls KMS on the principal's behalf, for `kms:ViaService`.
pub struct ViaService {
    /// The endpoint's first label: `s3` in `s3.us-east-1.amazonaws.com`.
    pub prefix: &'static str,
    pub name: &'static str,
}

/// The services offered as `kms:ViaService` values. Endpoints take the form
/// `<prefix>.<region>.amazonaws.com` (AWS KMS Developer Guide, https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
pub const VIA_SERVICES: &[ViaService] = &[
    ViaService {
        prefix: "fsx",
        name: "Amazon FSx (Windows File Server, ONTAP, OpenZFS, Lustre) and Amazon File Cache",
    },
    ViaService {
        prefix: "elasticfilesystem",
        name: "Amazon EFS",
    },
    ViaService {
        prefix: "s3",
        name: "Amazon S3 (SSE-KMS); the bucket's region",
    },
    ViaService {
        prefix: "ec2",
        name: "Amazon EBS (through EC2)",
    },
    ViaService {
        prefix: "rds",
        name: "Amazon RDS and Aurora",
    },
    ViaService {
        prefix: "dynamodb",
        name: "Amazon DynamoDB",
    },
    ViaService {
        prefix: "secretsmanager",
        name: "AWS Secrets Manager",
    },
    ViaService {
        prefix: "sns",
        name: "Amazon SNS",
    },
    ViaService {
        prefix: "sqs",
        name: "Amazon SQS",
    },
    ViaService {
        prefix: "backup",
        name: "AWS Backup",
    },
    ViaService {
        prefix: "lambda",
        name: "AWS Lambda",
    },
    ViaService {
        prefix: "ssm",
        name: "AWS Systems Manager",
    },
    ViaService {
        prefix: "logs",
        name: "Amazon CloudWatch Logs",
    },
];

/// The region of a ViaService endpoint: `us-east-1` in `s3.us-east-1.amazonaws.com`.
pub fn via_service_region(endpoint: &str) -> Option<&str> {
    let rest = endpoint.strip_suffix(".amazonaws.com")?;
    let (_, region) = rest.split_once('.')?;
    let plausible = !region.is_empty()
        && region.contains('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    plausible.then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_from_endpoints() {
        assert_eq!(
            via_service_region("s3.eu-west-3.amazonaws.com"),
            Some("eu-west-3")
        );
        assert_eq!(via_service_region("dynamodb.*.amazonaws.com"), None);
        assert_eq!(via_service_region("s3.amazonaws.com"), None);
    }

    #[test]
    fn notes_are_found_case_insensitively() {
        assert!(note_for("KMS:encryptioncontext:aws:s3:arn")
            .unwrap()
            .contains("Bucket Keys"));
        assert!(note_for("kms:GrantIsForAWSResource").is_none());
        assert!(known_encryption_context_keys().count() >= 5);
    }
}
