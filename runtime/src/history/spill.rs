//! The spill file: writes the run history could not take before Warden
//! exited (or more than fit in memory while it could not write), kept beside
//! the database as JSON lines, in order, and replayed at the next start.
//!
//! The file is `<database>.spill.jsonl`, created readable and writable by its
//! owner only. Each line is one [`Write`]; replaying a line twice is
//! harmless (every write is idempotent, see [`super::writer`]).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{bounds, Activity, NewRun, RunEnd, Suspension, Trigger};
use crate::host::{AuditEntry, Outcome};
use crate::run::RunStatus;

/// One write to the run history, as queued and as spilled.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    StartRun(NewRun),
    /// A request of a run, with its number in the run (1 for the first).
    Request {
        run_id: String,
        seq: u64,
        entry: AuditEntry,
    },
    FinishRun(String, RunEnd),
    /// A firing that started no run; its row gets this run id.
    Skipped {
        run_id: String,
        job: String,
        scheduled_at: DateTime<Utc>,
        reason: String,
        now: DateTime<Utc>,
    },
    LastFire(String, DateTime<Utc>),
    Activity(Activity),
    Suspend(Suspension),
    /// The dashboard's suspension of this job is lifted.
    Resume(String),
}

impl Write {
    /// Roughly the memory it holds, to bound the queue.
    pub fn weight(&self) -> usize {
        128 + match self {
            Write::StartRun(r) => r.run_id.len() + r.job.len(),
            Write::Request { run_id, entry, .. } => {
                run_id.len()
                    + entry.target.len()
                    + entry.scope.as_ref().map_or(0, String::len)
                    + outcome_text(&entry.outcome).map_or(0, str::len)
            }
            Write::FinishRun(id, end) => {
                id.len()
                    + end.stdout_tail.len()
                    + end.stderr_tail.len()
                    + end.error.as_ref().map_or(0, String::len)
            }
            Write::Skipped {
                run_id,
                job,
                reason,
                ..
            } => run_id.len() + job.len() + reason.len(),
            Write::LastFire(job, _) | Write::Resume(job) => job.len(),
            Write::Activity(a) => {
                a.id.len()
                    + a.actor.len()
                    + a.action.len()
                    + a.outcome.len()
                    + a.job.as_ref().map_or(0, String::len)
                    + a.run_id.as_ref().map_or(0, String::len)
            }
            Write::Suspend(s) => s.job.len() + s.by.len(),
        }
    }
}

fn outcome_text(o: &Outcome) -> Option<&str> {
    match o {
        Outcome::Status(_) | Outcome::DryRun => None,
        Outcome::Denied(m)
        | Outcome::Invalid(m)
        | Outcome::Throttled(m)
        | Outcome::BudgetExhausted(m)
        | Outcome::Unavailable(m)
        | Outcome::InsufficientScope(m) => Some(m),
    }
}

/// Where the spill file of the database at `db` lives.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".spill.jsonl");
    PathBuf::from(name)
}

/// Appends `writes` to the spill file, creating it (mode 0600) if needed,
/// and syncs it to disk.
pub fn append(path: &Path, writes: &[Write]) -> std::io::Result<()> {
    let mut text = String::new();
    for write in writes {
        let line = serde_json::to_string(&Line::from(write)).map_err(std::io::Error::other)?;
        text.push_str(&line);
        text.push('\n');
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

/// The writes in the spill file, in order; none when there is no file. A
/// line that cannot be read (a torn last line after a crash) is reported in
/// the second list, with its number, and skipped.
pub fn read(path: &Path) -> std::io::Result<(Vec<Write>, Vec<String>)> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(e),
    };
    let mut writes = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(&line)
            .map_err(|e| e.to_string())
            .and_then(Write::try_from)
        {
            Ok(write) => writes.push(write),
            Err(e) => bad.push(format!("line {}: {e}", n + 1)),
        }
    }
    Ok((writes, bad))
}

/// Replaces the spill file with `rest` (removes it when `rest` is empty),
/// through a temporary file and a rename so a crash leaves one or the other.
pub fn rewrite(path: &Path, rest: &[Write]) -> std::io::Result<()> {
    if rest.is_empty() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    append(&tmp, rest)?;
    std::fs::rename(&tmp, path)
}

/// A [`Write`] as one JSON line. Times are milliseconds since the epoch.
#[derive(Serialize, Deserialize)]
#[serde(tag = "write", rename_all = "kebab-case", deny_unknown_fields)]
enum Line {
    StartRun {
        run_id: String,
        job: String,
        scheduled_at: Option<i64>,
        started_at: i64,
        attempt: u32,
        trigger: String,
    },
    Request {
        run_id: String,
        seq: u64,
        at: i64,
        method: String,
        target: String,
        scope: Option<String>,
        outcome: String,
        detail: Option<String>,
        status: Option<u16>,
        duration_ms: u64,
        attempts: u32,
    },
    FinishRun {
        run_id: String,
        ended_at: i64,
        status: String,
        exit_code: Option<i32>,
        error: Option<String>,
        requests: u64,
        denials: u64,
        invalid: u64,
        stdout_tail: String,
        stderr_tail: String,
        #[serde(default)]
        held_ms: u64,
    },
    Skipped {
        run_id: String,
        job: String,
        scheduled_at: i64,
        reason: String,
        now: i64,
    },
    LastFire {
        job: String,
        at: i64,
    },
    Activity {
        id: String,
        at: i64,
        actor: String,
        action: String,
        job: Option<String>,
        run_id: Option<String>,
        outcome: String,
    },
    Suspend {
        job: String,
        at: i64,
        by: String,
    },
    Resume {
        job: String,
    },
}

impl From<&Write> for Line {
    fn from(write: &Write) -> Line {
        match write.clone() {
            Write::StartRun(r) => Line::StartRun {
                run_id: r.run_id,
                job: r.job,
                scheduled_at: r.scheduled_at.map(bounds::to_ms),
                started_at: bounds::to_ms(r.started_at),
                attempt: r.attempt,
                trigger: r.trigger.as_str().to_string(),
            },
            Write::Request { run_id, seq, entry } => {
                let (outcome, detail, status) = match entry.outcome {
                    Outcome::Status(s) => ("status", None, Some(s)),
                    Outcome::DryRun => ("dry-run", None, None),
                    Outcome::Denied(m) => ("denied", Some(m), None),
                    Outcome::Invalid(m) => ("invalid", Some(m), None),
                    Outcome::Throttled(m) => ("throttled", Some(m), None),
                    Outcome::BudgetExhausted(m) => ("budget-exhausted", Some(m), None),
                    Outcome::Unavailable(m) => ("unavailable", Some(m), None),
                    Outcome::InsufficientScope(m) => ("insufficient-scope", Some(m), None),
                };
                Line::Request {
                    run_id,
                    seq,
                    at: bounds::system_ms(entry.at),
                    method: entry.method.as_str().to_string(),
                    target: entry.target,
                    scope: entry.scope,
                    outcome: outcome.to_string(),
                    detail,
                    status,
                    duration_ms: u64::try_from(entry.duration.as_millis()).unwrap_or(u64::MAX),
                    attempts: entry.attempts,
                }
            }
            Write::FinishRun(run_id, end) => Line::FinishRun {
                run_id,
                ended_at: bounds::to_ms(end.ended_at),
                status: end.status.as_str().to_string(),
                exit_code: end.exit_code,
                error: end.error,
                requests: end.requests,
                denials: end.denials,
                invalid: end.invalid,
                stdout_tail: end.stdout_tail,
                stderr_tail: end.stderr_tail,
                held_ms: end.held_ms,
            },
            Write::Skipped {
                run_id,
                job,
                scheduled_at,
                reason,
                now,
            } => Line::Skipped {
                run_id,
                job,
                scheduled_at: bounds::to_ms(scheduled_at),
                reason,
                now: bounds::to_ms(now),
            },
            Write::LastFire(job, at) => Line::LastFire {
                job,
                at: bounds::to_ms(at),
            },
            Write::Activity(a) => Line::Activity {
                id: a.id,
                at: bounds::to_ms(a.at),
                actor: a.actor,
                action: a.action,
                job: a.job,
                run_id: a.run_id,
                outcome: a.outcome,
            },
            Write::Suspend(s) => Line::Suspend {
                job: s.job,
                at: bounds::to_ms(s.at),
                by: s.by,
            },
            Write::Resume(job) => Line::Resume { job },
        }
    }
}

impl TryFrom<Line> for Write {
    type Error = String;

    fn try_from(line: Line) -> Result<Write, String> {
        let time =
            |ms: i64| bounds::from_ms(ms).ok_or_else(|| format!("time {ms} ms is out of range"));
        Ok(match line {
            Line::StartRun {
                run_id,
                job,
                scheduled_at,
                started_at,
                attempt,
                trigger,
            } => Write::StartRun(NewRun {
                run_id,
                job,
                scheduled_at: scheduled_at.map(time).transpose()?,
                started_at: time(started_at)?,
                attempt,
                trigger: trigger.parse::<Trigger>().map_err(|e| e.to_string())?,
            }),
            Line::Request {
                run_id,
                seq,
                at,
                method,
                target,
                scope,
                outcome,
                detail,
                status,
                duration_ms,
                attempts,
            } => {
                let detail = || detail.clone().unwrap_or_default();
                let outcome = match outcome.as_str() {
                    "status" => Outcome::Status(status.ok_or("a status outcome without a status")?),
                    "dry-run" => Outcome::DryRun,
                    "denied" => Outcome::Denied(detail()),
                    "invalid" => Outcome::Invalid(detail()),
                    "throttled" => Outcome::Throttled(detail()),
                    "budget-exhausted" => Outcome::BudgetExhausted(detail()),
                    "unavailable" => Outcome::Unavailable(detail()),
                    "insufficient-scope" => Outcome::InsufficientScope(detail()),
                    other => return Err(format!("unknown request outcome {other:?}")),
                };
                let at = u64::try_from(at)
                    .map_err(|_| format!("request time {at} ms is before 1970"))?;
                Write::Request {
                    run_id,
                    seq,
                    entry: AuditEntry {
                        at: UNIX_EPOCH + Duration::from_millis(at),
                        method: method.parse().map_err(|e| format!("{e}"))?,
                        target,
                        scope,
                        outcome,
                        duration: Duration::from_millis(duration_ms),
                        attempts,
                    },
                }
            }
            Line::FinishRun {
                run_id,
                ended_at,
                status,
                exit_code,
                error,
                requests,
                denials,
                invalid,
                stdout_tail,
                stderr_tail,
                held_ms,
            } => Write::FinishRun(
                run_id,
                RunEnd {
                    ended_at: time(ended_at)?,
                    status: status.parse::<RunStatus>()?,
                    exit_code,
                    error,
                    requests,
                    denials,
                    invalid,
                    stdout_tail,
                    stderr_tail,
                    held_ms,
                },
            ),
            Line::Skipped {
                run_id,
                job,
                scheduled_at,
                reason,
                now,
            } => Write::Skipped {
                run_id,
                job,
                scheduled_at: time(scheduled_at)?,
                reason,
                now: time(now)?,
            },
            Line::LastFire { job, at } => Write::LastFire(job, time(at)?),
            Line::Activity {
                id,
                at,
                actor,
                action,
                job,
                run_id,
                outcome,
            } => Write::Activity(Activity {
                id,
                at: time(at)?,
                actor,
                action,
                job,
                run_id,
                outcome,
            }),
            Line::Suspend { job, at, by } => Write::Suspend(Suspension {
                job,
                at: time(at)?,
                by,
            }),
            Line::Resume { job } => Write::Resume(job),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Method;
    use std::os::unix::fs::PermissionsExt;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn every_kind() -> Vec<Write> {
        let t = at("2026-03-01T10:00:00.123Z");
        let mut writes = vec![
            Write::StartRun(NewRun {
                run_id: "r1".into(),
                job: "j".into(),
                scheduled_at: Some(t),
                started_at: t,
                attempt: 2,
                trigger: Trigger::Retry,
            }),
            Write::FinishRun(
                "r1".into(),
                RunEnd {
                    ended_at: t,
                    status: RunStatus::Failed,
                    exit_code: Some(1),
                    error: Some("boom\nline two \u{1b}".into()),
                    requests: 3,
                    denials: 1,
                    invalid: 0,
                    stdout_tail: "out ü".into(),
                    stderr_tail: "err".into(),
                    held_ms: 1500,
                },
            ),
            Write::Skipped {
                run_id: "r2".into(),
                job: "j".into(),
                scheduled_at: t,
                reason: "missed".into(),
                now: t,
            },
            Write::LastFire("j".into(), t),
            Write::Activity(Activity::new(t, "admin", "suspend", "suspended").job("j")),
            Write::Suspend(Suspension {
                job: "j".into(),
                at: t,
                by: "admin".into(),
            }),
            Write::Resume("j".into()),
        ];
        let outcomes = [
            Outcome::Status(503),
            Outcome::DryRun,
            Outcome::Denied("d".into()),
            Outcome::Invalid("i".into()),
            Outcome::Throttled("t".into()),
            Outcome::BudgetExhausted("b".into()),
            Outcome::Unavailable("u".into()),
            Outcome::InsufficientScope("s".into()),
        ];
        for (seq, outcome) in (1..).zip(outcomes) {
            writes.push(Write::Request {
                run_id: "r1".into(),
                seq,
                entry: AuditEntry {
                    at: UNIX_EPOCH + Duration::from_millis(1_772_359_200_123),
                    method: Method::Put,
                    target: "/api/v1/courses/1?x=%20".into(),
                    scope: Some("url:PUT|/api/v1/courses/:id".into()),
                    outcome,
                    duration: Duration::from_millis(17),
                    attempts: 3,
                },
            });
        }
        writes
    }

    #[test]
    fn every_write_round_trips_through_the_file_in_order() {
        let dir = crate::history::tests::scratch("spill-round-trip");
        let path = path_for(&dir.join("warden.db"));
        assert!(path.ends_with("warden.db.spill.jsonl"));
        let writes = every_kind();
        append(&path, &writes[..3]).unwrap();
        append(&path, &writes[3..]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (back, bad) = read(&path).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(back, writes);
    }

    #[test]
    fn a_torn_line_is_reported_and_the_rest_is_read() {
        let dir = crate::history::tests::scratch("spill-torn");
        let path = path_for(&dir.join("warden.db"));
        let writes = every_kind();
        append(&path, &writes[..2]).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"write\":\"finish-r").unwrap();
        let (back, bad) = read(&path).unwrap();
        assert_eq!(back, writes[..2]);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("line 3: "), "{bad:?}");
    }

    #[test]
    fn rewrite_keeps_the_rest_or_removes_the_file() {
        let dir = crate::history::tests::scratch("spill-rewrite");
        let path = path_for(&dir.join("warden.db"));
        let writes = every_kind();
        append(&path, &writes).unwrap();
        rewrite(&path, &writes[4..]).unwrap();
        assert_eq!(read(&path).unwrap().0, writes[4..]);
        rewrite(&path, &[]).unwrap();
        assert!(!path.exists());
        assert_eq!(read(&path).unwrap().0, Vec::new());
        rewrite(&path, &[]).unwrap();
    }
}
