//! The worker token reaches no place a job can read, and no output, report
//! or error of Warden's.

use warden::run::RunError;
use warden::standin::Override;
use warden::token::TokenSource;

use crate::support::{manifest, run, run_with, runner, standin, TOKEN};

const COURSE: &str = "url:GET|/api/v1/courses/:id";

#[tokio::test]
async fn the_job_sees_no_token_anywhere() {
    let canvas = standin().await;
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/4".into(),
        status: 200,
        headers: vec![("x-echo".into(), "{token}".into())],
        body: "{\"token\": \"{token}\"}".into(),
        skip_auth: false,
    });
    // The host reads the token from its own environment, which the job
    // must not inherit.
    let var = "WARDEN_SECRECY_TEST_TOKEN";
    std::env::set_var(var, TOKEN);
    let mut runner = runner(&canvas.base_url());
    runner.token = TokenSource::Env(var.into());

    let mut m = manifest(
        warden_test_artifacts::SNOOP,
        &[COURSE],
        "[env]\nACCOUNT_ID = \"1\"\n",
    );
    m.env.insert("ECHO_PATH".into(), "/api/v1/courses/4".into());
    let masked: String = TOKEN.bytes().map(|b| format!("{:02x}", b ^ 0x5A)).collect();
    m.env.insert("NEEDLE_XOR".into(), masked);
    let ran = run_with(runner, &m, crate::support::fast_retries()).await;
    let out = &ran.stdout;
    assert_eq!(
        ran.report.status,
        warden::run::RunStatus::Succeeded,
        "{}",
        ran.stderr
    );

    // Exactly the declared environment, the job's name as its only argument.
    let mut env: Vec<&str> = out.lines().filter(|l| l.starts_with("env ")).collect();
    env.sort();
    let echo = "env ECHO_PATH=/api/v1/courses/4".to_string();
    let needle = format!("env NEEDLE_XOR={}", m.env["NEEDLE_XOR"]);
    let expected = [
        "env ACCOUNT_ID=1",
        echo.as_str(),
        needle.as_str(),
        "env WARDEN_JOB=test-job",
        "env WARDEN_RUN_ID=test-run",
    ];
    assert_eq!(env, expected);
    let args: Vec<&str> = out.lines().filter(|l| l.starts_with("arg ")).collect();
    assert_eq!(args, ["arg test-job"]);
    // No filesystem at all.
    for attempt in [
        "read_dir /",
        "read_dir .",
        "read /etc/passwd",
        "read /proc/self/environ",
        "write /tmp/warden-snoop",
        "write out.txt",
    ] {
        let line = out.lines().find(|l| l.starts_with(attempt)).unwrap();
        assert!(line.contains(": error: "), "{line}");
    }
    // The echoed token was replaced before the job saw it.
    assert!(out.contains("echo header x-echo: [REDACTED]"), "{out}");
    assert!(
        out.contains("echo body {\"token\": \"[REDACTED]\"}"),
        "{out}"
    );
    // Nowhere in the job's memory.
    let scan = out
        .lines()
        .find(|l| l.starts_with("memory scanned"))
        .unwrap();
    assert!(scan.ends_with("token found 0 times"), "{scan}");
    let scanned: usize = scan.split(' ').nth(2).unwrap().parse().unwrap();
    assert!(scanned >= 1 << 20, "{scan}");
    // Nowhere in its output or the run report.
    assert!(!out.contains(TOKEN) && !ran.stderr.contains(TOKEN));
    assert!(!format!("{:?}", ran.report).contains(TOKEN));
    assert!(!ran.report.summary().contains(TOKEN));
    // While Canvas did get it.
    assert_eq!(
        canvas.requests()[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn a_manifest_cannot_hand_the_token_to_a_job() {
    let canvas = standin().await;
    let mut m = manifest(warden_test_artifacts::SNOOP, &[COURSE], "");
    m.env.insert("SNEAKY".into(), format!("prefix-{TOKEN}"));
    let component = crate::support::component(warden_test_artifacts::SNOOP);
    let err = runner(&canvas.base_url())
        .run(&m, &component, warden::run::RunOptions::new("r"))
        .await
        .expect_err("refused");
    assert!(matches!(err, RunError::TokenInEnv { ref key } if key == "SNEAKY"));
    assert!(!err.to_string().contains(TOKEN), "{err}");
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_rotated_token_file_takes_effect_without_a_restart() {
    let canvas = standin().await;
    let dir = crate::support::TempDir::new("warden-rotate");
    let file = dir.join("token");
    std::fs::write(&file, "7~an-old-revoked-token\n").unwrap();
    let mut runner = runner(&canvas.base_url());
    runner.token = TokenSource::File(file.clone());

    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env.insert(
        "SCRIPT".into(),
        r#"[{"method": "GET", "path": "/api/v1/courses/1"}]"#.into(),
    );
    let ran = run_with(runner.clone(), &m, crate::support::fast_retries()).await;
    assert!(ran.stdout.contains("\"status\":401"), "{}", ran.stdout);
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let ran = run_with(runner, &m, crate::support::fast_retries()).await;
    assert!(ran.stdout.contains("\"status\":200"), "{}", ran.stdout);
}

#[tokio::test]
async fn a_failing_canvas_leaks_no_token_into_errors() {
    let canvas = standin().await;
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/5".into(),
        status: 500,
        headers: vec![],
        body: "internal error while handling Bearer {token}".into(),
        skip_auth: false,
    });
    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env.insert(
        "SCRIPT".into(),
        r#"[{"method": "GET", "path": "/api/v1/courses/5"}]"#.into(),
    );
    let ran = run(&canvas.base_url(), &m).await;
    assert!(ran.stdout.contains("\"status\":500"), "{}", ran.stdout);
    assert!(ran.stdout.contains("Bearer [REDACTED]"));
    assert!(!ran.stdout.contains(TOKEN));
}
