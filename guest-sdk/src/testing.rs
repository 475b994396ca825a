//! Test a job's logic with `cargo test` on the host, without Warden
//! (feature `test-support`, off by default).
//!
//! A [`FakeCanvas`] holds canned answers. While it is installed
//! ([`FakeCanvas::install`]) every request of the SDK on the *current
//! thread* — [`Request::send`](crate::Request::send), [`crate::canvas::paginate`],
//! the typed helpers — goes to it instead of the WIT import, and is
//! recorded; [`crate::env`] reads the fake's variables
//! ([`FakeCanvas::env`]) instead of the process environment.
//!
//! The hook is thread-local, so `cargo test`'s parallel tests each see only
//! their own fake, and setting variables needs no `std::env::set_var`. (A
//! job that sent requests from threads of its own would need a fake
//! installed on each; Warden jobs are single-threaded.) On a thread with no
//! fake installed, a request on the host fails with an
//! [`Error::Invalid`] saying so; in a `wasm32` build
//! the WIT import is used as without the feature. Without the feature none
//! of this is compiled.
//!
//! In the job's `Cargo.toml`, so that only the tests get it:
//!
//! ```toml
//! [dev-dependencies]
//! warden-sdk = { workspace = true, features = ["test-support"] }
//! ```
//!
//! ```
//! use serde_json::json;
//! use warden_sdk::canvas::courses::{self, CourseUpdate};
//! use warden_sdk::testing::FakeCanvas;
//! use warden_sdk::Method;
//!
//! // The job's logic, as it would be in src/main.rs.
//! fn set_view() -> warden_sdk::Result<String> {
//!     let id: warden_sdk::CourseId = warden_sdk::env("COURSE_ID")?.parse()?;
//!     let course = courses::get(&id).send()?;
//!     if course.default_view.as_deref() == Some("modules") {
//!         return Ok("unchanged".into());
//!     }
//!     courses::update(&id, &CourseUpdate::new().default_view("modules")).send()?;
//!     Ok("changed".into())
//! }
//!
//! let fake = FakeCanvas::new()
//!     .env("COURSE_ID", "3")
//!     .respond(Method::Get, "/api/v1/courses/3", 200, json!({"id": 3, "default_view": "feed"}))
//!     .respond(Method::Put, "/api/v1/courses/3", 200, json!({"id": 3, "default_view": "modules"}));
//! let _installed = fake.install();
//!
//! assert_eq!(set_view()?, "changed");
//! let sent = fake.requests();
//! assert_eq!(sent.len(), 2);
//! assert_eq!(sent[1].method, Method::Put);
//! assert_eq!(sent[1].body_json(), Some(json!({"course": {"default_view": "modules"}})));
//! # Ok::<(), warden_sdk::Error>(())
//! ```
//!
//! # Matching
//!
//! A request is answered by a canned answer with the same method and path.
//! Paths are compared without the origin (`https://canvas.test/api/v1/x`
//! matches `/api/v1/x`) and without the query; a canned path may carry a
//! query (`/api/v1/accounts/1/courses?published=false`), and then answers
//! only requests that have those parameters (among others). When several
//! match, the one with the most query parameters wins, then the first
//! added. Several answers for the same method and path are used in the
//! order they were added, and the last one keeps answering.
//!
//! # Fixture files
//!
//! [`FakeCanvas::from_dir`] reads `responses.json` in a folder: a JSON array
//! of canned answers, each
//!
//! ```json
//! {"method": "GET", "path": "/api/v1/courses/1", "status": 200,
//!  "headers": [["link", "<https://canvas.test/api/v1/courses/1?page=2>; rel=\"next\""]],
//!  "body": {"id": 1, "name": "Biology"}}
//! ```
//!
//! `status` (default 200), `headers` (default none) and `body` (any JSON,
//! sent as JSON; default an empty body) are optional; instead of `body`,
//! `text` gives a body sent as is (`"text": "<html>..."`). Any other key is
//! an error, to catch typos. A `body` gets
//! `content-type: application/json; charset=utf-8` and a `text`
//! `text/plain; charset=utf-8`, unless `headers` has a content type.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::Path;
use std::rc::Rc;

use serde::Deserialize;
use serde_json::Value;

use crate::canvas::{form_urlencode, Method};
use crate::error::{Error, Result};
use crate::raw;

/// The origin of the absolute URLs in the fake's `Link` headers.
pub const ORIGIN: &str = "https://canvas.test";

type Answer = std::result::Result<raw::HttpResponse, raw::Error>;

thread_local! {
    static INSTALLED: RefCell<Option<Rc<RefCell<State>>>> = const { RefCell::new(None) };
}

/// The fake's answer to `req`, when a fake is installed on this thread (or,
/// on the host, the error saying none is); `None` sends it to Warden.
pub(crate) fn intercept(req: &raw::HttpRequest) -> Option<Answer> {
    match INSTALLED.with(|i| i.borrow().clone()) {
        Some(state) => Some(state.borrow_mut().answer(req)),
        None if cfg!(target_arch = "wasm32") => None,
        None => Some(Err(raw::Error::Invalid(format!(
            "{} {}: no FakeCanvas is installed on this thread (outside Warden, \
             requests go to warden_sdk::testing::FakeCanvas::install)",
            Method::from_raw(req.method),
            req.path
        )))),
    }
}

/// The value of `key` for [`crate::env_opt`]: `Some(..)` (set or not) while
/// a fake is installed on this thread, `None` to read the process
/// environment.
pub(crate) fn env_override(key: &str) -> Option<Option<String>> {
    INSTALLED.with(|i| {
        i.borrow()
            .as_ref()
            .map(|state| state.borrow().env.get(key).cloned())
    })
}

/// A stand-in for Canvas and the Warden host in a job's unit tests: canned
/// answers, the job's `[env]` variables, and a record of every request. See
/// the [module documentation](self).
///
/// The builder methods take and return the fake by value; [`install`],
/// [`requests`] and the rest take `&self` and share its state, so answers
/// and variables added after installing are seen too.
///
/// [`install`]: FakeCanvas::install
/// [`requests`]: FakeCanvas::requests
#[derive(Clone, Default)]
pub struct FakeCanvas {
    state: Rc<RefCell<State>>,
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    sent: Vec<SentRequest>,
    env: BTreeMap<String, String>,
    dry_run: bool,
}

struct Route {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    answers: VecDeque<Answer>,
    used: usize,
}

impl FakeCanvas {
    /// A fake with no answers and no variables.
    pub fn new() -> FakeCanvas {
        FakeCanvas::default()
    }

    /// Answers `method path` with `status` and `body` as JSON.
    pub fn respond(self, method: Method, path: &str, status: u16, body: Value) -> FakeCanvas {
        self.reply(method, path, Reply::json(status, &body))
    }

    /// Answers `method path` with `reply` (any status, headers and body).
    pub fn reply(self, method: Method, path: &str, reply: Reply) -> FakeCanvas {
        self.add(method, path, Ok(reply.into_raw()))
    }

    /// Makes the host refuse `method path` with `error`, as Warden does for
    /// a request no scope allows (`raw::Error::Denied`), a spent budget
    /// (`raw::Error::BudgetExhausted`), ...
    pub fn refuse(self, method: Method, path: &str, error: raw::Error) -> FakeCanvas {
        self.add(method, path, Err(error))
    }

    /// Serves `pages` (each a JSON array) as one paginated list at
    /// `GET path`: page 1 answers `path`, page *n* answers
    /// `{ORIGIN}{path}?page=n`, and each page but the last has a
    /// `Link: <...page=n+1>; rel="next"` header, as Canvas does.
    pub fn respond_pages(self, path: &str, pages: impl IntoIterator<Item = Value>) -> FakeCanvas {
        let pages: Vec<Value> = pages.into_iter().collect();
        let (route, query) = split_target(path);
        let url = |n: usize| {
            let mut pairs = query.clone();
            pairs.push(("page".to_string(), n.to_string()));
            format!("{ORIGIN}{route}?{}", form_urlencode(&pairs))
        };
        let mut fake = self;
        for (i, page) in pages.iter().enumerate() {
            let n = i + 1;
            let mut links = vec![
                format!("<{}>; rel=\"current\"", url(n)),
                format!("<{}>; rel=\"first\"", url(1)),
            ];
            if n < pages.len() {
                links.push(format!("<{}>; rel=\"next\"", url(n + 1)));
            }
            let reply = Reply::json(200, page).header("link", links.join(","));
            let target = if n == 1 { path.to_string() } else { url(n) };
            fake = fake.reply(Method::Get, &target, reply);
        }
        fake
    }

    /// Sets the job's variable `key` (as the manifest's `[env]` would).
    /// While the fake is installed, [`crate::env`] and [`crate::env_opt`]
    /// read only the fake's variables, not the process environment, as in
    /// Warden's sandbox.
    pub fn env(self, key: impl Into<String>, value: impl Into<String>) -> FakeCanvas {
        self.state.borrow_mut().env.insert(key.into(), value.into());
        self
    }

    /// Makes the run a dry run, as `warden run --dry-run` does: sets
    /// `WARDEN_DRY_RUN=1` ([`crate::is_dry_run`]) and answers every write
    /// (POST, PUT, PATCH, DELETE) as the host does, with status 200, the
    /// header `x-warden-dry-run: 1` and
    /// `{"warden_dry_run":true,"method":..,"path":..,"body_bytes":..}`,
    /// whatever answers were added for it. Reads are answered as usual.
    pub fn dry_run(self, on: bool) -> FakeCanvas {
        {
            let mut state = self.state.borrow_mut();
            state.dry_run = on;
            if on {
                state.env.insert("WARDEN_DRY_RUN".into(), "1".into());
            } else {
                state.env.remove("WARDEN_DRY_RUN");
            }
        }
        self
    }

    /// A fake with the answers of `dir/responses.json` (see the
    /// [module documentation](self#fixture-files) for the format). Relative
    /// paths are relative to the current directory, which `cargo test` sets
    /// to the package's folder: `FakeCanvas::from_dir("tests/fixtures/report")`.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<FakeCanvas> {
        let file = dir.as_ref().join("responses.json");
        let shown = file.display();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::other(format!("cannot read {shown}: {e}")))?;
        let entries: Vec<Canned> = serde_json::from_str(&text).map_err(|e| {
            Error::other(format!(
                "{shown}: not a JSON array of canned responses: {e}"
            ))
        })?;
        let mut fake = FakeCanvas::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let method: Method = entry
                .method
                .parse()
                .map_err(|e| Error::other(format!("{shown}: entry {i}: {e}")))?;
            let mut reply = match (&entry.body, entry.text) {
                (Some(_), Some(_)) => {
                    return Err(Error::other(format!(
                        "{shown}: entry {i}: has both body and text; give one"
                    )))
                }
                (Some(body), None) => Reply::json(entry.status, body),
                (None, Some(text)) => Reply::text(entry.status, text),
                (None, None) => Reply::new(entry.status),
            };
            if entry
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                reply.headers.clear();
            }
            for (name, value) in entry.headers {
                reply = reply.header(name, value);
            }
            fake = fake.reply(method, &entry.path, reply);
        }
        Ok(fake)
    }

    /// Installs the fake on the current thread until the returned guard is
    /// dropped; then the fake installed before it (if any) is back.
    pub fn install(&self) -> Installed {
        let previous = INSTALLED.with(|i| i.borrow_mut().replace(self.state.clone()));
        Installed { previous }
    }

    /// Every request the job sent, in order, answered or not.
    pub fn requests(&self) -> Vec<SentRequest> {
        self.state.borrow().sent.clone()
    }

    /// The requests that change something (POST, PUT, PATCH, DELETE).
    pub fn writes(&self) -> Vec<SentRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.method.is_write())
            .collect()
    }

    /// The canned answers no request has used yet, as `METHOD path`.
    pub fn unused(&self) -> Vec<String> {
        self.state
            .borrow()
            .routes
            .iter()
            .filter(|r| r.used == 0)
            .map(Route::describe)
            .collect()
    }

    fn add(self, method: Method, path: &str, answer: Answer) -> FakeCanvas {
        let (path, query) = split_target(path);
        {
            let mut state = self.state.borrow_mut();
            match state
                .routes
                .iter_mut()
                .find(|r| r.method == method && r.path == path && r.query == query)
            {
                Some(route) => route.answers.push_back(answer),
                None => state.routes.push(Route {
                    method,
                    path,
                    query,
                    answers: VecDeque::from([answer]),
                    used: 0,
                }),
            }
        }
        self
    }
}

impl fmt::Debug for FakeCanvas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("FakeCanvas")
            .field(
                "routes",
                &state.routes.iter().map(Route::describe).collect::<Vec<_>>(),
            )
            .field("sent", &state.sent.len())
            .field("env", &state.env)
            .field("dry_run", &state.dry_run)
            .finish()
    }
}

impl Route {
    fn describe(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!(
                "{} {}?{}",
                self.method,
                self.path,
                form_urlencode(&self.query)
            )
        }
    }
}

impl State {
    fn answer(&mut self, req: &raw::HttpRequest) -> Answer {
        let method = Method::from_raw(req.method);
        self.sent.push(SentRequest {
            method,
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req.headers.clone(),
            body: req.body.clone(),
        });
        let (path, mut query) = split_target(&req.path);
        query.extend(req.query.iter().cloned());
        if self.dry_run && method.is_write() {
            return Ok(dry_run_answer(method, req));
        }
        let best = self
            .routes
            .iter_mut()
            .filter(|r| {
                r.method == method && r.path == path && r.query.iter().all(|q| query.contains(q))
            })
            .fold(None::<&mut Route>, |best, r| match best {
                Some(b) if b.query.len() >= r.query.len() => Some(b),
                _ => Some(r),
            });
        match best {
            Some(route) => {
                let index = route.used.min(route.answers.len().saturating_sub(1));
                route.used += 1;
                match route.answers.get(index) {
                    Some(answer) => answer.clone(),
                    None => Err(no_answer(method, &path, &query)),
                }
            }
            None => Err(no_answer(method, &path, &query)),
        }
    }
}

fn no_answer(method: Method, path: &str, query: &[(String, String)]) -> raw::Error {
    let query = if query.is_empty() {
        String::new()
    } else {
        format!(" (query {})", form_urlencode(query))
    };
    raw::Error::Invalid(format!(
        "FakeCanvas has no canned answer for {method} {path}{query}: add one with \
         FakeCanvas::respond or in responses.json"
    ))
}

fn dry_run_answer(method: Method, req: &raw::HttpRequest) -> raw::HttpResponse {
    let mut target = req.path.clone();
    if !req.query.is_empty() {
        target.push(if target.contains('?') { '&' } else { '?' });
        target.push_str(&form_urlencode(&req.query));
    }
    let body = serde_json::json!({
        "warden_dry_run": true,
        "method": method.as_str(),
        "path": target,
        "body_bytes": req.body.as_ref().map_or(0, Vec::len),
    });
    Reply::json(200, &body)
        .header("x-warden-dry-run", "1")
        .into_raw()
}

/// Splits a path or absolute URL into the path without the origin and the
/// decoded pairs of its query.
fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let without_origin = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    };
    let without_fragment = without_origin.split('#').next().unwrap_or("");
    let (path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_string(), pairs)
}

/// Decodes `%XX` escapes and `+` (a space) of a query component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                match s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The guard of an installed [`FakeCanvas`]: dropping it uninstalls the
/// fake (and reinstalls the one it replaced). Not `Send`: the fake belongs
/// to the thread it was installed on.
#[must_use = "the fake is uninstalled as soon as the guard is dropped"]
pub struct Installed {
    previous: Option<Rc<RefCell<State>>>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        INSTALLED.with(|i| *i.borrow_mut() = previous);
    }
}

impl fmt::Debug for Installed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installed")
            .field("replaced_another", &self.previous.is_some())
            .finish()
    }
}

/// One canned answer: a status, headers and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// `status` with no headers and an empty body.
    pub fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `status` with `body` as JSON and
    /// `content-type: application/json; charset=utf-8`.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply::new(status)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
    }

    /// `status` with `body` as plain text.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::new(status)
            .header("content-type", "text/plain; charset=utf-8")
            .body(body.into())
    }

    /// Adds a header (`link`, `x-request-cost`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    fn into_raw(self) -> raw::HttpResponse {
        raw::HttpResponse {
            status: self.status,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// A request the job sent, as the host would have received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    /// The method.
    pub method: Method,
    /// The path as sent: `/api/v1/...`, or the absolute URL of a `Link`
    /// header for the following pages of a list.
    pub path: String,
    /// The query parameters the job added, in order (not those already in
    /// an absolute URL's query).
    pub query: Vec<(String, String)>,
    /// The headers the job added.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl SentRequest {
    /// The first value of the query parameter `key`.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; `None` without a body or when it is not JSON.
    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(self.body.as_deref()?).ok()
    }

    /// The body as text (invalid UTF-8 replaced); `None` without a body.
    pub fn body_text(&self) -> Option<String> {
        self.body
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

impl fmt::Display for SentRequest {
    /// `METHOD path`, with the query if any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if !self.query.is_empty() {
            write!(f, "?{}", form_urlencode(&self.query))?;
        }
        Ok(())
    }
}

/// One entry of `responses.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Canned {
    method: String,
    path: String,
    #[serde(default = "ok")]
    status: u16,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    text: Option<String>,
}

fn ok() -> u16 {
    200
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_split_and_decoded() {
        assert_eq!(split_target("/api/v1/x"), ("/api/v1/x".into(), vec![]));
        assert_eq!(
            split_target("https://canvas.test/api/v1/x?page=2&include%5B%5D=a+b&flag"),
            (
                "/api/v1/x".into(),
                vec![
                    ("page".into(), "2".into()),
                    ("include[]".into(), "a b".into()),
                    ("flag".into(), "".into())
                ]
            )
        );
        assert_eq!(split_target("http://h"), ("/".into(), vec![]));
        assert_eq!(
            split_target("/a?b=1#frag").1,
            vec![("b".into(), "1".into())]
        );
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%41"), "%zzA");
        assert_eq!(decode("%C3%A9"), "é");
        assert_eq!(decode("a%2"), "a%2");
    }
}
