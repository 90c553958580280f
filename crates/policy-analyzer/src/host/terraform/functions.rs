//! Terraform's built-in functions, as far as a policy needs them. Values
//! that pass through (`concat`, `merge`, `flatten`, `lookup`...) keep where
//! they were written; computed strings stand for the call as a whole. A
//! function Terraform has but the reader does not compute gives an unknown
//! value; a name Terraform does not have is PC602.

use hcl_edit::expr::FuncCall;

use super::eval::{number, Evaluator, Scope, Src};
use super::parse::span_of;
use super::template::{Directives, Flavor};
use super::value::{from_json_tree, Key, Kind, Value};
use crate::host::{HostString, Location, PieceOrigin, Quoting, Replace};
use crate::rules::templates::{invalid_intrinsic, missing_file, unknown_function};
use crate::symbolic;
use crate::text::TextRange;

/// Every function of the Terraform language (1.x); those not computed
/// below give unknown values.
const TERRAFORM_FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "list",
    "log",
    "lookup",
    "lower",
    "map",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "type",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

/// The arguments a computed function takes: (least, most; `usize::MAX` for any).
fn arity(name: &str) -> Option<(usize, usize)> {
    Some(match name {
        "jsonencode" | "jsondecode" | "lower" | "upper" | "title" | "trimspace" | "chomp"
        | "tolist" | "toset" | "tomap" | "tostring" | "tonumber" | "tobool" | "flatten"
        | "distinct" | "compact" | "length" | "keys" | "values" | "reverse" | "one"
        | "sensitive" | "nonsensitive" | "file" | "basename" | "dirname" | "abspath" | "sort"
        | "sum" | "alltrue" | "anytrue" | "strrev" => (1, 1),
        "join" | "split" | "element" | "contains" | "zipmap" | "trimprefix" | "trimsuffix"
        | "trim" | "startswith" | "endswith" | "strcontains" | "index" | "templatefile" => (2, 2),
        "lookup" => (2, 3),
        "replace" | "substr" | "slice" => (3, 3),
        "range" => (1, 3),
        "format" | "formatlist" => (1, usize::MAX),
        "concat" | "merge" | "coalesce" | "coalescelist" | "try" | "setunion" | "max" | "min" => {
            (0, usize::MAX)
        }
        "can" => (1, 1),
        _ => return None,
    })
}

impl<'m, 'k> Evaluator<'m, 'k> {
    pub(crate) fn call(
        &mut self,
        call: &FuncCall,
        src: Src<'_>,
        scope: &Scope<'_>,
        at: &Location,
    ) -> Value {
        let spelled = src
            .source(span_of(call))
            .unwrap_or("a function call")
            .trim()
            .to_string();
        if call.name.is_namespaced() {
            // A provider's function (`provider::aws::arn_parse`): not known here.
            return self.unknown(&spelled, at);
        }
        let name = call.name.name.as_str();
        let name_at = src.loc(span_of(&call.name.name));
        if !TERRAFORM_FUNCTIONS.contains(&name) {
            let message = format!(
                "`{name}` is not a Terraform function: Terraform refuses to plan (\"Call to unknown function\"), so the key policy is never deployed"
            );
            let help = match closest(name) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "use one of Terraform's built-in functions".into(),
            };
            self.report(&unknown_function::RULE, &name_at, message, &help);
            return self.unknown(&spelled, at);
        }
        let exprs: Vec<&hcl_edit::expr::Expression> = call.args.iter().collect();
        let Some((least, most)) = arity(name) else {
            return self.unknown(&spelled, at);
        };
        if !call.args.expand_final() && (exprs.len() < least || exprs.len() > most) {
            let wanted = if least == most {
                format!("{least}")
            } else if most == usize::MAX {
                format!("at least {least}")
            } else {
                format!("{least} to {most}")
            };
            let message = format!(
                "`{name}` takes {wanted} argument{}, but is given {}: Terraform refuses the call (\"Invalid function argument\"), so the value is unknown",
                if wanted == "1" { "" } else { "s" },
                exprs.len()
            );
            self.report(
                &invalid_intrinsic::RULE,
                at,
                message,
                "give the function the arguments it takes",
            );
            return self.unknown(&spelled, at);
        }
        // Lazy ones first: they look at whether an argument fails.
        match name {
            "try" => {
                for e in &exprs {
                    let before = self.errors;
                    let v = self.eval_hcl(e, src, scope);
                    if self.errors == before {
                        return v;
                    }
                    self.errors = before;
                }
                return self.unknown(&spelled, at);
            }
            "can" => {
                let before = self.errors;
                let v = self.eval_hcl(exprs[0], src, scope);
                let failed = self.errors != before;
                self.errors = before;
                if v.is_unknown() && !failed {
                    return self.unknown(&spelled, at);
                }
                return Value::new(Kind::Bool(!failed), at);
            }
            _ => {}
        }
        let mut args: Vec<Value> = exprs.iter().map(|e| self.eval_hcl(e, src, scope)).collect();
        if call.args.expand_final() {
            match args.pop().map(|v| v.kind) {
                Some(Kind::List(items)) => args.extend(items),
                _ => return self.unknown(&spelled, at),
            }
        }
        let arg_at: Vec<Location> = exprs.iter().map(|e| src.loc(span_of(*e))).collect();
        match self.compute(name, args, &arg_at, at) {
            Some(v) => v,
            None => self.unknown(&spelled, at),
        }
    }

    /// A function's value; `None` when it cannot be known.
    fn compute(
        &mut self,
        name: &str,
        mut args: Vec<Value>,
        arg_at: &[Location],
        at: &Location,
    ) -> Option<Value> {
        let string = |text: String| Value::string(&text, at);
        let list = |items: Vec<Value>| Value::new(Kind::List(items), at);
        let whole_unknown = args.iter().any(Value::is_unknown);
        let v = match name {
            "sensitive" | "nonsensitive" | "abspath" => args.pop()?,
            "jsonencode" => {
                let v = args.pop()?;
                if v.is_unknown() {
                    return None;
                }
                Value::new(Kind::Json(Box::new(v)), at)
            }
            "jsondecode" => {
                let v = args.pop()?;
                match v.kind {
                    Kind::Json(inner) => *inner,
                    Kind::Str(s) => decode_json(&s, at)?,
                    _ => return None,
                }
            }
            "tolist" | "toset" => {
                let v = args.pop()?;
                match v.kind {
                    Kind::List(items) if name == "toset" => list(dedupe(items)),
                    Kind::List(_) => v,
                    _ => return None,
                }
            }
            "tomap" => args.pop().filter(|v| matches!(v.kind, Kind::Object(_)))?,
            "tostring" => {
                let v = args.pop()?;
                match v.kind {
                    Kind::Str(_) | Kind::Null => v,
                    Kind::Number(_) | Kind::Bool(_) => string(v.as_text()?),
                    _ => return None,
                }
            }
            "tonumber" => Value::new(Kind::Number(number(args[0].as_number()?)), at),
            "tobool" => Value::new(Kind::Bool(args[0].as_bool()?), at),
            "concat" => {
                let mut items = Vec::new();
                for a in args {
                    match a.kind {
                        Kind::List(more) => items.extend(more),
                        _ => return None,
                    }
                }
                list(items)
            }
            "merge" => {
                let mut members: Vec<(Key, Value)> = Vec::new();
                for a in args {
                    match a.kind {
                        Kind::Object(more) => {
                            for (k, v) in more {
                                let text = k.text();
                                members.retain(|(m, _)| m.text() != text);
                                members.push((k, v));
                            }
                        }
                        Kind::Null => {}
                        _ => return None,
                    }
                }
                Value::new(Kind::Object(members), at)
            }
            "flatten" => list(flatten(args.pop()?, 0)?),
            "distinct" => match args.pop()?.kind {
                Kind::List(items) => list(dedupe(items)),
                _ => return None,
            },
            "compact" => match args.pop()?.kind {
                Kind::List(items) => list(
                    items
                        .into_iter()
                        .filter(|v| !v.is_null() && v.as_text().is_none_or(|t| !t.is_empty()))
                        .collect(),
                ),
                _ => return None,
            },
            "coalesce" => args
                .into_iter()
                .find(|v| !v.is_null() && v.as_text().is_none_or(|t| !t.is_empty()))?,
            "coalescelist" => args
                .into_iter()
                .find(|v| v.as_list().is_some_and(|l| !l.is_empty()))?,
            "lookup" => {
                let default = if args.len() == 3 { args.pop() } else { None };
                let key = args.pop()?.known_text()?;
                let map = args.pop()?;
                if map.is_unknown() {
                    return None;
                }
                match map.get(&key) {
                    Some(v) => v.clone(),
                    None => default?,
                }
            }
            "element" => {
                let index = args.pop()?.as_number()?;
                let items = args.pop()?;
                let items = items.as_list()?;
                if items.is_empty() || index < 0.0 {
                    return None;
                }
                items[index as usize % items.len()].clone()
            }
            "one" => {
                let items = args.pop()?;
                match items.as_list()? {
                    [] => Value::null(at),
                    [only] => only.clone(),
                    _ => return None,
                }
            }
            "length" => {
                let v = args.pop()?;
                let n = match &v.kind {
                    Kind::List(items) => items.len(),
                    Kind::Object(members) => members.len(),
                    Kind::Str(s) if !symbolic::has_symbol(&s.text()) => s.text().chars().count(),
                    _ => return None,
                };
                Value::new(Kind::Number(n.to_string()), at)
            }
            "keys" | "values" => match args.pop()?.kind {
                Kind::Object(members) => list(
                    members
                        .into_iter()
                        .map(|(k, v)| {
                            if name == "keys" {
                                Value::new(Kind::Str(k.name), &k.at)
                            } else {
                                v
                            }
                        })
                        .collect(),
                ),
                _ => return None,
            },
            "contains" => {
                let needle = args.pop()?;
                let haystack = args.pop()?;
                if needle.has_unknown() || haystack.has_unknown() {
                    return None;
                }
                Value::new(
                    Kind::Bool(haystack.as_list()?.iter().any(|v| v.same(&needle))),
                    at,
                )
            }
            "reverse" => match args.pop()?.kind {
                Kind::List(mut items) => {
                    items.reverse();
                    list(items)
                }
                _ => return None,
            },
            "sort" => match args.pop()?.kind {
                Kind::List(mut items) => {
                    if items.iter().any(|v| v.known_text().is_none()) {
                        return None;
                    }
                    items.sort_by_key(|v| v.as_text());
                    list(items)
                }
                _ => return None,
            },
            "slice" => {
                let end = args.pop()?.as_number()? as usize;
                let start = args.pop()?.as_number()? as usize;
                let items = args.pop()?;
                let items = items.as_list()?;
                list(items.get(start..end.min(items.len()))?.to_vec())
            }
            "range" => {
                let nums: Vec<f64> = args.iter().map(Value::as_number).collect::<Option<_>>()?;
                let (start, end, step) = match nums.as_slice() {
                    [end] => (0.0, *end, 1.0),
                    [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
                    [start, end, step] => (*start, *end, *step),
                    _ => return None,
                };
                if step == 0.0 || ((end - start) / step).abs() > 10_000.0 {
                    return None;
                }
                let mut items = Vec::new();
                let mut x = start;
                while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                    items.push(Value::new(Kind::Number(number(x)), at));
                    x += step;
                }
                list(items)
            }
            "zipmap" => {
                let values = args.pop()?;
                let keys = args.pop()?;
                let members = keys
                    .as_list()?
                    .iter()
                    .zip(values.as_list()?)
                    .map(|(k, v)| {
                        Some((
                            Key {
                                name: k.as_host_string()?,
                                at: k.at.clone(),
                                replace: Replace::Never,
                            },
                            v.clone(),
                        ))
                    })
                    .collect::<Option<Vec<_>>>()?;
                Value::new(Kind::Object(members), at)
            }
            "setunion" => {
                let mut items = Vec::new();
                for a in args {
                    items.extend(a.as_list()?.iter().cloned());
                }
                list(dedupe(items))
            }
            "index" => {
                let needle = args.pop()?;
                let haystack = args.pop()?;
                if needle.has_unknown() || haystack.has_unknown() {
                    return None;
                }
                let i = haystack.as_list()?.iter().position(|v| v.same(&needle))?;
                Value::new(Kind::Number(i.to_string()), at)
            }
            "sum" | "max" | "min" => {
                let nums: Vec<f64> = if name == "sum" {
                    args.pop()?
                        .as_list()?
                        .iter()
                        .map(Value::as_number)
                        .collect::<Option<_>>()?
                } else {
                    args.iter().map(Value::as_number).collect::<Option<_>>()?
                };
                let n = match name {
                    "sum" => nums.iter().sum(),
                    "max" => nums.iter().cloned().fold(f64::MIN, f64::max),
                    _ => nums.iter().cloned().fold(f64::MAX, f64::min),
                };
                Value::new(Kind::Number(number(n)), at)
            }
            "alltrue" | "anytrue" => {
                let bools: Vec<bool> = args
                    .pop()?
                    .as_list()?
                    .iter()
                    .map(Value::as_bool)
                    .collect::<Option<_>>()?;
                let b = if name == "alltrue" {
                    bools.iter().all(|b| *b)
                } else {
                    bools.iter().any(|b| *b)
                };
                Value::new(Kind::Bool(b), at)
            }
            // Strings: computed over the text, symbols carried along.
            "join" => {
                let items = args.pop()?;
                let sep = args.pop()?.as_text()?;
                let parts: Vec<String> = items
                    .as_list()?
                    .iter()
                    .map(Value::as_text)
                    .collect::<Option<_>>()?;
                string(parts.join(&sep))
            }
            "split" => {
                let text = args.pop()?.as_text()?;
                let sep = args.pop()?.known_text()?;
                if sep.is_empty() {
                    return None;
                }
                list(
                    text.split(sep.as_str())
                        .map(|p| Value::string(p, at))
                        .collect(),
                )
            }
            "format" | "formatlist" if name == "format" => {
                let fmt = args.remove(0).as_text()?;
                string(format(&fmt, &args)?)
            }
            "replace" => {
                let with = args.pop()?.as_text()?;
                let what = args.pop()?.known_text()?;
                let text = args.pop()?.as_text()?;
                if what.len() > 1 && what.starts_with('/') && what.ends_with('/') {
                    // A regular expression: not computed here.
                    return None;
                }
                if what.is_empty() {
                    return None;
                }
                string(text.replace(&what, &with))
            }
            "lower" | "upper" | "title" | "trimspace" | "chomp" | "strrev" => {
                let text = args.pop()?.as_text()?;
                string(outside_symbols(
                    &text,
                    |t| match name {
                        "lower" => t.to_lowercase(),
                        "upper" => t.to_uppercase(),
                        "strrev" => t.chars().rev().collect(),
                        _ => t.to_string(),
                    },
                    name,
                ))
            }
            "trimprefix" | "trimsuffix" | "trim" => {
                let what = args.pop()?.known_text()?;
                let text = args.pop()?.as_text()?;
                string(match name {
                    "trimprefix" => text
                        .strip_prefix(what.as_str())
                        .unwrap_or(&text)
                        .to_string(),
                    "trimsuffix" => text
                        .strip_suffix(what.as_str())
                        .unwrap_or(&text)
                        .to_string(),
                    _ => text.trim_matches(|c| what.contains(c)).to_string(),
                })
            }
            "startswith" | "endswith" | "strcontains" => {
                let what = args.pop()?.known_text()?;
                let text = args.pop()?.known_text()?;
                let b = match name {
                    "startswith" => text.starts_with(&what),
                    "endswith" => text.ends_with(&what),
                    _ => text.contains(&what),
                };
                Value::new(Kind::Bool(b), at)
            }
            "substr" => {
                let len = args.pop()?.as_number()?;
                let offset = args.pop()?.as_number()?;
                let text = args.pop()?.known_text()?;
                let chars: Vec<char> = text.chars().collect();
                let start = (offset.max(0.0) as usize).min(chars.len());
                let end = if len < 0.0 {
                    chars.len()
                } else {
                    (start + len as usize).min(chars.len())
                };
                string(chars[start..end].iter().collect())
            }
            "basename" | "dirname" => {
                let path = args.pop()?.known_text()?;
                let (dir, base) = match path.rfind('/') {
                    Some(i) => (&path[..i], &path[i + 1..]),
                    None => (".", path.as_str()),
                };
                string(if name == "basename" { base } else { dir }.to_string())
            }
            "file" => {
                let path = self.path_arg(&args[0], &arg_at[0])?;
                let text = self.load(&path, &arg_at[0])?;
                let file: std::sync::Arc<str> = path.as_str().into();
                let whole = Location {
                    file,
                    range: TextRange::new(0, text.len()),
                };
                let s = HostString::exact(
                    text,
                    whole.clone(),
                    Quoting::Raw {
                        interpolation: false,
                    },
                );
                Value::new(Kind::Str(s), at)
            }
            "templatefile" => {
                let vars = args.pop()?;
                let path = self.path_arg(&args[0], &arg_at[0])?;
                let text = self.load(&path, &arg_at[0])?;
                if !self.sink.templates.contains(&path) {
                    self.sink.templates.push(path.clone());
                }
                let names: Vec<(String, Value)> = match vars.kind {
                    Kind::Object(members) => {
                        members.into_iter().map(|(k, v)| (k.text(), v)).collect()
                    }
                    Kind::Unknown(_) => return None,
                    _ => Vec::new(),
                };
                let file: std::sync::Arc<str> = path.as_str().into();
                let template = match hcl_edit::parser::parse_template(&text) {
                    Ok(t) => t,
                    Err(e) => {
                        let where_ = Location {
                            file: file.clone(),
                            range: crate::host::char_at(&text, e.location().offset()),
                        };
                        self.report(
                            &crate::rules::syntax::invalid_hcl::RULE,
                            &where_,
                            format!("{path} is not a valid template at line {}, column {}: {}; Terraform fails the plan when templatefile() renders it", e.location().line(), e.location().column(), e.message().replace('\n', " ")),
                            "close every `${` and `%{` sequence; write a literal `${` as `$${`",
                        );
                        return None;
                    }
                };
                let src = Src {
                    path: &file,
                    text: &text,
                    base: 0,
                    exact: true,
                    whole: TextRange::default(),
                };
                let scope = Scope::template(names);
                let rendered =
                    self.render(&template, src, &scope, Flavor::File, Directives::Branch);
                Value::new(Kind::Str(rendered), at)
            }
            _ => return None,
        };
        let _ = whole_unknown;
        Some(v)
    }

    /// A path argument of `file()`/`templatefile()`, as the loader takes it.
    fn path_arg(&mut self, v: &Value, _at: &Location) -> Option<String> {
        let path = v.known_text()?;
        let dir = &self.module.dir;
        if dir != "." && (path.starts_with(&format!("{dir}/")) || path.starts_with('/')) {
            return Some(path);
        }
        Some(super::parse::join(dir, &path))
    }

    fn load(&mut self, path: &str, at: &Location) -> Option<String> {
        match self.module.loader.load(path) {
            Ok(text) => Some(text),
            Err(why) => {
                let message = format!(
                    "{path} cannot be read ({why}): Terraform fails the plan (\"Invalid value for \\\"path\\\" parameter\"), so the key policy is never deployed, and it cannot be checked"
                );
                self.report(
                    &missing_file::RULE,
                    at,
                    message,
                    "correct the path (relative paths start at the module's directory: write \"${path.module}/...\"), or add the file",
                );
                None
            }
        }
    }
}

/// A value of JSON text (`jsondecode`), its elements located through the
/// string's pieces.
pub(crate) fn decode_json(s: &HostString, at: &Location) -> Option<Value> {
    let (text, _) = s.render_as_text();
    let parse = crate::syntax::parse(&text);
    if !parse.errors.is_empty() {
        return None;
    }
    let root = parse.tree.root()?;
    let pieces = PieceIndex::new(s);
    let locate = |r: TextRange| pieces.locate(r).unwrap_or_else(|| at.clone());
    let exact = |r: TextRange| pieces.exact(r);
    Some(from_json_tree(&parse.tree, root, &locate, &exact, 0))
}

/// The pieces of a string by their offsets in its text.
pub(crate) struct PieceIndex<'s> {
    s: &'s HostString,
    starts: Vec<usize>,
}

impl<'s> PieceIndex<'s> {
    pub fn new(s: &'s HostString) -> Self {
        let mut starts = Vec::with_capacity(s.pieces.len());
        let mut at = 0;
        for p in &s.pieces {
            starts.push(at);
            at += p.text.len();
        }
        PieceIndex { s, starts }
    }

    fn piece(&self, r: TextRange) -> Option<(usize, &crate::host::Piece)> {
        let i = self
            .starts
            .partition_point(|&s| s <= r.start as usize)
            .checked_sub(1)?;
        let p = &self.s.pieces[i];
        let start = self.starts[i];
        (r.end as usize <= start + p.text.len()).then_some((start, p))
    }

    /// Where a range of the text is: exact inside an exact piece, the
    /// piece inside a whole one, else the span of the pieces it covers.
    pub fn locate(&self, r: TextRange) -> Option<Location> {
        if let Some((start, p)) = self.piece(r) {
            return Some(match &p.origin {
                PieceOrigin::Exact { at, .. } => Location {
                    file: at.file.clone(),
                    range: TextRange {
                        start: at.range.start + (r.start - start as u32),
                        end: at.range.start + (r.end - start as u32),
                    },
                },
                PieceOrigin::Whole(at) => at.clone(),
            });
        }
        self.s.span()
    }

    pub fn exact(&self, r: TextRange) -> Option<(Location, Quoting)> {
        let (start, p) = self.piece(r)?;
        match &p.origin {
            PieceOrigin::Exact { at, quoting } => Some((
                Location {
                    file: at.file.clone(),
                    range: TextRange {
                        start: at.range.start + (r.start - start as u32),
                        end: at.range.start + (r.end - start as u32),
                    },
                },
                *quoting,
            )),
            PieceOrigin::Whole(_) => None,
        }
    }
}

fn dedupe(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    let mut seen = rustc_hash::FxHashSet::default();
    for v in items {
        let key = v.to_json();
        if seen.insert(key) {
            out.push(v);
        }
    }
    out
}

fn flatten(v: Value, depth: usize) -> Option<Vec<Value>> {
    if depth > super::eval::MAX_DEPTH {
        return None;
    }
    match v.kind {
        Kind::List(items) => {
            let mut out = Vec::new();
            for item in items {
                match item.kind {
                    Kind::List(_) => out.extend(flatten(item, depth + 1)?),
                    Kind::Unknown(_) => return None,
                    _ => out.push(item),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// `format()`'s verbs: `%s`, `%d`, `%v`, `%q`, `%%`, flags and widths read and ignored.
fn format(fmt: &str, args: &[Value]) -> Option<String> {
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Flags, width and precision.
        while chars.peek().is_some_and(|c| "+- #0123456789.".contains(*c)) {
            chars.next();
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'v' | 'd' | 'f' | 't' | 'g' | 'e' | 'x' | 'X' | 'o' | 'b' => {
                out.push_str(&args.next()?.as_text()?)
            }
            'q' => {
                let text = args.next()?.as_text()?;
                out.push_str(&serde_json::to_string(&text).ok()?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Applies `f` to the text between symbols, leaving them as they are.
fn outside_symbols(text: &str, f: impl Fn(&str) -> String, name: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, _) in symbolic::symbols(text) {
        out.push_str(&f(&text[last..range.start]));
        out.push_str(&text[range.clone()]);
        last = range.end;
    }
    out.push_str(&f(&text[last..]));
    match name {
        "trimspace" => out.trim().to_string(),
        "chomp" => out.trim_end_matches(['\n', '\r']).to_string(),
        "title" => {
            let mut up = true;
            out.chars()
                .map(|c| {
                    let r = if up {
                        c.to_uppercase().next().unwrap_or(c)
                    } else {
                        c
                    };
                    up = c.is_whitespace();
                    r
                })
                .collect()
        }
        _ => out,
    }
}

/// The Terraform function closest to a misspelled name.
fn closest(name: &str) -> Option<&'static str> {
    TERRAFORM_FUNCTIONS
        .iter()
        .map(|f| (strsim(name, f), *f))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// Levenshtein distance (names are short).
fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
