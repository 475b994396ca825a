//! `[canvas.oauth]`: a scoped developer key's OAuth2 credential, validated.
//!
//! ```toml
//! [canvas.oauth]
//! client_id = "10000000000042"                              # the developer key's id
//! client_secret_file = "/run/secrets/warden-client-secret"  # or client_secret_credential = "warden-client-secret"
//! refresh_token_file = "state/canvas-refresh-token"         # written by `warden auth login`, mode 0600
//! redirect_uri = "http://127.0.0.1:8765/callback"           # or "urn:ietf:wg:oauth:2.0:oob"
//! scopes = ["url:GET|/api/v1/accounts/:account_id/courses"] # optional; default: every job's scopes
//! include_parameters = false                                # the key's "Allow Include Parameters"
//! ```

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diag::FileError;
use crate::scope::Scope;
use crate::token::{credential_name_problem, TokenSource};

/// The redirect URI that makes Canvas show the code instead of redirecting.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOAuth {
    client_id: Option<Spanned<String>>,
    /// Refused with a message: the secret belongs in a file.
    client_secret: Option<Spanned<toml::Value>>,
    client_secret_file: Option<Spanned<String>>,
    client_secret_credential: Option<Spanned<String>>,
    refresh_token_file: Option<Spanned<String>>,
    redirect_uri: Option<Spanned<String>>,
    scopes: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    include_parameters: bool,
}

/// Where Canvas sends the browser after the admin approves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectUri {
    /// `urn:ietf:wg:oauth:2.0:oob`: Canvas shows the code; the admin pastes it.
    Oob,
    /// `http://127.0.0.1:PORT/path` (or `localhost`, `[::1]`): `warden auth
    /// login` listens there for the one redirect.
    Loopback(url::Url),
    /// An https URL elsewhere: the admin pastes the address the browser
    /// ended on.
    Remote(url::Url),
}

impl RedirectUri {
    /// The text sent to Canvas, exactly as configured.
    pub fn as_str(&self) -> &str {
        match self {
            RedirectUri::Oob => OOB,
            RedirectUri::Loopback(url) | RedirectUri::Remote(url) => url.as_str(),
        }
    }
}

impl std::fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated `[canvas.oauth]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// The developer key's id (digits).
    pub client_id: String,
    /// Where the developer key's secret is read from, at every use.
    pub client_secret: TokenSource,
    /// Where `warden auth login` keeps the refresh token (mode 0600), read
    /// at every renewal so that a new login takes effect without a restart.
    pub refresh_token_file: PathBuf,
    pub redirect_uri: RedirectUri,
    /// Scopes to request, when listed; else every configured job's.
    pub scopes: Option<Vec<Scope>>,
    /// The key's "Allow Include Parameters": without it Canvas drops
    /// `include[]` from every request.
    pub include_parameters: bool,
}

impl OAuthSettings {
    /// The file beside the refresh token that records, without any secret,
    /// who authorized which scopes and when the current access token
    /// expires (`warden auth status` reads it).
    pub fn status_file(&self) -> PathBuf {
        let mut name = self
            .refresh_token_file
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".json");
        self.refresh_token_file.with_file_name(name)
    }
}

/// Validates `[canvas.oauth]`; `folder` anchors relative paths, `table`
/// is the table's span (for what is missing).
pub(crate) fn parse(
    raw: Spanned<RawOAuth>,
    folder: &Path,
    at: &impl Fn(Range<usize>, String) -> FileError,
) -> Result<OAuthSettings, FileError> {
    let table = raw.span();
    let raw = raw.into_inner();

    if let Some(inline) = &raw.client_secret {
        return Err(at(
            inline.span(),
            "[canvas.oauth] client_secret must not be written in the config: put the developer key's secret in a file only Warden can read and give client_secret_file = \"/run/secrets/warden-client-secret\" (or client_secret_credential = \"warden-client-secret\" under systemd)".into(),
        ));
    }
    let client_id = match &raw.client_id {
        None => {
            return Err(at(
                table,
                "[canvas.oauth] needs client_id = \"10000000000042\": the developer key's id, as Canvas shows it under Admin > Developer Keys".into(),
            ))
        }
        Some(id) => {
            let text = id.get_ref();
            if text.is_empty() || text.len() > 30 || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(at(
                    id.span(),
                    format!(
                        "[canvas.oauth] client_id {text:?} is not a developer key id (the digits Canvas shows under Admin > Developer Keys, such as \"10000000000042\")"
                    ),
                ));
            }
            text.clone()
        }
    };
    let client_secret = match (&raw.client_secret_file, &raw.client_secret_credential) {
        (None, None) => {
            return Err(at(
                table,
                "[canvas.oauth] needs client_secret_file = \"/run/secrets/warden-client-secret\" (a file holding the developer key's secret, readable by Warden alone) or client_secret_credential = \"warden-client-secret\" (a systemd credential)".into(),
            ))
        }
        (Some(file), Some(credential)) => {
            let second = if file.span().start > credential.span().start {
                file.span()
            } else {
                credential.span()
            };
            return Err(at(
                second,
                "[canvas.oauth] give one of client_secret_file and client_secret_credential, not both".into(),
            ));
        }
        (Some(file), None) => {
            if file.get_ref().is_empty() {
                return Err(at(file.span(), "[canvas.oauth] client_secret_file is empty".into()));
            }
            TokenSource::File(folder.join(file.get_ref()))
        }
        (None, Some(name)) => match credential_name_problem(name.get_ref()) {
            Some(why) => {
                return Err(at(
                    name.span(),
                    format!(
                        "[canvas.oauth] client_secret_credential {:?} {why}: give the NAME of the unit's LoadCredential=NAME:PATH",
                        name.get_ref()
                    ),
                ))
            }
            None => TokenSource::Credential(name.get_ref().clone()),
        },
    };
    let refresh_token_file = match &raw.refresh_token_file {
        None => {
            return Err(at(
                table,
                "[canvas.oauth] needs refresh_token_file = \"state/canvas-refresh-token\": where `warden auth login` keeps the refresh token (mode 0600)".into(),
            ))
        }
        Some(file) if file.get_ref().is_empty() => {
            return Err(at(file.span(), "[canvas.oauth] refresh_token_file is empty".into()))
        }
        Some(file) => folder.join(file.get_ref()),
    };
    let redirect_uri = match &raw.redirect_uri {
        None => {
            return Err(at(
                table,
                format!("[canvas.oauth] needs redirect_uri = \"http://127.0.0.1:8765/callback\" (Warden receives the code itself) or \"{OOB}\" (Canvas shows the code and you paste it); the developer key's Redirect URIs must list it"),
            ))
        }
        Some(text) => redirect_uri(text.get_ref()).map_err(|why| at(text.span(), why))?,
    };
    let scopes = match &raw.scopes {
        None => None,
        Some(list) => {
            if list.is_empty() {
                return Err(at(
                    table,
                    "[canvas.oauth] scopes is empty: list the scopes to request, or leave scopes out to request every job's".into(),
                ));
            }
            let mut scopes: Vec<Scope> = Vec::new();
            for entry in list {
                let scope: Scope = entry
                    .get_ref()
                    .parse()
                    .map_err(|e| at(entry.span(), format!("[canvas.oauth] scopes: {e}")))?;
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            Some(scopes)
        }
    };
    Ok(OAuthSettings {
        client_id,
        client_secret,
        refresh_token_file,
        redirect_uri,
        scopes,
        include_parameters: raw.include_parameters,
    })
}

/// Checks a redirect URI: the out-of-band URN, http on a loopback host
/// (where `warden auth login` listens), or https.
pub fn redirect_uri(text: &str) -> Result<RedirectUri, String> {
    if text == OOB {
        return Ok(RedirectUri::Oob);
    }
    let shape = format!(
        "[canvas.oauth] redirect_uri {text:?} is not \"{OOB}\" or an http(s) URL such as \"http://127.0.0.1:8765/callback\""
    );
    let url = url::Url::parse(text).map_err(|_| shape.clone())?;
    let Some(host) = url.host() else {
        return Err(shape);
    };
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(format!(
            "[canvas.oauth] redirect_uri {text:?} must not hold credentials or a fragment"
        ));
    }
    let loopback = match host {
        url::Host::Domain(name) => name == "localhost",
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    match url.scheme() {
        "http" if loopback => Ok(RedirectUri::Loopback(url)),
        "http" => Err(format!(
            "[canvas.oauth] redirect_uri {text:?} uses http:// for host \"{host}\", which is not loopback: the authorization code would cross the network in clear; use http://127.0.0.1:PORT/… (warden auth login listens there), https://, or \"{OOB}\""
        )),
        "https" if loopback => Ok(RedirectUri::Loopback(url)),
        "https" => Ok(RedirectUri::Remote(url)),
        _ => Err(shape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        assert_eq!(redirect_uri(OOB), Ok(RedirectUri::Oob));
        for ok in [
            "http://127.0.0.1:8765/callback",
            "http://localhost:9000/",
            "http://[::1]:8765/cb",
        ] {
            assert!(
                matches!(redirect_uri(ok), Ok(RedirectUri::Loopback(_))),
                "{ok}"
            );
        }
        assert!(matches!(
            redirect_uri("https://warden.example.edu/oauth"),
            Ok(RedirectUri::Remote(_))
        ));
        let e = redirect_uri("http://warden.example.edu/callback").unwrap_err();
        assert!(e.contains("which is not loopback"), "{e}");
        for bad in [
            "",
            "ftp://127.0.0.1/x",
            "callback",
            "urn:ietf:wg:oauth:2.0:oob:auto",
        ] {
            assert!(redirect_uri(bad).is_err(), "{bad}");
        }
        assert!(redirect_uri("http://u:p@127.0.0.1:1/")
            .unwrap_err()
            .contains("credentials"));
    }

    #[test]
    fn the_status_file_sits_beside_the_refresh_token() {
        let s = OAuthSettings {
            client_id: "1".into(),
            client_secret: TokenSource::File("s".into()),
            refresh_token_file: "/var/lib/warden/canvas-refresh-token".into(),
            redirect_uri: RedirectUri::Oob,
            scopes: None,
            include_parameters: false,
        };
        assert_eq!(
            s.status_file(),
            Path::new("/var/lib/warden/canvas-refresh-token.json")
        );
    }
}
