//! Baselines: `--write-baseline FILE` records today's findings, and
//! `--baseline FILE` then reports only the findings that are not in it, so
//! that a repository can adopt policy-check without fixing every old
//! finding first.
//!
//! A finding is recorded by what identifies it whatever else changes in the
//! file: its rule, its file (relative to the baseline), its JSON pointer
//! with the statement's index left out, the digest of its statement's
//! normalised content, and the text it flags. Adding, moving or reformatting
//! other statements leaves the record matching; changing the statement
//! itself makes its findings new, which is what a reviewer wants to see.
//! Identical records are counted: two old findings cover two, not three.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use policy_analyzer::Diagnostic;
use serde::{Deserialize, Serialize};

/// The format of the file, for the readers of later versions.
const VERSION: u32 = 1;

/// The text a record keeps of the flagged range, at most.
const TEXT_CHARS: usize = 120;

/// One recorded finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Record {
    /// Relative to the baseline's directory, with `/`.
    pub path: String,
    pub code: String,
    /// The JSON pointer, the statement's index written `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The digest of the statement's normalised content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The flagged text, whitespace collapsed, at most 120 characters.
    pub text: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    /// What wrote it, for people.
    #[serde(default)]
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    record: Record,
    /// For people reading the file; not matched, so that a reworded
    /// message does not make an old finding new.
    #[serde(default)]
    message: String,
}

/// A loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    /// Where the records' paths are relative to.
    dir: PathBuf,
    /// Per file, each record with how many findings it stands for.
    by_path: HashMap<String, HashMap<Record, usize>>,
}

impl Baseline {
    /// Reads a baseline file; the error says what is wrong with it.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "--baseline {}: {}",
                path.display(),
                crate::files::io_message(&e)
            )
        })?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            format!(
                "--baseline {}:{}:{}: not a policy-check baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if file.version != VERSION {
            return Err(format!(
                "--baseline {}: version {} is not one this policy-check reads (it reads {VERSION}); write it again with --write-baseline",
                path.display(),
                file.version
            ));
        }
        let mut by_path: HashMap<String, HashMap<Record, usize>> = HashMap::new();
        for entry in file.findings {
            *by_path
                .entry(entry.record.path.clone())
                .or_default()
                .entry(entry.record)
                .or_default() += 1;
        }
        Ok(Baseline {
            dir: base_dir(path),
            by_path,
        })
    }

    /// Removes the findings of one file that the baseline holds; returns
    /// how many it removed.
    pub fn filter(&self, absolute: &Path, text: &str, diagnostics: &mut Vec<Diagnostic>) -> usize {
        let path = relative_key(&self.dir, absolute);
        let Some(records) = self.by_path.get(&path) else {
            return 0;
        };
        let mut left = records.clone();
        let before = diagnostics.len();
        diagnostics.retain(|d| {
            let record = record(&path, text, d);
            match left.get_mut(&record) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        before - diagnostics.len()
    }
}

/// Collects records for `--write-baseline`.
#[derive(Debug)]
pub struct Writer {
    path: PathBuf,
    dir: PathBuf,
}

/// A record ready to write, with its message.
pub struct Pending {
    record: Record,
    message: String,
}

impl Writer {
    pub fn new(path: &Path) -> Writer {
        Writer {
            path: path.to_path_buf(),
            dir: base_dir(path),
        }
    }

    /// The records of one file's findings.
    pub fn records(&self, absolute: &Path, text: &str, diagnostics: &[Diagnostic]) -> Vec<Pending> {
        let path = relative_key(&self.dir, absolute);
        diagnostics
            .iter()
            .map(|d| Pending {
                record: record(&path, text, d),
                message: d.message.clone(),
            })
            .collect()
    }

    /// Writes the baseline, sorted so that it diffs well.
    pub fn write(&self, mut pending: Vec<Pending>) -> std::io::Result<usize> {
        pending.sort_by(|a, b| {
            (
                &a.record.path,
                &a.record.code,
                &a.record.pointer,
                &a.record.text,
            )
                .cmp(&(
                    &b.record.path,
                    &b.record.code,
                    &b.record.pointer,
                    &b.record.text,
                ))
        });
        let count = pending.len();
        let file = File {
            version: VERSION,
            tool: format!("policy-check {}", env!("CARGO_PKG_VERSION")),
            findings: pending
                .into_iter()
                .map(|p| Entry {
                    record: p.record,
                    message: p.message,
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).expect("a baseline serializes");
        text.push('\n');
        crate::fix::write_atomically(&self.path, &text)?;
        Ok(count)
    }
}

/// The directory a baseline's paths are relative to: its own, absolute,
/// with `.` and `..` resolved as written (`../baseline.json`).
fn base_dir(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut dir = PathBuf::new();
    for component in absolute.parent().unwrap_or(Path::new("")).components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                dir.pop();
            }
            other => dir.push(other),
        }
    }
    dir
}

/// A file's key in a baseline: relative to its directory, with `/`, and
/// without `.` components. A file outside that directory keeps its
/// absolute path.
fn relative_key(dir: &Path, absolute: &Path) -> String {
    let absolute: PathBuf = absolute
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    match absolute.strip_prefix(dir) {
        Ok(relative) => relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => absolute.to_string_lossy().into_owned(),
    }
}

/// The record of one finding.
fn record(path: &str, text: &str, d: &Diagnostic) -> Record {
    let pointer = d.pointer.as_ref().map(|pointer| match &d.statement {
        Some(statement) => without_statement_index(pointer, statement.index),
        None => pointer.clone(),
    });
    let flagged = text
        .get(d.range.start as usize..d.range.end as usize)
        .unwrap_or("");
    let mut collapsed = String::new();
    for word in flagged.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
        if collapsed.chars().count() >= TEXT_CHARS {
            break;
        }
    }
    Record {
        path: path.to_string(),
        code: d.code.to_string(),
        pointer,
        statement: d.statement.as_ref().map(|s| s.digest.clone()),
        text: collapsed.chars().take(TEXT_CHARS).collect(),
    }
}

/// `/Statement/3/Action/0` → `/Statement/*/Action/0`: the statement's place
/// changes when another statement is added or removed before it.
fn without_statement_index(pointer: &str, index: usize) -> String {
    let segment = format!("/Statement/{index}");
    match pointer.find(&segment) {
        Some(at)
            if pointer[at + segment.len()..].is_empty()
                || pointer[at + segment.len()..].starts_with('/') =>
        {
            format!(
                "{}/Statement/*{}",
                &pointer[..at],
                &pointer[at + segment.len()..]
            )
        }
        _ => pointer.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_index_leaves_the_pointer() {
        assert_eq!(
            without_statement_index("/Statement/3/Action/0", 3),
            "/Statement/*/Action/0"
        );
        assert_eq!(
            without_statement_index("/Resources/K/Properties/KeyPolicy/Statement/1", 1),
            "/Resources/K/Properties/KeyPolicy/Statement/*"
        );
        assert_eq!(
            without_statement_index("/Statement/12/Action", 1),
            "/Statement/12/Action"
        );
    }

    #[test]
    fn keys_are_relative_with_slashes() {
        assert_eq!(
            relative_key(Path::new("/repo"), Path::new("/repo/./keys/a.json")),
            "keys/a.json"
        );
        assert_eq!(
            relative_key(Path::new("/repo"), Path::new("/elsewhere/a.json")),
            "/elsewhere/a.json"
        );
    }
}
