//! The run history: every run and every Canvas request it made, in an
//! embedded SQLite database that survives restarts and crashes.
//!
//! One [`History`] per process, shared by the scheduler and the CLI; it is
//! `Send + Sync` and serialises its own use of the connection. Several
//! processes (a `warden serve` writing, a `warden history` reading) may open
//! the same file: it is in WAL mode, so readers never block the writer.
//!
//! Times are stored as integer milliseconds since the Unix epoch (UTC), so
//! they sort; what is read back is rounded down to the millisecond.
//! Text is capped so that a bug elsewhere cannot bloat the file: output
//! tails at 64 KiB (their end), request targets, scopes, outcomes and run
//! errors at 4 KiB (their start, ending in `…` when cut).
//!
//! - [`schema`]: connection settings, ownership checks, migrations.
//! - [`report`]: the text of `warden history` and `warden logs`.

mod activity;
mod bounds;
mod browse;
pub mod report;
pub mod schema;
pub mod spill;
#[cfg(test)]
mod tests;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::host::{AuditEntry, Outcome};
use crate::run::{RunReport, RunStatus};

pub use activity::{Activity, Suspension};
pub use bounds::{keep_start, TAIL_CAP, TEXT_CAP};
pub use browse::{RunFilter, RunPage};
pub use schema::SCHEMA_VERSION;
pub use writer::{HistoryWriter, StartRefused, WriterHealth, WriterThread, REPORT_EVERY};

/// What the run history could not do. Every message names the database.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot create the folder of run history {}: {source}", path.display())]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open run history {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "run history {} was written by a newer Warden (schema {found}; this one reads up to {supported}); refusing to touch it",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{} is not a Warden run history ({detail}); refusing to touch it", path.display())]
    NotWarden { path: PathBuf, detail: String },
    #[error(
        "cannot open run history {}: SQLite would not switch it to WAL mode (it stays in {mode:?} mode); keep it on a local filesystem",
        path.display()
    )]
    NoWal { path: PathBuf, mode: String },
    #[error("cannot upgrade run history {} from schema {from} to {to}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        from: i64,
        to: i64,
        source: rusqlite::Error,
    },
    #[error("run history {}: cannot {action}: {source}", path.display())]
    Database {
        path: PathBuf,
        action: String,
        source: rusqlite::Error,
    },
    #[error("run history {} already has a run {run_id}", path.display())]
    DuplicateRun { path: PathBuf, run_id: String },
    #[error("run history {} has no run {run_id}", path.display())]
    UnknownRun { path: PathBuf, run_id: String },
    #[error(
        "run history {} has schema {found}, older than this Warden's {supported}; `warden serve` or `warden run` upgrades it (read-only commands never write)",
        path.display()
    )]
    OlderSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot read the spill file {}: {source}", path.display())]
    Spill {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A stored value this Warden cannot read (a newer Warden wrote it, or
    /// the file was edited by hand).
    #[error("run history {}: {what}: {detail}", path.display())]
    BadValue {
        path: PathBuf,
        what: String,
        detail: String,
    },
}

impl HistoryError {
    /// Whether the same write may succeed later (the disk was full, the file
    /// read-only or locked, an I/O error), as opposed to a write that can
    /// never succeed (a run that does not exist, a value it cannot hold).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            HistoryError::Database { .. }
                | HistoryError::Open { .. }
                | HistoryError::CreateFolder { .. }
                | HistoryError::Spill { .. }
        )
    }
}

/// What made a run start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Its schedule fired.
    Schedule,
    /// A firing missed while the daemon was down, run late.
    CatchUp,
    /// A failed run, run again.
    Retry,
    /// Started by hand.
    Manual,
}

impl Trigger {
    pub const ALL: [Trigger; 4] = [
        Trigger::Schedule,
        Trigger::CatchUp,
        Trigger::Retry,
        Trigger::Manual,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch-up",
            Trigger::Retry => "retry",
            Trigger::Manual => "manual",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the trigger names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown run trigger {0:?}; expected one of schedule, catch-up, retry, manual")]
pub struct UnknownTrigger(pub String);

impl FromStr for Trigger {
    type Err = UnknownTrigger;

    fn from_str(text: &str) -> Result<Self, UnknownTrigger> {
        Trigger::ALL
            .into_iter()
            .find(|t| t.as_str() == text)
            .ok_or_else(|| UnknownTrigger(text.to_string()))
    }
}

/// A run about to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    pub run_id: String,
    pub job: String,
    /// The firing it belongs to; `None` for a manual run.
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    /// 0 for the first run of a firing, n for its n-th retry.
    pub attempt: u32,
    pub trigger: Trigger,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnd {
    pub ended_at: DateTime<Utc>,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    /// HTTP requests sent to Canvas (throttle retries included).
    pub requests: u64,
    pub denials: u64,
    pub invalid: u64,
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// How long the rate-limit governor held the run's requests back, in ms.
    pub held_ms: u64,
}

impl RunEnd {
    /// The end of a run that has no report of its own: it could not start,
    /// or it was cancelled (what it did before is in its request audit).
    pub fn without_report(status: RunStatus, error: String, ended_at: DateTime<Utc>) -> RunEnd {
        RunEnd {
            ended_at,
            status,
            exit_code: None,
            error: Some(error),
            requests: 0,
            denials: 0,
            invalid: 0,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            held_ms: 0,
        }
    }

    /// The end of the run `report` describes. Its audit entries are recorded
    /// separately ([`History::record_requests`]).
    pub fn from_report(report: &RunReport, ended_at: DateTime<Utc>) -> RunEnd {
        RunEnd {
            ended_at,
            status: report.status,
            exit_code: report.exit_code,
            error: report.message.clone(),
            requests: report.stats.sent,
            denials: report.stats.denied,
            invalid: report.stats.invalid,
            stdout_tail: report.stdout_tail.clone(),
            stderr_tail: report.stderr_tail.clone(),
            held_ms: u64::try_from(report.stats.held.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// One run, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub run_id: String,
    pub job: String,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub requests: u64,
    pub denials: u64,
    pub invalid: u64,
    pub stdout_tail: String,
    pub stderr_tail: String,
    pub attempt: u32,
    pub trigger: Trigger,
    /// How long the rate-limit governor held its requests back, in ms.
    pub held_ms: u64,
}

impl RunRow {
    /// How long it ran, once it has ended.
    pub fn duration(&self) -> Option<chrono::Duration> {
        self.ended_at.map(|end| end - self.started_at)
    }
}

/// One Canvas request of a run, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRow {
    /// 1 for the run's first request.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub method: String,
    pub target: String,
    /// The scope that allowed it.
    pub scope: Option<String>,
    /// The HTTP status, when Canvas answered.
    pub status: Option<u16>,
    /// `"ok"` when Canvas answered below 400 (`"ok after 3 attempts"` when
    /// it was retried), the status when it answered 400 or more (`"500
    /// after 3 attempts"`), `"dry-run: not sent"` for a write in a dry run, else
    /// `"denied: …"`, `"invalid: …"`, `"throttled: …"`,
    /// `"budget-exhausted: …"` or `"unavailable: …"`.
    pub outcome: String,
    pub duration_ms: u64,
}

/// What [`History::prune`] keeps. `None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Runs that started longer ago than this go.
    pub max_age: Option<std::time::Duration>,
    /// Of each job, only the newest this many runs stay.
    pub max_runs_per_job: Option<usize>,
}

/// The outcome of a write in a dry run: checked and recorded, not sent.
pub const DRY_RUN_OUTCOME: &str = "dry-run: not sent";
/// How the outcome of a request no scope allowed begins.
pub const DENIED_OUTCOME: &str = "denied: ";
/// How the outcome of a malformed or forbidden request begins.
pub const INVALID_OUTCOME: &str = "invalid: ";
/// How the outcome of a request begins that Canvas refused with 401
/// "Insufficient scopes on access token." (the authorization lacks it).
pub const INSUFFICIENT_SCOPE_OUTCOME: &str = "insufficient-scope: ";

/// A run [`History::mark_interrupted`] found left `running`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    pub run_id: String,
    pub job: String,
    pub started_at: DateTime<Utc>,
    pub trigger: Trigger,
}

/// The error of a run left `running` by a daemon that stopped.
pub const INTERRUPTED_ERROR: &str = "the daemon stopped while the run was going";

/// The run history database.
pub struct History {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

const RUN_COLUMNS: &str =
    "run_id, job, scheduled_at, started_at, ended_at, status, exit_code, error, \
     requests, denials, invalid, stdout_tail, stderr_tail, attempt, \"trigger\", held_ms";

impl History {
    /// Opens or creates the database (creating missing parent folders), sets
    /// WAL mode, a 5 s busy timeout, foreign keys and `synchronous=NORMAL`,
    /// and applies migrations. A database of a newer schema, or a file that
    /// is not a Warden run history, is refused and left untouched.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| HistoryError::CreateFolder {
                path: path.to_path_buf(),
                source,
            })?;
        }
        // No SQLITE_OPEN_URI: the path is a file name, whatever it looks like.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|source| HistoryError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        schema::prepare(&mut conn, path)?;
        Ok(History {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// Opens an existing database to read it only, as `warden history`,
    /// `logs`, `next` and `scopes` do: no file or folder is created, nothing
    /// is written (no switch to WAL mode, no migration), and no write lock
    /// is ever needed, so a `warden serve` holding one does not stop it. A
    /// database of another schema than this Warden's is refused with a
    /// message that says which.
    pub fn open_read_only(path: &Path) -> Result<History, HistoryError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| HistoryError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        schema::prepare_read_only(&conn, path)?;
        Ok(History {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long a statement waits for another connection's lock before it
    /// fails ([`schema::BUSY_TIMEOUT`] unless changed; tests shorten it).
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<(), HistoryError> {
        self.lock()
            .busy_timeout(timeout)
            .map_err(self.db_err("set the busy timeout"))
    }

    /// The connection. A thread that panicked while holding it cannot have
    /// left a transaction open (dropping a `Transaction` rolls it back), so a
    /// poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn db_err(&self, action: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> HistoryError {
        let path = self.path.clone();
        let action = action.into();
        move |source| HistoryError::Database {
            path,
            action,
            source,
        }
    }

    fn bad_value(&self, what: impl Into<String>, detail: impl Into<String>) -> HistoryError {
        HistoryError::BadValue {
            path: self.path.clone(),
            what: what.into(),
            detail: detail.into(),
        }
    }

    /// On daemon start: runs left `running` by a crash become `interrupted`,
    /// ended at `now`, with the error [`INTERRUPTED_ERROR`]. Returns them.
    pub fn mark_interrupted(&self, now: DateTime<Utc>) -> Result<Vec<Interrupted>, HistoryError> {
        let conn = self.lock();
        let raws = conn
            .prepare(
                "UPDATE runs SET status = ?1, ended_at = ?2, error = ?3 WHERE status = ?4
                 RETURNING run_id, job, started_at, \"trigger\"",
            )
            .and_then(|mut stmt| {
                stmt.query_map(
                    params![
                        RunStatus::Interrupted.as_str(),
                        bounds::to_ms(now),
                        INTERRUPTED_ERROR,
                        RunStatus::Running.as_str()
                    ],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.db_err("mark interrupted runs"))?;
        drop(conn);
        Ok(raws
            .into_iter()
            .map(|(run_id, job, started, trigger)| Interrupted {
                run_id,
                job,
                started_at: bounds::from_ms(started).unwrap_or(now),
                trigger: trigger.parse().unwrap_or(Trigger::Schedule),
            })
            .collect())
    }

    /// Records a run that has started, with status `running`.
    pub fn start_run(&self, run: &NewRun) -> Result<(), HistoryError> {
        let result = self.lock().execute(
            &format!("INSERT INTO runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, NULL, ?5, NULL, NULL, 0, 0, 0, '', '', ?6, ?7, 0)"),
            params![
                run.run_id,
                run.job,
                run.scheduled_at.map(bounds::to_ms),
                bounds::to_ms(run.started_at),
                RunStatus::Running.as_str(),
                run.attempt,
                run.trigger.as_str(),
            ],
        );
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                Err(HistoryError::DuplicateRun {
                    path: self.path.clone(),
                    run_id: run.run_id.clone(),
                })
            }
            Err(e) => Err(self
                .db_err(format!("record the start of run {}", run.run_id))(
                e
            )),
        }
    }

    /// Records one Canvas request of a run, numbered after the run's last.
    pub fn record_request(&self, run_id: &str, entry: &AuditEntry) -> Result<(), HistoryError> {
        self.record_requests(run_id, std::slice::from_ref(entry))
    }

    /// Records a run's Canvas requests in order, numbered after the run's
    /// last, in one transaction (all or none; much faster than one by one).
    pub fn record_requests(
        &self,
        run_id: &str,
        entries: &[AuditEntry],
    ) -> Result<(), HistoryError> {
        self.store_requests(run_id, None, entries)
    }

    /// Records a run's Canvas requests numbered `first_seq`, `first_seq + 1`,
    /// …, in one transaction. A number the run already has is left as it
    /// is, so storing the same requests again (a retried write, a spill
    /// replayed twice) changes nothing.
    pub fn record_numbered_requests(
        &self,
        run_id: &str,
        first_seq: u64,
        entries: &[AuditEntry],
    ) -> Result<(), HistoryError> {
        self.store_requests(run_id, Some(first_seq), entries)
    }

    fn store_requests(
        &self,
        run_id: &str,
        first_seq: Option<u64>,
        entries: &[AuditEntry],
    ) -> Result<(), HistoryError> {
        let action = || format!("record the requests of run {run_id}");
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.db_err(action()))?;
        let exists = tx
            .query_row("SELECT 1 FROM runs WHERE run_id = ?1", [run_id], |_| Ok(()))
            .optional()
            .map_err(self.db_err(action()))?
            .is_some();
        if !exists {
            return Err(HistoryError::UnknownRun {
                path: self.path.clone(),
                run_id: run_id.to_string(),
            });
        }
        let first = match first_seq {
            Some(first) => bounds::count(first),
            None => tx
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) FROM requests WHERE run_id = ?1",
                    [run_id],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(self.db_err(action()))?
                .saturating_add(1),
        };
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO requests (run_id, seq, at, method, target, scope, status, outcome, duration_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (run_id, seq) DO NOTHING",
                )
                .map_err(self.db_err(action()))?;
            for (seq, entry) in (first..).zip(entries) {
                let (status, outcome) = outcome_columns(&entry.outcome, entry.attempts);
                insert
                    .execute(params![
                        run_id,
                        seq,
                        bounds::system_ms(entry.at),
                        entry.method.as_str(),
                        bounds::keep_start(&entry.target, TEXT_CAP),
                        entry
                            .scope
                            .as_deref()
                            .map(|s| bounds::keep_start(s, TEXT_CAP)),
                        status,
                        bounds::keep_start(&outcome, TEXT_CAP),
                        bounds::duration_ms(entry.duration),
                    ])
                    .map_err(self.db_err(action()))?;
            }
        }
        tx.commit().map_err(self.db_err(action()))
    }

    /// Records how a run ended. Overwrites an earlier end of the same run.
    pub fn finish_run(&self, run_id: &str, end: &RunEnd) -> Result<(), HistoryError> {
        let changed = self
            .lock()
            .execute(
                "UPDATE runs SET ended_at = ?2, status = ?3, exit_code = ?4, error = ?5, requests = ?6,
                     denials = ?7, invalid = ?8, stdout_tail = ?9, stderr_tail = ?10, held_ms = ?11
                 WHERE run_id = ?1",
                params![
                    run_id,
                    bounds::to_ms(end.ended_at),
                    end.status.as_str(),
                    end.exit_code,
                    end.error.as_deref().map(|e| bounds::keep_start(e, TEXT_CAP)),
                    bounds::count(end.requests),
                    bounds::count(end.denials),
                    bounds::count(end.invalid),
                    bounds::keep_end(&end.stdout_tail, TAIL_CAP),
                    bounds::keep_end(&end.stderr_tail, TAIL_CAP),
                    bounds::count(end.held_ms),
                ],
            )
            .map_err(self.db_err(format!("record the end of run {run_id}")))?;
        if changed == 0 {
            return Err(HistoryError::UnknownRun {
                path: self.path.clone(),
                run_id: run_id.to_string(),
            });
        }
        Ok(())
    }

    /// A firing that started no run (concurrency `forbid`): one complete row
    /// with status `skipped`, trigger `schedule`, attempt 0, started and
    /// ended at `now`, and `reason` as its error. Returns the new run id.
    pub fn record_skipped(
        &self,
        job: &str,
        scheduled_at: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<String, HistoryError> {
        let run_id = crate::run::new_run_id_at(now);
        self.record_skipped_as(&run_id, job, scheduled_at, reason, now)
    }

    /// [`History::record_skipped`] with the run id chosen beforehand. When
    /// the run id is taken by the same skipped firing (the write is
    /// repeated), nothing changes; when another run has it (a random suffix
    /// collided), the row gets a new id. Returns the row's run id.
    pub fn record_skipped_as(
        &self,
        run_id: &str,
        job: &str,
        scheduled_at: DateTime<Utc>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<String, HistoryError> {
        let conn = self.lock();
        let mut attempts = 0;
        let mut run_id = run_id.to_string();
        let action = || format!("record a skipped firing of job {job}");
        loop {
            let result = conn.execute(
                &format!("INSERT INTO runs ({RUN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?4, ?5, NULL, ?6, 0, 0, 0, '', '', 0, ?7, 0)"),
                params![
                    run_id,
                    job,
                    bounds::to_ms(scheduled_at),
                    bounds::to_ms(now),
                    RunStatus::Skipped.as_str(),
                    bounds::keep_start(reason, TEXT_CAP),
                    Trigger::Schedule.as_str(),
                ],
            );
            match result {
                Ok(_) => return Ok(run_id),
                Err(e) if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) => {
                    // The same skipped firing, stored before: nothing to do.
                    let same = conn
                        .query_row(
                            "SELECT 1 FROM runs WHERE run_id = ?1 AND job = ?2 AND scheduled_at = ?3 AND status = ?4",
                            params![
                                run_id,
                                job,
                                bounds::to_ms(scheduled_at),
                                RunStatus::Skipped.as_str()
                            ],
                            |_| Ok(()),
                        )
                        .optional()
                        .map_err(self.db_err(action()))?
                        .is_some();
                    if same {
                        return Ok(run_id);
                    }
                    // A random suffix collided within the same second: draw again.
                    if attempts >= 8 {
                        return Err(self.db_err(action())(e));
                    }
                    attempts += 1;
                    run_id = crate::run::new_run_id_at(now);
                }
                Err(e) => return Err(self.db_err(action())(e)),
            }
        }
    }

    /// When the scheduler last fired `job`.
    pub fn last_fire(&self, job: &str) -> Result<Option<DateTime<Utc>>, HistoryError> {
        let ms: Option<i64> = self
            .lock()
            .query_row("SELECT last_fire FROM fires WHERE job = ?1", [job], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.db_err(format!("read the last firing of job {job}")))?;
        ms.map(|ms| {
            bounds::from_ms(ms).ok_or_else(|| {
                self.bad_value(
                    format!("last firing of job {job}"),
                    format!("{ms} ms is out of range"),
                )
            })
        })
        .transpose()
    }

    /// Records that the scheduler fired `job` at `at`. The stored time only
    /// moves forward: an older time (a write repeated late) is ignored.
    pub fn set_last_fire(&self, job: &str, at: DateTime<Utc>) -> Result<(), HistoryError> {
        self.lock()
            .execute(
                "INSERT INTO fires (job, last_fire) VALUES (?1, ?2)
                 ON CONFLICT (job) DO UPDATE SET last_fire = MAX(last_fire, excluded.last_fire)",
                params![job, bounds::to_ms(at)],
            )
            .map(|_| ())
            .map_err(self.db_err(format!("record the last firing of job {job}")))
    }

    /// The newest `limit` runs (of `job`, or of all jobs), newest first: by
    /// start time, then by run id.
    pub fn runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<RunRow>, HistoryError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.lock();
        let raws = match job {
            Some(job) => query_runs(
                &conn,
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE job = ?1 ORDER BY started_at DESC, run_id DESC LIMIT ?2"),
                params![job, limit],
            ),
            None => query_runs(
                &conn,
                &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?1"),
                params![limit],
            ),
        }
        .map_err(self.db_err("list runs"))?;
        drop(conn);
        raws.into_iter().map(|raw| self.run_row(raw)).collect()
    }

    /// One run.
    pub fn run(&self, run_id: &str) -> Result<Option<RunRow>, HistoryError> {
        let conn = self.lock();
        let raw = query_runs(
            &conn,
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"),
            params![run_id],
        )
        .map_err(self.db_err(format!("read run {run_id}")))?;
        drop(conn);
        raw.into_iter()
            .next()
            .map(|raw| self.run_row(raw))
            .transpose()
    }

    /// A run's Canvas requests, in order.
    pub fn requests(&self, run_id: &str) -> Result<Vec<RequestRow>, HistoryError> {
        let action = || format!("read the requests of run {run_id}");
        let conn = self.lock();
        let raws = conn
            .prepare_cached(
                "SELECT seq, at, method, target, scope, status, outcome, duration_ms
                 FROM requests WHERE run_id = ?1 ORDER BY seq",
            )
            .and_then(|mut stmt| {
                stmt.query_map([run_id], |r| {
                    Ok(RawRequest {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        method: r.get(2)?,
                        target: r.get(3)?,
                        scope: r.get(4)?,
                        status: r.get(5)?,
                        outcome: r.get(6)?,
                        duration_ms: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.db_err(action()))?;
        drop(conn);
        raws.into_iter()
            .map(|raw| {
                let what = || format!("request #{} of run {run_id}", raw.seq);
                Ok(RequestRow {
                    seq: u64::try_from(raw.seq)
                        .map_err(|_| self.bad_value(what(), "its number is negative"))?,
                    at: bounds::from_ms(raw.at).ok_or_else(|| {
                        self.bad_value(what(), format!("time {} ms is out of range", raw.at))
                    })?,
                    method: raw.method,
                    target: raw.target,
                    scope: raw.scope,
                    status: raw
                        .status
                        .map(|s| {
                            u16::try_from(s).map_err(|_| {
                                self.bad_value(what(), format!("HTTP status {s} is out of range"))
                            })
                        })
                        .transpose()?,
                    outcome: raw.outcome,
                    duration_ms: u64::try_from(raw.duration_ms)
                        .map_err(|_| self.bad_value(what(), "its duration is negative"))?,
                })
            })
            .collect()
    }

    /// Deletes runs that started longer than `max_age` before `now` and, per
    /// job, all but the newest `max_runs_per_job` (by start time, then run
    /// id); their requests go with them. A `running` run is never deleted
    /// (it still counts among the newest of its job). Returns the number of
    /// runs deleted.
    pub fn prune(&self, retention: &Retention, now: DateTime<Utc>) -> Result<usize, HistoryError> {
        let running = RunStatus::Running.as_str();
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.db_err("prune old runs"))?;
        let mut deleted = 0;
        if let Some(max_age) = retention.max_age {
            let cutoff = bounds::to_ms(now).saturating_sub(bounds::duration_ms(max_age));
            deleted += tx
                .execute(
                    "DELETE FROM runs WHERE started_at < ?1 AND status != ?2",
                    params![cutoff, running],
                )
                .map_err(self.db_err("prune old runs"))?;
            // The activity log is kept as long as runs are.
            tx.execute("DELETE FROM activity WHERE at < ?1", params![cutoff])
                .map_err(self.db_err("prune the activity log"))?;
        }
        if let Some(keep) = retention.max_runs_per_job {
            deleted += tx
                .execute(
                    "DELETE FROM runs WHERE status != ?2 AND run_id IN (
                         SELECT run_id FROM (
                             SELECT run_id, ROW_NUMBER() OVER (
                                 PARTITION BY job ORDER BY started_at DESC, run_id DESC
                             ) AS rank FROM runs
                         ) WHERE rank > ?1
                     )",
                    params![i64::try_from(keep).unwrap_or(i64::MAX), running],
                )
                .map_err(self.db_err("prune old runs"))?;
        }
        tx.commit().map_err(self.db_err("prune old runs"))?;
        Ok(deleted)
    }

    fn run_row(&self, raw: RawRun) -> Result<RunRow, HistoryError> {
        let what = || format!("run {}", raw.run_id);
        let time = |column: &str, ms: i64| {
            bounds::from_ms(ms)
                .ok_or_else(|| self.bad_value(what(), format!("{column} {ms} ms is out of range")))
        };
        let count = |column: &str, n: i64| {
            u64::try_from(n)
                .map_err(|_| self.bad_value(what(), format!("{column} is negative ({n})")))
        };
        Ok(RunRow {
            scheduled_at: raw.scheduled_at.map(|ms| time("scheduled_at", ms)).transpose()?,
            started_at: time("started_at", raw.started_at)?,
            ended_at: raw.ended_at.map(|ms| time("ended_at", ms)).transpose()?,
            status: raw.status.parse().map_err(|_| {
                self.bad_value(
                    what(),
                    format!(
                        "its status {:?} is unknown to this Warden (was it written by a newer one?)",
                        raw.status
                    ),
                )
            })?,
            exit_code: raw
                .exit_code
                .map(|c| i32::try_from(c).map_err(|_| self.bad_value(what(), format!("exit code {c} is out of range"))))
                .transpose()?,
            requests: count("requests", raw.requests)?,
            denials: count("denials", raw.denials)?,
            invalid: count("invalid", raw.invalid)?,
            held_ms: count("held_ms", raw.held_ms)?,
            attempt: u32::try_from(raw.attempt)
                .map_err(|_| self.bad_value(what(), format!("attempt {} is out of range", raw.attempt)))?,
            trigger: raw.trigger.parse().map_err(|_| {
                self.bad_value(
                    what(),
                    format!(
                        "its trigger {:?} is unknown to this Warden (was it written by a newer one?)",
                        raw.trigger
                    ),
                )
            })?,
            error: raw.error,
            stdout_tail: raw.stdout_tail,
            stderr_tail: raw.stderr_tail,
            job: raw.job,
            run_id: raw.run_id,
        })
    }
}

/// The `status` and `outcome` columns of a request. A request retried
/// before its final outcome says how many attempts it took. An answer of
/// 400 or more is not `ok`: its outcome is its status (`500 after 3
/// attempts`).
fn outcome_columns(outcome: &Outcome, attempts: u32) -> (Option<u16>, String) {
    let retried = crate::host::attempts_note(attempts);
    match outcome {
        Outcome::Status(status) if *status < 400 => (Some(*status), format!("ok{retried}")),
        Outcome::Status(status) => (Some(*status), format!("{status}{retried}")),
        Outcome::DryRun => (None, DRY_RUN_OUTCOME.to_string()),
        Outcome::Denied(m) => (None, format!("{DENIED_OUTCOME}{m}")),
        Outcome::Invalid(m) => (None, format!("{INVALID_OUTCOME}{m}")),
        Outcome::Throttled(m) => (None, format!("throttled: {m}")),
        Outcome::BudgetExhausted(m) => (None, format!("budget-exhausted: {m}")),
        Outcome::Unavailable(m) => (None, format!("unavailable: {m}")),
        Outcome::InsufficientScope(m) => (Some(401), format!("{INSUFFICIENT_SCOPE_OUTCOME}{m}")),
    }
}

/// A `runs` row as SQLite holds it.
struct RawRun {
    run_id: String,
    job: String,
    scheduled_at: Option<i64>,
    started_at: i64,
    ended_at: Option<i64>,
    status: String,
    exit_code: Option<i64>,
    error: Option<String>,
    requests: i64,
    denials: i64,
    invalid: i64,
    stdout_tail: String,
    stderr_tail: String,
    attempt: i64,
    trigger: String,
    held_ms: i64,
}

/// A `requests` row as SQLite holds it.
struct RawRequest {
    seq: i64,
    at: i64,
    method: String,
    target: String,
    scope: Option<String>,
    status: Option<i64>,
    outcome: String,
    duration_ms: i64,
}

fn query_runs(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<RawRun>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok(RawRun {
            run_id: r.get(0)?,
            job: r.get(1)?,
            scheduled_at: r.get(2)?,
            started_at: r.get(3)?,
            ended_at: r.get(4)?,
            status: r.get(5)?,
            exit_code: r.get(6)?,
            error: r.get(7)?,
            requests: r.get(8)?,
            denials: r.get(9)?,
            invalid: r.get(10)?,
            stdout_tail: r.get(11)?,
            stderr_tail: r.get(12)?,
            attempt: r.get(13)?,
            trigger: r.get(14)?,
            held_ms: r.get(15)?,
        })
    })?;
    rows.collect()
}
