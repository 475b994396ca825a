//! Enrollments of a course, a section or a user (Canvas's `EnrollmentsApiController#index`).

use super::{live_course, Ctx, Reply};
use crate::standin::seed::{Enrollment, ENROLLMENT_TYPES, WORKER_USER_ID};
use crate::standin::state::Data;
use crate::standin::views;

/// Whose enrollments are listed.
#[derive(Clone, Copy)]
enum Context {
    Course(u64),
    Section(u64),
    User(u64),
}

pub(super) fn course_enrollments(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match live_course(&data, id) {
        Some(course) => list(ctx, &data, Context::Course(course)),
        None => Reply::not_found(),
    }
}

pub(super) fn section_enrollments(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_section(id) {
        Some(section) => list(ctx, &data, Context::Section(section)),
        None => Reply::not_found(),
    }
}

pub(super) fn user_enrollments(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_user(id) {
        Some(user) => list(ctx, &data, Context::User(user)),
        None => Reply::not_found(),
    }
}

/// The states a user may ask for about their own enrollments.
const OWN_STATES: [&str; 11] = [
    "active",
    "inactive",
    "rejected",
    "invited",
    "creation_pending",
    "pending_active",
    "pending_invited",
    "completed",
    "current_and_invited",
    "current_and_future",
    "current_and_concluded",
];

/// Canvas's `enrollment_states_for_state_param`: the synthetic states, spelled out.
fn expand_states(asked: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for s in asked {
        let expanded: &[&str] = match s.as_str() {
            "current_and_invited" => &["active", "invited"],
            "current_and_future" => &[
                "active",
                "invited",
                "creation_pending",
                "pending_active",
                "pending_invited",
            ],
            "current_and_concluded" => &["active", "completed"],
            _ => {
                out.push(s.clone());
                continue;
            }
        };
        out.extend(expanded.iter().map(|s| s.to_string()));
    }
    out.sort();
    out.dedup();
    out
}

/// The states listed, as Canvas picks them: `state[]` when given (the worker's
/// own enrollments are checked and may use the synthetic states); otherwise a
/// course or section roster shows everything but rejected, completed and deleted
/// (the worker is an admin), and a user's enrollments the active and invited ones.
fn states(ctx: &Ctx<'_>, context: Context, user_filter: Option<u64>) -> Result<Vec<String>, Reply> {
    let asked = ctx.query.list("state");
    let about_user = match context {
        Context::User(u) => Some(u),
        _ => user_filter,
    };
    if asked.is_empty() {
        let list: &[&str] = match about_user {
            Some(_) => &["active", "invited"],
            None => &["active", "invited", "creation_pending", "inactive"],
        };
        return Ok(list.iter().map(|s| s.to_string()).collect());
    }
    if about_user == Some(WORKER_USER_ID) {
        if let Some(bad) = asked.iter().find(|s| !OWN_STATES.contains(&s.as_str())) {
            return Err(Reply::bare(
                http::StatusCode::BAD_REQUEST,
                "error",
                &format!("Invalid state {bad}"),
            ));
        }
        return Ok(expand_states(&asked));
    }
    Ok(asked)
}

/// `role_id[]`, else `role[]` (the built-in roles are named after the types), else `type[]`.
fn type_filter(ctx: &Ctx<'_>) -> Result<Option<Vec<String>>, Reply> {
    let role_ids = ctx.query.list("role_id");
    if !role_ids.is_empty() {
        let kinds = role_ids
            .iter()
            .filter_map(|id| id.trim().parse::<usize>().ok())
            .filter_map(|id| id.checked_sub(3).and_then(|i| ENROLLMENT_TYPES.get(i)))
            .map(|k| k.to_string())
            .collect();
        return Ok(Some(kinds));
    }
    let roles = ctx.query.list("role");
    if !roles.is_empty() {
        if roles
            .iter()
            .any(|r| !ENROLLMENT_TYPES.contains(&r.as_str()))
        {
            return Err(Reply::bad_request("role not found"));
        }
        return Ok(Some(roles));
    }
    let types = ctx.query.list("type");
    Ok((!types.is_empty()).then_some(types))
}

fn in_context(e: &Enrollment, context: Context) -> bool {
    match context {
        Context::Course(c) => e.course_id == c,
        Context::Section(s) => e.course_section_id == Some(s),
        Context::User(u) => e.user_id == u,
    }
}

fn list(ctx: &Ctx<'_>, data: &Data, context: Context) -> Reply {
    let user_filter = match (context, ctx.query.text("user_id")) {
        (Context::User(_), _) | (_, None) => None,
        (_, Some(raw)) => match data.resolve_user_ref(raw.trim()) {
            Some(u) => Some(u),
            None => return Reply::not_found(),
        },
    };
    let states = match states(ctx, context, user_filter) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let kinds = match type_filter(ctx) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let mut found: Vec<&Enrollment> = data
        .enrollments
        .iter()
        .filter(|e| in_context(e, context))
        .filter(|e| user_filter.is_none_or(|u| e.user_id == u))
        .filter(|e| kinds.as_ref().is_none_or(|k| k.contains(&e.kind)))
        .filter(|e| states.contains(&e.enrollment_state))
        .collect();
    let sortable = |e: &Enrollment| {
        data.users
            .get(&e.user_id)
            .map(|u| u.sortable_name.to_lowercase())
            .unwrap_or_default()
    };
    // Canvas: by type, then the user's sortable name, then id.
    found.sort_by(|a, b| {
        (a.kind.as_str(), sortable(a), a.id).cmp(&(b.kind.as_str(), sortable(b), b.id))
    });
    let includes = ctx.includes();
    ctx.page_of(found, |e| {
        views::enrollment(e, data, ctx.base_url(), Some(&includes))
    })
}
