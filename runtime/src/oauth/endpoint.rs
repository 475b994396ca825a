//! Canvas's OAuth2 endpoints as Warden calls them (`doc/api/oauth_endpoints.md`):
//! the authorization URL, `POST /login/oauth2/token` for both grants, and
//! `DELETE /login/oauth2/token`.
//!
//! Nothing here prints a secret: errors carry Canvas's `error` and
//! `error_description`, with every secret of the call removed.

use std::time::Duration;

use serde::Deserialize;

use crate::redact;
use crate::request::Origin;
use crate::token::Token;

/// Canvas's request-header limit: an authorization URL longer than this is
/// refused before it reaches Canvas (the scope list travels in it).
pub const MAX_AUTHORIZE_URL: usize = 8_000;

/// How long one call to the token endpoint may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Who approved the authorization, as the token endpoint says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct AuthorizedUser {
    pub id: u64,
    #[serde(default)]
    pub name: String,
}

/// What the token endpoint granted.
#[derive(Debug, Clone)]
pub struct Granted {
    pub access_token: Token,
    /// Only for `authorization_code`.
    pub refresh_token: Option<Token>,
    /// Seconds the access token lives; None: it does not expire.
    pub expires_in: Option<u64>,
    pub user: Option<AuthorizedUser>,
}

/// Why a call to the token endpoint failed. No variant holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Canvas answered with an OAuth error (`invalid_grant`, `invalid_client`, …).
    #[error("Canvas answered {status} {error}: {description}")]
    Refused {
        status: u16,
        error: String,
        description: String,
    },
    /// No answer: network, TLS, timeout.
    #[error("Canvas did not answer {what}: {reason}")]
    Unreachable { what: String, reason: String },
    /// An answer that is not what Canvas's endpoint sends.
    #[error("Canvas answered {what} with {status} and a body Warden cannot read: {detail}")]
    Unexpected {
        what: String,
        status: u16,
        detail: String,
    },
}

impl EndpointError {
    /// Canvas no longer knows the refresh token or the client (revoked,
    /// deleted key, wrong secret): only a new `warden auth login` helps.
    pub fn is_refusal(&self) -> bool {
        matches!(self, EndpointError::Refused { status, .. } if (400..500).contains(status))
    }
}

/// The HTTP client for the token endpoint: no redirects, no proxies (as for
/// the API: a proxy would see the secrets).
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
}

/// `GET /login/oauth2/auth?…`: the page the admin opens to approve.
pub fn authorize_url(
    origin: &Origin,
    client_id: &str,
    redirect_uri: &str,
    state: Option<&str>,
    scopes: &[String],
) -> String {
    let mut url = url::Url::parse(&format!("{}/login/oauth2/auth", origin.as_str()))
        .expect("an origin and a fixed path make a URL");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri);
        if let Some(state) = state {
            q.append_pair("state", state);
        }
        if !scopes.is_empty() {
            q.append_pair("scope", &scopes.join(" "));
        }
    }
    url.into()
}

fn token_url(origin: &Origin) -> String {
    format!("{}/login/oauth2/token", origin.as_str())
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    user: Option<AuthorizedUser>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// The secrets a call sends, removed from whatever its errors say.
fn scrub(secrets: &[&str], text: &str) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if let Ok(token) = Token::new(*secret) {
            text = redact::text(&token, &text);
        }
    }
    text
}

/// `POST /login/oauth2/token` with these form fields.
async fn post_token(
    http: &reqwest::Client,
    origin: &Origin,
    what: &str,
    form: &[(&str, &str)],
    secrets: &[&str],
) -> Result<Granted, EndpointError> {
    let response = http
        .post(token_url(origin))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .map_err(|e| EndpointError::Unreachable {
            what: what.to_string(),
            reason: scrub(secrets, &crate::client::error_chain(&e)),
        })?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| EndpointError::Unreachable {
            what: what.to_string(),
            reason: scrub(secrets, &crate::client::error_chain(&e)),
        })?;
    if (200..300).contains(&status) {
        let parsed: TokenBody =
            serde_json::from_slice(&body).map_err(|e| EndpointError::Unexpected {
                what: what.to_string(),
                status,
                detail: e.to_string(),
            })?;
        let bad_token = |field: &str| EndpointError::Unexpected {
            what: what.to_string(),
            status,
            detail: format!("its {field} is not a bearer token"),
        };
        let access_token =
            Token::new(parsed.access_token).map_err(|_| bad_token("access_token"))?;
        let refresh_token = match parsed.refresh_token {
            Some(t) => Some(Token::new(t).map_err(|_| bad_token("refresh_token"))?),
            None => None,
        };
        return Ok(Granted {
            access_token,
            refresh_token,
            expires_in: parsed.expires_in,
            user: parsed.user,
        });
    }
    Err(error_answer(what, status, &body, secrets))
}

fn error_answer(what: &str, status: u16, body: &[u8], secrets: &[&str]) -> EndpointError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody {
            error: Some(error),
            error_description,
        }) => EndpointError::Refused {
            status,
            error: scrub(secrets, &error),
            description: scrub(secrets, &error_description.unwrap_or_default()),
        },
        _ => {
            let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
            EndpointError::Unexpected {
                what: what.to_string(),
                status,
                detail: scrub(secrets, &text.escape_debug().to_string()),
            }
        }
    }
}

/// Trades an authorization code for tokens (`grant_type=authorization_code`).
pub async fn exchange_code(
    http: &reqwest::Client,
    origin: &Origin,
    client_id: &str,
    client_secret: &Token,
    redirect_uri: &str,
    code: &str,
) -> Result<Granted, EndpointError> {
    post_token(
        http,
        origin,
        "the authorization code exchange",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
            ("redirect_uri", redirect_uri),
            ("code", code),
        ],
        &[client_secret.expose(), code],
    )
    .await
}

/// A new access token for a refresh token (`grant_type=refresh_token`).
pub async fn refresh(
    http: &reqwest::Client,
    origin: &Origin,
    client_id: &str,
    client_secret: &Token,
    refresh_token: &Token,
) -> Result<Granted, EndpointError> {
    post_token(
        http,
        origin,
        "the token renewal",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret.expose()),
            ("refresh_token", refresh_token.expose()),
        ],
        &[client_secret.expose(), refresh_token.expose()],
    )
    .await
}

/// `DELETE /login/oauth2/token`: Canvas forgets the grant (its access and
/// refresh tokens).
pub async fn revoke(
    http: &reqwest::Client,
    origin: &Origin,
    access_token: &Token,
) -> Result<(), EndpointError> {
    let what = "the revocation";
    let secrets = [access_token.expose()];
    let response = http
        .delete(token_url(origin))
        .bearer_auth(access_token.expose())
        .send()
        .await
        .map_err(|e| EndpointError::Unreachable {
            what: what.to_string(),
            reason: scrub(&secrets, &crate::client::error_chain(&e)),
        })?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(error_answer(what, status, &body, &secrets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_carries_every_parameter() {
        let origin = Origin::parse("https://school.instructure.com").unwrap();
        let url = authorize_url(
            &origin,
            "10000000000042",
            "http://127.0.0.1:8765/callback",
            Some("abc"),
            &[
                "url:GET|/api/v1/accounts/:account_id/courses".into(),
                "url:PUT|/api/v1/courses/:id".into(),
            ],
        );
        assert_eq!(
            url,
            "https://school.instructure.com/login/oauth2/auth?client_id=10000000000042&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&state=abc&scope=url%3AGET%7C%2Fapi%2Fv1%2Faccounts%2F%3Aaccount_id%2Fcourses+url%3APUT%7C%2Fapi%2Fv1%2Fcourses%2F%3Aid"
        );
    }

    #[test]
    fn error_answers_keep_canvas_words_and_drop_secrets() {
        let e = error_answer(
            "the token renewal",
            400,
            br#"{"error":"invalid_grant","error_description":"refresh_token not found"}"#,
            &["s3cret"],
        );
        assert_eq!(
            e.to_string(),
            "Canvas answered 400 invalid_grant: refresh_token not found"
        );
        assert!(e.is_refusal());
        let e = error_answer("x", 502, b"<html>s3cret</html>", &["s3cret"]);
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(!e.is_refusal());
    }
}
