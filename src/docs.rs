//! Rule documentation, generated from the rules' own `docs`: the pages
//! `docs/rules/<CODE>.md`, their index, the README's rules table,
//! `--list-rules` and `--explain`. `tests/cli_docs.rs` keeps the checked-in
//! files equal to what this module generates.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use policy_analyzer::user_rules::{UserRule, UserRules};
use policy_analyzer::{all_rules, Rule};

pub const REPOSITORY: &str = "https://github.com/policy-check/policy-check";

/// Where the generated pages live, relative to the repository root.
pub const RULES_DIR: &str = "docs/rules";

pub const TABLE_START: &str = "<!-- rules-table:start -->";
pub const TABLE_END: &str = "<!-- rules-table:end -->";

/// The URL of a rule's page, for SARIF's `helpUri`.
pub fn help_uri(rule: &Rule) -> String {
    format!("{REPOSITORY}/blob/main/{RULES_DIR}/{}.md", rule.code)
}

/// The first paragraph under `## What it does`, on one line.
pub fn what_it_does(rule: &Rule) -> String {
    let docs = rule.docs;
    let body = docs
        .find("## What it does")
        .map(|at| &docs[at + "## What it does".len()..])
        .unwrap_or(docs)
        .trim_start();
    let end = body
        .find("\n\n")
        .or_else(|| body.find("\n#"))
        .unwrap_or(body.len());
    body[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A rule's page: title, metadata, then its documentation.
pub fn rule_page(rule: &Rule) -> String {
    format!(
        "# {} {}\n\n**Pack:** {} · **Default severity:** {} · **Fix:** {}\n\n{}\n",
        rule.code,
        rule.name,
        rule.pack.name(),
        rule.severity,
        rule.fix.as_str(),
        rule.docs.trim()
    )
}

/// `--explain`: the rule's page, and where it is online.
pub fn explain(rule: &Rule) -> String {
    format!("{}\nOnline: {}\n", rule_page(rule), help_uri(rule))
}

/// `--explain` of a user rule: its page, and where its file is.
pub fn explain_user(rule: &UserRule) -> String {
    format!(
        "{}
File: {}
",
        rule.page(),
        rule.file
    )
}

/// `--list-rules --format json`: every rule, as data; the user's rules
/// (`user`) after the built-in ones, with their file instead of a URL.
pub fn list_rules_json(user: &UserRules) -> String {
    let mut rules: Vec<serde_json::Value> = all_rules()
        .map(|rule| {
            serde_json::json!({
                "code": rule.code,
                "name": rule.name,
                "pack": rule.pack.name(),
                "severity": rule.severity,
                "fix": rule.fix.as_str(),
                "summary": rule.summary,
                "url": help_uri(rule),
            })
        })
        .collect();
    rules.extend(user.iter().map(|rule| {
        serde_json::json!({
            "code": rule.id,
            "name": rule.name,
            "pack": rule.pack,
            "severity": rule.severity,
            "fix": "no",
            "summary": rule.summary,
            "file": rule.file,
        })
    }));
    let mut out = serde_json::to_string_pretty(&rules).expect("rules serialize");
    out.push('\n');
    out
}

/// The Markdown table of all rules; codes link to their pages under `link_dir`.
pub fn rules_table(link_dir: &str) -> String {
    let mut out = String::from(
        "| Code | Name | Severity | Fix | Summary |\n| --- | --- | --- | --- | --- |\n",
    );
    for rule in all_rules() {
        let _ = writeln!(
            out,
            "| [{code}]({link_dir}{code}.md) | `{}` | {} | {} | {} |",
            rule.name,
            rule.severity,
            rule.fix.as_str(),
            rule.summary.replace('|', "\\|"),
            code = rule.code,
        );
    }
    out
}

/// `docs/rules/README.md`.
pub fn rules_index() -> String {
    format!(
        "# Rules\n\nGenerated from the rules' own documentation by `UPDATE_DOCS=1 cargo test --test cli_docs`; do not edit.\n\n{}",
        rules_table("")
    )
}

/// The README with its rules table regenerated between the markers.
pub fn readme_with_table(readme: &str) -> Result<String, String> {
    let start = readme
        .find(TABLE_START)
        .ok_or(format!("README.md lacks `{TABLE_START}`"))?;
    let end = readme
        .find(TABLE_END)
        .ok_or(format!("README.md lacks `{TABLE_END}`"))?;
    if end < start {
        return Err("README.md: the rules-table markers are out of order".into());
    }
    Ok(format!(
        "{}{TABLE_START}\n{}{}",
        &readme[..start],
        rules_table(&format!("{RULES_DIR}/")),
        &readme[end..]
    ))
}

/// Every generated file under `root` (the repository) with its content:
/// the rule pages, the README's table, the service pages (see
/// [`crate::service_docs`]) and the profile keys of `docs/configuration.md`.
pub fn generated_files(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let dir = root.join(RULES_DIR);
    let mut files: Vec<(PathBuf, String)> = all_rules()
        .map(|rule| (dir.join(format!("{}.md", rule.code)), rule_page(rule)))
        .collect();
    files.push((dir.join("README.md"), rules_index()));
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)
        .map_err(|e| format!("{}: {e}", readme_path.display()))?;
    files.push((readme_path, readme_with_table(&readme)?));
    let services = root.join(crate::service_docs::SERVICES_DIR);
    for model in policy_analyzer::services::model::models() {
        files.push((
            services.join(format!("{}.md", model.id)),
            crate::service_docs::service_page(model),
        ));
    }
    files.push((
        services.join("README.md"),
        crate::service_docs::services_index(),
    ));
    let configuration_path = root.join("docs/configuration.md");
    let configuration = std::fs::read_to_string(&configuration_path)
        .map_err(|e| format!("{}: {e}", configuration_path.display()))?;
    files.push((
        configuration_path,
        crate::service_docs::configuration_with_table(&configuration)?,
    ));
    Ok(files)
}

/// `--list-rules`: a plain-text table for the terminal, the user's rules
/// (`user`) after the built-in ones.
pub fn list_rules(user: &UserRules) -> String {
    let rules: Vec<&Rule> = all_rules().collect();
    let width = rules
        .iter()
        .map(|r| r.name.len())
        .chain(user.iter().map(|r| r.name.len()))
        .max()
        .unwrap_or(4)
        .max(4);
    let code_width = user.iter().map(|r| r.id.len()).max().unwrap_or(5).max(5);
    let mut out = format!(
        "{:<code_width$}  {:<width$}  {:<8}  {:<9}  SUMMARY\n",
        "CODE", "NAME", "SEVERITY", "FIX"
    );
    for rule in rules {
        let _ = writeln!(
            out,
            "{:<code_width$}  {:<width$}  {:<8}  {:<9}  {}",
            rule.code,
            rule.name,
            rule.severity.as_str(),
            rule.fix.as_str(),
            rule.summary
        );
    }
    for rule in user.iter() {
        let _ = writeln!(
            out,
            "{:<code_width$}  {:<width$}  {:<8}  {:<9}  {} [{}]",
            rule.id,
            rule.name,
            rule.severity.as_str(),
            "no",
            rule.summary,
            rule.pack
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_start_with_title_and_metadata() {
        let rule = all_rules().next().unwrap();
        let page = rule_page(rule);
        assert!(page.starts_with(&format!("# {} {}\n\n**Pack:** ", rule.code, rule.name)));
        assert!(page.contains("## What it does"));
    }

    #[test]
    fn what_it_does_is_one_paragraph() {
        for rule in all_rules() {
            let text = what_it_does(rule);
            assert!(
                !text.is_empty() && !text.contains('\n') && !text.contains('#'),
                "{}: {text:?}",
                rule.code
            );
        }
    }

    #[test]
    fn the_readme_table_replaces_what_is_between_the_markers() {
        let readme = format!("intro\n{TABLE_START}\nSTALE TABLE\n{TABLE_END}\nrest\n");
        let new = readme_with_table(&readme).unwrap();
        assert!(new.starts_with(&format!("intro\n{TABLE_START}\n| Code |")));
        assert!(new.ends_with(&format!("|\n{TABLE_END}\nrest\n")));
        assert!(!new.contains("STALE TABLE"));
        assert_eq!(readme_with_table(&new).unwrap(), new);
    }
}
