//! Courses: an account's courses, one course, and changes to a course.
//!
//! Scopes: `url:GET|/api/v1/accounts/:account_id/courses` for [`list`],
//! `url:GET|/api/v1/courses/:id` for [`get`], `url:PUT|/api/v1/courses/:id`
//! for [`update`].

use serde::{Deserialize, Serialize};

use crate::call::Call;
use crate::canvas::{self, Pages};
use crate::error::{Error, JsonStage, Result};
use crate::ids::{AccountId, CourseId};
use crate::models::Course;
use crate::response::Response;

/// The courses of an account and its sub-accounts
/// (`GET /api/v1/accounts/:account_id/courses`). Narrow it with Canvas's
/// parameters: `.query("published", "false")`, `.query("enrollment_term_id", 5)`,
/// `.include("term")`, `.per_page(100)`.
///
/// ```no_run
/// use warden_sdk::{canvas::courses, AccountId};
///
/// # fn main() -> warden_sdk::Result<()> {
/// for course in courses::list(AccountId::SELF).query("published", "false").include("term") {
///     let course = course?;
///     println!("{} {}", course.id, course.name.unwrap_or_default());
/// }
/// # Ok(()) }
/// ```
pub fn list(account: impl Into<AccountId>) -> Pages<Course> {
    Pages::new(canvas::get(format!(
        "/api/v1/accounts/{}/courses",
        account.into()
    )))
}

/// One course (`GET /api/v1/courses/:id`); add `.include("term")`,
/// `.include("syllabus_body")`, ... before `.send()`.
pub fn get(course: impl Into<CourseId>) -> Call<Course> {
    Call::new(canvas::get(path(&course.into())))
}

/// Changes a course (`PUT /api/v1/courses/:id` with
/// `{"course": {...}}`, only the fields set in `changes`) and returns the
/// course as Canvas answers.
///
/// In a dry run ([`crate::is_dry_run`]) the host does not send the change
/// and answers with its own synthetic body, not a course. `update` then
/// returns the course *as requested*: `id` is the course's id when it was
/// named by one (`0` when it was named by a SIS id), the fields of
/// `changes` are set (except `event`), everything else is `None`, and
/// `extra` holds the host's answer, with `"warden_dry_run": true`.
///
/// ```no_run
/// use warden_sdk::canvas::courses::{self, CourseUpdate};
///
/// # fn main() -> warden_sdk::Result<()> {
/// let course = courses::update(42, &CourseUpdate::new().default_view("modules")).send()?;
/// assert_eq!(course.default_view.as_deref(), Some("modules"));
/// # Ok(()) }
/// ```
pub fn update(course: impl Into<CourseId>, changes: &CourseUpdate) -> Call<Course> {
    let course = course.into();
    let request = canvas::put(path(&course)).json(&UpdateBody { course: changes });
    let changes = changes.clone();
    Call::with_decoder(request, move |response| {
        if response.is_dry_run() {
            as_requested(&course, &changes, &response)
        } else {
            response.json()
        }
    })
}

fn path(course: &CourseId) -> String {
    format!("/api/v1/courses/{course}")
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    course: &'a CourseUpdate,
}

/// The course that `update` would have produced, for a dry run.
fn as_requested(course: &CourseId, changes: &CourseUpdate, response: &Response) -> Result<Course> {
    let json_error = |source| Error::Json {
        method: response.method(),
        path: response.path().to_string(),
        stage: JsonStage::Response,
        source,
    };
    let mut fields = match response.json::<serde_json::Value>() {
        Ok(serde_json::Value::Object(host)) => host,
        _ => serde_json::Map::new(),
    };
    fields.insert("warden_dry_run".into(), true.into());
    if let serde_json::Value::Object(set) = serde_json::to_value(changes).map_err(json_error)? {
        fields.extend(set.into_iter().filter(|(k, _)| k != "event"));
    }
    fields.insert("id".into(), course.as_u64().unwrap_or(0).into());
    serde_json::from_value(serde_json::Value::Object(fields)).map_err(json_error)
}

/// The changes [`update`] sends: only the fields that are `Some` (Canvas's
/// `course[...]` parameters of "Update a course").
///
/// ```
/// use warden_sdk::canvas::courses::CourseUpdate;
///
/// let changes = CourseUpdate::new().default_view("modules").is_public(false);
/// assert_eq!(
///     serde_json::to_string(&changes).unwrap(),
///     r#"{"default_view":"modules","is_public":false}"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseUpdate {
    /// The name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The course code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub course_code: Option<String>,
    /// The home page: `feed`, `wiki`, `modules`, `syllabus` or
    /// `assignments` (`wiki` needs a front page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_view: Option<String>,
    /// The public description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_description: Option<String>,
    /// The start date (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// The end date (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_at: Option<String>,
    /// Whether the course is public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_public: Option<bool>,
    /// The syllabus HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syllabus_body: Option<String>,
    /// A state change: `offer` (publish), `claim` (unpublish), `conclude`,
    /// `delete` or `undelete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $t:ty),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $field(mut self, value: impl Into<$t>) -> CourseUpdate {
            self.$field = Some(value.into());
            self
        }
    )*};
}

impl CourseUpdate {
    /// No changes yet.
    pub fn new() -> CourseUpdate {
        CourseUpdate::default()
    }

    setters! {
        /// Sets `name`.
        name: String,
        /// Sets `course_code`.
        course_code: String,
        /// Sets `default_view`.
        default_view: String,
        /// Sets `public_description`.
        public_description: String,
        /// Sets `start_at` (ISO 8601).
        start_at: String,
        /// Sets `end_at` (ISO 8601).
        end_at: String,
        /// Sets `is_public`.
        is_public: bool,
        /// Sets `syllabus_body`.
        syllabus_body: String,
        /// Sets `event`.
        event: String,
    }

    /// `true` when no field is set.
    pub fn is_empty(&self) -> bool {
        self == &CourseUpdate::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canvas::Method;
    use crate::raw;

    fn response(headers: &[(&str, &str)], body: &str) -> Response {
        Response::new(
            Method::Put,
            "/api/v1/courses/42".into(),
            raw::HttpResponse {
                status: 200,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.as_bytes().to_vec(),
            },
        )
    }

    const DRY: &str =
        r#"{"warden_dry_run":true,"method":"PUT","path":"/api/v1/courses/42","body_bytes":40}"#;

    #[test]
    fn a_dry_run_answers_with_the_course_as_requested() {
        let changes = CourseUpdate::new().default_view("modules").event("offer");
        let course = as_requested(
            &CourseId::id(42),
            &changes,
            &response(&[("x-warden-dry-run", "1")], DRY),
        )
        .unwrap();
        assert_eq!(course.id, 42);
        assert_eq!(course.default_view.as_deref(), Some("modules"));
        assert_eq!(course.name, None);
        assert_eq!(course.extra["warden_dry_run"], true);
        assert_eq!(course.extra["body_bytes"], 40);
        assert!(!course.extra.contains_key("event"));

        let course = as_requested(
            &CourseId::sis("X"),
            &CourseUpdate::new().name("N"),
            &response(&[], "not json"),
        )
        .unwrap();
        assert_eq!((course.id, course.name.as_deref()), (0, Some("N")));
        assert_eq!(course.extra["warden_dry_run"], true);
    }
}
