//! Issue 8, failure alerts: `warden serve` with `[alerts]` posts exactly one
//! alert per failed run to a webhook receiver on 127.0.0.1, with the run's
//! fields and without the token; an unreachable second webhook delays
//! neither the alerts nor the shutdown past its grace period.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::Router;
use tokio::net::TcpListener;
use tokio::process::Command;
use warden::history::History;
use warden::run::RunStatus;

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const SECRET: &str = "T000/B000/SECRETHOOK";

type Received = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

async fn receiver() -> (String, Received) {
    let received = Received::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .fallback(
            |State(received): State<Received>, uri: Uri, body: Bytes| async move {
                let json = serde_json::from_slice(&body).unwrap_or_default();
                received.lock().unwrap().push((uri.to_string(), json));
                "ok"
            },
        )
        .with_state(Arc::clone(&received));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), received)
}

#[tokio::test]
async fn serve_alerts_once_per_failed_run_and_an_unreachable_webhook_delays_nothing() {
    let canvas = standin().await;
    let (hook, received) = receiver().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = TempDir::new("warden-alerts");
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(
        dir.join("warden.toml"),
        format!(
            "jobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\ncache = \"cache\"\n[canvas]\nbase_url = {:?}\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"3s\"\n[dashboard]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://warden.example.edu/ops\"\n[alerts]\nwebhooks = [\"http://{closed}/{SECRET}\", \"{hook}/{SECRET}\"]\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    for (name, mode) in [("failing", "canvas-error"), ("fine", "ok")] {
        std::fs::write(
            dir.join(format!("jobs/{name}.toml")),
            format!(
                "version = 1\n[job]\nname = \"{name}\"\ncomponent = {:?}\nschedule = \"* * * * * *\"\n[canvas]\nscopes = []\n[env]\nMODE = \"{mode}\"\n",
                warden_test_artifacts::MISBEHAVE
            ),
        )
        .unwrap();
    }

    let serve = Command::new(WARDEN)
        .args([
            Path::new("serve"),
            Path::new("--config"),
            &dir.join("warden.toml"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Alerts arrive while serve runs, although the first webhook refuses
    // every connection and is being retried.
    let began = Instant::now();
    while received.lock().unwrap().is_empty() && began.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!received.lock().unwrap().is_empty(), "no alert arrived");
    tokio::time::sleep(Duration::from_secs(2)).await;

    crate::support::signal(&serve, "TERM");
    let stopping = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(30), serve.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stopping.elapsed() < Duration::from_secs(8),
        "the retried webhook held the shutdown past its grace: {:?}",
        stopping.elapsed()
    );
    assert!(!stderr.contains(TOKEN), "the token is in the logs");
    assert!(
        !stderr.contains("SECRETHOOK"),
        "a webhook URL is in the logs\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("alert(s) to http://{closed}/… not sent")),
        "the unreachable webhook is reported by its label\n{stderr}"
    );

    let history = History::open(&dir.join("warden.db")).unwrap();
    let runs = history.runs(None, 1000).unwrap();
    // Each delivery is in the admin activity log, by the webhook's label.
    let activity = history.activity(10_000).unwrap();
    let delivered: Vec<&str> = activity
        .iter()
        .filter(|a| a.action == "alert" && a.outcome.contains("alert delivered to"))
        .filter_map(|a| a.run_id.as_deref())
        .collect();
    assert!(!delivered.is_empty(), "{activity:#?}");
    assert!(activity.iter().any(|a| a.action == "alert"
        && a.outcome
            .contains(&format!("NOT delivered to http://{closed}/…"))));
    assert!(activity.iter().all(|a| !a.outcome.contains("SECRETHOOK")));
    let mut failed: Vec<&str> = runs
        .iter()
        .filter(|r| r.status == RunStatus::Failed)
        .map(|r| r.run_id.as_str())
        .collect();
    failed.sort();
    assert!(!failed.is_empty(), "{runs:#?}");
    assert!(failed
        .iter()
        .all(|id| runs.iter().any(|r| r.run_id == *id && r.job == "failing")));
    let received = received.lock().unwrap().clone();
    let mut alerted: Vec<&str> = received
        .iter()
        .map(|(_, alert)| alert["run_id"].as_str().unwrap())
        .collect();
    alerted.sort();
    assert_eq!(alerted, failed, "exactly one alert per failed run");
    for (path, alert) in &received {
        assert_eq!(path, &format!("/{SECRET}"));
        assert_eq!(alert["warden"], "alert");
        assert_eq!(alert["kind"], "failure");
        assert_eq!(alert["job"], "failing");
        assert_eq!(alert["status"], "failed");
        assert_eq!(alert["trigger"], "schedule");
        assert_eq!(
            alert["url"],
            format!(
                "https://warden.example.edu/ops/runs/{}",
                alert["run_id"].as_str().unwrap()
            )
        );
        let run = runs.iter().find(|r| r.run_id == alert["run_id"]).unwrap();
        assert_eq!(alert["error"].as_str(), run.error.as_deref());
        assert!(alert["error"]
            .as_str()
            .unwrap()
            .contains("last Canvas error: denied"));
        assert!(alert["text"]
            .as_str()
            .unwrap()
            .starts_with("Warden: job failing run "));
        assert!(!alert.to_string().contains(TOKEN));
    }
}
