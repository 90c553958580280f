//! Service packs: what each AWS service needs from the key, and whether the
//! policy gives it. (Filled in by the service-pack work; see issue "Service packs".)

use serde::Deserialize;

use crate::rules::Context;

/// What a key serves, as the user configured it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    /// Services the key serves: `fsx`, `fsx-lustre`, `file-cache`, `efs`, `s3-link`.
    #[serde(default)]
    pub services: Vec<String>,
    /// The 12-digit account that owns the key and the resources.
    pub account: Option<String>,
    /// The region of the key and the file system.
    pub region: Option<String>,
}

/// The result of the service analysis of one policy.
#[derive(Clone, Debug, Default)]
pub struct ServiceAnalysis {}

impl ServiceAnalysis {
    pub(crate) fn run(_ctx: &Context<'_>) -> ServiceAnalysis {
        ServiceAnalysis {}
    }
}
