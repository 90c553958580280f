//! Templates: quoted strings with `${}`, heredocs, and template files
//! (`templatefile()`, or a `.tpl` met alone), rendered to strings whose
//! literal parts keep the exact host bytes they came from.
//!
//! A template that holds JSON (a heredoc or `.tpl` policy) is rendered with
//! an eye on where its JSON strings open and close: a placeholder that
//! stands for a JSON value rather than inside a string (`"Service":
//! ${services}`) and cannot be resolved becomes a quoted symbol, so the
//! document stays JSON and the unknown is never read as text.

use hcl_edit::template::{Directive, Element, Template};

use super::eval::{Evaluator, Scope, Src};
use super::parse::span_of;
use super::value::{Kind, Value};
use crate::host::{HostString, Location, Piece, PieceOrigin, Quoting};
use crate::rules::templates::invalid_intrinsic;
use crate::text::TextRange;

/// What kind of template text a literal is, which decides its escapes and
/// the quoting a fix must respect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// An HCL quoted string: backslash escapes.
    Quoted,
    /// A heredoc: no backslash escapes, `<<-` strips indentation.
    Heredoc,
    /// A template file's text.
    File,
    /// A `.tf.json` string (spans are within the decoded string).
    JsonString,
    /// A JSON string of a plan, escapes and all.
    PlanString,
}

impl Flavor {
    fn quoting(self) -> Quoting {
        match self {
            Flavor::Quoted => Quoting::Hcl,
            Flavor::Heredoc | Flavor::File => Quoting::Raw {
                interpolation: true,
            },
            Flavor::JsonString | Flavor::PlanString => Quoting::JsonString,
        }
    }
}

/// A literal's decoded text, in pieces that are exact wherever the source
/// holds the same bytes: escapes (`\"`, `$${`) stand for their source as a
/// whole, and indentation a heredoc strips, or whitespace a `~` strips, is
/// skipped.
pub(crate) fn align_literal(
    decoded: &str,
    span: TextRange,
    src: Src<'_>,
    flavor: Flavor,
) -> HostString {
    let at = src.loc(span);
    let Some(source) = src.source(span) else {
        return HostString::whole(decoded, at);
    };
    let base = at.range.start as usize;
    let piece_at = |start: usize, end: usize| Location {
        file: at.file.clone(),
        range: TextRange::new(base + start, base + end),
    };
    let (s, d) = (source.as_bytes(), decoded.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let mut out = HostString::default();
    let mut run: Option<(usize, usize)> = None;
    let flush =
        |run: &mut Option<(usize, usize)>, i: usize, j: usize, out: &mut HostString| -> bool {
            if let Some((si, dj)) = run.take() {
                match decoded.get(dj..j) {
                    Some(text) => out.push(Piece {
                        text: text.to_string(),
                        origin: PieceOrigin::Exact {
                            at: piece_at(si, i),
                            quoting: flavor.quoting(),
                        },
                    }),
                    None => return false,
                }
            }
            true
        };
    while j < d.len() {
        let escape = match s.get(i) {
            Some(b'\\') if matches!(flavor, Flavor::Quoted | Flavor::PlanString) => {
                Some(escape_len(&s[i..]))
            }
            Some(b'$' | b'%')
                if flavor != Flavor::PlanString
                    && s.get(i + 1) == s.get(i)
                    && s.get(i + 2) == Some(&b'{') =>
            {
                Some(1)
            }
            _ => None,
        };
        match escape {
            Some(len) => {
                if !flush(&mut run, i, j, &mut out) {
                    return HostString::whole(decoded, at);
                }
                // `$${` is `${`: the doubled marker stands for one character.
                let (src_len, text_len) = if s[i] == b'\\' {
                    let c = decoded[j..].chars().next().map_or(1, char::len_utf8);
                    (len, c)
                } else {
                    (2, 1)
                };
                let Some(text) = decoded.get(j..j + text_len) else {
                    return HostString::whole(decoded, at);
                };
                out.push(Piece {
                    text: text.to_string(),
                    origin: PieceOrigin::Whole(piece_at(i, (i + src_len).min(s.len()))),
                });
                i += src_len;
                j += text_len;
            }
            None if s.get(i) == Some(&d[j]) => {
                if run.is_none() {
                    run = Some((i, j));
                }
                i += 1;
                j += 1;
            }
            None if s.get(i).is_some_and(u8::is_ascii_whitespace) => {
                if !flush(&mut run, i, j, &mut out) {
                    return HostString::whole(decoded, at);
                }
                i += 1;
            }
            None => return HostString::whole(decoded, at),
        }
    }
    if !flush(&mut run, i, j, &mut out) {
        return HostString::whole(decoded, at);
    }
    if out.pieces.is_empty() {
        return HostString::whole("", at);
    }
    out
}

/// The length of the escape sequence at the start of `s` (a backslash and what follows).
fn escape_len(s: &[u8]) -> usize {
    match s.get(1) {
        Some(b'u') => 6,
        Some(b'U') => 10,
        Some(_) => 2,
        None => 1,
    }
    .min(s.len())
}

/// Where rendered JSON text stands: inside a string or not.
#[derive(Clone, Copy, Default)]
struct JsonState {
    in_string: bool,
    escaped: bool,
}

impl JsonState {
    fn feed(&mut self, text: &str) {
        for b in text.bytes() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if b == b'"' {
                self.in_string = true;
            }
        }
    }
}

/// The output of a template being rendered.
struct Out {
    text: HostString,
    /// Tracks JSON strings when the template holds a JSON document.
    json: Option<JsonState>,
}

impl Out {
    fn push(&mut self, piece: Piece) {
        if let Some(state) = &mut self.json {
            state.feed(&piece.text);
        }
        self.text.push(piece);
    }
}

/// How unknown `%{ if }` and `%{ for }` directives are rendered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Directives {
    /// Checked both ways (a module's template with an unknown condition).
    Branch,
    /// A template met alone: a section whose condition is unknown is left
    /// out (checking less never reports what is not there, and the usual
    /// `%{ if i < length(x) - 1 },%{ endif }` separator stays valid JSON);
    /// a loop over an unknown collection is rendered once, its variables
    /// unknown, as one representative element.
    Alone,
}

impl<'m, 'k> Evaluator<'m, 'k> {
    /// Evaluates a template (a quoted string with interpolations, a
    /// heredoc, a `.tf.json` string).
    pub(crate) fn eval_template(
        &mut self,
        template: &Template,
        src: Src<'_>,
        scope: &Scope<'_>,
        flavor: Flavor,
        at: &Location,
    ) -> Value {
        // `"${x}"` is x itself, of whatever type.
        if let [Element::Interpolation(only)] = template.iter().collect::<Vec<_>>().as_slice() {
            if matches!(flavor, Flavor::Quoted | Flavor::JsonString) {
                return self.eval_hcl(&only.expr, src, scope);
            }
        }
        let text = self.render(template, src, scope, flavor, Directives::Branch);
        Value::new(Kind::Str(text), at)
    }

    /// Renders a template to a string.
    pub(crate) fn render(
        &mut self,
        template: &Template,
        src: Src<'_>,
        scope: &Scope<'_>,
        flavor: Flavor,
        directives: Directives,
    ) -> HostString {
        let holds_json = matches!(flavor, Flavor::Heredoc | Flavor::File)
            && template
                .iter()
                .find_map(|e| match e {
                    Element::Literal(l) => l.trim_start().chars().next(),
                    _ => Some('$'),
                })
                .is_some_and(|c| c == '{' || c == '[');
        let mut out = Out {
            text: HostString::default(),
            json: holds_json.then(JsonState::default),
        };
        self.render_into(
            template,
            src,
            scope,
            flavor,
            directives,
            (false, false),
            &mut out,
        );
        out.text
    }

    #[allow(clippy::too_many_arguments)]
    fn render_into(
        &mut self,
        template: &Template,
        src: Src<'_>,
        scope: &Scope<'_>,
        flavor: Flavor,
        directives: Directives,
        (strip_first, strip_last): (bool, bool),
        out: &mut Out,
    ) {
        let elements: Vec<&Element> = template.iter().collect();
        for (i, element) in elements.iter().enumerate() {
            match element {
                Element::Literal(literal) => {
                    let strip_start = if i == 0 {
                        strip_first
                    } else {
                        strips_after(elements[i - 1])
                    };
                    let strip_end = match elements.get(i + 1) {
                        Some(next) => strips_before(next),
                        None => strip_last,
                    };
                    let mut text: &str = literal;
                    if strip_start {
                        text = text.trim_start();
                    }
                    if strip_end {
                        text = text.trim_end();
                    }
                    let spanned: &hcl_edit::Spanned<String> = literal;
                    let span = span_of(spanned);
                    // Locate the kept text inside the literal's source.
                    let aligned = align_literal(text, span, src, flavor);
                    for piece in aligned.pieces {
                        out.push(piece);
                    }
                }
                Element::Interpolation(interp) => {
                    let span = span_of(interp);
                    let at = src.loc(span);
                    let value = self.eval_hcl(&interp.expr, src, scope);
                    self.interpolate(value, &at, out);
                }
                Element::Directive(directive) => match &**directive {
                    Directive::If(d) => {
                        let cond = self.eval_hcl(&d.if_expr.cond_expr, src, scope);
                        let choice = match cond.as_bool() {
                            Some(b) => Some(b),
                            None if directives == Directives::Alone => Some(false),
                            None => {
                                let text = src
                                    .source(span_of(&d.if_expr.cond_expr))
                                    .unwrap_or("a condition")
                                    .trim()
                                    .to_string();
                                self.choose(&text)
                            }
                        };
                        let Some(choice) = choice else {
                            let what = src
                                .source(span_of(&**directive as &Directive))
                                .unwrap_or("%{ if }");
                            let what = what.trim().to_string();
                            let at = src.loc(span_of(&**directive as &Directive));
                            let v = self.unknown(&what, &at);
                            self.interpolate(v, &at, out);
                            continue;
                        };
                        let else_start = d.else_expr.as_ref().map(|e| e.strip.strip_start());
                        let endif_start = d.endif_expr.strip.strip_start();
                        if choice {
                            let last = else_start.unwrap_or(endif_start);
                            let strips = (d.if_expr.strip.strip_end(), last);
                            let t = &d.if_expr.template;
                            self.render_into(t, src, scope, flavor, directives, strips, out);
                        } else if let Some(e) = &d.else_expr {
                            let strips = (e.strip.strip_end(), endif_start);
                            self.render_into(
                                &e.template,
                                src,
                                scope,
                                flavor,
                                directives,
                                strips,
                                out,
                            );
                        }
                    }
                    Directive::For(d) => {
                        let collection = self.eval_hcl(&d.for_expr.collection_expr, src, scope);
                        let key_var = d.for_expr.key_var.as_ref().map(|k| k.as_str().to_string());
                        let value_var = d.for_expr.value_var.as_str().to_string();
                        let at = src.loc(span_of(&d.for_expr.collection_expr));
                        let pairs = match self.iterate(&collection) {
                            Some(pairs) => pairs,
                            None => {
                                let k = self.unknown(key_var.as_deref().unwrap_or("key"), &at);
                                let v = self.unknown(&value_var, &at);
                                vec![(k, v)]
                            }
                        };
                        let strips = (
                            d.for_expr.strip.strip_end(),
                            d.endfor_expr.strip.strip_start(),
                        );
                        for (k, v) in pairs.into_iter().take(10_000) {
                            let mut names = vec![(value_var.clone(), v)];
                            if let Some(key_var) = &key_var {
                                names.insert(0, (key_var.clone(), k));
                            }
                            let inner = scope.child(names);
                            let t = &d.for_expr.template;
                            self.render_into(t, src, &inner, flavor, directives, strips, out);
                        }
                    }
                },
            }
        }
    }

    /// Writes an interpolated value into the output.
    fn interpolate(&mut self, value: Value, at: &Location, out: &mut Out) {
        let outside_string = out.json.is_some_and(|s| !s.in_string);
        let text = match &value.kind {
            Kind::Str(s) => s.text(),
            Kind::Number(n) => n.clone(),
            Kind::Bool(b) => b.to_string(),
            Kind::Null => String::new(),
            Kind::Json(inner) => inner.to_json(),
            Kind::Unknown(symbol) => {
                if outside_string {
                    // A value written where JSON wants a value: an unknown
                    // one is a string of its own, so the document stays JSON.
                    format!("\"{symbol}\"")
                } else {
                    symbol.clone()
                }
            }
            Kind::List(_) | Kind::Object(_) => {
                let message = "a list or object is interpolated into a string: Terraform refuses it (\"Cannot include the given value in a string template: string required\"), so the policy is never rendered".to_string();
                self.report(
                    &invalid_intrinsic::RULE,
                    at,
                    message,
                    "wrap the value in jsonencode() to write it as JSON, or join() a list of strings",
                );
                let what = "a list or object in a string";
                let v = self.unknown(what, at);
                v.as_text().unwrap_or_default()
            }
        };
        out.push(Piece {
            text,
            origin: PieceOrigin::Whole(at.clone()),
        });
    }
}

/// Whether an element strips the whitespace of the literal after it.
fn strips_after(e: &Element) -> bool {
    match e {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_end(),
        Element::Directive(d) => match &**d {
            Directive::If(d) => d.endif_expr.strip.strip_end(),
            Directive::For(d) => d.endfor_expr.strip.strip_end(),
        },
    }
}

/// Whether an element strips the whitespace of the literal before it.
fn strips_before(e: &Element) -> bool {
    match e {
        Element::Literal(_) => false,
        Element::Interpolation(i) => i.strip.strip_start(),
        Element::Directive(d) => match &**d {
            Directive::If(d) => d.if_expr.strip.strip_start(),
            Directive::For(d) => d.for_expr.strip.strip_start(),
        },
    }
}
