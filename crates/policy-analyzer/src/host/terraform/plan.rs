//! `terraform show -json`: plans and states.

use crate::host::{HostAnalysis, HostFile};
use crate::AnalyzeOptions;

/// Analyses the JSON of `terraform show -json`.
pub fn analyze_plan(_file: HostFile<'_>, _options: &AnalyzeOptions) -> HostAnalysis {
    HostAnalysis::default()
}
