//! Dry runs (`warden run --dry-run`, or `dry_run = true` in `[job]`): reads
//! go to Canvas as usual; writes (POST, PUT, PATCH, DELETE) are checked like
//! any request (scopes, validation, the request budget), recorded in the
//! audit as `dry-run: not sent`, and answered by the host with a synthetic
//! response instead of being sent:
//!
//! ```text
//! HTTP status 200
//! content-type: application/json; charset=utf-8
//! x-warden-dry-run: 1
//!
//! {"warden_dry_run":true,"method":"PUT","path":"/api/v1/courses/3","body_bytes":42}
//! ```
//!
//! `path` is the path and query that would have been sent; `body_bytes` the
//! size of the body that would have been sent. The job also sees
//! `WARDEN_DRY_RUN=1` in its environment (only in a dry run).

use crate::client::CanvasResponse;
use crate::request::Approved;

/// The header that marks a synthetic dry-run response.
pub const HEADER: &str = "x-warden-dry-run";

/// The environment variable a job sees in a dry run (set to `1`).
pub const ENV: &str = "WARDEN_DRY_RUN";

/// The answer a job gets instead of Canvas's to a write in a dry run.
pub fn response(approved: &Approved) -> CanvasResponse {
    let text = |s: &str| serde_json::Value::from(s).to_string();
    let body = format!(
        "{{\"warden_dry_run\":true,\"method\":{},\"path\":{},\"body_bytes\":{}}}",
        text(approved.method.as_str()),
        text(&approved.path_and_query),
        approved.body.as_ref().map_or(0, Vec::len),
    );
    CanvasResponse {
        status: 200,
        headers: vec![
            (
                "content-type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ),
            (HEADER.to_string(), "1".to_string()),
        ],
        body: body.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Method;

    #[test]
    fn writes_are_the_four_changing_methods() {
        let writes: Vec<Method> = Method::ALL.into_iter().filter(|m| m.is_write()).collect();
        assert_eq!(
            writes,
            [Method::Post, Method::Put, Method::Patch, Method::Delete]
        );
    }

    #[test]
    fn the_synthetic_response_has_the_documented_shape() {
        let approved = Approved {
            method: Method::Put,
            url: url::Url::parse("https://canvas.example/api/v1/courses/3?x=%22").unwrap(),
            path: "/api/v1/courses/3".into(),
            path_and_query: "/api/v1/courses/3?x=%22".into(),
            headers: vec![],
            body: Some(br#"{"course":{"default_view":"modules"}}"#.to_vec()),
            scope: "url:PUT|/api/v1/courses/:id".into(),
        };
        let r = response(&approved);
        assert_eq!(r.status, 200);
        assert!(r.headers.contains(&(HEADER.to_string(), "1".to_string())));
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            r#"{"warden_dry_run":true,"method":"PUT","path":"/api/v1/courses/3?x=%22","body_bytes":37}"#
        );
    }
}
