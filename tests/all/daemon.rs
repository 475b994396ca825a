//! `warden serve`'s daemon, driven by a manual clock: firing, concurrency
//! policies, catch-up after downtime, retries, jitter, reload, shutdown,
//! crash recovery, and a history that never holds the token.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use warden::clock::ManualClock;
use warden::config::Config;
use warden::daemon::{self, DaemonHandle};
use warden::history::{History, NewRun, RunRow, Trigger};
use warden::run::RunStatus;
use warden::standin::{Override, StandIn};

use crate::support::{runner, standin, TempDir, TOKEN};

const START: &str = "2026-01-05T00:00:30Z";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A scratch folder with a config, job manifests, a stand-in Canvas and a
/// manual clock.
struct Setup {
    dir: TempDir,
    canvas: StandIn,
    clock: ManualClock,
}

impl Setup {
    async fn new(name: &str) -> Setup {
        let dir = TempDir::new(&format!("warden-daemon-{name}"));
        std::fs::create_dir_all(dir.join("jobs")).unwrap();
        std::fs::write(dir.join("token"), TOKEN).unwrap();
        let canvas = standin().await;
        std::fs::write(
            dir.join("warden.toml"),
            format!(
                "jobs = [\"jobs/*/job.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = {:?}\ntoken_file = \"token\"\n[daemon]\nreload_interval = \"100ms\"\n",
                canvas.base_url()
            ),
        )
        .unwrap();
        Setup {
            dir,
            canvas,
            clock: ManualClock::new(at(START)),
        }
    }

    /// Writes `jobs/<name>/job.toml`. `job` is extra `[job]` lines; `rest`
    /// goes after the `[canvas]` table.
    fn job(&self, name: &str, component: &str, job: &str, rest: &str) -> PathBuf {
        let folder = self.dir.join("jobs").join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("job.toml");
        std::fs::write(
            &path,
            format!(
                "version = 1\n[job]\nname = {name:?}\ncomponent = {component:?}\n{job}\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n{rest}"
            ),
        )
        .unwrap();
        path
    }

    /// A job of the `misbehave` guest in `mode`.
    fn misbehave(&self, name: &str, mode: &str, job: &str) -> PathBuf {
        self.misbehave_with(name, warden_test_artifacts::MISBEHAVE, mode, job)
    }

    fn misbehave_with(&self, name: &str, component: &str, mode: &str, job: &str) -> PathBuf {
        self.job(
            name,
            component,
            job,
            &format!("[limits]\ntimeout = \"1h\"\n[env]\nMODE = {mode:?}\n"),
        )
    }

    fn config(&self) -> Config {
        Config::load(&self.dir.join("warden.toml")).unwrap()
    }

    fn state(&self) -> PathBuf {
        self.dir.join("state/warden.db")
    }

    async fn start(&self) -> DaemonHandle {
        daemon::start(
            &self.config(),
            runner(&self.canvas.base_url()),
            Arc::new(self.clock.clone()),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn advance(&self, seconds: u64) {
        self.clock.advance(Duration::from_secs(seconds));
    }

    /// Polls the history until `done` holds for the job's runs (newest
    /// first), or fails after 20 s.
    async fn wait_for(
        &self,
        job: &str,
        what: &str,
        done: impl Fn(&[RunRow]) -> bool,
    ) -> Vec<RunRow> {
        let history = History::open(&self.state()).unwrap();
        for _ in 0..1000 {
            let runs = history.runs(Some(job), 100).unwrap();
            if done(&runs) {
                return runs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{what}: runs are {:#?}",
            history.runs(Some(job), 100).unwrap()
        );
    }

    /// Waits a little and checks nothing new happened.
    async fn settled(&self, job: &str) -> Vec<RunRow> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        History::open(&self.state())
            .unwrap()
            .runs(Some(job), 100)
            .unwrap()
    }
}

fn statuses(runs: &[RunRow]) -> Vec<RunStatus> {
    runs.iter().rev().map(|r| r.status).collect()
}

#[tokio::test]
async fn jobs_fire_on_schedule_and_every_run_is_recorded() {
    let s = Setup::new("fire").await;
    s.misbehave("minutely", "ok", "schedule = \"* * * * *\"");
    let daemon = s.start().await;
    assert!(
        s.settled("minutely").await.is_empty(),
        "nothing before 00:01"
    );

    s.advance(30);
    let runs = s
        .wait_for("minutely", "first run", |r| {
            r.len() == 1 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T00:01:00Z")));
    assert_eq!(runs[0].trigger, Trigger::Schedule);
    assert!(runs[0].stdout_tail.contains("misbehave: fine"));

    s.advance(60);
    let runs = s
        .wait_for("minutely", "second run", |r| {
            r.len() == 2 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T00:02:00Z")));
    // The last firing is stored for catch-up across restarts.
    let history = History::open(&s.state()).unwrap();
    assert_eq!(
        history.last_fire("minutely").unwrap(),
        Some(at("2026-01-05T00:02:00Z"))
    );
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn forbid_skips_a_firing_while_the_previous_run_goes() {
    let s = Setup::new("forbid").await;
    s.misbehave(
        "slow",
        "spin",
        "schedule = \"* * * * *\"\nconcurrency = \"forbid\"",
    );
    let daemon = s.start().await;
    s.advance(30);
    s.wait_for("slow", "a running run", |r| {
        r.len() == 1 && r[0].status == RunStatus::Running
    })
    .await;
    s.advance(60);
    let runs = s
        .wait_for("slow", "a skipped firing", |r| r.len() == 2)
        .await;
    assert_eq!(runs[0].status, RunStatus::Skipped);
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T00:02:00Z")));
    assert!(runs[0]
        .error
        .as_deref()
        .unwrap()
        .contains("concurrency = \"forbid\""));
    assert_eq!(runs[1].status, RunStatus::Running);

    // Shutdown with no grace cancels the run and records it.
    daemon.shutdown(Duration::ZERO).await;
    let runs = History::open(&s.state())
        .unwrap()
        .runs(Some("slow"), 10)
        .unwrap();
    assert_eq!(statuses(&runs), [RunStatus::Cancelled, RunStatus::Skipped]);
    assert!(
        runs[1].error.as_deref().unwrap().contains("grace period"),
        "{:?}",
        runs[1].error
    );
}

#[tokio::test]
async fn allow_runs_alongside() {
    let s = Setup::new("allow").await;
    s.misbehave(
        "parallel",
        "spin",
        "schedule = \"* * * * *\"\nconcurrency = \"allow\"",
    );
    let daemon = s.start().await;
    s.advance(30);
    s.wait_for("parallel", "one running", |r| r.len() == 1)
        .await;
    s.advance(60);
    let runs = s
        .wait_for("parallel", "two running", |r| {
            r.len() == 2 && r.iter().all(|r| r.status == RunStatus::Running)
        })
        .await;
    assert_ne!(runs[0].run_id, runs[1].run_id);
    daemon.shutdown(Duration::ZERO).await;
    let runs = History::open(&s.state())
        .unwrap()
        .runs(Some("parallel"), 10)
        .unwrap();
    assert_eq!(
        statuses(&runs),
        [RunStatus::Cancelled, RunStatus::Cancelled]
    );
}

#[tokio::test]
async fn replace_cancels_the_running_run() {
    let s = Setup::new("replace").await;
    s.misbehave(
        "latest-only",
        "spin",
        "schedule = \"* * * * *\"\nconcurrency = \"replace\"",
    );
    let daemon = s.start().await;
    s.advance(30);
    s.wait_for("latest-only", "one running", |r| r.len() == 1)
        .await;
    s.advance(60);
    let runs = s
        .wait_for("latest-only", "first replaced", |r| {
            r.len() == 2 && r[1].status == RunStatus::Cancelled && r[0].status == RunStatus::Running
        })
        .await;
    assert!(runs[1]
        .error
        .as_deref()
        .unwrap()
        .contains("replaced by a newer run"));
    daemon.shutdown(Duration::ZERO).await;
}

/// The history says the job last fired at 00:00; the daemon comes back at
/// 05:30 (a simulated downtime: the clock is set, nobody sleeps).
async fn after_downtime(name: &str, job_fields: &str) -> (Setup, DaemonHandle) {
    let s = Setup::new(name).await;
    s.misbehave(
        "hourly",
        "ok",
        &format!("schedule = \"0 * * * *\"\n{job_fields}"),
    );
    std::fs::create_dir_all(s.state().parent().unwrap()).unwrap();
    History::open(&s.state())
        .unwrap()
        .set_last_fire("hourly", at("2026-01-05T00:00:00Z"))
        .unwrap();
    s.clock.set(at("2026-01-05T05:30:00Z"));
    let daemon = s.start().await;
    (s, daemon)
}

#[tokio::test]
async fn catch_up_latest_runs_the_last_missed_firing_once() {
    let (s, daemon) = after_downtime(
        "catchup",
        "catch_up = \"latest\"\nstarting_deadline = \"1h\"",
    )
    .await;
    let runs = s
        .wait_for("hourly", "the catch-up run", |r| {
            r.len() == 1 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert_eq!(runs[0].trigger, Trigger::CatchUp);
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T05:00:00Z")));
    assert_eq!(
        s.settled("hourly").await.len(),
        1,
        "once, not once per missed hour"
    );
    s.advance(1800);
    let runs = s
        .wait_for("hourly", "the 06:00 run", |r| {
            r.len() == 2 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert_eq!(runs[0].trigger, Trigger::Schedule);
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T06:00:00Z")));
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn without_catch_up_missed_firings_are_dropped() {
    let (s, daemon) = after_downtime("nocatchup", "").await;
    assert!(s.settled("hourly").await.is_empty());
    s.advance(1800);
    let runs = s
        .wait_for("hourly", "the 06:00 run", |r| r.len() == 1)
        .await;
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T06:00:00Z")));
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn catch_up_past_its_deadline_is_dropped() {
    let (s, daemon) =
        after_downtime("late", "catch_up = \"latest\"\nstarting_deadline = \"10m\"").await;
    assert!(
        s.settled("hourly").await.is_empty(),
        "05:00 is 30 min old, past 10 min"
    );
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn failed_runs_are_retried_with_backoff() {
    let s = Setup::new("retry").await;
    s.misbehave(
        "flaky",
        "exit",
        "schedule = \"0 * * * *\"\nretry = { attempts = 2, backoff = \"1m\" }",
    );
    let daemon = s.start().await;
    s.advance(3600 - 30);
    s.wait_for("flaky", "first failure", |r| {
        r.len() == 1 && r[0].status == RunStatus::Failed
    })
    .await;
    assert_eq!(
        s.settled("flaky").await.len(),
        1,
        "no retry before the backoff"
    );
    s.advance(60);
    s.wait_for("flaky", "first retry", |r| {
        r.len() == 2 && r[0].status == RunStatus::Failed
    })
    .await;
    s.advance(60);
    assert_eq!(
        s.settled("flaky").await.len(),
        2,
        "the second retry waits twice as long"
    );
    s.advance(60);
    let runs = s
        .wait_for("flaky", "second retry", |r| {
            r.len() == 3 && r[0].status == RunStatus::Failed
        })
        .await;
    s.advance(600);
    assert_eq!(
        s.settled("flaky").await.len(),
        3,
        "two attempts, then no more"
    );
    let attempts: Vec<(u32, Trigger)> = runs.iter().rev().map(|r| (r.attempt, r.trigger)).collect();
    assert_eq!(
        attempts,
        [
            (0, Trigger::Schedule),
            (1, Trigger::Retry),
            (2, Trigger::Retry)
        ]
    );
    assert!(runs
        .iter()
        .all(|r| r.scheduled_at == Some(at("2026-01-05T01:00:00Z"))));
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn jitter_delays_the_start_and_suspend_stops_firing() {
    let s = Setup::new("jitter").await;
    s.misbehave("spread", "ok", "schedule = \"* * * * *\"\njitter = \"20s\"");
    s.misbehave("paused", "ok", "schedule = \"* * * * *\"\nsuspend = true");
    let daemon = s.start().await;
    s.advance(30);
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.advance(20);
    let runs = s
        .wait_for("spread", "the jittered run", |r| r.len() == 1)
        .await;
    assert_eq!(runs[0].scheduled_at, Some(at("2026-01-05T00:01:00Z")));
    assert!(runs[0].started_at >= at("2026-01-05T00:01:00Z"));
    assert!(runs[0].started_at <= at("2026-01-05T00:01:20Z"));
    assert!(s.settled("paused").await.is_empty());
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn reload_keeps_a_running_run_and_picks_up_the_change() {
    let s = Setup::new("reload").await;
    let path = s.misbehave(
        "evolving",
        "spin",
        "schedule = \"* * * * *\"\nconcurrency = \"allow\"",
    );
    let daemon = s.start().await;
    s.advance(30);
    let first = s.wait_for("evolving", "v1 running", |r| r.len() == 1).await;

    // v2: a different mode. The running v1 run is untouched.
    s.misbehave(
        "evolving",
        "ok",
        "schedule = \"* * * * *\"\nconcurrency = \"allow\"",
    );
    daemon.reload();
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.advance(60);
    let runs = s
        .wait_for("evolving", "v2 ran", |r| {
            r.len() == 2 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert!(runs[0].stdout_tail.contains("misbehave: fine"));
    assert_eq!(runs[1].run_id, first[0].run_id);
    assert_eq!(runs[1].status, RunStatus::Running);

    // v3 does not parse: v2 stays, and fires again (found by polling, no SIGHUP).
    std::fs::write(
        &path,
        "version = 1\n[job]\nname = \"evolving\"\nschedule = \"every minute\"\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.advance(60);
    let runs = s
        .wait_for("evolving", "v2 again", |r| {
            r.len() == 3 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert!(runs[0].stdout_tail.contains("misbehave: fine"));
    daemon.shutdown(Duration::ZERO).await;
}

#[tokio::test]
async fn a_bad_manifest_does_not_stop_the_others() {
    let s = Setup::new("bad").await;
    s.misbehave("good", "ok", "schedule = \"* * * * *\"");
    s.misbehave("broken-cron", "ok", "schedule = \"61 * * * *\"");
    s.job(
        "no-component",
        "/nonexistent/job.wasm",
        "schedule = \"* * * * *\"",
        "",
    );
    s.job(
        "sockets",
        warden_test_artifacts::NET,
        "schedule = \"* * * * *\"",
        "",
    );
    let daemon = s.start().await;
    s.advance(30);
    s.wait_for("good", "the good job ran", |r| {
        r.len() == 1 && r[0].status == RunStatus::Succeeded
    })
    .await;
    for job in ["broken-cron", "no-component", "sockets"] {
        assert!(s.settled(job).await.is_empty(), "{job}");
    }
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn runs_left_running_by_a_crash_become_interrupted() {
    let s = Setup::new("crash").await;
    s.misbehave("victim", "ok", "schedule = \"0 0 1 1 *\"");
    std::fs::create_dir_all(s.state().parent().unwrap()).unwrap();
    History::open(&s.state())
        .unwrap()
        .start_run(&NewRun {
            run_id: "20260105T000000Z-dead00".into(),
            job: "victim".into(),
            scheduled_at: Some(at("2026-01-05T00:00:00Z")),
            started_at: at("2026-01-05T00:00:00Z"),
            attempt: 0,
            trigger: Trigger::Schedule,
        })
        .unwrap();
    let daemon = s.start().await;
    let run = History::open(&s.state())
        .unwrap()
        .run("20260105T000000Z-dead00")
        .unwrap()
        .unwrap();
    assert_eq!(run.status, RunStatus::Interrupted);
    daemon.shutdown(Duration::ZERO).await;
}

#[tokio::test]
async fn the_history_never_contains_the_token() {
    let s = Setup::new("secret").await;
    s.canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/2".into(),
        status: 500,
        headers: vec![("x-echo".into(), "{token}".into())],
        body: "failed for Bearer {token}".into(),
        skip_auth: false,
    });
    let script = r#"[{"method": "GET", "path": "/api/v1/courses/1"}, {"method": "GET", "path": "/api/v1/courses/2"}, {"method": "GET", "path": "/api/v1/users/1"}, {"method": "GET", "path": "/api/v1/courses/1", "headers": [["Authorization", "Bearer guess"]]}]"#;
    s.job(
        "talker",
        warden_test_artifacts::SCRIPTED,
        "schedule = \"* * * * *\"",
        &format!("[env]\nSCRIPT = {script:?}\n"),
    );
    let daemon = s.start().await;
    s.advance(30);
    let runs = s
        .wait_for("talker", "the run", |r| {
            r.len() == 1 && r[0].status == RunStatus::Succeeded
        })
        .await;
    daemon.shutdown(Duration::from_secs(5)).await;

    let history = History::open(&s.state()).unwrap();
    let requests = history.requests(&runs[0].run_id).unwrap();
    assert_eq!(requests.len(), 4, "{requests:#?}");
    assert_eq!(requests[0].status, Some(200));
    assert_eq!(
        requests[0].scope.as_deref(),
        Some("url:GET|/api/v1/courses/:id")
    );
    assert_eq!(requests[1].status, Some(500));
    assert!(
        requests[2].outcome.starts_with("denied: "),
        "{:?}",
        requests[2]
    );
    assert!(
        requests[3].outcome.starts_with("invalid: "),
        "{:?}",
        requests[3]
    );
    assert!(runs[0].stdout_tail.contains("[REDACTED]"));
    drop(history);
    for file in ["warden.db", "warden.db-wal", "warden.db-shm"] {
        let path = s.state().with_file_name(file);
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                memchr::memmem::find(&bytes, TOKEN.as_bytes()).is_none(),
                "token in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn serve_needs_a_state_database() {
    let s = Setup::new("nostate").await;
    let text = std::fs::read_to_string(s.dir.join("warden.toml")).unwrap();
    std::fs::write(
        s.dir.join("warden.toml"),
        text.replace("state = \"state/warden.db\"\n", ""),
    )
    .unwrap();
    let err = daemon::start(
        &s.config(),
        runner(&s.canvas.base_url()),
        Arc::new(s.clock.clone()),
    )
    .await
    .err()
    .expect("refused");
    assert!(
        err.to_string()
            .contains("needs a run history: add `state = "),
        "{err}"
    );
}

#[test]
fn a_warm_cache_does_not_recompile() {
    use warden::cache::{CacheOutcome, ComponentCache};
    use warden::sandbox::Sandbox;
    let dir = TempDir::new("warden-warm-cache");
    let path = Path::new(warden_test_artifacts::MISBEHAVE);
    // Two sandboxes: a daemon and its restart.
    let first = Sandbox::with_cache(Some(ComponentCache::new(dir.to_path_buf()))).unwrap();
    assert_eq!(
        first.load(path).unwrap().cache_outcome(),
        CacheOutcome::Miss
    );
    let second = Sandbox::with_cache(Some(ComponentCache::new(dir.to_path_buf()))).unwrap();
    let loaded = second.load(path).unwrap();
    assert_eq!(loaded.cache_outcome(), CacheOutcome::Hit);
    assert_eq!(loaded.sha256().len(), 64);
}

#[tokio::test]
async fn a_changed_component_file_is_picked_up_without_sighup() {
    let s = Setup::new("component").await;
    let component = s.dir.join("job.wasm");
    std::fs::copy(warden_test_artifacts::MISBEHAVE, &component).unwrap();
    s.misbehave_with(
        "swapped",
        component.to_str().unwrap(),
        "ok",
        "schedule = \"* * * * *\"",
    );
    let daemon = s.start().await;
    s.advance(30);
    let runs = s
        .wait_for("swapped", "v1 ran", |r| {
            r.len() == 1 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert!(runs[0].stdout_tail.contains("misbehave: fine"));

    // A new build of the component lands; the daemon notices by polling.
    // Compiling it can take longer than the wait on a busy machine, so a
    // firing may still run the old build: fire again until the new one
    // runs (without SIGHUP, the point of the test).
    std::fs::copy(warden_test_artifacts::SNOOP, &component).unwrap();
    let mut fired = 1;
    let runs = loop {
        tokio::time::sleep(Duration::from_millis(400)).await;
        s.advance(60);
        fired += 1;
        let runs = s
            .wait_for("swapped", "the next run", |r| {
                r.len() == fired && r[0].status == RunStatus::Succeeded
            })
            .await;
        if !runs[0].stdout_tail.contains("misbehave: fine") || fired == 20 {
            break runs;
        }
    };
    assert!(
        runs[0].stdout_tail.contains("env MODE=ok"),
        "{}",
        runs[0].stdout_tail
    );
    daemon.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_pinned_job_refuses_a_swapped_component_and_keeps_its_build() {
    let s = Setup::new("pinned").await;
    let component = s.dir.join("job.wasm");
    std::fs::copy(warden_test_artifacts::MISBEHAVE, &component).unwrap();
    let pin = warden::cache::sha256_hex(&std::fs::read(&component).unwrap());
    s.misbehave_with(
        "pinned",
        component.to_str().unwrap(),
        "ok",
        &format!("schedule = \"* * * * *\"\nsha256 = \"{pin}\""),
    );
    let daemon = s.start().await;
    s.advance(30);
    s.wait_for("pinned", "the pinned build ran", |r| {
        r.len() == 1 && r[0].status == RunStatus::Succeeded
    })
    .await;

    // Someone replaces the component: the reload refuses it, the job keeps
    // running the build its scopes were granted to.
    std::fs::copy(warden_test_artifacts::SNOOP, &component).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.advance(60);
    let runs = s
        .wait_for("pinned", "the old build again", |r| {
            r.len() == 2 && r[0].status == RunStatus::Succeeded
        })
        .await;
    assert!(
        runs[0].stdout_tail.contains("misbehave: fine"),
        "{}",
        runs[0].stdout_tail
    );
    assert!(!runs[0].stdout_tail.contains("env MODE"));
    daemon.shutdown(Duration::from_secs(5)).await;

    // A restart with the swapped file does not load the job at all.
    let daemon = s.start().await;
    s.advance(60);
    assert_eq!(s.settled("pinned").await.len(), 2);
    daemon.shutdown(Duration::from_secs(5)).await;
}
