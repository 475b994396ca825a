//! Sending one webhook's alerts, one at a time and in order, each retried
//! with a doubling backoff on no answer, 429 and 5xx.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use url::Url;

use super::endpoint::UrlSource;
use super::payload;
use super::queue::Queue;
use super::settings::Webhook;
use super::{Alert, AlertKind, Delivery, DeliverySink};
use crate::retry;
use crate::token::TokenSource;
use crate::units::DurationSpec;

/// Longest wait between two attempts (a `Retry-After` included).
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// How long the first bytes of a refusal's body are waited for (they go
/// into the delivery's detail).
const SNIPPET_WAIT: Duration = Duration::from_secs(1);
/// How much of a refusal's body is quoted.
const SNIPPET_CHARS: usize = 200;

/// What every webhook's task shares.
pub struct Shared {
    pub client: reqwest::Client,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub public_url: Option<Url>,
    /// Their current values are removed from every payload.
    pub redact: Vec<TokenSource>,
    pub sink: DeliverySink,
}

/// What one answer means for the alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Worth another attempt: no answer, 408, 429 or 5xx.
    Retry,
    /// Any other answer would be the same again.
    GiveUp,
}

/// The verdict on an HTTP status.
pub fn judge(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 429 | 500..=599 => Verdict::Retry,
        _ => Verdict::GiveUp,
    }
}

/// The wait before retry number `retry` (1 for the first): the doubled
/// backoff with jitter, or the receiver's `Retry-After` when longer, at
/// most [`MAX_WAIT`].
pub fn wait_before(
    base: Duration,
    retry: u32,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let backoff = retry::backoff(base, retry, jitter);
    backoff.max(retry_after.unwrap_or_default()).min(MAX_WAIT)
}

struct Attempt {
    verdict: Verdict,
    detail: String,
    retry_after: Option<Duration>,
}

/// One webhook's delivery task.
pub struct Worker {
    pub queue: Arc<Queue<Arc<Alert>>>,
    pub webhook: Webhook,
    pub label: String,
    pub shared: Arc<Shared>,
}

impl Worker {
    /// Delivers queued alerts until the queue closes.
    pub async fn run(self) {
        while let Some(alert) = self.queue.pop().await {
            let delivery = self.deliver(&alert).await;
            if delivery.delivered {
                tracing::info!(
                    "alert: {} alert for job {} run {} delivered to {} ({}, {} attempt(s))",
                    delivery.kind,
                    delivery.job,
                    delivery.run_id,
                    delivery.webhook,
                    delivery.detail,
                    delivery.attempts
                );
            } else {
                tracing::warn!(
                    "alert: {} alert for job {} run {} not delivered to {} after {} attempt(s): {}",
                    delivery.kind,
                    delivery.job,
                    delivery.run_id,
                    delivery.webhook,
                    delivery.attempts,
                    delivery.detail
                );
            }
            (self.shared.sink)(delivery);
            self.queue.done();
        }
    }

    async fn deliver(&self, alert: &Alert) -> Delivery {
        let mut delivery = Delivery::about(alert, &self.label);
        let source = match alert.kind {
            AlertKind::Recovery => self.webhook.recovery_url.as_ref(),
            AlertKind::Failure => None,
        }
        .unwrap_or(&self.webhook.url);
        let hook = match source.resolve() {
            Ok(hook) => hook,
            Err(e) => {
                delivery.detail = e.to_string();
                return delivery;
            }
        };
        let url = match hook.for_job(&alert.ended.job) {
            Ok(url) => url,
            Err(e) => {
                delivery.detail = e.to_string();
                return delivery;
            }
        };
        let body = Bytes::from(self.body(alert));
        let shared = &self.shared;
        for attempt in 1..=shared.retries.saturating_add(1) {
            let outcome = self.attempt(&url, &body).await;
            delivery.attempts = attempt;
            delivery.detail = hook.scrub(&url, &outcome.detail);
            match outcome.verdict {
                Verdict::Delivered => {
                    delivery.delivered = true;
                    break;
                }
                Verdict::Retry if attempt <= shared.retries => {
                    let wait = wait_before(
                        shared.backoff,
                        attempt,
                        fastrand::f64(),
                        outcome.retry_after,
                    );
                    tracing::debug!(
                        "alert: {} attempt {attempt} for run {}: {}; again in {wait:?}",
                        self.label,
                        alert.ended.run_id,
                        delivery.detail
                    );
                    tokio::time::sleep(wait).await;
                }
                Verdict::Retry | Verdict::GiveUp => break,
            }
        }
        delivery.at = Utc::now();
        delivery
    }

    /// The payload, with the current value of every secret removed.
    fn body(&self, alert: &Alert) -> Vec<u8> {
        let secrets: Vec<String> = self
            .shared
            .redact
            .iter()
            .flat_map(|source| source.secrets())
            .map(|token| token.expose().to_string())
            .collect();
        payload::body(
            alert,
            self.webhook.format,
            self.shared.public_url.as_ref(),
            &secrets,
        )
    }

    async fn attempt(&self, url: &Url, body: &Bytes) -> Attempt {
        let timeout = self.shared.timeout;
        let request = self
            .shared
            .client
            .post(url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("warden/", env!("CARGO_PKG_VERSION")))
            .body(body.clone());
        let response = match tokio::time::timeout(timeout, request.send()).await {
            Err(_) => {
                return Attempt {
                    verdict: Verdict::Retry,
                    detail: format!(
                        "no answer within {} ([alerts] timeout)",
                        DurationSpec::from_duration(timeout)
                    ),
                    retry_after: None,
                }
            }
            Ok(Err(e)) => {
                return Attempt {
                    verdict: if e.is_builder() {
                        Verdict::GiveUp
                    } else {
                        Verdict::Retry
                    },
                    detail: describe(e),
                    retry_after: None,
                }
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        let verdict = judge(status.as_u16());
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::retry_after(&[("retry-after".into(), v.into())]));
        let mut detail = status.to_string();
        if verdict != Verdict::Delivered {
            if let Some(snippet) = snippet(response).await {
                detail = format!("{detail}: {snippet}");
            }
            if status.is_redirection() {
                detail.push_str(" (redirects are not followed)");
            }
        }
        Attempt {
            verdict,
            detail,
            retry_after,
        }
    }
}

/// The start of a refusal's body, on one line (Slack says why:
/// `invalid_payload`, `no_service`).
async fn snippet(mut response: reqwest::Response) -> Option<String> {
    let chunk = tokio::time::timeout(SNIPPET_WAIT, response.chunk())
        .await
        .ok()?
        .ok()??;
    let text = String::from_utf8_lossy(&chunk[..chunk.len().min(4 * SNIPPET_CHARS)]);
    let line: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    (!line.is_empty()).then(|| payload::cap(&line, SNIPPET_CHARS))
}

/// A transport error with its causes, without the URL.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

impl Delivery {
    /// A delivery of `alert` to `webhook` that has not happened (yet).
    pub(super) fn about(alert: &Alert, webhook: &str) -> Delivery {
        Delivery {
            at: Utc::now(),
            webhook: webhook.to_string(),
            job: alert.ended.job.clone(),
            run_id: alert.ended.run_id.clone(),
            kind: alert.kind.as_str(),
            delivered: false,
            attempts: 0,
            detail: String::new(),
        }
    }
}

/// The label of a webhook: its name, else its URL's label (a file's URL
/// as it reads now, or the file's path).
pub fn label(webhook: &Webhook) -> String {
    if let Some(name) = &webhook.name {
        return name.clone();
    }
    match &webhook.url {
        UrlSource::Inline(url) => url.label().to_string(),
        UrlSource::File(path) => webhook
            .url
            .resolve()
            .map(|url| url.label().to_string())
            .unwrap_or_else(|_| format!("webhook file {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_delivers_throttling_and_server_errors_retry_the_rest_give_up() {
        for ok in [200, 201, 202, 204] {
            assert_eq!(judge(ok), Verdict::Delivered, "{ok}");
        }
        for again in [408, 429, 500, 502, 503, 504] {
            assert_eq!(judge(again), Verdict::Retry, "{again}");
        }
        for never in [301, 302, 400, 401, 403, 404, 410, 413, 422] {
            assert_eq!(judge(never), Verdict::GiveUp, "{never}");
        }
    }

    #[test]
    fn waits_double_honour_retry_after_and_stay_under_a_minute() {
        let base = Duration::from_secs(1);
        assert_eq!(wait_before(base, 1, 1.0, None), Duration::from_secs(1));
        assert_eq!(wait_before(base, 2, 1.0, None), Duration::from_secs(2));
        assert_eq!(wait_before(base, 3, 0.0, None), Duration::from_secs(2));
        assert_eq!(wait_before(base, 10, 1.0, None), MAX_WAIT);
        assert_eq!(
            wait_before(base, 1, 1.0, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        assert_eq!(
            wait_before(base, 1, 1.0, Some(Duration::from_secs(3600))),
            MAX_WAIT
        );
    }
}
