//! `/metrics`, `/healthz` and `/readyz`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};

use super::State as Shared;
use crate::metrics::CONTENT_TYPE;

/// `GET /metrics`: the Prometheus exposition.
pub async fn metrics(State(state): State<Arc<Shared>>) -> Response {
    let Some(snapshot) = state.control.snapshot().await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the daemon is stopping\n").into_response();
    };
    let text = state.metrics.render(&snapshot, &state.governor);
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the jobs are loaded and the run history takes writes.
pub async fn readyz(State(state): State<Arc<Shared>>) -> Response {
    if state.control.snapshot().await.is_none() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the daemon is stopping\n",
        )
            .into_response();
    }
    if !*state.writable.borrow() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the run history cannot be written\n",
        )
            .into_response();
    }
    "ready\n".into_response()
}
