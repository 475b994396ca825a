//! The JSON shapes Canvas answers with.

use serde_json::{json, Value};

use super::seed::{Course, Enrollment, User};
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

/// An Enrollment object (as embedded in course user lists).
pub(crate) fn enrollment(e: &Enrollment, course: Option<&Course>) -> Value {
    json!({
        "id": e.id,
        "course_id": e.course_id,
        "user_id": e.user_id,
        "type": e.kind,
        "role": e.kind,
        "enrollment_state": e.enrollment_state,
        "root_account_id": course.map(|c| c.root_account_id),
        "course_section_id": e.course_section_id,
        "limit_privileges_to_course_section": false,
    })
}
