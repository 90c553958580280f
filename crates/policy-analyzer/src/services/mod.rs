//! Service packs: what each AWS service needs from the key, and whether the
//! policy gives it.
//!
//! - `model.rs` and `data/*.toml`: what each service needs, as data with sources;
//! - `profile.rs`: which services a key serves, with the concrete values;
//! - `reading.rs`: what the statements say about services;
//! - `infer.rs`: profiles from the configuration and the policy.

pub mod infer;
pub mod model;
pub mod profile;
pub mod reading;

pub use model::{ServiceId, ServiceModel};
pub use profile::{Profile, ServiceProfile};

use crate::rules::Context;

/// The result of the service analysis of one policy, computed once per
/// document and shared by the rules of the services pack.
#[derive(Clone, Debug, Default)]
pub struct ServiceAnalysis {
    /// The services the checks ran for, with their values.
    pub profiles: Vec<ServiceProfile>,
}

impl ServiceAnalysis {
    pub(crate) fn run(ctx: &Context<'_>) -> ServiceAnalysis {
        let reading = reading::PolicyReading::read(ctx.policy);
        let profiles = infer::resolve(ctx.options.profile.as_ref(), &reading);
        ServiceAnalysis { profiles }
    }
}
