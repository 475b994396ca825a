//! The one error type of the SDK, and the extraction of Canvas's error
//! messages from an error response body.

use std::fmt;

use crate::canvas::Method;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Most characters of a response body kept in [`Error::Status`].
pub(crate) const MAX_BODY_CHARS: usize = 2048;
/// Most characters of one message kept in [`Error::Status`].
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;
/// Most messages kept in [`Error::Status`].
pub(crate) const MAX_MESSAGES: usize = 10;

/// Everything that can go wrong in a job's use of the SDK.
///
/// The first six variants are the host's refusals (the WIT `error` cases):
/// nothing was sent for `Denied` and `Invalid`; `InsufficientScope` was sent
/// and refused by Canvas itself. `Status` is Canvas's answer
/// with a status of 400 or more.
///
/// `Display` is one line meant for a person. `Debug` prints the same line, so
/// that `fn main() -> Result<(), warden_sdk::Error>` ends a failed run with a
/// readable `Error: ...`; the alternate form `{:#?}` shows every field.
#[non_exhaustive]
pub enum Error {
    /// No scope of the job's manifest allows the request; nothing was sent.
    Denied(String),
    /// The host refused a malformed or forbidden request; nothing was sent.
    Invalid(String),
    /// Canvas kept rate-limiting past the host's retry budget.
    Throttled(String),
    /// This run's request budget (`max_requests` in the manifest) is spent.
    BudgetExhausted(String),
    /// Network, TLS or timeout trouble between the host and Canvas, or the
    /// host's Canvas authorization could not be renewed.
    Unavailable(String),
    /// The manifest allows the request and Warden sent it, but Canvas
    /// answered 401 "Insufficient scopes on access token.": Warden's Canvas
    /// authorization (a scoped developer key's token, `[canvas.oauth]`)
    /// does not hold the scope. The job cannot fix this: an admin adds the
    /// scope to the developer key in Canvas and runs `warden auth login`.
    InsufficientScope(String),
    /// Canvas answered with a status of 400 or more.
    Status {
        /// The HTTP status, 400 to 599.
        status: u16,
        /// Method of the failed request.
        method: Method,
        /// Path (or absolute URL) of the failed request, without the query.
        path: String,
        /// Canvas's error messages (`errors[].message`, `message`,
        /// `errors.field[].message`, ...); may be empty.
        messages: Vec<String>,
        /// The response body as text, cut to `MAX_BODY_CHARS` (2048) characters.
        body: String,
    },
    /// A request body could not be encoded as JSON, or a response body was
    /// not the JSON that was asked for.
    Json {
        /// Method of the request.
        method: Method,
        /// Path (or absolute URL) of the request.
        path: String,
        /// Whether the request or the response body was at fault.
        stage: JsonStage,
        /// serde_json's description of the problem.
        source: serde_json::Error,
    },
    /// An environment variable the job reads is not set.
    MissingEnv {
        /// The variable's name.
        key: String,
    },
    /// A failure of the job's own making (see [`Error::other`]).
    Other(String),
}

/// Which body a [`Error::Json`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStage {
    /// Serialising the request body failed.
    Request,
    /// Deserialising the response body failed.
    Response,
}

impl Error {
    /// An error of the job's own making, e.g. a bad configuration value, so
    /// that a job can use one error type throughout.
    pub fn other(message: impl fmt::Display) -> Error {
        Error::Other(message.to_string())
    }

    /// `true` when the manifest's scopes did not allow the request.
    pub fn is_denied(&self) -> bool {
        matches!(self, Error::Denied(_))
    }

    /// The HTTP status for [`Error::Status`], `None` otherwise.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Builds an [`Error::Status`] from a response, extracting Canvas's
    /// messages from the body and truncating the body.
    pub(crate) fn from_status(status: u16, method: Method, path: &str, body: &[u8]) -> Error {
        Error::Status {
            status,
            method,
            path: path.to_string(),
            messages: error_messages(body),
            body: truncate_chars(&String::from_utf8_lossy(body), MAX_BODY_CHARS),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Denied(m) => write!(f, "denied by the manifest: {m}"),
            Error::Invalid(m) => write!(f, "invalid request: {m}"),
            Error::Throttled(m) => write!(f, "throttled by Canvas: {m}"),
            Error::BudgetExhausted(m) => write!(f, "request budget exhausted: {m}"),
            Error::Unavailable(m) => write!(f, "Canvas unavailable: {m}"),
            Error::InsufficientScope(m) => write!(
                f,
                "Warden's Canvas authorization lacks the scope: {m} (an admin adds it to the developer key and runs `warden auth login`)"
            ),
            Error::Status {
                status,
                method,
                path,
                messages,
                ..
            } => {
                write!(f, "{method} {path}: {status}")?;
                if let Some(reason) = reason_phrase(*status) {
                    write!(f, " {reason}")?;
                }
                if !messages.is_empty() {
                    write!(f, ": {}", messages.join("; "))?;
                }
                Ok(())
            }
            Error::Json {
                method,
                path,
                stage: JsonStage::Request,
                source,
            } => write!(f, "{method} {path}: cannot encode the request body as JSON: {source}"),
            Error::Json {
                method,
                path,
                stage: JsonStage::Response,
                source,
            } => write!(f, "{method} {path}: unexpected JSON in the response: {source}"),
            Error::MissingEnv { key } => write!(
                f,
                "environment variable {key} is not set: declare it in the [env] table of the job's manifest"
            ),
            Error::Other(m) => f.write_str(m),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return fmt::Display::fmt(self, f);
        }
        match self {
            Error::Denied(m) => f.debug_tuple("Denied").field(m).finish(),
            Error::Invalid(m) => f.debug_tuple("Invalid").field(m).finish(),
            Error::Throttled(m) => f.debug_tuple("Throttled").field(m).finish(),
            Error::BudgetExhausted(m) => f.debug_tuple("BudgetExhausted").field(m).finish(),
            Error::Unavailable(m) => f.debug_tuple("Unavailable").field(m).finish(),
            Error::InsufficientScope(m) => f.debug_tuple("InsufficientScope").field(m).finish(),
            Error::Status {
                status,
                method,
                path,
                messages,
                body,
            } => f
                .debug_struct("Status")
                .field("status", status)
                .field("method", method)
                .field("path", path)
                .field("messages", messages)
                .field("body", body)
                .finish(),
            Error::Json {
                method,
                path,
                stage,
                source,
            } => f
                .debug_struct("Json")
                .field("method", method)
                .field("path", path)
                .field("stage", stage)
                .field("source", source)
                .finish(),
            Error::MissingEnv { key } => f.debug_struct("MissingEnv").field("key", key).finish(),
            Error::Other(m) => f.debug_tuple("Other").field(m).finish(),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Json { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The reason phrase of the statuses Canvas uses.
pub(crate) fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

/// Extracts the error messages of a Canvas error body. Handles
/// `{"errors": [{"message": ".."}]}`, `{"message": ".."}`,
/// `{"error": ".."}`, `{"errors": {"field": [{"message": ".."}]}}` (as
/// `field: ..`), and string forms of these. A non-JSON body that is not HTML
/// becomes one message (its whitespace collapsed); an HTML page gives none.
/// Each message is cut to `MAX_MESSAGE_CHARS` (300), at most `MAX_MESSAGES` (10) are
/// kept, and duplicates are dropped.
pub fn error_messages(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim().trim_start_matches("while(1);");
    let mut out = Vec::new();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) => {
            if let Some(errors) = value.get("errors") {
                collect(errors, None, &mut out);
            }
            for key in ["message", "error"] {
                if let Some(v) = value.get(key) {
                    collect(v, None, &mut out);
                }
            }
        }
        Err(_) => {
            let lower = text
                .get(..64.min(text.len()))
                .unwrap_or(text)
                .to_ascii_lowercase();
            let html = lower.starts_with('<')
                && (lower.contains("html") || lower.contains("<head") || lower.contains("<body"));
            if !text.is_empty() && !html {
                push(
                    &mut out,
                    text.split_whitespace().collect::<Vec<_>>().join(" "),
                );
            }
        }
    }
    out.truncate(MAX_MESSAGES);
    out
}

fn collect(value: &serde_json::Value, field: Option<&str>, out: &mut Vec<String>) {
    use serde_json::Value;
    let with_field = |m: &str| match field {
        Some(f) if f != "base" => format!("{f}: {m}"),
        _ => m.to_string(),
    };
    match value {
        Value::String(s) if !s.trim().is_empty() => push(out, with_field(s.trim())),
        Value::Array(items) => items.iter().for_each(|item| collect(item, field, out)),
        Value::Object(map) => {
            if let Some(message) = map.get("message").and_then(Value::as_str) {
                push(out, with_field(message.trim()));
            } else {
                // a map of field name to that field's errors
                for (name, v) in map {
                    collect(v, Some(field.unwrap_or(name)), out);
                }
            }
        }
        _ => {}
    }
}

fn push(out: &mut Vec<String>, message: String) {
    if out.len() < MAX_MESSAGES && !message.is_empty() {
        let message = truncate_chars(&message, MAX_MESSAGE_CHARS);
        if !out.contains(&message) {
            out.push(message);
        }
    }
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msgs(body: &str) -> Vec<String> {
        error_messages(body.as_bytes())
    }

    #[test]
    fn errors_array_of_messages() {
        assert_eq!(
            msgs(
                r#"{"errors":[{"message":"The specified resource does not exist."}],"error_report_id":42}"#
            ),
            ["The specified resource does not exist."]
        );
        assert_eq!(
            msgs(
                r#"{"status":"unauthorized","errors":[{"message":"user not authorized to perform that action"},{"message":"second"}]}"#
            ),
            ["user not authorized to perform that action", "second"]
        );
    }

    #[test]
    fn plain_message_and_error_keys() {
        assert_eq!(
            msgs(r#"{"message":"Invalid access token."}"#),
            ["Invalid access token."]
        );
        assert_eq!(msgs(r#"{"error":"invalid_grant"}"#), ["invalid_grant"]);
        assert_eq!(
            msgs(r#"{"errors":"course not found"}"#),
            ["course not found"]
        );
        assert_eq!(msgs(r#"{"errors":["a","b","a"]}"#), ["a", "b"]);
    }

    #[test]
    fn field_errors() {
        let body = r#"{"errors":{"name":[{"attribute":"name","type":"blank","message":"name is required"}],
            "default_view":[{"attribute":"default_view","type":"invalid","message":"invalid"}],
            "base":[{"message":"course is concluded"}],"sis":["taken"]}}"#;
        let got = msgs(body);
        assert!(
            got.contains(&"name: name is required".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"default_view: invalid".to_string()),
            "{got:?}"
        );
        assert!(got.contains(&"course is concluded".to_string()), "{got:?}");
        assert!(got.contains(&"sis: taken".to_string()), "{got:?}");
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn nested_errors_object_with_message() {
        assert_eq!(msgs(r#"{"errors":{"message":"nope"}}"#), ["nope"]);
    }

    #[test]
    fn non_json_bodies() {
        assert_eq!(msgs("Rate Limit Exceeded\n"), ["Rate Limit Exceeded"]);
        assert_eq!(msgs("  bad\n\n  gateway  "), ["bad gateway"]);
        assert!(msgs("").is_empty());
        assert!(msgs("<!DOCTYPE html><html><body>oops</body></html>").is_empty());
        assert!(msgs("<html><head><title>500</title></head></html>").is_empty());
        assert!(error_messages(&[0xff, 0xfe]).len() == 1);
    }

    #[test]
    fn json_without_messages() {
        assert!(msgs(r#"{"status":"error"}"#).is_empty());
        assert!(msgs("[]").is_empty());
        assert!(msgs("null").is_empty());
        assert!(msgs(r#"{"errors":[{"code":1}]}"#).is_empty());
    }

    #[test]
    fn while_one_prefix() {
        assert_eq!(msgs(r#"while(1);{"message":"x"}"#), ["x"]);
    }

    #[test]
    fn truncation() {
        let long = "é".repeat(MAX_MESSAGE_CHARS + 50);
        let got = msgs(&format!(r#"{{"message":"{long}"}}"#));
        assert_eq!(got[0].chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(got[0].ends_with('…'));

        let many: Vec<String> = (0..50)
            .map(|i| format!(r#"{{"message":"m{i}"}}"#))
            .collect();
        let got = msgs(&format!(r#"{{"errors":[{}]}}"#, many.join(",")));
        assert_eq!(got.len(), MAX_MESSAGES);
        assert_eq!(got[0], "m0");

        let body = "x".repeat(MAX_BODY_CHARS * 3);
        match Error::from_status(500, Method::Get, "/api/v1/x", body.as_bytes()) {
            Error::Status { body, messages, .. } => {
                assert_eq!(body.chars().count(), MAX_BODY_CHARS + 1);
                assert_eq!(messages[0].chars().count(), MAX_MESSAGE_CHARS + 1);
            }
            other => panic!("{other:#?}"),
        }
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "abc…");
    }

    #[test]
    fn display_includes_every_errors_message() {
        // Each errors[].message of Canvas's answer is in the one-line Display,
        // for every status and method a job meets.
        let body = br#"{"errors":[{"message":"user not authorized to perform that action"},{"message":"Insufficient rights"}],"error_report_id":7}"#;
        for (status, method) in [
            (400, Method::Post),
            (401, Method::Get),
            (403, Method::Put),
            (404, Method::Delete),
            (409, Method::Patch),
            (422, Method::Put),
            (500, Method::Get),
            (503, Method::Head),
        ] {
            let shown = Error::from_status(status, method, "/api/v1/x", body).to_string();
            assert!(
                shown
                    .ends_with(": user not authorized to perform that action; Insufficient rights"),
                "{shown}"
            );
            assert!(
                shown.starts_with(&format!("{method} /api/v1/x: {status}")),
                "{shown}"
            );
            assert!(!shown.contains('\n'));
        }
    }

    #[test]
    fn display_strings() {
        let e = Error::from_status(
            404,
            Method::Get,
            "/api/v1/courses/9",
            br#"{"errors":[{"message":"The specified resource does not exist."}]}"#,
        );
        assert_eq!(
            e.to_string(),
            "GET /api/v1/courses/9: 404 Not Found: The specified resource does not exist."
        );
        assert_eq!(format!("{e:?}"), e.to_string());
        assert!(format!("{e:#?}").contains("status: 404"));
        assert_eq!(e.status(), Some(404));
        assert!(!e.is_denied());

        let e = Error::from_status(
            400,
            Method::Put,
            "/api/v1/courses/3",
            br#"{"errors":{"default_view":[{"message":"is invalid"}]}}"#,
        );
        assert_eq!(
            e.to_string(),
            "PUT /api/v1/courses/3: 400 Bad Request: default_view: is invalid"
        );
        let e = Error::from_status(599, Method::Delete, "/x", b"");
        assert_eq!(e.to_string(), "DELETE /x: 599");
        let e = Error::from_status(502, Method::Head, "/x", b"<html>bad</html>");
        assert_eq!(e.to_string(), "HEAD /x: 502 Bad Gateway");

        let e = Error::Denied("GET /api/v1/users matches no scope".into());
        assert_eq!(
            e.to_string(),
            "denied by the manifest: GET /api/v1/users matches no scope"
        );
        assert!(e.is_denied());
        assert_eq!(e.status(), None);
        assert_eq!(Error::Invalid("x".into()).to_string(), "invalid request: x");
        assert_eq!(
            Error::InsufficientScope("x".into()).to_string(),
            "Warden's Canvas authorization lacks the scope: x (an admin adds it to the developer key and runs `warden auth login`)"
        );
        assert_eq!(
            Error::Throttled("x".into()).to_string(),
            "throttled by Canvas: x"
        );
        assert_eq!(
            Error::BudgetExhausted("x".into()).to_string(),
            "request budget exhausted: x"
        );
        assert_eq!(
            Error::Unavailable("x".into()).to_string(),
            "Canvas unavailable: x"
        );
        assert_eq!(
            Error::MissingEnv { key: "ACCOUNT_ID".into() }.to_string(),
            "environment variable ACCOUNT_ID is not set: declare it in the [env] table of the job's manifest"
        );
        assert_eq!(
            Error::other("bad DEFAULT_VIEW").to_string(),
            "bad DEFAULT_VIEW"
        );

        let source = serde_json::from_str::<u32>("\"x\"").unwrap_err();
        let e = Error::Json {
            method: Method::Get,
            path: "/api/v1/courses/1".into(),
            stage: JsonStage::Response,
            source,
        };
        assert!(
            e.to_string().starts_with(
                "GET /api/v1/courses/1: unexpected JSON in the response: invalid type"
            ),
            "{e}"
        );
        assert!(std::error::Error::source(&e).is_some());
        for e in [e, Error::Other("a\nb".replace('\n', " "))] {
            assert!(!e.to_string().contains('\n'));
        }
    }
}
