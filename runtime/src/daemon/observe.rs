//! What the daemon tells the metrics and the alerts as it goes: runs that
//! start and end, each Canvas request, firings that did not run.
//!
//! Observers are called on the daemon's and the runs' tasks, so they must
//! return at once: count, or queue for a task of their own.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use crate::alerts::Alerter;
use crate::history::{Activity, HistoryWriter, Trigger};
use crate::host::AuditEntry;
use crate::run::RunStatus;

/// A run that ended (or a firing that ended as a `skipped` row).
#[derive(Debug, Clone)]
pub struct RunEnded {
    pub job: String,
    pub run_id: String,
    pub trigger: Trigger,
    pub status: RunStatus,
    pub error: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// How long the rate-limit governor held its requests back.
    pub held: std::time::Duration,
}

/// Receives the daemon's events. Every method has a default that ignores
/// the event.
pub trait Observer: Send + Sync {
    /// A run's start row is stored and its job is starting.
    fn run_started(&self, _job: &str, _run_id: &str, _trigger: Trigger) {}
    /// A run ended and its end is queued for the history.
    fn run_ended(&self, _ended: &RunEnded) {}
    /// One Canvas request of a run of `job`, as audited.
    fn request(&self, _job: &str, _entry: &AuditEntry) {}
    /// A firing of `job` did not run because the history could not be
    /// written.
    fn firing_missed(&self, _job: &str) {}
}

/// Every observer of a daemon.
#[derive(Clone, Default)]
pub struct Observers(Vec<Arc<dyn Observer>>);

impl Observers {
    pub fn new() -> Observers {
        Observers::default()
    }

    pub fn with(mut self, observer: Arc<dyn Observer>) -> Observers {
        self.0.push(observer);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn run_started(&self, job: &str, run_id: &str, trigger: Trigger) {
        for o in &self.0 {
            o.run_started(job, run_id, trigger);
        }
    }

    pub(super) fn run_ended(&self, ended: &RunEnded) {
        for o in &self.0 {
            o.run_ended(ended);
        }
    }

    pub(super) fn request(&self, job: &str, entry: &AuditEntry) {
        for o in &self.0 {
            o.request(job, entry);
        }
    }

    pub(super) fn firing_missed(&self, job: &str) {
        for o in &self.0 {
            o.firing_missed(job);
        }
    }
}

/// The admin activity log, for those outside the daemon's task that add to
/// it (logins, alert deliveries). Closed at shutdown, before the history's
/// writer finishes; what comes later is logged, not stored.
#[derive(Clone)]
pub struct ActivityLog(Arc<Mutex<Option<HistoryWriter>>>);

impl ActivityLog {
    pub(super) fn new(writer: HistoryWriter) -> ActivityLog {
        ActivityLog(Arc::new(Mutex::new(Some(writer))))
    }

    /// Queues an entry for the history.
    pub fn record(&self, entry: Activity) {
        match &*self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(writer) => writer.record_activity(entry),
            None => tracing::info!(
                "activity after shutdown, not stored: {} {}: {}",
                entry.actor,
                entry.action,
                entry.outcome
            ),
        }
    }

    pub(super) fn close(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}

/// Hands the ends of runs to the `[alerts]` webhooks.
pub(super) struct AlertObserver(pub Alerter);

impl Observer for AlertObserver {
    fn run_ended(&self, ended: &RunEnded) {
        self.0.run_ended(crate::alerts::RunEnded {
            job: ended.job.clone(),
            run_id: ended.run_id.clone(),
            status: ended.status,
            trigger: ended.trigger,
            error: ended.error.clone(),
            started_at: ended.started_at,
            ended_at: ended.ended_at,
        });
    }
}

/// An alert delivery as an activity log entry.
pub(super) fn delivery_activity(d: crate::alerts::Delivery) -> Activity {
    let outcome = if d.delivered {
        format!(
            "{} alert delivered to {} ({}, {} attempt(s))",
            d.kind, d.webhook, d.detail, d.attempts
        )
    } else {
        format!(
            "{} alert NOT delivered to {}: {} ({} attempt(s))",
            d.kind, d.webhook, d.detail, d.attempts
        )
    };
    let mut entry = Activity::new(d.at, "alerts", "alert", &outcome).job(&d.job);
    if !d.run_id.is_empty() {
        entry = entry.run(&d.run_id);
    }
    entry
}
