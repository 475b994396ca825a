//! Responses before they become HTTP, and Canvas's error bodies.

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use serde_json::{json, Value};

/// The content type of every JSON answer, as Canvas sends it.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A response the server will finish (rate-limit headers, HEAD handling) and send.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, v: &Value) -> Reply {
        let body = serde_json::to_vec(v).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))],
            body,
        }
    }

    /// An HTML page with this status.
    pub(crate) fn html(status: StatusCode, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body: body.into(),
        }
    }

    pub(crate) fn ok(v: &Value) -> Reply {
        Reply::json(StatusCode::OK, v)
    }

    /// Adds a header; a value that is not a valid header value is dropped (and logged).
    pub(crate) fn with_header(mut self, name: HeaderName, value: &str) -> Reply {
        match HeaderValue::from_str(value) {
            Ok(v) => self.headers.push((name, v)),
            Err(_) => tracing::warn!(%name, "stand-in: dropping invalid header value"),
        }
        self
    }

    pub(crate) fn has_header(&self, name: &HeaderName) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }

    /// `{"errors":[{"message": …}]}` with this status.
    pub(crate) fn error(status: StatusCode, message: &str) -> Reply {
        Reply::json(status, &json!({"errors": [{"message": message}]}))
    }

    /// Canvas's answer to a request over the rate limit.
    pub(crate) fn rate_limited(status: super::ThrottleStatus) -> Reply {
        Reply {
            status: StatusCode::from_u16(status.code()).unwrap_or(StatusCode::FORBIDDEN),
            headers: vec![(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            body: status.body().as_bytes().to_vec(),
        }
    }

    /// Canvas's 404.
    pub(crate) fn not_found() -> Reply {
        Reply::error(
            StatusCode::NOT_FOUND,
            "The specified resource does not exist.",
        )
    }

    /// The answer to a method + path the stand-in does not model: a 404 that says
    /// so (and [`STANDIN_HEADER`] `no-route`), so that it is not taken for Canvas's.
    pub(crate) fn no_route(method: &str, raw_path: &str) -> Reply {
        Reply::error(
            StatusCode::NOT_FOUND,
            &format!(
                "the stand-in has no route for {method} {raw_path} (Warden's Canvas stand-in models only the endpoints listed in its docs; add a canned response to the test's fixtures for this one)"
            ),
        )
        .with_header(HeaderName::from_static(STANDIN_HEADER), "no-route")
    }

    /// Canvas's `render_unauthorized_action` for an API request.
    pub(crate) fn unauthorized() -> Reply {
        Reply::json(
            StatusCode::UNAUTHORIZED,
            &json!({"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}),
        )
    }

    /// A bare `{key: text}` body, as some Canvas controllers answer errors.
    pub(crate) fn bare(status: StatusCode, key: &str, text: &str) -> Reply {
        Reply::json(status, &json!({ key: text }))
    }

    /// A 400 for a request the stand-in cannot make sense of.
    pub(crate) fn bad_request(message: &str) -> Reply {
        Reply::error(StatusCode::BAD_REQUEST, message)
    }

    /// Canvas's answer to a request without a (usable) token.
    pub(crate) fn unauthenticated() -> Reply {
        Reply::json(
            StatusCode::UNAUTHORIZED,
            &json!({"errors": [{"message": "user authorization required"}], "status": "unauthenticated"}),
        )
        .with_header(http::header::WWW_AUTHENTICATE, WWW_AUTHENTICATE_VALUE)
    }

    /// Canvas's answer to a wrong token.
    pub(crate) fn invalid_token() -> Reply {
        Reply::error(StatusCode::UNAUTHORIZED, "Invalid access token.")
            .with_header(http::header::WWW_AUTHENTICATE, WWW_AUTHENTICATE_VALUE)
    }

    /// Canvas's `SearchTermTooShortError`.
    pub(crate) fn search_term_too_short() -> Reply {
        Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({"errors": [{
                "field": "search_term",
                "code": "invalid",
                "message": "2 or more characters is required"
            }]}),
        )
    }

    /// ActiveRecord validation errors as Canvas renders them:
    /// `{"errors":{"field":[{"attribute":"field","type":"t","message":"m"}]}}`.
    pub(crate) fn validation(errors: &[(&str, &str, String)]) -> Reply {
        let mut map = serde_json::Map::new();
        for (field, kind, message) in errors {
            let entry = json!({"attribute": field, "type": kind, "message": message});
            match map.get_mut(*field) {
                Some(Value::Array(list)) => list.push(entry),
                _ => {
                    map.insert(field.to_string(), Value::Array(vec![entry]));
                }
            }
        }
        Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({"errors": Value::Object(map)}),
        )
    }
}

/// The header on the stand-in's own answers that are not Canvas's (lower case, as
/// HTTP/2 and the `http` crate write names); its value says why (`no-route`).
pub const STANDIN_HEADER: &str = "x-warden-standin";

/// The `WWW-Authenticate` header Canvas sends with a 401.
pub const WWW_AUTHENTICATE_VALUE: &str = "Bearer realm=\"canvas-lms\"";
