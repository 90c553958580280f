use crate::diagnostic::Severity;
use crate::eval::search::{OutsideAccessSearch, OutsideCaller, Witness, MAX_SEARCHED_STATEMENTS};
use crate::eval::{covers_action, evaluate_with, EvalOptions, RequestPrincipal};
use crate::model::{BaseOperator, Statement};
use crate::rules::security::{join_names, key_account};
use crate::rules::{Check, Context, Emitter, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC501",
    name: "public-key-access",
    pack: Pack::Security,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A principal of any other account can decrypt or generate data keys with the key",
    docs: r#"## What it does
Reports an Allow statement through which a caller from an account the policy
never names can use the key to decrypt, re-encrypt, generate data keys or
create grants (a grant gives those operations). AWS KMS takes no anonymous
requests, so every such caller is a role, user or root of another account.

The check asks the evaluator, it does not look for `"Principal": "*"`: it
builds requests from a fresh account with the values the policy's own
conditions mention and reports the statement only if one of them is allowed
and no Deny stops it. Conditions that describe the request — `kms:ViaService`,
`kms:EncryptionContext:*`, `aws:SourceIp`, `aws:SecureTransport`, a wildcard
`aws:userid` such as `*:FSx` — can be met by anyone, so they do not protect
the key. Conditions that pin the caller to concrete values —
`kms:CallerAccount`, `aws:PrincipalAccount`, `aws:PrincipalArn`,
`aws:PrincipalOrgID`, a specific `aws:userid` or `aws:username` — do, but
only with concrete values. The outsider the search builds takes whatever
shape the policy's patterns allow: `ArnLike aws:PrincipalArn
"arn:aws:iam::*:role/Admin"` is met by a role named `Admin` in any account
(any account can create one), `StringLike kms:CallerAccount "1111*"` by one
of the millions of accounts whose ID starts so, `StringNotEquals` on
`aws:PrincipalOrgID` by every caller outside the organization it names, and
`...IfExists` on `aws:PrincipalOrgID` by a caller in no organization.

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
- AWS KMS Developer Guide, "Creating a key policy": the advice on `Principal: "*"` (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html).
- AWS KMS Developer Guide, "AWS KMS condition keys": `kms:CallerAccount` restricts to the identities of one account; `kms:ViaService` limits use to requests from a service, "the principals must still have permission", so `Principal *` with only `kms:ViaService` is reachable from any account (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
- AWS KMS Developer Guide, "Allowing users in other accounts to use a KMS key": "Cross-account permission is effective only for: cryptographic operations, CreateGrant, ..." (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
- AWS KMS API Reference, "Signing requests": "Requests must be signed by using an access key ID and a secret access key" (https://docs.aws.amazon.com/kms/latest/APIReference/Welcome.html): there are no anonymous callers.
- IAM User Guide, "AWS global condition context keys": `aws:PrincipalOrgID` is in the request only when the principal belongs to an organization; `aws:PrincipalArn`, `aws:PrincipalAccount` are in every signed request (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"#,
    check: Check::Policy(check),
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
        let why = reasons(statement, &witness);
        // `"*"` (or `{"AWS": "*"}`) with no condition admits every
        // principal, not just the kind of outsider the search found first.
        let everyone = statement.condition.is_none()
            && statement
                .principal
                .as_ref()
                .is_some_and(|p| p.values().any(|(_, v)| v.value == "*"));
        let who = if everyone {
            format!(
                "any principal of any AWS account (for one, {})",
                witness.caller.describe()
            )
        } else if witness.shaped {
            let such_as = match &witness.request.principal {
                RequestPrincipal::Iam { arn, .. } => arn.clone(),
                other => other.describe(),
            };
            format!("{} (for one, {such_as})", witness.caller.describe())
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

/// Why the witness's caller meets the statement's conditions: for each
/// condition on who calls, how an outsider gets past it; for the rest, that
/// they describe the request.
fn reasons(statement: &Statement<'_>, witness: &Witness) -> String {
    if witness.conditions.is_empty() {
        return "no condition limits who calls".to_string();
    }
    let mut about_caller: Vec<String> = Vec::new();
    let mut about_request: Vec<String> = Vec::new();
    for met in &witness.conditions {
        let entry = statement
            .condition
            .iter()
            .flat_map(|c| c.entries())
            .find(|(_, k)| k.key.range == met.key);
        let Some((op, key)) = entry else { continue };
        if !is_caller_key(&met.key_name) {
            about_request.push(met.key_name.clone());
            continue;
        }
        let operator = op.name.value;
        let listed = join_names(
            &key.values
                .iter()
                .map(|v| format!("`{}`", v.value))
                .collect::<Vec<_>>(),
            3,
        );
        let patterns: Vec<String> = key
            .values
            .iter()
            .filter(|v| v.value.contains(['*', '?']))
            .map(|v| format!("`{}`", v.value))
            .collect();
        let reason = match (op.operator, &met.value) {
            (_, Some(value)) if met.key_name.eq_ignore_ascii_case("aws:username") => format!(
                "a user name is unique only within its account, so any account can create a user {} and meet `{operator}` on aws:username",
                value.describe()
            ),
            (Some(o), Some(value)) if o.base == BaseOperator::Null => format!(
                "`{operator}` on {} only asks that the key be present, and every caller sends it (this one {})",
                met.key_name,
                value.describe()
            ),
            (Some(o), None) if o.if_exists => {
                let absent_for = if met.key_name.to_ascii_lowercase().starts_with("aws:principalorg") {
                    "every caller outside any organization"
                } else {
                    "this caller's requests"
                };
                format!(
                    "`{operator}` on {} is met when the key is absent, as it is for {absent_for}",
                    met.key_name
                )
            }
            (Some(o), Some(value)) if o.base.is_negated() => format!(
                "`{operator}` on {} only shuts out {listed}, so a caller with {} = {} meets it",
                met.key_name,
                met.key_name,
                value.describe()
            ),
            (Some(o), Some(value)) if o.base.supports_wildcards() && !patterns.is_empty() => {
                let (noun, verb) = if patterns.len() == 1 {
                    ("pattern", "matches")
                } else {
                    ("patterns", "match")
                };
                format!(
                    "the {noun} {} on {} also {verb} {}, which the policy never names: {}",
                    join_names(&patterns, 3),
                    met.key_name,
                    value.describe(),
                    pattern_hint(&met.key_name)
                )
            }
            (_, Some(value)) => format!(
                "{} = {} of a caller in another account meets `{operator}` on it",
                met.key_name,
                value.describe()
            ),
            (_, None) => format!(
                "`{operator}` on {} is met by a request without the key",
                met.key_name
            ),
        };
        about_caller.push(reason);
    }
    if !about_request.is_empty() {
        about_caller.push(format!(
            "its conditions on {} describe the request, not the caller, so any account can meet them",
            join_names(&dedup(about_request), 4)
        ));
    }
    about_caller.join("; ")
}

/// Why a pattern on a key about the caller admits outsiders.
fn pattern_hint(key: &str) -> &'static str {
    if key.eq_ignore_ascii_case("aws:PrincipalArn") || key.eq_ignore_ascii_case("aws:username") {
        "any account can create a role or user of that name"
    } else if key.eq_ignore_ascii_case("aws:PrincipalOrgID")
        || key.eq_ignore_ascii_case("aws:PrincipalOrgPaths")
    {
        "it matches organizations you do not control"
    } else {
        "account IDs are assigned, not chosen, but some account of every shape exists"
    }
}

/// Keys that say who calls, which the outsider holds to its own values.
fn is_caller_key(key: &str) -> bool {
    const KEYS: [&str; 12] = [
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "kms:CallerAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalType",
        "aws:username",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalServiceName",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
    ];
    KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
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
