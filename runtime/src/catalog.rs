//! The 1,292 scopes Canvas LMS defines (`data/canvas_scopes.txt`), to tell a
//! real scope from a typo.

use std::collections::HashSet;
use std::sync::LazyLock;

/// The list, one `url:VERB|/path` a line.
pub const CANVAS_SCOPES: &str = include_str!("../data/canvas_scopes.txt");

static KNOWN: LazyLock<HashSet<&'static str>> = LazyLock::new(|| all().collect());

/// Every scope Canvas defines, in the list's order.
pub fn all() -> impl Iterator<Item = &'static str> {
    CANVAS_SCOPES.lines().filter(|l| !l.is_empty())
}

/// Whether Canvas defines exactly this scope.
pub fn is_canvas_scope(scope: &str) -> bool {
    KNOWN.contains(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_complete() {
        assert_eq!(all().count(), 1292);
        assert!(is_canvas_scope(
            "url:GET|/api/v1/accounts/:account_id/courses"
        ));
        assert!(!is_canvas_scope("url:GET|/api/v1/accounts/:id/courses"));
    }
}
