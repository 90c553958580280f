//! Globs as users write them in `--include`, `--exclude` and the config.
//!
//! Like .gitignore: a glob without a `/` matches a file or directory name at
//! any depth (`*.json`, `node_modules`); a glob with a `/` matches the path
//! relative to its base directory (`keys/*.json`, `legacy/**`), and a leading
//! `/` only anchors it. `*` and `?` stay within one path component; `**`
//! crosses components.

use std::path::Path;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};

/// Compiled globs, matched against paths relative to one base directory.
#[derive(Clone, Debug)]
pub struct Globs {
    set: GlobSet,
}

/// A glob that does not compile: which one, and why.
#[derive(Debug)]
pub struct BadGlob {
    /// Index into the patterns given to [`Globs::new`].
    pub index: usize,
    pub message: String,
}

impl Globs {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Globs, BadGlob> {
        let mut builder = GlobSetBuilder::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let pattern = pattern.as_ref();
            let anchored = pattern.trim_start_matches('/');
            let full = if pattern.contains('/') {
                anchored.to_string()
            } else {
                format!("**/{pattern}")
            };
            let glob = GlobBuilder::new(&full)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| BadGlob {
                    index,
                    message: format!("bad glob `{pattern}`: {}", e.kind()),
                })?;
            builder.add(glob);
        }
        let set = builder.build().map_err(|e| BadGlob {
            index: 0,
            message: e.to_string(),
        })?;
        Ok(Globs { set })
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Whether `relative` (a path relative to the base directory) matches.
    pub fn matches(&self, relative: &Path) -> bool {
        self.set.is_match_candidate(&Candidate::new(relative))
    }

    /// Whether `relative` or one of its parent directories matches: an
    /// excluded directory excludes everything inside it.
    pub fn matches_or_inside(&self, relative: &Path) -> bool {
        relative
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty())
            .any(|p| self.matches(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(patterns: &[&str]) -> Globs {
        Globs::new(patterns).unwrap()
    }

    #[test]
    fn without_slash_matches_names_at_any_depth() {
        let g = globs(&["*.json", "node_modules"]);
        assert!(g.matches(Path::new("a.json")));
        assert!(g.matches(Path::new("deep/er/a.json")));
        assert!(g.matches(Path::new("x/node_modules")));
        assert!(!g.matches(Path::new("a.json.bak")));
    }

    #[test]
    fn with_slash_is_relative_to_the_base() {
        let g = globs(&["keys/fsx-*.json", "/top.json"]);
        assert!(g.matches(Path::new("keys/fsx-1.json")));
        assert!(!g.matches(Path::new("other/keys/fsx-1.json")));
        assert!(
            !g.matches(Path::new("keys/sub/fsx-1.json")),
            "`*` stays in one component"
        );
        assert!(g.matches(Path::new("top.json")));
        assert!(!g.matches(Path::new("a/top.json")));
    }

    #[test]
    fn directories_exclude_their_contents() {
        let g = globs(&["legacy"]);
        assert!(g.matches_or_inside(Path::new("legacy/a/b.json")));
        assert!(!g.matches_or_inside(Path::new("current/b.json")));
        let g = globs(&["legacy/**"]);
        assert!(g.matches_or_inside(Path::new("legacy/a/b.json")));
    }

    #[test]
    fn bad_globs_name_the_pattern() {
        let err = Globs::new(&["ok/*.json", "bad/[.json"]).unwrap_err();
        assert_eq!(err.index, 1);
        assert!(err.message.contains("bad/[.json"), "{}", err.message);
    }
}
