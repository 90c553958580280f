use rustc_hash::FxHashSet;

use crate::catalog::ActionSet;
use crate::diagnostic::{DiagnosticTag, Severity};
use crate::rules::actions::{action_lists, classify, delete_entry, ActionClass};
use crate::rules::shared::{statements, Findings, MAX_ENTRIES_PER_LIST};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC205",
    name: "redundant-action",
    pack: Pack::Actions,
    severity: Severity::Hint,
    fix: FixAvailability::Always,
    tags: &[DiagnosticTag::Unnecessary],
    summary: "An action already covered by a wildcard or repeated in the same statement",
    docs: r#"## What it does
Reports an entry of `Action` or `NotAction` whose KMS actions are all
covered by another entry of the same list: `kms:GenerateDataKey` next to
`kms:GenerateDataKey*`, anything next to `kms:*` or `*`, and the same action
written twice (also in another letter case, since action names are not
case-sensitive).

## Why it matters
The entry changes nothing, but it makes the list longer to review and
suggests a distinction that does not exist: a reader may think that deleting
`kms:GenerateDataKey*` still leaves `kms:GenerateDataKey`, or that removing
the duplicate removes the permission.

## Example
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*", "kms:Decrypt"]
```

## Use instead
```json
"Action": ["kms:Decrypt", "kms:GenerateDataKey*"]
```

## Fix
The fix deletes the redundant entry with its comma. This never changes what
the statement covers.

## Sources
- Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management Service": what each pattern expands to, e.g. `kms:GenerateDataKey*` covers GenerateDataKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext and GenerateDataKeyWithoutPlaintext (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html).
- IAM User Guide, "IAM JSON policy elements: Action": wildcards in action names; names compare without regard to case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
"#,
    check: Check::Policy(check),
};

/// How broad an entry is beyond its set of KMS actions: `*` covers every
/// service, a `kms:` pattern also covers future actions, a name only itself.
fn breadth(class: &ActionClass) -> Option<(ActionSet, u8)> {
    match class {
        ActionClass::All => Some((crate::catalog::catalog().all_actions(), 2)),
        ActionClass::Kms { set, wildcard } => Some((*set, u8::from(*wildcard))),
        _ => None,
    }
}

/// How many distinct entries are considered as covering others.
const MAX_DISTINCT: usize = 256;

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    for st in statements(ctx) {
        if out.full() {
            return;
        }
        for (list, element) in action_lists(st) {
            let entries: Vec<Option<(ActionSet, u8)>> = list
                .values
                .iter()
                .take(MAX_ENTRIES_PER_LIST)
                .map(|v| breadth(&classify(ctx, v.value)))
                .collect();
            // An entry can only be covered by the first entry of some distinct
            // (set, breadth): collecting those keeps the search linear in the
            // list (a few hundred distinct patterns at most in real policies).
            let mut seen: FxHashSet<(ActionSet, u8)> = FxHashSet::default();
            let mut firsts: Vec<(ActionSet, u8, usize)> = Vec::new();
            for (j, entry) in entries.iter().enumerate() {
                if let Some(key) = entry {
                    if firsts.len() < MAX_DISTINCT && seen.insert(*key) {
                        firsts.push((key.0, key.1, j));
                    }
                }
            }
            for (i, v) in list.values.iter().enumerate().take(entries.len()) {
                if out.full() {
                    return;
                }
                let Some((set, rank)) = entries[i] else {
                    continue;
                };
                // The broadest entry that covers this one, the earliest among equals.
                let Some(j) = firsts
                    .iter()
                    .filter(|&&(other, other_rank, j)| {
                        j != i
                            && other.is_superset(set)
                            && (other != set || other_rank > rank || (other_rank == rank && j < i))
                    })
                    .max_by(|a, b| (a.0.len(), a.1).cmp(&(b.0.len(), b.1)).then(b.2.cmp(&a.2)))
                    .map(|&(_, _, j)| j)
                else {
                    continue;
                };
                let other = &list.values[j];
                let label = st.label();
                let message = if entries[j] == entries[i]
                    && v.value.eq_ignore_ascii_case(other.value)
                {
                    if v.value == other.value {
                        format!("`{}` appears twice in `{element}` of {label}: the second entry changes nothing", v.value)
                    } else {
                        format!(
                            "`{}` in `{element}` of {label} repeats `{}` (action names are compared without regard to case): the entry changes nothing",
                            v.value, other.value
                        )
                    }
                } else {
                    format!(
                        "`{}` in `{element}` of {label} is already covered by `{}`: the entry changes nothing",
                        v.value, other.value
                    )
                };
                let d = out
                    .diagnostic(v.range, message)
                    .with_related(other.range, "this entry covers it")
                    .with_help("delete the redundant entry")
                    .with_fix_opt(delete_entry(ctx, list, v, "Delete the redundant entry"))
                    .at_node(ctx.tree, v.node);
                out.push(d);
            }
        }
    }
}
