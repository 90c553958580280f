//! Symbolic values: what a host (a CloudFormation template, a Terraform
//! module, a template file) could not resolve to text, standing inside a
//! policy string for what it is known to be.
//!
//! A symbol is written into the policy's strings in-band, between two
//! characters of Unicode's private use area that no policy holds: the rules
//! and the evaluator then treat it as an opaque part of a value, so that two
//! mentions of the deploying account compare equal (the principal
//! `arn:aws:iam::${AWS::AccountId}:root` is the key's account root) while an
//! unknown parameter equals nothing but itself. What the format checks need
//! to know is asked here: [`is_account`] and [`is_region`] say a symbol is a
//! valid account or Region, and [`format_view`] gives the text a format check
//! should judge, or nothing when an unknown part makes any verdict a guess.
//!
//! Messages show a symbol as the host spelled it (`${AWS::AccountId}`,
//! `${data.aws_caller_identity.current.account_id}`): the host keeps a
//! [`SymbolTable`] and [`SymbolTable::display`] rewrites the text it reports.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

/// Opens a symbol.
pub const OPEN: char = '\u{E000}';
/// Marks an unknown value's name: no character IAM gives a meaning (not a
/// wildcard, not `$`), so a pattern never matches inside a symbol.
const UNKNOWN: char = '=';
/// Closes a symbol.
pub const CLOSE: char = '\u{E001}';
const OPEN_BYTES: &[u8] = "\u{E000}".as_bytes();

/// What a symbol stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// The account that deploys the template or module: the key's own account.
    Account,
    /// The Region the stack or module is deployed to: the key's Region.
    Region,
    /// A value that cannot be known before deployment (a parameter without a
    /// default, another resource's attribute, an import). The name says
    /// which; the same name is the same value.
    Unknown(String),
}

impl Symbol {
    /// A symbol for an unknown value named by `what` (any text: characters
    /// that would confuse ARN or pattern parsing are replaced).
    pub fn unknown(what: &str) -> Symbol {
        let name: String = what
            .chars()
            .map(|c| match c {
                ':' | '*' | '?' | '$' | '{' | '}' | '/' | '"' | '\\' | OPEN | CLOSE => '.',
                c if c.is_whitespace() || c.is_control() => '.',
                c => c,
            })
            .collect();
        Symbol::Unknown(name)
    }

    /// The symbol as it stands in a policy string.
    pub fn encode(&self) -> String {
        match self {
            Symbol::Account => ACCOUNT.to_string(),
            Symbol::Region => REGION.to_string(),
            Symbol::Unknown(name) => format!("{OPEN}{UNKNOWN}{name}{CLOSE}"),
        }
    }

    fn decode(inner: &str) -> Symbol {
        match inner {
            "account" => Symbol::Account,
            "region" => Symbol::Region,
            other => Symbol::Unknown(other.strip_prefix(UNKNOWN).unwrap_or(other).to_string()),
        }
    }
}

/// Whether `s` holds a symbol.
pub fn has_symbol(s: &str) -> bool {
    memchr::memmem::find(s.as_bytes(), OPEN_BYTES).is_some()
}

/// The symbols in `s`, with their byte ranges (delimiters included).
pub fn symbols(s: &str) -> impl Iterator<Item = (std::ops::Range<usize>, Symbol)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + s.get(at..)?.find(OPEN)?;
        let inner_start = start + OPEN.len_utf8();
        let inner_len = s[inner_start..].find(CLOSE)?;
        let end = inner_start + inner_len + CLOSE.len_utf8();
        at = end;
        Some((
            start..end,
            Symbol::decode(&s[inner_start..end - CLOSE.len_utf8()]),
        ))
    })
}

/// Whether `s` is exactly the deploying account.
pub fn is_account(s: &str) -> bool {
    s == ACCOUNT
}

/// Whether `s` is exactly the deploying Region.
pub fn is_region(s: &str) -> bool {
    s == REGION
}

/// Whether `s` is exactly one unknown value.
pub fn is_unknown(s: &str) -> bool {
    s.starts_with(OPEN)
        && s.ends_with(CLOSE)
        && s[OPEN.len_utf8()..].starts_with(UNKNOWN)
        && symbols(s).count() == 1
}

/// Whether `s` holds an unknown value anywhere.
pub fn has_unknown(s: &str) -> bool {
    has_symbol(s) && symbols(s).any(|(_, symbol)| matches!(symbol, Symbol::Unknown(_)))
}

/// The deploying account as it stands in a policy string.
pub const ACCOUNT: &str = "\u{E000}account\u{E001}";
/// The deploying Region as it stands in a policy string.
pub const REGION: &str = "\u{E000}region\u{E001}";

/// A 12-digit account ID that stands for the deploying account in a format
/// check: what [`format_view`] puts in its place.
pub const ACCOUNT_STAND_IN: &str = "111122223333";
/// A Region that stands for the deploying Region in a format check.
pub const REGION_STAND_IN: &str = "us-east-1";

/// The text a format check should judge: `s` itself, or with the account and
/// Region symbols replaced by valid values of their kind. `None` when `s`
/// holds an unknown value, whose form no check can judge.
pub fn format_view(s: &str) -> Option<Cow<'_, str>> {
    if !has_symbol(s) {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (range, symbol) in symbols(s) {
        out.push_str(&s[last..range.start]);
        match symbol {
            Symbol::Account => out.push_str(ACCOUNT_STAND_IN),
            Symbol::Region => out.push_str(REGION_STAND_IN),
            Symbol::Unknown(_) => return None,
        }
        last = range.end;
    }
    out.push_str(&s[last..]);
    Some(Cow::Owned(out))
}

/// A value as a format check judges it ([`format_view`]), with the way
/// back from a finding's offsets in the judged text to the value's own: an
/// offset inside a stand-in maps to the whole symbol.
#[derive(Clone, Debug)]
pub struct FormatView<'s> {
    text: Cow<'s, str>,
    /// (judged range, original range) of each stand-in.
    stand_ins: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

impl<'s> FormatView<'s> {
    /// `None` when the value holds an unknown value.
    pub fn new(s: &'s str) -> Option<FormatView<'s>> {
        if !has_symbol(s) {
            return Some(FormatView {
                text: Cow::Borrowed(s),
                stand_ins: Vec::new(),
            });
        }
        let mut out = String::with_capacity(s.len());
        let mut stand_ins = Vec::new();
        let mut last = 0;
        for (range, symbol) in symbols(s) {
            out.push_str(&s[last..range.start]);
            let stand_in = match symbol {
                Symbol::Account => ACCOUNT_STAND_IN,
                Symbol::Region => REGION_STAND_IN,
                Symbol::Unknown(_) => return None,
            };
            let start = out.len();
            out.push_str(stand_in);
            stand_ins.push((start..out.len(), range.clone()));
            last = range.end;
        }
        out.push_str(&s[last..]);
        Some(FormatView {
            text: Cow::Owned(out),
            stand_ins,
        })
    }

    /// The text to judge.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The offsets in the original value of `start..end` of the judged text.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let map = |offset: usize, is_end: bool| -> usize {
            let mut shift: isize = 0;
            for (judged, original) in &self.stand_ins {
                if offset < judged.start || (offset == judged.start && !is_end) {
                    break;
                }
                if offset < judged.end || (is_end && offset == judged.end) {
                    return if is_end { original.end } else { original.start };
                }
                shift = original.end as isize - judged.end as isize;
            }
            (offset as isize + shift) as usize
        };
        (map(start, false), map(end, true))
    }
}

/// How each symbol of one host is shown to the user: its first spelling.
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    spellings: FxHashMap<Symbol, String>,
}

impl SymbolTable {
    /// Records how `symbol` is written in the host (the first spelling wins),
    /// and returns its encoding.
    pub fn intern(&mut self, symbol: Symbol, spelling: &str) -> String {
        let encoded = symbol.encode();
        self.spellings
            .entry(symbol)
            .or_insert_with(|| spelling.to_string());
        encoded
    }

    /// Records how the host would spell `symbol` where the text never wrote
    /// it (a finding about the key's account in a policy that names none).
    pub fn spell_by_default(&mut self, symbol: Symbol, spelling: &str) {
        self.spellings
            .entry(symbol)
            .or_insert_with(|| spelling.to_string());
    }

    /// `text` with every symbol shown as the host spelled it.
    pub fn display<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !has_symbol(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut last = 0;
        for (range, symbol) in symbols(text) {
            out.push_str(&text[last..range.start]);
            match self.spellings.get(&symbol) {
                Some(spelling) => out.push_str(spelling),
                None => out.push_str(&default_spelling(&symbol)),
            }
            last = range.end;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

fn default_spelling(symbol: &Symbol) -> String {
    match symbol {
        Symbol::Account => "${AWS::AccountId}".into(),
        Symbol::Region => "${AWS::Region}".into(),
        Symbol::Unknown(name) => format!("${{{name}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_compare() {
        let account = Symbol::Account.encode();
        assert!(is_account(&account));
        assert!(!is_account("111122223333"));
        assert!(is_region(&Symbol::Region.encode()));
        let arn = format!("arn:aws:iam::{account}:root");
        let found: Vec<_> = symbols(&arn).collect();
        assert_eq!(found, [(13..13 + account.len(), Symbol::Account)]);
        let unknown = Symbol::unknown("Ref KeyAdmin:Arn/x").encode();
        assert!(is_unknown(&unknown));
        assert!(!unknown.contains(':') && !unknown.contains('/'));
        assert!(has_unknown(&format!("a{unknown}b")));
        assert!(!has_unknown(&arn));
    }

    #[test]
    fn format_view_masks_known_symbols_and_refuses_unknown_ones() {
        let arn = format!("arn:aws:iam::{}:root", Symbol::Account.encode());
        assert_eq!(
            format_view(&arn).as_deref(),
            Some("arn:aws:iam::111122223333:root")
        );
        let via = format!("fsx.{}.amazonaws.com", Symbol::Region.encode());
        assert_eq!(
            format_view(&via).as_deref(),
            Some("fsx.us-east-1.amazonaws.com")
        );
        assert_eq!(format_view("plain").as_deref(), Some("plain"));
        let unknown = format!("arn:aws:iam::{}:root", Symbol::unknown("p").encode());
        assert_eq!(format_view(&unknown), None);
    }

    #[test]
    fn format_views_map_findings_back() {
        let value = format!("arn:aws:iam::{ACCOUNT}:rool");
        let view = FormatView::new(&value).unwrap();
        assert_eq!(view.text(), "arn:aws:iam::111122223333:rool");
        let rool = view.text().find("rool").unwrap();
        let (start, end) = view.original(rool, rool + 4);
        assert_eq!(&value[start..end], "rool");
        let (start, end) = view.original(13, 25);
        assert_eq!(&value[start..end], ACCOUNT);
        assert!(FormatView::new(&Symbol::unknown("x").encode()).is_none());
    }

    #[test]
    fn display_uses_the_first_spelling() {
        let mut table = SymbolTable::default();
        let a = table.intern(Symbol::Account, "${AWS::AccountId}");
        table.intern(Symbol::Account, "!Ref AWS::AccountId");
        let u = table.intern(Symbol::unknown("Admin"), "${AdminArn}");
        let text = format!("arn:aws:iam::{a}:root and {u}");
        assert_eq!(
            table.display(&text),
            "arn:aws:iam::${AWS::AccountId}:root and ${AdminArn}"
        );
        assert_eq!(table.display("plain"), "plain");
    }
}
