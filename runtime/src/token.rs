//! The worker token: where it comes from, and a type that never prints it.
//!
//! The token is read each time a request is made (a rotated token file takes
//! effect without a restart). Only [`Token::expose`] yields the secret, and
//! only the HTTP layer (to set `Authorization`) and the redactor call it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// A token held in memory.
    Fixed(Token),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "Env({name:?})"),
            TokenSource::File(path) => write!(f, "File({path:?})"),
            TokenSource::Fixed(_) => write!(f, "Fixed({REDACTED})"),
        }
    }
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "environment variable {name}"),
            TokenSource::File(path) => write!(f, "token file {}", path.display()),
            TokenSource::Fixed(_) => f.write_str("built-in token"),
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
    #[error("{source_name}: {error}")]
    In {
        source_name: String,
        error: Box<TokenError>,
    },
}

impl TokenSource {
    /// Reads the token now.
    pub fn read(&self) -> Result<Token, TokenError> {
        match self {
            TokenSource::Fixed(token) => Ok(token.clone()),
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
        }
    }

    fn context(&self, error: TokenError) -> TokenError {
        TokenError::In {
            source_name: self.to_string(),
            error: Box::new(error),
        }
    }
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
}
