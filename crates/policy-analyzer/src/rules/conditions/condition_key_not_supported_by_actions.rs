use std::sync::OnceLock;

use crate::catalog::{catalog, ActionSet, ConditionKeyInfo};
use crate::diagnostic::Severity;
use crate::rules::conditions::{absent_outcome, code, list, Entry};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC310",
    name: "condition-key-not-supported-by-actions",
    pack: Pack::Conditions,
    severity: Severity::Info,
    fix: FixAvailability::None,
    tags: &[],
    summary: "Actions that a statement never allows (or denies) because their requests lack a condition key",
    docs: r#"## What it does
For each statement with an `Action` list and a condition on a KMS condition
key (not a global `aws:` key), expands the actions (wildcards included) and
finds those whose requests never carry that key, according to the Service
Authorization Reference. When the condition is false for a request without
the key, the statement never applies to those actions, and the rule says
which: "never allows `kms:DescribeKey`" for Allow, "never denies" for Deny.

A key that is absent makes a condition false under a positive operator
(`StringEquals`, `StringLike`, `ArnLike`, `Bool`, ...), under `ForAnyValue:`
and under `Null` with `false`. It makes it true under a negated operator
(`StringNotEquals`, ...), under `...IfExists`, under `ForAllValues:` and
under `Null` with `true`: those conditions do not exclude the action, and
nothing is reported.

Not considered: actions that have no effect in a key policy
(`kms:ListAliases`, `kms:CreateKey`, ...), `kms:SynchronizeMultiRegionKey`
(the Service Authorization Reference describes it as controlling "internal
APIs" that no principal calls), statements with `NotAction`, unknown and
deprecated keys (other rules report them), and global keys, whose presence
depends on the principal and the call path rather than on the action.

## Why it matters
A statement often lists actions that need different conditions. The File
Cache / FSx for Lustre statement for an S3 bucket's key allows
`kms:DescribeKey` together with `kms:Encrypt`, `kms:Decrypt`,
`kms:ReEncrypt*` and `kms:GenerateDataKey*` under a
`kms:EncryptionContext:aws:s3:arn` condition, but `DescribeKey` requests
carry no encryption context, so that statement never allows
`kms:DescribeKey`. If the principal needs it, it must come from another
statement. In a Deny statement the same gap means an action is never denied,
which can leave a hole in a protection.

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
  "Action": ["kms:Decrypt", "kms:DescribeKey"],
  "Resource": "*",
  "Condition": {"StringEquals": {"kms:EncryptionContext:app": "billing"}}
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
  "Action": "kms:Decrypt",
  "Resource": "*",
  "Condition": {"StringEquals": {"kms:EncryptionContext:app": "billing"}}
},
{
  "Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
  "Action": "kms:DescribeKey",
  "Resource": "*"
}
```

## Fix
No automatic fix: move the reported actions to a statement without the
condition, or drop them if they are not needed. This is information, not
an error: often the action is allowed elsewhere, or not needed.

## Sources
- Service Authorization Reference for AWS KMS: the condition keys each action supports (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- IAM User Guide, "IAM JSON policy elements: Condition operators": a key that is not present makes the condition false (negated operators: true); `...IfExists`; `Null` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html). "Single-valued vs. multivalued context keys": `ForAllValues` is true and `ForAnyValue` false without the key (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_single-vs-multi-valued-condition-keys.html).
- IAM User Guide, IAM policy validation check reference: when a condition key is not supported by an action, "the key is not included in the request context" and the condition returns false (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
- AWS KMS Developer Guide, "AWS KMS condition keys": a condition on a key that an operation does not have "can never be satisfied" (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
- Amazon File Cache User Guide, "Working with server-side encrypted Amazon S3 buckets": the statement with `kms:DescribeKey` and `kms:EncryptionContext:aws:s3:arn` (https://docs.aws.amazon.com/fsx/latest/FileCacheGuide/s3-server-side-encryption-support.html).
"#,
    check: Check::Policy(check),
};

/// Actions a principal can be granted in a key policy and actually calls.
fn eligible() -> ActionSet {
    static ELIGIBLE: OnceLock<ActionSet> = OnceLock::new();
    *ELIGIBLE.get_or_init(|| {
        let c = catalog();
        let mut set = ActionSet::EMPTY;
        for (i, a) in c.actions().iter().enumerate() {
            // SynchronizeMultiRegionKey: "Controls access to internal APIs".
            if a.effective_in_key_policy && !a.description.contains("internal") {
                set.insert(i);
            }
        }
        set
    })
}

fn names(set: ActionSet) -> Vec<String> {
    catalog().actions_in(set).map(|a| code(&a.name)).collect()
}

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let eligible = eligible();
    for statement in &ctx.policy.statements {
        let (Some(actions), Some(block)) = (&statement.action, &statement.condition) else {
            continue;
        };
        if statement.not_action.is_some() {
            continue;
        }
        let verb = if statement.is_allow() {
            "allows"
        } else if statement.is_deny() {
            "denies"
        } else {
            continue;
        };
        // The conditions that exclude a request without their key.
        let relevant: Vec<(Entry<'_, '_>, &ConditionKeyInfo)> = block
            .operators
            .iter()
            .flat_map(|op| {
                op.keys.iter().map(move |key| Entry {
                    statement,
                    block,
                    op,
                    key,
                })
            })
            .filter_map(|entry| {
                let op = entry.operator()?;
                let info = entry.key_info()?.info;
                let excludes = !info.global
                    && !info.deprecated
                    && absent_outcome(op, &entry.key.values) == Some(false);
                excludes.then_some((entry, info))
            })
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let per_entry: Vec<(ActionSet, &crate::model::Text<'_>)> = actions
            .values
            .iter()
            .map(|v| (ctx.expand_actions(v.value).intersection(eligible), v))
            .collect();
        let all = per_entry
            .iter()
            .fold(ActionSet::EMPTY, |acc, (set, _)| acc.union(*set));
        if all.is_empty() {
            continue;
        }
        let label = statement.label();
        for (entry, info) in relevant {
            let dropped = all.difference(info.actions);
            if dropped.is_empty() {
                continue;
            }
            let key = code(entry.key_name());
            let dropped_names = names(dropped);
            let message = if dropped == all {
                format!(
                    "{label} never {verb} any of its actions: none of them ({}) supports {key}, so their requests never carry it and the `{}` condition is false for all of them",
                    list(&dropped_names, 6),
                    entry.op_name()
                )
            } else {
                format!(
                    "{label} never {verb} {}: {} requests never carry {key}, so the `{}` condition is false for {}",
                    list(&dropped_names, 6),
                    if dropped.len() == 1 { "its" } else { "their" },
                    entry.op_name(),
                    if dropped.len() == 1 { "it" } else { "them" },
                )
            };
            let help = if statement.is_allow() {
                format!(
                    "if {} needed, allow {} in a statement without this condition; otherwise remove {} from `Action`",
                    if dropped.len() == 1 { "it is" } else { "they are" },
                    if dropped.len() == 1 { "it" } else { "them" },
                    if dropped.len() == 1 { "it" } else { "them" },
                )
            } else {
                format!(
                    "if {} should be denied too, deny {} in a statement without this condition",
                    if dropped.len() == 1 { "it" } else { "they" },
                    if dropped.len() == 1 { "it" } else { "them" },
                )
            };
            let mut d = out
                .diagnostic(entry.key.key.range, message)
                .with_help(help)
                .at_node(ctx.tree, entry.key.value_node);
            for (set, text) in &per_entry {
                let lost = set.intersection(dropped);
                if lost.is_empty() {
                    continue;
                }
                let done = past(verb);
                let label = if lost == *set && set.len() == 1 {
                    format!("never {done} by this statement")
                } else if lost == *set {
                    format!(
                        "none of its {} actions is {done} by this statement",
                        set.len()
                    )
                } else {
                    format!(
                        "{} of its {} actions are never {done} here: {}",
                        lost.len(),
                        set.len(),
                        list(&names(lost), 4)
                    )
                };
                d = d.with_related(text.range, label);
            }
            out.push(d);
        }
    }
}

fn past(verb: &str) -> &'static str {
    if verb == "allows" {
        "allowed"
    } else {
        "denied"
    }
}
