//! Document symbols: one per statement, named by its Sid, for the outline
//! and "go to symbol". In a template or module, one per key (its logical id
//! or block label) with its statements inside.

use policy_analyzer::catalog::catalog;
use policy_analyzer::host::EmbeddedPolicy;
use policy_analyzer::model::{Policy, Statement};
use policy_analyzer::syntax::parse;
use policy_analyzer::TextRange;
use tower_lsp_server::lsp_types::{DocumentSymbol, SymbolKind};

use crate::convert::PositionMapper;
use crate::hover::covered_actions;

pub fn document_symbols(mapper: &PositionMapper<'_>) -> Vec<DocumentSymbol> {
    let text = mapper.text();
    let parse = parse(text);
    let policy = Policy::from_tree(&parse.tree);
    policy
        .statements
        .iter()
        .map(|statement| {
            let (name, detail) = statement_label(statement);
            // The selection (what the editor highlights) is the Sid when
            // there is one, else the statement's opening brace. VS Code
            // rejects the whole outline if one selection lies outside its
            // symbol, so a selection that would is the symbol's start.
            let anchor = statement.anchor();
            let inside = statement.range.start <= anchor.start && anchor.end <= statement.range.end;
            let anchor = if inside {
                anchor
            } else {
                TextRange::empty(statement.range.start as usize)
            };
            symbol(
                name,
                detail,
                SymbolKind::OBJECT,
                mapper.range(statement.range),
                mapper.range(anchor),
                None,
            )
        })
        .collect()
}

/// A statement's name (its Sid, else its position) and detail.
fn statement_label(statement: &Statement<'_>) -> (String, String) {
    let name = match &statement.sid {
        Some(sid) if !sid.value.trim().is_empty() => sid.value.to_string(),
        _ => format!("Statement {}", statement.index + 1),
    };
    let effect = statement.effect.map_or("?", |(_, t)| t.value);
    let detail = match covered_actions(catalog(), statement) {
        Some(actions) => format!("{effect} · {} actions", actions.len()),
        None => effect.to_string(),
    };
    (name, detail)
}

fn symbol(
    name: String,
    detail: String,
    kind: SymbolKind,
    range: tower_lsp_server::lsp_types::Range,
    selection_range: tower_lsp_server::lsp_types::Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    #[allow(deprecated)] // `deprecated` is a required field of the struct.
    DocumentSymbol {
        name,
        detail: Some(detail),
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range,
        children,
    }
}

/// The symbols of the policies a host renders, in the host file `path`: a
/// key declared there is one symbol (its logical id or block label) holding
/// its statements that are written there; statements of a policy whose key
/// is declared elsewhere (a template file a module renders) stand alone.
///
/// Editors require a symbol's range to hold its selection and its
/// children's ranges, and a host scatters a policy (a statement may come
/// from a variable), so each range is widened to hold what it must.
pub fn host_symbols(
    policies: &[EmbeddedPolicy],
    path: &str,
    mapper: &PositionMapper<'_>,
) -> Vec<DocumentSymbol> {
    let here = |at: Option<policy_analyzer::host::Location>| {
        at.filter(|at| &*at.file == path).map(|at| at.range)
    };
    let mut out = Vec::new();
    for policy in policies {
        let parse = parse(&policy.json);
        let model = Policy::from_tree(&parse.tree);
        let display = |s: &str| policy.symbols.display(s).into_owned();
        let mut statements: Vec<(TextRange, DocumentSymbol)> = Vec::new();
        for statement in &model.statements {
            let Some(range) = here(policy.map.locate(statement.range)) else {
                continue;
            };
            let selection = here(policy.map.locate(statement.anchor()))
                .filter(|s| range.start <= s.start && s.end <= range.end)
                .unwrap_or(TextRange::empty(range.start as usize));
            let (name, detail) = statement_label(statement);
            statements.push((
                range,
                symbol(
                    display(&name),
                    display(&detail),
                    SymbolKind::OBJECT,
                    mapper.range(range),
                    mapper.range(selection),
                    None,
                ),
            ));
        }
        let key = policy.key.as_ref().filter(|key| &*key.at.file == path);
        let Some(key) = key else {
            out.extend(statements.into_iter().map(|(_, s)| s));
            continue;
        };
        // The statements of the policy KMS gives a key without one are
        // written nowhere: they map onto the key's name.
        statements.retain(|(r, _)| *r != key.at.range);
        let mut range = key.at.range;
        for (r, _) in &statements {
            range = cover(range, *r);
        }
        let whole = policy.map.locate(TextRange::new(0, policy.json.len()));
        if let Some(whole) = here(whole.clone()) {
            range = cover(range, whole);
        }
        // `AWS::KMS::Key `AppKey`` reads as the name `AppKey` of the type.
        let (name, detail) = match key.name.split_once('`') {
            Some((kind, rest)) => (
                rest.trim_end_matches('`').to_string(),
                kind.trim().to_string(),
            ),
            None => (key.name.clone(), "key".to_string()),
        };
        let detail = match (statements.len(), whole) {
            (0, Some(at)) if &*at.file != path => {
                let file = at.file.rsplit(['/', '\\']).next().unwrap_or(&at.file);
                format!("{detail} · policy in {file}")
            }
            (0, Some(at)) if at.range == key.at.range => format!("{detail} · default key policy"),
            (0, _) => detail,
            (1, _) => format!("{detail} · 1 statement"),
            (n, _) => format!("{detail} · {n} statements"),
        };
        out.push(symbol(
            name,
            detail,
            SymbolKind::KEY,
            mapper.range(range),
            mapper.range(key.at.range),
            Some(statements.into_iter().map(|(_, s)| s).collect()),
        ));
    }
    out
}

fn cover(a: TextRange, b: TextRange) -> TextRange {
    TextRange {
        start: a.start.min(b.start),
        end: a.end.max(b.end),
    }
}

#[cfg(test)]
mod tests {
    use policy_analyzer::{LineIndex, PositionEncoding};

    use super::*;

    #[test]
    fn one_symbol_per_statement_named_by_sid() {
        let text = "{\"Statement\": [\n  {\"Sid\": \"Cl\u{e9}s\", \"Effect\": \"Allow\", \"Action\": \"kms:GenerateDataKey*\"},\n  {\"Effect\": \"Deny\"}\n]}";
        let index = LineIndex::new(text);
        let mapper = PositionMapper::new(text, &index, PositionEncoding::Utf16);
        let symbols = document_symbols(&mapper);
        assert_eq!(symbols.len(), 2);
        assert_eq!(symbols[0].name, "Cl\u{e9}s");
        assert_eq!(symbols[0].detail.as_deref(), Some("Allow · 4 actions"));
        assert_eq!(symbols[0].selection_range.start.line, 1);
        assert_eq!(symbols[0].selection_range.start.character, 10);
        assert_eq!(symbols[1].name, "Statement 2");
        assert_eq!(symbols[1].detail.as_deref(), Some("Deny"));
    }

    /// Issue 14: after the parser stopped at its error limit, a statement
    /// ended at its opening brace and its Sid lay outside it.
    #[test]
    fn the_selection_stays_inside_the_symbol_when_parsing_stops_early() {
        let text = format!(
            "{{\"Statement\": [{{\"Sid\": \"Keep\", \"Action\": [{}]}}]}}",
            "x, ".repeat(80)
        );
        let index = LineIndex::new(&text);
        let mapper = PositionMapper::new(&text, &index, PositionEncoding::Utf16);
        let symbols = document_symbols(&mapper);
        assert_eq!(symbols.len(), 1);
        let s = &symbols[0];
        assert_eq!(s.name, "Keep");
        let key = |p: tower_lsp_server::lsp_types::Position| (p.line, p.character);
        assert!(key(s.range.start) <= key(s.selection_range.start));
        assert!(key(s.selection_range.end) <= key(s.range.end), "{s:?}");
        let sid = text.find("\"Keep\"").unwrap() as u32;
        assert_eq!(s.selection_range.start.character, sid);
    }
}
