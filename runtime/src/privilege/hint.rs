//! What a denial says besides "no scope of the manifest allows it": the
//! Canvas scope that would (what `warden scopes explain` knows), and a
//! manifest scope that is a typo away from it, with its line. Pure.

use super::explain;
use crate::scope::{Method, ScopeSet};
use crate::suggest;

/// `; Canvas's scope for it: …` and, when one of the manifest's scopes is
/// a near miss of it, `; the manifest's … (line N) …`. Empty when no Canvas
/// scope allows the request either.
pub fn denial_hint(method: Method, raw_path: &str, scopes: &ScopeSet, lines: &[usize]) -> String {
    let method = if method == Method::Head {
        Method::Get
    } else {
        method
    };
    let allowing = explain(method, raw_path);
    let Some(narrowest) = allowing.first() else {
        return format!("; no Canvas scope allows it either: is the path right? (`warden scopes explain {method} {raw_path}`)");
    };
    let mut out = format!("; Canvas's scope for it is {narrowest} (add it to [canvas] scopes");
    if allowing.len() > 1 {
        out.push_str(&format!(
            ", or one of the {} others `warden scopes explain {method} {raw_path}` lists",
            allowing.len() - 1
        ));
    }
    out.push(')');
    // A scope the author meant to write: same method, a few letters off.
    let manifest: Vec<(usize, &str)> = scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| s.method() == method)
        .map(|(i, s)| (i, s.as_str()))
        .collect();
    for wanted in &allowing {
        if let Some(near) = suggest::closest(wanted, manifest.iter().map(|(_, s)| *s)) {
            let line = manifest
                .iter()
                .find(|(_, s)| *s == near)
                .and_then(|(i, _)| lines.get(*i))
                .map(|l| format!(" (line {l})"))
                .unwrap_or_default();
            out.push_str(&format!(
                "; the manifest's {near}{line} looks like a misspelling of {wanted}"
            ));
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(list: &[&str]) -> ScopeSet {
        ScopeSet::new(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn names_the_canvas_scope_and_a_misspelt_one_with_its_line() {
        let scopes = set(&[
            "url:GET|/api/v1/courses/:id",
            "url:GET|/api/v1/courses/:course_id/enrolments",
        ]);
        let hint = denial_hint(
            Method::Get,
            "/api/v1/courses/7/enrollments",
            &scopes,
            &[8, 9],
        );
        assert!(
            hint.starts_with("; Canvas's scope for it is url:GET|/api/v1/courses/:course_id/enrollments (add it to [canvas] scopes"),
            "{hint}"
        );
        assert!(
            hint.ends_with("; the manifest's url:GET|/api/v1/courses/:course_id/enrolments (line 9) looks like a misspelling of url:GET|/api/v1/courses/:course_id/enrollments"),
            "{hint}"
        );
    }

    #[test]
    fn a_head_request_is_explained_with_get_scopes_and_a_bad_path_says_so() {
        let scopes = set(&["url:GET|/api/v1/courses/:id"]);
        let hint = denial_hint(Method::Head, "/api/v1/accounts/1", &scopes, &[5]);
        assert!(hint.contains("url:GET|/api/v1/accounts/:id"), "{hint}");
        assert!(!hint.contains("misspelling"), "{hint}");
        let hint = denial_hint(Method::Get, "/api/v1/nonsense/1", &scopes, &[5]);
        assert_eq!(
            hint,
            "; no Canvas scope allows it either: is the path right? (`warden scopes explain GET /api/v1/nonsense/1`)"
        );
    }
}
