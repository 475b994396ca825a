//! `User` (users_controller.rb) and `Enrollment` with its `Grade`
//! (enrollments_api_controller.rb).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::de::opt_number;
use super::Extra;

/// A Canvas user (`GET /api/v1/users/:id`, and the `user` of an enrollment
/// or submission, where Canvas sends fewer fields).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct User {
    /// The user's id.
    pub id: u64,
    /// The user's name.
    pub name: Option<String>,
    /// The name for sorting (`"Cooper, Sheldon"`).
    pub sortable_name: Option<String>,
    /// The last name.
    pub last_name: Option<String>,
    /// The first name.
    pub first_name: Option<String>,
    /// The short name the user chose.
    pub short_name: Option<String>,
    /// The SIS id (only with permission to view SIS information).
    pub sis_user_id: Option<String>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The integration id (only with permission to view SIS information).
    pub integration_id: Option<String>,
    /// The login id (what the user logs in with).
    pub login_id: Option<String>,
    /// The avatar's URL, when avatars are enabled.
    pub avatar_url: Option<String>,
    /// The user's active enrollments, where an endpoint includes them.
    pub enrollments: Option<Vec<Enrollment>>,
    /// The primary email address, where an endpoint includes it.
    pub email: Option<String>,
    /// The user's locale (RFC 5646), where an endpoint includes it.
    pub locale: Option<String>,
    /// When the user last logged in (ISO 8601), where an endpoint includes it.
    pub last_login: Option<String>,
    /// The user's IANA time zone, where an endpoint includes it.
    pub time_zone: Option<String>,
    /// The user's bio, where an endpoint includes it.
    pub bio: Option<String>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A user's enrollment in a course section
/// (`GET /api/v1/courses/:id/enrollments`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Enrollment {
    /// The enrollment's id.
    pub id: u64,
    /// The course.
    pub course_id: Option<u64>,
    /// The course's SIS id (only with permission to view SIS information).
    pub sis_course_id: Option<String>,
    /// The course's integration id (only with SIS permission).
    pub course_integration_id: Option<String>,
    /// The section.
    pub course_section_id: Option<u64>,
    /// The section's integration id (only with SIS permission).
    pub section_integration_id: Option<String>,
    /// The account's SIS id (only with SIS permission).
    pub sis_account_id: Option<String>,
    /// The section's SIS id (only with SIS permission).
    pub sis_section_id: Option<String>,
    /// The user's SIS id (only with SIS permission).
    pub sis_user_id: Option<String>,
    /// `active`, `invited`, `inactive`, `completed`, ...
    pub enrollment_state: Option<String>,
    /// Whether the user sees only their own section.
    pub limit_privileges_to_course_section: Option<bool>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The root account.
    pub root_account_id: Option<u64>,
    /// Canvas's `type`: `StudentEnrollment`, `TeacherEnrollment`,
    /// `TaEnrollment`, `DesignerEnrollment` or `ObserverEnrollment`
    /// (see [`Enrollment::kind`]).
    #[serde(rename = "type")]
    pub enrollment_type: Option<String>,
    /// The enrolled user.
    pub user_id: Option<u64>,
    /// For an observer enrollment, the observed student; `None` otherwise.
    pub associated_user_id: Option<u64>,
    /// The role: the type, or a custom role's name.
    pub role: Option<String>,
    /// The role's id.
    pub role_id: Option<u64>,
    /// When the enrollment was created (ISO 8601).
    pub created_at: Option<String>,
    /// When the enrollment was last updated (ISO 8601).
    pub updated_at: Option<String>,
    /// When the enrollment starts (ISO 8601), if set.
    pub start_at: Option<String>,
    /// When the enrollment ends (ISO 8601), if set.
    pub end_at: Option<String>,
    /// The user's last activity in the course (ISO 8601).
    pub last_activity_at: Option<String>,
    /// When the user last attended the course (ISO 8601).
    pub last_attended_at: Option<String>,
    /// The user's total activity time in the course, in seconds.
    pub total_activity_time: Option<u64>,
    /// The enrollment's page in Canvas.
    pub html_url: Option<String>,
    /// The grades of a student enrollment.
    pub grades: Option<Grades>,
    /// The enrolled user (a short form: id, names, login id, ...).
    pub user: Option<User>,
    /// The override grade for the course.
    pub override_grade: Option<String>,
    /// The override score for the course.
    #[serde(default, deserialize_with = "opt_number")]
    pub override_score: Option<f64>,
    /// Current grade including unposted assignments (graders only).
    pub unposted_current_grade: Option<String>,
    /// Final grade including unposted assignments (graders only).
    pub unposted_final_grade: Option<String>,
    /// Current score including unposted assignments (graders only).
    #[serde(default, deserialize_with = "opt_number")]
    pub unposted_current_score: Option<f64>,
    /// Final score including unposted assignments (graders only).
    #[serde(default, deserialize_with = "opt_number")]
    pub unposted_final_score: Option<f64>,
    /// Whether the course has grading periods (student enrollments, course
    /// endpoints).
    pub has_grading_periods: Option<bool>,
    /// Whether totals for all grading periods are shown.
    pub totals_for_all_grading_periods_option: Option<bool>,
    /// The current grading period's title, if any.
    pub current_grading_period_title: Option<String>,
    /// The current grading period's id, if any.
    pub current_grading_period_id: Option<u64>,
    /// The override grade for the current grading period.
    pub current_period_override_grade: Option<String>,
    /// The override score for the current grading period.
    #[serde(default, deserialize_with = "opt_number")]
    pub current_period_override_score: Option<f64>,
    /// Current grading period's current score, unposted included.
    #[serde(default, deserialize_with = "opt_number")]
    pub current_period_unposted_current_score: Option<f64>,
    /// Current grading period's final score, unposted included.
    #[serde(default, deserialize_with = "opt_number")]
    pub current_period_unposted_final_score: Option<f64>,
    /// Current grading period's current grade, unposted included.
    pub current_period_unposted_current_grade: Option<String>,
    /// Current grading period's final grade, unposted included.
    pub current_period_unposted_final_grade: Option<String>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Enrollment {
    /// The enrollment's base type, `None` when `type` is missing or not one
    /// of the five Canvas knows.
    pub fn kind(&self) -> Option<EnrollmentType> {
        self.enrollment_type
            .as_deref()
            .and_then(EnrollmentType::parse)
    }
}

/// The grades of a student enrollment (Canvas's `Grade`). Canvas documents
/// the scores as strings and sends numbers; both are accepted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Grades {
    /// The student's grades page in Canvas.
    pub html_url: Option<String>,
    /// The current grade (`"A-"`), if the course has a grading scheme.
    pub current_grade: Option<String>,
    /// The final grade, if the course has a grading scheme.
    pub final_grade: Option<String>,
    /// The current score, in percent.
    #[serde(default, deserialize_with = "opt_number")]
    pub current_score: Option<f64>,
    /// The final score, in percent (ungraded work counted as 0).
    #[serde(default, deserialize_with = "opt_number")]
    pub final_score: Option<f64>,
    /// Points earned (`include[]=current_points`).
    #[serde(default, deserialize_with = "opt_number")]
    pub current_points: Option<f64>,
    /// Current grade including unposted assignments (graders only).
    pub unposted_current_grade: Option<String>,
    /// Final grade including unposted assignments (graders only).
    pub unposted_final_grade: Option<String>,
    /// Current score including unposted assignments (graders only).
    #[serde(default, deserialize_with = "opt_number")]
    pub unposted_current_score: Option<f64>,
    /// Final score including unposted assignments (graders only).
    #[serde(default, deserialize_with = "opt_number")]
    pub unposted_final_score: Option<f64>,
    /// Points earned including unposted assignments
    /// (`include[]=current_points`, graders only).
    #[serde(default, deserialize_with = "opt_number")]
    pub unposted_current_points: Option<f64>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The five base enrollment types, as Canvas names them in an enrollment's
/// `type` and in the `type[]` filter of the enrollments list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnrollmentType {
    /// `StudentEnrollment`
    Student,
    /// `TeacherEnrollment`
    Teacher,
    /// `TaEnrollment`
    Ta,
    /// `DesignerEnrollment`
    Designer,
    /// `ObserverEnrollment`
    Observer,
}

impl EnrollmentType {
    /// Every type, in Canvas's order.
    pub const ALL: [EnrollmentType; 5] = [
        EnrollmentType::Student,
        EnrollmentType::Teacher,
        EnrollmentType::Ta,
        EnrollmentType::Designer,
        EnrollmentType::Observer,
    ];

    /// Canvas's name: `StudentEnrollment`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentType::Student => "StudentEnrollment",
            EnrollmentType::Teacher => "TeacherEnrollment",
            EnrollmentType::Ta => "TaEnrollment",
            EnrollmentType::Designer => "DesignerEnrollment",
            EnrollmentType::Observer => "ObserverEnrollment",
        }
    }

    /// The type named `s`: Canvas's name (`StudentEnrollment`) or the short
    /// form of a course's enrollments (`student`), in any case.
    pub fn parse(s: &str) -> Option<EnrollmentType> {
        let s = s.trim();
        EnrollmentType::ALL.into_iter().find(|t| {
            let long = t.as_str();
            let short = &long[..long.len() - "Enrollment".len()];
            s.eq_ignore_ascii_case(long) || s.eq_ignore_ascii_case(short)
        })
    }
}

impl fmt::Display for EnrollmentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
