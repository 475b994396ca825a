//! One user: show and profile.

use super::{Ctx, Reply};

pub(super) fn show_user(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_user(id).and_then(|id| data.users.get(&id)) {
        Some(u) => Reply::ok(&crate::standin::views::user_show(u, &ctx.shared.base_url)),
        None => Reply::not_found(),
    }
}

pub(super) fn user_profile(ctx: &Ctx<'_>, id: &str) -> Reply {
    let data = ctx.data();
    match data.resolve_user(id).and_then(|id| data.users.get(&id)) {
        Some(u) => Reply::ok(&crate::standin::views::profile(u, &ctx.shared.base_url)),
        None => Reply::not_found(),
    }
}
