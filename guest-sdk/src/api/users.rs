//! Users.
//!
//! Scope: `url:GET|/api/v1/users/:id` for [`get`].

use crate::call::Call;
use crate::canvas;
use crate::ids::UserId;
use crate::models::User;

/// One user (`GET /api/v1/users/:id`); [`UserId::SELF`] is the user Warden's
/// token belongs to.
pub fn get(user: impl Into<UserId>) -> Call<User> {
    Call::new(canvas::get(format!("/api/v1/users/{}", user.into())))
}
