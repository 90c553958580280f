//! Which AWS accounts a policy mentions, and which one owns the key.
//!
//! A key policy does not say which account owns its key, yet several checks
//! need to know (delegation to the owner's IAM policies, cross-account
//! grants). The policy's own ARNs usually tell: the account-root statement
//! that enables IAM policies, the key ARN in `Resource`, `kms:CallerAccount`.

use super::covers_action;
use super::principal::PrincipalValue;
use crate::aws::{arn_account, is_account_id};
use crate::model::Policy;
use crate::text::TextRange;

/// Where a policy mentions an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MentionKind {
    /// `arn:aws:iam::ACCOUNT:root` or a bare id in a principal.
    AccountPrincipal,
    /// The account of a role, user or other ARN in a principal.
    PrincipalArn,
    /// A KMS ARN in `Resource` / `NotResource`.
    ResourceArn,
    /// A condition value: an account id or an ARN with one.
    ConditionValue,
}

/// One mention of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountMention {
    pub account: String,
    pub kind: MentionKind,
    pub statement: usize,
    pub range: TextRange,
}

/// Every account the policy mentions, in document order.
pub fn mentioned_accounts(policy: &Policy<'_>) -> Vec<AccountMention> {
    let mut out = Vec::new();
    visit_mentions(policy, &mut |account, kind, statement, range| {
        out.push(AccountMention {
            account: account.to_string(),
            kind,
            statement,
            range,
        });
        true
    });
    out
}

/// Whether the policy mentions `account` anywhere (without collecting).
pub fn mentions_account(policy: &Policy<'_>, account: &str) -> bool {
    let mut found = false;
    visit_mentions(policy, &mut |a, _, _, _| {
        found = a == account;
        !found
    });
    found
}

/// Calls `f` with each mention until it returns false.
fn visit_mentions(
    policy: &Policy<'_>,
    f: &mut dyn FnMut(&str, MentionKind, usize, TextRange) -> bool,
) {
    for statement in &policy.statements {
        let index = statement.index;
        for element in [&statement.principal, &statement.not_principal]
            .into_iter()
            .flatten()
        {
            for (kind, text) in element.values() {
                let mention = match PrincipalValue::parse(kind, text.value) {
                    PrincipalValue::Account(a) => Some((a, MentionKind::AccountPrincipal)),
                    value => value.account().map(|a| (a, MentionKind::PrincipalArn)),
                };
                if let Some((account, kind)) = mention {
                    if !f(account, kind, index, text.range) {
                        return;
                    }
                }
            }
        }
        for list in [&statement.resource, &statement.not_resource]
            .into_iter()
            .flatten()
        {
            for v in &list.values {
                if let Some(a) = arn_account(v.value) {
                    if !f(a, MentionKind::ResourceArn, index, v.range) {
                        return;
                    }
                }
            }
        }
        if let Some(condition) = &statement.condition {
            for (_, key) in condition.entries() {
                for v in &key.values {
                    let account = if is_account_id(v.value) {
                        Some(v.value)
                    } else {
                        arn_account(v.value)
                    };
                    if let Some(a) = account {
                        if !f(a, MentionKind::ConditionValue, index, v.range) {
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// The account that owns the key, when the policy shows it unambiguously:
/// the account of a KMS key ARN in `Resource`, else the account principal
/// that an Allow gives `kms:PutKeyPolicy` (the default "Enable IAM User
/// Permissions" statement), else the account mentioned most often (if no
/// other is mentioned as often).
pub fn key_account(policy: &Policy<'_>) -> Option<String> {
    let mentions = mentioned_accounts(policy);
    let unique = |accounts: Vec<&str>| -> Option<String> {
        let first = *accounts.first()?;
        accounts
            .iter()
            .all(|a| *a == first)
            .then(|| first.to_string())
    };

    let from_key_arns: Vec<&str> = mentions
        .iter()
        .filter(|m| m.kind == MentionKind::ResourceArn)
        .map(|m| m.account.as_str())
        .collect();
    if let Some(account) = unique(from_key_arns) {
        return Some(account);
    }

    let admin_roots: Vec<&str> = mentions
        .iter()
        .filter(|m| {
            m.kind == MentionKind::AccountPrincipal && grants_put_key_policy(policy, m.statement)
        })
        .map(|m| m.account.as_str())
        .collect();
    if let Some(account) = unique(admin_roots) {
        return Some(account);
    }

    let mut counts: Vec<(&str, usize)> = Vec::new();
    for m in &mentions {
        match counts.iter_mut().find(|(a, _)| *a == m.account) {
            Some((_, n)) => *n += 1,
            None => counts.push((&m.account, 1)),
        }
    }
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    match counts.as_slice() {
        [] => None,
        [(a, _)] => Some(a.to_string()),
        [(a, n), (_, m), ..] => (n > m).then(|| a.to_string()),
    }
}

fn grants_put_key_policy(policy: &Policy<'_>, statement: usize) -> bool {
    policy
        .statements
        .get(statement)
        .is_some_and(|s| s.is_allow() && covers_action(s, "kms:PutKeyPolicy"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn key_account_of(statements: &str) -> Option<String> {
        let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#);
        let parsed = parse(&text);
        key_account(&Policy::from_tree(&parsed.tree))
    }

    #[test]
    fn the_key_arn_decides_first() {
        assert_eq!(
            key_account_of(
                r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "kms:*", "Resource": "arn:aws:kms:us-east-1:111122223333:key/k"}"#
            ),
            Some("111122223333".to_string())
        );
    }

    #[test]
    fn then_the_root_that_may_change_the_policy() {
        assert_eq!(
            key_account_of(
                r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
                   {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::444455556666:role/A"]}, "Action": "kms:Decrypt", "Resource": "*"}"#
            ),
            Some("111122223333".to_string())
        );
    }

    #[test]
    fn then_the_most_mentioned_account_if_it_stands_out() {
        assert_eq!(
            key_account_of(
                r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}},
                   {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/B"}, "Action": "kms:Decrypt", "Resource": "*"}"#
            ),
            Some("111122223333".to_string())
        );
        assert_eq!(
            key_account_of(
                r#"{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:role/A", "arn:aws:iam::444455556666:role/B"]}, "Action": "kms:Decrypt", "Resource": "*"}"#
            ),
            None
        );
        assert_eq!(
            key_account_of(
                r#"{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}"#
            ),
            None
        );
    }

    #[test]
    fn mentions_cover_principals_resources_and_conditions() {
        let text = r#"{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::222233334444:role/R"]}, "Action": "kms:*",
            "Resource": "arn:aws:kms:us-east-1:333344445555:key/k", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:444455556666:trail/*"}, "StringEquals": {"aws:SourceAccount": "555566667777"}}}]}"#;
        let parsed = parse(text);
        let policy = Policy::from_tree(&parsed.tree);
        let found: Vec<(String, MentionKind)> = mentioned_accounts(&policy)
            .into_iter()
            .map(|m| (m.account, m.kind))
            .collect();
        assert_eq!(
            found,
            vec![
                ("111122223333".to_string(), MentionKind::AccountPrincipal),
                ("222233334444".to_string(), MentionKind::PrincipalArn),
                ("333344445555".to_string(), MentionKind::ResourceArn),
                ("444455556666".to_string(), MentionKind::ConditionValue),
                ("555566667777".to_string(), MentionKind::ConditionValue),
            ]
        );
        assert!(mentions_account(&policy, "444455556666"));
        assert!(!mentions_account(&policy, "999999999999"));
    }
}
