//! The worker token: where it comes from, and a type that never prints it.
//!
//! The token is read each time a request is made (a rotated token file takes
//! effect without a restart). Only [`Token::expose`] yields the secret, and
//! only the HTTP layer (to set `Authorization`) and the redactor call it.
//!
//! Under systemd, the token can come from a credential
//! ([`TokenSource::Credential`]): the unit's `LoadCredential=canvas-token:…`
//! puts it in `$CREDENTIALS_DIRECTORY/canvas-token`, readable by the service
//! alone, and the config names it with `token_credential = "canvas-token"`.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable systemd sets to the folder of a service's
/// credentials (`LoadCredential=`, `SetCredential=`).
pub const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// What replaces the token wherever it would otherwise appear.
pub const REDACTED: &str = "[REDACTED]";

/// The secret. `Debug` and `Display` print [`REDACTED`].
#[derive(Clone, PartialEq, Eq)]
pub struct Token(Arc<str>);

impl Token {
    /// Checks that the text can be a bearer token: non-empty, printable ASCII,
    /// no spaces (anything else could split or inject an HTTP header).
    pub fn new(text: impl Into<String>) -> Result<Token, TokenError> {
        let text = text.into();
        if text.is_empty() {
            return Err(TokenError::Empty);
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::Malformed);
        }
        Ok(Token(text.into()))
    }

    /// The secret itself. Call it only to build the `Authorization` header
    /// or to redact.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({REDACTED})")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Where the token is read from. Never holds the token itself except for
/// [`TokenSource::Fixed`], used by the demo and tests.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// An environment variable of the host (never passed to a job).
    Env(String),
    /// A file holding the token; surrounding whitespace is ignored.
    File(PathBuf),
    /// A systemd credential: the file of this name in
    /// `$CREDENTIALS_DIRECTORY`, looked up at every read. The name is one
    /// path component ([`credential_name_problem`]).
    Credential(String),
    /// A token held in memory.
    Fixed(Token),
    /// The access token of a scoped developer key (`[canvas.oauth]`), kept
    /// in memory and renewed with the stored refresh token; read it with
    /// [`TokenSource::bearer`].
    OAuth(crate::oauth::Session),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "Env({name:?})"),
            TokenSource::File(path) => write!(f, "File({path:?})"),
            TokenSource::Credential(name) => write!(f, "Credential({name:?})"),
            TokenSource::Fixed(_) => write!(f, "Fixed({REDACTED})"),
            TokenSource::OAuth(session) => write!(f, "OAuth({session:?})"),
        }
    }
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "environment variable {name}"),
            TokenSource::File(path) => write!(f, "token file {}", path.display()),
            TokenSource::Credential(name) => write!(f, "systemd credential {name}"),
            TokenSource::Fixed(_) => f.write_str("built-in token"),
            TokenSource::OAuth(session) => write!(
                f,
                "OAuth2 token of developer key {} (refresh token in {})",
                session.settings().client_id,
                session.settings().refresh_token_file.display()
            ),
        }
    }
}

/// Why the token could not be read. No variant carries any of its content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is empty")]
    Empty,
    #[error("the token has spaces, control or non-ASCII characters")]
    Malformed,
    #[error("environment variable {0} is not set")]
    EnvMissing(String),
    #[error("environment variable {0} is not valid UTF-8")]
    EnvNotUnicode(String),
    #[error("cannot read token file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("token credential {name}: ${CREDENTIALS_DIRECTORY} is not set (is the unit's LoadCredential= set?)")]
    CredentialsDirectoryUnset { name: String },
    #[error("token credential {name}: ${CREDENTIALS_DIRECTORY} is {dir:?}, not an absolute path")]
    CredentialsDirectoryRelative { name: String, dir: String },
    #[error("cannot read token credential {name} from {path}: {reason}")]
    Credential {
        name: String,
        path: String,
        reason: String,
    },
    /// A `[canvas.oauth]` credential could not give a token (the message
    /// says why and what to do).
    #[error("{0}")]
    OAuth(String),
    #[error("{source_name}: {error}")]
    In {
        source_name: String,
        error: Box<TokenError>,
    },
}

impl TokenSource {
    /// The token to send now: [`TokenSource::read`], or for
    /// [`TokenSource::OAuth`] the access token in memory, renewed when it
    /// is about to expire (single-flight).
    pub async fn bearer(&self) -> Result<Token, TokenError> {
        match self {
            TokenSource::OAuth(session) => session.access_token().await,
            other => other.read(),
        }
    }

    /// Every secret this source stands for, as far as it can be read now:
    /// the token; for OAuth also the refresh token and the client secret.
    /// What redaction removes.
    pub fn secrets(&self) -> Vec<Token> {
        match self {
            TokenSource::OAuth(session) => session.secrets(),
            other => other.read().into_iter().collect(),
        }
    }

    /// The OAuth session, for a `[canvas.oauth]` credential.
    pub fn oauth(&self) -> Option<&crate::oauth::Session> {
        match self {
            TokenSource::OAuth(session) => Some(session),
            _ => None,
        }
    }

    /// Reads the token now. For [`TokenSource::OAuth`], that is whether it
    /// can be renewed at all: the refresh token and the client secret can
    /// be read (the token itself comes from [`TokenSource::bearer`]).
    pub fn read(&self) -> Result<Token, TokenError> {
        match self {
            TokenSource::Fixed(token) => Ok(token.clone()),
            TokenSource::OAuth(session) => {
                let settings = session.settings();
                settings.client_secret.read().map_err(|e| {
                    TokenError::OAuth(format!(
                        "cannot read the developer key's client secret: {e}"
                    ))
                })?;
                crate::oauth::store::read_refresh_token(&settings.refresh_token_file)
            }
            TokenSource::Env(name) => match std::env::var(name) {
                Ok(value) => Token::new(value.trim()).map_err(|e| self.context(e)),
                Err(std::env::VarError::NotPresent) => Err(TokenError::EnvMissing(name.clone())),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(TokenError::EnvNotUnicode(name.clone()))
                }
            },
            TokenSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| TokenError::File {
                    path: path.display().to_string(),
                    // io::Error messages name the failure, never the content.
                    reason: e.to_string(),
                })?;
                Token::new(text.trim()).map_err(|e| self.context(e))
            }
            TokenSource::Credential(name) => {
                self.read_credential(name, std::env::var_os(CREDENTIALS_DIRECTORY).as_deref())
            }
        }
    }

    /// Reads the credential `name` from `dir`, the value of
    /// `$CREDENTIALS_DIRECTORY`.
    fn read_credential(&self, name: &str, dir: Option<&OsStr>) -> Result<Token, TokenError> {
        let path = credential_path(name, dir)?;
        let text = std::fs::read_to_string(&path).map_err(|e| TokenError::Credential {
            name: name.to_string(),
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Token::new(text.trim()).map_err(|e| self.context(e))
    }

    fn context(&self, error: TokenError) -> TokenError {
        TokenError::In {
            source_name: self.to_string(),
            error: Box::new(error),
        }
    }
}

/// Why `name` cannot name a systemd credential, if it cannot: it must be
/// one path component of a folder (not empty, no `/`, not `.` or `..`, no
/// NUL), as systemd's own credential names are.
pub fn credential_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.contains('/') {
        Some("has a '/'")
    } else if name == "." || name == ".." {
        Some("is not a file name")
    } else if name.contains('\0') {
        Some("has a NUL character")
    } else {
        None
    }
}

/// `$CREDENTIALS_DIRECTORY/<name>`, given the variable's value (`dir`).
fn credential_path(name: &str, dir: Option<&OsStr>) -> Result<PathBuf, TokenError> {
    let dir = match dir {
        Some(dir) if !dir.is_empty() => Path::new(dir),
        _ => {
            return Err(TokenError::CredentialsDirectoryUnset {
                name: name.to_string(),
            })
        }
    };
    if !dir.is_absolute() {
        return Err(TokenError::CredentialsDirectoryRelative {
            name: name.to_string(),
            dir: dir.display().to_string(),
        });
    }
    // The config checked the name; a source built in code is checked here.
    if let Some(problem) = credential_name_problem(name) {
        return Err(TokenError::Credential {
            name: name.to_string(),
            path: dir.display().to_string(),
            reason: format!("the credential name {problem}"),
        });
    }
    Ok(dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_never_prints() {
        let token = Token::new("7~supersecret").unwrap();
        assert_eq!(format!("{token}"), REDACTED);
        assert_eq!(format!("{token:?}"), "Token([REDACTED])");
        assert_eq!(
            format!("{:?}", TokenSource::Fixed(token.clone())),
            "Fixed([REDACTED])"
        );
        assert_eq!(token.expose(), "7~supersecret");
    }

    #[test]
    fn token_must_be_one_header_word() {
        assert_eq!(Token::new(""), Err(TokenError::Empty));
        assert_eq!(Token::new("abc\r\nX-Evil: 1"), Err(TokenError::Malformed));
        assert_eq!(Token::new("a b"), Err(TokenError::Malformed));
        assert_eq!(Token::new("tökén"), Err(TokenError::Malformed));
    }

    #[test]
    fn file_token_is_read_each_time() {
        let dir = std::env::temp_dir().join(format!("warden-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, "first-token\n").unwrap();
        let source = TokenSource::File(path.clone());
        assert_eq!(source.read().unwrap().expose(), "first-token");
        std::fs::write(&path, "second-token").unwrap();
        assert_eq!(source.read().unwrap().expose(), "second-token");
        std::fs::write(&path, "bad token with spaces").unwrap();
        let err = source.read().unwrap_err().to_string();
        assert!(!err.contains("bad token"), "{err}");
        assert!(err.contains("spaces"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        let err = source.read().unwrap_err().to_string();
        assert!(err.starts_with("cannot read token file"), "{err}");
    }

    #[test]
    fn missing_env_token_names_the_variable() {
        let source = TokenSource::Env("WARDEN_TEST_SURELY_UNSET_VARIABLE".into());
        assert_eq!(
            source.read().unwrap_err().to_string(),
            "environment variable WARDEN_TEST_SURELY_UNSET_VARIABLE is not set"
        );
    }

    #[test]
    fn credential_is_read_from_the_credentials_directory() {
        let dir = std::env::temp_dir().join(format!("warden-credential-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("canvas-token"), "7~credential-secret\n").unwrap();
        let source = TokenSource::Credential("canvas-token".into());
        assert_eq!(source.to_string(), "systemd credential canvas-token");
        assert_eq!(format!("{source:?}"), "Credential(\"canvas-token\")");
        let read =
            |dir: Option<&Path>| source.read_credential("canvas-token", dir.map(Path::as_os_str));
        assert_eq!(read(Some(&dir)).unwrap().expose(), "7~credential-secret");

        // Read at every request: a new credential takes effect.
        std::fs::write(dir.join("canvas-token"), "7~rotated").unwrap();
        assert_eq!(read(Some(&dir)).unwrap().expose(), "7~rotated");

        let unset = read(None).unwrap_err().to_string();
        assert_eq!(
            unset,
            "token credential canvas-token: $CREDENTIALS_DIRECTORY is not set (is the unit's LoadCredential= set?)"
        );
        assert_eq!(read(Some(Path::new(""))).unwrap_err().to_string(), unset);
        let relative = read(Some(Path::new("creds"))).unwrap_err().to_string();
        assert_eq!(
            relative,
            "token credential canvas-token: $CREDENTIALS_DIRECTORY is \"creds\", not an absolute path"
        );

        std::fs::write(dir.join("canvas-token"), "7~bad secret\n").unwrap();
        let bad = read(Some(&dir)).unwrap_err();
        for shown in [bad.to_string(), format!("{bad:?}")] {
            assert!(!shown.contains("secret"), "{shown}");
        }
        assert_eq!(
            bad.to_string(),
            "systemd credential canvas-token: the token has spaces, control or non-ASCII characters"
        );

        std::fs::remove_dir_all(&dir).unwrap();
        let missing = read(Some(&dir)).unwrap_err().to_string();
        let expected = format!(
            "cannot read token credential canvas-token from {}: ",
            dir.join("canvas-token").display()
        );
        assert!(missing.starts_with(&expected), "{missing}");
    }

    #[test]
    fn credential_names_are_one_path_component() {
        for good in ["canvas-token", "canvas.token", "a", "..."] {
            assert_eq!(credential_name_problem(good), None, "{good}");
        }
        for bad in ["", ".", "..", "a/b", "/etc/shadow", "../x", "a\0b"] {
            assert!(credential_name_problem(bad).is_some(), "{bad:?}");
        }
        // A source built in code with a path for a name escapes nothing.
        let source = TokenSource::Credential("../secret".into());
        let e = source
            .read_credential(
                "../secret",
                Some(OsStr::new("/run/credentials/warden.service")),
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "cannot read token credential ../secret from /run/credentials/warden.service: the credential name has a '/'"
        );
    }
}
