//! Validating a guest's Canvas request into exactly the bytes that will be
//! sent.
//!
//! [`check`] takes the request a guest asked for and either refuses it or
//! returns an [`Approved`] request whose URL, headers and body are exactly
//! what the host will send (after adding the API token, which this module
//! never sees). Validation refusals ([`Refusal::Invalid`]) come before the
//! scope check ([`Refusal::Denied`]); nothing is sent for either.
//!
//! The rules are stricter than Canvas wherever a difference of
//! interpretation between this check and Canvas (or anything between the
//! host and Canvas) could widen what a scope allows: no dot segments, no
//! encoded slashes, no empty segments, no credential, method-override or
//! masquerading parameters, no routing headers, and a final check that the
//! URL parser does not change a single byte of what was approved.
//!
//! The checks live in one submodule per concern: `origin` (the configured
//! origin and absolute URLs), `path` (the bytes of the raw path and query
//! string), `params` (forbidden parameters and the guest's query pairs),
//! `headers`, `body` and `grant` (the scope check, narrowed by
//! `[canvas.params]`). This module ties them together in [`check`] and
//! makes sure the URL parser sends exactly the approved bytes.

mod body;
mod grant;
mod headers;
mod origin;
mod params;
mod path;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use grant::{granting_scope, ParamLimits, NO_SCOPE};

/// Checks a raw request path (no query) the way the host does before any
/// scope check: dot segments, encoded slashes, empty segments, control
/// characters and the like are refused. For tools such as `warden scopes
/// explain`, which must not call a path a scope allows that Warden would
/// refuse anyway.
pub fn check_path(raw: &str) -> Result<(), Refusal> {
    path::check_raw_path(raw)
}
pub use origin::{Origin, OriginError};

use crate::scope::{Method, ScopeSet};
use body::check_body;
use headers::check_headers;
use origin::strip_origin;
use params::{build_path_and_query, check_form_keys, check_guest_query};
use path::{check_raw_path, check_raw_query};
use url::Url;

/// Longest path plus query string sent on the request line, in bytes.
pub const MAX_PATH_AND_QUERY_BYTES: usize = 8 * 1024;
/// Most query pairs (those in the path plus the guest's list).
pub const MAX_QUERY_PAIRS: usize = 1000;
/// Most headers a guest may set.
pub const MAX_HEADERS: usize = 64;
/// Longest header name or value, in bytes.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// A request as the guest sent it (mirrors the WIT `http-request` record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestRequest {
    /// The guest can only send GET, HEAD, POST, PUT, PATCH and DELETE.
    pub method: Method,
    /// `/api/v1/...` on the configured Canvas origin, or an absolute URL on
    /// that origin (as in Link headers); may carry a raw, already
    /// percent-encoded query string after `?`.
    pub path: String,
    /// Plain-text query pairs, in order; keys may repeat. The host
    /// percent-encodes them.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// What a request is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    pub origin: &'a Origin,
    pub scopes: &'a ScopeSet,
    /// The manifest allows `as_user_id` (`masquerade = true` in `[canvas]`).
    pub masquerade: bool,
    /// `[canvas.params]`: path parameters restricted to listed values.
    pub params: &'a ParamLimits,
}

/// Why a request was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No scope of the manifest allows the request (or `[canvas.params]`
    /// narrows out every scope that does).
    #[error("denied: {0}")]
    Denied(String),
    /// The request is malformed or forbidden.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// A request that passed every check, in the exact form it will be sent.
#[derive(Debug, Clone)]
pub struct Approved {
    pub method: Method,
    /// The exact URL to send; `url.as_str()` is byte-identical to the origin
    /// followed by `path_and_query`.
    pub url: Url,
    /// The raw path (no query) the scope check saw.
    pub path: String,
    /// What goes on the request line, for the audit log.
    pub path_and_query: String,
    /// Header names lower-cased, in the guest's order.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The scope that allowed the request.
    pub scope: String,
}

/// Validates `req` against `policy` and returns exactly what to send.
pub fn check(policy: &Policy<'_>, req: GuestRequest) -> Result<Approved, Refusal> {
    let GuestRequest {
        method,
        path,
        query,
        headers,
        body,
    } = req;

    let rest = strip_origin(policy.origin, &path)?;
    if rest.len() > MAX_PATH_AND_QUERY_BYTES {
        return Err(invalid(format!(
            "path and query are {} bytes long, more than the limit of {MAX_PATH_AND_QUERY_BYTES}",
            rest.len()
        )));
    }
    let (raw_path, raw_query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    check_raw_path(raw_path)?;
    if let Some(raw_query) = raw_query {
        check_raw_query(raw_query)?;
        check_form_keys(
            raw_query.as_bytes(),
            "the query string in the path",
            policy.masquerade,
        )?;
    }
    check_guest_query(&query, raw_query, policy.masquerade)?;
    let headers = check_headers(headers)?;
    check_body(method, &headers, body.as_deref(), policy.masquerade)?;

    let path_and_query = build_path_and_query(raw_path, raw_query, &query);
    if path_and_query.len() > MAX_PATH_AND_QUERY_BYTES {
        return Err(invalid(format!(
            "path and query are {} bytes long once the query pairs are encoded, more than the limit of {MAX_PATH_AND_QUERY_BYTES}",
            path_and_query.len()
        )));
    }
    let url = exact_url(policy.origin, &path_and_query)?;

    let scope = grant::granting_scope(policy.scopes, policy.params, method, raw_path)?;

    Ok(Approved {
        method,
        url,
        path: raw_path.to_owned(),
        path_and_query,
        headers,
        body,
        scope: scope.as_str().to_owned(),
    })
}

fn invalid(message: String) -> Refusal {
    Refusal::Invalid(message)
}

/// Guest text for a message: quoted and escaped (one line, no control
/// characters) and cut to a readable length.
fn show(text: &str) -> String {
    const LIMIT: usize = 100;
    match text.char_indices().nth(LIMIT) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
    }
}

fn show_bytes(bytes: &[u8]) -> String {
    show(&String::from_utf8_lossy(bytes))
}

// ---- exact bytes -----------------------------------------------------------

/// Parses `origin + path_and_query` and refuses if the URL parser would send
/// anything other than exactly those bytes.
fn exact_url(origin: &Origin, path_and_query: &str) -> Result<Url, Refusal> {
    let built = format!("{origin}{path_and_query}");
    let url = Url::parse(&built)
        .map_err(|e| invalid(format!("URL {} does not parse: {e}", show(&built))))?;
    if url.as_str() != built {
        return Err(invalid(format!(
            "URL {} would be re-encoded as {} by the URL parser; nothing was sent",
            show(&built),
            show(url.as_str())
        )));
    }
    Ok(url)
}
