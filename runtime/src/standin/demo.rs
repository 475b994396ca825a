//! The deterministic demo data set ([`Seed::demo`]): what `warden demo` and the
//! tests run against.

use super::seed::{
    Account, Assignment, Course, Enrollment, Section, Seed, Submission, Term, User, VIEWS,
    WORKER_USER_ID,
};

/// The course with students but no teacher.
pub(crate) const NO_TEACHER_COURSE: u64 = 61;
/// The available course whose term (4, "Spring 2024") has ended.
pub(crate) const CONCLUDED_TERM_COURSE: u64 = 62;
/// The unpublished course with students, assignments and submissions.
pub(crate) const UNPUBLISHED_COURSE_WITH_WORK: u64 = 63;

// (account, code, title, default_view, state, term)
// state: P available, U unpublished, C completed, D deleted.
#[rustfmt::skip]
const COURSES: [(u64, &str, &str, usize, char, u64); 63] = [
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
    // Edge cases (ids 61–63): no teacher; a concluded term; unpublished with work.
    (3, "SOC 101", "Introduction to Sociology", 0, 'P', 3),
    (3, "HIST 290", "Archived Seminar", 1, 'P', 4),
    (2, "CHEM 330", "Physical Chemistry", 3, 'U', 3),
];

#[rustfmt::skip]
const PEOPLE: [(&str, &str, &str); 21] = [
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
    ("Priya", "Raman", "praman"),
    ("Daniel", "Brooks", "dbrooks"),
];

/// Due dates of an assignment slot by term: (homework, essay, final project).
fn due_dates(term: u64) -> [&'static str; 3] {
    match term {
        3 => ["2026-02-06", "2026-03-13", "2026-05-01"],
        4 => ["2024-02-09", "2024-03-15", "2024-04-26"],
        _ => ["2025-09-19", "2025-10-24", "2025-12-12"],
    }
}

/// The far-future due date of course 1's "Capstone Reflection".
pub(crate) const CAPSTONE_DUE: &str = "2031-05-30T17:00:00Z";

impl Seed {
    /// Deterministic demo data: root account 1 "Demo University" with sub-accounts
    /// 2 "Faculty of Science" and 3 "Faculty of Arts"; terms 1 "Default Term",
    /// 2 "Fall 2025", 3 "Spring 2026", 4 "Spring 2024"; 63 courses (ids 1–60: 15
    /// unpublished, 2 completed, 1 deleted, the rest available, with real-looking names
    /// and codes and various default views; and three edge cases: 61 available without
    /// a teacher, 62 available in the concluded term 4, 63 unpublished with students
    /// and work); 22 users (1 is the worker "Warden Worker", 2–7 teachers, 8–20
    /// students, 21 a TA, 22 an observer); a default section per course (id
    /// `course * 10 + 1`, named after the course) and a lab section (`course * 10 + 2`)
    /// in courses 1, 11, 21, 31, 41, 51; a few enrollments per course (course 1 also
    /// has a TA, an observer, a designer and invited, inactive, completed and deleted
    /// students); three or four assignments per course (not in sandboxes) and a
    /// submission of every active student for every published assignment that takes
    /// one: graded, late, waiting to be graded or missing.
    pub fn demo() -> Seed {
        let courses = demo_courses();
        let sections = demo_sections(&courses);
        let enrollments = demo_enrollments(&courses);
        let assignments = demo_assignments(&courses);
        let submissions = demo_submissions(&courses, &assignments, &enrollments);
        Seed {
            accounts: demo_accounts(),
            terms: demo_terms(),
            courses,
            users: demo_users(),
            enrollments,
            sections,
            assignments,
            submissions,
        }
    }
}

fn demo_accounts() -> Vec<Account> {
    let mut accounts = vec![
        Account::new(1, "Demo University", None, None),
        Account::new(2, "Faculty of Science", Some(1), Some(1)),
        Account::new(3, "Faculty of Arts", Some(1), Some(1)),
    ];
    accounts[1].sis_account_id = Some("SCI".into());
    accounts[2].sis_account_id = Some("ARTS".into());
    accounts
}

fn demo_terms() -> Vec<Term> {
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
        Term::new(
            4,
            "Spring 2024",
            Some("2024-01-08T00:00:00Z"),
            Some("2024-05-03T23:59:59Z"),
        ),
    ];
    terms[1].sis_term_id = Some("2025FA".into());
    terms[2].sis_term_id = Some("2026SP".into());
    terms[3].sis_term_id = Some("2024SP".into());
    terms
}

fn demo_course(id: u64, row: &(u64, &str, &str, usize, char, u64)) -> Course {
    let (account, code, title, view, state, term) = *row;
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
    let mut c = Course::new(id, name, course_code, account, 1);
    c.sis_course_id = sis;
    c.default_view = VIEWS[view].to_string();
    c.enrollment_term_id = term;
    c.workflow_state = match state {
        'P' => "available",
        'C' => "completed",
        'D' => "deleted",
        _ => "unpublished",
    }
    .to_string();
    let dates = match term {
        2 => Some(("2025-08-25T08:00:00Z", "2025-12-19T17:00:00Z")),
        3 if id.is_multiple_of(3) => Some(("2026-01-12T08:00:00Z", "2026-05-08T17:00:00Z")),
        4 => Some(("2024-01-08T08:00:00Z", "2024-05-03T17:00:00Z")),
        _ => None,
    };
    if let Some((start, end)) = dates {
        c.start_at = Some(start.into());
        c.end_at = Some(end.into());
    }
    c.is_public = id.is_multiple_of(11);
    c.apply_assignment_group_weights = id.is_multiple_of(4);
    c
}

fn demo_courses() -> Vec<Course> {
    COURSES
        .iter()
        .enumerate()
        .map(|(i, row)| demo_course(i as u64 + 1, row))
        .collect()
}

fn demo_users() -> Vec<User> {
    let mut users = vec![User::new(
        WORKER_USER_ID,
        "Warden",
        "Worker",
        "warden.worker",
    )];
    users[0].title = Some("Automation account".into());
    for (i, (first, last, login)) in PEOPLE.iter().enumerate() {
        let id = i as u64 + 2;
        let mut u = User::new(id, first, last, *login);
        match id {
            2..=7 => {
                u.sis_user_id = Some(format!("F{id:04}"));
                u.title = Some("Lecturer".into());
            }
            21 => {
                u.sis_user_id = Some(format!("F{id:04}"));
                u.title = Some("Teaching Assistant".into());
            }
            22 => {}
            _ => u.sis_user_id = Some(format!("S{id:04}")),
        }
        users.push(u);
    }
    users
}

fn is_sandbox(c: &Course) -> bool {
    c.course_code.starts_with("SANDBOX")
}

/// Courses with a second (lab) section.
fn has_lab(c: &Course) -> bool {
    c.id <= 60 && c.id % 10 == 1 && !is_sandbox(c)
}

fn default_section_id(course_id: u64) -> u64 {
    course_id * 10 + 1
}

fn lab_section_id(course_id: u64) -> u64 {
    course_id * 10 + 2
}

fn demo_sections(courses: &[Course]) -> Vec<Section> {
    let mut sections = Vec::new();
    for c in courses {
        let mut s = Section::new(default_section_id(c.id), c.id, c.name.clone());
        s.sis_section_id = c.sis_course_id.as_ref().map(|sis| format!("{sis}-001"));
        s.start_at = c.start_at.clone();
        s.end_at = c.end_at.clone();
        sections.push(s);
        if has_lab(c) {
            let mut lab =
                Section::new(lab_section_id(c.id), c.id, format!("{} Lab", c.course_code));
            lab.sis_section_id = c.sis_course_id.as_ref().map(|sis| format!("{sis}-LAB"));
            sections.push(lab);
        }
    }
    sections
}

/// The teacher and students of the first 60 courses, as the demo always had them.
fn regular_enrollments(courses: &[Course], next_id: &mut u64) -> Vec<Enrollment> {
    let teachers: Vec<u64> = (2..=7).collect();
    let students: Vec<u64> = (8..=20).collect();
    let mut enrollments = Vec::new();
    let mut add = |course: &Course, user: u64, kind: &str, section: u64| {
        enrollments.push(Enrollment::new(*next_id, course.id, user, kind).in_section(section));
        *next_id += 1;
    };
    for c in courses.iter().filter(|c| c.id <= 60) {
        if c.workflow_state == "deleted" {
            continue;
        }
        let k = c.id as usize;
        let teacher = teachers[k % teachers.len()];
        add(c, teacher, "TeacherEnrollment", default_section_id(c.id));
        if is_sandbox(c) {
            continue;
        }
        let mut picked = Vec::new();
        for j in 0..3 + k % 3 {
            let s = students[(k * 5 + j * 3) % students.len()];
            if !picked.contains(&s) {
                picked.push(s);
            }
        }
        for (j, s) in picked.into_iter().enumerate() {
            let section = if has_lab(c) && j % 2 == 1 {
                lab_section_id(c.id)
            } else {
                default_section_id(c.id)
            };
            add(c, s, "StudentEnrollment", section);
        }
    }
    enrollments
}

/// The edge cases: the three extra courses, and course 1's other roles and states.
fn edge_enrollments(next_id: &mut u64) -> Vec<Enrollment> {
    // (course, user, type, state)
    #[rustfmt::skip]
    let rows: [(u64, u64, &str, &str); 18] = [
        (NO_TEACHER_COURSE, 8, "StudentEnrollment", "active"),
        (NO_TEACHER_COURSE, 12, "StudentEnrollment", "active"),
        (NO_TEACHER_COURSE, 17, "StudentEnrollment", "active"),
        (CONCLUDED_TERM_COURSE, 4, "TeacherEnrollment", "active"),
        (CONCLUDED_TERM_COURSE, 14, "StudentEnrollment", "active"),
        (CONCLUDED_TERM_COURSE, 15, "StudentEnrollment", "active"),
        (CONCLUDED_TERM_COURSE, 18, "StudentEnrollment", "active"),
        (UNPUBLISHED_COURSE_WITH_WORK, 6, "TeacherEnrollment", "active"),
        (UNPUBLISHED_COURSE_WITH_WORK, 9, "StudentEnrollment", "active"),
        (UNPUBLISHED_COURSE_WITH_WORK, 10, "StudentEnrollment", "active"),
        (UNPUBLISHED_COURSE_WITH_WORK, 16, "StudentEnrollment", "active"),
        (1, 21, "TaEnrollment", "active"),
        (1, 22, "ObserverEnrollment", "active"),
        (1, 7, "DesignerEnrollment", "active"),
        (1, 8, "StudentEnrollment", "completed"),
        (1, 10, "StudentEnrollment", "invited"),
        (1, 11, "StudentEnrollment", "inactive"),
        (1, 12, "StudentEnrollment", "deleted"),
    ];
    rows.iter()
        .map(|(course, user, kind, state)| {
            let mut e = Enrollment::new(*next_id, *course, *user, kind)
                .in_section(default_section_id(*course));
            e.enrollment_state = state.to_string();
            if *kind == "ObserverEnrollment" {
                // Observes Noah Patel (9), a student of course 1.
                e.associated_user_id = Some(9);
            }
            *next_id += 1;
            e
        })
        .collect()
}

fn demo_enrollments(courses: &[Course]) -> Vec<Enrollment> {
    let mut next_id = 1;
    let mut enrollments = regular_enrollments(courses, &mut next_id);
    enrollments.extend(edge_enrollments(&mut next_id));
    enrollments
}

fn demo_assignment(
    id: u64,
    course: &Course,
    position: u64,
    name: &str,
    points: f64,
    types: &[&str],
    due: Option<String>,
) -> Assignment {
    let mut a = Assignment::new(id, course.id, name);
    a.position = position;
    a.points_possible = Some(points);
    a.submission_types = types.iter().map(|t| t.to_string()).collect();
    a.due_at = due;
    // The course's one assignment group ("Assignments"; groups are not modelled).
    a.assignment_group_id = Some(course.id * 10 + 1);
    a
}

fn course_assignments(c: &Course, next_id: &mut u64) -> Vec<Assignment> {
    let due = due_dates(c.enrollment_term_id).map(|d| format!("{d}T17:00:00Z"));
    let mut list = vec![
        (
            "Homework 1",
            10.0,
            vec!["online_text_entry"],
            Some(due[0].clone()),
        ),
        (
            "Midterm Essay",
            50.0,
            vec!["online_upload"],
            Some(due[1].clone()),
        ),
        ("Participation", 5.0, vec!["none"], None),
    ];
    if c.id.is_multiple_of(4) {
        list.push((
            "Final Project",
            100.0,
            vec!["online_upload", "online_url"],
            Some(due[2].clone()),
        ));
    }
    if c.id == 1 {
        list.push((
            "Capstone Reflection",
            20.0,
            vec!["online_text_entry"],
            Some(CAPSTONE_DUE.into()),
        ));
        list.push(("Old Quiz", 10.0, vec!["online_quiz"], None));
    }
    let mut out = Vec::new();
    for (i, (name, points, types, due)) in list.into_iter().enumerate() {
        let mut a = demo_assignment(*next_id, c, i as u64 + 1, name, points, &types, due);
        if name == "Midterm Essay" {
            a.description = Some(
                "<p>Write 1,500 words on a topic from the first half of the course.</p>".into(),
            );
        }
        if name == "Final Project" {
            a.published = Some(false);
            a.workflow_state = "unpublished".into();
        }
        if name == "Old Quiz" {
            a.published = Some(false);
            a.workflow_state = "deleted".into();
        }
        *next_id += 1;
        out.push(a);
    }
    out
}

fn demo_assignments(courses: &[Course]) -> Vec<Assignment> {
    let mut next_id = 1;
    courses
        .iter()
        .filter(|c| c.workflow_state != "deleted" && !is_sandbox(c))
        .flat_map(|c| course_assignments(c, &mut next_id))
        .collect()
}

/// Formats a score as Canvas shows a points grade (`9`, `8.5`).
pub(crate) fn points_grade(score: f64) -> String {
    if score.fract() == 0.0 {
        format!("{score:.0}")
    } else {
        format!("{score}")
    }
}

/// One student's submission: graded on time, graded late, waiting to be graded,
/// missing, or graded with full marks, by `(assignment + user) % 5`.
fn demo_submission(id: u64, a: &Assignment, user: u64, grader: Option<u64>) -> Submission {
    let mut s = Submission::new(id, a.id, user);
    let Some(due) = a.due_at.as_deref() else {
        return s;
    };
    let day = &due[..10];
    let points = a.points_possible.unwrap_or(0.0);
    let case = (a.id + user) % 5;
    let (submitted, score) = match case {
        0 => (format!("{day}T15:30:00Z"), Some((points * 0.9).round())),
        1 => (format!("{day}T19:05:00Z"), Some((points * 0.7).round())),
        2 => (format!("{day}T15:30:00Z"), None),
        4 => (format!("{day}T12:00:00Z"), Some(points)),
        _ => return s,
    };
    if due == CAPSTONE_DUE {
        // Not due for years: only the early ones handed something in.
        if case != 2 {
            return s;
        }
        s.submitted_at = Some("2026-10-15T10:00:00Z".into());
    } else {
        s.submitted_at = Some(submitted);
    }
    s.submission_type = a.submission_types.first().cloned();
    if s.submission_type.as_deref() == Some("online_text_entry") {
        s.body = Some("<p>My answer, with working shown.</p>".into());
    }
    s.attempt = Some(1);
    s.workflow_state = "submitted".into();
    if let (Some(score), Some(grader)) = (score, grader) {
        s.score = Some(score);
        s.grade = Some(points_grade(score));
        s.graded_at = Some(format!("{day}T21:00:00Z"));
        s.posted_at = s.graded_at.clone();
        s.grader_id = Some(grader);
        s.workflow_state = "graded".into();
    }
    s
}

fn demo_submissions(
    courses: &[Course],
    assignments: &[Assignment],
    enrollments: &[Enrollment],
) -> Vec<Submission> {
    let mut out = Vec::new();
    for a in assignments {
        if a.workflow_state != "published" || !a.expects_submission() {
            continue;
        }
        let Some(course) = courses.iter().find(|c| c.id == a.course_id) else {
            continue;
        };
        let in_course = |kind: &'static str| {
            enrollments
                .iter()
                .filter(move |e| e.course_id == course.id && e.kind == kind)
                .filter(|e| e.enrollment_state == "active")
        };
        let grader = in_course("TeacherEnrollment").map(|e| e.user_id).next();
        for e in in_course("StudentEnrollment") {
            out.push(demo_submission(out.len() as u64 + 1, a, e.user_id, grader));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_plausible() {
        let s = Seed::demo();
        assert_eq!(s.accounts.len(), 3);
        assert_eq!(s.courses.len(), 63);
        let first60 = &s.courses[..60];
        let unpublished = first60
            .iter()
            .filter(|c| c.workflow_state == "unpublished")
            .count();
        assert_eq!(unpublished, 15);
        assert_eq!(s.users.len(), 22);
        assert_eq!(s.users[0].name, "Warden Worker");
        assert_eq!(s.courses[0].name, "BIO 101 — Introduction to Biology");
        assert_eq!(s.courses[0].sis_course_id.as_deref(), Some("BIO101"));
        assert_eq!(s.courses[0].workflow_state, "available");
        // Deterministic.
        assert_eq!(Seed::demo(), s);
        // Distinct uuids.
        let mut uuids: Vec<_> = s.courses.iter().map(|c| c.uuid.clone()).collect();
        uuids.sort();
        uuids.dedup();
        assert_eq!(uuids.len(), 63);
        assert!(s.enrollments.iter().all(|e| e.user_id != WORKER_USER_ID));
        // Every enrollment is in a section of its course.
        assert!(s.enrollments.iter().all(|e| s
            .sections
            .iter()
            .any(|x| Some(x.id) == e.course_section_id && x.course_id == e.course_id)));
    }

    #[test]
    fn demo_has_the_edge_cases() {
        let s = Seed::demo();
        let kinds = |course: u64| -> Vec<&str> {
            s.enrollments
                .iter()
                .filter(|e| e.course_id == course)
                .map(|e| e.kind.as_str())
                .collect()
        };
        assert!(!kinds(NO_TEACHER_COURSE).contains(&"TeacherEnrollment"));
        assert!(kinds(NO_TEACHER_COURSE).contains(&"StudentEnrollment"));
        let concluded = &s.courses[CONCLUDED_TERM_COURSE as usize - 1];
        let term = s
            .terms
            .iter()
            .find(|t| t.id == concluded.enrollment_term_id)
            .unwrap();
        assert!(term.end_at.as_deref().unwrap() < "2025-01-01");
        assert_eq!(concluded.workflow_state, "available");
        let unpublished = &s.courses[UNPUBLISHED_COURSE_WITH_WORK as usize - 1];
        assert_eq!(unpublished.workflow_state, "unpublished");
        assert!(s.assignments.iter().any(|a| a.course_id == unpublished.id));
        // Submissions of every kind.
        for state in ["graded", "submitted", "unsubmitted"] {
            assert!(
                s.submissions.iter().any(|x| x.workflow_state == state),
                "{state}"
            );
        }
        assert!(s.submissions.iter().any(|x| x
            .submitted_at
            .as_deref()
            .is_some_and(|t| t.ends_with("T19:05:00Z"))));
        // Unique ids everywhere.
        let mut ids: Vec<u64> = s.submissions.iter().map(|x| x.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), s.submissions.len());
    }
}
