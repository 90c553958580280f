//! End to end: `policy-check.toml` discovery and contents, and the flags on top.

mod common;

use common::{codes, json, paths, run, Scratch, CLEAN, COMMENT, TRAILING_COMMA};

#[test]
fn the_nearest_config_applies_to_each_file() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "[rules]\nignore = [\"json-comment\"]\n",
    );
    s.write("a.json", COMMENT);
    s.write("team/b.json", COMMENT);
    // A config nearer to the file replaces the outer one (no merging).
    s.write("team/strict/policy-check.toml", "fail-on = \"error\"\n");
    s.write("team/strict/c.json", COMMENT);
    let r = run(s.cmd().args(["--format", "json", "."]));
    assert_eq!(r.code, 1, "{r:?}");
    let out = json(&r);
    assert_eq!(codes(&out, "a.json"), Vec::<String>::new());
    assert_eq!(codes(&out, "team/b.json"), Vec::<String>::new());
    assert_eq!(codes(&out, "team/strict/c.json"), ["PC003"]);
    // Discovered from named files too, whatever the current directory.
    let r = run(s.cmd().current_dir(s.path().join("team")).args([
        "--format",
        "json",
        "b.json",
        "strict/c.json",
    ]));
    assert_eq!(codes(&json(&r), "b.json"), Vec::<String>::new());
    assert_eq!(codes(&json(&r), "strict/c.json"), ["PC003"]);
}

#[test]
fn include_and_exclude_are_relative_to_the_config() {
    let s = Scratch::new();
    s.write(
        "infra/policy-check.toml",
        "include = [\"keys/*.json\", \"*.policy\"]\nexclude = [\"keys/old-*\"]\n",
    );
    s.write("infra/keys/a.json", CLEAN);
    s.write("infra/keys/old-b.json", CLEAN);
    s.write("infra/other/c.json", CLEAN);
    s.write("infra/other/d.policy", CLEAN);
    let r = run(s.cmd().args(["--format", "json", "infra"]));
    let out = json(&r);
    let paths = paths(&out);
    assert_eq!(paths, ["infra/keys/a.json", "infra/other/d.policy"]);
}

#[test]
fn per_file_ignores() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "[[per-file-ignores]]\nfiles = [\"legacy/**\"]\nignore = [\"PC003\", \"trailing-comma\"]\n",
    );
    s.write("legacy/a.json", COMMENT);
    s.write("legacy/b.json", TRAILING_COMMA);
    s.write("current/a.json", COMMENT);
    let r = run(s.cmd().args(["--format", "json", "."]));
    let out = json(&r);
    assert_eq!(codes(&out, "legacy/a.json"), Vec::<String>::new());
    assert_eq!(codes(&out, "legacy/b.json"), Vec::<String>::new());
    assert_eq!(codes(&out, "current/a.json"), ["PC003"]);
}

#[test]
fn severity_overrides_and_fail_on() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "[rules.severity]\ntrailing-comma = \"info\"\n",
    );
    s.write("k.json", TRAILING_COMMA);
    let r = run(s.cmd().args(["--format", "json", "k.json"]));
    assert_eq!(
        r.code, 0,
        "info is below the default fail-on (warning): {r:?}"
    );
    assert_eq!(json(&r)["files"][0]["diagnostics"][0]["severity"], "info");
    assert_eq!(run(s.cmd().args(["--fail-on", "info", "k.json"])).code, 1);
    assert_eq!(run(s.cmd().args(["--fail-on", "hint", "k.json"])).code, 1);
    s.write(
        "policy-check.toml",
        "fail-on = \"info\"\n[rules.severity]\nPC004 = \"info\"\n",
    );
    assert_eq!(run(s.cmd().arg("k.json")).code, 1, "the config's fail-on");
    assert_eq!(
        run(s.cmd().args(["--fail-on", "error", "k.json"])).code,
        0,
        "the flag wins"
    );
    s.write("policy-check.toml", "");
    assert_eq!(run(s.cmd().args(["--fail-on", "error", "k.json"])).code, 1);
}

#[test]
fn select_and_ignore_flags_on_top_of_the_config() {
    let s = Scratch::new();
    s.write("policy-check.toml", "[rules]\nignore = [\"PC003\"]\n");
    s.write("k.json", "{\n  // c\n  \"Statement\": [\"x\",]\n}\n");
    // The input also breaks structure rules; these tests are about the
    // syntax pack's PC003 and PC004, so look at those codes only.
    let codes_of = |args: &[&str]| {
        let r = run(s.cmd().args(["--format", "json"]).args(args).arg("k.json"));
        let mut found = codes(&json(&r), "k.json");
        found.retain(|c| c.starts_with("PC0"));
        found
    };
    assert_eq!(codes_of(&[]), ["PC004"]);
    // --select replaces the config's select and ignore.
    assert_eq!(codes_of(&["--select", "PC003"]), ["PC003"]);
    assert_eq!(
        codes_of(&["--select", "json-comment,trailing-comma"]),
        ["PC003", "PC004"]
    );
    assert_eq!(codes_of(&["--select", "PC0"]), ["PC003", "PC004"]);
    // --ignore adds to it.
    assert_eq!(codes_of(&["--ignore", "PC004"]), Vec::<String>::new());
    assert_eq!(
        codes_of(&["--select", "PC0", "--ignore", "json-comment"]),
        ["PC004"]
    );
}

#[test]
fn config_flag_and_no_config() {
    let s = Scratch::new();
    s.write("policy-check.toml", "[rules]\nignore = [\"PC003\"]\n");
    s.write("elsewhere/strict.toml", "[rules]\nignore = [\"PC004\"]\n");
    s.write("k.json", "{\n  // c\n  \"Statement\": [\"x\",]\n}\n");
    // The input also breaks structure rules; these tests are about the
    // syntax pack's PC003 and PC004, so look at those codes only.
    let codes_of = |args: &[&str]| {
        let r = run(s.cmd().args(["--format", "json"]).args(args).arg("k.json"));
        let mut found = codes(&json(&r), "k.json");
        found.retain(|c| c.starts_with("PC0"));
        found
    };
    assert_eq!(codes_of(&[]), ["PC004"]);
    assert_eq!(codes_of(&["--config", "elsewhere/strict.toml"]), ["PC003"]);
    assert_eq!(codes_of(&["--no-config"]), ["PC003", "PC004"]);
    let r = run(s.cmd().args(["--config", "missing.toml", "k.json"]));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .starts_with("error: missing.toml: invalid config: cannot read: No such file"),
        "{r:?}"
    );
}

#[test]
fn an_unknown_key_is_an_error_naming_the_line_and_the_files_are_still_checked() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "include = [\"*.json\"]\n\n[rules]\nignroe = [\"PC003\"]\n",
    );
    s.write("k.json", COMMENT);
    let r = run(s.cmd().arg("."));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.starts_with("error: policy-check.toml:4: invalid config: unknown field `ignroe`, expected one of `select`, `ignore`, `severity`"),
        "{r:?}"
    );
    assert_eq!(r.stderr.lines().count(), 1, "reported once: {r:?}");
    // Its files are checked with the default settings.
    assert!(r.stdout.contains("PC003(error)"), "{r:?}");
}

#[test]
fn an_unknown_key_in_a_profile_names_its_line() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "[[profiles]]\nfiles = [\"fsx-*.json\"]\nservices = [\"fsx\"]\nacount = \"111122223333\"\n",
    );
    s.write("fsx-1.json", CLEAN);
    let r = run(s.cmd().arg("fsx-1.json"));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .starts_with("error: policy-check.toml:4: invalid config: unknown field `acount`"),
        "{r:?}"
    );
}

#[test]
fn a_profile_is_accepted() {
    let s = Scratch::new();
    s.write(
        "policy-check.toml",
        "[[profiles]]\nfiles = [\"fsx-*.json\"]\nservices = [\"fsx\"]\naccount = \"111122223333\"\nregion = \"us-east-1\"\n",
    );
    s.write("fsx-1.json", CLEAN);
    let r = run(s.cmd().arg("fsx-1.json"));
    // The profile applies: only it says that this default key policy serves
    // FSx, whose requests it leaves to the callers' IAM policies (PC403).
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("PC403(warning)"), "{r:?}");
}

#[test]
fn a_config_with_a_syntax_error_or_a_bad_glob_names_its_line() {
    let s = Scratch::new();
    s.write("a/policy-check.toml", "exclude = [\"x\"\n");
    s.write("a/k.json", CLEAN);
    s.write(
        "b/policy-check.toml",
        "# globs\nexclude = [\n  \"legacy/[\",\n]\n",
    );
    s.write("b/k.json", CLEAN);
    s.write("c/k.json", COMMENT);
    let r = run(s.cmd().arg("."));
    assert_eq!(r.code, 2, "{r:?}");
    let errors: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{r:?}");
    assert_eq!(
        errors[0],
        "error: a/policy-check.toml:2: invalid config: unclosed array, expected `]`"
    );
    assert_eq!(errors[1], "error: b/policy-check.toml:3: invalid config: bad glob `legacy/[`: unclosed character class; missing ']'");
    assert!(
        r.stdout.contains("[c/k.json:2:3]"),
        "the other files are checked: {r:?}"
    );
    assert!(r.stdout.contains("Checked 3 files"), "{r:?}");
}
