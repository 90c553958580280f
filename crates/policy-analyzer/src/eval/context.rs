//! The request context: condition keys and their values for one request.

use std::borrow::Cow;

use super::RequestPrincipal;

/// The value of one condition key in a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key (`kms:ViaService`, `aws:SourceIp`).
    Single(String),
    /// A multivalued key (`kms:EncryptionContextKeys`, `aws:TagKeys`); may be empty.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice: one for `Single`, any number for `Multi`.
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(value) => std::slice::from_ref(value),
            ContextValue::Multi(values) => values,
        }
    }

    /// An empty set (`Multi(vec![])`), which IAM treats like an absent key.
    pub fn is_empty_set(&self) -> bool {
        matches!(self, ContextValue::Multi(values) if values.is_empty())
    }

    /// The value for `${...}` substitution: only single values can be policy
    /// variables (IAM UG, "Single-valued vs. multivalued context keys").
    pub fn as_single(&self) -> Option<&str> {
        match self {
            ContextValue::Single(value) => Some(value),
            ContextValue::Multi(_) => None,
        }
    }

    /// The values for messages: `a`, or `[a, b]`, or `an empty set`.
    pub fn describe(&self) -> String {
        match self {
            ContextValue::Single(value) => value.clone(),
            ContextValue::Multi(values) if values.is_empty() => "an empty set".to_string(),
            ContextValue::Multi(values) => format!("[{}]", values.join(", ")),
        }
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        ContextValue::Single(value.to_string())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        ContextValue::Single(value)
    }
}

/// The condition keys of a request. Key names compare case-insensitively, as
/// in IAM; values keep their case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// `(key as given, value)`, in insertion order. A handful of keys per
    /// request: a vector with case-insensitive look-up beats a map here.
    entries: Vec<(String, ContextValue)>,
}

impl RequestContext {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a single-valued key, replacing any earlier value of that key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.insert(key, ContextValue::Single(value.into()));
    }

    /// Sets a multivalued key, replacing any earlier value of that key.
    pub fn set_multi(&mut self, key: &str, values: Vec<String>) {
        self.insert(key, ContextValue::Multi(values));
    }

    /// Sets a key to a value of either kind.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        match self.position(key) {
            Some(i) => {
                let entry = &mut self.entries[i];
                if entry.0 != key {
                    entry.0 = key.to_string();
                }
                entry.1 = value;
            }
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// Removes a key; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        let i = self.position(key)?;
        Some(self.entries.remove(i).1)
    }

    /// The value of a key, in any letter case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// Whether the request carries the key.
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Every key (as given) with its value, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries
            .iter()
            .map(|(key, value)| (key.as_str(), value))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(k, _)| k.len() == key.len() && k.eq_ignore_ascii_case(key))
    }
}

/// What the evaluator sees of a request's context: the keys the request sets,
/// and, for keys it does not set, what the principal itself determines
/// (`aws:PrincipalArn`, `kms:CallerAccount`...), so callers need not repeat
/// the principal in the context.
pub(crate) struct ContextView<'r> {
    context: &'r RequestContext,
    principal: &'r RequestPrincipal,
}

impl<'r> ContextView<'r> {
    pub(crate) fn new(context: &'r RequestContext, principal: &'r RequestPrincipal) -> Self {
        ContextView { context, principal }
    }

    pub(crate) fn get(&self, key: &str) -> Option<Cow<'r, ContextValue>> {
        if let Some(value) = self.context.get(key) {
            return Some(Cow::Borrowed(value));
        }
        principal_key(self.principal, key).map(Cow::Owned)
    }

    /// The single value of a key, for policy-variable substitution.
    pub(crate) fn variable(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(|v| v.as_single().map(str::to_string))
    }
}

/// The value a principal gives a global condition key, where IAM's request
/// context derives it from the principal alone (IAM UG, "AWS global condition
/// context keys" and the principal key table of "Policy variables").
/// `aws:userid` of roles and users is a unique id the principal does not
/// reveal, so it is not derived.
pub(crate) fn principal_key(principal: &RequestPrincipal, key: &str) -> Option<ContextValue> {
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    let single = |s: &str| Some(ContextValue::Single(s.to_string()));
    match principal {
        RequestPrincipal::Iam { arn, account } => {
            if is("aws:PrincipalArn") {
                single(arn)
            } else if is("aws:PrincipalAccount") || is("kms:CallerAccount") {
                single(account)
            } else if is("aws:PrincipalType") {
                single(if iam_user_name(arn).is_some() {
                    "User"
                } else {
                    "AssumedRole"
                })
            } else if is("aws:username") {
                iam_user_name(arn).and_then(single)
            } else if is("aws:PrincipalIsAWSService") {
                single("false")
            } else {
                None
            }
        }
        RequestPrincipal::AccountRoot { account } => {
            if is("aws:PrincipalArn") {
                Some(ContextValue::Single(format!("arn:aws:iam::{account}:root")))
            } else if is("aws:PrincipalAccount") || is("kms:CallerAccount") || is("aws:userid") {
                single(account)
            } else if is("aws:PrincipalType") {
                single("Account")
            } else if is("aws:PrincipalIsAWSService") {
                single("false")
            } else {
                None
            }
        }
        RequestPrincipal::Service(name) => {
            if is("aws:PrincipalServiceName") {
                single(name)
            } else if is("aws:PrincipalIsAWSService") {
                single("true")
            } else {
                None
            }
        }
        RequestPrincipal::Anonymous => {
            if is("aws:PrincipalType") {
                single("Anonymous")
            } else if is("aws:userid") {
                single("anonymous")
            } else if is("aws:PrincipalIsAWSService") {
                single("false")
            } else {
                None
            }
        }
    }
}

/// The friendly name of an IAM user ARN (`arn:aws:iam::1:user/path/alice` → `alice`).
fn iam_user_name(arn: &str) -> Option<&str> {
    let [_, _, _, _, _, resource] = crate::aws::arn_parts(arn)?;
    let path = resource.strip_prefix("user/")?;
    path.rsplit('/').next().filter(|name| !name.is_empty())
}
