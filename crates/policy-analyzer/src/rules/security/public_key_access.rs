use crate::diagnostic::Severity;
use crate::eval::search::{OutsideAccessSearch, OutsideCaller, Witness, MAX_SEARCHED_STATEMENTS};
use crate::eval::{covers_action, evaluate_with, EvalOptions};
use crate::rules::security::{join_names, key_account};
use crate::rules::{Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC501",
    name: "public-key-access",
    pack: Pack::Security,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A principal of any other account, or an anonymous one, can decrypt or generate data keys with the key",
    docs: r#"## What it does
Reports an Allow statement through which a caller from an account the policy
never names — or an anonymous caller — can use the key to decrypt, re-encrypt,
generate data keys or create grants (a grant gives those operations).

The check asks the evaluator, it does not look for `"Principal": "*"`: it
builds requests from a fresh account with the values the policy's own
conditions mention and reports the statement only if one of them is allowed
and no Deny stops it. Conditions that describe the request — `kms:ViaService`,
`kms:EncryptionContext:*`, `aws:SourceIp`, `aws:SecureTransport`, a wildcard
`aws:userid` such as `*:FSx` — can be met by anyone, so they do not protect
the key. Conditions that pin the caller to concrete values —
`kms:CallerAccount`, `aws:PrincipalAccount`, `aws:PrincipalArn`,
`aws:PrincipalOrgID`, a specific `aws:userid` or `aws:username` — do.

## Why it matters
Anyone who can call `kms:Decrypt` with the key can read what it protects.
AWS's advice is explicit: "Do not set the Principal to an asterisk (*) in any
key policy statement that allows permissions unless you use conditions to
limit the key policy." `kms:ViaService` alone does not limit the caller: it
only says the request came through a service, and every account can call S3
or FSx. The AWS managed keys pair it with `kms:CallerAccount`.

## Example
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "*"},
  "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
  "Resource": "*",
  "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
}
```

## Use instead
```json
{
  "Effect": "Allow",
  "Principal": {"AWS": "*"},
  "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
  "Resource": "*",
  "Condition": {"StringEquals": {
    "kms:ViaService": "s3.us-east-1.amazonaws.com",
    "kms:CallerAccount": "111122223333"
  }}
}
```

## Fix
Pin the caller: add `kms:CallerAccount` (or `aws:PrincipalOrgID` for an
organization) with your account, or name the principals instead of `"*"`.
There is no automatic fix: only you know which accounts should have access.

## Sources
- AWS KMS Developer Guide, key-policy-overview.md: the advice on `Principal: "*"` (reference/kms-facts.md §3).
- AWS KMS Developer Guide, conditions-kms.md: `kms:CallerAccount` restricts to the identities of one account; `kms:ViaService` limits use to requests from a service, "the principals must still have permission" (kms-facts §2a).
- reference/kms-facts.md §8.9: `Principal *` with only `kms:ViaService` is reachable from any account.
- Cross-account use: "Cross-account permission is effective only for: cryptographic operations, CreateGrant, ..." (KMS DG, key-policy-modifying-external-accounts.md; kms-facts §1).
"#,
    check,
};

/// What a caller of another account would want: to read data (Decrypt,
/// ReEncrypt*), to make data keys, or to grant itself those operations.
const DATA_ACTIONS: [&str; 8] = [
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:CreateGrant",
];

fn check(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let options = EvalOptions::default();
    let search = OutsideAccessSearch::new(ctx.policy, &options);
    // The answer differs between the data actions only through Deny
    // statements that cover some of them and not others; without such a
    // Deny, one search per statement settles them all.
    let denies_tell_actions_apart = ctx.policy.statements.iter().any(|s| {
        s.is_deny() && {
            let covered = DATA_ACTIONS.iter().filter(|a| covers_action(s, a)).count();
            covered != 0 && covered != DATA_ACTIONS.len()
        }
    });
    let mut searched = 0;
    for statement in &ctx.policy.statements {
        if !statement.is_allow() {
            continue;
        }
        // Only statements that may admit an outsider take a search; past as
        // many as a rule searches through, the rest are not judged.
        if search.may_admit(statement.index, &OutsideCaller::PUBLIC) {
            if searched == MAX_SEARCHED_STATEMENTS {
                break;
            }
            searched += 1;
        }
        let mut exposed = Vec::new();
        let mut first: Option<Witness> = None;
        for action in DATA_ACTIONS {
            if !covers_action(statement, action) {
                continue;
            }
            if let Some(witness) = &first {
                if !denies_tell_actions_apart {
                    // The same caller and context, asking for this action.
                    let mut request = witness.request.clone();
                    request.action = action.to_string();
                    let evaluation = evaluate_with(ctx.policy, &request, &options);
                    if evaluation.is_allowed() && evaluation.allowed_by.contains(&statement.index) {
                        exposed.push(action.to_string());
                    }
                    continue;
                }
            }
            if let Some(witness) = search.find(statement.index, action, &OutsideCaller::PUBLIC) {
                exposed.push(action.to_string());
                first.get_or_insert(witness);
            } else if !denies_tell_actions_apart {
                break; // No outsider gets this action, so none gets the others.
            }
        }
        let Some(witness) = first else {
            continue;
        };

        let (primary, node) = statement
            .principal
            .as_ref()
            .or(statement.not_principal.as_ref())
            .map_or((statement.anchor(), statement.node), |p| {
                (p.element.value_range, p.element.value)
            });
        let keys: Vec<String> = witness
            .conditions
            .iter()
            .map(|c| c.key_name.clone())
            .collect();
        let why = if keys.is_empty() {
            "no condition limits who calls".to_string()
        } else {
            format!(
                "its conditions on {} describe the request, not the caller, so any account can meet them",
                join_names(&dedup(keys), 4)
            )
        };
        // `"*"` (or `{"AWS": "*"}`) with no condition admits every
        // principal, not just the kind of outsider the search found first.
        let everyone = statement.condition.is_none()
            && statement
                .principal
                .as_ref()
                .is_some_and(|p| p.values().any(|(_, v)| v.value == "*"));
        let who = if everyone && witness.caller != OutsideCaller::Anonymous {
            format!(
                "any principal of any AWS account (for one, {})",
                witness.caller.describe()
            )
        } else {
            witness.caller.describe()
        };
        let message = format!(
            "{} lets {who} use this key for {}; {why}",
            statement.label(),
            join_names(&collapse(&exposed), 4),
        );
        let account = key_account(ctx).unwrap_or_else(|| "<your account id>".to_string());
        let mut d = out
            .diagnostic(primary, message)
            .at_node(ctx.tree, node)
            .with_help(format!(
                "pin the caller: add \"StringEquals\": {{\"kms:CallerAccount\": \"{account}\"}} \
                 (or aws:PrincipalOrgID for an organization), or name the principals instead of \"*\""
            ));
        for met in &witness.conditions {
            let label = match &met.value {
                Some(value) => format!(
                    "met by a caller in another account sending {} = {}",
                    met.key_name,
                    value.describe()
                ),
                None => format!(
                    "met by a request from another account without {}",
                    met.key_name
                ),
            };
            d = d.with_related(met.key, label);
        }
        out.push(d);
    }
}

/// Writes a whole family of actions as its wildcard: the four
/// `kms:GenerateDataKey*` actions, the two `kms:ReEncrypt*`.
fn collapse(actions: &[String]) -> Vec<String> {
    const FAMILIES: [(&str, &[&str]); 2] = [
        (
            "kms:GenerateDataKey*",
            &[
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
            ],
        ),
        ("kms:ReEncrypt*", &["kms:ReEncryptFrom", "kms:ReEncryptTo"]),
    ];
    let mut out: Vec<String> = Vec::new();
    for action in actions {
        let family = FAMILIES.iter().find(|(_, members)| {
            members.contains(&action.as_str())
                && members.iter().all(|m| actions.iter().any(|a| a == m))
        });
        let name = family.map_or(action.as_str(), |(wildcard, _)| wildcard);
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

fn dedup(mut names: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    names.retain(|n| {
        let lower = n.to_ascii_lowercase();
        if seen.contains(&lower) {
            false
        } else {
            seen.push(lower);
            true
        }
    });
    names
}
