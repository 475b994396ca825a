//! Enrollments: who is enrolled in a course or section, and a user's
//! enrollments.
//!
//! Scopes: `url:GET|/api/v1/courses/:course_id/enrollments` for [`list`],
//! `url:GET|/api/v1/sections/:section_id/enrollments` for
//! [`list_for_section`], `url:GET|/api/v1/users/:user_id/enrollments` for
//! [`list_for_user`].

use crate::canvas::{self, Pages};
use crate::ids::{CourseId, SectionId, UserId};
use crate::models::{Enrollment, EnrollmentType};

/// The enrollments of a course (`GET /api/v1/courses/:course_id/enrollments`;
/// Canvas's default is the active and invited ones). Narrow it with
/// [`Pages::of_type`], [`Pages::with_state`], [`Pages::role`]:
///
/// ```no_run
/// use warden_sdk::canvas::enrollments;
/// use warden_sdk::models::EnrollmentType;
///
/// # fn main() -> warden_sdk::Result<()> {
/// for e in enrollments::list(42).of_type(EnrollmentType::Student).with_state("active") {
///     let e = e?;
///     let score = e.grades.and_then(|g| g.current_score);
///     println!("{:?} {score:?}", e.user_id);
/// }
/// # Ok(()) }
/// ```
pub fn list(course: impl Into<CourseId>) -> Pages<Enrollment> {
    Pages::new(canvas::get(format!(
        "/api/v1/courses/{}/enrollments",
        course.into()
    )))
}

/// The enrollments of a section (`GET /api/v1/sections/:section_id/enrollments`).
pub fn list_for_section(section: impl Into<SectionId>) -> Pages<Enrollment> {
    Pages::new(canvas::get(format!(
        "/api/v1/sections/{}/enrollments",
        section.into()
    )))
}

/// A user's enrollments in every course (`GET /api/v1/users/:user_id/enrollments`).
pub fn list_for_user(user: impl Into<UserId>) -> Pages<Enrollment> {
    Pages::new(canvas::get(format!(
        "/api/v1/users/{}/enrollments",
        user.into()
    )))
}

impl Pages<Enrollment> {
    /// Only enrollments of this type (`type[]=StudentEnrollment`); repeat
    /// for several. Canvas ignores it when a role is given.
    pub fn of_type(self, kind: EnrollmentType) -> Pages<Enrollment> {
        self.query("type[]", kind.as_str())
    }

    /// Only enrollments in this state (`state[]=active`; also `invited`,
    /// `completed`, `inactive`, ...); repeat for several.
    pub fn with_state(self, state: &str) -> Pages<Enrollment> {
        self.query("state[]", state)
    }

    /// Only enrollments with this role (`role[]=...`, a base type or a
    /// custom role's name); repeat for several.
    pub fn role(self, role: &str) -> Pages<Enrollment> {
        self.query("role[]", role)
    }
}
