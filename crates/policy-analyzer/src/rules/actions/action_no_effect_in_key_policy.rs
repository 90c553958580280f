use crate::diagnostic::{DiagnosticTag, Severity};
use crate::rules::actions::{action_lists, classify, delete_entry, ActionClass};
use crate::rules::shared::{statements, Findings};
use crate::rules::structure::identity_policy_like;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC204",
    name: "action-no-effect-in-key-policy",
    pack: Pack::Actions,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[DiagnosticTag::Unnecessary],
    summary: "A KMS action without a key resource (ListAliases, ListKeys, CreateKey, GenerateRandom...) named in a key policy",
    docs: r#"## What it does
Reports KMS actions named explicitly in `Action` or `NotAction` that are not
performed on a KMS key and therefore cannot be controlled by a key policy:
`kms:ListAliases`, `kms:ListKeys`, `kms:CreateKey`, `kms:GenerateRandom`,
`kms:ListRetirableGrants` and the custom key store actions. Wildcards such as
`kms:*` or `kms:List*` that happen to include them are not reported.

## Why it matters
A key policy only decides requests on its own key. These actions have no key
resource (the Service Authorization Reference lists no resource type for
them), so KMS evaluates them against IAM policies only: naming them in a key
policy grants and denies nothing. The Amazon FSx, FSx for Lustre, File Cache
and EFS guides list `kms:ListAliases` as an optional permission that lets the
console show the key list; put into the key policy it does not, and the
console still cannot list aliases for those users.

## Example
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:DescribeKey", "kms:ListAliases"]
```

## Use instead
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:DescribeKey"]
```
and grant `kms:ListAliases` (with `"Resource": "*"`) in the users' IAM policy.

## Fix
The fix deletes the entry (it has no effect, so this is safe). An entry that
is the only one of its list is left to the author.

## Sources
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service": 11 actions have no resource type (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- AWS KMS Developer Guide, "Default key policy": "The kms:ListAliases and kms:ListKeys permissions … are valid only in IAM policies"; "The kms:CreateKey permission is valid only in an IAM policy" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
- Amazon File Cache User Guide, "How Amazon File Cache uses AWS KMS" (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/FileCacheKMS.html); Amazon FSx for Windows File Server User Guide, "Encryption at rest" (https://docs.aws.amazon.com/fsx/latest/WindowsGuide/encryption-at-rest.html); FSx for Lustre User Guide, "How Amazon FSx for Lustre uses AWS KMS" (https://docs.aws.amazon.com/fsx/latest/LustreGuide/encryption-at-rest.html): kms:ListAliases "(Optional)" for the console's key list.
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if identity_policy_like(ctx) {
        return; // an IAM identity policy: missing-element says so once
    }
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (list, element) in action_lists(st) {
            for v in &list.values {
                if out.full() {
                    return;
                }
                let ActionClass::Kms {
                    set,
                    wildcard: false,
                } = classify(ctx, v.value)
                else {
                    continue;
                };
                let Some(action) = ctx.catalog.actions_in(set).next() else {
                    continue;
                };
                if action.effective_in_key_policy {
                    continue;
                }
                let name = &action.name;
                let label = st.label();
                let verb = if element == "NotAction" {
                    "excluding it has no effect"
                } else if st.is_deny() {
                    "naming it here denies nothing"
                } else {
                    "naming it here allows nothing"
                };
                let mut message = format!(
                    "`{}` in `{element}` of {label} has no effect in a key policy: {name} is not performed on a key, so only IAM policies control it and {verb}",
                    v.value
                );
                if name == "kms:ListAliases" {
                    message.push_str(" (the FSx, File Cache and EFS guides list it as optional so that the console can show the key list: that takes an IAM policy)");
                }
                let d = out
                    .diagnostic(v.range, message)
                    .with_help(format!("delete it from the key policy and grant `{name}` in the principals' IAM policy, with `\"Resource\": \"*\"`"))
                    .with_fix_opt(delete_entry(ctx, list, v, "Delete the entry"))
                    .at_node(ctx.tree, v.node);
                out.push(d);
            }
        }
    }
}
