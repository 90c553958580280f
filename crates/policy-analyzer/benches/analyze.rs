//! Parse + analysis of small, medium and large key policies, next to the bare
//! parse of the same bytes (the floor: the analysis should stay within a small
//! factor of it).
//!
//!     cargo bench -p policy-analyzer --bench analyze

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use policy_analyzer::{analyze, syntax, AnalyzeOptions};

// The binaries run on mimalloc (see src/main.rs); measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROOT: &str = r#"{
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }"#;

const ADMINS: &str = r#"{
      "Sid": "Allow access for Key Administrators",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
      "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                 "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
                 "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
      "Resource": "*"
    }"#;

const FSX: &str = r#"{
      "Sid": "Allow Amazon FSx to use the key",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"}}
    }"#;

const S3_LINK: &str = r#"{
      "Sid": "Allow access through S3 for the FSx SLR to use the KMS key on the objects in the given S3 bucket",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-data-bucket/*"}
      }
    }"#;

const GRANTS: &str = r#"{
      "Sid": "Allow attachment of persistent resources",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
      "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      "Resource": "*",
      "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    }"#;

const LOGS: &str = r#"{
      "Sid": "Allow CloudWatch Logs",
      "Effect": "Allow",
      "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
      "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      "Resource": "*",
      "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:*"}}
    }"#;

const DENY: &str = r#"{
      "Sid": "Deny deletion except by admins",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "kms:ScheduleKeyDeletion",
      "Resource": "*",
      "Condition": {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/KeyAdmin"}}
    }"#;

fn policy(statements: &[&str]) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Id\": \"key-policy\",\n  \"Statement\": [\n    {}\n  ]\n}}\n",
        statements.join(",\n    ")
    )
}

/// About 1 KB, 4 KB (8 statements) and 30 KB.
fn inputs() -> Vec<(&'static str, String)> {
    let small = policy(&[ROOT, FSX]);
    let medium = policy(&[ROOT, ADMINS, FSX, S3_LINK, GRANTS, LOGS, DENY, FSX]);
    let all = [ROOT, ADMINS, FSX, S3_LINK, GRANTS, LOGS, DENY];
    let mut many = Vec::new();
    while policy(&many).len() < 30 * 1024 {
        many.push(all[many.len() % all.len()]);
    }
    many.pop();
    vec![
        ("small", small),
        ("medium", medium),
        ("large", policy(&many)),
    ]
}

fn bench(c: &mut Criterion) {
    let options = AnalyzeOptions::default();
    let mut group = c.benchmark_group("key-policy");
    for (name, text) in inputs() {
        group.throughput(Throughput::Bytes(text.len() as u64));
        let label = format!("{name} ({} bytes)", text.len());
        group.bench_with_input(BenchmarkId::new("parse", &label), &text, |b, t| {
            b.iter(|| syntax::parse(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("analyze", &label), &text, |b, t| {
            b.iter(|| analyze(black_box(t), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
