//! `warden serve`: fires jobs on their schedules, applies their concurrency,
//! catch-up, jitter and retry policies, records every run and request in the
//! history, reloads changed files, and shuts down gracefully.
//!
//! One task owns all scheduling state and never waits on the disk: files
//! are checked and jobs loaded on a blocking thread, history writes go to a
//! writer thread, and each run is a task of its own that reports back when
//! it ends. Scheduling time comes from a [`Clock`], so tests can move it;
//! deadlines inside runs and the shutdown grace are real time.

mod control;
mod jobs;
mod launch;
mod observe;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::alerts::Alerter;
use crate::clock::Clock;
use crate::config::Config;
use crate::history::{
    History, HistoryError, HistoryWriter, Retention, Suspension, Trigger, WriterHealth,
    WriterThread,
};
use crate::manifest::{CatchUp, Concurrency};
use crate::run::Runner;
use crate::scheduler::{decide_due, Decision};

use control::Request;
pub use control::{Control, ControlError, JobView, Snapshot};
pub use jobs::JobDef;
use jobs::{Changes, Table};
use launch::{Done, Ended, Launch};
use observe::{delivery_activity, AlertObserver};
pub use observe::{ActivityLog, Observer, Observers, RunEnded};

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("{config}: `warden serve` needs a run history: add `state = \"warden.db\"` (a path, relative to the config)")]
    NoState { config: String },
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("{0}")]
    Setup(String),
}

/// How long the history keeps runs is checked this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// A firing waiting for its time: after jitter, or a retry after backoff.
#[derive(Debug, Clone, Copy)]
struct Pending {
    at: DateTime<Utc>,
    scheduled: DateTime<Utc>,
    attempt: u32,
    trigger: Trigger,
}

/// Scheduling state of one job (by manifest path).
struct Slot {
    def: Arc<JobDef>,
    /// Firings up to here are accounted for.
    cursor: DateTime<Utc>,
    /// The first firing after `cursor` (None: suspended, unscheduled or
    /// never again).
    next: Option<DateTime<Utc>>,
    pending: Vec<Pending>,
    /// Runs going, by run id, each with the sender that cancels it.
    running: HashMap<String, Option<oneshot::Sender<String>>>,
    /// The latest firing that did not run because the history could not be
    /// written; caught up (`catch_up = "latest"`) once it can.
    missed: Option<DateTime<Utc>>,
    /// How many firings did not run so, since the daemon started.
    missed_count: u64,
}

impl Slot {
    fn new(def: Arc<JobDef>, cursor: DateTime<Utc>, suspended: bool) -> Slot {
        let mut slot = Slot {
            def,
            cursor,
            next: None,
            pending: Vec::new(),
            running: HashMap::new(),
            missed: None,
            missed_count: 0,
        };
        slot.plan(suspended);
        slot
    }

    /// Recomputes `next` after the cursor or the job changed; `suspended`:
    /// from the dashboard.
    fn plan(&mut self, suspended: bool) {
        let m = &self.def.manifest;
        self.next = match (&m.schedule, m.firing.suspend || suspended) {
            (Some(schedule), false) => schedule.next_after(self.cursor, m.timezone),
            _ => None,
        };
    }

    fn cancel_all(&mut self, reason: &str) {
        for cancel in self.running.values_mut() {
            if let Some(cancel) = cancel.take() {
                let _ = cancel.send(reason.to_string());
            }
        }
    }
}

/// Times at which something is due, earliest first, by manifest path.
/// Entries can be stale (the job changed or went); they are checked
/// against the slot when they come up.
type Agenda = BinaryHeap<Reverse<(DateTime<Utc>, PathBuf)>>;

enum Command {
    Reload,
    Control(Request),
    Shutdown {
        grace: Duration,
        done: oneshot::Sender<()>,
    },
}

/// Controls a running daemon.
pub struct DaemonHandle {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
    history: Arc<History>,
    writer: WriterThread,
    missed: Arc<AtomicU64>,
    health: WriterHealth,
    activity: ActivityLog,
    alerts: Option<Alerter>,
}

impl DaemonHandle {
    /// Asks and tells the daemon things while it runs (the dashboard).
    pub fn control(&self) -> Control {
        Control {
            commands: self.commands.clone(),
        }
    }

    /// Whether the run history takes writes now.
    pub fn history_writable(&self) -> WriterHealth {
        self.health.clone()
    }

    /// The admin activity log (for the dashboard's logins).
    pub fn activity_log(&self) -> ActivityLog {
        self.activity.clone()
    }

    /// Re-reads every manifest and component now (SIGHUP).
    pub fn reload(&self) {
        let _ = self.commands.send(Command::Reload);
    }

    /// Stops firing, lets running jobs finish for up to `grace`, then
    /// cancels the rest (recorded as cancelled), stores every pending write
    /// in the history (what cannot be stored by the end of `grace` goes to
    /// the spill file, for the next start), and returns.
    pub async fn shutdown(self, grace: Duration) {
        let began = Instant::now();
        let (done, wait) = oneshot::channel();
        if self
            .commands
            .send(Command::Shutdown { grace, done })
            .is_ok()
        {
            let _ = wait.await;
        }
        let _ = self.task.await;
        if let Some(alerts) = &self.alerts {
            alerts.flush(grace.saturating_sub(began.elapsed())).await;
        }
        // The writer finishes once every queue to it is gone.
        self.activity.close();
        let writer = self.writer;
        let left = grace.saturating_sub(began.elapsed());
        let _ = tokio::task::spawn_blocking(move || writer.finish(left)).await;
    }

    pub fn history(&self) -> &Arc<History> {
        &self.history
    }

    /// Firings that did not run because the run history could not be
    /// written (each is recorded as a `skipped` row once it can).
    pub fn missed_unrecorded(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }
}

/// Opens the history, loads the jobs and starts scheduling.
pub async fn start(
    config: &Config,
    runner: Runner,
    clock: Arc<dyn Clock>,
) -> Result<DaemonHandle, DaemonError> {
    start_observed(config, runner, clock, Observers::new()).await
}

/// [`start`], telling `observers` about runs, requests and missed firings.
pub async fn start_observed(
    config: &Config,
    runner: Runner,
    clock: Arc<dyn Clock>,
    mut observers: Observers,
) -> Result<DaemonHandle, DaemonError> {
    let state = config.state.as_ref().ok_or_else(|| DaemonError::NoState {
        config: config.path.display().to_string(),
    })?;
    let history = Arc::new(History::open(state)?);
    // The writer first stores what an earlier process spilled, so that only
    // runs that really have no end are marked interrupted.
    let (writer, writer_thread) = HistoryWriter::spawn(Arc::clone(&history))
        .map_err(|e| DaemonError::Setup(format!("cannot start the history writer: {e}")))?;
    let activity = ActivityLog::new(writer.clone());
    // Each delivery is logged by the alerts module and goes into the
    // activity log.
    let alerts = match config.alerts.clone() {
        Some(settings) => {
            let log = activity.clone();
            let public_url = config.dashboard.as_ref().and_then(|d| d.public_url.clone());
            let alerter = Alerter::spawn(
                settings,
                public_url,
                vec![runner.token.clone()],
                Arc::new(move |d| log.record(delivery_activity(d))),
            )
            .map_err(|e| DaemonError::Setup(e.to_string()))?;
            observers = observers.with(Arc::new(AlertObserver(alerter.clone())));
            if let Some(session) = runner.token.oauth() {
                session.set_listener(credential_alerts(alerter.clone()));
            }
            Some(alerter)
        }
        None => None,
    };
    let now = clock.now();
    let interrupted = history.mark_interrupted(now)?;
    if !interrupted.is_empty() {
        tracing::warn!(
            "{} run(s) were going when the daemon last stopped; recorded as interrupted",
            interrupted.len()
        );
    }
    for run in interrupted {
        observers.run_ended(&RunEnded {
            job: run.job,
            run_id: run.run_id,
            trigger: run.trigger,
            status: crate::run::RunStatus::Interrupted,
            error: Some(crate::history::INTERRUPTED_ERROR.to_string()),
            scheduled_at: None,
            started_at: run.started_at,
            ended_at: now,
            held: Duration::ZERO,
        });
    }
    let retention = Retention {
        max_age: Some(config.history.max_age),
        max_runs_per_job: Some(config.history.max_runs),
    };
    if let Err(e) = history.prune(&retention, now) {
        tracing::warn!("cannot prune the run history: {e}");
    }
    let health = writer.health();
    let missed = Arc::new(AtomicU64::new(0));
    let suspensions = history
        .suspensions()?
        .into_iter()
        .map(|s| (s.job.clone(), s))
        .collect();
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let mut daemon = Daemon {
        config: config.clone(),
        launch: Launch {
            runner,
            writer,
            clock: Arc::clone(&clock),
            done: done_tx,
            observers,
        },
        history: Arc::clone(&history),
        clock,
        retention,
        table: Some(Table::default()),
        syncing: None,
        sync_again: None,
        slots: HashMap::new(),
        agenda: Agenda::new(),
        pending: Agenda::new(),
        health: health.clone(),
        missed: Arc::clone(&missed),
        missed_log: None,
        suspensions,
        failed: Vec::new(),
    };
    // The first load completes before `start` returns.
    daemon.sync(false);
    if let Some(task) = daemon.syncing.take() {
        match task.await {
            Ok(synced) => daemon.synced(synced),
            Err(e) => return Err(DaemonError::Setup(format!("loading the jobs failed: {e}"))),
        }
    }
    if daemon.slots.is_empty() {
        tracing::warn!(
            "no job manifest loaded; check `jobs` in {}",
            config.path.display()
        );
    }
    let task = tokio::spawn(daemon.run(command_rx, done_rx));
    Ok(DaemonHandle {
        commands,
        task,
        history,
        writer: writer_thread,
        missed,
        health,
        activity,
        alerts,
    })
}

/// What a file check and load on the blocking thread hands back.
struct Synced {
    table: Table,
    changes: Changes,
    /// Each loaded job's last firing in the history.
    last_fires: HashMap<PathBuf, Option<DateTime<Utc>>>,
}

struct Daemon {
    config: Config,
    launch: Launch,
    history: Arc<History>,
    clock: Arc<dyn Clock>,
    retention: Retention,
    /// The job table; away on the blocking thread while a check runs.
    table: Option<Table>,
    syncing: Option<JoinHandle<Synced>>,
    /// A check asked for while one was running (`Some(force)`).
    sync_again: Option<bool>,
    slots: HashMap<PathBuf, Slot>,
    /// Next firings.
    agenda: Agenda,
    /// Jittered and retried starts.
    pending: Agenda,
    /// Whether the history takes writes (no run starts while it does not).
    health: WriterHealth,
    /// Firings not run because the history could not be written.
    missed: Arc<AtomicU64>,
    /// When such a firing was last logged, and how many since.
    missed_log: Option<(Instant, u64)>,
    /// Jobs suspended from the dashboard, by name.
    suspensions: HashMap<String, Suspension>,
    /// Manifests whose latest version did not load, with why.
    failed: Vec<(PathBuf, String)>,
}

impl Daemon {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut done: mpsc::UnboundedReceiver<Done>,
    ) {
        let mut poll = tokio::time::interval(self.config.daemon.reload_interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        poll.reset();
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        prune.reset();
        loop {
            let wake = self.tick();
            let sleep = match wake {
                Some(at) => self.clock.sleep_until(at),
                None => Box::pin(std::future::pending()),
            };
            tokio::select! {
                _ = sleep => {}
                _ = poll.tick() => self.sync(false),
                Some(synced) = wait(&mut self.syncing) => self.synced(synced),
                _ = prune.tick() => self.prune(),
                Some(finished) = done.recv() => self.finished(finished),
                Ok(()) = self.health.changed() => {
                    if *self.health.borrow_and_update() {
                        self.history_recovered();
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::Reload) => self.sync(true),
                    Some(Command::Control(request)) => self.control(request),
                    Some(Command::Shutdown { grace, done: reply }) => {
                        self.shutdown(grace, &mut done).await;
                        let _ = reply.send(());
                        return;
                    }
                    // Every handle is gone: nobody can stop us gracefully
                    // any more, so stop now.
                    None => {
                        self.shutdown(Duration::ZERO, &mut done).await;
                        return;
                    }
                },
            }
        }
    }

    /// Fires what is due; returns when to look again.
    fn tick(&mut self) -> Option<DateTime<Utc>> {
        let now = self.clock.now();
        while let Some(Reverse((at, path))) = self.agenda.peek().cloned() {
            if at > now {
                break;
            }
            self.agenda.pop();
            let Some(slot) = self.slots.get_mut(&path) else {
                continue;
            };
            if slot.next != Some(at) {
                continue; // stale: the job changed since
            }
            if let Some(p) = fire(slot, &self.launch, now) {
                self.pending.push(Reverse((p, path.clone())));
            }
            if let Some(next) = slot.next {
                self.agenda.push(Reverse((next, path)));
            }
        }
        while let Some(Reverse((at, path))) = self.pending.peek().cloned() {
            if at > now {
                break;
            }
            self.pending.pop();
            let Some(slot) = self.slots.get_mut(&path) else {
                continue;
            };
            let (due, later): (Vec<Pending>, Vec<Pending>) =
                slot.pending.drain(..).partition(|p| p.at <= now);
            slot.pending = later;
            let def = Arc::clone(&slot.def);
            for pending in due {
                self.start(&path, &def, pending);
            }
        }
        let first = |agenda: &Agenda| agenda.peek().map(|Reverse((at, _))| *at);
        earliest(first(&self.agenda), first(&self.pending))
    }

    /// Starts a run for a due firing, as the job's concurrency says.
    /// Returns its run id, if it started.
    fn start(&mut self, path: &PathBuf, def: &Arc<JobDef>, pending: Pending) -> Option<String> {
        let job = def.manifest.name.as_str();
        if !self.launch.writer.is_writable() {
            let reason = "missed: the run history cannot be written; the job did not run";
            self.launch.writer.record_skipped(
                job,
                pending.scheduled,
                reason.to_string(),
                self.clock.now(),
            );
            self.missed_firing(path, pending.scheduled, reason);
            return None;
        }
        let slot = self.slots.get_mut(path)?;
        if !slot.running.is_empty() {
            match def.manifest.firing.concurrency {
                Concurrency::Forbid => {
                    let ids: Vec<&str> = slot.running.keys().map(String::as_str).collect();
                    let reason = format!(
                        "the previous run ({}) was still going (concurrency = \"forbid\")",
                        ids.join(", ")
                    );
                    tracing::info!(
                        "job {job}: firing for {} skipped: {reason}",
                        pending.scheduled
                    );
                    let now = self.clock.now();
                    let run_id = self.launch.writer.record_skipped(
                        job,
                        pending.scheduled,
                        reason.clone(),
                        now,
                    );
                    self.launch.observers.run_ended(&RunEnded {
                        job: job.to_string(),
                        run_id,
                        trigger: Trigger::Schedule,
                        status: crate::run::RunStatus::Skipped,
                        error: Some(reason),
                        scheduled_at: Some(pending.scheduled),
                        started_at: now,
                        ended_at: now,
                        held: Duration::ZERO,
                    });
                    return None;
                }
                Concurrency::Replace => {
                    slot.cancel_all("replaced by a newer run (concurrency = \"replace\")")
                }
                Concurrency::Allow => {}
            }
        }
        let (run_id, cancel) = self.launch.spawn(
            path,
            def,
            pending.scheduled,
            pending.attempt,
            pending.trigger,
        );
        slot.running.insert(run_id.clone(), Some(cancel));
        Some(run_id)
    }

    /// A run ended: forget it, and retry it if it failed and may.
    fn finished(&mut self, done: Done) {
        let Some(slot) = self.slots.get_mut(&done.path) else {
            return;
        };
        slot.running.remove(&done.run_id);
        let status = match done.ended {
            Ended::Ran(status) => status,
            Ended::NotStarted(refused) => {
                let reason = refused.to_string();
                self.missed_firing(&done.path, done.scheduled, &reason);
                return;
            }
        };
        // A run started by hand is not retried: whoever started it sees it.
        if done.trigger == Trigger::Manual {
            return;
        }
        let Some(retry) = slot.def.manifest.firing.retry else {
            return;
        };
        if status.is_failure() && done.attempt < retry.attempts {
            let wait = crate::retry::doubled(retry.backoff, done.attempt);
            let at = self.clock.now() + to_chrono(wait);
            tracing::info!(
                "job {}: run {} {}; retry {} of {} in {}s",
                slot.def.manifest.name,
                done.run_id,
                status,
                done.attempt + 1,
                retry.attempts,
                wait.as_secs()
            );
            slot.pending.push(Pending {
                at,
                scheduled: done.scheduled,
                attempt: done.attempt + 1,
                trigger: Trigger::Retry,
            });
            self.pending.push(Reverse((at, done.path)));
        }
    }

    /// A firing did not run because the history could not be written: it is
    /// counted, logged (at most once a minute), and remembered for
    /// `catch_up = "latest"`. Its `skipped` row is queued already.
    fn missed_firing(&mut self, path: &PathBuf, scheduled: DateTime<Utc>, reason: &str) {
        self.missed.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = self.slots.get_mut(path) else {
            return;
        };
        slot.missed_count += 1;
        self.launch
            .observers
            .firing_missed(slot.def.manifest.name.as_str());
        if matches!(slot.def.manifest.firing.catch_up, CatchUp::Latest { .. }) {
            slot.missed = Some(slot.missed.map_or(scheduled, |m| m.max(scheduled)));
        }
        let now = Instant::now();
        match &mut self.missed_log {
            Some((at, count)) if now.duration_since(*at) < crate::history::REPORT_EVERY => {
                *count += 1;
            }
            last => {
                let before = last.map_or(0, |(_, count)| count);
                let also = if before > 0 {
                    format!(" ({before} more firing(s) were not run in the last minute)")
                } else {
                    String::new()
                };
                tracing::error!(
                    "job {}: firing for {scheduled} not run: {reason}{also}; firings are not run until the history can be written",
                    slot.def.manifest.name
                );
                *last = Some((now, 0));
            }
        }
    }

    /// The history takes writes again: missed firings of `catch_up =
    /// "latest"` jobs run once, as after downtime.
    fn history_recovered(&mut self) {
        let now = self.clock.now();
        if let Some((_, count)) = self.missed_log.take() {
            if count > 0 {
                tracing::error!("{count} more firing(s) were not run while the run history could not be written");
            }
        }
        let mut caught_up = 0;
        for (path, slot) in &mut self.slots {
            let Some(scheduled) = slot.missed.take() else {
                continue;
            };
            if let CatchUp::Latest {
                deadline: Some(deadline),
            } = slot.def.manifest.firing.catch_up
            {
                if now - scheduled > to_chrono(deadline) {
                    continue;
                }
            }
            slot.pending.push(Pending {
                at: now,
                scheduled,
                attempt: 0,
                trigger: Trigger::CatchUp,
            });
            self.pending.push(Reverse((now, path.clone())));
            caught_up += 1;
        }
        tracing::info!(
            "the run history takes writes again; firings run as scheduled{}",
            if caught_up > 0 {
                format!(", {caught_up} missed one(s) caught up now")
            } else {
                String::new()
            }
        );
    }

    /// Checks the files the config's globs match, on a blocking thread:
    /// loads new and changed manifests (every one when `force`) and drops
    /// vanished ones. A check asked for while one runs follows it.
    fn sync(&mut self, force: bool) {
        let Some(mut table) = self.table.take() else {
            self.sync_again = Some(self.sync_again.unwrap_or(false) || force);
            return;
        };
        let config = self.config.clone();
        let sandbox = self.launch.runner.sandbox.clone();
        let history = Arc::clone(&self.history);
        // Jobs already scheduled keep their place; only new ones need the
        // last firing from the history.
        let scheduled: HashSet<PathBuf> = self.slots.keys().cloned().collect();
        self.syncing = Some(tokio::task::spawn_blocking(move || {
            let changes = match config.manifest_paths() {
                Ok(paths) => table.sync(&sandbox, &paths, force),
                Err(e) => {
                    tracing::error!("{e}; keeping the jobs as they are");
                    Changes::default()
                }
            };
            let in_use = table.iter().map(|(_, d)| d.component.sha256()).collect();
            sandbox.retain_components(&in_use);
            let last_fires = changes
                .loaded
                .iter()
                .filter(|path| !scheduled.contains(*path))
                .filter_map(|path| {
                    let job = table.get(path)?.manifest.name.as_str();
                    let last = history.last_fire(job).unwrap_or_else(|e| {
                        tracing::warn!("job {job}: cannot read its last firing ({e}); missed firings are not caught up");
                        None
                    });
                    Some((path.clone(), last))
                })
                .collect();
            Synced {
                table,
                changes,
                last_fires,
            }
        }));
    }

    /// Applies a finished check to the schedule.
    fn synced(&mut self, synced: Synced) {
        let Synced {
            table,
            changes,
            last_fires,
        } = synced;
        for (path, why) in &changes.failed {
            match table.get(path) {
                Some(def) => tracing::error!(
                    "{why}; job {} keeps its previous version",
                    def.manifest.name
                ),
                None => tracing::error!("{why}; the job is not loaded"),
            }
        }
        for path in &changes.removed {
            tracing::info!(
                "{}: no longer matched by `jobs`; unscheduled",
                path.display()
            );
            if let Some(slot) = self.slots.remove(path) {
                if !slot.running.is_empty() {
                    tracing::info!("{} run(s) of it finish on their own", slot.running.len());
                }
            }
        }
        let now = self.clock.now();
        for path in &changes.loaded {
            let Some(def) = table.get(path) else {
                continue;
            };
            tracing::info!(
                "job {} loaded from {} ({})",
                def.manifest.name,
                path.display(),
                def.manifest.schedule_summary()
            );
            let suspended = self.suspensions.contains_key(def.manifest.name.as_str());
            let slot = match self.slots.get_mut(path) {
                Some(slot) => {
                    slot.def = Arc::clone(def);
                    slot.plan(suspended);
                    slot
                }
                None => {
                    let cursor = last_fires.get(path).copied().flatten().unwrap_or(now);
                    self.slots.entry(path.clone()).or_insert(Slot::new(
                        Arc::clone(def),
                        cursor,
                        suspended,
                    ))
                }
            };
            if let Some(next) = slot.next {
                self.agenda.push(Reverse((next, path.clone())));
            }
        }
        self.failed = table.failures();
        self.table = Some(table);
        if let Some(force) = self.sync_again.take() {
            self.sync(force);
        }
    }

    fn prune(&self) {
        let history = Arc::clone(&self.history);
        let (retention, now) = (self.retention, self.clock.now());
        tokio::task::spawn_blocking(move || {
            if let Err(e) = history.prune(&retention, now) {
                tracing::warn!("cannot prune the run history: {e}");
            }
        });
    }

    /// Lets running jobs finish for up to `grace`, then cancels the rest
    /// and waits for them to record it.
    async fn shutdown(&mut self, grace: Duration, done: &mut mpsc::UnboundedReceiver<Done>) {
        let running = |slots: &HashMap<PathBuf, Slot>| -> usize {
            slots.values().map(|s| s.running.len()).sum()
        };
        if running(&self.slots) > 0 {
            tracing::info!(
                "shutting down: {} run(s) going, waiting up to {}s",
                running(&self.slots),
                grace.as_secs()
            );
        }
        let deadline = tokio::time::Instant::now() + grace;
        while running(&self.slots) > 0 {
            match tokio::time::timeout_at(deadline, done.recv()).await {
                Ok(Some(finished)) => self.forget(&finished),
                Ok(None) => return,
                Err(_elapsed) => break,
            }
        }
        let reason = format!(
            "the daemon shut down and the run did not finish within the grace period of {}s",
            grace.as_secs()
        );
        for slot in self.slots.values_mut() {
            slot.cancel_all(&reason);
        }
        while running(&self.slots) > 0 {
            match done.recv().await {
                Some(finished) => self.forget(&finished),
                None => return,
            }
        }
        // Let a check in progress end before the table goes.
        if let Some(task) = self.syncing.take() {
            let _ = task.await;
        }
    }

    fn forget(&mut self, done: &Done) {
        if let Some(slot) = self.slots.get_mut(&done.path) {
            slot.running.remove(&done.run_id);
        }
    }
}

/// The result of the check in progress, if any (pending otherwise).
async fn wait(task: &mut Option<JoinHandle<Synced>>) -> Option<Synced> {
    match task {
        Some(handle) => {
            let result = handle.await;
            *task = None;
            match result {
                Ok(synced) => Some(synced),
                Err(e) => {
                    tracing::error!("checking the job files failed: {e}");
                    None
                }
            }
        }
        None => std::future::pending().await,
    }
}

/// Takes the scheduling decision for a job whose next firing has come:
/// queues a run (after its jitter) or drops missed firings, and moves the
/// job's cursor on. Returns when the queued run is due.
fn fire(slot: &mut Slot, launch: &Launch, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let m = &slot.def.manifest;
    let job = m.name.as_str();
    let schedule = m.schedule.as_ref()?;
    let due = slot.next?;
    let (decision, next) = decide_due(
        schedule,
        m.timezone,
        m.firing.catch_up,
        slot.cursor,
        due,
        now,
    );
    let mut queued = None;
    match decision {
        Decision::Fire {
            scheduled,
            catch_up,
            missed,
        } => {
            if missed > 0 {
                tracing::warn!("job {job}: {missed} firing(s) missed while the daemon was down");
            }
            let jitter = m.firing.jitter.map_or(Duration::ZERO, random_up_to);
            let at = now + to_chrono(jitter);
            slot.pending.push(Pending {
                at,
                scheduled,
                attempt: 0,
                trigger: if catch_up {
                    Trigger::CatchUp
                } else {
                    Trigger::Schedule
                },
            });
            queued = Some(at);
        }
        Decision::Drop { latest, missed } => tracing::warn!(
            "job {job}: {missed} firing(s) up to {latest} missed while the daemon was down, not run (catch_up)"
        ),
        Decision::Wait(_) => {}
    }
    if let Some(cursor) = decision.cursor() {
        slot.cursor = cursor;
        launch.writer.set_last_fire(job, cursor);
    }
    slot.next = next;
    queued
}

fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A uniformly random duration in [0, bound].
fn random_up_to(bound: Duration) -> Duration {
    let millis = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=millis))
}

/// The job name the alerts of a `[canvas.oauth]` credential carry: one
/// failure alert when renewing Warden's Canvas access token fails (not one
/// per request or run), and a recovery alert when it works again.
pub const CREDENTIAL_ALERT_JOB: &str = "canvas-authorization";

fn credential_alerts(alerter: Alerter) -> crate::oauth::CredentialListener {
    Arc::new(move |event| {
        let now = chrono::Utc::now();
        let (status, error) = match event {
            crate::oauth::CredentialEvent::Failed(m) => (crate::run::RunStatus::Failed, Some(m)),
            crate::oauth::CredentialEvent::Recovered => (crate::run::RunStatus::Succeeded, None),
        };
        alerter.run_ended(crate::alerts::RunEnded {
            job: CREDENTIAL_ALERT_JOB.to_string(),
            run_id: String::new(),
            status,
            trigger: Trigger::Schedule,
            error,
            started_at: now,
            ended_at: now,
        });
    })
}
