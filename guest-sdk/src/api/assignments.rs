//! Assignments of a course.
//!
//! Scopes: `url:GET|/api/v1/courses/:course_id/assignments` for [`list`],
//! `url:GET|/api/v1/courses/:course_id/assignments/:id` for [`get`].

use crate::call::Call;
use crate::canvas::{self, Pages};
use crate::ids::{AssignmentId, CourseId};
use crate::models::Assignment;

/// The assignments of a course (`GET /api/v1/courses/:course_id/assignments`);
/// e.g. `.query("bucket", "upcoming")`, `.include("submission")`.
pub fn list(course: impl Into<CourseId>) -> Pages<Assignment> {
    Pages::new(canvas::get(format!(
        "/api/v1/courses/{}/assignments",
        course.into()
    )))
}

/// One assignment (`GET /api/v1/courses/:course_id/assignments/:id`).
pub fn get(course: impl Into<CourseId>, assignment: impl Into<AssignmentId>) -> Call<Assignment> {
    Call::new(canvas::get(format!(
        "/api/v1/courses/{}/assignments/{}",
        course.into(),
        assignment.into()
    )))
}
