//! IAM wildcard matching and policy variables.
//!
//! IAM's wildcards are `*` (any run of characters, possibly empty) and `?`
//! (exactly one character), anywhere in the pattern. Matching here is a
//! linear-time greedy scan with single-star backtracking, so no pattern can make
//! it explode.

/// Whether `text` matches the IAM wildcard `pattern`. With `ignore_case`,
/// letters compare without regard to case (action names, condition key names).
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        // Action and key names are ASCII: match bytes without allocating.
        let eq = |p: u8, t: u8| p == t || (ignore_case && p.eq_ignore_ascii_case(&t));
        return glob(
            pattern.as_bytes(),
            text.as_bytes(),
            |&b| b == b'*',
            |&b| b == b'?',
            |p, t| eq(*p, *t),
        );
    }
    let pieces = Piece::parse_plain(pattern);
    match_pieces(&pieces, text, ignore_case)
}

/// The matching loop shared by every representation of patterns and text.
fn glob<P, T>(
    pattern: &[P],
    text: &[T],
    is_run: impl Fn(&P) -> bool,
    is_one: impl Fn(&P) -> bool,
    eq: impl Fn(&P, &T) -> bool,
) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    // Where to resume after the last `*`: (piece after the star, text position).
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if let Some(piece) = pattern.get(p) {
            if is_run(piece) {
                p += 1;
                backtrack = Some((p, t));
                continue;
            }
            if is_one(piece) || eq(piece, &text[t]) {
                p += 1;
                t += 1;
                continue;
            }
        }
        match backtrack {
            Some((bp, bt)) => {
                p = bp;
                t = bt + 1;
                backtrack = Some((bp, bt + 1));
            }
            None => return false,
        }
    }
    pattern[p.min(pattern.len())..].iter().all(is_run)
}

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Char(char),
    AnyRun,
    AnyOne,
}

impl Piece {
    /// `*` and `?` as wildcards, everything else literal.
    pub fn parse_plain(pattern: &str) -> Vec<Piece> {
        pattern
            .chars()
            .map(|c| match c {
                '*' => Piece::AnyRun,
                '?' => Piece::AnyOne,
                c => Piece::Char(c),
            })
            .collect()
    }

    /// Every character literal (for operators without wildcards).
    pub fn parse_literal(text: &str) -> Vec<Piece> {
        text.chars().map(Piece::Char).collect()
    }
}

/// Whether a pattern has a wildcard character (`*` or `?`).
pub fn has_wildcard(pattern: &str) -> bool {
    first_wildcard(pattern).is_some()
}

/// The byte offset of a pattern's first wildcard character, if it has one.
pub fn first_wildcard(pattern: &str) -> Option<usize> {
    // Bytes, not chars: both are ASCII, and this runs for every value the
    // evaluator compares and every action the rules classify.
    pattern.bytes().position(|b| b == b'*' || b == b'?')
}

/// Whether a value holds a policy variable (`${...}`).
pub fn has_variable(value: &str) -> bool {
    value.as_bytes().windows(2).any(|w| w == b"${")
}

fn eq_char(a: char, b: char, ignore_case: bool) -> bool {
    a == b || (ignore_case && chars_eq_ignore_case(a, b))
}

fn chars_eq_ignore_case(a: char, b: char) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(&b)
    } else {
        a.to_lowercase().eq(b.to_lowercase())
    }
}

/// Matches compiled pieces against `text`.
pub fn match_pieces(pieces: &[Piece], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    glob(
        pieces,
        &text,
        |p| *p == Piece::AnyRun,
        |p| *p == Piece::AnyOne,
        |p, &t| matches!(p, Piece::Char(c) if eq_char(*c, t, ignore_case)),
    )
}

/// Policy-variable handling for a value under Version `2012-10-17`.
///
/// `${key}` is replaced by the request's value for `key` (via `lookup`);
/// `${key, 'default'}` uses the default when the key is absent; `${*}`, `${?}`
/// and `${$}` stand for the literal characters. Returns `None` when a variable
/// has no value, which makes the element not match, as in IAM.
pub fn compile_with_variables(
    pattern: &str,
    wildcards: bool,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<Vec<Piece>> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        push_text(&mut out, &rest[..start], wildcards);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            push_text(&mut out, &rest[start..], wildcards);
            return Some(out);
        };
        let inner = after[..end].trim();
        match inner {
            "*" => out.push(Piece::Char('*')),
            "?" => out.push(Piece::Char('?')),
            "$" => out.push(Piece::Char('$')),
            _ => {
                let (name, default) = match inner.split_once(',') {
                    Some((name, default)) => {
                        let default = default.trim();
                        let default = default
                            .strip_prefix('\'')
                            .and_then(|d| d.strip_suffix('\''))
                            .unwrap_or(default);
                        (name.trim(), Some(default))
                    }
                    None => (inner, None),
                };
                let value = lookup(name).or_else(|| default.map(str::to_string))?;
                out.extend(value.chars().map(Piece::Char));
            }
        }
        rest = &after[end + 1..];
    }
    push_text(&mut out, rest, wildcards);
    Some(out)
}

fn push_text(out: &mut Vec<Piece>, text: &str, wildcards: bool) {
    if wildcards {
        out.extend(Piece::parse_plain(text));
    } else {
        out.extend(text.chars().map(Piece::Char));
    }
}

/// The policy variables (`${...}`) a value uses, other than the literal escapes.
pub fn policy_variables(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = value;
    std::iter::from_fn(move || loop {
        let start = rest.find("${")?;
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let inner = after[..end].trim();
        rest = &after[end + 1..];
        if !matches!(inner, "*" | "?" | "$") {
            return Some(inner.split(',').next().unwrap_or(inner).trim());
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symbol_is_no_wildcard() {
        let unknown = crate::symbolic::Symbol::unknown("var.x").encode();
        assert!(!has_wildcard(&format!("arn:aws:iam::{unknown}:root")));
        assert_eq!(first_wildcard(&format!("{unknown}*")), Some(unknown.len()));
        assert!(!Piece::parse_plain(&unknown).contains(&Piece::AnyOne));
    }

    #[test]
    fn variables_and_wildcards_are_found_anywhere() {
        assert!(has_variable("arn:aws:iam::${aws:PrincipalAccount}:root"));
        assert!(has_variable("${"));
        assert!(!has_variable("$ {x}"));
        assert!(!has_variable("{x}$"));
        assert!(has_wildcard("é*"));
        assert!(has_wildcard("kms:?ecrypt"));
        assert!(!has_wildcard("kms:Décrypt"));
    }

    #[test]
    fn star_and_question_mark() {
        assert!(wildcard_match(
            "kms:GenerateDataKey*",
            "kms:GenerateDataKey",
            true
        ));
        assert!(wildcard_match(
            "kms:GenerateDataKey*",
            "kms:GenerateDataKeyPair",
            true
        ));
        assert!(wildcard_match("kms:*", "kms:Decrypt", true));
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("kms:?ecrypt", "kms:Decrypt", true));
        assert!(!wildcard_match("kms:?ecrypt", "kms:ecrypt", true));
        assert!(wildcard_match("a*b*c", "axxbyyc", false));
        assert!(!wildcard_match("a*b*c", "axxbyy", false));
        assert!(wildcard_match("*:FSx", "AROAEXAMPLE:FSx", false));
        assert!(!wildcard_match("*:FSx", "AROAEXAMPLE:fsx", false));
    }

    #[test]
    fn case_rules() {
        assert!(wildcard_match("KMS:decrypt", "kms:Decrypt", true));
        assert!(!wildcard_match("KMS:decrypt", "kms:Decrypt", false));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "*a".repeat(500));
        assert!(!wildcard_match(&pattern, &text, false));
    }

    #[test]
    fn variables_substitute_and_escape() {
        let lookup = |k: &str| (k == "aws:username").then(|| "alice".to_string());
        let p = compile_with_variables("home/${aws:username}/*", true, &lookup).unwrap();
        assert!(match_pieces(&p, "home/alice/x", false));
        assert!(!match_pieces(&p, "home/bob/x", false));
        let p = compile_with_variables("a${*}b", true, &lookup).unwrap();
        assert!(match_pieces(&p, "a*b", false));
        assert!(!match_pieces(&p, "axb", false));
        assert!(compile_with_variables("${aws:userid}", true, &lookup).is_none());
        let p = compile_with_variables("${aws:userid, 'none'}", true, &lookup).unwrap();
        assert!(match_pieces(&p, "none", false));
        assert_eq!(
            policy_variables("${aws:username}/${*}/${aws:userid, 'x'}").collect::<Vec<_>>(),
            vec!["aws:username", "aws:userid"]
        );
    }
}
