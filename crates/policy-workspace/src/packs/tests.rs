use super::*;

/// A pack directory of its own under the system's temporary directory.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("policy-check-packs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }

    fn errors(&self) -> Vec<String> {
        let base = self.0.parent().unwrap();
        Packs::load(std::slice::from_ref(&self.0), base)
            .errors
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.path = e.path.strip_prefix(base).unwrap().to_path_buf();
                e.to_string()
            })
            .collect()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD: &str = "id = \"ACME001\"\nname = \"good\"\nseverity = \"warning\"\nsummary = \"s\"\nmessage = \"m {value}\"\nselect = \"$.Version\"\nequals = \"2012-10-17\"\n";

#[test]
fn a_good_rule_loads_with_its_file() {
    let dir = Dir::new("good");
    dir.write("good.toml", GOOD);
    dir.write("notes.md", "not a rule");
    let packs = Packs::load(std::slice::from_ref(&dir.0), dir.0.parent().unwrap());
    assert!(packs.errors.is_empty(), "{:?}", packs.errors);
    let rule = packs.rules.find("ACME001").unwrap();
    assert_eq!(rule.pack, dir.0.file_name().unwrap().to_string_lossy());
    assert!(rule.file.ends_with("good.toml"));
    assert_eq!(packs.files, [dir.0.join("good.toml")]);
    assert!(packs.contains(&dir.0.join("new.toml")));
    assert!(!packs.contains(&dir.0.join("sub/x.toml")));
}

#[test]
fn errors_point_into_the_file() {
    let dir = Dir::new("errors");
    let name = dir.0.file_name().unwrap().to_string_lossy().to_string();
    dir.write("a-syntax.toml", "id = \"ACME002\"\nname = [\n");
    dir.write(
        "b-severity.toml",
        &GOOD
            .replace("\"warning\"", "\"loud\"")
            .replace("ACME001", "ACME003")
            .replace("\"good\"", "\"b\""),
    );
    dir.write(
        "c-two.toml",
        &format!(
            "{}forbid = true\n",
            GOOD.replace("ACME001", "ACME004")
                .replace("\"good\"", "\"c\"")
        ),
    );
    dir.write(
        "d-none.toml",
        &GOOD
            .replace("equals = \"2012-10-17\"\n", "")
            .replace("ACME001", "ACME005")
            .replace("\"good\"", "\"d\""),
    );
    dir.write(
        "e-path.toml",
        &GOOD
            .replace("$.Version", "$.Statement[?@.Sid = 'x']")
            .replace("ACME001", "ACME006")
            .replace("\"good\"", "\"e\""),
    );
    dir.write(
        "f-placeholder.toml",
        &GOOD
            .replace("m {value}", "m {vlue}")
            .replace("ACME001", "ACME007")
            .replace("\"good\"", "\"f\""),
    );
    dir.write("g-good.toml", GOOD);
    dir.write("h-same-id.toml", &GOOD.replace("\"good\"", "\"other\""));
    assert_eq!(
        dir.errors(),
        [
            format!("{name}/a-syntax.toml:3:1: unclosed array, expected `]`"),
            format!("{name}/b-severity.toml:3:12: `severity` must be \"error\", \"warning\", \"info\" or \"hint\", not \"loud\""),
            format!("{name}/c-two.toml:8:10: a rule has one assertion, of `forbid`, `require`, `equals`, `in`, `matches` or `count`; this is its second"),
            format!("{name}/d-none.toml:6:10: the rule has no assertion: add one of `forbid`, `require`, `equals`, `in`, `matches` or `count`"),
            format!("{name}/e-path.toml:6:29: not a valid JSONPath (RFC 9535): in long-hand segment, expected closing ']'"),
            format!("{name}/f-placeholder.toml:5:14: unknown placeholder `{{vlue}}`: use `{{value}}`, `{{count}}`, `{{statement}}`, `{{sid}}`, `{{id}}`, `{{name}}`"),
            format!("{name}/h-same-id.toml:1:6: the id `ACME001` is already the rule in {name}/g-good.toml: ids and names are unique"),
        ]
    );
}

#[test]
fn line_and_column_count_characters() {
    assert_eq!(line_column("ab\ncé d", 7), (2, 4));
    assert_eq!(line_column("x", 0), (1, 1));
}
