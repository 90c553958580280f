//! End to end: which files are checked, and how bad input is reported. Each
//! case names the file and what went wrong, the other files are still
//! checked, and the exit code says so.

mod common;

use common::{codes, json, run, Scratch, CLEAN, COMMENT, TRAILING_COMMA};

#[test]
fn clean_policies_exit_0_with_only_the_summary() {
    let s = Scratch::new();
    s.write("keys/a.json", CLEAN);
    s.write("keys/b.json", CLEAN);
    let r = run(s.cmd().arg("keys"));
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("Checked 2 files in "), "{r:?}");
    assert!(r.stdout.trim_end().ends_with(": no findings"), "{r:?}");
    assert_eq!(r.stdout.lines().count(), 1, "{r:?}");
    assert_eq!(r.stderr, "");
}

#[test]
fn findings_exit_1_and_show_the_snippet() {
    let s = Scratch::new();
    s.write("keys/bad.json", TRAILING_COMMA);
    let r = run(s.cmd().arg("keys/bad.json"));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("PC004(error)"), "{r:?}");
    assert!(r.stdout.contains("[keys/bad.json:10:22]"), "{r:?}");
    assert!(
        r.stdout.contains(r#""Resource": "*","#),
        "the snippet is shown: {r:?}"
    );
    assert!(r.stdout.contains("help: delete the comma"), "{r:?}");
    assert!(r.stdout.contains("Checked 1 file in "), "{r:?}");
}

/// A file saved with classic Mac line ends (`\r` alone): LSP 3.17 and
/// editors end a line there, and every format gives the same line as they do.
#[test]
fn carriage_return_line_ends_count_as_lines_in_every_format() {
    let s = Scratch::new();
    s.write("keys/mac.json", TRAILING_COMMA.replace('\n', "\r"));
    let human = run(s.cmd().arg("keys/mac.json"));
    assert!(human.stdout.contains("[keys/mac.json:10:22]"), "{human:?}");
    assert!(
        human.stdout.contains(r#"10 │       "Resource": "*","#),
        "the snippet shows line 10 alone: {human:?}"
    );
    let out = json(&run(s.cmd().args(["--format", "json", "keys/mac.json"])));
    let d = &out["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "PC004");
    assert_eq!(d["range"]["start"]["line"], 10, "{d}");
    assert_eq!(d["range"]["start"]["column"], 22, "{d}");
    let sarif = json(&run(s.cmd().args(["--format", "sarif", "keys/mac.json"])));
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["region"]["startLine"], 10, "{location}");
    assert_eq!(
        location["contextRegion"]["snippet"]["text"],
        r#"      "Resource": "*","#
    );
    let github = run(s.cmd().args(["--format", "github", "keys/mac.json"]));
    assert!(github.stdout.contains("line=10,col=22"), "{github:?}");
}

#[test]
fn no_paths_means_the_current_directory() {
    let s = Scratch::new();
    s.write("a/b/bad.json", COMMENT);
    let r = run(&mut s.cmd());
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("[a/b/bad.json:2:3]"), "{r:?}");
}

#[test]
fn a_walk_skips_non_policy_json_and_other_files_silently() {
    let s = Scratch::new();
    s.write("repo/package.json", r#"{"name": "x", "version": "1.0.0"}"#);
    s.write(
        "repo/tsconfig.json",
        "{\n  // comments are fine here\n  \"compilerOptions\": {},\n}\n",
    );
    s.write("repo/notes.txt", "not json at all");
    s.write("repo/image.json", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    s.write("repo/empty.json", "");
    s.write("repo/key.json", CLEAN);
    let r = run(s.cmd().args(["--format", "json", "repo"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
    let out = json(&r);
    let paths: Vec<&str> = out["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["repo/key.json"]);
}

#[test]
fn gitignored_and_hidden_files_are_skipped_in_a_walk() {
    let s = Scratch::new();
    std::process::Command::new("git")
        .arg("init")
        .arg("-q")
        .current_dir(s.path())
        .status()
        .unwrap();
    s.write(".gitignore", "generated/\n");
    s.write("generated/bad.json", COMMENT);
    s.write(".hidden/bad.json", COMMENT);
    s.write("keys/good.json", CLEAN);
    let r = run(s.cmd().args(["--format", "json", "."]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json(&r)["summary"]["files_checked"], 1);
}

#[test]
fn output_is_in_path_order_and_the_same_on_every_run() {
    let s = Scratch::new();
    for team in ["zeta", "alpha", "mid"] {
        for i in [3, 1, 2] {
            let content = if i == 2 { COMMENT } else { CLEAN };
            s.write(&format!("policies/{team}/key-{i}.json"), content);
        }
    }
    let first = run(s.cmd().args(["--format", "json", "policies"]));
    let paths: Vec<String> = json(&first)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 9);
    for _ in 0..3 {
        assert_eq!(
            run(s.cmd().args(["--format", "json", "policies"])).stdout,
            first.stdout
        );
    }
    // A named file is checked whatever its name.
    s.write("policies/alpha/notes.txt", CLEAN);
    // Named files are sorted too; named twice, or inside a named
    // directory, they are checked once.
    let r = run(s.cmd().args([
        "--format",
        "json",
        "policies/zeta/key-1.json",
        "policies/alpha",
        "policies/zeta/key-1.json",
        "./policies/alpha/key-2.json",
        "policies/alpha/missing.json",
        "policies/alpha/notes.txt",
    ]));
    let out = json(&r);
    let named: Vec<&str> = out["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        [
            "policies/alpha/key-1.json",
            "policies/alpha/key-2.json",
            "policies/alpha/key-3.json",
            "policies/alpha/notes.txt",
            "policies/zeta/key-1.json"
        ]
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "error: policies/alpha/missing.json: No such file or directory\n"
    );
}

#[test]
fn a_path_that_does_not_exist_is_an_error_and_the_rest_is_checked() {
    let s = Scratch::new();
    s.write("bad.json", COMMENT);
    let r = run(s.cmd().args(["missing.json", "bad.json"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr, "error: missing.json: No such file or directory\n",
        "{r:?}"
    );
    assert!(
        r.stdout.contains("PC003(error)"),
        "bad.json is still checked: {r:?}"
    );
    assert!(
        r.stdout
            .contains("1 file or config could not be read or used"),
        "{r:?}"
    );
}

#[test]
fn a_directory_that_cannot_be_read_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new();
    s.write("locked/key.json", CLEAN);
    s.write("open/bad.json", COMMENT);
    let locked = s.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read_dir(&locked).is_ok();
    let r = run(s.cmd().arg("."));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    if readable_anyway {
        eprintln!("skipped: running as root, which reads any directory");
        return;
    }
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("error: locked: Permission denied"),
        "{r:?}"
    );
    assert!(r.stdout.contains("PC003(error)"), "{r:?}");
}

#[test]
fn a_broken_link_is_an_error_only_where_the_walk_would_check_its_file() {
    let s = Scratch::new();
    s.write("keys/ok.json", CLEAN);
    std::os::unix::fs::symlink("/nonexistent/notes.txt", s.path().join("keys/notes.txt")).unwrap();
    let r = run(s.cmd().arg("keys"));
    assert_eq!(
        r.code, 0,
        "a broken link to a file no walk checks is no error: {r:?}"
    );
    std::os::unix::fs::symlink("/nonexistent/key.json", s.path().join("keys/key.json")).unwrap();
    let r = run(s.cmd().arg("keys"));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("error: keys/key.json: broken symbolic link: its target does not exist\n"),
        "{r:?}"
    );
}

#[test]
fn a_symlink_loop_is_an_error_and_the_rest_is_checked() {
    let s = Scratch::new();
    s.write("keys/bad.json", COMMENT);
    std::os::unix::fs::symlink(".", s.path().join("keys/loop")).unwrap();
    std::os::unix::fs::symlink("self", s.path().join("self")).unwrap();
    let r = run(s.cmd().args(["keys", "self"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("error: keys/loop: symbolic link loop: it leads back to keys\n"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("error: self: Too many levels of symbolic links\n"),
        "{r:?}"
    );
    assert_eq!(
        r.stdout.matches("PC003(error)").count(),
        1,
        "checked once: {r:?}"
    );
}

#[test]
fn a_binary_file_named_explicitly_is_an_error() {
    let s = Scratch::new();
    s.write("key.json", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01");
    s.write("other.json", COMMENT);
    let r = run(s.cmd().args(["key.json", "other.json"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "error: key.json: binary file (it contains NUL bytes); not checked\n"
    );
    assert!(r.stdout.contains("[other.json:2:3]"), "{r:?}");
}

#[test]
fn invalid_utf8_is_a_finding_at_the_first_bad_byte() {
    let s = Scratch::new();
    // Latin-1 é in a Sid.
    s.write(
        "latin1.json",
        b"{\n  \"Statement\": [{\"Sid\": \"Cl\xe9\"}]\n}\n",
    );
    let r = run(s.cmd().args(["--format", "json", "latin1.json"]));
    assert_eq!(r.code, 1, "{r:?}");
    let out = json(&r);
    let d = &out["files"][0]["diagnostics"][0];
    assert_eq!(d["name"], "invalid-encoding");
    assert_eq!(
        d["range"]["start"],
        serde_json::json!({"line": 2, "column": 28})
    );
    // Found by a walk, too: the analyzer cannot say it is not a policy.
    let r = run(s.cmd().args(["--format", "json", "."]));
    assert_eq!(r.code, 1, "{r:?}");
}

#[test]
fn an_empty_file_named_explicitly_is_noted_and_not_a_failure() {
    let s = Scratch::new();
    s.write("empty.json", "");
    s.write("blank.json", "  \n\n");
    let r = run(s.cmd().args(["empty.json", "blank.json"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr,
        "note: blank.json: empty file; not checked\nnote: empty.json: empty file; not checked\n"
    );
    assert!(r.stdout.starts_with("Checked 0 files"), "{r:?}");
    let r = run(s.cmd().args(["--quiet", "empty.json"]));
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "", ""),
        "{r:?}"
    );
}

#[test]
fn json_that_is_not_a_policy_named_explicitly_is_noted_and_not_a_failure() {
    // pre-commit passes every staged JSON file, package.json included.
    let s = Scratch::new();
    s.write("package.json", r#"{"name": "x"}"#);
    let r = run(s.cmd().args(["package.json"]));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr,
        "note: package.json: not a key policy: the top level has no \"Statement\"; not checked\n"
    );
    let r = run(s.cmd().args(["--format", "json", "package.json"]));
    let out = json(&r);
    assert_eq!(out["skipped"][0]["path"], "package.json");
    assert_eq!(out["summary"]["skipped"], 1);
}

#[test]
fn a_50_mb_file_is_checked() {
    let s = Scratch::new();
    let statement = r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}"#;
    let count = 50 * 1024 * 1024 / (statement.len() + 2);
    let mut text = String::with_capacity(52 * 1024 * 1024);
    text.push_str("{\"Version\": \"2012-10-17\", \"Statement\": [\n");
    for i in 0..count {
        text.push_str(statement);
        text.push_str(if i + 1 < count { ",\n" } else { "\n" });
    }
    text.push_str("]}\n");
    assert!(text.len() > 50_000_000);
    s.write("huge.json", &text);
    let started = std::time::Instant::now();
    let r = run(s.cmd().args(["--format", "json", "huge.json"]));
    assert!(r.code == 0 || r.code == 1, "{r:?}");
    assert_eq!(json(&r)["summary"]["files_checked"], 1);
    // A guard against a hang, not a speed test (benches/ measure speed): a
    // debug build on a busy 2-core machine takes about a minute.
    assert!(
        started.elapsed().as_secs() < 240,
        "took {:?}",
        started.elapsed()
    );
    // The human format does not print megabytes of snippet.
    let r = run(s.cmd().args(["huge.json"]));
    assert!(
        r.stdout.len() < 1024 * 1024,
        "{} bytes of output",
        r.stdout.len()
    );
}

#[test]
fn a_file_over_the_size_limit_is_an_error() {
    let s = Scratch::new();
    let file = std::fs::File::create(s.path().join("giant.json")).unwrap();
    file.set_len(65 * 1024 * 1024).unwrap(); // sparse: no 65 MB written
    let r = run(s.cmd().args(["giant.json"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr,
        "error: giant.json: file too large: 65 MiB (the limit is 64 MiB; a key policy is at most 32 KB)\n"
    );
}

#[test]
fn standard_input_with_a_file_name() {
    let s = Scratch::new();
    let r = run(s
        .cmd()
        .args(["--stdin-filename", "keys/k.json", "-"])
        .write_stdin(COMMENT));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("[keys/k.json:2:3]"), "{r:?}");
    // Without `-`, --stdin-filename alone reads standard input too.
    let r = run(s
        .cmd()
        .args(["--format", "json", "--stdin-filename", "k.json"])
        .write_stdin(CLEAN));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(json(&r)["files"][0]["path"], "k.json");
    // Without a name it is `-`.
    let r = run(s
        .cmd()
        .args(["--format", "json", "-"])
        .write_stdin(TRAILING_COMMA));
    assert_eq!(codes(&json(&r), "-"), ["PC004"]);
}

#[test]
fn include_and_exclude_flags() {
    let s = Scratch::new();
    s.write("keys/a.json", COMMENT);
    s.write("keys/legacy/b.json", COMMENT);
    s.write("keys/c.policy", COMMENT);
    let files = |args: &[&str]| -> Vec<String> {
        let r = run(s.cmd().args(["--format", "json"]).args(args));
        json(&r)["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(files(&["keys"]), ["keys/a.json", "keys/legacy/b.json"]);
    assert_eq!(files(&["--exclude", "legacy", "keys"]), ["keys/a.json"]);
    assert_eq!(
        files(&["--exclude", "keys/legacy/**", "keys"]),
        ["keys/a.json"]
    );
    assert_eq!(files(&["--include", "*.policy", "keys"]), ["keys/c.policy"]);
    // Exclusions apply to named files too, as pre-commit names every file.
    assert_eq!(
        files(&["--exclude", "legacy", "keys/legacy/b.json", "keys/a.json"]),
        ["keys/a.json"]
    );
    let r = run(s.cmd().args(["--exclude", "[", "keys"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.starts_with("error: --exclude: bad glob `[`"),
        "{r:?}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let s = Scratch::new();
    let r = run(s.cmd().args(["--format", "xml"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("invalid value 'xml' for '--format"),
        "{r:?}"
    );
    let r = run(s.cmd().args(["--select", "no-such-rule", "."]));
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stderr, "error: --select: unknown rule `no-such-rule`\n");
}
