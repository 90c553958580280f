//! How one policy value compares with one request value, per operator family
//! (IAM UG, "IAM JSON policy elements: Condition operators").
//!
//! Only the positive comparisons live here: a negated operator
//! (`StringNotEquals`, `NotIpAddress`...) is the positive one with the result
//! of the whole value list inverted, which `condition.rs` does.

use std::net::IpAddr;

use crate::matcher::{match_pieces, wildcard_match, Piece};
use crate::model::BaseOperator;

/// A policy value made ready for comparison. Policy values are parsed once per
/// condition entry; a value that cannot be parsed for its operator makes the
/// entry unreadable rather than silently false.
#[derive(Clone, Debug)]
pub(crate) enum PolicyOperand<'p> {
    /// String and ARN operators: the value as written (wildcards only where
    /// the operator has them). Borrowed: the common case allocates nothing.
    Text(&'p str),
    /// String and ARN operators after policy-variable substitution: pattern
    /// pieces, in which `${*}` has become a literal `*`.
    Pattern(Vec<Piece>),
    Number(f64),
    /// Seconds since the epoch.
    Date(f64),
    Bool(bool),
    Binary(Vec<u8>),
    Cidr(Cidr),
}

/// The positive form of an operator: `StringNotLike` → `StringLike`.
pub(crate) fn positive(base: BaseOperator) -> BaseOperator {
    use BaseOperator::*;
    match base {
        StringNotEquals => StringEquals,
        StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
        StringNotLike => StringLike,
        NumericNotEquals => NumericEquals,
        DateNotEquals => DateEquals,
        NotIpAddress => IpAddress,
        ArnNotEquals => ArnEquals,
        ArnNotLike => ArnLike,
        other => other,
    }
}

/// Parses a policy value for an operator, without policy variables. `Err`
/// says why the value is unreadable.
pub(crate) fn parse_operand(base: BaseOperator, value: &str) -> Result<PolicyOperand<'_>, String> {
    use BaseOperator::*;
    match positive(base) {
        StringEquals | StringEqualsIgnoreCase | StringLike | ArnEquals | ArnLike => {
            Ok(PolicyOperand::Text(value))
        }
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => parse_number(value)
            .map(PolicyOperand::Number)
            .ok_or_else(|| format!("`{value}` is not a number")),
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => parse_date(value)
            .map(PolicyOperand::Date)
            .ok_or_else(|| format!("`{value}` is not an ISO 8601 date or epoch seconds")),
        Bool | Null => parse_bool(value)
            .map(PolicyOperand::Bool)
            .ok_or_else(|| format!("`{value}` is not true or false")),
        BinaryEquals => decode_base64(value)
            .map(PolicyOperand::Binary)
            .ok_or_else(|| format!("`{value}` is not base64")),
        IpAddress => Cidr::parse(value)
            .map(PolicyOperand::Cidr)
            .ok_or_else(|| format!("`{value}` is not an IP address or CIDR range")),
        _ => Err(format!("{} takes no value `{value}`", base.name())),
    }
}

/// Whether the request value satisfies the (positive) operator for this policy
/// value. A request value of the wrong type (a date that is no date) matches
/// nothing.
pub(crate) fn compare(base: BaseOperator, operand: &PolicyOperand<'_>, request: &str) -> bool {
    use BaseOperator::*;
    match (positive(base), operand) {
        (StringEquals, PolicyOperand::Text(p)) => *p == request,
        (StringEqualsIgnoreCase, PolicyOperand::Text(p)) => eq_ignore_case(p, request),
        (StringLike, PolicyOperand::Text(p)) => wildcard_matches(p, request, false),
        (StringEquals | StringLike, PolicyOperand::Pattern(p)) => match_pieces(p, request, false),
        (StringEqualsIgnoreCase, PolicyOperand::Pattern(p)) => match_pieces(p, request, true),
        (ArnEquals | ArnLike, PolicyOperand::Text(p)) => arn_matches_text(p, request),
        (ArnEquals | ArnLike, PolicyOperand::Pattern(p)) => arn_matches(p, request),
        (op, PolicyOperand::Number(p)) => match parse_number(request) {
            Some(r) => ordered(op, r, *p),
            None => false,
        },
        (op, PolicyOperand::Date(p)) => match parse_date(request) {
            Some(r) => ordered(op, r, *p),
            None => false,
        },
        (Bool, PolicyOperand::Bool(p)) => parse_bool(request) == Some(*p),
        (BinaryEquals, PolicyOperand::Binary(p)) => {
            decode_base64(request).as_deref() == Some(p.as_slice())
        }
        (IpAddress, PolicyOperand::Cidr(cidr)) => request
            .trim()
            .parse::<IpAddr>()
            .map(|ip| cidr.contains(ip))
            .unwrap_or(false),
        _ => false,
    }
}

/// IAM's `*`/`?` wildcard match (the matcher's, which does not allocate
/// for ASCII text).
pub(crate) fn wildcard_matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    wildcard_match(pattern, text, ignore_case)
}

/// [`arn_matches`] for a policy value as written.
fn arn_matches_text(pattern: &str, value: &str) -> bool {
    if pattern.matches(':').count() < 5 {
        return wildcard_matches(pattern, value, false);
    }
    let (Some(pattern_parts), Some(value_parts)) =
        (crate::aws::arn_parts(pattern), crate::aws::arn_parts(value))
    else {
        return false;
    };
    pattern_parts
        .iter()
        .zip(&value_parts)
        .all(|(p, v)| wildcard_matches(p, v, false))
}

fn ordered(op: BaseOperator, request: f64, policy: f64) -> bool {
    use BaseOperator::*;
    match op {
        NumericEquals | DateEquals => request == policy,
        NumericLessThan | DateLessThan => request < policy,
        NumericLessThanEquals | DateLessThanEquals => request <= policy,
        NumericGreaterThan | DateGreaterThan => request > policy,
        NumericGreaterThanEquals | DateGreaterThanEquals => request >= policy,
        _ => false,
    }
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// ARN matching: "each of the six colon-delimited components of the ARN is
/// checked separately and each can include a multi-character match wildcard
/// (*) or a single-character match wildcard (?)" (IAM UG, ARN condition
/// operators). The sixth component, the resource, keeps any further colons. A
/// pattern with fewer than six components (`*`, `arn:aws:logs:*`) is matched
/// against the whole value.
pub(crate) fn arn_matches(pattern: &[Piece], value: &str) -> bool {
    let pattern_parts = split_pieces(pattern);
    if pattern_parts.len() < 6 {
        return match_pieces(pattern, value, false);
    }
    let Some(value_parts) = crate::aws::arn_parts(value) else {
        return false;
    };
    pattern_parts
        .iter()
        .zip(&value_parts)
        .all(|(p, v)| match_pieces(p, v, false))
}

/// Splits pattern pieces at the first five literal colons.
fn split_pieces(pattern: &[Piece]) -> Vec<&[Piece]> {
    let mut parts = Vec::with_capacity(6);
    let mut start = 0;
    for (i, piece) in pattern.iter().enumerate() {
        if parts.len() == 5 {
            break;
        }
        if *piece == Piece::Char(':') {
            parts.push(&pattern[start..i]);
            start = i + 1;
        }
    }
    parts.push(&pattern[start..]);
    parts
}

/// IAM numbers: integers or decimals, optionally signed. Rejects what Rust's
/// float parser would also take (`inf`, `NaN`, `1e5` is kept as a decimal
/// exponent).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut chars = digits.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_dot => seen_dot = true,
            'e' | 'E' if seen_digit => break,
            _ => return None,
        }
        chars.next();
    }
    if !seen_digit {
        return None;
    }
    if chars.peek().is_some() {
        chars.next();
        let exponent: String = chars.collect();
        let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(&exponent);
        if exponent.is_empty() || !exponent.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Dates as IAM takes them: ISO 8601 (`2024-01-31`, `2024-01-31T12:00:00Z`,
/// with fractions and `+hh:mm` offsets) or seconds since the epoch. Returns
/// seconds since the epoch.
pub(crate) fn parse_date(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Some(n) = parse_number(t) {
        // Epoch seconds: a plain number, not a year-month-day.
        if !t.contains('-') || (t.starts_with('-') && !t[1..].contains('-')) {
            return Some(n);
        }
    }
    let b = t.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(range)?;
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    let mut rest = &t[10..];
    if rest.is_empty() {
        return Some(seconds);
    }
    rest = rest.strip_prefix(['T', 't', ' '])?;
    let time_end = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(time_end);
    let mut fields = time.splitn(3, ':');
    let hour: i64 = fields.next().filter(|s| s.len() == 2)?.parse().ok()?;
    let minute: i64 = fields.next().filter(|s| s.len() == 2)?.parse().ok()?;
    let second: f64 = match fields.next() {
        Some(s) => {
            let whole = s.split('.').next()?;
            if whole.len() != 2 || !s.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                return None;
            }
            s.parse().ok()?
        }
        None => 0.0,
    };
    if hour > 24 || minute > 59 || second >= 61.0 {
        return None;
    }
    seconds += (hour * 3600 + minute * 60) as f64 + second;
    match zone {
        "" | "Z" | "z" => {}
        _ => {
            let sign = if zone.starts_with('-') { -1.0 } else { 1.0 };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let hours: f64 = digits[..2].parse().ok()?;
            let minutes: f64 = digits[2..].parse().ok()?;
            seconds -= sign * (hours * 3600.0 + minutes * 60.0);
        }
    }
    Some(seconds)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Standard base64 (padding optional), for `BinaryEquals`.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let t = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(t.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in t.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    (t.len() % 4 != 1).then_some(out)
}

/// An IPv4 or IPv6 range. A bare address is a /32 or /128.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    pub(crate) network: IpAddr,
    pub(crate) prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let t = text.trim();
        let (address, prefix) = match t.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (t, None),
        };
        let network: IpAddr = address.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => {
                p.parse::<u8>().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        (prefix <= max).then_some(Cidr { network, prefix })
    }

    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-2.5"), Some(-2.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("1.2.3"), None);
        assert_eq!(parse_number("e5"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_date("1970-01-02"), Some(86_400.0));
        assert_eq!(parse_date("2020-03-01T00:00:00Z"), Some(1_583_020_800.0));
        assert_eq!(
            parse_date("2020-03-01T01:00:00+01:00"),
            Some(1_583_020_800.0)
        );
        assert_eq!(
            parse_date("2020-03-01T00:00:00.500Z"),
            Some(1_583_020_800.5)
        );
        assert_eq!(parse_date("1583020800"), Some(1_583_020_800.0));
        assert_eq!(parse_date("2019-02-29"), None);
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2020-03-01T00:00:00+1"), None);
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.9".parse().unwrap()));
        assert!(!c.contains("203.0.114.9".parse().unwrap()));
        assert!(!c.contains("2001:db8::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
        assert_eq!(Cidr::parse("10.1.2.3").unwrap().prefix, 32);
    }

    #[test]
    fn base64() {
        assert_eq!(decode_base64("QWxpY2U=").unwrap(), b"Alice");
        assert_eq!(decode_base64("QWxpY2U").unwrap(), b"Alice");
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn arns_match_component_wise() {
        let p = Piece::parse_plain("arn:aws:s3:::bucket/*");
        assert!(arn_matches(&p, "arn:aws:s3:::bucket/a/b:c"));
        let p = Piece::parse_plain("arn:aws:cloudtrail:*:111122223333:trail/*");
        assert!(arn_matches(
            &p,
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/t"
        ));
        assert!(!arn_matches(
            &p,
            "arn:aws:cloudtrail:us-east-1:999999999999:trail/t"
        ));
        // `*` in a component does not reach across a colon.
        let p = Piece::parse_plain("arn:aws:logs:*:log-group:x");
        assert!(!arn_matches(
            &p,
            "arn:aws:logs:us-east-1:111122223333:log-group:x"
        ));
        assert!(arn_matches(
            &Piece::parse_plain("*"),
            "arn:aws:sns:us-east-1:1:t"
        ));
        assert!(!arn_matches(
            &Piece::parse_plain("arn:aws:s3:::b"),
            "not-an-arn"
        ));
        for (pattern, value) in [
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"),
            (
                "arn:aws:logs:*:log-group:x",
                "arn:aws:logs:us-east-1:111122223333:log-group:x",
            ),
            ("*", "arn:aws:sns:us-east-1:1:t"),
            ("arn:aws:s3:::b", "not-an-arn"),
            (
                "arn:aws:cloudtrail:*:111122223333:trail/*",
                "arn:aws:cloudtrail:us-east-1:999999999999:trail/t",
            ),
        ] {
            assert_eq!(
                arn_matches_text(pattern, value),
                arn_matches(&Piece::parse_plain(pattern), value),
                "{pattern} {value}"
            );
        }
    }

    #[test]
    fn the_fast_matcher_agrees_with_the_matcher() {
        let patterns = [
            "*",
            "",
            "a*b*c",
            "a?c",
            "*:FSx",
            "kms:GenerateDataKey*",
            "**a",
            "?*?",
            "a*",
            "*a",
            "é*",
        ];
        let texts = [
            "",
            "abc",
            "axxbyyc",
            "axxbyy",
            "ROLE:FSx",
            "kms:generatedatakeypair",
            "a",
            "aa",
            "ba",
            "éa",
        ];
        for p in patterns {
            for t in texts {
                for ignore_case in [false, true] {
                    assert_eq!(
                        wildcard_matches(p, t, ignore_case),
                        wildcard_match(p, t, ignore_case),
                        "{p:?} {t:?} {ignore_case}"
                    );
                }
            }
        }
    }
}
