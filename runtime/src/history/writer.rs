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
                let mut pending = None;
                while let Some(write) = pending.take().or_else(|| writes.recv().ok()) {
                    pending = apply(&history, write, &writes);
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

/// Most audit entries written in one transaction.
const MAX_BATCH: usize = 500;

/// Applies `write`. Requests queued right behind a request of the same run
/// go with it, in one transaction; the write taken from the queue that did
/// not belong to the batch is returned, to be applied next.
fn apply(history: &History, write: Write, queue: &mpsc::Receiver<Write>) -> Option<Write> {
    let mut after = None;
    let result = match write {
        Write::Request(run_id, entry) => {
            let mut batch = vec![entry];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(Write::Request(id, entry)) if id == run_id => batch.push(entry),
                    Ok(other) => {
                        after = Some(other);
                        break;
                    }
                    Err(_) => break,
                }
            }
            history.record_requests(&run_id, &batch)
        }
        Write::StartRun(run) => history.start_run(&run),
        Write::FinishRun(run_id, end) => history.finish_run(&run_id, &end),
        Write::Skipped {
            job,
            scheduled_at,
            reason,
            now,
        } => history
            .record_skipped(&job, scheduled_at, &reason, now)
            .map(drop),
        Write::LastFire(job, at) => history.set_last_fire(&job, at),
    };
    if let Err(e) = result {
        tracing::warn!("run history: {e}");
    }
    after
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

    #[test]
    fn queued_requests_are_batched_per_run_and_kept_in_order() {
        let dir = std::env::temp_dir().join(format!("warden-writer-batch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let history = Arc::new(History::open(&dir.join("h.db")).unwrap());
        let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
        let at: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        for run_id in ["r1", "r2"] {
            writer.start_run(NewRun {
                run_id: run_id.into(),
                job: "j".into(),
                scheduled_at: None,
                started_at: at,
                attempt: 0,
                trigger: Trigger::Manual,
            });
        }
        // Runs of requests longer than a batch, alternating between the
        // runs, with a finish in between.
        for i in 0..2 * MAX_BATCH + 300 {
            let run_id = if (i / 150) % 2 == 0 { "r1" } else { "r2" };
            let entry = AuditEntry {
                at: std::time::SystemTime::UNIX_EPOCH,
                method: crate::scope::Method::Get,
                target: format!("/api/v1/courses/{i}"),
                scope: None,
                outcome: crate::host::Outcome::Status(200),
                duration: std::time::Duration::ZERO,
                attempts: 1,
            };
            writer.record_request(run_id, &entry);
        }
        writer.finish_run(
            "r1",
            RunEnd::without_report(RunStatus::Cancelled, "x".into(), at),
        );
        drop(writer);
        thread.finish();
        for (run_id, parity) in [("r1", 0), ("r2", 1)] {
            let rows = history.requests(run_id).unwrap();
            let expected: Vec<String> = (0..2 * MAX_BATCH + 300)
                .filter(|i| (i / 150) % 2 == parity)
                .map(|i| format!("/api/v1/courses/{i}"))
                .collect();
            let targets: Vec<String> = rows.iter().map(|r| r.target.clone()).collect();
            assert_eq!(targets, expected, "{run_id}");
            let seqs: Vec<u64> = rows.iter().map(|r| r.seq).collect();
            assert_eq!(seqs, (1..=expected.len() as u64).collect::<Vec<_>>());
        }
        assert_eq!(
            history.run("r1").unwrap().unwrap().status,
            RunStatus::Cancelled
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
