//! Service packs: what each AWS service needs from the key, and whether the
//! policy gives it.
//!
//! - `model.rs` and `data/*.toml`: what each service needs, as data with sources;
//! - `profile.rs`: which services a key serves, with the concrete values;
//! - `reading.rs`: what the statements say about services;
//! - `infer.rs`: profiles from the configuration and the policy;
//! - `requests.rs`: the requests each service makes, as each caller;
//! - `analysis.rs`: the evaluator's verdicts on them, and why.
//!
//! The rules of the services pack (`rules/services/`) report from the
//! [`ServiceAnalysis`], which `rules::Context::services()` computes once per
//! document.

pub mod analysis;
pub mod infer;
pub mod model;
pub mod profile;
pub mod reading;
pub mod requests;

pub use analysis::{Cause, Miss, RequestOutcome, ServiceCheck, Verdict};
pub use model::{ServiceId, ServiceModel};
pub use profile::{Profile, ServiceProfile};

use crate::rules::Context;

/// The result of the service analysis of one policy.
#[derive(Clone, Debug, Default)]
pub struct ServiceAnalysis {
    /// One check per service the key serves (configured or inferred), in
    /// [`ServiceId`] order.
    pub checks: Vec<ServiceCheck>,
    /// Service-linked role ARNs that name no role (PC409).
    pub malformed_roles: Vec<reading::MalformedRole>,
    /// Service principals the services never use (PC410).
    pub unused_service_principals: Vec<reading::UnusedServicePrincipal>,
}

impl ServiceAnalysis {
    pub(crate) fn run(ctx: &Context<'_>) -> ServiceAnalysis {
        if !ctx.policy.is_policy() {
            return ServiceAnalysis::default();
        }
        let reading = reading::PolicyReading::read(ctx.policy);
        let profiles = infer::resolve(ctx.options.profile.as_ref(), ctx.key, &reading);
        // Statements meant (strongly) for services no configured profile names.
        let unclaimed: Vec<usize> = reading
            .statements
            .iter()
            .filter(|s| {
                !s.purposes.is_empty()
                    && s.purposes.iter().all(|p| {
                        !p.weak
                            && profiles
                                .iter()
                                .all(|c| c.service.route() != p.service.route())
                    })
            })
            .map(|s| s.index)
            .collect();
        let enabled = |name: &str| {
            crate::rules::find_rule(name).is_some_and(|rule| ctx.options.rules.is_enabled(rule))
        };
        let elsewhere = analysis::ReportedElsewhere {
            literal_wildcards: enabled("wildcard-in-non-like-operator"),
            malformed_caller_accounts: enabled("invalid-caller-account"),
            malformed_principal_accounts: enabled("invalid-principal"),
            unresolved_variables: enabled(if crate::eval::uses_policy_variables(ctx.policy) {
                "unresolved-policy-variable"
            } else {
                "policy-variable-in-old-version"
            }),
        };
        let checks = profiles
            .into_iter()
            .map(|profile| {
                analysis::check_service(
                    profile, ctx.policy, &reading, ctx.text, &unclaimed, elsewhere,
                )
            })
            .collect();
        ServiceAnalysis {
            checks,
            malformed_roles: reading.malformed_roles(),
            unused_service_principals: reading.unused_service_principals(),
        }
    }
}
