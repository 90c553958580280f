use rustc_hash::FxHashSet;

use crate::catalog::{distance, ActionSet};
use crate::diagnostic::{Fix, Severity};
use crate::matcher::has_wildcard;
use crate::model::StringList;
use crate::rules::actions::{
    action_lists, classify, delete_entry, no_match_consequence, ActionClass,
};
use crate::rules::edits::json_string;
use crate::rules::shared::{statements, Findings, MAX_ENTRIES_PER_LIST};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC201",
    name: "unknown-action",
    pack: Pack::Actions,
    severity: Severity::Error,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A `kms:` action that does not exist, such as `kms:ReEncrypt` or `kms:Decrypts`",
    docs: r#"## What it does
Reports entries of `Action` and `NotAction` that name a KMS action the
catalogue does not know: misspellings (`kms:Decrypts`, `kms:DescribeKeys`),
invented names (`kms:DecryptDataKey`), names without the service prefix
(`Decrypt`) or with a misspelled one (`km:Decrypt`), and `kms:ReEncrypt`.

`kms:ReEncrypt` gets its own explanation: the Amazon FSx, FSx for Lustre,
File Cache and EFS guides list "kms:ReEncrypt" as a permission, but
re-encryption is authorized as two actions, `kms:ReEncryptFrom` on the source
key and `kms:ReEncryptTo` on the destination key, and AWS's own key policies
write `kms:ReEncrypt*`.

Action names are not case-sensitive: `KMS:decrypt` is `kms:Decrypt` and is
reported only by `action-case`.

## Why it matters
IAM does not reject an unknown action; it just never matches a request. An
Allow with `kms:ReEncrypt` allows no re-encryption, a Deny with a misspelled
action denies nothing, and a `NotAction` entry that matches nothing excludes
nothing. The policy is accepted, looks right, and does something else.

## Example
```json
"Action": [
  "kms:Encrypt",
  "kms:Decrypts",
  "kms:ReEncrypt",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:CreateGrant",
  "kms:DescribeKey"
]
```

## Use instead
```json
"Action": [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:CreateGrant",
  "kms:DescribeKey"
]
```

## Fix
When there is one obvious intended action the fix writes it: `kms:ReEncrypt*`
for `kms:ReEncrypt`, the catalogue action one edit away
(`kms:Decrypts` → `kms:Decrypt`), or the action with its `kms:` prefix. A
suggestion two or more edits away is marked for review. When the intended
action is already in the list, the fix deletes the entry.

A misspelled action matches nothing, so writing it right in the `Action` of an
Allow (or the `NotAction` of a Deny) grants what the statement never granted:
that fix is always marked unsafe, and its title says so.

## Sources
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service": the 56 KMS actions; there is no `kms:ReEncrypt` (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- AWS KMS API Reference, ReEncrypt: the operation is authorized twice, as `kms:ReEncryptFrom` on the source key and `kms:ReEncryptTo` on the destination key (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html).
- Amazon File Cache User Guide, "How Amazon File Cache uses AWS KMS" (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html); Amazon FSx for Windows File Server User Guide, "Encryption at rest" (https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html); FSx for Lustre User Guide, "How Amazon FSx for Lustre uses AWS KMS" (https://docs.aws.amazon.com/fsx/latest/LustreGuide/encryption-at-rest.html): the permission list with "kms:ReEncrypt". The Amazon EFS User Guide (https://docs.aws.amazon.com/efs/latest/ug/EFSKMS.html) and the Amazon EBS User Guide (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html) have the same wording, while the AWS managed EFS key policy uses `kms:ReEncrypt*` (https://docs.aws.amazon.com/efs/latest/ug/EFSKMS.html).
- IAM User Guide, "IAM JSON policy elements: Action": action names are case-insensitive (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (list, element) in action_lists(st) {
            let mut coverers: Option<Vec<(ActionSet, bool, usize)>> = None;
            for v in &list.values {
                if out.full() {
                    return;
                }
                let class = classify(ctx, v.value);
                let unknown = matches!(
                    class,
                    ActionClass::KmsUnknown | ActionClass::BadPrefix { .. }
                );
                if unknown && out.is_full() {
                    // Only counted: spare the search for what was meant.
                    out.push(out.diagnostic(v.range, String::new()));
                    continue;
                }
                let (reason, suggestion) = match class {
                    ActionClass::KmsUnknown if v.value.eq_ignore_ascii_case("kms:ReEncrypt") => (
                        "is not a KMS action: re-encryption is authorized as `kms:ReEncryptFrom` (on the source key) and `kms:ReEncryptTo` (on the destination key), which the FSx, File Cache and EFS guides call \"kms:ReEncrypt\"".to_string(),
                        Some("kms:ReEncrypt*".to_string()),
                    ),
                    ActionClass::KmsUnknown => (
                        "is not a KMS action".to_string(),
                        ctx.catalog.suggest_action(v.value).map(str::to_string),
                    ),
                    ActionClass::BadPrefix { suggestion } => {
                        let reason = if v.value.contains(':') {
                            "has a misspelled service prefix (KMS actions start with `kms:`)"
                        } else {
                            "has no service prefix (KMS actions start with `kms:`)"
                        };
                        (reason.to_string(), suggestion)
                    }
                    _ => continue,
                };
                let consequence = no_match_consequence(st, element);
                let mut message = format!(
                    "`{}` in `{element}` of {} {reason}, {consequence}",
                    v.value,
                    st.label()
                );
                let already = suggestion.as_deref().and_then(|s| {
                    let coverers = coverers.get_or_insert_with(|| distinct_coverers(ctx, list));
                    let wanted = ctx.catalog.expand(s);
                    let pattern = has_wildcard(s);
                    coverers
                        .iter()
                        .find(|&&(set, wildcard, j)| {
                            list.values[j].node != v.node
                                && set.is_superset(wanted)
                                && (wildcard || !pattern)
                        })
                        .map(|&(_, _, j)| list.values[j].value)
                });
                let (help, fix) = match (&suggestion, already) {
                    (Some(s), Some(other)) => {
                        message.push_str(&format!("; `{s}` is meant, and the list already has `{other}`"));
                        (
                            "delete this entry".to_string(),
                            delete_entry(ctx, list, v, "Delete the entry"),
                        )
                    }
                    (Some(s), None) => {
                        message.push_str(&format!("; did you mean `{s}`?"));
                        let close = s == "kms:ReEncrypt*"
                            || distance(&v.value.to_ascii_lowercase(), &s.to_ascii_lowercase()) <= 1
                            || v.value.eq_ignore_ascii_case(s.trim_start_matches("kms:"));
                        // The misspelled entry matches nothing: written right, it
                        // grants (in an Allow's Action) or stops excluding (in a
                        // Deny's NotAction).
                        let widens = (st.is_allow() && element == "Action")
                            || (st.is_deny() && element == "NotAction");
                        let title = if widens {
                            format!("Write `{s}`: the statement starts to grant it; review")
                        } else {
                            format!("Write `{s}`")
                        };
                        let fix = Fix::replace(title, v.range, json_string(s));
                        let help = if s == "kms:ReEncrypt*" {
                            "write `kms:ReEncrypt*`, which covers both `kms:ReEncryptFrom` and `kms:ReEncryptTo`".to_string()
                        } else {
                            format!("write `{s}`")
                        };
                        (help, Some(if close && !widens { fix } else { fix.unsafe_() }))
                    }
                    (None, _) => (
                        "check the action name against the KMS actions in the Service Authorization Reference, or delete the entry".to_string(),
                        None,
                    ),
                };
                let d = out
                    .diagnostic(v.range, message)
                    .with_help(help)
                    .with_fix_opt(fix)
                    .at_node(ctx.tree, v.node);
                out.push(d);
            }
        }
    }
}

/// The entries of a list that can cover others: the first entry of each
/// distinct (set of KMS actions, is a pattern), at most a few hundred, so that
/// looking for a covering entry stays cheap on any input.
fn distinct_coverers<'a>(
    ctx: &Context<'a>,
    list: &StringList<'a>,
) -> Vec<(ActionSet, bool, usize)> {
    let mut seen = FxHashSet::default();
    let mut out = Vec::new();
    for (j, v) in list.values.iter().enumerate().take(MAX_ENTRIES_PER_LIST) {
        let key = match classify(ctx, v.value) {
            ActionClass::All => (ctx.catalog.all_actions(), true),
            ActionClass::Kms { set, wildcard } => (set, wildcard),
            _ => continue,
        };
        if seen.insert(key) {
            out.push((key.0, key.1, j));
            if out.len() == 256 {
                break;
            }
        }
    }
    out
}
