//! Server-side latency from a text change to LSP diagnostics ready to send:
//! apply the incremental edit (and rebuild the line index), run the
//! analyzer, convert the diagnostics to LSP types.
//!
//! Target (DESIGN.md): under 5 ms for a 100 KB policy.
//!
//!     cargo bench -p policy-lsp --bench change_to_diagnostics

use std::hint::black_box;
use std::str::FromStr;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use policy_analyzer::PositionEncoding;
use policy_lsp::analysis::{self, Scope};
use policy_lsp::documents::Document;
use tower_lsp_server::lsp_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

// The binaries run on mimalloc (see src/main.rs); measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HEADER: &str =
    "{\n  \"Version\": \"2012-10-17\",\n  \"Id\": \"key-policy\",\n  \"Statement\": [\n";

/// Statements of the kinds real key policies hold: account root, key
/// administrators, a service's use through ViaService, an S3 link with an
/// encryption context, a guard-rail Deny. `{n}` keeps Sids unique.
const STATEMENTS: &[&str] = &[
    r#"    {
      "Sid": "EnableIamPolicies{n}",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }"#,
    r#"    {
      "Sid": "KeyAdministrators{n}",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::111122223333:role/KeyAdmin", "arn:aws:iam::111122223333:role/Ops"]},
      "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                 "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
                 "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
      "Resource": "*"
    }"#,
    r#"    {
      "Sid": "FsxThroughViaService{n}",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"}
      }
    }"#,
    r#"    {
      "Sid": "S3LinkForFileCache{n}",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::example-bucket/*"}
      }
    }"#,
    r#"    {
      "Sid": "DenyOutsideOrganization{n}",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "kms:*",
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:PrincipalOrgID": "o-exampleorg"},
        "Bool": {"aws:PrincipalIsAWSService": "false"}
      }
    }"#,
];

/// A policy of at least `size` bytes made of the statements above.
fn policy(size: usize) -> String {
    let mut text = String::from(HEADER);
    let mut n = 0;
    while text.len() + 8 < size {
        if n > 0 {
            text.push_str(",\n");
        }
        let statement = STATEMENTS[n % STATEMENTS.len()];
        text.push_str(&statement.replace("{n}", &n.to_string()));
        n += 1;
    }
    text.push_str("\n  ]\n}\n");
    text
}

/// A keystroke in the first statement's action, `"kms:*"`: typing a comma
/// after it (a trailing-comma defect in a single value: invalid JSON) and
/// deleting it again, so every other change has a finding to convert.
fn edits(text: &str) -> [TextDocumentContentChangeEvent; 2] {
    let line = text
        .lines()
        .position(|l| l.contains("\"Action\": \"kms:*\""))
        .expect("the first statement's action") as u32;
    let column = text
        .lines()
        .nth(line as usize)
        .unwrap()
        .find("\"kms:*\"")
        .unwrap() as u32
        + 7;
    let at = Position::new(line, column);
    let after = Position::new(line, column + 1);
    [
        TextDocumentContentChangeEvent {
            range: Some(Range::new(at, at)),
            range_length: None,
            text: " ,".into(),
        },
        TextDocumentContentChangeEvent {
            range: Some(Range::new(
                at,
                Position::new(after.line, after.character + 1),
            )),
            range_length: None,
            text: String::new(),
        },
    ]
}

fn change_to_diagnostics(c: &mut Criterion) {
    let uri = Uri::from_str("file:///bench/key-policy.json").unwrap();
    let scope = Scope::default();
    let mut group = c.benchmark_group("change_to_diagnostics");
    for (label, size) in [("2KB", 2 * 1024), ("100KB", 100 * 1024)] {
        let text = policy(size);
        let edits = edits(&text);
        // Sanity: the edit really makes and unmakes a finding.
        let mut probe = Document::new(&uri, 1, text.clone());
        probe.apply_changes(&edits[..1], 2, PositionEncoding::Utf16);
        let probed = analysis::run(&probe.text, 2, &scope);
        assert!(!probed.diagnostics.is_empty());
        probe.apply_changes(&edits[1..], 3, PositionEncoding::Utf16);
        assert_eq!(probe.text.as_str(), text);

        group.bench_function(BenchmarkId::new("edit+analyze+convert", label), |b| {
            let mut document = Document::new(&uri, 1, text.clone());
            let mut version = 1;
            b.iter(|| {
                version += 1;
                let edit = &edits[(version % 2) as usize..(version % 2) as usize + 1];
                document.apply_changes(edit, version, PositionEncoding::Utf16);
                let snapshot = document.snapshot(&uri, PositionEncoding::Utf16);
                let result = analysis::run(&snapshot.text, version, &scope);
                let diagnostics = analysis::lsp_diagnostics(&result, &uri, &snapshot.mapper());
                black_box(diagnostics)
            });
        });
        group.bench_function(BenchmarkId::new("analyze only", label), |b| {
            b.iter(|| {
                black_box(policy_analyzer::analyze(
                    black_box(&text),
                    &Default::default(),
                ))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, change_to_diagnostics);
criterion_main!(benches);
