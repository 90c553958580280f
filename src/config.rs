//! `policy-check.toml`: parsing into checked, compiled settings, with the
//! file and line of every error. Discovery lives in `settings.rs`.
//!
//! The document is parsed once with `toml_edit`, which keeps the span of every
//! key and value, so serde's errors (unknown keys, wrong types) and our own
//! (bad globs, unknown rules) all point at a line.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use policy_analyzer::{Profile, Severity};
use serde::de::{IgnoredAny, IntoDeserializer};
use serde::Deserialize;
use serde_spanned::Spanned;
use toml_edit::{ImDocument, InlineTable, Item, Value};

use crate::cli::SeverityLevel;
use crate::glob::Globs;
use crate::selector;

/// The name of the file discovered upward from each checked file.
pub const FILE_NAME: &str = "policy-check.toml";

/// A config file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based, when the error has a position.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// One config file, checked: globs compiled, rule selectors resolved to codes.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    /// The directory the config's globs are relative to: the config's own.
    pub base: PathBuf,
    pub include: Option<Globs>,
    pub exclude: Option<Globs>,
    pub fail_on: Option<Severity>,
    /// Codes of the rules to run; `None` for all.
    pub select: Option<Vec<&'static str>>,
    pub ignore: Vec<&'static str>,
    pub severity: HashMap<&'static str, Severity>,
    pub per_file_ignores: Vec<PerFileIgnore>,
    pub profiles: Vec<ProfileEntry>,
}

/// `[[per-file-ignores]]`: rules that do not run on some files.
#[derive(Debug, Clone)]
pub struct PerFileIgnore {
    pub files: Globs,
    pub ignore: Vec<&'static str>,
}

/// `[[profiles]]`: what the keys in some files serve.
#[derive(Debug, Clone)]
pub struct ProfileEntry {
    pub files: Globs,
    pub profile: Profile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    include: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    fail_on: Option<SeverityLevel>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    per_file_ignores: Vec<RawPerFileIgnore>,
    /// Read separately by [`profiles`]: each entry is `files` plus the
    /// analyzer's `Profile` flattened, and serde's `flatten` would silently
    /// accept unknown keys and lose their lines.
    #[allow(dead_code)]
    profiles: Option<IgnoredAny>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, SeverityLevel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPerFileIgnore {
    files: Spanned<Vec<Spanned<String>>>,
    ignore: Vec<Spanned<String>>,
}

impl Config {
    /// Reads and parses the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(path, &text)
    }

    /// Parses the text of the config file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let file = File { path, text };
        let doc = ImDocument::parse(text.to_string())
            .map_err(|e| file.error(e.span(), one_line(e.message())))?;
        let raw = RawConfig::deserialize(doc.clone().into_deserializer())
            .map_err(|e| file.de_error(e, None))?;

        let mut severity = HashMap::new();
        for (key, level) in &raw.rules.severity {
            let rule = selector::resolve_one(key.get_ref())
                .map_err(|e| file.error(Some(key.span()), e))?;
            severity.insert(rule.code, Severity::from(*level));
        }
        let per_file_ignores = raw
            .per_file_ignores
            .iter()
            .map(|p| {
                if p.files.get_ref().is_empty() {
                    return Err(file.error(Some(p.files.span()), "`files` is empty".into()));
                }
                Ok(PerFileIgnore {
                    files: file.globs(p.files.get_ref())?,
                    ignore: file.rules(&p.ignore)?,
                })
            })
            .collect::<Result<_, _>>()?;
        let profiles = file
            .profile_tables(&doc)?
            .into_iter()
            .map(|(span, table)| file.profile(table, span))
            .collect::<Result<_, _>>()?;

        Ok(Config {
            path: path.to_path_buf(),
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            include: raw.include.as_deref().map(|g| file.globs(g)).transpose()?,
            exclude: raw.exclude.as_deref().map(|g| file.globs(g)).transpose()?,
            fail_on: raw.fail_on.map(Severity::from),
            select: raw
                .rules
                .select
                .as_deref()
                .map(|r| file.rules(r))
                .transpose()?,
            ignore: file.rules(&raw.rules.ignore)?,
            severity,
            per_file_ignores,
            profiles,
        })
    }

    /// The profile of the first `[[profiles]]` entry whose `files` match.
    pub fn profile_for(&self, relative: &Path) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.files.matches(relative))
            .map(|p| &p.profile)
    }
}

/// toml's messages span lines (`invalid array\nexpected `]``); ours are one.
/// Some are empty (`a =` at the end of the file): the line still says where.
fn one_line(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    if line.is_empty() {
        "invalid TOML".to_string()
    } else {
        line
    }
}

/// A `[[profiles]]` entry, with the span of the whole entry for errors
/// that have none of their own.
type ProfileTable = (Option<Range<usize>>, InlineTable);

/// The config file being parsed: turns spans into lines for errors.
struct File<'a> {
    path: &'a Path,
    text: &'a str,
}

impl File<'_> {
    fn error(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            // Bytes, not a `str` slice: a span is not trusted to start on
            // a character boundary.
            line: span.map(|s| {
                let before = &self.text.as_bytes()[..s.start.min(self.text.len())];
                1 + before.iter().filter(|&&b| b == b'\n').count()
            }),
            message,
        }
    }

    /// A serde error at its own span, else at `fallback`.
    fn de_error(&self, e: toml_edit::de::Error, fallback: Option<Range<usize>>) -> ConfigError {
        self.error(e.span().or(fallback), one_line(e.message()))
    }

    fn globs(&self, patterns: &[Spanned<String>]) -> Result<Globs, ConfigError> {
        let texts: Vec<&str> = patterns.iter().map(|p| p.get_ref().as_str()).collect();
        Globs::new(&texts).map_err(|e| self.error(Some(patterns[e.index].span()), e.message))
    }

    fn rules(&self, selectors: &[Spanned<String>]) -> Result<Vec<&'static str>, ConfigError> {
        let mut codes = Vec::new();
        for s in selectors {
            let resolved = selector::resolve_all([s.get_ref().as_str()])
                .map_err(|e| self.error(Some(s.span()), e))?;
            codes.extend(resolved);
        }
        Ok(codes)
    }

    /// The `[[profiles]]` entries (or an inline `profiles = [{...}]`) as
    /// inline tables, which keep the spans of their keys and values, each
    /// with the span of the entry.
    fn profile_tables(&self, doc: &ImDocument<String>) -> Result<Vec<ProfileTable>, ConfigError> {
        let not_tables = |span| {
            self.error(
                span,
                "`profiles` must be an array of tables: write `[[profiles]]`".into(),
            )
        };
        match doc.as_table().get("profiles") {
            None => Ok(Vec::new()),
            Some(Item::ArrayOfTables(array)) => Ok(array
                .iter()
                .map(|t| (t.span(), t.clone().into_inline_table()))
                .collect()),
            Some(Item::Value(Value::Array(array))) => array
                .iter()
                .map(|v| match v {
                    Value::InlineTable(t) => Ok((v.span(), t.clone())),
                    _ => Err(not_tables(v.span())),
                })
                .collect(),
            Some(other) => Err(not_tables(other.span())),
        }
    }

    /// One profile entry: `files` (ours), and the rest deserialized as the
    /// analyzer's `Profile`, whose `deny_unknown_fields` then applies.
    fn profile(
        &self,
        mut table: InlineTable,
        span: Option<Range<usize>>,
    ) -> Result<ProfileEntry, ConfigError> {
        let files = table.remove("files");
        let profile = Profile::deserialize(Value::InlineTable(table).into_deserializer())
            .map_err(|e| self.de_error(e, span.clone()))?;
        let Some(files) = files else {
            return Err(self.error(span, "missing field `files`".into()));
        };
        let files = Vec::<Spanned<String>>::deserialize(files.into_deserializer())
            .map_err(|e| self.de_error(e, span))?;
        Ok(ProfileEntry {
            files: self.globs(&files)?,
            profile,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/repo/policy-check.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn a_full_config() {
        let first = policy_analyzer::all_rules().next().unwrap();
        let config = parse(&format!(
            r#"
include = ["**/*.json"]
exclude = ["node_modules"]
fail-on = "error"
[rules]
select = ["PC0"]
ignore = ["{name}"]
[rules.severity]
{code} = "info"
[[per-file-ignores]]
files = ["legacy/**"]
ignore = ["{code}"]
[[profiles]]
files = ["keys/fsx-*.json"]
services = ["fsx"]
account = "111122223333"
region = "us-east-1"
"#,
            name = first.name,
            code = first.code
        ))
        .unwrap();
        assert_eq!(config.base, Path::new("/repo"));
        assert_eq!(config.fail_on, Some(Severity::Error));
        assert!(config.select.as_ref().unwrap().contains(&first.code));
        assert_eq!(config.ignore, vec![first.code]);
        assert_eq!(config.severity[first.code], Severity::Info);
        assert!(config.per_file_ignores[0]
            .files
            .matches(Path::new("legacy/a/b.json")));
        let profile = config.profile_for(Path::new("keys/fsx-1.json")).unwrap();
        assert_eq!(profile.services, vec!["fsx".to_string()]);
        assert_eq!(profile.account.as_deref(), Some("111122223333"));
        assert!(config.profile_for(Path::new("keys/efs-1.json")).is_none());
    }

    #[test]
    fn unknown_keys_name_their_line() {
        assert!(error("include = []\nexlude = []\n")
            .starts_with("/repo/policy-check.toml:2: unknown field `exlude`"));
        assert!(error("[rules]\nselct = []\n")
            .starts_with("/repo/policy-check.toml:2: unknown field `selct`"));
        assert!(
            error("[[profiles]]\nfiles = [\"*.json\"]\n\nacount = \"1\"\n")
                .starts_with("/repo/policy-check.toml:4: unknown field `acount`"),
            "{}",
            error("[[profiles]]\nfiles = [\"*.json\"]\n\nacount = \"1\"\n")
        );
    }

    #[test]
    fn wrong_types_and_values_name_their_line() {
        assert!(error("fail-on = \"sometimes\"\n")
            .starts_with("/repo/policy-check.toml:1: unknown variant `sometimes`"));
        let e = error("[[profiles]]\nfiles = [\"a\"]\nservices = \"fsx\"\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:3: invalid type"),
            "{e}"
        );
        let e = error("[[profiles]]\nservices = [\"fsx\"]\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:1: missing field `files`"),
            "{e}"
        );
        let e = error("profiles = 3\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:1: `profiles` must be an array of tables"),
            "{e}"
        );
    }

    #[test]
    fn bad_globs_and_rules_name_their_line() {
        assert_eq!(
            error("exclude = [\n  \"ok\",\n  \"bad/[\",\n]\n"),
            "/repo/policy-check.toml:3: bad glob `bad/[`: unclosed character class; missing ']'"
        );
        let e = error("[rules]\nignore = [\"no-such-rule\"]\n");
        assert_eq!(e, "/repo/policy-check.toml:2: unknown rule `no-such-rule`");
        let e = error("[rules.severity]\nnope = \"info\"\n");
        assert_eq!(e, "/repo/policy-check.toml:2: unknown rule `nope`");
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let e = error("include = [\"a\"\n\nexclude = 3 3\n");
        assert!(e.starts_with("/repo/policy-check.toml:"), "{e}");
        assert!(e.contains(":3:") || e.contains(":1:"), "{e}");
    }

    /// Fuzz (config): toml_edit gives no message for a value missing at the
    /// end of the file, and the error said nothing after its line.
    #[test]
    fn a_value_missing_at_the_end_is_still_explained() {
        let e = error("[[profiles]]\nfiles = [\"*.json\"]\nservices =");
        assert_eq!(e, "/repo/policy-check.toml:3: invalid TOML");
    }
}
