//! The JSON shapes Canvas answers with.

use serde_json::{json, Value};

use super::seed::{Assignment, Course, Enrollment, Section, Submission, User};
use super::state::Data;

fn to_object(v: impl serde::Serialize) -> serde_json::Map<String, Value> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

/// A Course object. `includes` are the `include[]` values asked for (`term`,
/// `total_students` are honoured).
pub(crate) fn course(c: &Course, data: &Data, base_url: &str, includes: &[String]) -> Value {
    let mut m = to_object(c);
    // Canvas sends these two only when asked for.
    for field in ["syllabus_body", "public_description"] {
        if !includes.iter().any(|i| i == field) {
            m.remove(field);
        }
    }
    m.insert(
        "calendar".into(),
        json!({"ics": format!("{base_url}/feeds/calendars/course_{}.ics", c.uuid)}),
    );
    if includes.iter().any(|i| i == "term") {
        let term = data
            .terms
            .get(&c.enrollment_term_id)
            .map(|t| Value::Object(to_object(t)))
            .unwrap_or(Value::Null);
        m.insert("term".into(), term);
    }
    if includes.iter().any(|i| i == "total_students") {
        m.insert("total_students".into(), json!(data.student_count(c.id)));
    }
    Value::Object(m)
}

/// A User object as lists show it (email only when asked for).
pub(crate) fn user_in_list(u: &User, include_email: bool) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(u.id));
    m.insert("name".into(), json!(u.name));
    m.insert("created_at".into(), json!(u.created_at));
    m.insert("sortable_name".into(), json!(u.sortable_name));
    m.insert("short_name".into(), json!(u.short_name));
    m.insert("sis_user_id".into(), json!(u.sis_user_id));
    m.insert("integration_id".into(), json!(u.integration_id));
    m.insert("sis_import_id".into(), Value::Null);
    m.insert("login_id".into(), json!(u.login_id));
    if include_email {
        m.insert("email".into(), json!(u.email));
    }
    m
}

fn avatar_url(u: &User, base_url: &str) -> String {
    if u.avatar_url.is_empty() {
        format!("{base_url}/images/messages/avatar-50.png")
    } else {
        u.avatar_url.clone()
    }
}

/// A User object as `GET /users/:id` shows it.
pub(crate) fn user_show(u: &User, base_url: &str) -> Value {
    let mut m = user_in_list(u, true);
    m.insert("avatar_url".into(), json!(avatar_url(u, base_url)));
    m.insert("locale".into(), json!(u.locale));
    m.insert(
        "effective_locale".into(),
        json!(u.locale.clone().unwrap_or_else(|| "en".into())),
    );
    m.insert("time_zone".into(), json!(u.time_zone));
    Value::Object(m)
}

/// A Profile object (`GET /users/:id/profile`).
pub(crate) fn profile(u: &User, base_url: &str) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "short_name": u.short_name,
        "sortable_name": u.sortable_name,
        "title": u.title,
        "bio": u.bio,
        "pronunciation": null,
        "primary_email": u.email,
        "login_id": u.login_id,
        "sis_user_id": u.sis_user_id,
        "integration_id": u.integration_id,
        "avatar_url": avatar_url(u, base_url),
        "time_zone": u.time_zone,
        "locale": u.locale,
        "effective_locale": u.locale.clone().unwrap_or_else(|| "en".into()),
        "calendar": {"ics": format!("{base_url}/feeds/calendars/user_{}.ics", super::seed::fake_uuid("user", u.id))},
        "lti_user_id": super::seed::fake_uuid("lti", u.id),
        "k5_user": false,
        "use_classic_font_in_k5": false,
    })
}

/// A user as Canvas embeds one in enrollments and sections (`user_json`): email
/// and avatar only when asked for.
pub(crate) fn user_brief(
    u: &User,
    base_url: &str,
    includes: &[String],
) -> serde_json::Map<String, Value> {
    let has = |name: &str| includes.iter().any(|i| i == name);
    let mut m = user_in_list(u, has("email"));
    if has("avatar_url") {
        m.insert("avatar_url".into(), json!(avatar_url(u, base_url)));
    }
    if has("uuid") {
        m.insert("uuid".into(), json!(super::seed::fake_uuid("user", u.id)));
    }
    m
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A student's course scores as Canvas computes them without weighting: the
/// current score counts graded assignments only, the final score counts every
/// published assignment with points (ungraded ones as 0).
fn course_scores(data: &Data, course_id: u64, user_id: u64) -> (Option<f64>, Option<f64>) {
    let (mut earned, mut graded_points, mut all_points) = (0.0, 0.0, 0.0);
    for a in data.assignments.values() {
        let counts =
            a.course_id == course_id && a.workflow_state == "published" && !a.omit_from_final_grade;
        let points = a.points_possible.unwrap_or(0.0);
        if !counts || points <= 0.0 {
            continue;
        }
        let sub = data
            .submissions
            .values()
            .find(|s| s.assignment_id == a.id && s.user_id == user_id);
        if sub.is_some_and(|s| s.excused == Some(true)) {
            continue;
        }
        all_points += points;
        if let Some(score) = sub.and_then(|s| s.score) {
            earned += score;
            graded_points += points;
        }
    }
    let pct = |total: f64| (total > 0.0).then(|| round2(earned / total * 100.0));
    (pct(graded_points), pct(all_points))
}

fn grades(e: &Enrollment, data: &Data, base_url: &str) -> Value {
    let (current, fin) = course_scores(data, e.course_id, e.user_id);
    json!({
        "html_url": format!("{base_url}/courses/{}/grades/{}", e.course_id, e.user_id),
        "current_grade": null,
        "current_score": current,
        "final_grade": null,
        "final_score": fin,
        "unposted_current_score": current,
        "unposted_current_grade": null,
        "unposted_final_score": fin,
        "unposted_final_grade": null,
    })
}

/// An Enrollment object (`enrollment_json`), with its user when `user_includes` is Some.
pub(crate) fn enrollment(
    e: &Enrollment,
    data: &Data,
    base_url: &str,
    user_includes: Option<&[String]>,
) -> Value {
    let course = data.courses.get(&e.course_id);
    let section = e.course_section_id.and_then(|s| data.sections.get(&s));
    let user = data.users.get(&e.user_id);
    let account = course.and_then(|c| data.accounts.get(&c.account_id));
    let gone = course.is_some_and(|c| c.workflow_state == "deleted")
        || section.is_some_and(|s| s.workflow_state == "deleted");
    let mut m = to_object(json!({
        "id": e.id,
        "user_id": e.user_id,
        "course_id": e.course_id,
        "type": e.kind,
        "created_at": e.created_at,
        "updated_at": e.created_at,
        "associated_user_id": e.associated_user_id,
        "start_at": e.start_at,
        "end_at": e.end_at,
        "course_section_id": e.course_section_id,
        "root_account_id": course.map(|c| c.root_account_id),
        "limit_privileges_to_course_section": e.limit_privileges_to_course_section,
        "enrollment_state": if gone { "deleted" } else { e.enrollment_state.as_str() },
        "role": e.kind,
        "role_id": e.role_id(),
        "last_activity_at": e.last_activity_at,
        "last_attended_at": null,
        "total_activity_time": e.total_activity_time,
        "sis_import_id": null,
        "sis_account_id": account.and_then(|a| a.sis_account_id.clone()),
        "sis_course_id": course.and_then(|c| c.sis_course_id.clone()),
        "course_integration_id": course.and_then(|c| c.integration_id.clone()),
        "sis_section_id": section.and_then(|s| s.sis_section_id.clone()),
        "section_integration_id": section.and_then(|s| s.integration_id.clone()),
        "sis_user_id": user.and_then(|u| u.sis_user_id.clone()),
        "html_url": format!("{base_url}/courses/{}/users/{}", e.course_id, e.user_id),
    }));
    if e.kind == "StudentEnrollment" {
        m.insert("grades".into(), grades(e, data, base_url));
    }
    if let (Some(includes), Some(u)) = (user_includes, user) {
        m.insert(
            "user".into(),
            Value::Object(user_brief(u, base_url, includes)),
        );
    }
    Value::Object(m)
}

/// Whether an enrollment state counts as "active and invited" (`total_students`).
fn active_or_invited(e: &Enrollment) -> bool {
    matches!(e.enrollment_state.as_str(), "active" | "invited")
}

/// A Section object (`section_json`); `includes` honours `students` (with
/// `enrollments`, `avatar_url`, `email`) and `total_students`.
pub(crate) fn section(s: &Section, data: &Data, base_url: &str, includes: &[String]) -> Value {
    let has = |name: &str| includes.iter().any(|i| i == name);
    let mut m = to_object(json!({
        "id": s.id,
        "course_id": s.course_id,
        "name": s.name,
        "start_at": s.start_at,
        "end_at": s.end_at,
        "restrict_enrollments_to_section_dates": s.restrict_enrollments_to_section_dates,
        "nonxlist_course_id": s.nonxlist_course_id,
        "sis_section_id": s.sis_section_id,
        "sis_course_id": data.courses.get(&s.course_id).and_then(|c| c.sis_course_id.clone()),
        "integration_id": s.integration_id,
        "sis_import_id": null,
    }));
    let students: Vec<&Enrollment> = data
        .enrollments
        .iter()
        .filter(|e| e.course_section_id == Some(s.id) && e.kind == "StudentEnrollment")
        .filter(|e| !matches!(e.enrollment_state.as_str(), "deleted" | "rejected"))
        .collect();
    if has("students") {
        let list: Vec<Value> = students
            .iter()
            .filter_map(|e| {
                let u = data.users.get(&e.user_id)?;
                let mut user = user_brief(u, base_url, includes);
                if has("enrollments") {
                    user.insert(
                        "enrollments".into(),
                        json!([enrollment(e, data, base_url, None)]),
                    );
                }
                Some(Value::Object(user))
            })
            .collect();
        let value = if list.is_empty() {
            Value::Null
        } else {
            Value::Array(list)
        };
        m.insert("students".into(), value);
    }
    if has("total_students") {
        let total = students.iter().filter(|e| active_or_invited(e)).count();
        m.insert("total_students".into(), json!(total));
    }
    Value::Object(m)
}

fn needs_grading(s: &Submission) -> bool {
    matches!(s.workflow_state.as_str(), "submitted" | "pending_review") && s.submitted_at.is_some()
}

/// An Assignment object (`assignment_json`), as an admin sees it. `bucket` is
/// echoed when the list was asked for one.
pub(crate) fn assignment(
    a: &Assignment,
    data: &Data,
    base_url: &str,
    bucket: Option<&str>,
) -> Value {
    let subs: Vec<&Submission> = data
        .submissions
        .values()
        .filter(|s| s.assignment_id == a.id)
        .collect();
    let submitted = subs.iter().any(|s| s.submitted_at.is_some());
    let graded = subs.iter().any(|s| s.workflow_state == "graded");
    let course_url = format!("{base_url}/courses/{}", a.course_id);
    let mut m = to_object(json!({
        "id": a.id,
        "name": a.name,
        "description": a.description,
        "created_at": a.created_at,
        "updated_at": a.created_at,
        "due_at": a.due_at,
        "lock_at": a.lock_at,
        "unlock_at": a.unlock_at,
        "has_overrides": false,
        "all_dates": null,
        "course_id": a.course_id,
        "html_url": format!("{course_url}/assignments/{}", a.id),
        "submissions_download_url": format!("{course_url}/assignments/{}/submissions?zip=1", a.id),
        "assignment_group_id": a.assignment_group_id,
        "due_date_required": false,
        "max_name_length": 255,
        "grade_group_students_individually": false,
        "group_category_id": null,
        "peer_reviews": a.peer_reviews,
        "anonymous_peer_reviews": false,
        "automatic_peer_reviews": false,
        "intra_group_peer_reviews": false,
        "position": a.position,
        "post_to_sis": false,
        "integration_id": a.integration_id,
        "integration_data": {},
        "sis_assignment_id": a.sis_assignment_id,
        "points_possible": a.points_possible,
        "grading_type": a.grading_type,
    }));
    m.extend(to_object(json!({
        "grading_standard_id": null,
        "submission_types": a.submission_types,
        "has_submitted_submissions": submitted,
        "graded_submissions_exist": graded,
        "needs_grading_count": subs.iter().filter(|s| needs_grading(s)).count(),
        "in_closed_grading_period": false,
        "moderated_grading": false,
        "hide_in_gradebook": false,
        "omit_from_final_grade": a.omit_from_final_grade,
        "anonymous_instructor_annotations": false,
        "anonymous_grading": false,
        "anonymize_students": false,
        "allowed_attempts": a.allowed_attempts,
        "final_grader_id": null,
        "grader_count": 0,
        "graders_anonymous_to_graders": false,
        "grader_comments_visible_to_graders": true,
        "grader_names_visible_to_final_grader": true,
        "is_quiz_assignment": false,
        "can_duplicate": true,
        "original_course_id": null,
        "original_assignment_id": null,
        "original_lti_resource_link_id": null,
        "original_assignment_name": null,
        "original_quiz_id": null,
        "workflow_state": a.workflow_state,
        "important_dates": false,
        "muted": false,
        "published": a.workflow_state == "published",
        "unpublishable": !submitted,
        "only_visible_to_overrides": false,
        "visible_to_everyone": true,
        "locked_for_user": false,
        "lti_context_id": super::seed::fake_uuid("assignment", a.id),
        "post_manually": false,
        "require_lockdown_browser": false,
        "restrict_quantitative_data": false,
    })));
    if let Some(bucket) = bucket {
        m.insert("bucket".into(), json!(bucket));
    }
    Value::Object(m)
}

/// Seconds from `from` to `to` (Canvas-format times); None if either is no time.
fn seconds_between(from: &str, to: &str) -> Option<i64> {
    let from = chrono::DateTime::parse_from_rfc3339(from).ok()?;
    let to = chrono::DateTime::parse_from_rfc3339(to).ok()?;
    Some((to - from).num_seconds())
}

/// `late` as Canvas computes it unless the submission says.
pub(crate) fn is_late(s: &Submission, a: &Assignment) -> bool {
    if let Some(late) = s.late {
        return late;
    }
    match s.late_policy_status.as_deref() {
        Some("late") => return true,
        Some(_) => return false,
        None => {}
    }
    match (&s.submitted_at, &a.due_at) {
        (Some(at), Some(due)) => s.excused != Some(true) && at > due,
        _ => false,
    }
}

/// `missing` as Canvas computes it unless the submission says.
pub(crate) fn is_missing(s: &Submission, a: &Assignment, now: &str) -> bool {
    if let Some(missing) = s.missing {
        return missing;
    }
    match s.late_policy_status.as_deref() {
        Some("missing") => return true,
        Some(_) => return false,
        None => {}
    }
    let past_due = a.due_at.as_deref().is_some_and(|due| due < now);
    past_due
        && s.submitted_at.is_none()
        && s.excused != Some(true)
        && s.workflow_state != "graded"
        && a.expects_submission()
}

/// The submission a user has before anything happened (Canvas's
/// `find_or_initialize_by`): no id.
pub(crate) fn blank_submission(a: &Assignment, user_id: u64) -> Submission {
    Submission::new(0, a.id, user_id)
}

/// A Submission object (`submission_json`), as an admin sees it.
pub(crate) fn submission(s: &Submission, a: &Assignment, base_url: &str, now: &str) -> Value {
    let late = is_late(s, a);
    let seconds_late = match (late, &s.submitted_at, &a.due_at) {
        (true, Some(at), Some(due)) => seconds_between(due, at).unwrap_or(0).max(0),
        _ => 0,
    };
    let url = format!(
        "{base_url}/courses/{}/assignments/{}/submissions/{}?preview=1&version={}",
        a.course_id,
        a.id,
        s.user_id,
        s.attempt.unwrap_or(0)
    );
    json!({
        "id": if s.id == 0 { Value::Null } else { json!(s.id) },
        "body": s.body,
        "url": s.url,
        "grade": s.grade,
        "score": s.score,
        "submitted_at": s.submitted_at,
        "assignment_id": s.assignment_id,
        "user_id": s.user_id,
        "submission_type": s.submission_type,
        "workflow_state": s.workflow_state,
        "grade_matches_current_submission": true,
        "graded_at": s.graded_at,
        "grader_id": s.grader_id,
        "attempt": s.attempt,
        "cached_due_date": a.due_at,
        "excused": s.excused,
        "late_policy_status": s.late_policy_status,
        "points_deducted": null,
        "grading_period_id": null,
        "extra_attempts": null,
        "posted_at": s.posted_at,
        "redo_request": false,
        "custom_grade_status_id": null,
        "sticker": null,
        "late": late,
        "missing": is_missing(s, a, now),
        "seconds_late": seconds_late,
        "entered_grade": s.grade,
        "entered_score": s.score,
        "preview_url": url,
        "anonymous_id": &super::seed::fake_uuid("anonymous", s.user_id.wrapping_mul(1_000_003) ^ a.id)[..5],
    })
}
