//! Rule selectors as users write them in `--select`, `--ignore` and the
//! config: a code (`PC201`), a code prefix (`PC2`), a name
//! (`unknown-action`), a pack (`syntax`), or `ALL`; and the rules of the
//! user's rule packs by id (`ACME001`), namespace (`ACME`), id prefix
//! (`ACME0`), name or pack (the pack directory's name).

use policy_analyzer::user_rules::UserRules;
use policy_analyzer::{all_rules, find_rule, Pack, Rule};

/// The rules a selector stands for. A full code, a name or a pack that
/// matches nothing is an error (a typo would otherwise silently select
/// nothing); a prefix may match none yet, as packs grow.
pub fn resolve(selector: &str) -> Result<Vec<&'static Rule>, String> {
    let selector = selector.trim();
    if selector.eq_ignore_ascii_case("ALL") {
        return Ok(all_rules().collect());
    }
    if let Some(rule) = find_rule(selector) {
        return Ok(vec![rule]);
    }
    if let Some(pack) = Pack::ALL
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(selector))
    {
        return Ok(all_rules().filter(|r| r.pack == pack).collect());
    }
    let upper = selector.to_ascii_uppercase();
    let is_prefix = upper.starts_with("PC")
        && upper.len() < 5
        && upper[2..].bytes().all(|b| b.is_ascii_digit());
    if is_prefix {
        return Ok(all_rules().filter(|r| r.code.starts_with(&upper)).collect());
    }
    Err(format!(
        "unknown rule `{selector}`{}",
        did_you_mean(selector)
    ))
}

/// The codes of all rules the selectors stand for, in code order.
pub fn resolve_all<'a>(
    selectors: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<&'static str>, String> {
    let mut codes = Vec::new();
    for selector in selectors {
        codes.extend(resolve(selector)?.into_iter().map(|r| r.code));
    }
    codes.sort_unstable();
    codes.dedup();
    Ok(codes)
}

/// The codes a selector stands for, among the built-in rules and `user`'s.
/// `ALL` is every rule of both.
pub fn resolve_with(selector: &str, user: &UserRules) -> Result<Vec<&'static str>, String> {
    let trimmed = selector.trim();
    let builtin = resolve(trimmed);
    if trimmed.eq_ignore_ascii_case("ALL") {
        let mut codes: Vec<&'static str> = all_rules().map(|r| r.code).collect();
        codes.extend(user.iter().map(|r| r.id));
        return Ok(codes);
    }
    if let Ok(rules) = &builtin {
        if !rules.is_empty() {
            return Ok(rules.iter().map(|r| r.code).collect());
        }
    }
    let upper = trimmed.to_ascii_uppercase();
    let letters = upper.bytes().take_while(u8::is_ascii_uppercase).count();
    let id_prefix = letters > 0 && upper[letters..].bytes().all(|b| b.is_ascii_digit());
    let found: Vec<&'static str> = user
        .iter()
        .filter(|r| {
            r.id.eq_ignore_ascii_case(trimmed)
                || r.name == trimmed
                || r.pack == trimmed
                || (id_prefix && r.id.starts_with(&upper) && r.namespace() == &upper[..letters])
        })
        .map(|r| r.id)
        .collect();
    if !found.is_empty() {
        return Ok(found);
    }
    match builtin {
        Ok(rules) => Ok(rules.iter().map(|r| r.code).collect()),
        Err(_) => Err(format!(
            "unknown rule `{trimmed}`{}",
            did_you_mean_with(trimmed, user)
        )),
    }
}

/// [`resolve_all`] among the built-in rules and `user`'s.
pub fn resolve_all_with<'a>(
    selectors: impl IntoIterator<Item = &'a str>,
    user: &UserRules,
) -> Result<Vec<&'static str>, String> {
    let mut codes = Vec::new();
    for selector in selectors {
        codes.extend(resolve_with(selector, user)?);
    }
    codes.sort_unstable();
    codes.dedup();
    Ok(codes)
}

/// One rule by code or name, for severity overrides and `--explain`.
pub fn resolve_one(code_or_name: &str) -> Result<&'static Rule, String> {
    find_rule(code_or_name.trim()).ok_or_else(|| {
        format!(
            "unknown rule `{code_or_name}`{}",
            did_you_mean(code_or_name)
        )
    })
}

/// ` (did you mean `x`?)` when a rule or pack name is one or two edits away.
fn did_you_mean(selector: &str) -> String {
    did_you_mean_with(selector, &UserRules::default())
}

fn did_you_mean_with(selector: &str, user: &UserRules) -> String {
    all_rules()
        .map(|r| r.name)
        .chain(Pack::ALL.map(Pack::name))
        .chain(user.iter().map(|r| r.name))
        .map(|name| (edit_distance(selector, name), name))
        .filter(|&(d, _)| d <= 2)
        .min()
        .map(|(_, name)| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_prefixes_and_all() {
        let first = all_rules().next().unwrap();
        assert_eq!(resolve(first.code).unwrap()[0].code, first.code);
        assert_eq!(
            resolve(&first.code.to_lowercase()).unwrap()[0].code,
            first.code
        );
        assert_eq!(resolve(first.name).unwrap()[0].code, first.code);
        assert_eq!(resolve("ALL").unwrap().len(), all_rules().count());
        assert!(resolve("PC").unwrap().len() == all_rules().count());
        assert!(resolve("PC9").unwrap().is_empty());
    }

    #[test]
    fn packs_select_their_rules() {
        let syntax = resolve("syntax").unwrap();
        assert!(!syntax.is_empty());
        assert!(syntax.iter().all(|r| r.pack == Pack::Syntax));
        assert_eq!(resolve("Syntax").unwrap().len(), syntax.len());
        assert_eq!(
            resolve("sintax").unwrap_err(),
            "unknown rule `sintax` (did you mean `syntax`?)"
        );
    }

    #[test]
    fn unknown_selectors_are_errors_with_a_suggestion() {
        let err = resolve("invalid-jsn").unwrap_err();
        assert_eq!(
            err,
            "unknown rule `invalid-jsn` (did you mean `invalid-json`?)"
        );
        assert!(resolve("PC999").is_err());
        assert!(resolve("nonsense").is_err());
    }
}
