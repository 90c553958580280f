use crate::diagnostic::{Fix, Severity};
use crate::matcher::has_wildcard;
use crate::rules::edits::remove_array_item;
use crate::rules::shared::{statements, Findings, Label};
use crate::rules::structure::identity_policy_like;
use crate::rules::structure::resource_not_wildcard::{classify, ResourceKind};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC113",
    name: "resource-key-arn",
    pack: Pack::Structure,
    severity: Severity::Info,
    fix: FixAvailability::Always,
    tags: &[],
    summary: "A key policy names a KMS key ARN in Resource where `*` (this key) is meant",
    docs: r#"## What it does
Reports a `Resource` entry of a key policy that is a KMS key ARN
(`arn:aws:kms:us-east-1:111122223333:key/1234abcd-...`) or a pattern that
matches key ARNs (`arn:aws:kms:*:111122223333:key/*`), instead of `"*"`.
An ARN that still holds a guide's placeholder
(`arn:aws:kms:Region:account_ID:key/key_ID`) is no key's ARN: it never
matches, and `resource-not-wildcard` reports it, without a fix.

## Why it matters
In a key policy `"Resource": "*"` means "this KMS key", and it is what the KMS
guide and every AWS-managed key policy use. A key ARN works too, but only
while it is exactly this key's ARN: a policy copied to another key, to another
Region (multi-Region replicas have their own ARNs) or to another account keeps
the old ARN, and the statement then silently matches nothing. A pattern such as
`key/*` matches this key anyway and only says `*` in more words. Both forms
appear in AWS documentation snippets, so this is information, not a defect.

## Example
```json
"Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
```

## Use instead
```json
"Resource": "*"
```

## Fix
The fix replaces the ARN with `"*"`. It is marked for review, because if the
ARN is another key's, the statement goes from matching nothing to matching
this key. An ARN next to a `"*"` entry is deleted instead, which is safe.

## Sources
- AWS KMS Developer Guide, "Creating a key policy" ("Elements in a key policy"): "In a key policy, the value of the Resource element is "*", which means "this KMS key"" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": its key-policy snippets write key ARN forms (`arn:aws:kms:…:key/*`) in `Resource`; KMS accepts them, so this rule tolerates them and only notes that the canonical value is `*` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html).
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
        let Some(resource) = &st.resource else {
            continue;
        };
        let label = Label(st);
        let array = resource.element.value;
        let has_star = resource.values.iter().any(|v| v.value == "*");
        for v in &resource.values {
            if out.full() {
                return;
            }
            if classify(v.value) != ResourceKind::KeyArn {
                continue;
            }
            let pattern = has_wildcard(v.value);
            let (message, fix) = if has_star {
                (
                    format!("`{}` in `Resource` of {label} adds nothing: the `\"*\"` entry already means this key", v.value),
                    remove_array_item(ctx.tree, ctx.text, array, v.node).map(|e| Fix::replace("Delete the entry", e.range, e.replacement)),
                )
            } else if pattern {
                (
                    format!("`{}` in `Resource` of {label} matches this key like any key, but in a key policy `\"*\"` already means this key and says so plainly", v.value),
                    Some(Fix::replace("Replace with `\"*\"` (this key)", v.range, "\"*\"").unsafe_()),
                )
            } else {
                (
                    format!("`{}` in `Resource` of {label} names one key: in a key policy `\"*\"` means this key, and the ARN matches only while it is this key's own (a copy of the policy on another key or in another Region matches nothing)", v.value),
                    Some(Fix::replace("Replace with `\"*\"` (this key): if the ARN is another key's, the statement, which matches nothing today, starts to apply to this key; review it", v.range, "\"*\"").unsafe_()),
                )
            };
            let d = out
                .diagnostic(v.range, message)
                .with_help(if has_star {
                    "delete the entry"
                } else {
                    "write `\"Resource\": \"*\"`"
                })
                .with_fix_opt(fix)
                .at_node(ctx.tree, v.node);
            out.push(d);
        }
    }
}
