//! Course sections (Canvas's `SectionsController#index` and `#show`).

use serde_json::Value;

use super::{live_course, Ctx, Reply};
use crate::standin::seed::Section;
use crate::standin::views;

/// `GET /courses/:id/sections`: by name, then id; `search_term` on the name;
/// `all` answers every section at once, without pagination.
pub(super) fn course_sections(ctx: &Ctx<'_>, id: &str) -> Reply {
    let search = match ctx.search_term() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let data = ctx.data();
    let Some(course) = live_course(&data, id) else {
        return Reply::not_found();
    };
    let mut sections: Vec<&Section> = data
        .course_sections(course)
        .into_iter()
        .filter(|s| {
            search
                .as_ref()
                .is_none_or(|term| s.name.to_lowercase().contains(term))
        })
        .collect();
    sections.sort_by_key(|s| (s.name.to_lowercase(), s.id));
    let includes = ctx.includes();
    let render = |s: &Section| views::section(s, &data, ctx.base_url(), &includes);
    if ctx.query.text("all").is_some_and(|a| !a.is_empty()) {
        return Reply::ok(&Value::Array(sections.into_iter().map(render).collect()));
    }
    ctx.page_of(sections, render)
}

/// `GET /courses/:course_id/sections/:id`: the section must be the course's.
pub(super) fn course_section(ctx: &Ctx<'_>, course: &str, id: &str) -> Reply {
    let data = ctx.data();
    let found = live_course(&data, course).and_then(|course| {
        data.resolve_section(id)
            .and_then(|s| data.sections.get(&s))
            .filter(|s| s.course_id == course)
    });
    match found {
        Some(s) => Reply::ok(&views::section(s, &data, ctx.base_url(), &ctx.includes())),
        None => Reply::not_found(),
    }
}

/// `GET /sections/:id` (digits or `sis_section_id:X`).
pub(super) fn section(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_section(id).and_then(|s| data.sections.get(&s)) {
        Some(s) => Reply::ok(&views::section(s, &data, ctx.base_url(), &ctx.includes())),
        None => Reply::not_found(),
    }
}
