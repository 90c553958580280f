//! `policy-check.toml`: parsing into checked, compiled settings, with the
//! file and line of every error. Discovery lives in `settings.rs`.
//!
//! The document is parsed once into toml's spanned tree, which keeps the
//! span of every key and value, so serde's errors (unknown keys, wrong types)
//! and our own (bad globs, unknown rules, a suppression without a reason) all
//! point at a line.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use policy_analyzer::{Profile, Severity};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::glob::Globs;
use crate::packs::Packs;
use crate::selector;
use crate::toml_tree::{self, Tree};

/// The name of the file discovered upward from each checked file.
pub const FILE_NAME: &str = "policy-check.toml";

/// How the reader treats what it does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every problem is an error: the CLI refuses the config.
    Strict,
    /// A key or a rule the reader does not know (a newer version's, or one
    /// being typed in an editor) is skipped with a warning, and the rest of
    /// the config applies. Syntax errors, wrong types and bad values are
    /// still errors.
    Lenient,
}

/// A config file that cannot be used, or (in [`Mode::Lenient`]) a part of it
/// that was skipped: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based, when the error has a position.
    pub line: Option<usize>,
    /// 1-based, in characters, when the error has one.
    pub column: Option<usize>,
    pub message: String,
    /// Whether the error is in a rule pack's file rather than the config:
    /// the pack's file is left out, and the rest of the config applies.
    pub rule_pack: bool,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(
                    f,
                    "{}:{line}:{column}: {}",
                    self.path.display(),
                    self.message
                )
            }
            (Some(line), None) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            _ => write!(f, "{}: {}", self.path.display(), self.message),
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
    /// Codes of the rules that do not run: `ignore`, and the rules whose
    /// severity is `off`.
    pub ignore: Vec<&'static str>,
    /// The severity every finding of a rule takes.
    pub severity: HashMap<&'static str, Severity>,
    pub per_file_ignores: Vec<PerFileIgnore>,
    pub profiles: Vec<ProfileEntry>,
    pub suppressions: Vec<Suppression>,
    /// The user rules of the packs `rule-packs` names, and their errors.
    pub packs: Packs,
    /// What [`Mode::Lenient`] skipped.
    pub warnings: Vec<ConfigError>,
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

/// `[[suppressions]]`: findings the user accepted, and why.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The codes of the rules whose findings it accepts.
    pub rules: Vec<&'static str>,
    /// The rules as the user wrote them, for messages.
    pub rules_written: Vec<String>,
    pub files: Globs,
    /// The files as the user wrote them, for messages.
    pub files_written: Vec<String>,
    /// Only the findings in the statement with this `Sid`.
    pub statement: Option<String>,
    /// Only the findings at or under this JSON pointer.
    pub pointer: Option<String>,
    pub reason: String,
    /// The 1-based line of the entry, to report it when it matches nothing.
    pub line: usize,
}

/// A severity as the config writes it.
enum Level {
    Off,
    At(Severity),
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        if text.eq_ignore_ascii_case("off") {
            return Some(Level::Off);
        }
        Severity::parse(text).map(Level::At)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    include: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    per_file_ignores: Vec<RawPerFileIgnore>,
    /// Read separately by [`File::profile`]: each entry is `files` plus the
    /// analyzer's `Profile` flattened, and serde's `flatten` would silently
    /// accept unknown keys and lose their lines.
    #[allow(dead_code)]
    profiles: Option<IgnoredAny>,
    /// Each with the span of its entry (its `[[suppressions]]` header),
    /// the line a suppression that matches nothing is reported at.
    #[serde(default)]
    suppressions: Vec<Spanned<RawSuppression>>,
    rule_packs: Option<Vec<Spanned<String>>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPerFileIgnore {
    files: Spanned<Vec<Spanned<String>>>,
    ignore: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSuppression {
    rules: Spanned<Vec<Spanned<String>>>,
    files: Spanned<Vec<Spanned<String>>>,
    statement: Option<String>,
    pointer: Option<Spanned<String>>,
    reason: Option<Spanned<String>>,
}

impl Config {
    /// Reads and parses the config file at `path`.
    pub fn load(path: &Path, mode: Mode) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: format!("cannot read: {e}"),
            rule_pack: false,
        })?;
        Config::parse(path, &text, mode)
    }

    /// Parses the text of the config file at `path`.
    pub fn parse(path: &Path, text: &str, mode: Mode) -> Result<Config, ConfigError> {
        let mut file = File {
            path,
            text,
            mode,
            warnings: Vec::new(),
            packs: Packs::default(),
        };
        let root = toml_tree::parse(text).map_err(|e| file.error(e.span, one_line(&e.message)))?;
        let raw: RawConfig = file.deserialize(&root)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        // The packs first: the rules' selectors may name their rules.
        if let Some(dirs) = &raw.rule_packs {
            file.load_packs(dirs, &base);
        }

        let rules = &raw.rules;
        let select = rules.select.as_deref().map(|r| file.rules(r)).transpose()?;
        let mut ignore = file.rules(&rules.ignore)?;
        let severity = file.severities(&rules.severity, &mut ignore)?;

        let per_file_ignores = raw
            .per_file_ignores
            .iter()
            .map(|p| {
                Ok(PerFileIgnore {
                    files: file.files(&p.files)?,
                    ignore: file.rules(&p.ignore)?,
                })
            })
            .collect::<Result<_, _>>()?;
        let profiles = file
            .profile_tables(&root)?
            .into_iter()
            .map(|table| file.profile(table))
            .collect::<Result<_, _>>()?;
        let suppressions = raw
            .suppressions
            .iter()
            .map(|s| file.suppression(s.get_ref(), s.span()))
            .collect::<Result<_, _>>()?;

        Ok(Config {
            path: path.to_path_buf(),
            base,
            include: raw.include.as_deref().map(|g| file.globs(g)).transpose()?,
            exclude: raw.exclude.as_deref().map(|g| file.globs(g)).transpose()?,
            fail_on: raw.fail_on.as_ref().map(|f| file.fail_on(f)).transpose()?,
            select,
            ignore,
            severity,
            per_file_ignores,
            profiles,
            suppressions,
            packs: file.packs,
            warnings: file.warnings,
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

/// toml's messages as one line, like ours (the CLI's `file:line: message`,
/// the editor's status item); an empty one says `invalid TOML`, and its line
/// says where.
pub(crate) fn one_line(message: &str) -> String {
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

/// A message with the control characters of the values it quotes escaped
/// (`unknown rule `a\nb``): a TOML string may hold a newline, and a message
/// stays on one line, as the CLI's `file:line: message` and the editor's
/// status item need.
pub(crate) fn escape_controls(message: String) -> String {
    if !message.chars().any(char::is_control) {
        return message;
    }
    let mut escaped = String::with_capacity(message.len() + 8);
    for c in message.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// The config file being parsed: turns spans into lines for errors, and
/// collects what lenient reading skips.
struct File<'a> {
    path: &'a Path,
    text: &'a str,
    mode: Mode,
    warnings: Vec<ConfigError>,
    packs: Packs,
}

impl File<'_> {
    fn line_of(&self, offset: usize) -> usize {
        // Bytes, not a `str` slice: a span is not trusted to start on a
        // character boundary.
        let before = &self.text.as_bytes()[..offset.min(self.text.len())];
        1 + before.iter().filter(|&&b| b == b'\n').count()
    }

    fn error(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            line: span.map(|s| self.line_of(s.start)),
            column: None,
            message: escape_controls(message),
            rule_pack: false,
        }
    }

    /// Loads the packs `rule-packs` names (relative to the config). A
    /// directory that does not exist is an error at its entry; the packs'
    /// errors go with them, and the config applies either way.
    fn load_packs(&mut self, entries: &[Spanned<String>], base: &Path) {
        let mut dirs = Vec::new();
        let mut missing = Vec::new();
        for entry in entries {
            let dir = base.join(entry.get_ref());
            if dir.is_dir() {
                dirs.push(dir);
            } else {
                let mut error = self.error(
                    Some(entry.span()),
                    format!(
                        "the rule pack `{}` is not a directory (rule-packs are relative to the config)",
                        entry.get_ref()
                    ),
                );
                error.column = Some(crate::packs::line_column(self.text, entry.span().start).1);
                error.rule_pack = true;
                missing.push(error);
            }
        }
        self.packs = Packs::load(&dirs, base);
        self.packs.errors.splice(0..0, missing);
    }

    /// A serde error, at its span.
    fn de_error(&self, e: &toml::de::Error) -> ConfigError {
        self.error(toml_tree::span_of(e), one_line(e.message()))
    }

    /// Deserializes `tree`. In lenient mode an unknown key is left out, with
    /// a warning.
    fn deserialize<T: DeserializeOwned>(&mut self, tree: &Tree<'_>) -> Result<T, ConfigError> {
        let read = toml_tree::read::<T>(tree, self.mode == Mode::Lenient);
        for skipped in &read.skipped {
            let mut warning = self.de_error(skipped);
            warning.message.push_str("; skipped");
            self.warnings.push(warning);
        }
        read.value.map_err(|e| self.de_error(&e))
    }

    fn globs(&self, patterns: &[Spanned<String>]) -> Result<Globs, ConfigError> {
        let texts: Vec<&str> = patterns.iter().map(|p| p.get_ref().as_str()).collect();
        Globs::new(&texts).map_err(|e| self.error(Some(patterns[e.index].span()), e.message))
    }

    /// A `files` list, which may not be empty.
    fn files(&self, files: &Spanned<Vec<Spanned<String>>>) -> Result<Globs, ConfigError> {
        if files.get_ref().is_empty() {
            return Err(self.error(Some(files.span()), "`files` is empty".into()));
        }
        self.globs(files.get_ref())
    }

    /// The codes the selectors stand for. In lenient mode a selector that
    /// names no rule is skipped with a warning.
    fn rules(&mut self, selectors: &[Spanned<String>]) -> Result<Vec<&'static str>, ConfigError> {
        let mut codes = Vec::new();
        for s in selectors {
            match selector::resolve_all_with([s.get_ref().as_str()], &self.packs.rules) {
                Ok(resolved) => codes.extend(resolved),
                Err(e) => self.unknown_rule(s.span(), e)?,
            }
        }
        Ok(codes)
    }

    fn unknown_rule(&mut self, span: Range<usize>, message: String) -> Result<(), ConfigError> {
        let error = self.error(Some(span), message);
        match self.mode {
            Mode::Strict => Err(error),
            Mode::Lenient => {
                self.warnings.push(ConfigError {
                    message: format!("{}; skipped", error.message),
                    ..error
                });
                Ok(())
            }
        }
    }

    fn fail_on(&self, level: &Spanned<String>) -> Result<Severity, ConfigError> {
        Severity::parse(level.get_ref()).ok_or_else(|| {
            self.error(
                Some(level.span()),
                format!(
                    "`fail-on` must be \"error\", \"warning\", \"info\" or \"hint\", not \"{}\"",
                    level.get_ref()
                ),
            )
        })
    }

    /// `[rules.severity]`: the selector of each entry may name a pack or a
    /// prefix; a narrower selector wins over a wider one whatever their
    /// order, so that `services = "warning"` and `PC401 = "info"` give PC401
    /// info. `off` turns the rules off (into `ignore`).
    fn severities(
        &mut self,
        entries: &BTreeMap<Spanned<String>, Spanned<String>>,
        ignore: &mut Vec<&'static str>,
    ) -> Result<HashMap<&'static str, Severity>, ConfigError> {
        let mut resolved: Vec<(Vec<&'static str>, Level)> = Vec::new();
        for (key, value) in entries {
            let Some(level) = Level::parse(value.get_ref()) else {
                return Err(self.error(
                    Some(value.span()),
                    format!(
                        "`{}`: expected \"error\", \"warning\", \"info\", \"hint\" or \"off\", not \"{}\"",
                        key.get_ref(),
                        value.get_ref()
                    ),
                ));
            };
            match selector::resolve_with(key.get_ref(), &self.packs.rules) {
                Ok(rules) => resolved.push((rules, level)),
                Err(e) => self.unknown_rule(key.span(), e)?,
            }
        }
        resolved.sort_by_key(|(rules, _)| std::cmp::Reverse(rules.len()));
        let mut levels: HashMap<&'static str, &Level> = HashMap::new();
        for (rules, level) in &resolved {
            for code in rules {
                levels.insert(code, level);
            }
        }
        let mut severity = HashMap::new();
        for (code, level) in levels {
            match level {
                Level::Off => {
                    if !ignore.contains(&code) {
                        ignore.push(code);
                    }
                }
                Level::At(s) => {
                    severity.insert(code, *s);
                }
            }
        }
        Ok(severity)
    }

    /// The `[[profiles]]` entries (or an inline `profiles = [{...}]`), each
    /// a table with the span of its entry.
    fn profile_tables<'text>(
        &self,
        root: &Tree<'text>,
    ) -> Result<Vec<Spanned<DeTable<'text>>>, ConfigError> {
        let not_tables = |span| {
            self.error(
                Some(span),
                "`profiles` must be an array of tables: write `[[profiles]]`".into(),
            )
        };
        let Some(profiles) = root.get_ref().get("profiles") else {
            return Ok(Vec::new());
        };
        match profiles.get_ref() {
            DeValue::Array(array) => array
                .iter()
                .map(|entry| match entry.get_ref() {
                    DeValue::Table(table) => Ok(Spanned::new(entry.span(), table.clone())),
                    _ => Err(not_tables(entry.span())),
                })
                .collect(),
            _ => Err(not_tables(profiles.span())),
        }
    }

    /// One profile entry: `files` (ours), and the rest deserialized as the
    /// analyzer's `Profile`, whose `deny_unknown_fields` then applies.
    fn profile(&mut self, entry: Spanned<DeTable<'_>>) -> Result<ProfileEntry, ConfigError> {
        let span = entry.span();
        let mut table = entry.into_inner();
        let files = table.remove("files");
        let profile: Profile =
            self.deserialize(&Spanned::new(span.clone(), DeValue::Table(table)))?;
        let Some(files) = files else {
            return Err(self.error(Some(span), "missing field `files`".into()));
        };
        let files = toml_tree::read::<Spanned<Vec<Spanned<String>>>>(&files, false)
            .value
            .map_err(|e| self.de_error(&e))?;
        Ok(ProfileEntry {
            files: self.files(&files)?,
            profile,
        })
    }

    fn suppression(
        &mut self,
        raw: &RawSuppression,
        span: Range<usize>,
    ) -> Result<Suppression, ConfigError> {
        let line = self.line_of(span.start);
        let reason = match &raw.reason {
            Some(reason) if !reason.get_ref().trim().is_empty() => reason.get_ref().trim(),
            Some(reason) => {
                return Err(self.error(
                    Some(reason.span()),
                    "the suppression's `reason` is empty: say why these findings are accepted"
                        .into(),
                ))
            }
            None => {
                return Err(self.error(
                    Some(span),
                    "the suppression has no `reason`: add `reason = \"...\"` saying why these findings are accepted".into(),
                ))
            }
        };
        if raw.rules.get_ref().is_empty() {
            return Err(self.error(Some(raw.rules.span()), "`rules` is empty".into()));
        }
        if let Some(pointer) = raw
            .pointer
            .as_ref()
            .filter(|p| !p.get_ref().starts_with('/'))
        {
            return Err(self.error(
                Some(pointer.span()),
                format!(
                    "`pointer` is a JSON pointer, which starts with `/`: `/Statement/0`, not `{}`",
                    pointer.get_ref()
                ),
            ));
        }
        Ok(Suppression {
            rules: self.rules(raw.rules.get_ref())?,
            rules_written: raw
                .rules
                .get_ref()
                .iter()
                .map(|r| r.get_ref().clone())
                .collect(),
            files: self.files(&raw.files)?,
            files_written: raw
                .files
                .get_ref()
                .iter()
                .map(|f| f.get_ref().clone())
                .collect(),
            statement: raw.statement.clone(),
            pointer: raw.pointer.as_ref().map(|p| p.get_ref().clone()),
            reason: reason.to_string(),
            line,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/repo/policy-check.toml"), text, Mode::Strict)
    }

    fn lenient(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/repo/policy-check.toml"), text, Mode::Lenient)
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
[[suppressions]]
rules = ["{code}"]
files = ["keys/partner.json"]
statement = "PartnerDecrypt"
reason = "reviewed"
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
        assert_eq!(profile.services.len(), 1);
        assert_eq!(profile.account.as_deref(), Some("111122223333"));
        assert!(config.profile_for(Path::new("keys/efs-1.json")).is_none());
        let suppression = &config.suppressions[0];
        assert_eq!(suppression.rules, vec![first.code]);
        assert_eq!(suppression.statement.as_deref(), Some("PartnerDecrypt"));
        assert_eq!(suppression.reason, "reviewed");
        assert_eq!(suppression.line, 18, "the `[[suppressions]]` line");
        assert!(config.warnings.is_empty());
    }

    #[test]
    fn packs_prefixes_and_off_select_and_set_severities() {
        let config = parse(
            "[rules]\nselect = [\"syntax\", \"PC2\"]\n[rules.severity]\nPC002 = \"off\"\nservices = \"warning\"\nPC401 = \"hint\"\n",
        )
        .unwrap();
        let select = config.select.unwrap();
        assert!(select.contains(&"PC001") && select.contains(&"PC201"));
        assert!(!select.iter().any(|c| c.starts_with("PC1")));
        assert_eq!(config.ignore, vec!["PC002"]);
        assert_eq!(
            config.severity["PC401"],
            Severity::Hint,
            "the narrower wins"
        );
        assert_eq!(config.severity["PC402"], Severity::Warning);
    }

    #[test]
    fn unknown_keys_name_their_line() {
        assert!(error("include = []\nexlude = []\n")
            .starts_with("/repo/policy-check.toml:2: unknown field `exlude`"));
        assert!(error("[rules]\nselct = []\n")
            .starts_with("/repo/policy-check.toml:2: unknown field `selct`"));
        let e = error("[[profiles]]\nfiles = [\"*.json\"]\n\nacount = \"1\"\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:4: unknown field `acount`"),
            "{e}"
        );
    }

    #[test]
    fn lenient_reading_skips_unknown_keys_and_rules_with_a_warning() {
        let config = lenient(
            "exlude = []\nfail-on = \"error\"\n[rules]\nignore = [\"PC002\", \"PC999\"]\nfuture = 1\n[[profiles]]\nfiles = [\"*.json\"]\nacount = \"1\"\nregion = \"us-east-1\"\n",
        )
        .unwrap();
        let warnings: Vec<String> = config.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(warnings[0].starts_with("/repo/policy-check.toml:1: unknown field `exlude`"));
        assert!(warnings
            .iter()
            .any(|w| w.starts_with("/repo/policy-check.toml:5: unknown field `future`")));
        assert!(warnings
            .iter()
            .any(|w| w == "/repo/policy-check.toml:4: unknown rule `PC999`; skipped"));
        assert!(warnings
            .iter()
            .any(|w| w.starts_with("/repo/policy-check.toml:8: unknown field `acount`")));
        assert_eq!(config.fail_on, Some(Severity::Error));
        assert_eq!(config.ignore, vec!["PC002"]);
        assert_eq!(
            config.profiles[0].profile.region.as_deref(),
            Some("us-east-1")
        );
        // What is wrong, not unknown, is still an error.
        assert!(lenient("fail-on = 3\n").is_err());
        assert!(lenient("include = [\n").is_err());
    }

    #[test]
    fn wrong_types_and_values_name_their_line() {
        assert_eq!(
            error("fail-on = \"sometimes\"\n"),
            "/repo/policy-check.toml:1: `fail-on` must be \"error\", \"warning\", \"info\" or \"hint\", not \"sometimes\""
        );
        assert_eq!(
            error("[rules.severity]\nPC002 = \"loud\"\n"),
            "/repo/policy-check.toml:2: `PC002`: expected \"error\", \"warning\", \"info\", \"hint\" or \"off\", not \"loud\""
        );
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
    fn profile_keys_are_the_service_models_parameters_and_their_values_are_checked() {
        let config = parse(
            "[[profiles]]\nfiles = [\"a\"]\nservices = [\"s3-link\"]\ncache-id = \"fc-0123456789abcdef0\"\nbucket-keys = false\n",
        )
        .unwrap();
        let profile = &config.profiles[0].profile;
        assert_eq!(profile.text("file-system-id"), Some("fc-0123456789abcdef0"));
        assert_eq!(profile.flag("bucket-keys"), Some(false));
        assert_eq!(
            error("[[profiles]]\nfiles = [\"a\"]\n\ncache-id = \"file_cache_id\"\n"),
            "/repo/policy-check.toml:4: `file-system-id`: `file_cache_id` is not `fs-*` or `fc-*`"
        );
        assert!(
            error("[[profiles]]\nfiles = [\"a\"]\nbucket-keys = \"on\"\n")
                .starts_with("/repo/policy-check.toml:3: invalid type"),
        );
        assert_eq!(
            error("[[profiles]]\nfiles = [\"a\"]\nregion = \"bucket-region\"\n"),
            "/repo/policy-check.toml:3: `region`: `bucket-region` is not an AWS Region name such as `us-east-1`"
        );
        let e = error("[[profiles]]\nfiles = [\"a\"]\nservices = [\"fsxx\"]\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:3: unknown variant `fsxx`, expected one of"),
            "{e}"
        );
        let e = error("[[profiles]]\nfiles = [\"a\"]\nbuckett = \"b\"\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:3: unknown field `buckett`, expected one of"),
            "{e}"
        );
    }

    #[test]
    fn a_suppression_needs_a_reason_rules_files_and_a_real_pointer() {
        assert_eq!(
            error("\n[[suppressions]]\nrules = [\"PC501\"]\nfiles = [\"a.json\"]\n"),
            "/repo/policy-check.toml:2: the suppression has no `reason`: add `reason = \"...\"` saying why these findings are accepted"
        );
        assert_eq!(
            error("[[suppressions]]\nrules = [\"PC501\"]\nfiles = [\"a.json\"]\nreason = \"  \"\n"),
            "/repo/policy-check.toml:4: the suppression's `reason` is empty: say why these findings are accepted"
        );
        assert_eq!(
            error("[[suppressions]]\nrules = []\nfiles = [\"a.json\"]\nreason = \"r\"\n"),
            "/repo/policy-check.toml:2: `rules` is empty"
        );
        assert!(
            error("[[suppressions]]\nrules = [\"PC501\"]\nreason = \"r\"\n")
                .starts_with("/repo/policy-check.toml:1: missing field `files`")
        );
        assert_eq!(
            error("[[suppressions]]\nrules = [\"PC501\"]\nfiles = [\"a.json\"]\npointer = \"Statement/0\"\nreason = \"r\"\n"),
            "/repo/policy-check.toml:4: `pointer` is a JSON pointer, which starts with `/`: `/Statement/0`, not `Statement/0`"
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
        // A TOML string may hold a newline; the message stays on one line.
        let e = error("[rules]\nselect = [\"unk\\nown-action\"]\n");
        assert_eq!(
            e,
            "/repo/policy-check.toml:2: unknown rule `unk\\nown-action` (did you mean `unknown-action`?)"
        );
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let e = error("include = [\"a\"\n\nexclude = 3 3\n");
        assert!(e.starts_with("/repo/policy-check.toml:"), "{e}");
        assert!(e.contains(":3:") || e.contains(":1:"), "{e}");
    }

    /// toml keeps a table's keys in name order; the error reported is still
    /// the one a reader meets first, going down the file.
    #[test]
    fn the_first_error_in_the_file_is_reported_whatever_the_keys_names() {
        assert!(error("zzz = 1\naaa = 2\n")
            .starts_with("/repo/policy-check.toml:1: unknown field `zzz`"));
        assert!(error("[rules]\nselect = 3\nignore = 3\n")
            .starts_with("/repo/policy-check.toml:2: invalid type: integer `3`"));
        // Not the `missing field` that leaving `rules` out would give.
        assert!(
            error("[[suppressions]]\nrules = 3\nfiles = [\"a\"]\nreason = \"r\"\n")
                .starts_with("/repo/policy-check.toml:2: invalid type: integer `3`")
        );
        // A table missing a key, before a wrong key in a table named earlier.
        assert!(error(
            "[[suppressions]]\nrules = [\"PC501\"]\nreason = \"r\"\n[rules]\nselct = []\n"
        )
        .starts_with("/repo/policy-check.toml:1: missing field `files`"));
        let e = error("[[profiles]]\nfiles = [\"a\"]\nregion = 3\naccount = 3\n");
        assert!(
            e.starts_with("/repo/policy-check.toml:3: invalid type: integer `3`"),
            "{e}"
        );
    }

    #[test]
    fn lenient_warnings_come_in_file_order() {
        let config = lenient("zzz = 1\naaa = 2\n[rules]\nzz = 1\naa = 2\n").unwrap();
        let lines: Vec<Option<usize>> = config.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(1), Some(2), Some(4), Some(5)]);
    }

    /// Each unknown key costs a reading of the whole file; a file of
    /// thousands is read at most 64 times. The names are in file order and
    /// in name order alike, so each reading meets the next key.
    #[test]
    fn thousands_of_unknown_keys_are_read_a_bounded_number_of_times() {
        let text: String = (0..5_000)
            .map(|i| format!("unknown_{i:04} = 1\n"))
            .collect();
        assert!(error(&text).starts_with("/repo/policy-check.toml:1: unknown field `unknown_0000`"));
        // The server skips the first 63 with a warning; the 64th is the
        // config's error.
        let e = lenient(&text).unwrap_err().to_string();
        assert!(
            e.starts_with("/repo/policy-check.toml:64: unknown field `unknown_0063`"),
            "{e}"
        );
    }

    /// toml puts an array left open at its last element; the line is the one
    /// toml_edit gave: the end of the file, past blank lines and comments.
    #[test]
    fn an_array_open_at_the_end_is_reported_at_the_end() {
        assert_eq!(
            error("exclude = [\"x\" # open\n\n# more\n"),
            "/repo/policy-check.toml:4: unclosed array, expected `]`"
        );
        assert!(error("exclude = [\"x\"\ninclude = []\n")
            .starts_with("/repo/policy-check.toml:2: missing comma"));
    }

    /// toml_edit gave no message for a value missing at the end of the
    /// file (the error said `invalid TOML`); toml 1 gives one.
    #[test]
    fn a_value_missing_at_the_end_is_still_explained() {
        let e = error("[[profiles]]\nfiles = [\"*.json\"]\nservices =");
        assert_eq!(
            e,
            "/repo/policy-check.toml:3: string values must be quoted, expected literal string"
        );
    }
}
