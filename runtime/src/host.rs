//! The host side of `warden:canvas/api`: the one function a job can call to
//! leave its sandbox.
//!
//! guest → `request` → parse and scope check ([`crate::request`], no I/O) →
//! in a dry run, a write stops here ([`crate::dry_run`]) → the rate-limit
//! governor ([`crate::governor`]) → token injection and HTTP
//! ([`crate::client`]), retried where [`crate::retry`] allows → redaction
//! ([`crate::redact`]) → guest. Refusals are error values, never traps.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use wasmtime::component::{HasSelf, Linker};

use crate::client::{CanvasClient, CanvasResponse, SendError};
use crate::dry_run;
use crate::governor::{Governor, Permit, Report};
use crate::redact;
use crate::request::{self, GuestRequest, Origin, ParamLimits, Policy, Refusal};
use crate::retry;
use crate::scope::{Method, ScopeSet};
use crate::token::{Token, TokenError, TokenSource};
use crate::units::{ByteSize, DurationSpec};

mod bindings {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "job",
        imports: { default: async },
    });
}

use bindings::warden::canvas::api::{
    self as wit, Error as ApiError, HttpRequest, HttpResponse, Method as WitMethod,
};

/// Adds `warden:canvas/api` to a linker whose store data holds a [`CanvasApi`].
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut CanvasApi,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, HasSelf<CanvasApi>>(linker, get)
}

/// What a job's requests may do, from its manifest and the config.
#[derive(Debug, Clone)]
pub struct Grant {
    pub origin: Origin,
    pub scopes: ScopeSet,
    pub masquerade: bool,
    pub max_requests: u64,
    /// Longest wait for one Canvas answer, from the first attempt through
    /// its retries (`[limits] request_timeout`).
    pub request_timeout: Duration,
    /// Response body bytes one run may receive, all requests together
    /// (`[limits] max_response_bytes`).
    pub max_response_bytes: u64,
    /// Writes are checked and recorded, not sent ([`crate::dry_run`]).
    pub dry_run: bool,
    /// `[canvas.params]`: path parameters restricted to listed values.
    pub params: ParamLimits,
    /// The manifest line of each scope, for denials that name a near miss.
    pub scope_lines: Vec<usize>,
    /// Answer denied requests with an empty list instead of an error (see
    /// [`crate::run::RunOptions::collect_denials`]).
    pub collect_denials: bool,
}

/// The header on the stand-in answer a denied request gets when denials
/// are collected.
pub const DENIED_COLLECTED_HEADER: &str = "x-warden-denied";

/// A denial for a request no scope allows, with the Canvas scope that
/// would and a near miss in the manifest (see [`crate::privilege::denial_hint`]).
fn with_hint(message: String, method: Method, grant: &Grant) -> String {
    let Some(rest) = message.strip_prefix(crate::request::NO_SCOPE) else {
        return message;
    };
    let Some(path) = rest.split_whitespace().nth(1) else {
        return message;
    };
    let hint = crate::privilege::denial_hint(method, path, &grant.scopes, &grant.scope_lines);
    format!("{message}{hint}")
}

/// How the host talks to Canvas on a job's behalf.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// Largest single response body handed to a job (a guard below the
    /// run's `max_response_bytes`).
    pub max_response_bytes: usize,
    /// Retries of a throttled request (429, or 403 "Rate Limit Exceeded")
    /// before the job gets `throttled`.
    pub throttle_retries: u32,
    /// First wait before retrying a throttled request; doubles each time,
    /// with jitter.
    pub throttle_backoff: Duration,
    /// Retries of a GET, HEAD, PUT or DELETE that got a 5xx or no answer
    /// (POST and PATCH are never retried for these).
    pub error_retries: u32,
    /// First wait before such a retry; doubles each time, with jitter.
    pub error_backoff: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            max_response_bytes: 32 << 20,
            throttle_retries: 3,
            throttle_backoff: Duration::from_secs(1),
            error_retries: 2,
            error_backoff: Duration::from_millis(500),
        }
    }
}

/// What became of one request a job made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Canvas answered with this status.
    Status(u16),
    /// A write in a dry run: checked, recorded, answered by the host, not
    /// sent.
    DryRun,
    Denied(String),
    Invalid(String),
    Throttled(String),
    BudgetExhausted(String),
    Unavailable(String),
    /// Sent, and Canvas answered 401 "Insufficient scopes on access token.":
    /// Warden's Canvas authorization lacks the scope.
    InsufficientScope(String),
}

/// One line of a run's request audit. Never holds the token.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: SystemTime,
    pub method: Method,
    /// The path and query sent, or for a refused request the path the job
    /// gave (control characters escaped, truncated).
    pub target: String,
    /// The scope that allowed it.
    pub scope: Option<String>,
    pub outcome: Outcome,
    pub duration: Duration,
    /// HTTP requests sent for it: 1, more when it was retried, 0 when
    /// nothing was sent (refused, dry run, budget spent).
    pub attempts: u32,
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests sent to Canvas (retries included).
    pub sent: u64,
    pub denied: u64,
    pub invalid: u64,
    /// Writes checked and recorded but not sent (dry run).
    pub dry_run: u64,
    /// Response body bytes received from Canvas.
    pub received: u64,
    /// How long the rate-limit governor held this run's requests back.
    pub held: Duration,
}

/// Receives each audit entry as it happens (the daemon writes them to the
/// run history, so a crash loses none that were made).
pub type AuditSink = Arc<dyn Fn(&AuditEntry) + Send + Sync>;

/// Most audit entries kept per run; later ones are counted, not stored.
const AUDIT_LIMIT: usize = 10_000;

/// Per-run host state for `warden:canvas/api`.
pub struct CanvasApi {
    job: String,
    grant: Arc<Grant>,
    token: TokenSource,
    client: CanvasClient,
    policy: CallPolicy,
    governor: Governor,
    stats: CallStats,
    audit: Vec<AuditEntry>,
    audit_dropped: u64,
    sink: Option<AuditSink>,
    /// The last request that failed: refused, not answered, or answered 5xx.
    last_failure: Option<String>,
}

impl CanvasApi {
    pub fn new(
        job: &str,
        grant: Arc<Grant>,
        token: TokenSource,
        client: CanvasClient,
        policy: CallPolicy,
    ) -> CanvasApi {
        CanvasApi {
            job: job.to_string(),
            grant,
            token,
            client,
            policy,
            governor: Governor::disabled(),
            stats: CallStats::default(),
            audit: Vec::new(),
            audit_dropped: 0,
            sink: None,
            last_failure: None,
        }
    }

    /// Also hands every audit entry to `sink` as it happens.
    pub fn with_sink(mut self, sink: Option<AuditSink>) -> CanvasApi {
        self.sink = sink;
        self
    }

    /// Sends through this rate-limit governor (shared with other runs).
    pub fn with_governor(mut self, governor: Governor) -> CanvasApi {
        self.governor = governor;
        self
    }

    pub fn stats(&self) -> CallStats {
        self.stats
    }

    /// The audit, and how many entries past the limit were not kept.
    pub fn take_audit(&mut self) -> (Vec<AuditEntry>, u64) {
        (std::mem::take(&mut self.audit), self.audit_dropped)
    }

    /// The last Canvas request of the run that failed (refused, not
    /// answered, or answered with a 5xx), as the history's error column
    /// tells it: `unavailable: Canvas did not answer GET … within 2s`.
    pub fn last_failure(&self) -> Option<&str> {
        self.last_failure.as_deref()
    }

    /// Hands `entry` to the sink, or keeps it for the run's report when
    /// there is none.
    fn record(&mut self, entry: AuditEntry) {
        if let Some(failure) = failure_text(&entry) {
            self.last_failure = Some(failure);
        }
        if let Some(sink) = &self.sink {
            sink(&entry);
        } else if self.audit.len() < AUDIT_LIMIT {
            self.audit.push(entry);
        } else {
            self.audit_dropped += 1;
        }
    }

    async fn handle(&mut self, req: HttpRequest) -> Result<HttpResponse, ApiError> {
        let started = Instant::now();
        let at = SystemTime::now();
        let method = from_wit(req.method);
        let shown_path = printable(&req.path);
        let guest = GuestRequest {
            method,
            path: req.path,
            query: req.query,
            headers: req.headers,
            body: req.body,
        };
        let grant = Arc::clone(&self.grant);
        let policy = Policy {
            origin: &grant.origin,
            scopes: &grant.scopes,
            masquerade: grant.masquerade,
            params: &grant.params,
        };
        let mut entry = AuditEntry {
            at,
            method,
            target: shown_path,
            scope: None,
            outcome: Outcome::Status(0),
            duration: Duration::ZERO,
            attempts: 0,
        };

        let approved = match request::check(&policy, guest) {
            Ok(approved) => approved,
            Err(refusal) => {
                let (outcome, error) = match refusal {
                    Refusal::Denied(m) => {
                        self.stats.denied += 1;
                        let m = with_hint(m, method, &grant);
                        (Outcome::Denied(m.clone()), ApiError::Denied(m))
                    }
                    Refusal::Invalid(m) => {
                        self.stats.invalid += 1;
                        (Outcome::Invalid(m.clone()), ApiError::Invalid(m))
                    }
                };
                tracing::warn!(job = %self.job, "{method} {}: refused: {}", entry.target, error_text(&error));
                let collected = grant.collect_denials && matches!(error, ApiError::Denied(_));
                entry.outcome = outcome;
                self.record(entry);
                if collected {
                    // Nothing is sent; the job goes on to its next request.
                    return Ok(HttpResponse {
                        status: 200,
                        headers: vec![
                            ("content-type".into(), "application/json".into()),
                            (DENIED_COLLECTED_HEADER.into(), "collected".into()),
                        ],
                        body: b"[]".to_vec(),
                    });
                }
                return Err(error);
            }
        };
        entry.target = approved.path_and_query.clone();
        entry.scope = Some(approved.scope.clone());

        let sent_before = self.stats.sent;
        let dry = grant.dry_run && method.is_write();
        let result = if dry {
            self.pretend(&approved)
        } else {
            self.send(&approved).await
        };
        entry.duration = started.elapsed();
        entry.attempts = self.attempts_since(sent_before);
        entry.outcome = match &result {
            Ok(_) if dry => Outcome::DryRun,
            Ok(r) => Outcome::Status(r.status),
            Err(ApiError::Throttled(m)) => Outcome::Throttled(m.clone()),
            Err(ApiError::BudgetExhausted(m)) => Outcome::BudgetExhausted(m.clone()),
            Err(ApiError::Unavailable(m)) => Outcome::Unavailable(m.clone()),
            Err(ApiError::Denied(m)) => Outcome::Denied(m.clone()),
            Err(ApiError::Invalid(m)) => Outcome::Invalid(m.clone()),
            Err(ApiError::InsufficientScope(m)) => Outcome::InsufficientScope(m.clone()),
        };
        match &result {
            Ok(_) if dry => {
                tracing::info!(job = %self.job, "{method} {}: dry run, not sent", entry.target)
            }
            Ok(r) => {
                tracing::info!(job = %self.job, "{method} {} -> {}{} in {} ms", entry.target, r.status, attempts_note(entry.attempts), entry.duration.as_millis())
            }
            // The message says how many attempts it took, where it matters.
            Err(e) => {
                tracing::warn!(job = %self.job, "{method} {}: {}", entry.target, error_text(e))
            }
        }
        self.record(entry);
        result
    }

    /// HTTP requests sent since the count was `sent_before`.
    fn attempts_since(&self, sent_before: u64) -> u32 {
        u32::try_from(self.stats.sent - sent_before).unwrap_or(u32::MAX)
    }

    /// Requests this run may still send (dry-run writes count too).
    fn budget_spent(&self) -> bool {
        self.stats.sent + self.stats.dry_run >= self.grant.max_requests
    }

    fn budget_error(&self) -> ApiError {
        ApiError::BudgetExhausted(format!(
            "this run has sent its {} requests ([limits] max_requests in the manifest)",
            self.grant.max_requests
        ))
    }

    /// A write in a dry run: counted, answered by the host, not sent.
    fn pretend(&mut self, approved: &request::Approved) -> Result<HttpResponse, ApiError> {
        if self.budget_spent() {
            return Err(self.budget_error());
        }
        self.stats.dry_run += 1;
        let r = dry_run::response(approved);
        Ok(HttpResponse {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }

    /// Sends an approved request, through the governor, retrying what may
    /// be retried, within `[limits] request_timeout` (which starts when the
    /// governor first lets it through).
    async fn send(&mut self, approved: &request::Approved) -> Result<HttpResponse, ApiError> {
        if self.budget_spent() {
            return Err(self.budget_error());
        }
        if self.stats.received >= self.grant.max_response_bytes {
            return Err(ApiError::BudgetExhausted(format!(
                "this run has received its {} of Canvas responses ([limits] max_response_bytes in the manifest)",
                ByteSize::bytes(self.grant.max_response_bytes)
            )));
        }
        let token = self.token.bearer().await.map_err(|e| match e {
            // The message says what failed and what to do.
            TokenError::OAuth(m) => ApiError::Unavailable(m),
            e => ApiError::Unavailable(format!("the worker token cannot be read: {e}")),
        })?;
        let permit = self.governor.admit().await;
        self.stats.held += permit.waited();
        let timeout = self.grant.request_timeout;
        let sent_before = self.stats.sent;
        let exchange = self.exchange(approved, token, permit, Instant::now() + timeout);
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_elapsed) => Err(ApiError::Unavailable(format!(
                "Canvas did not answer {} {} within {} ([limits] request_timeout){}",
                approved.method,
                printable(&approved.path_and_query),
                DurationSpec::from_duration(timeout),
                attempts_note(self.attempts_since(sent_before)),
            ))),
        }
    }

    /// The attempts of one request: the first with `permit`, each retry
    /// after a backoff and the governor's leave. A retry whose wait would
    /// end past `deadline` is not made: the job gets the last answer.
    ///
    /// With a `[canvas.oauth]` credential, a 401 with `WWW-Authenticate`
    /// (the access token expired or was replaced) renews the token once and
    /// sends again.
    async fn exchange(
        &mut self,
        approved: &request::Approved,
        mut token: Token,
        mut permit: Permit,
        deadline: Instant,
    ) -> Result<HttpResponse, ApiError> {
        let sent_before = self.stats.sent;
        let (mut throttled, mut errors) = (0u32, 0u32);
        let mut renewed = false;
        loop {
            self.stats.sent += 1;
            let left = self
                .grant
                .max_response_bytes
                .saturating_sub(self.stats.received);
            let guard = self.policy.max_response_bytes as u64;
            let cap = usize::try_from(left.min(guard)).unwrap_or(usize::MAX);
            let result = self.client.send(approved, &token, cap).await;
            if let (Some(session), Ok(r), false) = (self.token.oauth(), &result, renewed) {
                if crate::oauth::is_rejected_token(r.status, &r.headers) {
                    renewed = true;
                    self.stats.received += r.body.len() as u64;
                    permit.finish(Report::from_headers(&r.headers, false));
                    tracing::info!(
                        job = %self.job,
                        "{} {}: Canvas no longer takes the access token; renewing it",
                        approved.method,
                        approved.path_and_query
                    );
                    token = session
                        .renew_rejected(&token)
                        .await
                        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
                    permit = self.governor.admit().await;
                    self.stats.held += permit.waited();
                    continue;
                }
            }
            let failure = retry::classify(&result);
            let is_throttled = failure == Some(retry::Failure::Throttled);
            match &result {
                Ok(r) => {
                    self.stats.received += r.body.len() as u64;
                    permit.finish(Report::from_headers(&r.headers, is_throttled));
                }
                Err(e) => {
                    if let SendError::TooLarge { limit } = e {
                        self.stats.received += *limit as u64;
                    }
                    drop(permit);
                }
            }

            let wait = match failure {
                Some(f) if retry::may_retry(approved.method, f) => {
                    let (count, allowed, base) = if is_throttled {
                        (
                            &mut throttled,
                            self.policy.throttle_retries,
                            self.policy.throttle_backoff,
                        )
                    } else {
                        (
                            &mut errors,
                            self.policy.error_retries,
                            self.policy.error_backoff,
                        )
                    };
                    let retry = *count < allowed && !self.budget_spent();
                    retry.then(|| {
                        *count += 1;
                        let backoff = retry::backoff(base, *count, fastrand::f64());
                        let after = result
                            .as_ref()
                            .ok()
                            .and_then(|r| retry::retry_after(&r.headers));
                        backoff.max(after.unwrap_or_default())
                    })
                }
                _ => None,
            };
            let Some(wait) = wait.filter(|w| Instant::now() + *w < deadline) else {
                let attempts = self.attempts_since(sent_before);
                return self.answer(
                    approved,
                    &token,
                    result,
                    is_throttled,
                    attempts,
                    left < guard,
                );
            };
            let why = match (&result, is_throttled) {
                (Ok(r), true) => format!("Canvas is throttling ({})", r.status),
                (Ok(r), false) => format!("Canvas answered {}", r.status),
                (Err(e), _) => redact::text(&token, &e.to_string()),
            };
            tracing::info!(
                job = %self.job,
                "{} {}: {why}; retrying in {} ms",
                approved.method,
                approved.path_and_query,
                wait.as_millis()
            );
            tokio::time::sleep(wait).await;
            permit = self.governor.admit().await;
            self.stats.held += permit.waited();
        }
    }

    /// What the job gets for the last attempt of a request, the
    /// `attempts`-th.
    fn answer(
        &self,
        approved: &request::Approved,
        token: &Token,
        result: Result<CanvasResponse, SendError>,
        throttled: bool,
        attempts: u32,
        limited_by_budget: bool,
    ) -> Result<HttpResponse, ApiError> {
        match result {
            Ok(r) if throttled => Err(ApiError::Throttled(format!(
                "Canvas answered {} (rate limited){}",
                r.status,
                attempts_note(attempts)
            ))),
            Ok(r) if crate::oauth::is_insufficient_scope(r.status, &r.headers, &r.body) => {
                Err(ApiError::InsufficientScope(format!(
                    "Canvas answered 401 \"{}\" to {} {}: the manifest's scope {} allows it, but Warden's Canvas authorization does not hold that scope (add it to the developer key in Canvas, then run warden auth login)",
                    crate::oauth::INSUFFICIENT_SCOPES,
                    approved.method,
                    printable(&approved.path_and_query),
                    approved.scope,
                )))
            }
            Ok(r) => Ok(redacted(token, &self.token.secrets(), r)),
            Err(SendError::TooLarge { .. }) if limited_by_budget => {
                Err(ApiError::BudgetExhausted(format!(
                    "the answer to {} {} would take this run past its {} of Canvas responses ([limits] max_response_bytes in the manifest)",
                    approved.method,
                    printable(&approved.path_and_query),
                    ByteSize::bytes(self.grant.max_response_bytes)
                )))
            }
            Err(e) => Err(ApiError::Unavailable(format!(
                "{}{}",
                redact::text(token, &e.to_string()),
                attempts_note(attempts)
            ))),
        }
    }
}

/// What failed about a request, if anything did.
fn failure_text(entry: &AuditEntry) -> Option<String> {
    let (kind, message) = match &entry.outcome {
        Outcome::Status(status) if *status >= 500 => {
            return Some(format!(
                "{} {} answered {status}{}",
                entry.method,
                entry.target,
                attempts_note(entry.attempts)
            ))
        }
        Outcome::Status(_) | Outcome::DryRun => return None,
        Outcome::Denied(m) => ("denied", m),
        Outcome::Invalid(m) => ("invalid", m),
        Outcome::Throttled(m) => ("throttled", m),
        Outcome::BudgetExhausted(m) => ("budget-exhausted", m),
        Outcome::Unavailable(m) => ("unavailable", m),
        Outcome::InsufficientScope(m) => ("insufficient-scope", m),
    };
    Some(format!("{kind}: {message}"))
}

/// `" after N attempts"` for a request sent more than once, else nothing:
/// for messages, logs and the history's outcome column.
pub(crate) fn attempts_note(attempts: u32) -> String {
    match attempts {
        0 | 1 => String::new(),
        n => format!(" after {n} attempts"),
    }
}

impl wit::Host for CanvasApi {
    async fn request(&mut self, req: HttpRequest) -> Result<HttpResponse, ApiError> {
        self.handle(req).await
    }
}

/// The response without the token sent, nor any other secret of the
/// credential (`others`: for OAuth, the refresh token and client secret).
fn redacted(token: &Token, others: &[Token], r: CanvasResponse) -> HttpResponse {
    let mut secrets = vec![token.clone()];
    secrets.extend(others.iter().filter(|s| *s != token).cloned());
    HttpResponse {
        status: r.status,
        headers: r
            .headers
            .into_iter()
            .map(|(n, v)| (n, redact::text_all(&secrets, &v)))
            .collect(),
        body: redact::bytes_all(&secrets, r.body),
    }
}

fn from_wit(m: WitMethod) -> Method {
    match m {
        WitMethod::Get => Method::Get,
        WitMethod::Head => Method::Head,
        WitMethod::Post => Method::Post,
        WitMethod::Put => Method::Put,
        WitMethod::Patch => Method::Patch,
        WitMethod::Delete => Method::Delete,
    }
}

fn error_text(e: &ApiError) -> String {
    match e {
        ApiError::Denied(m) => format!("denied: {m}"),
        ApiError::Invalid(m) => format!("invalid: {m}"),
        ApiError::Throttled(m) => format!("throttled: {m}"),
        ApiError::BudgetExhausted(m) => format!("budget-exhausted: {m}"),
        ApiError::Unavailable(m) => format!("unavailable: {m}"),
        ApiError::InsufficientScope(m) => format!("insufficient-scope: {m}"),
    }
}

/// A guest-given path made safe for a log line: control characters escaped,
/// at most 300 characters.
fn printable(path: &str) -> String {
    let escaped: String = path.chars().flat_map(char::escape_debug).collect();
    match escaped.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_and_truncates() {
        assert_eq!(printable("/a\r\nb"), "/a\\r\\nb");
        let long = "x".repeat(400);
        assert_eq!(printable(&long).chars().count(), 301);
    }
}
