//! `--fix` and `--diff`: applying the fixes findings offer until the files
//! are stable, and only where the result still reads.
//!
//! A pass applies every fix it may (safe ones; unsafe ones too with
//! `--unsafe-fixes`) whose edits overlap no other fix's, then analyses the
//! files again: a fix can reveal or remove other findings. A file whose new
//! text has more syntax errors than before (JSON, YAML or HCL that no longer
//! parses) keeps its last good text. Passes stop when nothing changes, or
//! after [`MAX_PASSES`].

use std::io::{self, Write};
use std::path::Path;

use policy_analyzer::{Applicability, Diagnostic, Fix};

/// Passes before giving up on reaching a stable text.
pub const MAX_PASSES: usize = 10;

/// The codes that mean a file no longer parses.
const SYNTAX_CODES: [&str; 3] = ["PC001", "PC006", "PC007"];

/// Which fixes to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixMode {
    Safe,
    SafeAndUnsafe,
}

impl FixMode {
    fn applies(self, fix: &Fix) -> bool {
        fix.applicability == Applicability::Safe || self == FixMode::SafeAndUnsafe
    }
}

/// One file of a job: its path as shown, and its text before and after.
#[derive(Clone, Debug)]
pub struct FixedFile {
    pub path: String,
    pub original: String,
    pub text: String,
}

impl FixedFile {
    pub fn changed(&self) -> bool {
        self.original != self.text
    }
}

/// What fixing a job came to.
#[derive(Debug)]
pub struct Fixed {
    pub files: Vec<FixedFile>,
    /// Findings whose fixes were applied.
    pub fixed: usize,
    /// The findings of the final texts.
    pub diagnostics: Vec<Diagnostic>,
}

/// Applies fixes to `files` (path, text) until they are stable. `analyze`
/// analyses the current texts; each finding names its file (or none, for
/// the first file).
pub fn fix_until_stable(
    files: Vec<(String, String)>,
    mode: FixMode,
    mut analyze: impl FnMut(&[FixedFile]) -> Vec<Diagnostic>,
) -> Fixed {
    let mut files: Vec<FixedFile> = files
        .into_iter()
        .map(|(path, text)| FixedFile {
            path,
            original: text.clone(),
            text,
        })
        .collect();
    let mut fixed = 0;
    let mut diagnostics = analyze(&files);
    // Files a fix broke: they are not fixed any further.
    let mut frozen = vec![false; files.len()];
    // Fixes already applied, per file: one that comes back did not resolve
    // its finding, and applying it again would only repeat its edit.
    let mut applied: Vec<Vec<Fix>> = vec![Vec::new(); files.len()];
    for _ in 0..MAX_PASSES {
        // Per file changed in this pass: its index, its text before, the
        // fixes applied, and its syntax errors before.
        let mut pass: Vec<(usize, String, usize, usize)> = Vec::new();
        for i in 0..files.len() {
            if frozen[i] {
                continue;
            }
            let mut fixes = applicable(of_file(&diagnostics, &files, i), mode);
            fixes.retain(|f| !applied[i].contains(f));
            if fixes.is_empty() {
                continue;
            }
            applied[i].extend(fixes.iter().map(|f| (*f).clone()));
            let next = apply(&files[i].text, &fixes);
            if next == files[i].text {
                continue;
            }
            let before = syntax_errors(of_file(&diagnostics, &files, i));
            let previous = std::mem::replace(&mut files[i].text, next);
            fixed += fixes.len();
            pass.push((i, previous, fixes.len(), before));
        }
        if pass.is_empty() {
            break;
        }
        diagnostics = analyze(&files);
        // A pass that broke a file is undone there, and the file frozen.
        let mut undone = false;
        for (i, previous, count, before) in pass {
            if syntax_errors(of_file(&diagnostics, &files, i)) > before {
                files[i].text = previous;
                frozen[i] = true;
                fixed -= count;
                undone = true;
            }
        }
        if undone {
            diagnostics = analyze(&files);
        }
    }
    Fixed {
        files,
        fixed,
        diagnostics,
    }
}

/// The findings of file `i` (a finding without a file is the first file's).
fn of_file<'d>(
    diagnostics: &'d [Diagnostic],
    files: &[FixedFile],
    i: usize,
) -> impl Iterator<Item = &'d Diagnostic> {
    let path = files[i].path.clone();
    diagnostics.iter().filter(move |d| match d.file.as_deref() {
        Some(f) => f == path,
        None => i == 0,
    })
}

fn syntax_errors<'d>(diagnostics: impl Iterator<Item = &'d Diagnostic>) -> usize {
    diagnostics
        .filter(|d| SYNTAX_CODES.contains(&d.code))
        .count()
}

/// The fixes of one pass: those the mode allows, in position order, none
/// overlapping another (the first wins; the rest wait for the next pass).
fn applicable<'d>(
    diagnostics: impl Iterator<Item = &'d Diagnostic>,
    mode: FixMode,
) -> Vec<&'d Fix> {
    let mut fixes: Vec<&Fix> = diagnostics
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| mode.applies(f) && !f.edits.is_empty())
        .collect();
    fixes.sort_by_key(|f| f.edits.iter().map(|e| e.range.start).min());
    let mut taken: Vec<(u32, u32)> = Vec::new();
    fixes.retain(|f| {
        let overlaps = f.edits.iter().any(|e| {
            taken.iter().any(|&(s, t)| {
                e.range.start < t && s < e.range.end
                    // Two insertions at one point would depend on their order.
                    || (e.range.start == e.range.end && e.range.start == s)
                    || (s == t && s == e.range.start)
            })
        });
        if !overlaps {
            taken.extend(f.edits.iter().map(|e| (e.range.start, e.range.end)));
        }
        !overlaps
    });
    fixes
}

/// `text` with the edits of `fixes` applied (they do not overlap).
fn apply(text: &str, fixes: &[&Fix]) -> String {
    let mut edits: Vec<_> = fixes.iter().flat_map(|f| f.edits.iter()).collect();
    edits.sort_by_key(|e| std::cmp::Reverse((e.range.start, e.range.end)));
    let mut out = text.to_string();
    for e in edits {
        if out.is_char_boundary(e.range.start as usize)
            && out.is_char_boundary(e.range.end as usize)
        {
            out.replace_range(e.range.as_usize(), &e.replacement);
        }
    }
    out
}

/// Writes `text` to `path` atomically: a temporary file beside it, renamed
/// over it, so that an interruption leaves the old text or the new, never
/// half of one. The file keeps its permissions.
pub fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile_in(dir, &name)?;
    temp.1.write_all(text.as_bytes())?;
    temp.1.sync_all()?;
    if let Ok(metadata) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temp.0, metadata.permissions());
    }
    drop(temp.1);
    std::fs::rename(&temp.0, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp.0);
    })
}

/// A new file in `dir`, named after `name`, that did not exist.
fn tempfile_in(dir: &Path, name: &str) -> io::Result<(std::path::PathBuf, std::fs::File)> {
    for n in 0..1000u32 {
        let path = dir.join(format!(".{name}.policy-check-{}-{n}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("cannot create a temporary file beside it"))
}

/// A unified diff of a file's fixes, as `git diff` shows one.
pub fn unified_diff(file: &FixedFile) -> String {
    diffy::DiffOptions::new()
        .set_context_len(3)
        .set_original_filename(format!("a/{}", file.path))
        .set_modified_filename(format!("b/{}", file.path))
        .create_patch(&file.original, &file.text)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy_analyzer::{analyze, AnalyzeOptions};

    fn fix_json(text: &str, mode: FixMode) -> Fixed {
        fix_until_stable(vec![("p.json".into(), text.into())], mode, |files| {
            analyze(&files[0].text, &AnalyzeOptions::default()).diagnostics
        })
    }

    #[test]
    fn fixes_apply_until_stable_and_keep_the_layout() {
        let text = "{\r\n  \"Version\": \"2012-10-17\",\r\n  \"Statement\": [\r\n    {\r\n      \"Effect\": \"Allow\",\r\n      \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"},\r\n      \"Action\": [\"kms:*\", \"KMS:decrypt\",],\r\n      \"Resource\": \"*\"\r\n    }\r\n  ]\r\n}\r\n";
        let fixed = fix_json(text, FixMode::Safe);
        let file = &fixed.files[0];
        assert!(file.changed());
        assert!(fixed.fixed >= 2, "{fixed:?}");
        // Line endings and indentation stay; the trailing comma is gone.
        assert!(
            file.text.contains("\r\n      \"Resource\""),
            "{}",
            file.text
        );
        assert!(!file.text.contains(",]"), "{}", file.text);
        let again = fix_json(&file.text, FixMode::Safe);
        assert_eq!(again.fixed, 0, "a second run changes nothing: {again:?}");
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_pass() {
        let fix = |start: u32, end: u32| Diagnostic {
            fix: Some(Fix::replace(
                "x",
                policy_analyzer::TextRange { start, end },
                "y",
            )),
            ..sample()
        };
        let diagnostics = [fix(0, 4), fix(2, 6), fix(6, 8)];
        let chosen = applicable(diagnostics.iter(), FixMode::Safe);
        assert_eq!(chosen.len(), 2);
    }

    fn sample() -> Diagnostic {
        analyze("{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"kms:Decrypts\", \"Resource\": \"*\"}]}", &AnalyzeOptions::default())
            .diagnostics
            .into_iter()
            .next()
            .unwrap()
    }

    #[test]
    fn atomic_writes_replace_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
