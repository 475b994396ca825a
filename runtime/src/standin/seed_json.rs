//! Seeds written by hand: [`Seed::from_json`] reads one, fills in what Canvas would,
//! and checks that its objects refer to each other.

use std::collections::{BTreeMap, BTreeSet};

use super::demo::points_grade;
use super::routes::DEFAULT_VIEWS;
use super::seed::{
    fake_created_at, fake_uuid, Seed, Term, ENROLLMENT_STATES, ENROLLMENT_TYPES, SUBMISSION_STATES,
};
use super::time::normalize_time;

/// Why a seed file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// Not JSON, or not the seed's shape (an unknown field, a wrong type): where
    /// the reading stopped (1-based, as editors count).
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but its objects do not fit together: every problem found, each
    /// naming the object (`courses[2] (id 7): account_id 99 is not an account of the seed`).
    #[error("the seed does not hold together:\n{}", bullet_list(.problems))]
    Invalid { problems: Vec<String> },
}

fn bullet_list(problems: &[String]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl SeedError {
    /// The line and column of a [`SeedError::Syntax`].
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            SeedError::Syntax { line, column, .. } => Some((*line, *column)),
            SeedError::Invalid { .. } => None,
        }
    }

    fn from_serde(e: &serde_json::Error) -> SeedError {
        // The position is kept apart.
        let message = crate::diag::json_message(e);
        let message = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("not valid JSON: {message}")
            }
            _ => message,
        };
        SeedError::Syntax {
            line: e.line(),
            column: e.column(),
            message,
        }
    }
}

impl Seed {
    /// Reads a seed from JSON (`runtime/src/standin/example_seed.json` is an example):
    /// an object with any of the lists `accounts`, `terms`,
    /// `courses`, `users`, `enrollments`, `sections`, `assignments`, `submissions`,
    /// each of objects with the fields of [`super::Account`], [`super::Course`], ….
    /// Unknown fields are refused; left-out fields take Canvas's defaults (ids give
    /// uuids and creation times, a course's root account and term follow its account
    /// and the seed's default term, a user's sortable name follows the name, a
    /// submission's state follows its score and `submitted_at`). Times may carry any
    /// offset and are kept in UTC. Then every reference is checked: all problems are
    /// reported at once.
    ///
    /// ```
    /// use warden::standin::Seed;
    /// let seed = Seed::from_json(r#"{
    ///   "accounts": [{"id": 1, "name": "Root"}],
    ///   "courses": [{"id": 7, "name": "Biology", "account_id": 1}]
    /// }"#).unwrap();
    /// assert_eq!(seed.courses[0].workflow_state, "unpublished");
    /// assert_eq!(seed.terms[0].name, "Default Term");
    /// ```
    pub fn from_json(text: &str) -> Result<Seed, SeedError> {
        let mut seed: Seed = serde_json::from_str(text).map_err(|e| SeedError::from_serde(&e))?;
        let mut problems = Vec::new();
        complete(&mut seed);
        normalize_times(&mut seed, &mut problems);
        check(&seed, &mut problems);
        if problems.is_empty() {
            Ok(seed)
        } else {
            Err(SeedError::Invalid { problems })
        }
    }
}

/// The term a course without one goes in: "Default Term", or the first.
fn default_term(terms: &[Term]) -> Option<u64> {
    terms
        .iter()
        .find(|t| t.name == "Default Term")
        .or(terms.first())
        .map(|t| t.id)
}

fn sortable(name: &str) -> String {
    match name.trim().rsplit_once(' ') {
        Some((first, last)) => format!("{last}, {}", first.trim()),
        None => name.trim().to_string(),
    }
}

/// Fills in the defaults that depend on other fields or objects.
fn complete(seed: &mut Seed) {
    let roots: Vec<Option<u64>> = seed
        .accounts
        .iter()
        .map(|a| a.parent_account_id.map(|p| seed.root_of(p)))
        .collect();
    for (a, root) in seed.accounts.iter_mut().zip(roots) {
        if a.uuid.is_empty() {
            a.uuid = fake_uuid("account", a.id);
        }
        if a.root_account_id.is_none() {
            a.root_account_id = root;
        }
    }
    let needs_term = seed.courses.iter().any(|c| c.enrollment_term_id == 0);
    if needs_term && seed.terms.is_empty() {
        seed.terms.push(Term::new(1, "Default Term", None, None));
    }
    let term = default_term(&seed.terms).unwrap_or(0);
    let course_roots: Vec<u64> = seed
        .courses
        .iter()
        .map(|c| seed.root_of(c.account_id))
        .collect();
    for (c, root) in seed.courses.iter_mut().zip(course_roots) {
        if c.uuid.is_empty() {
            c.uuid = fake_uuid("course", c.id);
        }
        if c.created_at.is_empty() {
            c.created_at = fake_created_at(c.id);
        }
        if c.root_account_id == 0 {
            c.root_account_id = root;
        }
        if c.enrollment_term_id == 0 {
            c.enrollment_term_id = term;
        }
    }
    complete_people(seed);
    complete_assignments(seed);
    complete_submissions(seed);
}

fn complete_people(seed: &mut Seed) {
    for u in &mut seed.users {
        if u.sortable_name.is_empty() {
            u.sortable_name = sortable(&u.name);
        }
        if u.short_name.is_empty() {
            u.short_name = u.name.trim().to_string();
        }
        if u.created_at.is_empty() {
            u.created_at = fake_created_at(u.id);
        }
    }
    for e in &mut seed.enrollments {
        if e.created_at.is_empty() {
            e.created_at = fake_created_at(e.id);
        }
    }
    for s in &mut seed.sections {
        if s.created_at.is_empty() {
            s.created_at = fake_created_at(s.id);
        }
    }
}

fn complete_assignments(seed: &mut Seed) {
    let ids: Vec<(u64, u64)> = seed
        .assignments
        .iter()
        .map(|a| (a.course_id, a.id))
        .collect();
    for a in &mut seed.assignments {
        if a.created_at.is_empty() {
            a.created_at = fake_created_at(a.id);
        }
        if a.workflow_state.is_empty() {
            a.workflow_state = match a.published {
                Some(false) => "unpublished",
                _ => "published",
            }
            .into();
        }
        if a.published.is_none() {
            a.published = Some(a.workflow_state == "published");
        }
        if a.position == 0 {
            let before = ids
                .iter()
                .filter(|(c, id)| *c == a.course_id && *id < a.id)
                .count();
            a.position = before as u64 + 1;
        }
    }
}

fn complete_submissions(seed: &mut Seed) {
    let first_types: BTreeMap<u64, Option<String>> = seed
        .assignments
        .iter()
        .map(|a| (a.id, a.submission_types.first().cloned()))
        .collect();
    for s in &mut seed.submissions {
        if s.grade.is_none() {
            s.grade = s.score.map(points_grade);
        }
        if s.workflow_state.is_empty() {
            s.workflow_state = if s.score.is_some() || s.grade.is_some() {
                "graded"
            } else if s.submitted_at.is_some() {
                "submitted"
            } else {
                "unsubmitted"
            }
            .into();
        }
        if s.submitted_at.is_some() {
            if s.submission_type.is_none() {
                s.submission_type = first_types.get(&s.assignment_id).cloned().flatten();
            }
            if s.attempt.is_none() {
                s.attempt = Some(1);
            }
        }
    }
}

/// Brings every time to Canvas's `YYYY-MM-DDTHH:MM:SSZ`, noting the ones that are no time.
fn normalize_times(seed: &mut Seed, problems: &mut Vec<String>) {
    let mut fix = |label: String, field: &str, value: &mut Option<String>| {
        if let Some(v) = value.as_deref() {
            match normalize_time(v) {
                Some(t) => *value = Some(t),
                None => problems.push(format!(
                    "{label}: {field} {v:?} is not an ISO 8601 time (like 2026-01-12T08:00:00Z)"
                )),
            }
        }
    };
    for (i, t) in seed.terms.iter_mut().enumerate() {
        let label = format!("terms[{i}] (id {})", t.id);
        fix(label.clone(), "start_at", &mut t.start_at);
        fix(label, "end_at", &mut t.end_at);
    }
    for (i, c) in seed.courses.iter_mut().enumerate() {
        let label = format!("courses[{i}] (id {})", c.id);
        fix(label.clone(), "start_at", &mut c.start_at);
        fix(label, "end_at", &mut c.end_at);
    }
    for (i, s) in seed.sections.iter_mut().enumerate() {
        let label = format!("sections[{i}] (id {})", s.id);
        fix(label.clone(), "start_at", &mut s.start_at);
        fix(label, "end_at", &mut s.end_at);
    }
    for (i, e) in seed.enrollments.iter_mut().enumerate() {
        let label = format!("enrollments[{i}] (id {})", e.id);
        fix(label.clone(), "start_at", &mut e.start_at);
        fix(label.clone(), "end_at", &mut e.end_at);
        fix(label, "last_activity_at", &mut e.last_activity_at);
    }
    for (i, a) in seed.assignments.iter_mut().enumerate() {
        let label = format!("assignments[{i}] (id {})", a.id);
        fix(label.clone(), "due_at", &mut a.due_at);
        fix(label.clone(), "lock_at", &mut a.lock_at);
        fix(label, "unlock_at", &mut a.unlock_at);
    }
    for (i, s) in seed.submissions.iter_mut().enumerate() {
        let label = format!("submissions[{i}] (id {})", s.id);
        fix(label.clone(), "submitted_at", &mut s.submitted_at);
        fix(label.clone(), "graded_at", &mut s.graded_at);
        fix(label, "posted_at", &mut s.posted_at);
    }
}

/// The ids of one list, noting missing and duplicate ones.
fn id_set(list: &str, ids: &[u64], problems: &mut Vec<String>) -> BTreeSet<u64> {
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, &id) in ids.iter().enumerate() {
        if id == 0 {
            problems.push(format!(
                "{list}[{i}]: id is missing (ids are positive integers)"
            ));
        } else if let Some(first) = seen.get(&id) {
            problems.push(format!(
                "{list}[{i}] (id {id}): id {id} is already used by {list}[{first}]"
            ));
        } else {
            seen.insert(id, i);
        }
    }
    seen.into_keys().collect()
}

fn one_of(value: &str, allowed: &[&str]) -> bool {
    allowed.contains(&value)
}

fn quoted(allowed: &[&str]) -> String {
    allowed
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ids of every list of a seed.
struct Ids {
    accounts: BTreeSet<u64>,
    terms: BTreeSet<u64>,
    courses: BTreeSet<u64>,
    users: BTreeSet<u64>,
    sections: BTreeMap<u64, u64>,
    assignments: BTreeMap<u64, u64>,
}

fn check(seed: &Seed, problems: &mut Vec<String>) {
    macro_rules! ids {
        ($list:ident) => {
            id_set(
                stringify!($list),
                &seed.$list.iter().map(|x| x.id).collect::<Vec<_>>(),
                problems,
            )
        };
    }
    let ids = Ids {
        accounts: ids!(accounts),
        terms: ids!(terms),
        courses: ids!(courses),
        users: ids!(users),
        sections: {
            ids!(sections);
            seed.sections.iter().map(|s| (s.id, s.course_id)).collect()
        },
        assignments: {
            ids!(assignments);
            seed.assignments
                .iter()
                .map(|a| (a.id, a.course_id))
                .collect()
        },
    };
    ids!(enrollments);
    ids!(submissions);
    check_accounts_and_courses(seed, &ids, problems);
    check_enrollments(seed, &ids, problems);
    check_work(seed, &ids, problems);
}

fn check_accounts_and_courses(seed: &Seed, ids: &Ids, problems: &mut Vec<String>) {
    for (i, a) in seed.accounts.iter().enumerate() {
        let label = format!("accounts[{i}] (id {})", a.id);
        if let Some(p) = a.parent_account_id {
            if p == a.id || !ids.accounts.contains(&p) {
                problems.push(format!(
                    "{label}: parent_account_id {p} is not another account of the seed"
                ));
            }
        }
        if !one_of(&a.workflow_state, &["active", "deleted"]) {
            problems.push(format!(
                "{label}: workflow_state {:?} is not \"active\" or \"deleted\"",
                a.workflow_state
            ));
        }
    }
    const COURSE_STATES: [&str; 4] = ["unpublished", "available", "completed", "deleted"];
    for (i, c) in seed.courses.iter().enumerate() {
        let label = format!("courses[{i}] (id {})", c.id);
        if c.name.trim().is_empty() {
            problems.push(format!("{label}: name is missing"));
        }
        if !ids.accounts.contains(&c.account_id) {
            problems.push(format!(
                "{label}: account_id {} is not an account of the seed",
                c.account_id
            ));
        }
        if !ids.terms.contains(&c.enrollment_term_id) {
            problems.push(format!(
                "{label}: enrollment_term_id {} is not a term of the seed",
                c.enrollment_term_id
            ));
        }
        if !one_of(&c.workflow_state, &COURSE_STATES) {
            problems.push(format!(
                "{label}: workflow_state {:?} is not one of {}",
                c.workflow_state,
                quoted(&COURSE_STATES)
            ));
        }
        if !one_of(&c.default_view, &DEFAULT_VIEWS) {
            problems.push(format!(
                "{label}: default_view {:?} is not one of {}",
                c.default_view,
                quoted(&DEFAULT_VIEWS)
            ));
        }
    }
    for (i, u) in seed.users.iter().enumerate() {
        if u.name.trim().is_empty() {
            problems.push(format!("users[{i}] (id {}): name is missing", u.id));
        }
    }
}

fn check_enrollments(seed: &Seed, ids: &Ids, problems: &mut Vec<String>) {
    for (i, s) in seed.sections.iter().enumerate() {
        let label = format!("sections[{i}] (id {})", s.id);
        if !ids.courses.contains(&s.course_id) {
            problems.push(format!(
                "{label}: course_id {} is not a course of the seed",
                s.course_id
            ));
        }
        if s.name.trim().is_empty() {
            problems.push(format!("{label}: name is missing"));
        }
    }
    for (i, e) in seed.enrollments.iter().enumerate() {
        let label = format!("enrollments[{i}] (id {})", e.id);
        if !ids.courses.contains(&e.course_id) {
            problems.push(format!(
                "{label}: course_id {} is not a course of the seed",
                e.course_id
            ));
        }
        if !ids.users.contains(&e.user_id) {
            problems.push(format!(
                "{label}: user_id {} is not a user of the seed",
                e.user_id
            ));
        }
        if !one_of(&e.kind, &ENROLLMENT_TYPES) {
            problems.push(format!(
                "{label}: type {:?} is not one of {}",
                e.kind,
                quoted(&ENROLLMENT_TYPES)
            ));
        }
        if !one_of(&e.enrollment_state, &ENROLLMENT_STATES) {
            problems.push(format!(
                "{label}: enrollment_state {:?} is not one of {}",
                e.enrollment_state,
                quoted(&ENROLLMENT_STATES)
            ));
        }
        if let Some(section) = e.course_section_id {
            match ids.sections.get(&section) {
                None => problems.push(format!(
                    "{label}: course_section_id {section} is not a section of the seed"
                )),
                Some(&course) if course != e.course_id => problems.push(format!(
                    "{label}: course_section_id {section} is a section of course {course}, not of course {}",
                    e.course_id
                )),
                Some(_) => {}
            }
        }
        if let Some(u) = e.associated_user_id {
            if !ids.users.contains(&u) {
                problems.push(format!(
                    "{label}: associated_user_id {u} is not a user of the seed"
                ));
            }
        }
    }
}

fn check_work(seed: &Seed, ids: &Ids, problems: &mut Vec<String>) {
    const ASSIGNMENT_STATES: [&str; 3] = ["published", "unpublished", "deleted"];
    for (i, a) in seed.assignments.iter().enumerate() {
        let label = format!("assignments[{i}] (id {})", a.id);
        if !ids.courses.contains(&a.course_id) {
            problems.push(format!(
                "{label}: course_id {} is not a course of the seed",
                a.course_id
            ));
        }
        if a.name.trim().is_empty() {
            problems.push(format!("{label}: name is missing"));
        }
        if !one_of(&a.workflow_state, &ASSIGNMENT_STATES) {
            problems.push(format!(
                "{label}: workflow_state {:?} is not one of {}",
                a.workflow_state,
                quoted(&ASSIGNMENT_STATES)
            ));
        }
        if a.published == Some(true) && a.workflow_state != "published" {
            problems.push(format!(
                "{label}: published is true but workflow_state is {:?}",
                a.workflow_state
            ));
        }
        if a.published == Some(false) && a.workflow_state == "published" {
            problems.push(format!(
                "{label}: published is false but workflow_state is \"published\""
            ));
        }
    }
    let students: BTreeSet<(u64, u64)> = seed
        .enrollments
        .iter()
        .filter(|e| e.kind == "StudentEnrollment")
        .map(|e| (e.course_id, e.user_id))
        .collect();
    let mut pairs: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for (i, s) in seed.submissions.iter().enumerate() {
        let label = format!("submissions[{i}] (id {})", s.id);
        let course = ids.assignments.get(&s.assignment_id).copied();
        if course.is_none() {
            problems.push(format!(
                "{label}: assignment_id {} is not an assignment of the seed",
                s.assignment_id
            ));
        }
        if !ids.users.contains(&s.user_id) {
            problems.push(format!(
                "{label}: user_id {} is not a user of the seed",
                s.user_id
            ));
        } else if let Some(course) = course {
            if !students.contains(&(course, s.user_id)) {
                problems.push(format!(
                    "{label}: user {} is not a student of course {course}, the assignment's course",
                    s.user_id
                ));
            }
        }
        if let Some(first) = pairs.insert((s.assignment_id, s.user_id), i) {
            problems.push(format!(
                "{label}: user {} already has a submission for assignment {} (submissions[{first}])",
                s.user_id, s.assignment_id
            ));
        }
        if !one_of(&s.workflow_state, &SUBMISSION_STATES) {
            problems.push(format!(
                "{label}: workflow_state {:?} is not one of {}",
                s.workflow_state,
                quoted(&SUBMISSION_STATES)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_course_gets_canvas_defaults() {
        let seed = Seed::from_json(
            r#"{
              "accounts": [{"id": 1, "name": "Root"}, {"id": 2, "name": "Science", "parent_account_id": 1}],
              "courses": [{"id": 7, "name": "Biology", "account_id": 2}],
              "users": [{"id": 3, "name": "Ada King Lovelace"}],
              "enrollments": [{"id": 1, "course_id": 7, "user_id": 3, "type": "StudentEnrollment"}],
              "assignments": [{"id": 4, "course_id": 7, "name": "Essay", "published": false},
                              {"id": 5, "course_id": 7, "name": "Lab", "due_at": "2026-01-12T01:30:00-06:00"}],
              "submissions": [{"id": 9, "assignment_id": 5, "user_id": 3, "score": 8.5}]
            }"#,
        )
        .unwrap();
        assert_eq!(seed.accounts[1].root_account_id, Some(1));
        assert_eq!(seed.accounts[0].root_account_id, None);
        assert_eq!(seed.accounts[0].uuid.len(), 40);
        let c = &seed.courses[0];
        assert_eq!(
            (
                c.workflow_state.as_str(),
                c.default_view.as_str(),
                c.root_account_id,
                c.enrollment_term_id
            ),
            ("unpublished", "modules", 1, 1)
        );
        assert_eq!(
            (c.license.as_str(), c.time_zone.as_str()),
            ("private", "Etc/UTC")
        );
        assert_eq!(seed.terms.len(), 1);
        assert_eq!(seed.users[0].sortable_name, "Lovelace, Ada King");
        assert_eq!(seed.users[0].short_name, "Ada King Lovelace");
        assert_eq!(seed.enrollments[0].enrollment_state, "active");
        assert_eq!(seed.assignments[0].workflow_state, "unpublished");
        assert_eq!(seed.assignments[1].workflow_state, "published");
        assert_eq!(seed.assignments[1].position, 2);
        assert_eq!(
            seed.assignments[1].due_at.as_deref(),
            Some("2026-01-12T07:30:00Z")
        );
        assert_eq!(seed.submissions[0].workflow_state, "graded");
        assert_eq!(seed.submissions[0].grade.as_deref(), Some("8.5"));
    }

    #[test]
    fn the_example_seed_file_loads() {
        let seed = Seed::from_json(include_str!("example_seed.json")).unwrap();
        assert_eq!(seed.courses.len(), 2);
        assert_eq!(seed.courses[1].enrollment_term_id, 1);
        assert_eq!(
            seed.assignments[0].due_at.as_deref(),
            Some("2027-02-05T22:00:00Z")
        );
        assert_eq!(seed.submissions[0].workflow_state, "graded");
        assert_eq!(
            seed.submissions[0].submission_type.as_deref(),
            Some("online_upload")
        );
    }

    #[test]
    fn the_demo_round_trips_through_json() {
        let demo = Seed::demo();
        let text = serde_json::to_string_pretty(&demo).unwrap();
        assert_eq!(Seed::from_json(&text).unwrap(), demo);
        assert_eq!(Seed::from_json("{}").unwrap(), Seed::empty());
    }

    #[test]
    fn syntax_and_shape_errors_carry_line_and_column() {
        let err = Seed::from_json("{\n  \"courses\": [\n    {\"id\": 1, \"nmae\": \"x\"}\n  ]\n}")
            .unwrap_err();
        assert_eq!(err.position(), Some((3, 20)));
        let text = err.to_string();
        assert!(
            text.starts_with("line 3, column 20: unknown field `nmae`"),
            "{text}"
        );
        let err = Seed::from_json("{\"courses\": [}").unwrap_err();
        assert!(
            matches!(&err, SeedError::Syntax { line: 1, message, .. } if message.starts_with("not valid JSON")),
            "{err}"
        );
        let err = Seed::from_json("{\"users\": [{\"id\": \"seven\"}]}").unwrap_err();
        assert!(
            err.to_string()
                .contains("invalid type: string \"seven\", expected u64"),
            "{err}"
        );
        let err = Seed::from_json("{\"course\": []}").unwrap_err();
        assert!(
            err.to_string()
                .contains("unknown field `course`, expected one of"),
            "{err}"
        );
    }

    fn problems(text: &str) -> Vec<String> {
        match Seed::from_json(text) {
            Err(SeedError::Invalid { problems }) => problems,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn references_and_duplicates_are_checked_naming_the_object() {
        let found = problems(
            r#"{
              "accounts": [{"id": 1, "name": "Root"}],
              "courses": [{"id": 5, "name": "A", "account_id": 1}, {"id": 6, "name": "B", "account_id": 1},
                          {"id": 7, "name": "C", "account_id": 99, "default_view": "dashboard"},
                          {"id": 6, "name": "D", "account_id": 1}],
              "users": [{"id": 1, "name": "W"}, {"name": "Nobody"}],
              "sections": [{"id": 50, "course_id": 5, "name": "S"}],
              "enrollments": [{"id": 1, "course_id": 6, "user_id": 1, "type": "Student", "course_section_id": 50},
                              {"id": 2, "course_id": 5, "user_id": 42, "type": "TeacherEnrollment", "start_at": "soon"}],
              "assignments": [{"id": 3, "course_id": 5, "name": "X", "published": true, "workflow_state": "deleted"}],
              "submissions": [{"id": 1, "assignment_id": 3, "user_id": 1}, {"id": 2, "assignment_id": 8, "user_id": 1}]
            }"#,
        );
        let expected = [
            "courses[3] (id 6): id 6 is already used by courses[1]",
            "users[1]: id is missing (ids are positive integers)",
            "courses[2] (id 7): account_id 99 is not an account of the seed",
            "courses[2] (id 7): default_view \"dashboard\" is not one of",
            "enrollments[0] (id 1): type \"Student\" is not one of \"StudentEnrollment\"",
            "enrollments[0] (id 1): course_section_id 50 is a section of course 5, not of course 6",
            "enrollments[1] (id 2): user_id 42 is not a user of the seed",
            "enrollments[1] (id 2): start_at \"soon\" is not an ISO 8601 time",
            "assignments[0] (id 3): published is true but workflow_state is \"deleted\"",
            "submissions[0] (id 1): user 1 is not a student of course 5",
            "submissions[1] (id 2): assignment_id 8 is not an assignment of the seed",
        ];
        for e in expected {
            assert!(found.iter().any(|p| p.starts_with(e)), "{e}\nin {found:#?}");
        }
        let text = SeedError::Invalid { problems: found }.to_string();
        assert!(
            text.starts_with("the seed does not hold together:\n  - "),
            "{text}"
        );
    }
}
