//! Failure alerts: a JSON POST to each configured webhook when a run
//! fails, times out, is killed for memory or is interrupted, and (with
//! `recovery`) when a job succeeds again after a failure alert.
//!
//! The daemon calls [`Alerter::run_ended`] when a run's end is recorded:
//! in the run task, right after `HistoryWriter::finish_run`. (The runs
//! `History::mark_interrupted` finds at start belong there too, once it
//! returns them rather than a count.) That call never waits:
//! it decides (pure code, no I/O), and queues the alert for each webhook.
//! Each webhook has a task of its own that sends its alerts in order, each
//! retried on no answer, 408, 429 and 5xx with a doubling backoff, so an
//! unreachable or slow webhook delays only its own alerts. A queue holds at
//! most [`AlertSettings::queue`] alerts (1000); when full, the oldest is
//! dropped and reported. Every outcome (delivered or not, dropped) goes to
//! the [`DeliverySink`], for the admin activity log, and to the log.
//!
//! Secrets: webhook URLs are credentials, so only their label
//! (`https://hooks.slack.com/…`) or configured name is ever logged or
//! reported; the payload has the current value of each redacted token
//! source (the Canvas token) replaced with `[REDACTED]`, although the host
//! never puts the token into a run's error.

mod decide;
mod deliver;
mod endpoint;
mod payload;
mod queue;
mod settings;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::history::Trigger;
use crate::run::RunStatus;
use crate::token::TokenSource;
use deliver::{Shared, Worker};
use queue::Queue;

pub use decide::{is_alerting, AlertKind};
pub use endpoint::{UrlSource, WebhookFileError, WebhookUrl, WebhookUrlError, JOB_PLACEHOLDER};
pub use payload::{run_url, MAX_ERROR_CHARS};
pub(crate) use settings::{parse as parse_settings, RawAlerts};
pub use settings::{AlertSettings, Format, Webhook, MAX_RETRIES};

/// A run that ended, as the daemon recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnded {
    pub job: String,
    pub run_id: String,
    pub status: RunStatus,
    pub trigger: Trigger,
    /// Why it failed (the history's `error`).
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

/// The outcome of one alert to one webhook, for the activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// When it was delivered, given up or dropped.
    pub at: DateTime<Utc>,
    /// The webhook's name, or `scheme://host/…`: never the secret URL.
    pub webhook: String,
    pub job: String,
    pub run_id: String,
    /// `"failure"` or `"recovery"`.
    pub kind: &'static str,
    pub delivered: bool,
    /// HTTP attempts made (0: none, e.g. dropped from a full queue).
    pub attempts: u32,
    /// `"200 OK"`, or why it was not delivered.
    pub detail: String,
}

/// Receives every [`Delivery`]. Called from the delivery tasks, and from
/// [`Alerter::run_ended`] for an alert a full queue drops, so it must
/// return at once (hand the delivery to a channel or a writer thread).
pub type DeliverySink = Arc<dyn Fn(Delivery) + Send + Sync>;

/// Why alerts cannot be sent at all.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    #[error("alerts need a tokio runtime to run their delivery tasks in")]
    NoRuntime,
    #[error("cannot set up the HTTP client for alerts: {0}")]
    Client(String),
}

/// An alert waiting for a webhook.
#[derive(Debug)]
struct Alert {
    kind: AlertKind,
    ended: RunEnded,
}

/// One webhook as `run_ended` sees it.
struct Route {
    queue: Arc<Queue<Arc<Alert>>>,
    label: String,
    recovery: bool,
}

struct Inner {
    failing: Mutex<decide::Failing>,
    routes: Vec<Route>,
    sink: DeliverySink,
}

impl Drop for Inner {
    /// The last handle gone: each task ends once its queue is empty.
    fn drop(&mut self) {
        for route in &self.routes {
            route.queue.close();
        }
    }
}

/// Decides and sends alerts. Cheap to clone; the delivery tasks end when
/// the last clone is dropped and their queues are empty.
#[derive(Clone)]
pub struct Alerter {
    inner: Arc<Inner>,
}

impl Alerter {
    /// Spawns one delivery task per webhook on the current tokio runtime.
    /// `public_url` (the dashboard's) makes each alert link to its run's
    /// page; the current value of each source in `redact` is removed from
    /// every payload; `sink` gets every outcome.
    pub fn spawn(
        settings: AlertSettings,
        public_url: Option<Url>,
        redact: Vec<TokenSource>,
        sink: DeliverySink,
    ) -> Result<Alerter, AlertsError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| AlertsError::NoRuntime)?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // As for Canvas: sent directly, never through a proxy the
            // environment names, which would see the secret URL.
            .no_proxy()
            .build()
            .map_err(|e| AlertsError::Client(e.to_string()))?;
        let shared = Arc::new(Shared {
            client,
            timeout: settings.timeout,
            retries: settings.retries,
            backoff: settings.backoff,
            public_url,
            redact,
            sink: Arc::clone(&sink),
        });
        let routes = settings
            .webhooks
            .into_iter()
            .map(|webhook| {
                let queue = Arc::new(Queue::new(settings.queue));
                let label = deliver::label(&webhook);
                let route = Route {
                    queue: Arc::clone(&queue),
                    label: label.clone(),
                    recovery: webhook.recovery,
                };
                runtime.spawn(
                    Worker {
                        queue,
                        webhook,
                        label,
                        shared: Arc::clone(&shared),
                    }
                    .run(),
                );
                route
            })
            .collect();
        Ok(Alerter {
            inner: Arc::new(Inner {
                failing: Mutex::new(decide::Failing::default()),
                routes,
                sink,
            }),
        })
    }

    /// Decides whether this end deserves an alert (failed, timed-out,
    /// killed-for-memory, interrupted: a failure alert; succeeded after a
    /// failure alert about the same job: a recovery alert, to the webhooks
    /// with `recovery`; cancelled, skipped: none) and queues it. Never
    /// waits and does no I/O.
    pub fn run_ended(&self, ended: RunEnded) {
        let kind = self
            .inner
            .failing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .decide(&ended.job, ended.status);
        let Some(kind) = kind else { return };
        let alert = Arc::new(Alert { kind, ended });
        for route in &self.inner.routes {
            if kind == AlertKind::Recovery && !route.recovery {
                continue;
            }
            if let Some(dropped) = route.queue.push(Arc::clone(&alert)) {
                let mut delivery = Delivery::about(&dropped, &route.label);
                delivery.detail = format!(
                    "dropped: {} newer alerts were waiting for this webhook",
                    route.queue.bound()
                );
                tracing::warn!(
                    "alert: {} alert for job {} run {} to {} {}",
                    delivery.kind,
                    delivery.job,
                    delivery.run_id,
                    delivery.webhook,
                    delivery.detail
                );
                (self.inner.sink)(delivery);
            }
        }
    }

    /// Alerts queued or being sent, over all webhooks.
    pub fn pending(&self) -> usize {
        self.inner.routes.iter().map(|r| r.queue.pending()).sum()
    }

    /// For shutdown: waits up to `within` for every queued alert to be
    /// delivered or given up. What is still queued then is reported to the
    /// sink as not delivered (an alert being sent may still finish).
    pub async fn flush(&self, within: Duration) {
        let all = async {
            for route in &self.inner.routes {
                route.queue.drained().await;
            }
        };
        if tokio::time::timeout(within, all).await.is_ok() {
            return;
        }
        for route in &self.inner.routes {
            let queued = route.queue.take_all();
            let sending = route.queue.pending();
            if queued.is_empty() && sending == 0 {
                continue;
            }
            tracing::warn!(
                "alert: Warden is stopping: {} queued alert(s) to {} not sent, {sending} still being sent",
                queued.len(),
                route.label
            );
            for alert in queued {
                let mut delivery = Delivery::about(&alert, &route.label);
                delivery.detail = "not sent: Warden stopped first".into();
                (self.inner.sink)(delivery);
            }
        }
    }
}
