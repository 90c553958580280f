//! The command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use policy_analyzer::Severity;

/// Checks AWS KMS key policies: syntax, structure, actions, conditions, what
/// the services that use the key need, and security.
///
/// Exit status: 0 when nothing at or above --fail-on was found, 1 when
/// something was, 2 for a usage error, an unreadable file or a bad config.
#[derive(Debug, Parser)]
#[command(
    name = "policy-check",
    version,
    max_term_width = 100,
    after_help = "Rules: https://github.com/policy-check/policy-check/blob/main/docs/rules/README.md\nConfiguration: https://github.com/policy-check/policy-check/blob/main/docs/configuration.md"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files and directories to check; `-` reads standard input. Directories
    /// are walked, respecting .gitignore. Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit with 1 when a finding at or above this severity is found
    /// [default: the config's `fail-on`, else warning].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityLevel>,

    /// Run only these rules: codes, code prefixes (`PC2`), names, or `ALL`.
    /// Comma-separated or repeated. Replaces the config's `select` and `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Do not run these rules: codes, code prefixes or names. Comma-separated
    /// or repeated. Added to the config's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,

    /// Check only files matching this glob (relative to the current
    /// directory); replaces the config's `include`. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,

    /// Skip files and directories matching this glob (relative to the current
    /// directory), in addition to the config's `exclude`. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Use this config file for every checked file instead of discovering
    /// `policy-check.toml` upward from each file.
    #[arg(long, value_name = "PATH", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore all config files.
    #[arg(long)]
    pub no_config: bool,

    /// The name of the file read from standard input: used in messages and
    /// to find its config.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Report only the findings that are not in this baseline (written by
    /// `--write-baseline`); the others are counted in the summary.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,

    /// Record every finding of this run in a baseline file, and exit 0
    /// unless a file could not be checked.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Print the table of rules and exit (with `--format json`, as JSON).
    #[arg(long, conflicts_with_all = ["paths", "explain", "fix", "diff", "completions", "man"])]
    pub list_rules: bool,

    /// Print the completion script for a shell and exit:
    /// `policy-check --completions bash > /etc/bash_completion.d/policy-check`.
    #[arg(long, value_enum, value_name = "SHELL", exclusive = true)]
    pub completions: Option<clap_complete::Shell>,

    /// Print the man page (roff) and exit: `policy-check --man > policy-check.1`.
    #[arg(long, exclusive = true)]
    pub man: bool,

    /// Print the documentation of a rule (code or name) and exit.
    #[arg(long, value_name = "RULE", exclusive = true)]
    pub explain: Option<String>,

    /// Apply the safe fixes findings offer, until the files are stable, and
    /// report what remains. A file is written only if it still parses, and
    /// atomically. With standard input, the fixed text goes to standard output.
    #[arg(long)]
    pub fix: bool,

    /// With --fix or --diff, apply unsafe fixes too: those that change what
    /// the policy allows, which a person should review.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print a unified diff of the fixes --fix would apply, and write nothing.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// Show findings at or above this severity [default: warning for the
    /// human, concise and github formats; everything for json and sarif].
    /// Findings below it are still counted in the summary.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub min_severity: Option<SeverityLevel>,

    /// Print how many findings each rule has, instead of the findings.
    #[arg(long)]
    pub statistics: bool,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output_file: Option<PathBuf>,

    /// Print only findings and errors: no summary, no notes about skipped files.
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour the human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run each rule of the rule packs over its own fixtures and compare its
    /// findings with the expected file beside each fixture.
    ///
    /// A rule file NAME.toml keeps its fixtures in NAME/ beside it: `valid-*`
    /// files (the rule must find nothing) and `invalid-*` files (it must find
    /// something), each with its findings in FIXTURE.expected. Exit status: 0
    /// when every fixture passes, 1 when one fails, 2 when a rule file has an
    /// error or a fixture cannot be read.
    TestRules(TestRulesArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestRulesArgs {
    /// A rule pack directory, or a directory with a policy-check.toml (its
    /// packs) [default: the packs of the policy-check.toml that governs the
    /// current directory].
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Write each fixture's expected file from what the rule finds now.
    #[arg(long)]
    pub update: bool,

    /// When to colour PASS and FAIL.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labels and help, and a summary line.
    Human,
    /// The versioned JSON document described in docs/json-output.md.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// One line per finding: `path:line:column: CODE message`.
    Concise,
}

impl Format {
    /// The lowest severity a format shows unless told otherwise: the formats
    /// people read show what needs doing; the machine formats keep all.
    pub fn default_min_severity(self) -> Severity {
        match self {
            Format::Human | Format::Github | Format::Concise => Severity::Warning,
            Format::Json | Format::Sarif => Severity::Hint,
        }
    }
}

/// A severity as users write it: `--fail-on`, and `fail-on` and
/// `[rules.severity]` in the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityLevel {
    Error,
    Warning,
    Info,
    Hint,
}

impl From<SeverityLevel> for Severity {
    fn from(value: SeverityLevel) -> Severity {
        match value {
            SeverityLevel::Error => Severity::Error,
            SeverityLevel::Warning => Severity::Warning,
            SeverityLevel::Info => Severity::Info,
            SeverityLevel::Hint => Severity::Hint,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream, given whether it is a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: set and not empty disables colour.
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}
