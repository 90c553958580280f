use rustc_hash::FxHashMap;

use crate::diagnostic::Severity;
use crate::model::Text;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC107",
    name: "duplicate-sid",
    pack: Pack::Structure,
    severity: Severity::Info,
    fix: FixAvailability::None,
    tags: &[],
    summary: "Two statements have the same Sid",
    docs: r#"## What it does
Reports a statement whose `Sid` repeats the `Sid` of an earlier statement in
the same policy. Empty Sids are not compared.

## Why it matters
A Sid names a statement. KMS accepts a repeated Sid in a key policy (the AWS
managed key policy of Secrets Manager has two statements with the same Sid),
but IAM requires Sids to be unique within IAM policies, and a repeated Sid
breaks everything that finds statements by Sid: Terraform's
`aws_iam_policy_document` merges statements with the same `sid` from
`override_policy_documents` (so one silently replaces the other) and
rejects them in `source_policy_documents`; reviews, change logs and findings
about one statement point at two. A repeated Sid is usually a copied
statement whose Sid was not updated, so the label no longer says what the
statement does. This is information, not an error.

## Example
```json
[
  {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, ...},
  {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"}, ...}
]
```

## Use instead
```json
[
  {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, ...},
  {"Sid": "Allow CloudWatch Logs to use the key", "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"}, ...}
]
```

## Fix
Give each statement a Sid that says what it is for. There is no automatic
fix: the new name is the author's choice.

## Sources
- IAM User Guide, "IAM JSON policy elements: Sid": "In IAM, the Sid value must be unique within a JSON policy"; other services may have their own requirements (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html).
- AWS Secrets Manager User Guide, "Secret encryption and decryption": the AWS managed key policy `auto-secretsmanager-2` repeats the Sid "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager", so KMS accepts repeated Sids (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
- Terraform AWS provider, `aws_iam_policy_document`: statements with the same `sid` are merged by `override_policy_documents` and must be unique in `source_policy_documents` (https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    let mut first: FxHashMap<&str, Text<'_>> = FxHashMap::default();
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        let Some(sid) = st.sid else { continue };
        if sid.value.is_empty() {
            continue;
        }
        match first.get(sid.value) {
            None => {
                first.insert(sid.value, sid);
            }
            Some(earlier) => {
                let d = out
                    .diagnostic(
                        sid.range,
                        format!(
                            "statement #{} repeats the Sid \"{}\" of an earlier statement: KMS accepts that, but tools that find statements by Sid mix the two up (Terraform's policy documents merge or reject them), and IAM policies require unique Sids",
                            st.index + 1,
                            sid.value
                        ),
                    )
                    .with_related(earlier.range, "the Sid is first used here")
                    .with_help("give each statement a Sid that says what it is for")
                    .at_node(ctx.tree, sid.node);
                out.push(d);
            }
        }
    }
}
