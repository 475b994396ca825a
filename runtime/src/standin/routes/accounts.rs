//! Accounts: the accounts themselves, their courses and users.

use serde_json::Value;

use super::{Ctx, Reply};
use crate::standin::params::value_to_boolean;
use crate::standin::seed::Course;

fn account_value(a: &crate::standin::seed::Account) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

/// `GET /api/v1/accounts`: the accounts the worker administers (the root accounts).
pub(super) fn list_accounts(ctx: &Ctx<'_>) -> Reply {
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

pub(super) fn show_account(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data
        .resolve_account(id)
        .and_then(|id| data.accounts.get(&id))
    {
        Some(a) => Reply::ok(&account_value(a)),
        None => Reply::not_found(),
    }
}

pub(super) fn sub_accounts(ctx: &Ctx<'_>, id: &str) -> Reply {
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

pub(super) fn account_courses(ctx: &Ctx<'_>, id: &str) -> Reply {
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
            Some(t) => {
                match crate::standin::state::parse_id(&t).filter(|t| data.terms.contains_key(t)) {
                    Some(t) => Some(t),
                    None => return Reply::not_found(),
                }
            }
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
            crate::standin::views::course(c, &data, &ctx.shared.base_url, &includes)
        })
    }
}

pub(super) fn account_users(ctx: &Ctx<'_>, id: &str) -> Reply {
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
        let mut users: Vec<&crate::standin::seed::User> = in_scope
            .iter()
            .filter_map(|u| data.users.get(u))
            .filter(|u| {
                search
                    .as_ref()
                    .is_none_or(|s| super::user_matches(u, s, true))
            })
            .collect();
        let sort = ctx.query.text("sort");
        let key = |u: &crate::standin::seed::User| -> String {
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
            .map(|u| Value::Object(crate::standin::views::user_in_list(u, email)))
            .collect()
    };
    ctx.page(items)
}
