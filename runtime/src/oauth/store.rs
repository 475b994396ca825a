//! What `warden auth login` keeps on disk: the refresh token (its own file,
//! mode 0600, written atomically) and, beside it, a status file with no
//! secret in it: who authorized which scopes, and when the current access
//! token expires (updated at each renewal).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::endpoint::AuthorizedUser;
use crate::token::{Token, TokenError, TokenSource};

/// Why a stored file cannot be read or written. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot remove {path}: {reason}")]
    Remove { path: PathBuf, reason: String },
}

/// The status file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthStatus {
    /// The developer key.
    pub client_id: String,
    /// The Canvas origin the authorization belongs to.
    pub canvas: String,
    pub user: Option<AuthorizedUser>,
    /// The scopes requested and granted at the login.
    pub scopes: Vec<String>,
    pub authorized_at: DateTime<Utc>,
    /// When the access token last issued expires (None: it does not).
    pub access_expires_at: Option<DateTime<Utc>>,
    /// When Warden last renewed the access token.
    pub renewed_at: Option<DateTime<Utc>>,
    /// Why the last renewal failed, if it did (no secret in it).
    pub last_error: Option<String>,
}

/// Reads the refresh token (surrounding whitespace ignored).
pub fn read_refresh_token(path: &Path) -> Result<Token, TokenError> {
    match TokenSource::File(path.to_path_buf()).read() {
        Err(TokenError::File { path, reason }) if reason.contains("No such file") => {
            Err(TokenError::OAuth(format!(
                "no refresh token in {path}: nobody has authorized Warden yet (run warden auth login)"
            )))
        }
        other => other,
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, mode
/// 0600 from its creation, synced, then renamed over `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let fail = |e: std::io::Error| StoreError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable once the folder is synced.
        if let Ok(dir) = std::fs::File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

/// Stores a new refresh token.
pub fn write_refresh_token(path: &Path, token: &Token) -> Result<(), StoreError> {
    write_private(path, format!("{}\n", token.expose()).as_bytes())
}

/// Reads the status file; None when there is none.
pub fn read_status(path: &Path) -> Result<Option<AuthStatus>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Read {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StoreError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}

pub fn write_status(path: &Path, status: &AuthStatus) -> Result<(), StoreError> {
    let mut text = serde_json::to_string_pretty(status).expect("plain data serializes");
    text.push('\n');
    write_private(path, text.as_bytes())
}

/// Removes a file that may not exist; true when it did.
pub fn remove(path: &Path) -> Result<bool, StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::Remove {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_refresh_token_is_written_private_and_atomically() {
        let dir = std::env::temp_dir().join(format!("warden-oauth-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("state/canvas-refresh-token");
        let missing = read_refresh_token(&path).unwrap_err().to_string();
        assert!(missing.contains("run warden auth login"), "{missing}");

        write_refresh_token(&path, &Token::new("1~first").unwrap()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_refresh_token(&path).unwrap().expose(), "1~first");
        write_refresh_token(&path, &Token::new("1~second").unwrap()).unwrap();
        assert_eq!(read_refresh_token(&path).unwrap().expose(), "1~second");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.join("state"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["canvas-refresh-token"]);

        let status_path = dir.join("state/canvas-refresh-token.json");
        assert_eq!(read_status(&status_path).unwrap(), None);
        let status = AuthStatus {
            client_id: "10000000000042".into(),
            canvas: "https://school.instructure.com".into(),
            user: Some(AuthorizedUser {
                id: 1,
                name: "Warden Worker".into(),
            }),
            scopes: vec!["url:GET|/api/v1/courses/:id".into()],
            authorized_at: Utc::now(),
            access_expires_at: None,
            renewed_at: None,
            last_error: None,
        };
        write_status(&status_path, &status).unwrap();
        assert_eq!(read_status(&status_path).unwrap(), Some(status));
        assert!(remove(&status_path).unwrap());
        assert!(!remove(&status_path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
