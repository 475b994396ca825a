//! Asking a running daemon what it is doing, and telling it to run, suspend,
//! resume or cancel: what the dashboard and the metrics use.
//!
//! Each request is a message to the daemon's task, answered on a oneshot
//! channel; the task answers from memory, so asking never waits on the disk.

use std::cmp::Reverse;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::{Command, JobDef, Pending};
use crate::history::{Activity, Suspension, Trigger};
use crate::manifest::Concurrency;

/// One job as the daemon holds it now.
#[derive(Clone)]
pub struct JobView {
    pub path: PathBuf,
    pub def: Arc<JobDef>,
    /// Its next firing; `None` when suspended, unscheduled or never again.
    pub next: Option<DateTime<Utc>>,
    /// Its runs going now, by run id, oldest first.
    pub running: Vec<String>,
    /// Starts waiting for their time (jitter, retry backoff).
    pub queued: usize,
    /// Suspended from the dashboard (its manifest may suspend it too:
    /// `def.manifest.firing.suspend`).
    pub suspension: Option<Suspension>,
    /// Firings of it this process did not run because the history could
    /// not be written.
    pub missed: u64,
}

impl JobView {
    pub fn name(&self) -> &str {
        self.def.manifest.name.as_str()
    }

    pub fn is_suspended(&self) -> bool {
        self.def.manifest.firing.suspend || self.suspension.is_some()
    }
}

/// The daemon's jobs at one moment.
#[derive(Clone)]
pub struct Snapshot {
    pub at: DateTime<Utc>,
    /// By name.
    pub jobs: Vec<JobView>,
    /// Manifests that did not load (and have no earlier good version), with why.
    pub failed: Vec<(PathBuf, String)>,
    /// Whether the run history takes writes.
    pub writable: bool,
}

impl Snapshot {
    pub fn job(&self, name: &str) -> Option<&JobView> {
        self.jobs.iter().find(|j| j.name() == name)
    }
}

/// Why a request to the daemon was refused. Each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("no job is named {0:?}")]
    UnknownJob(String),
    #[error("run {0} is not going")]
    NotRunning(String),
    #[error("job {job} is already running ({runs}) and its concurrency is \"forbid\"; wait for it or cancel it")]
    AlreadyRunning { job: String, runs: String },
    #[error("job {job} is suspended in its manifest ({path}: suspend = true); edit the manifest to resume it")]
    SuspendedInManifest { job: String, path: String },
    #[error("job {0} is already suspended")]
    AlreadySuspended(String),
    #[error("job {0} is not suspended")]
    NotSuspended(String),
    #[error("the run history cannot be written, so no run can start; see the log")]
    HistoryNotWritable,
    #[error("the daemon is stopping")]
    Stopping,
}

/// What is asked of the daemon; `actor` says who, for the activity log.
pub(super) enum Request {
    Snapshot(oneshot::Sender<Snapshot>),
    RunNow {
        job: String,
        actor: String,
        reply: oneshot::Sender<Result<String, ControlError>>,
    },
    Suspend {
        job: String,
        actor: String,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    Resume {
        job: String,
        actor: String,
        reply: oneshot::Sender<Result<(), ControlError>>,
    },
    Cancel {
        run_id: String,
        actor: String,
        reply: oneshot::Sender<Result<String, ControlError>>,
    },
}

/// Talks to a running daemon; cheap to clone.
#[derive(Clone)]
pub struct Control {
    pub(super) commands: mpsc::UnboundedSender<Command>,
}

impl Control {
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Request,
    ) -> Result<T, ControlError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Control(make(reply)))
            .map_err(|_| ControlError::Stopping)?;
        answer.await.map_err(|_| ControlError::Stopping)
    }

    /// The jobs now; `None` once the daemon has stopped.
    pub async fn snapshot(&self) -> Option<Snapshot> {
        self.ask(Request::Snapshot).await.ok()
    }

    /// Starts a run of `job` now (trigger `manual`); returns its run id.
    pub async fn run_now(&self, job: &str, actor: &str) -> Result<String, ControlError> {
        self.ask(|reply| Request::RunNow {
            job: job.to_string(),
            actor: actor.to_string(),
            reply,
        })
        .await?
    }

    /// Stops firing `job` until it is resumed, across restarts and reloads.
    pub async fn suspend(&self, job: &str, actor: &str) -> Result<(), ControlError> {
        self.ask(|reply| Request::Suspend {
            job: job.to_string(),
            actor: actor.to_string(),
            reply,
        })
        .await?
    }

    /// Lifts a suspension set with [`Control::suspend`]. Firings missed
    /// while suspended are not caught up.
    pub async fn resume(&self, job: &str, actor: &str) -> Result<(), ControlError> {
        self.ask(|reply| Request::Resume {
            job: job.to_string(),
            actor: actor.to_string(),
            reply,
        })
        .await?
    }

    /// Cancels a run that is going; returns its job.
    pub async fn cancel(&self, run_id: &str, actor: &str) -> Result<String, ControlError> {
        self.ask(|reply| Request::Cancel {
            run_id: run_id.to_string(),
            actor: actor.to_string(),
            reply,
        })
        .await?
    }
}

impl super::Daemon {
    /// Answers one request, from memory; actions are written to the
    /// activity log.
    pub(super) fn control(&mut self, request: Request) {
        match request {
            Request::Snapshot(reply) => {
                let _ = reply.send(self.snapshot());
            }
            Request::RunNow { job, actor, reply } => {
                let result = self.run_now(&job);
                let outcome = match &result {
                    Ok(run_id) => format!("started run {run_id}"),
                    Err(e) => format!("refused: {e}"),
                };
                let mut entry = self.activity(&actor, "run-now", &outcome).job(&job);
                if let Ok(run_id) = &result {
                    entry = entry.run(run_id);
                }
                self.launch.writer.record_activity(entry);
                let _ = reply.send(result);
            }
            Request::Suspend { job, actor, reply } => {
                let result = self.suspend(&job, &actor);
                self.log_action(&actor, "suspend", &job, &result, "suspended");
                let _ = reply.send(result);
            }
            Request::Resume { job, actor, reply } => {
                let result = self.resume(&job);
                self.log_action(&actor, "resume", &job, &result, "resumed");
                let _ = reply.send(result);
            }
            Request::Cancel {
                run_id,
                actor,
                reply,
            } => {
                let result = self.cancel(&run_id, &actor);
                let outcome = match &result {
                    Ok(_) => "cancelled".to_string(),
                    Err(e) => format!("refused: {e}"),
                };
                let mut entry = self.activity(&actor, "cancel", &outcome).run(&run_id);
                if let Ok(job) = &result {
                    entry = entry.job(job);
                }
                self.launch.writer.record_activity(entry);
                let _ = reply.send(result);
            }
        }
    }

    fn activity(&self, actor: &str, action: &str, outcome: &str) -> Activity {
        Activity::new(self.clock.now(), actor, action, outcome)
    }

    fn log_action(
        &self,
        actor: &str,
        action: &str,
        job: &str,
        result: &Result<(), ControlError>,
        done: &str,
    ) {
        let outcome = match result {
            Ok(()) => done.to_string(),
            Err(e) => format!("refused: {e}"),
        };
        tracing::info!("job {job}: {action} by {actor}: {outcome}");
        self.launch
            .writer
            .record_activity(self.activity(actor, action, &outcome).job(job));
    }

    fn snapshot(&self) -> Snapshot {
        let mut jobs: Vec<JobView> = self
            .slots
            .iter()
            .map(|(path, slot)| {
                let mut running: Vec<String> = slot.running.keys().cloned().collect();
                running.sort();
                JobView {
                    path: path.clone(),
                    def: Arc::clone(&slot.def),
                    next: slot.next,
                    running,
                    queued: slot.pending.len(),
                    suspension: self
                        .suspensions
                        .get(slot.def.manifest.name.as_str())
                        .cloned(),
                    missed: slot.missed_count,
                }
            })
            .collect();
        jobs.sort_by(|a, b| a.name().cmp(b.name()));
        Snapshot {
            at: self.clock.now(),
            jobs,
            failed: self.failed.clone(),
            writable: self.launch.writer.is_writable(),
        }
    }

    fn find(&self, job: &str) -> Result<PathBuf, ControlError> {
        self.slots
            .iter()
            .find(|(_, slot)| slot.def.manifest.name.as_str() == job)
            .map(|(path, _)| path.clone())
            .ok_or_else(|| ControlError::UnknownJob(job.to_string()))
    }

    fn run_now(&mut self, job: &str) -> Result<String, ControlError> {
        let path = self.find(job)?;
        if !self.launch.writer.is_writable() {
            return Err(ControlError::HistoryNotWritable);
        }
        let slot = &self.slots[&path];
        let def = Arc::clone(&slot.def);
        if !slot.running.is_empty() && def.manifest.firing.concurrency == Concurrency::Forbid {
            let mut runs: Vec<&str> = slot.running.keys().map(String::as_str).collect();
            runs.sort_unstable();
            return Err(ControlError::AlreadyRunning {
                job: job.to_string(),
                runs: runs.join(", "),
            });
        }
        let now = self.clock.now();
        let pending = Pending {
            at: now,
            scheduled: now,
            attempt: 0,
            trigger: Trigger::Manual,
        };
        self.start(&path, &def, pending)
            .ok_or(ControlError::HistoryNotWritable)
    }

    fn suspend(&mut self, job: &str, actor: &str) -> Result<(), ControlError> {
        let path = self.find(job)?;
        let slot = self.slots.get_mut(&path).expect("found above");
        if slot.def.manifest.firing.suspend {
            return Err(ControlError::SuspendedInManifest {
                job: job.to_string(),
                path: path.display().to_string(),
            });
        }
        if self.suspensions.contains_key(job) {
            return Err(ControlError::AlreadySuspended(job.to_string()));
        }
        let suspension = Suspension {
            job: job.to_string(),
            at: self.clock.now(),
            by: actor.to_string(),
        };
        self.launch.writer.suspend(suspension.clone());
        self.suspensions.insert(job.to_string(), suspension);
        // Runs going finish; queued starts (jitter, retries) are dropped.
        slot.pending.clear();
        slot.plan(true);
        Ok(())
    }

    fn resume(&mut self, job: &str) -> Result<(), ControlError> {
        let path = self.find(job)?;
        let slot = self.slots.get_mut(&path).expect("found above");
        if self.suspensions.remove(job).is_none() {
            return Err(if slot.def.manifest.firing.suspend {
                ControlError::SuspendedInManifest {
                    job: job.to_string(),
                    path: path.display().to_string(),
                }
            } else {
                ControlError::NotSuspended(job.to_string())
            });
        }
        self.launch.writer.resume(job);
        // Firings missed while suspended are not caught up.
        let now = self.clock.now();
        slot.cursor = slot.cursor.max(now);
        // Also after a restart: what came before is not downtime.
        self.launch.writer.set_last_fire(job, slot.cursor);
        slot.plan(false);
        if let Some(next) = slot.next {
            self.agenda.push(Reverse((next, path)));
        }
        Ok(())
    }

    fn cancel(&mut self, run_id: &str, actor: &str) -> Result<String, ControlError> {
        for slot in self.slots.values_mut() {
            if let Some(cancel) = slot.running.get_mut(run_id) {
                let job = slot.def.manifest.name.to_string();
                if let Some(cancel) = cancel.take() {
                    let _ = cancel.send(format!("cancelled by {actor}"));
                }
                return Ok(job);
            }
        }
        Err(ControlError::NotRunning(run_id.to_string()))
    }
}
