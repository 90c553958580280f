use crate::diagnostic::{Applicability, DiagnosticTag, Fix, Severity};
use crate::rules::conditions::{code, entries, fix};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC309",
    name: "deprecated-condition-key",
    pack: Pack::Conditions,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[DiagnosticTag::Deprecated],
    summary: "A deprecated KMS condition key",
    docs: r#"## What it does
Reports the deprecated condition keys `kms:CustomerMasterKeySpec` and
`kms:CustomerMasterKeyUsage`.

## Why it matters
KMS renamed them to `kms:KeySpec` and `kms:KeyUsage`. The old names "work
the same way. Only the names differ", and KMS still supports them to avoid
breaking policies, but the Service Authorization Reference no longer lists
them for any action, and new policies should not depend on names kept only
for compatibility.

## Example
```json
"Condition": {
  "StringEquals": {"kms:CustomerMasterKeySpec": "SYMMETRIC_DEFAULT"}
}
```

## Use instead
```json
"Condition": {
  "StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT"}
}
```

## Fix
The fix writes the new name. It is safe: KMS documents that the two names
work the same way. No fix when the new key is already in the same operator
block.

## Sources
- AWS KMS Developer Guide, "AWS KMS condition keys": "kms:CustomerMasterKeySpec (deprecated) … Instead, use the kms:KeySpec condition key. The kms:CustomerMasterKeySpec and kms:KeySpec condition keys work the same way. Only the names differ" (likewise `kms:CustomerMasterKeyUsage` and `kms:KeyUsage`) (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
- Service Authorization Reference for AWS KMS: both keys are marked deprecated (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
"#,
    check: Check::Policy(check),
};

/// The key that replaces a deprecated one.
fn replacement(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "kms:customermasterkeyspec" => Some("kms:KeySpec"),
        "kms:customermasterkeyusage" => Some("kms:KeyUsage"),
        _ => None,
    }
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for entry in entries(ctx.policy) {
        let Some(found) = entry.key_info() else {
            continue;
        };
        if !found.info.deprecated {
            continue;
        }
        let name = entry.key_name();
        let new = replacement(name);
        let mut d = out
            .diagnostic(
                entry.key.key.range,
                format!(
                    "{} in {} is deprecated{}",
                    code(name),
                    entry.statement.label(),
                    new.map(|n| format!("; KMS renamed it `{n}`, which works the same way"))
                        .unwrap_or_default()
                ),
            )
            .at_node(ctx.tree, entry.key.value_node);
        if let Some(new) = new {
            let clash = entry
                .op
                .keys
                .iter()
                .any(|k| k.key.value.eq_ignore_ascii_case(new));
            d = d.with_help(format!("write `{new}`"));
            if !clash {
                d = d.with_fix_opt(Some(Fix {
                    title: format!("Replace with `{new}`"),
                    applicability: Applicability::Safe,
                    edits: vec![fix::string_edit(ctx, entry.key.key.range, name, new)],
                }));
            }
        }
        out.push(d);
    }
}
