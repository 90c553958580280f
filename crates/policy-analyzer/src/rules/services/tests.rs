//! The acceptance matrix of the services pack: every documented statement of
//! the seeds, placeholders filled in, is clean for its service, and each
//! single-defect mutation of it gives exactly the expected diagnostic of this
//! pack (PC401, which is information, aside). Mutations that another pack
//! reports (a misspelled key, the `aws_account_id` placeholder PC311, a `*`
//! under `StringEquals` PC304, `Principal: "*"` without conditions) give
//! nothing here, unless that pack's rule is disabled.

use serde_json::{json, Value};

use crate::services::{Profile, ServiceId};
use crate::{analyze, AnalyzeOptions};

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0";
const OBJECTS: &str = "arn:aws:s3:::amzn-s3-demo-bucket/*";
const BUCKET: &str = "arn:aws:s3:::amzn-s3-demo-bucket";

/// seeds/003: the statement for the cache's service-linked role.
fn linked_role_statement(context: &str) -> Value {
    json!({
        "Sid": "Allow access through S3 for the FSx SLR to use the KMS key on the objects in the given S3 bucket",
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.us-east-1.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": context}
        }
    })
}

/// seeds/003: the account-wide statement (every cache of the account).
fn account_wide_statement() -> Value {
    json!({
        "Sid": "Allow access through S3 for the FSx SLR to use the KMS key on the objects in the given S3 bucket",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.us-east-1.amazonaws.com"},
            "StringLike": {"aws:userid": "*:FSx", "kms:EncryptionContext:aws:s3:arn": OBJECTS}
        }
    })
}

/// seeds/000-002 (FSx, FSx for Lustre, File Cache): the documented
/// permissions, as the AWS managed keys write them.
fn forward_access_statement(via_service: &str) -> Value {
    json!({
        "Sid": "Allow access through the service",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": via_service}}
    })
}

/// kms-facts §4c [S9]: the policy of the AWS managed key aws/elasticfilesystem.
fn efs_managed_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        forward_access_statement("elasticfilesystem.us-east-2.amazonaws.com"),
        {"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"], "Resource": "*"}
    ]})
}

fn policy(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// The codes this pack reports, PC401 aside.
fn codes(policy: &Value, profile: Option<Profile>) -> Vec<&'static str> {
    codes_without(policy, profile, &[])
        .into_iter()
        .filter(|c| c.starts_with("PC4") && *c != "PC401")
        .collect()
}

/// Every code, with some rules disabled.
fn codes_without(
    policy: &Value,
    profile: Option<Profile>,
    disabled: &[&'static str],
) -> Vec<&'static str> {
    let text = serde_json::to_string_pretty(policy).unwrap();
    let mut options = AnalyzeOptions {
        profile,
        ..AnalyzeOptions::default()
    };
    options.rules.disabled = disabled.to_vec();
    let mut codes: Vec<&'static str> = analyze(&text, &options)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The codes this pack reports when the other packs' rule `disabled` is off.
fn own_codes_without(policy: &Value, disabled: &'static str) -> Vec<&'static str> {
    codes_without(policy, None, &[disabled])
        .into_iter()
        .filter(|c| c.starts_with("PC4") && *c != "PC401")
        .collect()
}

fn bucket_keys(on: bool) -> Option<Profile> {
    Some(
        Profile {
            ..Profile::default()
        }
        .with(
            "bucket-keys",
            crate::services::profile::ProfileValue::Bool(on),
        ),
    )
}

/// The statement at `index` of a policy.
fn statement(policy: &mut Value, index: usize) -> &mut Value {
    &mut policy["Statement"][index]
}

fn drop_action(policy: &Value, index: usize, action: &str) -> Value {
    let mut p = policy.clone();
    let actions = statement(&mut p, index)["Action"].as_array_mut().unwrap();
    actions.retain(|a| a != action);
    p
}

fn set_condition(policy: &Value, index: usize, operator: &str, key: &str, value: &str) -> Value {
    let mut p = policy.clone();
    statement(&mut p, index)["Condition"][operator][key] = json!(value);
    p
}

fn rename_condition_key(
    policy: &Value,
    index: usize,
    operator: &str,
    from: &str,
    to: &str,
) -> Value {
    let mut p = policy.clone();
    let block = statement(&mut p, index)["Condition"][operator]
        .as_object_mut()
        .unwrap();
    let value = block.remove(from).unwrap();
    block.insert(to.to_string(), value);
    p
}

fn add_statement(policy: &Value, added: Value) -> Value {
    let mut p = policy.clone();
    p["Statement"].as_array_mut().unwrap().push(added);
    p
}

fn everyone_without_conditions() -> Value {
    json!({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"})
}

fn deny_create_grant() -> Value {
    json!({"Sid": "Deny grants", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"})
}

#[test]
fn linked_bucket_statement_and_its_mutations() {
    let clean = policy(linked_role_statement(OBJECTS));
    assert_eq!(codes(&clean, None), [] as [&str; 0]);
    assert_eq!(codes(&clean, bucket_keys(false)), [] as [&str; 0]);
    // The documented bucket-ARN form, with S3 Bucket Keys on.
    let with_bucket_keys = policy(linked_role_statement(BUCKET));
    assert_eq!(codes(&with_bucket_keys, bucket_keys(true)), [] as [&str; 0]);

    // Drop one required action.
    assert_eq!(
        codes(&drop_action(&clean, 0, "kms:Decrypt"), None),
        ["PC402"]
    );
    assert_eq!(
        codes(&drop_action(&clean, 0, "kms:GenerateDataKey*"), None),
        ["PC402"]
    );
    // An optional one.
    assert_eq!(
        codes(&drop_action(&clean, 0, "kms:Encrypt"), None),
        ["PC404"]
    );
    // Misspell a key: the conditions pack reports it.
    let misspelled = rename_condition_key(
        &clean,
        0,
        "StringEquals",
        "kms:CallerAccount",
        "kms:CallerAcount",
    );
    assert_eq!(codes(&misspelled, None), [] as [&str; 0]);
    // Swap the ViaService: another service, another region than the bucket's.
    let via_fsx = set_condition(
        &clean,
        0,
        "StringEquals",
        "kms:ViaService",
        "fsx.us-east-1.amazonaws.com",
    );
    assert_eq!(codes(&via_fsx, None), ["PC406"]);
    let other_region = Some(Profile {
        values: [(
            "bucket-region".to_string(),
            crate::services::profile::ProfileValue::Text("eu-west-1".into()),
        )]
        .into(),
        ..Profile::default()
    });
    assert_eq!(codes(&clean, other_region), ["PC406"]);
    // The context names the bucket while Bucket Keys are off, objects while on.
    assert_eq!(codes(&with_bucket_keys, bucket_keys(false)), ["PC408"]);
    assert_eq!(codes(&clean, bucket_keys(true)), ["PC408"]);
    // The placeholder of the guide in kms:CallerAccount.
    let placeholder = set_condition(
        &clean,
        0,
        "StringEquals",
        "kms:CallerAccount",
        "aws_account_id",
    );
    assert_eq!(codes(&placeholder, None), [] as [&str; 0]);
    assert!(codes_without(&placeholder, None, &[]).contains(&"PC311"));
    assert_eq!(own_codes_without(&placeholder, "PC311"), ["PC407"]);
    // Principal "*" without conditions: the security pack reports it.
    assert_eq!(
        codes(&add_statement(&clean, everyone_without_conditions()), None),
        [] as [&str; 0]
    );
    // A Deny on CreateGrant: the S3 link makes no CreateGrant request.
    assert_eq!(
        codes(&add_statement(&clean, deny_create_grant()), None),
        [] as [&str; 0]
    );
}

#[test]
fn account_wide_linked_bucket_statement_and_its_mutations() {
    let clean = policy(account_wide_statement());
    assert_eq!(codes(&clean, None), [] as [&str; 0]);
    assert_eq!(
        codes(&drop_action(&clean, 0, "kms:Decrypt"), None),
        ["PC402"]
    );
    let placeholder = set_condition(
        &clean,
        0,
        "StringEquals",
        "kms:CallerAccount",
        "aws_account_id",
    );
    assert_eq!(codes(&placeholder, None), [] as [&str; 0]);
    assert!(codes_without(&placeholder, None, &[]).contains(&"PC311"));
    assert_eq!(own_codes_without(&placeholder, "PC311"), ["PC407"]);
    let via_fsx = set_condition(
        &clean,
        0,
        "StringEquals",
        "kms:ViaService",
        "fsx.us-east-1.amazonaws.com",
    );
    assert_eq!(codes(&via_fsx, None), ["PC406"]);
    assert_eq!(codes(&clean, bucket_keys(true)), ["PC408"]);
    // `*:FSx` under StringEquals matches no session.
    let mut literal = clean.clone();
    let condition = &mut statement(&mut literal, 0)["Condition"];
    condition["StringLike"]
        .as_object_mut()
        .unwrap()
        .remove("aws:userid");
    condition["StringEquals"]["aws:userid"] = json!("*:FSx");
    assert_eq!(codes(&literal, None), [] as [&str; 0]);
    assert!(codes_without(&literal, None, &[]).contains(&"PC304"));
    assert_eq!(own_codes_without(&literal, "PC304"), ["PC408"]);
}

#[test]
fn forward_access_statements_and_their_mutations() {
    for (service, via_service) in [
        (
            ServiceId::parse("fsx").unwrap(),
            "fsx.us-east-1.amazonaws.com",
        ),
        (
            ServiceId::parse("fsx-lustre").unwrap(),
            "fsx.us-east-1.amazonaws.com",
        ),
        (
            ServiceId::parse("file-cache").unwrap(),
            "fsx.us-east-1.amazonaws.com",
        ),
        (
            ServiceId::parse("efs").unwrap(),
            "elasticfilesystem.us-east-1.amazonaws.com",
        ),
    ] {
        let configured = || {
            Some(Profile {
                services: vec![service],
                region: Some("us-east-1".into()),
                ..Profile::default()
            })
        };
        let configured_account = || {
            Some(Profile {
                account: Some(ACCOUNT.into()),
                ..configured().unwrap()
            })
        };
        let clean = policy(forward_access_statement(via_service));
        assert_eq!(codes(&clean, None), [] as [&str; 0], "{service}");
        assert_eq!(codes(&clean, configured()), [] as [&str; 0], "{service}");
        for required in [
            "kms:Decrypt",
            "kms:GenerateDataKey*",
            "kms:CreateGrant",
            "kms:DescribeKey",
        ] {
            let mutated = drop_action(&clean, 0, required);
            assert_eq!(
                codes(&mutated, configured()),
                ["PC402"],
                "{service} without {required}"
            );
        }
        assert_eq!(
            codes(&drop_action(&clean, 0, "kms:Encrypt"), configured()),
            ["PC404"],
            "{service}"
        );
        let misspelled = rename_condition_key(
            &clean,
            0,
            "StringEquals",
            "kms:CallerAccount",
            "kms:CallerAcount",
        );
        assert_eq!(
            codes(&misspelled, configured()),
            [] as [&str; 0],
            "{service}"
        );
        let swapped = if via_service.starts_with("fsx.") {
            "elasticfilesystem.us-east-1.amazonaws.com"
        } else {
            "fsx.us-east-1.amazonaws.com"
        };
        let swapped = set_condition(&clean, 0, "StringEquals", "kms:ViaService", swapped);
        assert_eq!(codes(&swapped, configured()), ["PC406"], "{service}");
        let other_region = set_condition(
            &clean,
            0,
            "StringEquals",
            "kms:ViaService",
            &via_service.replace("us-east-1", "eu-west-1"),
        );
        assert_eq!(codes(&other_region, configured()), ["PC406"], "{service}");
        let placeholder = set_condition(
            &clean,
            0,
            "StringEquals",
            "kms:CallerAccount",
            "aws_account_id",
        );
        assert_eq!(
            codes(&placeholder, configured()),
            [] as [&str; 0],
            "{service}"
        );
        assert!(
            codes_without(&placeholder, configured(), &[]).contains(&"PC311"),
            "{service}"
        );
        let other_account = set_condition(
            &clean,
            0,
            "StringEquals",
            "kms:CallerAccount",
            "444455556666",
        );
        assert_eq!(
            codes(&other_account, configured_account()),
            ["PC407"],
            "{service}"
        );
        assert_eq!(
            codes(
                &add_statement(&clean, everyone_without_conditions()),
                configured()
            ),
            [] as [&str; 0],
            "{service}"
        );
        assert_eq!(
            codes(&add_statement(&clean, deny_create_grant()), configured()),
            ["PC405"],
            "{service}"
        );
    }
}

#[test]
fn efs_managed_key_policy_and_its_mutations() {
    let clean = efs_managed_policy();
    assert_eq!(codes(&clean, None), [] as [&str; 0]);
    assert_eq!(
        codes(&drop_action(&clean, 0, "kms:CreateGrant"), None),
        ["PC402"]
    );
    // The account statement's kms:Describe* still delegates DescribeKey.
    assert_eq!(
        codes(&drop_action(&clean, 0, "kms:DescribeKey"), None),
        ["PC403"]
    );
    let placeholder = set_condition(
        &clean,
        0,
        "StringEquals",
        "kms:CallerAccount",
        "aws_account_id",
    );
    assert_eq!(codes(&placeholder, None), [] as [&str; 0]);
    assert!(codes_without(&placeholder, None, &[]).contains(&"PC311"));
    assert_eq!(own_codes_without(&placeholder, "PC311"), ["PC407"]);
    assert_eq!(
        codes(&add_statement(&clean, deny_create_grant()), None),
        ["PC405"]
    );
}

#[test]
fn key_specs() {
    let clean = policy(forward_access_statement("fsx.us-east-1.amazonaws.com"));
    let spec = |s: &str| {
        Some(Profile {
            key_spec: Some(s.into()),
            ..Profile::default()
        })
    };
    assert_eq!(codes(&clean, spec("SYMMETRIC_DEFAULT")), [] as [&str; 0]);
    assert_eq!(codes(&clean, spec("RSA_2048")), ["PC411"]);
    assert_eq!(codes(&clean, spec("HMAC_256")), ["PC411"]);
}

#[test]
fn no_panic_on_odd_policies() {
    for text in [
        "",
        "{}",
        r#"{"Statement": {}}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "AWSServiceRoleForFSxS3Access_"}, "Action": "kms:*", "Resource": "*"}]}"#,
        r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:role/AWSServiceRoleForFSxS3Access_é"}, "Action": 1,
            "Condition": {"StringLike": {"aws:userid": [":FSx", 3, "*:FSx"], "kms:ViaService": ["s3..amazonaws.com", ".amazonaws.com", "fsx.*.amazonaws.com"],
                          "kms:EncryptionContext:aws:s3:arn": ["arn:aws:s3:::", "arn:aws:s3:::/x", "arn", "arn:aws:s3:::b*"]}}}]}"#,
        r#"{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}, "StringNotLike": {"aws:PrincipalOrgID": ["o-*"]}}},
            {"Effect": "Allow", "Principal": {"Service": ["fsx.amazonaws.com", "s3.amazonaws.com", "elasticfilesystem."]}, "Action": "kms:*", "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]}"#,
    ] {
        for profile in [
            None,
            Some(Profile {
                services: ServiceId::all().collect(),
                key_spec: Some("ECC_NIST_P256".into()),
                callers: vec!["111122223333".into(), "not an arn".into()],
                ..Profile::default()
            }),
        ] {
            let options = AnalyzeOptions {
                profile,
                ..AnalyzeOptions::default()
            };
            let _ = analyze(text, &options);
        }
    }
}

#[test]
fn a_statement_another_pack_reports_as_never_matching_is_not_reported_again() {
    let clean = policy(forward_access_statement("fsx.us-east-1.amazonaws.com"));
    // A guide's key ARN, placeholders and all: resource-not-wildcard (PC111)
    // says it is no key's ARN.
    let mut placeholder_resource = clean.clone();
    statement(&mut placeholder_resource, 0)["Resource"] =
        json!("arn:aws:kms:Region:account_ID:key/key_ID");
    assert_eq!(
        codes_without(&placeholder_resource, None, &[])
            .into_iter()
            .filter(|c| *c == "PC111" || *c == "PC402")
            .collect::<Vec<_>>(),
        ["PC111"]
    );
    assert_eq!(own_codes_without(&placeholder_resource, "PC111"), ["PC402"]);
    // An ARN condition whose Region is a placeholder: invalid-condition-value
    // (PC314) says it never matches.
    let mut placeholder_arn = clean.clone();
    statement(&mut placeholder_arn, 0)["Condition"]["ArnLike"] =
        json!({"aws:PrincipalArn": "arn:aws:iam::account-id:role/*"});
    let codes_here = codes_without(&placeholder_arn, None, &[]);
    assert!(codes_here.contains(&"PC314"), "{codes_here:?}");
    assert!(!codes_here.contains(&"PC402"), "{codes_here:?}");
    assert_eq!(own_codes_without(&placeholder_arn, "PC314"), ["PC402"]);
    // An encryption context that is no S3 ARN (it has a Region and an
    // account): invalid-s3-arn-context (PC313) says it never matches.
    let regional = policy(linked_role_statement(
        "arn:aws:s3:us-east-1:111122223333:amzn-s3-demo-bucket/*",
    ));
    let codes_here = codes_without(&regional, None, &[]);
    assert!(codes_here.contains(&"PC313"), "{codes_here:?}");
    assert!(
        !codes_here.contains(&"PC408") && !codes_here.contains(&"PC402"),
        "{codes_here:?}"
    );
    assert_eq!(own_codes_without(&regional, "PC313"), ["PC408"]);
}

#[test]
fn the_bucket_key_assumption_is_said_only_where_a_condition_depends_on_it() {
    let notes = |policy: &Value| -> usize {
        let text = serde_json::to_string_pretty(policy).unwrap();
        analyze(&text, &AnalyzeOptions::default())
            .diagnostics
            .iter()
            .filter(|d| {
                d.message
                    .starts_with("nothing says whether S3 Bucket Keys are on")
            })
            .count()
    };
    let with_context = policy(linked_role_statement(OBJECTS));
    assert_eq!(notes(&with_context), 1);
    let mut without_context = with_context.clone();
    statement(&mut without_context, 0)["Condition"]
        .as_object_mut()
        .unwrap()
        .remove("StringLike");
    assert_eq!(notes(&without_context), 0);
}
