//! The statements AWS documents in the pages the project was created from
//! (`seeds/003_a7c6a4a498b59cae.txt`: File Cache linked to an SSE-KMS bucket;
//! the FSx, FSx for Lustre, File Cache and EFS permission lists of seeds 000,
//! 001, 002 and 004, written as the policies those pages describe), with the
//! placeholders filled in, must produce no error and no warning.

use policy_analyzer::{analyze, AnalyzeOptions, Severity};

const ACCOUNT_ROOT: &str = r#"{
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }"#;

/// Seed 003, first statement: a specific File Cache's S3 service-linked role.
const SLR_OBJECT_CONTEXT: &str = r#"{
      "Sid": "Allow access through S3 for the FSx SLR to use the KMS key on the objects in the given S3 bucket",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"
      },
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": "111122223333",
          "kms:ViaService": "s3.us-east-1.amazonaws.com"
        },
        "StringLike": {
          "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*"
        }
      }
    }"#;

/// Seed 003, the note: with S3 Bucket Keys the context is the bucket ARN.
const SLR_BUCKET_CONTEXT: &str = r#"{
      "Sid": "Allow access through S3 for the FSx SLR to use the KMS key on the objects in the given S3 bucket",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"
      },
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": "111122223333",
          "kms:ViaService": "s3.us-east-1.amazonaws.com"
        },
        "StringLike": {
          "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket"
        }
      }
    }"#;

/// Seed 003, second statement: every File Cache of the account.
const ACCOUNT_WIDE: &str = r#"{
      "Sid": "Allow access through S3 for the FSx SLR to use the KMS key on the objects in the given S3 bucket",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "kms:CallerAccount": "111122223333",
          "kms:ViaService": "s3.us-east-1.amazonaws.com"
        },
        "StringLike": {
          "aws:userid": "*:FSx",
          "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*"
        }
      }
    }"#;

/// Seeds 000-002: the permissions FSx, FSx for Lustre and File Cache need,
/// for the identities that create file systems in the account (the shape of
/// the AWS managed `aws/fsx` key's policy).
fn file_system_statement(via_service: &str) -> String {
    format!(
        r#"{{
      "Sid": "Allow access through {via_service} for all principals in the account that are authorized to use it",
      "Effect": "Allow",
      "Principal": {{"AWS": "*"}},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {{
        "StringEquals": {{
          "kms:CallerAccount": "111122223333",
          "kms:ViaService": "{via_service}"
        }}
      }}
    }}"#
    )
}

fn policy(statements: &[&str]) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}\n",
        statements.join(",\n    ")
    )
}

fn assert_clean(name: &str, text: &str) {
    let analysis = analyze(text, &AnalyzeOptions::default());
    let loud: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| format!("{} {} {}: {}", d.severity, d.code, d.name, d.message))
        .collect();
    assert!(
        loud.is_empty(),
        "{name}: the documented policy should be clean, got:\n{}",
        loud.join("\n")
    );
}

#[test]
fn seed_003_service_linked_role_statement_is_clean() {
    assert_clean(
        "SLR, object ARN",
        &policy(&[ACCOUNT_ROOT, SLR_OBJECT_CONTEXT]),
    );
}

#[test]
fn seed_003_bucket_key_variant_is_clean() {
    assert_clean(
        "SLR, bucket ARN",
        &policy(&[ACCOUNT_ROOT, SLR_BUCKET_CONTEXT]),
    );
}

#[test]
fn seed_003_account_wide_statement_is_clean() {
    assert_clean("account-wide", &policy(&[ACCOUNT_ROOT, ACCOUNT_WIDE]));
}

#[test]
fn fsx_and_file_cache_file_system_keys_are_clean() {
    // Seeds 000 (File Cache), 001 (FSx for Windows File Server), 002 (FSx for Lustre).
    let fsx = file_system_statement("fsx.us-east-1.amazonaws.com");
    assert_clean("FSx", &policy(&[ACCOUNT_ROOT, &fsx]));
}

#[test]
fn efs_file_system_key_is_clean() {
    // Seed 004 with the AWS managed aws/elasticfilesystem policy shape (reference notes §4c).
    let efs = file_system_statement("elasticfilesystem.us-east-2.amazonaws.com");
    assert_clean("EFS", &policy(&[ACCOUNT_ROOT, &efs]));
}
