//! What reached the stand-in: every request, recorded before routing.

use std::collections::VecDeque;

/// At most this many bytes of one request body are kept.
pub const MAX_RECORDED_BODY: usize = 1024 * 1024;
/// At most this many requests are kept; the oldest are dropped first.
pub const MAX_RECORDED_REQUESTS: usize = 100_000;
/// At most this many body bytes are kept over all recorded requests (100,000 bodies of
/// 1 MiB would not fit in memory); the oldest requests are dropped first.
pub const MAX_RECORDED_BODY_TOTAL: usize = 256 * 1024 * 1024;

/// One request as it reached the stand-in (including rejected ones).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request-target exactly as received: raw path + `?` + raw query, not decoded.
    pub target: String,
    /// Header names lower-case, values lossy UTF-8, in the order hyper hands them over.
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_RECORDED_BODY`] bytes of it.
    pub body: Vec<u8>,
    /// True when the body was longer than [`MAX_RECORDED_BODY`] and `body` holds only its start.
    pub body_truncated: bool,
}

impl RecordedRequest {
    /// The raw path (no query), as received.
    pub fn path(&self) -> &str {
        let t = self.target.as_str();
        // Absolute-form targets (`http://host/path`): skip scheme and authority.
        let t = match t.find("://") {
            Some(i) if !t.starts_with('/') => {
                let after = &t[i + 3..];
                match after.find(['/', '?']) {
                    Some(j) => &after[j..],
                    None => "",
                }
            }
            _ => t,
        };
        match t.find('?') {
            Some(i) => &t[..i],
            None => t,
        }
    }

    /// The raw query (after the first `?`), if the target had one.
    pub fn query(&self) -> Option<&str> {
        self.target.find('?').map(|i| &self.target[i + 1..])
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as lossy UTF-8 text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A bounded log of requests.
#[derive(Debug)]
pub(crate) struct Recorder {
    entries: VecDeque<RecordedRequest>,
    cap: usize,
    body_cap: usize,
    body_bytes: usize,
}

impl Recorder {
    pub(crate) fn new(cap: usize, body_cap: usize) -> Recorder {
        Recorder {
            entries: VecDeque::new(),
            cap: cap.max(1),
            body_cap,
            body_bytes: 0,
        }
    }

    pub(crate) fn push(&mut self, r: RecordedRequest) {
        while !self.entries.is_empty()
            && (self.entries.len() >= self.cap || self.body_bytes + r.body.len() > self.body_cap)
        {
            if let Some(old) = self.entries.pop_front() {
                self.body_bytes -= old.body.len();
            }
        }
        self.body_bytes += r.body.len();
        self.entries.push_back(r);
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.body_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(target: &str) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            target: target.into(),
            headers: vec![("authorization".into(), "Bearer x".into())],
            body: vec![],
            body_truncated: false,
        }
    }

    #[test]
    fn path_and_query_split() {
        let r = req("/api/v1/courses/1?a=%20&b=2");
        assert_eq!(r.path(), "/api/v1/courses/1");
        assert_eq!(r.query(), Some("a=%20&b=2"));
        let r = req("/api/v1/courses");
        assert_eq!(r.query(), None);
        let r = req("http://127.0.0.1:9/api/v1/x?y");
        assert_eq!(r.path(), "/api/v1/x");
        assert_eq!(r.query(), Some("y"));
        assert_eq!(r.header("Authorization"), Some("Bearer x"));
    }

    #[test]
    fn recorder_drops_oldest() {
        let mut rec = Recorder::new(3, 1000);
        for i in 0..5 {
            rec.push(req(&format!("/{i}")));
        }
        let all = rec.snapshot();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].target, "/2");
        assert_eq!(all[2].target, "/4");

        // The body budget drops old requests too.
        let mut rec = Recorder::new(100, 10);
        for i in 0..5 {
            let mut r = req(&format!("/{i}"));
            r.body = vec![b'x'; 4];
            rec.push(r);
        }
        let all = rec.snapshot();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].target, "/3");
        rec.clear();
        assert!(rec.snapshot().is_empty());
    }
}
