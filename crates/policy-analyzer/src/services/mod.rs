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

pub use analysis::{Cause, Defect, Miss, RequestOutcome, ServiceCheck, Verdict};
pub use model::{ServiceId, ServiceModel};
pub use profile::{Profile, ServiceProfile};

use crate::model::Policy;
use crate::resources::KeyContext;

/// The result of the service analysis of one policy.
#[derive(Clone, Debug, Default)]
pub struct ServiceAnalysis {
    /// One check per service the key serves (configured or inferred), in
    /// [`ServiceId`] order.
    pub checks: Vec<ServiceCheck>,
    /// Service-linked role ARNs that name no role.
    pub malformed_roles: Vec<reading::MalformedRole>,
    /// Service principals the services never use.
    pub unused_service_principals: Vec<reading::UnusedServicePrincipal>,
}

impl ServiceAnalysis {
    /// The analysis of a policy (`text` is what it was read from) for the
    /// services the profile names, or else those the resources around the
    /// key (`key`) and the policy itself show, against the service models.
    /// A function of these alone: which rules run, and who reports what, is
    /// the rules' business.
    pub fn run(
        policy: &Policy<'_>,
        text: &str,
        profile: Option<&Profile>,
        key: Option<&KeyContext>,
    ) -> ServiceAnalysis {
        if !policy.is_policy() {
            return ServiceAnalysis::default();
        }
        let reading = reading::PolicyReading::read(policy);
        let profiles = infer::resolve(profile, key, &reading);
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
        let checks = profiles
            .into_iter()
            .map(|profile| analysis::check_service(profile, policy, &reading, text, &unclaimed))
            .collect();
        ServiceAnalysis {
            checks,
            malformed_roles: reading.malformed_roles(),
            unused_service_principals: reading.unused_service_principals(),
        }
    }
}
