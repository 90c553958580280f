//! Text edits that rule fixes share. Each keeps a valid JSON document valid:
//! removing an array element takes one separating comma with it, inserting a
//! member adds exactly one.
//!
//! Edits from different fixes of the same array can overlap (removing both the
//! last and the second-to-last element); whoever applies several fixes at once
//! must skip a fix whose edits overlap one already applied.

use crate::diagnostic::{Fix, TextEdit};
use crate::syntax::{parse, NodeId, NodeKind, SyntaxErrorKind, Tree};
use crate::text::TextRange;

/// Whether a fix can be offered: its edits lie in the text, on character
/// boundaries, in order and apart (one never starts where another does),
/// and the smallest object or array holding them all reads with no more
/// syntax errors, nor more duplicate keys, after the edits than before. So
/// a fix never makes valid JSON invalid. `analyze` asks this of every fix it
/// keeps (through a [`FixChecker`]); parsing only the container the edits
/// touch, not the whole text, keeps a thousand fixes in a large file cheap.
#[cfg(test)]
pub(crate) fn fix_is_sound(text: &str, tree: &Tree<'_>, fix: &Fix) -> bool {
    FixChecker::new(text, tree, usize::MAX).is_sound(fix)
}

/// [`fix_is_sound`] for the fixes of one document, within a budget of text
/// re-read: a container many fixes edit (the `Statement` array, for
/// redundant-statement's deletions) is read as it is once, not per fix,
/// and past the budget a fix is not offered, since it cannot be checked.
/// 200 fixes that each re-read a 2 MB `Statement` array took 7 s.
pub(crate) struct FixChecker<'t, 'a> {
    text: &'t str,
    tree: &'t Tree<'a>,
    /// Bytes that may still be parsed.
    budget: usize,
    /// For each container read as it is: its syntax errors and duplicate keys.
    before: rustc_hash::FxHashMap<TextRange, (usize, usize)>,
}

impl<'t, 'a> FixChecker<'t, 'a> {
    pub(crate) fn new(text: &'t str, tree: &'t Tree<'a>, budget: usize) -> Self {
        FixChecker {
            text,
            tree,
            budget,
            before: Default::default(),
        }
    }

    /// The budget for a document: its text read 16 times, and 4 MiB, in
    /// which a policy within KMS's 32 KB limit has room for over a hundred
    /// fixes that each re-read all of it.
    pub(crate) fn budget_for(text: &str) -> usize {
        text.len().saturating_mul(16).saturating_add(4 << 20)
    }

    pub(crate) fn is_sound(&mut self, fix: &Fix) -> bool {
        let text = self.text;
        let mut edits: Vec<&TextEdit> = fix.edits.iter().collect();
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        let in_text = |at: u32| text.is_char_boundary(at as usize);
        let ordered = edits.windows(2).all(|pair| {
            pair[0].range.end <= pair[1].range.start && pair[0].range.start < pair[1].range.start
        });
        let (Some(first), Some(last)) = (edits.first(), edits.last()) else {
            return false;
        };
        if !ordered
            || !edits.iter().all(|e| {
                e.range.start <= e.range.end && in_text(e.range.start) && in_text(e.range.end)
            })
        {
            return false;
        }
        let (from, to) = (
            first.range.start,
            edits
                .iter()
                .map(|e| e.range.end)
                .max()
                .unwrap_or(last.range.end),
        );
        let container = containing(self.tree, from, to).unwrap_or(TextRange::new(0, text.len()));
        let mut after = String::with_capacity(container.len());
        let mut copied = container.start as usize;
        for edit in &edits {
            after.push_str(&text[copied..edit.range.start as usize]);
            after.push_str(&edit.replacement);
            copied = edit.range.end as usize;
        }
        after.push_str(&text[copied..container.end as usize]);
        let cost = after.len()
            + if self.before.contains_key(&container) {
                0
            } else {
                container.len()
            };
        if cost > self.budget {
            return false;
        }
        self.budget -= cost;
        let counts = |errors: &[crate::syntax::SyntaxError]| {
            let duplicates = errors
                .iter()
                .filter(|e| matches!(e.kind, SyntaxErrorKind::DuplicateKey { .. }))
                .count();
            (errors.len(), duplicates)
        };
        let before = *self
            .before
            .entry(container)
            .or_insert_with(|| counts(&parse(&text[container.as_usize()]).errors));
        let after = counts(&parse(&after).errors);
        after.0 <= before.0 && after.1 <= before.1
    }
}

/// The range of the innermost object or array whose brackets strictly
/// enclose `from..to`.
fn containing(tree: &Tree<'_>, from: u32, to: u32) -> Option<TextRange> {
    let (mut node, _) = tree.node_at(from as usize)?;
    loop {
        let range = tree.range(node);
        let container = matches!(tree.kind(node), NodeKind::Object(_) | NodeKind::Array(_));
        if container && range.start < from && to < range.end {
            return Some(range);
        }
        node = tree.node(node).parent?;
    }
}

/// The edit that removes `item` from `array`, with the comma that separates it
/// from its neighbour and the white space before the next element:
///
/// - the only element: everything between the brackets (`[ "a" ]` → `[]`);
/// - the last of several: from the end of the previous element (`"a", "b"` → `"a"`);
/// - any other: up to the start of the next element (`"a", "b"` → `"b"`).
///
/// `None` when `item` is not an element of `array`.
pub(crate) fn remove_array_item(
    tree: &Tree<'_>,
    text: &str,
    array: NodeId,
    item: NodeId,
) -> Option<TextEdit> {
    let NodeKind::Array(items) = tree.kind(array) else {
        return None;
    };
    let at = items.iter().position(|&i| i == item)?;
    let range = if items.len() == 1 {
        let outer = tree.range(array);
        let (start, end) = (outer.start as usize, outer.end as usize);
        if text.as_bytes().get(start) == Some(&b'[')
            && end >= start + 2
            && text.as_bytes().get(end - 1) == Some(&b']')
        {
            TextRange::new(start + 1, end - 1)
        } else {
            tree.range(item)
        }
    } else if at + 1 == items.len() {
        TextRange::new(
            tree.range(items[at - 1]).end as usize,
            tree.range(item).end as usize,
        )
    } else {
        TextRange::new(
            tree.range(item).start as usize,
            tree.range(items[at + 1]).start as usize,
        )
    };
    Some(TextEdit {
        range,
        replacement: String::new(),
    })
}

/// The edit that adds `"key": value_json` as the last member of `object`,
/// on its own line with the indentation of the previous member when the
/// object is written one member per line. `None` for an empty object.
pub(crate) fn insert_last_member(
    tree: &Tree<'_>,
    text: &str,
    object: NodeId,
    key: &str,
    value_json: &str,
) -> Option<TextEdit> {
    let last = tree.members(object).last()?;
    let at = tree.range(last.value).end as usize;
    let member = format!("{}: {value_json}", json_string(key));
    let replacement = match own_line_indent(text, last.key_range.start as usize) {
        Some(indent) => format!(",\n{indent}{member}"),
        None => format!(", {member}"),
    };
    Some(TextEdit {
        range: TextRange::empty(at),
        replacement,
    })
}

/// The edit that adds `"key": value_json` as the first member of `object`,
/// matching the layout of the current first member. `None` for an empty object
/// or one that does not start with `{`.
pub(crate) fn insert_first_member(
    tree: &Tree<'_>,
    text: &str,
    object: NodeId,
    key: &str,
    value_json: &str,
) -> Option<TextEdit> {
    let first = tree.members(object).first()?;
    let open = tree.range(object).start as usize;
    if text.as_bytes().get(open) != Some(&b'{') {
        return None;
    }
    let member = format!("{}: {value_json}", json_string(key));
    let replacement = match own_line_indent(text, first.key_range.start as usize) {
        Some(indent) => format!("\n{indent}{member},"),
        None => format!("{member}, "),
    };
    let at = open + 1;
    // On one line, put the member where the first one starts: `{ "Version": ..., "Statement"`.
    let at = if replacement.starts_with('\n') {
        at
    } else {
        first.key_range.start as usize
    };
    Some(TextEdit {
        range: TextRange::empty(at),
        replacement,
    })
}

/// `s` as a JSON string literal, quotes included.
pub(crate) fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// The white space before `offset` when nothing else precedes it on its line.
fn own_line_indent(text: &str, offset: usize) -> Option<&str> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    (line_start > 0 && before.chars().all(|c| c == ' ' || c == '\t')).then_some(before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Fix;
    use crate::syntax::parse;

    fn apply(text: &str, edit: TextEdit) -> String {
        Fix {
            title: String::new(),
            applicability: crate::Applicability::Safe,
            edits: vec![edit],
        }
        .apply(text)
    }

    /// Removes the element at `index` of the array at `pointer` and checks the
    /// result parses without errors.
    fn remove(text: &str, pointer: &str, index: usize) -> String {
        let parsed = crate::syntax::parse(text);
        assert!(
            parsed.errors.is_empty(),
            "input must be valid: {:?}",
            parsed.errors
        );
        let array = parsed.tree.lookup(pointer).unwrap();
        let item = parsed.tree.items(array)[index];
        let edit = remove_array_item(&parsed.tree, text, array, item).unwrap();
        let out = apply(text, edit);
        let reparsed = parse_errors(&out);
        assert!(reparsed.is_empty(), "{out}\n{reparsed:?}");
        out
    }

    fn parse_errors(text: &str) -> Vec<crate::syntax::SyntaxError> {
        parse(text).errors
    }

    const MULTILINE: &str = r#"{
  "Action": [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:DescribeKey"
  ]
}"#;

    #[test]
    fn removes_first_middle_and_last_element_on_separate_lines() {
        assert_eq!(
            remove(MULTILINE, "/Action", 0),
            "{\n  \"Action\": [\n    \"kms:Encrypt\",\n    \"kms:DescribeKey\"\n  ]\n}"
        );
        assert_eq!(
            remove(MULTILINE, "/Action", 1),
            "{\n  \"Action\": [\n    \"kms:Decrypt\",\n    \"kms:DescribeKey\"\n  ]\n}"
        );
        assert_eq!(
            remove(MULTILINE, "/Action", 2),
            "{\n  \"Action\": [\n    \"kms:Decrypt\",\n    \"kms:Encrypt\"\n  ]\n}"
        );
    }

    #[test]
    fn removes_elements_on_one_line() {
        let text = r#"{"Action": ["kms:Decrypt", "kms:Encrypt" ,"kms:DescribeKey"]}"#;
        assert_eq!(
            remove(text, "/Action", 0),
            r#"{"Action": ["kms:Encrypt" ,"kms:DescribeKey"]}"#
        );
        assert_eq!(
            remove(text, "/Action", 1),
            r#"{"Action": ["kms:Decrypt", "kms:DescribeKey"]}"#
        );
        assert_eq!(
            remove(text, "/Action", 2),
            r#"{"Action": ["kms:Decrypt", "kms:Encrypt"]}"#
        );
    }

    #[test]
    fn removes_the_only_element() {
        assert_eq!(
            remove(r#"{"Action": ["kms:Decrypt"]}"#, "/Action", 0),
            r#"{"Action": []}"#
        );
        assert_eq!(
            remove("{\"Action\": [\n  \"kms:Decrypt\"\n]}", "/Action", 0),
            "{\"Action\": []}"
        );
        assert_eq!(
            remove(r#"{"Action": [ "kms:Decrypt" ]}"#, "/Action", 0),
            r#"{"Action": []}"#
        );
    }

    #[test]
    fn removes_with_tabs_crlf_and_odd_spacing() {
        let text = "{\r\n\t\"Action\": [\r\n\t\t\"a\" ,\r\n\t\t\"b\"\r\n\t\t, \"c\"\r\n\t]\r\n}";
        assert_eq!(
            remove(text, "/Action", 0),
            "{\r\n\t\"Action\": [\r\n\t\t\"b\"\r\n\t\t, \"c\"\r\n\t]\r\n}"
        );
        assert_eq!(
            remove(text, "/Action", 1),
            "{\r\n\t\"Action\": [\r\n\t\t\"a\" ,\r\n\t\t\"c\"\r\n\t]\r\n}"
        );
        assert_eq!(
            remove(text, "/Action", 2),
            "{\r\n\t\"Action\": [\r\n\t\t\"a\" ,\r\n\t\t\"b\"\r\n\t]\r\n}"
        );
    }

    #[test]
    fn removes_nested_values() {
        let text = r#"{"Statement": [{"Sid": "a"}, {"Sid": "b"}, [1, 2]]}"#;
        assert_eq!(
            remove(text, "/Statement", 1),
            r#"{"Statement": [{"Sid": "a"}, [1, 2]]}"#
        );
        assert_eq!(
            remove(text, "/Statement", 2),
            r#"{"Statement": [{"Sid": "a"}, {"Sid": "b"}]}"#
        );
    }

    #[test]
    fn every_position_of_every_length_stays_valid() {
        for len in 1..=4 {
            for layout in [", ", ",\n    ", " ,\n\t", ","] {
                let items: Vec<String> = (0..len).map(|i| format!("\"kms:A{i}\"")).collect();
                let text = format!("{{\"Action\": [{}]}}", items.join(layout));
                for index in 0..len {
                    let out = remove(&text, "/Action", index);
                    let parsed = crate::syntax::parse(&out);
                    let array = parsed.tree.lookup("/Action").unwrap();
                    let left: Vec<&str> = parsed
                        .tree
                        .items(array)
                        .iter()
                        .filter_map(|&i| parsed.tree.as_str(i))
                        .collect();
                    let expected: Vec<String> = (0..len)
                        .filter(|&i| i != index)
                        .map(|i| format!("kms:A{i}"))
                        .collect();
                    assert_eq!(left, expected, "{text} without {index}");
                }
            }
        }
    }

    #[test]
    fn not_an_element_of_the_array() {
        let text = r#"{"Action": ["a"], "Resource": ["b"]}"#;
        let parsed = crate::syntax::parse(text);
        let action = parsed.tree.lookup("/Action").unwrap();
        let b = parsed.tree.lookup("/Resource/0").unwrap();
        assert!(remove_array_item(&parsed.tree, text, action, b).is_none());
    }

    #[test]
    fn inserts_members_matching_the_layout() {
        let text = "{\n    \"Sid\": \"a\",\n    \"Effect\": \"Allow\"\n}";
        let parsed = crate::syntax::parse(text);
        let root = parsed.tree.root().unwrap();
        let edit = insert_last_member(&parsed.tree, text, root, "Resource", "\"*\"").unwrap();
        let out = apply(text, edit);
        assert_eq!(
            out,
            "{\n    \"Sid\": \"a\",\n    \"Effect\": \"Allow\",\n    \"Resource\": \"*\"\n}"
        );
        assert!(parse_errors(&out).is_empty());
        let edit =
            insert_first_member(&parsed.tree, text, root, "Version", "\"2012-10-17\"").unwrap();
        let out = apply(text, edit);
        assert_eq!(out, "{\n    \"Version\": \"2012-10-17\",\n    \"Sid\": \"a\",\n    \"Effect\": \"Allow\"\n}");
        assert!(parse_errors(&out).is_empty());

        let text = r#"{ "Sid": "a", "Effect": "Allow" }"#;
        let parsed = crate::syntax::parse(text);
        let root = parsed.tree.root().unwrap();
        let out = apply(
            text,
            insert_last_member(&parsed.tree, text, root, "Resource", "\"*\"").unwrap(),
        );
        assert_eq!(out, r#"{ "Sid": "a", "Effect": "Allow", "Resource": "*" }"#);
        let out = apply(
            text,
            insert_first_member(&parsed.tree, text, root, "Version", "\"2012-10-17\"").unwrap(),
        );
        assert_eq!(
            out,
            r#"{ "Version": "2012-10-17", "Sid": "a", "Effect": "Allow" }"#
        );
        assert!(parse_errors(&out).is_empty());

        let text = "{}";
        let parsed = crate::syntax::parse(text);
        let root = parsed.tree.root().unwrap();
        assert!(insert_last_member(&parsed.tree, text, root, "Resource", "\"*\"").is_none());
        assert!(
            insert_first_member(&parsed.tree, text, root, "Version", "\"2012-10-17\"").is_none()
        );
    }

    fn fix(edits: &[(usize, usize, &str)]) -> Fix {
        Fix {
            title: String::new(),
            applicability: crate::Applicability::Safe,
            edits: edits
                .iter()
                .map(|&(start, end, replacement)| TextEdit {
                    range: TextRange::new(start, end),
                    replacement: replacement.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_fix_is_sound_only_if_it_keeps_the_json_as_valid() {
        let text = r#"{"Statement": [{"Effect": "Allow", "Sid": "é"}], "Version": "1"}"#;
        let tree = parse(text).tree;
        let at = |needle: &str| text.find(needle).unwrap();
        let allow = at("\"Allow\"");
        let sound = |edits: &[(usize, usize, &str)]| fix_is_sound(text, &tree, &fix(edits));
        // Renaming a value, adding a member, removing one: still valid.
        assert!(sound(&[(allow, allow + 7, "\"Deny\"")]));
        assert!(sound(&[(at(", \"Sid\""), at("}]"), "")]));
        assert!(sound(&[(1, 1, "\"Id\": \"x\", ")]));
        // A duplicate key, a broken string, a dangling comma: refused.
        assert!(!sound(&[(at("\"Sid\""), at("\"Sid\"") + 5, "\"Effect\"")]));
        assert!(!sound(&[(allow, allow + 1, "")]));
        assert!(!sound(&[(at("}]"), at("}]"), ",")]));
        // Edits that overlap, start together, leave the text or split `é`.
        assert!(!sound(&[
            (allow, allow + 4, "\"a"),
            (allow + 2, allow + 7, "b\"")
        ]));
        assert!(!sound(&[(allow, allow, "1"), (allow, allow + 7, "2")]));
        assert!(!sound(&[(text.len(), text.len() + 1, "")]));
        let e = at("é");
        assert!(!sound(&[(e + 1, e + 2, "e")]));
        // No edits at all is no fix.
        assert!(!sound(&[]));
        // Text that was broken before may stay as broken, not get worse.
        let broken = r#"{"a": [1,], "b": x}"#;
        let tree = parse(broken).tree;
        let b = broken.find('x').unwrap();
        assert!(fix_is_sound(broken, &tree, &fix(&[(b, b + 1, "2")])));
        assert!(!fix_is_sound(broken, &tree, &fix(&[(b, b + 1, "y z")])));
    }

    #[test]
    fn quotes_json_strings() {
        assert_eq!(json_string("kms:Decrypt"), "\"kms:Decrypt\"");
        assert_eq!(json_string("a\"b\\c"), r#""a\"b\\c""#);
    }
}
