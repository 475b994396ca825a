//! Issue 8, logs: `warden serve --log-format json` writes one JSON object a
//! line; every line logged while a job runs carries the run's `job` and
//! `run_id` (from its span); the token is in none of them.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

#[tokio::test]
async fn json_logs_of_a_serve_run_carry_job_and_run_id_and_never_the_token() {
    let canvas = standin().await;
    let dir = TempDir::new("warden-logs-json");
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(
        dir.join("warden.toml"),
        format!(
            "jobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\ncache = \"cache\"\n[canvas]\nbase_url = {:?}\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"5s\"\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    // One allowed request and one denied (no scope), and a job that fails.
    let script = serde_json::json!([
        {"method": "GET", "path": "/api/v1/courses/1"},
        {"method": "GET", "path": "/api/v1/users/1"},
    ])
    .to_string();
    std::fs::write(
        dir.join("jobs/mixed.toml"),
        format!(
            "version = 1\n[job]\nname = \"mixed\"\ncomponent = {:?}\nschedule = \"* * * * * *\"\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n[env]\nSCRIPT = {script:?}\n",
            warden_test_artifacts::SCRIPTED
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("jobs/failing.toml"),
        format!(
            "version = 1\n[job]\nname = \"failing\"\ncomponent = {:?}\nschedule = \"* * * * * *\"\n[canvas]\nscopes = []\n[env]\nMODE = \"canvas-error\"\n",
            warden_test_artifacts::MISBEHAVE
        ),
    )
    .unwrap();

    let serve = Command::new(WARDEN)
        .args([
            Path::new("serve"),
            Path::new("--log-format"),
            Path::new("json"),
            Path::new("--config"),
            &dir.join("warden.toml"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    crate::support::signal(&serve, "TERM");
    let out = tokio::time::timeout(Duration::from_secs(30), serve.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(TOKEN), "the token is in the logs");

    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let message = |l: &serde_json::Value| l["fields"]["message"].as_str().unwrap_or("").to_string();
    let in_run = |l: &&serde_json::Value| l["span"]["run_id"].as_str().is_some();
    for line in &lines {
        assert!(
            line["level"].is_string() && line["timestamp"].is_string(),
            "{line}"
        );
    }
    // Every line about a Canvas request comes from inside a run.
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| message(l).contains("/api/v1/"))
        .collect();
    assert!(!requests.is_empty(), "{stderr}");
    for line in &requests {
        assert!(in_run(line), "a request line without its run: {line}");
        assert!(line["span"]["job"].is_string(), "{line}");
    }
    let denied = requests
        .iter()
        .find(|l| message(l).contains("/api/v1/users/1") && message(l).contains("refused"))
        .unwrap_or_else(|| panic!("the denied request is logged\n{stderr}"));
    assert_eq!(denied["span"]["job"], "mixed");
    assert_eq!(denied["level"], "WARN");
    let failed = lines
        .iter()
        .filter(in_run)
        .find(|l| l["span"]["job"] == "failing" && message(l).contains("failed"))
        .unwrap_or_else(|| panic!("the failed run is logged inside its span\n{stderr}"));
    assert!(
        message(failed).contains("last Canvas error: denied"),
        "{failed}"
    );
}
