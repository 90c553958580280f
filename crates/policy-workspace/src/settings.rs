//! What applies to each checked file: the nearest `policy-check.toml` (or the
//! one given with `--config`) with the command-line flags on top.
//!
//! Configs are discovered upward from each file's directory and cached per
//! directory, so a directory of 10,000 policies costs one lookup, not 10,000.
//! The language server uses the same discovery, without flags, and clears it
//! when a config file changes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use policy_analyzer::user_rules::UserRules;
use policy_analyzer::{all_rules, AnalyzeOptions, RuleSelection, Severity};

use crate::config::{Config, ConfigError, Mode, Suppression, FILE_NAME};
use crate::glob::Globs;
use crate::selector;

/// The files a directory walk picks, unless `include` says otherwise: JSON
/// policies and templates, YAML templates, Terraform modules and the
/// templates they render.
pub const DEFAULT_INCLUDE: &[&str] = &[
    "*.json",
    "*.yaml",
    "*.yml",
    "*.template",
    "*.tf",
    "*.tpl",
    "*.tftpl",
];

/// The `include` default: the files of every reader.
pub fn default_include() -> Globs {
    Globs::new(DEFAULT_INCLUDE).expect("the default globs compile")
}

/// What the command line says about every file, above any config.
#[derive(Debug, Default)]
pub struct Overrides {
    /// The directory `--include` and `--exclude` are relative to.
    pub cwd: PathBuf,
    pub include: Option<Globs>,
    pub exclude: Option<Globs>,
    /// `--select`, as written: replaces the config's `select` and `ignore`.
    /// Resolved against each config's rules, its packs' included.
    pub select: Option<Vec<String>>,
    /// `--ignore`, as written: added to the config's `ignore`.
    pub ignore: Vec<String>,
    pub fail_on: Option<Severity>,
}

impl Overrides {
    /// Makes `path` absolute against the current directory, dropping `.`
    /// components, without touching the file system.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        };
        joined
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    }
}

/// The settings of one config file (or of none) under the overrides.
#[derive(Debug)]
pub struct Settings {
    config: Option<Config>,
    overrides: Arc<Overrides>,
    /// The directory the config's globs are relative to.
    base: PathBuf,
    default_include: Globs,
    options: AnalyzeOptions,
    pub fail_on: Severity,
}

impl Settings {
    pub fn new(config: Option<Config>, overrides: Arc<Overrides>) -> Settings {
        let base = config
            .as_ref()
            .map_or_else(|| overrides.cwd.clone(), |c| c.base.clone());
        let user: Arc<UserRules> = config
            .as_ref()
            .map(|c| c.packs.rules.clone())
            .unwrap_or_default();
        // Selectors the command line gives that name no rule here name
        // another config's (the command line checked that some config has them).
        let resolve = |selectors: &[String]| -> Vec<&'static str> {
            selectors
                .iter()
                .filter_map(|s| selector::resolve_with(s, &user).ok())
                .flatten()
                .collect()
        };
        let every = || all_rules().map(|r| r.code).chain(user.iter().map(|r| r.id));
        let enabled: Vec<&'static str> = match (&overrides.select, &config) {
            (Some(select), _) => resolve(select),
            (
                None,
                Some(Config {
                    select: Some(select),
                    ignore,
                    ..
                }),
            ) => select
                .iter()
                .copied()
                .filter(|c| !ignore.contains(c))
                .collect(),
            (None, config) => {
                let ignore = config.as_ref().map_or(&[][..], |c| &c.ignore[..]);
                every().filter(|c| !ignore.contains(c)).collect()
            }
        };
        let ignored = resolve(&overrides.ignore);
        let disabled = every()
            .filter(|c| !enabled.contains(c) || ignored.contains(c))
            .collect();
        let severity = config
            .as_ref()
            .map(|c| c.severity.clone())
            .unwrap_or_default();
        let fail_on = overrides
            .fail_on
            .or_else(|| config.as_ref().and_then(|c| c.fail_on))
            .unwrap_or(Severity::Warning);
        Settings {
            base,
            default_include: default_include(),
            options: AnalyzeOptions {
                rules: RuleSelection { disabled, severity },
                profile: None,
                user_rules: (!user.is_empty()).then_some(user),
            },
            fail_on,
            config,
            overrides,
        }
    }

    /// The config file these settings come from.
    pub fn config_path(&self) -> Option<&Path> {
        self.config.as_ref().map(|c| c.path.as_path())
    }

    /// The config these settings come from.
    pub fn config(&self) -> Option<&Config> {
        self.config.as_ref()
    }

    /// The user rules of the config's packs.
    pub fn user_rules(&self) -> &UserRules {
        static NONE: std::sync::OnceLock<UserRules> = std::sync::OnceLock::new();
        self.config
            .as_ref()
            .map_or_else(|| NONE.get_or_init(UserRules::default), |c| &c.packs.rules)
    }

    /// The config's `[[suppressions]]`.
    pub fn suppressions(&self) -> &[Suppression] {
        self.config.as_ref().map_or(&[], |c| &c.suppressions)
    }

    /// `path` relative to the config's directory, as its globs see it.
    pub fn relative_to_config<'p>(&self, absolute: &'p Path) -> &'p Path {
        Self::relative(absolute, &self.base)
    }

    /// Whether the config's own `include` names the file: the editor then
    /// diagnoses it even when it does not look like a policy.
    pub fn named_by_include(&self, absolute: &Path) -> bool {
        self.config
            .as_ref()
            .and_then(|c| c.include.as_ref())
            .is_some_and(|include| include.matches(Self::relative(absolute, &self.base)))
    }

    fn relative<'p>(path: &'p Path, base: &Path) -> &'p Path {
        path.strip_prefix(base).unwrap_or(path)
    }

    /// Whether a file found by walking a directory is to be checked:
    /// `--include` or the config's `include` (default: the readers' files).
    pub fn includes(&self, absolute: &Path) -> bool {
        if let Some(include) = &self.overrides.include {
            return include.matches(Self::relative(absolute, &self.overrides.cwd));
        }
        let include = self
            .config
            .as_ref()
            .and_then(|c| c.include.as_ref())
            .unwrap_or(&self.default_include);
        include.matches(Self::relative(absolute, &self.base))
    }

    /// Whether `--exclude` or the config's `exclude` excludes a file or
    /// directory. `or_inside` also tests its parent directories, for paths
    /// named on the command line (walked paths had their directories tested).
    pub fn excludes(&self, absolute: &Path, or_inside: bool) -> bool {
        let test = |globs: &Globs, base: &Path| {
            let relative = Self::relative(absolute, base);
            if or_inside {
                globs.matches_or_inside(relative)
            } else {
                globs.matches(relative)
            }
        };
        self.overrides
            .exclude
            .as_ref()
            .is_some_and(|g| test(g, &self.overrides.cwd))
            || self
                .config
                .as_ref()
                .and_then(|c| c.exclude.as_ref())
                .is_some_and(|g| test(g, &self.base))
    }

    /// The analysis options for one file: the per-file ignores and the
    /// profile that match it, on top of these settings.
    pub fn options_for(&self, absolute: &Path) -> Cow<'_, AnalyzeOptions> {
        let Some(config) = &self.config else {
            return Cow::Borrowed(&self.options);
        };
        let relative = Self::relative(absolute, &self.base);
        let profile = config.profile_for(relative);
        let mut ignores = config
            .per_file_ignores
            .iter()
            .filter(|p| p.files.matches(relative))
            .peekable();
        if profile.is_none() && ignores.peek().is_none() {
            return Cow::Borrowed(&self.options);
        }
        let mut options = self.options.clone();
        options.profile = profile.cloned();
        for ignore in ignores {
            options.rules.disabled.extend(&ignore.ignore);
        }
        Cow::Owned(options)
    }
}

/// The config file that governs a file, as an editor shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigInUse {
    /// The nearest `policy-check.toml` (or the one given with `--config`),
    /// whether or not it could be read.
    pub path: Option<PathBuf>,
    /// What its last reading found: the error that made it unusable (its
    /// last good version, or the defaults, apply instead), or what the
    /// lenient reader skipped. Empty when it was read cleanly.
    pub problems: Vec<ConfigError>,
}

/// Finds the settings of each directory, loading each config file once.
pub struct Discovery {
    overrides: Arc<Overrides>,
    mode: Mode,
    /// `--config` or `--no-config`: the same settings for every file, and
    /// the file they come from.
    fixed: Option<(Arc<Settings>, Option<PathBuf>)>,
    /// The settings of each directory, and the config file they were
    /// discovered from.
    by_directory: HashMap<PathBuf, (Arc<Settings>, Option<PathBuf>)>,
    /// What the last reading of each config file found (see
    /// [`ConfigInUse::problems`]).
    problems: HashMap<PathBuf, Vec<ConfigError>>,
    /// The last config read without error from each file: when an edit
    /// breaks a config, the editor keeps using it.
    last_good: HashMap<PathBuf, Config>,
    /// Config files that could not be used, and lenient warnings, not yet
    /// reported.
    errors: Vec<ConfigError>,
}

impl Discovery {
    /// `config`: `Some(Some(path))` for `--config PATH`, `Some(None)` for
    /// `--no-config`, `None` to discover.
    pub fn new(overrides: Arc<Overrides>, config: Option<Option<&Path>>, mode: Mode) -> Discovery {
        let mut discovery = Discovery {
            overrides,
            mode,
            fixed: None,
            by_directory: HashMap::new(),
            problems: HashMap::new(),
            last_good: HashMap::new(),
            errors: Vec::new(),
        };
        if let Some(config) = config {
            let path = config.map(|p| discovery.overrides.absolute(p));
            let settings = discovery.load(path.as_deref());
            discovery.fixed = Some((settings, path));
        }
        discovery
    }

    /// The settings for files in `directory` (absolute).
    pub fn for_directory(&mut self, directory: &Path) -> Arc<Settings> {
        self.discover(directory).0
    }

    /// The settings for a file (absolute).
    pub fn for_file(&mut self, file: &Path) -> Arc<Settings> {
        self.for_directory(parent_of(file))
    }

    /// Which config file governs a file (absolute), and what its last
    /// reading found: what an editor shows next to the file.
    pub fn in_use_for_file(&mut self, file: &Path) -> ConfigInUse {
        let path = self.discover(parent_of(file)).1;
        let problems = path
            .as_ref()
            .and_then(|path| self.problems.get(path))
            .cloned()
            .unwrap_or_default();
        ConfigInUse { path, problems }
    }

    /// The settings of a directory and the config file they come from.
    fn discover(&mut self, directory: &Path) -> (Arc<Settings>, Option<PathBuf>) {
        if let Some(fixed) = &self.fixed {
            return fixed.clone();
        }
        let directory = normalize(directory);
        if let Some(found) = self.by_directory.get(&directory) {
            return found.clone();
        }
        let candidate = directory.join(FILE_NAME);
        let found = if candidate.is_file() {
            (self.load(Some(&candidate)), Some(candidate))
        } else if let Some(parent) = directory.parent() {
            self.discover(parent)
        } else {
            (self.load(None), None)
        };
        self.by_directory.insert(directory, found.clone());
        found
    }

    /// Forgets every config read (one changed), but remembers the last good
    /// version of each, for a config that an edit breaks.
    pub fn clear(&mut self) {
        self.by_directory.clear();
    }

    /// Whether `path` (absolute) is a rule file, or could become one, of a
    /// pack that a config read so far names: its change reloads the configs.
    pub fn is_pack_file(&self, path: &Path) -> bool {
        self.fixed
            .iter()
            .chain(self.by_directory.values())
            .filter_map(|(settings, _)| settings.config())
            .chain(self.last_good.values())
            .any(|c| c.packs.contains(path))
    }

    /// Config errors and warnings found since the last call, to report in order.
    pub fn take_errors(&mut self) -> Vec<ConfigError> {
        std::mem::take(&mut self.errors)
    }

    /// A config that cannot be used is reported. Its files are checked with
    /// the last good version of the file when there is one (an editor, while
    /// the user edits it), else with the default settings, so that one typo
    /// does not hide every finding.
    fn load(&mut self, path: Option<&Path>) -> Arc<Settings> {
        let config = path.and_then(|path| match Config::load(path, self.mode) {
            Ok(config) => {
                let warnings: Vec<ConfigError> = config
                    .warnings
                    .iter()
                    .chain(&config.packs.errors)
                    .map(|warning| self.shown(warning.clone()))
                    .collect();
                self.errors.extend(warnings.iter().cloned());
                self.problems.insert(path.to_path_buf(), warnings);
                self.last_good.insert(path.to_path_buf(), config.clone());
                Some(config)
            }
            Err(error) => {
                let error = self.shown(error);
                self.errors.push(error.clone());
                self.problems.insert(path.to_path_buf(), vec![error]);
                self.last_good.get(path).cloned()
            }
        });
        Arc::new(Settings::new(config, self.overrides.clone()))
    }

    /// An error's path as the user would name it.
    fn shown(&self, mut error: ConfigError) -> ConfigError {
        if let Ok(relative) = error.path.strip_prefix(&self.overrides.cwd) {
            error.path = relative.to_path_buf();
        }
        error
    }
}

fn parent_of(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("/"))
}

/// Removes `.` and resolves `..` lexically, so that `a/./b/../c` and `a/c`
/// share a cache entry; symlinks are left alone (no I/O).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides() -> Arc<Overrides> {
        Arc::new(Overrides {
            cwd: PathBuf::from("/work"),
            ..Overrides::default()
        })
    }

    #[test]
    fn absolute_paths_drop_dot_components() {
        let o = overrides();
        assert_eq!(
            o.absolute(Path::new("./a/./b.json")),
            Path::new("/work/a/b.json")
        );
        assert_eq!(o.absolute(Path::new("/x/y")), Path::new("/x/y"));
    }

    #[test]
    fn defaults_include_policies_templates_and_modules() {
        let s = Settings::new(None, overrides());
        for included in [
            "a.json",
            "a.yaml",
            "a.yml",
            "a.template",
            "main.tf",
            "p.json.tpl",
            "p.tftpl",
        ] {
            assert!(
                s.includes(&Path::new("/work/keys").join(included)),
                "{included}"
            );
        }
        for excluded in ["a.txt", "a.md", "terraform.tfstate", "Makefile"] {
            assert!(
                !s.includes(&Path::new("/work/keys").join(excluded)),
                "{excluded}"
            );
        }
        assert!(!s.excludes(Path::new("/work/keys/a.json"), true));
        assert_eq!(s.fail_on, Severity::Warning);
        assert!(s.options.rules.disabled.is_empty());
    }

    #[test]
    fn command_line_select_replaces_and_ignore_adds() {
        let first = all_rules().next().unwrap().code;
        let text = format!("[rules]\nignore = [\"{first}\"]\n");
        let config =
            Config::parse(Path::new("/work/policy-check.toml"), &text, Mode::Strict).unwrap();
        let s = Settings::new(Some(config.clone()), overrides());
        assert!(s.options.rules.disabled.contains(&first));

        let mut o = Overrides {
            cwd: PathBuf::from("/work"),
            ..Overrides::default()
        };
        o.select = Some(vec![first.to_string()]);
        let s = Settings::new(Some(config.clone()), Arc::new(o));
        assert_eq!(s.options.rules.disabled.len(), all_rules().count() - 1);
        assert!(!s.options.rules.disabled.contains(&first));

        let mut o = Overrides {
            cwd: PathBuf::from("/work"),
            ..Overrides::default()
        };
        o.ignore = vec![first.to_string()];
        let s = Settings::new(None, Arc::new(o));
        assert_eq!(s.options.rules.disabled, vec![first]);
    }

    #[test]
    fn per_file_ignores_and_profiles_apply_to_matching_files() {
        let first = all_rules().next().unwrap().code;
        let text = format!(
            "[[per-file-ignores]]\nfiles = [\"legacy/**\"]\nignore = [\"{first}\"]\n[[profiles]]\nfiles = [\"fsx-*.json\"]\nservices = [\"fsx\"]\n"
        );
        let config = Config::parse(
            Path::new("/work/keys/policy-check.toml"),
            &text,
            Mode::Strict,
        )
        .unwrap();
        let s = Settings::new(Some(config), overrides());
        assert!(matches!(
            s.options_for(Path::new("/work/keys/a.json")),
            Cow::Borrowed(_)
        ));
        let legacy = s.options_for(Path::new("/work/keys/legacy/a.json"));
        assert!(legacy.rules.disabled.contains(&first));
        let fsx = s.options_for(Path::new("/work/keys/fsx-1.json"));
        assert_eq!(
            fsx.profile.as_ref().unwrap().services,
            vec!["fsx".to_string()]
        );
    }

    #[test]
    fn the_config_in_use_is_named_with_its_problems_even_when_unreadable() {
        let dir =
            std::env::temp_dir().join(format!("policy-workspace-in-use-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("keys/app")).unwrap();
        let config = dir.join(FILE_NAME);
        let first = all_rules().next().unwrap().code;
        std::fs::write(&config, format!("[rules]\nignore = [\"{first}\"]\n")).unwrap();
        let file = dir.join("keys/app/key.json");

        let mut discovery = Discovery::new(Arc::new(Overrides::default()), None, Mode::Lenient);
        assert_eq!(
            discovery.in_use_for_file(&file),
            ConfigInUse {
                path: Some(config.clone()),
                problems: vec![]
            }
        );

        // Broken by an edit: still named, with the error, and the last good
        // version still applies.
        std::fs::write(&config, "[rules\n").unwrap();
        discovery.clear();
        let in_use = discovery.in_use_for_file(&file);
        assert_eq!(in_use.path.as_ref(), Some(&config));
        assert_eq!(in_use.problems.len(), 1, "{in_use:?}");
        assert_eq!(in_use.problems[0].line, Some(1));
        assert!(discovery
            .for_file(&file)
            .options
            .rules
            .disabled
            .contains(&first));
        assert_eq!(discovery.take_errors(), in_use.problems);

        // A nearer config governs the files under it.
        let nested = dir.join("keys").join(FILE_NAME);
        std::fs::write(&nested, "").unwrap();
        discovery.clear();
        assert_eq!(discovery.in_use_for_file(&file).path, Some(nested));
        assert_eq!(
            discovery.in_use_for_file(&dir.join("other.json")).path,
            Some(config)
        );

        std::fs::remove_dir_all(&dir).unwrap();
        let mut none = Discovery::new(Arc::new(Overrides::default()), Some(None), Mode::Lenient);
        assert_eq!(none.in_use_for_file(&file), ConfigInUse::default());
    }
}
