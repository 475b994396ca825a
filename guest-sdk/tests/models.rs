//! Every fixture in `tests/canvas/` (Canvas-shaped responses, see its
//! README) deserializes into its model without losing a field, and survives
//! a serialize → deserialize round trip with its `extra` fields.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use warden_sdk::models::*;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/canvas")
}

/// `(file name, parsed JSON)` of every `*.json` fixture, sorted by name.
fn fixtures() -> Vec<(String, Value)> {
    let mut files: Vec<_> = std::fs::read_dir(dir())
        .expect("tests/canvas exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, value)
        })
        .collect()
}

fn fixture(name: &str) -> Value {
    fixtures()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

fn parse<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

trait Model: DeserializeOwned + Serialize + PartialEq + Debug {
    fn extra(&self) -> &Extra;
}

macro_rules! model {
    ($($t:ty),*) => {$(
        impl Model for $t {
            fn extra(&self) -> &Extra {
                &self.extra
            }
        }
    )*};
}
model!(
    Account,
    Course,
    User,
    Enrollment,
    Section,
    Term,
    EnrollmentTermsList,
    Assignment,
    Submission,
    Group,
    Page,
    Module
);

/// The JSON with `null` members removed and every number as an f64, so that
/// a model's output (`None` as `null`, `35` read into an f64 as `35.0`) can
/// be compared with what Canvas sent.
fn normalize(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalize(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        other => other.clone(),
    }
}

/// Parses one object (or each object of an array) into `T`, checks that no
/// field was lost and that a round trip gives the same value, and returns
/// the objects.
fn check<T: Model>(name: &str, json: &Value) -> Vec<T> {
    check_with(name, json, true)
}

/// [`check`], but without requiring a field outside the model when
/// `need_extra` is false (for a wrapper such as `EnrollmentTermsList`).
fn check_with<T: Model>(name: &str, json: &Value, need_extra: bool) -> Vec<T> {
    let objects = match json {
        Value::Array(items) => items.clone(),
        one => vec![one.clone()],
    };
    assert!(!objects.is_empty(), "{name}: empty list");
    let mut out = Vec::new();
    for (i, original) in objects.iter().enumerate() {
        let item: T =
            serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}[{i}]: {e}"));
        let serialized = serde_json::to_value(&item).unwrap();
        assert_eq!(
            normalize(&serialized),
            normalize(original),
            "{name}[{i}]: a field was lost or changed"
        );
        let back: T = serde_json::from_value(serialized).unwrap();
        assert_eq!(back.extra(), item.extra(), "{name}[{i}]: extra changed");
        assert_eq!(back, item, "{name}[{i}]: round trip changed the value");
        out.push(item);
    }
    assert!(
        !need_extra || out.iter().any(|item| !item.extra().is_empty()),
        "{name}: no object has a field outside the model; add one"
    );
    out
}

#[test]
fn every_fixture_deserializes_without_losing_a_field() {
    let mut kinds = BTreeSet::new();
    for (name, json) in fixtures() {
        let prefix = name.split('_').next().unwrap().to_string();
        let count = match (prefix.as_str(), json.get("enrollment_terms")) {
            ("account", _) => check::<Account>(&name, &json).len(),
            ("course", _) => check::<Course>(&name, &json).len(),
            ("user", _) => check::<User>(&name, &json).len(),
            ("enrollment", _) => check::<Enrollment>(&name, &json).len(),
            ("section", _) => check::<Section>(&name, &json).len(),
            ("term", Some(_)) => {
                check_with::<EnrollmentTermsList>(&name, &json, false);
                check::<Term>(&name, &json["enrollment_terms"]).len()
            }
            ("term", None) => check::<Term>(&name, &json).len(),
            ("assignment", _) => check::<Assignment>(&name, &json).len(),
            ("submission", _) => check::<Submission>(&name, &json).len(),
            ("group", _) => check::<Group>(&name, &json).len(),
            ("page", _) => check::<Page>(&name, &json).len(),
            ("module", _) => check::<Module>(&name, &json).len(),
            _ => panic!("{name}: no model for the prefix {prefix:?}"),
        };
        assert!(count > 0, "{name}");
        kinds.insert(prefix);
    }
    let expected = [
        "account",
        "assignment",
        "course",
        "enrollment",
        "group",
        "module",
        "page",
        "section",
        "submission",
        "term",
        "user",
    ];
    assert_eq!(kinds, expected.into_iter().map(String::from).collect());
}

#[test]
fn list_fixtures_are_arrays_of_several_objects() {
    let lists: Vec<_> = fixtures()
        .into_iter()
        .filter(|(_, v)| v.is_array())
        .map(|(n, v)| (n, v.as_array().unwrap().len()))
        .collect();
    assert!(lists.len() >= 10, "{lists:?}");
    assert!(lists.iter().all(|(_, n)| *n >= 2), "{lists:?}");
}

#[test]
fn the_readme_describes_every_fixture() {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    for (name, _) in fixtures() {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "tests/canvas/README.md has no row for {name}"
        );
    }
}

#[test]
fn course_fields() {
    let c: Course = parse("course_single.json");
    assert_eq!(c.id, 101);
    assert_eq!(c.name.as_deref(), Some("Introduction to Biology"));
    assert_eq!(c.course_code.as_deref(), Some("BIO-101"));
    assert_eq!(c.workflow_state.as_deref(), Some("available"));
    assert_eq!(c.default_view.as_deref(), Some("modules"));
    assert_eq!(c.start_at.as_deref(), Some("2026-08-31T04:00:00Z"));
    assert_eq!(c.end_at, None);
    assert_eq!(c.total_students, Some(32));
    assert_eq!(c.storage_quota_used_mb, Some(12.5));
    assert_eq!(c.sis_course_id.as_deref(), Some("BIO-101-F26"));
    let term = c.term.as_ref().unwrap();
    assert_eq!((term.id, term.name.as_deref()), (5, Some("Fall 2026")));
    assert_eq!(term.grading_period_group_id, None);
    let mine = &c.enrollments.as_ref().unwrap()[0];
    assert_eq!(mine.enrollment_type.as_deref(), Some("teacher"));
    assert_eq!(mine.role.as_deref(), Some("TeacherEnrollment"));
    assert_eq!(c.permissions.as_ref().unwrap()["create_announcement"], true);
    assert_eq!(c.extra["homeroom_course"], false);
    assert_eq!(c.extra["friendly_name"], Value::Null);
    assert!(c.public_description.is_none() && c.course_progress.is_none());
}

#[test]
fn a_course_restricted_by_date_has_only_an_id() {
    let list: Vec<Course> = parse("course_list_account.json");
    assert_eq!(list.len(), 3);
    assert_eq!(list[1].workflow_state.as_deref(), Some("unpublished"));
    assert_eq!(list[1].is_public, None);
    let restricted = &list[2];
    assert_eq!(restricted.id, 87);
    assert_eq!(restricted.access_restricted_by_date, Some(true));
    assert_eq!(restricted.name, None);
    assert!(restricted.extra.is_empty());
}

#[test]
fn enrollment_fields() {
    let list: Vec<Enrollment> = parse("enrollment_list_course.json");
    let [teacher, student, observer] = &list[..] else {
        panic!("{list:?}")
    };
    assert_eq!(teacher.kind(), Some(EnrollmentType::Teacher));
    assert!(teacher.grades.is_none());
    assert_eq!(
        teacher.user.as_ref().unwrap().login_id.as_deref(),
        Some("ekrabappel")
    );

    assert_eq!(
        student.enrollment_type.as_deref(),
        Some("StudentEnrollment")
    );
    assert_eq!(student.kind(), Some(EnrollmentType::Student));
    let grades = student.grades.as_ref().unwrap();
    assert_eq!(grades.current_score, Some(35.0));
    assert_eq!(grades.final_score, Some(6.67));
    assert_eq!(grades.current_grade, None);
    assert_eq!(student.unposted_current_score, Some(35.0));
    assert_eq!(student.sis_section_id.as_deref(), Some("BIO-101-F26-02"));
    let user = student.user.as_ref().unwrap();
    assert_eq!((user.id, user.name.as_deref()), (21, Some("Lisa Simpson")));
    assert!(user.extra.contains_key("created_at"));

    assert_eq!(observer.kind(), Some(EnrollmentType::Observer));
    assert_eq!(observer.role.as_deref(), Some("Parent"));
    assert_eq!(observer.associated_user_id, Some(21));
    assert_eq!(observer.enrollment_state.as_deref(), Some("invited"));
}

#[test]
fn section_and_term_fields() {
    let sections: Vec<Section> = parse("section_list_course.json");
    assert_eq!(sections[0].total_students, Some(30));
    assert_eq!(sections[0].restrict_enrollments_to_section_dates, None);
    assert!(sections[0].students.is_none());
    assert_eq!(sections[1].nonxlist_course_id, Some(99));
    assert_eq!(sections[1].students.as_ref().unwrap()[0].id, 21);

    let term: Term = parse("term_single.json");
    assert_eq!(term.sis_term_id.as_deref(), Some("F26"));
    let overrides = term.overrides.as_ref().unwrap();
    assert_eq!(overrides["TeacherEnrollment"]["start_at"], Value::Null);
    assert_eq!(term.extra["course_count"], 412);

    let list: EnrollmentTermsList = parse("term_list_account.json");
    assert_eq!(list.enrollment_terms.len(), 2);
    assert_eq!(list.enrollment_terms[1].start_at, None);
    assert_eq!(
        list.enrollment_terms[1].name.as_deref(),
        Some("Default Term")
    );
}

#[test]
fn assignment_fields() {
    let list: Vec<Assignment> = parse("assignment_list_course.json");
    let a = &list[0];
    assert_eq!(a.points_possible, Some(10.0));
    assert_eq!(a.due_at.as_deref(), Some("2026-09-12T03:59:59Z"));
    assert_eq!(a.submission_types, ["online_text_entry", "online_upload"]);
    assert_eq!(a.allowed_attempts, Some(-1));
    assert_eq!(
        a.allowed_extensions.as_deref(),
        Some(&["pdf".to_string(), "docx".to_string()][..])
    );
    assert_eq!(a.extra["workflow_state"], "published");
    let draft = &list[1];
    assert_eq!(draft.points_possible, None);
    assert_eq!(draft.due_at, None);
    assert_eq!(draft.grading_type.as_deref(), Some("not_graded"));
    assert_eq!(draft.published, Some(false));

    let quiz: Assignment = parse("assignment_single_with_submission.json");
    assert_eq!(quiz.points_possible, Some(12.5));
    assert_eq!(quiz.quiz_id, Some(620));
    assert_eq!(
        quiz.assignment_visibility.as_deref(),
        Some(&[21, 22, 23][..])
    );
    assert_eq!(quiz.all_dates.as_ref().unwrap().len(), 2);
    assert_eq!(quiz.locked_for_user, Some(true));
    assert_eq!(quiz.frozen_attributes.as_deref(), Some(&[][..]));
    let sub = quiz.submission.as_ref().unwrap();
    assert_eq!(sub.score, Some(11.5));
    assert_eq!(sub.grade.as_deref(), Some("11.5"));
    assert_eq!(sub.grader_id, Some(-620));
    assert_eq!(sub.seconds_late, Some(0.0));
    assert_eq!(sub.extra["entered_score"], 11.5);
}

#[test]
fn submission_fields() {
    let list: Vec<Submission> = parse("submission_list_assignment.json");
    let [graded, unsubmitted, late] = &list[..] else {
        panic!("{list:?}")
    };
    assert_eq!(graded.score, Some(9.0));
    assert_eq!(graded.grade.as_deref(), Some("9"));
    assert_eq!(graded.grader_id, Some(7));
    assert_eq!(graded.workflow_state.as_deref(), Some("graded"));

    assert_eq!(unsubmitted.score, None);
    assert_eq!(unsubmitted.grade, None);
    assert_eq!(unsubmitted.attempt, None);
    assert_eq!(unsubmitted.submission_type, None);
    assert_eq!(unsubmitted.missing, Some(true));
    assert_eq!(unsubmitted.excused, None);

    assert_eq!(late.excused, Some(true));
    assert_eq!(late.points_deducted, Some(1.5));
    assert_eq!(
        late.user.as_ref().unwrap().short_name.as_deref(),
        Some("Milhouse")
    );
    assert_eq!(late.submission_comments.as_ref().unwrap().len(), 1);
    assert_eq!(late.url.as_deref(), Some("https://example.org/lab-report"));
}

#[test]
fn user_account_group_page_module_fields() {
    let me: User = parse("user_self.json");
    assert_eq!(me.email.as_deref(), Some("lsimpson@example.edu"));
    assert_eq!(me.locale, None);
    assert_eq!(me.extra["effective_locale"], "en");
    let users: Vec<User> = parse("user_list_with_enrollments.json");
    let e = &users[0].enrollments.as_ref().unwrap()[0];
    assert_eq!(e.grades.as_ref().unwrap().final_score, Some(0.0));
    assert!(users[1].enrollments.is_none());

    let root: Account = parse("account_root.json");
    assert_eq!(root.parent_account_id, None);
    assert_eq!(root.default_time_zone.as_deref(), Some("America/New_York"));
    let accounts: Vec<Account> = parse("account_list.json");
    assert_eq!(accounts[1].parent_account_id, Some(1));
    assert_eq!(accounts[1].sis_account_id.as_deref(), Some("SCI"));

    let groups: Vec<Group> = parse("group_list_course.json");
    assert_eq!(groups[0].members_count, Some(3));
    assert_eq!(groups[0].role, None);
    assert_eq!(groups[1].role.as_deref(), Some("student_organized"));
    assert_eq!(groups[1].extra["leader"]["display_name"], "Lisa Simpson");

    let page: Page = parse("page_single.json");
    assert_eq!(page.page_id, 301);
    assert_eq!(page.front_page, Some(true));
    assert!(page.body.as_deref().unwrap().contains("Welcome"));
    let editor = page.last_edited_by.as_ref().unwrap();
    assert_eq!(editor.id, 7);
    assert_eq!(editor.extra["display_name"], "Edna Krabappel");
    let pages: Vec<Page> = parse("page_list_course.json");
    assert!(pages.iter().all(|p| p.body.is_none()));

    let modules: Vec<Module> = parse("module_list_course.json");
    assert_eq!(modules[0].items.as_ref().unwrap().len(), 2);
    assert!(modules[0].prerequisite_module_ids.is_empty());
    assert_eq!(modules[1].prerequisite_module_ids, [123]);
    assert_eq!(modules[1].items, None);
    assert_eq!(modules[1].state.as_deref(), Some("locked"));
}
