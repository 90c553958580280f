//! Expression evaluation, policy documents and their merging, ranges.

use std::collections::HashMap;

use super::*;
use crate::host::Loader;

/// Files in memory.
struct Memory(HashMap<String, String>);

impl Loader for Memory {
    fn load(&self, path: &str) -> Result<String, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| format!("no file {path}"))
    }
}

/// The findings of a module of `files` (the first is `m/main.tf`), as
/// (code, file, the text at the range).
fn findings(files: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let loader = Memory(
        files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
    );
    let module: Vec<HostFile<'_>> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".tf") || p.ends_with(".tfvars") || p.ends_with(".tf.json"))
        .map(|(path, text)| HostFile { path, text })
        .collect();
    let analysis = analyze_module(&module, &loader, &AnalyzeOptions::default());
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let file = d.file.as_deref().unwrap().to_string();
            let text = files
                .iter()
                .find(|(p, _)| *p == file)
                .map(|(_, t)| *t)
                .unwrap_or("");
            let shown = text
                .get(d.range.start as usize..d.range.end as usize)
                .unwrap_or("?")
                .to_string();
            (d.code.to_string(), file, shown)
        })
        .collect()
}

fn has(found: &[(String, String, String)], code: &str, text: &str) -> bool {
    found
        .iter()
        .any(|(c, _, t)| c == code && t.trim_matches('"') == text)
}

#[test]
fn jsonencode_elements_keep_their_ranges() {
    let found = findings(&[(
        "m/main.tf",
        r#"
resource "aws_kms_key" "k" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = ["kms:Decrypts"]
      Resource  = "*"
    }]
  })
}
data "aws_caller_identity" "current" {}
"#,
    )]);
    assert!(has(&found, "PC201", "kms:Decrypts"), "{found:#?}");
    assert!(
        !found
            .iter()
            .any(|(c, _, _)| c == "PC112" || c == "PC311" || c == "PC312"),
        "{found:#?}"
    );
}

const ROOT_STATEMENT: &str = r#"{
        Sid       = "Root"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::111122223333:root" }
        Action    = "kms:*"
        Resource  = "*"
      }"#;

fn key_with(policy: &str) -> String {
    format!("resource \"aws_kms_key\" \"k\" {{\n  enable_key_rotation = true\n  policy = {policy}\n}}\n")
}

#[test]
fn expressions_resolve_through_variables_locals_and_functions() {
    let found = findings(&[
        (
            "m/main.tf",
            &format!(
                r#"
variable "extra" {{
  default = "kms:Decrypt"
}}
locals {{
  names   = ["a", "b"]
  actions = [for n in local.names : "kms:${{upper(n)}}x" if n != "b"]
  merged  = merge({{ x = 1 }}, {{ y = var.extra }})
}}
{}"#,
                key_with(&format!(
                    r#"jsonencode({{
    Version = "2012-10-17"
    Statement = [{ROOT_STATEMENT}, {{
      Effect = "Allow"
      Principal = {{ AWS = "arn:aws:iam::111122223333:role/R" }}
      Action = concat(local.actions, [local.merged.y, format("kms:%s", "Encrypts")])
      Resource = "*"
    }}]
  }})"#
                ))
            ),
        ),
        ("m/terraform.tfvars", "extra = \"kms:Decrypts\"\n"),
    ]);
    // The for expression's element: a computed string, at its template.
    assert!(has(&found, "PC201", "kms:${upper(n)}x"), "{found:#?}");
    // The variable's value from terraform.tfvars, at its literal there.
    assert!(
        found
            .iter()
            .any(|(c, f, t)| c == "PC201" && f == "m/terraform.tfvars" && t == "\"kms:Decrypts\""),
        "{found:#?}"
    );
    assert!(
        has(&found, "PC201", "format(\"kms:%s\", \"Encrypts\")"),
        "{found:#?}"
    );
}

#[test]
fn documents_merge_as_the_provider_merges_them() {
    let found = findings(&[(
        "m/main.tf",
        r#"
data "aws_iam_policy_document" "a" {
  statement {
    sid       = "Same"
    actions   = ["kms:Decrypts"]
    resources = ["*"]
  }
  statement {
    actions   = ["kms:Encrypts"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "b" {
  source_policy_documents = [data.aws_iam_policy_document.a.json]
  statement {
    sid       = "Same"
    actions   = ["kms:Sign"]
    resources = ["*"]
  }
}
resource "aws_kms_key" "k" {
  policy = data.aws_iam_policy_document.b.json
}
"#,
    )]);
    // The source's "Same" is replaced by the document's own; the
    // statement without a Sid is kept.
    assert!(!has(&found, "PC201", "kms:Decrypts"), "{found:#?}");
    assert!(has(&found, "PC201", "kms:Encrypts"), "{found:#?}");
}

#[test]
fn bad_input_gives_findings_with_positions() {
    let syntax = findings(&[(
        "m/main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  policy = jsonencode({\n",
    )]);
    assert!(syntax.iter().any(|(c, _, _)| c == "PC007"), "{syntax:#?}");
    let unknown = findings(&[("m/main.tf", &key_with("jsonencod({})"))]);
    assert!(has(&unknown, "PC602", "jsonencod"), "{unknown:#?}");
    let cycle = findings(&[(
        "m/main.tf",
        &format!(
            "locals {{\n  a = local.b\n  b = local.a\n}}\n{}",
            key_with("local.a")
        ),
    )]);
    assert!(cycle.iter().any(|(c, _, _)| c == "PC603"), "{cycle:#?}");
    let missing = findings(&[("m/main.tf", &key_with("file(\"${path.module}/nope.json\")"))]);
    assert!(missing.iter().any(|(c, _, _)| c == "PC604"), "{missing:#?}");
    let variable = findings(&[
        (
            "m/main.tf",
            &key_with("templatefile(\"${path.module}/p.tpl\", {})"),
        ),
        (
            "m/p.tpl",
            "{\"Statement\": [{\"Principal\": {\"AWS\": \"${who}\"}}]}",
        ),
    ]);
    assert!(has(&variable, "PC605", "who"), "{variable:#?}");
}

#[test]
fn a_long_chain_of_locals_and_a_deep_expression_neither_overflow_nor_hang() {
    let mut text = String::from("locals {\n");
    for i in 0..5_000 {
        text.push_str(&format!("  l{i} = local.l{}\n", i + 1));
    }
    text.push_str("  l5000 = \"arn:aws:iam::111122223333:root\"\n}\n");
    text.push_str(&key_with(
        "jsonencode({ Statement = [{ Principal = { AWS = local.l0 } }] })",
    ));
    let found = findings(&[("m/main.tf", &text)]);
    assert!(found.iter().all(|(c, _, _)| c != "PC007"), "{found:#?}");
    // Nesting past hcl-edit's limit is a syntax error, not a crash.
    let deep = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let found = findings(&[("m/main.tf", &deep)]);
    assert!(found.iter().any(|(c, _, _)| c == "PC007"), "{found:#?}");
}

#[test]
fn a_large_file_and_a_large_module_are_read_in_linear_time() {
    let one = key_with(&format!(
        "jsonencode({{ Version = \"2012-10-17\", Statement = [{ROOT_STATEMENT}] }})"
    ));
    // About 50 MB of resources around one key: read, indexed, not hung
    // (5 MB in a debug build, where hcl-edit parses some 20 times slower;
    // `cargo test --release` reads the full 50 MB).
    let bucket = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"example-bucket-name\"\n  tags = { a = \"b\" }\n}\n";
    let size = if cfg!(debug_assertions) {
        5_000_000
    } else {
        50_000_000
    };
    let copies = size / bucket.len();
    let mut big = String::with_capacity(50_000_000 + one.len() * 2);
    big.push_str(&one);
    for i in 0..copies {
        big.push_str(&bucket.replace("\"b\"", &format!("\"b{i}\"")));
    }
    let files = [HostFile {
        path: "big/main.tf",
        text: &big,
    }];
    let analysis = analyze_module(&files, &NoFiles, &AnalyzeOptions::default());
    assert_eq!(analysis.policies, 1);

    // 2,000 files of one module.
    let texts: Vec<(String, String)> = (0..2_000)
        .map(|i| {
            (
                format!("many/f{i}.tf"),
                one.replace("\"k\"", &format!("\"k{i}\"")),
            )
        })
        .collect();
    let files: Vec<HostFile<'_>> = texts
        .iter()
        .map(|(path, text)| HostFile { path, text })
        .collect();
    let analysis = analyze_module(&files, &NoFiles, &AnalyzeOptions::default());
    assert_eq!(analysis.policies, 2_000);
    assert!(
        analysis.diagnostics.is_empty(),
        "{:?}",
        &analysis.diagnostics[..3]
    );
}

#[test]
fn a_template_alone_reads_placeholders_as_unknowns() {
    let text = r#"{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::${account_id}:root", "Service": ${services}},
    "Action": "kms:*",
    "Resource": "*",
    "Condition": {"StringEquals": {"kms:CallerAccount": "${account_id}"}}
  }]
}"#;
    let analysis = analyze_template(
        HostFile {
            path: "k.json.tpl",
            text,
        },
        &AnalyzeOptions::default(),
    );
    assert_eq!(analysis.policies, 1);
    let codes: Vec<&str> = analysis.diagnostics.iter().map(|d| d.code).collect();
    for code in ["PC001", "PC112", "PC304", "PC311"] {
        assert!(!codes.contains(&code), "{:#?}", analysis.diagnostics);
    }
}

#[test]
fn heredoc_lines_map_exactly_after_indentation_is_stripped() {
    let policy = "<<-EOT\n    {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, \"Action\": [\"kms:*\", \"kms:Decrypts\"], \"Resource\": \"*\"}]}\n  EOT";
    let found = findings(&[("m/main.tf", &key_with(policy))]);
    assert!(has(&found, "PC201", "kms:Decrypts"), "{found:#?}");
}

#[test]
fn consumers_say_the_attribute_or_block_that_names_the_key() {
    let text = r#"
resource "aws_kms_key" "storage" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
resource "aws_kms_key" "secret" {
  policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
resource "aws_db_instance" "db" {
  kms_key_id                    = aws_kms_key.storage.arn
  master_user_secret_kms_key_id = aws_kms_key.secret.arn
}
resource "aws_s3_bucket_server_side_encryption_configuration" "sse" {
  bucket = "b"
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.storage.arn
    }
  }
}
"#;
    let files = [HostFile {
        path: "m/main.tf",
        text,
    }];
    let policies = policies(&files, &NoFiles, &AnalyzeOptions::default());
    let uses = |key: &str| -> Vec<(String, Option<String>)> {
        policies
            .iter()
            .filter_map(|p| p.key.as_ref())
            .filter(|k| k.name == key)
            .flat_map(|k| &k.consumers)
            .map(|c| (c.name.clone(), c.property.clone()))
            .collect()
    };
    assert_eq!(
        uses("aws_kms_key.storage"),
        [
            (
                "aws_db_instance.db".to_string(),
                Some("kms_key_id".to_string())
            ),
            (
                "aws_s3_bucket_server_side_encryption_configuration.sse".to_string(),
                Some("rule".to_string())
            )
        ]
    );
    assert_eq!(
        uses("aws_kms_key.secret"),
        [(
            "aws_db_instance.db".to_string(),
            Some("master_user_secret_kms_key_id".to_string())
        )]
    );
}
