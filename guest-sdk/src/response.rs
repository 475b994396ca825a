//! Canvas's answer to a request.

use serde::de::DeserializeOwned;

use crate::canvas::Method;
use crate::error::{Error, JsonStage, Result};
use crate::link::Links;
use crate::raw;

/// A response from Canvas, with the method and path of its request so that
/// errors can name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    method: Method,
    path: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    pub(crate) fn new(method: Method, path: String, raw: raw::HttpResponse) -> Response {
        Response {
            method,
            path,
            status: raw.status,
            headers: raw.headers,
            body: raw.body,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `true` for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The method of the request this answers.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path (or absolute URL) of the request this answers.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// All headers, in order, names as Canvas sent them.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the host answered this itself because the run is a dry run
    /// and the request was a write that was not sent (the header
    /// `x-warden-dry-run: 1`; see [`crate::is_dry_run`] for the body).
    pub fn is_dry_run(&self) -> bool {
        self.header("x-warden-dry-run") == Some("1")
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body, taken out of the response.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The body as text (invalid UTF-8 is replaced with `�`).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON into `T`. A leading `while(1);` (Canvas's
    /// JSON-hijacking guard) is skipped.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let body = self.body.trim_ascii_start();
        let body = body.strip_prefix(b"while(1);").unwrap_or(body);
        serde_json::from_slice(body).map_err(|source| Error::Json {
            method: self.method,
            path: self.path.clone(),
            stage: JsonStage::Response,
            source,
        })
    }

    /// The pagination links of every `Link` header.
    pub fn links(&self) -> Links {
        Links::parse_all(
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("link"))
                .map(|(_, v)| v.as_str()),
        )
    }

    /// The `Location` header of a redirect (3xx) or a `201 Created`. The host
    /// never follows redirects: to follow one, send a new request to this
    /// URL, which the manifest's scopes must allow.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// Canvas's error messages in the body (see [`Error::Status`]); empty
    /// when there are none.
    pub fn error_messages(&self) -> Vec<String> {
        crate::error::error_messages(&self.body)
    }

    /// `Err(Error::Status)` for a status of 400 or more, the response
    /// otherwise.
    pub fn error_for_status(self) -> Result<Response> {
        if self.status >= 400 {
            Err(Error::from_status(
                self.status,
                self.method,
                &self.path,
                &self.body,
            ))
        } else {
            Ok(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response::new(
            Method::Get,
            "/api/v1/courses/1".into(),
            raw::HttpResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.as_bytes().to_vec(),
            },
        )
    }

    #[test]
    fn headers_are_case_insensitive() {
        let r = response(
            301,
            &[
                ("Location", "https://canvas.example/api/v1/courses/2"),
                ("X-A", "1"),
                ("x-a", "2"),
            ],
            "",
        );
        assert_eq!(
            r.location(),
            Some("https://canvas.example/api/v1/courses/2")
        );
        assert_eq!(r.header("x-a"), Some("1"));
        assert_eq!(r.header("LOCATION"), r.location());
        assert_eq!(r.header("missing"), None);
        assert!(!r.is_success());
        assert!(r.clone().error_for_status().is_ok());
        assert!(!r.is_dry_run());
    }

    #[test]
    fn a_synthetic_dry_run_answer_is_recognised() {
        let r = response(
            200,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("X-Warden-Dry-Run", "1"),
            ],
            r#"{"warden_dry_run":true,"method":"PUT","path":"/api/v1/courses/1","body_bytes":2}"#,
        );
        assert!(r.is_dry_run());
        assert_eq!(
            r.json::<serde_json::Value>().unwrap()["warden_dry_run"],
            true
        );
    }

    #[test]
    fn links_from_several_headers() {
        let r = response(
            200,
            &[
                ("link", "</a?page=2>; rel=\"next\""),
                ("LINK", "</a?page=1>; rel=\"first\""),
            ],
            "[]",
        );
        let links = r.links();
        assert_eq!(links.next.as_deref(), Some("/a?page=2"));
        assert_eq!(links.first.as_deref(), Some("/a?page=1"));
    }

    #[test]
    fn json_and_text() {
        #[derive(Debug, serde::Deserialize)]
        struct Course {
            id: u64,
        }
        let r = response(200, &[], " while(1);{\"id\": 7}");
        assert_eq!(r.json::<Course>().unwrap().id, 7);
        assert_eq!(r.text(), " while(1);{\"id\": 7}");
        assert_eq!(r.body().len(), 19);
        let e = response(200, &[], "<html>").json::<Course>().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("GET /api/v1/courses/1: unexpected JSON in the response: "),
            "{e}"
        );
        let r = response(422, &[], r#"{"message":"x"}"#);
        assert_eq!(r.error_messages(), ["x"]);
        assert_eq!(r.error_for_status().unwrap_err().status(), Some(422));
    }
}
