//! Issue 10, what a newcomer hit: errors that say what to write instead.
//! (The cron, time zone and `[env]` wording is pinned by tests/ui.)

use std::path::Path;

use crate::support::{cache_home, TempDir};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

fn warden(args: &[&str], config: &Path) -> (bool, String, String) {
    let out = std::process::Command::new(WARDEN)
        .args(args)
        .arg("--config")
        .arg(config)
        .env("XDG_CACHE_HOME", cache_home())
        .env_remove("WARDEN_LOG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn job(name: &str, schedule: &str) -> String {
    format!(
        "version = 1\n[job]\nname = \"{name}\"\ncomponent = {:?}\nschedule = \"{schedule}\"\n[canvas]\nscopes = []\n",
        warden_test_artifacts::MISBEHAVE
    )
}

#[test]
fn issue_10_a_jobs_glob_that_matches_the_config_itself_is_told_so() {
    let dir = TempDir::new("warden-newcomer-glob");
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        "jobs = [\"*.toml\"]\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_env = \"NO_SUCH_TOKEN\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("report.toml"), job("report", "@daily")).unwrap();
    let (ok, stdout, _) = warden(&["check"], &config);
    assert!(ok, "the config is not loaded as a manifest: {stdout}");
    assert!(
        stdout.contains("`jobs` pattern \"*.toml\" matches this config file itself, which is not a job manifest, so it is skipped; keep the manifests in a folder of their own, e.g. jobs = [\"jobs/*/job.toml\"]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok: ") && stdout.contains("report.toml: job report"),
        "{stdout}"
    );
    assert!(stdout.contains("1 manifest(s), 0 error(s)"), "{stdout}");
    let (ok, stdout, stderr) = warden(&["next"], &config);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("report"), "{stdout}");
    assert!(
        stderr.contains("matches this config file itself"),
        "{stderr}"
    );
}

#[test]
fn issue_10_next_on_a_job_whose_manifest_does_not_load_says_why() {
    let dir = TempDir::new("warden-newcomer-next");
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        "jobs = [\"jobs/*.toml\"]\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_env = \"NO_SUCH_TOKEN\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("jobs/good.toml"), job("good", "@daily")).unwrap();
    std::fs::write(dir.join("jobs/broken.toml"), job("broken", "@weekdays")).unwrap();
    let (ok, _, stderr) = warden(&["next", "broken"], &config);
    assert!(!ok);
    assert!(
        stderr.contains("job \"broken\" is not scheduled: its manifest does not load: ")
            && stderr.contains("broken.toml:5:12: invalid cron expression \"@weekdays\"")
            && stderr.contains("MON-FRI"),
        "{stderr}"
    );
    // A name no manifest has is still "no job named".
    let (ok, _, stderr) = warden(&["next", "other"], &config);
    assert!(!ok);
    assert!(stderr.contains("no job named \"other\""), "{stderr}");
}

#[tokio::test]
async fn issue_10_a_denial_names_the_scope_that_would_allow_it_and_the_misspelt_one() {
    let canvas = crate::support::standin().await;
    let (results, ran) = crate::support::script(
        &canvas.base_url(),
        &[
            "url:GET|/api/v1/courses/:id",
            "url:GET|/api/v1/courses/:course_id/enrolments",
        ],
        "",
        serde_json::json!([{"method": "GET", "path": "/api/v1/courses/1/enrollments"}]),
    )
    .await;
    assert_eq!(
        crate::support::kind(&results[0]),
        "denied",
        "{}",
        ran.stdout
    );
    let message = results[0]["err"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("no scope of the manifest allows GET /api/v1/courses/1/enrollments; Canvas's scope for it is url:GET|/api/v1/courses/:course_id/enrollments (add it to [canvas] scopes"),
        "{message}"
    );
    // The test manifest puts the scopes on line 6.
    assert!(
        message.ends_with("; the manifest's url:GET|/api/v1/courses/:course_id/enrolments (line 6) looks like a misspelling of url:GET|/api/v1/courses/:course_id/enrollments"),
        "{message}"
    );
    assert!(
        canvas.requests().is_empty(),
        "a denied request is never sent"
    );
}

#[tokio::test]
async fn issue_10_collect_denials_gathers_every_missing_scope_in_one_run() {
    let canvas = crate::support::standin().await;
    let dir = TempDir::new("warden-newcomer-collect");
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[canvas]\nbase_url = {:?}\ntoken_env = \"WARDEN_NEWCOMER_TOKEN\"\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    let script = serde_json::json!([
        {"method": "GET", "path": "/api/v1/courses/1"},
        {"method": "GET", "path": "/api/v1/courses/1/users"},
        {"method": "GET", "path": "/api/v1/accounts/1/courses"},
        {"method": "PUT", "path": "/api/v1/courses/1", "body": "course[name]=x"},
    ]);
    let manifest = dir.join("job.toml");
    std::fs::write(
        &manifest,
        format!(
            "version = 1\n[job]\nname = \"collect\"\ncomponent = {:?}\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n[env]\nSCRIPT = '{script}'\n",
            warden_test_artifacts::SCRIPTED
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(WARDEN)
        .args(["run", "--collect-denials"])
        .arg(&manifest)
        .arg("--config")
        .arg(&config)
        .env("WARDEN_NEWCOMER_TOKEN", crate::support::TOKEN)
        .env("XDG_CACHE_HOME", cache_home())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Every request got an answer: the job ran to its end.
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(
        stderr.contains("--collect-denials: 3 distinct request(s) were denied"),
        "{stderr}"
    );
    for scope in [
        "url:GET|/api/v1/courses/:course_id/users",
        "url:GET|/api/v1/accounts/:account_id/courses",
        "url:PUT|/api/v1/courses/:id",
    ] {
        assert!(
            stderr.contains(&format!("  {scope}\n")),
            "{scope}: {stderr}"
        );
        assert!(stderr.contains(&format!("{scope:?},")), "{scope}: {stderr}");
    }
    // Only the allowed GET reached Canvas; the denied ones and the write
    // did not.
    let sent: Vec<String> = canvas
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path()))
        .collect();
    assert_eq!(sent, ["GET /api/v1/courses/1"]);
}

#[test]
fn issue_10_a_missing_component_with_a_near_name_beside_it_is_named() {
    let dir = TempDir::new("warden-newcomer-component");
    let release = dir.join("target/wasm32-wasip2/release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(
        warden_test_artifacts::MISBEHAVE,
        release.join("my_job.wasm"),
    )
    .unwrap();
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        "jobs = [\"*/job.toml\"]\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_env = \"NO_SUCH_TOKEN\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("my-job")).unwrap();
    std::fs::write(
        dir.join("my-job/job.toml"),
        "version = 1\n[job]\nname = \"my-job\"\ncomponent = \"../target/wasm32-wasip2/release/my-job.wasm\"\n[canvas]\nscopes = []\n",
    )
    .unwrap();
    let (ok, stdout, _) = warden(&["check"], &config);
    assert!(!ok);
    assert!(
        stdout.contains("has my_job.wasm: did you mean that? (cargo names the file after the crate's [[bin]] name)"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir.join("target")).unwrap();
    let (_, stdout, _) = warden(&["check"], &config);
    assert!(
        stdout.contains("does not exist either, so nothing was built there"),
        "{stdout}"
    );
}
