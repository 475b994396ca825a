//! Sends an approved request to Canvas with the worker token, exactly as
//! approved: no redirects followed, no proxies, no re-encoding, a bounded
//! response body.

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};

use crate::request::Approved;
use crate::scope::Method;
use crate::token::Token;

/// The HTTP client shared by all runs. Cheap to clone.
#[derive(Clone)]
pub struct CanvasClient {
    http: reqwest::Client,
}

/// Canvas's answer, before redaction.
#[derive(Debug, Clone)]
pub struct CanvasResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Network, TLS or protocol failure; the message names no secret.
    #[error("{0}")]
    Transport(String),
    #[error("the response body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// A header the approved request carries cannot be sent.
    #[error("header {0:?} cannot be sent")]
    Header(String),
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

impl CanvasClient {
    pub fn new() -> Result<CanvasClient, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // The token must go to Canvas, not to whatever proxy the host's
            // environment names.
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(CanvasClient { http })
    }

    /// Sends `req` with `Authorization: Bearer <token>` and reads at most
    /// `max_body` bytes of the answer.
    pub async fn send(
        &self,
        req: &Approved,
        token: &Token,
        max_body: usize,
    ) -> Result<CanvasResponse, SendError> {
        let mut builder = self
            .http
            .request(reqwest_method(req.method), req.url.clone());
        if !req.headers.iter().any(|(name, _)| name == "user-agent") {
            builder = builder.header(USER_AGENT, concat!("warden/", env!("CARGO_PKG_VERSION")));
        }
        for (name, value) in &req.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| SendError::Header(name.clone()))?;
            let value =
                HeaderValue::from_str(value).map_err(|_| SendError::Header(name.to_string()))?;
            builder = builder.header(name, value);
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            // Token::new admits only visible ASCII, so this cannot fail.
            .map_err(|_| SendError::Header("authorization".into()))?;
        auth.set_sensitive(true);
        builder = builder.header(AUTHORIZATION, auth);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }

        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        // One allocation for the whole body when its length is announced.
        let announced = response.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0).min(max_body));
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > max_body {
                return Err(SendError::TooLarge { limit: max_body });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(CanvasResponse {
            status,
            headers,
            body,
        })
    }
}

fn reqwest_method(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
        Method::Options => reqwest::Method::OPTIONS,
    }
}

/// The error and its causes on one line ("error sending request for url
/// (…): connection refused"). reqwest never puts header values in errors.
fn transport(e: reqwest::Error) -> SendError {
    SendError::Transport(error_chain(&e))
}

/// An error and its causes on one line.
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}
