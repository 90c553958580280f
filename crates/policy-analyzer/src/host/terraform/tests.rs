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
