//! Whether the Canvas authorization covers what the jobs do: the job scopes
//! the authorized token lacks (Canvas would answer 401 insufficient scopes),
//! and include parameters a key without "Allow Include Parameters" drops.
//! What `warden check` warns about and `warden scopes diff` marks. Pure.

use std::collections::BTreeSet;

use crate::scope::{Scope, ScopeSet};

/// The authorized scopes, each in its canonical form (`Scope::as_str`), so
/// that two spellings of one scope compare equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authorized {
    scopes: BTreeSet<String>,
}

impl Authorized {
    /// From the scope list a login stored (unparseable entries hold nothing).
    pub fn new<S: AsRef<str>>(scopes: &[S]) -> Authorized {
        Authorized {
            scopes: scopes
                .iter()
                .filter_map(|s| s.as_ref().parse::<Scope>().ok())
                .map(|s| s.as_str().to_string())
                .collect(),
        }
    }

    /// Whether the token holds this scope. Canvas checks the scope of the
    /// route a request matched, so holding means holding that very scope.
    pub fn holds(&self, scope: &Scope) -> bool {
        self.scopes.contains(scope.as_str())
    }

    /// The job's scopes the token does not hold, in the manifest's order.
    pub fn missing<'a>(&self, job: &'a ScopeSet) -> Vec<&'a Scope> {
        job.iter().filter(|s| !self.holds(s)).collect()
    }

    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }
}

/// The parameters Canvas drops for a scoped key without "Allow Include
/// Parameters".
const INCLUDE_PARAMS: [&str; 4] = ["include", "include[]", "includes", "includes[]"];

/// Whether a request target (path and query) carries `include[]` or
/// `includes[]` (percent-encoded or not).
pub fn uses_include_params(target: &str) -> bool {
    let Some((_, query)) = target.split_once('?') else {
        return false;
    };
    url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| INCLUDE_PARAMS.contains(&k.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(scopes: &[&str]) -> ScopeSet {
        ScopeSet::new(scopes.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn missing_scopes_are_the_ones_the_token_does_not_hold() {
        let authorized = Authorized::new(&[
            "url:GET|/api/v1/courses/:id",
            "url:GET|/api/v1/accounts/:account_id/courses",
            "not a scope",
        ]);
        assert_eq!(authorized.len(), 2);
        let job = set(&[
            "url:GET|/api/v1/courses/:id",
            "url:PUT|/api/v1/courses/:id",
            "url:GET|/api/v1/accounts/:account_id/courses",
        ]);
        let missing: Vec<&str> = authorized
            .missing(&job)
            .iter()
            .map(|s| s.as_str())
            .collect();
        assert_eq!(missing, ["url:PUT|/api/v1/courses/:id"]);
        assert!(Authorized::new::<&str>(&[]).is_empty());
        assert_eq!(Authorized::new::<&str>(&[]).missing(&job).len(), 3);
    }

    #[test]
    fn include_parameters_are_found_in_any_spelling() {
        for target in [
            "/api/v1/courses/1?include[]=term",
            "/api/v1/courses/1?per_page=5&include%5B%5D=term",
            "/api/v1/courses/1?includes[]=x",
            "/api/v1/courses/1?include=term",
        ] {
            assert!(uses_include_params(target), "{target}");
        }
        for target in [
            "/api/v1/courses/1",
            "/api/v1/courses/1?included=1",
            "/api/v1/include[]/1",
            "/api/v1/courses/1?search_term=include[]",
        ] {
            assert!(!uses_include_params(target), "{target}");
        }
    }
}
