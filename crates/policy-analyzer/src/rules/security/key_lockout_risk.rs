use crate::aws::is_account_id;
use crate::diagnostic::{Fix, Severity};
use crate::eval::accounts::mentioned_accounts;
use crate::eval::search::{RequestSearch, MAX_SEARCHED_STATEMENTS};
use crate::eval::{covers_action, EvalOptions, PrincipalValue, RequestPrincipal};
use crate::model::{PrincipalKind, Statement};
use crate::rules::security::key_account;
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};
use crate::syntax::NodeKind;
use crate::syntax::SyntaxErrorKind;

pub(crate) static RULE: Rule = Rule {
    code: "PC504",
    name: "key-lockout-risk",
    pack: Pack::Security,
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes,
    tags: &[],
    summary: "No statement lets the account root or any principal change the key policy",
    docs: r#"## What it does
Asks the evaluator whether anyone can still call `kms:PutKeyPolicy` on the
key: the account root of the key's account, a principal of that account
through the root statement's delegation to IAM policies, or a principal the
policy names. Reports the policy when nobody can. The key's account comes
from the configuration, else from the policy's own ARNs.

When an Allow would let someone change the policy but a Deny stops them
(`"Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy"`), the
finding is at that Deny and names it: an explicit Deny beats every Allow,
so no statement added beside it can help. A policy of Deny statements only
is reported too: as a key's whole policy it lets nobody use or manage the
key.

## Why it matters
A key whose policy nobody may change cannot be repaired: if the policy is
wrong, or the one administrator role is deleted, the key and everything it
encrypts become unmanageable, and only AWS Support can help. The statement
that names the account root (`arn:aws:iam::ACCOUNT:root`) with `kms:*` is
what keeps a key manageable and what lets IAM policies grant access to the
key at all: without it, IAM policies in the account have no effect on the key.
KMS's policy lockout safety check refuses, by default, a policy that would not
let the principal setting it change it again; such a policy gets in when the
check is bypassed (`BypassPolicyLockoutSafetyCheck`, which CloudFormation and
Terraform expose), and the key is then stuck.

## Example
```json
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
    "Action": ["kms:Encrypt", "kms:Decrypt"],
    "Resource": "*"
  }]
}
```

## Use instead
```json
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"},
      "Action": ["kms:Encrypt", "kms:Decrypt"],
      "Resource": "*"
    }
  ]
}
```

## Fix
When the key's account is known, the fix inserts the default key policy's
account-root statement, with a Sid no other statement uses. It changes what
the policy allows (the account root gets `kms:*`, and IAM policies of the
account start to count), so it is marked unsafe: review it before applying.
The fix is offered only when it works: the policy with the statement added
is evaluated again, and if a Deny would still stop the account root, there
is no fix, and the message names the Deny.

## Sources
- AWS KMS Developer Guide, "Default key policy": the account-root statement "allows the AWS account ... to use IAM policies"; without it IAM policies cannot grant access to the key (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
- AWS KMS API Reference, PutKeyPolicy: the policy lockout safety check and its `BypassPolicyLockoutSafetyCheck` parameter (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
- IAM User Guide, "Policy evaluation logic": an explicit deny in any policy overrides any allow (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
- AWS KMS Developer Guide, "Default key policy": "Allows access to the AWS account and enables IAM policies" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
"#,
    check: Check::Policy(check),
};

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let policy = ctx.policy;
    let Some(statement_element) = policy.statement_element else {
        return;
    };
    // A judgement on the whole policy needs the whole policy: text that does
    // not parse may hide the statement that would answer it.
    // Comments and trailing commas lose nothing; invalid text and duplicate
    // keys can.
    let may_hide_statements = ctx.syntax_errors.iter().any(|e| {
        !matches!(
            e.kind,
            SyntaxErrorKind::Comment | SyntaxErrorKind::TrailingComma
        )
    });
    if may_hide_statements {
        return;
    }
    // An identity policy (no statement names a principal) is not a key
    // policy; another service's policy (a bucket policy) is told apart by
    // the actions pack.
    let names_principals = policy
        .statements
        .iter()
        .any(|s| s.principal.is_some() || s.not_principal.is_some());
    if !names_principals || crate::rules::actions::other_service_policy(ctx).is_some() {
        return;
    }
    // Without an Allow, only a policy of Deny statements is judged: one
    // whose Effects are unreadable is invalid-effect's to report.
    let deny_only = policy.statements.iter().all(|s| s.is_deny());
    if !deny_only && !policy.statements.iter().any(|s| s.is_allow()) {
        return;
    }
    // A statement whose Effect cannot be read (`"Effect": "allow"`, a
    // misspelled `effect`) may be the administrators' statement: until
    // invalid-effect's or unknown-element's finding is fixed, the policy
    // cannot be judged.
    if policy
        .statements
        .iter()
        .any(|s| s.effect.is_none() && covers_action(s, "kms:PutKeyPolicy"))
    {
        return;
    }
    // A template placeholder (`arn:aws:iam::${account_id}:root`, a
    // CloudFormation `Fn::Sub`) may well be the administrator: the policy
    // cannot be judged until it is filled in.
    if policy.statements.iter().any(|s| {
        s.is_allow() && covers_action(s, "kms:PutKeyPolicy") && has_unresolved_principal(ctx, s)
    }) {
        return;
    }
    // Each statement that grants kms:PutKeyPolicy is searched through; past
    // what a search looks at, the policy is not judged (a key policy within
    // KMS's 32 KB limit never gets there).
    let grants = policy
        .statements
        .iter()
        .filter(|s| s.is_allow() && covers_action(s, "kms:PutKeyPolicy"))
        .count();
    if grants > MAX_SEARCHED_STATEMENTS {
        return;
    }
    let account = key_account(ctx);
    let candidates = candidates(ctx, account.as_deref());
    let options = EvalOptions::default();
    let search = RequestSearch::new(policy, &options);
    let manageable = candidates.iter().any(|principal| {
        search
            .allowed_request(principal.clone(), "kms:PutKeyPolicy", &|e| e.is_allowed())
            .is_some()
    });
    if manageable {
        return;
    }

    let who = match &account {
        Some(a) => format!("the account root or any principal of {a}"),
        None => "the account root or any principal".to_string(),
    };
    // Would someone be allowed but for a Deny? Then the Deny is the cause,
    // and no statement added beside it can help.
    let blocked = candidates.iter().find_map(|principal| {
        search
            .request_past_denies(principal.clone(), "kms:PutKeyPolicy")
            .filter(|(_, e)| !e.denied_by.is_empty())
            .map(|(request, e)| (request, e.denied_by))
    });
    if let Some((request, denied_by)) = blocked {
        let denies = labels(policy, &denied_by);
        let deny = &policy.statements[denied_by[0]];
        let message = format!(
            "{denies} {} kms:PutKeyPolicy to {}, whom the Allow statements would let change this key's policy, and an explicit Deny beats every Allow: {who} can no longer change the policy, so once it is set nobody can repair it",
            if denied_by.len() == 1 { "denies" } else { "deny" },
            request.principal.describe()
        );
        let mut d = out
            .diagnostic(deny.anchor(), message)
            .at_node(ctx.tree, deny.node)
            .with_help(
                "exempt the key administrators from the Deny (for example \"ArnNotEquals\": {\"aws:PrincipalArn\": \
                 \"arn:aws:iam::111122223333:role/KeyAdmin\"}), or take kms:PutKeyPolicy out of its actions; adding an Allow cannot help",
            );
        for &i in &denied_by {
            let st = &policy.statements[i];
            let at = st
                .action
                .as_ref()
                .map_or(st.anchor(), |a| a.element.value_range);
            d = d.with_related(at, "denies kms:PutKeyPolicy to the key's administrators");
        }
        out.push(d);
        return;
    }

    let names_account_root = policy.statements.iter().any(|s| {
        s.is_allow()
            && s.principal.as_ref().is_some_and(|p| {
                p.values().any(|(kind, text)| {
                    matches!(
                        PrincipalValue::parse(kind, text.value),
                        PrincipalValue::Account(_)
                    )
                })
            })
    });
    let iam = if names_account_root {
        ""
    } else {
        ", and with no statement for the account root, IAM policies cannot grant access to the key either"
    };
    let root = account.as_deref().map_or_else(
        || "arn:aws:iam::<account>:root".to_string(),
        |a| format!("arn:aws:iam::{a}:root"),
    );
    // The fix is offered only if it works: with the statement inserted, the
    // root may change the policy. Otherwise the Deny statements in its way
    // are named.
    // Without the key's account, a stand-in account tells whether a Deny
    // would stop any account root; the fix needs the real one.
    let probe = account.clone().or_else(|| {
        candidates.iter().find_map(|c| match c {
            RequestPrincipal::AccountRoot { account } => Some(account.clone()),
            _ => None,
        })
    });
    let inserted = probe
        .as_deref()
        .and_then(|a| insert_root_statement(ctx, a).map(|fix| (a, fix)));
    let mut in_the_way = Vec::new();
    let mut fix = None;
    if let Some((a, inserted)) = inserted {
        match denies_against_root(&inserted.apply(ctx.text), a) {
            None => fix = account.is_some().then_some(inserted),
            Some(denies) => in_the_way = denies,
        }
    }
    let blockers = if in_the_way.is_empty() {
        String::new()
    } else {
        format!(
            "; {} {} kms:PutKeyPolicy to the account root too, so no Allow added beside {} can help",
            labels(policy, &in_the_way),
            if in_the_way.len() == 1 { "denies" } else { "deny" },
            if in_the_way.len() == 1 { "it" } else { "them" }
        )
    };
    let message = if deny_only {
        format!(
            "every statement of this policy is a Deny: as the key's whole policy it lets nobody use or manage the key, \
             IAM policies included (they count only through a statement for the account root), and nobody can change it \
             (kms:PutKeyPolicy) or repair it once it is set{blockers}"
        )
    } else {
        format!(
            "no statement lets {who} change this key's policy (kms:PutKeyPolicy): if this is the key's whole \
             policy, nobody can repair it once it is set{iam}{blockers}"
        )
    };
    let help = if in_the_way.is_empty() {
        format!(
            "add the default statement that gives the account root ({root}) kms:*: it keeps the key \
             manageable and is what lets IAM policies grant access to the key at all"
        )
    } else {
        format!(
            "add the default statement that gives the account root ({root}) kms:*, and narrow the Deny \
             statements so that they leave the key's administrators kms:PutKeyPolicy"
        )
    };
    let d = out
        .diagnostic(statement_element.key_range, message)
        .at_node(ctx.tree, statement_element.value)
        .with_help(help)
        .with_fix_opt(fix);
    out.push(d);
}

/// `statement "A"`, `statements "A" and #3`.
fn labels(policy: &crate::model::Policy<'_>, indices: &[usize]) -> String {
    let names: Vec<String> = indices
        .iter()
        .map(|&i| policy.statements[i].label())
        .collect();
    if names.len() == 1 {
        return names[0].clone();
    }
    let names: Vec<String> = names
        .into_iter()
        .map(|n| n.trim_start_matches("statement ").to_string())
        .collect();
    format!(
        "statements {}",
        crate::rules::security::join_names(&names, 3)
    )
}

/// With the root statement inserted at the start of `Statement` (the text
/// `fixed`), whether the account root may change the policy: `None` if it
/// may, else the Deny statements in its way, as indices of the original
/// policy (one less than in the fixed one).
fn denies_against_root(fixed: &str, account: &str) -> Option<Vec<usize>> {
    let parsed = crate::syntax::parse(fixed);
    let policy = crate::model::Policy::from_tree(&parsed.tree);
    let root = RequestPrincipal::AccountRoot {
        account: account.to_string(),
    };
    let options = EvalOptions::default();
    let search = RequestSearch::new(&policy, &options);
    if search
        .allowed_request(root.clone(), "kms:PutKeyPolicy", &|e| e.is_allowed())
        .is_some()
    {
        return None;
    }
    let denied_by = search
        .request_past_denies(root, "kms:PutKeyPolicy")
        .map(|(_, e)| e.denied_by)
        .unwrap_or_default();
    Some(
        denied_by
            .into_iter()
            .filter_map(|i| i.checked_sub(1))
            .collect(),
    )
}

/// Whether a statement names a principal the evaluator cannot read: a
/// placeholder instead of an account id, a template expression, an object.
fn has_unresolved_principal(ctx: &Context<'_>, statement: &Statement<'_>) -> bool {
    let Some(principal) = &statement.principal else {
        return false;
    };
    // A principal of no form IAM knows (`["foo", "*"]`, a bare ARN string):
    // the structure rules report it; what was meant cannot be evaluated.
    if principal.wildcard.is_none() && principal.entries.is_empty() {
        return true;
    }
    principal.entries.iter().any(|entry| {
        let is_string_or_list = matches!(
            ctx.tree.kind(entry.key.node),
            NodeKind::String(_) | NodeKind::Array(_)
        );
        entry.kind.is_none()
            || !is_string_or_list
            || entry
                .values
                .iter()
                .any(|v| match PrincipalValue::parse(entry.kind, v.value) {
                    PrincipalValue::Other(_) => entry.kind == Some(PrincipalKind::Aws),
                    arn @ PrincipalValue::Arn(_) => arn.account().is_none(),
                    _ => false,
                })
    })
}

/// Who could manage the key: the key account's root and a role of it (which
/// IAM policies could empower through the root statement), and the
/// principals of that account the Allow statements name.
fn candidates(ctx: &Context<'_>, account: Option<&str>) -> Vec<RequestPrincipal> {
    let mut accounts: Vec<String> = match account {
        Some(a) => vec![a.to_string()],
        None => mentioned_accounts(ctx.policy)
            .into_iter()
            .map(|m| m.account)
            .collect(),
    };
    accounts.sort();
    accounts.dedup();
    if accounts.is_empty() {
        // The policy names no account at all: only `"*"`-style statements can
        // help, and any account stands for the key's.
        accounts.push("111122223333".to_string());
    }
    let ours = |a: &str| accounts.iter().any(|x| x == a);
    let mut out: Vec<RequestPrincipal> = Vec::new();
    for a in &accounts {
        out.push(RequestPrincipal::AccountRoot { account: a.clone() });
        out.push(RequestPrincipal::role(a, "policy-check-key-admin"));
    }
    for statement in &ctx.policy.statements {
        if !statement.is_allow() || !covers_action(statement, "kms:PutKeyPolicy") {
            continue;
        }
        let Some(principal) = &statement.principal else {
            continue;
        };
        for (kind, text) in principal.values() {
            if let PrincipalValue::Arn(arn) = PrincipalValue::parse(kind, text.value) {
                let account = PrincipalValue::Arn(arn)
                    .account()
                    .filter(|a| is_account_id(a));
                if let Some(account) = account.filter(|a| ours(a)) {
                    let principal = RequestPrincipal::Iam {
                        arn: arn.to_string(),
                        account: account.to_string(),
                    };
                    // Each principal once: statements repeat administrators.
                    if (arn.contains(":role/") || arn.contains(":user/"))
                        && !out.contains(&principal)
                    {
                        out.push(principal);
                    }
                }
            }
        }
    }
    out
}

/// Inserts the default account-root statement at the start of the
/// `Statement` array (only when `Statement` is an array: rewriting a lone
/// statement object is not worth the risk to the text).
fn insert_root_statement(ctx: &Context<'_>, account: &str) -> Option<Fix> {
    let element = ctx.policy.statement_element?;
    let NodeKind::Array(items) = ctx.tree.kind(element.value) else {
        return None;
    };
    let open = element.value_range.start as usize;
    let at = crate::text::TextRange::new(open + 1, open + 1);
    let separator = if items.is_empty() { "" } else { "," };
    // A Sid the policy does not use yet: a duplicate Sid is a finding of its own.
    let taken = |sid: &str| {
        ctx.policy
            .statements
            .iter()
            .any(|s| s.sid.is_some_and(|t| t.value == sid))
    };
    let sid = std::iter::once("Enable IAM User Permissions".to_string())
        .chain((2..).map(|n| format!("Enable IAM User Permissions {n}")))
        .find(|sid| !taken(sid))?;
    let statement = format!(
        "\n    {{\n      \"Sid\": \"{sid}\",\n      \"Effect\": \"Allow\",\n      \
         \"Principal\": {{\"AWS\": \"arn:aws:iam::{account}:root\"}},\n      \"Action\": \"kms:*\",\n      \
         \"Resource\": \"*\"\n    }}{separator}"
    );
    Some(
        Fix::replace(
            "Add the account-root statement of the default key policy: the account root gets kms:* and IAM policies of the account start to count; review before applying",
            at,
            statement,
        )
        .unsafe_(),
    )
}
