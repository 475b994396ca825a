//! Least privilege, for admins: which Canvas scopes allow a request
//! ([`explain`]), the fewest that allow everything a job asked for
//! ([`suggest`]), the manifest scopes a job never used ([`unused`]), and
//! what a manifest change grants or takes away ([`diff`]). Pure code: the
//! command line reads the history and the files.

mod diff;
mod hint;
mod suggest;

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

pub use diff::{diff, Change, ManifestDiff};
pub use hint::denial_hint;
pub use suggest::{suggest, Request, Suggested, Suggestion};

use crate::catalog;
use crate::history::{DENIED_OUTCOME, INVALID_OUTCOME};
use crate::scope::{Method, Scope, ScopeSet};

/// The Canvas catalog compiled into one set, in the catalog's order.
static CATALOG: LazyLock<ScopeSet> = LazyLock::new(|| {
    ScopeSet::new(
        catalog::all()
            .filter_map(|line| line.parse::<Scope>().ok())
            .collect(),
    )
});

/// The 1,292 Canvas scopes as one compiled set (built on first use).
pub fn canvas_scopes() -> &'static ScopeSet {
    &CATALOG
}

/// How broad a scope is: its number of `:name`s and `*name`s (globs count
/// double). Fewer is narrower.
pub fn breadth(scope: &Scope) -> usize {
    scope
        .vars()
        .iter()
        .map(|v| if v.glob { 2 } else { 1 })
        .sum()
}

/// Indexes (into [`canvas_scopes`]) of every Canvas scope allowing the
/// request.
fn allowing(method: Method, path: &str) -> BTreeSet<usize> {
    CATALOG.matching_indexes(method, path)
}

/// Every Canvas scope that allows `method` on `path` (a raw request path,
/// without the query), narrowest first (fewest parameters, then
/// alphabetical).
pub fn explain(method: Method, path: &str) -> Vec<&'static str> {
    let mut scopes: Vec<&'static Scope> = allowing(method, path)
        .into_iter()
        .filter_map(|i| CATALOG.get(i))
        .collect();
    scopes.sort_by(|a, b| {
        breadth(a)
            .cmp(&breadth(b))
            .then_with(|| a.as_str().cmp(b.as_str()))
    });
    scopes.into_iter().map(Scope::as_str).collect()
}

/// The manifest scopes, in the manifest's order, that none of `used` (the
/// scopes recorded for a job's requests) names.
pub fn unused<'a, 'u>(
    scopes: &'a ScopeSet,
    used: impl IntoIterator<Item = &'u str>,
) -> Vec<&'a Scope> {
    let used: HashSet<&str> = used.into_iter().collect();
    scopes
        .iter()
        .filter(|s| !used.contains(s.as_str()))
        .collect()
}

/// Why an audited request is left out of [`suggest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// Refused as malformed or forbidden: no scope could allow it.
    Invalid,
    /// Its path was cut short in the audit.
    Truncated,
    /// Its method or path cannot be read back.
    Unreadable,
}

impl Skip {
    pub fn reason(&self) -> &'static str {
        match self {
            Skip::Invalid => {
                "refused as invalid (malformed or forbidden), which no scope can allow"
            }
            Skip::Truncated => "path cut short in the audit",
            Skip::Unreadable => "method or path unreadable",
        }
    }
}

/// One audited request as [`suggest`] needs it: method, path (no query),
/// and whether it was denied. From a request row's `method`, `target` and
/// `outcome` columns (`"ok"`, `"denied: …"`, `"invalid: …"`, …).
pub fn audited(method: &str, target: &str, outcome: &str) -> Result<(Request, bool), Skip> {
    if outcome.starts_with(INVALID_OUTCOME) {
        return Err(Skip::Invalid);
    }
    let method: Method = method.parse().map_err(|_| Skip::Unreadable)?;
    let denied = outcome.starts_with(DENIED_OUTCOME);
    // A refused request's target is the job's text with `escape_debug`
    // applied; a denied one passed validation, so only quotes and
    // backslashes can have been escaped.
    let target = if denied {
        unescape(target).ok_or(Skip::Unreadable)?
    } else {
        target.to_string()
    };
    let path = request_path(&target).ok_or(Skip::Unreadable)?;
    if target.ends_with('…') && !target.contains(['?', '#']) {
        return Err(Skip::Truncated);
    }
    Ok(((method, path.to_string()), denied))
}

/// Undoes `escape_debug` for `\'`, `\"` and `\\`; `None` for any other
/// escape.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                e @ ('\'' | '"' | '\\') => out.push(e),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The request path in an audit target: the path and query sent
/// (`/api/v1/courses?page=2`), or an absolute URL as the job gave it
/// (`https://canvas.example/api/v1/courses?page=2`), without the query or
/// fragment. `None` when there is no path.
pub fn request_path(target: &str) -> Option<&str> {
    let from_path = if target.starts_with('/') && !target.starts_with("//") {
        target
    } else {
        let (_, rest) = target.split_once("://")?;
        &rest[rest.find('/')?..]
    };
    let end = from_path.find(['?', '#']).unwrap_or(from_path.len());
    Some(&from_path[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(s: &str) -> Scope {
        s.parse().unwrap()
    }

    #[test]
    fn explain_names_every_scope_that_allows_a_request() {
        assert_eq!(
            explain(Method::Get, "/api/v1/courses/42/enrollments"),
            ["url:GET|/api/v1/courses/:course_id/enrollments"]
        );
        assert_eq!(
            explain(Method::Head, "/api/v1/courses/42"),
            ["url:GET|/api/v1/courses/:id"]
        );
        // A literal route and the parameter route beside it: narrowest first.
        let both = explain(
            Method::Get,
            "/api/v1/courses/1/assignments/gradeable_students",
        );
        assert_eq!(
            both,
            [
                "url:GET|/api/v1/courses/:course_id/assignments/gradeable_students",
                "url:GET|/api/v1/courses/:course_id/assignments/:id",
            ]
        );
        assert!(explain(Method::Post, "/api/v1/foo").is_empty());
        assert!(explain(Method::Get, "/api/v1/courses/42/enrollments/").is_empty());
        assert_eq!(canvas_scopes().len(), 1292);
    }

    #[test]
    fn unused_lists_scopes_no_request_named() {
        let set = ScopeSet::new(vec![
            scope("url:GET|/api/v1/courses/:id"),
            scope("url:GET|/api/v1/users/:id"),
            scope("url:PUT|/api/v1/courses/:id"),
        ]);
        let unused: Vec<&str> = unused(&set, ["url:GET|/api/v1/users/:id", "url:GET|/x"])
            .into_iter()
            .map(Scope::as_str)
            .collect();
        assert_eq!(
            unused,
            ["url:GET|/api/v1/courses/:id", "url:PUT|/api/v1/courses/:id"]
        );
        assert_eq!(super::unused(&set, []).len(), 3);
    }

    #[test]
    fn request_paths_come_from_audit_targets() {
        assert_eq!(
            request_path("/api/v1/courses?page=2"),
            Some("/api/v1/courses")
        );
        assert_eq!(
            request_path("https://school.instructure.com/api/v1/courses/1?x#y"),
            Some("/api/v1/courses/1")
        );
        assert_eq!(request_path("/api/v1/a#b"), Some("/api/v1/a"));
        assert_eq!(request_path("//evil.example/api"), None);
        assert_eq!(request_path("https://host"), None);
        assert_eq!(request_path("api/v1"), None);
    }

    #[test]
    fn audit_rows_become_requests() {
        let get = |p: &str| (Method::Get, p.to_string());
        assert_eq!(
            audited("GET", "/api/v1/courses/1?per_page=10", "ok"),
            Ok((get("/api/v1/courses/1"), false))
        );
        assert_eq!(
            audited(
                "HEAD",
                "https://canvas.example/api/v1/users/1",
                "denied: no scope"
            ),
            Ok(((Method::Head, "/api/v1/users/1".to_string()), true))
        );
        assert_eq!(
            audited("GET", "/api/v1/courses/sis_course_id:O\\'Neil", "denied: x"),
            Ok((get("/api/v1/courses/sis_course_id:O'Neil"), true))
        );
        assert_eq!(
            audited("GET", "/api/v1/courses/1", "throttled: x"),
            Ok((get("/api/v1/courses/1"), false))
        );
        assert_eq!(
            audited("GET", "/api/v1/../x", "invalid: dot segment"),
            Err(Skip::Invalid)
        );
        assert_eq!(
            audited("GET", "/api/v1/a\\nb", "denied: x"),
            Err(Skip::Unreadable)
        );
        assert_eq!(audited("TRACE", "/x", "ok"), Err(Skip::Unreadable));
        assert_eq!(audited("GET", "relative", "ok"), Err(Skip::Unreadable));
        let cut = format!("/api/v1/{}…", "a".repeat(300));
        assert_eq!(audited("GET", &cut, "denied: x"), Err(Skip::Truncated));
        // A query cut short leaves the path whole.
        let cut = format!("/api/v1/courses?q={}…", "a".repeat(300));
        assert_eq!(
            audited("GET", &cut, "denied: x"),
            Ok((get("/api/v1/courses"), true))
        );
        assert!(Skip::Invalid.reason().contains("invalid"));
    }

    #[test]
    fn breadth_counts_parameters() {
        assert_eq!(breadth(&scope("url:GET|/api/v1/courses")), 0);
        assert_eq!(breadth(&scope("url:GET|/api/v1/courses/:id")), 1);
        assert_eq!(
            breadth(&scope(
                "url:GET|/api/v1/users/:user_id/custom_data(/*scope)"
            )),
            3
        );
    }
}
