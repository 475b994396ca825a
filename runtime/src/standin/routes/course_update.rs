//! `PUT /api/v1/courses/:id`: the `course[...]` fields a job commonly sets, with
//! the checks Canvas makes, and `course[event]`.

use serde_json::Value;

use super::{live_course, Ctx, Reply};
use crate::standin::params::{value_text, value_to_boolean, Params};
use crate::standin::routes::DEFAULT_VIEWS;
use crate::standin::seed::Course;
use crate::standin::state::{parse_id, Data};
use crate::standin::time::normalize_time;

/// The licenses Canvas knows; any other value becomes `private`.
pub const LICENSES: [&str; 8] = [
    "private",
    "cc_by_nc_nd",
    "cc_by_nc_sa",
    "cc_by_nc",
    "cc_by_nd",
    "cc_by_sa",
    "cc_by",
    "public_domain",
];

/// The `course_format` values Canvas keeps; any other value clears it.
pub const COURSE_FORMATS: [&str; 3] = ["on_campus", "online", "blended"];

/// The `course[...]` booleans, stored as given (Rails's boolean cast).
const FLAGS: [&str; 12] = [
    "is_public",
    "is_public_to_auth_users",
    "public_syllabus",
    "public_syllabus_to_auth",
    "allow_student_wiki_edits",
    "allow_wiki_comments",
    "allow_student_forum_attachments",
    "open_enrollment",
    "self_enrollment",
    "restrict_enrollments_to_course_dates",
    "hide_final_grades",
    "apply_assignment_group_weights",
];

/// Validation errors: (attribute, type, message), as ActiveRecord reports them.
type Errors = Vec<(&'static str, String, String)>;

fn key(field: &str) -> String {
    format!("course[{field}]")
}

/// ActiveRecord's boolean cast: null or blank → false, false-ish → false, else true.
fn ar_boolean(v: &Value) -> bool {
    match v {
        Value::Null => false,
        other => value_to_boolean(other).unwrap_or(true),
    }
}

fn flag_mut<'a>(c: &'a mut Course, field: &str) -> Option<&'a mut bool> {
    Some(match field {
        "is_public" => &mut c.is_public,
        "is_public_to_auth_users" => &mut c.is_public_to_auth_users,
        "public_syllabus" => &mut c.public_syllabus,
        "public_syllabus_to_auth" => &mut c.public_syllabus_to_auth,
        "allow_student_wiki_edits" => &mut c.allow_student_wiki_edits,
        "allow_wiki_comments" => &mut c.allow_wiki_comments,
        "allow_student_forum_attachments" => &mut c.allow_student_forum_attachments,
        "open_enrollment" => &mut c.open_enrollment,
        "self_enrollment" => &mut c.self_enrollment,
        "restrict_enrollments_to_course_dates" => &mut c.restrict_enrollments_to_course_dates,
        "hide_final_grades" => &mut c.hide_final_grades,
        "apply_assignment_group_weights" => &mut c.apply_assignment_group_weights,
        _ => return None,
    })
}

fn apply_flags(c: &mut Course, p: &Params) {
    for field in FLAGS {
        if let (Some(v), Some(slot)) = (p.get(&key(field)), flag_mut(c, field)) {
            *slot = ar_boolean(v);
        }
    }
}

fn apply_names(c: &mut Course, p: &Params, errors: &mut Errors) {
    if p.has("course[name]") {
        let name = p.text("course[name]").unwrap_or_default();
        let name = name.trim();
        if name.chars().count() > 255 {
            errors.push(("name", "too_long".into(), "too_long".into()));
        } else if name.is_empty() {
            c.name = "Unnamed Course".into();
        } else {
            c.name = name.to_string();
        }
    }
    if p.has("course[course_code]") {
        let code = p.text("course[course_code]").unwrap_or_default();
        if code.chars().count() > 255 {
            errors.push(("course_code", "too_long".into(), "too_long".into()));
        } else {
            c.course_code = code.trim().to_string();
        }
    }
}

fn apply_texts(c: &mut Course, p: &Params) {
    if p.has("course[public_description]") {
        c.public_description = p.text("course[public_description]");
    }
    if p.has("course[syllabus_body]") {
        c.syllabus_body = p.text("course[syllabus_body]");
    }
    if p.has("course[license]") {
        // Canvas: "set license to private if it's present but not recognized".
        c.license = p
            .text("course[license]")
            .filter(|l| LICENSES.contains(&l.as_str()))
            .unwrap_or_else(|| "private".into());
    }
    if p.has("course[course_format]") {
        c.course_format = p
            .text("course[course_format]")
            .filter(|f| COURSE_FORMATS.contains(&f.as_str()));
    }
    if p.has("course[grading_standard_id]") {
        c.grading_standard_id = p
            .text("course[grading_standard_id]")
            .and_then(|g| parse_id(g.trim()));
    }
}

fn apply_default_view(c: &mut Course, p: &Params, errors: &mut Errors) {
    if p.has("course[default_view]") {
        match p.text("course[default_view]") {
            Some(v) if DEFAULT_VIEWS.contains(&v.as_str()) => c.default_view = v,
            _ => errors.push(("default_view", "inclusion".into(), "inclusion".into())),
        }
    }
}

fn apply_dates(c: &mut Course, p: &Params) {
    // Like Rails: blank clears it, an unparseable time becomes null.
    let parse = |v: &Value| value_text(v).and_then(|s| normalize_time(&s));
    if let Some(v) = p.get("course[start_at]") {
        c.start_at = parse(v);
    }
    if let Some(v) = p.get("course[end_at]") {
        c.end_at = parse(v);
    }
}

/// `course[term_id]` (or `course[enrollment_term_id]`): an id or `sis_term_id:X`;
/// blank means the default term. A term that does not exist is a 404, as Canvas's
/// `api_find` answers.
fn apply_term(c: &mut Course, p: &Params, data: &Data) -> Result<(), Reply> {
    let field = ["course[term_id]", "course[enrollment_term_id]"]
        .into_iter()
        .find(|k| p.has(k));
    let Some(field) = field else {
        return Ok(());
    };
    let raw = p.text(field).unwrap_or_default();
    let raw = raw.trim();
    let term = if raw.is_empty() {
        data.terms
            .values()
            .find(|t| t.name == "Default Term")
            .or_else(|| data.terms.values().next())
            .map(|t| t.id)
    } else if let Some(sis) = raw.strip_prefix("sis_term_id:") {
        data.terms
            .values()
            .find(|t| t.sis_term_id.as_deref() == Some(sis))
            .map(|t| t.id)
    } else {
        parse_id(raw).filter(|id| data.terms.contains_key(id))
    };
    c.enrollment_term_id = term.ok_or_else(Reply::not_found)?;
    Ok(())
}

/// `course[sis_course_id]` and `course[integration_id]`: blank clears; a value
/// another course of the root account has is refused, as Canvas refuses it.
fn apply_sis_ids(c: &mut Course, p: &Params, data: &Data, errors: &mut Errors) {
    let taken = |value: &str, get: fn(&Course) -> Option<&str>| {
        data.courses.values().any(|o| {
            o.id != c.id && o.root_account_id == c.root_account_id && get(o) == Some(value)
        })
    };
    if p.has("course[sis_course_id]") {
        let sis = p.text("course[sis_course_id]").filter(|s| !s.is_empty());
        if let Some(s) = sis
            .as_deref()
            .filter(|s| taken(s, |o| o.sis_course_id.as_deref()))
        {
            let msg = format!("SIS ID \"{s}\" is already in use");
            errors.push(("sis_source_id", msg.clone(), msg));
        }
        c.sis_course_id = sis;
    }
    if p.has("course[integration_id]") {
        let id = p.text("course[integration_id]").filter(|s| !s.is_empty());
        if let Some(s) = id
            .as_deref()
            .filter(|s| taken(s, |o| o.integration_id.as_deref()))
        {
            let msg = format!("Integration ID \"{s}\" is already in use");
            errors.push(("integration_id", msg.clone(), msg));
        }
        c.integration_id = id;
    }
}

/// `course[time_zone]`: an IANA zone; anything else reads back as the account's
/// default zone (Canvas keeps the text but answers with the account's zone).
fn apply_time_zone(c: &mut Course, p: &Params, data: &Data) {
    if !p.has("course[time_zone]") {
        return;
    }
    let asked = p.text("course[time_zone]").unwrap_or_default();
    c.time_zone = match asked.trim().parse::<chrono_tz::Tz>() {
        Ok(tz) => tz.name().to_string(),
        Err(_) => data
            .accounts
            .get(&c.root_account_id)
            .map(|a| a.default_time_zone.clone())
            .unwrap_or_else(|| "Etc/UTC".into()),
    };
}

fn check_dates(c: &Course, errors: &mut Errors) {
    if let (Some(start), Some(end)) = (&c.start_at, &c.end_at) {
        if end < start {
            let msg = "End date cannot be before start date".to_string();
            errors.push(("conclude_at", msg.clone(), msg));
        }
    }
}

fn apply_course_event(c: &mut Course, event: &str) -> Result<(), Reply> {
    c.workflow_state = match event {
        "offer" => "available",
        "claim" => "unpublished",
        "conclude" => "completed",
        "delete" => "deleted",
        // Only a deleted course comes back (unpublished); the others stay as they are.
        "undelete" if c.workflow_state == "deleted" => "unpublished",
        "undelete" => return Ok(()),
        other => {
            return Err(Reply::bad_request(&format!(
                "Invalid course event {other:?}; expected one of offer, claim, conclude, delete, undelete"
            )))
        }
    }
    .to_string();
    Ok(())
}

/// `course[event]`, or `offer` (Canvas: `params[:course][:event] = :offer if params[:offer].present?`).
fn requested_event(p: &Params) -> Option<String> {
    if p.text("offer").is_some_and(|o| !o.trim().is_empty()) {
        return Some("offer".into());
    }
    p.text("course[event]")
}

/// The course to update: a live one, or a deleted one being undeleted.
fn target(data: &Data, id: &str, event: Option<&str>) -> Option<u64> {
    live_course(data, id).or_else(|| {
        (event == Some("undelete"))
            .then(|| data.resolve_course(id))
            .flatten()
    })
}

fn apply_all(c: &mut Course, p: &Params, data: &Data, errors: &mut Errors) -> Result<(), Reply> {
    apply_names(c, p, errors);
    apply_default_view(c, p, errors);
    apply_flags(c, p);
    apply_texts(c, p);
    apply_dates(c, p);
    apply_term(c, p, data)?;
    apply_sis_ids(c, p, data, errors);
    apply_time_zone(c, p, data);
    if let Some(event) = requested_event(p) {
        apply_course_event(c, &event)?;
    }
    check_dates(c, errors);
    Ok(())
}

pub(super) fn update_course(ctx: &Ctx<'_>, id: &str) -> Reply {
    let params = match ctx.all_params() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut data = ctx.data();
    let event = requested_event(&params);
    let Some(id) = target(&data, id, event.as_deref()) else {
        return Reply::not_found();
    };
    let Some(mut course) = data.courses.get(&id).cloned() else {
        return Reply::not_found();
    };
    let mut errors = Errors::new();
    if let Err(r) = apply_all(&mut course, &params, &data, &mut errors) {
        return r;
    }
    if !errors.is_empty() {
        let list: Vec<(&str, &str, String)> = errors
            .iter()
            .map(|(a, t, m)| (*a, t.as_str(), m.clone()))
            .collect();
        return Reply::validation(&list);
    }
    let body = crate::standin::views::course(&course, &data, ctx.base_url(), &[]);
    data.courses.insert(id, course);
    Reply::ok(&body)
}
