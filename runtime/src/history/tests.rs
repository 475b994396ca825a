//! Tests of the store: round trips, numbering, interruption, pruning and
//! two handles on one file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

use super::*;
use crate::host::CallStats;
use crate::scope::Method;

/// A fresh, empty folder under the system's temp folder.
pub(crate) fn scratch(name: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "warden-history-{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn open(name: &str) -> History {
    History::open(&scratch(name).join("warden.db")).unwrap()
}

/// Minutes after 2026-11-29 11:00:00Z, plus some milliseconds.
fn t(minutes: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_795_950_000_000 + minutes * 60_000).unwrap()
}

fn new_run(run_id: &str, job: &str, started: DateTime<Utc>) -> NewRun {
    NewRun {
        run_id: run_id.to_string(),
        job: job.to_string(),
        scheduled_at: Some(started),
        started_at: started,
        attempt: 0,
        trigger: Trigger::Schedule,
    }
}

fn end(status: RunStatus, ended: DateTime<Utc>) -> RunEnd {
    RunEnd {
        ended_at: ended,
        status,
        exit_code: None,
        error: None,
        requests: 0,
        denials: 0,
        invalid: 0,
        stdout_tail: String::new(),
        stderr_tail: String::new(),
        held_ms: 0,
    }
}

/// A finished run of `job` started `minutes` after t(0).
fn finished(h: &History, run_id: &str, job: &str, minutes: i64) {
    h.start_run(&new_run(run_id, job, t(minutes))).unwrap();
    h.finish_run(
        run_id,
        &end(
            RunStatus::Succeeded,
            t(minutes) + chrono::Duration::seconds(1),
        ),
    )
    .unwrap();
}

fn audit(target: &str, outcome: Outcome) -> AuditEntry {
    AuditEntry {
        at: UNIX_EPOCH + Duration::from_millis(1_795_950_000_250) + Duration::from_micros(700),
        method: Method::Get,
        target: target.to_string(),
        scope: Some("url:GET|/api/v1/courses".to_string()),
        outcome,
        duration: Duration::from_micros(12_900),
        attempts: 1,
    }
}

fn ids(rows: &[RunRow]) -> Vec<&str> {
    rows.iter().map(|r| r.run_id.as_str()).collect()
}

fn request_count(h: &History) -> i64 {
    h.lock()
        .query_row("SELECT count(*) FROM requests", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn history_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<History>();
}

#[test]
fn reopening_keeps_the_data() {
    let dir = scratch("reopen");
    let path = dir.join("warden.db");
    {
        let h = History::open(&path).unwrap();
        finished(&h, "r1", "sync", 0);
        h.record_request("r1", &audit("/api/v1/courses", Outcome::Status(200)))
            .unwrap();
        h.set_last_fire("sync", t(0)).unwrap();
    }
    let h = History::open(&path).unwrap();
    assert_eq!(ids(&h.runs(None, 10).unwrap()), ["r1"]);
    assert_eq!(h.requests("r1").unwrap().len(), 1);
    assert_eq!(h.last_fire("sync").unwrap(), Some(t(0)));
}

#[test]
fn a_run_round_trips_every_field() {
    let h = open("round-trip");
    let scheduled = t(0);
    let started = DateTime::from_timestamp_millis(scheduled.timestamp_millis() + 1_234).unwrap();
    let new = NewRun {
        run_id: "20261129T110001Z-3f9a1c".to_string(),
        job: "unpublished-courses".to_string(),
        scheduled_at: Some(scheduled),
        started_at: started,
        attempt: 2,
        trigger: Trigger::Retry,
    };
    h.start_run(&new).unwrap();
    let running = h.run(&new.run_id).unwrap().unwrap();
    assert_eq!(
        running,
        RunRow {
            run_id: new.run_id.clone(),
            job: new.job.clone(),
            scheduled_at: Some(scheduled),
            started_at: started,
            ended_at: None,
            status: RunStatus::Running,
            exit_code: None,
            error: None,
            requests: 0,
            denials: 0,
            invalid: 0,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            attempt: 2,
            trigger: Trigger::Retry,
            held_ms: 0,
        }
    );
    assert_eq!(running.duration(), None);

    let ended = started + chrono::Duration::milliseconds(1_520);
    let finish = RunEnd {
        ended_at: ended,
        status: RunStatus::Failed,
        exit_code: Some(-3),
        error: Some("the job exited with code -3".to_string()),
        requests: 12,
        denials: 3,
        invalid: 1,
        stdout_tail: "Kurs «Ökonomie» — 日本語 🎓\n".to_string(),
        stderr_tail: "warning: ünïcödé\nsecond line".to_string(),
        held_ms: 2_500,
    };
    h.finish_run(&new.run_id, &finish).unwrap();
    let row = h.run(&new.run_id).unwrap().unwrap();
    assert_eq!(
        row,
        RunRow {
            ended_at: Some(ended),
            status: RunStatus::Failed,
            exit_code: Some(-3),
            error: finish.error.clone(),
            requests: 12,
            denials: 3,
            invalid: 1,
            stdout_tail: finish.stdout_tail.clone(),
            stderr_tail: finish.stderr_tail.clone(),
            held_ms: 2_500,
            ..running
        }
    );
    assert_eq!(row.duration(), Some(chrono::Duration::milliseconds(1_520)));
    assert_eq!(h.run("no-such-run").unwrap(), None);
}

#[test]
fn none_fields_and_every_trigger_and_status_round_trip() {
    let h = open("none-fields");
    for (i, trigger) in Trigger::ALL.into_iter().enumerate() {
        let id = format!("m{i}");
        let new = NewRun {
            scheduled_at: None,
            trigger,
            ..new_run(&id, "manual-job", t(i as i64))
        };
        h.start_run(&new).unwrap();
        let row = h.run(&id).unwrap().unwrap();
        assert_eq!((row.scheduled_at, row.trigger), (None, trigger));
    }
    for (i, status) in RunStatus::ALL.into_iter().enumerate() {
        let id = format!("s{i}");
        h.start_run(&new_run(&id, "statuses", t(i as i64))).unwrap();
        h.finish_run(&id, &end(status, t(i as i64 + 1))).unwrap();
        let row = h.run(&id).unwrap().unwrap();
        assert_eq!(row.status, status);
        assert_eq!((row.exit_code, row.error.as_deref()), (None, None));
        assert_eq!(
            (row.stdout_tail.as_str(), row.stderr_tail.as_str()),
            ("", "")
        );
    }
}

#[test]
fn times_are_kept_to_the_millisecond() {
    let h = open("millis");
    let precise = DateTime::parse_from_rfc3339("2026-11-29T11:30:00.123987Z")
        .unwrap()
        .with_timezone(&Utc);
    h.start_run(&new_run("r", "j", precise)).unwrap();
    let row = h.run("r").unwrap().unwrap();
    assert_eq!(row.started_at.to_rfc3339(), "2026-11-29T11:30:00.123+00:00");
}

#[test]
fn stored_text_is_capped() {
    let h = open("caps");
    h.start_run(&new_run("r", "j", t(0))).unwrap();
    // 'é' is two bytes and the cap is even; a leading 'x' puts a character
    // boundary off the cap's line.
    let tail = format!("x{}END", "é".repeat(TAIL_CAP));
    let error = format!("{}tail of the error", "ö".repeat(TEXT_CAP));
    h.finish_run(
        "r",
        &RunEnd {
            error: Some(error.clone()),
            stdout_tail: tail.clone(),
            stderr_tail: "short".to_string(),
            ..end(RunStatus::Failed, t(1))
        },
    )
    .unwrap();
    let row = h.run("r").unwrap().unwrap();
    assert!(row.stdout_tail.len() <= TAIL_CAP && row.stdout_tail.len() > TAIL_CAP - 4);
    assert!(tail.ends_with(&row.stdout_tail) && row.stdout_tail.ends_with("éEND"));
    assert_eq!(row.stderr_tail, "short");
    let stored = row.error.unwrap();
    assert!(
        stored.len() <= TEXT_CAP && stored.len() > TEXT_CAP - 8,
        "{}",
        stored.len()
    );
    assert!(stored.starts_with("öö") && stored.ends_with("ö…"));

    let target = format!("/api/v1/courses?search_term={}", "ß".repeat(TEXT_CAP));
    h.record_request(
        "r",
        &audit(&target, Outcome::Denied("x".repeat(10 * TEXT_CAP))),
    )
    .unwrap();
    let request = &h.requests("r").unwrap()[0];
    assert!(
        request.target.len() <= TEXT_CAP
            && request.target.starts_with("/api/v1/courses?search_term=ß")
    );
    assert!(request.target.ends_with('…'));
    assert!(request.outcome.len() <= TEXT_CAP && request.outcome.starts_with("denied: xxx"));
}

#[test]
fn requests_are_numbered_within_their_run() {
    let h = open("seq");
    h.start_run(&new_run("a", "j", t(0))).unwrap();
    h.start_run(&new_run("b", "j", t(1))).unwrap();
    h.record_request("a", &audit("/a/1", Outcome::Status(200)))
        .unwrap();
    h.record_request("b", &audit("/b/1", Outcome::Status(404)))
        .unwrap();
    h.record_request(
        "a",
        &audit("/a/2", Outcome::Denied("no scope allows it".into())),
    )
    .unwrap();
    h.record_requests(
        "a",
        &[
            audit("/a/3", Outcome::Invalid("bad path".into())),
            audit("/a/4", Outcome::Throttled("429 four times".into())),
            audit("/a/5", Outcome::BudgetExhausted("10000 spent".into())),
            audit("/a/6", Outcome::Unavailable("connection refused".into())),
            audit("/a/7", Outcome::DryRun),
            AuditEntry {
                attempts: 3,
                ..audit("/a/8", Outcome::Status(503))
            },
        ],
    )
    .unwrap();
    h.record_requests("a", &[]).unwrap();

    let a = h.requests("a").unwrap();
    let seqs: Vec<u64> = a.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7, 8]);
    let targets: Vec<&str> = a.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        ["/a/1", "/a/2", "/a/3", "/a/4", "/a/5", "/a/6", "/a/7", "/a/8"]
    );
    let outcomes: Vec<(Option<u16>, &str)> =
        a.iter().map(|r| (r.status, r.outcome.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            (Some(200), "ok"),
            (None, "denied: no scope allows it"),
            (None, "invalid: bad path"),
            (None, "throttled: 429 four times"),
            (None, "budget-exhausted: 10000 spent"),
            (None, "unavailable: connection refused"),
            (None, "dry-run: not sent"),
            (Some(503), "503 after 3 attempts"),
        ]
    );
    assert_eq!(
        a[0],
        RequestRow {
            seq: 1,
            at: DateTime::from_timestamp_millis(1_795_950_000_250).unwrap(),
            method: "GET".to_string(),
            target: "/a/1".to_string(),
            scope: Some("url:GET|/api/v1/courses".to_string()),
            status: Some(200),
            outcome: "ok".to_string(),
            duration_ms: 12,
        }
    );
    let b = h.requests("b").unwrap();
    assert_eq!((b.len(), b[0].seq, b[0].status), (1, 1, Some(404)));

    let mut no_scope = audit("/c", Outcome::Status(200));
    no_scope.scope = None;
    h.record_request("b", &no_scope).unwrap();
    assert_eq!(h.requests("b").unwrap()[1].scope, None);
    assert_eq!(h.requests("nothing").unwrap(), []);
}

#[test]
fn unknown_and_duplicate_runs_are_errors() {
    let h = open("unknown");
    let path = h.path().display().to_string();
    let e = h
        .record_request("ghost", &audit("/x", Outcome::Status(200)))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("run history {path} has no run ghost")
    );
    let e = h
        .finish_run("ghost", &end(RunStatus::Succeeded, t(0)))
        .unwrap_err();
    assert!(matches!(e, HistoryError::UnknownRun { .. }), "{e}");
    h.start_run(&new_run("r", "j", t(0))).unwrap();
    let e = h.start_run(&new_run("r", "j", t(1))).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("run history {path} already has a run r")
    );
    assert_eq!(h.run("r").unwrap().unwrap().started_at, t(0));
}

#[test]
fn a_status_from_a_newer_warden_is_a_clear_error() {
    let h = open("unknown-status");
    finished(&h, "r", "j", 0);
    h.lock()
        .execute("UPDATE runs SET status = 'paused' WHERE run_id = 'r'", [])
        .unwrap();
    let e = h.run("r").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "run history {}: run r: its status \"paused\" is unknown to this Warden (was it written by a newer one?)",
            h.path().display()
        )
    );
    assert!(h.runs(None, 10).is_err());
    h.lock()
        .execute(
            "UPDATE runs SET status = 'failed', \"trigger\" = 'webhook'",
            [],
        )
        .unwrap();
    assert!(h
        .run("r")
        .unwrap_err()
        .to_string()
        .contains("its trigger \"webhook\" is unknown"));
}

#[test]
fn mark_interrupted_changes_only_running_runs() {
    let h = open("interrupted");
    finished(&h, "done", "j", 0);
    h.start_run(&new_run("going-1", "j", t(1))).unwrap();
    h.start_run(&new_run("going-2", "k", t(2))).unwrap();
    h.record_skipped("j", t(3), "still going", t(3)).unwrap();
    let before_done = h.run("done").unwrap().unwrap();

    assert_eq!(h.mark_interrupted(t(10)).unwrap().len(), 2);
    for id in ["going-1", "going-2"] {
        let row = h.run(id).unwrap().unwrap();
        assert_eq!(row.status, RunStatus::Interrupted);
        assert_eq!(row.ended_at, Some(t(10)));
        assert_eq!(
            row.error.as_deref(),
            Some("the daemon stopped while the run was going")
        );
    }
    assert_eq!(h.run("done").unwrap().unwrap(), before_done);
    let skipped = h
        .runs(None, 10)
        .unwrap()
        .into_iter()
        .find(|r| r.status == RunStatus::Skipped);
    assert!(skipped.is_some());
    assert_eq!(h.mark_interrupted(t(11)).unwrap().len(), 0);
}

#[test]
fn a_skipped_firing_is_one_complete_row() {
    let h = open("skipped");
    let id = h
        .record_skipped(
            "sync",
            t(0),
            "the previous run was still going (concurrency = \"forbid\")",
            t(1),
        )
        .unwrap();
    assert!(id.starts_with("20261129T110100Z-"), "{id}");
    assert_eq!(id.len(), "20261129T113000Z-3f9a1c".len());
    let row = h.run(&id).unwrap().unwrap();
    assert_eq!(
        row,
        RunRow {
            run_id: id.clone(),
            job: "sync".to_string(),
            scheduled_at: Some(t(0)),
            started_at: t(1),
            ended_at: Some(t(1)),
            status: RunStatus::Skipped,
            exit_code: None,
            error: Some("the previous run was still going (concurrency = \"forbid\")".to_string()),
            requests: 0,
            denials: 0,
            invalid: 0,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            attempt: 0,
            trigger: Trigger::Schedule,
            held_ms: 0,
        }
    );
    // Many in the same second get distinct ids.
    let more: std::collections::HashSet<String> = (0..50)
        .map(|_| h.record_skipped("sync", t(0), "busy", t(1)).unwrap())
        .collect();
    assert_eq!(more.len(), 50);
    assert!(!more.contains(&id));
}

#[test]
fn last_fire_round_trips_and_is_overwritten() {
    let h = open("last-fire");
    assert_eq!(h.last_fire("sync").unwrap(), None);
    h.set_last_fire("sync", t(0)).unwrap();
    h.set_last_fire("other", t(5)).unwrap();
    assert_eq!(h.last_fire("sync").unwrap(), Some(t(0)));
    h.set_last_fire("sync", t(60)).unwrap();
    assert_eq!(h.last_fire("sync").unwrap(), Some(t(60)));
    assert_eq!(h.last_fire("other").unwrap(), Some(t(5)));
    // It never goes back: a write repeated late (a spill replayed after
    // newer writes) must not make the scheduler fire again.
    h.set_last_fire("sync", t(30)).unwrap();
    assert_eq!(h.last_fire("sync").unwrap(), Some(t(60)));
}

#[test]
fn runs_are_newest_first_filtered_and_limited() {
    let h = open("order");
    finished(&h, "a-old", "a", 0);
    finished(&h, "b-mid", "b", 5);
    finished(&h, "a-new", "a", 10);
    // Same start: the larger id counts as newer.
    finished(&h, "a-tie-1", "a", 7);
    finished(&h, "a-tie-2", "a", 7);
    h.start_run(&new_run("b-running", "b", t(20))).unwrap();

    assert_eq!(
        ids(&h.runs(None, 100).unwrap()),
        ["b-running", "a-new", "a-tie-2", "a-tie-1", "b-mid", "a-old"]
    );
    assert_eq!(
        ids(&h.runs(Some("a"), 100).unwrap()),
        ["a-new", "a-tie-2", "a-tie-1", "a-old"]
    );
    assert_eq!(ids(&h.runs(Some("b"), 1).unwrap()), ["b-running"]);
    assert_eq!(ids(&h.runs(None, 2).unwrap()), ["b-running", "a-new"]);
    assert_eq!(h.runs(Some("c"), 10).unwrap(), []);
    assert_eq!(h.runs(None, 0).unwrap(), []);
    assert_eq!(h.runs(None, usize::MAX).unwrap().len(), 6);
}

#[test]
fn prune_by_age_keeps_recent_and_running_runs() {
    let h = open("prune-age");
    finished(&h, "old", "a", 0);
    h.record_request("old", &audit("/x", Outcome::Status(200)))
        .unwrap();
    h.record_request("old", &audit("/y", Outcome::Status(200)))
        .unwrap();
    h.start_run(&new_run("old-running", "a", t(1))).unwrap();
    h.record_request("old-running", &audit("/z", Outcome::Status(200)))
        .unwrap();
    finished(&h, "edge", "b", 50);
    finished(&h, "new", "b", 55);
    h.record_request("new", &audit("/w", Outcome::Status(200)))
        .unwrap();
    assert_eq!(request_count(&h), 4);

    let retention = Retention {
        max_age: Some(Duration::from_secs(10 * 60)),
        max_runs_per_job: None,
    };
    // Cutoff t(50): "edge" started exactly then and stays.
    assert_eq!(h.prune(&retention, t(60)).unwrap(), 1);
    assert_eq!(
        ids(&h.runs(None, 10).unwrap()),
        ["new", "edge", "old-running"]
    );
    assert_eq!(h.requests("old").unwrap(), []);
    assert_eq!(h.requests("old-running").unwrap().len(), 1);
    assert_eq!(request_count(&h), 2, "request rows of deleted runs cascade");
    assert_eq!(h.prune(&Retention::default(), t(1000)).unwrap(), 0);
    assert_eq!(h.runs(None, 10).unwrap().len(), 3);
}

#[test]
fn prune_by_count_is_per_job() {
    let h = open("prune-count");
    for i in 0..5 {
        finished(&h, &format!("a{i}"), "a", i);
        h.record_request(&format!("a{i}"), &audit("/x", Outcome::Status(200)))
            .unwrap();
    }
    finished(&h, "b0", "b", 0);
    finished(&h, "b1", "b", 1);
    let retention = Retention {
        max_age: None,
        max_runs_per_job: Some(2),
    };
    assert_eq!(h.prune(&retention, t(100)).unwrap(), 3);
    assert_eq!(ids(&h.runs(Some("a"), 10).unwrap()), ["a4", "a3"]);
    assert_eq!(ids(&h.runs(Some("b"), 10).unwrap()), ["b1", "b0"]);
    assert_eq!(request_count(&h), 2);
    assert_eq!(h.prune(&retention, t(100)).unwrap(), 0);
}

#[test]
fn prune_by_count_never_deletes_a_running_run() {
    let h = open("prune-running");
    h.start_run(&new_run("stuck", "a", t(0))).unwrap();
    finished(&h, "a1", "a", 1);
    finished(&h, "a2", "a", 2);
    finished(&h, "a3", "a", 3);
    let retention = Retention {
        max_age: Some(Duration::from_secs(60)),
        max_runs_per_job: Some(1),
    };
    assert_eq!(h.prune(&retention, t(1000)).unwrap(), 3);
    assert_eq!(ids(&h.runs(None, 10).unwrap()), ["stuck"]);
    let keep_zero = Retention {
        max_age: None,
        max_runs_per_job: Some(0),
    };
    assert_eq!(h.prune(&keep_zero, t(1000)).unwrap(), 0);
}

#[test]
fn prune_by_age_and_count_together() {
    let h = open("prune-both");
    for i in 0..4 {
        finished(&h, &format!("a{i}"), "a", i * 10); // t(0), t(10), t(20), t(30)
    }
    finished(&h, "b-old", "b", 1);
    finished(&h, "b-new", "b", 35);
    let retention = Retention {
        max_age: Some(Duration::from_secs(25 * 60)),
        max_runs_per_job: Some(2),
    };
    // At t(40) the cutoff is t(15): a0, a1 and b-old are too old; of job a,
    // a2 and a3 are the newest two.
    assert_eq!(h.prune(&retention, t(40)).unwrap(), 3);
    assert_eq!(ids(&h.runs(None, 10).unwrap()), ["b-new", "a3", "a2"]);
    let tighter = Retention {
        max_age: Some(Duration::from_secs(25 * 60)),
        max_runs_per_job: Some(1),
    };
    assert_eq!(h.prune(&tighter, t(40)).unwrap(), 1);
    assert_eq!(ids(&h.runs(None, 10).unwrap()), ["b-new", "a3"]);
    // A huge age saturates instead of overflowing.
    let forever = Retention {
        max_age: Some(Duration::MAX),
        max_runs_per_job: Some(usize::MAX),
    };
    assert_eq!(h.prune(&forever, t(40)).unwrap(), 0);
}

#[test]
fn a_reader_does_not_block_a_writer_on_the_same_file() {
    let dir = scratch("two-handles");
    let path = dir.join("warden.db");
    let writer = History::open(&path).unwrap();
    let reader = History::open(&path).unwrap();
    finished(&writer, "first", "j", 0);

    // The reader holds a read transaction open, as a slow `warden history`
    // would. Under a rollback journal the writer could not commit now.
    {
        let conn = reader.lock();
        conn.execute_batch("BEGIN").unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
        let started = std::time::Instant::now();
        finished(&writer, "second", "j", 1);
        writer
            .record_request("second", &audit("/x", Outcome::Status(200)))
            .unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the writer waited"
        );
        // The reader still sees its snapshot …
        let count: i64 = conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
        conn.execute_batch("COMMIT").unwrap();
    }
    // … and the new rows after it.
    assert_eq!(ids(&reader.runs(None, 10).unwrap()), ["second", "first"]);
    assert_eq!(reader.requests("second").unwrap().len(), 1);
}

#[test]
fn concurrent_handles_and_threads_lose_nothing() {
    let dir = scratch("concurrent");
    let path = dir.join("warden.db");
    let writer = History::open(&path).unwrap();
    let reader = History::open(&path).unwrap();
    std::thread::scope(|s| {
        let w = s.spawn(|| {
            for i in 0..100 {
                let id = format!("r{i:03}");
                writer.start_run(&new_run(&id, "j", t(i))).unwrap();
                writer
                    .record_request(&id, &audit("/x", Outcome::Status(200)))
                    .unwrap();
                writer
                    .finish_run(&id, &end(RunStatus::Succeeded, t(i + 1)))
                    .unwrap();
            }
        });
        let r = s.spawn(|| {
            let mut seen = 0;
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while seen < 100 {
                assert!(std::time::Instant::now() < deadline, "saw only {seen} runs");
                let now = reader.runs(None, 1000).unwrap().len();
                assert!(now >= seen);
                seen = now;
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        // A second thread on the writer's handle shares its connection.
        let h = s.spawn(|| {
            for i in 0..50 {
                writer.set_last_fire("j", t(i)).unwrap();
            }
        });
        w.join().unwrap();
        r.join().unwrap();
        h.join().unwrap();
    });
    assert_eq!(reader.runs(Some("j"), 1000).unwrap().len(), 100);
    assert_eq!(reader.last_fire("j").unwrap(), Some(t(49)));
}

#[test]
fn a_panic_while_holding_the_lock_does_not_disable_the_history() {
    let h = open("poison");
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let _conn = h.lock();
            panic!("a bug elsewhere");
        })
        .join()
    });
    assert!(result.is_err());
    assert!(h.conn.is_poisoned());
    finished(&h, "after", "j", 0);
    assert_eq!(ids(&h.runs(None, 1).unwrap()), ["after"]);
}

#[test]
fn run_end_comes_from_a_report() {
    let report = crate::run::RunReport {
        job: "sync".to_string(),
        run_id: "r".to_string(),
        started: SystemTime::now(),
        duration: Duration::from_millis(5),
        status: RunStatus::TimedOut,
        exit_code: None,
        message: Some("the job did not finish within its timeout of 5m".to_string()),
        stats: CallStats {
            sent: 7,
            denied: 2,
            invalid: 1,
            ..CallStats::default()
        },
        dry_run: false,
        audit: Vec::new(),
        audit_dropped: 0,
        stdout_tail: "out".to_string(),
        stderr_tail: "err".to_string(),
        output_truncated: false,
    };
    assert_eq!(
        RunEnd::from_report(&report, t(3)),
        RunEnd {
            ended_at: t(3),
            status: RunStatus::TimedOut,
            exit_code: None,
            error: Some("the job did not finish within its timeout of 5m".to_string()),
            requests: 7,
            denials: 2,
            invalid: 1,
            stdout_tail: "out".to_string(),
            stderr_tail: "err".to_string(),
            held_ms: 0,
        }
    );
}

#[test]
fn triggers_round_trip_through_text() {
    for trigger in Trigger::ALL {
        assert_eq!(trigger.as_str().parse::<Trigger>(), Ok(trigger));
        assert_eq!(trigger.to_string(), trigger.as_str());
    }
    assert_eq!(Trigger::CatchUp.as_str(), "catch-up");
    assert_eq!(
        "cron".parse::<Trigger>().unwrap_err().to_string(),
        "unknown run trigger \"cron\"; expected one of schedule, catch-up, retry, manual"
    );
}

#[test]
fn numbered_requests_and_named_skips_can_be_stored_twice() {
    let h = open("idempotent");
    h.start_run(&new_run("a", "j", t(0))).unwrap();
    let batch = [
        audit("/a/1", Outcome::Status(200)),
        audit("/a/2", Outcome::Status(200)),
    ];
    h.record_numbered_requests("a", 1, &batch).unwrap();
    // The same write again, and one overlapping it.
    h.record_numbered_requests("a", 1, &batch).unwrap();
    h.record_numbered_requests(
        "a",
        2,
        &[batch[1].clone(), audit("/a/3", Outcome::Status(500))],
    )
    .unwrap();
    let rows = h.requests("a").unwrap();
    let got: Vec<(u64, &str, &str)> = rows
        .iter()
        .map(|r| (r.seq, r.target.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        got,
        [(1, "/a/1", "ok"), (2, "/a/2", "ok"), (3, "/a/3", "500")]
    );

    let id = h
        .record_skipped_as("s1", "j", t(5), "missed: x", t(6))
        .unwrap();
    assert_eq!(id, "s1");
    assert_eq!(
        h.record_skipped_as("s1", "j", t(5), "missed: x", t(6))
            .unwrap(),
        "s1"
    );
    // A run id another run has: the skipped row gets a new one.
    let other = h
        .record_skipped_as("a", "j", t(5), "missed: y", t(6))
        .unwrap();
    assert_ne!(other, "a");
    assert_eq!(h.runs(Some("j"), 10).unwrap().len(), 3);
}
