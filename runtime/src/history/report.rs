//! The text of `warden history` (a table of runs) and `warden logs` (one
//! run in full). Pure functions of stored rows.
//!
//! Fields a job can influence (errors quoting its panic message, request
//! targets) are shown with control characters escaped, so that a job cannot
//! write terminal escape sequences into an admin's table or header. The
//! output tails are shown as the job wrote them, as `warden run` does.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{RequestRow, RunRow, DENIED_OUTCOME, DRY_RUN_OUTCOME, INVALID_OUTCOME};
use crate::run::RunStatus;

/// Most characters of an error shown in [`runs_table`].
const ERROR_WIDTH: usize = 80;

/// One line per run under a header, columns aligned: run id, job, status,
/// start (UTC), duration, requests, denials, and the first line of the error.
pub fn runs_table(rows: &[RunRow]) -> String {
    if rows.is_empty() {
        return "no runs recorded\n".to_string();
    }
    const HEADER: [&str; 8] = [
        "RUN", "JOB", "STATUS", "STARTED", "DURATION", "REQUESTS", "DENIED", "ERROR",
    ];
    // Right-aligned: the duration and the counts.
    const RIGHT: [bool; 8] = [false, false, false, false, true, true, true, false];
    let mut lines: Vec<[String; 8]> = vec![HEADER.map(String::from)];
    for row in rows {
        lines.push([
            printable(&row.run_id),
            printable(&row.job),
            row.status.to_string(),
            timestamp(row.started_at),
            table_duration(row),
            row.requests.to_string(),
            row.denials.to_string(),
            row.error.as_deref().map(first_line).unwrap_or_default(),
        ]);
    }
    let mut widths = [0; 8];
    for line in &lines {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if RIGHT[i] {
                text.push_str(&pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i + 1 < line.len() {
                    text.push_str(&pad);
                }
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// One run in full: a header block, the output tails, and its requests.
pub fn run_log(run: &RunRow, requests: &[RequestRow]) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        let mut lines = value.lines();
        let first = lines.next().unwrap_or("");
        let _ = writeln!(out, "{name:<10} {first}");
        for more in lines {
            let _ = writeln!(out, "{:<10} {more}", "");
        }
    };
    let dash = || "-".to_string();
    field("run", &printable(&run.run_id));
    field("job", &printable(&run.job));
    field("trigger", run.trigger.as_str());
    field("attempt", &run.attempt.to_string());
    field(
        "scheduled",
        &run.scheduled_at.map(timestamp).unwrap_or_else(dash),
    );
    field("started", &timestamp(run.started_at));
    let ended = match (run.ended_at, run.duration()) {
        (Some(end), Some(took)) => format!("{} (after {})", timestamp(end), human_duration(took)),
        _ => dash(),
    };
    field("ended", &ended);
    field("status", run.status.as_str());
    field(
        "exit code",
        &run.exit_code.map(|c| c.to_string()).unwrap_or_else(dash),
    );
    let error = run
        .error
        .as_deref()
        .map(|e| e.lines().map(printable).collect::<Vec<_>>().join("\n"))
        .unwrap_or_else(dash);
    field("error", &error);
    field(
        "requests",
        &format!(
            "{} sent, {} denied, {} invalid",
            run.requests, run.denials, run.invalid
        ),
    );
    let not_sent = requests
        .iter()
        .filter(|r| r.outcome == DRY_RUN_OUTCOME)
        .count();
    if not_sent > 0 {
        field(
            "dry run",
            &format!(
                "yes: {not_sent} write{} checked and recorded, not sent",
                if not_sent == 1 { "" } else { "s" }
            ),
        );
    }

    for (name, tail) in [("stdout", &run.stdout_tail), ("stderr", &run.stderr_tail)] {
        let _ = writeln!(out, "--- {name} ---");
        if tail.is_empty() {
            out.push_str("(empty)\n");
        } else {
            out.push_str(tail);
            if !tail.ends_with('\n') {
                out.push('\n');
            }
        }
    }

    out.push_str("--- requests ---\n");
    if requests.is_empty() {
        out.push_str("(none recorded)\n");
    }
    for request in requests {
        let _ = write!(
            out,
            "#{} {} {} {} -> ",
            request.seq,
            request.at.format("%H:%M:%S%.3fZ"),
            printable(&request.method),
            printable(&request.target),
        );
        let refused = request.outcome.starts_with(DENIED_OUTCOME)
            || request.outcome.starts_with(INVALID_OUTCOME)
            || request.outcome == DRY_RUN_OUTCOME;
        match (request.status, request.outcome.strip_prefix("ok")) {
            // "ok" or "ok after 3 attempts".
            (Some(status), Some(retried)) => {
                let _ = write!(out, "{status}{}", printable(retried));
            }
            _ => out.push_str(&printable(&request.outcome)),
        }
        // A refused request or a dry-run write was never sent: its duration
        // says nothing.
        if !refused {
            let _ = write!(out, " ({} ms)", request.duration_ms);
        }
        if let Some(scope) = &request.scope {
            let _ = write!(out, " [{}]", printable(scope));
        }
        out.push('\n');
    }
    out
}

/// `2026-11-29 11:30:00Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// `812 ms`, `1.52 s`, `3m 05s`, `2h 03m 05s`; a negative duration (the
/// clock went back) shows as `0 ms`.
pub fn human_duration(d: chrono::Duration) -> String {
    let ms = d.num_milliseconds().max(0);
    let secs = ms / 1000;
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{}.{:02} s", secs, ms % 1000 / 10),
        60_000..=3_599_999 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m {:02}s", secs / 3600, secs / 60 % 60, secs % 60),
    }
}

/// The duration column: `-` for a run that has not ended or never ran.
fn table_duration(row: &RunRow) -> String {
    match (row.status, row.duration()) {
        (RunStatus::Skipped, _) | (_, None) => "-".to_string(),
        (_, Some(d)) => human_duration(d),
    }
}

/// The first line of an error, control characters escaped, at most
/// [`ERROR_WIDTH`] characters (ending in `…` when cut).
fn first_line(error: &str) -> String {
    let line = printable(error.lines().next().unwrap_or(""));
    if line.chars().count() <= ERROR_WIDTH {
        return line;
    }
    let mut cut: String = line.chars().take(ERROR_WIDTH - 1).collect();
    cut.push('…');
    cut
}

/// `text` with control characters (tabs aside) escaped as `\u{1b}` etc.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Trigger;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn row(
        run_id: &str,
        job: &str,
        status: RunStatus,
        started: &str,
        ended: Option<&str>,
    ) -> RunRow {
        RunRow {
            run_id: run_id.to_string(),
            job: job.to_string(),
            scheduled_at: Some(at(started)),
            started_at: at(started),
            ended_at: ended.map(at),
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
    fn durations_read_like_a_person_wrote_them() {
        let ms = chrono::Duration::milliseconds;
        assert_eq!(human_duration(ms(0)), "0 ms");
        assert_eq!(human_duration(ms(812)), "812 ms");
        assert_eq!(human_duration(ms(1_000)), "1.00 s");
        assert_eq!(human_duration(ms(1_523)), "1.52 s");
        assert_eq!(human_duration(ms(59_999)), "59.99 s");
        assert_eq!(human_duration(ms(185_000)), "3m 05s");
        assert_eq!(human_duration(ms(7_385_000)), "2h 03m 05s");
        assert_eq!(human_duration(ms(-5)), "0 ms");
    }

    #[test]
    fn no_runs_say_so() {
        assert_eq!(runs_table(&[]), "no runs recorded\n");
    }

    #[test]
    fn the_runs_table_aligns_its_columns() {
        let mut failed = row(
            "20261129T113000Z-3f9a1c",
            "unpublished-courses",
            RunStatus::Failed,
            "2026-11-29T11:30:00Z",
            Some("2026-11-29T11:30:01.523Z"),
        );
        failed.requests = 12;
        failed.denials = 1;
        failed.error = Some("the job exited with code 3\nsecond line".to_string());
        let mut ok = row(
            "20261129T120000Z-000001",
            "sync",
            RunStatus::Succeeded,
            "2026-11-29T12:00:00Z",
            Some("2026-11-29T12:03:05Z"),
        );
        ok.requests = 1234;
        let running = row(
            "20261129T130000Z-abcdef",
            "sync",
            RunStatus::Running,
            "2026-11-29T13:00:00Z",
            None,
        );
        let mut skipped = row(
            "20261129T130500Z-0000ff",
            "sync",
            RunStatus::Skipped,
            "2026-11-29T13:05:00Z",
            Some("2026-11-29T13:05:00Z"),
        );
        skipped.error = Some(format!(
            "the previous run was still going \u{1b}[31m{}",
            "x".repeat(100)
        ));
        let mut quick = row(
            "20261129T131000Z-000002",
            "sync",
            RunStatus::TimedOut,
            "2026-11-29T13:10:00Z",
            Some("2026-11-29T13:10:00.812Z"),
        );
        quick.denials = 7;

        let expected = concat!(
            "RUN                      JOB                  STATUS     STARTED               DURATION  REQUESTS  DENIED  ERROR\n",
            "20261129T113000Z-3f9a1c  unpublished-courses  failed     2026-11-29 11:30:00Z    1.52 s        12       1  the job exited with code 3\n",
            "20261129T120000Z-000001  sync                 succeeded  2026-11-29 12:00:00Z    3m 05s      1234       0\n",
            "20261129T130000Z-abcdef  sync                 running    2026-11-29 13:00:00Z         -         0       0\n",
            "20261129T130500Z-0000ff  sync                 skipped    2026-11-29 13:05:00Z         -         0       0  the previous run was still going \\u{1b}[31mxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\n",
            "20261129T131000Z-000002  sync                 timed-out  2026-11-29 13:10:00Z    812 ms         0       7\n",
        );
        assert_eq!(runs_table(&[failed, ok, running, skipped, quick]), expected);
    }

    #[test]
    fn a_run_log_shows_everything() {
        let mut run = row(
            "20261129T113000Z-3f9a1c",
            "unpublished-courses",
            RunStatus::Failed,
            "2026-11-29T11:30:00Z",
            Some("2026-11-29T11:30:01.523Z"),
        );
        run.scheduled_at = Some(at("2026-11-29T11:29:59Z"));
        run.attempt = 1;
        run.trigger = Trigger::Retry;
        run.exit_code = Some(1);
        run.error = Some("the job panicked at src/main.rs:3:5: boom\nand more".to_string());
        run.requests = 2;
        run.denials = 1;
        run.stdout_tail = "Course 1\nCourse 2\n".to_string();
        run.stderr_tail = "warning: slow".to_string();
        let requests = [
            RequestRow {
                seq: 1,
                at: at("2026-11-29T11:30:00.125Z"),
                method: "GET".to_string(),
                target: "/api/v1/accounts/1/courses?per_page=100".to_string(),
                scope: Some("url:GET|/api/v1/accounts/:account_id/courses".to_string()),
                status: Some(200),
                outcome: "ok".to_string(),
                duration_ms: 42,
            },
            RequestRow {
                seq: 2,
                at: at("2026-11-29T11:30:01Z"),
                method: "DELETE".to_string(),
                target: "/api/v1/courses/1".to_string(),
                scope: None,
                status: None,
                outcome: "denied: no scope of this job allows DELETE /api/v1/courses/1".to_string(),
                duration_ms: 0,
            },
            RequestRow {
                seq: 3,
                at: at("2026-11-29T11:30:01.5Z"),
                method: "GET".to_string(),
                target: "/api/v1/accounts/1/courses?page=2".to_string(),
                scope: Some("url:GET|/api/v1/accounts/:account_id/courses".to_string()),
                status: None,
                outcome: "throttled: Canvas answered 429 (rate limited) after 4 attempts"
                    .to_string(),
                duration_ms: 7012,
            },
        ];
        let expected = concat!(
            "run        20261129T113000Z-3f9a1c\n",
            "job        unpublished-courses\n",
            "trigger    retry\n",
            "attempt    1\n",
            "scheduled  2026-11-29 11:29:59Z\n",
            "started    2026-11-29 11:30:00Z\n",
            "ended      2026-11-29 11:30:01Z (after 1.52 s)\n",
            "status     failed\n",
            "exit code  1\n",
            "error      the job panicked at src/main.rs:3:5: boom\n",
            "           and more\n",
            "requests   2 sent, 1 denied, 0 invalid\n",
            "--- stdout ---\n",
            "Course 1\n",
            "Course 2\n",
            "--- stderr ---\n",
            "warning: slow\n",
            "--- requests ---\n",
            "#1 11:30:00.125Z GET /api/v1/accounts/1/courses?per_page=100 -> 200 (42 ms) [url:GET|/api/v1/accounts/:account_id/courses]\n",
            "#2 11:30:01.000Z DELETE /api/v1/courses/1 -> denied: no scope of this job allows DELETE /api/v1/courses/1\n",
            "#3 11:30:01.500Z GET /api/v1/accounts/1/courses?page=2 -> throttled: Canvas answered 429 (rate limited) after 4 attempts (7012 ms) [url:GET|/api/v1/accounts/:account_id/courses]\n",
        );
        assert_eq!(run_log(&run, &requests), expected);
    }

    #[test]
    fn a_dry_run_and_a_retried_request_are_marked() {
        let mut run = row(
            "r-2",
            "set-default-view",
            RunStatus::Succeeded,
            "2026-11-29T13:00:00Z",
            Some("2026-11-29T13:00:00.200Z"),
        );
        run.scheduled_at = None;
        run.trigger = Trigger::Manual;
        run.exit_code = Some(0);
        run.requests = 3;
        let scope = |m: &str| Some(format!("url:{m}|/api/v1/courses/:id"));
        let requests = [
            RequestRow {
                seq: 1,
                at: at("2026-11-29T13:00:00.010Z"),
                method: "GET".to_string(),
                target: "/api/v1/courses/3".to_string(),
                scope: scope("GET"),
                status: Some(200),
                outcome: "ok after 3 attempts".to_string(),
                duration_ms: 120,
            },
            RequestRow {
                seq: 2,
                at: at("2026-11-29T13:00:00.150Z"),
                method: "PUT".to_string(),
                target: "/api/v1/courses/3".to_string(),
                scope: scope("PUT"),
                status: None,
                outcome: DRY_RUN_OUTCOME.to_string(),
                duration_ms: 0,
            },
        ];
        let log = run_log(&run, &requests);
        assert!(
            log.contains("requests   3 sent, 0 denied, 0 invalid\ndry run    yes: 1 write checked and recorded, not sent\n"),
            "{log}"
        );
        assert!(log.ends_with(concat!(
            "#1 13:00:00.010Z GET /api/v1/courses/3 -> 200 after 3 attempts (120 ms) [url:GET|/api/v1/courses/:id]\n",
            "#2 13:00:00.150Z PUT /api/v1/courses/3 -> dry-run: not sent [url:PUT|/api/v1/courses/:id]\n",
        )), "{log}");
    }

    #[test]
    fn a_running_run_log_has_dashes_and_no_requests() {
        let mut run = row(
            "r-1",
            "sync",
            RunStatus::Running,
            "2026-11-29T13:00:00Z",
            None,
        );
        run.scheduled_at = None;
        run.trigger = Trigger::Manual;
        let expected = concat!(
            "run        r-1\n",
            "job        sync\n",
            "trigger    manual\n",
            "attempt    0\n",
            "scheduled  -\n",
            "started    2026-11-29 13:00:00Z\n",
            "ended      -\n",
            "status     running\n",
            "exit code  -\n",
            "error      -\n",
            "requests   0 sent, 0 denied, 0 invalid\n",
            "--- stdout ---\n",
            "(empty)\n",
            "--- stderr ---\n",
            "(empty)\n",
            "--- requests ---\n",
            "(none recorded)\n",
        );
        assert_eq!(run_log(&run, &[]), expected);
    }
}
