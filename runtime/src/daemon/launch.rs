//! Starting one run of a job as a task of its own, recording it in the
//! history from start to end, and telling the daemon when it is over.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use super::JobDef;
use crate::alerts::{Alerter, RunEnded};
use crate::clock::Clock;
use crate::history::{HistoryWriter, NewRun, RunEnd, StartRefused, Trigger};
use crate::run::{new_run_id, RunOptions, RunStatus, Runner};

/// What a run task reports when it ends.
#[derive(Debug)]
pub struct Done {
    pub path: PathBuf,
    pub run_id: String,
    pub ended: Ended,
    pub scheduled: DateTime<Utc>,
    pub attempt: u32,
}

/// How a run task ended.
#[derive(Debug)]
pub enum Ended {
    /// The job ran and ended so.
    Ran(RunStatus),
    /// Its start could not be recorded, so the job did not run.
    NotStarted(StartRefused),
}

/// Everything needed to start runs.
pub struct Launch {
    pub runner: Runner,
    pub writer: HistoryWriter,
    pub clock: Arc<dyn Clock>,
    pub done: mpsc::UnboundedSender<Done>,
    /// Told about every run's end (`[alerts]`).
    pub alerts: Option<Alerter>,
}

impl Launch {
    /// Spawns a run: it starts once its start row is stored (or does not
    /// start at all when it cannot be). Sending a reason on the returned
    /// channel cancels it.
    pub fn spawn(
        &self,
        path: &Path,
        def: &Arc<JobDef>,
        scheduled: DateTime<Utc>,
        attempt: u32,
        trigger: Trigger,
    ) -> (String, oneshot::Sender<String>) {
        let run_id = new_run_id();
        let job = def.manifest.name.to_string();
        let (cancel, cancelled) = oneshot::channel();
        let started = NewRun {
            run_id: run_id.clone(),
            job: job.clone(),
            scheduled_at: Some(scheduled),
            started_at: self.clock.now(),
            attempt,
            trigger,
        };

        let task = RunTask {
            runner: self.runner.clone(),
            writer: self.writer.clone(),
            clock: Arc::clone(&self.clock),
            def: Arc::clone(def),
            run_id: run_id.clone(),
            trigger,
            started_at: started.started_at,
            alerts: self.alerts.clone(),
        };
        let done = self.done.clone();
        let path = path.to_path_buf();
        // Every line logged for this run carries its job and run id.
        let span = tracing::info_span!("run", job = %job, run_id = %run_id);
        tokio::spawn(tracing::Instrument::instrument(
            async move {
                // The start row is stored before the job starts, so every run
                // that talks to Canvas has a row its requests belong to.
                let ended = match task.writer.start_run(started).await {
                    Ok(()) => {
                        tracing::info!(
                            "job {job}: run {} started ({}, scheduled {scheduled})",
                            task.run_id,
                            trigger.as_str()
                        );
                        Ended::Ran(task.run(cancelled).await)
                    }
                    Err(refused) => Ended::NotStarted(refused),
                };
                let _ = done.send(Done {
                    path,
                    run_id: task.run_id,
                    ended,
                    scheduled,
                    attempt,
                });
            },
            span,
        ));
        (run_id, cancel)
    }
}

struct RunTask {
    runner: Runner,
    writer: HistoryWriter,
    clock: Arc<dyn Clock>,
    def: Arc<JobDef>,
    run_id: String,
    trigger: Trigger,
    started_at: DateTime<Utc>,
    alerts: Option<Alerter>,
}

impl RunTask {
    /// Runs the job until it ends or is cancelled, and records the end.
    async fn run(&self, cancelled: oneshot::Receiver<String>) -> RunStatus {
        let job = self.def.manifest.name.as_str();
        let mut options = RunOptions::new(self.run_id.clone());
        options.audit_sink = Some(self.writer.audit_sink(&self.run_id));

        // The run is a task of its own so that a panic inside it is an
        // error here, not a lost run, and cancelling it drops the guest.
        let runner = self.runner.clone();
        let def = Arc::clone(&self.def);
        let mut inner = tokio::spawn(tracing::Instrument::in_current_span(async move {
            runner.run(&def.manifest, &def.component, options).await
        }));
        let ended = tokio::select! {
            joined = &mut inner => match joined {
                Ok(Ok(report)) => RunEnd::from_report(&report, self.clock.now()),
                Ok(Err(setup)) => self.failed(format!("the run could not start: {setup}")),
                Err(e) if e.is_panic() => self.failed("the run crashed inside Warden (a bug: please report it)".into()),
                Err(_) => self.cancelled("the run was aborted".into()),
            },
            reason = cancelled => {
                inner.abort();
                let _ = inner.await;
                self.cancelled(reason.unwrap_or_else(|_| "the daemon stopped".into()))
            }
        };
        let status = ended.status;
        match status {
            RunStatus::Succeeded => tracing::info!("job {job}: run {} succeeded", self.run_id),
            status => tracing::warn!(
                "job {job}: run {} {status}: {}",
                self.run_id,
                ended.error.as_deref().unwrap_or("")
            ),
        }
        let alert = self.alerts.as_ref().map(|alerts| {
            let ended = RunEnded {
                job: job.to_string(),
                run_id: self.run_id.clone(),
                status,
                trigger: self.trigger,
                error: ended.error.clone(),
                started_at: self.started_at,
                ended_at: ended.ended_at,
            };
            (alerts, ended)
        });
        self.writer.finish_run(&self.run_id, ended);
        if let Some((alerts, ended)) = alert {
            alerts.run_ended(ended);
        }
        status
    }

    fn failed(&self, error: String) -> RunEnd {
        self.end(RunStatus::Failed, error)
    }

    fn cancelled(&self, reason: String) -> RunEnd {
        self.end(RunStatus::Cancelled, reason)
    }

    fn end(&self, status: RunStatus, error: String) -> RunEnd {
        RunEnd::without_report(status, error, self.clock.now())
    }
}
