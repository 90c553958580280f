//! `Principal` and `NotPrincipal`: who a statement is about.
//!
//! Sources: IAM UG "AWS JSON policy elements: Principal" and "NotPrincipal";
//! KMS DG key-policy-default.md (kms-facts §3): the account principal
//! (`arn:aws:iam::ACCOUNT:root` or the bare account id) stands for the
//! account and delegates to its IAM policies; it does not by itself give any
//! IAM user or role permission.

use super::RequestPrincipal;
use crate::aws::{arn_account, is_account_id};
use crate::model::{PrincipalElement, PrincipalKind};

/// A principal value as a policy writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalValue<'t> {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    Everyone,
    /// `arn:aws:iam::ACCOUNT:root` or a bare 12-digit account id.
    Account(&'t str),
    /// Any other ARN (a role, a user, an assumed-role session): compared exactly,
    /// since IAM allows no partial wildcards in principals.
    Arn(&'t str),
    /// `{"Service": "cloudtrail.amazonaws.com"}`.
    Service(&'t str),
    /// Federated or canonical-user principals, unknown principal types and
    /// values of no known form: they match none of the requests the evaluator models.
    Other(&'t str),
}

impl<'t> PrincipalValue<'t> {
    /// Classifies one value of a principal element (`kind` is the key it is under).
    pub fn parse(kind: Option<PrincipalKind>, value: &'t str) -> PrincipalValue<'t> {
        match kind {
            Some(PrincipalKind::Aws) => {
                if value == "*" {
                    PrincipalValue::Everyone
                } else if is_account_id(value) {
                    PrincipalValue::Account(value)
                } else if let Some(account) = account_root_arn(value) {
                    PrincipalValue::Account(account)
                } else if value.starts_with("arn:") || crate::symbolic::is_unknown(value) {
                    // An unknown value of a template or module stands for a
                    // principal's ARN: it names that principal and no other.
                    PrincipalValue::Arn(value)
                } else {
                    PrincipalValue::Other(value)
                }
            }
            Some(PrincipalKind::Service) if value != "*" && !value.is_empty() => {
                PrincipalValue::Service(value)
            }
            _ => PrincipalValue::Other(value),
        }
    }

    /// The account the value names or belongs to, when it shows one.
    pub fn account(&self) -> Option<&'t str> {
        match *self {
            PrincipalValue::Account(account) => Some(account),
            PrincipalValue::Arn(arn) => arn_account(arn),
            _ => None,
        }
    }
}

/// The account of `arn:PARTITION:iam::ACCOUNT:root`.
pub fn account_root_arn(value: &str) -> Option<&str> {
    // Called for every principal of every statement a request meets: no allocation.
    // The suffix first: most principals are roles and fail it at once.
    let rest = value.strip_prefix("arn:")?.strip_suffix(":root")?;
    // The account is 12 digits, or the deploying account's symbol.
    let len = if rest.ends_with(crate::symbolic::CLOSE) {
        crate::symbolic::ACCOUNT.len()
    } else {
        12
    };
    let account = rest.get(rest.len().checked_sub(len)?..)?;
    let partition = rest[..rest.len() - len].strip_suffix(":iam::")?;
    (is_account_id(account) && !partition.contains(':')).then_some(account)
}

/// How a principal element matches a request's principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PrincipalMatch {
    NoMatch,
    /// The element names the caller's account: the statement grants only what
    /// the caller's own IAM policies also allow.
    Delegated,
    /// The element names the caller itself (or everyone).
    Named,
}

/// How `Principal` treats the request's principal; the best of its values.
pub(crate) fn match_principal(
    element: &PrincipalElement<'_>,
    principal: &RequestPrincipal,
) -> PrincipalMatch {
    let mut best = PrincipalMatch::NoMatch;
    for (kind, text) in element.values() {
        let m = match_value(PrincipalValue::parse(kind, text.value), principal);
        best = best.max(m);
        if best == PrincipalMatch::Named {
            break;
        }
    }
    best
}

fn match_value(value: PrincipalValue<'_>, principal: &RequestPrincipal) -> PrincipalMatch {
    use PrincipalMatch::*;
    match (value, principal) {
        (PrincipalValue::Everyone, _) => Named,
        (PrincipalValue::Account(a), RequestPrincipal::AccountRoot { account }) if a == account => {
            Named
        }
        (PrincipalValue::Account(a), RequestPrincipal::Iam { account, .. }) if a == account => {
            Delegated
        }
        (PrincipalValue::Arn(a), RequestPrincipal::Iam { arn, .. }) if a == arn => Named,
        (PrincipalValue::Service(s), RequestPrincipal::Service(name))
            if s.eq_ignore_ascii_case(name) =>
        {
            Named
        }
        _ => NoMatch,
    }
}

/// One identity a request is evaluated under. An IAM role or user is also its
/// account: "When you use NotPrincipal with Deny, you must also specify the
/// account ARN of the not-denied principal" (IAM UG, NotPrincipal), i.e. a
/// principal is excluded only when every identity it has is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Identity<'r> {
    Arn(&'r str),
    Account(&'r str),
    Service(&'r str),
    Anonymous,
}

fn identities(principal: &RequestPrincipal) -> Vec<Identity<'_>> {
    match principal {
        RequestPrincipal::Iam { arn, account } => {
            vec![Identity::Arn(arn), Identity::Account(account)]
        }
        RequestPrincipal::AccountRoot { account } => vec![Identity::Account(account)],
        RequestPrincipal::Service(name) => vec![Identity::Service(name)],
        RequestPrincipal::Anonymous => vec![Identity::Anonymous],
    }
}

fn lists(value: PrincipalValue<'_>, identity: Identity<'_>) -> bool {
    match (value, identity) {
        (PrincipalValue::Everyone, _) => true,
        (PrincipalValue::Account(a), Identity::Account(b)) => a == b,
        (PrincipalValue::Arn(a), Identity::Arn(b)) => a == b,
        (PrincipalValue::Service(a), Identity::Service(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// Whether `NotPrincipal` excludes the request's principal (so the statement
/// does not apply to it).
pub(crate) fn excluded_by_not_principal(
    element: &PrincipalElement<'_>,
    principal: &RequestPrincipal,
) -> bool {
    identities(principal).into_iter().all(|identity| {
        element
            .values()
            .any(|(kind, text)| lists(PrincipalValue::parse(kind, text.value), identity))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_root_arns_in_every_partition() {
        for (value, expected) in [
            ("arn:aws:iam::111122223333:root", Some("111122223333")),
            ("arn:aws-cn:iam::111122223333:root", Some("111122223333")),
            (
                "arn:aws-us-gov:iam::111122223333:root",
                Some("111122223333"),
            ),
            ("arn::iam::111122223333:root", Some("111122223333")),
            ("arn:aws:iam::111122223333:role/root", None),
            ("arn:aws:iam::11112222333:root", None),
            ("arn:aws:iam::1111222233334:root", None),
            ("arn:aws:sts::111122223333:root", None),
            ("arn:aws:x:iam::111122223333:root", None),
            ("arn:aws:iam:us-east-1:111122223333:root", None),
            ("arn:aws:iam::é11122223333:root", None),
            ("111122223333:root", None),
            ("arn::root", None),
            ("", None),
        ] {
            assert_eq!(account_root_arn(value), expected, "{value}");
        }
    }
}
