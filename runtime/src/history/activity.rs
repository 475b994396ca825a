//! The admin activity log (what was done from the dashboard, and how each
//! failure alert went) and the jobs suspended from the dashboard.
//!
//! Both are written through the [`super::HistoryWriter`], like runs, so they
//! survive a history that cannot be written for a while. Every write is
//! idempotent: an entry carries an id chosen up front, a suspension is keyed
//! by its job.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{bounds, History, HistoryError, TEXT_CAP};

/// One line of the admin activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Chosen when the entry is made, so that a repeated write is a no-op.
    pub id: String,
    pub at: DateTime<Utc>,
    /// Who or what did it: `admin from 127.0.0.1 (dashboard)`, `alerts`.
    pub actor: String,
    /// `run-now`, `suspend`, `resume`, `cancel`, `login`, `alert`, …
    pub action: String,
    pub job: Option<String>,
    pub run_id: Option<String>,
    /// What came of it, in words.
    pub outcome: String,
}

impl Activity {
    /// A new entry at `at`, with a fresh id.
    pub fn new(at: DateTime<Utc>, actor: &str, action: &str, outcome: &str) -> Activity {
        Activity {
            id: crate::run::new_run_id_at(at),
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            job: None,
            run_id: None,
            outcome: outcome.to_string(),
        }
    }

    pub fn job(mut self, job: &str) -> Activity {
        self.job = Some(job.to_string());
        self
    }

    pub fn run(mut self, run_id: &str) -> Activity {
        self.run_id = Some(run_id.to_string());
        self
    }
}

/// A job suspended from the dashboard: it fires no more until resumed,
/// across restarts and reloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub job: String,
    pub at: DateTime<Utc>,
    /// Who suspended it (an activity log actor).
    pub by: String,
}

impl History {
    /// Adds an entry to the activity log; an entry already stored (same id)
    /// is left as it is.
    pub fn record_activity(&self, entry: &Activity) -> Result<(), HistoryError> {
        self.lock()
            .execute(
                "INSERT INTO activity (id, at, actor, action, job, run_id, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
                params![
                    entry.id,
                    bounds::to_ms(entry.at),
                    bounds::keep_start(&entry.actor, 256),
                    bounds::keep_start(&entry.action, 64),
                    entry.job,
                    entry.run_id,
                    bounds::keep_start(&entry.outcome, TEXT_CAP),
                ],
            )
            .map(|_| ())
            .map_err(self.db_err("record an admin activity"))
    }

    /// The newest `limit` entries of the activity log, newest first.
    pub fn activity(&self, limit: usize) -> Result<Vec<Activity>, HistoryError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.lock();
        let raws = conn
            .prepare_cached(
                "SELECT id, at, actor, action, job, run_id, outcome FROM activity
                 ORDER BY at DESC, id DESC LIMIT ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_map([limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.db_err("read the activity log"))?;
        drop(conn);
        raws.into_iter()
            .map(|(id, at, actor, action, job, run_id, outcome)| {
                Ok(Activity {
                    at: bounds::from_ms(at).ok_or_else(|| {
                        self.bad_value(
                            format!("activity {id}"),
                            format!("time {at} ms is out of range"),
                        )
                    })?,
                    id,
                    actor,
                    action,
                    job,
                    run_id,
                    outcome,
                })
            })
            .collect()
    }

    /// Marks `job` suspended (replacing an earlier suspension of it).
    pub fn suspend(&self, suspension: &Suspension) -> Result<(), HistoryError> {
        self.lock()
            .execute(
                "INSERT INTO suspensions (job, at, by) VALUES (?1, ?2, ?3)
                 ON CONFLICT (job) DO UPDATE SET at = excluded.at, by = excluded.by",
                params![
                    suspension.job,
                    bounds::to_ms(suspension.at),
                    bounds::keep_start(&suspension.by, 256)
                ],
            )
            .map(|_| ())
            .map_err(self.db_err(format!("record that job {} is suspended", suspension.job)))
    }

    /// Lifts the dashboard's suspension of `job`, if any.
    pub fn resume(&self, job: &str) -> Result<(), HistoryError> {
        self.lock()
            .execute("DELETE FROM suspensions WHERE job = ?1", [job])
            .map(|_| ())
            .map_err(self.db_err(format!("record that job {job} is resumed")))
    }

    /// Every job suspended from the dashboard, by name.
    pub fn suspensions(&self) -> Result<Vec<Suspension>, HistoryError> {
        let conn = self.lock();
        let raws = conn
            .prepare_cached("SELECT job, at, by FROM suspensions ORDER BY job")
            .and_then(|mut stmt| {
                stmt.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.db_err("read the suspended jobs"))?;
        drop(conn);
        raws.into_iter()
            .map(|(job, at, by)| {
                Ok(Suspension {
                    at: bounds::from_ms(at).ok_or_else(|| {
                        self.bad_value(
                            format!("suspension of job {job}"),
                            format!("time {at} ms is out of range"),
                        )
                    })?,
                    job,
                    by,
                })
            })
            .collect()
    }

    /// The suspension of one job, if it has one.
    pub fn suspension(&self, job: &str) -> Result<Option<Suspension>, HistoryError> {
        let raw: Option<(i64, String)> = self
            .lock()
            .query_row(
                "SELECT at, by FROM suspensions WHERE job = ?1",
                [job],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.db_err(format!("read the suspension of job {job}")))?;
        raw.map(|(at, by)| {
            Ok(Suspension {
                job: job.to_string(),
                at: bounds::from_ms(at).ok_or_else(|| {
                    self.bad_value(
                        format!("suspension of job {job}"),
                        format!("time {at} ms is out of range"),
                    )
                })?,
                by,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
    }

    fn open(dir: &std::path::Path) -> History {
        History::open(&dir.join("h.db")).unwrap()
    }

    #[test]
    fn activity_is_listed_newest_first_and_a_repeated_write_changes_nothing() {
        let dir = crate::history::tests::scratch("activity-log");
        let h = open(&dir);
        let first = Activity::new(
            t(0),
            "admin from 127.0.0.1 (dashboard)",
            "suspend",
            "suspended",
        )
        .job("sync");
        let second = Activity::new(
            t(5),
            "alerts",
            "alert",
            "delivered to https://hooks.example/…",
        )
        .job("sync")
        .run("r1");
        h.record_activity(&first).unwrap();
        h.record_activity(&second).unwrap();
        h.record_activity(&first).unwrap();
        assert_eq!(h.activity(10).unwrap(), vec![second.clone(), first]);
        assert_eq!(h.activity(1).unwrap(), vec![second]);
    }

    #[test]
    fn suspensions_are_kept_replaced_and_lifted() {
        let dir = crate::history::tests::scratch("suspend");
        let h = open(&dir);
        assert_eq!(h.suspensions().unwrap(), vec![]);
        let s = Suspension {
            job: "sync".into(),
            at: t(0),
            by: "admin".into(),
        };
        h.suspend(&s).unwrap();
        let again = Suspension {
            at: t(9),
            ..s.clone()
        };
        h.suspend(&again).unwrap();
        assert_eq!(h.suspensions().unwrap(), vec![again.clone()]);
        assert_eq!(h.suspension("sync").unwrap(), Some(again));
        assert_eq!(h.suspension("other").unwrap(), None);
        // Survives reopening.
        drop(h);
        let h = open(&dir);
        assert_eq!(h.suspensions().unwrap().len(), 1);
        h.resume("sync").unwrap();
        h.resume("sync").unwrap();
        assert_eq!(h.suspensions().unwrap(), vec![]);
    }
}
