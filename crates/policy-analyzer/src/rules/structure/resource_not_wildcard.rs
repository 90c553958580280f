use crate::diagnostic::{Fix, Severity};
use crate::matcher::wildcard_match;
use crate::model::StringList;
use crate::rules::edits::remove_array_item;
use crate::rules::shared::{statements, Findings, Label, MAX_ENTRIES_PER_LIST};
use crate::rules::structure::identity_policy_like;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC111",
    name: "resource-not-wildcard",
    pack: Pack::Structure,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "A Resource that can never be this key (an S3 ARN, an alias, other text), or NotResource, in a key policy",
    docs: r#"## What it does
Reports `Resource` entries of a key policy that cannot name the key the
policy is attached to: ARNs of other services (`arn:aws:s3:::bucket`), KMS
alias ARNs, text that is not an ARN, and KMS key ARNs whose Region or
account part still holds a guide's placeholder
(`arn:aws:kms:Region:account_ID:key/key_ID`), which are no key's ARN. It
also reports `NotResource` (a
statement with both `Resource` and `NotResource` is left to
`conflicting-elements`). A value that is one template placeholder
(`${key_arn}`) is not judged.
KMS key ARNs and patterns that match a key are left to `resource-key-arn`.

## Why it matters
A key policy controls one resource, its own KMS key, and in a key policy
`"Resource": "*"` means "this KMS key". An S3 bucket ARN copied from a bucket
policy never matches the key, so the entry does nothing; when no entry of
`Resource` matches the key, the whole statement has no effect. AWS's own
CloudTrail guide once published a key policy whose account-root statement
had `"Resource": "arn:aws:s3:::myBucketName"`, which would leave the account
without `kms:*` on the key.

`NotResource` means "every resource except these". In a key policy that is
either this key (then it is a roundabout `"Resource": "*"`) or nothing (when the
list covers the key), which few readers can tell at a glance.

## Example
```json
{
  "Sid": "Enable IAM User Permissions",
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
  "Action": "kms:*",
  "Resource": "arn:aws:s3:::my-data-bucket"
}
```

## Use instead
```json
{
  "Sid": "Enable IAM User Permissions",
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
  "Action": "kms:*",
  "Resource": "*"
}
```

## Fix
- An entry that never matches, next to entries that do, is deleted (it has no
  effect, so this is safe).
- When no entry matches, the fix replaces `Resource` with `"*"`; this makes a
  statement that had no effect take effect, so it is marked unsafe, for
  review. A key ARN with a placeholder gets no fix: only the author knows
  which key was meant, and `"*"` would grant what the statement says to
  this key.
- A `NotResource` that lists only resources other than KMS keys is replaced
  with the equivalent `"Resource": "*"`.

## Sources
- AWS KMS Developer Guide, "Creating a key policy" ("Elements in a key policy"): "In a key policy, the value of the Resource element is "*", which means "this KMS key"" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html). Key ARN forms in `Resource` are tolerated, but the canonical value is `*`.
- IAM User Guide, "IAM JSON policy elements: NotResource": `NotResource` matches every resource except those listed (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html).
- AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": the CloudTrail console's default key policy, with an S3 ARN as the root statement's `Resource` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html).
"#,
    check: Check::Policy(check),
};

/// A concrete KMS key ARN that stands for "this key" when asking whether a
/// pattern could match it.
const SAMPLE_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// What a `Resource` value names, seen from a key policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResourceKind {
    /// `"*"`.
    Wildcard,
    /// A KMS key ARN or a pattern that matches key ARNs.
    KeyArn,
    /// A KMS alias ARN.
    AliasArn,
    /// An ARN of another service.
    OtherService,
    /// Text that is not an ARN.
    NotArn,
    /// The empty string (empty-element reports it).
    Empty,
    /// A template placeholder for the whole value (`${key_arn}`): unknown.
    Placeholder,
    /// A KMS key ARN with a Region or account part no key can have, such as
    /// a guide's `arn:aws:kms:Region:account_ID:key/key_ID`.
    ImpossibleKeyArn,
}

pub(crate) fn classify(value: &str) -> ResourceKind {
    if value.is_empty() {
        return ResourceKind::Empty;
    }
    if value == "*" {
        return ResourceKind::Wildcard;
    }
    // `${key_arn}`, `{{ key_arn }}`: a template placeholder (or a policy
    // variable) for the whole value, which only its rendering decides.
    let whole_placeholder = (value.starts_with("${") || value.starts_with("{{"))
        && value.ends_with('}')
        && value[2..]
            .find('}')
            .is_some_and(|i| i + 2 >= value.len() - 2);
    if whole_placeholder {
        return ResourceKind::Placeholder;
    }
    let parts = crate::aws::arn_parts(value).filter(|p| p[0].eq_ignore_ascii_case("arn"));
    let is_arn = parts.is_some();
    if let Some(parts) = parts.filter(|p| p[2].eq_ignore_ascii_case("kms")) {
        // Any KMS ARN but an alias names keys (`key/...`, or with variables
        // and wildcards that policy-check cannot resolve).
        return if parts[5].to_ascii_lowercase().starts_with("alias/") {
            ResourceKind::AliasArn
        } else if crate::eval::impossible_key_arn(value).is_some() {
            ResourceKind::ImpossibleKeyArn
        } else {
            ResourceKind::KeyArn
        };
    }
    if wildcard_match(value, SAMPLE_KEY_ARN, false) {
        return ResourceKind::KeyArn;
    }
    if is_arn {
        ResourceKind::OtherService
    } else {
        ResourceKind::NotArn
    }
}

/// Whether an entry of this kind can match this key.
pub(crate) fn may_match_key(kind: ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::Wildcard | ResourceKind::KeyArn | ResourceKind::Placeholder
    )
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    if identity_policy_like(ctx) {
        return; // an IAM identity policy: missing-element says so once
    }
    if crate::rules::actions::other_service_policy(ctx).is_some() {
        return; // a bucket policy or the like: non-kms-action says so once
    }
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        let label = Label(st);
        if let Some(resource) = &st.resource {
            check_resource(ctx, out, resource, label);
        }
        // With both `Resource` and `NotResource`, conflicting-elements reports the pair.
        if let (Some(not_resource), None) = (&st.not_resource, &st.resource) {
            let kinds: Vec<ResourceKind> = not_resource
                .values
                .iter()
                .take(MAX_ENTRIES_PER_LIST)
                .map(|v| classify(v.value))
                .collect();
            let excludes_key = kinds.iter().any(|&k| may_match_key(k));
            let element = not_resource.element;
            let (message, fix) = if excludes_key {
                (
                    format!("{label} uses `NotResource`, which means every resource except those listed; in a key policy the only resource is this key, and the list covers it, so the statement probably matches nothing and has no effect"),
                    None,
                )
            } else {
                (
                    format!("{label} uses `NotResource`, which means every resource except those listed; in a key policy the only resource is this key, which the list does not name, so this is a roundabout `\"Resource\": \"*\"`"),
                    (!kinds.is_empty() && kinds.iter().all(|&k| k != ResourceKind::Empty))
                        .then(|| Fix::replace("Write `\"Resource\": \"*\"`", element.range(), "\"Resource\": \"*\"")),
                )
            };
            let d = out
                .diagnostic(element.key_range, message)
                .with_help("write `\"Resource\": \"*\"`, which in a key policy means this KMS key")
                .with_fix_opt(fix)
                .at_node(ctx.tree, element.value);
            out.push(d);
        }
    }
}

fn check_resource(
    ctx: &Context<'_>,
    out: &mut Findings<'_, '_>,
    resource: &StringList<'_>,
    label: Label<'_, '_>,
) {
    let kinds: Vec<ResourceKind> = resource
        .values
        .iter()
        .take(MAX_ENTRIES_PER_LIST)
        .map(|v| classify(v.value))
        .collect();
    let covered = kinds.iter().any(|&k| may_match_key(k));
    let array = resource.element.value;
    for (v, &kind) in resource.values.iter().zip(&kinds) {
        if out.full() {
            return;
        }
        let what = match kind {
            ResourceKind::Wildcard
            | ResourceKind::KeyArn
            | ResourceKind::Empty
            | ResourceKind::Placeholder => continue,
            ResourceKind::AliasArn => "a KMS alias ARN, not a key".to_string(),
            ResourceKind::OtherService => {
                let service = v.value.split(':').nth(2).unwrap_or_default();
                format!("an ARN of the `{service}` service, not a KMS key")
            }
            ResourceKind::NotArn => "not an ARN".to_string(),
            ResourceKind::ImpossibleKeyArn => {
                let (part, text) = crate::eval::impossible_key_arn(v.value).unwrap_or((3, ""));
                let what = if part == 3 { "Region" } else { "account ID" };
                format!("a KMS key ARN whose {what} part `{text}` is a placeholder copied from a guide, not a real {what}, so it is no key's ARN")
            }
        };
        let consequence = if covered {
            "so this entry never matches (other entries cover the key) and can be deleted"
                .to_string()
        } else {
            format!("so this entry never matches, and with no entry matching the key {label} has no effect")
        };
        let fix = if covered {
            remove_array_item(ctx.tree, ctx.text, array, v.node).map(|e| {
                Fix::replace(
                    "Delete the entry that never matches",
                    e.range,
                    e.replacement,
                )
            })
        } else if kind == ResourceKind::ImpossibleKeyArn {
            // Only the author knows the key; `"*"` would make a statement
            // that matches nothing apply to this key.
            None
        } else if resource.values.len() == 1
            && (v.node == array || ctx.tree.items(array).len() == 1)
        {
            Some(
                Fix::replace(
                    "Replace with `\"*\"` (this key): the statement, which matches nothing today, starts to apply; review what it grants",
                    v.range,
                    "\"*\"",
                )
                .unsafe_(),
            )
        } else {
            None
        };
        let d = out
            .diagnostic(
                v.range,
                format!("`{}` in `Resource` of {label} is {what}: in a key policy the only resource is this KMS key, {consequence}", v.value),
            )
            .with_help(if covered {
                "delete the entry"
            } else {
                "write `\"Resource\": \"*\"`, which in a key policy means this KMS key"
            })
            .with_fix_opt(fix)
            .at_node(ctx.tree, v.node);
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::{classify, ResourceKind::*};

    #[test]
    fn classifies_resources_as_seen_from_a_key_policy() {
        assert_eq!(classify("*"), Wildcard);
        assert_eq!(
            classify("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            KeyArn
        );
        assert_eq!(
            classify("arn:aws:kms:Region:account_ID:key/key_ID"),
            ImpossibleKeyArn
        );
        assert_eq!(
            classify("arn:aws:kms:us-east-1:account-id:key/*"),
            ImpossibleKeyArn
        );
        assert_eq!(classify("arn:aws-cn:kms:*:*:key/*"), KeyArn);
        assert_eq!(classify("arn:aws:kms:*"), KeyArn);
        assert_eq!(classify("arn:*"), KeyArn);
        assert_eq!(
            classify("arn:aws:kms:us-east-1:111122223333:alias/app"),
            AliasArn
        );
        assert_eq!(classify("arn:aws:s3:::my-data-bucket"), OtherService);
        assert_eq!(classify("arn:aws:s3:::my-data-bucket/*"), OtherService);
        assert_eq!(classify("1234abcd-12ab-34cd-56ef-1234567890ab"), NotArn);
        assert_eq!(classify("alias/app"), NotArn);
        assert_eq!(classify(""), Empty);
        assert_eq!(classify("${key_arn}"), Placeholder);
        assert_eq!(classify("{{ key_arn }}"), Placeholder);
        assert_eq!(
            classify("arn:aws:kms:*:${aws:PrincipalAccount}:key/*"),
            KeyArn
        );
        assert_eq!(
            classify("arn:aws:kms:us-east-1:111122223333:${key_id}"),
            KeyArn
        );
        assert_eq!(classify("${bucket_arn}/*"), NotArn);
    }
}
