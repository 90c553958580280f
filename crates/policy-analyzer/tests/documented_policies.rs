//! The key policies AWS documents for the services policy-check knows, with
//! their placeholders filled in with realistic values (account 111122223333,
//! Region us-east-1, bucket `my-data-bucket`, cache `fc-0123456789abcdef0`),
//! must get no error and no warning from the structure and actions packs.

use policy_analyzer::{analyze, AnalyzeOptions, Severity};

const POLICIES: &[(&str, &str)] = &[
    (
        "seeds/003: statement for one File Cache's S3 service-linked role",
        include_str!("../../../fixtures/structure/missing-element/valid-file-cache-s3-bucket-slr.json"),
    ),
    (
        "seeds/003: statement for every File Cache of the account, S3 Bucket Key variant",
        include_str!("../../../fixtures/structure/empty-element/valid-file-cache-all-caches.json"),
    ),
    (
        "EFS AWS managed key policy (kms-facts §4c)",
        include_str!("../../../fixtures/actions/unknown-action/valid-efs-managed-key.json"),
    ),
    (
        "KMS console default policy with an FSx statement (seeds/000-002 permission list)",
        include_str!("../../../fixtures/actions/unknown-action/valid-fsx-console-default.json"),
    ),
    (
        "Secrets Manager AWS managed key policy (kms-facts [S17]; it repeats a Sid, which is only info)",
        include_str!("../../../fixtures/structure/duplicate-sid/invalid-aws-managed-secrets-manager.json"),
    ),
];

#[test]
fn documented_policies_have_no_structure_or_action_findings() {
    for (name, text) in POLICIES {
        let analysis = analyze(text, &AnalyzeOptions::default());
        let findings: Vec<String> = analysis
            .diagnostics
            .iter()
            .filter(|d| {
                (d.code.starts_with("PC1") || d.code.starts_with("PC2"))
                    && d.severity >= Severity::Warning
            })
            .map(|d| format!("{} {}: {}", d.code, d.severity, d.message))
            .collect();
        assert!(findings.is_empty(), "{name}:\n{}", findings.join("\n"));
    }
}
