//! Document symbols: one per statement, named by its Sid, for the outline
//! and "go to symbol".

use policy_analyzer::catalog::catalog;
use policy_analyzer::model::Policy;
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
            let name = match &statement.sid {
                Some(sid) if !sid.value.trim().is_empty() => sid.value.to_string(),
                _ => format!("Statement {}", statement.index + 1),
            };
            let effect = statement.effect.map_or("?", |(_, t)| t.value);
            let detail = match covered_actions(catalog(), statement) {
                Some(actions) => format!("{effect} · {} actions", actions.len()),
                None => effect.to_string(),
            };
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
            let range = mapper.range(statement.range);
            let selection_range = mapper.range(anchor);
            #[allow(deprecated)] // `deprecated` is a required field of the struct.
            DocumentSymbol {
                name,
                detail: Some(detail),
                kind: SymbolKind::OBJECT,
                tags: None,
                deprecated: None,
                range,
                selection_range,
                children: None,
            }
        })
        .collect()
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
