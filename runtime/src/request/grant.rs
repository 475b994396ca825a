//! Which scope grants a request: the manifest's scopes, narrowed by
//! `[canvas.params]`.
//!
//! A restriction `account_id = ["1"]` applies to every scope with a
//! `:account_id`: a request such a scope allows is granted by it only when
//! the segment the parameter took is one of the listed values. When several
//! scopes allow a request, any one of them whose restrictions hold grants
//! it (the first, in the manifest's order, is recorded). Scopes without the
//! parameter are not narrowed by it, and `*name` globs cannot be restricted.
//!
//! The value compared is the one Canvas reads, as written in the path:
//! raw (`sis_account_id:A%20B`) or percent-decoded (`sis_account_id:A B`) may
//! be listed. `self` and `sis_…:` ids are compared as text, so they must be
//! listed themselves. A parameter at the end of the path takes the whole
//! rest of its segment, as Canvas's routes read ids (`1.csv` is the id
//! `1.csv`), except a final `.json`, which Canvas reads as the format
//! (`1.json` is the id `1`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;

use super::Refusal;
use crate::scope::{Capture, Match, Method, Scope, ScopeSet};

/// How a denial for a request no scope allows begins (then the method and
/// the path): the host adds what would allow it.
pub const NO_SCOPE: &str = "no scope of the manifest allows ";

/// `[canvas.params]`: parameter name → the values it may take.
pub type ParamLimits = BTreeMap<String, Vec<String>>;

/// The first scope of `scopes` that allows the request with every
/// restricted parameter at a listed value: the check every guest request
/// gets, also used by `warden scopes diff`.
pub fn granting_scope<'a>(
    scopes: &'a ScopeSet,
    params: &ParamLimits,
    method: Method,
    raw_path: &'a str,
) -> Result<&'a Scope, Refusal> {
    // The lowest-placed match that broke a restriction, and how.
    let mut broken: Option<(usize, String)> = None;
    let found = scopes.find_where(method, raw_path, |m| {
        let Some(why) = violation(m, params, method) else {
            return true;
        };
        if broken.as_ref().is_none_or(|(index, _)| m.index() < *index) {
            broken = Some((m.index(), why));
        }
        false
    });
    match (found, broken) {
        (Some(scope), _) => Ok(scope),
        (None, Some((_, why))) => Err(Refusal::Denied(why)),
        (None, None) => {
            let head = if method == Method::Head {
                " (HEAD requests are checked against GET scopes)"
            } else {
                ""
            };
            Err(Refusal::Denied(format!(
                "{NO_SCOPE}{method} {raw_path}{head}"
            )))
        }
    }
}

/// Why this match breaks a restriction, if it does.
fn violation(m: &Match<'_, '_>, params: &ParamLimits, method: Method) -> Option<String> {
    if params.is_empty() {
        return None;
    }
    m.captures().filter(|c| !c.glob).find_map(|c| {
        let allowed = params.get(c.name)?;
        let value = canvas_value(m, &c);
        if is_listed(value, allowed) {
            return None;
        }
        let list: Vec<String> = allowed.iter().map(|v| format!("{v:?}")).collect();
        Some(format!(
            "{} allows {} {}, but its parameter {} = {value:?} is not in [canvas.params] {} ({})",
            m.scope(),
            method,
            m.path(),
            c.name,
            c.name,
            list.join(", ")
        ))
    })
}

/// The value Canvas reads for a capture (see the module documentation).
fn canvas_value<'a>(m: &Match<'a, '_>, c: &Capture<'a>) -> &'a str {
    if c.end != m.format_suffix_start() {
        return c.value;
    }
    let rest = m.path().get(c.start..).unwrap_or(c.value);
    match rest.strip_suffix(".json") {
        Some(id) if !id.is_empty() => id,
        _ => rest,
    }
}

/// Whether `value`, raw or percent-decoded, is one of `allowed`.
fn is_listed(value: &str, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == value) {
        return true;
    }
    match percent_decode_str(value).decode_utf8() {
        Ok(Cow::Owned(decoded)) => allowed.contains(&decoded),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    fn set(list: &[&str]) -> ScopeSet {
        ScopeSet::new(list.iter().map(|s| s.parse::<Scope>().unwrap()).collect())
    }

    fn limits(list: &[(&str, &[&str])]) -> ParamLimits {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    fn grant(
        scopes: &ScopeSet,
        params: &ParamLimits,
        method: Method,
        path: &str,
    ) -> Result<String, String> {
        granting_scope(scopes, params, method, path)
            .map(|s| s.to_string())
            .map_err(|e| e.to_string())
    }

    const ACCOUNT_COURSES: &str = "url:GET|/api/v1/accounts/:account_id/courses";

    #[test]
    fn listed_values_pass_and_others_are_denied_naming_parameter_and_value() {
        let scopes = set(&[ACCOUNT_COURSES]);
        let params = limits(&[("account_id", &["1", "sis_account_id:ARTS"])]);
        let ok = |path| grant(&scopes, &params, Method::Get, path);
        assert_eq!(ok("/api/v1/accounts/1/courses").unwrap(), ACCOUNT_COURSES);
        assert_eq!(
            ok("/api/v1/accounts/sis_account_id:ARTS/courses").unwrap(),
            ACCOUNT_COURSES
        );
        assert_eq!(
            grant(&scopes, &params, Method::Head, "/api/v1/accounts/1/courses").unwrap(),
            ACCOUNT_COURSES
        );
        assert_eq!(
            ok("/api/v1/accounts/2/courses").unwrap_err(),
            "denied: url:GET|/api/v1/accounts/:account_id/courses allows GET /api/v1/accounts/2/courses, but its parameter account_id = \"2\" is not in [canvas.params] account_id (\"1\", \"sis_account_id:ARTS\")"
        );
        // Not a scope problem: the usual message.
        assert_eq!(
            ok("/api/v1/accounts/1/users").unwrap_err(),
            "denied: no scope of the manifest allows GET /api/v1/accounts/1/users"
        );
    }

    #[test]
    fn self_and_sis_ids_are_compared_literally() {
        let scopes = set(&[ACCOUNT_COURSES]);
        let params = limits(&[("account_id", &["1"])]);
        for path in [
            "/api/v1/accounts/self/courses",
            "/api/v1/accounts/sis_account_id:1/courses",
            "/api/v1/accounts/01/courses",
            "/api/v1/accounts/1~1/courses",
            "/api/v1/accounts/1%20/courses",
        ] {
            assert!(
                grant(&scopes, &params, Method::Get, path).is_err(),
                "{path}"
            );
        }
        let params = limits(&[("account_id", &["self"])]);
        assert!(grant(
            &scopes,
            &params,
            Method::Get,
            "/api/v1/accounts/self/courses"
        )
        .is_ok());
    }

    #[test]
    fn raw_or_percent_decoded_values_match() {
        let scopes = set(&[ACCOUNT_COURSES]);
        let decoded = limits(&[("account_id", &["sis_account_id:A B"])]);
        let raw = limits(&[("account_id", &["sis_account_id:A%20B"])]);
        let path = "/api/v1/accounts/sis_account_id:A%20B/courses";
        assert!(grant(&scopes, &decoded, Method::Get, path).is_ok());
        assert!(grant(&scopes, &raw, Method::Get, path).is_ok());
        let one = limits(&[("account_id", &["1"])]);
        assert!(grant(&scopes, &one, Method::Get, "/api/v1/accounts/%31/courses").is_ok());
        assert!(grant(&scopes, &one, Method::Get, "/api/v1/accounts/%32/courses").is_err());
        // Undecodable escapes are compared raw only.
        assert!(grant(&scopes, &one, Method::Get, "/api/v1/accounts/%ff/courses").is_err());
    }

    #[test]
    fn a_final_json_is_the_format_anything_else_is_part_of_the_id() {
        let scopes = set(&["url:GET|/api/v1/courses/:id"]);
        let params = limits(&[("id", &["1", "sis_course_id:A"])]);
        let check = |path| grant(&scopes, &params, Method::Get, path);
        assert!(check("/api/v1/courses/1").is_ok());
        assert!(check("/api/v1/courses/1.json").is_ok());
        // Canvas reads the id "1.csv", and "sis_course_id:A.B".
        assert!(check("/api/v1/courses/1.csv").is_err());
        assert!(check("/api/v1/courses/1.json.json").is_err());
        let e = check("/api/v1/courses/sis_course_id:A.B").unwrap_err();
        assert!(e.contains("id = \"sis_course_id:A.B\""), "{e}");
        // Not at the end of the path: the segment.
        let scopes = set(&["url:GET|/api/v1/courses/:course_id/users"]);
        let params = limits(&[("course_id", &["1"])]);
        assert!(grant(
            &scopes,
            &params,
            Method::Get,
            "/api/v1/courses/1/users.json"
        )
        .is_ok());
        assert!(grant(
            &scopes,
            &params,
            Method::Get,
            "/api/v1/courses/1.json/users"
        )
        .is_err());
    }

    #[test]
    fn any_scope_whose_restrictions_hold_grants() {
        let by_course = "url:GET|/api/v1/courses/:course_id/users";
        let by_id = "url:GET|/api/v1/courses/:id/users";
        let scopes = set(&[by_course, by_id]);
        let params = limits(&[("course_id", &["1"])]);
        // `:id` is not restricted, so the second scope grants course 2.
        assert_eq!(
            grant(&scopes, &params, Method::Get, "/api/v1/courses/2/users").unwrap(),
            by_id
        );
        assert_eq!(
            grant(&scopes, &params, Method::Get, "/api/v1/courses/1/users").unwrap(),
            by_course
        );
        // Both restricted: the first scope's violation is reported.
        let params = limits(&[("course_id", &["1"]), ("id", &["3"])]);
        let e = grant(&scopes, &params, Method::Get, "/api/v1/courses/2/users").unwrap_err();
        assert!(e.starts_with(&format!("denied: {by_course} allows")), "{e}");
        assert_eq!(
            grant(&scopes, &params, Method::Get, "/api/v1/courses/3/users").unwrap(),
            by_id
        );
    }

    #[test]
    fn every_restricted_parameter_must_hold_and_globs_are_not_restricted() {
        let scopes = set(&[
            "url:GET|/api/v1/courses/:course_id/assignments/:assignment_id",
            "url:GET|/api/v1/courses/:course_id/folders/by_path/*full_path",
        ]);
        let params = limits(&[
            ("course_id", &["1"]),
            ("assignment_id", &["5"]),
            ("full_path", &["x"]),
        ]);
        let check = |path| grant(&scopes, &params, Method::Get, path);
        assert!(check("/api/v1/courses/1/assignments/5").is_ok());
        let e = check("/api/v1/courses/1/assignments/6").unwrap_err();
        assert!(e.contains("assignment_id = \"6\""), "{e}");
        let e = check("/api/v1/courses/2/assignments/5").unwrap_err();
        assert!(e.contains("course_id = \"2\""), "{e}");
        assert!(check("/api/v1/courses/1/folders/by_path/a/b").is_ok());
    }

    #[test]
    fn no_restrictions_is_the_plain_scope_check() {
        let scopes = set(&[ACCOUNT_COURSES]);
        let none = ParamLimits::new();
        assert!(grant(&scopes, &none, Method::Get, "/api/v1/accounts/9/courses").is_ok());
        assert_eq!(
            grant(&scopes, &none, Method::Head, "/api/v1/x").unwrap_err(),
            "denied: no scope of the manifest allows HEAD /api/v1/x (HEAD requests are checked against GET scopes)"
        );
    }
}
