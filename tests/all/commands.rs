//! `warden check`, `warden next`, `warden history` and `warden logs`, and
//! `warden run` recording into the history and using the compiled cache.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

struct Scratch(TempDir);

impl Scratch {
    fn new(name: &str, base_url: &str) -> Scratch {
        let dir = TempDir::new(&format!("warden-cmd-{name}"));
        std::fs::create_dir_all(dir.join("jobs")).unwrap();
        std::fs::write(dir.join("token"), TOKEN).unwrap();
        std::fs::write(
            dir.join("warden.toml"),
            format!("jobs = [\"jobs/*.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = {base_url:?}\ntoken_file = \"token\"\n"),
        )
        .unwrap();
        Scratch(dir)
    }

    fn job(&self, file: &str, name: &str, component: &str, job: &str, canvas: &str) -> PathBuf {
        let path = self.0.join("jobs").join(file);
        std::fs::write(
            &path,
            format!("version = 1\n[job]\nname = {name:?}\ncomponent = {component:?}\n{job}\n[canvas]\n{canvas}\n"),
        )
        .unwrap();
        path
    }

    fn config(&self) -> PathBuf {
        self.0.join("warden.toml")
    }

    fn warden(&self, args: &[&str]) -> (Output, String, String) {
        let out = std::process::Command::new(WARDEN)
            .args(args)
            .arg("--config")
            .arg(self.config())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out, stdout, stderr)
    }
}

const SCOPE: &str = "scopes = [\"url:GET|/api/v1/courses/:id\"]";

#[test]
fn check_passes_a_good_config() {
    let s = Scratch::new("check-ok", "http://127.0.0.1:9");
    s.job(
        "a.toml",
        "report",
        warden_test_artifacts::SNOOP,
        &format!(
            "schedule = \"0 6 * * MON\"\ntimezone = \"America/New_York\"\nsha256 = \"{}\"",
            warden::cache::sha256_hex(&std::fs::read(warden_test_artifacts::SNOOP).unwrap())
        ),
        SCOPE,
    );
    let (out, stdout, _) = s.warden(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("job report, 1 scope(s), schedule \"0 6 * * MON\" in America/New_York"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("1 manifest(s), 0 error(s), 0 warning(s)\n"),
        "{stdout}"
    );
}

#[test]
fn check_catches_each_kind_of_error() {
    let s = Scratch::new("check-bad", "http://127.0.0.1:9");
    let snoop = warden_test_artifacts::SNOOP;
    s.job("a-good.toml", "good", snoop, "schedule = \"@daily\"", SCOPE);
    let cron = s.job(
        "b-cron.toml",
        "cron",
        snoop,
        "schedule = \"0 25 * * *\"",
        SCOPE,
    );
    let zone = s.job(
        "c-zone.toml",
        "zone",
        snoop,
        "schedule = \"@daily\"\ntimezone = \"Moon/Base\"",
        SCOPE,
    );
    let scope = s.job(
        "d-scope.toml",
        "scope",
        snoop,
        "",
        "scopes = [\"url:GET|/api/v1/course/:id\"]",
    );
    let unknown = s.job(
        "e-unknown.toml",
        "unknown",
        snoop,
        "",
        "scopes = [\"url:GET|/api/v1/accounts/:id/courses\"]",
    );
    let missing = s.job("f-missing.toml", "missing", "nope.wasm", "", SCOPE);
    let net = s.job("g-net.toml", "net", warden_test_artifacts::NET, "", SCOPE);
    let dup = s.job("h-dup.toml", "good", snoop, "", SCOPE);
    let (out, stdout, _) = s.warden(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = |path: &Path, text: &str| {
        let found = stdout
            .lines()
            .any(|l| l.contains(&path.display().to_string()) && l.contains(text));
        assert!(
            found,
            "no line for {} with {text:?} in:\n{stdout}",
            path.display()
        );
    };
    line(
        &cron,
        "invalid cron expression \"0 25 * * *\": hour 25 is out of range 0-23",
    );
    line(&zone, "unknown time zone \"Moon/Base\"");
    line(&scope, "scope \"url:GET|/api/v1/course/:id\"");
    line(&unknown, "not one of the scopes Canvas defines");
    line(
        &unknown,
        "did you mean \"url:GET|/api/v1/accounts/:account_id/courses\"?",
    );
    line(&missing, "does not exist");
    line(&net, "imports wasi:sockets/");
    line(&dup, "job name \"good\" is already used by");
    assert!(stdout.contains("error: ") && stdout.contains("warning: "));
    assert!(
        stdout.ends_with("8 manifest(s), 5 error(s), 5 warning(s)\n"),
        "{stdout}"
    );
}

#[test]
fn next_lists_firings_in_the_zone_and_in_utc() {
    let s = Scratch::new("next", "http://127.0.0.1:9");
    s.job(
        "a.toml",
        "night",
        warden_test_artifacts::SNOOP,
        "schedule = \"30 1 * * *\"\ntimezone = \"America/New_York\"",
        SCOPE,
    );
    s.job("b.toml", "manual", warden_test_artifacts::SNOOP, "", SCOPE);
    let (out, stdout, stderr) =
        s.warden(&["next", "--after", "2024-11-02T12:00:00Z", "--count", "3"]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "night   2024-11-03 01:30 EDT  (2024-11-03T05:30:00Z)\n\
         night   2024-11-04 01:30 EST  (2024-11-04T06:30:00Z)\n\
         night   2024-11-05 01:30 EST  (2024-11-05T06:30:00Z)\n\
         manual  no schedule (run it with `warden run`)\n"
    );
    let (out, stdout, _) = s.warden(&[
        "next",
        "night",
        "-n",
        "1",
        "--after",
        "2024-11-02T12:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout.lines().count(), 1);
    let (out, _, stderr) = s.warden(&["next", "ghost"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("no job named \"ghost\""), "{stderr}");
    let (out, _, stderr) = s.warden(&["next", "--after", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("--after \"tomorrow\" is not an RFC 3339 time"),
        "{stderr}"
    );
}

#[test]
fn next_says_when_the_manifests_match_but_none_loads() {
    let s = Scratch::new("next-none-loads", "http://127.0.0.1:9");
    let a = s.job(
        "a.toml",
        "weekend",
        warden_test_artifacts::SNOOP,
        "schedule = \"0 0 * * SAT-MON\"",
        SCOPE,
    );
    let b = s.job(
        "b.toml",
        "steps",
        warden_test_artifacts::SNOOP,
        "schedule = \"*/0 * * * *\"",
        SCOPE,
    );
    let (out, stdout, stderr) = s.warden(&["next"]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stdout, "");
    assert!(!stderr.contains("no job manifests match"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].ends_with(&format!(
            "2 job manifests match `jobs` in {} but none loads:",
            s.config().display()
        )),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("  {}:5:12: invalid cron expression \"0 0 * * SAT-MON\": day-of-week range \"SAT-MON\" runs backwards", a.display())),
        "{stderr}"
    );
    assert!(
        lines[2].starts_with(&format!(
            "  {}:5:12: invalid cron expression \"*/0 * * * *\": minute \"*/0\" has a step",
            b.display()
        )),
        "{stderr}"
    );
    // With one good manifest, the bad one is a warning.
    s.job(
        "c.toml",
        "good",
        warden_test_artifacts::SNOOP,
        "schedule = \"0 16 */2 * SAT\"",
        SCOPE,
    );
    let (out, stdout, stderr) =
        s.warden(&["next", "--after", "2024-06-02T12:00:00Z", "--count", "2"]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "good  2024-06-15 16:00 UTC  (2024-06-15T16:00:00Z)\n\
         good  2024-06-29 16:00 UTC  (2024-06-29T16:00:00Z)\n"
    );
    assert_eq!(stderr.matches("warning: ").count(), 2, "{stderr}");
}

#[tokio::test]
async fn run_records_its_run_and_history_and_logs_show_it() {
    let canvas = standin().await;
    let s = Scratch::new("history", &canvas.base_url());
    let job = s.job(
        "a.toml",
        "talker",
        warden_test_artifacts::SCRIPTED,
        "",
        &format!(
            "{SCOPE}\n[env]\nSCRIPT = {:?}\n",
            r#"[{"method": "GET", "path": "/api/v1/courses/1"}, {"method": "GET", "path": "/api/v1/users/1"}]"#
        ),
    );
    let run = |verbose: bool| {
        let mut cmd = tokio::process::Command::new(WARDEN);
        if verbose {
            cmd.arg("-v");
        }
        cmd.arg("run").arg(&job).arg("--config").arg(s.config());
        cmd.output()
    };
    let out = run(false).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (out, stdout, _) = s.warden(&["history"]);
    assert_eq!(out.status.code(), Some(0));
    let row = stdout.lines().nth(1).unwrap();
    assert!(
        row.contains("talker") && row.contains("succeeded"),
        "{stdout}"
    );
    let run_id = row.split_whitespace().next().unwrap().to_string();

    let (out, stdout, _) = s.warden(&["logs", &run_id]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("--- stdout ---") && stdout.contains("\"status\":200"),
        "{stdout}"
    );
    assert!(stdout.contains("GET /api/v1/courses/1 -> 200"), "{stdout}");
    assert!(stdout.contains("[url:GET|/api/v1/courses/:id]"), "{stdout}");
    assert!(
        stdout.contains("GET /api/v1/users/1 -> denied: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("trigger") && stdout.contains("manual"),
        "{stdout}"
    );
    assert!(!stdout.contains(TOKEN));

    let (out, _, stderr) = s.warden(&["logs", "no-such-run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("no run \"no-such-run\""), "{stderr}");
    let (out, stdout, _) = s.warden(&["history", "someone-else"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout, "no runs recorded\n");

    // A second run finds the component compiled in the cache.
    let out = run(true).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("compiled code loaded from the cache"),
        "{stderr}"
    );
}

/// The README's run command, minus the build: `warden demo` serves the
/// example jobs against the stand-in and they run within the first minute.
#[test]
fn the_demo_serves_the_example_jobs() {
    let root = TempDir::new("warden-demo-root");
    std::fs::create_dir_all(root.join("jobs")).unwrap();
    std::fs::write(root.join("jobs/Cargo.toml"), "").unwrap();
    let examples = Path::new(warden_test_artifacts::ROOT).join("examples");
    for (name, component) in [
        (
            "unpublished-courses",
            warden_test_artifacts::JOB_UNPUBLISHED_COURSES,
        ),
        (
            "set-default-view",
            warden_test_artifacts::JOB_SET_DEFAULT_VIEW,
        ),
    ] {
        let text = std::fs::read_to_string(examples.join(name).join("job.toml")).unwrap();
        let mut manifest: toml::Table = toml::from_str(&text).unwrap();
        manifest["job"]
            .as_table_mut()
            .unwrap()
            .insert("component".into(), component.into());
        std::fs::create_dir_all(root.join("examples").join(name)).unwrap();
        std::fs::write(
            root.join("examples").join(name).join("job.toml"),
            toml::to_string(&manifest).unwrap(),
        )
        .unwrap();
    }
    // A half-written job of the user's own, which writes: the demo runs it
    // dry.
    std::fs::create_dir_all(root.join("examples/half-written")).unwrap();
    std::fs::write(
        root.join("examples/half-written/job.toml"),
        format!(
            "version = 1\n[job]\nname = \"half-written\"\ncomponent = {:?}\n[canvas]\nscopes = [\"url:PUT|/api/v1/courses/:id\"]\n[env]\nSCRIPT = '[{{\"method\": \"PUT\", \"path\": \"/api/v1/courses/3\", \"body\": \"course[name]=Oops\"}}]'\n",
            warden_test_artifacts::SCRIPTED
        ),
    )
    .unwrap();
    let out = std::process::Command::new(WARDEN)
        .args([
            "demo",
            "--no-build",
            "--for",
            "22s",
            "--dashboard",
            "127.0.0.1:0",
            "--root",
        ])
        .arg(&*root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for job in ["unpublished-courses", "set-default-view"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(job) && l.contains("succeeded")),
            "{job} did not run:\n{stdout}"
        );
    }
    // Under a scoped developer key's tokens, renewed by Warden.
    assert!(
        stdout.contains("Warden authorized itself once with the stand-in's scoped developer key"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(3 scopes, which the stand-in enforces"),
        "{stdout}"
    );
    let summary = stdout
        .lines()
        .find(|l| l.contains("API requests,"))
        .unwrap_or_else(|| panic!("no summary:\n{stdout}"));
    let numbers: Vec<&str> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    assert!(
        numbers.len() >= 2 && numbers[0] == numbers[1] && numbers[0] != "0",
        "every API request carried the scoped key's token: {summary}"
    );
    assert!(
        summary.contains("of them with an access token of the scoped key"),
        "{summary}"
    );
    assert!(
        stdout.contains("the dashboard is at http://127.0.0.1:"),
        "{stdout}"
    );
    let history = warden::history::History::open(&root.join("target/demo/warden.db")).unwrap();
    assert!(history.runs(None, 100).unwrap().len() >= 2);
    assert!(
        stderr.contains("half-written/job.toml is not one of the demo's jobs (unpublished-courses, set-default-view); it runs as a dry run"),
        "{stderr}"
    );
    let half = history.runs(Some("half-written"), 100).unwrap();
    assert!(!half.is_empty(), "the user's job ran too (dry)");
    for run in &half {
        for request in history.requests(&run.run_id).unwrap() {
            assert_eq!(request.outcome, "dry-run: not sent", "{request:?}");
        }
    }
    assert!(
        !stdout.contains("demo~") && !stderr.contains("demo~"),
        "the demo token leaked"
    );
    for secret in ["client-secret", "canvas-refresh-token"] {
        let value = std::fs::read_to_string(root.join("target/demo").join(secret)).unwrap();
        let value = value.trim();
        assert!(value.len() > 10);
        assert!(
            !stdout.contains(value) && !stderr.contains(value),
            "the {secret} leaked"
        );
    }
    assert!(
        !stdout.contains("7~") && !stderr.contains("7~"),
        "an access token leaked"
    );
}

#[test]
fn pin_binds_the_scopes_to_one_build() {
    let s = Scratch::new("pin", "http://127.0.0.1:9");
    let component = s.0.join("jobs/job.wasm");
    std::fs::copy(warden_test_artifacts::MISBEHAVE, &component).unwrap();
    let manifest = s.job(
        "a.toml",
        "pinned",
        "job.wasm",
        "# the job's own comment stays\nschedule = \"@daily\"",
        &format!("{SCOPE}\n[env]\nMODE = \"ok\""),
    );
    let (out, stdout, _) = s.warden(&["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("is not pinned"), "{stdout}");

    let pin_out = std::process::Command::new(WARDEN)
        .arg("pin")
        .arg(&manifest)
        .output()
        .unwrap();
    assert_eq!(pin_out.status.code(), Some(0));
    let sha = warden::cache::sha256_hex(&std::fs::read(&component).unwrap());
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains(&format!("sha256 = \"{sha}\"")), "{text}");
    assert!(text.contains("# the job's own comment stays"));
    assert!(String::from_utf8_lossy(&pin_out.stdout).contains(&format!("pinned to {sha}")));
    let (out, stdout, _) = s.warden(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("is not pinned"), "{stdout}");
    let (out, _, stderr) = s.warden(&["run", manifest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // The component is swapped: run and check refuse it.
    std::fs::copy(warden_test_artifacts::SNOOP, &component).unwrap();
    let (out, _, stderr) = s.warden(&["run", manifest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("but the manifest pins {sha}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:4:13: component", manifest.display())),
        "{stderr}"
    );
    let (out, stdout, _) = s.warden(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("but the manifest pins"), "{stdout}");

    // Re-pinning after review moves the pin.
    let again = std::process::Command::new(WARDEN)
        .arg("pin")
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains(&format!("pin moved from {sha} to ")));
    let (out, _, _) = s.warden(&["run", manifest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}
