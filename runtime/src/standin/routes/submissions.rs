//! Submissions (Canvas's `SubmissionsApiController#index`, `#show` and `#for_students`).

use std::collections::BTreeSet;

use http::StatusCode;
use serde_json::{json, Value};

use super::{live_course, Ctx, Reply};
use crate::standin::paginate::MAX_PER_PAGE;
use crate::standin::seed::{Assignment, Enrollment, Submission, WORKER_USER_ID};
use crate::standin::state::{parse_id, Data};
use crate::standin::time::normalize_time;
use crate::standin::views;

/// Where `students/submissions` looks.
pub(super) enum Scope<'a> {
    Course(&'a str),
    Section(&'a str),
}

/// Student enrollments of a course (or of one of its sections) that pass `keep`.
fn student_ids(
    data: &Data,
    course: u64,
    section: Option<u64>,
    keep: impl Fn(&Enrollment) -> bool,
) -> BTreeSet<u64> {
    data.enrollments
        .iter()
        .filter(|e| e.course_id == course && e.kind == "StudentEnrollment")
        .filter(|e| section.is_none_or(|s| e.course_section_id == Some(s)))
        .filter(|e| keep(e))
        .map(|e| e.user_id)
        .collect()
}

/// Canvas's `student_enrollments`: the ones still taking part.
fn taking_part(e: &Enrollment) -> bool {
    !matches!(
        e.enrollment_state.as_str(),
        "rejected" | "completed" | "deleted" | "inactive"
    )
}

/// Canvas's `all_student_enrollments`: all but deleted ones.
fn not_deleted(e: &Enrollment) -> bool {
    e.enrollment_state != "deleted"
}

/// `include[]` on a submission: `user`, `assignment`, `course`,
/// `submission_comments` (none), `submission_history` (the one version).
fn render(ctx: &Ctx<'_>, data: &Data, s: &Submission, a: &Assignment, now: &str) -> Value {
    let mut v = views::submission(s, a, ctx.base_url(), now);
    let Some(m) = v.as_object_mut() else {
        return v;
    };
    let includes = ctx.includes();
    let has = |name: &str| includes.iter().any(|i| i == name);
    if has("submission_history") {
        m.insert("submission_history".into(), json!([m.clone()]));
    }
    if has("submission_comments") {
        m.insert("submission_comments".into(), json!([]));
    }
    if has("assignment") {
        m.insert(
            "assignment".into(),
            views::assignment(a, data, ctx.base_url(), None),
        );
    }
    if has("course") {
        if let Some(c) = data.courses.get(&a.course_id) {
            m.insert("course".into(), views::course(c, data, ctx.base_url(), &[]));
        }
    }
    if has("user") {
        if let Some(u) = data.users.get(&s.user_id) {
            m.insert(
                "user".into(),
                Value::Object(views::user_brief(u, ctx.base_url(), &includes)),
            );
        }
    }
    v
}

fn find_assignment<'d>(data: &'d Data, course: &str, id: &str) -> Option<&'d Assignment> {
    let course = live_course(data, course)?;
    data.assignments.get(&data.resolve_assignment(course, id)?)
}

/// `GET /courses/:course_id/assignments/:id/submissions`: the submissions of the
/// course's students taking part, by user id.
pub(super) fn assignment_submissions(ctx: &Ctx<'_>, course: &str, id: &str) -> Reply {
    let data = ctx.data();
    let Some(a) = find_assignment(&data, course, id) else {
        return Reply::not_found();
    };
    let students = student_ids(&data, a.course_id, None, taking_part);
    let mut subs: Vec<&Submission> = data
        .submissions
        .values()
        .filter(|s| s.assignment_id == a.id && students.contains(&s.user_id))
        .collect();
    subs.sort_by_key(|s| (s.user_id, s.id));
    let now = ctx.now();
    ctx.page_of(subs, |s| render(ctx, &data, s, a, &now))
}

/// `GET /courses/:course_id/assignments/:id/submissions/:user_id`: a student of
/// the course (not another user); one who has none gets a blank one, as Canvas
/// initializes it.
pub(super) fn assignment_submission(ctx: &Ctx<'_>, course: &str, id: &str, user: &str) -> Reply {
    let data = ctx.data();
    let Some(a) = find_assignment(&data, course, id) else {
        return Reply::not_found();
    };
    let student = data
        .resolve_user(user)
        .filter(|u| student_ids(&data, a.course_id, None, not_deleted).contains(u));
    let Some(user) = student else {
        return Reply::not_found();
    };
    let blank;
    let s = match data
        .submissions
        .values()
        .find(|s| s.assignment_id == a.id && s.user_id == user)
    {
        Some(s) => s,
        None => {
            blank = views::blank_submission(a, user);
            &blank
        }
    };
    Reply::ok(&render(ctx, &data, s, a, &ctx.now()))
}

/// Canvas's `map_user_ids`: digits stay, `sis_user_id:` / `sis_login_id:` resolve
/// (or drop out), `self` is the worker.
fn map_user_ids(data: &Data, raw: &[String]) -> Vec<u64> {
    raw.iter()
        .filter_map(|r| parse_id(r.trim()).or_else(|| data.resolve_user_ref(r.trim())))
        .collect()
}

/// The course and section `students/submissions` was asked about.
fn scope_ids(data: &Data, scope: &Scope<'_>) -> Option<(u64, Option<u64>)> {
    match scope {
        Scope::Course(id) => live_course(data, id).map(|c| (c, None)),
        Scope::Section(id) => {
            let s = data.sections.get(&data.resolve_section(id)?)?;
            Some((s.course_id, Some(s.id)))
        }
    }
}

/// Which students: `student_ids[]` (`all` for every one); the worker itself when
/// none are given, which, as for Canvas, is no student of the course.
fn requested_students(
    ctx: &Ctx<'_>,
    data: &Data,
    course: u64,
    section: Option<u64>,
) -> Result<BTreeSet<u64>, Reply> {
    let raw = ctx.query.list("student_ids");
    let visible = student_ids(data, course, section, not_deleted);
    if raw.iter().any(|r| r == "all") {
        return Ok(visible);
    }
    let mut asked = map_user_ids(data, &raw);
    if asked.is_empty() {
        asked.push(WORKER_USER_ID);
    }
    if asked.iter().any(|u| !visible.contains(u)) {
        return Err(Reply::unauthorized());
    }
    if asked.len() > MAX_PER_PAGE {
        return Err(Reply::bare(
            StatusCode::BAD_REQUEST,
            "error",
            "too many students",
        ));
    }
    Ok(asked.into_iter().collect())
}

/// `enrollment_state`: `active` or `concluded` students only.
fn by_enrollment_state(
    ctx: &Ctx<'_>,
    data: &Data,
    course: u64,
    section: Option<u64>,
    students: BTreeSet<u64>,
) -> Result<BTreeSet<u64>, Reply> {
    let Some(state) = ctx.query.text("enrollment_state").filter(|s| !s.is_empty()) else {
        return Ok(students);
    };
    let wanted = match state.as_str() {
        "active" => "active",
        "concluded" => "completed",
        _ => {
            return Err(Reply::bare(
                StatusCode::BAD_REQUEST,
                "error",
                "invalid enrollment_state",
            ))
        }
    };
    let in_state = student_ids(data, course, section, |e| e.enrollment_state == wanted);
    Ok(students.intersection(&in_state).copied().collect())
}

/// The published assignments asked for (`assignment_ids[]`, all by default); ids
/// that are none of them are refused with Canvas's 403.
fn requested_assignments<'d>(
    ctx: &Ctx<'_>,
    data: &'d Data,
    course: u64,
) -> Result<Vec<&'d Assignment>, Reply> {
    let asked: Vec<u64> = ctx
        .query
        .list("assignment_ids")
        .iter()
        .map(|id| id.trim().parse().unwrap_or(0))
        .collect();
    let found: Vec<&Assignment> = data
        .assignments
        .values()
        .filter(|a| a.course_id == course && a.workflow_state == "published")
        .filter(|a| asked.is_empty() || asked.contains(&a.id))
        .collect();
    if asked.iter().any(|id| !found.iter().any(|a| a.id == *id)) {
        return Err(Reply::bare(
            StatusCode::FORBIDDEN,
            "error",
            "invalid assignment ids requested",
        ));
    }
    Ok(found)
}

/// `submitted_since` / `graded_since`: an ISO 8601 time, or Canvas's 400.
fn since(ctx: &Ctx<'_>, name: &str) -> Result<Option<String>, Reply> {
    let Some(raw) = ctx.query.text(name).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match normalize_time(&raw).filter(|_| raw.contains('T')) {
        Some(t) => Ok(Some(t)),
        None => Err(Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {name: format!("Invalid datetime for {name}")}}),
        )),
    }
}

/// The filters on the submissions themselves.
struct Filters {
    workflow_state: Option<String>,
    submitted_since: Option<String>,
    graded_since: Option<String>,
}

impl Filters {
    fn read(ctx: &Ctx<'_>) -> Result<Filters, Reply> {
        Ok(Filters {
            workflow_state: ctx.query.text("workflow_state").filter(|s| !s.is_empty()),
            submitted_since: since(ctx, "submitted_since")?,
            graded_since: since(ctx, "graded_since")?,
        })
    }

    fn keep(&self, s: &Submission) -> bool {
        let after = |t: &Option<String>, limit: &Option<String>| match limit {
            None => true,
            Some(l) => t.as_deref().is_some_and(|t| t > l.as_str()),
        };
        self.workflow_state
            .as_ref()
            .is_none_or(|w| *w == s.workflow_state)
            && after(&s.submitted_at, &self.submitted_since)
            && after(&s.graded_at, &self.graded_since)
    }
}

/// `order` (`id` or `graded_at`, ungraded last when descending) and `order_direction`.
fn sort_submissions(ctx: &Ctx<'_>, subs: &mut [&Submission]) {
    let by_graded = ctx.query.text("order").as_deref() == Some("graded_at");
    let descending = ctx.query.text("order_direction").as_deref() == Some("descending");
    subs.sort_by(|a, b| {
        let key = |s: &Submission| {
            if by_graded {
                (s.graded_at.clone(), s.id)
            } else {
                (None, s.id)
            }
        };
        let (ka, kb) = (key(a), key(b));
        if !descending {
            return ka.cmp(&kb);
        }
        match (&ka.0, &kb.0) {
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => kb.cmp(&ka),
        }
    });
}

/// `GET /courses/:id/students/submissions` (and `/sections/:id/…`): `student_ids[]`,
/// `assignment_ids[]`, `workflow_state`, `enrollment_state`, `submitted_since`,
/// `graded_since`, `order`, `order_direction`, `grouped`.
pub(super) fn student_submissions(ctx: &Ctx<'_>, scope: Scope<'_>) -> Reply {
    let data = ctx.data();
    let Some((course, section)) = scope_ids(&data, &scope) else {
        return Reply::not_found();
    };
    let students = match requested_students(ctx, &data, course, section)
        .and_then(|s| by_enrollment_state(ctx, &data, course, section, s))
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    let assignments = match requested_assignments(ctx, &data, course) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let filters = match Filters::read(ctx) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let ids: BTreeSet<u64> = assignments.iter().map(|a| a.id).collect();
    let mut subs: Vec<&Submission> = data
        .submissions
        .values()
        .filter(|s| students.contains(&s.user_id) && ids.contains(&s.assignment_id))
        .filter(|s| filters.keep(s))
        .collect();
    let now = ctx.now();
    let assignment_of = |s: &Submission| {
        assignments
            .iter()
            .find(|a| a.id == s.assignment_id)
            .copied()
    };
    if ctx.query.boolean("grouped") == Some(true) {
        return grouped(ctx, &data, course, students, &subs, &assignment_of, &now);
    }
    sort_submissions(ctx, &mut subs);
    ctx.page_of(subs, |s| match assignment_of(s) {
        Some(a) => render(ctx, &data, s, a, &now),
        None => Value::Null,
    })
}

/// `grouped=true`: a page of students (by id), each with their submissions.
fn grouped<'d>(
    ctx: &Ctx<'_>,
    data: &'d Data,
    course: u64,
    students: BTreeSet<u64>,
    subs: &[&'d Submission],
    assignment_of: &dyn Fn(&Submission) -> Option<&'d Assignment>,
    now: &str,
) -> Reply {
    let students: Vec<u64> = students.into_iter().collect();
    ctx.page_of(students, |user| {
        let section = data
            .enrollments
            .iter()
            .find(|e| e.course_id == course && e.user_id == user && e.kind == "StudentEnrollment")
            .and_then(|e| e.course_section_id);
        let u = data.users.get(&user);
        let list: Vec<Value> = subs
            .iter()
            .filter(|s| s.user_id == user)
            .filter_map(|s| assignment_of(s).map(|a| render(ctx, data, s, a, now)))
            .collect();
        json!({
            "user_id": user,
            "section_id": section,
            "integration_id": u.and_then(|u| u.integration_id.clone()),
            "sis_user_id": u.and_then(|u| u.sis_user_id.clone()),
            "submissions": list,
        })
    })
}
