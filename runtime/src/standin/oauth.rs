//! Canvas's OAuth2 provider as the stand-in plays it (Canvas's
//! `doc/api/oauth.md`, `oauth_endpoints.md`, `developer_keys.md`, and
//! `lib/canvas/oauth/request_error.rb` for the error words):
//!
//! - developer keys ([`DeveloperKey`]) with a redirect URI, scopes ("Enforce
//!   Scopes") and "Allow Include Parameters";
//! - `GET /login/oauth2/auth`, which approves at once as the worker user (there
//!   is no one to click), redirecting with `code` and `state`, or to Canvas's
//!   own out-of-band page for `urn:ietf:wg:oauth:2.0:oob`;
//! - `POST /login/oauth2/token` for `authorization_code` and `refresh_token`,
//!   `DELETE /login/oauth2/token`;
//! - access tokens that expire after an hour on a clock tests can jump
//!   ([`super::StandIn::advance_clock`]), and Canvas's scope enforcement on
//!   every API request they carry, with its exact 401s and include stripping.
//!
//! None of it needs a bearer token except the revocation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{CACHE_CONTROL, LOCATION, WWW_AUTHENTICATE};
use http::StatusCode;
use serde_json::{json, Value};

use super::reply::Reply;
use crate::scope::{Method, Scope, ScopeSet};

/// The redirect URI of an out-of-band (native) authorization.
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

/// How long Canvas's access tokens live (developer keys issued after 2015).
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// How long an authorization code can be exchanged (Canvas keeps it in Redis
/// for ten minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// The longest request target Canvas's front end takes (its 8 KiB header
/// buffer); the scope list of an authorization travels in it.
pub const MAX_REQUEST_TARGET: usize = 8_000;

/// The paths of the three endpoints.
pub(crate) const AUTH_PATH: &str = "/login/oauth2/auth";
pub(crate) const TOKEN_PATH: &str = "/login/oauth2/token";

/// A developer key (API key) as an admin sets it up under Admin → Developer Keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeveloperKey {
    pub client_id: String,
    pub client_secret: String,
    /// A requested `redirect_uri` must be on this URI's host or a subdomain
    /// of it (the out-of-band URI is always accepted).
    pub redirect_uri: String,
    /// The key's scopes; with `require_scopes`, a token can hold only these.
    pub scopes: Vec<String>,
    /// "Enforce Scopes": tokens are limited to their scopes. Without it,
    /// they can do everything the user can.
    pub require_scopes: bool,
    /// "Allow Include Parameters": without it, a scoped token's `include[]`
    /// and `includes[]` parameters are dropped.
    pub allow_includes: bool,
}

impl DeveloperKey {
    /// A key with "Enforce Scopes" on and include parameters not allowed.
    pub fn scoped(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        scopes: &[&str],
    ) -> DeveloperKey {
        DeveloperKey {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_uri: redirect_uri.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            require_scopes: true,
            allow_includes: false,
        }
    }

    /// Turns "Allow Include Parameters" on.
    pub fn with_includes(mut self) -> DeveloperKey {
        self.allow_includes = true;
        self
    }
}

/// What the OAuth endpoints did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OAuthStats {
    /// Authorizations approved (codes issued).
    pub authorizations: u64,
    /// Codes traded for tokens.
    pub code_exchanges: u64,
    /// Access tokens renewed with a refresh token.
    pub refreshes: u64,
    /// Token endpoint calls refused (any grant).
    pub refused: u64,
    /// Grants revoked (`DELETE /login/oauth2/token` or [`super::StandIn::revoke_key_tokens`]).
    pub revocations: u64,
}

/// An authorization code waiting for its exchange.
struct Code {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    user_id: u64,
    expires_at: Duration,
}

/// One grant: Canvas's `AccessToken` record, which holds the refresh token and
/// the current access token (renewing replaces the access token).
struct Grant {
    client_id: String,
    user_id: u64,
    /// None: the key does not enforce scopes.
    scopes: Option<Arc<ScopeSet>>,
    allow_includes: bool,
    refresh_token: String,
    access_token: String,
    expires_at: Duration,
    revoked: bool,
}

/// What an API request's bearer token may do.
pub(crate) enum ApiAccess {
    /// Not a token Canvas issued (or one it revoked or replaced).
    Unknown,
    Expired,
    /// A scoped token without a scope for this request.
    OutOfScope,
    Allowed {
        strip_includes: bool,
    },
}

/// The provider's state.
pub(crate) struct OAuth {
    keys: Vec<DeveloperKey>,
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    started: Instant,
    offset: Duration,
    lifetime: Duration,
    stats: OAuthStats,
    /// Every token ever issued, replaced and revoked ones included.
    issued_access: Vec<String>,
    issued_refresh: Vec<String>,
    /// Clock jumps due once a request for this method + raw path is answered.
    jumps: Vec<(String, String, Duration)>,
}

impl Default for OAuth {
    fn default() -> OAuth {
        OAuth {
            keys: Vec::new(),
            codes: HashMap::new(),
            grants: Vec::new(),
            started: Instant::now(),
            offset: Duration::ZERO,
            lifetime: ACCESS_TOKEN_LIFETIME,
            stats: OAuthStats::default(),
            issued_access: Vec::new(),
            issued_refresh: Vec::new(),
            jumps: Vec::new(),
        }
    }
}

/// A request to one of the endpoints, as `answer` hands it over.
pub(crate) struct EndpointRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) target_len: usize,
    pub(crate) query: Option<&'a str>,
    pub(crate) body: &'a [u8],
    /// The bearer token the request carried (empty: none).
    pub(crate) bearer: &'a str,
    pub(crate) base_url: &'a str,
    /// The authorizing user: the worker, id and name.
    pub(crate) user: (u64, String),
}

impl OAuth {
    /// The stand-in's clock: real time since it started, plus every jump.
    fn now(&self) -> Duration {
        self.started.elapsed() + self.offset
    }

    pub(crate) fn add_key(&mut self, key: DeveloperKey) {
        self.keys.retain(|k| k.client_id != key.client_id);
        self.keys.push(key);
    }

    /// How far the clock was moved forward so far.
    pub(crate) fn offset(&self) -> Duration {
        self.offset
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset += by;
    }

    pub(crate) fn jump_after(&mut self, method: &str, path: &str, by: Duration) {
        self.jumps
            .push((method.to_ascii_uppercase(), path.to_string(), by));
    }

    /// A request was answered: makes the first clock jump due on it.
    pub(crate) fn answered(&mut self, method: &str, path: &str) {
        if let Some(i) = self
            .jumps
            .iter()
            .position(|(m, p, _)| m == method && p == path)
        {
            let (_, _, by) = self.jumps.remove(i);
            self.offset += by;
        }
    }

    pub(crate) fn set_lifetime(&mut self, lifetime: Duration) {
        self.lifetime = lifetime;
    }

    pub(crate) fn stats(&self) -> OAuthStats {
        self.stats
    }

    pub(crate) fn access_tokens(&self) -> Vec<String> {
        self.issued_access.clone()
    }

    pub(crate) fn refresh_tokens(&self) -> Vec<String> {
        self.issued_refresh.clone()
    }

    /// Revokes every grant of a key (an admin deleting the user's tokens).
    pub(crate) fn revoke_key(&mut self, client_id: &str) -> usize {
        let mut n = 0;
        for g in self
            .grants
            .iter_mut()
            .filter(|g| g.client_id == client_id && !g.revoked)
        {
            g.revoked = true;
            n += 1;
        }
        self.stats.revocations += n as u64;
        n
    }

    /// Canvas's check of an API request made with an OAuth access token.
    pub(crate) fn api_access(&self, token: &str, method: &str, raw_path: &str) -> ApiAccess {
        let Some(grant) = self.grants.iter().find(|g| {
            !g.revoked && super::constant_time_eq(g.access_token.as_bytes(), token.as_bytes())
        }) else {
            return ApiAccess::Unknown;
        };
        if self.now() >= grant.expires_at {
            return ApiAccess::Expired;
        }
        let Some(scopes) = &grant.scopes else {
            return ApiAccess::Allowed {
                strip_includes: false,
            };
        };
        // Canvas lets a GET scope cover HEAD.
        let method = match method.parse::<Method>() {
            Ok(Method::Head) => Method::Get,
            Ok(m) => m,
            Err(_) => return ApiAccess::OutOfScope,
        };
        if scopes.find(method, raw_path).is_none() {
            return ApiAccess::OutOfScope;
        }
        ApiAccess::Allowed {
            strip_includes: !grant.allow_includes,
        }
    }

    /// Answers a request under `/login/oauth2/`; None for other paths there.
    pub(crate) fn endpoint(&mut self, req: &EndpointRequest<'_>) -> Option<Reply> {
        if req.target_len > MAX_REQUEST_TARGET {
            return Some(too_long());
        }
        let reply = match (req.method, req.path) {
            ("GET" | "HEAD", AUTH_PATH) => self.authorize(req),
            ("POST", TOKEN_PATH) => self.token(req),
            ("DELETE", TOKEN_PATH) => self.destroy(req),
            _ => return None,
        };
        Some(reply.with_header(CACHE_CONTROL, "no-store"))
    }

    fn key(&self, client_id: &str) -> Option<&DeveloperKey> {
        self.keys.iter().find(|k| k.client_id == client_id)
    }

    /// `GET /login/oauth2/auth`, approved at once.
    fn authorize(&mut self, req: &EndpointRequest<'_>) -> Reply {
        let params = form(req.query.unwrap_or("").as_bytes());
        let get = |k: &str| last(&params, k);
        if get("code").is_some() || get("error").is_some() {
            return oob_page(get("code"), get("error"));
        }
        let client_id = get("client_id").unwrap_or_default();
        let redirect_uri = get("redirect_uri").unwrap_or_default();
        let state = get("state");
        let Some(key) = self.key(&client_id).cloned() else {
            return RequestError::UnknownClient.reply();
        };
        if !redirect_matches(&key.redirect_uri, &redirect_uri) {
            return RequestError::InvalidRedirect.reply();
        }
        let scopes: Vec<String> = get("scope")
            .or_else(|| get("scopes"))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if key.require_scopes {
            let missing: Vec<&String> = scopes.iter().filter(|s| !key.scopes.contains(s)).collect();
            if scopes.is_empty() || !missing.is_empty() {
                let listed = missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let description = format!("A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. The following scopes were requested, but not granted: {listed}");
                return if redirect_uri == OOB_REDIRECT_URI {
                    oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &description)
                } else {
                    // Canvas appends the error to the redirect, without the state.
                    redirect(&with_query(
                        &redirect_uri,
                        &[
                            ("error", "invalid_scope"),
                            ("error_description", &description),
                        ],
                    ))
                };
            }
        }
        let final_redirect = |pairs: &[(&str, &str)]| {
            let mut pairs = pairs.to_vec();
            if let Some(state) = &state {
                pairs.push(("state", state));
            }
            if redirect_uri == OOB_REDIRECT_URI {
                redirect(&with_query(&format!("{}{AUTH_PATH}", req.base_url), &pairs))
            } else {
                redirect(&with_query(&redirect_uri, &pairs))
            }
        };
        if get("response_type").as_deref() != Some("code") {
            return final_redirect(&[
                ("error", "unsupported_response_type"),
                ("error_description", "Only response_type=code is permitted"),
            ]);
        }
        let code = random_hex(64);
        self.codes.insert(
            code.clone(),
            Code {
                client_id: key.client_id.clone(),
                redirect_uri: redirect_uri.clone(),
                scopes,
                user_id: req.user.0,
                expires_at: self.now() + CODE_LIFETIME,
            },
        );
        self.stats.authorizations += 1;
        final_redirect(&[("code", &code)])
    }

    /// `POST /login/oauth2/token`.
    fn token(&mut self, req: &EndpointRequest<'_>) -> Reply {
        let mut params = form(req.query.unwrap_or("").as_bytes());
        params.extend(form(req.body));
        let get = |k: &str| last(&params, k).filter(|v| !v.is_empty());
        let grant_type = get("grant_type").unwrap_or_else(|| {
            if get("code").is_some() {
                "authorization_code".into()
            } else {
                String::new()
            }
        });
        let result = match grant_type.as_str() {
            "authorization_code" | "refresh_token" => self
                .client(get("client_id"), get("client_secret"))
                .and_then(|key| {
                    if grant_type == "authorization_code" {
                        self.exchange(&key, get("code"), get("redirect_uri"), &req.user.1)
                    } else {
                        self.refresh(&key, get("refresh_token"), &req.user.1)
                    }
                }),
            _ => Err(RequestError::UnsupportedGrantType),
        };
        match result {
            Ok(v) => Reply::ok(&v),
            Err(e) => {
                self.stats.refused += 1;
                e.reply()
            }
        }
    }

    fn client(
        &self,
        client_id: Option<String>,
        secret: Option<String>,
    ) -> Result<DeveloperKey, RequestError> {
        let key = self
            .key(&client_id.unwrap_or_default())
            .ok_or(RequestError::UnknownClient)?;
        let secret = secret.unwrap_or_default();
        if !super::constant_time_eq(secret.as_bytes(), key.client_secret.as_bytes()) {
            return Err(RequestError::InvalidClientSecret);
        }
        Ok(key.clone())
    }

    fn exchange(
        &mut self,
        key: &DeveloperKey,
        code: Option<String>,
        redirect_uri: Option<String>,
        user_name: &str,
    ) -> Result<Value, RequestError> {
        let code = code.ok_or(RequestError::CodeNotSupplied)?;
        let now = self.now();
        let found = self
            .codes
            .remove(&code)
            .filter(|c| c.expires_at > now)
            .ok_or(RequestError::CodeNotFound)?;
        if found.client_id != key.client_id {
            return Err(RequestError::IncorrectClient);
        }
        if redirect_uri.unwrap_or_default() != found.redirect_uri {
            return Err(RequestError::InvalidRedirect);
        }
        let scopes = if key.require_scopes {
            let parsed: Vec<Scope> = found.scopes.iter().filter_map(|s| s.parse().ok()).collect();
            Some(Arc::new(ScopeSet::new(parsed)))
        } else {
            None
        };
        let grant = Grant {
            client_id: key.client_id.clone(),
            user_id: found.user_id,
            scopes,
            allow_includes: key.allow_includes,
            refresh_token: canvas_token(),
            access_token: canvas_token(),
            expires_at: now + self.lifetime,
            revoked: false,
        };
        let body = json!({
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "user": user_json(grant.user_id, user_name),
            "canvas_region": "unknown",
            "refresh_token": grant.refresh_token,
            "expires_in": self.lifetime.as_secs(),
        });
        self.issued_access.push(grant.access_token.clone());
        self.issued_refresh.push(grant.refresh_token.clone());
        self.grants.push(grant);
        self.stats.code_exchanges += 1;
        Ok(body)
    }

    fn refresh(
        &mut self,
        key: &DeveloperKey,
        refresh_token: Option<String>,
        user_name: &str,
    ) -> Result<Value, RequestError> {
        let refresh_token = refresh_token.ok_or(RequestError::RefreshTokenNotSupplied)?;
        let now = self.now();
        let lifetime = self.lifetime;
        let grant = self
            .grants
            .iter_mut()
            .find(|g| {
                !g.revoked
                    && super::constant_time_eq(g.refresh_token.as_bytes(), refresh_token.as_bytes())
            })
            .ok_or(RequestError::RefreshTokenNotFound)?;
        if grant.client_id != key.client_id {
            return Err(RequestError::IncorrectClient);
        }
        // The old access token stops working at once.
        grant.access_token = canvas_token();
        grant.expires_at = now + lifetime;
        let body = json!({
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "user": user_json(grant.user_id, user_name),
            "canvas_region": "unknown",
            "expires_in": lifetime.as_secs(),
        });
        let issued = grant.access_token.clone();
        self.issued_access.push(issued);
        self.stats.refreshes += 1;
        Ok(body)
    }

    /// `DELETE /login/oauth2/token`: forgets the grant of the access token
    /// the request carries (its refresh token too).
    fn destroy(&mut self, req: &EndpointRequest<'_>) -> Reply {
        let grant = self.grants.iter_mut().find(|g| {
            !g.revoked
                && !req.bearer.is_empty()
                && super::constant_time_eq(g.access_token.as_bytes(), req.bearer.as_bytes())
        });
        match grant {
            Some(g) => {
                g.revoked = true;
                self.stats.revocations += 1;
                Reply::ok(&json!({}))
            }
            None => Reply::json(
                StatusCode::BAD_REQUEST,
                &json!({"message": "can't delete OAuth access token when not using an OAuth access token"}),
            ),
        }
    }
}

/// Canvas's `Canvas::OAuth::RequestError`s, with its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestError {
    UnknownClient,
    InvalidClientSecret,
    InvalidRedirect,
    RefreshTokenNotFound,
    CodeNotFound,
    IncorrectClient,
    CodeNotSupplied,
    RefreshTokenNotSupplied,
    UnsupportedGrantType,
}

impl RequestError {
    fn parts(self) -> (StatusCode, &'static str, &'static str) {
        use RequestError::*;
        let bad = StatusCode::BAD_REQUEST;
        match self {
            UnknownClient => (StatusCode::UNAUTHORIZED, "invalid_client", "unknown client"),
            InvalidClientSecret => (StatusCode::UNAUTHORIZED, "invalid_client", "invalid client"),
            InvalidRedirect => (bad, "invalid_request", "redirect_uri does not match client settings"),
            RefreshTokenNotFound => (bad, "invalid_grant", "refresh_token not found"),
            CodeNotFound => (bad, "invalid_grant", "authorization_code not found"),
            IncorrectClient => (bad, "invalid_grant", "incorrect client"),
            CodeNotSupplied => (bad, "invalid_request", "You must provide the code parameter when using the authorization_code grant type"),
            RefreshTokenNotSupplied => (bad, "invalid_request", "You must provide the refresh_token parameter when using the refresh_token grant type"),
            UnsupportedGrantType => (bad, "unsupported_grant_type", "The grant_type you requested is not currently supported"),
        }
    }

    fn reply(self) -> Reply {
        let (status, error, description) = self.parts();
        oauth_error(status, error, description)
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Reply {
    let reply = Reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    );
    if status == StatusCode::UNAUTHORIZED {
        reply.with_header(WWW_AUTHENTICATE, "Canvas OAuth 2.0")
    } else {
        reply
    }
}

/// Canvas's 401 for a scoped token without the request's scope: no
/// `WWW-Authenticate`, since a new token would not help.
pub(crate) fn insufficient_scopes() -> Reply {
    Reply::error(StatusCode::UNAUTHORIZED, crate::oauth::INSUFFICIENT_SCOPES)
}

fn too_long() -> Reply {
    Reply::html(
        StatusCode::URI_TOO_LONG,
        &b"<html><head><title>414 Request-URI Too Large</title></head><body><h1>414 Request-URI Too Large</h1></body></html>"[..],
    )
}

fn redirect(location: &str) -> Reply {
    Reply::html(
        StatusCode::FOUND,
        &b"<html><body>You are being redirected.</body></html>"[..],
    )
    .with_header(LOCATION, location)
}

/// The page an out-of-band authorization ends on: the code is in its address
/// (and shown, for someone to copy).
fn oob_page(code: Option<String>, error: Option<String>) -> Reply {
    let escape = crate::oauth::login::html_escape;
    let text = match (code, error) {
        (Some(code), _) => format!(
            "<!doctype html><title>Authorization code</title><p>Your authorization code is <code>{}</code>. Copy it into the application that asked for it.</p>",
            escape(&code)
        ),
        (None, error) => format!(
            "<!doctype html><title>Authorization refused</title><p>The authorization was refused: {}</p>",
            escape(&error.unwrap_or_default())
        ),
    };
    Reply::html(StatusCode::OK, text)
}

/// `url` with these pairs added to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = url.to_string();
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    if !encoded.is_empty() {
        out.push(if url.contains('?') { '&' } else { '?' });
        out.push_str(&encoded);
    }
    out
}

/// Canvas's `redirect_domain_matches?`: the same host as the key's redirect
/// URI, or a subdomain of it; the out-of-band URI always.
fn redirect_matches(key_uri: &str, requested: &str) -> bool {
    if requested == OOB_REDIRECT_URI {
        return true;
    }
    let host = |s: &str| {
        url::Url::parse(s)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    };
    match (host(key_uri), host(requested)) {
        (Some(key), Some(req)) => req == key || req.ends_with(&format!(".{key}")),
        _ => false,
    }
}

fn form(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// The last value of a parameter (Rails keeps the last).
fn last(params: &[(String, String)], key: &str) -> Option<String> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn user_json(id: u64, name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "global_id": format!("1000000000{id:04}"),
        "effective_locale": "en",
    })
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A token as Canvas prints them: a shard id, `~`, and 64 characters.
fn canvas_token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut buf = [0u8; 64];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    let body: String = buf
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("7~{body}")
}

/// The query without `include[]`/`includes[]` (and their bracketless forms),
/// as Canvas drops them for a scoped key without "Allow Include Parameters".
pub(crate) fn strip_includes(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| {
            let key = url::form_urlencoded::parse(pair.as_bytes())
                .next()
                .map(|(k, _)| k.into_owned())
                .unwrap_or_default();
            !matches!(
                key.as_str(),
                "include" | "include[]" | "includes" | "includes[]"
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
