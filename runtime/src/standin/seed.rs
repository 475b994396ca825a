//! The stand-in's data: Canvas objects, and the deterministic demo data set.

use serde::Serialize;

/// A Canvas account (the root account or a sub-account).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Account {
    pub id: u64,
    pub name: String,
    pub uuid: String,
    /// None for a root account.
    pub parent_account_id: Option<u64>,
    /// None for a root account (as Canvas reports it).
    pub root_account_id: Option<u64>,
    /// `active` or `deleted`.
    pub workflow_state: String,
    pub default_time_zone: String,
    pub default_storage_quota_mb: u64,
    pub default_user_storage_quota_mb: u64,
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

/// An enrollment term.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Term {
    pub id: u64,
    pub name: String,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    pub created_at: String,
    /// `active`.
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
            created_at: "2025-01-06T09:00:00Z".into(),
            workflow_state: "active".into(),
            grading_period_group_id: None,
            sis_term_id: None,
        }
    }
}

/// A course, with the fields Canvas's Course object has (the ones a job can see).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Course {
    pub id: u64,
    pub name: String,
    pub course_code: String,
    pub account_id: u64,
    pub root_account_id: u64,
    pub enrollment_term_id: u64,
    /// `unpublished` | `available` | `completed` | `deleted`.
    pub workflow_state: String,
    /// `feed` | `wiki` | `modules` | `syllabus` | `assignments`.
    pub default_view: String,
    pub sis_course_id: Option<String>,
    pub is_public: bool,
    pub start_at: Option<String>,
    pub end_at: Option<String>,
    pub uuid: String,
    pub created_at: String,
    pub integration_id: Option<String>,
    pub sis_import_id: Option<u64>,
    pub grading_standard_id: Option<u64>,
    pub friendly_name: Option<String>,
    pub license: String,
    pub is_public_to_auth_users: bool,
    pub public_syllabus: bool,
    pub public_syllabus_to_auth: bool,
    pub storage_quota_mb: u64,
    pub hide_final_grades: bool,
    pub apply_assignment_group_weights: bool,
    pub restrict_enrollments_to_course_dates: bool,
    pub time_zone: String,
    pub blueprint: bool,
    pub template: bool,
    pub homeroom_course: bool,
    pub course_color: Option<String>,
    pub grade_passback_setting: Option<String>,
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
            workflow_state: "unpublished".into(),
            default_view: "modules".into(),
            sis_course_id: None,
            is_public: false,
            start_at: None,
            end_at: None,
            uuid: fake_uuid("course", id),
            created_at: fake_created_at(id),
            integration_id: None,
            sis_import_id: None,
            grading_standard_id: None,
            friendly_name: None,
            license: "private".into(),
            is_public_to_auth_users: false,
            public_syllabus: false,
            public_syllabus_to_auth: false,
            storage_quota_mb: 500,
            hide_final_grades: false,
            apply_assignment_group_weights: false,
            restrict_enrollments_to_course_dates: false,
            time_zone: "Etc/UTC".into(),
            blueprint: false,
            template: false,
            homeroom_course: false,
            course_color: None,
            grade_passback_setting: None,
        }
    }
}

/// A user.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub sortable_name: String,
    pub short_name: String,
    pub login_id: String,
    pub email: String,
    pub sis_user_id: Option<String>,
    pub integration_id: Option<String>,
    pub created_at: String,
    /// Empty means Canvas's default avatar, served as `{base_url}/images/messages/avatar-50.png`.
    pub avatar_url: String,
    pub locale: Option<String>,
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

/// A user's enrollment in a course.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Enrollment {
    pub id: u64,
    pub course_id: u64,
    pub user_id: u64,
    /// `StudentEnrollment`, `TeacherEnrollment`, `TaEnrollment`, `ObserverEnrollment`, `DesignerEnrollment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `active`.
    pub enrollment_state: String,
}

impl Enrollment {
    pub fn new(id: u64, course_id: u64, user_id: u64, kind: &str) -> Enrollment {
        Enrollment {
            id,
            course_id,
            user_id,
            kind: kind.into(),
            enrollment_state: "active".into(),
        }
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
}

/// Everything the stand-in starts with.
#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub accounts: Vec<Account>,
    pub terms: Vec<Term>,
    pub courses: Vec<Course>,
    pub users: Vec<User>,
    pub enrollments: Vec<Enrollment>,
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

const VIEWS: [&str; 5] = ["modules", "wiki", "syllabus", "assignments", "feed"];

impl Seed {
    /// An empty seed (no accounts, courses or users).
    pub fn empty() -> Seed {
        Seed::default()
    }

    /// Deterministic demo data: root account 1 "Demo University" with sub-accounts
    /// 2 "Faculty of Science" and 3 "Faculty of Arts"; terms 1 "Default Term",
    /// 2 "Fall 2025", 3 "Spring 2026"; 60 courses (ids 1–60: 15 unpublished, 2 completed,
    /// 1 deleted, the rest available) with real-looking names and codes and various
    /// default views; 20 users (1 is the worker "Warden Worker", 2–7 teachers, 8–20
    /// students) and a few enrollments per course.
    pub fn demo() -> Seed {
        let mut accounts = vec![
            Account::new(1, "Demo University", None, None),
            Account::new(2, "Faculty of Science", Some(1), Some(1)),
            Account::new(3, "Faculty of Arts", Some(1), Some(1)),
        ];
        accounts[1].sis_account_id = Some("SCI".into());
        accounts[2].sis_account_id = Some("ARTS".into());

        let mut terms = vec![
            Term::new(1, "Default Term", None, None),
            Term::new(
                2,
                "Fall 2025",
                Some("2025-08-25T00:00:00Z"),
                Some("2025-12-19T23:59:59Z"),
            ),
            Term::new(
                3,
                "Spring 2026",
                Some("2026-01-12T00:00:00Z"),
                Some("2026-05-08T23:59:59Z"),
            ),
        ];
        terms[1].sis_term_id = Some("2025FA".into());
        terms[2].sis_term_id = Some("2026SP".into());

        // (account, code, title, default_view, state, term)
        // state: P available, U unpublished, C completed, D deleted.
        #[rustfmt::skip]
        let table: [(u64, &str, &str, usize, char, u64); 60] = [
            (2, "BIO 101", "Introduction to Biology", 0, 'P', 3),
            (2, "BIO 210", "Genetics", 1, 'P', 3),
            (2, "BIO 305", "Molecular Cell Biology", 0, 'U', 3),
            (2, "BIO 420", "Ecology Field Methods", 2, 'P', 3),
            (2, "CHEM 101", "General Chemistry I", 0, 'P', 3),
            (2, "CHEM 102", "General Chemistry II", 3, 'U', 3),
            (2, "CHEM 240", "Organic Chemistry", 0, 'P', 3),
            (2, "PHYS 101", "Mechanics", 1, 'P', 3),
            (2, "PHYS 102", "Electricity and Magnetism", 0, 'P', 3),
            (2, "PHYS 310", "Quantum Mechanics", 2, 'U', 3),
            (2, "MATH 101", "Calculus I", 0, 'P', 3),
            (2, "MATH 102", "Calculus II", 0, 'P', 3),
            (2, "MATH 220", "Linear Algebra", 3, 'P', 3),
            (2, "MATH 330", "Real Analysis", 4, 'U', 3),
            (2, "MATH 410", "Numerical Methods", 0, 'U', 3),
            (2, "STAT 200", "Introduction to Statistics", 1, 'P', 3),
            (2, "STAT 310", "Regression Analysis", 0, 'C', 2),
            (2, "CS 101", "Introduction to Programming", 0, 'P', 3),
            (2, "CS 201", "Data Structures", 3, 'P', 3),
            (2, "CS 310", "Operating Systems", 0, 'U', 3),
            (2, "CS 340", "Databases", 1, 'P', 3),
            (2, "CS 420", "Compilers", 2, 'P', 3),
            (2, "GEOL 101", "Physical Geology", 0, 'P', 3),
            (2, "ASTR 110", "The Solar System", 4, 'U', 3),
            (2, "ENVS 150", "Environmental Science", 0, 'P', 3),
            (2, "NEUR 250", "Foundations of Neuroscience", 1, 'D', 3),
            (3, "HIST 101", "World History to 1500", 0, 'P', 3),
            (3, "HIST 102", "World History since 1500", 0, 'U', 3),
            (3, "HIST 230", "The Roman Republic", 1, 'P', 3),
            (3, "HIST 340", "Modern Japan", 2, 'P', 3),
            (3, "ENGL 101", "Academic Writing", 3, 'P', 3),
            (3, "ENGL 210", "Shakespeare", 1, 'P', 3),
            (3, "ENGL 340", "The Modern Novel", 0, 'U', 3),
            (3, "PHIL 101", "Introduction to Philosophy", 2, 'P', 3),
            (3, "PHIL 220", "Ethics", 0, 'P', 3),
            (3, "PHIL 310", "Philosophy of Mind", 4, 'C', 2),
            (3, "ART 110", "Drawing Fundamentals", 1, 'P', 3),
            (3, "ART 250", "History of Photography", 0, 'U', 3),
            (3, "MUS 101", "Music Theory I", 0, 'P', 3),
            (3, "MUS 205", "Jazz History", 2, 'P', 3),
            (3, "MUS 310", "Orchestration", 3, 'U', 3),
            (3, "FREN 101", "Elementary French I", 0, 'P', 3),
            (3, "SPAN 101", "Elementary Spanish I", 0, 'P', 3),
            (3, "SPAN 201", "Intermediate Spanish", 1, 'P', 3),
            (3, "THEA 120", "Acting I", 4, 'U', 3),
            (3, "CLAS 105", "Greek Mythology", 0, 'P', 3),
            (3, "LING 200", "Introduction to Linguistics", 2, 'P', 3),
            (3, "FILM 150", "Film Analysis", 0, 'P', 3),
            (3, "RELS 110", "World Religions", 1, 'P', 3),
            (3, "ANTH 101", "Cultural Anthropology", 0, 'U', 3),
            (1, "ORNT 100", "New Student Orientation", 1, 'P', 1),
            (1, "LIB 101", "Library Research Skills", 0, 'P', 1),
            (1, "ACAD 090", "Academic Integrity Tutorial", 0, 'P', 1),
            (1, "TRN 001", "Canvas Training for Faculty", 1, 'U', 1),
            (1, "HR 100", "Staff Onboarding", 0, 'P', 1),
            (1, "IT 100", "Information Security Awareness", 3, 'P', 1),
            (1, "ADV 200", "Career Development Workshop", 4, 'P', 1),
            (1, "GRAD 500", "Graduate Research Methods", 2, 'P', 3),
            (1, "", "Sandbox — Ada Lovelace", 4, 'U', 1),
            (1, "", "Sandbox — Alan Turing", 4, 'P', 1),
        ];

        let mut courses = Vec::with_capacity(table.len());
        for (i, (account, code, title, view, state, term)) in table.iter().enumerate() {
            let id = i as u64 + 1;
            let (name, course_code, sis) = if code.is_empty() {
                let who = title
                    .rsplit(' ')
                    .next()
                    .unwrap_or("user")
                    .to_ascii_uppercase();
                (title.to_string(), format!("SANDBOX-{who}"), None)
            } else {
                (
                    format!("{code} — {title}"),
                    code.to_string(),
                    Some(code.replace(' ', "")),
                )
            };
            let mut c = Course::new(id, name, course_code, *account, 1);
            c.sis_course_id = sis;
            c.default_view = VIEWS[*view].to_string();
            c.enrollment_term_id = *term;
            c.workflow_state = match state {
                'P' => "available",
                'C' => "completed",
                'D' => "deleted",
                _ => "unpublished",
            }
            .to_string();
            if *term == 2 {
                c.start_at = Some("2025-08-25T08:00:00Z".into());
                c.end_at = Some("2025-12-19T17:00:00Z".into());
            } else if *term == 3 && id.is_multiple_of(3) {
                c.start_at = Some("2026-01-12T08:00:00Z".into());
                c.end_at = Some("2026-05-08T17:00:00Z".into());
            }
            c.is_public = id.is_multiple_of(11);
            c.apply_assignment_group_weights = id.is_multiple_of(4);
            courses.push(c);
        }

        let mut users = vec![User::new(
            WORKER_USER_ID,
            "Warden",
            "Worker",
            "warden.worker",
        )];
        users[0].sis_user_id = None;
        users[0].title = Some("Automation account".into());
        #[rustfmt::skip]
        let people: [(&str, &str, &str); 19] = [
            ("Maria", "Garcia", "mgarcia"),
            ("James", "Okafor", "jokafor"),
            ("Wei", "Li", "wli"),
            ("Sarah", "Thompson", "sthompson"),
            ("Ahmed", "Hassan", "ahassan"),
            ("Emily", "Novak", "enovak"),
            ("Olivia", "Chen", "ochen"),
            ("Noah", "Patel", "npatel"),
            ("Ava", "Johnson", "ajohnson"),
            ("Liam", "Nguyen", "lnguyen"),
            ("Sophia", "Rossi", "srossi"),
            ("Lukas", "Müller", "lmuller"),
            ("Isabella", "Silva", "isilva"),
            ("Ethan", "Kim", "ekim"),
            ("Mia", "Kowalski", "mkowalski"),
            ("Mateo", "Fernández", "mfernandez"),
            ("Amara", "Mensah", "amensah"),
            ("Yuki", "Tanaka", "ytanaka"),
            ("Zoe", "Martin", "zmartin"),
        ];
        for (i, (first, last, login)) in people.iter().enumerate() {
            let id = i as u64 + 2;
            let mut u = User::new(id, first, last, *login);
            if id <= 7 {
                u.sis_user_id = Some(format!("F{id:04}"));
                u.title = Some("Lecturer".into());
            } else {
                u.sis_user_id = Some(format!("S{id:04}"));
            }
            users.push(u);
        }

        let teachers: Vec<u64> = (2..=7).collect();
        let students: Vec<u64> = (8..=20).collect();
        let mut enrollments = Vec::new();
        let mut next_id = 1;
        for c in &courses {
            if c.workflow_state == "deleted" {
                continue;
            }
            let k = c.id as usize;
            enrollments.push(Enrollment::new(
                next_id,
                c.id,
                teachers[k % teachers.len()],
                "TeacherEnrollment",
            ));
            next_id += 1;
            if c.course_code.starts_with("SANDBOX") {
                continue;
            }
            let count = 3 + k % 3;
            let mut picked = Vec::new();
            for j in 0..count {
                let s = students[(k * 5 + j * 3) % students.len()];
                if !picked.contains(&s) {
                    picked.push(s);
                }
            }
            for s in picked {
                enrollments.push(Enrollment::new(next_id, c.id, s, "StudentEnrollment"));
                next_id += 1;
            }
        }

        Seed {
            accounts,
            terms,
            courses,
            users,
            enrollments,
        }
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
    fn demo_is_plausible() {
        let s = Seed::demo();
        assert_eq!(s.accounts.len(), 3);
        assert_eq!(s.courses.len(), 60);
        let unpublished = s
            .courses
            .iter()
            .filter(|c| c.workflow_state == "unpublished")
            .count();
        assert_eq!(unpublished, 15);
        assert_eq!(s.users.len(), 20);
        assert_eq!(s.users[0].name, "Warden Worker");
        assert_eq!(s.courses[0].name, "BIO 101 — Introduction to Biology");
        assert_eq!(s.courses[0].sis_course_id.as_deref(), Some("BIO101"));
        // Deterministic.
        assert_eq!(format!("{:?}", Seed::demo()), format!("{:?}", s));
        // Distinct uuids.
        let mut uuids: Vec<_> = s.courses.iter().map(|c| c.uuid.clone()).collect();
        uuids.sort();
        uuids.dedup();
        assert_eq!(uuids.len(), 60);
        assert!(s.enrollments.iter().all(|e| e.user_id != WORKER_USER_ID));
    }

    #[test]
    fn generated_courses() {
        let s = Seed::demo().with_generated_courses(2, 10, 3);
        assert_eq!(s.courses.len(), 70);
        let generated = &s.courses[60..];
        assert_eq!(generated[0].id, 61);
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
}
