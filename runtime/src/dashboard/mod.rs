//! The dashboard of `warden serve`: server-rendered pages of jobs, runs and
//! their audits, the actions run now / suspend / resume / cancel, the admin
//! activity log, and on the same listener `/metrics`, `/healthz` and
//! `/readyz`.
//!
//! Pages are askama templates (checked at compile time, HTML-escaped by
//! default), with one stylesheet and one small script served from the
//! binary: no CDN, no build step. Every response carries a strict
//! Content-Security-Policy, `X-Frame-Options: DENY` and `Cache-Control:
//! no-store`. Neither the Canvas token nor the admin token is ever part of
//! a response: the pages say where the Canvas token comes from, never what
//! it is.

mod actions;
pub mod auth;
mod health;
mod pages;
pub mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State as AxumState};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{header, HeaderValue, StatusCode};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::DashboardConfig;
use crate::daemon::{ActivityLog, Control};
use crate::governor::Governor;
use crate::history::{History, HistoryError, WriterHealth};
use crate::metrics::Metrics;
use crate::token::TokenSource;

pub use auth::Auth;

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("cannot listen on {addr} for the dashboard ([dashboard] listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the admin token from {path} ([dashboard] admin_token_file): {reason}")]
    AdminToken { path: String, reason: String },
    #[error("the admin token in {path} is shorter than {min} characters; make a long random one, for example with `openssl rand -hex 32 > {path}`")]
    ShortToken { path: String, min: usize },
    #[error("cannot open the run history for the dashboard: {0}")]
    History(#[from] HistoryError),
}

/// Everything the dashboard reads and acts through.
pub struct Parts {
    pub config: DashboardConfig,
    pub control: Control,
    /// The run history's file (the dashboard reads it on a connection of
    /// its own).
    pub history: PathBuf,
    /// Where logins are recorded.
    pub activity: ActivityLog,
    pub writable: WriterHealth,
    pub metrics: Arc<Metrics>,
    pub governor: Governor,
    /// Where the worker token comes from (shown, never read into a page).
    pub token: TokenSource,
    pub config_path: PathBuf,
}

/// What every handler shares.
pub struct State {
    control: Control,
    history: Arc<History>,
    activity: ActivityLog,
    writable: WriterHealth,
    metrics: Arc<Metrics>,
    governor: Governor,
    token: TokenSource,
    config_path: PathBuf,
    auth: Auth,
    /// Session cookies get `Secure` (the dashboard is reached over https).
    secure_cookie: bool,
}

impl State {
    /// Runs a history query on a blocking thread.
    async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&History) -> Result<T, HistoryError> + Send + 'static,
    ) -> Result<T, pages::PageError> {
        let history = Arc::clone(&self.history);
        tokio::task::spawn_blocking(move || query(&history))
            .await
            .map_err(|e| pages::PageError::internal(format!("the history query failed: {e}")))?
            .map_err(|e| pages::PageError::internal(e.to_string()))
    }
}

/// A bound dashboard, not serving yet.
pub struct Dashboard {
    listener: TcpListener,
    state: Arc<State>,
}

/// Reads the admin token file: trimmed, at least [`auth::MIN_TOKEN_LEN`]
/// characters. Its content is never part of an error.
fn admin_token(path: &std::path::Path) -> Result<String, DashboardError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| DashboardError::AdminToken {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let token = text.trim();
    if token.chars().count() < auth::MIN_TOKEN_LEN {
        return Err(DashboardError::ShortToken {
            path: shown,
            min: auth::MIN_TOKEN_LEN,
        });
    }
    Ok(token.to_string())
}

impl Dashboard {
    /// Reads the admin token, opens the history for reading and binds the
    /// listener; fails at start rather than at the first page.
    pub async fn bind(parts: Parts) -> Result<Dashboard, DashboardError> {
        let admin = parts
            .config
            .admin_token_file
            .as_deref()
            .map(admin_token)
            .transpose()?;
        let history = Arc::new(History::open_read_only(&parts.history)?);
        let addr = parts.config.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| DashboardError::Bind { addr, source })?;
        let secure_cookie = parts
            .config
            .public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https");
        Ok(Dashboard {
            listener,
            state: Arc::new(State {
                control: parts.control,
                history,
                activity: parts.activity,
                writable: parts.writable,
                metrics: parts.metrics,
                governor: parts.governor,
                token: parts.token,
                config_path: parts.config_path,
                auth: Auth::new(admin),
                secure_cookie,
            }),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` resolves.
    pub fn spawn(
        self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> JoinHandle<()> {
        let app = router(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let listener = self.listener;
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::error!("the dashboard stopped: {e}");
            }
        })
    }
}

/// Who is asking: their session, if any, and how the activity log names
/// them.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub login: Option<auth::Login>,
    pub actor: String,
}

fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", get(pages::jobs))
        .route("/jobs/{name}", get(pages::job))
        .route("/jobs/{name}/{action}", post(actions::job_action))
        .route("/runs/{id}", get(pages::run))
        .route("/runs/{id}/cancel", post(actions::cancel))
        .route("/activity", get(pages::activity))
        .route("/login", get(pages::login_form).post(actions::login))
        .route("/logout", post(actions::logout))
        .route("/static/style.css", get(pages::style))
        .route("/static/local.js", get(pages::script))
        .route("/metrics", get(health::metrics))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            require_login,
        ))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Paths anyone may fetch: the login form, the static files, the probes.
fn is_public(path: &str) -> bool {
    matches!(path, "/login" | "/healthz" | "/readyz") || path.starts_with("/static/")
}

/// With an admin token, every page but the public ones needs a session;
/// `/metrics` also takes `Authorization: Bearer <admin token>` (for
/// Prometheus). Puts a [`Viewer`] into the request for the handlers.
async fn require_login(
    AxumState(state): AxumState<Arc<State>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let login = state.auth.session(request.headers());
    let actor = format!("admin from {} (dashboard)", peer.ip());
    if state.auth.required() && login.is_none() && !is_public(&path) {
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let scraper_ok = path == "/metrics" && bearer.is_some_and(|t| state.auth.is_admin_token(t));
        if !scraper_ok {
            if request.method() == http::Method::GET && path != "/metrics" {
                return Redirect::to("/login").into_response();
            }
            return (
                StatusCode::UNAUTHORIZED,
                "log in at /login first (or, for /metrics, send Authorization: Bearer <admin token>)\n",
            )
                .into_response();
        }
    }
    request.extensions_mut().insert(Viewer { login, actor });
    next.run(request).await
}

/// The headers of every response.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut http::HeaderMap, name: header::HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    response
}
