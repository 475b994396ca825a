use std::os::unix::fs::PermissionsExt;

use rusqlite::Connection;

use super::*;
use crate::history::tests::scratch;
use crate::history::Trigger;
use crate::run::RunStatus;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn new_run(run_id: &str, scheduled: bool) -> NewRun {
    let t = at("2026-01-01T00:00:00Z");
    NewRun {
        run_id: run_id.into(),
        job: "j".into(),
        scheduled_at: scheduled.then_some(t),
        started_at: t,
        attempt: 0,
        trigger: if scheduled {
            Trigger::Schedule
        } else {
            Trigger::Manual
        },
    }
}

fn entry(i: usize) -> AuditEntry {
    AuditEntry {
        at: std::time::SystemTime::UNIX_EPOCH,
        method: crate::scope::Method::Get,
        target: format!("/api/v1/courses/{i}"),
        scope: None,
        outcome: crate::host::Outcome::Status(200),
        duration: Duration::ZERO,
        attempts: 1,
    }
}

fn end(status: RunStatus) -> RunEnd {
    RunEnd::without_report(status, "x".into(), at("2026-01-01T00:00:01Z"))
}

/// A history whose writes fail fast while another connection holds the
/// write lock (as another process would).
fn history(dir: &std::path::Path) -> Arc<History> {
    let history = Arc::new(History::open(&dir.join("h.db")).unwrap());
    history.set_busy_timeout(Duration::from_millis(20)).unwrap();
    history
}

/// Holds the database's write lock until dropped.
struct Lock(Connection);

impl Lock {
    fn take(dir: &std::path::Path) -> Lock {
        let conn = Connection::open(dir.join("h.db")).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        Lock(conn)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Waits until `check` holds, up to 10 s.
fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting until {what}");
}

#[test]
fn writes_are_applied_in_order_before_finish_returns() {
    let dir = scratch("writer-order");
    let history = history(&dir);
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    block_on(writer.start_run(new_run("r1", true))).unwrap();
    writer.finish_run("r1", end(RunStatus::Cancelled));
    let t = at("2026-01-01T00:00:00Z");
    writer.set_last_fire("j", t);
    let skipped = writer.record_skipped("j", t, "busy".into(), t);
    // A write that can never succeed is logged and dropped; later ones
    // still apply.
    writer.finish_run("nope", end(RunStatus::Failed));
    writer.set_last_fire("k", t);
    drop(writer);
    assert_eq!(thread.finish(Duration::from_secs(1)), 0);
    assert_eq!(
        history.run("r1").unwrap().unwrap().status,
        RunStatus::Cancelled
    );
    assert_eq!(
        history.run(&skipped).unwrap().unwrap().status,
        RunStatus::Skipped
    );
    assert_eq!(history.last_fire("j").unwrap(), Some(t));
    assert_eq!(history.last_fire("k").unwrap(), Some(t));
    assert_eq!(history.runs(Some("j"), 10).unwrap().len(), 2);
}

#[test]
fn queued_requests_are_batched_per_run_and_kept_in_order() {
    let dir = scratch("writer-batch");
    let history = history(&dir);
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    block_on(writer.start_run(new_run("r1", false))).unwrap();
    block_on(writer.start_run(new_run("r2", false))).unwrap();
    let (s1, s2) = (writer.audit_sink("r1"), writer.audit_sink("r2"));
    // Runs of requests longer than a batch, alternating between the runs,
    // with a finish in between.
    for i in 0..2 * MAX_BATCH + 300 {
        let sink = if (i / 150) % 2 == 0 { &s1 } else { &s2 };
        sink(&entry(i));
    }
    writer.finish_run("r1", end(RunStatus::Cancelled));
    drop((writer, s1, s2));
    thread.finish(Duration::from_secs(1));
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
}

#[test]
fn writes_held_while_the_database_is_locked_are_stored_when_it_is_free() {
    let dir = scratch("writer-locked");
    let history = history(&dir);
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    let mut health = writer.health();
    block_on(writer.start_run(new_run("r1", true))).unwrap();
    let sink = writer.audit_sink("r1");
    sink(&entry(0));

    let lock = Lock::take(&dir);
    for i in 1..50 {
        sink(&entry(i));
    }
    writer.finish_run("r1", end(RunStatus::Succeeded));
    eventually("the writer notices", || !writer.is_writable());
    // No run may start while writes fail; a scheduled one becomes a
    // missed firing, stored later.
    let refused = block_on(writer.start_run(new_run("r2", true))).unwrap_err();
    assert!(
        refused.to_string().contains("so the run was not started"),
        "{refused}"
    );
    block_on(writer.start_run(new_run("r3", false))).unwrap_err();
    writer.set_last_fire("j", at("2026-01-01T00:00:00Z"));

    drop(lock);
    block_on(async {
        tokio::time::timeout(Duration::from_secs(10), health.wait_for(|ok| *ok))
            .await
            .expect("recovers")
            .unwrap();
    });
    // Once it recovered, runs start again.
    block_on(writer.start_run(new_run("r4", false))).unwrap();
    drop((writer, sink));
    assert_eq!(thread.finish(Duration::from_secs(5)), 0);

    let r1 = history.run("r1").unwrap().unwrap();
    assert_eq!(r1.status, RunStatus::Succeeded);
    let seqs: Vec<u64> = history
        .requests("r1")
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    let r2 = history.run("r2").unwrap().unwrap();
    assert_eq!(r2.status, RunStatus::Skipped);
    assert!(
        r2.error.as_deref().unwrap().starts_with("missed: "),
        "{r2:?}"
    );
    assert!(
        history.run("r3").unwrap().is_none(),
        "a manual run leaves no row"
    );
    assert_eq!(
        history.run("r4").unwrap().unwrap().status,
        RunStatus::Running
    );
    assert!(history.last_fire("j").unwrap().is_some());
    assert!(!spill::path_for(history.path()).exists());
}

#[test]
fn writes_still_held_at_exit_are_spilled_and_stored_at_the_next_start() {
    let dir = scratch("writer-spill");
    let history = history(&dir);
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    block_on(writer.start_run(new_run("r1", true))).unwrap();
    let lock = Lock::take(&dir);
    let sink = writer.audit_sink("r1");
    for i in 0..10 {
        sink(&entry(i));
    }
    writer.finish_run("r1", end(RunStatus::Succeeded));
    drop((writer, sink));
    assert_eq!(thread.finish(Duration::from_millis(200)), 11);
    let spill = spill::path_for(history.path());
    let mode = std::fs::metadata(&spill).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    drop(lock);
    assert_eq!(
        history.run("r1").unwrap().unwrap().status,
        RunStatus::Running
    );

    // The next process replays the file before anything else.
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    assert!(!spill.exists());
    assert_eq!(
        history.run("r1").unwrap().unwrap().status,
        RunStatus::Succeeded
    );
    assert_eq!(history.requests("r1").unwrap().len(), 10);
    // Replaying the same writes again (a crash before the file was
    // removed) changes nothing.
    spill::append(
        &spill,
        &[
            Write::Request {
                run_id: "r1".into(),
                seq: 3,
                entry: entry(2),
            },
            Write::StartRun(new_run("r1", true)),
        ],
    )
    .unwrap();
    drop((writer, thread));
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    assert_eq!(history.requests("r1").unwrap().len(), 10);
    assert_eq!(
        history.run("r1").unwrap().unwrap().status,
        RunStatus::Succeeded
    );
    drop(writer);
    thread.finish(Duration::ZERO);
}

#[test]
fn held_writes_past_the_memory_bound_go_to_the_spill_file_in_order() {
    let dir = scratch("writer-overflow");
    let history = history(&dir);
    let (writer, thread) = HistoryWriter::spawn(Arc::clone(&history)).unwrap();
    let ids: Vec<String> = (0..300).map(|i| format!("r{i:03}")).collect();
    for id in &ids {
        block_on(writer.start_run(new_run(id, false))).unwrap();
    }
    let spill = spill::path_for(history.path());
    let lock = Lock::take(&dir);
    // 300 ends with 128 KiB of output each: more than the memory bound.
    let tail = "o".repeat(64 << 10);
    for id in &ids {
        let mut e = end(RunStatus::Succeeded);
        e.stdout_tail = tail.clone();
        e.stderr_tail = tail.clone();
        writer.finish_run(id, e);
    }
    eventually("the writes spill", || spill.exists());
    drop(lock);
    drop(writer);
    assert_eq!(thread.finish(Duration::from_secs(10)), 0);
    assert!(!spill.exists());
    for id in &ids {
        assert_eq!(
            history.run(id).unwrap().unwrap().status,
            RunStatus::Succeeded,
            "{id}"
        );
    }
}
