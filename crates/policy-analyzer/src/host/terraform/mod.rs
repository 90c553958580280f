//! Terraform: key policies in `.tf` modules (jsonencode, heredocs, `file()`,
//! `templatefile()`, `aws_iam_policy_document`), template files on their
//! own, and plan JSON.

use super::{HostAnalysis, HostFile, Loader};
use crate::AnalyzeOptions;

/// Analyses one Terraform module: the `.tf` and `.tf.json` files of one
/// directory, with its `terraform.tfvars` and `*.auto.tfvars`.
pub fn analyze_module(
    _files: &[HostFile<'_>],
    _loader: &dyn Loader,
    _options: &AnalyzeOptions,
) -> HostAnalysis {
    HostAnalysis::default()
}

/// Analyses a template file met on its own: `${...}` placeholders are
/// unknown values, `%{...}` directives are skipped.
pub fn analyze_template(_file: HostFile<'_>, _options: &AnalyzeOptions) -> HostAnalysis {
    HostAnalysis::default()
}

/// Analyses the JSON of `terraform show -json`.
pub fn analyze_plan(_file: HostFile<'_>, _options: &AnalyzeOptions) -> HostAnalysis {
    HostAnalysis::default()
}

/// The key policies of a module, rendered (for each key, its first variant).
pub fn policies(
    _files: &[HostFile<'_>],
    _loader: &dyn Loader,
    _options: &AnalyzeOptions,
) -> Vec<super::EmbeddedPolicy> {
    Vec::new()
}

/// The template files (paths as the loader takes them) that the module's
/// `templatefile()` calls render: a walk checks them through the module.
pub fn rendered_templates(_files: &[HostFile<'_>]) -> Vec<String> {
    Vec::new()
}
