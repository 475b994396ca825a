//! The `warden` binary: `warden run`'s output, exit codes and errors.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{cache_home, standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const TOKEN_VAR: &str = "WARDEN_CLI_TEST_TOKEN";

/// A scratch folder with a warden.toml for `base_url`.
struct Scratch(TempDir);

impl Scratch {
    fn new(name: &str, base_url: &str) -> Scratch {
        let dir = TempDir::new(&format!("warden-cli-{name}"));
        std::fs::write(
            dir.join("warden.toml"),
            format!("[canvas]\nbase_url = {base_url:?}\ntoken_env = {TOKEN_VAR:?}\n"),
        )
        .unwrap();
        Scratch(dir)
    }

    fn job(&self, component: &str, body: &str) -> PathBuf {
        let path = self.0.join("job.toml");
        std::fs::write(
            &path,
            format!(
                "version = 1\n[job]\nname = \"cli-job\"\ncomponent = {component:?}\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n{body}"
            ),
        )
        .unwrap();
        path
    }

    fn config(&self) -> PathBuf {
        self.0.join("warden.toml")
    }
}

async fn warden(args: &[&Path]) -> Output {
    let mut cmd = tokio::process::Command::new(WARDEN);
    cmd.args(args)
        .env(TOKEN_VAR, TOKEN)
        .env("XDG_CACHE_HOME", cache_home())
        .env_remove("WARDEN_LOG");
    cmd.output().await.expect("warden runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn run_prints_output_and_a_summary_and_never_the_token() {
    let canvas = standin().await;
    let scratch = Scratch::new("ok", &canvas.base_url());
    let job = scratch.job(
        warden_test_artifacts::SNOOP,
        "[env]\nECHO_PATH = \"/api/v1/courses/1\"\n",
    );
    let out = warden(&[
        Path::new("-v"),
        Path::new("run"),
        &job,
        Path::new("--config"),
        &scratch.config(),
    ])
    .await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("echo status 200"), "{stdout}");
    assert!(stdout.contains("env WARDEN_JOB=cli-job"));
    // The request log (-v) and the summary line.
    assert!(stderr.contains("GET /api/v1/courses/1 -> 200"), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with("warden: job cli-job succeeded in "),
        "{summary}"
    );
    assert!(
        summary.ends_with("; 1 Canvas request, 0 denied, 0 invalid"),
        "{summary}"
    );
    // The token was in warden's environment, and appears in none of it.
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    assert_eq!(canvas.requests().len(), 1);
}

#[tokio::test]
async fn run_exit_codes_follow_the_job() {
    let canvas = standin().await;
    let scratch = Scratch::new("codes", &canvas.base_url());
    let config = scratch.config();
    let cases = [
        ("exit", "", Some(1), "failed: the job exited with code 1"),
        (
            "spin",
            "[limits]\ntimeout = \"1s\"\n",
            Some(124),
            "timed-out: the job did not finish within its timeout of 1s",
        ),
        (
            "panic",
            "",
            Some(1),
            "failed: the job panicked at src/bin/misbehave.rs:",
        ),
        (
            "alloc",
            "[limits]\nmemory = \"16MiB\"\n",
            Some(1),
            "killed-for-memory: the job tried to grow its memory",
        ),
        ("ok", "", Some(0), "succeeded in"),
    ];
    for (mode, limits, code, summary) in cases {
        let job = scratch.job(
            warden_test_artifacts::MISBEHAVE,
            &format!("{limits}[env]\nMODE = {mode:?}\n"),
        );
        let out = warden(&[Path::new("run"), &job, Path::new("--config"), &config]).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), code, "{mode}: {stderr}");
        let last = stderr.lines().last().unwrap_or("");
        assert!(last.contains(summary), "{mode}: {last}");
        assert!(!stderr.contains(TOKEN));
    }
}

#[tokio::test]
async fn setup_errors_name_the_file_and_exit_2() {
    let canvas = standin().await;
    let scratch = Scratch::new("errors", &canvas.base_url());
    let config = scratch.config();

    let job = scratch.job(
        warden_test_artifacts::SNOOP,
        "[limits]\nmemory = \"lots\"\n",
    );
    let out = warden(&[Path::new("run"), &job, Path::new("--config"), &config]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    let expected = format!(
        "error: {}:8:10: invalid size \"lots\": expected a number",
        job.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");

    let job = scratch.job("missing.wasm", "");
    let out = warden(&[Path::new("run"), &job, Path::new("--config"), &config]).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:4:13: component ", job.display())),
        "{stderr}"
    );
    assert!(stderr.contains("missing.wasm does not exist"), "{stderr}");

    let job = scratch.job(warden_test_artifacts::NET, "");
    let out = warden(&[Path::new("run"), &job, Path::new("--config"), &config]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("imports wasi:sockets/"),
        "{}",
        text(&out.stderr)
    );

    let job = scratch.job(warden_test_artifacts::SNOOP, "");
    let out = warden(&[
        Path::new("run"),
        &job,
        Path::new("--config"),
        &scratch.0.join("nope.toml"),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nope.toml does not exist"));

    // The token variable unset: the error names it and the job never starts.
    let out = tokio::process::Command::new(WARDEN)
        .args([Path::new("run"), &job, Path::new("--config"), &config])
        .env_remove(TOKEN_VAR)
        .env("XDG_CACHE_HOME", cache_home())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("environment variable {TOKEN_VAR} is not set")),
        "{stderr}"
    );
    assert!(canvas.requests().is_empty());
}
