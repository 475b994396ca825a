//! `Course` (courses_controller.rb `Course`).

use serde::{Deserialize, Serialize};

use super::de::opt_number;
use super::{Extra, Term};

/// A Canvas course (`GET /api/v1/courses/:id`,
/// `GET /api/v1/accounts/:id/courses`).
///
/// A course the caller may not view yet because of its dates comes back as
/// little more than `{"id": 4, "access_restricted_by_date": true}`, so even
/// `name` is optional.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Course {
    /// The course's id.
    pub id: u64,
    /// The SIS id (only with permission to view SIS information).
    pub sis_course_id: Option<String>,
    /// The course's UUID.
    pub uuid: Option<String>,
    /// The integration id (only with permission to view SIS information).
    pub integration_id: Option<String>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The full name (the caller's nickname for it, if they set one).
    pub name: Option<String>,
    /// The course code (`"BIO-101"`).
    pub course_code: Option<String>,
    /// The actual name, present only when the caller set a nickname.
    pub original_name: Option<String>,
    /// `unpublished`, `available`, `completed` or `deleted`.
    pub workflow_state: Option<String>,
    /// The account the course belongs to.
    pub account_id: Option<u64>,
    /// The root account of the course.
    pub root_account_id: Option<u64>,
    /// The course's enrollment term.
    pub enrollment_term_id: Option<u64>,
    /// The grading periods (`include[]=grading_periods`).
    pub grading_periods: Option<Vec<serde_json::Value>>,
    /// The grading standard of the course.
    pub grading_standard_id: Option<u64>,
    /// The grade passback setting (`"nightly_sync"`).
    pub grade_passback_setting: Option<String>,
    /// When the course was created (ISO 8601).
    pub created_at: Option<String>,
    /// When the course starts (ISO 8601), if set.
    pub start_at: Option<String>,
    /// When the course ends (ISO 8601), if set.
    pub end_at: Option<String>,
    /// The course's locale, if set.
    pub locale: Option<String>,
    /// The caller's own enrollments in the course (a short form, see
    /// [`CourseEnrollment`]).
    pub enrollments: Option<Vec<CourseEnrollment>>,
    /// Active and invited students (`include[]=total_students`).
    pub total_students: Option<u64>,
    /// The course calendar: `{"ics": "https://..."}`.
    pub calendar: Option<serde_json::Value>,
    /// The home page: `feed`, `wiki`, `modules`, `syllabus` or `assignments`.
    pub default_view: Option<String>,
    /// The syllabus HTML (`include[]=syllabus_body`).
    pub syllabus_body: Option<String>,
    /// Submissions needing grading (`include[]=needs_grading_count`).
    pub needs_grading_count: Option<u64>,
    /// The enrollment term (`include[]=term`).
    pub term: Option<Term>,
    /// The caller's progress (`include[]=course_progress`).
    pub course_progress: Option<serde_json::Value>,
    /// Whether the final grade is weighted by assignment groups.
    pub apply_assignment_group_weights: Option<bool>,
    /// The caller's permissions (`include[]=permissions`, single course).
    pub permissions: Option<serde_json::Map<String, serde_json::Value>>,
    /// Whether the course is public.
    pub is_public: Option<bool>,
    /// Whether the course is public to authenticated users.
    pub is_public_to_auth_users: Option<bool>,
    /// Whether the syllabus is public.
    pub public_syllabus: Option<bool>,
    /// Whether the syllabus is public to authenticated users.
    pub public_syllabus_to_auth: Option<bool>,
    /// The public description (`include[]=public_description`).
    pub public_description: Option<String>,
    /// The storage quota, in megabytes.
    pub storage_quota_mb: Option<u64>,
    /// Storage used, in megabytes (`include[]=storage_quota_used_mb`).
    pub storage_quota_used_mb: Option<f64>,
    /// Whether final grades are hidden from students.
    pub hide_final_grades: Option<bool>,
    /// The content license (`"private"`, `"cc_by"`, ...).
    pub license: Option<String>,
    /// Whether students may edit assignments.
    pub allow_student_assignment_edits: Option<bool>,
    /// Whether wiki comments are allowed.
    pub allow_wiki_comments: Option<bool>,
    /// Whether students may attach files to discussions.
    pub allow_student_forum_attachments: Option<bool>,
    /// Whether open enrollment is on.
    pub open_enrollment: Option<bool>,
    /// Whether self enrollment is on.
    pub self_enrollment: Option<bool>,
    /// Whether enrollments are limited to the course's dates.
    pub restrict_enrollments_to_course_dates: Option<bool>,
    /// The course format (`"online"`, `"on_campus"`, `"blended"`).
    pub course_format: Option<String>,
    /// `true` when the caller may not view the course because of its dates
    /// (the other fields are then mostly absent).
    pub access_restricted_by_date: Option<bool>,
    /// The course's IANA time zone.
    pub time_zone: Option<String>,
    /// Whether the course is a Blueprint course.
    pub blueprint: Option<bool>,
    /// The Blueprint restrictions on locked objects.
    pub blueprint_restrictions: Option<serde_json::Value>,
    /// The Blueprint restrictions, by object type.
    pub blueprint_restrictions_by_object_type: Option<serde_json::Value>,
    /// Whether the course is a template.
    pub template: Option<bool>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The short enrollment that a [`Course`] carries in `enrollments`: the
/// caller's own role in the course. Unlike a full
/// [`Enrollment`](super::Enrollment) it has no `id`, and `type` is the short
/// form (`student`, `teacher`, `ta`, `observer`, `designer`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CourseEnrollment {
    /// `student`, `teacher`, `ta`, `observer` or `designer`.
    #[serde(rename = "type")]
    pub enrollment_type: Option<String>,
    /// The role (`StudentEnrollment` or a custom role's name).
    pub role: Option<String>,
    /// The role's id.
    pub role_id: Option<u64>,
    /// The enrolled user (the caller).
    pub user_id: Option<u64>,
    /// `active`, `invited`, `completed`, ...
    pub enrollment_state: Option<String>,
    /// Whether the user sees only their own section.
    pub limit_privileges_to_course_section: Option<bool>,
    /// For an observer: the observed student.
    pub associated_user_id: Option<u64>,
    /// Current score (`include[]=total_scores`, students).
    #[serde(default, deserialize_with = "opt_number")]
    pub computed_current_score: Option<f64>,
    /// Final score (`include[]=total_scores`, students).
    #[serde(default, deserialize_with = "opt_number")]
    pub computed_final_score: Option<f64>,
    /// Current grade (`include[]=total_scores`, students).
    pub computed_current_grade: Option<String>,
    /// Final grade (`include[]=total_scores`, students).
    pub computed_final_grade: Option<String>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}
