//! A misbehaving job fails alone, with a clear message; the host survives.

use std::path::Path;
use std::time::Duration;

use warden::run::RunStatus;
use warden::sandbox::LoadError;

use crate::support::{manifest, run, sandbox, standin, Ran};

const COURSE: &str = "url:GET|/api/v1/courses/:id";

async fn misbehave(base_url: &str, mode: &str, limits: &str) -> Ran {
    let mut m = manifest(warden_test_artifacts::MISBEHAVE, &[COURSE], limits);
    m.env.insert("MODE".into(), mode.into());
    run(base_url, &m).await
}

#[tokio::test]
async fn a_looping_job_stops_at_its_deadline() {
    let canvas = standin().await;
    let ran = misbehave(&canvas.base_url(), "spin", "[limits]\ntimeout = \"1s\"\n").await;
    assert_eq!(ran.report.status, RunStatus::TimedOut);
    assert!(
        ran.report.duration < Duration::from_secs(5),
        "{:?}",
        ran.report.duration
    );
    assert_eq!(
        ran.report.message.as_deref(),
        Some("the job did not finish within its timeout of 1s ([limits] timeout)")
    );
}

/// The deadline covers time spent inside a host call: a Canvas that
/// accepts the connection and never answers.
#[tokio::test]
async fn the_deadline_covers_host_calls() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let ran = misbehave(&base, "hang", "[limits]\ntimeout = \"1s\"\n").await;
    assert_eq!(ran.report.status, RunStatus::TimedOut, "{}", ran.stdout);
    assert!(ran.report.duration < Duration::from_secs(5));
    hold.abort();
}

#[tokio::test]
async fn a_memory_bomb_stops_at_its_cap() {
    let canvas = standin().await;
    let ran = misbehave(
        &canvas.base_url(),
        "alloc",
        "[limits]\nmemory = \"16MiB\"\n",
    )
    .await;
    assert_eq!(
        ran.report.status,
        RunStatus::KilledForMemory,
        "{:?}",
        ran.report.message
    );
    let message = ran.report.message.unwrap();
    assert!(
        message.contains("past its limit of 16777216 bytes ([limits] memory)"),
        "{message}"
    );
}

#[tokio::test]
async fn deep_recursion_fails_with_a_clear_message() {
    let canvas = standin().await;
    let ran = misbehave(&canvas.base_url(), "recurse", "").await;
    assert_eq!(ran.report.status, RunStatus::Failed);
    let message = ran.report.message.unwrap();
    assert!(
        message.contains("stack overflow") || message.contains("overflowed its stack"),
        "{message}"
    );
}

#[tokio::test]
async fn a_panicking_job_fails_with_its_message() {
    let canvas = standin().await;
    let ran = misbehave(&canvas.base_url(), "panic", "").await;
    assert_eq!(ran.report.status, RunStatus::Failed);
    let message = ran.report.message.unwrap();
    assert!(
        message.starts_with("the job panicked at src/bin/misbehave.rs:"),
        "{message}"
    );
    assert!(message.ends_with(": boom: the job gave up"), "{message}");
    assert!(ran.stderr.contains("boom: the job gave up"));
}

#[tokio::test]
async fn a_non_zero_exit_is_a_failure() {
    let canvas = standin().await;
    // The guest calls exit(3); WASI 0.2's exit carries only success or
    // failure, so the host sees 1.
    let ran = misbehave(&canvas.base_url(), "exit", "").await;
    assert_eq!(ran.report.status, RunStatus::Failed);
    assert_eq!(ran.report.exit_code, Some(1));
    assert_eq!(
        ran.report.message.as_deref(),
        Some("the job exited with code 1")
    );
    assert!(ran.stdout.contains("misbehave: exit"));
}

#[tokio::test]
async fn output_is_bounded_and_the_job_keeps_running() {
    let canvas = standin().await;
    // 8 MiB of stdout against the 1 MiB default limit.
    let ran = misbehave(&canvas.base_url(), "chatty", "").await;
    assert_eq!(
        ran.report.status,
        RunStatus::Succeeded,
        "{:?}",
        ran.report.message
    );
    assert!(ran.report.output_truncated);
    assert!(ran.stdout.len() < (1 << 20) + 200, "{}", ran.stdout.len());
    assert!(ran
        .stdout
        .ends_with("[warden: output truncated after 1048576 bytes]\n"));
    assert_eq!(ran.stderr, "chatty: done\n");
    assert!(ran.report.stdout_tail.len() <= 64 << 10);
}

#[tokio::test]
async fn misbehaving_jobs_fail_alone() {
    let canvas = standin().await;
    let base = canvas.base_url();
    let limits = "[limits]\ntimeout = \"2s\"\nmemory = \"16MiB\"\n";
    let (spin, alloc, panic, fine) = tokio::join!(
        misbehave(&base, "spin", limits),
        misbehave(&base, "alloc", limits),
        misbehave(&base, "panic", limits),
        misbehave(&base, "ok", limits),
    );
    assert_eq!(spin.report.status, RunStatus::TimedOut);
    assert_eq!(alloc.report.status, RunStatus::KilledForMemory);
    assert_eq!(panic.report.status, RunStatus::Failed);
    assert_eq!(fine.report.status, RunStatus::Succeeded);
    assert!(fine.stdout.contains("misbehave: fine"));
    // And the host still runs jobs afterwards.
    let again = misbehave(&base, "ok", "").await;
    assert_eq!(again.report.status, RunStatus::Succeeded);
}

#[test]
fn a_component_using_sockets_is_refused_at_load() {
    let err = sandbox()
        .load(Path::new(warden_test_artifacts::NET))
        .err()
        .expect("refused");
    assert!(matches!(err, LoadError::Network { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("imports wasi:sockets/"), "{message}");
    assert!(
        message.contains("reach Canvas only through warden-sdk"),
        "{message}"
    );
}

#[test]
fn a_core_module_is_refused_with_a_hint() {
    let dir = crate::support::TempDir::new("warden-core");
    let path = dir.join("job.wasm");
    // The smallest core module: magic and version 1.
    std::fs::write(&path, [0, b'a', b's', b'm', 1, 0, 0, 0]).unwrap();
    let err = sandbox().load(&path).err().expect("refused").to_string();
    assert!(
        err.contains("is a core WebAssembly module, not a component"),
        "{err}"
    );
    assert!(err.contains("wasm32-wasip2"), "{err}");
    let missing = sandbox()
        .load(&dir.join("nope.wasm"))
        .err()
        .expect("refused");
    assert!(
        missing.to_string().starts_with("cannot read component "),
        "{missing}"
    );
}

/// Issue 7: the history's error says why a run failed, not just that main
/// returned an error.
#[tokio::test]
async fn issue_7_a_failed_run_names_the_jobs_own_error_and_the_last_canvas_error() {
    // Nothing listens there: the request fails with `unavailable`.
    let ran = misbehave("http://127.0.0.1:9", "canvas-error", "").await;
    assert_eq!(ran.report.status, RunStatus::Failed);
    let message = ran.report.message.as_deref().unwrap();
    assert!(
        message.starts_with("the job exited with code 1: Error: cannot read course 1: "),
        "{message}"
    );
    assert!(
        message.contains("; last Canvas error: unavailable: "),
        "{message}"
    );
    assert!(message.contains("after 3 attempts"), "{message}");
}
