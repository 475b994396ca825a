//! The access token of a `[canvas.oauth]` credential, kept in memory only
//! and renewed with the stored refresh token: before it expires, and once
//! when Canvas answers 401 with `WWW-Authenticate` (expired or replaced).
//!
//! Renewal is single-flight: one lock holds the slot, so concurrent runs
//! that need a token wait for the one renewal in progress and then share
//! its token. A failed renewal is remembered; until the refresh token file
//! changes (a new `warden auth login`) or [`RETRY_AFTER_FAILURE`] has
//! passed, callers get the same error without asking Canvas again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};

use super::endpoint::{self, EndpointError};
use super::settings::OAuthSettings;
use super::store;
use crate::request::Origin;
use crate::token::{Token, TokenError};

/// How long a refused renewal is not retried with the same refresh token.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// Renew when less than this much of the access token's life is left (or a
/// quarter of its life, when that is shorter).
pub const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// Access tokens issued before the current one that redaction still
/// removes (a response may echo one that was just replaced).
const KEPT_OLD_TOKENS: usize = 4;

/// What happened to the credential, for alerts and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialEvent {
    /// Renewal failed after working (or at the first try).
    Failed(String),
    /// Renewal works again after a failure.
    Recovered,
}

/// Receives [`CredentialEvent`]s; must return at once.
pub type CredentialListener = Arc<dyn Fn(CredentialEvent) + Send + Sync>;

#[derive(Clone)]
struct Access {
    token: Token,
    /// None: Canvas gave no lifetime (a token that does not expire).
    renew_at: Option<Instant>,
}

struct Failure {
    /// The refresh token that was refused (None: there was none to read).
    refresh_token: Option<Token>,
    at: Instant,
    message: String,
}

#[derive(Default)]
struct Slot {
    access: Option<Access>,
    failure: Option<Failure>,
}

/// What can be read without waiting: for redaction and status pages.
#[derive(Default)]
struct Shown {
    current: Option<Token>,
    old: Vec<Token>,
    refresh_token: Option<Token>,
    client_secret: Option<Token>,
    expires_at: Option<DateTime<Utc>>,
    failing: Option<String>,
}

struct Inner {
    settings: OAuthSettings,
    origin: Origin,
    http: OnceLock<reqwest::Client>,
    slot: tokio::sync::Mutex<Slot>,
    shown: Mutex<Shown>,
    renewals: AtomicU64,
    listener: Mutex<Option<CredentialListener>>,
}

/// A `[canvas.oauth]` credential at run time. Cheap to clone; clones share
/// the token.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl PartialEq for Session {
    fn eq(&self, other: &Session) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Session {}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session(client_id {})", self.inner.settings.client_id)
    }
}

impl Session {
    /// No I/O: the HTTP client is made at the first renewal.
    pub fn new(settings: OAuthSettings, origin: Origin) -> Session {
        Session {
            inner: Arc::new(Inner {
                settings,
                origin,
                http: OnceLock::new(),
                slot: tokio::sync::Mutex::new(Slot::default()),
                shown: Mutex::new(Shown::default()),
                renewals: AtomicU64::new(0),
                listener: Mutex::new(None),
            }),
        }
    }

    pub fn settings(&self) -> &OAuthSettings {
        &self.inner.settings
    }

    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// Tells `listener` when renewal fails and when it works again.
    pub fn set_listener(&self, listener: CredentialListener) {
        *self
            .inner
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(listener);
    }

    /// How many times this process renewed the access token.
    pub fn renewals(&self) -> u64 {
        self.inner.renewals.load(Ordering::Relaxed)
    }

    /// When the current access token expires, if there is one.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.shown().expires_at
    }

    /// Why the last renewal failed, while it is failing.
    pub fn failing(&self) -> Option<String> {
        self.shown().failing.clone()
    }

    /// Every secret of the credential this process has seen: the current
    /// and recent access tokens, the refresh token, the client secret.
    pub fn secrets(&self) -> Vec<Token> {
        let shown = self.shown();
        shown
            .current
            .iter()
            .chain(&shown.old)
            .chain(&shown.refresh_token)
            .chain(&shown.client_secret)
            .cloned()
            .collect()
    }

    fn shown(&self) -> std::sync::MutexGuard<'_, Shown> {
        self.inner
            .shown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn http(&self) -> Result<&reqwest::Client, TokenError> {
        if let Some(http) = self.inner.http.get() {
            return Ok(http);
        }
        let http = endpoint::client()
            .map_err(|e| TokenError::OAuth(format!("cannot set up the HTTP client: {e}")))?;
        Ok(self.inner.http.get_or_init(|| http))
    }

    /// A valid access token: the one in memory, or a renewed one.
    pub async fn access_token(&self) -> Result<Token, TokenError> {
        let mut slot = self.inner.slot.lock().await;
        if let Some(access) = &slot.access {
            if access.renew_at.is_none_or(|at| Instant::now() < at) {
                return Ok(access.token.clone());
            }
        }
        self.renew(&mut slot).await
    }

    /// Canvas refused `rejected` as expired or invalid: renews it, unless
    /// another run already has (then its token is returned).
    pub async fn renew_rejected(&self, rejected: &Token) -> Result<Token, TokenError> {
        let mut slot = self.inner.slot.lock().await;
        if let Some(access) = &slot.access {
            if access.token != *rejected {
                return Ok(access.token.clone());
            }
        }
        slot.access = None;
        self.renew(&mut slot).await
    }

    async fn renew(&self, slot: &mut Slot) -> Result<Token, TokenError> {
        let settings = &self.inner.settings;
        let refresh_token = match store::read_refresh_token(&settings.refresh_token_file) {
            Ok(token) => token,
            Err(e) => {
                let message = e.to_string();
                self.fail(slot, None, message.clone());
                return Err(TokenError::OAuth(message));
            }
        };
        self.shown().refresh_token = Some(refresh_token.clone());
        if let Some(failure) = &slot.failure {
            let same = failure.refresh_token.as_ref() == Some(&refresh_token);
            if same && failure.at.elapsed() < RETRY_AFTER_FAILURE {
                return Err(TokenError::OAuth(failure.message.clone()));
            }
        }
        let secret = settings.client_secret.read().map_err(|e| {
            let message = format!("cannot read the developer key's client secret: {e}");
            self.fail(slot, Some(refresh_token.clone()), message.clone());
            TokenError::OAuth(message)
        })?;
        self.shown().client_secret = Some(secret.clone());
        let started = Instant::now();
        let result = endpoint::refresh(
            self.http()?,
            &self.inner.origin,
            &settings.client_id,
            &secret,
            &refresh_token,
        )
        .await;
        match result {
            Ok(granted) => {
                self.inner.renewals.fetch_add(1, Ordering::Relaxed);
                let lifetime = granted.expires_in.map(Duration::from_secs);
                let renew_at = lifetime.map(|life| started + life - RENEW_MARGIN.min(life / 4));
                let expires_at = lifetime.map(|life| {
                    DateTime::<Utc>::from(SystemTime::now() + life - started.elapsed())
                });
                let was_failing = slot.failure.take().is_some();
                slot.access = Some(Access {
                    token: granted.access_token.clone(),
                    renew_at,
                });
                {
                    let mut shown = self.shown();
                    if let Some(old) = shown.current.replace(granted.access_token.clone()) {
                        shown.old.insert(0, old);
                        shown.old.truncate(KEPT_OLD_TOKENS);
                    }
                    shown.expires_at = expires_at;
                    shown.failing = None;
                }
                tracing::info!(
                    "renewed Warden's Canvas access token (developer key {}){}",
                    settings.client_id,
                    expires_at.map_or(String::new(), |at| format!(
                        "; it expires at {}",
                        at.format("%Y-%m-%d %H:%M:%S UTC")
                    ))
                );
                self.record_status(|s| {
                    s.access_expires_at = expires_at;
                    s.renewed_at = Some(Utc::now());
                    s.last_error = None;
                });
                if was_failing {
                    self.notify(CredentialEvent::Recovered);
                }
                Ok(granted.access_token)
            }
            Err(e) => {
                let message = renewal_error(&e);
                self.fail(slot, Some(refresh_token), message.clone());
                Err(TokenError::OAuth(message))
            }
        }
    }

    /// Remembers a failed renewal; tells the listener at the first one.
    fn fail(&self, slot: &mut Slot, refresh_token: Option<Token>, message: String) {
        let first = slot.failure.is_none();
        slot.access = None;
        slot.failure = Some(Failure {
            refresh_token,
            at: Instant::now(),
            message: message.clone(),
        });
        {
            let mut shown = self.shown();
            shown.failing = Some(message.clone());
            if let Some(old) = shown.current.take() {
                shown.old.insert(0, old);
                shown.old.truncate(KEPT_OLD_TOKENS);
            }
            shown.expires_at = None;
        }
        if first {
            tracing::error!("{message}");
            self.record_status(|s| s.last_error = Some(message.clone()));
            self.notify(CredentialEvent::Failed(message));
        }
    }

    fn notify(&self, event: CredentialEvent) {
        let listener = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(listener) = listener {
            listener(event);
        }
    }

    /// Updates the status file beside the refresh token, if there is one;
    /// a failure to write it is logged, never fatal.
    fn record_status(&self, change: impl FnOnce(&mut store::AuthStatus)) {
        let path = self.inner.settings.status_file();
        match store::read_status(&path) {
            Ok(Some(mut status)) => {
                change(&mut status);
                if let Err(e) = store::write_status(&path, &status) {
                    tracing::warn!("{e}");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

/// The message every request of the moment fails with.
fn renewal_error(e: &EndpointError) -> String {
    if e.is_refusal() {
        format!("Canvas refused to renew Warden's access token (run warden auth login): {e}")
    } else {
        format!("Warden could not renew its Canvas access token: {e}")
    }
}
