//! `warden serve`: fires jobs on their schedules, applies their concurrency,
//! catch-up, jitter and retry policies, records every run and request in the
//! history, reloads changed files, and shuts down gracefully.
//!
//! One task owns all scheduling state; runs are tasks of their own that
//! report back when they end. Scheduling time comes from a [`Clock`], so
//! tests can move it; deadlines inside runs and the shutdown grace are real
//! time.

mod jobs;
mod launch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::Config;
use crate::history::{History, HistoryError, Retention, Trigger};
use crate::manifest::Concurrency;
use crate::run::Runner;
use crate::scheduler::{decide, Decision};

pub use jobs::JobDef;
use jobs::Table;
use launch::{Done, Launch};

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

/// A run that is going.
struct Running {
    cancel: Option<oneshot::Sender<String>>,
}

/// Scheduling state of one job (by manifest path).
struct Slot {
    def: Arc<JobDef>,
    /// Firings up to here are accounted for.
    cursor: DateTime<Utc>,
    /// The first firing after `cursor` (None: suspended, unscheduled or
    /// never again), kept so that a tick compares times instead of
    /// evaluating every job's cron expression.
    next: Option<DateTime<Utc>>,
    pending: Vec<Pending>,
    running: HashMap<String, Running>,
}

impl Slot {
    fn new(def: Arc<JobDef>, cursor: DateTime<Utc>) -> Slot {
        let mut slot = Slot {
            def,
            cursor,
            next: None,
            pending: Vec::new(),
            running: HashMap::new(),
        };
        slot.plan();
        slot
    }

    /// Recomputes `next` after the cursor or the job changed.
    fn plan(&mut self) {
        let m = &self.def.manifest;
        self.next = match (&m.schedule, m.firing.suspend) {
            (Some(schedule), false) => schedule.next_after(self.cursor, m.timezone),
            _ => None,
        };
    }
}

enum Command {
    Reload,
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
}

impl DaemonHandle {
    /// Re-reads every manifest and component now (SIGHUP).
    pub fn reload(&self) {
        let _ = self.commands.send(Command::Reload);
    }

    /// Stops firing, lets running jobs finish for up to `grace`, then
    /// cancels the rest (recorded as cancelled) and returns.
    pub async fn shutdown(self, grace: Duration) {
        let (done, wait) = oneshot::channel();
        if self
            .commands
            .send(Command::Shutdown { grace, done })
            .is_ok()
        {
            let _ = wait.await;
        }
        let _ = self.task.await;
    }

    pub fn history(&self) -> &Arc<History> {
        &self.history
    }
}

/// Opens the history, loads the jobs and starts scheduling.
pub async fn start(
    config: &Config,
    runner: Runner,
    clock: Arc<dyn Clock>,
) -> Result<DaemonHandle, DaemonError> {
    let state = config.state.as_ref().ok_or_else(|| DaemonError::NoState {
        config: config.path.display().to_string(),
    })?;
    let history = Arc::new(History::open(state)?);
    let now = clock.now();
    let interrupted = history.mark_interrupted(now)?;
    if interrupted > 0 {
        tracing::warn!(
            "{interrupted} run(s) were going when the daemon last stopped; recorded as interrupted"
        );
    }
    let retention = Retention {
        max_age: Some(config.history.max_age),
        max_runs_per_job: Some(config.history.max_runs),
    };
    if let Err(e) = history.prune(&retention, now) {
        tracing::warn!("cannot prune the run history: {e}");
    }

    let (commands, command_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let mut daemon = Daemon {
        config: config.clone(),
        launch: Launch {
            runner,
            history: Arc::clone(&history),
            clock: Arc::clone(&clock),
            done: done_tx,
        },
        clock,
        retention,
        table: Table::default(),
        slots: HashMap::new(),
    };
    daemon.reload(false);
    if daemon.table.is_empty() {
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
    })
}

struct Daemon {
    config: Config,
    launch: Launch,
    clock: Arc<dyn Clock>,
    retention: Retention,
    table: Table,
    slots: HashMap<PathBuf, Slot>,
}

impl Daemon {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut done: mpsc::UnboundedReceiver<Done>,
    ) {
        let mut poll = tokio::time::interval(self.config.daemon.reload_interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wake = self.tick();
            let sleep = match wake {
                Some(at) => self.clock.sleep_until(at),
                None => Box::pin(std::future::pending()),
            };
            tokio::select! {
                _ = sleep => {}
                _ = poll.tick() => self.reload(false),
                _ = prune.tick() => {
                    if let Err(e) = self.launch.history.prune(&self.retention, self.clock.now()) {
                        tracing::warn!("cannot prune the run history: {e}");
                    }
                }
                Some(finished) = done.recv() => self.finished(finished),
                command = commands.recv() => match command {
                    Some(Command::Reload) => self.reload(true),
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
        let mut wake: Option<DateTime<Utc>> = None;
        let mut due: Vec<(PathBuf, Arc<JobDef>, Pending)> = Vec::new();
        for (path, slot) in self.slots.iter_mut() {
            if slot.next.is_some_and(|next| next <= now) {
                fire(slot, &self.launch, now);
            }
            wake = earliest(wake, slot.next);
            if slot.pending.is_empty() {
                continue;
            }
            let (ready, later): (Vec<Pending>, Vec<Pending>) =
                slot.pending.drain(..).partition(|p| p.at <= now);
            slot.pending = later;
            for p in &slot.pending {
                wake = earliest(wake, Some(p.at));
            }
            due.extend(
                ready
                    .into_iter()
                    .map(|p| (path.clone(), Arc::clone(&slot.def), p)),
            );
        }
        for (path, def, pending) in due {
            self.start(&path, &def, pending);
        }
        wake
    }

    /// Starts a run for a due firing, as the job's concurrency says.
    fn start(&mut self, path: &PathBuf, def: &Arc<JobDef>, pending: Pending) {
        let job = def.manifest.name.as_str();
        let Some(slot) = self.slots.get_mut(path) else {
            return;
        };
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
                    if let Err(e) = self.launch.history.record_skipped(
                        job,
                        pending.scheduled,
                        &reason,
                        self.clock.now(),
                    ) {
                        tracing::warn!("job {job}: cannot record a skipped firing: {e}");
                    }
                    return;
                }
                Concurrency::Replace => {
                    for running in slot.running.values_mut() {
                        if let Some(cancel) = running.cancel.take() {
                            let _ = cancel
                                .send("replaced by a newer run (concurrency = \"replace\")".into());
                        }
                    }
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
        slot.running.insert(
            run_id,
            Running {
                cancel: Some(cancel),
            },
        );
    }

    /// A run ended: forget it, and retry it if it failed and may.
    fn finished(&mut self, done: Done) {
        let Some(slot) = self.slots.get_mut(&done.path) else {
            return;
        };
        slot.running.remove(&done.run_id);
        let def = Arc::clone(&slot.def);
        let Some(retry) = def.manifest.firing.retry else {
            return;
        };
        if done.status.is_failure() && done.attempt < retry.attempts {
            let wait = retry.backoff.saturating_mul(1 << done.attempt.min(16));
            let at = self.clock.now() + to_chrono(wait);
            tracing::info!(
                "job {}: run {} {}; retry {} of {} in {}s",
                def.manifest.name,
                done.run_id,
                done.status,
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
        }
    }

    /// Re-reads the manifests the config's globs match: new and changed
    /// ones (every one when `force`).
    fn reload(&mut self, force: bool) {
        let paths = match self.config.manifest_paths() {
            Ok(paths) => paths,
            Err(e) => {
                tracing::error!("{e}; keeping the jobs as they are");
                return;
            }
        };
        let changes = self.table.sync(&self.launch.runner.sandbox, &paths, force);
        for (path, why) in &changes.failed {
            match self.table.get(path) {
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
            let Some(def) = self.table.get(path) else {
                continue;
            };
            let job = def.manifest.name.as_str();
            tracing::info!(
                "job {job} loaded from {} ({})",
                path.display(),
                match &def.manifest.schedule {
                    Some(s) if !def.manifest.firing.suspend =>
                        format!("schedule {:?} in {}", s.as_str(), def.manifest.timezone),
                    Some(_) => "suspended".to_string(),
                    None => "no schedule".to_string(),
                }
            );
            if let Some(slot) = self.slots.get_mut(path) {
                slot.def = Arc::clone(def);
                slot.plan();
                continue;
            }
            let cursor = match self.launch.history.last_fire(job) {
                Ok(Some(last)) => last,
                Ok(None) => now,
                Err(e) => {
                    tracing::warn!("job {job}: cannot read its last firing ({e}); missed firings are not caught up");
                    now
                }
            };
            self.slots
                .insert(path.clone(), Slot::new(Arc::clone(def), cursor));
        }
        let in_use = self
            .table
            .iter()
            .map(|(_, d)| d.component.sha256())
            .collect();
        self.launch.runner.sandbox.retain_components(&in_use);
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
        for slot in self.slots.values_mut() {
            for running in slot.running.values_mut() {
                if let Some(cancel) = running.cancel.take() {
                    let _ = cancel.send(format!(
                        "the daemon shut down and the run did not finish within the grace period of {}s",
                        grace.as_secs()
                    ));
                }
            }
        }
        while running(&self.slots) > 0 {
            match done.recv().await {
                Some(finished) => self.forget(&finished),
                None => return,
            }
        }
    }

    fn forget(&mut self, done: &Done) {
        if let Some(slot) = self.slots.get_mut(&done.path) {
            slot.running.remove(&done.run_id);
        }
    }
}

/// Takes the scheduling decision for a job whose next firing has come:
/// queues a run (after its jitter) or drops missed firings, and moves the
/// job's cursor on.
fn fire(slot: &mut Slot, launch: &Launch, now: DateTime<Utc>) {
    let m = &slot.def.manifest;
    let job = m.name.as_str();
    let Some(schedule) = &m.schedule else {
        return;
    };
    let decision = decide(schedule, m.timezone, m.firing.catch_up, slot.cursor, now);
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
            slot.pending.push(Pending {
                at: now + to_chrono(jitter),
                scheduled,
                attempt: 0,
                trigger: if catch_up {
                    Trigger::CatchUp
                } else {
                    Trigger::Schedule
                },
            });
        }
        Decision::Drop { latest, missed } => tracing::warn!(
            "job {job}: {missed} firing(s) up to {latest} missed while the daemon was down, not run (catch_up)"
        ),
        Decision::Wait(_) => {}
    }
    if let Some(cursor) = decision.cursor() {
        slot.cursor = cursor;
        if let Err(e) = launch.history.set_last_fire(job, cursor) {
            tracing::warn!("job {job}: cannot store its last firing: {e}");
        }
    }
    slot.plan();
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
