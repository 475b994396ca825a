//! `warden serve` as a process: SIGTERM with a running job, and a crash
//! (SIGKILL) that leaves an interrupted run behind.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use warden::history::{History, RunRow};
use warden::run::RunStatus;

use crate::support::{signal, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

struct Scratch(TempDir);

impl Scratch {
    /// A config whose one job spins, firing every second.
    fn new(name: &str) -> Scratch {
        let dir = TempDir::new(&format!("warden-serve-{name}"));
        std::fs::create_dir_all(dir.join("jobs/spinner")).unwrap();
        std::fs::write(dir.join("token"), TOKEN).unwrap();
        std::fs::write(
            dir.join("warden.toml"),
            "jobs = [\"jobs/*/job.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"1s\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("jobs/spinner/job.toml"),
            format!(
                "version = 1\n[job]\nname = \"spinner\"\ncomponent = {:?}\nschedule = \"* * * * * *\"\n[canvas]\nscopes = []\n[limits]\ntimeout = \"1h\"\n[env]\nMODE = \"spin\"\n",
                warden_test_artifacts::MISBEHAVE
            ),
        )
        .unwrap();
        Scratch(dir)
    }

    fn serve(&self) -> Child {
        Command::new(WARDEN)
            .args([
                Path::new("serve"),
                Path::new("--config"),
                &self.0.join("warden.toml"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("warden serve starts")
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&[RunRow]) -> bool) -> Vec<RunRow> {
        let db = self.0.join("state/warden.db");
        for _ in 0..400 {
            if db.exists() {
                let runs = History::open(&db).unwrap().runs(None, 1000).unwrap();
                if done(&runs) {
                    return runs;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

fn running(runs: &[RunRow]) -> Vec<&RunRow> {
    runs.iter()
        .filter(|r| r.status == RunStatus::Running)
        .collect()
}

#[tokio::test]
async fn sigterm_cancels_running_jobs_after_the_grace_period_and_exits_0() {
    let s = Scratch::new("term");
    let mut serve = s.serve();
    s.wait_for("a running run", |r| !running(r).is_empty())
        .await;
    signal(&serve, "TERM");
    let status = tokio::time::timeout(Duration::from_secs(20), serve.wait())
        .await
        .expect("exits within the grace period and a little")
        .unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(serve.stderr.as_mut().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(!stderr.contains(TOKEN));

    let runs = s.wait_for("the end recorded", |_| true).await;
    assert!(running(&runs).is_empty(), "{runs:#?}");
    let cancelled: Vec<&RunRow> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Cancelled)
        .collect();
    assert_eq!(cancelled.len(), 1, "{runs:#?}");
    assert!(cancelled[0]
        .error
        .as_deref()
        .unwrap()
        .contains("grace period of 1s"));
    // The firings while it ran were skipped (concurrency forbid), not lost.
    assert!(runs
        .iter()
        .all(|r| matches!(r.status, RunStatus::Cancelled | RunStatus::Skipped)));
}

#[tokio::test]
async fn a_crash_leaves_an_interrupted_run() {
    let s = Scratch::new("kill");
    let mut serve = s.serve();
    let runs = s
        .wait_for("a running run", |r| !running(r).is_empty())
        .await;
    let victim = running(&runs)[0].run_id.clone();
    signal(&serve, "KILL");
    serve.wait().await.unwrap();
    let db = s.0.join("state/warden.db");
    let left = History::open(&db).unwrap().run(&victim).unwrap().unwrap();
    assert_eq!(left.status, RunStatus::Running, "nobody recorded its end");

    // The next start records what happened.
    let mut again = s.serve();
    let runs = s
        .wait_for("the run marked interrupted", |r| {
            r.iter()
                .any(|r| r.run_id == victim && r.status == RunStatus::Interrupted)
        })
        .await;
    let run = runs.iter().find(|r| r.run_id == victim).unwrap();
    assert!(run.ended_at.is_some());
    signal(&again, "TERM");
    let status = tokio::time::timeout(Duration::from_secs(20), again.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
