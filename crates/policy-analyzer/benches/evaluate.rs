//! The evaluator against a 1,000-statement policy built from the statements
//! real key policies use (account root, administrators, application roles,
//! grants for AWS resources, the FSx/File Cache S3 role, AWS-managed-style
//! `*` + kms:CallerAccount + kms:ViaService, CloudTrail and CloudWatch Logs
//! service principals, IP and date conditions, a TLS-only Deny).
//!
//! Run: `cargo bench -p policy-analyzer --bench evaluate`. Target: analysis
//! under a millisecond per statement; one evaluation is far below that.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use policy_analyzer::eval::search::{OutsideAccessSearch, OutsideCaller};
use policy_analyzer::eval::{evaluate, EvalOptions, Request, RequestPrincipal};
use policy_analyzer::model::Policy;
use policy_analyzer::{analyze, syntax, AnalyzeOptions};

// The binaries run on mimalloc (see src/main.rs); measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ACCOUNT: &str = "111122223333";
const STATEMENTS: usize = 1_000;
const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];

/// The `i`-th statement of the generated policy.
fn statement(i: usize) -> String {
    let region = REGIONS[i % REGIONS.len()];
    match i % 10 {
        0 => format!(
            r#"{{"Sid": "Enable IAM User Permissions {i}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:root"}}, "Action": "kms:*", "Resource": "*"}}"#
        ),
        1 => format!(
            r#"{{"Sid": "Allow access for Key Administrators {i}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:role/KeyAdmin{i}"}}, "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"], "Resource": "*"}}"#
        ),
        2 => format!(
            r#"{{"Sid": "Allow use of the key {i}", "Effect": "Allow", "Principal": {{"AWS": ["arn:aws:iam::{ACCOUNT}:role/App{i}", "arn:aws:iam::{ACCOUNT}:user/deploy{i}"]}}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}}"#
        ),
        3 => format!(
            r#"{{"Sid": "Allow attachment of persistent resources {i}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:role/App{i}"}}, "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*", "Condition": {{"Bool": {{"kms:GrantIsForAWSResource": "true"}}}}}}"#
        ),
        4 => format!(
            r#"{{"Sid": "Allow access through S3 for the FSx SLR {i}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-{i:017x}"}}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*", "Condition": {{"StringEquals": {{"kms:CallerAccount": "{ACCOUNT}", "kms:ViaService": "s3.{region}.amazonaws.com"}}, "StringLike": {{"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::data-bucket-{i}/*"}}}}}}"#
        ),
        5 => format!(
            r#"{{"Sid": "Allow access through FSx {i}", "Effect": "Allow", "Principal": {{"AWS": "*"}}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"], "Resource": "*", "Condition": {{"StringEquals": {{"kms:CallerAccount": "{ACCOUNT}", "kms:ViaService": "fsx.{region}.amazonaws.com"}}}}}}"#
        ),
        6 => format!(
            r#"{{"Sid": "Allow CloudTrail to encrypt logs {i}", "Effect": "Allow", "Principal": {{"Service": "cloudtrail.amazonaws.com"}}, "Action": "kms:GenerateDataKey*", "Resource": "*", "Condition": {{"StringLike": {{"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}}, "StringEquals": {{"aws:SourceArn": "arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/trail-{i}"}}}}}}"#
        ),
        7 => format!(
            r#"{{"Sid": "Allow CloudWatch Logs {i}", "Effect": "Allow", "Principal": {{"Service": "logs.{region}.amazonaws.com"}}, "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "Resource": "*", "Condition": {{"ArnLike": {{"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:{region}:{ACCOUNT}:log-group:app-{i}:*"}}}}}}"#
        ),
        8 => format!(
            r#"{{"Sid": "Office network only {i}", "Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::{ACCOUNT}:role/Analyst{i}"}}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {{"IpAddress": {{"aws:SourceIp": ["203.0.113.0/24", "2001:db8:{i:x}::/48"]}}, "DateLessThan": {{"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}}}}"#
        ),
        _ => format!(
            r#"{{"Sid": "Deny requests without TLS {i}", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {{"Bool": {{"aws:SecureTransport": "false"}}}}}}"#
        ),
    }
}

fn policy_text(n: usize) -> String {
    let statements: Vec<String> = (0..n).map(statement).collect();
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {}\n  ]\n}}\n",
        statements.join(",\n    ")
    )
}

fn requests() -> Vec<(&'static str, Request)> {
    vec![
        (
            "fsx-s3-role-generate-data-key",
            Request::new(
                RequestPrincipal::role(
                    ACCOUNT,
                    "aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-00000000000000004",
                ),
                "kms:GenerateDataKey",
            )
            .with("kms:ViaService", "s3.us-east-1.amazonaws.com")
            .with("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::data-bucket-4/object")
            .with("aws:userid", "AROAEXAMPLEID:FSx")
            .with("aws:SecureTransport", "true"),
        ),
        (
            "admin-put-key-policy",
            Request::new(RequestPrincipal::role(ACCOUNT, "KeyAdmin1"), "kms:PutKeyPolicy")
                .with("aws:SecureTransport", "true"),
        ),
        (
            "cloudtrail-generate-data-key",
            Request::new(
                RequestPrincipal::Service("cloudtrail.amazonaws.com".to_string()),
                "kms:GenerateDataKey",
            )
            .with(
                "kms:EncryptionContext:aws:cloudtrail:arn",
                "arn:aws:cloudtrail:us-west-2:111122223333:trail/trail-6",
            )
            .with("aws:SourceArn", "arn:aws:cloudtrail:us-west-2:111122223333:trail/trail-6")
            .with("aws:SecureTransport", "true"),
        ),
        (
            "outsider-decrypt",
            Request::new(RequestPrincipal::role("999999999999", "Attacker"), "kms:Decrypt")
                .with("kms:ViaService", "fsx.us-east-1.amazonaws.com")
                .with("aws:SourceIp", "203.0.113.7"),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let text = policy_text(STATEMENTS);
    let parsed = syntax::parse(&text);
    let policy = Policy::from_tree(&parsed.tree);
    assert_eq!(policy.statements.len(), STATEMENTS);

    let mut group = c.benchmark_group(format!("evaluate/{STATEMENTS}-statements"));
    group.throughput(Throughput::Elements(STATEMENTS as u64));
    for (name, request) in requests() {
        group.bench_function(name, |b| {
            b.iter(|| evaluate(black_box(&policy), black_box(&request)))
        });
    }
    group.finish();

    let mut group = c.benchmark_group(format!("policy/{STATEMENTS}-statements"));
    group.throughput(Throughput::Elements(STATEMENTS as u64));
    group.sample_size(20);
    group.bench_function("parse-and-model", |b| {
        b.iter(|| {
            let parsed = syntax::parse(black_box(&text));
            Policy::from_tree(&parsed.tree).statements.len()
        })
    });
    let options = EvalOptions::default();
    group.bench_function("outside-access-search-every-statement", |b| {
        b.iter(|| {
            let search = OutsideAccessSearch::new(&policy, &options);
            (0..policy.statements.len())
                .filter(|&i| {
                    search
                        .find(i, "kms:Decrypt", &OutsideCaller::PUBLIC)
                        .is_some()
                })
                .count()
        })
    });
    group.bench_function("analyze-all-rules", |b| {
        b.iter(|| {
            analyze(black_box(&text), &AnalyzeOptions::default())
                .diagnostics
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
