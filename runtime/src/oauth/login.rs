//! The steps of `warden auth login` and `logout`, apart from the terminal:
//! which scopes to ask for, the authorization URL, receiving the code (on a
//! one-shot loopback listener, or pasted), the exchange, and what is stored.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;

use super::endpoint::{self, EndpointError, MAX_AUTHORIZE_URL};
use super::settings::{OAuthSettings, RedirectUri};
use super::store::{self, AuthStatus, StoreError};
use crate::manifest::Manifest;
use crate::request::Origin;
use crate::token::{Token, TokenError};

/// Why a login or logout did not complete. No variant holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the authorization URL for these {count} scopes is {length} characters long, more than the {MAX_AUTHORIZE_URL} Canvas accepts in a request (the scope list travels in it): one token holds about 110 scopes. List fewer in [canvas.oauth] scopes (warden scopes unused names scopes no run used), or split the jobs between two Warden configs, each with its own developer key")]
    TooManyScopes { count: usize, length: usize },
    #[error("no job has a scope to request and [canvas.oauth] lists none: a scoped developer key's token needs at least one (add jobs to the config, or list scopes in [canvas.oauth])")]
    NoScopes,
    #[error("cannot listen on {addr} for the redirect ({reason}); is another warden auth login running? Change the port in redirect_uri (and in the developer key's Redirect URIs)")]
    Listen { addr: String, reason: String },
    #[error("the redirect's state {got:?} is not the one this login sent: it did not come from the authorization Warden started (an old browser tab, or someone else's link); nothing was stored, run warden auth login again")]
    WrongState { got: String },
    #[error("Canvas did not authorize Warden: {error}{}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("no authorization code arrived within {0:?}; run warden auth login again")]
    TimedOut(Duration),
    #[error("{0}")]
    Pasted(String),
    #[error("the code exchange failed: {0}")]
    Exchange(EndpointError),
    #[error("Canvas granted no refresh token, so Warden could not renew the access token unattended (is the developer key an API key?)")]
    NoRefreshToken,
    #[error("cannot read the developer key's client secret: {0}")]
    Secret(TokenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// The scopes `warden auth login` requests: `[canvas.oauth] scopes` when
/// listed, else every job's, without duplicates, in a stable order.
pub fn requested_scopes(settings: &OAuthSettings, jobs: &[Manifest]) -> Vec<String> {
    let mut scopes: Vec<String> = match &settings.scopes {
        Some(listed) => listed.iter().map(|s| s.as_str().to_string()).collect(),
        None => jobs
            .iter()
            .flat_map(|job| job.scopes.iter().map(|s| s.as_str().to_string()))
            .collect(),
    };
    scopes.sort();
    scopes.dedup();
    scopes
}

/// One login in progress: what was asked for, and the URL to open.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub scopes: Vec<String>,
    /// Sent with the authorization and checked in the redirect (not for
    /// the out-of-band redirect, which has no state).
    pub state: String,
    pub url: String,
}

/// The authorization URL for `scopes`, refused past Canvas's size limit.
pub fn attempt(
    settings: &OAuthSettings,
    origin: &Origin,
    scopes: Vec<String>,
) -> Result<Attempt, LoginError> {
    if scopes.is_empty() {
        return Err(LoginError::NoScopes);
    }
    let state = random_state();
    let url = endpoint::authorize_url(
        origin,
        &settings.client_id,
        settings.redirect_uri.as_str(),
        Some(&state),
        &scopes,
    );
    if url.len() > MAX_AUTHORIZE_URL {
        return Err(LoginError::TooManyScopes {
            count: scopes.len(),
            length: url.len(),
        });
    }
    Ok(Attempt { scopes, state, url })
}

fn random_state() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The code from what Canvas put in the redirect's query: the code when
/// `state` matches, Canvas's error when it refused.
pub fn code_from_query(query: &str, state: Option<&str>) -> Result<String, LoginError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    if let Some(error) = get("error") {
        return Err(LoginError::Denied {
            error,
            description: get("error_description"),
        });
    }
    if let Some(expected) = state {
        let got = get("state").unwrap_or_default();
        if got != expected {
            return Err(LoginError::WrongState { got });
        }
    }
    match get("code") {
        Some(code) if !code.is_empty() => Ok(code),
        _ => Err(LoginError::Pasted(
            "the redirect has no code parameter".into(),
        )),
    }
}

/// What the admin pasted: the code Canvas showed (out-of-band), or the
/// whole address the browser ended on (then `state` is checked).
pub fn code_from_pasted(text: &str, state: Option<&str>) -> Result<String, LoginError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(LoginError::Pasted("nothing was pasted".into()));
    }
    if let Ok(url) = url::Url::parse(text) {
        if url.scheme() == "http" || url.scheme() == "https" {
            // Canvas's own out-of-band page has the code and no state.
            let oob_page = url.path() == "/login/oauth2/auth";
            return code_from_query(
                url.query().unwrap_or(""),
                (!oob_page).then_some(state).flatten(),
            );
        }
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(LoginError::Pasted(
            "that is not a code: paste the code Canvas shows, or the whole address of the page"
                .into(),
        ));
    }
    Ok(text.to_string())
}

/// Where the loopback listener binds for this redirect URI.
pub fn loopback_addr(redirect: &url::Url) -> Result<SocketAddr, LoginError> {
    let port = redirect.port_or_known_default().unwrap_or(80);
    let ip: std::net::IpAddr = match redirect.host() {
        Some(url::Host::Ipv4(ip)) => ip.into(),
        Some(url::Host::Ipv6(ip)) => ip.into(),
        _ => std::net::Ipv4Addr::LOCALHOST.into(),
    };
    Ok(SocketAddr::new(ip, port))
}

/// Binds the loopback listener before the URL is shown, so that the
/// redirect cannot arrive before anyone listens.
pub async fn listen(redirect: &url::Url) -> Result<tokio::net::TcpListener, LoginError> {
    let addr = loopback_addr(redirect)?;
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| LoginError::Listen {
            addr: addr.to_string(),
            reason: e.to_string(),
        })
}

/// Serves the redirect once: the first request to the redirect URI's path
/// ends the wait (a request elsewhere, say `/favicon.ico`, gets a 404). The
/// browser is told whether it worked; the code goes nowhere else.
pub async fn receive(
    listener: tokio::net::TcpListener,
    redirect: &url::Url,
    state: &str,
    within: Duration,
) -> Result<String, LoginError> {
    use axum::extract::Request;
    use axum::response::{Html, IntoResponse};
    use std::sync::{Arc, Mutex};

    let (tx, rx) = tokio::sync::oneshot::channel::<Result<String, LoginError>>();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let path = redirect.path().to_string();
    let expected = state.to_string();
    let app = axum::Router::new().fallback(move |req: Request| {
        let tx = Arc::clone(&tx);
        let path = path.clone();
        let expected = expected.clone();
        async move {
            if req.uri().path() != path {
                return (http::StatusCode::NOT_FOUND, "not found").into_response();
            }
            let result = code_from_query(req.uri().query().unwrap_or(""), Some(&expected));
            let page = match &result {
                Ok(_) => "<!doctype html><title>Warden is authorized</title><p>Warden received the authorization. You can close this tab; the terminal says what was granted.</p>".to_string(),
                Err(e) => format!(
                    "<!doctype html><title>Warden was not authorized</title><p>{}</p>",
                    html_escape(&e.to_string())
                ),
            };
            let sender = tx.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(sender) = sender {
                let _ = sender.send(result);
            }
            (
                [(http::header::CACHE_CONTROL, "no-store")],
                Html(page),
            )
                .into_response()
        }
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    let outcome = tokio::time::timeout(within, rx).await;
    let _ = stop_tx.send(());
    // The answer page is sent before the server stops.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(_)) | Err(_) => Err(LoginError::TimedOut(within)),
    }
}

/// `&`, `<`, `>` and `"` as HTML entities, for text in a page.
pub(crate) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Trades the code for tokens and stores the refresh token (0600) and the
/// status file. Returns the status, which has no secret.
pub async fn complete(
    settings: &OAuthSettings,
    origin: &Origin,
    code: &str,
    scopes: Vec<String>,
) -> Result<AuthStatus, LoginError> {
    let secret = settings.client_secret.read().map_err(LoginError::Secret)?;
    let http = endpoint::client().map_err(|e| LoginError::Client(e.to_string()))?;
    let granted = endpoint::exchange_code(
        &http,
        origin,
        &settings.client_id,
        &secret,
        settings.redirect_uri.as_str(),
        code,
    )
    .await
    .map_err(LoginError::Exchange)?;
    let refresh_token = granted.refresh_token.ok_or(LoginError::NoRefreshToken)?;
    store::write_refresh_token(&settings.refresh_token_file, &refresh_token)?;
    let now = Utc::now();
    let status = AuthStatus {
        client_id: settings.client_id.clone(),
        canvas: origin.as_str().to_string(),
        user: granted.user,
        scopes,
        authorized_at: now,
        access_expires_at: granted
            .expires_in
            .and_then(|s| chrono::Duration::try_seconds(s as i64))
            .map(|d| now + d),
        renewed_at: None,
        last_error: None,
    };
    store::write_status(&settings.status_file(), &status)?;
    Ok(status)
}

/// What `logout` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedOut {
    /// Canvas revoked the grant (false: it could not, and says why).
    pub revoked: Result<(), String>,
    /// The refresh token file existed and was removed.
    pub removed: bool,
}

/// Revokes the grant at Canvas (with an access token renewed for it) and
/// removes the refresh token and the status file, even when Canvas cannot
/// be reached or no longer knows the grant.
pub async fn logout(settings: &OAuthSettings, origin: &Origin) -> Result<LoggedOut, LoginError> {
    let revoked = match revoke(settings, origin).await {
        Ok(()) => Ok(()),
        Err(e) => Err(e),
    };
    let removed = store::remove(&settings.refresh_token_file)?;
    store::remove(&settings.status_file())?;
    Ok(LoggedOut { revoked, removed })
}

async fn revoke(settings: &OAuthSettings, origin: &Origin) -> Result<(), String> {
    let refresh_token =
        store::read_refresh_token(&settings.refresh_token_file).map_err(|e| e.to_string())?;
    let secret = settings
        .client_secret
        .read()
        .map_err(|e| format!("cannot read the developer key's client secret: {e}"))?;
    let http = endpoint::client().map_err(|e| e.to_string())?;
    let granted: Token =
        endpoint::refresh(&http, origin, &settings.client_id, &secret, &refresh_token)
            .await
            .map_err(|e| e.to_string())?
            .access_token;
    endpoint::revoke(&http, origin, &granted)
        .await
        .map_err(|e| e.to_string())
}

/// How the code will arrive, for the CLI's instructions.
pub fn delivery(settings: &OAuthSettings) -> &'static str {
    match settings.redirect_uri {
        RedirectUri::Loopback(_) => "loopback",
        RedirectUri::Oob => "oob",
        RedirectUri::Remote(_) => "paste",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_redirect_when_the_state_matches() {
        assert_eq!(
            code_from_query("code=abc&state=s1", Some("s1")).unwrap(),
            "abc"
        );
        let e = code_from_query("code=abc&state=s2", Some("s1")).unwrap_err();
        assert!(matches!(e, LoginError::WrongState { .. }), "{e}");
        let e = code_from_query("code=abc", Some("s1")).unwrap_err();
        assert!(matches!(e, LoginError::WrongState { .. }), "{e}");
        let e = code_from_query(
            "error=access_denied&error_description=The+user+denied&state=s1",
            Some("s1"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Canvas did not authorize Warden: access_denied: The user denied"
        );
    }

    #[test]
    fn pasted_codes_and_addresses() {
        assert_eq!(
            code_from_pasted("  abc123 \n", Some("s")).unwrap(),
            "abc123"
        );
        assert_eq!(
            code_from_pasted(
                "https://canvas.example/login/oauth2/auth?code=xyz",
                Some("s")
            )
            .unwrap(),
            "xyz"
        );
        assert_eq!(
            code_from_pasted("https://warden.example/cb?code=xyz&state=s", Some("s")).unwrap(),
            "xyz"
        );
        assert!(code_from_pasted("https://warden.example/cb?code=xyz&state=t", Some("s")).is_err());
        assert!(code_from_pasted("", None).is_err());
        assert!(code_from_pasted("a b", None).is_err());
    }

    #[test]
    fn too_many_scopes_are_refused_with_advice() {
        let settings = OAuthSettings {
            client_id: "10000000000042".into(),
            client_secret: crate::token::TokenSource::File("s".into()),
            refresh_token_file: "r".into(),
            redirect_uri: RedirectUri::Oob,
            scopes: None,
            include_parameters: false,
        };
        let origin = Origin::parse("https://school.instructure.com").unwrap();
        let scope = |i: usize| {
            format!("url:GET|/api/v1/courses/:course_id/assignments/:assignment_id/submissions/{i}")
        };
        let ok = attempt(&settings, &origin, (0..60).map(scope).collect()).unwrap();
        assert!(ok.url.len() <= MAX_AUTHORIZE_URL);
        assert_eq!(ok.state.len(), 32);
        let e = attempt(&settings, &origin, (0..200).map(scope).collect()).unwrap_err();
        assert!(e.to_string().contains("about 110 scopes"), "{e}");
        assert!(matches!(
            attempt(&settings, &origin, vec![]),
            Err(LoginError::NoScopes)
        ));
    }
}
