//! Reading the history a page at a time, for the dashboard and the metrics:
//! filtered, paginated run lists and each job's last success.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;

use super::{bounds, query_runs, History, HistoryError, RunRow, Trigger, RUN_COLUMNS};
use crate::run::RunStatus;

/// Which runs a list shows. `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    pub job: Option<String>,
    pub status: Option<RunStatus>,
    pub trigger: Option<Trigger>,
}

/// One page of a filtered run list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPage {
    pub runs: Vec<RunRow>,
    /// Runs that match the filter, on every page.
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
}

impl RunPage {
    pub fn has_newer(&self) -> bool {
        self.offset > 0
    }

    pub fn has_older(&self) -> bool {
        self.offset + (self.runs.len() as u64) < self.total
    }
}

impl History {
    /// The runs `filter` matches, newest first (by start time, then run
    /// id), skipping `offset` and returning at most `limit`.
    pub fn runs_page(
        &self,
        filter: &RunFilter,
        offset: u64,
        limit: u64,
    ) -> Result<RunPage, HistoryError> {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(job) = &filter.job {
            conditions.push("job = ?");
            values.push(Value::Text(job.clone()));
        }
        if let Some(status) = filter.status {
            conditions.push("status = ?");
            values.push(Value::Text(status.as_str().to_string()));
        }
        if let Some(trigger) = filter.trigger {
            conditions.push("\"trigger\" = ?");
            values.push(Value::Text(trigger.as_str().to_string()));
        }
        let condition = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let conn = self.lock();
        let total: i64 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM runs {condition}"))
            .and_then(|mut stmt| {
                stmt.query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0))
            })
            .map_err(self.db_err("count runs"))?;
        let mut paged = values.clone();
        paged.push(Value::Integer(bounds::count(limit)));
        paged.push(Value::Integer(bounds::count(offset)));
        let raws = query_runs(
            &conn,
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs {condition}
                 ORDER BY started_at DESC, run_id DESC LIMIT ? OFFSET ?"
            ),
            rusqlite::params_from_iter(paged.iter()),
        )
        .map_err(self.db_err("list runs"))?;
        drop(conn);
        Ok(RunPage {
            runs: raws
                .into_iter()
                .map(|raw| self.run_row(raw))
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
            offset,
            limit,
        })
    }

    /// When each job last ended a run that succeeded.
    pub fn last_successes(&self) -> Result<HashMap<String, DateTime<Utc>>, HistoryError> {
        let conn = self.lock();
        let raws = conn
            .prepare_cached(
                "SELECT job, MAX(ended_at) FROM runs WHERE status = ?1 AND ended_at IS NOT NULL GROUP BY job",
            )
            .and_then(|mut stmt| {
                stmt.query_map([RunStatus::Succeeded.as_str()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(self.db_err("read the last successful runs"))?;
        drop(conn);
        Ok(raws
            .into_iter()
            .filter_map(|(job, ms)| Some((job, bounds::from_ms(ms)?)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::scratch;
    use crate::history::{NewRun, RunEnd};

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
    }

    fn history_with_runs() -> History {
        let h = History::open(&scratch("browse").join("h.db")).unwrap();
        for i in 0..30 {
            let job = if i % 3 == 0 { "a" } else { "b" };
            let trigger = if i % 5 == 0 {
                Trigger::Manual
            } else {
                Trigger::Schedule
            };
            let run_id = format!("r{i:02}");
            h.start_run(&NewRun {
                run_id: run_id.clone(),
                job: job.into(),
                scheduled_at: Some(t(i)),
                started_at: t(i),
                attempt: 0,
                trigger,
            })
            .unwrap();
            let status = if i % 2 == 0 {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
            h.finish_run(
                &run_id,
                &RunEnd::without_report(status, String::new(), t(i + 1)),
            )
            .unwrap();
        }
        h
    }

    #[test]
    fn pages_are_newest_first_and_count_every_match() {
        let h = history_with_runs();
        let all = RunFilter::default();
        let first = h.runs_page(&all, 0, 10).unwrap();
        assert_eq!(first.total, 30);
        let ids: Vec<&str> = first.runs.iter().map(|r| r.run_id.as_str()).collect();
        assert_eq!(ids[0], "r29");
        assert_eq!(ids[9], "r20");
        assert!(!first.has_newer() && first.has_older());
        let last = h.runs_page(&all, 20, 10).unwrap();
        assert_eq!(last.runs.last().unwrap().run_id, "r00");
        assert!(last.has_newer() && !last.has_older());
        assert!(h.runs_page(&all, 40, 10).unwrap().runs.is_empty());
    }

    #[test]
    fn filters_combine() {
        let h = history_with_runs();
        let filter = RunFilter {
            job: Some("a".into()),
            status: Some(RunStatus::Succeeded),
            trigger: None,
        };
        let page = h.runs_page(&filter, 0, 100).unwrap();
        // i % 3 == 0 and i even: 0, 6, 12, 18, 24.
        assert_eq!(page.total, 5);
        assert!(page
            .runs
            .iter()
            .all(|r| r.job == "a" && r.status == RunStatus::Succeeded));
        let manual = RunFilter {
            trigger: Some(Trigger::Manual),
            ..RunFilter::default()
        };
        let page = h.runs_page(&manual, 0, 100).unwrap();
        assert_eq!(page.total, 6);
        assert!(page.runs.iter().all(|r| r.trigger == Trigger::Manual));
    }

    #[test]
    fn last_successes_per_job() {
        let h = history_with_runs();
        let last = h.last_successes().unwrap();
        // a: 0, 6, …, 24 succeed (ending at 25); b: even i not divisible by 3, last 28.
        assert_eq!(last.get("a"), Some(&t(25)));
        assert_eq!(last.get("b"), Some(&t(29)));
        assert_eq!(last.len(), 2);
    }
}
