//! Hover and completion inside a policy a host holds (a CloudFormation
//! `KeyPolicy`, a Terraform `jsonencode`, heredoc or template file).
//!
//! The host reader renders each policy to JSON with a map back to the host.
//! The JSON features run unchanged on that rendering: the cursor goes in
//! through [`SourceMap::rendered_offset`], and the ranges they answer with
//! come back through [`SourceMap::locate`].
//!
//! Completion needs more, because the text being typed is often not yet
//! what a reader can render: `- kms:` in YAML is a mapping with the key
//! `kms`, and a key typed without its colon breaks the template. So the
//! host text is *probed*: a marker is written at the cursor (and, for a key,
//! the colon after it), the probe is rendered, and the completions are those
//! of the JSON string that holds the marker. What they insert is then
//! written the way the host spells a scalar there: a YAML plain scalar when
//! that reads back as the same string, else a quoted one; inside quotes, the
//! content escaped for them.
//!
//! [`SourceMap::rendered_offset`]: policy_analyzer::host::SourceMap::rendered_offset
//! [`SourceMap::locate`]: policy_analyzer::host::SourceMap::locate

use policy_analyzer::host::{EmbeddedPolicy, HostKind};
use policy_analyzer::TextRange;

use crate::completion::{self, Item, ItemKind};
use crate::cursor;
use crate::hover::{self, HoverInfo};
use crate::separators::{self, Placement, Separated, Separators};

/// How the host writes strings around the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// YAML: plain, single- or double-quoted scalars.
    Yaml,
    /// JSON, HCL and template files: strings in double quotes.
    Quoted,
}

impl Syntax {
    /// A CloudFormation template is YAML unless its text opens with `{`;
    /// every other host writes its policies' strings in double quotes.
    pub fn of(kind: HostKind, text: &str) -> Syntax {
        if kind == HostKind::CloudFormation && !text.trim_start().starts_with('{') {
            Syntax::Yaml
        } else {
            Syntax::Quoted
        }
    }
}

/// The hover at byte `offset` of the host file `path`: that of the first
/// policy whose rendering holds the cursor, with symbols shown as the host
/// spells them and the range in the host.
pub fn hover(policies: &[EmbeddedPolicy], path: &str, offset: usize) -> Option<HoverInfo> {
    policies.iter().find_map(|policy| {
        let rendered = policy.map.rendered_offset(path, offset as u32)? as usize;
        let found = hover::hover(&policy.json, rendered)?;
        let range = found
            .range
            .and_then(|r| policy.map.locate(r))
            .filter(|at| &*at.file == path)
            .map(|at| at.range);
        Some(HoverInfo {
            markdown: policy.symbols.display(&found.markdown).into_owned(),
            range,
        })
    })
}

/// Written at the cursor of a probe. Letters only, so that it is a plain
/// scalar in YAML and needs no escape in any string.
pub const MARKER: &str = "PolicyCheckCursorHere";

/// How the scalar under the cursor is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    /// No scalar: the cursor is between tokens (`- |`, `Action: |`).
    None,
    /// A YAML plain scalar.
    Plain,
    Single,
    Double,
}

/// The scalar under the cursor in the host text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostToken {
    pub quote: Quote,
    /// The whole scalar, quotes included (empty at the cursor for `None`).
    pub range: TextRange,
    /// Between the quotes; the scalar itself when plain.
    pub content: TextRange,
    /// A quoted scalar closed on its line.
    pub terminated: bool,
}

/// The scalar under byte `offset`, or `None` where nothing is to be
/// completed (a comment, a tag, an anchor).
pub fn token_at(text: &str, offset: usize, syntax: Syntax) -> Option<HostToken> {
    let none = HostToken {
        quote: Quote::None,
        range: TextRange::empty(offset),
        content: TextRange::empty(offset),
        terminated: true,
    };
    match syntax {
        Syntax::Quoted => Some(cursor::string_at(text, offset).map_or(none, |s| HostToken {
            quote: Quote::Double,
            range: s.range,
            content: s.content,
            terminated: s.terminated,
        })),
        Syntax::Yaml => yaml_token_at(text, offset).map(|t| t.unwrap_or(none)),
    }
}

/// The YAML scalar on the cursor's line that holds it: `Some(None)` between
/// scalars, `None` in a comment, tag, anchor or alias.
fn yaml_token_at(text: &str, offset: usize) -> Option<Option<HostToken>> {
    let bytes = text.as_bytes();
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    if line_end > line_start && bytes[line_end - 1] == b'\r' {
        line_end -= 1;
    }
    let space_at = |j: usize| j >= line_end || matches!(bytes[j], b' ' | b'\t');
    let mut i = line_start;
    // Whether a scalar may start at `i`: after a space or a flow indicator.
    let mut token_start = true;
    let mut flow = 0usize;
    while i < line_end {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t') {
            token_start = true;
            i += 1;
            continue;
        }
        if token_start && matches!(b, b'[' | b'{') {
            flow += 1;
            i += 1;
            continue;
        }
        if flow > 0 && matches!(b, b']' | b'}' | b',') {
            flow = flow.saturating_sub(usize::from(b != b','));
            token_start = true;
            i += 1;
            continue;
        }
        if token_start && b == b'-' && space_at(i + 1) {
            i += 1;
            continue;
        }
        if token_start && b == b'#' {
            return if offset > i { None } else { Some(None) };
        }
        if token_start && matches!(b, b'!' | b'&' | b'*') {
            let end = (i..line_end).find(|&j| space_at(j)).unwrap_or(line_end);
            if i < offset && offset <= end {
                return None;
            }
            i = end;
            continue;
        }
        if token_start && matches!(b, b'"' | b'\'') {
            let mut j = i + 1;
            let mut terminated = false;
            while j < line_end {
                match bytes[j] {
                    b'\\' if b == b'"' => j += 2,
                    b'\'' if b == b'\'' && bytes.get(j + 1) == Some(&b'\'') => j += 2,
                    c if c == b => {
                        terminated = true;
                        break;
                    }
                    _ => j += 1,
                }
            }
            let j = j.min(line_end);
            if i < offset && offset <= j {
                return Some(Some(HostToken {
                    quote: if b == b'"' {
                        Quote::Double
                    } else {
                        Quote::Single
                    },
                    range: TextRange::new(i, if terminated { j + 1 } else { j }),
                    content: TextRange::new(i + 1, j),
                    terminated,
                }));
            }
            i = if terminated { j + 1 } else { j };
            token_start = false;
            continue;
        }
        // A plain scalar: to `: `, ` #`, the line's end or, in a flow
        // collection, `,` `]` `}`. A colon the cursor directly follows
        // belongs to it (`kms:` being typed), not to a mapping.
        let start = i;
        let mut j = i;
        while j < line_end {
            let c = bytes[j];
            if c == b':' && space_at(j + 1) {
                if offset == j + 1 {
                    j += 1;
                }
                break;
            }
            if matches!(c, b' ' | b'\t') && bytes.get(j + 1) == Some(&b'#') {
                break;
            }
            if flow > 0 && matches!(c, b',' | b']' | b'}') {
                break;
            }
            j += 1;
        }
        let end = start + text[start..j].trim_end().len();
        if start <= offset && offset <= end {
            return Some(Some(HostToken {
                quote: Quote::Plain,
                range: TextRange::new(start, end),
                content: TextRange::new(start, end),
                terminated: true,
            }));
        }
        i = j.max(i + 1);
        token_start = false;
    }
    Some(None)
}

/// The host text with the marker at the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub text: String,
    /// Where the marker starts in `text`.
    pub marker: usize,
}

/// Writes the marker into `text` at `offset`, inside `token`: closing a
/// quoted scalar left open, quoting it where nothing was typed in a quoted
/// host, and with `as_key`, making the scalar a mapping key (`: ` after it
/// in YAML, `: null` elsewhere). `None` when the scalar is a key already.
pub fn probe(
    text: &str,
    offset: usize,
    token: &HostToken,
    syntax: Syntax,
    as_key: bool,
) -> Option<Probe> {
    let end = token.range.end as usize;
    if as_key {
        let after = text[end..].trim_start_matches([' ', '\t']);
        if after.starts_with(':') || (token.quote == Quote::Plain && text[..end].ends_with(':')) {
            return None;
        }
    }
    let suffix = match (as_key, syntax) {
        (false, _) => "",
        (true, Syntax::Yaml) => ": ",
        (true, Syntax::Quoted) => ": null",
    };
    let mut out = String::with_capacity(text.len() + MARKER.len() + 8);
    out.push_str(&text[..offset]);
    let marker;
    match token.quote {
        Quote::None => {
            if syntax == Syntax::Quoted {
                out.push('"');
            }
            marker = out.len();
            out.push_str(MARKER);
            if syntax == Syntax::Quoted {
                out.push('"');
            }
            out.push_str(suffix);
            out.push_str(&text[offset..]);
        }
        Quote::Plain => {
            marker = out.len();
            out.push_str(MARKER);
            out.push_str(&text[offset..end]);
            out.push_str(suffix);
            out.push_str(&text[end..]);
        }
        Quote::Single | Quote::Double => {
            marker = out.len();
            out.push_str(MARKER);
            out.push_str(&text[offset..end]);
            if !token.terminated {
                out.push(if token.quote == Quote::Single {
                    '\''
                } else {
                    '"'
                });
            }
            out.push_str(suffix);
            out.push_str(&text[end..]);
        }
    }
    Some(Probe { text: out, marker })
}

/// The completions at byte `offset` of the host file `path` whose text is
/// `text`. `render` gives the policies of the host with the document's text
/// replaced by a probe's.
pub fn complete(
    text: &str,
    offset: usize,
    path: &str,
    syntax: Syntax,
    snippets: bool,
    mut render: impl FnMut(&str) -> Vec<EmbeddedPolicy>,
) -> Vec<Item> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let Some(token) = token_at(text, offset, syntax) else {
        return Vec::new();
    };
    // Where the scalar being typed lacks the comma before or after it, the
    // host does not read and neither does a probe of it: then the probe is
    // made of the text with the commas, which the accepted item writes too.
    let mut attempts = vec![(text.to_string(), offset, token)];
    if let Some(separated) = with_commas(text, offset, &token, syntax) {
        attempts.push(separated);
    }
    for (host, offset, probed) in &attempts {
        for as_key in [false, true] {
            let Some(probe) = probe(host, *offset, probed, syntax, as_key) else {
                continue;
            };
            let items = complete_in_probe(&probe, path, snippets, &mut render);
            if !items.is_empty() {
                return items
                    .into_iter()
                    .map(|item| in_host(item, text, &token, syntax, as_key))
                    .collect();
            }
        }
    }
    Vec::new()
}

/// `text` with the commas an array item at `offset` would need, with the
/// cursor and its token there; `None` when it needs none (or in YAML,
/// whose flow sequences read without them).
fn with_commas(
    text: &str,
    offset: usize,
    token: &HostToken,
    syntax: Syntax,
) -> Option<(String, usize, HostToken)> {
    if syntax != Syntax::Quoted {
        return None;
    }
    let region = if token.terminated {
        token.range
    } else {
        TextRange::new(token.range.start as usize, token.content.end as usize)
    };
    let found = separators::around(text, region, Placement::ArrayItem, Separated::Commas);
    if found == Separators::default() {
        return None;
    }
    let mut out = text.to_string();
    let mut offset = offset;
    if let Some(after) = found.after {
        out.insert_str(after.at, after.text);
    }
    if let Some(before) = found.before {
        out.insert_str(before.at, before.text);
        offset += before.text.len();
    }
    let token = token_at(&out, offset, syntax)?;
    Some((out, offset, token))
}

/// The JSON completions at the marker of `probe`, in the first policy
/// rendered from it that holds the marker in a string the host wrote.
fn complete_in_probe(
    probe: &Probe,
    path: &str,
    snippets: bool,
    render: &mut impl FnMut(&str) -> Vec<EmbeddedPolicy>,
) -> Vec<Item> {
    for policy in render(&probe.text) {
        let Some(rendered) = policy.map.rendered_offset(path, probe.marker as u32) else {
            continue;
        };
        let rendered = rendered as usize;
        // Only where the cursor is in a string the host wrote as it
        // reads: not inside a `!Sub` reference or a resolved value.
        if !policy
            .json
            .get(rendered..)
            .is_some_and(|rest| rest.starts_with(MARKER))
        {
            continue;
        }
        let items = completion::complete(&policy.json, rendered, snippets);
        if !items.is_empty() {
            return items;
        }
    }
    Vec::new()
}

/// An item of the rendered JSON (inside a closed string, so `insert` is the
/// bare content) as an edit of the host scalar in `text`, with the
/// separators the host's list needs there.
fn in_host(mut item: Item, text: &str, token: &HostToken, syntax: Syntax, as_key: bool) -> Item {
    // The rendering's separators are the rendering's business.
    item.additional.clear();
    let content = item.insert.clone();
    let key = matches!(
        item.kind,
        ItemKind::Operator | ItemKind::ConditionKey | ItemKind::Element
    );
    let mut range = token.content;
    let mut insert = match token.quote {
        Quote::Double => {
            let mut escaped = escape_double(&content);
            if !token.terminated {
                escaped.push('"');
            }
            escaped
        }
        Quote::Single => {
            let mut escaped = content.replace('\'', "''");
            if !token.terminated {
                escaped.push('\'');
            }
            escaped
        }
        Quote::Plain => yaml_scalar(&content),
        Quote::None => match syntax {
            Syntax::Yaml => yaml_scalar(&content),
            Syntax::Quoted => format!("\"{}\"", escape_double(&content)),
        },
    };
    if key && as_key {
        // The probe wrote the colon; the edit writes it too, after the
        // closing quote when there is one.
        if matches!(token.quote, Quote::Single | Quote::Double) && token.terminated {
            range = token.range;
            range.start = token.content.start;
            insert.push(if token.quote == Quote::Single {
                '\''
            } else {
                '"'
            });
        }
        insert.push_str(": ");
    }
    item.insert = insert;
    item.range = range;
    let region = if token.terminated {
        token.range
    } else {
        TextRange::new(token.range.start as usize, token.content.end as usize)
    };
    let style = match syntax {
        Syntax::Yaml => Separated::Yaml,
        Syntax::Quoted => Separated::Commas,
    };
    let found = separators::around(text, region, item.placement, style);
    item.separate(found);
    item
}

/// `content` as a YAML scalar: plain when it reads back as the same string
/// in any context (block or flow), else double-quoted.
pub fn yaml_scalar(content: &str) -> String {
    let shown = snippet_text(content);
    let plain = !shown.is_empty()
        && shown.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'.' | b'_' | b'/' | b'*' | b'@' | b'+' | b'=' | b'-' | b':'
                )
        })
        && shown.as_bytes()[0].is_ascii_alphabetic()
        && !shown.ends_with(':')
        && !matches!(
            shown.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain {
        content.to_string()
    } else {
        format!("\"{}\"", escape_double(content))
    }
}

/// What a snippet leaves in the text: `${1:default}` is `default`, `$0` nothing.
fn snippet_text(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len());
    let mut rest = snippet;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let close = inner.find('}').unwrap_or(inner.len());
            let body = &inner[..close];
            out.push_str(body.split_once(':').map_or("", |(_, default)| default));
            rest = inner.get(close + 1..).unwrap_or("");
        } else {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            rest = &after[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Escapes for the inside of a JSON string or a YAML double-quoted scalar
/// (the same escapes, for what completion inserts).
fn escape_double(content: &str) -> String {
    let quoted = serde_json::to_string(content).unwrap_or_default();
    quoted[1..quoted.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::separators::Placement;

    /// `text` with `|` at the cursor: the text and the offset.
    fn marked(marked: &str) -> (String, usize) {
        let offset = marked.find('|').expect("a cursor mark");
        (marked.replacen('|', "", 1), offset)
    }

    fn yaml_token(m: &str) -> Option<(Quote, String, String, bool)> {
        let (text, offset) = marked(m);
        token_at(&text, offset, Syntax::Yaml).map(|t| {
            (
                t.quote,
                text[t.range.as_usize()].to_string(),
                text[t.content.as_usize()].to_string(),
                t.terminated,
            )
        })
    }

    #[test]
    fn yaml_scalars_under_the_cursor() {
        let plain = |s: &str| Some((Quote::Plain, s.to_string(), s.to_string(), true));
        assert_eq!(yaml_token("    - kms:Dec|rypt\n"), plain("kms:Decrypt"));
        assert_eq!(yaml_token("    Action: kms:Dec|\n"), plain("kms:Dec"));
        // The colon being typed belongs to the scalar.
        assert_eq!(yaml_token("    - kms:|\n"), plain("kms:"));
        assert_eq!(
            yaml_token("    kms:Via|Service: x\n"),
            plain("kms:ViaService")
        );
        assert_eq!(
            yaml_token("    Sid: Enable IA|M users\n"),
            plain("Enable IAM users")
        );
        assert_eq!(
            yaml_token("    Action: [kms:Encrypt, kms:De|]\n"),
            plain("kms:De")
        );
        assert_eq!(
            yaml_token("    - \"kms:De|\"\n"),
            Some((Quote::Double, "\"kms:De\"".into(), "kms:De".into(), true))
        );
        assert_eq!(
            yaml_token("    - 'kms:De|\n"),
            Some((Quote::Single, "'kms:De".into(), "kms:De".into(), false))
        );
        let nothing = Some((Quote::None, String::new(), String::new(), true));
        assert_eq!(yaml_token("    - |\n"), nothing);
        assert_eq!(yaml_token("    Action: |\n"), nothing);
        assert_eq!(yaml_token("    - kms:Decrypt # a com|ment\n"), None);
        assert_eq!(yaml_token("    AWS: !Su|b x\n"), None);
    }

    #[test]
    fn probes_mark_the_cursor_and_make_keys() {
        let (text, offset) = marked("      - kms:|\n      x: 1\n");
        let token = token_at(&text, offset, Syntax::Yaml).unwrap();
        let p = probe(&text, offset, &token, Syntax::Yaml, false).unwrap();
        assert_eq!(p.text, format!("      - kms:{MARKER}\n      x: 1\n"));
        assert_eq!(&p.text[p.marker..p.marker + MARKER.len()], MARKER);
        assert!(
            probe(&text, offset, &token, Syntax::Yaml, true).is_none(),
            "`kms:` being typed is no key to make"
        );

        let (text, offset) = marked("  StringEq|\n");
        let token = token_at(&text, offset, Syntax::Yaml).unwrap();
        let p = probe(&text, offset, &token, Syntax::Yaml, true).unwrap();
        assert_eq!(p.text, format!("  StringEq{MARKER}: \n"));

        let (text, offset) = marked("  StringEq|: {}\n");
        let token = token_at(&text, offset, Syntax::Yaml).unwrap();
        assert!(probe(&text, offset, &token, Syntax::Yaml, true).is_none());

        // An open JSON string is closed; nothing typed is quoted.
        let (text, offset) = marked("{\"Action\": [\"kms:Gen|\n");
        let token = token_at(&text, offset, Syntax::Quoted).unwrap();
        let p = probe(&text, offset, &token, Syntax::Quoted, false).unwrap();
        assert_eq!(p.text, format!("{{\"Action\": [\"kms:Gen{MARKER}\"\n"));
        let (text, offset) = marked("{\"Action\": [|]}");
        let token = token_at(&text, offset, Syntax::Quoted).unwrap();
        let p = probe(&text, offset, &token, Syntax::Quoted, false).unwrap();
        assert_eq!(p.text, format!("{{\"Action\": [\"{MARKER}\"]}}"));
        assert_eq!(p.marker, offset + 1);
    }

    #[test]
    fn yaml_scalars_are_plain_only_when_they_read_back_the_same() {
        assert_eq!(yaml_scalar("kms:Decrypt"), "kms:Decrypt");
        assert_eq!(yaml_scalar("kms:GenerateDataKey*"), "kms:GenerateDataKey*");
        assert_eq!(
            yaml_scalar("ForAnyValue:StringLike"),
            "ForAnyValue:StringLike"
        );
        assert_eq!(
            yaml_scalar("fsx.${1:us-east-1}.amazonaws.com"),
            "fsx.${1:us-east-1}.amazonaws.com"
        );
        // A trailing colon would end a key; a leading `*` is an alias.
        assert_eq!(
            yaml_scalar("kms:EncryptionContext:"),
            "\"kms:EncryptionContext:\""
        );
        assert_eq!(yaml_scalar("*"), "\"*\"");
        assert_eq!(yaml_scalar("true"), "\"true\"");
        assert_eq!(yaml_scalar("a b"), "\"a b\"");
        assert_eq!(snippet_text("a${1:b}c$0"), "abc");
    }

    fn item(kind: ItemKind, content: &str) -> Item {
        Item {
            label: content.into(),
            kind,
            detail: None,
            documentation: None,
            insert: content.into(),
            snippet: false,
            range: TextRange::empty(0),
            sort_group: 0,
            deprecated: false,
            placement: match kind {
                ItemKind::Operator | ItemKind::ConditionKey | ItemKind::Element => Placement::Other,
                _ => Placement::ArrayItem,
            },
            additional: Vec::new(),
        }
    }

    fn edit(m: &str, syntax: Syntax, kind: ItemKind, content: &str, as_key: bool) -> String {
        let (text, offset) = marked(m);
        let token = token_at(&text, offset, syntax).unwrap();
        let item = in_host(item(kind, content), &text, &token, syntax, as_key);
        completion::accepted(&text, &item)
    }

    #[test]
    fn items_are_written_as_the_host_writes_the_scalar() {
        let yaml = Syntax::Yaml;
        let action = ItemKind::Action;
        assert_eq!(
            edit("  - kms:De|\n", yaml, action, "kms:Decrypt", false),
            "  - kms:Decrypt\n"
        );
        assert_eq!(
            edit("  - kms:|\n", yaml, action, "kms:Decrypt", false),
            "  - kms:Decrypt\n"
        );
        assert_eq!(
            edit(
                "  - kms:Re|Encrypt\n",
                yaml,
                action,
                "kms:ReEncrypt*",
                false
            ),
            "  - kms:ReEncrypt*\n"
        );
        assert_eq!(
            edit("  - \"kms:De|\"\n", yaml, action, "kms:Decrypt", false),
            "  - \"kms:Decrypt\"\n"
        );
        assert_eq!(
            edit("  - 'kms:De|\n", yaml, action, "kms:Decrypt", false),
            "  - 'kms:Decrypt'\n"
        );
        assert_eq!(
            edit("  Action: |\n", yaml, action, "kms:Decrypt", false),
            "  Action: kms:Decrypt\n"
        );
        let key = ItemKind::ConditionKey;
        assert_eq!(
            edit("    kms:Via|\n", yaml, key, "kms:ViaService", true),
            "    kms:ViaService: \n"
        );
        assert_eq!(
            edit("    kms:Via|: x\n", yaml, key, "kms:ViaService", false),
            "    kms:ViaService: x\n"
        );
        assert_eq!(
            edit("    \"kms:Via|\"\n", yaml, key, "kms:ViaService", true),
            "    \"kms:ViaService\": \n"
        );
        let quoted = Syntax::Quoted;
        assert_eq!(
            edit("[\"kms:De|\"]", quoted, action, "kms:Decrypt", false),
            "[\"kms:Decrypt\"]"
        );
        assert_eq!(
            edit("[\"kms:De|\n", quoted, action, "kms:Decrypt", false),
            "[\"kms:Decrypt\"\n"
        );
        assert_eq!(
            edit("[|]", quoted, action, "kms:Decrypt", false),
            "[\"kms:Decrypt\"]"
        );
        assert_eq!(
            edit("{|}", quoted, key, "kms:ViaService", true),
            "{\"kms:ViaService\": }"
        );
    }
}

/// Hover and completion through a template the CloudFormation reader
/// renders: offsets in, ranges out.
#[cfg(test)]
mod mapping_tests {
    use policy_analyzer::host::{self, HostFile, NoFiles};
    use policy_analyzer::AnalyzeOptions;

    use super::*;

    const PATH: &str = "/t/stack.yaml";

    const TEMPLATE: &str = "Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Sid: Readers
            Effect: Allow
            Principal:
              AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:role/Readers'
            Action:
              - kms:Decrypt
              - \"kms:GenerateDataKey*\"
            Resource: '*'
            Condition:
              StringEquals:
                kms:ViaService: !Sub 's3.${AWS::Region}.amazonaws.com'
";

    fn render(text: &str) -> Vec<EmbeddedPolicy> {
        let file = HostFile { path: PATH, text };
        host::policies(
            HostKind::CloudFormation,
            file,
            &NoFiles,
            &AnalyzeOptions::default(),
        )
    }

    fn hover_at(needle: &str, shift: usize) -> Option<HoverInfo> {
        let offset = TEMPLATE.find(needle).unwrap() + shift;
        hover(&render(TEMPLATE), PATH, offset)
    }

    #[test]
    fn hover_ranges_are_the_scalars_in_the_template() {
        for shift in [0, 4, "kms:Decrypt".len()] {
            let found = hover_at("kms:Decrypt", shift).expect("a hover");
            assert!(found.markdown.starts_with("**kms:Decrypt**"));
            let start = TEMPLATE.find("kms:Decrypt").unwrap();
            assert_eq!(
                found.range,
                Some(TextRange::new(start, start + "kms:Decrypt".len()))
            );
        }
        // A quoted scalar: the range holds its quotes.
        let found = hover_at("kms:GenerateDataKey*", 3).unwrap();
        assert!(found.markdown.contains("matches 4 of"));
        let start = TEMPLATE.find("\"kms:GenerateDataKey*").unwrap();
        assert_eq!(found.range, Some(TextRange::new(start, start + 22)));
        // A condition key and an operator.
        let found = hover_at("kms:ViaService", 5).unwrap();
        assert!(found.markdown.contains("kms:ViaService"));
        let found = hover_at("StringEquals", 2).unwrap();
        assert!(found.markdown.starts_with("**StringEquals**"));
        // The statement, from its Sid; its symbols as the template wrote them.
        let found = hover_at("Readers\n", 2).unwrap();
        assert!(
            found.markdown.contains("${AWS::AccountId}"),
            "{}",
            found.markdown
        );
        // Outside the policy.
        assert!(hover_at("AWS::KMS::Key", 3).is_none());
    }

    fn complete_marked(marked: &str) -> (String, Vec<Item>) {
        let offset = marked.find('|').unwrap();
        let text = marked.replacen('|', "", 1);
        let items = complete(&text, offset, PATH, Syntax::Yaml, false, render);
        (text, items)
    }

    fn applied(text: &str, item: &Item) -> String {
        completion::accepted(text, item)
    }

    #[test]
    fn completion_edits_the_scalar_being_typed() {
        let (text, items) = complete_marked(&TEMPLATE.replace("- kms:Decrypt", "- kms:Re|"));
        let item = items.iter().find(|i| i.label == "kms:ReEncrypt*").unwrap();
        assert_eq!(&text[item.range.as_usize()], "kms:Re");
        assert!(applied(&text, item).contains("              - kms:ReEncrypt*\n"));

        // A new entry with nothing typed yet.
        let (text, items) = complete_marked(&TEMPLATE.replace(
            "              - kms:Decrypt\n",
            "              - kms:Decrypt\n              - |\n",
        ));
        let item = items.iter().find(|i| i.label == "kms:Encrypt").unwrap();
        assert!(item.range.is_empty());
        assert!(applied(&text, item).contains("              - kms:Encrypt\n"));

        // Condition keys follow the statement's actions; the rest of the
        // key after the cursor is replaced too.
        let (text, items) =
            complete_marked(&TEMPLATE.replace("kms:ViaService: !Sub", "kms:Caller|Acc: !Sub"));
        assert!(items.iter().any(|i| i.label == "kms:ViaService"));
        let item = items
            .iter()
            .find(|i| i.label == "kms:CallerAccount")
            .unwrap();
        assert_eq!(&text[item.range.as_usize()], "kms:CallerAcc");
        assert_eq!(item.insert, "kms:CallerAccount");

        // Operators.
        let (_, items) = complete_marked(&TEMPLATE.replace("StringEquals:", "StringEq|:"));
        assert!(items.iter().any(|i| i.label == "StringEqualsIgnoreCase"));
    }

    /// The text once the item labelled `label` at the `|` of `marked` is
    /// accepted, in a host of `kind` at `path`.
    fn accept_in(kind: HostKind, path: &str, marked: &str, label: &str) -> String {
        let offset = marked.find('|').unwrap();
        let text = marked.replacen('|', "", 1);
        let render = |probe: &str| {
            host::policies(
                kind,
                HostFile { path, text: probe },
                &NoFiles,
                &AnalyzeOptions::default(),
            )
        };
        let items = complete(&text, offset, path, Syntax::of(kind, &text), false, render);
        let item = items
            .iter()
            .find(|i| i.label == label)
            .unwrap_or_else(|| panic!("{label} offered in {marked}"));
        applied(&text, item)
    }

    /// The actions of the one policy `text` renders.
    fn rendered_actions(kind: HostKind, path: &str, text: &str) -> serde_json::Value {
        let policies = host::policies(
            kind,
            HostFile { path, text },
            &NoFiles,
            &AnalyzeOptions::default(),
        );
        assert_eq!(policies.len(), 1, "one policy rendered from:\n{text}");
        let policy: serde_json::Value = serde_json::from_str(&policies[0].json).unwrap();
        policy["Statement"][0]["Action"].clone()
    }

    #[test]
    fn completion_in_a_yaml_flow_sequence_writes_its_commas() {
        let block = "            Action:\n              - kms:Decrypt\n              - \"kms:GenerateDataKey*\"\n";
        assert!(TEMPLATE.contains(block));
        let cf = HostKind::CloudFormation;
        for (marked, expected) in [
            ("[| kms:Encrypt]", "[kms:Decrypt, kms:Encrypt]"),
            ("[kms:Encrypt |]", "[kms:Encrypt, kms:Decrypt]"),
            ("[kms:Encrypt, |]", "[kms:Encrypt, kms:Decrypt]"),
        ] {
            let template = TEMPLATE.replace(block, &format!("            Action: {marked}\n"));
            let after = accept_in(cf, PATH, &template, "kms:Decrypt");
            assert!(
                after.contains(&format!("Action: {expected}\n")),
                "{marked}:\n{after}"
            );
            let mut actions = rendered_actions(cf, PATH, &after);
            actions
                .as_array_mut()
                .unwrap()
                .sort_by_key(|a| a.to_string());
            assert_eq!(actions, serde_json::json!(["kms:Decrypt", "kms:Encrypt"]));
        }
    }

    #[test]
    fn completion_in_a_json_template_writes_its_commas() {
        let template = r#"{"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Resource": "*",
    "Action": ["|" "kms:Encrypt"]}]}}}}}"#;
        let path = "/t/stack.json";
        let cf = HostKind::CloudFormation;
        let after = accept_in(cf, path, template, "kms:Decrypt");
        assert!(
            after.contains(r#""Action": ["kms:Decrypt", "kms:Encrypt"]"#),
            "{after}"
        );
        serde_json::from_str::<serde_json::Value>(&after).expect("valid JSON");
        assert_eq!(
            rendered_actions(cf, path, &after),
            serde_json::json!(["kms:Decrypt", "kms:Encrypt"])
        );
    }

    #[test]
    fn completion_in_a_terraform_tuple_writes_its_commas() {
        let module = r#"resource "aws_kms_key" "app" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Resource  = "*"
      Action    = [ACTIONS]
    }]
  })
}
"#;
        let path = "/t/main.tf";
        let tf = HostKind::Terraform;
        for (marked, expected) in [
            (
                r#""kms:Encrypt", "kms:De|""#,
                r#""kms:Encrypt", "kms:Decrypt""#,
            ),
            (
                r#""kms:De|" "kms:Encrypt""#,
                r#""kms:Decrypt", "kms:Encrypt""#,
            ),
            (
                r#""kms:Encrypt" "kms:De|""#,
                r#""kms:Encrypt", "kms:Decrypt""#,
            ),
        ] {
            let after = accept_in(tf, path, &module.replace("ACTIONS", marked), "kms:Decrypt");
            assert!(
                after.contains(&format!("[{expected}]")),
                "{marked}:\n{after}"
            );
            let mut actions = rendered_actions(tf, path, &after);
            actions
                .as_array_mut()
                .unwrap()
                .sort_by_key(|a| a.to_string());
            assert_eq!(actions, serde_json::json!(["kms:Decrypt", "kms:Encrypt"]));
        }
    }

    #[test]
    fn no_completion_where_the_text_is_not_written_as_it_reads() {
        // A reference resolves to a value written elsewhere.
        let with_ref = format!(
            "Parameters:\n  Read:\n    Type: String\n    Default: kms:Decrypt\n{}",
            TEMPLATE.replace("- kms:Decrypt", "- !Ref Re|ad")
        );
        let (text, items) = complete_marked(&with_ref);
        assert!(items.is_empty());
        assert!(hover(&render(&text), PATH, text.find("Read\n").unwrap() + 1).is_some());
        // Outside the key policy.
        let (_, items) = complete_marked(&TEMPLATE.replace("AWS::KMS::Key", "AWS::KMS::K|ey"));
        assert!(items.is_empty());
        // In a comment.
        let (_, items) =
            complete_marked(&TEMPLATE.replace("- kms:Decrypt", "- kms:Decrypt # kms:|"));
        assert!(items.is_empty());
    }
}
