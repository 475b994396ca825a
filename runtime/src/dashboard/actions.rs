//! The POSTs: run now, suspend, resume, cancel, log in, log out. Each one
//! checks the CSRF proof first and changes nothing without it; each is in
//! the activity log (the daemon records the job actions, this module the
//! logins).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Utc;
use http::{header, HeaderMap, StatusCode};
use serde::Deserialize;

use super::auth;
use super::pages::{render, Chrome, LoginPage, PageError};
use super::{State as Shared, Viewer};
use crate::daemon::ControlError;
use crate::history::Activity;

/// How long a refused login waits before it answers.
const LOGIN_PENALTY: Duration = Duration::from_millis(500);

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

fn csrf(
    state: &Shared,
    headers: &HeaderMap,
    viewer: &Viewer,
    token: &str,
) -> Result<(), PageError> {
    state
        .auth
        .check_csrf(headers, viewer.login.as_ref(), token)
        .map_err(|why| {
            tracing::warn!("dashboard: refused a POST from {}: {why}", viewer.actor);
            PageError::new(
                StatusCode::FORBIDDEN,
                format!("refused, nothing was changed: {why}"),
            )
        })
}

fn refused(e: ControlError) -> PageError {
    let status = match e {
        ControlError::UnknownJob(_) | ControlError::NotRunning(_) => StatusCode::NOT_FOUND,
        ControlError::Stopping | ControlError::HistoryNotWritable => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::CONFLICT,
    };
    PageError::new(status, e.to_string())
}

fn job_page(name: &str) -> String {
    format!("/jobs/{}", urlencoding(name))
}

fn run_page(run_id: &str) -> String {
    format!("/runs/{}", urlencoding(run_id))
}

/// Job names and run ids are plain ASCII words; anything else is escaped.
fn urlencoding(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%5F", "_")
        .replace("%2E", ".")
}

/// `POST /jobs/{name}/run` (starts a run and shows it), `…/suspend` and
/// `…/resume` (back to the job page).
pub async fn job_action(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
    Path((name, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    csrf(&state, &headers, &viewer, &form.csrf)?;
    let (control, actor) = (&state.control, viewer.actor.as_str());
    let to = match action.as_str() {
        "run" => run_page(&control.run_now(&name, actor).await.map_err(refused)?),
        "suspend" => {
            control.suspend(&name, actor).await.map_err(refused)?;
            job_page(&name)
        }
        "resume" => {
            control.resume(&name, actor).await.map_err(refused)?;
            job_page(&name)
        }
        _ => return Err(PageError::not_found(format!("no action {action:?}"))),
    };
    Ok(Redirect::to(&to).into_response())
}

/// `POST /runs/{id}/cancel`.
pub async fn cancel(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
    Path(run_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    csrf(&state, &headers, &viewer, &form.csrf)?;
    state
        .control
        .cancel(&run_id, &viewer.actor)
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&run_page(&run_id)).into_response())
}

/// `POST /login`: the admin token, compared in constant time, starts a
/// session. A wrong token waits, answers 401, and is in the activity log.
pub async fn login(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    if !state.auth.required() {
        return Ok(Redirect::to("/").into_response());
    }
    auth::same_origin(&headers)
        .and_then(|()| {
            if auth::same_secret(&form.csrf, state.auth.login_csrf()) {
                Ok(())
            } else {
                Err("the form's CSRF token is missing or stale; reload the page and try again")
            }
        })
        .map_err(|why| PageError::new(StatusCode::FORBIDDEN, format!("refused: {why}")))?;
    let actor = viewer.actor.clone();
    if !state.auth.is_admin_token(&form.token) {
        tokio::time::sleep(LOGIN_PENALTY).await;
        tracing::warn!("dashboard: a login from {actor} was refused (wrong admin token)");
        state.activity.record(Activity::new(
            Utc::now(),
            &actor,
            "login",
            "refused: wrong admin token",
        ));
        let mut chrome = Chrome::plain("Log in");
        chrome.csrf = state.auth.login_csrf().to_string();
        let page = LoginPage {
            chrome,
            error: Some("That is not the admin token.".into()),
        };
        return Ok((StatusCode::UNAUTHORIZED, render(&page)).into_response());
    }
    let session = state.auth.login();
    state
        .activity
        .record(Activity::new(Utc::now(), &actor, "login", "logged in"));
    Ok((
        [(
            header::SET_COOKIE,
            auth::session_cookie(&session, state.secure_cookie),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    csrf(&state, &headers, &viewer, &form.csrf)?;
    if let Some(login) = &viewer.login {
        state.auth.logout(&login.id);
    }
    Ok((
        [(header::SET_COOKIE, auth::expired_cookie())],
        Redirect::to("/login"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_escape_what_is_not_a_plain_word() {
        assert_eq!(urlencoding("sync-courses_2.v1"), "sync-courses_2.v1");
        assert_eq!(urlencoding("a/b c"), "a%2Fb%20c");
    }
}
