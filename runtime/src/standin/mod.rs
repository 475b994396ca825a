//! A stand-in for the Canvas LMS REST API: an HTTP server on 127.0.0.1 with seeded
//! data that answers like Canvas wherever a job could tell the difference.
//!
//! One implementation serves the integration tests (which assert on what really
//! reached it, through [`StandIn::requests`]) and `warden demo` (which runs the example
//! jobs against [`Seed::demo`]). Fixtures written by hand load with
//! [`Seed::from_json`].
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use warden::standin::{Seed, StandIn};
//! let canvas = StandIn::start("secret-token", Seed::demo()).await?;
//! let url = format!("{}/api/v1/courses/1", canvas.base_url());
//! // ... point the host at canvas.base_url() with the same token ...
//! assert!(canvas.requests().iter().all(|r| r.path().starts_with("/api/")));
//! canvas.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Behaviour in short: every request is recorded (before anything else), charged
//! against a leaky bucket (`X-Rate-Limit-Remaining`, `X-Request-Cost` on every
//! response; in throttling mode, [`StandIn::set_throttle`], refused with 403 or 429
//! when it does not fit), matched against test overrides, checked for
//! `Authorization: Bearer <token>`, then routed on the raw path.
//!
//! Besides the one fixed token, it accepts the access tokens of its own OAuth2
//! provider (`/login/oauth2/auth`, `/login/oauth2/token`; see
//! [`StandIn::add_developer_key`]): they expire after an hour on a clock tests
//! can jump, and a scoped key's tokens get Canvas's 401 "Insufficient scopes on
//! access token." outside their scopes, and lose `include[]` unless the key
//! allows include parameters.
//!
//! Endpoints (under `/api/v1`; ids may be digits, `self` for accounts and users,
//! `sis_course_id:X`, `sis_account_id:X`, `sis_user_id:X`, `sis_login_id:X`,
//! `sis_section_id:X`, `sis_assignment_id:X`; an optional `.json` suffix; HEAD on
//! every GET route; every list paginated with `page`, `per_page` (10 by default, at
//! most 100) and a `Link` header, unless it says otherwise). The answers are an
//! admin's (the worker is a root admin). A modelled route with an id that does not
//! exist gets Canvas's 404 (`The specified resource does not exist.`); any other
//! method or path gets a 404 that says the stand-in has no such route, with the
//! header [`STANDIN_HEADER`] `no-route`:
//!
//! | method | path | notes |
//! | --- | --- | --- |
//! | GET | `/accounts` | the root accounts (the worker is a root admin) |
//! | GET | `/accounts/:id` | |
//! | GET | `/accounts/:id/sub_accounts` | direct children; `recursive=true` for all |
//! | GET | `/accounts/:id/courses` | account + sub-accounts; `published`, `state[]`, `search_term`, `enrollment_term_id`, `sort`, `order`, `include[]=term,total_students` |
//! | GET | `/accounts/:id/users` | `search_term`, `sort`, `order`, `include[]=email` |
//! | GET | `/courses/:id` | 404 when deleted; `include[]=term,total_students,syllabus_body,public_description` |
//! | PUT | `/courses/:id` | `course[…]`: `name`, `course_code`, `start_at`, `end_at` (end before start is refused), `license` (unknown → `private`), `is_public`, `is_public_to_auth_users`, `public_syllabus`, `public_syllabus_to_auth`, `public_description`, `allow_student_wiki_edits`, `allow_wiki_comments`, `allow_student_forum_attachments`, `open_enrollment`, `self_enrollment`, `restrict_enrollments_to_course_dates`, `term_id` / `enrollment_term_id` (id or `sis_term_id:X`; unknown → 404, blank → default term), `sis_course_id`, `integration_id` (taken → 400), `hide_final_grades`, `apply_assignment_group_weights`, `time_zone` (IANA; unknown → the account's), `default_view` (checked), `syllabus_body`, `grading_standard_id`, `course_format` (`on_campus`, `online`, `blended`; else none), `event` (`offer`, `claim`, `conclude`, `delete`, `undelete`, which alone reaches a deleted course); `offer` |
//! | DELETE | `/courses/:id` | `event=delete` or `event=conclude` |
//! | GET | `/courses/:id/users` | `enrollment_type[]`, `enrollment_state[]` (default active and invited), `search_term`, `include[]=email,enrollments` |
//! | GET | `/courses/:id/enrollments` | `type[]`, `role[]`, `role_id[]`, `state[]` (default: all but rejected, completed, deleted; with `user_id`: active and invited), `user_id`, `include[]=email,avatar_url`; by type, sortable name, id; each with its `user`, students with `grades` |
//! | GET | `/sections/:id/enrollments` | as above, one section |
//! | GET | `/users/:id/enrollments` | `type[]`, `role[]`, `state[]` (default active and invited; for `self` checked, with `current_and_invited`, `current_and_future`, `current_and_concluded`) |
//! | GET | `/courses/:id/sections` | by name; `search_term`, `all` (no pagination), `include[]=students,total_students,enrollments,avatar_url,email` |
//! | GET | `/courses/:course_id/sections/:id` | the course's sections only; `include[]` as above |
//! | GET | `/sections/:id` | `include[]` as above |
//! | GET | `/courses/:id/assignments` | not deleted, by position; `search_term`, `order_by=position,name,due_at`, `bucket=past,overdue,undated,ungraded,unsubmitted,upcoming,future` (as for an admin who is no student), `assignment_ids[]` (at most 100; unknown ones → 400) |
//! | GET | `/courses/:course_id/assignments/:id` | 404 when deleted |
//! | GET | `/courses/:course_id/assignments/:id/submissions` | the students taking part (not completed, inactive, rejected or deleted), by user id; `include[]=user,assignment,course,submission_comments,submission_history` |
//! | GET | `/courses/:course_id/assignments/:id/submissions/:user_id` | a student of the course (else 404); a blank one (no id) when none is stored; `include[]` as above |
//! | GET | `/courses/:id/students/submissions` | published assignments; `student_ids[]` (ids, SIS ids, or `all`; none means the worker, who is no student: 401, as from Canvas; at most 100), `assignment_ids[]` (unknown or unpublished → 403), `workflow_state`, `enrollment_state=active,concluded`, `submitted_since`, `graded_since`, `order=id,graded_at`, `order_direction`, `grouped` (a page of students, each with `section_id` and `submissions`), `include[]` as above |
//! | GET | `/sections/:id/students/submissions` | as above, one section's students |
//! | GET | `/users/:id` | |
//! | GET | `/users/:id/profile` | |
//!
//! Submissions' `late` and `missing` follow the due dates and the stand-in's clock
//! (real time plus [`StandIn::advance_clock`]), unless the seed says.
//!
//! And Canvas's OAuth2 provider, outside `/api/v1`, without a bearer token
//! (see [`DeveloperKey`]):
//!
//! | method | path | notes |
//! | --- | --- | --- |
//! | GET | `/login/oauth2/auth` | approves at once as the worker user: 302 to `redirect_uri?code=…&state=…`, or to its own out-of-band page; Canvas's errors (`invalid_client`, `invalid_request`, `invalid_scope`, `unsupported_response_type`); 414 past 8,000 characters |
//! | POST | `/login/oauth2/token` | `authorization_code` and `refresh_token` grants, form-encoded |
//! | DELETE | `/login/oauth2/token` | with the access token: revokes its grant |

mod demo;
mod oauth;
mod overrides;
mod paginate;
mod params;
mod ratelimit;
mod record;
mod reply;
mod routes;
mod seed;
mod seed_json;
mod state;
mod time;
mod views;

#[cfg(test)]
mod course_update_tests;
#[cfg(test)]
mod coursework_tests;
#[cfg(test)]
mod oauth_tests;
#[cfg(test)]
mod roster_tests;
#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::response::Response;
use axum::Router;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH};
use http::{HeaderMap, Method, Uri};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use oauth::{
    DeveloperKey, OAuthStats, ACCESS_TOKEN_LIFETIME, MAX_REQUEST_TARGET, OOB_REDIRECT_URI,
};
pub use overrides::Override;
pub use paginate::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
pub use ratelimit::{request_cost, LeakyBucket, Throttle, ThrottleStatus};
pub use record::{
    RecordedRequest, MAX_RECORDED_BODY, MAX_RECORDED_BODY_TOTAL, MAX_RECORDED_REQUESTS,
};
pub use reply::{JSON_CONTENT_TYPE, STANDIN_HEADER, WWW_AUTHENTICATE_VALUE};
pub use routes::DEFAULT_VIEWS;
pub use seed::{
    Account, Assignment, Course, Enrollment, Section, Seed, Submission, Term, User,
    ENROLLMENT_STATES, ENROLLMENT_TYPES, SUBMISSION_STATES, WORKER_USER_ID,
};
pub use seed_json::SeedError;

use record::Recorder;
use reply::Reply;
use state::Data;

/// Bodies longer than this are not read to the end: the request gets a 413 and the
/// connection is closed.
const MAX_DRAINED_BODY: usize = 64 * 1024 * 1024;

/// How long [`StandIn::shutdown`] waits for in-flight requests before aborting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Locks a mutex, carrying on with the data if another thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// State shared by the server task and the [`StandIn`] handle.
pub(crate) struct Shared {
    pub(crate) token: String,
    pub(crate) base_url: String,
    pub(crate) data: Mutex<Data>,
    recorder: Mutex<Recorder>,
    overrides: Mutex<Vec<overrides::Entry>>,
    meter: Mutex<ratelimit::Meter>,
    oauth: Mutex<oauth::OAuth>,
    seq: AtomicU64,
    /// Requests refused for the rate limit.
    throttled: AtomicU64,
}

/// A running Canvas stand-in. Dropping it (or [`StandIn::shutdown`]) stops it.
pub struct StandIn {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl StandIn {
    /// Binds 127.0.0.1:0 and serves in a spawned tokio task. `token` is the only bearer
    /// token it accepts. Must be called inside a tokio runtime.
    pub async fn start(token: impl Into<String>, seed: Seed) -> std::io::Result<StandIn> {
        StandIn::start_on(0, token, seed).await
    }

    /// Like [`StandIn::start`], on this port of 127.0.0.1 (0: any free one),
    /// for `warden standin --port`.
    pub async fn start_on(
        port: u16,
        token: impl Into<String>,
        seed: Seed,
    ) -> std::io::Result<StandIn> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            token: token.into(),
            base_url: format!("http://{addr}"),
            data: Mutex::new(Data::from_seed(seed)),
            recorder: Mutex::new(Recorder::new(
                MAX_RECORDED_REQUESTS,
                MAX_RECORDED_BODY_TOTAL,
            )),
            overrides: Mutex::new(Vec::new()),
            meter: Mutex::new(ratelimit::Meter::default()),
            oauth: Mutex::new(oauth::OAuth::default()),
            seq: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                // A dropped sender also means stop.
                let _ = stop_rx.await;
            });
            if let Err(e) = server.await {
                tracing::warn!(error = %e, "Canvas stand-in server stopped with an error");
            }
        });
        tracing::debug!(%addr, "Canvas stand-in listening");
        Ok(StandIn {
            shared,
            addr,
            stop: Some(stop_tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The one token it accepts.
    pub fn token(&self) -> String {
        self.shared.token.clone()
    }

    /// Every request received, in order, including rejected ones (at most the last
    /// [`MAX_RECORDED_REQUESTS`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.recorder).snapshot()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.recorder).clear();
    }

    /// A course's current state (deleted ones included), to assert writes.
    pub fn course(&self, id: u64) -> Option<Course> {
        lock(&self.shared.data).courses.get(&id).cloned()
    }

    /// All courses (deleted ones included), by id.
    pub fn courses(&self) -> Vec<Course> {
        lock(&self.shared.data).courses.values().cloned().collect()
    }

    /// All accounts, by id.
    pub fn accounts(&self) -> Vec<Account> {
        lock(&self.shared.data).accounts.values().cloned().collect()
    }

    /// All users, by id.
    pub fn users(&self) -> Vec<User> {
        lock(&self.shared.data).users.values().cloned().collect()
    }

    /// Adds or replaces a course (tests that need a particular state).
    pub fn put_course(&self, course: Course) {
        lock(&self.shared.data).courses.insert(course.id, course);
    }

    /// All enrollments, each in its section.
    pub fn enrollments(&self) -> Vec<Enrollment> {
        lock(&self.shared.data).enrollments.clone()
    }

    /// All sections (the default ones the stand-in added included), by id.
    pub fn sections(&self) -> Vec<Section> {
        lock(&self.shared.data).sections.values().cloned().collect()
    }

    /// All assignments (deleted ones included), by id.
    pub fn assignments(&self) -> Vec<Assignment> {
        lock(&self.shared.data)
            .assignments
            .values()
            .cloned()
            .collect()
    }

    /// Adds or replaces an assignment (its students' submissions are not added).
    pub fn put_assignment(&self, assignment: Assignment) {
        lock(&self.shared.data)
            .assignments
            .insert(assignment.id, assignment);
    }

    /// All submissions (the `unsubmitted` ones the stand-in added included), by id.
    pub fn submissions(&self) -> Vec<Submission> {
        lock(&self.shared.data)
            .submissions
            .values()
            .cloned()
            .collect()
    }

    /// Adds or replaces a submission.
    pub fn put_submission(&self, submission: Submission) {
        lock(&self.shared.data)
            .submissions
            .insert(submission.id, submission);
    }

    /// A canned answer for one method + exact raw path (without query). It takes
    /// precedence over the built-in routes, still after the token check unless
    /// `skip_auth`. The newest override for a method + path wins. In `headers` and
    /// `body`, `{token}` is replaced with the bearer token the request actually carried
    /// (empty if none) and `{base}` with [`StandIn::base_url`]. A GET override also
    /// answers HEAD (without the body).
    pub fn add_override(&self, o: Override) {
        lock(&self.shared.overrides).push(overrides::Entry { o, left: None });
    }

    /// Like [`StandIn::add_override`], for the next `times` matching requests only;
    /// then the override before it (or the built-in route) answers again.
    pub fn add_override_times(&self, o: Override, times: u32) {
        if times > 0 {
            lock(&self.shared.overrides).push(overrides::Entry {
                o,
                left: Some(times),
            });
        }
    }

    /// Switches the throttling mode on (a full bucket of the given size) or off.
    /// While it is on, a request that does not fit in the bucket is recorded and
    /// refused for the rate limit before anything else (token check, overrides,
    /// routes), as Canvas does.
    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        lock(&self.shared.meter).set(throttle);
    }

    /// How many requests were refused for the rate limit so far.
    pub fn throttled(&self) -> u64 {
        self.shared.throttled.load(Ordering::Relaxed)
    }

    /// Registers a developer key (replacing one with the same client id): its
    /// users can then authorize at `/login/oauth2/auth` (approved at once, as
    /// the worker user) and trade the code at `/login/oauth2/token`.
    pub fn add_developer_key(&self, key: DeveloperKey) {
        lock(&self.shared.oauth).add_key(key);
    }

    /// Moves the stand-in's clock forward: access tokens and codes expire by it.
    pub fn advance_clock(&self, by: Duration) {
        lock(&self.shared.oauth).advance(by);
    }

    /// Moves the clock forward once the next request for this method and raw
    /// path (without query) has been answered: "the token expires right after
    /// this request", for tests of a renewal in the middle of a run.
    pub fn advance_clock_after(&self, method: &str, path: &str, by: Duration) {
        lock(&self.shared.oauth).jump_after(method, path, by);
    }

    /// How long the access tokens issued from now on live
    /// ([`ACCESS_TOKEN_LIFETIME`] unless set); `expires_in` says so.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.oauth).set_lifetime(lifetime);
    }

    /// What the OAuth endpoints did so far.
    pub fn oauth_stats(&self) -> OAuthStats {
        lock(&self.shared.oauth).stats()
    }

    /// Every OAuth access token issued so far (replaced ones included), for
    /// tests that prove none leaked.
    pub fn issued_access_tokens(&self) -> Vec<String> {
        lock(&self.shared.oauth).access_tokens()
    }

    /// Every refresh token issued so far.
    pub fn issued_refresh_tokens(&self) -> Vec<String> {
        lock(&self.shared.oauth).refresh_tokens()
    }

    /// Revokes every grant of a developer key, as an admin deleting the
    /// tokens does: their access tokens stop working and their refresh tokens
    /// are "not found". Returns how many there were.
    pub fn revoke_key_tokens(&self, client_id: &str) -> usize {
        lock(&self.shared.oauth).revoke_key(client_id)
    }

    /// Removes all overrides.
    pub fn clear_overrides(&self) {
        lock(&self.shared.overrides).clear();
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s), and
    /// waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // Stops accepting at once; open connections are closed gracefully by their own
        // tasks (idle keep-alive ones immediately).
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The request-target exactly as received.
fn raw_target(uri: &Uri) -> String {
    match (uri.scheme(), uri.path_and_query()) {
        (None, Some(pq)) => pq.as_str().to_string(),
        _ => uri.to_string(),
    }
}

/// The raw path (origin-form and absolute-form alike), without the query.
fn raw_path(uri: &Uri) -> &str {
    uri.path()
}

struct ReadBody {
    kept: Vec<u8>,
    truncated: bool,
    too_large: bool,
    failed: bool,
}

/// Reads the body, keeping at most [`MAX_RECORDED_BODY`] bytes and giving up after
/// [`MAX_DRAINED_BODY`].
async fn read_body(mut body: Body) -> ReadBody {
    let mut out = ReadBody {
        kept: Vec::new(),
        truncated: false,
        too_large: false,
        failed: false,
    };
    let mut total = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "stand-in: failed reading a request body");
                out.failed = true;
                break;
            }
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                total = total.saturating_add(data.len());
                let room = MAX_RECORDED_BODY.saturating_sub(out.kept.len());
                if data.len() > room {
                    out.truncated = true;
                }
                out.kept.extend_from_slice(&data[..data.len().min(room)]);
                if total > MAX_DRAINED_BODY {
                    out.too_large = true;
                    break;
                }
            }
        }
    }
    out
}

/// What the `Authorization` header said.
enum Auth {
    Valid(String),
    /// No bearer token at all (missing header, other scheme, empty token).
    Missing,
    /// A bearer token that is not ours.
    Invalid(String),
}

impl Auth {
    fn carried_token(&self) -> &str {
        match self {
            Auth::Valid(t) | Auth::Invalid(t) => t,
            Auth::Missing => "",
        }
    }
}

fn check_auth(headers: &HeaderMap, token: &str) -> Auth {
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Auth::Missing;
    };
    let value = String::from_utf8_lossy(value.as_bytes());
    let value = value.trim();
    let (scheme, rest) = match value.split_once(|c: char| c.is_ascii_whitespace()) {
        Some((s, r)) => (s, r.trim()),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("bearer") || rest.is_empty() {
        return Auth::Missing;
    }
    if constant_time_eq(rest.as_bytes(), token.as_bytes()) {
        Auth::Valid(rest.to_string())
    } else {
        Auth::Invalid(rest.to_string())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The one handler: record, charge, answer.
async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let read = read_body(body).await;
    let method = parts.method.as_str().to_string();
    let is_head = parts.method == Method::HEAD;

    lock(&shared.recorder).push(RecordedRequest {
        method: method.clone(),
        target: raw_target(&parts.uri),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: read.kept.clone(),
        body_truncated: read.truncated,
    });

    let charge = lock(&shared.meter).charge(&method, Instant::now());
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed) + 1;

    let reply = match charge.throttled {
        Some(status) => {
            shared.throttled.fetch_add(1, Ordering::Relaxed);
            Reply::rate_limited(status)
        }
        None => answer(&shared, &parts, &read),
    };
    lock(&shared.oauth).answered(&method, raw_path(&parts.uri));
    finish(reply, is_head, charge.cost, charge.remaining, seq)
}

fn answer(shared: &Shared, parts: &http::request::Parts, read: &ReadBody) -> Reply {
    let auth = check_auth(&parts.headers, &shared.token);
    let path = raw_path(&parts.uri);
    let method = parts.method.as_str();
    let route_method = if parts.method == Method::HEAD {
        "GET"
    } else {
        method
    };

    // What the token may do: Canvas decides before any controller runs.
    let access = match &auth {
        Auth::Missing => Err(Reply::unauthenticated()),
        Auth::Valid(_) => Ok(false),
        Auth::Invalid(token) => match lock(&shared.oauth).api_access(token, method, path) {
            oauth::ApiAccess::Allowed { strip_includes } => Ok(strip_includes),
            oauth::ApiAccess::OutOfScope => Err(oauth::insufficient_scopes()),
            oauth::ApiAccess::Unknown | oauth::ApiAccess::Expired => Err(Reply::invalid_token()),
        },
    };

    let found = overrides::take(&mut lock(&shared.overrides), method, path);
    if let Some(o) = found {
        if o.skip_auth || access.is_ok() {
            return o.reply(auth.carried_token(), &shared.base_url);
        }
    }
    if path.starts_with("/login/oauth2/") {
        let user = {
            let data = lock(&shared.data);
            let name = data
                .users
                .get(&WORKER_USER_ID)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            (WORKER_USER_ID, name)
        };
        let request = oauth::EndpointRequest {
            method,
            path,
            target_len: raw_target(&parts.uri).len(),
            query: parts.uri.query(),
            body: &read.kept,
            bearer: auth.carried_token(),
            base_url: &shared.base_url,
            user,
        };
        if let Some(reply) = lock(&shared.oauth).endpoint(&request) {
            return reply;
        }
    }
    let strip_includes = match access {
        Ok(strip) => strip,
        Err(reply) => return reply,
    };
    if read.too_large || read.truncated {
        return Reply::error(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "The request body is larger than the stand-in accepts ({MAX_RECORDED_BODY} bytes)."
            ),
        );
    }
    if read.failed {
        return Reply::bad_request("The request body could not be read.");
    }
    let stripped = match (strip_includes, parts.uri.query()) {
        (true, Some(q)) => Some(oauth::strip_includes(q)),
        (_, q) => q.map(str::to_string),
    };
    routes::route(
        shared,
        &routes::ApiRequest {
            method: route_method,
            raw_path: path,
            raw_query: stripped.as_deref(),
            headers: &parts.headers,
            body: &read.kept,
        },
    )
}

/// Adds the headers every response carries and turns the reply into a response.
fn finish(reply: Reply, is_head: bool, cost: Option<f64>, remaining: f64, seq: u64) -> Response {
    let rate_remaining = HeaderName::from_static("x-rate-limit-remaining");
    let request_cost = HeaderName::from_static("x-request-cost");
    let mut reply = reply;
    if !reply.has_header(&rate_remaining) {
        reply = reply.with_header(rate_remaining, &ratelimit::format_float(remaining));
    }
    if let (false, Some(cost)) = (reply.has_header(&request_cost), cost) {
        reply = reply.with_header(request_cost, &ratelimit::format_float(cost));
    }
    let context = HeaderName::from_static("x-request-context-id");
    if !reply.has_header(&context) {
        reply = reply.with_header(context, &format!("00000000-0000-4000-8000-{seq:012}"));
    }
    let len = reply.body.len();
    let body = if is_head {
        Body::empty()
    } else {
        Body::from(reply.body)
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = reply.status;
    let headers = resp.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    resp
}
