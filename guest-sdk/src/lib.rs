//! Write Warden jobs: sandboxed Canvas LMS automation
//! compiled to WebAssembly (`wasm32-wasip2` components).
//!
//! A job is a plain WASI command — a Rust binary with `fn main` — whose one
//! way out of its sandbox is a request to the Canvas REST API through the
//! host. The host checks each request against the scopes of the job's
//! manifest, adds the Canvas token (the job never sees it), sends it, and
//! hands back the response. The job's configuration comes only from the
//! environment variables of the manifest's `[env]` table, plus `WARDEN_JOB`
//! and `WARDEN_RUN_ID`. There is no filesystem and no socket; what the job
//! prints to stdout and stderr is kept in the run's log.
//!
//! # What a job uses
//!
//! - [`canvas::get`], [`canvas::put`], ... build a [`Request`];
//!   [`Request::send`] returns a [`Response`] or an [`Error`] (a status of
//!   400 or more is [`Error::Status`] with Canvas's messages).
//! - [`canvas::paginate`] iterates over every item of a list endpoint,
//!   following Canvas's `Link: rel="next"` pages.
//! - [`env()`] reads a variable of the manifest's `[env]` table.
//! - [`is_dry_run`] says whether writes are being sent at all (in a dry run
//!   the host answers them with a marked synthetic response,
//!   [`Response::is_dry_run`]).
//! - [`raw`] is the WIT interface itself, for requests the builder will not
//!   make.
//!
//! # Typed Canvas
//!
//! - [`models`]: Canvas's objects as documented — [`models::Account`],
//!   [`models::Course`], [`models::User`], [`models::Enrollment`],
//!   [`models::Section`], [`models::Term`], [`models::Assignment`],
//!   [`models::Submission`], [`models::Group`], [`models::Page`],
//!   [`models::Module`]. The `id` is required, every other field an
//!   `Option`, dates ISO 8601 strings, and the fields a model does not name
//!   are kept in its `extra` map.
//! - [`ids`]: [`CourseId`], [`AccountId`], [`UserId`], [`SectionId`],
//!   [`TermId`], [`GroupId`], [`AssignmentId`] name an object in a path by
//!   Canvas id (`CourseId::id(42)`, or a plain `42`), by SIS id
//!   (`CourseId::sis("MATH 101/2026")` is
//!   `sis_course_id:MATH%20101%2F2026`), or specially (`UserId::SELF`);
//!   they parse from `[env]` values (`"sis_account_id:SCI".parse()`).
//! - Typed helpers for the common calls: [`canvas::courses`] (`list`,
//!   `get`, `update` with [`canvas::courses::CourseUpdate`]),
//!   [`canvas::enrollments`], [`canvas::assignments`],
//!   [`canvas::submissions`], [`canvas::users`], [`canvas::sections`].
//!   Lists are [`Pages`] of a model and single objects a [`Call`]; both are
//!   lazy (nothing is sent until iteration or `send`) and take more
//!   parameters first: `.query(..)`, `.include(..)`, `.per_page(..)`.
//!
//! ```no_run
//! use warden_sdk::canvas::{courses, enrollments};
//! use warden_sdk::models::EnrollmentType;
//! use warden_sdk::AccountId;
//!
//! fn main() -> warden_sdk::Result<()> {
//!     let account: AccountId = warden_sdk::env("ACCOUNT_ID")?.parse()?;
//!     for course in courses::list(&account).query("published", "true").include("term") {
//!         let course = course?;
//!         let students = enrollments::list(&course).of_type(EnrollmentType::Student).count();
//!         println!("{}\t{}\t{students}", course.id, course.name.unwrap_or_default());
//!     }
//!     let home = courses::get(42).send()?;
//!     if home.default_view.as_deref() != Some("modules") {
//!         let changes = courses::CourseUpdate::new().default_view("modules");
//!         courses::update(&home, &changes).send()?;
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Testing a job on the host
//!
//! With the feature `test-support` (for `[dev-dependencies]` only), the
//! module `warden_sdk::testing` lets a job's own `cargo test` run its logic
//! without Warden: a `FakeCanvas` with canned answers (by method and path,
//! or from a `responses.json` fixture file), paginated lists with `Link`
//! headers, the job's `[env]` variables and dry runs, installed on the
//! current thread; every request of the SDK goes to it and is recorded.
//!
//! ```
//! # #[cfg(feature = "test-support")]
//! # fn main() -> warden_sdk::Result<()> {
//! use serde_json::json;
//! use warden_sdk::testing::FakeCanvas;
//! use warden_sdk::{canvas::courses, Method};
//!
//! let fake = FakeCanvas::new()
//!     .env("ACCOUNT_ID", "1")
//!     .respond_pages("/api/v1/accounts/1/courses", [json!([{"id": 1}]), json!([{"id": 2}])])
//!     .respond(Method::Get, "/api/v1/courses/2", 404, json!({"errors": [{"message": "not found"}]}));
//! let _installed = fake.install();
//!
//! let account: warden_sdk::AccountId = warden_sdk::env("ACCOUNT_ID")?.parse()?;
//! assert_eq!(courses::list(account).count(), 2);
//! let e = courses::get(2).send().unwrap_err();
//! assert_eq!(e.to_string(), "GET /api/v1/courses/2: 404 Not Found: not found");
//! assert_eq!(fake.requests().len(), 3);
//! # Ok(()) }
//! # #[cfg(not(feature = "test-support"))]
//! # fn main() {}
//! ```
//!
//! # A complete job
//!
//! `examples/unpublished-courses/job.toml` — the manifest. Each scope is one
//! line of Canvas's scope list; a request that no scope allows is refused
//! with [`Error::Denied`] and never sent.
//!
//! ```toml
//! # Lists the unpublished courses of an account (read-only).
//! version = 1
//! [job]
//! name = "unpublished-courses"
//! description = "Lists the unpublished courses of an account"
//! component = "../../jobs/target/wasm32-wasip2/release/unpublished_courses.wasm"
//! schedule = "0 6 * * MON"
//! timezone = "America/New_York"
//! [canvas]
//! scopes = ["url:GET|/api/v1/accounts/:account_id/courses"]
//! masquerade = false
//! [limits]
//! timeout = "5m"
//! memory = "64MiB"
//! max_requests = 10000
//! [env]
//! ACCOUNT_ID = "1"
//! ```
//!
//! `jobs/unpublished-courses/src/main.rs` — built with
//! `cargo build --release --target wasm32-wasip2`:
//!
//! ```no_run
//! use serde::Deserialize;
//! use warden_sdk::canvas;
//!
//! #[derive(Deserialize)]
//! struct Course {
//!     id: u64,
//!     name: String,
//!     course_code: Option<String>,
//!     term: Option<Term>,
//! }
//!
//! #[derive(Deserialize)]
//! struct Term {
//!     name: Option<String>,
//! }
//!
//! // Returning the SDK's error prints `Error: <one clear line>` to stderr and
//! // ends the run with exit code 1.
//! fn main() -> Result<(), warden_sdk::Error> {
//!     let account = warden_sdk::env("ACCOUNT_ID")?;
//!     let path = format!("/api/v1/accounts/{}/courses", canvas::encode_segment(&account));
//!     let mut count = 0;
//!     for course in canvas::paginate::<Course>(path)
//!         .query("published", "false")
//!         .query("include[]", "term")
//!         .per_page(100)
//!     {
//!         let course = course?;
//!         let term = course.term.and_then(|t| t.name).unwrap_or_default();
//!         let code = course.course_code.unwrap_or_default();
//!         println!("{}\t{}\t{}\t{}", course.id, code, course.name, term);
//!         count += 1;
//!     }
//!     println!("{count} unpublished courses in account {account}");
//!
//!     // One course, then a change to it.
//!     let course: serde_json::Value = canvas::get("/api/v1/courses/1")
//!         .query("include[]", "term")
//!         .send()?
//!         .json()?;
//!     if course["default_view"] != "modules" {
//!         canvas::put("/api/v1/courses/1")
//!             .json(&serde_json::json!({"course": {"default_view": "modules"}}))?
//!             .send()?;
//!     }
//!
//!     // Statuses that are not failures for this job.
//!     match canvas::get("/api/v1/courses/999").send() {
//!         Ok(_) => {}
//!         Err(e) if e.status() == Some(404) => eprintln!("skipped: {e}"),
//!         Err(e) => return Err(e),
//!     }
//!     Ok(())
//! }
//! ```
//!
//! (The second half of that `main` would need the `GET` and `PUT`
//! `url:...|/api/v1/courses/:id` scopes too.)
//!
//! # Targets
//!
//! The crate builds for `wasm32-wasip2`, where [`raw::request`] is the
//! component's import `warden:canvas/api.request`. It also builds on any
//! other target so that a workspace can lint and unit-test it, but there a
//! request panics, unless the feature `test-support` is on: then it goes to
//! the `testing::FakeCanvas` installed on the thread, or fails with an
//! error saying none is.

#![warn(missing_docs)]

mod api;
mod call;
pub mod canvas;
mod env;
mod error;
pub mod ids;
mod link;
pub mod models;
mod response;
#[cfg(feature = "test-support")]
pub mod testing;
mod transport;

pub use call::Call;
pub use canvas::{Method, Pages, Request};
pub use env::{env, env_opt, is_dry_run, job_name, run_id};
pub use error::{error_messages, Error, JsonStage, Result};
pub use ids::{AccountId, AssignmentId, CourseId, GroupId, SectionId, TermId, UserId};
pub use link::Links;
pub use response::Response;

/// The bindings generated from the WIT contract (`runtime/wit/canvas.wit`,
/// world `job`): [`raw::request`] takes a [`raw::HttpRequest`] as is, with
/// no checking or encoding by the SDK. For requests the builder will not
/// make; the host checks these like any other.
#[allow(missing_docs)]
pub mod raw {
    wit_bindgen::generate!({
        path: "../runtime/wit",
        world: "job",
        additional_derives: [PartialEq, Eq],
    });

    pub use self::warden::canvas::api::{request, Error, HttpRequest, HttpResponse, Method};
}
