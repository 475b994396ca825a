//! `Section` (sections_controller.rb).

use serde::{Deserialize, Serialize};

use super::{Extra, User};

/// A course section (`GET /api/v1/courses/:id/sections`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Section {
    /// The section's id.
    pub id: u64,
    /// The section's name.
    pub name: Option<String>,
    /// The SIS id (only with permission to view SIS information).
    pub sis_section_id: Option<String>,
    /// The integration id (only with permission to view SIS information).
    pub integration_id: Option<String>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The course the section belongs to (for a cross-listed section, the
    /// course it is cross-listed into).
    pub course_id: Option<u64>,
    /// The course's SIS id (only with permission to view SIS information).
    pub sis_course_id: Option<String>,
    /// When the section starts (ISO 8601), if set.
    pub start_at: Option<String>,
    /// When the section ends (ISO 8601), if set.
    pub end_at: Option<String>,
    /// Whether enrollments are limited to the section's dates.
    pub restrict_enrollments_to_section_dates: Option<bool>,
    /// For a cross-listed section, its original course.
    pub nonxlist_course_id: Option<u64>,
    /// Active and invited students (`include[]=total_students`).
    pub total_students: Option<u64>,
    /// The section's students (`include[]=students`).
    pub students: Option<Vec<User>>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}
