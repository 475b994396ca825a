//! What the pages show, computed from the history and the daemon's
//! snapshot: no I/O here, so that it can be tested alone.

use chrono::{DateTime, Utc};

use crate::history::{RequestRow, RunRow, DENIED_OUTCOME, INVALID_OUTCOME};
use crate::run::RunStatus;

/// Runs shown in a job's strip of marks.
pub const STRIP: usize = 20;
/// How much later than scheduled a start is "late".
pub const LATE_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// A time in UTC, saying so: `2026-12-02 18:40:05 UTC`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A time in a zone, saying which: `2026-12-02 13:40:05 EST (America/New_York)`.
pub fn zoned(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let local = t.with_timezone(&tz);
    if tz == chrono_tz::UTC {
        return utc(t);
    }
    format!("{} ({})", local.format("%Y-%m-%d %H:%M:%S %Z"), tz.name())
}

/// Machine-readable time for `<time datetime=…>` (the page's script shows
/// it in the viewer's zone).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A duration in words a person reads at a glance.
pub fn duration(d: chrono::Duration) -> String {
    crate::history::report::human_duration(d)
}

/// The CSS class of a status: its name.
pub fn status_class(status: RunStatus) -> &'static str {
    status.as_str()
}

/// One mark of a job's strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub run_id: String,
    /// `succeeded`, `failed`, … plus ` late` / ` missed`.
    pub class: String,
    /// Tooltip: status, trigger and start.
    pub title: String,
}

/// Whether a run started noticeably after its firing.
pub fn is_late(run: &RunRow) -> bool {
    match run.scheduled_at {
        Some(scheduled) => run.started_at - scheduled > LATE_AFTER,
        None => false,
    }
}

/// Whether a row is a firing that did not run because the history could
/// not be written, or that was dropped.
pub fn is_missed(run: &RunRow) -> bool {
    run.status == RunStatus::Skipped
        && run
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("missed"))
}

/// The strip of a job's latest runs, oldest on the left. `runs` is newest
/// first, as the history lists them.
pub fn strip(runs: &[RunRow]) -> Vec<Mark> {
    runs.iter()
        .take(STRIP)
        .rev()
        .map(|run| {
            let mut class = status_class(run.status).to_string();
            let mut notes = String::new();
            if is_missed(run) {
                class.push_str(" missed");
                notes.push_str(", missed");
            } else if is_late(run) {
                class.push_str(" late");
                notes.push_str(", late");
            }
            Mark {
                run_id: run.run_id.clone(),
                title: format!(
                    "{} ({}{notes}) {}",
                    run.status,
                    run.trigger,
                    utc(run.started_at)
                ),
                class,
            }
        })
        .collect()
}

/// Success rate and median duration of the runs that ended (skipped
/// firings and running runs left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `"95% of 20"`, or `"no runs"`.
    pub success: String,
    /// `"1.2 s"`, or `"–"`.
    pub median: String,
}

pub fn summary(runs: &[RunRow]) -> Summary {
    let ended: Vec<&RunRow> = runs
        .iter()
        .take(STRIP)
        .filter(|r| !matches!(r.status, RunStatus::Skipped | RunStatus::Running))
        .collect();
    if ended.is_empty() {
        return Summary {
            success: "no runs".into(),
            median: "–".into(),
        };
    }
    let ok = ended
        .iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .count();
    let mut durations: Vec<chrono::Duration> = ended.iter().filter_map(|r| r.duration()).collect();
    durations.sort();
    let median = match durations.len() {
        0 => "–".to_string(),
        n if n % 2 == 1 => duration(durations[n / 2]),
        n => duration((durations[n / 2 - 1] + durations[n / 2]) / 2),
    };
    Summary {
        success: format!("{}% of {}", ok * 100 / ended.len(), ended.len()),
        median,
    }
}

/// How a request row is highlighted: `denied`, `invalid`, `error` (an
/// answer of 400 or more, or none), or `ok`.
pub fn request_class(row: &RequestRow) -> &'static str {
    if row.outcome.starts_with(DENIED_OUTCOME) {
        "denied"
    } else if row.outcome.starts_with(INVALID_OUTCOME) {
        "invalid"
    } else if row.outcome.starts_with("ok") || row.outcome.starts_with("dry-run") {
        "ok"
    } else {
        "error"
    }
}

/// Page numbers for a list of `total` items, `per_page` a page.
pub fn pages(total: u64, per_page: u64) -> u64 {
    total.div_ceil(per_page.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Trigger;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn run(id: &str, status: RunStatus, started: &str, secs: i64) -> RunRow {
        RunRow {
            run_id: id.into(),
            job: "j".into(),
            scheduled_at: Some(at(started)),
            started_at: at(started),
            ended_at: Some(at(started) + chrono::Duration::seconds(secs)),
            status,
            exit_code: None,
            error: None,
            requests: 0,
            denials: 0,
            invalid: 0,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            attempt: 0,
            trigger: Trigger::Schedule,
            held_ms: 0,
        }
    }

    #[test]
    fn times_say_their_zone() {
        let t = at("2026-12-02T18:40:05Z");
        assert_eq!(utc(t), "2026-12-02 18:40:05 UTC");
        assert_eq!(
            zoned(t, chrono_tz::America::New_York),
            "2026-12-02 13:40:05 EST (America/New_York)"
        );
        assert_eq!(zoned(t, chrono_tz::UTC), "2026-12-02 18:40:05 UTC");
        assert_eq!(iso(t), "2026-12-02T18:40:05Z");
    }

    #[test]
    fn the_strip_runs_oldest_to_newest_and_marks_late_and_missed() {
        let mut late = run("r3", RunStatus::Succeeded, "2026-12-02T10:05:00Z", 1);
        late.scheduled_at = Some(at("2026-12-02T10:00:00Z"));
        let mut missed = run("r2", RunStatus::Skipped, "2026-12-02T09:00:00Z", 0);
        missed.error = Some("missed: the run history cannot be written".into());
        let newest_first = vec![
            late,
            missed,
            run("r1", RunStatus::Failed, "2026-12-02T08:00:00Z", 3),
        ];
        let marks = strip(&newest_first);
        let classes: Vec<&str> = marks.iter().map(|m| m.class.as_str()).collect();
        assert_eq!(classes, ["failed", "skipped missed", "succeeded late"]);
        assert!(marks[2].title.contains("late"));
        assert!(marks[0].title.contains("2026-12-02 08:00:00 UTC"));
    }

    #[test]
    fn the_strip_keeps_twenty() {
        let runs: Vec<RunRow> = (0..30)
            .map(|i| {
                run(
                    &format!("r{i}"),
                    RunStatus::Succeeded,
                    "2026-12-02T08:00:00Z",
                    1,
                )
            })
            .collect();
        assert_eq!(strip(&runs).len(), STRIP);
        assert_eq!(strip(&runs).last().unwrap().run_id, "r0");
    }

    #[test]
    fn summary_counts_ended_runs_only() {
        let runs = vec![
            run("a", RunStatus::Running, "2026-12-02T08:00:00Z", 0),
            run("b", RunStatus::Succeeded, "2026-12-02T08:00:00Z", 1),
            run("c", RunStatus::Failed, "2026-12-02T08:00:00Z", 3),
            run("d", RunStatus::Succeeded, "2026-12-02T08:00:00Z", 2),
            run("e", RunStatus::Skipped, "2026-12-02T08:00:00Z", 0),
            run("f", RunStatus::Succeeded, "2026-12-02T08:00:00Z", 10),
        ];
        let s = summary(&runs);
        assert_eq!(s.success, "75% of 4");
        // 1, 2, 3, 10 s: the median is 2.5 s.
        assert_eq!(s.median, duration(chrono::Duration::milliseconds(2_500)));
        assert_eq!(
            summary(&[]),
            Summary {
                success: "no runs".into(),
                median: "–".into()
            }
        );
    }

    #[test]
    fn requests_are_highlighted_by_outcome() {
        let row = |outcome: &str| RequestRow {
            seq: 1,
            at: at("2026-12-02T08:00:00Z"),
            method: "GET".into(),
            target: "/api/v1/x".into(),
            scope: None,
            status: None,
            outcome: outcome.into(),
            duration_ms: 0,
        };
        assert_eq!(request_class(&row("ok")), "ok");
        assert_eq!(request_class(&row("ok after 3 attempts")), "ok");
        assert_eq!(request_class(&row("dry-run: not sent")), "ok");
        assert_eq!(request_class(&row("denied: no scope")), "denied");
        assert_eq!(request_class(&row("invalid: dot segment")), "invalid");
        assert_eq!(request_class(&row("500 after 3 attempts")), "error");
        assert_eq!(request_class(&row("unavailable: refused")), "error");
    }

    #[test]
    fn page_counts() {
        assert_eq!(pages(0, 50), 1);
        assert_eq!(pages(50, 50), 1);
        assert_eq!(pages(51, 50), 2);
    }
}
