//! The CLI over CloudFormation templates and Terraform modules: what a walk
//! picks, how a module is one job, and bad input in templates (an alias
//! bomb, a huge template, hundreds of keys, a policy string that is not JSON,
//! circular dependencies) ending in a finding with a position, never a
//! panic or a hang.

mod common;

use common::{codes, json, paths, run, Scratch};

/// A key, its FSx for Lustre file system, and a statement for FSx.
const TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  LustreKey:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: Enable IAM User Permissions
            Effect: Allow
            Principal:
              AWS: !Sub arn:aws:iam::${AWS::AccountId}:root
            Action: kms:*
            Resource: '*'
          - Sid: FSx
            Effect: Allow
            Principal:
              AWS: '*'
            Action: [kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:CreateGrant, kms:DescribeKey]
            Resource: '*'
            Condition:
              StringEquals:
                kms:CallerAccount: !Ref AWS::AccountId
                kms:ViaService: !Sub fsx.${AWS::Region}.amazonaws.com
  Lustre:
    Type: AWS::FSx::FileSystem
    Properties:
      FileSystemType: LUSTRE
      KmsKeyId: !Ref LustreKey
"#;

#[test]
fn a_walk_checks_templates_and_modules_and_skips_other_yaml() {
    let s = Scratch::new();
    s.write("stacks/lustre.yaml", TEMPLATE);
    s.write(".github/workflows/ci.yml", "on: [push]\njobs: {}\n");
    s.write(
        "docker-compose.yaml",
        "services:\n  web:\n    image: nginx\n",
    );
    s.write(
        "modules/key/main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = true\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Principal = { AWS = \"*\" }, Action = \"kms:Decrypt\", Resource = \"*\" }]\n  })\n}\n",
    );
    s.write(
        "modules/key/variables.tf",
        "variable \"unused\" {\n  default = 1\n}\n",
    );
    let r = run(s.cmd().args(["--format", "json", "."]));
    let out = json(&r);
    let paths = paths(&out);
    assert_eq!(
        paths,
        [
            "modules/key/main.tf",
            "modules/key/variables.tf",
            "stacks/lustre.yaml"
        ],
        "{r:?}"
    );
    // The module's key is open to everyone; the template is clean.
    assert!(
        codes(&out, "modules/key/main.tf").contains(&"PC501".to_string()),
        "{r:?}"
    );
    assert!(
        codes(&out, "stacks/lustre.yaml")
            .iter()
            .all(|c| c == "PC401"),
        "{r:?}"
    );
    assert_eq!(out["summary"]["files_checked"], 3, "{r:?}");
    assert_eq!(r.code, 1, "{r:?}");
}

#[test]
fn a_yaml_file_named_explicitly_that_is_no_template_is_noted() {
    let s = Scratch::new();
    s.write("compose.yaml", "services:\n  web:\n    image: nginx\n");
    let r = run(s.cmd().arg("compose.yaml"));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("compose.yaml: not a key policy or CloudFormation template; not checked"),
        "{r:?}"
    );
}

#[test]
fn findings_point_into_the_template_with_its_pointer() {
    let s = Scratch::new();
    s.write("t.yaml", TEMPLATE.replace("kms:Decrypt,", "kms:Decrypts,"));
    let out = json(&run(s.cmd().args(["--format", "json", "t.yaml"])));
    let d = &out["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC201")
        .cloned()
        .expect("PC201");
    assert_eq!(d["range"]["start"]["line"], 20);
    assert_eq!(d["range"]["start"]["column"], 35);
    assert_eq!(
        d["pointer"],
        "/Resources/LustreKey/Properties/KeyPolicy/Statement/1/Action/1"
    );
}

#[test]
fn an_alias_bomb_is_reported_and_not_expanded() {
    let s = Scratch::new();
    let mut bomb = String::from("AWSTemplateFormatVersion: '2010-09-09'\nMetadata:\n");
    bomb.push_str("  a0: &a0 [kms:Decrypt, kms:Decrypt, kms:Decrypt, kms:Decrypt, kms:Decrypt, kms:Decrypt, kms:Decrypt, kms:Decrypt, kms:Decrypt]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        bomb.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    bomb.push_str("Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: '*'}\n            Action: *a11\n            Resource: '*'\n");
    s.write("bomb.yaml", bomb);
    let r = run(s.cmd().args(["--format", "json", "bomb.yaml"]));
    let out = json(&r);
    let d = out["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC606")
        .cloned()
        .unwrap_or_else(|| panic!("PC606: {r:?}"));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("expands to more values"),
        "{r:?}"
    );
    assert_eq!(
        d["range"]["start"]["line"], 19,
        "at the KeyPolicy key: {r:?}"
    );
}

#[test]
fn a_large_template_with_many_keys_is_checked() {
    let s = Scratch::new();
    // 500 keys, each used by a file system; then padding up to the size a
    // generated test can afford in a debug build (50 MB in release).
    let mut text = String::from("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n");
    for i in 0..500 {
        let key = TEMPLATE
            .split_once("Resources:\n")
            .unwrap()
            .1
            .replace("LustreKey", &format!("Key{i}"))
            .replace("  Lustre:", &format!("  Lustre{i}:"));
        text.push_str(&key);
    }
    let target = if cfg!(debug_assertions) {
        5 << 20
    } else {
        50 << 20
    };
    let mut i = 0;
    while text.len() < target {
        text.push_str(&format!(
            "  Topic{i}:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: topic-{i}-padding-padding-padding\n"
        ));
        i += 1;
    }
    s.write("big.yaml", &text);
    let r = run(s.cmd().args(["--format", "json", "big.yaml"]));
    let out = json(&r);
    assert_eq!(r.code, 0, "{}", &r.stderr);
    // Each key's service check ran and found its statement sufficient: the
    // first 200 say so, and one more counts the rest (issue 14: a file's
    // findings are bounded, a template's too).
    let inferred: Vec<&str> = out["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "PC401")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(inferred.len(), 201);
    assert!(
        inferred[200].starts_with("and 300 more `service-inferred` findings, not shown"),
        "{}",
        inferred[200]
    );
}

#[test]
fn a_key_policy_string_that_is_not_json_is_reported_in_the_string() {
    let s = Scratch::new();
    s.write(
        "t.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: true\n      KeyPolicy: |\n        {\"Version\": \"2012-10-17\", \"Statement\": [\n          {\"Effect\": \"Allow\" \"Principal\": {\"AWS\": \"*\"}}\n        ]}\n",
    );
    let out = json(&run(s.cmd().args(["--format", "json", "t.yaml"])));
    let d = out["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC001")
        .cloned()
        .expect("PC001");
    assert_eq!(d["range"]["start"]["line"], 9);
    assert_eq!(d["range"]["start"]["column"], 29, "where the comma belongs");
}

#[test]
fn circular_depends_on_is_reported() {
    let s = Scratch::new();
    s.write(
        "t.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::SNS::Topic\n    DependsOn: B\n  B:\n    Type: AWS::SNS::Topic\n    DependsOn: [A]\n  K:\n    Type: AWS::KMS::Key\n",
    );
    let r = run(s.cmd().args(["--format", "json", "t.yaml"]));
    let out = json(&r);
    let d = out["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "PC603")
        .cloned()
        .unwrap_or_else(|| panic!("PC603: {r:?}"));
    assert!(
        d["message"].as_str().unwrap().contains("A -> B -> A"),
        "{r:?}"
    );
    assert_eq!(d["range"]["start"]["line"], 8, "{r:?}");
}

/// pre-commit names every staged file: a module's `.tf` files and the
/// template it renders are checked as the module, once, with its values.
#[test]
fn named_module_files_and_their_template_are_one_job() {
    let s = Scratch::new();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/defects/terraform/file-cache-bucket-keys-object-context"
    );
    s.write(
        "m/main.tf",
        std::fs::read(format!("{example}/main.tf")).unwrap(),
    );
    s.write(
        "m/policies/bucket-key.json.tpl",
        std::fs::read(format!("{example}/policies/bucket-key.json.tpl")).unwrap(),
    );
    let out = json(&run(s.cmd().args([
        "--format",
        "json",
        "m/policies/bucket-key.json.tpl",
        "m/main.tf",
    ])));
    let template = "m/policies/bucket-key.json.tpl";
    assert!(
        codes(&out, template).contains(&"PC408".to_string()),
        "{out}"
    );
    let files = paths(&out);
    assert_eq!(
        files.iter().filter(|f| **f == template).count(),
        1,
        "checked once: {files:?}"
    );
    // With the module's values: the cache id is known, not a placeholder.
    let messages = out.to_string();
    assert!(!messages.contains("${cache_id}"), "{messages}");
}

/// A policy a module reads with `file()` is checked through the module,
/// once, whether a walk finds it or pre-commit names it with the module's
/// files; `--fix` writes it once and `--diff` shows it once.
#[test]
fn a_policy_a_module_reads_with_file_is_checked_once() {
    let s = Scratch::new();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/hosts/terraform/file");
    for name in ["main.tf", "policy.json"] {
        s.write(
            &format!("m/{name}"),
            std::fs::read(format!("{fixture}/{name}")).unwrap(),
        );
    }
    let policy = "m/policy.json";
    for args in [
        vec!["m"],
        vec![policy, "m/main.tf"],
        vec!["m/main.tf", policy],
    ] {
        let out = json(&run(s
            .cmd()
            .args(["--format", "json", "--min-severity", "hint"])
            .args(&args)));
        assert_eq!(codes(&out, policy), ["PC301"], "{args:?}: {out}");
        let files = paths(&out);
        assert_eq!(
            files.iter().filter(|f| **f == policy).count(),
            1,
            "{args:?}: checked once: {files:?}"
        );
    }
    let diff = run(s
        .cmd()
        .args(["--diff", "--unsafe-fixes", "--color", "never", "m"]));
    assert_eq!(
        diff.stdout.matches("--- a/m/policy.json").count(),
        1,
        "{}",
        diff.stdout
    );
}
