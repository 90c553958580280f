//! CloudFormation: key policies in templates, JSON or YAML.

use super::{HostAnalysis, HostFile};
use crate::AnalyzeOptions;

/// Analyses one CloudFormation template.
pub fn analyze(_file: HostFile<'_>, _options: &AnalyzeOptions) -> HostAnalysis {
    HostAnalysis::default()
}
