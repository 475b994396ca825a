//! Who may use the dashboard, and proof that a form was sent from it.
//!
//! With an admin token (`admin_token_file`), every page but the login form,
//! the static files and the health checks needs a session: the login form
//! takes the token (compared in constant time) and sets an `HttpOnly`,
//! `SameSite=Strict` cookie naming a session held in memory. Without one
//! (loopback only), there are no sessions.
//!
//! Every POST needs two proofs that it came from a dashboard page: the
//! browser's `Sec-Fetch-Site` (or, from browsers that lack it, `Origin`)
//! says same-origin, and the form carries the session's CSRF token (the
//! process's own when there are no sessions), which another site cannot
//! read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "warden_session";
/// How long a session lasts without use.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Fewest characters an admin token may have.
pub const MIN_TOKEN_LEN: usize = 16;
/// Most sessions held at once; the oldest goes first.
const MAX_SESSIONS: usize = 1000;

/// A random value for a session id or a CSRF token: 32 bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time that depends on neither (their SHA-256
/// digests are compared, so not even their lengths leak).
pub fn same_secret(given: &str, expected: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.ct_eq(&b).into()
}

struct Session {
    csrf: String,
    used: Instant,
}

/// A request's session, when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub id: String,
    pub csrf: String,
}

/// The dashboard's admin token and sessions.
pub struct Auth {
    /// `None`: no login (the dashboard listens on loopback only).
    admin: Option<String>,
    sessions: Mutex<HashMap<String, Session>>,
    /// The CSRF token of forms when there are no sessions, and of the
    /// login form.
    open_csrf: String,
}

impl Auth {
    pub fn new(admin: Option<String>) -> Auth {
        Auth {
            admin,
            sessions: Mutex::new(HashMap::new()),
            open_csrf: random_token(),
        }
    }

    /// Whether pages need a login.
    pub fn required(&self) -> bool {
        self.admin.is_some()
    }

    /// Whether `given` is the admin token.
    pub fn is_admin_token(&self, given: &str) -> bool {
        match &self.admin {
            Some(token) => same_secret(given.trim(), token),
            None => false,
        }
    }

    /// Starts a session.
    pub fn login(&self) -> Login {
        let login = Login {
            id: random_token(),
            csrf: random_token(),
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| now.duration_since(s.used) < SESSION_TTL);
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(id, _)| id.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            login.id.clone(),
            Session {
                csrf: login.csrf.clone(),
                used: now,
            },
        );
        login
    }

    pub fn logout(&self, id: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The live session the request's cookie names, if any (and keeps it
    /// alive).
    pub fn session(&self, headers: &HeaderMap) -> Option<Login> {
        let id = cookie(headers, COOKIE)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Looked up by a digest comparison would be overkill: the map's
        // lookup leaks nothing useful about 256-bit random ids.
        let session = sessions.get_mut(id)?;
        if now.duration_since(session.used) >= SESSION_TTL {
            sessions.remove(id);
            return None;
        }
        session.used = now;
        Some(Login {
            id: id.to_string(),
            csrf: session.csrf.clone(),
        })
    }

    /// The CSRF token forms carry for this request's viewer.
    pub fn csrf(&self, login: Option<&Login>) -> String {
        match login {
            Some(login) => login.csrf.clone(),
            None => self.open_csrf.clone(),
        }
    }

    /// The CSRF token of the login form.
    pub fn login_csrf(&self) -> &str {
        &self.open_csrf
    }

    /// Whether a POST carries the CSRF proof for `login` (or for the
    /// login form, when `login` is `None` and there are no sessions).
    pub fn check_csrf(
        &self,
        headers: &HeaderMap,
        login: Option<&Login>,
        form_token: &str,
    ) -> Result<(), &'static str> {
        same_origin(headers)?;
        let expected = self.csrf(login);
        if form_token.is_empty() || !same_secret(form_token, &expected) {
            return Err("the form's CSRF token is missing or stale; reload the page and try again");
        }
        Ok(())
    }
}

/// Whether the browser says the request came from this site.
/// `Sec-Fetch-Site` decides when present; else `Origin` must name the
/// `Host`. A request with neither is not from a browser page of another
/// site (browsers send `Origin` on every cross-site POST), and the CSRF
/// token still has to match.
pub fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ => Err("the request came from another site (Sec-Fetch-Site)"),
        };
    }
    if let Some(origin) = headers.get(http::header::ORIGIN) {
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let origin = origin.to_str().unwrap_or("");
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        if host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
            return Err("the request came from another site (Origin)");
        }
    }
    Ok(())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(login: &Login, secure: bool) -> String {
    format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        login.id,
        SESSION_TTL.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session.
pub fn expired_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn secrets_compare_by_value_only() {
        assert!(same_secret(
            "correct horse battery",
            "correct horse battery"
        ));
        assert!(!same_secret(
            "correct horse batterz",
            "correct horse battery"
        ));
        assert!(!same_secret("", "correct horse battery"));
        assert!(!same_secret(
            "correct horse battery staple",
            "correct horse battery"
        ));
    }

    #[test]
    fn random_tokens_are_long_and_differ() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn sessions_start_are_found_by_cookie_and_end() {
        let auth = Auth::new(Some("an admin token of some length".into()));
        assert!(auth.required());
        assert!(auth.is_admin_token("an admin token of some length\n"));
        assert!(!auth.is_admin_token("an admin token of some lengtH"));
        let login = auth.login();
        let cookie = format!("other=1; {COOKIE}={}", login.id);
        let found = auth.session(&headers(&[("cookie", &cookie)])).unwrap();
        assert_eq!(found, login);
        assert_eq!(
            auth.session(&headers(&[("cookie", "warden_session=nope")])),
            None
        );
        auth.logout(&login.id);
        assert_eq!(auth.session(&headers(&[("cookie", &cookie)])), None);
    }

    #[test]
    fn without_an_admin_token_nobody_logs_in() {
        let auth = Auth::new(None);
        assert!(!auth.required());
        assert!(!auth.is_admin_token(""));
    }

    #[test]
    fn csrf_needs_the_token_and_a_same_site_request() {
        let auth = Auth::new(None);
        let token = auth.csrf(None);
        let same = headers(&[("sec-fetch-site", "same-origin")]);
        assert_eq!(auth.check_csrf(&same, None, &token), Ok(()));
        assert!(auth.check_csrf(&same, None, "").is_err());
        assert!(auth.check_csrf(&same, None, "0123").is_err());
        let cross = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(auth.check_csrf(&cross, None, &token).is_err());
        let same_site = headers(&[("sec-fetch-site", "same-site")]);
        assert!(auth.check_csrf(&same_site, None, &token).is_err());
        // Browsers without Sec-Fetch-Site: Origin must be the host.
        let origin_ok = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert_eq!(auth.check_csrf(&origin_ok, None, &token), Ok(()));
        let origin_bad = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(auth.check_csrf(&origin_bad, None, &token).is_err());
        let origin_null = headers(&[("origin", "null"), ("host", "127.0.0.1:8080")]);
        assert!(auth.check_csrf(&origin_null, None, &token).is_err());
        // A session's forms carry the session's token, not the open one.
        let auth = Auth::new(Some("an admin token of some length".into()));
        let login = auth.login();
        assert!(auth.check_csrf(&same, Some(&login), &login.csrf).is_ok());
        assert!(auth
            .check_csrf(&same, Some(&login), auth.login_csrf())
            .is_err());
    }

    #[test]
    fn cookies_are_strict_and_http_only() {
        let login = Login {
            id: "abc".into(),
            csrf: "x".into(),
        };
        let c = session_cookie(&login, true);
        assert!(c.starts_with("warden_session=abc;"));
        for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!session_cookie(&login, false).contains("Secure"));
        assert!(expired_cookie().contains("Max-Age=0"));
    }
}
