//! Asking the evaluator about each service request, and explaining the
//! answers. Every verdict comes from `eval::evaluate`; this module only
//! decides which statements were meant to allow a request and sorts their
//! misses by cause, so that each defect is reported once, by the rule that
//! explains it best:
//!
//! | cause of an intended statement's miss        | reported by            |
//! | -------------------------------------------- | ---------------------- |
//! | `kms:ViaService` condition                   | PC406                  |
//! | `kms:CallerAccount` condition                | PC407                  |
//! | S3 encryption context / `aws:userid` (S3 link) | PC408                |
//! | malformed service-linked role principal      | PC409                  |
//! | service principal instead of the caller      | PC410                  |
//! | unknown action, key or operator; unreadable  | the other packs        |
//! | missing action, anything else                | PC402 / PC403 / PC404  |

use super::model::{CallerKind, Need, ServiceId};
use super::profile::{BucketKeys, ServiceProfile};
use super::reading::{PolicyReading, RoleArnProblem, StatementReading};
use super::requests::{callers, requests, Caller, ServiceRequest};
use crate::catalog::catalog;
use crate::eval::{action_matches, evaluate, Decision, Evaluation, Failure, Request};
use crate::matcher::has_wildcard;
use crate::model::{Policy, Statement};

/// How a request fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// A Deny statement applies.
    ExplicitlyDenied,
    /// No statement allows it.
    Denied,
    /// Only the account-root statement allows it: the caller's IAM policy
    /// must allow it too.
    Delegated,
    /// A statement allows it.
    Allowed,
}

/// Why a statement meant for a request did not allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cause {
    /// Its `kms:ViaService` condition (PC406).
    ViaService,
    /// Its `kms:CallerAccount` condition (PC407).
    CallerAccount,
    /// Its S3 encryption-context or `aws:userid` condition (PC408).
    S3Context,
    /// Its principal is a malformed service-linked role ARN (PC409).
    MalformedRole,
    /// Its principal is a service principal, which the service never is (PC410).
    ServicePrincipal,
    /// Something another pack reports: an unknown action, condition key or
    /// operator, an unreadable statement.
    OtherPack,
    /// Its `Action` lacks the action.
    MissingAction,
    /// Anything else (another principal, another condition).
    Other,
}

impl Cause {
    /// Whether a rule other than the generic verdict rules (PC402-PC404)
    /// reports this cause.
    pub fn is_explained_elsewhere(self) -> bool {
        !matches!(self, Cause::MissingAction | Cause::Other)
    }
}

/// An intended statement that did not allow a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miss {
    pub statement: usize,
    pub failure: Failure,
    pub cause: Cause,
}

/// One variant of a request (for the S3 link: one S3 Bucket Key setting).
#[derive(Clone, Debug)]
pub struct Variant {
    pub bucket_keys: Option<bool>,
    pub request: Request,
    pub evaluation: Evaluation,
    pub verdict: Verdict,
}

/// A request of a service (an action, as a caller, in a region, for a
/// bucket) and how it fared; variants that may hold are merged, the best wins.
#[derive(Clone, Debug)]
pub struct RequestOutcome {
    pub caller: usize,
    pub action: &'static str,
    pub need: Need,
    pub region: String,
    pub bucket: Option<String>,
    pub variants: Vec<Variant>,
    /// The variant the verdict is about.
    pub best: usize,
    pub verdict: Verdict,
    /// The statements meant to allow this request.
    pub intended: Vec<usize>,
    /// How the intended statements missed the best variant.
    pub misses: Vec<Miss>,
}

impl RequestOutcome {
    pub fn best(&self) -> &Variant {
        &self.variants[self.best]
    }

    /// Whether every intended statement's miss is one another rule reports
    /// (and there is at least one).
    pub fn is_explained_elsewhere(&self) -> bool {
        !self.misses.is_empty() && self.misses.iter().all(|m| m.cause.is_explained_elsewhere())
    }
}

/// A service's callers and the outcome of each of its requests.
#[derive(Clone, Debug)]
pub struct ServiceCheck {
    pub profile: ServiceProfile,
    pub callers: Vec<Caller>,
    pub outcomes: Vec<RequestOutcome>,
    /// Not every region, bucket, file system, caller or request the policy
    /// names was checked (see `profile::MAX_VALUES`, `requests::MAX_REQUESTS`).
    pub truncated: bool,
}

impl ServiceCheck {
    pub fn service(&self) -> ServiceId {
        self.profile.service
    }
}

/// Which defects the rules of other packs report, so that a statement
/// missing a request because of them is not explained again here. Each is
/// true only while the rule that reports it is enabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportedElsewhere {
    /// `*` or `?` under an operator that compares literally (PC304).
    pub literal_wildcards: bool,
    /// A `kms:CallerAccount` value that is not a 12-digit account id (PC311).
    pub malformed_caller_accounts: bool,
    /// A principal ARN whose account is not a 12-digit id (PC112).
    pub malformed_principal_accounts: bool,
    /// A `${...}` in a condition value that names no condition key: PC315
    /// under Version 2012-10-17, PC109 (literal text) under older versions.
    pub unresolved_variables: bool,
}

/// Synthesizes, evaluates and explains the requests of one service.
///
/// `unclaimed` lists the statements meant for services of the same kind
/// that the configuration does not name: when no statement is meant for a
/// configured service, they are the ones meant for it by mistake (a
/// `kms:ViaService` naming EFS in the key of an FSx file system).
pub fn check_service(
    profile: ServiceProfile,
    policy: &Policy<'_>,
    reading: &PolicyReading<'_>,
    text: &str,
    unclaimed: &[usize],
    elsewhere: ReportedElsewhere,
) -> ServiceCheck {
    let (callers, more_callers) = callers(&profile, reading);
    let (requests, more_requests) = requests(&profile, &callers, reading);
    let truncated = profile.truncated || more_callers || more_requests;
    let linked_role = profile.service.model().caller.kind == CallerKind::ServiceLinkedRole;
    let iam_policies_apply = profile.service.model().caller.iam_policies_apply;

    // Group the variants of one request: same caller, action, region, bucket.
    let mut outcomes: Vec<RequestOutcome> = Vec::new();
    for planned in requests {
        let ServiceRequest {
            caller,
            action,
            need,
            bucket_keys,
            ..
        } = planned;
        let existing = outcomes.iter().position(|o| {
            o.caller == caller
                && o.action == action
                && o.region == planned.region
                && o.bucket == planned.bucket
        });
        // Another variant of an optional request that is already allowed
        // cannot change its verdict (only the required ones are compared
        // across S3 Bucket Key settings, by PC401).
        let settled = existing.is_some_and(|i| {
            need != Need::Required
                && outcomes[i]
                    .variants
                    .iter()
                    .any(|v| v.verdict == Verdict::Allowed)
        });
        if settled {
            continue;
        }
        let request = planned.build(&callers, reading);
        let evaluation = evaluate(policy, &request);
        let variant = Variant {
            bucket_keys,
            request,
            verdict: verdict_of(&evaluation, iam_policies_apply),
            evaluation,
        };
        match existing.map(|i| &mut outcomes[i]) {
            Some(outcome) => outcome.variants.push(variant),
            None => outcomes.push(RequestOutcome {
                caller,
                action,
                need,
                region: planned.region,
                bucket: planned.bucket,
                variants: vec![variant],
                best: 0,
                verdict: Verdict::Denied,
                intended: Vec::new(),
                misses: Vec::new(),
            }),
        }
    }

    for outcome in &mut outcomes {
        let verdicts: Vec<Verdict> = outcome.variants.iter().map(|v| v.verdict).collect();
        let best_verdict = verdicts.iter().copied().max().unwrap_or(Verdict::Denied);
        // Among equally good variants, prefer the one the policy presumes.
        let presumed = match &profile.bucket_keys {
            BucketKeys::Unknown {
                presumed: Some((on, _)),
            } if linked_role => Some(*on),
            keys if linked_role => keys.stated(),
            _ => None,
        };
        outcome.best = (0..outcome.variants.len())
            .filter(|&i| verdicts[i] == best_verdict)
            .max_by_key(|&i| outcome.variants[i].bucket_keys == presumed)
            .unwrap_or(0);
        outcome.verdict = best_verdict;
        let caller = &callers[outcome.caller];
        outcome.intended = intended_statements(&profile, caller, outcome, reading, unclaimed);
        let evaluation = &outcome.variants[outcome.best].evaluation;
        outcome.misses = outcome
            .intended
            .iter()
            .filter_map(|&i| {
                let failure = evaluation.miss(i)?.clone();
                let statement = policy.statements.get(i)?;
                let statement_reading = reading.statements.get(i)?;
                let cause = classify(
                    &failure,
                    statement,
                    statement_reading,
                    profile.service,
                    outcome.action,
                    text,
                    elsewhere,
                );
                Some(Miss {
                    statement: i,
                    failure,
                    cause,
                })
            })
            .collect();
    }

    ServiceCheck {
        profile,
        callers,
        outcomes,
        truncated,
    }
}

/// The verdict of an evaluation. Where the caller's IAM policies cannot
/// add anything (a service-linked role), delegation is as good as a denial.
fn verdict_of(evaluation: &Evaluation, iam_policies_apply: bool) -> Verdict {
    match evaluation.decision {
        Decision::ExplicitDeny => Verdict::ExplicitlyDenied,
        Decision::ImplicitDeny => Verdict::Denied,
        Decision::Allow if evaluation.is_delegated_only() && !iam_policies_apply => Verdict::Denied,
        Decision::Allow if evaluation.is_delegated_only() => Verdict::Delegated,
        Decision::Allow => Verdict::Allowed,
    }
}

/// The statements meant to allow a request: those the caller comes from, or
/// every statement meant for the service. Where the profile's regions or
/// buckets were read from the policy, a statement that names only other
/// regions (buckets) is meant for those, not for this request.
fn intended_statements(
    profile: &ServiceProfile,
    caller: &Caller,
    outcome: &RequestOutcome,
    reading: &PolicyReading<'_>,
    unclaimed: &[usize],
) -> Vec<usize> {
    let base: Vec<&StatementReading<'_>> = if caller.origins.is_empty() {
        let meant: Vec<&StatementReading<'_>> = reading.meant_for(profile.service).collect();
        let kind = profile.service.model().caller.kind;
        if meant.is_empty() && profile.is_stated() {
            unclaimed
                .iter()
                .filter_map(|&i| reading.statements.get(i))
                .filter(|s| {
                    s.purposes
                        .iter()
                        .any(|p| p.service.model().caller.kind == kind)
                })
                .collect()
        } else {
            meant
        }
    } else {
        caller
            .origins
            .iter()
            .filter_map(|&i| reading.statements.get(i))
            .collect()
    };
    let regions_inferred = profile.regions.iter().all(|r| !r.origin.is_stated());
    let buckets_inferred = profile.buckets.iter().all(|b| !b.origin.is_stated());
    let via_name = profile.service.model().via_service.service_name();
    base.into_iter()
        .filter(|s| {
            let regions = s
                .via_services
                .iter()
                .filter(|v| v.service_name.eq_ignore_ascii_case(via_name))
                .map(|v| v.region);
            !(regions_inferred && names_only_others(regions, &outcome.region))
        })
        .filter(|s| match &outcome.bucket {
            Some(bucket) => {
                !(buckets_inferred
                    && names_only_others(s.s3_contexts.iter().map(|c| c.bucket), bucket))
            }
            None => true,
        })
        .map(|s| s.index)
        .collect()
}

/// Whether the values (`None` for a pattern) name something, and only
/// concrete things other than `target`.
fn names_only_others<'a>(values: impl Iterator<Item = Option<&'a str>>, target: &str) -> bool {
    let mut any = false;
    for value in values {
        match value {
            Some(v) if v != target => any = true,
            _ => return false,
        }
    }
    any
}

/// Why an intended statement missed a request.
fn classify(
    failure: &Failure,
    statement: &Statement<'_>,
    reading: &StatementReading<'_>,
    service: ServiceId,
    action: &str,
    text: &str,
    elsewhere: ReportedElsewhere,
) -> Cause {
    let linked_role = service.model().caller.kind == CallerKind::ServiceLinkedRole;
    match failure {
        Failure::Condition {
            key,
            values,
            operator,
            ..
        } => {
            let name = condition_key_name(statement, *key, text);
            let is = |k: &str| name.eq_ignore_ascii_case(k);
            let value_texts: Vec<&str> = values
                .iter()
                .filter_map(|r| text.get(r.as_usize()))
                .map(|v| v.trim_matches('"'))
                .collect();
            let literal_operator = text
                .get(operator.as_usize())
                .and_then(|o| crate::model::Operator::parse(o.trim_matches('"')))
                .is_some_and(|o| !o.base.supports_wildcards());
            let literal_wildcard = literal_operator && value_texts.iter().any(|v| has_wildcard(v));
            let malformed_account = is("kms:CallerAccount")
                && !value_texts.is_empty()
                && value_texts.iter().all(|v| !crate::eval::is_account_id(v));
            // `${aws_region}` in a template, or a policy variable that names
            // no key: what the value will be is not known here.
            let placeholder = values
                .iter()
                .any(|r| text.get(r.as_usize()).is_some_and(has_template_placeholder));
            if catalog().condition_key(&name).is_none()
                || (placeholder && elsewhere.unresolved_variables)
                || (literal_wildcard && elsewhere.literal_wildcards)
                || (malformed_account && elsewhere.malformed_caller_accounts)
            {
                Cause::OtherPack
            } else if is("kms:ViaService") {
                Cause::ViaService
            } else if is("kms:CallerAccount") {
                Cause::CallerAccount
            } else if linked_role
                && (starts_with_ignore_case(&name, "kms:EncryptionContext:")
                    || is("kms:EncryptionContextKeys")
                    || is("aws:userid"))
            {
                Cause::S3Context
            } else {
                Cause::Other
            }
        }
        Failure::Principal { .. } => {
            let placeholder = statement
                .principal
                .iter()
                .flat_map(|p| p.values())
                .any(|(_, v)| has_template_placeholder(v.value));
            let role_problems = |r: &&crate::services::reading::RoleReference<'_>| {
                r.in_principal && !r.problems.is_empty()
            };
            let only_account_problems = reading.roles.iter().filter(role_problems).all(|r| {
                r.problems
                    .iter()
                    .all(|p| matches!(p, RoleArnProblem::MalformedAccount { .. }))
            });
            if placeholder {
                Cause::OtherPack
            } else if reading.roles.iter().any(|r| role_problems(&r)) {
                if only_account_problems && elsewhere.malformed_principal_accounts {
                    Cause::OtherPack
                } else {
                    Cause::MalformedRole
                }
            } else if !reading.service_principals.is_empty()
                && reading.aws_principals.is_empty()
                && !reading.principal_everyone
            {
                Cause::ServicePrincipal
            } else {
                Cause::Other
            }
        }
        Failure::Action { .. } => {
            let misspelled = statement
                .action
                .iter()
                .flat_map(|a| a.values.iter())
                .any(|v| {
                    let value = v.value;
                    !has_wildcard(value)
                        && catalog().action(value).is_none()
                        && (starts_with_ignore_case(action, value)
                            || catalog()
                                .suggest_action(value)
                                .is_some_and(|s| action_matches(s, action)))
                });
            if misspelled {
                Cause::OtherPack
            } else {
                Cause::MissingAction
            }
        }
        Failure::Unreadable { .. } => Cause::OtherPack,
        Failure::NotPrincipal { .. }
        | Failure::NotAction { .. }
        | Failure::Resource { .. }
        | Failure::NotResource { .. } => Cause::Other,
    }
}

/// The condition key whose name is at `range`.
pub fn condition_key_name(
    statement: &Statement<'_>,
    range: crate::text::TextRange,
    text: &str,
) -> String {
    statement
        .condition
        .iter()
        .flat_map(|c| c.entries())
        .find(|(_, k)| k.key.range == range)
        .map(|(_, k)| k.key.value.to_string())
        .unwrap_or_else(|| {
            text.get(range.as_usize())
                .unwrap_or_default()
                .trim_matches('"')
                .to_string()
        })
}

/// `${aws_region}` from a template, or a policy variable that names no
/// condition key: what the value will be is not known here, and the syntax
/// and conditions packs report it.
fn has_template_placeholder(value: &str) -> bool {
    crate::matcher::policy_variables(value).any(|var| catalog().condition_key(var).is_none())
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::infer::resolve;
    use crate::services::profile::Profile;
    use crate::syntax::parse;

    fn check(text: &str, config: Option<&Profile>) -> Vec<ServiceCheck> {
        let parse = parse(text);
        let policy = Policy::from_tree(&parse.tree);
        let reading = PolicyReading::read(&policy);
        resolve(config, None, &reading)
            .into_iter()
            .map(|p| {
                check_service(
                    p,
                    &policy,
                    &reading,
                    text,
                    &[],
                    ReportedElsewhere::default(),
                )
            })
            .collect()
    }

    fn verdict(check: &ServiceCheck, action: &str) -> Verdict {
        check
            .outcomes
            .iter()
            .filter(|o| o.action == action)
            .map(|o| o.verdict)
            .min()
            .unwrap()
    }

    const FSX: &str = r#"{"Version": "2012-10-17", "Statement": [
      {"Sid": "Allow FSx", "Effect": "Allow", "Principal": {"AWS": "*"},
       "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
       "Resource": "*",
       "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "fsx.us-east-1.amazonaws.com"}}}]}"#;

    #[test]
    fn fsx_without_create_grant_is_denied_for_lack_of_the_action() {
        let checks = check(FSX, None);
        assert_eq!(checks.len(), 1);
        let c = &checks[0];
        assert_eq!(c.service(), ServiceId::Fsx);
        assert_eq!(verdict(c, "kms:Decrypt"), Verdict::Allowed);
        assert_eq!(verdict(c, "kms:CreateGrant"), Verdict::Denied);
        let o = c
            .outcomes
            .iter()
            .find(|o| o.action == "kms:CreateGrant")
            .unwrap();
        assert_eq!(o.misses.len(), 1);
        assert_eq!(o.misses[0].cause, Cause::MissingAction);
    }

    #[test]
    fn configured_region_mismatch_is_a_via_service_cause() {
        let config = Profile {
            services: vec![ServiceId::Fsx],
            region: Some("eu-west-1".into()),
            ..Profile::default()
        };
        let checks = check(FSX, Some(&config));
        let o = checks[0]
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.verdict, Verdict::Denied);
        assert_eq!(o.misses[0].cause, Cause::ViaService);
        assert!(o.is_explained_elsewhere());
    }

    #[test]
    fn s3_link_bucket_keys_unknown_accepts_either_form() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::111122223333:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fc-0123456789abcdef0"},
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {
             "StringEquals": {"kms:CallerAccount": "111122223333", "kms:ViaService": "s3.us-east-1.amazonaws.com"},
             "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::amzn-s3-demo-bucket/*"}}}]}"#;
        let checks = check(text, None);
        let c = &checks[0];
        assert_eq!(c.service(), ServiceId::S3Link);
        for action in [
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "kms:Encrypt",
            "kms:ReEncryptFrom",
        ] {
            assert_eq!(verdict(c, action), Verdict::Allowed, "{action}");
        }
        let o = c
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.variants.len(), 2);
        assert_eq!(o.best().bucket_keys, Some(false));
        assert!(
            !o.variants[1].evaluation.is_allowed(),
            "the bucket ARN does not match bucket/*"
        );

        let config = Profile {
            bucket_keys: Some(true),
            ..Profile::default()
        };
        let checks = check(text, Some(&config));
        let o = checks[0]
            .outcomes
            .iter()
            .find(|o| o.action == "kms:Decrypt")
            .unwrap();
        assert_eq!(o.verdict, Verdict::Denied);
        assert_eq!(o.misses[0].cause, Cause::S3Context);
    }

    #[test]
    fn delegation_to_the_account() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}"#;
        let config = Profile {
            services: vec![ServiceId::Efs],
            ..Profile::default()
        };
        let checks = check(text, Some(&config));
        let c = &checks[0];
        assert_eq!(c.callers.len(), 1);
        assert!(c.callers[0].representative);
        assert_eq!(c.callers[0].account(), "111122223333");
        assert_eq!(verdict(c, "kms:CreateGrant"), Verdict::Delegated);
    }

    #[test]
    fn identity_conditions_describe_the_representative_caller() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Allow EFS for the organization", "Effect": "Allow", "Principal": "*",
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {
             "StringEquals": {"kms:ViaService": "elasticfilesystem.us-east-2.amazonaws.com", "aws:PrincipalOrgID": "o-a1b2c3d4e5"},
             "StringLike": {"aws:PrincipalTag/team": "storage-*"}}}]}"#;
        let checks = check(text, None);
        for action in [
            "kms:Decrypt",
            "kms:CreateGrant",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:DescribeKey",
        ] {
            assert_eq!(verdict(&checks[0], action), Verdict::Allowed, "{action}");
        }
    }

    #[test]
    fn explicit_deny() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
          {"Sid": "Allow EFS", "Effect": "Allow", "Principal": "*",
           "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
           "Resource": "*",
           "Condition": {"StringEquals": {"kms:ViaService": "elasticfilesystem.us-east-2.amazonaws.com", "kms:CallerAccount": "111122223333"}}},
          {"Sid": "No grants", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"}]}"#;
        let checks = check(text, None);
        assert_eq!(
            verdict(&checks[0], "kms:CreateGrant"),
            Verdict::ExplicitlyDenied
        );
        assert_eq!(verdict(&checks[0], "kms:Decrypt"), Verdict::Allowed);
    }
}
