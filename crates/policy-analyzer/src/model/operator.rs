//! Condition operators: `[ForAnyValue:|ForAllValues:]<Base>[IfExists]`.

/// The base comparison of a condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// The family of value types an operator compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperatorFamily {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

impl BaseOperator {
    pub const ALL: [BaseOperator; 27] = [
        BaseOperator::StringEquals,
        BaseOperator::StringNotEquals,
        BaseOperator::StringEqualsIgnoreCase,
        BaseOperator::StringNotEqualsIgnoreCase,
        BaseOperator::StringLike,
        BaseOperator::StringNotLike,
        BaseOperator::NumericEquals,
        BaseOperator::NumericNotEquals,
        BaseOperator::NumericLessThan,
        BaseOperator::NumericLessThanEquals,
        BaseOperator::NumericGreaterThan,
        BaseOperator::NumericGreaterThanEquals,
        BaseOperator::DateEquals,
        BaseOperator::DateNotEquals,
        BaseOperator::DateLessThan,
        BaseOperator::DateLessThanEquals,
        BaseOperator::DateGreaterThan,
        BaseOperator::DateGreaterThanEquals,
        BaseOperator::Bool,
        BaseOperator::BinaryEquals,
        BaseOperator::IpAddress,
        BaseOperator::NotIpAddress,
        BaseOperator::ArnEquals,
        BaseOperator::ArnLike,
        BaseOperator::ArnNotEquals,
        BaseOperator::ArnNotLike,
        BaseOperator::Null,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BaseOperator::StringEquals => "StringEquals",
            BaseOperator::StringNotEquals => "StringNotEquals",
            BaseOperator::StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            BaseOperator::StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            BaseOperator::StringLike => "StringLike",
            BaseOperator::StringNotLike => "StringNotLike",
            BaseOperator::NumericEquals => "NumericEquals",
            BaseOperator::NumericNotEquals => "NumericNotEquals",
            BaseOperator::NumericLessThan => "NumericLessThan",
            BaseOperator::NumericLessThanEquals => "NumericLessThanEquals",
            BaseOperator::NumericGreaterThan => "NumericGreaterThan",
            BaseOperator::NumericGreaterThanEquals => "NumericGreaterThanEquals",
            BaseOperator::DateEquals => "DateEquals",
            BaseOperator::DateNotEquals => "DateNotEquals",
            BaseOperator::DateLessThan => "DateLessThan",
            BaseOperator::DateLessThanEquals => "DateLessThanEquals",
            BaseOperator::DateGreaterThan => "DateGreaterThan",
            BaseOperator::DateGreaterThanEquals => "DateGreaterThanEquals",
            BaseOperator::Bool => "Bool",
            BaseOperator::BinaryEquals => "BinaryEquals",
            BaseOperator::IpAddress => "IpAddress",
            BaseOperator::NotIpAddress => "NotIpAddress",
            BaseOperator::ArnEquals => "ArnEquals",
            BaseOperator::ArnLike => "ArnLike",
            BaseOperator::ArnNotEquals => "ArnNotEquals",
            BaseOperator::ArnNotLike => "ArnNotLike",
            BaseOperator::Null => "Null",
        }
    }

    pub fn family(self) -> OperatorFamily {
        use BaseOperator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => OperatorFamily::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => OperatorFamily::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => OperatorFamily::Date,
            Bool => OperatorFamily::Bool,
            BinaryEquals => OperatorFamily::Binary,
            IpAddress | NotIpAddress => OperatorFamily::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => OperatorFamily::Arn,
            Null => OperatorFamily::Null,
        }
    }

    /// Negated operators match when no value matches; a key absent from the
    /// request makes them true.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// Whether `*` and `?` in the policy's values are wildcards. IAM's ARN
    /// operators match ARN components with wildcards (ArnEquals and ArnLike
    /// behave identically); of the string operators only the `Like` pair does.
    pub fn supports_wildcards(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringLike | StringNotLike | ArnEquals | ArnLike | ArnNotEquals | ArnNotLike
        )
    }

    pub fn ignores_case(self) -> bool {
        matches!(
            self,
            BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase
        )
    }

    /// A one-line description, for hover and completion.
    pub fn description(self) -> &'static str {
        use BaseOperator::*;
        match self {
            StringEquals => "Exact, case-sensitive string match. `*` and `?` are literal characters.",
            StringNotEquals => "True when the value matches none of the listed strings (exact, case-sensitive). True when the key is absent.",
            StringEqualsIgnoreCase => "Exact string match ignoring case. `*` and `?` are literal characters.",
            StringNotEqualsIgnoreCase => "True when the value matches none of the listed strings, ignoring case. True when the key is absent.",
            StringLike => "Case-sensitive match where `*` matches any run of characters and `?` any single character.",
            StringNotLike => "True when the value matches none of the listed wildcard patterns. True when the key is absent.",
            NumericEquals => "Numeric equality.",
            NumericNotEquals => "Numeric inequality. True when the key is absent.",
            NumericLessThan => "Request value < policy value.",
            NumericLessThanEquals => "Request value <= policy value.",
            NumericGreaterThan => "Request value > policy value.",
            NumericGreaterThanEquals => "Request value >= policy value.",
            DateEquals => "Date equality (ISO 8601 or epoch seconds).",
            DateNotEquals => "Date inequality. True when the key is absent.",
            DateLessThan => "Request date before the policy date.",
            DateLessThanEquals => "Request date at or before the policy date.",
            DateGreaterThan => "Request date after the policy date.",
            DateGreaterThanEquals => "Request date at or after the policy date.",
            Bool => "Boolean match (`true` or `false`).",
            BinaryEquals => "Byte-for-byte match of a base64-encoded value.",
            IpAddress => "The request's IP address lies in one of the listed CIDR ranges.",
            NotIpAddress => "The request's IP address lies in none of the listed CIDR ranges. True when the key is absent.",
            ArnEquals => "ARN match, component by component; `*` and `?` are wildcards within a component. Behaves like ArnLike.",
            ArnLike => "ARN match, component by component; `*` and `?` are wildcards within a component.",
            ArnNotEquals => "True when the ARN matches none of the listed patterns. True when the key is absent.",
            ArnNotLike => "True when the ARN matches none of the listed patterns. True when the key is absent.",
            Null => "`true`: the key is absent from the request; `false`: the key is present.",
        }
    }
}

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

impl SetQualifier {
    pub fn prefix(self) -> &'static str {
        match self {
            SetQualifier::ForAnyValue => "ForAnyValue:",
            SetQualifier::ForAllValues => "ForAllValues:",
        }
    }
}

/// A parsed condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub base: BaseOperator,
    pub if_exists: bool,
}

impl Operator {
    /// Parses an operator name. Operator names are matched exactly as IAM
    /// spells them; [`Operator::parse_ignore_case`] finds what a wrongly cased
    /// name was meant to be.
    pub fn parse(name: &str) -> Option<Operator> {
        Self::parse_with(name, false)
    }

    pub fn parse_ignore_case(name: &str) -> Option<Operator> {
        Self::parse_with(name, true)
    }

    fn parse_with(name: &str, ignore_case: bool) -> Option<Operator> {
        let strip_prefix = |s: &'_ str, p: &str| -> Option<usize> {
            let head = s.get(..p.len())?;
            let eq = if ignore_case {
                head.eq_ignore_ascii_case(p)
            } else {
                head == p
            };
            eq.then_some(p.len())
        };
        let mut rest = name;
        let mut qualifier = None;
        for q in [SetQualifier::ForAnyValue, SetQualifier::ForAllValues] {
            if let Some(n) = strip_prefix(rest, q.prefix()) {
                qualifier = Some(q);
                rest = &rest[n..];
                break;
            }
        }
        let mut if_exists = false;
        let suffix = "IfExists";
        if rest.len() > suffix.len() {
            // The name is user text: its last 8 bytes may start inside a
            // multi-byte character, and then it cannot end in `IfExists`.
            let eq = rest.get(rest.len() - suffix.len()..).is_some_and(|tail| {
                if ignore_case {
                    tail.eq_ignore_ascii_case(suffix)
                } else {
                    tail == suffix
                }
            });
            if eq {
                if_exists = true;
                rest = &rest[..rest.len() - suffix.len()];
            }
        }
        let base = BaseOperator::ALL.into_iter().find(|op| {
            if ignore_case {
                op.name().eq_ignore_ascii_case(rest)
            } else {
                op.name() == rest
            }
        })?;
        Some(Operator {
            qualifier,
            base,
            if_exists,
        })
    }

    /// The canonical spelling.
    pub fn name(&self) -> String {
        let mut s = String::new();
        if let Some(q) = self.qualifier {
            s.push_str(q.prefix());
        }
        s.push_str(self.base.name());
        if self.if_exists {
            s.push_str("IfExists");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qualifier_base_and_suffix() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.name(), "ForAnyValue:StringLikeIfExists");
        assert_eq!(Operator::parse("Null").unwrap().base, BaseOperator::Null);
        assert!(Operator::parse("StringEqual").is_none());
        assert!(Operator::parse("stringequals").is_none());
        assert_eq!(
            Operator::parse_ignore_case("stringequals").unwrap().base,
            BaseOperator::StringEquals
        );
        assert!(Operator::parse("IfExists").is_none());
    }

    #[test]
    fn names_ending_inside_a_multibyte_character_are_not_operators() {
        // 9 bytes: the last 8 start inside the first `中`.
        assert!(Operator::parse("中中中").is_none());
        assert!(Operator::parse_ignore_case("中中中").is_none());
        assert!(Operator::parse("ForAnyValue:中中中").is_none());
        assert_eq!(
            Operator::parse("StringEqualsIfExists").map(|o| o.if_exists),
            Some(true)
        );
    }
}
