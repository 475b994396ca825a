//! Writes to the run history from a thread of their own, in order, so that
//! the scheduler never waits on the disk: it queues a write and goes on.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};

use super::{History, NewRun, RunEnd};
use crate::host::AuditEntry;

/// One queued write.
enum Write {
    StartRun(NewRun),
    Request(String, AuditEntry),
    FinishRun(String, RunEnd),
    Skipped {
        job: String,
        scheduled_at: DateTime<Utc>,
        reason: String,
        now: DateTime<Utc>,
    },
    LastFire(String, DateTime<Utc>),
}

/// A queue of writes to a [`History`], applied in order by one thread.
/// Clones share the queue. Errors are logged: a write that fails must not
/// stop the job it records.
#[derive(Clone)]
pub struct HistoryWriter {
    queue: mpsc::Sender<Write>,
}

/// Owns the writer thread; [`WriterThread::finish`] waits until every
/// queued write is applied.
pub struct WriterThread {
    thread: JoinHandle<()>,
}

impl HistoryWriter {
    /// Starts the writer thread for `history`.
    pub fn spawn(history: Arc<History>) -> std::io::Result<(HistoryWriter, WriterThread)> {
        let (queue, writes) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("warden-history".into())
            .spawn(move || {
                for write in writes {
                    apply(&history, write);
                }
            })?;
        Ok((HistoryWriter { queue }, WriterThread { thread }))
    }

    pub fn start_run(&self, run: NewRun) {
        self.send(Write::StartRun(run));
    }

    pub fn record_request(&self, run_id: &str, entry: &AuditEntry) {
        self.send(Write::Request(run_id.to_string(), entry.clone()));
    }

    pub fn finish_run(&self, run_id: &str, end: RunEnd) {
        self.send(Write::FinishRun(run_id.to_string(), end));
    }

    pub fn record_skipped(
        &self,
        job: &str,
        scheduled_at: DateTime<Utc>,
        reason: String,
        now: DateTime<Utc>,
    ) {
        self.send(Write::Skipped {
            job: job.to_string(),
            scheduled_at,
            reason,
            now,
        });
    }

    pub fn set_last_fire(&self, job: &str, at: DateTime<Utc>) {
        self.send(Write::LastFire(job.to_string(), at));
    }

    fn send(&self, write: Write) {
        if self.queue.send(write).is_err() {
            tracing::error!("the run history writer has stopped; a write was lost");
        }
    }
}

impl WriterThread {
    /// Waits for the queue to drain. Every [`HistoryWriter`] must have been
    /// dropped first, or this waits for ever.
    pub fn finish(self) {
        if self.thread.join().is_err() {
            tracing::error!("the run history writer crashed");
        }
    }
}

fn apply(history: &History, write: Write) {
    let result = match &write {
        Write::StartRun(run) => history.start_run(run),
        Write::Request(run_id, entry) => history.record_request(run_id, entry),
        Write::FinishRun(run_id, end) => history.finish_run(run_id, end),
        Write::Skipped {
            job,
            scheduled_at,
            reason,
            now,
        } => history
            .record_skipped(job, *scheduled_at, reason, *now)
            .map(drop),
        Write::LastFire(job, at) => history.set_last_fire(job, *at),
    };
    if let Err(e) = result {
        tracing::warn!("run history: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Trigger;
    use crate::run::RunStatus;

    #[test]
    fn writes_are_applied_in_order_before_finish_returns() {
        let dir = std::env::temp_dir().join(format!("warden-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let history = Arc::new(History::open(&dir.join("h.db")).unwrap());
        let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
        let at: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        writer.start_run(NewRun {
            run_id: "r1".into(),
            job: "j".into(),
            scheduled_at: Some(at),
            started_at: at,
            attempt: 0,
            trigger: Trigger::Schedule,
        });
        writer.finish_run(
            "r1",
            RunEnd::without_report(RunStatus::Cancelled, "stopped".into(), at),
        );
        writer.set_last_fire("j", at);
        writer.record_skipped("j", at, "busy".into(), at);
        // A failing write is logged, not fatal, and later ones still apply.
        writer.finish_run(
            "nope",
            RunEnd::without_report(RunStatus::Failed, "x".into(), at),
        );
        writer.set_last_fire("k", at);
        drop(writer);
        thread.finish();
        assert_eq!(
            history.run("r1").unwrap().unwrap().status,
            RunStatus::Cancelled
        );
        assert_eq!(history.last_fire("j").unwrap(), Some(at));
        assert_eq!(history.last_fire("k").unwrap(), Some(at));
        assert_eq!(history.runs(Some("j"), 10).unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
