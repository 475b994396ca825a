//! One course: show, update, delete, and its users.

use serde_json::{json, Value};

use super::{live_course, Ctx, Reply};

pub(super) fn show_course(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match live_course(&data, id).and_then(|id| data.courses.get(&id)) {
        Some(c) => Reply::ok(&crate::standin::views::course(
            c,
            &data,
            &ctx.shared.base_url,
            &ctx.includes(),
        )),
        None => Reply::not_found(),
    }
}

pub(super) fn delete_course(ctx: &Ctx<'_>, id: &str) -> Reply {
    let params = match ctx.all_params() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut data = ctx.data();
    let Some(id) = live_course(&data, id) else {
        return Reply::not_found();
    };
    let event = params.text("event");
    let (state, key) = match event.as_deref() {
        Some("delete") => ("deleted", "delete"),
        Some("conclude") => ("completed", "conclude"),
        _ => {
            return Reply::json(
                http::StatusCode::BAD_REQUEST,
                &json!({"message": "Only \"delete\" and \"conclude\" events are allowed."}),
            )
        }
    };
    if let Some(c) = data.courses.get_mut(&id) {
        c.workflow_state = state.to_string();
    }
    Reply::ok(&json!({ key: true }))
}

pub(super) fn course_users(ctx: &Ctx<'_>, id: &str) -> Reply {
    let search = match ctx.search_term() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let data = ctx.data();
        let Some(id) = live_course(&data, id) else {
            return Reply::not_found();
        };
        let types = ctx.query.list("enrollment_type");
        // Canvas: users with active or invited enrollments unless `enrollment_state[]` says.
        let mut states = ctx.query.list("enrollment_state");
        if states.is_empty() {
            states = vec!["active".into(), "invited".into()];
        }
        let enrollments: Vec<&crate::standin::seed::Enrollment> = data
            .enrollments
            .iter()
            .filter(|e| e.course_id == id)
            .filter(|e| states.contains(&e.enrollment_state))
            .filter(|e| {
                types.is_empty()
                    || types
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(e.short_type()) || *t == e.kind)
            })
            .collect();
        let mut user_ids: Vec<u64> = enrollments.iter().map(|e| e.user_id).collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        let mut users: Vec<&crate::standin::seed::User> = user_ids
            .iter()
            .filter_map(|u| data.users.get(u))
            .filter(|u| {
                search
                    .as_ref()
                    .is_none_or(|s| super::user_matches(u, s, false))
            })
            .collect();
        users.sort_by(|a, b| {
            a.sortable_name
                .to_lowercase()
                .cmp(&b.sortable_name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        let includes = ctx.includes();
        let email = includes.iter().any(|i| i == "email");
        let with_enrollments = includes.iter().any(|i| i == "enrollments");
        users
            .iter()
            .map(|u| {
                let mut m = crate::standin::views::user_in_list(u, email);
                if with_enrollments {
                    let list: Vec<Value> = enrollments
                        .iter()
                        .filter(|e| e.user_id == u.id)
                        .map(|e| crate::standin::views::enrollment(e, &data, ctx.base_url(), None))
                        .collect();
                    m.insert("enrollments".into(), Value::Array(list));
                }
                Value::Object(m)
            })
            .collect()
    };
    ctx.page(items)
}
