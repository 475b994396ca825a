//! Issue 7, part 1: the run history loses nothing when its database cannot
//! be written. Each test runs the real `warden serve` against the stand-in,
//! with a job that makes three Canvas requests every second, and injects a
//! fault while runs and their requests are going: a write lock held by
//! another process, a full disk (a small tmpfs), a database file the
//! process cannot write (immutable, which stops root too). Afterwards every
//! run that executed has exactly one terminal row with the right status,
//! every request that reached the stand-in is in the audit, and `PRAGMA
//! integrity_check` is ok.
//!
//! The tmpfs and immutable-file faults need root (CI runs as root).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rusqlite::Connection;
use tokio::process::{Child, Command};
use warden::history::{spill, History, RunRow};
use warden::run::RunStatus;
use warden::standin::StandIn;

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
/// Requests each run of the job makes.
const PER_RUN: usize = 3;

struct Setup {
    dir: TempDir,
    state: PathBuf,
    canvas: StandIn,
    log: PathBuf,
}

impl Setup {
    /// A config whose one job makes [`PER_RUN`] GETs, firing every second,
    /// with its history in `state` (a folder under `dir`, which a test may
    /// mount something on before anything is written).
    async fn new(name: &str, mount: impl FnOnce(&Path)) -> Setup {
        Setup::with_job(name, mount, "").await
    }

    /// [`Setup::new`] with `job` added to the manifest's `[job]`.
    async fn with_job(name: &str, mount: impl FnOnce(&Path), job: &str) -> Setup {
        let dir = TempDir::new(&format!("warden-durability-{name}"));
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        mount(&state);
        let canvas = standin().await;
        std::fs::create_dir_all(dir.join("jobs/fetch")).unwrap();
        std::fs::write(dir.join("token"), TOKEN).unwrap();
        std::fs::write(
            dir.join("warden.toml"),
            format!(
                "jobs = [\"jobs/*/job.toml\"]\nstate = \"state/warden.db\"\ncache = \"cache\"\n[canvas]\nbase_url = {:?}\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"5s\"\n[dashboard]\nlisten = \"127.0.0.1:0\"\n",
                canvas.base_url()
            ),
        )
        .unwrap();
        let step = serde_json::json!({"method": "GET", "path": "/api/v1/courses/1"});
        let script = serde_json::Value::Array(vec![step; PER_RUN]).to_string();
        std::fs::write(
            dir.join("jobs/fetch/job.toml"),
            format!(
                "version = 1\n[job]\nname = \"fetch\"\ncomponent = {:?}\nschedule = \"* * * * * *\"\n{job}\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n[env]\nSCRIPT = {script:?}\n",
                warden_test_artifacts::SCRIPTED
            ),
        )
        .unwrap();
        let log = dir.join("serve.log");
        Setup {
            dir,
            state,
            canvas,
            log,
        }
    }

    fn db(&self) -> PathBuf {
        self.state.join("warden.db")
    }

    fn serve(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        Command::new(WARDEN)
            .args([
                Path::new("serve"),
                Path::new("--config"),
                &self.dir.join("warden.toml"),
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("warden serve starts")
    }

    /// The dashboard's address, from the log of a `serve`.
    async fn dashboard(&self) -> String {
        for _ in 0..200 {
            let log = self.log_text();
            if let Some(at) = log.find("dashboard on http://") {
                let rest = &log[at + "dashboard on ".len()..];
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no dashboard:\n{}", self.log_text());
    }

    /// `GET /readyz`'s status, until it is `want` (or 5 s have passed).
    async fn readyz(&self, want: u16) -> u16 {
        let url = format!("{}/readyz", self.dashboard().await);
        let mut status = 0;
        for _ in 0..100 {
            status = reqwest::get(&url).await.unwrap().status().as_u16();
            if status == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        status
    }

    /// `warden run` of the job, once.
    async fn run_once(&self) -> std::process::Output {
        Command::new(WARDEN)
            .arg("run")
            .arg(self.dir.join("jobs/fetch/job.toml"))
            .arg("--config")
            .arg(self.dir.join("warden.toml"))
            .output()
            .await
            .unwrap()
    }

    fn runs(&self) -> Vec<RunRow> {
        match History::open_read_only(&self.db()) {
            Ok(h) => h.runs(None, 100_000).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&[RunRow]) -> bool) {
        for _ in 0..600 {
            if done(&self.runs()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}\n{}", self.log_text());
    }

    async fn wait_for_log(&self, text: &str) {
        for _ in 0..600 {
            if self.log_text().contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "timed out waiting for {text:?} in the log\n{}",
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and expects exit 0.
    async fn stop(&self, mut serve: Child) {
        crate::support::signal(&serve, "TERM");
        let status = tokio::time::timeout(Duration::from_secs(30), serve.wait())
            .await
            .expect("exits within the grace period")
            .unwrap();
        assert_eq!(status.code(), Some(0), "{}", self.log_text());
    }

    /// Everything the stand-in saw is in the audit, every run that ran has
    /// one terminal row, and the database is sound.
    fn verify(&self) -> Vec<RunRow> {
        let log = self.log_text();
        assert!(!log.contains(TOKEN));
        let db = self.db();
        let conn =
            Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        assert!(
            !spill::path_for(&db).exists(),
            "the spill file was stored and removed"
        );
        let history = History::open_read_only(&db).unwrap();
        let runs = history.runs(None, 100_000).unwrap();
        let mut audited = 0;
        for run in &runs {
            let requests = history.requests(&run.run_id).unwrap();
            audited += requests.len();
            match run.status {
                RunStatus::Succeeded => {
                    assert_eq!(requests.len(), PER_RUN, "{run:?}\n{log}");
                    assert_eq!(run.requests, PER_RUN as u64, "{run:?}");
                    assert!(requests.iter().all(|r| r.outcome == "ok"), "{requests:?}");
                }
                RunStatus::Skipped => {
                    assert!(requests.is_empty(), "{run:?}");
                    let reason = run.error.as_deref().unwrap_or("");
                    if let Some(ids) = reason
                        .strip_prefix("the previous run (")
                        .and_then(|r| r.split(')').next())
                    {
                        for id in ids.split(", ") {
                            assert!(
                                runs.iter().any(|r| r.run_id == id),
                                "a skipped firing names run {id}, which has no row: {run:?}"
                            );
                        }
                    } else {
                        assert!(reason.starts_with("missed: "), "{run:?}");
                    }
                }
                other => panic!("run {} ended {other}: {run:?}\n{log}", run.run_id),
            }
        }
        let sent = self.canvas.requests().len();
        assert_eq!(
            audited, sent,
            "{sent} requests reached Canvas, {audited} are in the audit\n{log}"
        );
        runs
    }
}

fn succeeded(runs: &[RunRow]) -> usize {
    runs.iter()
        .filter(|r| r.status == RunStatus::Succeeded)
        .count()
}

fn missed(runs: &[RunRow]) -> usize {
    runs.iter()
        .filter(|r| {
            r.status == RunStatus::Skipped
                && r.error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("missed: "))
        })
        .count()
}

/// Holds the database's write lock, as another process would, until dropped.
struct WriteLock(Connection);

impl WriteLock {
    fn take(db: &Path) -> WriteLock {
        let conn = Connection::open(db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock(conn)
    }
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

fn run(program: &str, args: &[&str]) {
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        status.success(),
        "{program} {args:?} failed (this test needs root)"
    );
}

/// A tmpfs of `size` mounted on a folder, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Fills the file system of `dir` until it is full; returns the filler.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

#[tokio::test]
async fn a_write_lock_held_by_another_process_loses_nothing() {
    let s = Setup::with_job("lock", |_| {}, "catch_up = \"latest\"").await;
    let serve = s.serve();
    s.wait_for("two runs", |r| succeeded(r) >= 2).await;

    let lock = WriteLock::take(&s.db());
    // Reading commands do not need the lock: they answer at once.
    let started = std::time::Instant::now();
    let out = std::process::Command::new(WARDEN)
        .args(["history", "--config"])
        .arg(s.dir.join("warden.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "warden history waited {:?} for the write lock",
        started.elapsed()
    );
    // Long enough for writes to fail (the busy timeout is 5 s) and for
    // firings to come while they do.
    tokio::time::sleep(Duration::from_secs(9)).await;
    drop(lock);

    let before = succeeded(&s.runs());
    s.wait_for("runs again after the lock", |r| succeeded(r) >= before + 2)
        .await;
    s.stop(serve).await;
    let runs = s.verify();
    assert!(
        missed(&runs) >= 1,
        "firings during the fault were missed: {runs:#?}"
    );
    let log = s.log_text();
    assert!(log.contains("cannot write"), "{log}");
    assert!(log.contains("can be written again"), "{log}");
    // Once a minute at most, not once per attempt.
    assert_eq!(log.matches("cannot write (").count(), 1, "{log}");
    assert_eq!(log.matches("not run: ").count(), 1, "{log}");
    assert_eq!(log.matches("takes writes again").count(), 1, "{log}");
    // catch_up = "latest": the latest missed firing ran once the history
    // took writes again.
    assert!(
        runs.iter()
            .any(|r| r.trigger == warden::history::Trigger::CatchUp
                && r.status == RunStatus::Succeeded),
        "{runs:#?}"
    );
}

#[tokio::test]
async fn a_full_disk_loses_nothing() {
    let mut mounted = None;
    let s = Setup::new("full", |state| {
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                "size=16m",
                "tmpfs",
                state.to_str().unwrap(),
            ],
        );
        mounted = Some(Tmpfs(state.to_path_buf()));
    })
    .await;
    let serve = s.serve();
    s.wait_for("a run", |r| succeeded(r) >= 1).await;
    assert_eq!(s.readyz(200).await, 200);
    let filler = fill(&s.state);
    s.wait_for_log("cannot write").await;
    // Not ready while the history cannot be written (the probe says so).
    assert_eq!(s.readyz(503).await, 503, "{}", s.log_text());
    // It stays full a little longer, then space comes back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    std::fs::remove_file(&filler).unwrap();
    s.wait_for("a missed firing recorded", |r| missed(r) >= 1)
        .await;
    let before = succeeded(&s.runs());
    s.wait_for("runs again after the disk has room", |r| {
        succeeded(r) >= before + 2
    })
    .await;
    assert_eq!(s.readyz(200).await, 200);
    s.stop(serve).await;
    let runs = s.verify();
    assert!(missed(&runs) >= 1, "{runs:#?}");
    drop(mounted);
}

#[tokio::test]
async fn a_database_that_cannot_be_written_loses_nothing() {
    let s = Setup::new("immutable", |_| {}).await;
    let serve = s.serve();
    s.wait_for("two runs", |r| succeeded(r) >= 2).await;
    let db = s.db();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    // As root, chmod does not stop writes; the immutable flag does.
    run(
        "chattr",
        &["+i", db.to_str().unwrap(), wal.to_str().unwrap()],
    );
    s.wait_for_log("cannot write").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    run(
        "chattr",
        &["-i", db.to_str().unwrap(), wal.to_str().unwrap()],
    );
    s.wait_for("a missed firing recorded", |r| missed(r) >= 1)
        .await;
    let before = succeeded(&s.runs());
    s.wait_for("runs again", |r| succeeded(r) >= before + 2)
        .await;
    s.stop(serve).await;
    s.verify();
}

#[tokio::test]
async fn writes_pending_at_sigterm_are_spilled_and_stored_at_the_next_start() {
    let s = Setup::new("spill", |_| {}).await;
    let serve = s.serve();
    s.wait_for("a run", |r| succeeded(r) >= 1).await;
    let lock = WriteLock::take(&s.db());
    // Let a run end while the lock is held, then stop.
    tokio::time::sleep(Duration::from_secs(7)).await;
    s.stop(serve).await;
    let spilled = spill::path_for(&s.db());
    assert!(spilled.exists(), "{}", s.log_text());
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&spilled).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert!(s.log_text().contains("stored at the next start"));
    drop(lock);

    // The next start stores them first.
    let serve = s.serve();
    s.wait_for("the spill stored", |_| !spilled.exists()).await;
    let before = succeeded(&s.runs());
    s.wait_for("a run", |r| succeeded(r) > before).await;
    s.stop(serve).await;
    s.verify();
}

#[tokio::test]
async fn logs_into_a_closed_pipe_exits_quietly() {
    let dir = TempDir::new("warden-durability-pipe");
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(
        dir.join("warden.toml"),
        "state = \"warden.db\"\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_file = \"token\"\n",
    )
    .unwrap();
    let history = History::open(&dir.join("warden.db")).unwrap();
    let at = chrono::Utc::now();
    history
        .start_run(&warden::history::NewRun {
            run_id: "r1".into(),
            job: "j".into(),
            scheduled_at: None,
            started_at: at,
            attempt: 0,
            trigger: warden::history::Trigger::Manual,
        })
        .unwrap();
    // Far more than a pipe holds.
    let entries: Vec<_> = (0..5000)
        .map(|i| warden::host::AuditEntry {
            at: std::time::SystemTime::now(),
            method: warden::scope::Method::Get,
            target: format!("/api/v1/courses/{i}?include[]=a_long_parameter_to_fill_the_pipe"),
            scope: None,
            outcome: warden::host::Outcome::Status(200),
            duration: Duration::ZERO,
            attempts: 1,
        })
        .collect();
    history.record_requests("r1", &entries).unwrap();
    drop(history);
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; {WARDEN:?} logs r1 --config {:?} | head -1 >/dev/null",
            dir.join("warden.toml")
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
}

#[tokio::test]
async fn warden_run_does_not_run_a_job_it_cannot_record() {
    let s = Setup::new("run-refused", |_| {}).await;
    // A history that exists, then cannot be written.
    drop(History::open(&s.db()).unwrap());
    let db = s.db();
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    let _ = std::fs::File::create(&wal);
    run(
        "chattr",
        &["+i", db.to_str().unwrap(), wal.to_str().unwrap()],
    );
    let out = s.run_once().await;
    run(
        "chattr",
        &["-i", db.to_str().unwrap(), wal.to_str().unwrap()],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&db.display().to_string()), "{stderr}");
    assert!(s.canvas.requests().is_empty(), "the job did not run");

    // With the history writable again, the same command runs and records.
    let out = s.run_once().await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = s.verify();
    assert_eq!(runs.len(), 1);
}
