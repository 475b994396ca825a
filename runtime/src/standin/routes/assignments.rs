//! A course's assignments (Canvas's `AssignmentsApiController#index` and `#show`).

use std::cmp::Ordering;

use http::StatusCode;

use super::{live_course, Ctx, Reply};
use crate::standin::paginate::{PageRequest, MAX_PER_PAGE};
use crate::standin::seed::Assignment;
use crate::standin::state::Data;
use crate::standin::views;

/// The `bucket` values Canvas accepts.
pub const BUCKETS: [&str; 7] = [
    "past",
    "overdue",
    "undated",
    "ungraded",
    "unsubmitted",
    "upcoming",
    "future",
];

fn invalid_bucket() -> Reply {
    let msg = format!(
        "bucket name must be one of the following: {}",
        BUCKETS.join(", ")
    );
    Reply::validation(&[("bucket", msg.as_str(), msg.clone())])
}

/// A week after `now` (Canvas's "upcoming" horizon), in Canvas's format.
fn week_after(now: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(now)
        .map(|t| {
            (t + chrono::Duration::days(7))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .unwrap_or_else(|_| now.to_string())
}

/// Canvas's `SortsAssignments` for the worker, an admin who is no student: it can
/// submit nothing (so nothing is `overdue`) and has submitted nothing (so every
/// assignment that takes submissions is `unsubmitted`).
fn in_bucket(a: &Assignment, bucket: &str, data: &Data, now: &str) -> bool {
    let due = a.due_at.as_deref();
    let past = due.is_some_and(|d| d < now);
    match bucket {
        "past" => past,
        "overdue" => false,
        "undated" => due.is_none(),
        "ungraded" => {
            a.expects_submission()
                && data.submissions.values().any(|s| {
                    s.assignment_id == a.id
                        && s.submitted_at.is_some()
                        && matches!(s.workflow_state.as_str(), "submitted" | "pending_review")
                })
        }
        "unsubmitted" => a.expects_submission(),
        "upcoming" => due.is_some_and(|d| d >= now && d <= week_after(now).as_str()),
        _ => !past,
    }
}

/// `order_by`: `position` (the default), `name`, or `due_at` (undated last), each
/// falling back to position and id.
fn ordering(order_by: Option<&str>) -> impl Fn(&&Assignment, &&Assignment) -> Ordering + '_ {
    move |a, b| {
        let by_position = (a.position, a.id).cmp(&(b.position, b.id));
        let by_name = a.name.to_lowercase().cmp(&b.name.to_lowercase());
        match order_by {
            Some("name") => by_name.then(by_position),
            Some("due_at") => match (&a.due_at, &b.due_at) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
            .then(by_name)
            .then(by_position),
            _ => by_position,
        }
    }
}

/// The ids asked for in `assignment_ids[]` missing from a page, as Canvas checks
/// them: against the page answered, not the whole list.
fn missing_ids(asked: &[String], page: &[&Assignment]) -> Vec<String> {
    asked
        .iter()
        .filter(|id| !page.iter().any(|a| a.id.to_string() == **id))
        .cloned()
        .collect()
}

pub(super) fn course_assignments(ctx: &Ctx<'_>, id: &str) -> Reply {
    let search = match ctx.search_term() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let bucket = ctx.query.text("bucket");
    if bucket.as_deref().is_some_and(|b| !BUCKETS.contains(&b)) {
        return invalid_bucket();
    }
    let asked_ids = ctx.query.list("assignment_ids");
    if asked_ids.len() > MAX_PER_PAGE {
        return Reply::bare(
            StatusCode::BAD_REQUEST,
            "message",
            &format!("Request contains too many assignment_ids.  Limit {MAX_PER_PAGE}"),
        );
    }
    let data = ctx.data();
    let Some(course) = live_course(&data, id) else {
        return Reply::not_found();
    };
    let now = ctx.now();
    let mut found: Vec<&Assignment> = data
        .assignments
        .values()
        .filter(|a| a.course_id == course && a.workflow_state != "deleted")
        .filter(|a| {
            search
                .as_ref()
                .is_none_or(|s| a.name.to_lowercase().contains(s))
        })
        .filter(|a| {
            bucket
                .as_deref()
                .is_none_or(|b| in_bucket(a, b, &data, &now))
        })
        .filter(|a| asked_ids.is_empty() || asked_ids.contains(&a.id.to_string()))
        .collect();
    found.sort_by(ordering(ctx.query.text("order_by").as_deref()));
    if !asked_ids.is_empty() {
        let page = PageRequest::from_query(&ctx.pairs).slice(found.clone());
        let missing = missing_ids(&asked_ids, &page);
        if !missing.is_empty() {
            return Reply::bare(
                StatusCode::BAD_REQUEST,
                "message",
                &format!("Invalid assignment_ids: {}", missing.join(",")),
            );
        }
    }
    ctx.page_of(found, |a| {
        views::assignment(a, &data, ctx.base_url(), bucket.as_deref())
    })
}

pub(super) fn course_assignment(ctx: &Ctx<'_>, course: &str, id: &str) -> Reply {
    let data = ctx.data();
    let found = live_course(&data, course)
        .and_then(|course| data.resolve_assignment(course, id))
        .and_then(|id| data.assignments.get(&id));
    match found {
        Some(a) => Reply::ok(&views::assignment(a, &data, ctx.base_url(), None)),
        None => Reply::not_found(),
    }
}
