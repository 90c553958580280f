use super::parser::MAX_ERRORS;
use super::*;

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Allow use of the key \u00e9",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
      "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
      "Resource": "*",
      "Condition": {"NumericLessThan": {"kms:RotationPeriodInDays": 365}, "Bool": {"aws:SecureTransport": true}}
    }
  ]
}"#;

fn errors(text: &str) -> Vec<(SyntaxErrorKind, String)> {
    parse(text)
        .errors
        .into_iter()
        .map(|e| (e.kind, text[e.range.as_usize()].to_string()))
        .collect()
}

#[test]
fn valid_policy_has_ranges_for_every_key_and_value() {
    let p = parse(POLICY);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let tree = &p.tree;
    let action = tree.lookup("/Statement/0/Action/1").unwrap();
    assert_eq!(
        &POLICY[tree.range(action).as_usize()],
        "\"kms:GenerateDataKey*\""
    );
    assert_eq!(tree.pointer(action), "/Statement/0/Action/1");
    let stmt = tree.lookup("/Statement/0").unwrap();
    let sid = tree.get(stmt, "Sid").unwrap();
    assert_eq!(&POLICY[sid.key_range.as_usize()], "\"Sid\"");
    assert_eq!(tree.as_str(sid.value), Some("Allow use of the key \u{e9}"));
    let days = tree
        .lookup("/Statement/0/Condition/NumericLessThan/kms:RotationPeriodInDays")
        .unwrap();
    assert!(matches!(tree.kind(days), NodeKind::Number("365")));
}

#[test]
fn pointer_escapes_slash_and_tilde() {
    let text = r#"{"a/b": {"c~d": 1}}"#;
    let tree = parse(text).tree;
    let n = tree.lookup("/a~1b/c~0d").unwrap();
    assert_eq!(tree.pointer(n), "/a~1b/c~0d");
}

#[test]
fn duplicate_keys_point_at_both_and_the_last_wins() {
    let text = r#"{"Service": "a", "Service": "b"}"#;
    let p = parse(text);
    assert_eq!(p.errors.len(), 1);
    let SyntaxErrorKind::DuplicateKey { first } = p.errors[0].kind else {
        panic!()
    };
    assert_eq!(first.start, 1);
    assert_eq!(p.errors[0].range.start, 17);
    let root = p.tree.root().unwrap();
    assert_eq!(
        p.tree.as_str(p.tree.get(root, "Service").unwrap().value),
        Some("b")
    );
}

#[test]
fn comments_and_trailing_commas_are_reported_and_parsing_goes_on() {
    let text = "{\n // c\n \"a\": [1, 2,], /* b */ \"b\": {\"x\": 1,},\n}";
    let errs = errors(text);
    assert_eq!(
        errs,
        vec![
            (SyntaxErrorKind::Comment, "// c".into()),
            (SyntaxErrorKind::TrailingComma, ",".into()),
            (SyntaxErrorKind::Comment, "/* b */".into()),
            (SyntaxErrorKind::TrailingComma, ",".into()),
            (SyntaxErrorKind::TrailingComma, ",".into()),
        ]
    );
    let tree = parse(text).tree;
    assert!(tree.lookup("/b/x").is_some());
}

#[test]
fn missing_commas_and_colons_recover() {
    let text = r#"{"a": 1 "b": 2, "c" 3, "d": [1 2]}"#;
    let p = parse(text);
    assert_eq!(p.errors.len(), 3, "{:?}", p.errors);
    for key in ["/a", "/b", "/c", "/d/1"] {
        assert!(p.tree.lookup(key).is_some(), "{key}");
    }
}

#[test]
fn empty_and_whitespace_text() {
    for text in ["", "   \n", "\u{feff}"] {
        let p = parse(text);
        assert!(p.tree.root().is_none());
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].message.contains("end of the file"));
    }
}

#[test]
fn every_truncation_of_a_policy_parses_without_panic() {
    for end in 0..=POLICY.len() {
        if !POLICY.is_char_boundary(end) {
            continue;
        }
        let text = &POLICY[..end];
        let p = parse(text);
        for e in &p.errors {
            assert!(
                e.range.end as usize <= text.len(),
                "range past the end for {end}"
            );
        }
        if end < POLICY.len() {
            assert!(!p.errors.is_empty(), "truncation at {end} gave no error");
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 100_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let p = parse(&text);
    assert!(p.errors.is_empty());
    assert_eq!(p.tree.len(), depth);
    let deepest = p.tree.lookup(&"/0".repeat(depth - 1)).unwrap();
    assert_eq!(p.tree.pointer(deepest).len(), 2 * (depth - 1));
    // Unclosed: one error, not one per level.
    let unclosed = "[".repeat(depth);
    assert_eq!(parse(&unclosed).errors.len(), 1);
    let unclosed = "{\"a\":".repeat(depth);
    assert_eq!(parse(&unclosed).errors.len(), 1);
}

#[test]
fn errors_inside_one_string_count_towards_the_limit() {
    for escape in ["\\ud800", "\\q", "\\u12", "\u{1}"] {
        let text = format!(r#"{{"Sid": "{}", "Effect": x}}"#, escape.repeat(1000));
        let p = parse(&text);
        assert_eq!(p.errors.len(), MAX_ERRORS + 1, "{escape}");
        assert_eq!(
            p.errors.last().unwrap().message,
            format!("too many syntax errors: stopped reading after {MAX_ERRORS}")
        );
    }
}

#[test]
fn an_unterminated_string_ends_at_a_lone_carriage_return() {
    // Classic Mac line ends: the string stops at its line's end, and the
    // next line is read as the next member.
    let text = "{\"Sid\": \"open\r\"Effect\": \"Allow\"}";
    let errs = errors(text);
    assert!(errs.iter().any(|(_, t)| t == "\"open"), "{errs:?}");
    let p = parse(text);
    let root = p.tree.root().unwrap();
    assert_eq!(
        p.tree.as_str(p.tree.get(root, "Effect").unwrap().value),
        Some("Allow")
    );
}

#[test]
fn containers_open_at_the_error_limit_end_where_reading_stopped() {
    let text = format!(
        r#"{{"Statement": [{{"Sid": "a", "Effect": [{}], "Action": "x"}}]}}"#,
        "tru, ".repeat(60)
    );
    let p = parse(&text);
    assert!(p.errors.last().unwrap().message.starts_with("too many"));
    let stop = p.errors.last().unwrap().range.start;
    let statement = p.tree.lookup("/Statement/0").unwrap();
    let sid = p.tree.get(statement, "Sid").unwrap();
    let range = p.tree.range(statement);
    assert!(range.start < sid.key_range.start && p.tree.range(sid.value).end <= range.end);
    assert_eq!(range.end, stop);
    for i in 0..p.tree.len() {
        let node = NodeId(i as u32);
        if let Some(parent) = p.tree.node(node).parent {
            let (outer, inner) = (p.tree.range(parent), p.tree.range(node));
            assert!(outer.start <= inner.start && inner.end <= outer.end, "{i}");
        }
    }
}

#[test]
fn arbitrary_bytes_stop_after_a_bounded_number_of_errors() {
    // Every printable ASCII character and some multi-byte ones, shuffled deterministically.
    let mut state = 0x2545_f491_u32;
    let alphabet: Vec<char> = (0x20u8..0x7f)
        .map(char::from)
        .chain(['é', '😀', '\u{0}', '\n'])
        .collect();
    for _ in 0..200 {
        let mut s = String::new();
        for _ in 0..300 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            s.push(alphabet[state as usize % alphabet.len()]);
        }
        let p = parse(&s);
        assert!(p.errors.len() <= 60);
        for e in &p.errors {
            assert!(
                s.is_char_boundary(e.range.start as usize)
                    && s.is_char_boundary(e.range.end as usize)
            );
        }
    }
}

#[test]
fn fifty_megabytes_parse() {
    let statement = r#"{"Sid": "s", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": "*"}"#;
    let count = 50 * 1024 * 1024 / (statement.len() + 1);
    let mut text = String::with_capacity(50 * 1024 * 1024 + 64);
    text.push_str("{\"Version\": \"2012-10-17\", \"Statement\": [");
    for i in 0..count {
        if i > 0 {
            text.push(',');
        }
        text.push_str(statement);
    }
    text.push_str("]}");
    let p = parse(&text);
    assert!(p.errors.is_empty());
    assert_eq!(
        p.tree.items(p.tree.lookup("/Statement").unwrap()).len(),
        count
    );
}

#[test]
fn strings_with_escapes_and_control_characters() {
    let errs = errors("[\"a\\qb\", \"tab\there\", \"\\ud800\"]");
    assert_eq!(errs.len(), 3, "{errs:?}");
    let p = parse(r#"["\u00e9\n"]"#);
    assert_eq!(p.tree.as_str(p.tree.lookup("/0").unwrap()), Some("é\n"));
}

/// `node_at` by walking every child, as it was before it searched.
fn node_at_linear(tree: &Tree<'_>, offset: usize) -> Option<(NodeId, bool)> {
    let mut current = tree.root()?;
    if !tree.range(current).touches(offset) {
        return None;
    }
    loop {
        let next = match tree.kind(current) {
            NodeKind::Object(members) => {
                if let Some(m) = members.iter().find(|m| m.key_range.touches(offset)) {
                    return Some((m.value, true));
                }
                members
                    .iter()
                    .map(|m| m.value)
                    .find(|&v| tree.range(v).touches(offset))
            }
            NodeKind::Array(items) => items
                .iter()
                .copied()
                .find(|&v| tree.range(v).touches(offset)),
            _ => None,
        };
        match next {
            Some(n) => current = n,
            None => return Some((current, false)),
        }
    }
}

/// The searches of `node_at`, `pointer` and `member_of` answer as a walk over
/// every child does, on valid, truncated and broken documents alike.
#[test]
fn searches_agree_with_a_linear_walk() {
    let mut texts: Vec<String> = (0..=POLICY.len())
        .filter(|&i| POLICY.is_char_boundary(i))
        .map(|i| POLICY[..i].to_string())
        .collect();
    texts.extend(
        [
            r#"{"a": 1, "a": 2, "b": [1,,2], "c": {"d" "e"}, x: tru, "f": [[], {}, ""]}"#,
            r#"[1 2 {"a":} ] , {"#,
            r#"{"Statement": [{"Sid": "a"}, {"Sid": "a", "Sid": "b"}, %{ for x }, 3]}"#,
            "[\"\\ud800\", \"\u{e9}\u{1f511}\", {\"\u{4e2d}\": [\"\"]}]",
        ]
        .map(String::from),
    );
    for text in &texts {
        let tree = parse(text).tree;
        for offset in 0..=text.len() + 1 {
            assert_eq!(
                tree.node_at(offset),
                node_at_linear(&tree, offset),
                "{text:?} at {offset}"
            );
        }
        for i in 0..tree.len() {
            let node = NodeId(i as u32);
            let pointer = tree.pointer(node);
            let Some(parent) = tree.node(node).parent else {
                assert_eq!(pointer, "");
                continue;
            };
            let linear = match tree.kind(parent) {
                NodeKind::Object(members) => members
                    .iter()
                    .find(|m| m.value == node)
                    .map(|m| m.key.replace('~', "~0").replace('/', "~1")),
                NodeKind::Array(items) => {
                    items.iter().position(|&v| v == node).map(|i| i.to_string())
                }
                _ => None,
            };
            let last = pointer.rsplit('/').next().unwrap();
            assert_eq!(Some(last.to_string()), linear, "{text:?} node {i}");
            assert_eq!(
                tree.member_of(node).map(|m| m.value),
                matches!(tree.kind(parent), NodeKind::Object(_)).then_some(node),
                "{text:?} node {i}"
            );
        }
    }
}

#[test]
fn values_shadowed_by_a_later_duplicate_have_no_pointer() {
    for filler in [
        "",
        r#""x0": 0, "x1": 1, "x2": 2, "x3": 3, "x4": 4, "x5": 5, "x6": 6, "x7": 7, "x8": 8, "x9": 9, "y0": 0, "y1": 1, "y2": 2, "y3": 3, "y4": 4, "#,
    ] {
        // Three `a`s: the first two are shadowed, the last is what AWS keeps.
        let text = format!(r#"{{{filler}"a": {{"b": 1}}, "c": 2, "a": [3], "a": {{"b": 4}}}}"#);
        let p = parse(&text);
        let root = p.tree.root().unwrap();
        let values: Vec<NodeId> = p
            .tree
            .members(root)
            .iter()
            .filter(|m| m.key == "a")
            .map(|m| m.value)
            .collect();
        let inner = |v: NodeId| p.tree.get(v, "b").map(|m| m.value);
        assert_eq!(p.tree.addressable_pointer(values[0]), None);
        assert_eq!(p.tree.addressable_pointer(inner(values[0]).unwrap()), None);
        assert_eq!(p.tree.addressable_pointer(values[1]), None);
        assert_eq!(p.tree.addressable_pointer(values[2]).as_deref(), Some("/a"));
        let b = inner(values[2]).unwrap();
        assert_eq!(p.tree.addressable_pointer(b).as_deref(), Some("/a/b"));
        assert_eq!(p.tree.lookup("/a/b"), Some(b));
        let c = p.tree.get(root, "c").unwrap().value;
        assert_eq!(p.tree.addressable_pointer(c).as_deref(), Some("/c"));
    }
}

#[test]
fn node_at_finds_keys_and_values() {
    let p = parse(POLICY);
    let offset = POLICY.find("kms:Decrypt").unwrap() + 3;
    let (node, on_key) = p.tree.node_at(offset).unwrap();
    assert!(!on_key);
    assert_eq!(p.tree.pointer(node), "/Statement/0/Action/0");
    let offset = POLICY.find("\"Effect\"").unwrap() + 2;
    let (node, on_key) = p.tree.node_at(offset).unwrap();
    assert!(on_key);
    assert_eq!(p.tree.pointer(node), "/Statement/0/Effect");
}

#[test]
fn a_string_wrapped_onto_the_next_line_is_one_error_and_joined() {
    let text = "{\"Statement\": [{\"Condition\": {\"StringEquals\": {\"kms:ViaService\": \"secretsmanager.us-east-1.amazon\naws.com\"}}}, {\"Sid\": \"a long\r\n    sentence\", \"Effect\": \"Allow\"}]}";
    let p = parse(text);
    let found: Vec<&str> = p.errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found
        .iter()
        .all(|m| m.starts_with("line break inside a string")));
    let via = p
        .tree
        .lookup("/Statement/0/Condition/StringEquals/kms:ViaService")
        .unwrap();
    assert_eq!(
        p.tree.as_str(via),
        Some("secretsmanager.us-east-1.amazonaws.com")
    );
    let sid = p.tree.lookup("/Statement/1/Sid").unwrap();
    assert_eq!(p.tree.as_str(sid), Some("a longsentence"));
    let effect = p.tree.lookup("/Statement/1/Effect").unwrap();
    assert_eq!(p.tree.as_str(effect), Some("Allow"));
}

#[test]
fn a_string_left_open_is_still_unterminated() {
    // The next line holds no closing quote that could end it: no joining.
    let text = "{\"Sid\": \"open\n  \"Effect\": \"Allow\"}";
    let p = parse(text);
    assert!(p
        .errors
        .iter()
        .any(|e| e.message.starts_with("unterminated string")));
}
