//! The host side of `warden:canvas/api`: the one function a job can call to
//! leave its sandbox.
//!
//! guest → `request` → parse and scope check ([`crate::request`], no I/O) →
//! token injection and HTTP ([`crate::client`]) → redaction
//! ([`crate::redact`]) → guest. Refusals are error values, never traps.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use wasmtime::component::{HasSelf, Linker};

use crate::client::{CanvasClient, CanvasResponse, SendError};
use crate::redact;
use crate::request::{self, GuestRequest, Origin, ParamLimits, Policy, Refusal};
use crate::scope::{Method, ScopeSet};
use crate::token::{Token, TokenSource};

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
    /// `[canvas.params]`: path parameters restricted to listed values.
    pub params: ParamLimits,
}

/// How the host talks to Canvas on a job's behalf.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// Largest response body handed to a job.
    pub max_response_bytes: usize,
    /// Retries of a throttled request (429, or 403 "Rate Limit Exceeded")
    /// before the job gets `throttled`.
    pub throttle_retries: u32,
    /// First wait before retrying a throttled request; doubles each time.
    pub throttle_backoff: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            max_response_bytes: 32 << 20,
            throttle_retries: 3,
            throttle_backoff: Duration::from_secs(1),
        }
    }
}

/// What became of one request a job made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Canvas answered with this status.
    Status(u16),
    Denied(String),
    Invalid(String),
    Throttled(String),
    BudgetExhausted(String),
    Unavailable(String),
}

/// One line of a run's request audit. Never holds the token.
#[derive(Debug, Clone)]
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
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallStats {
    /// HTTP requests sent to Canvas (throttle retries included).
    pub sent: u64,
    pub denied: u64,
    pub invalid: u64,
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
    stats: CallStats,
    audit: Vec<AuditEntry>,
    audit_dropped: u64,
    sink: Option<AuditSink>,
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
            stats: CallStats::default(),
            audit: Vec::new(),
            audit_dropped: 0,
            sink: None,
        }
    }

    /// Also hands every audit entry to `sink` as it happens.
    pub fn with_sink(mut self, sink: Option<AuditSink>) -> CanvasApi {
        self.sink = sink;
        self
    }

    pub fn stats(&self) -> CallStats {
        self.stats
    }

    /// The audit, and how many entries past the limit were not kept.
    pub fn take_audit(&mut self) -> (Vec<AuditEntry>, u64) {
        (std::mem::take(&mut self.audit), self.audit_dropped)
    }

    fn record(&mut self, entry: AuditEntry) {
        if let Some(sink) = &self.sink {
            sink(&entry);
        }
        if self.audit.len() < AUDIT_LIMIT {
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
        };

        let approved = match request::check(&policy, guest) {
            Ok(approved) => approved,
            Err(refusal) => {
                let (outcome, error) = match refusal {
                    Refusal::Denied(m) => {
                        self.stats.denied += 1;
                        (Outcome::Denied(m.clone()), ApiError::Denied(m))
                    }
                    Refusal::Invalid(m) => {
                        self.stats.invalid += 1;
                        (Outcome::Invalid(m.clone()), ApiError::Invalid(m))
                    }
                };
                tracing::warn!(job = %self.job, "{method} {}: refused: {}", entry.target, error_text(&error));
                entry.outcome = outcome;
                self.record(entry);
                return Err(error);
            }
        };
        entry.target = approved.path_and_query.clone();
        entry.scope = Some(approved.scope.clone());

        let result = self.send(&approved).await;
        entry.duration = started.elapsed();
        entry.outcome = match &result {
            Ok(r) => Outcome::Status(r.status),
            Err(ApiError::Throttled(m)) => Outcome::Throttled(m.clone()),
            Err(ApiError::BudgetExhausted(m)) => Outcome::BudgetExhausted(m.clone()),
            Err(ApiError::Unavailable(m)) => Outcome::Unavailable(m.clone()),
            Err(ApiError::Denied(m)) => Outcome::Denied(m.clone()),
            Err(ApiError::Invalid(m)) => Outcome::Invalid(m.clone()),
        };
        match &result {
            Ok(r) => {
                tracing::info!(job = %self.job, "{method} {} -> {} in {} ms", entry.target, r.status, entry.duration.as_millis())
            }
            Err(e) => {
                tracing::warn!(job = %self.job, "{method} {}: {}", entry.target, error_text(e))
            }
        }
        self.record(entry);
        result
    }

    /// Sends an approved request, retrying while Canvas throttles.
    async fn send(&mut self, approved: &request::Approved) -> Result<HttpResponse, ApiError> {
        let max = self.grant.max_requests;
        let budget_spent = || {
            ApiError::BudgetExhausted(format!(
                "this run has sent its {max} requests ([limits] max_requests in the manifest)"
            ))
        };
        if self.stats.sent >= max {
            return Err(budget_spent());
        }
        let token = self
            .token
            .read()
            .map_err(|e| ApiError::Unavailable(format!("the worker token cannot be read: {e}")))?;
        let mut backoff = self.policy.throttle_backoff;
        let mut retries = 0;
        loop {
            self.stats.sent += 1;
            let response = self
                .client
                .send(approved, &token, self.policy.max_response_bytes)
                .await
                .map_err(|e| unavailable(&token, e))?;
            if !is_throttled(&response) {
                return Ok(redacted(&token, response));
            }
            if retries >= self.policy.throttle_retries || self.stats.sent >= max {
                return Err(ApiError::Throttled(format!(
                    "Canvas answered {} (rate limited) {} times in a row",
                    response.status,
                    retries + 1
                )));
            }
            retries += 1;
            tracing::info!(job = %self.job, "Canvas is throttling; retrying in {} ms", backoff.as_millis());
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
    }
}

impl wit::Host for CanvasApi {
    async fn request(&mut self, req: HttpRequest) -> Result<HttpResponse, ApiError> {
        self.handle(req).await
    }
}

/// Canvas Cloud answers 429; open-source Canvas answers 403 with
/// "Rate Limit Exceeded" in the body.
fn is_throttled(r: &CanvasResponse) -> bool {
    r.status == 429
        || (r.status == 403 && memchr::memmem::find(&r.body, b"Rate Limit Exceeded").is_some())
}

fn redacted(token: &Token, r: CanvasResponse) -> HttpResponse {
    HttpResponse {
        status: r.status,
        headers: r
            .headers
            .into_iter()
            .map(|(n, v)| (n, redact::text(token, &v)))
            .collect(),
        body: redact::bytes(token, r.body),
    }
}

fn unavailable(token: &Token, e: SendError) -> ApiError {
    ApiError::Unavailable(redact::text(token, &e.to_string()))
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
        ApiError::BudgetExhausted(m) => format!("budget exhausted: {m}"),
        ApiError::Unavailable(m) => format!("unavailable: {m}"),
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
    fn throttling_is_recognised_in_both_forms() {
        let r = |status, body: &str| CanvasResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        };
        assert!(is_throttled(&r(429, "")));
        assert!(is_throttled(&r(
            403,
            "403 Forbidden (Rate Limit Exceeded)\n"
        )));
        assert!(!is_throttled(&r(
            403,
            "{\"errors\":[{\"message\":\"unauthorized\"}]}"
        )));
        assert!(!is_throttled(&r(200, "Rate Limit Exceeded")));
    }

    #[test]
    fn printable_escapes_and_truncates() {
        assert_eq!(printable("/a\r\nb"), "/a\\r\\nb");
        let long = "x".repeat(400);
        assert_eq!(printable(&long).chars().count(), 301);
    }
}
