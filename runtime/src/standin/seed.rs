//! The stand-in's data: Canvas objects, and what the stand-in starts with.
//!
//! Every type reads from JSON written by a person ([`Seed::from_json`]): unknown
//! fields are refused, and a missing field takes Canvas's default (see each field).

use serde::{Deserialize, Serialize};

fn active() -> String {
    "active".into()
}

fn utc() -> String {
    "Etc/UTC".into()
}

fn quota_500() -> u64 {
    500
}

fn quota_50() -> u64 {
    50
}

/// A Canvas account (the root account or a sub-account).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Account {
    pub id: u64,
    pub name: String,
    /// Derived from the id when empty.
    pub uuid: String,
    /// None for a root account.
    pub parent_account_id: Option<u64>,
    /// None for a root account (as Canvas reports it); derived from the parents when
    /// a seed file leaves it out.
    pub root_account_id: Option<u64>,
    /// `active` or `deleted`.
    #[serde(default = "active")]
    pub workflow_state: String,
    #[serde(default = "utc")]
    pub default_time_zone: String,
    #[serde(default = "quota_500")]
    pub default_storage_quota_mb: u64,
    #[serde(default = "quota_50")]
    pub default_user_storage_quota_mb: u64,
    #[serde(default = "quota_50")]
    pub default_group_storage_quota_mb: u64,
    pub sis_account_id: Option<String>,
    pub integration_id: Option<String>,
    pub sis_import_id: Option<u64>,
}

impl Account {
    /// An active account with Canvas's defaults. `parent` None makes a root account;
    /// otherwise `root_account_id` is set to `root` (the caller knows the root).
    pub fn new(
        id: u64,
        name: impl Into<String>,
        parent: Option<u64>,
        root: Option<u64>,
    ) -> Account {
        Account {
            id,
            name: name.into(),
            uuid: fake_uuid("account", id),
            parent_account_id: parent,
            root_account_id: if parent.is_some() { root } else { None },
            workflow_state: "active".into(),
            default_time_zone: "Etc/UTC".into(),
            default_storage_quota_mb: 500,
            default_user_storage_quota_mb: 50,
            default_group_storage_quota_mb: 50,
            sis_account_id: None,
            integration_id: None,
            sis_import_id: None,
        }
    }
}

fn term_created_at() -> String {
    "2025-01-06T09:00:00Z".into()
}

/// An enrollment term.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Term {
    pub id: u64,
    pub name: String,
    pub start_at: Option<String>,
    /// A term whose `end_at` has passed is concluded.
    pub end_at: Option<String>,
    #[serde(default = "term_created_at")]
    pub created_at: String,
    /// `active`.
    #[serde(default = "active")]
    pub workflow_state: String,
    pub grading_period_group_id: Option<u64>,
    pub sis_term_id: Option<String>,
}

impl Term {
    pub fn new(
        id: u64,
        name: impl Into<String>,
        start_at: Option<&str>,
        end_at: Option<&str>,
    ) -> Term {
        Term {
            id,
            name: name.into(),
            start_at: start_at.map(str::to_string),
            end_at: end_at.map(str::to_string),
            created_at: term_created_at(),
            workflow_state: "active".into(),
            grading_period_group_id: None,
            sis_term_id: None,
        }
    }
}

fn unpublished() -> String {
    "unpublished".into()
}

fn modules() -> String {
    "modules".into()
}

fn private() -> String {
    "private".into()
}

/// A course, with the fields Canvas's Course object has (the ones a job can see).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Course {
    pub id: u64,
    pub name: String,
    pub course_code: String,
    pub account_id: u64,
    /// Derived from the account when a seed file leaves it out.
    pub root_account_id: u64,
    /// The seed's first term when a seed file leaves it out.
    pub enrollment_term_id: u64,
    /// `unpublished` (the default) | `available` | `completed` | `deleted`.
    #[serde(default = "unpublished")]
    pub workflow_state: String,
    /// `feed` | `wiki` | `modules` (the default) | `syllabus` | `assignments`.
    #[serde(default = "modules")]
    pub default_view: String,
    pub sis_course_id: Option<String>,
    pub is_public: bool,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    /// Derived from the id when empty.
    pub uuid: String,
    /// Derived from the id when empty.
    pub created_at: String,
    pub integration_id: Option<String>,
    pub sis_import_id: Option<u64>,
    pub grading_standard_id: Option<u64>,
    pub friendly_name: Option<String>,
    /// `private` (the default), `public_domain`, or a `cc_by*` license.
    #[serde(default = "private")]
    pub license: String,
    pub is_public_to_auth_users: bool,
    pub public_syllabus: bool,
    pub public_syllabus_to_auth: bool,
    #[serde(default = "quota_500")]
    pub storage_quota_mb: u64,
    pub hide_final_grades: bool,
    pub apply_assignment_group_weights: bool,
    pub restrict_enrollments_to_course_dates: bool,
    /// An IANA zone name.
    #[serde(default = "utc")]
    pub time_zone: String,
    pub blueprint: bool,
    pub template: bool,
    pub homeroom_course: bool,
    pub course_color: Option<String>,
    pub grade_passback_setting: Option<String>,
    /// In the course JSON only with `include[]=public_description`.
    pub public_description: Option<String>,
    /// In the course JSON only with `include[]=syllabus_body`.
    pub syllabus_body: Option<String>,
    pub allow_student_wiki_edits: bool,
    pub allow_wiki_comments: bool,
    pub allow_student_forum_attachments: bool,
    pub open_enrollment: bool,
    pub self_enrollment: bool,
    /// `on_campus`, `online`, `blended`, or None.
    pub course_format: Option<String>,
}

impl Course {
    /// An unpublished course with Canvas's defaults (`default_view` `modules`, term 1).
    pub fn new(
        id: u64,
        name: impl Into<String>,
        course_code: impl Into<String>,
        account_id: u64,
        root_account_id: u64,
    ) -> Course {
        Course {
            id,
            name: name.into(),
            course_code: course_code.into(),
            account_id,
            root_account_id,
            enrollment_term_id: 1,
            workflow_state: unpublished(),
            default_view: modules(),
            uuid: fake_uuid("course", id),
            created_at: fake_created_at(id),
            license: private(),
            storage_quota_mb: 500,
            time_zone: utc(),
            ..Course::default()
        }
    }
}

/// A user.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub id: u64,
    pub name: String,
    /// `Last, First` from the name when empty.
    pub sortable_name: String,
    /// The name when empty.
    pub short_name: String,
    pub login_id: String,
    pub email: String,
    pub sis_user_id: Option<String>,
    pub integration_id: Option<String>,
    /// Derived from the id when empty.
    pub created_at: String,
    /// Empty means Canvas's default avatar, served as `{base_url}/images/messages/avatar-50.png`.
    pub avatar_url: String,
    pub locale: Option<String>,
    #[serde(default = "utc")]
    pub time_zone: String,
    pub title: Option<String>,
    pub bio: Option<String>,
}

impl User {
    /// A user named `first last`, login `login_id`, email `login_id@demo.example.edu`.
    pub fn new(id: u64, first: &str, last: &str, login_id: impl Into<String>) -> User {
        let login_id = login_id.into();
        User {
            id,
            name: format!("{first} {last}"),
            sortable_name: format!("{last}, {first}"),
            short_name: format!("{first} {last}"),
            email: format!("{login_id}@demo.example.edu"),
            login_id,
            sis_user_id: None,
            integration_id: None,
            created_at: fake_created_at(id),
            avatar_url: String::new(),
            locale: None,
            time_zone: "Etc/UTC".into(),
            title: None,
            bio: None,
        }
    }
}

/// The enrollment types Canvas has (`type[]` takes these).
pub const ENROLLMENT_TYPES: [&str; 5] = [
    "StudentEnrollment",
    "TeacherEnrollment",
    "TaEnrollment",
    "ObserverEnrollment",
    "DesignerEnrollment",
];

/// The enrollment states Canvas stores.
pub const ENROLLMENT_STATES: [&str; 7] = [
    "active",
    "invited",
    "creation_pending",
    "deleted",
    "rejected",
    "completed",
    "inactive",
];

/// A user's enrollment in a course (in one of its sections).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Enrollment {
    pub id: u64,
    pub course_id: u64,
    pub user_id: u64,
    /// `StudentEnrollment`, `TeacherEnrollment`, `TaEnrollment`, `ObserverEnrollment`, `DesignerEnrollment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// One of [`ENROLLMENT_STATES`]; `active` by default.
    #[serde(default = "active")]
    pub enrollment_state: String,
    /// None: the course's first section (every course has one; the stand-in adds a
    /// default section to a course that has none).
    pub course_section_id: Option<u64>,
    /// For an observer: the student observed.
    pub associated_user_id: Option<u64>,
    pub limit_privileges_to_course_section: bool,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    /// Derived from the id when empty.
    pub created_at: String,
    pub last_activity_at: Option<String>,
    pub total_activity_time: u64,
}

impl Enrollment {
    /// An active enrollment in the course's first section.
    pub fn new(id: u64, course_id: u64, user_id: u64, kind: &str) -> Enrollment {
        Enrollment {
            id,
            course_id,
            user_id,
            kind: kind.into(),
            enrollment_state: "active".into(),
            created_at: fake_created_at(id),
            ..Enrollment::default()
        }
    }

    /// The same enrollment in another section.
    pub fn in_section(mut self, section_id: u64) -> Enrollment {
        self.course_section_id = Some(section_id);
        self
    }

    /// The role name Canvas shows (`StudentEnrollment`), and the short type (`student`).
    pub fn short_type(&self) -> &str {
        match self.kind.as_str() {
            "StudentEnrollment" => "student",
            "TeacherEnrollment" => "teacher",
            "TaEnrollment" => "ta",
            "ObserverEnrollment" => "observer",
            "DesignerEnrollment" => "designer",
            other => other,
        }
    }

    /// The id of the built-in role of this type (`role_id`).
    pub fn role_id(&self) -> u64 {
        ENROLLMENT_TYPES
            .iter()
            .position(|t| *t == self.kind)
            .map(|i| 3 + i as u64)
            .unwrap_or(0)
    }
}

/// A course section.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    pub id: u64,
    pub course_id: u64,
    pub name: String,
    pub sis_section_id: Option<String>,
    pub integration_id: Option<String>,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    pub restrict_enrollments_to_section_dates: bool,
    /// The original course of a cross-listed section.
    pub nonxlist_course_id: Option<u64>,
    /// `active` or `deleted`.
    #[serde(default = "active")]
    pub workflow_state: String,
    /// Derived from the id when empty.
    pub created_at: String,
}

impl Section {
    pub fn new(id: u64, course_id: u64, name: impl Into<String>) -> Section {
        Section {
            id,
            course_id,
            name: name.into(),
            workflow_state: active(),
            created_at: fake_created_at(id),
            ..Section::default()
        }
    }
}

fn points() -> String {
    "points".into()
}

fn no_submission() -> Vec<String> {
    vec!["none".into()]
}

fn unlimited() -> i64 {
    -1
}

/// The submission types after which a student has nothing to hand in.
pub(crate) const NO_SUBMISSION_TYPES: [&str; 5] =
    ["", "none", "not_graded", "on_paper", "wiki_page"];

/// An assignment.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Assignment {
    pub id: u64,
    pub course_id: u64,
    pub name: String,
    /// HTML.
    pub description: Option<String>,
    pub due_at: Option<String>,
    pub lock_at: Option<String>,
    pub unlock_at: Option<String>,
    pub points_possible: Option<f64>,
    /// `points` (the default), `pass_fail`, `percent`, `letter_grade`, `gpa_scale`, `not_graded`.
    #[serde(default = "points")]
    pub grading_type: String,
    /// `online_text_entry`, `online_upload`, `online_url`, `on_paper`, `none` (the default), …
    #[serde(default = "no_submission")]
    pub submission_types: Vec<String>,
    /// None in a seed file: follows `workflow_state` (published unless it says otherwise).
    pub published: Option<bool>,
    /// `published` | `unpublished` | `deleted`; empty in a seed file: follows `published`.
    pub workflow_state: String,
    /// 1-based order in the course; 0 in a seed file: by id.
    pub position: u64,
    pub assignment_group_id: Option<u64>,
    pub sis_assignment_id: Option<String>,
    pub integration_id: Option<String>,
    pub omit_from_final_grade: bool,
    pub peer_reviews: bool,
    /// -1 for unlimited (the default).
    #[serde(default = "unlimited")]
    pub allowed_attempts: i64,
    /// Derived from the id when empty.
    pub created_at: String,
}

impl Assignment {
    /// A published assignment with nothing to submit, no due date and no points.
    pub fn new(id: u64, course_id: u64, name: impl Into<String>) -> Assignment {
        Assignment {
            id,
            course_id,
            name: name.into(),
            grading_type: points(),
            submission_types: no_submission(),
            published: Some(true),
            workflow_state: "published".into(),
            allowed_attempts: -1,
            created_at: fake_created_at(id),
            ..Assignment::default()
        }
    }

    /// Whether students hand something in (Canvas's `expects_submission?`).
    pub fn expects_submission(&self) -> bool {
        !self.submission_types.is_empty()
            && self
                .submission_types
                .iter()
                .all(|t| !NO_SUBMISSION_TYPES.contains(&t.as_str()))
    }
}

/// The `workflow_state`s of a submission.
pub const SUBMISSION_STATES: [&str; 4] = ["submitted", "unsubmitted", "graded", "pending_review"];

/// A student's submission for an assignment. The stand-in keeps one for every
/// student of every assignment, as Canvas does: the ones a seed leaves out start
/// `unsubmitted`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Submission {
    pub id: u64,
    pub assignment_id: u64,
    pub user_id: u64,
    pub score: Option<f64>,
    /// The score as text when a seed file gives a score without a grade.
    pub grade: Option<String>,
    pub submitted_at: Option<String>,
    pub graded_at: Option<String>,
    pub grader_id: Option<u64>,
    /// `online_text_entry`, `online_upload`, `online_url`, …; the assignment's first
    /// type when a seed file leaves it out of a submitted submission.
    pub submission_type: Option<String>,
    pub body: Option<String>,
    pub url: Option<String>,
    /// One of [`SUBMISSION_STATES`]; empty in a seed file: `graded` with a score or
    /// grade, else `submitted` with `submitted_at`, else `unsubmitted`.
    pub workflow_state: String,
    pub attempt: Option<u64>,
    pub excused: Option<bool>,
    /// `late`, `missing`, `extended`, `none`, or None.
    pub late_policy_status: Option<String>,
    /// None: computed as Canvas does (submitted after the due date).
    pub late: Option<bool>,
    /// None: computed as Canvas does (past due, nothing submitted, not graded).
    pub missing: Option<bool>,
    pub posted_at: Option<String>,
}

impl Submission {
    /// An unsubmitted submission.
    pub fn new(id: u64, assignment_id: u64, user_id: u64) -> Submission {
        Submission {
            id,
            assignment_id,
            user_id,
            workflow_state: "unsubmitted".into(),
            ..Submission::default()
        }
    }
}

/// Everything the stand-in starts with. In JSON (see [`Seed::from_json`]) every list
/// may be left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    pub accounts: Vec<Account>,
    pub terms: Vec<Term>,
    pub courses: Vec<Course>,
    pub users: Vec<User>,
    pub enrollments: Vec<Enrollment>,
    pub sections: Vec<Section>,
    pub assignments: Vec<Assignment>,
    pub submissions: Vec<Submission>,
}

/// The user `users/self` resolves to (the token's owner).
pub const WORKER_USER_ID: u64 = 1;

/// A deterministic 40-character id in Canvas's uuid alphabet.
pub(crate) fn fake_uuid(kind: &str, id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    fn splitmix(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let kind_hash = kind.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    let mut seed = id;
    let mut state = splitmix(&mut seed) ^ kind_hash;
    (0..40)
        .map(|_| ALPHABET[(splitmix(&mut state) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

pub(crate) fn fake_created_at(id: u64) -> String {
    let day = 1 + (id % 28);
    let hour = 8 + (id % 10);
    let minute = (id * 7) % 60;
    format!("2025-07-{day:02}T{hour:02}:{minute:02}:00Z")
}

pub(crate) const VIEWS: [&str; 5] = ["modules", "wiki", "syllabus", "assignments", "feed"];

impl Seed {
    /// An empty seed (no accounts, courses or users).
    pub fn empty() -> Seed {
        Seed::default()
    }

    /// Adds `n` generated courses in `account_id` (ids continue after the existing ones),
    /// `unpublished` of them (spread evenly) unpublished and the rest available. They are
    /// named `GEN 0001 — Generated Course 1`, code `GEN 0001`, SIS id `GEN0001`.
    pub fn with_generated_courses(mut self, account_id: u64, n: usize, unpublished: usize) -> Seed {
        let unpublished = unpublished.min(n);
        let first_id = self.courses.iter().map(|c| c.id).max().unwrap_or(0) + 1;
        let root = self.root_of(account_id);
        let term = self.terms.first().map(|t| t.id).unwrap_or(1);
        for i in 0..n {
            let id = first_id + i as u64;
            let num = i + 1;
            let mut c = Course::new(
                id,
                format!("GEN {num:04} — Generated Course {num}"),
                format!("GEN {num:04}"),
                account_id,
                root,
            );
            c.sis_course_id = Some(format!("GEN{num:04}"));
            c.enrollment_term_id = term;
            c.default_view = VIEWS[i % VIEWS.len()].to_string();
            // Exactly `unpublished` of the n, spread evenly.
            let is_unpublished = n > 0 && ((i + 1) * unpublished) / n > (i * unpublished) / n;
            c.workflow_state = if is_unpublished {
                "unpublished"
            } else {
                "available"
            }
            .to_string();
            self.courses.push(c);
        }
        self
    }

    /// The root account above `account_id` (itself if it has no parent or is unknown).
    pub fn root_of(&self, account_id: u64) -> u64 {
        let mut id = account_id;
        for _ in 0..self.accounts.len() + 1 {
            match self
                .accounts
                .iter()
                .find(|a| a.id == id)
                .and_then(|a| a.parent_account_id)
            {
                Some(p) => id = p,
                None => return id,
            }
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_courses() {
        let s = Seed::demo().with_generated_courses(2, 10, 3);
        let first = Seed::demo().courses.len();
        assert_eq!(s.courses.len(), first + 10);
        let generated = &s.courses[first..];
        assert_eq!(generated[0].id, first as u64 + 1);
        assert_eq!(
            generated
                .iter()
                .filter(|c| c.workflow_state == "unpublished")
                .count(),
            3
        );
        assert!(generated
            .iter()
            .all(|c| c.account_id == 2 && c.root_account_id == 1));
        let s = Seed::empty().with_generated_courses(7, 4, 9);
        assert_eq!(s.courses.len(), 4);
        assert!(s.courses.iter().all(|c| c.workflow_state == "unpublished"));
    }

    #[test]
    fn enrollment_roles_and_expected_submissions() {
        let e = Enrollment::new(1, 2, 3, "TaEnrollment").in_section(9);
        assert_eq!(e.short_type(), "ta");
        assert_eq!(e.role_id(), 5);
        assert_eq!(e.course_section_id, Some(9));
        let mut a = Assignment::new(1, 1, "Essay");
        assert!(!a.expects_submission());
        a.submission_types = vec!["online_upload".into(), "online_url".into()];
        assert!(a.expects_submission());
        a.submission_types = vec!["on_paper".into()];
        assert!(!a.expects_submission());
    }
}
