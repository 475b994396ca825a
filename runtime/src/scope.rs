//! Canvas API scopes: parsing and matching.
//!
//! A job's manifest lists the Canvas endpoints it may call in Canvas's own
//! scope syntax, `url:<METHOD>|<path>`, e.g.
//! `url:GET|/api/v1/accounts/:account_id/courses`. This module parses those
//! strings into [`Scope`]s and decides whether a request is allowed, with the
//! semantics of Canvas's `AccessToken#url_scopes_for_method`
//! (`app/models/access_token.rb`), which turns a scope path into a regex:
//!
//! ```ruby
//! path = path.gsub(%r{:[^/)]+}, "[^/]+")   # :name  -> one segment
//! path = path.gsub(%r{\*[^/)]+}, ".+")     # *name  -> one or more characters, across segments
//! path = path.gsub(/\(/, "(?:").gsub(/\)/, "|)")   # ( ... ) -> optional group
//! path = "#{path}(?:\\.[^/]+|)"            # optional .format suffix
//! Regexp.new("^#{path}$")
//! ```
//!
//! Differences, all of them stricter than Canvas:
//! - literal characters match literally (Canvas does not escape them, so the
//!   `.` of `…/bounced_communication_channels.csv` matches any character there);
//! - the match is anchored at the ends of the string, not of a line (Ruby's
//!   `^`/`$` would let `"/x\n/api/…"` through), and a path containing a
//!   newline never matches (Canvas's `[^/]+` would take one);
//! - a `:name` or `*name` must be followed by `/`, `)` or the end of the path,
//!   so that the name we read is the name Canvas reads (Canvas takes everything
//!   up to the next `/` or `)`); other scopes are refused when parsed;
//! - a check gives up (denies) after [`MATCH_STEP_BUDGET`] matcher steps, so a
//!   pathological scope such as `/x(:a)(:b)(:c)(:d)` cannot be turned into a
//!   denial of service by a long request path. No real Canvas scope comes near
//!   the budget.
//!
//! [`Scope::allows`] is the reference: a small backtracking matcher over
//! parsed `Node`s that does not allocate. [`ScopeSet`] compiles a manifest's
//! scopes into one trie per method (`scope/trie.rs`) with the same answers,
//! so that a check costs one walk of the path whatever the number of scopes;
//! it is property-tested against the reference (`scope/trie_tests.rs`).

mod trie;
#[cfg(test)]
mod trie_tests;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// HTTP method of a scope or a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    /// Whether a request with this method changes something in Canvas
    /// (POST, PUT, PATCH, DELETE): what a dry run does not send and what
    /// `warden scopes` marks as a write.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Method::Post | Method::Put | Method::Patch | Method::Delete
        )
    }

    /// Every method, in declaration order.
    pub const ALL: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    /// The upper-case name, e.g. `"GET"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the upper-case method names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown HTTP method {0:?}; expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (upper case)")]
pub struct ParseMethodError(pub String);

impl FromStr for Method {
    type Err = ParseMethodError;

    /// Accepts exactly the upper-case names (`"GET"`, not `"get"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseMethodError(s.to_owned()))
    }
}

/// Why a scope string was refused. Messages are one line, quote the scope,
/// say where the problem is (positions count characters of the scope from 1)
/// and what would be valid; they are shown to admins editing a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope starting {start:?} is {length} bytes long, more than the limit of {MAX_SCOPE_BYTES}; Canvas scopes are at most a few hundred")]
    TooLong { start: String, length: usize },

    #[error("scope {scope:?} does not start with \"url:\"; write \"url:<METHOD>|<path>\", e.g. \"url:GET|/api/v1/courses/:course_id\"")]
    MissingPrefix { scope: String },

    #[error("scope {scope:?} has no '|' between the method and the path; write \"url:<METHOD>|<path>\", e.g. \"url:GET|/api/v1/courses/:course_id\"")]
    MissingSeparator { scope: String },

    #[error("scope {scope:?} uses HEAD at character {pos}; Canvas checks HEAD requests against GET scopes, so write \"url:GET|{path}\"", pos = .column + 1)]
    Head {
        scope: String,
        column: usize,
        path: String,
    },

    #[error("scope {scope:?} has method {found:?} at character {pos}; methods are upper case, write \"{upper}\"", pos = .column + 1)]
    LowerCaseMethod {
        scope: String,
        column: usize,
        found: String,
        upper: String,
    },

    #[error("scope {scope:?} has unknown method {found:?} at character {pos}; use one of GET, POST, PUT, PATCH, DELETE, OPTIONS", pos = .column + 1)]
    UnknownMethod {
        scope: String,
        column: usize,
        found: String,
    },

    #[error("scope {scope:?} has a path that does not start with '/' at character {pos}; write an absolute Canvas API path, e.g. \"url:GET|/api/v1/courses\"", pos = .column + 1)]
    RelativePath { scope: String, column: usize },

    #[error("scope {scope:?} has {found:?} at character {pos}, which is not allowed in a scope path; use letters, digits, '_', '-', '.', '/', ':name', '*name' and '( )' groups (no spaces, query strings or percent-escapes)", pos = .column + 1)]
    BadCharacter {
        scope: String,
        column: usize,
        found: char,
    },

    #[error("scope {scope:?} has ':' without a parameter name at character {pos}; write ':name', e.g. ':course_id'", pos = .column + 1)]
    MissingParamName { scope: String, column: usize },

    #[error("scope {scope:?} has '*' without a name at character {pos}; write '*name', e.g. '*full_path'", pos = .column + 1)]
    MissingGlobName { scope: String, column: usize },

    #[error("scope {scope:?} has {found:?} right after '{marker}{name}' at character {pos}; '{marker}{name}' must be followed by '/', ')' or the end of the path, because Canvas reads everything up to the next '/' or ')' as the name", pos = .column + 1)]
    NameNotTerminated {
        scope: String,
        column: usize,
        marker: char,
        name: String,
        found: char,
    },

    #[error(
        "scope {scope:?} has '(' at character {pos} that is never closed; add the matching ')'", pos = .column + 1)]
    UnclosedGroup { scope: String, column: usize },

    #[error("scope {scope:?} has ')' at character {pos} without a matching '('; remove it or add the '('", pos = .column + 1)]
    UnopenedGroup { scope: String, column: usize },

    #[error("scope {scope:?} has an empty group '()' at character {pos}; put the optional part inside, e.g. '(/group/:id)', or remove the group", pos = .column + 1)]
    EmptyGroup { scope: String, column: usize },
}

/// One element of a compiled scope path.
///
/// A scope path is a sequence of nodes; the whole sequence is followed by
/// Canvas's implicit optional `.format` suffix (`(?:\.[^/]+|)`), which is not
/// a node. The representation is kept flat and free of matching state so the
/// scopes of a manifest can later be merged into one trie.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// Literal text (`/`, letters, digits, `_`, `-`, `.`), matched byte for
    /// byte, case-sensitively.
    Literal(Box<str>),
    /// `:name`: one or more characters other than `/` (`[^/]+`). The
    /// number is the index of its name in [`Scope::vars`].
    Param(u16),
    /// `*name`: one or more characters other than a newline, crossing `/`
    /// (Ruby's `.+`). The number is the index of its name in [`Scope::vars`].
    Glob(u16),
    /// `( … )`: the nodes inside, or nothing.
    Optional(Vec<Node>),
}

/// How many matcher steps one [`Scope::allows`] check may take before it
/// gives up and denies. Real Canvas scopes against an 8 KiB path need at most
/// a few tens of thousands.
pub const MATCH_STEP_BUDGET: u32 = 1 << 20;

/// One validated Canvas scope, e.g. `url:GET|/api/v1/courses/:course_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The scope exactly as written.
    raw: String,
    method: Method,
    /// Byte offset of the path (just after `|`) in `raw`.
    path_start: usize,
    nodes: Vec<Node>,
    /// The `:name`s and `*name`s, in the order they are written.
    vars: Vec<Var>,
}

/// A `:name` or `*name` of a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    /// The name, without its sigil.
    pub name: Box<str>,
    /// `*name` (crosses segments) rather than `:name` (one segment).
    pub glob: bool,
}

const PREFIX: &str = "url:";

/// Longest scope accepted, in bytes. The longest real Canvas scope has 120;
/// the limit also bounds the matcher's recursion depth.
pub const MAX_SCOPE_BYTES: usize = 1024;

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let scope = || raw.to_owned();
        if raw.len() > MAX_SCOPE_BYTES {
            let cut = raw.char_indices().nth(60).map_or(raw.len(), |(i, _)| i);
            return Err(ScopeError::TooLong {
                start: raw[..cut].to_owned(),
                length: raw.len(),
            });
        }
        let Some(rest) = raw.strip_prefix(PREFIX) else {
            return Err(ScopeError::MissingPrefix { scope: scope() });
        };
        let Some((method_text, path)) = rest.split_once('|') else {
            return Err(ScopeError::MissingSeparator { scope: scope() });
        };
        let method_column = PREFIX.len();
        let path_start = PREFIX.len() + method_text.len() + 1;

        let upper = method_text.to_ascii_uppercase();
        let method = match upper.parse::<Method>() {
            Ok(Method::Head) => {
                return Err(ScopeError::Head {
                    scope: scope(),
                    column: method_column,
                    path: path.to_owned(),
                })
            }
            Ok(_) if upper != method_text => {
                return Err(ScopeError::LowerCaseMethod {
                    scope: scope(),
                    column: method_column,
                    found: method_text.to_owned(),
                    upper,
                })
            }
            Ok(method) => method,
            Err(_) => {
                return Err(ScopeError::UnknownMethod {
                    scope: scope(),
                    column: method_column,
                    found: method_text.to_owned(),
                })
            }
        };

        let (nodes, vars) = parse_path(raw, path_start)?;
        Ok(Scope {
            raw: raw.to_owned(),
            method,
            path_start,
            nodes,
            vars,
        })
    }
}

/// Whether `b` may appear as a literal character of a scope path.
fn is_literal_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')
}

/// Parses the path part of `raw` (starting at byte `start`) into nodes, and
/// the names of its parameters and globs.
///
/// Everything before the first error is ASCII, so byte offsets in `raw` are
/// also character columns.
fn parse_path(raw: &str, start: usize) -> Result<(Vec<Node>, Vec<Var>), ScopeError> {
    let bytes = raw.as_bytes();
    let scope = || raw.to_owned();
    if bytes.get(start) != Some(&b'/') {
        return Err(ScopeError::RelativePath {
            scope: scope(),
            column: start,
        });
    }

    // Enclosing sequences of the open groups, with the column of their '('.
    let mut open: Vec<(Vec<Node>, usize)> = Vec::new();
    let mut current: Vec<Node> = Vec::new();
    let mut vars: Vec<Var> = Vec::new();
    let mut literal_from: Option<usize> = None;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if is_literal_byte(b) {
            literal_from.get_or_insert(i);
            i += 1;
            continue;
        }
        flush_literal(raw, &mut literal_from, i, &mut current);
        match b {
            b':' | b'*' => {
                let name_start = i + 1;
                let name_end = name_end(bytes, name_start);
                if name_end == name_start {
                    return Err(if b == b':' {
                        ScopeError::MissingParamName {
                            scope: scope(),
                            column: i,
                        }
                    } else {
                        ScopeError::MissingGlobName {
                            scope: scope(),
                            column: i,
                        }
                    });
                }
                if let Some(&next) = bytes.get(name_end) {
                    if next != b'/' && next != b')' {
                        return Err(ScopeError::NameNotTerminated {
                            scope: scope(),
                            column: name_end,
                            marker: char::from(b),
                            name: raw[name_start..name_end].to_owned(),
                            found: raw[name_end..].chars().next().unwrap_or(' '),
                        });
                    }
                }
                // At most MAX_SCOPE_BYTES / 2 names, far below u16::MAX.
                let index = u16::try_from(vars.len()).unwrap_or(u16::MAX);
                let glob = b == b'*';
                vars.push(Var {
                    name: raw[name_start..name_end].into(),
                    glob,
                });
                current.push(if glob {
                    Node::Glob(index)
                } else {
                    Node::Param(index)
                });
                i = name_end;
            }
            b'(' => {
                open.push((std::mem::take(&mut current), i));
                i += 1;
            }
            b')' => {
                let Some((mut parent, open_column)) = open.pop() else {
                    return Err(ScopeError::UnopenedGroup {
                        scope: scope(),
                        column: i,
                    });
                };
                if current.is_empty() {
                    return Err(ScopeError::EmptyGroup {
                        scope: scope(),
                        column: open_column,
                    });
                }
                parent.push(Node::Optional(std::mem::take(&mut current)));
                current = parent;
                i += 1;
            }
            _ => {
                return Err(ScopeError::BadCharacter {
                    scope: scope(),
                    column: raw[..i].chars().count(),
                    found: raw[i..].chars().next().unwrap_or(' '),
                })
            }
        }
    }
    flush_literal(raw, &mut literal_from, bytes.len(), &mut current);
    if let Some((_, column)) = open.pop() {
        return Err(ScopeError::UnclosedGroup {
            scope: scope(),
            column,
        });
    }
    Ok((current, vars))
}

/// End (exclusive) of a `[A-Za-z_][A-Za-z0-9_]*` name starting at `start`;
/// `start` itself if there is none.
fn name_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
        _ => return start,
    }
    let mut end = start + 1;
    while bytes
        .get(end)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        end += 1;
    }
    end
}

/// Pushes the pending literal `raw[from..to]`, if any, onto `nodes`.
fn flush_literal(raw: &str, from: &mut Option<usize>, to: usize, nodes: &mut Vec<Node>) {
    if let Some(from) = from.take() {
        nodes.push(Node::Literal(raw[from..to].into()));
    }
}

impl Scope {
    /// The scope exactly as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The scope's method (never HEAD).
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path pattern, the part after `|`.
    pub fn path(&self) -> &str {
        &self.raw[self.path_start..]
    }

    /// The `:name`s and `*name`s, in the order they are written.
    pub fn vars(&self) -> &[Var] {
        &self.vars
    }

    /// Whether the scope lets a job change something ([`Method::is_write`]).
    pub fn is_write(&self) -> bool {
        self.method.is_write()
    }

    /// Concrete paths this scope allows, one for each of its forms (each
    /// optional group in or out; at most 64), with every `:name` replaced by
    /// `param` and every `*name` by `glob`.
    pub fn example_paths(&self, param: &str, glob: &str) -> Vec<String> {
        let forms = trie::forms(&self.nodes, 64).unwrap_or_default();
        forms
            .iter()
            .map(|form| {
                let mut path = String::new();
                for token in form {
                    match token {
                        trie::Token::Literal(text) => path.push_str(&String::from_utf8_lossy(text)),
                        trie::Token::Var(_, false) => path.push_str(param),
                        trie::Token::Var(_, true) => path.push_str(glob),
                    }
                }
                path
            })
            .collect()
    }

    /// Whether a request with `method` and `raw_path` (the request path as
    /// sent, without the query string, not percent-decoded) is allowed.
    /// Canvas semantics: HEAD requests are checked against GET scopes; every
    /// other method must be equal.
    ///
    /// This is the reference matcher: [`ScopeSet`] compiles its scopes into
    /// one trie that gives the same answers (property-tested against this).
    pub fn allows(&self, method: Method, raw_path: &str) -> bool {
        fold_head(method) == self.method && self.matches_path(raw_path, None)
    }

    /// Whether `raw_path` matches in a way `accept` accepts. `accept` gets
    /// the spans of the vars and where the `.format` suffix starts, once
    /// for each way the path matches, until it returns true. The method is
    /// not checked.
    fn matches_where(&self, raw_path: &str, accept: Accept<'_>) -> bool {
        self.matches_path(raw_path, Some(accept))
    }

    /// Whether `path` matches the whole pattern plus the optional `.format`
    /// suffix, anchored at both ends of the string (and, with `accept`, in
    /// a way it accepts).
    fn matches_path(&self, path: &str, accept: Option<Accept<'_>>) -> bool {
        if path.contains('\n') {
            return false;
        }
        let matcher = Matcher {
            path,
            budget: Cell::new(MATCH_STEP_BUDGET),
            spans: RefCell::new(Vec::new()),
            accept: accept.map(RefCell::new),
        };
        matcher.sequence(&self.nodes, 0, &|end| {
            format_suffix_matches(&path[end..]) && matcher.accepts(end)
        })
    }
}

/// HEAD requests are checked against GET scopes.
fn fold_head(method: Method) -> Method {
    if method == Method::Head {
        Method::Get
    } else {
        method
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Canvas's implicit suffix `(?:\.[^/]+|)` followed by the end of the string.
fn format_suffix_matches(rest: &str) -> bool {
    match rest.strip_prefix('.') {
        None => rest.is_empty(),
        Some(ext) => !ext.is_empty() && !ext.contains('/'),
    }
}

/// What one `:name` or `*name` took from a path: byte offsets `start..end`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    /// Index into [`Scope::vars`].
    var: u16,
    start: usize,
    end: usize,
}

/// The acceptance test of a match, given the spans and the start of the
/// `.format` suffix.
type Accept<'f> = &'f mut dyn FnMut(&[Span], usize) -> bool;

/// Backtracking matcher state for one check. Continuations are closures on
/// the stack, so a check without `accept` does not allocate.
struct Matcher<'p, 'f> {
    path: &'p str,
    /// Steps left before the check gives up and denies.
    budget: Cell<u32>,
    /// The spans of the vars on the way to the current position; kept only
    /// when there is an `accept`.
    spans: RefCell<Vec<Span>>,
    accept: Option<RefCell<Accept<'f>>>,
}

impl Matcher<'_, '_> {
    /// Takes one step from the budget; false once it is spent.
    fn step(&self) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(1));
        left > 0
    }

    /// Whether a complete match ending its pattern at `end` is accepted.
    fn accepts(&self, end: usize) -> bool {
        match &self.accept {
            None => true,
            Some(accept) => {
                let spans = self.spans.borrow();
                (accept.borrow_mut())(&spans, end)
            }
        }
    }

    /// Whether `nodes` match `path` from byte `pos` such that the
    /// continuation `then` accepts the position where they end.
    fn sequence(&self, nodes: &[Node], pos: usize, then: &dyn Fn(usize) -> bool) -> bool {
        if !self.step() {
            return false;
        }
        let Some((first, rest)) = nodes.split_first() else {
            return then(pos);
        };
        let next = |end: usize| self.sequence(rest, end, then);
        match first {
            Node::Literal(text) => self.path[pos..].starts_with(&**text) && next(pos + text.len()),
            Node::Param(var) => self.repeat(pos, b'/', *var, &next),
            Node::Glob(var) => self.repeat(pos, b'\n', *var, &next),
            Node::Optional(inner) => self.sequence(inner, pos, &next) || next(pos),
        }
    }

    /// One or more characters, none of them `stop`, from `pos`, taken by
    /// var `var`: tries each possible end, longest first (whether there is
    /// a match does not depend on the order).
    fn repeat(&self, pos: usize, stop: u8, var: u16, then: &dyn Fn(usize) -> bool) -> bool {
        let rest = &self.path.as_bytes()[pos..];
        let limit = pos + rest.iter().position(|&b| b == stop).unwrap_or(rest.len());
        let tracked = self.accept.is_some();
        let mut end = limit;
        while end > pos {
            if self.budget.get() == 0 {
                return false;
            }
            if self.path.is_char_boundary(end) {
                if tracked {
                    self.spans.borrow_mut().push(Span {
                        var,
                        start: pos,
                        end,
                    });
                }
                let matched = then(end);
                if tracked {
                    self.spans.borrow_mut().pop();
                }
                if matched {
                    return true;
                }
            }
            end -= 1;
        }
        false
    }
}

/// One way a request matched one scope of a [`ScopeSet`]: which scope, and
/// what its `:name`s and `*name`s took from the path.
#[derive(Debug, Clone, Copy)]
pub struct Match<'a, 's> {
    index: usize,
    scope: &'a Scope,
    path: &'a str,
    spans: &'s [Span],
    suffix: usize,
}

/// What one `:name` or `*name` took from the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture<'a> {
    /// The name, without its sigil.
    pub name: &'a str,
    /// A `*name`, which may span several segments.
    pub glob: bool,
    /// The raw text (not percent-decoded), `path[start..end]`.
    pub value: &'a str,
    /// Byte offsets in the path.
    pub start: usize,
    pub end: usize,
}

impl<'a> Match<'a, '_> {
    /// The scope's position in the set.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn scope(&self) -> &'a Scope {
        self.scope
    }

    /// The captures, in path order (vars inside an optional group that was
    /// left out have none).
    pub fn captures(&self) -> impl Iterator<Item = Capture<'a>> + '_ {
        let (scope, path) = (self.scope, self.path);
        self.spans.iter().filter_map(move |span| {
            let var = scope.vars.get(usize::from(span.var))?;
            Some(Capture {
                name: &var.name,
                glob: var.glob,
                value: path.get(span.start..span.end)?,
                start: span.start,
                end: span.end,
            })
        })
    }

    /// The implicit `.format` suffix this match gave the path (`".json"`),
    /// or `""`.
    #[cfg(test)]
    pub fn format_suffix(&self) -> &'a str {
        self.path.get(self.suffix..).unwrap_or("")
    }

    /// Where the `.format` suffix starts (the path's length when there is
    /// none).
    pub fn format_suffix_start(&self) -> usize {
        self.suffix
    }

    /// The request path that matched.
    pub fn path(&self) -> &'a str {
        self.path
    }
}

/// The compiled scopes of one manifest.
///
/// The scopes are compiled into one trie per method (see `scope/trie.rs`):
/// literal text on compressed edges, `:name` and `*name` edges, optional
/// groups expanded into their forms, the `.format` suffix checked where a
/// form ends. One check walks the trie once, whatever the number of scopes
/// (about 0.2 µs, p99 about 0.4 µs, with all 1,292 Canvas scopes;
/// `benches/scopes.rs`).
/// A scope the trie cannot hold with a linear-time walk (a `:name` not
/// followed by `/` or the end, a `*name` before the end, more than 32 forms
/// or 16 vars; no Canvas scope) is checked on its own with
/// [`Scope::allows`]'s matcher. Cloning shares the compiled form.
#[derive(Clone, Default)]
pub struct ScopeSet {
    inner: Arc<Compiled>,
}

#[derive(Default)]
struct Compiled {
    scopes: Vec<Scope>,
    trie: trie::Trie,
    /// Indexes of the scopes matched one by one, ascending.
    alone: Vec<usize>,
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.inner.scopes.iter().map(Scope::as_str))
            .finish()
    }
}

impl ScopeSet {
    pub fn new(scopes: Vec<Scope>) -> Self {
        let (trie, alone) = trie::Trie::build(&scopes);
        ScopeSet {
            inner: Arc::new(Compiled {
                scopes,
                trie,
                alone,
            }),
        }
    }

    /// The first scope (in the set's order) that allows this request, if
    /// any: the same answer as trying [`Scope::allows`] on each in turn.
    pub fn find(&self, method: Method, raw_path: &str) -> Option<&Scope> {
        self.find_where(method, raw_path, |_| true)
    }

    /// The first scope (in the set's order) that allows this request in a
    /// way `accept` accepts. `accept` sees each way the request matches a
    /// scope (a path can match several scopes, and one scope in several
    /// ways: `1.json` is `:id` = `1.json`, or `1` with the suffix `.json`),
    /// not necessarily in order, until the first scope is settled.
    pub fn find_where<'a: 'p, 'p>(
        &'a self,
        method: Method,
        raw_path: &'p str,
        mut accept: impl FnMut(&Match<'p, '_>) -> bool,
    ) -> Option<&'a Scope> {
        if raw_path.contains('\n') {
            return None;
        }
        let method = fold_head(method);
        let compiled = &*self.inner;
        let mut on_match = |index: usize, spans: &[Span], suffix: usize| {
            compiled.scopes.get(index).is_some_and(|scope| {
                accept(&Match {
                    index,
                    scope,
                    path: raw_path,
                    spans,
                    suffix,
                })
            })
        };
        let mut best = compiled.trie.search(method, raw_path, &mut on_match);
        for &index in &compiled.alone {
            if best.is_some_and(|b| index >= b) {
                break;
            }
            let Some(scope) = compiled.scopes.get(index) else {
                continue;
            };
            if scope.method == method
                && scope.matches_where(raw_path, &mut |spans, suffix| {
                    on_match(index, spans, suffix)
                })
            {
                best = Some(index);
                break;
            }
        }
        best.and_then(|index| compiled.scopes.get(index))
    }

    /// The first scope that allows this request, with what its `:name`s
    /// and `*name`s took from the path.
    #[cfg(test)]
    pub fn find_captures<'a>(
        &'a self,
        method: Method,
        raw_path: &'a str,
    ) -> Option<(&'a Scope, Vec<Capture<'a>>)> {
        let mut captures = Vec::new();
        let scope = self.find_where(method, raw_path, |m| {
            captures = m.captures().collect();
            true
        })?;
        Some((scope, captures))
    }

    /// Every scope that allows this request, in the set's order.
    pub fn matching(&self, method: Method, raw_path: &str) -> Vec<&Scope> {
        self.matching_indexes(method, raw_path)
            .into_iter()
            .filter_map(|i| self.inner.scopes.get(i))
            .collect()
    }

    /// The indexes ([`ScopeSet::get`]) of every scope that allows this
    /// request.
    pub fn matching_indexes(
        &self,
        method: Method,
        raw_path: &str,
    ) -> std::collections::BTreeSet<usize> {
        let mut hits = std::collections::BTreeSet::new();
        self.find_where(method, raw_path, |m| {
            hits.insert(m.index());
            false
        });
        hits
    }

    /// The scope at `index` in the set's order.
    pub fn get(&self, index: usize) -> Option<&Scope> {
        self.inner.scopes.get(index)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.inner.scopes.iter()
    }

    pub fn len(&self) -> usize {
        self.inner.scopes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.scopes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    /// The real Canvas scope list, one scope a line.
    pub(super) fn scope_list() -> String {
        let relative = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/canvas/scopes.txt"
        );
        std::fs::read_to_string(relative)
            .or_else(|_| std::fs::read_to_string("/work/shared/canvas/scopes.txt"))
            .expect("scopes.txt (shared/canvas/scopes.txt) is readable")
    }

    pub(super) fn all_scopes() -> Vec<Scope> {
        scope_list()
            .lines()
            .map(|line| {
                line.parse::<Scope>()
                    .unwrap_or_else(|e| panic!("{line}: {e}"))
            })
            .collect()
    }

    pub(super) fn scope(s: &str) -> Scope {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> ScopeError {
        s.parse::<Scope>().expect_err(s)
    }

    // ---- the real list -------------------------------------------------

    #[test]
    fn every_real_scope_parses_and_round_trips() {
        let text = scope_list();
        let scopes = all_scopes();
        assert_eq!(scopes.len(), 1292);
        for (line, scope) in text.lines().zip(&scopes) {
            assert_eq!(scope.as_str(), line);
            assert_eq!(scope.to_string(), line);
            let (method, path) = line["url:".len()..].split_once('|').unwrap();
            assert_eq!(scope.method().as_str(), method);
            assert_eq!(scope.path(), path);
        }
        let count = |m: Method| scopes.iter().filter(|s| s.method() == m).count();
        assert_eq!(count(Method::Get), 634);
        assert_eq!(count(Method::Post), 290);
        assert_eq!(count(Method::Put), 220);
        assert_eq!(count(Method::Delete), 141);
        assert_eq!(count(Method::Patch), 6);
        assert_eq!(count(Method::Options), 1);
    }

    /// Canvas's translation of a scope path into a regex, done textually with
    /// the same substitutions as access_token.rb, except that literal text is
    /// escaped (our one stated difference). Placeholders in the Unicode
    /// private-use area stand for the regex syntax until the literal text has
    /// been escaped.
    struct CanvasTranslation {
        param: Regex,
        glob: Regex,
    }

    impl CanvasTranslation {
        fn new() -> Self {
            CanvasTranslation {
                param: Regex::new(r":[^/)]+").unwrap(),
                glob: Regex::new(r"\*[^/)]+").unwrap(),
            }
        }

        fn pattern(&self, path: &str) -> String {
            const PARAM: &str = "\u{E000}";
            const GLOB: &str = "\u{E001}";
            const OPEN: &str = "\u{E002}";
            const CLOSE: &str = "\u{E003}";
            let p = self.param.replace_all(path, PARAM);
            let p = self.glob.replace_all(&p, GLOB);
            let p = p.replace('(', OPEN).replace(')', CLOSE);
            let p = regex::escape(&p)
                .replace(PARAM, "[^/]+")
                .replace(GLOB, ".+")
                .replace(OPEN, "(?:")
                .replace(CLOSE, "|)");
            format!(r"^{p}(?:\.[^/]+|)$")
        }
    }

    fn canvas_regex(path: &str) -> Regex {
        Regex::new(&CanvasTranslation::new().pattern(path)).unwrap()
    }

    /// Example request paths for a scope path, built from the scope text
    /// (not from our parser): every combination of parameter value, glob
    /// value, groups taken or not, and a `.json` suffix or none.
    pub(super) fn examples(path: &str) -> Vec<String> {
        const PARAMS: [&str; 3] = ["123", "self", "sis_course_id:A1"];
        const GLOBS: [&str; 2] = ["a", "a/b/c"];
        let has_glob = path.contains('*');
        let has_group = path.contains('(');
        let mut out = Vec::new();
        for param in PARAMS {
            for glob in &GLOBS[..if has_glob { 2 } else { 1 }] {
                for groups in [true, false].iter().take(if has_group { 2 } else { 1 }) {
                    let base = expand(path, param, glob, *groups);
                    out.push(format!("{base}.json"));
                    out.push(base);
                }
            }
        }
        out
    }

    /// Replaces `:name`/`*name` by the given values and keeps (or drops)
    /// the contents of every optional group.
    fn expand(path: &str, param: &str, glob: &str, groups: bool) -> String {
        let mut out = String::new();
        let mut depth_dropped = 0usize;
        let mut chars = path.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '(' if !groups || depth_dropped > 0 => depth_dropped += 1,
                '(' => {}
                ')' => depth_dropped = depth_dropped.saturating_sub(1),
                ':' | '*' => {
                    while chars.peek().is_some_and(|c| *c != '/' && *c != ')') {
                        chars.next();
                    }
                    if depth_dropped == 0 {
                        out.push_str(if c == ':' { param } else { glob });
                    }
                }
                c if depth_dropped == 0 => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn expand_builds_the_expected_examples() {
        assert_eq!(
            examples("/api/v1/users/:user_id/custom_data(/*scope)"),
            [
                "/api/v1/users/123/custom_data/a.json",
                "/api/v1/users/123/custom_data/a",
                "/api/v1/users/123/custom_data.json",
                "/api/v1/users/123/custom_data",
                "/api/v1/users/123/custom_data/a/b/c.json",
                "/api/v1/users/123/custom_data/a/b/c",
                "/api/v1/users/123/custom_data.json",
                "/api/v1/users/123/custom_data",
                "/api/v1/users/self/custom_data/a.json",
                "/api/v1/users/self/custom_data/a",
                "/api/v1/users/self/custom_data.json",
                "/api/v1/users/self/custom_data",
                "/api/v1/users/self/custom_data/a/b/c.json",
                "/api/v1/users/self/custom_data/a/b/c",
                "/api/v1/users/self/custom_data.json",
                "/api/v1/users/self/custom_data",
                "/api/v1/users/sis_course_id:A1/custom_data/a.json",
                "/api/v1/users/sis_course_id:A1/custom_data/a",
                "/api/v1/users/sis_course_id:A1/custom_data.json",
                "/api/v1/users/sis_course_id:A1/custom_data",
                "/api/v1/users/sis_course_id:A1/custom_data/a/b/c.json",
                "/api/v1/users/sis_course_id:A1/custom_data/a/b/c",
                "/api/v1/users/sis_course_id:A1/custom_data.json",
                "/api/v1/users/sis_course_id:A1/custom_data",
            ]
        );
    }

    /// Every scope's examples, checked against every scope of a matching
    /// method, with Canvas's regex as the judge. A `RegexSet` per method
    /// answers "which scopes' regexes match" in one pass per example (the
    /// same answers as each regex's `is_match`), which keeps the
    /// 1,292 x ~8,000 comparison fast in a debug build.
    #[test]
    fn oracle_agrees_with_canvas_regex_on_all_scopes() {
        let scopes = all_scopes();
        let translation = CanvasTranslation::new();
        let groups: Vec<(Method, Vec<&Scope>, regex::RegexSet)> = Method::ALL
            .into_iter()
            .map(|method| {
                let group: Vec<&Scope> = scopes.iter().filter(|s| s.method() == method).collect();
                let set = regex::RegexSet::new(group.iter().map(|s| translation.pattern(s.path())))
                    .unwrap();
                (method, group, set)
            })
            .collect();

        let mut compared = 0usize;
        for (method, group, set) in &groups {
            for (own, a) in group.iter().enumerate() {
                for example in examples(a.path()) {
                    let hits = set.matches(&example);
                    assert!(hits.matched(own), "oracle: {example} vs its own scope {a}");
                    assert!(
                        a.allows(*method, &example),
                        "{example} vs its own scope {a}"
                    );
                    for (i, b) in group.iter().enumerate() {
                        let expected = hits.matched(i);
                        assert_eq!(b.allows(*method, &example), expected, "{b} vs {example}");
                        if *method == Method::Get {
                            assert_eq!(
                                b.allows(Method::Head, &example),
                                expected,
                                "{b} vs HEAD {example}"
                            );
                        }
                        compared += 1;
                    }
                    // Scopes of other methods never allow it.
                    for (_, other, _) in groups.iter().filter(|(m, _, _)| m != method) {
                        for b in other {
                            assert!(
                                !b.allows(*method, &example),
                                "{b} allowed {method} {example}"
                            );
                        }
                    }
                }
            }
        }
        assert!(compared > 2_000_000, "only {compared} comparisons");
    }

    #[test]
    fn oracle_regex_is_canvas_translation() {
        assert_eq!(
            canvas_regex("/api/v1/users/:user_id/custom_data(/*scope)").as_str(),
            r"^/api/v1/users/[^/]+/custom_data(?:/.+|)(?:\.[^/]+|)$"
        );
        assert_eq!(
            canvas_regex("/api/v1/accounts/:account_id/x.csv").as_str(),
            r"^/api/v1/accounts/[^/]+/x\.csv(?:\.[^/]+|)$"
        );
    }

    // ---- adversarial matching ------------------------------------------

    #[test]
    fn param_is_exactly_one_segment() {
        let s = scope("url:GET|/api/v1/courses/:id");
        assert!(s.allows(Method::Get, "/api/v1/courses/1"));
        assert!(s.allows(Method::Get, "/api/v1/courses/sis_course_id:A1"));
        assert!(
            !s.allows(Method::Get, "/api/v1/courses/1/"),
            "trailing slash"
        );
        assert!(
            !s.allows(Method::Get, "/api/v1/courses/1/users"),
            "extra segment"
        );
        assert!(
            !s.allows(Method::Get, "/api/v1/courses/1/2"),
            "':id' crosses '/'"
        );
        assert!(!s.allows(Method::Get, "/api/v1/courses/"), "empty param");
        assert!(!s.allows(Method::Get, "/api/v1/courses"));
        assert!(!s.allows(Method::Get, "/api/v1/coursesX/1"), "prefix");
        assert!(!s.allows(Method::Get, "/api/v1/courses1"));
        assert!(
            !s.allows(Method::Get, "x/api/v1/courses/1"),
            "anchored at start"
        );
        assert!(!s.allows(Method::Get, ""));
    }

    #[test]
    fn literals_are_case_sensitive_and_literal() {
        let s = scope("url:GET|/api/v1/courses/:id");
        assert!(!s.allows(Method::Get, "/API/v1/courses/1"));
        assert!(!s.allows(Method::Get, "/api/v1/Courses/1"));
        let csv = scope("url:GET|/api/v1/accounts/:account_id/bounced_communication_channels.csv");
        assert!(csv.allows(
            Method::Get,
            "/api/v1/accounts/1/bounced_communication_channels.csv"
        ));
        // Canvas's unescaped '.' would allow this; we match it literally.
        assert!(!csv.allows(
            Method::Get,
            "/api/v1/accounts/1/bounced_communication_channelsXcsv"
        ));
    }

    #[test]
    fn glob_matches_one_or_more_characters_across_segments() {
        let s = scope("url:GET|/api/v1/courses/:course_id/folders/by_path/*full_path");
        let base = "/api/v1/courses/1/folders/by_path";
        assert!(s.allows(Method::Get, &format!("{base}/a")));
        assert!(s.allows(Method::Get, &format!("{base}/a/b/c")));
        assert!(s.allows(Method::Get, &format!("{base}/a/b/c/")));
        assert!(
            !s.allows(Method::Get, &format!("{base}/")),
            "glob is not empty"
        );
        assert!(!s.allows(Method::Get, base));
        assert!(
            !s.allows(Method::Get, &format!("{base}/a\nb")),
            "'.' is not newline"
        );
    }

    #[test]
    fn optional_groups() {
        let s = scope("url:POST|/api/v1/accounts/:account_id/outcome_imports(/group/:learning_outcome_group_id)");
        let base = "/api/v1/accounts/1/outcome_imports";
        assert!(s.allows(Method::Post, base));
        assert!(s.allows(Method::Post, &format!("{base}/group/7")));
        assert!(s.allows(Method::Post, &format!("{base}/group/7.json")));
        assert!(!s.allows(Method::Post, &format!("{base}/group")));
        assert!(!s.allows(Method::Post, &format!("{base}/group/")));
        assert!(!s.allows(Method::Post, &format!("{base}/group/7/8")));
        assert!(!s.allows(Method::Post, &format!("{base}/other/7")));

        let nested = scope("url:GET|/a(/b(/c))");
        assert!(nested.allows(Method::Get, "/a"));
        assert!(nested.allows(Method::Get, "/a/b"));
        assert!(nested.allows(Method::Get, "/a/b/c"));
        assert!(!nested.allows(Method::Get, "/a/c"));

        let glob = scope("url:GET|/api/v1/users/:user_id/custom_data(/*scope)");
        assert!(glob.allows(Method::Get, "/api/v1/users/self/custom_data"));
        assert!(glob.allows(Method::Get, "/api/v1/users/self/custom_data/x/y"));
        assert!(!glob.allows(Method::Get, "/api/v1/users/self/custom_datax"));
    }

    #[test]
    fn format_suffix() {
        let s = scope("url:GET|/api/v1/courses/:id/users");
        assert!(s.allows(Method::Get, "/api/v1/courses/1/users.json"));
        assert!(s.allows(Method::Get, "/api/v1/courses/1/users.csv.json"));
        assert!(!s.allows(Method::Get, "/api/v1/courses/1/users.json/x"));
        assert!(!s.allows(Method::Get, "/api/v1/courses/1/users."));
        assert!(!s.allows(Method::Get, "/api/v1/courses/1/usersjson"));
    }

    #[test]
    fn methods_head_is_checked_against_get() {
        let get = scope("url:GET|/api/v1/courses");
        assert!(get.allows(Method::Get, "/api/v1/courses"));
        assert!(get.allows(Method::Head, "/api/v1/courses"));
        assert!(!get.allows(Method::Post, "/api/v1/courses"));
        assert!(!get.allows(Method::Options, "/api/v1/courses"));
        let post = scope("url:POST|/api/v1/courses");
        assert!(!post.allows(Method::Head, "/api/v1/courses"));
        assert!(!post.allows(Method::Get, "/api/v1/courses"));
        assert!(!post.allows(Method::Put, "/api/v1/courses"));
    }

    #[test]
    fn anchored_at_string_ends_not_lines() {
        let s = scope("url:GET|/api/v1/courses/:id");
        // Ruby's '$' matches before "\n", its '^' after one.
        assert!(!s.allows(Method::Get, "/api/v1/courses/1\n/users"));
        assert!(!s.allows(Method::Get, "/evil\n/api/v1/courses/1"));
        assert!(!s.allows(Method::Get, "/api/v1/courses/1\n"));
        let plain = scope("url:GET|/api/v1/courses");
        assert!(!plain.allows(Method::Get, "/api/v1/courses\n"));
    }

    #[test]
    fn params_count_characters_not_bytes() {
        // Group taken: ':a' and ':b' share one segment and need one character
        // each; a two-byte character is one character, as for Canvas's regex.
        let s = scope("url:GET|/x(/y:a):b");
        let oracle = canvas_regex(s.path());
        for (path, expected) in [
            ("/x/y\u{e9}", false),
            ("/x/y\u{e9}\u{e9}", true),
            ("/x/yab", true),
            ("/x/ya", false),
            ("/x\u{e9}", true),
        ] {
            assert_eq!(oracle.is_match(path), expected, "oracle {path}");
            assert_eq!(s.allows(Method::Get, path), expected, "{path}");
        }
    }

    #[test]
    fn pathological_scope_is_bounded() {
        let s = scope("url:GET|/x(:a)(:b)(:c)(:d)(:e)/y");
        let long = format!("/x{}", "a".repeat(8000));
        let start = std::time::Instant::now();
        assert!(!s.allows(Method::Get, &long));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // Real scopes stay far inside the budget on an 8 KiB path.
        let glob = scope("url:GET|/api/v1/courses/:course_id/folders/by_path/*full_path");
        let path = format!("/api/v1/courses/1/folders/by_path/{}", "ab/".repeat(2700));
        assert!(glob.allows(Method::Get, &path));
        assert!(!glob.allows(Method::Get, &format!("{path}\n")));
    }

    #[test]
    fn scope_set_finds_first_allowing_scope() {
        let set = ScopeSet::new(vec![
            scope("url:GET|/api/v1/courses/:id"),
            scope("url:GET|/api/v1/courses/:course_id"),
            scope("url:POST|/api/v1/courses/:id"),
        ]);
        assert_eq!(set.len(), 3);
        assert!(!set.is_empty());
        assert_eq!(
            set.find(Method::Head, "/api/v1/courses/1")
                .map(Scope::as_str),
            Some("url:GET|/api/v1/courses/:id")
        );
        assert_eq!(
            set.find(Method::Post, "/api/v1/courses/1")
                .map(Scope::as_str),
            Some("url:POST|/api/v1/courses/:id")
        );
        assert!(set.find(Method::Delete, "/api/v1/courses/1").is_none());
        assert_eq!(set.iter().count(), 3);
        assert!(ScopeSet::default().is_empty());
        assert!(ScopeSet::default().find(Method::Get, "/").is_none());
    }

    #[test]
    fn method_names() {
        for m in Method::ALL {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        assert!("get".parse::<Method>().is_err());
        assert!("Get".parse::<Method>().is_err());
        assert!(" GET".parse::<Method>().is_err());
        assert_eq!(
            "TRACE".parse::<Method>().unwrap_err().to_string(),
            "unknown HTTP method \"TRACE\"; expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (upper case)"
        );
    }

    // ---- parse errors --------------------------------------------------

    #[test]
    fn error_messages_exact() {
        assert_eq!(
            err("url:GET|/api/v1/courses/:").to_string(),
            "scope \"url:GET|/api/v1/courses/:\" has ':' without a parameter name at character 25; write ':name', e.g. ':course_id'"
        );
        assert_eq!(
            err("url:HEAD|/api/v1/courses").to_string(),
            "scope \"url:HEAD|/api/v1/courses\" uses HEAD at character 5; Canvas checks HEAD requests against GET scopes, so write \"url:GET|/api/v1/courses\""
        );
        assert_eq!(
            err("GET|/api/v1/courses").to_string(),
            "scope \"GET|/api/v1/courses\" does not start with \"url:\"; write \"url:<METHOD>|<path>\", e.g. \"url:GET|/api/v1/courses/:course_id\""
        );
        assert_eq!(
            err("url:get|/api/v1/courses").to_string(),
            "scope \"url:get|/api/v1/courses\" has method \"get\" at character 5; methods are upper case, write \"GET\""
        );
        assert_eq!(
            err("url:GET|/api/v1/courses?per_page=10").to_string(),
            "scope \"url:GET|/api/v1/courses?per_page=10\" has '?' at character 24, which is not allowed in a scope path; use letters, digits, '_', '-', '.', '/', ':name', '*name' and '( )' groups (no spaces, query strings or percent-escapes)"
        );
        assert_eq!(
            err("url:GET|/a/(/b").to_string(),
            "scope \"url:GET|/a/(/b\" has '(' at character 12 that is never closed; add the matching ')'"
        );
        assert_eq!(
            err("url:GET|/a/()").to_string(),
            "scope \"url:GET|/a/()\" has an empty group '()' at character 12; put the optional part inside, e.g. '(/group/:id)', or remove the group"
        );
    }

    #[test]
    fn error_variants() {
        use ScopeError as E;
        let s = String::from;
        let cases: Vec<(&str, ScopeError)> = vec![
            ("GET|/x", E::MissingPrefix { scope: s("GET|/x") }),
            (
                "URL:GET|/x",
                E::MissingPrefix {
                    scope: s("URL:GET|/x"),
                },
            ),
            (
                " url:GET|/x",
                E::MissingPrefix {
                    scope: s(" url:GET|/x"),
                },
            ),
            (
                "url:GET /x",
                E::MissingSeparator {
                    scope: s("url:GET /x"),
                },
            ),
            (
                "url:TRACE|/x",
                E::UnknownMethod {
                    scope: s("url:TRACE|/x"),
                    column: 4,
                    found: s("TRACE"),
                },
            ),
            (
                "url:|/x",
                E::UnknownMethod {
                    scope: s("url:|/x"),
                    column: 4,
                    found: s(""),
                },
            ),
            (
                "url:post|/x",
                E::LowerCaseMethod {
                    scope: s("url:post|/x"),
                    column: 4,
                    found: s("post"),
                    upper: s("POST"),
                },
            ),
            (
                "url:Get|/x",
                E::LowerCaseMethod {
                    scope: s("url:Get|/x"),
                    column: 4,
                    found: s("Get"),
                    upper: s("GET"),
                },
            ),
            (
                "url:HEAD|/x",
                E::Head {
                    scope: s("url:HEAD|/x"),
                    column: 4,
                    path: s("/x"),
                },
            ),
            (
                "url:head|/x",
                E::Head {
                    scope: s("url:head|/x"),
                    column: 4,
                    path: s("/x"),
                },
            ),
            (
                "url:GET|api/v1/x",
                E::RelativePath {
                    scope: s("url:GET|api/v1/x"),
                    column: 8,
                },
            ),
            (
                "url:GET|",
                E::RelativePath {
                    scope: s("url:GET|"),
                    column: 8,
                },
            ),
            (
                "url:GET|/x y",
                E::BadCharacter {
                    scope: s("url:GET|/x y"),
                    column: 10,
                    found: ' ',
                },
            ),
            (
                "url:GET|/x ",
                E::BadCharacter {
                    scope: s("url:GET|/x "),
                    column: 10,
                    found: ' ',
                },
            ),
            (
                "url:GET|/x%2F",
                E::BadCharacter {
                    scope: s("url:GET|/x%2F"),
                    column: 10,
                    found: '%',
                },
            ),
            (
                "url:GET|/x#y",
                E::BadCharacter {
                    scope: s("url:GET|/x#y"),
                    column: 10,
                    found: '#',
                },
            ),
            (
                "url:GET|/x|y",
                E::BadCharacter {
                    scope: s("url:GET|/x|y"),
                    column: 10,
                    found: '|',
                },
            ),
            (
                "url:GET|/x\n",
                E::BadCharacter {
                    scope: s("url:GET|/x\n"),
                    column: 10,
                    found: '\n',
                },
            ),
            (
                "url:GET|/é/x",
                E::BadCharacter {
                    scope: s("url:GET|/é/x"),
                    column: 9,
                    found: 'é',
                },
            ),
            (
                "url:GET|/x/:",
                E::MissingParamName {
                    scope: s("url:GET|/x/:"),
                    column: 11,
                },
            ),
            (
                "url:GET|/x/:/y",
                E::MissingParamName {
                    scope: s("url:GET|/x/:/y"),
                    column: 11,
                },
            ),
            (
                "url:GET|/x/:1d",
                E::MissingParamName {
                    scope: s("url:GET|/x/:1d"),
                    column: 11,
                },
            ),
            (
                "url:GET|/x/*",
                E::MissingGlobName {
                    scope: s("url:GET|/x/*"),
                    column: 11,
                },
            ),
            (
                "url:GET|/x/*)",
                E::MissingGlobName {
                    scope: s("url:GET|/x/*)"),
                    column: 11,
                },
            ),
            (
                "url:GET|/x/:id.json",
                E::NameNotTerminated {
                    scope: s("url:GET|/x/:id.json"),
                    column: 14,
                    marker: ':',
                    name: s("id"),
                    found: '.',
                },
            ),
            (
                "url:GET|/x/:a:b",
                E::NameNotTerminated {
                    scope: s("url:GET|/x/:a:b"),
                    column: 13,
                    marker: ':',
                    name: s("a"),
                    found: ':',
                },
            ),
            (
                "url:GET|/x/*p(/y)",
                E::NameNotTerminated {
                    scope: s("url:GET|/x/*p(/y)"),
                    column: 13,
                    marker: '*',
                    name: s("p"),
                    found: '(',
                },
            ),
            (
                "url:GET|/x/:a-b",
                E::NameNotTerminated {
                    scope: s("url:GET|/x/:a-b"),
                    column: 13,
                    marker: ':',
                    name: s("a"),
                    found: '-',
                },
            ),
            (
                "url:GET|/x(/y",
                E::UnclosedGroup {
                    scope: s("url:GET|/x(/y"),
                    column: 10,
                },
            ),
            (
                "url:GET|/x((/y)",
                E::UnclosedGroup {
                    scope: s("url:GET|/x((/y)"),
                    column: 10,
                },
            ),
            (
                "url:GET|/x/y)",
                E::UnopenedGroup {
                    scope: s("url:GET|/x/y)"),
                    column: 12,
                },
            ),
            (
                "url:GET|/x(/y))",
                E::UnopenedGroup {
                    scope: s("url:GET|/x(/y))"),
                    column: 14,
                },
            ),
            (
                "url:GET|/x()",
                E::EmptyGroup {
                    scope: s("url:GET|/x()"),
                    column: 10,
                },
            ),
            (
                "url:GET|/x(())",
                E::EmptyGroup {
                    scope: s("url:GET|/x(())"),
                    column: 11,
                },
            ),
        ];
        for (text, expected) in cases {
            let e = err(text);
            assert_eq!(e, expected, "{text}");
            let message = e.to_string();
            assert!(!message.contains('\n'), "one line: {message}");
            assert!(message.starts_with(&format!("scope {text:?}")), "{message}");
        }
    }

    #[test]
    fn overlong_scope_is_refused() {
        let long = format!("url:GET|/{}", "a".repeat(MAX_SCOPE_BYTES));
        assert_eq!(
            err(&long).to_string(),
            format!(
                "scope starting {:?} is 1033 bytes long, more than the limit of 1024; Canvas scopes are at most a few hundred",
                &long[..60]
            )
        );
        let fits = format!("url:GET|/{}", "a".repeat(MAX_SCOPE_BYTES - 9));
        assert_eq!(scope(&fits).as_str(), fits);
        // Deep nesting within the limit matches without exhausting the stack.
        let nested = format!("url:GET|/x{}{}", "(/y".repeat(250), ")".repeat(250));
        let s = scope(&nested);
        assert!(s.allows(Method::Get, &format!("/x{}", "/y".repeat(250))));
        assert!(s.allows(Method::Get, "/x/y/y"));
        assert!(!s.allows(Method::Get, "/x/y/z"));
    }

    #[test]
    fn valid_shapes() {
        for text in [
            "url:GET|/",
            "url:OPTIONS|/api/v1/x",
            "url:PATCH|/a-b_c.d/:x_1/*_y",
            "url:GET|/x(/:a)(/:b)",
            "url:GET|/x(/y(/:z))",
            "url:GET|/x/:a/(*b)",
        ] {
            let s = scope(text);
            assert_eq!(s.as_str(), text);
        }
    }
}
