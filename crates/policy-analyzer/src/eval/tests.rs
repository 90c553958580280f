//! The evaluator as tables of (policy, request, expected decision), operator
//! by operator. Each row says what IAM does; the sources are the IAM User
//! Guide pages on condition operators, multivalued keys, policy variables,
//! Principal/NotPrincipal, and kms-facts.md §2–§3.

use super::*;
use crate::model::Policy;
use crate::syntax::parse;

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";

fn evaluate_text(policy: &str, request: &Request, options: &EvalOptions) -> Evaluation {
    let parsed = parse(policy);
    let model = Policy::from_tree(&parsed.tree);
    evaluate_with(&model, request, options)
}

/// A context entry of a table row.
#[derive(Clone, Copy, Debug)]
enum Ctx {
    S(&'static str, &'static str),
    M(&'static str, &'static [&'static str]),
}
use Ctx::{M, S};

fn with_context(mut request: Request, context: &[Ctx]) -> Request {
    for entry in context {
        match *entry {
            S(key, value) => request.context.set(key, value),
            M(key, values) => request
                .context
                .set_multi(key, values.iter().map(|v| v.to_string()).collect()),
        }
    }
    request
}

fn condition_policy(version: Option<&str>, condition: &str) -> String {
    let version = version.map_or(String::new(), |v| format!(r#""Version": "{v}", "#));
    format!(
        r#"{{{version}"Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {condition}}}]}}"#
    )
}

/// The caller of the condition table: IAM user `alice` of 111122223333, so
/// `aws:username`, `aws:PrincipalArn`, `kms:CallerAccount`... are derived.
fn alice() -> Request {
    Request::new(RequestPrincipal::user(ACCOUNT, "alice"), "kms:Decrypt")
}

/// (condition, request context, allowed?) under Version 2012-10-17.
#[rustfmt::skip]
const CONDITION_CASES: &[(&str, &[Ctx], bool)] = &[
    // --- String operators: exact, case-sensitive values, case-insensitive keys.
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "fsx.us-east-1.amazonaws.com")], false),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[], false),
    (r#"{"StringEquals": {"KMS:VIASERVICE": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("Kms:viaservice", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringEquals": {"kms:ViaService": "S3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringEquals": {"kms:ViaService": "s3.*.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringEquals": {"kms:ViaService": "s3.*.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.*.amazonaws.com")], true),
    (r#"{"StringEquals": {"kms:ViaService": "s3.?s-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringEquals": {"kms:ViaService": ["fsx.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringEquals": {"kms:ViaService": ["fsx.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"]}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringEquals": {"kms:EncryptionContext:purpose": ""}}"#, &[S("kms:EncryptionContext:purpose", "")], true),
    (r#"{"StringEquals": {"kms:EncryptionContext:purpose": ""}}"#, &[], false),
    (r#"{"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringLike": {"kms:ViaService": "s3.?s-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringLike": {"kms:ViaService": "s3.?.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringLike": {"kms:ViaService": "S3.*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringLike": {"kms:ViaService": "*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringLike": {"kms:ViaService": "*"}}"#, &[], false),
    (r#"{"StringLike": {"kms:ViaService": "dynamodb.*.amazonaws.com"}}"#, &[S("kms:ViaService", "dynamodb.eu-west-1.amazonaws.com")], true),
    (r#"{"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-bucket/*"}}"#, &[S("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::my-bucket/data/file.bin")], true),
    // With S3 Bucket Keys the context is the bucket ARN, which `bucket/*` does not match (kms-facts §5).
    (r#"{"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-bucket/*"}}"#, &[S("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::my-bucket")], false),
    (r#"{"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::my-bucket*"}}"#, &[S("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::my-bucket")], true),
    (r#"{"StringLike": {"aws:userid": "*:FSx"}}"#, &[S("aws:userid", "AROAEXAMPLEID:FSx")], true),
    (r#"{"StringLike": {"aws:userid": "*:FSx"}}"#, &[S("aws:userid", "AROAEXAMPLEID:fsx")], false),
    (r#"{"StringLike": {"aws:userid": "*:FSx"}}"#, &[], false),
    (r#"{"StringEqualsIgnoreCase": {"kms:ViaService": "S3.US-EAST-1.AMAZONAWS.COM"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringEqualsIgnoreCase": {"kms:ViaService": "S3.*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringEqualsIgnoreCase": {"kms:ViaService": "S3.US-EAST-1.AMAZONAWS.COM"}}"#, &[], false),
    (r#"{"StringNotEquals": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[], true),
    (r#"{"StringNotEquals": {"kms:ViaService": ["fsx.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotEquals": {"kms:ViaService": ["fsx.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"]}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringNotEquals": {"kms:ViaService": "s3.*.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringNotEqualsIgnoreCase": {"kms:ViaService": "S3.US-EAST-1.AMAZONAWS.COM"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotEqualsIgnoreCase": {"kms:ViaService": "FSX.US-EAST-1.AMAZONAWS.COM"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringNotEqualsIgnoreCase": {"kms:ViaService": "FSX.US-EAST-1.AMAZONAWS.COM"}}"#, &[], true),
    (r#"{"StringNotLike": {"kms:ViaService": "s3.*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotLike": {"kms:ViaService": "fsx.*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringNotLike": {"kms:ViaService": ["fsx.*", "s3.*"]}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotLike": {"kms:ViaService": "s3.*"}}"#, &[], true),
    // --- ...IfExists: an absent key makes the entry true; a present one is compared.
    (r#"{"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[], true),
    (r#"{"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "fsx.us-east-1.amazonaws.com")], false),
    (r#"{"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringLikeIfExists": {"kms:ViaService": "s3.*"}}"#, &[], true),
    (r#"{"StringNotEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[], true),
    (r#"{"StringNotEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    // --- AND across operators and keys, OR across values.
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com"), S("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::b/k")], true),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com"), S("kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::c/k")], false),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "444455556666"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringLike": {"kms:ViaService": "s3.*"}, "StringNotLike": {"kms:ViaService": "s3.eu-*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    (r#"{"StringLike": {"kms:ViaService": "s3.*"}, "StringNotLike": {"kms:ViaService": "s3.us-*"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    // --- Keys the principal determines are derived unless the request sets them.
    (r#"{"StringEquals": {"kms:CallerAccount": "111122223333"}}"#, &[], true),
    (r#"{"StringEquals": {"kms:CallerAccount": "444455556666"}}"#, &[], false),
    (r#"{"StringEquals": {"kms:CallerAccount": "444455556666"}}"#, &[S("kms:CallerAccount", "444455556666")], true),
    (r#"{"StringEquals": {"aws:PrincipalAccount": "111122223333"}}"#, &[], true),
    (r#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}}"#, &[], true),
    (r#"{"StringEquals": {"aws:PrincipalType": "User"}}"#, &[], true),
    (r#"{"StringEquals": {"aws:PrincipalType": "Account"}}"#, &[], false),
    (r#"{"StringEquals": {"aws:username": "alice"}}"#, &[], true),
    (r#"{"Bool": {"aws:PrincipalIsAWSService": "false"}}"#, &[], true),
    // --- Numeric.
    (r#"{"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "10")], true),
    (r#"{"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "10"}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "10.0")], true),
    (r#"{"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "11")], false),
    (r#"{"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": [7, 10]}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "7")], true),
    (r#"{"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": -1.5}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "-1.5")], true),
    (r#"{"NumericNotEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "11")], true),
    (r#"{"NumericNotEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "10")], false),
    (r#"{"NumericNotEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}}"#, &[], true),
    (r#"{"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "7")], true),
    (r#"{"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "30")], false),
    (r#"{"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "30")], true),
    (r#"{"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "31")], false),
    (r#"{"NumericGreaterThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "7")], false),
    (r#"{"NumericGreaterThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "8")], true),
    (r#"{"NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "7")], true),
    (r#"{"NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "6.99")], false),
    (r#"{"NumericGreaterThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 7}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "seven")], false),
    (r#"{"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[], false),
    (r#"{"NumericLessThanIfExists": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[], true),
    (r#"{"NumericLessThanIfExists": {"kms:ScheduleKeyDeletionPendingWindowInDays": 30}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "31")], false),
    // A policy value that is no number: the entry can never hold.
    (r#"{"NumericEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "ten"}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "10")], false),
    (r#"{"NumericNotEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "ten"}}"#, &[S("kms:ScheduleKeyDeletionPendingWindowInDays", "10")], false),
    // --- Date: ISO 8601 and epoch seconds, in either place.
    (r#"{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "2024-05-01T12:00:00Z")], true),
    (r#"{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "2024-05-01T12:00:00Z")], false),
    (r#"{"DateLessThan": {"aws:CurrentTime": "1577836800"}}"#, &[S("aws:CurrentTime", "2019-12-31T23:59:59Z")], true),
    (r#"{"DateLessThan": {"aws:EpochTime": 1577836800}}"#, &[S("aws:EpochTime", "1577836799")], true),
    (r#"{"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "1577836800")], true),
    (r#"{"DateEquals": {"aws:CurrentTime": "2020-01-01"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], true),
    (r#"{"DateEquals": {"aws:CurrentTime": "2020-01-01T00:00:00.000Z"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], true),
    (r#"{"DateNotEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "2020-01-02T00:00:00Z")], true),
    (r#"{"DateNotEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], false),
    (r#"{"DateNotEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[], true),
    (r#"{"DateGreaterThanEquals": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], true),
    (r#"{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], false),
    (r#"{"DateLessThanEquals": {"aws:CurrentTime": "2020-01-01T01:00:00+01:00"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], true),
    (r#"{"DateLessThan": {"aws:CurrentTime": "2020-01-01T01:00:00+01:00"}}"#, &[S("aws:CurrentTime", "2020-01-01T00:00:00Z")], false),
    (r#"{"DateLessThan": {"kms:ValidTo": "2030-01-01T00:00:00Z"}}"#, &[S("kms:ValidTo", "1893455999")], true),
    (r#"{"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[], false),
    (r#"{"DateLessThanIfExists": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}"#, &[], true),
    (r#"{"DateGreaterThan": {"aws:CurrentTime": "last tuesday"}}"#, &[S("aws:CurrentTime", "2024-05-01T12:00:00Z")], false),
    (r#"{"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}"#, &[S("aws:CurrentTime", "soon")], false),
    // --- Bool.
    (r#"{"Bool": {"aws:SecureTransport": "true"}}"#, &[S("aws:SecureTransport", "true")], true),
    (r#"{"Bool": {"aws:SecureTransport": true}}"#, &[S("aws:SecureTransport", "true")], true),
    (r#"{"Bool": {"aws:SecureTransport": "true"}}"#, &[S("aws:SecureTransport", "false")], false),
    (r#"{"Bool": {"aws:SecureTransport": "false"}}"#, &[], false),
    (r#"{"BoolIfExists": {"aws:SecureTransport": "false"}}"#, &[], true),
    (r#"{"BoolIfExists": {"aws:SecureTransport": "false"}}"#, &[S("aws:SecureTransport", "true")], false),
    (r#"{"Bool": {"kms:GrantIsForAWSResource": "true"}}"#, &[S("kms:GrantIsForAWSResource", "true")], true),
    (r#"{"Bool": {"kms:GrantIsForAWSResource": "true"}}"#, &[], false),
    (r#"{"Bool": {"aws:SecureTransport": "yes"}}"#, &[S("aws:SecureTransport", "true")], false),
    // --- Binary: base64, compared as bytes.
    (r#"{"BinaryEquals": {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5VmFsdWU="}}"#, &[S("kms:RecipientAttestation:ImageSha384", "QmluYXJ5VmFsdWU=")], true),
    (r#"{"BinaryEquals": {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5VmFsdWU="}}"#, &[S("kms:RecipientAttestation:ImageSha384", "QmluYXJ5VmFsdWU")], true),
    (r#"{"BinaryEquals": {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5VmFsdWU="}}"#, &[S("kms:RecipientAttestation:ImageSha384", "T3RoZXI=")], false),
    (r#"{"BinaryEquals": {"kms:RecipientAttestation:ImageSha384": "QmluYXJ5VmFsdWU="}}"#, &[], false),
    // --- IP addresses: IPv4 and IPv6 CIDR ranges.
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[S("aws:SourceIp", "203.0.113.5")], true),
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[S("aws:SourceIp", "198.51.100.1")], false),
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[], false),
    (r#"{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}"#, &[S("aws:SourceIp", "203.0.113.200")], true),
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.5"}}"#, &[S("aws:SourceIp", "203.0.113.5")], true),
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.5"}}"#, &[S("aws:SourceIp", "203.0.113.6")], false),
    (r#"{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}"#, &[S("aws:SourceIp", "8.8.8.8")], true),
    (r#"{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}"#, &[S("aws:SourceIp", "2001:db8:1234:5678::9")], true),
    (r#"{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}"#, &[S("aws:SourceIp", "2001:db8:1234:5679::9")], false),
    (r#"{"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}"#, &[S("aws:SourceIp", "203.0.113.5")], false),
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}"#, &[S("aws:SourceIp", "203.0.113.5")], false),
    (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[S("aws:SourceIp", "not-an-ip")], false),
    (r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[S("aws:SourceIp", "198.51.100.1")], true),
    (r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[S("aws:SourceIp", "203.0.113.1")], false),
    (r#"{"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}}"#, &[S("aws:SourceIp", "10.1.1.1")], false),
    (r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[], true),
    (r#"{"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[], true),
    // --- ARN operators: component-wise, wildcards in both, ArnEquals = ArnLike.
    (r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main")], true),
    (r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/other")], false),
    (r#"{"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main")], true),
    (r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main")], true),
    (r#"{"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:eu-west-1:444455556666:trail/main")], false),
    (r#"{"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[], false),
    (r#"{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[], true),
    (r#"{"ArnNotEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/other")], true),
    (r#"{"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main")], false),
    (r#"{"ArnNotLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}"#, &[], true),
    (r#"{"ArnLike": {"aws:SourceArn": "*"}}"#, &[S("aws:SourceArn", "arn:aws:sns:us-east-1:444455556666:topic")], true),
    (r#"{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:*"}}"#, &[S("kms:EncryptionContext:aws:logs:arn", "arn:aws:logs:us-east-1:111122223333:log-group:app:*")], true),
    (r#"{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:log-group:app"}}"#, &[S("kms:EncryptionContext:aws:logs:arn", "arn:aws:logs:us-east-1:111122223333:log-group:app")], true),
    // A wildcard does not reach across a component's colon.
    (r#"{"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:*:log-group:app"}}"#, &[S("kms:EncryptionContext:aws:logs:arn", "arn:aws:logs:us-east-1:111122223333:log-group:app")], false),
    (r#"{"ArnLike": {"aws:SourceArn": "arn:aws:S3:::bucket"}}"#, &[S("aws:SourceArn", "arn:aws:s3:::bucket")], false),
    (r#"{"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket"}}"#, &[S("aws:SourceArn", "bucket")], false),
    // --- More boundaries.
    (r#"{"DateLessThan": {"kms:ValidTo": "2030-01-01T00:00:00Z"}}"#, &[S("kms:ValidTo", "1893456000")], false),
    (r#"{"DateLessThanEquals": {"kms:ValidTo": "2030-01-01T00:00:00Z"}}"#, &[S("kms:ValidTo", "1893456000")], true),
    (r#"{"NumericLessThan": {"kms:RotationPeriodInDays": "365.5"}}"#, &[S("kms:RotationPeriodInDays", "365")], true),
    (r#"{"NumericGreaterThanEquals": {"kms:RotationPeriodInDays": 90}}"#, &[S("kms:RotationPeriodInDays", "-90")], false),
    (r#"{"StringLike": {"kms:EncryptionContext:purpose": ""}}"#, &[S("kms:EncryptionContext:purpose", "")], true),
    (r#"{"StringLike": {"kms:EncryptionContext:purpose": ""}}"#, &[S("kms:EncryptionContext:purpose", "x")], false),
    (r#"{"StringEqualsIgnoreCase": {"kms:EncryptionContext:city": "MÜNCHEN"}}"#, &[S("kms:EncryptionContext:city", "münchen")], true),
    (r#"{"StringEquals": {"kms:EncryptionContext:city": "MÜNCHEN"}}"#, &[S("kms:EncryptionContext:city", "münchen")], false),
    (r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/*"}}"#, &[], true),
    (r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/aws-service-role/*"}}"#, &[], false),
    (r#"{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}"#, &[S("aws:SourceIp", "2001:db8::1")], false),
    (r#"{"IpAddress": {"aws:SourceIp": "::/0"}}"#, &[S("aws:SourceIp", "2001:db8::1")], true),
    (r#"{"Null": {"aws:SourceIp": ["true", "false"]}}"#, &[], true),
    (r#"{"Null": {"aws:SourceIp": ["true", "false"]}}"#, &[S("aws:SourceIp", "203.0.113.1")], true),
    (r#"{"StringNotEqualsIfExists": {"aws:CalledVia": "athena.amazonaws.com"}}"#, &[M("aws:CalledVia", &["dynamodb.amazonaws.com"])], true),
    (r#"{"ForAnyValue:StringEquals": {"AWS:CALLEDVIA": "athena.amazonaws.com"}}"#, &[M("aws:calledvia", &["athena.amazonaws.com"])], true),
    // --- Null: presence itself.
    (r#"{"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}}"#, &[S("kms:EncryptionContext:aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t")], true),
    (r#"{"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}}"#, &[], false),
    (r#"{"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "true"}}"#, &[], true),
    (r#"{"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "true"}}"#, &[S("kms:EncryptionContext:aws:cloudtrail:arn", "x")], false),
    (r#"{"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": true}}"#, &[], true),
    (r#"{"Null": {"aws:username": "true"}}"#, &[], false),
    (r#"{"Null": {"kms:EncryptionContextKeys": "false"}}"#, &[M("kms:EncryptionContextKeys", &[])], false),
    (r#"{"Null": {"kms:EncryptionContextKeys": "false"}}"#, &[M("kms:EncryptionContextKeys", &["aws:s3:arn"])], true),
    (r#"{"Null": {"aws:SourceIp": "maybe"}}"#, &[], false),
    // --- Set qualifiers on multivalued keys.
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[M("kms:EncryptionContextKeys", &["aws:s3:arn"])], true),
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[M("kms:EncryptionContextKeys", &["aws:s3:arn", "purpose"])], false),
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn", "purpose"]}}"#, &[M("kms:EncryptionContextKeys", &["purpose", "aws:s3:arn"])], true),
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[], true),
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[M("kms:EncryptionContextKeys", &[])], true),
    (r#"{"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[M("kms:EncryptionContextKeys", &["purpose", "aws:s3:arn"])], true),
    (r#"{"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[M("kms:EncryptionContextKeys", &["purpose"])], false),
    (r#"{"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[], false),
    (r#"{"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[M("kms:EncryptionContextKeys", &[])], false),
    (r#"{"ForAnyValue:StringEqualsIfExists": {"kms:EncryptionContextKeys": ["aws:s3:arn"]}}"#, &[], true),
    (r#"{"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": ["aws:*"]}}"#, &[M("kms:EncryptionContextKeys", &["purpose", "aws:s3:arn"])], true),
    (r#"{"ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["aws:*"]}}"#, &[M("kms:EncryptionContextKeys", &["purpose", "aws:s3:arn"])], false),
    (r#"{"ForAllValues:StringLike": {"kms:EncryptionContextKeys": ["aws:*", "pur*"]}}"#, &[M("kms:EncryptionContextKeys", &["purpose", "aws:s3:arn"])], true),
    (r#"{"ForAllValues:StringNotEquals": {"kms:EncryptionContextKeys": ["secret"]}}"#, &[M("kms:EncryptionContextKeys", &["a", "b"])], true),
    (r#"{"ForAllValues:StringNotEquals": {"kms:EncryptionContextKeys": ["secret"]}}"#, &[M("kms:EncryptionContextKeys", &["a", "secret"])], false),
    (r#"{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}"#, &[], true),
    (r#"{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}"#, &[M("aws:TagKeys", &["key2:audit"])], true),
    (r#"{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}"#, &[M("aws:TagKeys", &["key1:legal"])], false),
    (r#"{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}"#, &[M("aws:TagKeys", &["key1:hr", "key2:audit"])], false),
    (r#"{"ForAnyValue:StringNotEquals": {"kms:EncryptionContextKeys": ["secret"]}}"#, &[M("kms:EncryptionContextKeys", &["secret", "a"])], true),
    (r#"{"ForAnyValue:StringNotEquals": {"kms:EncryptionContextKeys": ["secret"]}}"#, &[M("kms:EncryptionContextKeys", &["secret"])], false),
    (r#"{"ForAnyValue:StringNotEquals": {"kms:EncryptionContextKeys": ["secret"]}}"#, &[], false),
    (r#"{"ForAnyValue:StringEqualsIgnoreCase": {"aws:PrincipalOrgPaths": ["O-A1B2/R-AB12/OU-AB12-11111111/*"]}}"#, &[M("aws:PrincipalOrgPaths", &["o-a1b2/r-ab12/ou-ab12-11111111/*"])], true),
    (r#"{"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2/r-ab12/ou-ab12-11111111/*"]}}"#, &[M("aws:PrincipalOrgPaths", &["o-a1b2/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"])], true),
    // A set qualifier on a single-valued key: the value is a one-element set,
    // and ForAllValues allows a request without the key at all (kms-facts §2a).
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContext:purpose": "backup"}}"#, &[S("kms:EncryptionContext:purpose", "backup")], true),
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContext:purpose": "backup"}}"#, &[S("kms:EncryptionContext:purpose", "other")], false),
    (r#"{"ForAllValues:StringEquals": {"kms:EncryptionContext:purpose": "backup"}}"#, &[], true),
    (r#"{"ForAnyValue:StringEquals": {"kms:EncryptionContext:purpose": "backup"}}"#, &[S("kms:EncryptionContext:purpose", "backup")], true),
    // A multivalued request value without a qualifier: one match is enough,
    // and a negated operator needs no value to match.
    (r#"{"StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}}"#, &[M("aws:CalledVia", &["athena.amazonaws.com", "dynamodb.amazonaws.com"])], true),
    (r#"{"StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}}"#, &[M("aws:CalledVia", &["athena.amazonaws.com", "dynamodb.amazonaws.com"])], false),
    (r#"{"StringEquals": {"aws:CalledVia": "athena.amazonaws.com"}}"#, &[M("aws:CalledVia", &[])], false),
    (r#"{"StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}}"#, &[M("aws:CalledVia", &[])], true),
    // --- Unknown operators make the condition unsatisfiable; empty blocks hold.
    (r#"{"StringEqualz": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"stringequals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"ForSomeValues:StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotEqualz": {"kms:ViaService": "fsx.us-east-1.amazonaws.com"}}"#, &[], false),
    (r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}, "Condition": {"aws:SourceArn": "x"}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{}"#, &[], true),
    (r#"{"StringEquals": {}}"#, &[], true),
    (r#"{"StringEquals": {"kms:ViaService": []}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], false),
    (r#"{"StringNotEquals": {"kms:ViaService": []}}"#, &[S("kms:ViaService", "s3.us-east-1.amazonaws.com")], true),
    // --- Policy variables under 2012-10-17 (the username is derived from the caller).
    (r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "alice")], true),
    (r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "bob")], false),
    (r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "${aws:username}")], false),
    (r#"{"StringEquals": {"aws:PrincipalTag/team": "${AWS:USERNAME}"}}"#, &[S("aws:PrincipalTag/team", "alice")], true),
    (r#"{"StringLike": {"kms:EncryptionContext:owner": "${aws:username}-*"}}"#, &[S("kms:EncryptionContext:owner", "alice-reports")], true),
    (r#"{"StringLike": {"kms:EncryptionContext:owner": "${aws:username}-*"}}"#, &[S("kms:EncryptionContext:owner", "bob-reports")], false),
    (r#"{"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}-*"}}"#, &[S("kms:EncryptionContext:owner", "alice-*")], true),
    (r#"{"StringEquals": {"kms:EncryptionContext:owner": "${aws:username}-*"}}"#, &[S("kms:EncryptionContext:owner", "alice-x")], false),
    (r#"{"StringLike": {"kms:EncryptionContext:literal": "a${*}b"}}"#, &[S("kms:EncryptionContext:literal", "a*b")], true),
    (r#"{"StringLike": {"kms:EncryptionContext:literal": "a${*}b"}}"#, &[S("kms:EncryptionContext:literal", "axb")], false),
    (r#"{"StringLike": {"kms:EncryptionContext:literal": "a${?}b"}}"#, &[S("kms:EncryptionContext:literal", "a?b")], true),
    (r#"{"StringLike": {"kms:EncryptionContext:literal": "a${?}b"}}"#, &[S("kms:EncryptionContext:literal", "axb")], false),
    (r#"{"StringEquals": {"kms:EncryptionContext:literal": "a${$}b"}}"#, &[S("kms:EncryptionContext:literal", "a$b")], true),
    // A variable the request cannot resolve invalidates the statement, negated or not.
    (r#"{"StringEquals": {"kms:EncryptionContext:owner": "${aws:SourceIdentity}"}}"#, &[S("kms:EncryptionContext:owner", "alice")], false),
    (r#"{"StringNotEquals": {"kms:EncryptionContext:owner": "${aws:SourceIdentity}"}}"#, &[S("kms:EncryptionContext:owner", "alice")], false),
    (r#"{"StringEquals": {"kms:EncryptionContext:owner": "${aws:SourceIdentity, 'nobody'}"}}"#, &[S("kms:EncryptionContext:owner", "nobody")], true),
    (r#"{"StringEquals": {"kms:EncryptionContext:owner": "${aws:SourceIdentity}"}}"#, &[S("kms:EncryptionContext:owner", "svc"), S("aws:SourceIdentity", "svc")], true),
    // Multivalued keys are not variables.
    (r#"{"StringEquals": {"kms:EncryptionContext:owner": "${aws:CalledVia}"}}"#, &[S("kms:EncryptionContext:owner", "athena.amazonaws.com"), M("aws:CalledVia", &["athena.amazonaws.com"])], false),
    (r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}}"#, &[], true),
    (r#"{"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:${aws:PrincipalAccount}:trail/*"}}"#, &[S("aws:SourceArn", "arn:aws:cloudtrail:us-east-1:444455556666:trail/t")], false),
    // Variables are not substituted for numeric, date, bool or IP operators.
    (r#"{"NumericEquals": {"aws:MultiFactorAuthAge": "${aws:MultiFactorAuthAge}"}}"#, &[S("aws:MultiFactorAuthAge", "10")], false),
    (r#"{"Bool": {"aws:SecureTransport": "${aws:SecureTransport}"}}"#, &[S("aws:SecureTransport", "true")], false),
];

#[test]
fn condition_operators() {
    let mut failures = Vec::new();
    for (i, (condition, context, allowed)) in CONDITION_CASES.iter().enumerate() {
        let policy = condition_policy(Some("2012-10-17"), condition);
        let request = with_context(alice(), context);
        let evaluation = evaluate_text(&policy, &request, &EvalOptions::default());
        if evaluation.is_allowed() != *allowed {
            failures.push(format!(
                "row {i}: {condition} with {context:?}: expected {}, got {:?} ({:?})",
                if *allowed { "Allow" } else { "no Allow" },
                evaluation.decision,
                evaluation.misses
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows wrong:\n{}",
        failures.len(),
        CONDITION_CASES.len(),
        failures.join("\n")
    );
}

/// Brief evaluation (what searches use) decides every row of the operator
/// table as the full one does, with the same misses, only without words.
#[test]
fn brief_evaluation_decides_alike() {
    let brief = EvalOptions {
        brief: true,
        ..EvalOptions::default()
    };
    for (condition, context, _) in CONDITION_CASES {
        let policy = condition_policy(Some("2012-10-17"), condition);
        let request = with_context(alice(), context);
        let full = evaluate_text(&policy, &request, &EvalOptions::default());
        let quick = evaluate_text(&policy, &request, &brief);
        assert_eq!(full.decision, quick.decision, "{condition}");
        let ranges = |e: &Evaluation| -> Vec<(usize, TextRange)> {
            e.misses
                .iter()
                .map(|m| (m.statement, m.failure.range()))
                .collect()
        };
        assert_eq!(ranges(&full), ranges(&quick), "{condition}");
        for m in &quick.misses {
            if let Failure::Condition { reason, .. } = &m.failure {
                assert!(reason.is_empty(), "{condition}: {reason}");
            }
        }
    }
}

/// (Version, condition, context, allowed?): variables are literal text
/// without Version 2012-10-17.
#[rustfmt::skip]
const VERSION_CASES: &[(Option<&str>, &str, &[Ctx], bool)] = &[
    (Some("2008-10-17"), r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "${aws:username}")], true),
    (Some("2008-10-17"), r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "alice")], false),
    (None, r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "alice")], false),
    (None, r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "${aws:username}")], true),
    (Some("2012-10-17"), r#"{"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}"#, &[S("aws:PrincipalTag/team", "alice")], true),
    (Some("2008-10-17"), r#"{"StringLike": {"kms:EncryptionContext:x": "a${*}b"}}"#, &[S("kms:EncryptionContext:x", "a${zzz}b")], true),
    (Some("2008-10-17"), r#"{"StringNotEquals": {"kms:EncryptionContext:owner": "${aws:SourceIdentity}"}}"#, &[S("kms:EncryptionContext:owner", "alice")], true),
];

#[test]
fn policy_variables_need_version_2012_10_17() {
    for (i, (version, condition, context, allowed)) in VERSION_CASES.iter().enumerate() {
        let policy = condition_policy(*version, condition);
        let evaluation = evaluate_text(
            &policy,
            &with_context(alice(), context),
            &EvalOptions::default(),
        );
        assert_eq!(
            evaluation.is_allowed(),
            *allowed,
            "row {i}: {version:?} {condition} {context:?}"
        );
    }
}

/// Keys each kind of caller determines: (caller, condition, allowed?).
#[rustfmt::skip]
const DERIVED_CASES: &[(Caller, &str, bool)] = &[
    (Caller::Admin, r#"{"StringEquals": {"aws:PrincipalType": "AssumedRole"}}"#, true),
    (Caller::Admin, r#"{"Null": {"aws:username": "true"}}"#, true),
    (Caller::Admin, r#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}}"#, true),
    (Caller::Admin, r#"{"Null": {"aws:userid": "true"}}"#, true),
    (Caller::Alice, r#"{"StringEquals": {"aws:PrincipalType": "User", "aws:username": "alice"}}"#, true),
    (Caller::Root, r#"{"StringEquals": {"aws:PrincipalType": "Account", "aws:userid": "111122223333"}}"#, true),
    (Caller::Root, r#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"}}"#, true),
    (Caller::Root, r#"{"StringEquals": {"kms:CallerAccount": "111122223333"}}"#, true),
    (Caller::OtherRole, r#"{"StringEquals": {"kms:CallerAccount": "111122223333"}}"#, false),
    (Caller::Nobody, r#"{"StringEquals": {"aws:PrincipalType": "Anonymous", "aws:userid": "anonymous"}}"#, true),
    (Caller::Nobody, r#"{"Null": {"kms:CallerAccount": "true", "aws:PrincipalArn": "true"}}"#, true),
    (Caller::Nobody, r#"{"StringNotEquals": {"kms:CallerAccount": "111122223333"}}"#, true),
    (Caller::CloudTrail, r#"{"StringEquals": {"aws:PrincipalServiceName": "cloudtrail.amazonaws.com"}, "Bool": {"aws:PrincipalIsAWSService": "true"}}"#, true),
    (Caller::CloudTrail, r#"{"Null": {"kms:CallerAccount": "true"}}"#, true),
    (Caller::FsxSlr, r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/*"}}"#, true),
];

#[test]
fn keys_the_caller_determines() {
    for (i, (who, condition, allowed)) in DERIVED_CASES.iter().enumerate() {
        let policy = condition_policy(Some("2012-10-17"), condition);
        let e = evaluate_text(
            &policy,
            &Request::new(caller(*who), "kms:Decrypt"),
            &EvalOptions::default(),
        );
        assert_eq!(
            e.is_allowed(),
            *allowed,
            "row {i}: {who:?} {condition}: {:?}",
            e.misses
        );
    }
}

/// Who a principal-table row asks about.
#[derive(Clone, Copy, Debug)]
enum Caller {
    Admin,
    Alice,
    Root,
    OtherRole,
    OtherRoot,
    CloudTrail,
    Nobody,
    FsxSlr,
}

fn caller(c: Caller) -> RequestPrincipal {
    match c {
        Caller::Admin => RequestPrincipal::role(ACCOUNT, "Admin"),
        Caller::Alice => RequestPrincipal::user(ACCOUNT, "alice"),
        Caller::Root => RequestPrincipal::AccountRoot {
            account: ACCOUNT.to_string(),
        },
        Caller::OtherRole => RequestPrincipal::role(OTHER_ACCOUNT, "Admin"),
        Caller::OtherRoot => RequestPrincipal::AccountRoot {
            account: OTHER_ACCOUNT.to_string(),
        },
        Caller::CloudTrail => RequestPrincipal::Service("cloudtrail.amazonaws.com".to_string()),
        Caller::Nobody => RequestPrincipal::Anonymous,
        Caller::FsxSlr => RequestPrincipal::role(
            ACCOUNT,
            "aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0",
        ),
    }
}

/// How a statement treats the caller, in a table row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Named,
    Delegated,
    NoMatch,
}

/// (principal element as JSON: `"Principal": ...` or `"NotPrincipal": ...`, caller, verdict).
#[rustfmt::skip]
const PRINCIPAL_CASES: &[(&str, Caller, Verdict)] = &[
    (r#""Principal": "*""#, Caller::Admin, Verdict::Named),
    (r#""Principal": "*""#, Caller::Nobody, Verdict::Named),
    (r#""Principal": "*""#, Caller::CloudTrail, Verdict::Named),
    (r#""Principal": "*""#, Caller::OtherRoot, Verdict::Named),
    (r#""Principal": {"AWS": "*"}"#, Caller::OtherRole, Verdict::Named),
    (r#""Principal": {"AWS": "*"}"#, Caller::Nobody, Verdict::Named),
    (r#""Principal": {"AWS": ["*"]}"#, Caller::Alice, Verdict::Named),
    // The account principal delegates to the account's IAM policies (kms-facts §3).
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::Admin, Verdict::Delegated),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::Alice, Verdict::Delegated),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::FsxSlr, Verdict::Delegated),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::Root, Verdict::Named),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::OtherRole, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::OtherRoot, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::Nobody, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::CloudTrail, Verdict::NoMatch),
    (r#""Principal": {"AWS": "111122223333"}"#, Caller::Admin, Verdict::Delegated),
    (r#""Principal": {"AWS": "111122223333"}"#, Caller::Root, Verdict::Named),
    (r#""Principal": {"AWS": "arn:aws-cn:iam::111122223333:root"}"#, Caller::Admin, Verdict::Delegated),
    (r#""Principal": {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:root"]}"#, Caller::Admin, Verdict::Delegated),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}"#, Caller::Admin, Verdict::Named),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}"#, Caller::OtherRole, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}"#, Caller::Root, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}"#, Caller::Alice, Verdict::NoMatch),
    (r#""Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/Admin"]}"#, Caller::Admin, Verdict::Named),
    // No partial wildcards in principals.
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/*"}"#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}"#, Caller::Alice, Verdict::Named),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"}"#, Caller::FsxSlr, Verdict::Named),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"}"#, Caller::FsxSlr, Verdict::NoMatch),
    (r#""Principal": {"Service": "cloudtrail.amazonaws.com"}"#, Caller::CloudTrail, Verdict::Named),
    (r#""Principal": {"Service": ["logs.us-east-1.amazonaws.com", "cloudtrail.amazonaws.com"]}"#, Caller::CloudTrail, Verdict::Named),
    (r#""Principal": {"Service": "cloudtrail.amazonaws.com"}"#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": {"Service": "cloudtrail.amazonaws.com"}"#, Caller::Nobody, Verdict::NoMatch),
    (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root", "Service": "cloudtrail.amazonaws.com"}"#, Caller::CloudTrail, Verdict::Named),
    (r#""Principal": {"Federated": "cognito-identity.amazonaws.com"}"#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": {"aws": "*"}"#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": "arn:aws:iam::111122223333:root""#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": ["*"]"#, Caller::Admin, Verdict::NoMatch),
    (r#""Principal": {"AWS": "AROAEXAMPLEUNIQUEID"}"#, Caller::Admin, Verdict::NoMatch),
    // NotPrincipal: everyone except those whose every identity is listed.
    (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}"#, Caller::Admin, Verdict::Named),
    (r#""NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:root"]}"#, Caller::Admin, Verdict::NoMatch),
    (r#""NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:root"]}"#, Caller::Alice, Verdict::Named),
    (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::Root, Verdict::NoMatch),
    (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::OtherRole, Verdict::Named),
    (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::Nobody, Verdict::Named),
    (r#""NotPrincipal": {"AWS": "*"}"#, Caller::Admin, Verdict::NoMatch),
    (r#""NotPrincipal": {"AWS": "*"}"#, Caller::Nobody, Verdict::NoMatch),
    (r#""NotPrincipal": {"Service": "cloudtrail.amazonaws.com"}"#, Caller::CloudTrail, Verdict::NoMatch),
    (r#""NotPrincipal": {"Service": "cloudtrail.amazonaws.com"}"#, Caller::Admin, Verdict::Named),
    // Both, or neither: the statement is unreadable.
    (r#""Principal": "*", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Caller::OtherRole, Verdict::NoMatch),
    (r#""Sid": "no principal""#, Caller::Admin, Verdict::NoMatch),
];

#[test]
fn principals() {
    let mut failures = Vec::new();
    for (i, (principal, who, expected)) in PRINCIPAL_CASES.iter().enumerate() {
        for effect in ["Allow", "Deny"] {
            let policy = format!(
                r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "{effect}", {principal}, "Action": "kms:Decrypt", "Resource": "*"}}]}}"#
            );
            let e = evaluate_text(
                &policy,
                &Request::new(caller(*who), "kms:Decrypt"),
                &EvalOptions::default(),
            );
            let got = if effect == "Deny" {
                // A Deny that names the account applies to its principals too.
                if e.denied_by.is_empty() {
                    Verdict::NoMatch
                } else {
                    Verdict::Named
                }
            } else if !e.allowed_by.is_empty() {
                Verdict::Named
            } else if !e.delegated_by.is_empty() {
                Verdict::Delegated
            } else {
                Verdict::NoMatch
            };
            let want = match (effect, expected) {
                ("Deny", Verdict::Delegated) => Verdict::Named,
                (_, v) => *v,
            };
            if got != want {
                failures.push(format!(
                    "row {i} ({effect}): {principal} for {who:?}: expected {want:?}, got {got:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// (Action or NotAction element as JSON, requested action, matches?).
#[rustfmt::skip]
const ACTION_CASES: &[(&str, &str, bool)] = &[
    (r#""Action": "kms:Decrypt""#, "kms:Decrypt", true),
    (r#""Action": "KMS:DECRYPT""#, "kms:Decrypt", true),
    (r#""Action": "kms:decrypt""#, "kms:Decrypt", true),
    (r#""Action": "kms:*""#, "kms:Decrypt", true),
    (r#""Action": "*""#, "kms:Decrypt", true),
    (r#""Action": "kms:De*""#, "kms:Decrypt", true),
    (r#""Action": "kms:?ecrypt""#, "kms:Decrypt", true),
    (r#""Action": "kms:?ecrypt""#, "kms:Encrypt", false),
    (r#""Action": "kms:Encrypt""#, "kms:Decrypt", false),
    (r#""Action": "kms:Decrypt*""#, "kms:Decrypt", true),
    (r#""Action": "kms:GenerateDataKey*""#, "kms:GenerateDataKey", true),
    (r#""Action": "kms:GenerateDataKey*""#, "kms:GenerateDataKeyPairWithoutPlaintext", true),
    (r#""Action": "kms:GenerateDataKeyWithoutPlainText""#, "kms:GenerateDataKeyWithoutPlaintext", true),
    (r#""Action": "kms:GenerateDataKey""#, "kms:GenerateDataKeyWithoutPlaintext", false),
    (r#""Action": "kms:ReEncrypt""#, "kms:ReEncryptFrom", false),
    (r#""Action": "kms:ReEncrypt*""#, "kms:ReEncryptTo", true),
    (r#""Action": "kms:Create*""#, "kms:CreateGrant", true),
    (r#""Action": "kms:Delete*""#, "kms:ScheduleKeyDeletion", false),
    (r#""Action": "s3:*""#, "kms:Decrypt", false),
    (r#""Action": "kms""#, "kms:Decrypt", false),
    (r#""Action": ["kms:Encrypt", "kms:Decrypt"]"#, "kms:Decrypt", true),
    (r#""Action": []"#, "kms:Decrypt", false),
    (r#""Action": 5"#, "kms:Decrypt", false),
    (r#""NotAction": "kms:Decrypt""#, "kms:Decrypt", false),
    (r#""NotAction": "kms:Encrypt""#, "kms:Decrypt", true),
    (r#""NotAction": ["kms:Encrypt", "kms:De*"]"#, "kms:Decrypt", false),
    (r#""NotAction": "kms:*""#, "kms:Decrypt", false),
    (r#""NotAction": "s3:*""#, "kms:PutKeyPolicy", true),
    (r#""Action": "kms:Decrypt", "NotAction": "kms:Encrypt""#, "kms:Decrypt", false),
    (r#""Sid": "no action""#, "kms:Decrypt", false),
];

#[test]
fn actions() {
    for (i, (element, action, matches)) in ACTION_CASES.iter().enumerate() {
        let policy = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", {element}, "Resource": "*"}}]}}"#
        );
        let e = evaluate_text(
            &policy,
            &Request::new(caller(Caller::Admin), *action),
            &EvalOptions::default(),
        );
        assert_eq!(
            e.is_allowed(),
            *matches,
            "row {i}: {element} for {action}: {:?}",
            e.misses
        );
    }
}

/// (Resource or NotResource element, the key ARN if given, matches?).
#[rustfmt::skip]
const RESOURCE_CASES: &[(&str, Option<&str>, bool)] = &[
    (r#""Resource": "*""#, None, true),
    (r#""Resource": ["*"]"#, None, true),
    (r#""Resource": "*""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), true),
    (r#""Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab""#, None, true),
    (r#""Resource": "arn:aws:kms:*""#, None, true),
    (r#""Resource": "arn:aws:kms:*:111122223333:key/*""#, None, true),
    (r#""Resource": "arn:aws:kms:us-east-1:111122223333:alias/app""#, None, false),
    (r#""Resource": "arn:aws:s3:::bucket""#, None, false),
    (r#""Resource": "this key""#, None, false),
    (r#""Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), true),
    (r#""Resource": "arn:aws:kms:us-east-1:111122223333:key/0000""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), false),
    (r#""Resource": "arn:aws:kms:*:111122223333:key/*""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), true),
    (r#""Resource": "arn:aws:kms:*:444455556666:key/*""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), false),
    (r#""Resource": "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), true),
    (r#""Resource": "arn:aws:kms:us-east-1:${aws:SourceAccount}:key/*""#, Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"), false),
    (r#""NotResource": "arn:aws:s3:::bucket""#, None, true),
    (r#""NotResource": "*""#, None, false),
    (r#""NotResource": "arn:aws:kms:*""#, None, false),
    (r#""Resource": "*", "NotResource": "arn:aws:s3:::bucket""#, None, false),
    // No Resource: KMS gives the statement no effect (kms-facts §3).
    (r#""Sid": "no resource""#, None, false),
];

#[test]
fn resources() {
    for (i, (element, key_arn, matches)) in RESOURCE_CASES.iter().enumerate() {
        let policy = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": "*", "Action": "kms:*", {element}}}]}}"#
        );
        let options = EvalOptions {
            key_arn: key_arn.map(str::to_string),
            ..EvalOptions::default()
        };
        let e = evaluate_text(
            &policy,
            &Request::new(caller(Caller::Alice), "kms:Decrypt"),
            &options,
        );
        assert_eq!(
            e.is_allowed(),
            *matches,
            "row {i}: {element} with {key_arn:?}: {:?}",
            e.misses
        );
    }
}

/// A whole-policy row: (statements, caller, action, context, decision, delegated only?).
type DecisionCase = (
    &'static str,
    Caller,
    &'static str,
    &'static [Ctx],
    Decision,
    bool,
);

/// Whole policies: Effect, Deny beats Allow, order, delegation.
#[rustfmt::skip]
const DECISION_CASES: &[DecisionCase] = &[
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::ExplicitDeny, false),
    (r#"{"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}, {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::ExplicitDeny, false),
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}"#, Caller::Admin, "kms:Encrypt", &[], Decision::Allow, false),
    (r#"{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::ExplicitDeny, false),
    (r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::ImplicitDeny, false),
    (r#"{"Effect": "allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::ImplicitDeny, false),
    (r#"{"Principal": "*", "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::ImplicitDeny, false),
    (r#"{"Effect": "DENY", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::Allow, false),
    // Delegation: the account statement alone needs the caller's IAM policy too.
    (r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::Allow, true),
    (r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}"#, Caller::Root, "kms:PutKeyPolicy", &[], Decision::Allow, false),
    (r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, "Action": "kms:Decrypt", "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::Allow, false),
    (r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}"#, Caller::Admin, "kms:ScheduleKeyDeletion", &[], Decision::ExplicitDeny, false),
    // A Deny with a condition applies only when the condition holds.
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#, Caller::Admin, "kms:Decrypt", &[S("aws:SecureTransport", "true")], Decision::Allow, false),
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}"#, Caller::Admin, "kms:Decrypt", &[S("aws:SecureTransport", "false")], Decision::ExplicitDeny, false),
    // A perimeter: deny callers of any other account.
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "111122223333"}}}"#, Caller::OtherRole, "kms:Decrypt", &[], Decision::ExplicitDeny, false),
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "111122223333"}}}"#, Caller::Admin, "kms:Decrypt", &[], Decision::Allow, false),
    // ...which also denies anonymous callers and services, who have no kms:CallerAccount.
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"kms:CallerAccount": "111122223333"}}}"#, Caller::Nobody, "kms:Decrypt", &[], Decision::ExplicitDeny, false),
    // Deny with NotPrincipal: everyone but the listed role (and its account).
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:root"]}, "Action": "kms:PutKeyPolicy", "Resource": "*"}"#, Caller::Admin, "kms:PutKeyPolicy", &[], Decision::Allow, false),
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:root"]}, "Action": "kms:PutKeyPolicy", "Resource": "*"}"#, Caller::Alice, "kms:PutKeyPolicy", &[], Decision::ExplicitDeny, false),
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, "Action": "kms:PutKeyPolicy", "Resource": "*"}"#, Caller::Admin, "kms:PutKeyPolicy", &[], Decision::ExplicitDeny, false),
    // Deny + NotAction: everything but the listed actions.
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "NotAction": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}"#, Caller::Admin, "kms:Decrypt", &[], Decision::Allow, false),
    (r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}, {"Effect": "Deny", "Principal": "*", "NotAction": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}"#, Caller::Admin, "kms:ScheduleKeyDeletion", &[], Decision::ExplicitDeny, false),
    // Service principals.
    (r#"{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}}"#, Caller::CloudTrail, "kms:GenerateDataKey", &[S("kms:EncryptionContext:aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main")], Decision::Allow, false),
    (r#"{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}}"#, Caller::CloudTrail, "kms:GenerateDataKey", &[S("kms:EncryptionContext:aws:cloudtrail:arn", "arn:aws:cloudtrail:us-east-1:444455556666:trail/main")], Decision::ImplicitDeny, false),
];

#[test]
fn decisions() {
    for (i, (statements, who, action, context, decision, delegated_only)) in
        DECISION_CASES.iter().enumerate()
    {
        let policy = format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#);
        let request = with_context(Request::new(caller(*who), *action), context);
        let e = evaluate_text(&policy, &request, &EvalOptions::default());
        assert_eq!(e.decision, *decision, "row {i}: {e:?}");
        assert_eq!(e.is_delegated_only(), *delegated_only, "row {i}: {e:?}");
    }
}

#[test]
fn table_sizes() {
    let rows = CONDITION_CASES.len()
        + VERSION_CASES.len()
        + DERIVED_CASES.len()
        + PRINCIPAL_CASES.len() * 2
        + ACTION_CASES.len()
        + RESOURCE_CASES.len()
        + DECISION_CASES.len();
    assert!(rows >= 300, "{rows}");
}

// --- What the evaluation reports, and where.

/// The text a range covers.
fn slice(text: &str, range: TextRange) -> &str {
    &text[range.as_usize()]
}

#[test]
fn condition_failure_says_which_value_and_what_is_wanted() {
    let policy = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "FSx",
    "Effect": "Allow",
    "Principal": {"AWS": "*"},
    "Action": "kms:Decrypt",
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"}}
  }]
}"#;
    let request = Request::new(caller(Caller::Admin), "kms:Decrypt")
        .with("kms:ViaService", "s3.us-east-1.amazonaws.com");
    let e = evaluate_text(policy, &request, &EvalOptions::default());
    assert_eq!(e.decision, Decision::ImplicitDeny);
    let Some(Failure::Condition {
        operator,
        key,
        values,
        reason,
    }) = e.miss(0)
    else {
        panic!("{e:?}")
    };
    assert_eq!(slice(policy, *operator), "\"StringEquals\"");
    assert_eq!(slice(policy, *key), "\"kms:ViaService\"");
    assert_eq!(values.len(), 1);
    assert_eq!(slice(policy, values[0]), "\"fsx.us-east-1.amazonaws.com\"");
    assert_eq!(
        reason,
        "kms:ViaService is s3.us-east-1.amazonaws.com, the condition wants fsx.us-east-1.amazonaws.com"
    );
}

#[test]
fn reasons_cover_absent_keys_negation_and_qualifiers() {
    let reason = |condition: &str, context: &[Ctx]| {
        let policy = condition_policy(Some("2012-10-17"), condition);
        let e = evaluate_text(
            &policy,
            &with_context(alice(), context),
            &EvalOptions::default(),
        );
        match e.miss(0) {
            Some(Failure::Condition { reason, .. }) | Some(Failure::Unreadable { reason, .. }) => {
                reason.clone()
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        reason(r#"{"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"}}"#, &[]),
        "kms:EncryptionContext:aws:s3:arn is not in the request, the condition wants a value matching arn:aws:s3:::b/*"
    );
    assert_eq!(
        reason(r#"{"StringNotEquals": {"kms:CallerAccount": ["111122223333", "444455556666"]}}"#, &[]),
        "kms:CallerAccount is 111122223333, the condition wants anything but any of 111122223333, 444455556666"
    );
    assert_eq!(
        reason(r#"{"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "aws:s3:arn"}}"#, &[]),
        "kms:EncryptionContextKeys is not in the request, and ForAnyValue needs at least one value that is aws:s3:arn"
    );
    assert_eq!(
        reason(r#"{"Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}}"#, &[]),
        "kms:EncryptionContext:aws:cloudtrail:arn is not in the request, the condition wants it present"
    );
    assert!(reason(r#"{"StringEqualz": {"a": "b"}}"#, &[])
        .starts_with("`StringEqualz` is not a condition operator"));
    assert!(
        reason(r#"{"IpAddress": {"aws:SourceIp": "10.0.0.0/99"}}"#, &[])
            .contains("is not an IP address")
    );
}

#[test]
fn misses_name_the_first_failing_element_with_its_range() {
    let policy = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "A", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:Encrypt", "Resource": "*"},
  {"Sid": "B", "Effect": "Allow", "Principal": "*", "Action": ["kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*"},
  {"Sid": "C", "Effect": "Allow", "Principal": "*", "NotAction": ["kms:Decrypt"], "Resource": "*"},
  {"Sid": "D", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "arn:aws:s3:::b"},
  {"Sid": "E", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "NotResource": ["arn:aws:s3:::b", "*"]},
  {"Sid": "F", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/Admin", "111122223333"]}, "Action": "kms:Decrypt", "Resource": "*"},
  {"Sid": "G", "Effect": "Maybe", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
]}"#;
    let e = evaluate_text(
        policy,
        &Request::new(caller(Caller::Admin), "kms:Decrypt"),
        &EvalOptions::default(),
    );
    assert_eq!(e.decision, Decision::ImplicitDeny);
    let at = |i: usize| {
        e.miss(i)
            .unwrap_or_else(|| panic!("statement {i} matched: {e:?}"))
    };
    assert!(
        matches!(at(0), Failure::Principal { range } if slice(policy, *range) == r#"{"AWS": "arn:aws:iam::444455556666:root"}"#)
    );
    assert!(
        matches!(at(1), Failure::Action { range } if slice(policy, *range) == r#"["kms:Encrypt", "kms:GenerateDataKey*"]"#)
    );
    assert!(
        matches!(at(2), Failure::NotAction { range } if slice(policy, *range) == r#""kms:Decrypt""#)
    );
    assert!(
        matches!(at(3), Failure::Resource { range } if slice(policy, *range) == r#""arn:aws:s3:::b""#)
    );
    assert!(matches!(at(4), Failure::NotResource { range } if slice(policy, *range) == r#""*""#));
    assert!(matches!(at(5), Failure::NotPrincipal { .. }));
    assert!(
        matches!(at(6), Failure::Unreadable { range, .. } if slice(policy, *range) == r#""Maybe""#)
    );
}

#[test]
fn statement_order_has_no_meaning() {
    let statements = [
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}"#,
        r#"{"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}"#,
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, "Action": "kms:Decrypt", "Resource": "*"}"#,
    ];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for via in ["s3.us-east-1.amazonaws.com", "fsx.us-east-1.amazonaws.com"] {
        let decisions: Vec<_> = orders
            .iter()
            .map(|order| {
                let body: Vec<&str> = order.iter().map(|&i| statements[i]).collect();
                let policy = format!(
                    r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
                    body.join(",")
                );
                let request =
                    Request::new(caller(Caller::Admin), "kms:Decrypt").with("kms:ViaService", via);
                evaluate_text(&policy, &request, &EvalOptions::default()).decision
            })
            .collect();
        assert!(
            decisions.windows(2).all(|w| w[0] == w[1]),
            "{via}: {decisions:?}"
        );
    }
}

#[test]
fn a_statement_object_on_its_own_is_read() {
    let policy = r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}}"#;
    let e = evaluate_text(
        policy,
        &Request::new(caller(Caller::Admin), "kms:Decrypt"),
        &EvalOptions::default(),
    );
    assert_eq!(e.allowed_by, vec![0]);
}

#[test]
fn no_panic_on_truncated_or_odd_policies() {
    let policy = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "é✓", "Effect": "Allow", "Principal": {"AWS": ["*", "arn:aws:iam::111122223333:root", 5, null]}, "Action": ["kms:*", {}], "Resource": "*",
   "Condition": {"StringLike": {"aws:userid": ["*:FSx", 3, true]}, "DateLessThan": {"aws:CurrentTime": ["2020-02-30T99:99:99Z", "9999999999999999999999"]},
     "IpAddress": {"aws:SourceIp": ["::ffff:1.2.3.4/200", "1.2.3.4/"]}, "ForAllValues:NumericLessThan": {"k": "1e400"}, "Null": {"x": null},
     "BinaryEquals": {"b": "===="}, "ArnLike": {"aws:SourceArn": ":::::::"}, "StringEquals": {"s": "${${aws:username}}"}}}
]}"#;
    let requests = [
        Request::new(caller(Caller::Admin), "kms:Decrypt")
            .with("aws:userid", "x:FSx")
            .with("aws:CurrentTime", "2020-02-30")
            .with("aws:SourceIp", "::ffff:1.2.3.4")
            .with_multi("k", vec!["1e400".into(), "-0".into()])
            .with("b", "====")
            .with("aws:SourceArn", "::::::")
            .with("s", "x"),
        Request::new(caller(Caller::Nobody), ""),
        Request::new(caller(Caller::CloudTrail), "*"),
    ];
    for end in 0..=policy.len() {
        if !policy.is_char_boundary(end) {
            continue;
        }
        for request in &requests {
            let _ = evaluate_text(&policy[..end], request, &EvalOptions::default());
            let _ = evaluate_text(
                &policy[..end],
                request,
                &EvalOptions {
                    key_arn: Some("arn:aws:kms:us-east-1:111122223333:key/k".into()),
                    ..EvalOptions::default()
                },
            );
        }
    }
}

/// The bit-set answer of `covers_action` (catalogue actions) is the one
/// matching each value gives, for every catalogue action in any letter case.
#[test]
fn covered_actions_agree_with_matching_each_value() {
    let patterns = [
        r#""kms:*""#,
        r#""*""#,
        r#""kms:GenerateDataKey*""#,
        r#"["kms:re*", "KMS:Describe*", "kms:?ecrypt"]"#,
        r#""kms:Decrypt""#,
        r#""KMS:DECRYPT""#,
        r#"["kms:Create*", "kms:*Key", "kms:*Grant*"]"#,
        r#""kms:ReEncrypt""#,
        r#""s3:GetObject""#,
        r#""k*:Sign""#,
        r#"["kms:Encrypt", " kms:Decrypt"]"#,
        r#"[]"#,
    ];
    let actions: Vec<String> = crate::catalog::catalog()
        .actions()
        .iter()
        .flat_map(|a| {
            [
                a.name.clone(),
                a.name.to_ascii_lowercase(),
                a.name.to_ascii_uppercase(),
            ]
        })
        .collect();
    for element in ["Action", "NotAction"] {
        for pattern in patterns {
            let text = format!(
                r#"{{"Statement": {{"Effect": "Allow", "Principal": "*", "{element}": {pattern}, "Resource": "*"}}}}"#
            );
            let parsed = parse(&text);
            let policy = Policy::from_tree(&parsed.tree);
            let statement = &policy.statements[0];
            for action in &actions {
                assert_eq!(
                    covers_action(statement, action),
                    covers_action_by_matching(statement, action),
                    "{element} {pattern} and {action}"
                );
            }
        }
    }
}

#[test]
fn arn_account_is_the_fifth_field() {
    use crate::aws::arn_account;
    assert_eq!(
        arn_account("arn:aws:iam::111122223333:role/App"),
        Some("111122223333")
    );
    assert_eq!(
        arn_account("arn:aws:iam::111122223333"),
        Some("111122223333")
    );
    assert_eq!(
        arn_account("arn:aws:sts::111122223333:assumed-role/A/s"),
        Some("111122223333")
    );
    assert_eq!(arn_account("arn:aws:iam::11112222333:root"), None);
    assert_eq!(arn_account("arn:aws:iam:111122223333"), None);
    assert_eq!(arn_account("aws:iam::111122223333:root"), None);
    assert_eq!(arn_account("arn:aws:s3:::bucket"), None);
}
