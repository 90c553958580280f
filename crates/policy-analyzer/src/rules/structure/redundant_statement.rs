use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};

use crate::diagnostic::{Applicability, Fix, Severity, TextEdit};
use crate::eval::search::same_rules;
use crate::model::Statement;
use crate::rules::edits::remove_array_item;
use crate::rules::shared::{statements, Findings};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::{NodeId, NodeKind};
use crate::text::TextRange;

pub(crate) static RULE: Rule = Rule {
    code: "PC114",
    name: "redundant-statement",
    pack: Pack::Structure,
    severity: Severity::Hint,
    fix: FixAvailability::Sometimes,
    tags: &[crate::diagnostic::DiagnosticTag::Unnecessary],
    summary: "A statement that repeats an earlier one: same Effect, principals, actions, resources and conditions",
    docs: r#"## What it does
Reports a statement that says exactly what an earlier statement of the policy
says: the same `Effect`, principals, actions, resources and conditions,
written the same way. Their Sids may differ.

## Why it matters
The copy grants or denies nothing the first one does not, so it only makes
the policy longer (against its 32 KB limit) and harder to review. Worse,
someone who edits one of the two later — narrowing a principal, adding a
condition — leaves the other in place, and the old access stays. IAM Access
Analyzer suggests removing it ("Redundant statement").

## Example
```json
{"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"},
{"Sid": "Readers2", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"}
```

## Use instead
```json
{"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"}
```

## Fix
The fix deletes the repeated statements. It is safe: every request is
decided as before.

## Sources
- IAM User Guide, "Policy evaluation logic": statements are evaluated together, and their order has no meaning (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
- IAM User Guide, IAM policy validation check reference: "Suggestion – Redundant statement" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let out = &mut Findings::new(out);
    let array = ctx.policy.statement_element.map(|e| e.value);
    // One pass: statements grouped by what they say, in document order. A
    // hash of the elements finds the candidates; `same_rules` decides. Most
    // policies repeat nothing: a group is only allocated for a repeat.
    let intact: Vec<&Statement<'_>> = statements(ctx).filter(|st| st.effect.is_some()).collect();
    let mut first_of: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut repeats_of: Vec<(usize, Vec<&Statement<'_>>)> = Vec::new();
    // Where each first statement's group is in `repeats_of`: a search
    // through the groups made many distinct repeated statements quadratic.
    let mut group_of: FxHashMap<usize, usize> = FxHashMap::default();
    for (i, st) in intact.iter().enumerate() {
        if out.full() {
            return;
        }
        let bucket = first_of.entry(fingerprint(st)).or_default();
        match bucket.iter().find(|&&f| same_rules(intact[f], st)) {
            Some(&f) => match group_of.get(&f) {
                Some(&g) => repeats_of[g].1.push(st),
                None => {
                    group_of.insert(f, repeats_of.len());
                    repeats_of.push((f, vec![st]));
                }
            },
            None => bucket.push(i),
        }
    }
    let groups: Vec<Vec<&Statement<'_>>> = repeats_of
        .into_iter()
        .map(|(first, repeats)| std::iter::once(intact[first]).chain(repeats).collect())
        .collect();
    for group in groups.iter().filter(|g| g.len() > 1) {
        let (first, repeats) = (group[0], &group[1..]);
        // A finding past the limits is only counted: its fix (a search of
        // the Statement array) is not built.
        let fix = array
            .filter(|_| !out.is_full())
            .and_then(|array| {
                let nodes: Vec<NodeId> = repeats.iter().map(|s| s.node).collect();
                remove_array_items(ctx.tree, ctx.text, array, &nodes)
            })
            .map(|edits| Fix {
                title: if repeats.len() == 1 {
                    "Delete the repeated statement".to_string()
                } else {
                    format!("Delete the {} repeated statements", repeats.len())
                },
                applicability: Applicability::Safe,
                edits,
            });
        let more = match repeats.len() {
            1 => String::new(),
            2 => format!(", as does {}", repeats[1].label()),
            n => format!(", as do {} more statements", n - 1),
        };
        let d = out
            .diagnostic(
                repeats[0].anchor(),
                format!(
                    "{} repeats {}{more}: the same Effect, principals, actions, resources and conditions, so it decides nothing the first does not; an edit to one of them would leave the other's access in place",
                    repeats[0].label(),
                    first.label()
                ),
            )
            .with_help("delete the repeated statement")
            .with_related(first.anchor(), "the same statement")
            .with_fix_opt(fix)
            .at_node(ctx.tree, repeats[0].node);
        out.push(d);
    }
}

/// A hash of what a statement says: equal for statements that `same_rules`
/// finds alike (the Sid aside).
fn fingerprint(st: &Statement<'_>) -> u64 {
    let mut h = FxHasher::default();
    st.effect
        .map(|(e, _)| e == crate::model::Effect::Allow)
        .hash(&mut h);
    for p in [&st.principal, &st.not_principal] {
        p.is_some().hash(&mut h);
        for (kind, text) in p.iter().flat_map(|p| p.values()) {
            kind.map(|k| k.key()).hash(&mut h);
            text.value.hash(&mut h);
        }
    }
    for l in [&st.action, &st.not_action, &st.resource, &st.not_resource] {
        l.is_some().hash(&mut h);
        for v in l.iter().flat_map(|l| &l.values) {
            v.value.hash(&mut h);
        }
    }
    st.condition.is_some().hash(&mut h);
    for (op, key) in st.condition.iter().flat_map(|c| c.entries()) {
        op.name.value.hash(&mut h);
        key.key.value.hash(&mut h);
        for v in &key.values {
            v.value.hash(&mut h);
        }
    }
    h.finish()
}

/// Edits that delete several elements of an array, never overlapping: each
/// run of neighbours goes with the text up to the next element kept, or, for
/// a run at the end, from the element kept before it.
fn remove_array_items(
    tree: &crate::syntax::Tree<'_>,
    text: &str,
    array: NodeId,
    items: &[NodeId],
) -> Option<Vec<TextEdit>> {
    let NodeKind::Array(all) = tree.kind(array) else {
        return None;
    };
    if items.len() == 1 {
        return remove_array_item(tree, text, array, items[0]).map(|e| vec![e]);
    }
    // A set, not `items.contains`: 40,000 repeats made that a quadratic scan.
    let items: rustc_hash::FxHashSet<NodeId> = items.iter().copied().collect();
    let gone: Vec<bool> = all.iter().map(|i| items.contains(i)).collect();
    let mut edits = Vec::new();
    let mut i = 0;
    while i < all.len() {
        if !gone[i] {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < all.len() && gone[i] {
            i += 1;
        }
        let range = if i < all.len() {
            TextRange::new(
                tree.range(all[run_start]).start as usize,
                tree.range(all[i]).start as usize,
            )
        } else {
            // The run ends the array: the element before it is kept.
            let before = run_start.checked_sub(1)?;
            TextRange::new(
                tree.range(all[before]).end as usize,
                tree.range(all[i - 1]).end as usize,
            )
        };
        edits.push(TextEdit {
            range,
            replacement: String::new(),
        });
    }
    Some(edits)
}
