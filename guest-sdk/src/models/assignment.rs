//! `Assignment` (assignments_api_controller.rb) and `Submission`
//! (submissions_api_controller.rb).

use serde::{Deserialize, Serialize};

use super::{Course, Extra, User};

/// An assignment (`GET /api/v1/courses/:id/assignments`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Assignment {
    /// The assignment's id.
    pub id: u64,
    /// The name.
    pub name: Option<String>,
    /// The description, an HTML fragment.
    pub description: Option<String>,
    /// When it was created (ISO 8601).
    pub created_at: Option<String>,
    /// When it was last modified (ISO 8601).
    pub updated_at: Option<String>,
    /// The due date (ISO 8601) as it applies to the caller; `None` when
    /// there is none.
    pub due_at: Option<String>,
    /// The lock date (ISO 8601), as it applies to the caller.
    pub lock_at: Option<String>,
    /// The unlock date (ISO 8601), as it applies to the caller.
    pub unlock_at: Option<String>,
    /// Whether the assignment has overrides.
    pub has_overrides: Option<bool>,
    /// Every date of the assignment (`include[]=all_dates`).
    pub all_dates: Option<Vec<serde_json::Value>>,
    /// The course.
    pub course_id: Option<u64>,
    /// The assignment's page in Canvas.
    pub html_url: Option<String>,
    /// Where to download all submissions.
    pub submissions_download_url: Option<String>,
    /// The assignment group.
    pub assignment_group_id: Option<u64>,
    /// Whether a due date is required.
    pub due_date_required: Option<bool>,
    /// Allowed file extensions for `online_upload` submissions.
    pub allowed_extensions: Option<Vec<String>>,
    /// The longest name allowed.
    pub max_name_length: Option<u64>,
    /// Whether Turnitin is enabled.
    pub turnitin_enabled: Option<bool>,
    /// Turnitin's settings.
    pub turnitin_settings: Option<serde_json::Value>,
    /// For a group assignment, whether students are graded individually.
    pub grade_group_students_individually: Option<bool>,
    /// The external tool's `url` and `new_tab` (`external_tool` submissions).
    pub external_tool_tag_attributes: Option<serde_json::Value>,
    /// Whether peer reviews are required.
    pub peer_reviews: Option<bool>,
    /// Whether peer reviews are assigned automatically.
    pub automatic_peer_reviews: Option<bool>,
    /// Reviews per user (with `automatic_peer_reviews`).
    pub peer_review_count: Option<u64>,
    /// When reviews are assigned (ISO 8601, with `automatic_peer_reviews`).
    pub peer_reviews_assign_at: Option<String>,
    /// Whether reviews within the same group are allowed.
    pub intra_group_peer_reviews: Option<bool>,
    /// The group set of a group assignment.
    pub group_category_id: Option<u64>,
    /// Submissions needing grading (graders only).
    pub needs_grading_count: Option<u64>,
    /// The position in its group.
    pub position: Option<u64>,
    /// Whether grades are posted to the SIS.
    pub post_to_sis: Option<bool>,
    /// A third party's id for the assignment.
    pub integration_id: Option<String>,
    /// A third party's data for the assignment.
    pub integration_data: Option<serde_json::Value>,
    /// Whether the assignment is muted.
    pub muted: Option<bool>,
    /// The most points possible.
    pub points_possible: Option<f64>,
    /// The submission types: `online_text_entry`, `online_upload`, `none`,
    /// `on_paper`, `external_tool`, ... (empty when Canvas sent none).
    #[serde(default)]
    pub submission_types: Vec<String>,
    /// Whether anyone has submitted.
    pub has_submitted_submissions: Option<bool>,
    /// `pass_fail`, `percent`, `letter_grade`, `gpa_scale`, `points` or
    /// `not_graded`.
    pub grading_type: Option<String>,
    /// The grading standard (letter or GPA grading).
    pub grading_standard_id: Option<u64>,
    /// Whether the assignment is published.
    pub published: Option<bool>,
    /// Whether it may be unpublished (no submissions yet).
    pub unpublishable: Option<bool>,
    /// Whether only students with an override see it.
    pub only_visible_to_overrides: Option<bool>,
    /// Whether it is locked for the caller.
    pub locked_for_user: Option<bool>,
    /// Why and until when it is locked (when `locked_for_user`).
    pub lock_info: Option<serde_json::Value>,
    /// An explanation of the lock (when `locked_for_user`).
    pub lock_explanation: Option<String>,
    /// The quiz, for an `online_quiz` assignment.
    pub quiz_id: Option<u64>,
    /// Whether anonymous submissions are accepted (quizzes).
    pub anonymous_submissions: Option<bool>,
    /// The discussion topic of a graded discussion.
    pub discussion_topic: Option<serde_json::Value>,
    /// Whether it is frozen when copied (AssignmentFreezer plugin).
    pub freeze_on_copy: Option<bool>,
    /// Whether it is frozen for the caller (AssignmentFreezer plugin).
    pub frozen: Option<bool>,
    /// The frozen attributes (AssignmentFreezer plugin).
    pub frozen_attributes: Option<Vec<String>>,
    /// The caller's submission (`include[]=submission`).
    pub submission: Option<Box<Submission>>,
    /// Whether the rubric is used for grading.
    pub use_rubric_for_grading: Option<bool>,
    /// The rubric's settings (`{"points_possible": 12, ...}`).
    pub rubric_settings: Option<serde_json::Value>,
    /// The rubric's criteria.
    pub rubric: Option<Vec<serde_json::Value>>,
    /// Students who can see it (`include[]=assignment_visibility`).
    pub assignment_visibility: Option<Vec<u64>>,
    /// The overrides (`include[]=overrides`).
    pub overrides: Option<Vec<serde_json::Value>>,
    /// Whether it is left out of the final grade.
    pub omit_from_final_grade: Option<bool>,
    /// Whether moderated grading is on.
    pub moderated_grading: Option<bool>,
    /// Graders of a moderated assignment.
    pub grader_count: Option<u64>,
    /// The final grader of a moderated assignment.
    pub final_grader_id: Option<u64>,
    /// Whether grading is anonymous.
    pub anonymous_grading: Option<bool>,
    /// Attempts allowed; `-1` for unlimited.
    pub allowed_attempts: Option<i64>,
    /// Whether grades are posted manually.
    pub post_manually: Option<bool>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A student's submission for an assignment
/// (`GET /api/v1/courses/:id/assignments/:id/submissions`). Canvas keeps one
/// per student and assignment, even before the student submits
/// (`workflow_state` `unsubmitted`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Submission {
    /// The submission's id (Canvas's API addresses a submission by its
    /// assignment and user instead).
    pub id: Option<u64>,
    /// The assignment.
    pub assignment_id: Option<u64>,
    /// The assignment (`include[]=assignment`).
    pub assignment: Option<Box<Assignment>>,
    /// The course (`include[]=course`).
    pub course: Option<Box<Course>>,
    /// The attempt number; `None` before the first attempt.
    pub attempt: Option<u64>,
    /// The text of an `online_text_entry` submission.
    pub body: Option<String>,
    /// The grade in the assignment's grading scheme (`"A-"`, `"13.5"`,
    /// `"complete"`).
    pub grade: Option<String>,
    /// `false` when the student resubmitted after grading.
    pub grade_matches_current_submission: Option<bool>,
    /// The submission's page in Canvas.
    pub html_url: Option<String>,
    /// The submission's preview page in Canvas.
    pub preview_url: Option<String>,
    /// The raw score.
    pub score: Option<f64>,
    /// The comments (`include[]=submission_comments`).
    pub submission_comments: Option<Vec<serde_json::Value>>,
    /// `online_text_entry`, `online_url`, `online_upload`, `online_quiz`,
    /// `media_recording`, `student_annotation`; `None` before submitting.
    pub submission_type: Option<String>,
    /// When it was submitted (ISO 8601).
    pub submitted_at: Option<String>,
    /// The URL of an `online_url` submission.
    pub url: Option<String>,
    /// The student.
    pub user_id: Option<u64>,
    /// Who graded it: a user id, or a negative quiz or tool id for
    /// automatic grading; `None` when ungraded.
    pub grader_id: Option<i64>,
    /// When it was graded (ISO 8601).
    pub graded_at: Option<String>,
    /// The student (`include[]=user`).
    pub user: Option<User>,
    /// Whether it was submitted after the due date.
    pub late: Option<bool>,
    /// Whether the assignment is visible to the student.
    pub assignment_visible: Option<bool>,
    /// Whether the student is excused.
    pub excused: Option<bool>,
    /// Whether it is missing.
    pub missing: Option<bool>,
    /// `late`, `missing`, `extended`, `none`, or `None`.
    pub late_policy_status: Option<String>,
    /// Points deducted by the late policy.
    pub points_deducted: Option<f64>,
    /// How late it is, in seconds.
    pub seconds_late: Option<f64>,
    /// `submitted`, `unsubmitted`, `graded` or `pending_review`.
    pub workflow_state: Option<String>,
    /// Extra attempts allowed to this student.
    pub extra_attempts: Option<u64>,
    /// An id that does not reveal the student (admins only).
    pub anonymous_id: Option<String>,
    /// When the grade was posted to the student (ISO 8601).
    pub posted_at: Option<String>,
    /// `read` or `unread` (`include[]=read_status`).
    pub read_status: Option<String>,
    /// Whether the instructor asked for a new attempt.
    pub redo_request: Option<bool>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}
