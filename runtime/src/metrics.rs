//! `/metrics`: Warden's counters and gauges in the Prometheus (OpenMetrics)
//! text format, written with `prometheus-client`.
//!
//! Counters are kept as the daemon goes ([`Metrics`] is a daemon
//! [`Observer`]); the per-job gauges (next firing, running, suspended) are
//! read from a daemon [`Snapshot`] at each scrape. Labels are bounded: job
//! names, statuses, triggers, methods and status classes, never a run id or
//! a path.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::daemon::{Observer, RunEnded, Snapshot};
use crate::governor::Governor;
use crate::host::{AuditEntry, Outcome};
use crate::run::RunStatus;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the run-duration histogram, in seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabel {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    job: String,
    status: String,
    trigger: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    job: String,
    method: String,
    status_class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    job: String,
    kind: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of a `warden serve`.
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    duration: Family<JobLabel, Histogram, fn() -> Histogram>,
    last_success: Family<JobLabel, FloatGauge>,
    next_run: Family<JobLabel, FloatGauge>,
    interval: Family<JobLabel, FloatGauge>,
    running: Family<JobLabel, Gauge>,
    suspended: Family<JobLabel, Gauge>,
    requests: Family<RequestLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    held: Family<JobLabel, Counter<f64, AtomicU64>>,
    remaining: FloatGauge,
    missed: Family<JobLabel, Counter>,
    history_writable: Gauge,
    /// Scrapes set the gauges and encode under this lock, one at a time.
    scrape: Mutex<()>,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

fn job(name: &str) -> JobLabel {
    JobLabel {
        job: name.to_string(),
    }
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Fresh metrics; [`Metrics::seed_last_successes`] fills in what the
    /// history knows.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let runs = Family::<RunLabels, Counter>::default();
        registry.register(
            "warden_job_runs",
            "Runs that ended, by job, status and trigger (skipped firings included)",
            runs.clone(),
        );
        let duration: Family<JobLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        registry.register_with_unit(
            "warden_job_run_duration",
            "How long runs took, from start to end",
            Unit::Seconds,
            duration.clone(),
        );
        let last_success = Family::<JobLabel, FloatGauge>::default();
        registry.register_with_unit(
            "warden_job_last_success_timestamp",
            "When the job's last successful run ended (Unix time)",
            Unit::Seconds,
            last_success.clone(),
        );
        let next_run = Family::<JobLabel, FloatGauge>::default();
        registry.register_with_unit(
            "warden_job_next_run_timestamp",
            "When the job fires next (Unix time); absent when it will not",
            Unit::Seconds,
            next_run.clone(),
        );
        let interval = Family::<JobLabel, FloatGauge>::default();
        registry.register_with_unit(
            "warden_job_interval",
            "The time between the job's next two firings (for alerts on a job not succeeding for N intervals)",
            Unit::Seconds,
            interval.clone(),
        );
        let running = Family::<JobLabel, Gauge>::default();
        registry.register(
            "warden_job_running",
            "Runs of the job going now",
            running.clone(),
        );
        let suspended = Family::<JobLabel, Gauge>::default();
        registry.register(
            "warden_job_suspended",
            "1 when the job is suspended (in its manifest or from the dashboard)",
            suspended.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "warden_canvas_requests",
            "Canvas requests answered (or failed without an answer: status_class \"none\"), by job, method and status class",
            requests.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "warden_canvas_refusals",
            "Requests of jobs the host refused: kind \"denied\" (no scope allows it) or \"invalid\" (malformed or forbidden)",
            refusals.clone(),
        );
        let held = Family::<JobLabel, Counter<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "warden_throttle_hold",
            "Time the rate-limit governor held the job's requests back",
            Unit::Seconds,
            held.clone(),
        );
        let remaining = FloatGauge::default();
        registry.register(
            "warden_canvas_rate_limit_remaining",
            "The latest X-Rate-Limit-Remaining Canvas sent",
            remaining.clone(),
        );
        let missed = Family::<JobLabel, Counter>::default();
        registry.register(
            "warden_firings_missed",
            "Firings that did not run because the run history could not be written",
            missed.clone(),
        );
        let history_writable = Gauge::default();
        registry.register(
            "warden_history_writable",
            "1 while the run history takes writes",
            history_writable.clone(),
        );
        registry.register(
            "warden_build",
            "The Warden build",
            Info::new(vec![(
                "version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            )]),
        );
        Metrics {
            registry,
            runs,
            duration,
            last_success,
            next_run,
            interval,
            running,
            suspended,
            requests,
            refusals,
            held,
            remaining,
            missed,
            history_writable,
            scrape: Mutex::new(()),
        }
    }

    /// Sets `warden_job_last_success_timestamp_seconds` from the history
    /// (where no run since told a newer one).
    pub fn seed_last_successes(&self, last_successes: &HashMap<String, DateTime<Utc>>) {
        for (name, at) in last_successes {
            let gauge = self.last_success.get_or_create(&job(name));
            if gauge.get() < seconds(*at) {
                gauge.set(seconds(*at));
            }
        }
    }

    /// The exposition, with the gauges read from `snapshot` and `governor`.
    pub fn render(&self, snapshot: &Snapshot, governor: &Governor) -> String {
        let _one_at_a_time = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.next_run.clear();
        self.interval.clear();
        self.running.clear();
        self.suspended.clear();
        for view in &snapshot.jobs {
            let label = job(view.name());
            if let Some(next) = view.next {
                self.next_run.get_or_create(&label).set(seconds(next));
                let m = &view.def.manifest;
                let after = m
                    .schedule
                    .as_ref()
                    .and_then(|s| s.next_after(next, m.timezone));
                if let Some(after) = after {
                    let gap = (after - next).num_milliseconds() as f64 / 1000.0;
                    self.interval.get_or_create(&label).set(gap);
                }
            }
            self.running
                .get_or_create(&label)
                .set(i64::try_from(view.running.len()).unwrap_or(i64::MAX));
            self.suspended
                .get_or_create(&label)
                .set(i64::from(view.is_suspended()));
        }
        if let Some(remaining) = governor.last_remaining() {
            self.remaining.set(remaining);
        }
        self.history_writable.set(i64::from(snapshot.writable));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String does not fail");
        text
    }
}

/// `2xx`, `4xx`, … for a status; `none` when Canvas did not answer.
fn status_class(outcome: &Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Status(s) => Some(match s {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        }),
        Outcome::Unavailable(_) | Outcome::Throttled(_) => Some("none"),
        Outcome::InsufficientScope(_) => Some("4xx"),
        Outcome::DryRun
        | Outcome::Denied(_)
        | Outcome::Invalid(_)
        | Outcome::BudgetExhausted(_) => None,
    }
}

impl Observer for Metrics {
    fn run_ended(&self, ended: &RunEnded) {
        self.runs
            .get_or_create(&RunLabels {
                job: ended.job.clone(),
                status: ended.status.as_str().to_string(),
                trigger: ended.trigger.as_str().to_string(),
            })
            .inc();
        let label = job(&ended.job);
        if ended.status != RunStatus::Skipped {
            let took = (ended.ended_at - ended.started_at)
                .num_milliseconds()
                .max(0) as f64;
            self.duration.get_or_create(&label).observe(took / 1000.0);
        }
        if ended.status == RunStatus::Succeeded {
            self.last_success
                .get_or_create(&label)
                .set(seconds(ended.ended_at));
        }
        if !ended.held.is_zero() {
            self.held
                .get_or_create(&label)
                .inc_by(ended.held.as_secs_f64());
        }
    }

    fn request(&self, job: &str, entry: &AuditEntry) {
        let kind = match &entry.outcome {
            Outcome::Denied(_) => Some("denied"),
            Outcome::Invalid(_) => Some("invalid"),
            _ => None,
        };
        if let Some(kind) = kind {
            self.refusals
                .get_or_create(&RefusalLabels {
                    job: job.to_string(),
                    kind: kind.to_string(),
                })
                .inc();
        }
        if let Some(class) = status_class(&entry.outcome) {
            self.requests
                .get_or_create(&RequestLabels {
                    job: job.to_string(),
                    method: entry.method.as_str().to_string(),
                    status_class: class.to_string(),
                })
                .inc();
        }
    }

    fn firing_missed(&self, name: &str) {
        self.missed.get_or_create(&job(name)).inc();
    }
}
