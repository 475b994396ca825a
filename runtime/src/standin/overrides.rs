//! Canned answers that tests put in front of the built-in routes.

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::StatusCode;

use super::reply::{Reply, JSON_CONTENT_TYPE};

/// A canned answer for one method + exact raw path (see [`super::StandIn::add_override`]).
#[derive(Debug, Clone)]
pub struct Override {
    /// Compared case-insensitively (`GET` also answers `HEAD`).
    pub method: String,
    /// The exact raw path, without the query (`/api/v1/courses/1`).
    pub path: String,
    pub status: u16,
    /// `{token}` and `{base}` are substituted in values. Without a `content-type`,
    /// the answer is labelled JSON. `content-length` and `transfer-encoding` are ignored
    /// (the server sets them).
    pub headers: Vec<(String, String)>,
    /// `{token}` and `{base}` are substituted.
    pub body: String,
    /// Answer even without a valid token.
    pub skip_auth: bool,
}

impl Override {
    /// An override answering `status` with a JSON `body` and no extra headers, behind
    /// the token check.
    pub fn new(method: &str, path: &str, status: u16, body: impl Into<String>) -> Override {
        Override {
            method: method.to_string(),
            path: path.to_string(),
            status,
            headers: Vec::new(),
            body: body.into(),
            skip_auth: false,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Override {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Answers without checking the token.
    pub fn without_auth(mut self) -> Override {
        self.skip_auth = true;
        self
    }

    pub(crate) fn reply(&self, token: &str, base_url: &str) -> Reply {
        // `{base}` first, so a token that happens to contain "{base}" stays as sent.
        let subst = |s: &str| s.replace("{base}", base_url).replace("{token}", token);
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut reply = Reply {
            status,
            headers: Vec::new(),
            body: subst(&self.body).into_bytes(),
        };
        for (name, value) in &self.headers {
            let Ok(name) = HeaderName::from_bytes(name.trim().as_bytes()) else {
                tracing::warn!(header = %name, "stand-in override: invalid header name ignored");
                continue;
            };
            if name == http::header::CONTENT_LENGTH || name == http::header::TRANSFER_ENCODING {
                continue;
            }
            reply = reply.with_header(name, &subst(value));
        }
        if !reply.has_header(&CONTENT_TYPE) {
            reply
                .headers
                .push((CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE)));
        }
        reply
    }
}

/// An override in the stand-in's list, with how many more requests it answers
/// (`None`: all of them).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) o: Override,
    pub(crate) left: Option<u32>,
}

/// The newest override for this method + path (a GET one also serves HEAD). An
/// override limited to some number of requests counts this one, and is gone once
/// they are used up.
pub(crate) fn take(list: &mut Vec<Entry>, method: &str, path: &str) -> Option<Override> {
    let matches = |e: &Entry, m: &str| e.o.path == path && e.o.method.eq_ignore_ascii_case(m);
    let index = list.iter().rposition(|e| matches(e, method)).or_else(|| {
        if method == "HEAD" {
            list.iter().rposition(|e| matches(e, "GET"))
        } else {
            None
        }
    })?;
    let entry = &mut list[index];
    let found = entry.o.clone();
    match &mut entry.left {
        Some(left) if *left <= 1 => {
            list.remove(index);
        }
        Some(left) => *left -= 1,
        None => {}
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_overrides_run_out_and_uncover_older_ones() {
        let always = Override::new("GET", "/a", 500, "{}");
        let twice = Override::new("GET", "/a", 429, "{}");
        let mut list = vec![
            Entry {
                o: always,
                left: None,
            },
            Entry {
                o: twice,
                left: Some(2),
            },
        ];
        let status = |list: &mut Vec<Entry>, m: &str| take(list, m, "/a").map(|o| o.status);
        assert_eq!(status(&mut list, "GET"), Some(429));
        assert_eq!(status(&mut list, "HEAD"), Some(429));
        assert_eq!(status(&mut list, "GET"), Some(500));
        assert_eq!(status(&mut list, "GET"), Some(500));
        assert_eq!(status(&mut list, "PUT"), None);
        assert_eq!(take(&mut list, "GET", "/b").map(|o| o.status), None);
        assert_eq!(list.len(), 1);
    }
}
