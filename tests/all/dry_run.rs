//! Dry runs: reads reach Canvas, writes are checked and recorded but never
//! sent, and the job gets a marked synthetic answer.

use serde_json::{json, Value};
use warden::history::{report, History, NewRun, RunEnd, Trigger};
use warden::host::Outcome;
use warden::run::RunStatus;

use crate::jobs::example;
use crate::support::{kind, manifest, run, standin, TempDir, TOKEN};

const COURSE: &str = "url:GET|/api/v1/courses/:id";
const PUT_COURSE: &str = "url:PUT|/api/v1/courses/:id";

#[tokio::test]
async fn a_dry_run_of_a_writing_job_sends_no_write() {
    let canvas = standin().await;
    let mut m = example(
        "set-default-view",
        warden_test_artifacts::JOB_SET_DEFAULT_VIEW,
    );
    m.dry_run = true;
    let wanted = m.env["DEFAULT_VIEW"].clone();
    let ids: Vec<u64> = m.env["COURSE_IDS"]
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let before: Vec<String> = ids
        .iter()
        .map(|id| canvas.course(*id).unwrap().default_view)
        .collect();
    let to_change = before.iter().filter(|v| **v != wanted).count();
    assert!(to_change > 0, "the seed must give the job something to do");

    let ran = run(&canvas.base_url(), &m).await;
    ran.assert_succeeded();
    // The stand-in's record proves it: only reads arrived.
    let seen = canvas.requests();
    assert!(seen.iter().all(|r| r.method == "GET"), "{seen:?}");
    assert_eq!(seen.len(), ids.len());
    let after: Vec<String> = ids
        .iter()
        .map(|id| canvas.course(*id).unwrap().default_view)
        .collect();
    assert_eq!(after, before, "no course changed");

    // The job believed its writes went through (the synthetic 200) ...
    assert!(
        ran.stdout.contains(&format!("{to_change} changed")),
        "{}",
        ran.stdout
    );
    // ... and the audit says they did not.
    let writes: Vec<_> = ran
        .report
        .audit
        .iter()
        .filter(|e| e.method.as_str() == "PUT")
        .collect();
    assert_eq!(writes.len(), to_change);
    for w in &writes {
        assert_eq!(w.outcome, Outcome::DryRun);
        assert_eq!(w.attempts, 0);
        assert_eq!(w.scope.as_deref(), Some(PUT_COURSE));
    }
    assert_eq!(ran.report.stats.dry_run as usize, to_change);
    assert_eq!(ran.report.stats.sent as usize, ids.len());
    let summary = ran.report.summary();
    assert!(summary.contains("(DRY RUN)"), "{summary}");
    assert!(
        summary.contains(&format!(
            "{to_change} write{} not sent",
            if to_change == 1 { "" } else { "s" }
        )),
        "{summary}"
    );

    // What `warden logs` shows for the run.
    let dir = TempDir::new("warden-dry-run-history");
    let history = History::open(&dir.join("warden.db")).unwrap();
    let started = chrono::Utc::now();
    history
        .start_run(&NewRun {
            run_id: "dry".into(),
            job: m.name.to_string(),
            scheduled_at: None,
            started_at: started,
            attempt: 0,
            trigger: Trigger::Manual,
        })
        .unwrap();
    history.record_requests("dry", &ran.report.audit).unwrap();
    history
        .finish_run("dry", &RunEnd::from_report(&ran.report, chrono::Utc::now()))
        .unwrap();
    let log = report::run_log(
        &history.run("dry").unwrap().unwrap(),
        &history.requests("dry").unwrap(),
    );
    assert!(
        log.contains(&format!("dry run    yes: {to_change} write")),
        "{log}"
    );
    assert!(log.contains("PUT /api/v1/courses/"), "{log}");
    assert!(log.contains("-> dry-run: not sent ["), "{log}");
}

#[tokio::test]
async fn the_guest_sees_the_synthetic_answer_and_its_environment() {
    let canvas = standin().await;
    let mut m = manifest(
        warden_test_artifacts::DRY_RUN,
        &[COURSE, PUT_COURSE],
        "[env]\nCOURSE_PATH = \"/api/v1/courses/2\"\n",
    );
    let name = canvas.course(2).unwrap().name;
    let body = json!({"course": {"name": "Renamed by a dry run"}});
    let body_bytes = serde_json::to_vec(&body).unwrap().len();

    m.dry_run = true;
    let ran = run(&canvas.base_url(), &m).await;
    assert_eq!(ran.report.status, RunStatus::Succeeded, "{}", ran.stderr);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines[0], "is_dry_run true");
    assert_eq!(
        lines[1],
        format!("put 200 dry true body {{\"warden_dry_run\":true,\"method\":\"PUT\",\"path\":\"/api/v1/courses/2\",\"body_bytes\":{body_bytes}}}")
    );
    assert_eq!(lines[2], format!("get 200 dry false name {name:?}"));
    assert_eq!(canvas.course(2).unwrap().name, name);
    assert!(canvas.requests().iter().all(|r| r.method == "GET"));

    // The same job for real: the write is sent and the environment says so.
    m.dry_run = false;
    let ran = run(&canvas.base_url(), &m).await;
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines[0], "is_dry_run false");
    assert!(
        lines[1].starts_with("put 200 dry false body {"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("Renamed by a dry run"), "{}", lines[1]);
    assert_eq!(canvas.course(2).unwrap().name, "Renamed by a dry run");
    assert!(!ran.report.summary().contains("DRY RUN"));
}

#[tokio::test]
async fn a_dry_run_still_checks_and_counts_writes() {
    let canvas = standin().await;
    let put = |id: u32| {
        json!({"method": "PUT", "path": format!("/api/v1/courses/{id}"),
               "headers": [["content-type", "application/json"]],
               "body": "{\"course\": {\"name\": \"x\"}}"})
    };
    let mut m = manifest(
        warden_test_artifacts::SCRIPTED,
        &[COURSE, PUT_COURSE],
        "[limits]\nmax_requests = 3\n",
    );
    m.dry_run = true;
    let steps = json!([
        put(1),
        {"method": "DELETE", "path": "/api/v1/courses/1"},
        {"method": "PUT", "path": "/api/v1/courses/1", "query": [["as_user_id", "2"]], "body": "{}"},
        {"method": "GET", "path": "/api/v1/courses/1"},
        put(2),
        put(3),
    ]);
    m.env.insert("SCRIPT".into(), steps.to_string());
    let ran = run(&canvas.base_url(), &m).await;
    let results: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    // Refused as in any run; writes count toward max_requests.
    assert_eq!(
        kinds,
        ["ok", "denied", "invalid", "ok", "ok", "budget_exhausted"],
        "{results:?}"
    );
    let headers = results[0]["ok"]["headers"].as_array().unwrap();
    assert!(headers
        .iter()
        .any(|h| h[0] == "x-warden-dry-run" && h[1] == "1"));
    assert_eq!(results[3]["ok"]["status"], 200);
    assert!(!results[3]["ok"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h[0] == "x-warden-dry-run"));
    let seen = canvas.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    let stats = ran.report.stats;
    assert_eq!(
        (stats.sent, stats.dry_run, stats.denied, stats.invalid),
        (1, 2, 1, 1)
    );
}

#[tokio::test]
async fn warden_run_dry_run_sends_no_write() {
    const TOKEN_VAR: &str = "WARDEN_DRY_RUN_TEST_TOKEN";
    let canvas = standin().await;
    let name = canvas.course(2).unwrap().name;
    let dir = TempDir::new("warden-cli-dry-run");
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[canvas]\nbase_url = {:?}\ntoken_env = {TOKEN_VAR:?}\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    let job = dir.join("job.toml");
    std::fs::write(
        &job,
        format!(
            "version = 1\n[job]\nname = \"dry\"\ncomponent = {:?}\n[canvas]\nscopes = [{COURSE:?}, {PUT_COURSE:?}]\n[env]\nCOURSE_PATH = \"/api/v1/courses/2\"\n",
            warden_test_artifacts::DRY_RUN
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(["-v", "run", "--dry-run"])
        .arg(&job)
        .arg("--config")
        .arg(&config)
        .env(TOKEN_VAR, TOKEN)
        .env("XDG_CACHE_HOME", crate::support::cache_home())
        .env_remove("WARDEN_LOG")
        .output()
        .await
        .expect("warden runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("is_dry_run true\nput 200 dry true "),
        "{stdout}"
    );
    assert!(
        stderr.contains("PUT /api/v1/courses/2: dry run, not sent"),
        "{stderr}"
    );
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with("warden: job dry (DRY RUN) succeeded in "),
        "{summary}"
    );
    assert!(
        summary.contains("1 Canvas request, 1 write not sent"),
        "{summary}"
    );
    let methods: Vec<String> = canvas.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["GET"]);
    assert_eq!(canvas.course(2).unwrap().name, name);
}
