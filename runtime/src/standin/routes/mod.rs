//! Canvas REST endpoints, routed on the raw request path.

mod accounts;
mod assignments;
mod course_update;
mod courses;
mod enrollments;
mod sections;
mod submissions;
mod users;

use http::header::{HeaderMap, HeaderName, CONTENT_TYPE};
use serde_json::Value;

use super::paginate::{link_header, PageRequest};
use super::params::{parse_pairs, Params, QueryPair};
use super::reply::Reply;
use super::state::Data;
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
        return Reply::no_route(req.method, req.raw_path);
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
        ("GET", ["accounts"]) => accounts::list_accounts(&ctx),
        ("GET", ["accounts", id]) => accounts::show_account(&ctx, id),
        ("GET", ["accounts", id, "sub_accounts"]) => accounts::sub_accounts(&ctx, id),
        ("GET", ["accounts", id, "courses"]) => accounts::account_courses(&ctx, id),
        ("GET", ["accounts", id, "users"]) => accounts::account_users(&ctx, id),
        ("GET", ["courses", id]) => courses::show_course(&ctx, id),
        ("PUT", ["courses", id]) => course_update::update_course(&ctx, id),
        ("DELETE", ["courses", id]) => courses::delete_course(&ctx, id),
        ("GET", ["courses", id, "users"]) => courses::course_users(&ctx, id),
        ("GET", ["courses", id, "enrollments"]) => enrollments::course_enrollments(&ctx, id),
        ("GET", ["sections", id, "enrollments"]) => enrollments::section_enrollments(&ctx, id),
        ("GET", ["users", id, "enrollments"]) => enrollments::user_enrollments(&ctx, id),
        ("GET", ["courses", id, "sections"]) => sections::course_sections(&ctx, id),
        ("GET", ["courses", course, "sections", id]) => sections::course_section(&ctx, course, id),
        ("GET", ["sections", id]) => sections::section(&ctx, id),
        ("GET", ["courses", id, "assignments"]) => assignments::course_assignments(&ctx, id),
        ("GET", ["courses", course, "assignments", id]) => {
            assignments::course_assignment(&ctx, course, id)
        }
        ("GET", ["courses", course, "assignments", id, "submissions"]) => {
            submissions::assignment_submissions(&ctx, course, id)
        }
        ("GET", ["courses", course, "assignments", id, "submissions", user]) => {
            submissions::assignment_submission(&ctx, course, id, user)
        }
        ("GET", ["courses", id, "students", "submissions"]) => {
            submissions::student_submissions(&ctx, submissions::Scope::Course(id))
        }
        ("GET", ["sections", id, "students", "submissions"]) => {
            submissions::student_submissions(&ctx, submissions::Scope::Section(id))
        }
        ("GET", ["users", id]) => users::show_user(&ctx, id),
        ("GET", ["users", id, "profile"]) => users::user_profile(&ctx, id),
        _ => Reply::no_route(req.method, req.raw_path),
    }
}

/// What a route handler gets: the shared state, the request and its query.
struct Ctx<'a> {
    shared: &'a Shared,
    req: &'a ApiRequest<'a>,
    pairs: Vec<QueryPair>,
    query: Params,
}

impl Ctx<'_> {
    fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The stand-in's clock (real time plus [`super::StandIn::advance_clock`] jumps) in
    /// Canvas's format, for comparing with due dates.
    fn now(&self) -> String {
        let offset = lock(&self.shared.oauth).offset();
        let now = chrono::Utc::now()
            + chrono::Duration::from_std(offset).unwrap_or(chrono::Duration::zero());
        now.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

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

/// A live (not deleted) course by path segment.
fn live_course(data: &Data, id: &str) -> Option<u64> {
    data.resolve_course(id).filter(|id| {
        data.courses
            .get(id)
            .is_some_and(|c| c.workflow_state != "deleted")
    })
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

/// Whether a user matches a lower-cased `search_term`: in the name, the
/// login id, the email or the SIS id (and, for an account's users, the
/// sortable name).
pub(crate) fn user_matches(u: &super::seed::User, term: &str, sortable_name: bool) -> bool {
    let has = |text: &str| text.to_lowercase().contains(term);
    has(&u.name)
        || (sortable_name && has(&u.sortable_name))
        || has(&u.login_id)
        || has(&u.email)
        || u.sis_user_id.as_deref().is_some_and(has)
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
