//! Writes to the run history from a thread of their own, in order, so that
//! the scheduler never waits on the disk, and so that nothing is lost when
//! the disk cannot take them.
//!
//! A write that fails for a reason that can pass (the disk is full, the
//! file read-only or locked by another process, an I/O error) is kept, in
//! order with everything queued after it, and tried again with a doubling
//! backoff until it succeeds. Held writes are bounded in memory: past
//! [`MAX_HELD_BYTES`] they go to the spill file beside the database
//! ([`super::spill`]), which is also where whatever is still held when the
//! process exits goes, and which is replayed, in order, first thing at the
//! next start. Every write is idempotent (requests carry their number in the
//! run, skipped firings their run id, the last firing only moves forward), so
//! a write repeated after a crash changes nothing.
//!
//! A run's start row is different: it must be stored before the run may
//! begin ([`HistoryWriter::start_run`] waits for it), and while the history
//! cannot be written no run starts. A start that cannot be stored is not
//! retried; a scheduled one becomes a `skipped` row ("missed: …"), stored
//! when the history can be written again.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, watch};

use super::spill::{self, Write};
use super::{Activity, History, HistoryError, NewRun, RunEnd, Suspension};
use crate::host::{AuditEntry, AuditSink};

/// Most memory held writes may take before they go to the spill file.
pub const MAX_HELD_BYTES: usize = 32 << 20;
/// Past this, with the spill file failing too, new writes are lost (and
/// each loss is logged as an error).
const HARD_CAP_BYTES: usize = 8 * MAX_HELD_BYTES;
/// Most audit entries written in one transaction.
const MAX_BATCH: usize = 500;
/// First wait before a failed write is tried again; it doubles up to
/// [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// While writes fail, the log says so this often (not at every attempt).
pub const REPORT_EVERY: Duration = Duration::from_secs(60);
/// How long held writes are tried at exit when nobody said.
const DEFAULT_CLOSE_GRACE: Duration = Duration::from_secs(10);

/// Why a run's start could not be recorded; the run must not begin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the run history {path} cannot be written ({cause}), so the run was not started")]
pub struct StartRefused {
    pub path: String,
    pub cause: String,
}

enum Msg {
    Write(Write),
    /// A start row, and who waits to hear whether it was stored.
    Start(NewRun, oneshot::Sender<Result<(), StartRefused>>),
}

/// A queue of writes to a [`History`], applied in order by one thread.
/// Clones share the queue.
#[derive(Clone)]
pub struct HistoryWriter {
    queue: mpsc::Sender<Msg>,
    health: watch::Receiver<bool>,
    path: String,
}

/// Whether the history takes writes now; `false` while writes fail and
/// until every held write is stored.
pub type WriterHealth = watch::Receiver<bool>;

/// Owns the writer thread; [`WriterThread::finish`] waits until every
/// queued write is stored or spilled.
pub struct WriterThread {
    thread: JoinHandle<usize>,
    close_by: Arc<Mutex<Option<Instant>>>,
}

impl HistoryWriter {
    /// Starts the writer thread for `history`. Writes left in the spill file
    /// by an earlier process are stored first, before this returns when the
    /// history can be written (so that, for one, a daemon marks as
    /// interrupted only the runs that really have no end).
    pub fn spawn(history: Arc<History>) -> std::io::Result<(HistoryWriter, WriterThread)> {
        let (queue, rx) = mpsc::channel();
        let (health_tx, health) = watch::channel(true);
        let close_by = Arc::new(Mutex::new(None));
        let path = history.path().display().to_string();
        let mut worker = Worker {
            spill_path: spill::path_for(history.path()),
            history,
            rx,
            held: VecDeque::new(),
            held_weight: 0,
            spilled: 0,
            failure: None,
            spill_failure: None,
            lost: 0,
            health: health_tx,
            close_by: Arc::clone(&close_by),
        };
        if worker.spill_path.exists() {
            worker.replay_spill();
        }
        let thread = std::thread::Builder::new()
            .name("warden-history".into())
            .spawn(move || worker.run())?;
        Ok((
            HistoryWriter {
                queue,
                health,
                path,
            },
            WriterThread { thread, close_by },
        ))
    }

    /// Stores the start row of a run, and returns once it is stored. While
    /// the history cannot be written, or when this write fails, the run must
    /// not start: the error says why, and a scheduled run's firing is
    /// recorded as missed once the history can be written again.
    pub async fn start_run(&self, run: NewRun) -> Result<(), StartRefused> {
        let (ack, answer) = oneshot::channel();
        let refused = |cause: &str| StartRefused {
            path: self.path.clone(),
            cause: cause.to_string(),
        };
        if self.queue.send(Msg::Start(run, ack)).is_err() {
            return Err(refused("its writer has stopped"));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(refused("its writer has stopped")))
    }

    /// A sink that queues each audit entry of `run_id`, numbered from 1.
    pub fn audit_sink(&self, run_id: &str) -> AuditSink {
        let (writer, run_id) = (self.clone(), run_id.to_string());
        let next = AtomicU64::new(1);
        Arc::new(move |entry: &AuditEntry| {
            let seq = next.fetch_add(1, Ordering::Relaxed);
            writer.send(Write::Request {
                run_id: run_id.clone(),
                seq,
                entry: entry.clone(),
            });
        })
    }

    pub fn finish_run(&self, run_id: &str, end: RunEnd) {
        self.send(Write::FinishRun(run_id.to_string(), end));
    }

    /// Records a firing that started no run; returns the row's run id.
    pub fn record_skipped(
        &self,
        job: &str,
        scheduled_at: DateTime<Utc>,
        reason: String,
        now: DateTime<Utc>,
    ) -> String {
        let run_id = crate::run::new_run_id_at(now);
        self.send(Write::Skipped {
            run_id: run_id.clone(),
            job: job.to_string(),
            scheduled_at,
            reason,
            now,
        });
        run_id
    }

    pub fn set_last_fire(&self, job: &str, at: DateTime<Utc>) {
        self.send(Write::LastFire(job.to_string(), at));
    }

    /// Adds an entry to the admin activity log.
    pub fn record_activity(&self, entry: Activity) {
        self.send(Write::Activity(entry));
    }

    /// Records that a job is suspended from the dashboard.
    pub fn suspend(&self, suspension: Suspension) {
        self.send(Write::Suspend(suspension));
    }

    /// Lifts the dashboard's suspension of a job.
    pub fn resume(&self, job: &str) {
        self.send(Write::Resume(job.to_string()));
    }

    /// Whether the history takes writes now (see [`WriterHealth`]).
    pub fn is_writable(&self) -> bool {
        *self.health.borrow()
    }

    /// Changes of [`HistoryWriter::is_writable`].
    pub fn health(&self) -> WriterHealth {
        self.health.clone()
    }

    fn send(&self, write: Write) {
        if self.queue.send(Msg::Write(write)).is_err() {
            tracing::error!(
                "the writer of run history {} has stopped; a write was lost",
                self.path
            );
        }
    }
}

impl WriterThread {
    /// Waits until every queued write is stored, trying held ones for up to
    /// `within`; what is still held then goes to the spill file. Every
    /// [`HistoryWriter`] must have been dropped first, or this waits for
    /// ever. Returns how many writes wait in the spill file for the next
    /// start (0 when the history has them all).
    pub fn finish(self, within: Duration) -> usize {
        *self.close_by.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Instant::now() + within);
        match self.thread.join() {
            Ok(spilled) => spilled,
            Err(_) => {
                tracing::error!("the run history writer crashed");
                0
            }
        }
    }
}

/// Writes are failing since `since`.
struct Failure {
    since: Instant,
    last_report: Instant,
    attempts: u32,
}

struct Worker {
    history: Arc<History>,
    rx: mpsc::Receiver<Msg>,
    spill_path: PathBuf,
    /// Writes not yet stored, oldest first; all newer than the spilled ones.
    held: VecDeque<Write>,
    held_weight: usize,
    /// Writes in the spill file not yet stored (the oldest of all).
    spilled: usize,
    failure: Option<Failure>,
    /// When appending to the spill file last failed (logged once a minute).
    spill_failure: Option<Instant>,
    lost: u64,
    health: watch::Sender<bool>,
    close_by: Arc<Mutex<Option<Instant>>>,
}

impl Worker {
    fn run(mut self) -> usize {
        loop {
            if self.idle() {
                match self.rx.recv() {
                    Ok(msg) => self.take(msg),
                    Err(_) => break,
                }
            }
            let mut closed = false;
            loop {
                match self.rx.try_recv() {
                    Ok(msg) => self.take(msg),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            if self.flush() {
                if closed {
                    break;
                }
                continue;
            }
            if closed {
                break;
            }
            // Failing: wait before the next attempt, taking new writes.
            match self.rx.recv_timeout(self.backoff()) {
                Ok(msg) => self.take(msg),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        self.close()
    }

    fn idle(&self) -> bool {
        self.held.is_empty() && self.spilled == 0
    }

    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Write(write) => self.hold(write),
            Msg::Start(run, ack) => {
                // Older writes go first; the start only if they all went.
                if self.failure.is_none() {
                    self.flush();
                }
                let result = if self.idle() {
                    match store(&self.history, &Write::StartRun(run.clone())) {
                        Ok(()) => Ok(()),
                        Err(e) => {
                            let cause = e.to_string();
                            if e.is_transient() {
                                self.failed(&e);
                            } else {
                                tracing::error!("{e}");
                            }
                            Err(cause)
                        }
                    }
                } else {
                    Err(format!(
                        "earlier writes are still waiting: {} held, {} spilled",
                        self.held.len(),
                        self.spilled
                    ))
                };
                let result = result.map_err(|cause| {
                    if let Some(scheduled_at) = run.scheduled_at {
                        self.hold(Write::Skipped {
                            run_id: run.run_id.clone(),
                            job: run.job.clone(),
                            scheduled_at,
                            reason: format!(
                                "missed: the run history could not be written when the firing came ({cause}); the job did not run"
                            ),
                            now: run.started_at,
                        });
                    }
                    StartRefused {
                        path: self.history.path().display().to_string(),
                        cause,
                    }
                });
                let _ = ack.send(result);
            }
        }
    }

    fn hold(&mut self, write: Write) {
        let weight = write.weight();
        if self.held_weight + weight > HARD_CAP_BYTES {
            self.lost += 1;
            tracing::error!(
                "run history {}: a write was lost: neither the database nor the spill file {} can take it and {} MiB are held ({} lost so far)",
                self.history.path().display(),
                self.spill_path.display(),
                HARD_CAP_BYTES >> 20,
                self.lost
            );
            return;
        }
        self.held_weight += weight;
        self.held.push_back(write);
        if self.held_weight > MAX_HELD_BYTES {
            self.spill_held();
        }
    }

    /// Moves every held write to the end of the spill file.
    fn spill_held(&mut self) -> bool {
        if self.held.is_empty() {
            return true;
        }
        let writes: Vec<Write> = self.held.iter().cloned().collect();
        match spill::append(&self.spill_path, &writes) {
            Ok(()) => {
                self.spilled += writes.len();
                self.held.clear();
                self.held_weight = 0;
                self.spill_failure = None;
                true
            }
            Err(e) => {
                let now = Instant::now();
                if self
                    .spill_failure
                    .is_none_or(|at| now.duration_since(at) >= REPORT_EVERY)
                {
                    tracing::error!(
                        "run history {}: cannot spill {} held write(s) to {}: {e}; they stay in memory",
                        self.history.path().display(),
                        writes.len(),
                        self.spill_path.display()
                    );
                    self.spill_failure = Some(now);
                }
                false
            }
        }
    }

    /// Stores the spilled writes, then the held ones, in order, until one
    /// fails for a reason that can pass. Returns whether all are stored.
    fn flush(&mut self) -> bool {
        if self.spilled > 0 && !self.replay_spill() {
            return false;
        }
        while !self.held.is_empty() {
            let (n, result) = store_front(&self.history, self.held.make_contiguous());
            match result {
                Ok(()) => {}
                Err(e) if e.is_transient() => {
                    self.failed(&e);
                    return false;
                }
                Err(e) => tracing::error!(
                    "run history: a write that can never be stored was dropped: {e}"
                ),
            }
            for write in self.held.drain(..n) {
                self.held_weight = self.held_weight.saturating_sub(write.weight());
            }
        }
        self.held_weight = 0;
        self.recovered();
        true
    }

    /// Stores what the spill file holds; removes the file once it is all
    /// stored, or keeps the rest in it.
    fn replay_spill(&mut self) -> bool {
        let (writes, bad) = match spill::read(&self.spill_path) {
            Ok(read) => read,
            Err(e) => {
                self.failed(&HistoryError::Spill {
                    path: self.spill_path.clone(),
                    source: e,
                });
                return false;
            }
        };
        if !bad.is_empty() {
            tracing::error!(
                "spill file {}: {} line(s) cannot be read and are skipped (a write cut short by a crash?): {}",
                self.spill_path.display(),
                bad.len(),
                bad.join("; ")
            );
        }
        let mut done = 0;
        while done < writes.len() {
            let (n, result) = store_front(&self.history, &writes[done..]);
            match result {
                Ok(()) => {}
                Err(e) if e.is_transient() => {
                    if done > 0 && spill::rewrite(&self.spill_path, &writes[done..]).is_ok() {
                        self.spilled = writes.len() - done;
                    } else {
                        self.spilled = writes.len().max(1);
                    }
                    self.failed(&e);
                    return false;
                }
                Err(e) => tracing::error!(
                    "run history: a spilled write that can never be stored was dropped: {e}"
                ),
            }
            done += n;
        }
        if let Err(e) = spill::rewrite(&self.spill_path, &[]) {
            // Stored, but the file stays: replaying it again is harmless.
            tracing::warn!(
                "cannot remove the spill file {} after storing it: {e}",
                self.spill_path.display()
            );
        } else if !writes.is_empty() {
            tracing::info!(
                "run history {}: stored {} write(s) from the spill file {}",
                self.history.path().display(),
                writes.len(),
                self.spill_path.display()
            );
        }
        self.spilled = 0;
        true
    }

    fn failed(&mut self, error: &HistoryError) {
        let now = Instant::now();
        match &mut self.failure {
            None => {
                tracing::error!(
                    "run history {}: cannot write ({error}); the write and all after it are held and tried again until it works; no run starts meanwhile",
                    self.history.path().display()
                );
                self.failure = Some(Failure {
                    since: now,
                    last_report: now,
                    attempts: 1,
                });
                self.set_health(false);
            }
            Some(f) => {
                f.attempts = f.attempts.saturating_add(1);
                if now.duration_since(f.last_report) >= REPORT_EVERY {
                    f.last_report = now;
                    tracing::error!(
                        "run history {} still cannot be written after {}s ({error}); {} write(s) held in memory, {} in {}",
                        self.history.path().display(),
                        now.duration_since(f.since).as_secs(),
                        self.held.len(),
                        self.spilled,
                        self.spill_path.display()
                    );
                }
            }
        }
    }

    fn recovered(&mut self) {
        if let Some(f) = self.failure.take() {
            tracing::warn!(
                "run history {} can be written again after {:.1}s; every held write is stored",
                self.history.path().display(),
                f.since.elapsed().as_secs_f64()
            );
        }
        self.set_health(true);
    }

    /// Tells the watchers, only when it changes.
    fn set_health(&self, writable: bool) {
        self.health.send_if_modified(|now| {
            let changed = *now != writable;
            *now = writable;
            changed
        });
    }

    fn backoff(&self) -> Duration {
        let attempts = self.failure.as_ref().map_or(0, |f| f.attempts);
        crate::retry::doubled(FIRST_BACKOFF, attempts.saturating_sub(1)).min(MAX_BACKOFF)
    }

    /// Every sender is gone: store what is held until the deadline
    /// [`WriterThread::finish`] set, then spill the rest. Returns how many
    /// writes the spill file holds.
    fn close(mut self) -> usize {
        let started = Instant::now();
        loop {
            if self.flush() {
                return 0;
            }
            let deadline = self
                .close_by
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .unwrap_or(started + DEFAULT_CLOSE_GRACE);
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep(self.backoff().min(deadline - now));
        }
        let held = self.held.len();
        if self.spill_held() {
            tracing::warn!(
                "run history {} could not be written before exit; {} write(s) wait in {} and are stored at the next start",
                self.history.path().display(),
                self.spilled,
                self.spill_path.display()
            );
        } else {
            tracing::error!(
                "run history {}: {held} write(s) are lost: neither the database nor the spill file {} can take them",
                self.history.path().display(),
                self.spill_path.display()
            );
        }
        self.spilled
    }
}

/// Stores the first write of `writes`, with the requests of the same run
/// numbered right after it when it is a request (in one transaction).
/// Returns how many writes that took, and the result.
fn store_front(history: &History, writes: &[Write]) -> (usize, Result<(), HistoryError>) {
    let Some(Write::Request { run_id, seq, entry }) = writes.first() else {
        return (1, writes.first().map_or(Ok(()), |w| store(history, w)));
    };
    let mut batch = vec![entry.clone()];
    for write in &writes[1..] {
        match write {
            Write::Request {
                run_id: id,
                seq: next,
                entry,
            } if id == run_id && *next == seq + batch.len() as u64 && batch.len() < MAX_BATCH => {
                batch.push(entry.clone())
            }
            _ => break,
        }
    }
    let n = batch.len();
    (n, history.record_numbered_requests(run_id, *seq, &batch))
}

/// Stores one write. Every write may be stored twice: the second time
/// changes nothing.
fn store(history: &History, write: &Write) -> Result<(), HistoryError> {
    match write {
        Write::StartRun(run) => match history.start_run(run) {
            Err(HistoryError::DuplicateRun { .. }) => Ok(()),
            other => other,
        },
        Write::Request { run_id, seq, entry } => {
            history.record_numbered_requests(run_id, *seq, std::slice::from_ref(entry))
        }
        Write::FinishRun(run_id, end) => history.finish_run(run_id, end),
        Write::Skipped {
            run_id,
            job,
            scheduled_at,
            reason,
            now,
        } => history
            .record_skipped_as(run_id, job, *scheduled_at, reason, *now)
            .map(drop),
        Write::LastFire(job, at) => history.set_last_fire(job, *at),
        Write::Activity(entry) => history.record_activity(entry),
        Write::Suspend(suspension) => history.suspend(suspension),
        Write::Resume(job) => history.resume(job),
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
