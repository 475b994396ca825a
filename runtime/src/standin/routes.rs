//! Canvas REST endpoints, routed on the raw request path.

use http::header::{HeaderMap, HeaderName, CONTENT_TYPE};
use serde_json::{json, Value};

use super::paginate::{link_header, PageRequest};
use super::params::{parse_pairs, value_text, value_to_boolean, Params, QueryPair};
use super::reply::Reply;
use super::seed::Course;
use super::state::Data;
use super::time::normalize_time;
use super::{lock, Shared};

/// The `default_view` values Canvas accepts.
pub const DEFAULT_VIEWS: [&str; 5] = ["feed", "wiki", "modules", "syllabus", "assignments"];

/// A request as the routes see it (after auth).
pub(crate) struct ApiRequest<'a> {
    /// Upper-case; HEAD arrives here as GET.
    pub(crate) method: &'a str,
    pub(crate) raw_path: &'a str,
    pub(crate) raw_query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// The path segments after `/api/v1/`, with a trailing slash and a `.json` suffix on the
/// last segment removed. None for paths outside the API.
pub(crate) fn api_segments(raw_path: &str) -> Option<Vec<&str>> {
    let rest = raw_path.strip_prefix("/api/v1/")?;
    let mut segs: Vec<&str> = rest.split('/').collect();
    if segs.len() > 1 && segs.last() == Some(&"") {
        segs.pop();
    }
    if let Some(last) = segs.last_mut() {
        if let Some(stem) = last.strip_suffix(".json") {
            if !stem.is_empty() {
                *last = stem;
            }
        }
    }
    if segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    Some(segs)
}

/// Routes an authorised request.
pub(crate) fn route(shared: &Shared, req: &ApiRequest<'_>) -> Reply {
    let Some(segs) = api_segments(req.raw_path) else {
        return Reply::not_found();
    };
    let pairs = match parse_pairs(req.raw_query.unwrap_or("")) {
        Ok(p) => p,
        Err(e) => return Reply::bad_request(&format!("Invalid query parameters: {}", e.0)),
    };
    let ctx = Ctx {
        shared,
        req,
        query: Params::from_pairs(&pairs),
        pairs,
    };
    match (req.method, segs.as_slice()) {
        ("GET", ["accounts"]) => list_accounts(&ctx),
        ("GET", ["accounts", id]) => show_account(&ctx, id),
        ("GET", ["accounts", id, "sub_accounts"]) => sub_accounts(&ctx, id),
        ("GET", ["accounts", id, "courses"]) => account_courses(&ctx, id),
        ("GET", ["accounts", id, "users"]) => account_users(&ctx, id),
        ("GET", ["courses", id]) => show_course(&ctx, id),
        ("PUT", ["courses", id]) => update_course(&ctx, id),
        ("DELETE", ["courses", id]) => delete_course(&ctx, id),
        ("GET", ["courses", id, "users"]) => course_users(&ctx, id),
        ("GET", ["users", id]) => show_user(&ctx, id),
        ("GET", ["users", id, "profile"]) => user_profile(&ctx, id),
        _ => Reply::not_found(),
    }
}

struct Ctx<'a> {
    shared: &'a Shared,
    req: &'a ApiRequest<'a>,
    pairs: Vec<QueryPair>,
    query: Params,
}

impl Ctx<'_> {
    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        lock(&self.shared.data)
    }

    /// A paginated JSON array with its `Link` header.
    fn page(&self, items: Vec<Value>) -> Reply {
        self.page_of(items, |v| v)
    }

    /// A paginated JSON array with its `Link` header, rendering only the
    /// items on the requested page (a listing of 10,000 courses renders 100).
    fn page_of<T>(&self, items: Vec<T>, render: impl FnMut(T) -> Value) -> Reply {
        let pr = PageRequest::from_query(&self.pairs);
        let total = items.len();
        let link = link_header(
            &self.shared.base_url,
            self.req.raw_path,
            &self.pairs,
            pr,
            total,
        );
        let rendered = pr.slice(items).into_iter().map(render).collect();
        Reply::ok(&Value::Array(rendered)).with_header(HeaderName::from_static("link"), &link)
    }

    /// `search_term`, checked like Canvas (≥ 2 characters), lower-cased.
    fn search_term(&self) -> Result<Option<String>, Reply> {
        if !self.query.has("search_term") {
            return Ok(None);
        }
        let term = self.query.text("search_term").unwrap_or_default();
        if term.chars().count() < 2 {
            return Err(Reply::search_term_too_short());
        }
        Ok(Some(term.to_lowercase()))
    }

    fn includes(&self) -> Vec<String> {
        self.query.list("include")
    }

    /// Query parameters merged with the body's (body wins), as Rails merges them.
    fn all_params(&self) -> Result<Params, Reply> {
        let mut p = self.query.clone();
        p.extend(body_params(
            self.req.method,
            self.req.headers,
            self.req.body,
        )?);
        Ok(p)
    }
}

/// Parses a request body the way Rails does: JSON for a JSON content type,
/// form-encoded for `application/x-www-form-urlencoded` (or a POST without a content
/// type); any other body is not read as parameters.
pub(crate) fn body_params(method: &str, headers: &HeaderMap, body: &[u8]) -> Result<Params, Reply> {
    let ctype = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase());
    let media = ctype
        .as_deref()
        .map(|c| c.split(';').next().unwrap_or("").trim().to_string());
    match media.as_deref() {
        Some(m) if m == "application/json" || m.ends_with("+json") => {
            if body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(Params::default());
            }
            let v: Value = serde_json::from_slice(body).map_err(|e| {
                Reply::bad_request(&format!("The request body is not valid JSON: {e}"))
            })?;
            Params::from_json_object(&v)
                .map_err(|e| Reply::bad_request(&format!("Invalid JSON body: {}", e.0)))
        }
        Some("multipart/form-data") => Err(Reply::bad_request(
            "multipart/form-data bodies are not supported by the Canvas stand-in; send JSON or form-encoded parameters",
        )),
        Some("application/x-www-form-urlencoded") => form_params(body),
        None if method == "POST" => form_params(body),
        _ => Ok(Params::default()),
    }
}

fn form_params(body: &[u8]) -> Result<Params, Reply> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Reply::bad_request("Invalid form body: not UTF-8"))?;
    let pairs = parse_pairs(text.trim_end_matches(['\r', '\n']))
        .map_err(|e| Reply::bad_request(&format!("Invalid form body: {}", e.0)))?;
    Ok(Params::from_pairs(&pairs))
}

// ---- accounts -------------------------------------------------------------

fn account_value(a: &super::seed::Account) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

/// `GET /api/v1/accounts`: the accounts the worker administers (the root accounts).
fn list_accounts(ctx: &Ctx<'_>) -> Reply {
    let items: Vec<Value> = {
        let data = ctx.data();
        data.accounts
            .values()
            .filter(|a| a.parent_account_id.is_none() && a.workflow_state != "deleted")
            .map(account_value)
            .collect()
    };
    ctx.page(items)
}

fn show_account(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data
        .resolve_account(id)
        .and_then(|id| data.accounts.get(&id))
    {
        Some(a) => Reply::ok(&account_value(a)),
        None => Reply::not_found(),
    }
}

fn sub_accounts(ctx: &Ctx<'_>, id: &str) -> Reply {
    let items: Vec<Value> = {
        let data = ctx.data();
        let Some(id) = data.resolve_account(id) else {
            return Reply::not_found();
        };
        let mut ids = if ctx.query.boolean("recursive") == Some(true) {
            let mut all = data.subtree(id);
            all.retain(|&a| a != id);
            all
        } else {
            data.children(id)
        };
        ids.sort_unstable();
        ids.iter()
            .filter_map(|a| data.accounts.get(a))
            .map(account_value)
            .collect()
    };
    ctx.page(items)
}

/// Maps Canvas's internal course states (as `state[]` takes them) to the API ones.
fn api_state(s: &str) -> Option<&'static str> {
    match s {
        "created" | "claimed" | "unpublished" => Some("unpublished"),
        "available" => Some("available"),
        "completed" => Some("completed"),
        "deleted" => Some("deleted"),
        _ => None,
    }
}

fn account_courses(ctx: &Ctx<'_>, id: &str) -> Reply {
    let search = match ctx.search_term() {
        Ok(s) => s,
        Err(r) => return r,
    };
    {
        let data = ctx.data();
        let Some(id) = data.resolve_account(id) else {
            return Reply::not_found();
        };
        let accounts = data.subtree(id);

        // state[]: default everything but deleted; "all" adds deleted.
        let asked = ctx.query.list("state");
        let mut states: Vec<&str> = if asked.is_empty() {
            vec!["unpublished", "available", "completed"]
        } else if asked.iter().any(|s| s == "all") {
            vec!["unpublished", "available", "completed", "deleted"]
        } else {
            asked.iter().filter_map(|s| api_state(s)).collect()
        };
        match ctx.query.get("published") {
            // Canvas's Course scopes: `published` is available or completed,
            // `unpublished` is created or claimed.
            Some(v) if value_to_boolean(v) == Some(true) => {
                states.retain(|s| matches!(*s, "available" | "completed"))
            }
            Some(_) => states.retain(|s| *s == "unpublished"),
            None => {}
        }

        let term = match ctx.query.text("enrollment_term_id") {
            Some(t) => match super::state::parse_id(&t).filter(|t| data.terms.contains_key(t)) {
                Some(t) => Some(t),
                None => return Reply::not_found(),
            },
            None => None,
        };

        let mut courses: Vec<&Course> = data
            .courses
            .values()
            .filter(|c| accounts.contains(&c.account_id))
            .filter(|c| states.contains(&c.workflow_state.as_str()))
            .filter(|c| term.is_none_or(|t| c.enrollment_term_id == t))
            .filter(|c| match &search {
                None => true,
                Some(s) => {
                    c.name.to_lowercase().contains(s)
                        || c.course_code.to_lowercase().contains(s)
                        || c.sis_course_id
                            .as_ref()
                            .is_some_and(|x| x.to_lowercase().contains(s))
                        || c.id.to_string() == *s
                }
            })
            .collect();

        let sort = ctx.query.text("sort");
        let key = |c: &Course| -> String {
            match sort.as_deref() {
                Some("course_name") => c.name.to_lowercase(),
                Some("sis_course_id") => c.sis_course_id.clone().unwrap_or_default(),
                Some("course_status") => c.workflow_state.clone(),
                Some("account_name" | "subaccount") => data
                    .accounts
                    .get(&c.account_id)
                    .map(|a| a.name.to_lowercase())
                    .unwrap_or_default(),
                Some("term") => data
                    .terms
                    .get(&c.enrollment_term_id)
                    .map(|t| t.name.to_lowercase())
                    .unwrap_or_default(),
                _ => String::new(),
            }
        };
        courses.sort_by(|a, b| key(a).cmp(&key(b)).then(a.id.cmp(&b.id)));
        if sort.is_some() && ctx.query.text("order").as_deref() == Some("desc") {
            courses.reverse();
        }

        let includes = ctx.includes();
        ctx.page_of(courses, |c| {
            super::views::course(c, &data, &ctx.shared.base_url, &includes)
        })
    }
}

fn account_users(ctx: &Ctx<'_>, id: &str) -> Reply {
    let search = match ctx.search_term() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let data = ctx.data();
        let Some(id) = data.resolve_account(id) else {
            return Reply::not_found();
        };
        let in_scope: Vec<u64> = if data
            .accounts
            .get(&id)
            .is_some_and(|a| a.parent_account_id.is_none())
        {
            data.users.keys().copied().collect()
        } else {
            data.user_ids_in_accounts(&data.subtree(id))
        };
        let mut users: Vec<&super::seed::User> = in_scope
            .iter()
            .filter_map(|u| data.users.get(u))
            .filter(|u| match &search {
                None => true,
                Some(s) => {
                    u.name.to_lowercase().contains(s)
                        || u.sortable_name.to_lowercase().contains(s)
                        || u.login_id.to_lowercase().contains(s)
                        || u.email.to_lowercase().contains(s)
                        || u.sis_user_id
                            .as_ref()
                            .is_some_and(|x| x.to_lowercase().contains(s))
                }
            })
            .collect();
        let sort = ctx.query.text("sort");
        let key = |u: &super::seed::User| -> String {
            match sort.as_deref() {
                Some("email") => u.email.to_lowercase(),
                Some("sis_id") => u.sis_user_id.clone().unwrap_or_default(),
                Some("integration_id") => u.integration_id.clone().unwrap_or_default(),
                _ => u.sortable_name.to_lowercase(),
            }
        };
        users.sort_by(|a, b| key(a).cmp(&key(b)).then(a.id.cmp(&b.id)));
        if ctx.query.text("order").as_deref() == Some("desc") {
            users.reverse();
        }
        let email = ctx.includes().iter().any(|i| i == "email");
        users
            .iter()
            .map(|u| Value::Object(super::views::user_in_list(u, email)))
            .collect()
    };
    ctx.page(items)
}

// ---- courses --------------------------------------------------------------

/// A live (not deleted) course by path segment.
fn live_course(data: &Data, id: &str) -> Option<u64> {
    data.resolve_course(id).filter(|id| {
        data.courses
            .get(id)
            .is_some_and(|c| c.workflow_state != "deleted")
    })
}

fn show_course(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match live_course(&data, id).and_then(|id| data.courses.get(&id)) {
        Some(c) => Reply::ok(&super::views::course(
            c,
            &data,
            &ctx.shared.base_url,
            &ctx.includes(),
        )),
        None => Reply::not_found(),
    }
}

/// The result of applying `course[...]` parameters to a course.
type Errors = Vec<(&'static str, &'static str, String)>;

fn apply_course_params(c: &mut Course, p: &Params, errors: &mut Errors) {
    if p.has("course[name]") {
        let name = p.text("course[name]").unwrap_or_default();
        let name = name.trim();
        if name.chars().count() > 255 {
            errors.push(("name", "too_long", "too_long".into()));
        } else if name.is_empty() {
            c.name = "Unnamed Course".into();
        } else {
            c.name = name.to_string();
        }
    }
    if p.has("course[course_code]") {
        let code = p.text("course[course_code]").unwrap_or_default();
        if code.chars().count() > 255 {
            errors.push(("course_code", "too_long", "too_long".into()));
        } else {
            c.course_code = code.trim().to_string();
        }
    }
    if p.has("course[default_view]") {
        match p.text("course[default_view]") {
            Some(v) if DEFAULT_VIEWS.contains(&v.as_str()) => c.default_view = v,
            _ => errors.push(("default_view", "inclusion", "inclusion".into())),
        }
    }
    if let Some(v) = p.get("course[is_public]") {
        // ActiveRecord's boolean cast: blank or null → false, false-ish → false, else true.
        c.is_public = match v {
            Value::Null => false,
            other => value_to_boolean(other).unwrap_or(true),
        };
    }
    for (key, field) in [
        ("course[start_at]", "start_at"),
        ("course[end_at]", "end_at"),
    ] {
        if let Some(v) = p.get(key) {
            // Like Rails: blank clears it, an unparseable time becomes null.
            let parsed = value_text(v).and_then(|s| normalize_time(&s));
            match field {
                "start_at" => c.start_at = parsed,
                _ => c.end_at = parsed,
            }
        }
    }
    if p.has("course[sis_course_id]") {
        c.sis_course_id = p.text("course[sis_course_id]").filter(|s| !s.is_empty());
    }
}

fn apply_course_event(c: &mut Course, event: &str) -> Result<(), Reply> {
    c.workflow_state = match event {
        "offer" => "available",
        "claim" => "unpublished",
        "conclude" => "completed",
        "delete" => "deleted",
        other => {
            return Err(Reply::bad_request(&format!(
                "Invalid course event {other:?}; expected one of offer, claim, conclude, delete"
            )))
        }
    }
    .to_string();
    Ok(())
}

fn update_course(ctx: &Ctx<'_>, id: &str) -> Reply {
    let params = match ctx.all_params() {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut data = ctx.data();
    let Some(id) = live_course(&data, id) else {
        return Reply::not_found();
    };
    let Some(mut course) = data.courses.get(&id).cloned() else {
        return Reply::not_found();
    };
    let mut errors = Errors::new();
    apply_course_params(&mut course, &params, &mut errors);
    let mut event = params.text("course[event]");
    // Canvas: `params[:course][:event] = :offer if params[:offer].present?`
    if params.text("offer").is_some_and(|o| !o.trim().is_empty()) {
        event = Some("offer".into());
    }
    if let Some(event) = event {
        if let Err(r) = apply_course_event(&mut course, &event) {
            return r;
        }
    }
    if !errors.is_empty() {
        let list: Vec<(&str, &str, String)> =
            errors.iter().map(|(a, b, c)| (*a, *b, c.clone())).collect();
        return Reply::validation(&list);
    }
    let body = super::views::course(&course, &data, &ctx.shared.base_url, &[]);
    data.courses.insert(id, course);
    Reply::ok(&body)
}

fn delete_course(ctx: &Ctx<'_>, id: &str) -> Reply {
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

fn course_users(ctx: &Ctx<'_>, id: &str) -> Reply {
    let search = match ctx.search_term() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let data = ctx.data();
        let Some(id) = live_course(&data, id) else {
            return Reply::not_found();
        };
        let course = data.courses.get(&id);
        let types = ctx.query.list("enrollment_type");
        let enrollments: Vec<&super::seed::Enrollment> = data
            .enrollments
            .iter()
            .filter(|e| e.course_id == id)
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
        let mut users: Vec<&super::seed::User> = user_ids
            .iter()
            .filter_map(|u| data.users.get(u))
            .filter(|u| match &search {
                None => true,
                Some(s) => {
                    u.name.to_lowercase().contains(s)
                        || u.login_id.to_lowercase().contains(s)
                        || u.email.to_lowercase().contains(s)
                        || u.sis_user_id
                            .as_ref()
                            .is_some_and(|x| x.to_lowercase().contains(s))
                }
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
                let mut m = super::views::user_in_list(u, email);
                if with_enrollments {
                    let list: Vec<Value> = enrollments
                        .iter()
                        .filter(|e| e.user_id == u.id)
                        .map(|e| super::views::enrollment(e, course))
                        .collect();
                    m.insert("enrollments".into(), Value::Array(list));
                }
                Value::Object(m)
            })
            .collect()
    };
    ctx.page(items)
}

// ---- users ----------------------------------------------------------------

fn show_user(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_user(id).and_then(|id| data.users.get(&id)) {
        Some(u) => Reply::ok(&super::views::user_show(u, &ctx.shared.base_url)),
        None => Reply::not_found(),
    }
}

fn user_profile(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_user(id).and_then(|id| data.users.get(&id)) {
        Some(u) => Reply::ok(&super::views::profile(u, &ctx.shared.base_url)),
        None => Reply::not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::api_segments;

    #[test]
    fn splits_api_paths() {
        assert_eq!(
            api_segments("/api/v1/courses/5"),
            Some(vec!["courses", "5"])
        );
        assert_eq!(
            api_segments("/api/v1/courses/5.json"),
            Some(vec!["courses", "5"])
        );
        assert_eq!(
            api_segments("/api/v1/accounts/1/courses/"),
            Some(vec!["accounts", "1", "courses"])
        );
        assert_eq!(api_segments("/api/v1/courses//5"), None);
        assert_eq!(api_segments("/api/v2/courses"), None);
        assert_eq!(api_segments("/api/v1/.json"), Some(vec![".json"]));
    }
}
