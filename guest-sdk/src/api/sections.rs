//! Sections of a course.
//!
//! Scope: `url:GET|/api/v1/courses/:course_id/sections` for [`list`].

use crate::canvas::{self, Pages};
use crate::ids::CourseId;
use crate::models::Section;

/// The sections of a course (`GET /api/v1/courses/:course_id/sections`);
/// e.g. `.include("total_students")`, `.include("students")`.
pub fn list(course: impl Into<CourseId>) -> Pages<Section> {
    Pages::new(canvas::get(format!(
        "/api/v1/courses/{}/sections",
        course.into()
    )))
}
