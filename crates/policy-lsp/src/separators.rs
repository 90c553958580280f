//! The commas a completion writes so that the list or object it lands in
//! stays valid.
//!
//! An editor inserts exactly the completion's text: a value accepted in
//! front of another array item (`[| "kms:Encrypt"]`) needs a comma after it,
//! and one accepted after an item with no comma yet (`["kms:Encrypt" |]`)
//! needs one before it. A comma that is already there is left alone.

use policy_analyzer::TextRange;

/// Where a completion's text stands in its container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// An item of an array (a JSON array, an HCL tuple, a YAML sequence).
    ArrayItem,
    /// The value of an object member.
    MemberValue,
    /// A member name, or anywhere no separator is ever written.
    Other,
}

/// How the text around the completion separates items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separated {
    /// JSON and HCL: a comma between array items and between members
    /// (HCL accepts one between members on separate lines too).
    Commas,
    /// YAML: a comma inside flow collections (`[a, b]`); block collections
    /// have none.
    Yaml,
}

/// An insertion of a separator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insertion {
    pub at: usize,
    pub text: &'static str,
}

/// The separators a value needs: one after the previous value, one after
/// the new one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Separators {
    pub before: Option<Insertion>,
    pub after: Option<Insertion>,
}

/// The separators a value replacing `region` of `text` needs: `region` is
/// the token being completed (quotes included; for a string left open, up to
/// the end of its content) or, with nothing typed, the empty range at the
/// cursor.
pub fn around(text: &str, region: TextRange, placement: Placement, style: Separated) -> Separators {
    let bytes = text.as_bytes();
    let (start, end) = (
        region.start as usize,
        (region.end as usize).min(bytes.len()),
    );
    let previous = (0..start.min(bytes.len()))
        .rev()
        .find(|&i| !bytes[i].is_ascii_whitespace())
        .map(|i| (i, bytes[i]));
    let next = (end..bytes.len())
        .find(|&i| !bytes[i].is_ascii_whitespace())
        .map(|i| bytes[i]);
    // `, ` when the next token follows right away, else `,` before the
    // whitespace already there.
    let after = Insertion {
        at: end,
        text: if bytes.get(end).is_some_and(|b| !b.is_ascii_whitespace()) {
            ", "
        } else {
            ","
        },
    };
    let mut out = Separators::default();
    match (style, placement) {
        (_, Placement::Other) => {}
        (Separated::Commas, Placement::ArrayItem) => {
            if let Some((i, _)) = previous.filter(|&(_, b)| ends_a_value(b)) {
                out.before = Some(before(i, start));
            }
            if next.is_some_and(starts_a_value) {
                out.after = Some(after);
            }
        }
        // The next member's name follows: it is quoted in JSON, and a comma
        // before it is accepted by HCL as well.
        (Separated::Commas, Placement::MemberValue) => {
            if next == Some(b'"') {
                out.after = Some(after);
            }
        }
        (Separated::Yaml, Placement::ArrayItem) => {
            let opens = |b: u8| matches!(b, b'[' | b',');
            let closes = |b: u8| matches!(b, b']' | b',');
            // Only in a flow sequence: `- item` lines need nothing.
            let in_flow = previous.is_some_and(|(_, b)| opens(b)) || next.is_some_and(closes);
            if !in_flow {
                return out;
            }
            if let Some((i, _)) = previous.filter(|&(_, b)| !opens(b)) {
                out.before = Some(before(i, start));
            }
            if next.is_some_and(|b| !closes(b) && !matches!(b, b'}' | b'#')) {
                out.after = Some(after);
            }
        }
        (Separated::Yaml, Placement::MemberValue) => {}
    }
    out
}

/// A comma right after the previous value, which ends at byte `i`.
fn before(i: usize, start: usize) -> Insertion {
    Insertion {
        at: i + 1,
        // Touching the new value: keep them apart.
        text: if i + 1 == start { ", " } else { "," },
    }
}

fn ends_a_value(b: u8) -> bool {
    matches!(b, b'"' | b'}' | b']' | b')') || b.is_ascii_alphanumeric()
}

fn starts_a_value(b: u8) -> bool {
    matches!(b, b'"' | b'{' | b'[' | b'-') || b.is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the separators for a value written at the `|` of `marked`
    /// (with nothing typed) and returns the text with `X` as the value.
    fn with_value(marked: &str, placement: Placement, style: Separated) -> String {
        let at = marked.find('|').unwrap();
        let text = marked.replacen('|', "", 1);
        let found = around(&text, TextRange::empty(at), placement, style);
        let mut out = text.clone();
        // From the end, so that earlier offsets stay put; at the cursor the
        // value goes before the separator that follows it.
        if let Some(after) = found.after {
            out.insert_str(after.at, after.text);
        }
        out.insert(at, 'X');
        if let Some(before) = found.before {
            out.insert_str(before.at, before.text);
        }
        out
    }

    #[test]
    fn json_array_items_get_the_commas_they_lack() {
        let json = |m: &str| with_value(m, Placement::ArrayItem, Separated::Commas);
        assert_eq!(json(r#"[| "b"]"#), r#"[X, "b"]"#);
        assert_eq!(json(r#"[|"b"]"#), r#"[X, "b"]"#);
        assert_eq!(json(r#"["a" |]"#), r#"["a", X]"#);
        assert_eq!(json(r#"["a"|]"#), r#"["a", X]"#);
        assert_eq!(json(r#"["a" | "b"]"#), r#"["a", X, "b"]"#);
        // Commas already there are not doubled.
        assert_eq!(json(r#"["a", |]"#), r#"["a", X]"#);
        assert_eq!(json(r#"[|, "b"]"#), r#"[X, "b"]"#);
        assert_eq!(json(r#"["a", | , "b"]"#), r#"["a", X , "b"]"#);
        assert_eq!(json("[\n  |\n  \"b\"\n]"), "[\n  X,\n  \"b\"\n]");
        assert_eq!(json("[|]"), "[X]");
        // HCL tuples: references end and start values too.
        assert_eq!(json("[local.a |]"), "[local.a, X]");
    }

    #[test]
    fn json_member_values_before_another_member() {
        let json = |m: &str| with_value(m, Placement::MemberValue, Separated::Commas);
        assert_eq!(
            json(r#"{"Effect": | "Action": []}"#),
            r#"{"Effect": X, "Action": []}"#
        );
        assert_eq!(json(r#"{"Effect": |}"#), r#"{"Effect": X}"#);
        assert_eq!(
            json(r#"{"Effect": |, "Action": []}"#),
            r#"{"Effect": X, "Action": []}"#
        );
        // Keys are never separated: a key is not complete without its value.
        assert_eq!(
            with_value(r#"{| "Action": []}"#, Placement::Other, Separated::Commas),
            r#"{X "Action": []}"#
        );
    }

    #[test]
    fn yaml_separates_only_flow_sequences() {
        let yaml = |m: &str| with_value(m, Placement::ArrayItem, Separated::Yaml);
        assert_eq!(yaml("Action: [| kms:Encrypt]"), "Action: [X, kms:Encrypt]");
        assert_eq!(yaml("Action: [kms:Encrypt |]"), "Action: [kms:Encrypt, X]");
        assert_eq!(yaml("Action: [kms:Encrypt, |]"), "Action: [kms:Encrypt, X]");
        assert_eq!(yaml("Action: [|]"), "Action: [X]");
        assert_eq!(
            yaml("Action:\n  - kms:Encrypt\n  - |\nResource: x\n"),
            "Action:\n  - kms:Encrypt\n  - X\nResource: x\n"
        );
        assert_eq!(
            yaml("Action:\n  - |\n  - kms:Encrypt\n"),
            "Action:\n  - X\n  - kms:Encrypt\n"
        );
    }
}
