//! Submissions for an assignment.
//!
//! Scope: `url:GET|/api/v1/courses/:course_id/assignments/:assignment_id/submissions`.

use crate::canvas::{self, Pages};
use crate::ids::{AssignmentId, CourseId};
use crate::models::Submission;

/// Every student's submission for an assignment, submitted or not
/// (`GET /api/v1/courses/:course_id/assignments/:assignment_id/submissions`);
/// e.g. `.include("user")`, `.include("submission_comments")`.
pub fn list(course: impl Into<CourseId>, assignment: impl Into<AssignmentId>) -> Pages<Submission> {
    Pages::new(canvas::get(format!(
        "/api/v1/courses/{}/assignments/{}/submissions",
        course.into(),
        assignment.into()
    )))
}
