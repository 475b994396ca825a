//! A scoped developer key's OAuth2 credential (`[canvas.oauth]`): Canvas
//! itself then limits Warden's token to the union of the jobs' scopes,
//! while Warden still limits each job to its own.
//!
//! An admin authorizes once (`warden auth login`: [`endpoint::authorize_url`],
//! the code, [`endpoint::exchange_code`]); the refresh token is stored with
//! mode 0600 ([`store`]); the host keeps the hour-long access token in
//! memory and renews it ([`Session`]). The access token, the refresh token
//! and the client secret are secrets like a manual token: never in a guest,
//! a log line, an error, the history or a page.

pub mod coverage;
pub mod endpoint;
pub mod login;
mod session;
mod settings;
pub mod store;

pub use endpoint::{AuthorizedUser, EndpointError, MAX_AUTHORIZE_URL};
pub use session::{
    CredentialEvent, CredentialListener, Session, RENEW_MARGIN, RETRY_AFTER_FAILURE,
};
pub(crate) use settings::{parse as parse_settings, RawOAuth};
pub use settings::{redirect_uri, OAuthSettings, RedirectUri, OOB};

/// Canvas's answer body to a request outside the token's scopes.
pub const INSUFFICIENT_SCOPES: &str = "Insufficient scopes on access token.";

/// Whether a Canvas response is its 401 for a request the token's scopes
/// do not cover: that exact message and no `WWW-Authenticate` (an expired
/// or invalid token carries one).
pub fn is_insufficient_scope(status: u16, headers: &[(String, String)], body: &[u8]) -> bool {
    status == 401
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
        && memchr::memmem::find(body, INSUFFICIENT_SCOPES.as_bytes()).is_some()
}

/// Whether a Canvas response says the token itself is no good (expired,
/// revoked, replaced): 401 with `WWW-Authenticate`.
pub fn is_rejected_token(status: u16, headers: &[(String, String)]) -> bool {
    status == 401
        && headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_401s_are_told_apart() {
        let body = br#"{"errors":[{"message":"Insufficient scopes on access token."}]}"#;
        let www = vec![(
            "WWW-Authenticate".to_string(),
            "Bearer realm=\"canvas-lms\"".to_string(),
        )];
        assert!(is_insufficient_scope(401, &[], body));
        assert!(!is_insufficient_scope(401, &www, body));
        assert!(!is_insufficient_scope(403, &[], body));
        assert!(!is_insufficient_scope(401, &[], b"{}"));
        assert!(is_rejected_token(401, &www));
        assert!(!is_rejected_token(401, &[]));
        assert!(!is_rejected_token(200, &www));
    }
}
