//! Requests to the Canvas REST API: the [`Request`] builder, [`paginate`],
//! and the path helpers.
//!
//! Every request goes through the host, which checks it against the scopes
//! of the job's manifest, adds the Canvas token and sends it. Paths are
//! `/api/v1/...` on the configured Canvas origin (or an absolute URL on that
//! origin, as found in `Link` headers) and are sent byte for byte: build
//! path segments from outside values with [`encode_segment`]. Query
//! parameters are plain text; the host percent-encodes them.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, JsonStage, Result};
use crate::raw;
use crate::response::Response;

pub use crate::api::{assignments, courses, enrollments, sections, submissions, users};
pub use crate::call::Call;

/// An HTTP method that a job may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD` (checked against the manifest's `GET` scopes)
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name in upper case, as in a scope (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// The method of a WIT request.
    pub fn from_raw(method: raw::Method) -> Method {
        match method {
            raw::Method::Get => Method::Get,
            raw::Method::Head => Method::Head,
            raw::Method::Post => Method::Post,
            raw::Method::Put => Method::Put,
            raw::Method::Patch => Method::Patch,
            raw::Method::Delete => Method::Delete,
        }
    }

    /// Whether the method changes something in Canvas (`POST`, `PUT`,
    /// `PATCH`, `DELETE`): the requests a dry run does not send.
    pub fn is_write(self) -> bool {
        !matches!(self, Method::Get | Method::Head)
    }

    fn to_raw(self) -> raw::Method {
        match self {
            Method::Get => raw::Method::Get,
            Method::Head => raw::Method::Head,
            Method::Post => raw::Method::Post,
            Method::Put => raw::Method::Put,
            Method::Patch => raw::Method::Patch,
            Method::Delete => raw::Method::Delete,
        }
    }
}

impl std::str::FromStr for Method {
    type Err = Error;

    /// `GET`, `head`, ...: a method's name in any case.
    fn from_str(s: &str) -> Result<Method> {
        const ALL: [Method; 6] = [
            Method::Get,
            Method::Head,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
        ];
        ALL.into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::other(format!(
                    "unknown HTTP method {s:?}: expected GET, HEAD, POST, PUT, PATCH or DELETE"
                ))
            })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The function that carries a request to the host; `transport::send`
/// except in the SDK's own unit tests.
pub(crate) type Transport =
    fn(&raw::HttpRequest) -> std::result::Result<raw::HttpResponse, raw::Error>;

/// A `GET` request for `path`.
pub fn get(path: impl Into<String>) -> Request {
    Request::new(Method::Get, path)
}

/// A `HEAD` request for `path` (allowed by the manifest's `GET` scopes).
pub fn head(path: impl Into<String>) -> Request {
    Request::new(Method::Head, path)
}

/// A `POST` request for `path`.
pub fn post(path: impl Into<String>) -> Request {
    Request::new(Method::Post, path)
}

/// A `PUT` request for `path`.
pub fn put(path: impl Into<String>) -> Request {
    Request::new(Method::Put, path)
}

/// A `PATCH` request for `path`.
pub fn patch(path: impl Into<String>) -> Request {
    Request::new(Method::Patch, path)
}

/// A `DELETE` request for `path`.
pub fn delete(path: impl Into<String>) -> Request {
    Request::new(Method::Delete, path)
}

/// A request to Canvas, built step by step and sent with [`Request::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Request {
    /// A request with `method` for `path` (`/api/v1/...` or an absolute URL
    /// on the Canvas origin, sent as given).
    pub fn new(method: Method, path: impl Into<String>) -> Request {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a query parameter, in plain text (the host percent-encodes it).
    /// Keys may repeat: `.query("include[]", "term").query("include[]", "teachers")`.
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Request {
        self.query.push((key.into(), value.to_string()));
        self
    }

    /// Asks Canvas to include more data: `include[]=what`. May be repeated.
    pub fn include(self, what: &str) -> Request {
        self.query("include[]", what)
    }

    /// Adds a header such as `accept`. The host refuses credential and
    /// routing headers (`authorization`, `host`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body to `value` as JSON, with `content-type: application/json`.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Request> {
        match serde_json::to_vec(value) {
            Ok(body) => Ok(self.content(body, "application/json")),
            Err(source) => Err(Error::Json {
                method: self.method,
                path: self.path,
                stage: JsonStage::Request,
                source,
            }),
        }
    }

    /// Sets the body to `pairs` form-urlencoded, with
    /// `content-type: application/x-www-form-urlencoded`, as Canvas's own
    /// documentation writes requests (`course[name]=...`).
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Request {
        let body = form_urlencode(pairs).into_bytes();
        self.content(body, "application/x-www-form-urlencoded")
    }

    /// Sets a raw body; add the matching `content-type` with [`Request::header`].
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = Some(body.into());
        self
    }

    fn content(mut self, body: Vec<u8>, content_type: &str) -> Request {
        self.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("content-type".into(), content_type.into()));
        self.body = Some(body);
        self
    }

    /// The request's method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The request's path (or absolute URL), as it will be sent.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }

    /// The extra headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body, if one was set.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The request as the WIT record that the host receives.
    pub fn to_raw(&self) -> raw::HttpRequest {
        raw::HttpRequest {
            method: self.method.to_raw(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }

    /// Sends the request. A status of 400 or more is an
    /// [`Error::Status`] carrying Canvas's error messages; any other status
    /// (3xx included: the host never follows redirects) is `Ok`.
    pub fn send(self) -> Result<Response> {
        self.send_any()?.error_for_status()
    }

    /// Sends the request and returns whatever status Canvas answered with;
    /// only the host's refusals and transport failures are errors.
    pub fn send_any(self) -> Result<Response> {
        self.send_via(crate::transport::send)
    }

    pub(crate) fn send_via(self, transport: Transport) -> Result<Response> {
        let response = transport(&self.to_raw()).map_err(Error::from)?;
        Ok(Response::new(self.method, self.path, response))
    }
}

impl From<raw::Error> for Error {
    fn from(e: raw::Error) -> Error {
        match e {
            raw::Error::Denied(m) => Error::Denied(m),
            raw::Error::Invalid(m) => Error::Invalid(m),
            raw::Error::Throttled(m) => Error::Throttled(m),
            raw::Error::BudgetExhausted(m) => Error::BudgetExhausted(m),
            raw::Error::Unavailable(m) => Error::Unavailable(m),
            raw::Error::InsufficientScope(m) => Error::InsufficientScope(m),
        }
    }
}

/// Every item of a paginated Canvas list, fetched page by page: see
/// [`paginate`].
#[must_use = "pages are fetched only when iterated"]
pub struct Pages<T> {
    first: Option<Request>,
    headers: Vec<(String, String)>,
    next: Option<String>,
    items: std::vec::IntoIter<T>,
    pages: usize,
    done: bool,
    transport: Transport,
}

/// Iterates over every item of a paginated list endpoint.
///
/// The first request is `GET path` with the queries given to the builder;
/// each following page is the `Link: rel="next"` URL of the previous
/// response, sent as given (it is an opaque absolute URL, possibly a
/// bookmark such as `page=bookmark:WzEsMl0`) with the builder's headers and
/// no added query. Iteration stops after a page without a `next` link. Each
/// page must be a JSON array of `T`. An error is yielded once, and then the
/// iterator ends: `collect::<Result<Vec<_>>>()` gives all items or the first
/// error.
///
/// ```no_run
/// # fn main() -> warden_sdk::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Course { id: u64, name: String }
/// for course in warden_sdk::canvas::paginate::<Course>("/api/v1/accounts/1/courses").per_page(100) {
///     let course = course?;
///     println!("{} {}", course.id, course.name);
/// }
/// # Ok(()) }
/// ```
pub fn paginate<T: DeserializeOwned>(path: impl Into<String>) -> Pages<T> {
    Pages::new(get(path))
}

impl<T: DeserializeOwned> Pages<T> {
    /// The items of the list that `first` (a `GET`) fetches the first page
    /// of; [`paginate`] for a path, and the typed helpers such as
    /// [`courses::list`] for a [`Request`] of their own.
    pub fn new(first: Request) -> Pages<T> {
        Pages::with_transport(first, crate::transport::send)
    }

    pub(crate) fn with_transport(first: Request, transport: Transport) -> Pages<T> {
        Pages {
            first: Some(first),
            headers: Vec::new(),
            next: None,
            items: Vec::new().into_iter(),
            pages: 0,
            done: false,
            transport,
        }
    }

    fn map_first(mut self, f: impl FnOnce(Request) -> Request) -> Pages<T> {
        self.first = self.first.take().map(f);
        self
    }

    /// Adds a query parameter to the first request (following pages carry
    /// Canvas's own query in their `next` URL). No effect once iteration
    /// has begun.
    pub fn query(self, key: impl Into<String>, value: impl ToString) -> Pages<T> {
        self.map_first(|r| r.query(key, value))
    }

    /// Asks for `n` items a page (`per_page=n`; Canvas caps it, often at 100).
    pub fn per_page(self, n: u32) -> Pages<T> {
        self.query("per_page", n)
    }

    /// Asks Canvas to include more data in each item: `include[]=what`
    /// (`term`, `total_students`, `user`, ...). May be repeated.
    pub fn include(self, what: &str) -> Pages<T> {
        self.query("include[]", what)
    }

    /// The first page's request as it will be sent, or `None` once
    /// iteration has begun.
    pub fn first_request(&self) -> Option<&Request> {
        self.first.as_ref()
    }

    /// Adds a header to every page's request.
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Pages<T> {
        self.map_first(|r| r.header(name, value))
    }

    /// How many pages have been fetched so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages
    }

    fn fetch(&mut self) -> Option<Result<Vec<T>>> {
        let request = if let Some(first) = self.first.take() {
            self.headers = first.headers.clone();
            first
        } else {
            let url = self.next.take()?;
            let mut request = get(url);
            request.headers = self.headers.clone();
            request
        };
        let page = request.send_via(self.transport).and_then(|response| {
            response.error_for_status().and_then(|response| {
                let next = response.links().next;
                response.json::<Vec<T>>().map(|items| (items, next))
            })
        });
        self.pages += 1;
        Some(page.map(|(items, next)| {
            self.next = next;
            items
        }))
    }
}

impl<T: DeserializeOwned> Iterator for Pages<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(item) = self.items.next() {
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            match self.fetch() {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Ok(items)) => self.items = items.into_iter(),
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<T: DeserializeOwned> std::iter::FusedIterator for Pages<T> {}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("first", &self.first)
            .field("next", &self.next)
            .field("pages", &self.pages)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Percent-encodes `s` for use as one path segment, e.g. an id taken from
/// the environment: `format!("/api/v1/courses/{}", encode_segment(id))`.
/// Letters, digits, `-._~` and `:` and `@` (as in `sis_course_id:A1`) are
/// kept; everything else, `/`, `?`, `#` and `%` included, is encoded.
pub fn encode_segment(s: &str) -> String {
    encode(
        s,
        |b| b.is_ascii_alphanumeric() || b"-._~:@".contains(&b),
        false,
    )
}

/// Encodes `pairs` as `application/x-www-form-urlencoded` text.
pub fn form_urlencode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode(k.as_ref(), keep, true),
                encode(v.as_ref(), keep, true)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn encode(s: &str, keep: impl Fn(u8) -> bool, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else if b == b' ' && space_as_plus {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Item {
        id: u32,
    }

    type Reply = std::result::Result<raw::HttpResponse, raw::Error>;

    thread_local! {
        static REPLIES: RefCell<VecDeque<Reply>> = const { RefCell::new(VecDeque::new()) };
        static SENT: RefCell<Vec<raw::HttpRequest>> = const { RefCell::new(Vec::new()) };
    }

    fn fake(req: &raw::HttpRequest) -> Reply {
        SENT.with(|s| s.borrow_mut().push(req.clone()));
        REPLIES
            .with(|r| r.borrow_mut().pop_front())
            .expect("no reply left")
    }

    fn reply(status: u16, link: Option<&str>, body: &str) -> Reply {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        if let Some(link) = link {
            headers.push(("Link".to_string(), link.to_string()));
        }
        Ok(raw::HttpResponse {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        })
    }

    fn script(replies: Vec<Reply>) {
        REPLIES.with(|r| *r.borrow_mut() = replies.into());
        SENT.with(|s| s.borrow_mut().clear());
    }

    fn sent() -> Vec<raw::HttpRequest> {
        SENT.with(|s| s.borrow().clone())
    }

    #[test]
    fn builder_produces_the_raw_request() {
        let r = put("/api/v1/courses/3")
            .query("include[]", "term")
            .query("include[]", "teachers")
            .query("per_page", 100)
            .header("content-type", "text/plain")
            .header("accept", "application/json")
            .json(&serde_json::json!({"course": {"default_view": "modules"}}))
            .unwrap();
        let raw = r.to_raw();
        assert_eq!(raw.method, raw::Method::Put);
        assert_eq!(raw.path, "/api/v1/courses/3");
        assert_eq!(
            raw.query,
            [
                ("include[]", "term"),
                ("include[]", "teachers"),
                ("per_page", "100")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(
            raw.headers,
            [
                ("accept", "application/json"),
                ("content-type", "application/json")
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(
            raw.body.as_deref(),
            Some(&br#"{"course":{"default_view":"modules"}}"#[..])
        );
        assert_eq!(get("/x").to_raw().body, None);
        assert_eq!(head("/x").method(), Method::Head);
        assert_eq!(delete("/x").method().to_string(), "DELETE");
        assert_eq!(patch("/x").method().as_str(), "PATCH");
        assert_eq!(post("/x").body("abc").body_bytes(), Some(&b"abc"[..]));
    }

    #[test]
    fn methods_parse_and_convert() {
        for m in ["GET", "head", " Post ", "put", "PATCH", "delete"] {
            let method: Method = m.parse().unwrap();
            assert!(method.as_str().eq_ignore_ascii_case(m.trim()));
            assert_eq!(Method::from_raw(method.to_raw()), method);
        }
        let e = "FETCH".parse::<Method>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown HTTP method \"FETCH\": expected GET, HEAD, POST, PUT, PATCH or DELETE"
        );
        assert!(!Method::Get.is_write() && !Method::Head.is_write());
        assert!(Method::Post.is_write() && Method::Put.is_write());
        assert!(Method::Patch.is_write() && Method::Delete.is_write());
    }

    #[test]
    fn json_serialisation_error_names_the_request() {
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1);
        let e = post("/api/v1/x").json(&map).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("POST /api/v1/x: cannot encode the request body as JSON"),
            "{e}"
        );
    }

    #[test]
    fn form_bodies() {
        let r = post("/api/v1/courses/1/discussion_topics")
            .form(&[("topic[title]", "Hello world & more"), ("ü", "a+b=c/d")]);
        assert_eq!(
            r.body_bytes(),
            Some(&b"topic%5Btitle%5D=Hello+world+%26+more&%C3%BC=a%2Bb%3Dc%2Fd"[..])
        );
        assert_eq!(
            r.headers(),
            [(
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string()
            )]
        );
        assert_eq!(form_urlencode::<&str, &str>(&[]), "");
    }

    #[test]
    fn path_segments() {
        assert_eq!(encode_segment("42"), "42");
        assert_eq!(
            encode_segment("sis_course_id:A-1_b.c~"),
            "sis_course_id:A-1_b.c~"
        );
        assert_eq!(encode_segment("a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(encode_segment(".."), "..");
        assert_eq!(encode_segment("é"), "%C3%A9");
    }

    #[test]
    fn send_maps_statuses_and_host_errors() {
        script(vec![
            reply(
                404,
                None,
                r#"{"errors":[{"message":"The specified resource does not exist."}]}"#,
            ),
            reply(302, None, ""),
            reply(404, None, "{}"),
            Err(raw::Error::Denied(
                "no scope allows GET /api/v1/users".into(),
            )),
        ]);
        let e = get("/api/v1/courses/9")
            .send_via(fake)
            .and_then(Response::error_for_status)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "GET /api/v1/courses/9: 404 Not Found: The specified resource does not exist."
        );
        let r = get("/a")
            .send_via(fake)
            .and_then(Response::error_for_status)
            .unwrap();
        assert_eq!(r.status(), 302);
        let r = get("/a").send_via(fake).unwrap();
        assert_eq!(r.status(), 404);
        let e = get("/api/v1/users").send_via(fake).unwrap_err();
        assert!(e.is_denied());
        assert_eq!(
            e.to_string(),
            "denied by the manifest: no scope allows GET /api/v1/users"
        );
    }

    #[test]
    fn pagination_follows_next_links_verbatim() {
        let next1 =
            "https://canvas.example/api/v1/accounts/1/courses?page=bookmark:WzEsMl0&per_page=2";
        let next2 =
            "https://canvas.example/api/v1/accounts/1/courses?page=bookmark:WzMsNF0,&per_page=2";
        script(vec![
            reply(
                200,
                Some(&format!(
                    "<{next1}>; rel=\"next\", <https://canvas.example/x>; rel=\"current\""
                )),
                r#"[{"id":1},{"id":2}]"#,
            ),
            reply(200, Some(&format!("<{next2}>; rel=\"next\"")), "[]"),
            reply(
                200,
                Some("<https://canvas.example/first>; rel=\"first\""),
                r#"while(1);[{"id":3}]"#,
            ),
        ]);
        let pages = Pages::<Item>::with_transport(get("/api/v1/accounts/1/courses"), fake)
            .query("published", false)
            .per_page(2)
            .header("accept", "application/json");
        let items: Vec<u32> = pages.map(|i| i.unwrap().id).collect();
        assert_eq!(items, [1, 2, 3]);
        let sent = sent();
        assert_eq!(sent.len(), 3);
        assert_eq!(sent[0].path, "/api/v1/accounts/1/courses");
        assert_eq!(sent[0].query.len(), 2);
        assert_eq!(
            sent[0].query[0],
            ("published".to_string(), "false".to_string())
        );
        assert_eq!(sent[0].query[1], ("per_page".to_string(), "2".to_string()));
        assert_eq!(sent[1].path, next1);
        assert_eq!(sent[2].path, next2);
        for s in &sent {
            assert_eq!(s.method, raw::Method::Get);
            assert_eq!(
                s.headers,
                [("accept".to_string(), "application/json".to_string())]
            );
        }
        assert!(sent[1].query.is_empty() && sent[2].query.is_empty());
    }

    #[test]
    fn pagination_yields_an_error_once_then_ends() {
        script(vec![
            reply(200, Some("</p2>; rel=\"next\""), r#"[{"id":1}]"#),
            reply(
                401,
                None,
                r#"{"errors":[{"message":"Invalid access token."}]}"#,
            ),
        ]);
        let mut pages = Pages::<Item>::with_transport(get("/l"), fake);
        assert_eq!(pages.next().unwrap().unwrap(), Item { id: 1 });
        let e = pages.next().unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            "GET /p2: 401 Unauthorized: Invalid access token."
        );
        assert!(pages.next().is_none());
        assert!(pages.next().is_none());
        assert_eq!(pages.pages_fetched(), 2);

        script(vec![Err(raw::Error::BudgetExhausted(
            "100 requests".into(),
        ))]);
        let all: Result<Vec<Item>> = Pages::with_transport(get("/l"), fake).collect();
        assert!(matches!(all, Err(Error::BudgetExhausted(_))));
    }

    #[test]
    fn pagination_rejects_a_page_that_is_not_an_array() {
        script(vec![reply(200, Some("</p2>; rel=\"next\""), r#"{"id":1}"#)]);
        let mut pages = Pages::<Item>::with_transport(get("/l"), fake);
        let e = pages.next().unwrap().unwrap_err();
        assert!(
            matches!(
                e,
                Error::Json {
                    stage: JsonStage::Response,
                    ..
                }
            ),
            "{e:#?}"
        );
        assert!(
            e.to_string()
                .starts_with("GET /l: unexpected JSON in the response"),
            "{e}"
        );
        assert!(pages.next().is_none());
        assert_eq!(sent().len(), 1);
    }

    #[test]
    fn pagination_of_an_empty_list() {
        script(vec![reply(200, None, "[]")]);
        assert_eq!(Pages::<Item>::with_transport(get("/l"), fake).count(), 0);
    }
}
