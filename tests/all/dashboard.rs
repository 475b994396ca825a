//! Issue 8, the dashboard and `/metrics` of the real `warden serve`: every
//! page renders (no runs, runs of every status, denials, pagination,
//! filters), hostile output shows as text, neither the Canvas token nor the
//! admin token is in any response, POSTs need the CSRF proof, an admin
//! token puts every page behind a login, a suspension survives a reload and
//! a restart, and the metrics count a known sequence of runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};
use warden::history::{History, NewRun, RunEnd, Trigger};
use warden::run::RunStatus;

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const ADMIN_TOKEN: &str = "admin-3f9a1c7e5b2d4086a1c9e7f3b5d2a4c6";
/// A job prints this; pages must show it as text.
const HOSTILE: &str = "<script>alert(1)</script>";

/// A folder with a config, three jobs and (optionally) an admin token.
struct Setup {
    dir: TempDir,
}

impl Setup {
    fn new(name: &str, base_url: &str, dashboard: &str) -> Setup {
        let dir = TempDir::new(name);
        std::fs::create_dir_all(dir.join("jobs")).unwrap();
        std::fs::write(dir.join("token"), TOKEN).unwrap();
        std::fs::write(dir.join("admin-token"), format!("{ADMIN_TOKEN}\n")).unwrap();
        std::fs::write(
            dir.join("warden.toml"),
            format!(
                "jobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\ncache = \"cache\"\n[canvas]\nbase_url = {base_url:?}\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"5s\"\nreload_interval = \"1h\"\n[dashboard]\n{dashboard}\n"
            ),
        )
        .unwrap();
        // One allowed request, one denied, and one whose path is hostile
        // markup (refused, and printed by the job).
        let script = serde_json::json!([
            {"method": "GET", "path": "/api/v1/courses/1"},
            {"method": "GET", "path": "/api/v1/users/1"},
            {"method": "GET", "path": format!("/api/v1/users/{HOSTILE}")},
        ])
        .to_string();
        std::fs::write(
            dir.join("jobs/lister.toml"),
            format!(
                "version = 1\n[job]\nname = \"lister\"\ndescription = \"Lists a course\"\ncomponent = {:?}\nschedule = \"@yearly\"\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\", \"url:PUT|/api/v1/courses/:id\"]\n[env]\nSCRIPT = {script:?}\n",
                warden_test_artifacts::SCRIPTED
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("jobs/failing.toml"),
            format!(
                "version = 1\n[job]\nname = \"failing\"\ncomponent = {:?}\nschedule = \"@yearly\"\n[canvas]\nscopes = []\n[env]\nMODE = \"canvas-error\"\n",
                warden_test_artifacts::MISBEHAVE
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("jobs/idle.toml"),
            format!(
                "version = 1\n[job]\nname = \"idle\"\ndescription = \"<img src=x onerror=alert(2)>\"\ncomponent = {:?}\nschedule = \"30 6 * * 1-5\"\ntimezone = \"America/New_York\"\n[canvas]\nscopes = []\n[env]\nMODE = \"ok\"\n",
                warden_test_artifacts::MISBEHAVE
            ),
        )
        .unwrap();
        Setup { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.join("warden.toml")
    }
}

/// A running `warden serve` and an HTTP client for its dashboard.
struct Serve {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Serve {
    async fn start(config: &Path) -> Serve {
        let mut child = Command::new(WARDEN)
            .arg("serve")
            .arg("--config")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (found, mut address) = tokio::sync::mpsc::unbounded_channel();
        let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = Arc::clone(&log);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("dashboard on http://") {
                    let rest = &line[at + "dashboard on ".len()..];
                    let url = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches('/');
                    let _ = found.send(url.to_string());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let base = tokio::time::timeout(Duration::from_secs(60), address.recv())
            .await
            .unwrap_or_else(|_| panic!("no dashboard line:\n{}", log.lock().unwrap()))
            .unwrap_or_else(|| panic!("serve ended:\n{}", log.lock().unwrap()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Serve {
            child,
            base,
            log,
            http,
        }
    }

    async fn get(&self, path: &str) -> (u16, HashMap<String, String>, String) {
        self.get_with(path, &[]).await
    }

    async fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, HashMap<String, String>, String) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (u16, HashMap<String, String>, String) {
        let body = form
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        answer(request.send().await.unwrap()).await
    }

    /// The CSRF token of the forms on `path`.
    async fn csrf(&self, path: &str, headers: &[(&str, &str)]) -> String {
        let (_, _, page) = self.get_with(path, headers).await;
        csrf_of(&page)
    }

    /// Waits until run `id`'s page says it ended.
    async fn wait_run(&self, id: &str) -> String {
        self.wait_run_with(id, &[]).await
    }

    /// [`Serve::wait_run`] with these request headers (a session cookie).
    async fn wait_run_with(&self, id: &str, headers: &[(&str, &str)]) -> String {
        for _ in 0..300 {
            let (status, _, page) = self.get_with(&format!("/runs/{id}"), headers).await;
            if status == 200 && !page.contains("http-equiv=\"refresh\"") {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("run {id} did not end:\n{}", self.log.lock().unwrap());
    }

    async fn stop(mut self) -> String {
        let pid = self.child.id().unwrap().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let log = self.log.lock().unwrap().clone();
        assert_eq!(status.code(), Some(0), "{log}");
        log
    }
}

async fn answer(response: reqwest::Response) -> (u16, HashMap<String, String>, String) {
    let status = response.status().as_u16();
    let mut headers = HashMap::new();
    for (k, v) in response.headers() {
        headers
            .entry(k.as_str().to_string())
            .and_modify(|old: &mut String| {
                old.push('\n');
                old.push_str(v.to_str().unwrap_or(""));
            })
            .or_insert_with(|| v.to_str().unwrap_or("").to_string());
    }
    (status, headers, response.text().await.unwrap())
}

fn csrf_of(page: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf" value="([0-9a-f]+)""#).unwrap();
    re.captures(page)
        .unwrap_or_else(|| panic!("no CSRF token in:\n{page}"))[1]
        .to_string()
}

/// The run id a `POST …/run` redirected to.
fn run_id_of(headers: &HashMap<String, String>) -> String {
    headers["location"]
        .strip_prefix("/runs/")
        .expect("redirected to the run page")
        .to_string()
}

/// A stand-in, a setup with a loopback dashboard, and its `warden serve`.
async fn loopback(name: &str) -> (warden::standin::StandIn, Setup, Serve) {
    let canvas = standin().await;
    let setup = Setup::new(name, &canvas.base_url(), "listen = \"127.0.0.1:0\"");
    let serve = Serve::start(&setup.config()).await;
    (canvas, setup, serve)
}

const SAME_ORIGIN: [(&str, &str); 1] = [("sec-fetch-site", "same-origin")];

/// Form fields or headers.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

fn assert_secure_headers(path: &str, headers: &HashMap<String, String>) {
    let csp = &headers["content-security-policy"];
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{path}: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    assert_eq!(headers["cache-control"], "no-store", "{path}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
}

/// Runs of every status, and enough of them for two pages.
fn seed_history(db: &Path) {
    let history = History::open(db).unwrap();
    let start = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let statuses = [
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::TimedOut,
        RunStatus::KilledForMemory,
        RunStatus::Cancelled,
        RunStatus::Interrupted,
    ];
    for i in 0..60 {
        let at: DateTime<Utc> = start + chrono::Duration::minutes(i);
        let run_id = format!("seed-{i:03}");
        history
            .start_run(&NewRun {
                run_id: run_id.clone(),
                job: "lister".into(),
                scheduled_at: Some(at),
                started_at: at,
                attempt: 0,
                trigger: Trigger::Schedule,
            })
            .unwrap();
        let status = statuses[i as usize % statuses.len()];
        history
            .finish_run(
                &run_id,
                &RunEnd::without_report(
                    status,
                    format!("seeded {status}"),
                    at + chrono::Duration::seconds(2),
                ),
            )
            .unwrap();
    }
    let late = start + chrono::Duration::minutes(90);
    history
        .record_skipped("lister", late, "the previous run was still going", late)
        .unwrap();
}

#[tokio::test]
async fn issue_8_every_page_renders_escapes_job_output_and_holds_no_secret() {
    let canvas = standin().await;
    let setup = Setup::new(
        "warden-dashboard-pages",
        &canvas.base_url(),
        "listen = \"127.0.0.1:0\"",
    );
    seed_history(&setup.dir.join("warden.db"));
    let serve = Serve::start(&setup.config()).await;

    // A job with no runs, before anything ran.
    let (status, headers, idle) = serve.get("/jobs/idle").await;
    assert_eq!(status, 200, "{idle}");
    assert_secure_headers("/jobs/idle", &headers);
    assert!(idle.contains("No runs."), "{idle}");
    assert!(idle.contains("America/New_York"), "{idle}");
    assert!(
        !idle.contains("<img src=x"),
        "a description was not escaped"
    );
    assert!(idle.contains("&#60;img src=x"), "{idle}");

    // Run two jobs from the dashboard.
    let csrf = serve.csrf("/", &[]).await;
    let mut runs = Vec::new();
    for job in ["lister", "failing"] {
        let (status, headers, body) = serve
            .post(
                &format!("/jobs/{job}/run"),
                &[("csrf", &csrf)],
                &SAME_ORIGIN,
            )
            .await;
        assert_eq!(status, 303, "{body}");
        runs.push(run_id_of(&headers));
    }
    let lister_run = serve.wait_run(&runs[0]).await;
    let failing_run = serve.wait_run(&runs[1]).await;
    assert!(lister_run.contains("succeeded"), "{lister_run}");
    assert!(lister_run.contains("/api/v1/courses/1"), "{lister_run}");
    assert!(
        lister_run.contains("url:GET|/api/v1/courses/:id"),
        "{lister_run}"
    );
    assert!(lister_run.contains("<tr class=\"denied\">"), "{lister_run}");
    assert!(!lister_run.contains(HOSTILE), "job output was not escaped");
    assert!(
        lister_run.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{lister_run}"
    );
    assert!(failing_run.contains("failed"), "{failing_run}");
    assert!(failing_run.contains("last Canvas error"), "{failing_run}");

    // Every page, for the token and the admin token, and the headers.
    let mut pages = vec![
        "/".to_string(),
        "/activity".into(),
        "/jobs/lister".into(),
        "/jobs/failing".into(),
        "/jobs/idle".into(),
        "/jobs/lister?page=2".into(),
        "/jobs/lister?status=failed".into(),
        "/jobs/lister?trigger=manual".into(),
        "/runs/seed-001".into(),
        "/metrics".into(),
        "/healthz".into(),
        "/readyz".into(),
        "/static/style.css".into(),
        "/static/local.js".into(),
    ];
    pages.extend(runs.iter().map(|id| format!("/runs/{id}")));
    let mut bodies = HashMap::new();
    for path in &pages {
        let (status, headers, body) = serve.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_secure_headers(path, &headers);
        assert!(!body.contains(TOKEN), "{path} shows the Canvas token");
        assert!(!body.contains(ADMIN_TOKEN), "{path} shows the admin token");
        bodies.insert(path.clone(), body);
    }

    let jobs = &bodies["/"];
    for job in ["lister", "failing", "idle"] {
        assert!(jobs.contains(&format!("id=\"job-{job}\"")), "{jobs}");
    }
    assert!(jobs.contains("from the token file"), "{jobs}");
    assert!(jobs.contains("(readable)"), "{jobs}");
    assert!(jobs.contains("class=\"mark "), "{jobs}");
    assert!(jobs.contains(" UTC"), "{jobs}");
    assert!(jobs.contains("EST (America/New_York)") || jobs.contains("EDT (America/New_York)"));

    // The job page: every status, pagination, write scopes, suggestions.
    let lister = &bodies["/jobs/lister"];
    for status in [
        "succeeded",
        "failed",
        "timed-out",
        "killed-for-memory",
        "cancelled",
        "interrupted",
        "skipped",
    ] {
        assert!(
            lister.contains(&format!("class=\"status {status}\"")),
            "{status} missing"
        );
    }
    assert!(lister.contains("62 run(s); page 1 of 2"), "{lister}");
    assert!(lister.contains("Older →"), "{lister}");
    assert!(lister.contains("badge write"), "{lister}");
    assert!(lister.contains("Suggested scopes"), "{lister}");
    assert!(
        lister.contains("unused in the last"),
        "the PUT scope is unused"
    );
    let page2 = &bodies["/jobs/lister?page=2"];
    assert!(
        page2.contains("page 2 of 2") && page2.contains("← Newer"),
        "{page2}"
    );
    assert!(page2.contains("seed-000"), "{page2}");
    let failed = &bodies["/jobs/lister?status=failed"];
    assert!(failed.contains("10 run(s)"), "{failed}");
    assert!(!failed.contains("class=\"status succeeded\""), "{failed}");
    let manual = &bodies["/jobs/lister?trigger=manual"];
    assert!(
        manual.contains("1 run(s)") && manual.contains(&runs[0]),
        "{manual}"
    );
    let (status, _, _) = serve.get("/jobs/lister?status=bogus").await;
    assert_eq!(status, 400);
    let (status, _, _) = serve.get("/jobs/nobody").await;
    assert_eq!(status, 404);
    let (status, _, _) = serve.get("/runs/nothing-here").await;
    assert_eq!(status, 404);

    let activity = &bodies["/activity"];
    assert!(
        activity.contains("run-now") && activity.contains(&runs[1]),
        "{activity}"
    );

    let log = serve.stop().await;
    assert!(!log.contains(TOKEN));
    assert!(!log.contains(ADMIN_TOKEN));
}

#[tokio::test]
async fn issue_8_a_post_without_the_csrf_proof_changes_nothing_and_a_suspension_lasts() {
    let (_canvas, setup, serve) = loopback("warden-dashboard-csrf").await;
    let csrf = serve.csrf("/jobs/idle", &[]).await;
    let refused: [(&str, Pairs, Pairs); 5] = [
        ("no token", vec![], SAME_ORIGIN.to_vec()),
        (
            "a wrong token",
            vec![("csrf", "00ff")],
            SAME_ORIGIN.to_vec(),
        ),
        (
            "another site",
            vec![("csrf", &csrf)],
            vec![("sec-fetch-site", "cross-site")],
        ),
        (
            "a sibling site",
            vec![("csrf", &csrf)],
            vec![("sec-fetch-site", "same-site")],
        ),
        (
            "another origin",
            vec![("csrf", &csrf)],
            vec![("origin", "https://evil.example")],
        ),
    ];
    for (what, form, headers) in &refused {
        for action in ["suspend", "run"] {
            let (status, _, body) = serve
                .post(&format!("/jobs/idle/{action}"), form, headers)
                .await;
            assert_eq!(status, 403, "{action} with {what}: {body}");
            assert!(body.contains("nothing was changed"), "{body}");
        }
    }
    let history = History::open_read_only(&setup.dir.join("warden.db")).unwrap();
    assert!(history.suspensions().unwrap().is_empty());
    assert!(history.runs(Some("idle"), 10).unwrap().is_empty());
    let (_, _, metrics) = serve.get("/metrics").await;
    assert_eq!(
        sample(&metrics, "warden_job_suspended", &[("job", "idle")]),
        Some(0.0)
    );

    // With the proof: suspended, and it says by whom.
    let (status, headers, _) = serve
        .post("/jobs/idle/suspend", &[("csrf", &csrf)], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/jobs/idle");
    let (_, _, page) = serve.get("/jobs/idle").await;
    assert!(page.contains("badge suspended"), "{page}");
    assert!(
        page.contains("Suspended by admin from 127.0.0.1 (dashboard)"),
        "{page}"
    );
    assert!(page.contains("/jobs/idle/resume"), "{page}");
    // Suspending twice is refused and says why.
    let (status, _, body) = serve
        .post("/jobs/idle/suspend", &[("csrf", &csrf)], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already suspended"), "{body}");
    let (_, _, metrics) = serve.get("/metrics").await;
    assert_eq!(
        sample(&metrics, "warden_job_suspended", &[("job", "idle")]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &metrics,
            "warden_job_next_run_timestamp_seconds",
            &[("job", "idle")]
        ),
        None
    );

    // A reload (SIGHUP) and a restart keep it.
    let pid = serve.child.id().unwrap().to_string();
    std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (_, _, page) = serve.get("/jobs/idle").await;
    assert!(page.contains("badge suspended"), "after a reload: {page}");
    serve.stop().await;
    let serve = Serve::start(&setup.config()).await;
    let (_, _, page) = serve.get("/jobs/idle").await;
    assert!(page.contains("badge suspended"), "after a restart: {page}");
    let csrf = csrf_of(&page);
    let (status, _, _) = serve
        .post("/jobs/idle/resume", &[("csrf", &csrf)], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = serve.get("/jobs/idle").await;
    assert!(!page.contains("badge suspended"), "{page}");
    let (_, _, metrics) = serve.get("/metrics").await;
    assert!(sample(
        &metrics,
        "warden_job_next_run_timestamp_seconds",
        &[("job", "idle")]
    )
    .is_some());
    serve.stop().await;

    let history = History::open_read_only(&setup.dir.join("warden.db")).unwrap();
    assert!(history.suspensions().unwrap().is_empty());
    let actions: Vec<(String, String)> = history
        .activity(50)
        .unwrap()
        .into_iter()
        .map(|a| (a.action, a.outcome))
        .collect();
    assert!(
        actions.contains(&("suspend".into(), "suspended".into())),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("resume".into(), "resumed".into())),
        "{actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, o)| a == "suspend" && o.starts_with("refused: job idle is already suspended")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn issue_8_with_an_admin_token_every_page_needs_a_login() {
    let canvas = standin().await;
    let setup = Setup::new(
        "warden-dashboard-login",
        &canvas.base_url(),
        "listen = \"127.0.0.1:0\"\nadmin_token_file = \"admin-token\"",
    );
    let serve = Serve::start(&setup.config()).await;
    for path in ["/", "/jobs/lister", "/activity", "/runs/x"] {
        let (status, headers, _) = serve.get(path).await;
        assert_eq!(status, 303, "{path}");
        assert_eq!(headers["location"], "/login", "{path}");
    }
    let (status, _, _) = serve.get("/metrics").await;
    assert_eq!(status, 401);
    let bearer = format!("Bearer {ADMIN_TOKEN}");
    let (status, _, metrics) = serve
        .get_with("/metrics", &[("authorization", &bearer)])
        .await;
    assert_eq!(status, 200);
    assert!(!metrics.contains(ADMIN_TOKEN) && !metrics.contains(TOKEN));
    let (status, _, _) = serve
        .get_with(
            "/metrics",
            &[("authorization", "Bearer not-the-admin-token")],
        )
        .await;
    assert_eq!(status, 401);
    for path in ["/healthz", "/readyz", "/static/style.css"] {
        assert_eq!(serve.get(path).await.0, 200, "{path}");
    }
    // A POST without a session changes nothing.
    let (status, _, _) = serve
        .post("/jobs/lister/run", &[("csrf", "x")], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 401);

    let (status, _, form) = serve.get("/login").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&form);
    let (status, headers, body) = serve
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("token", "admin-3f9a1c7e5b2d4086a1c9e7f3b5d2a4c7"),
            ],
            &SAME_ORIGIN,
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(!headers.contains_key("set-cookie"));
    assert!(!body.contains(ADMIN_TOKEN));
    // The login form needs the CSRF proof too.
    let (status, headers, _) = serve
        .post("/login", &[("token", ADMIN_TOKEN)], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 403);
    assert!(!headers.contains_key("set-cookie"));

    let (status, headers, _) = serve
        .post(
            "/login",
            &[("csrf", &csrf), ("token", ADMIN_TOKEN)],
            &SAME_ORIGIN,
        )
        .await;
    assert_eq!(status, 303);
    let cookie = &headers["set-cookie"];
    for part in ["warden_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains(ADMIN_TOKEN));
    let session = cookie.split(';').next().unwrap().to_string();
    let with_cookie = [("cookie", session.as_str())];
    let (status, _, page) = serve.get_with("/", &with_cookie).await;
    assert_eq!(status, 200);
    assert!(page.contains("Log out"));
    assert!(!page.contains(ADMIN_TOKEN) && !page.contains(TOKEN));
    // The session's forms carry the session's CSRF token, not the login form's.
    let session_csrf = csrf_of(&page);
    assert_ne!(session_csrf, csrf);
    let mut headers = with_cookie.to_vec();
    headers.extend(SAME_ORIGIN);
    let (status, _, _) = serve
        .post("/jobs/lister/run", &[("csrf", &csrf)], &headers)
        .await;
    assert_eq!(status, 403);
    let (status, redirect, _) = serve
        .post("/jobs/lister/run", &[("csrf", &session_csrf)], &headers)
        .await;
    assert_eq!(status, 303);
    serve
        .wait_run_with(&run_id_of(&redirect), &with_cookie)
        .await;
    // Logging out ends the session.
    let (status, _, _) = serve
        .post("/logout", &[("csrf", &session_csrf)], &headers)
        .await;
    assert_eq!(status, 303);
    assert_eq!(serve.get_with("/", &with_cookie).await.0, 303);
    let log = serve.stop().await;
    assert!(log.contains("was refused (wrong admin token)"), "{log}");
    assert!(!log.contains(ADMIN_TOKEN));
    let history = History::open_read_only(&setup.dir.join("warden.db")).unwrap();
    let logins: Vec<String> = history
        .activity(50)
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "login")
        .map(|a| a.outcome)
        .collect();
    assert_eq!(logins.len(), 2, "{logins:?}");
}

#[test]
fn issue_8_serve_refuses_a_dashboard_others_can_reach_without_an_admin_token() {
    let dir = TempDir::new("warden-dashboard-open");
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(
        dir.join("warden.toml"),
        "state = \"warden.db\"\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_file = \"token\"\n[dashboard]\nlisten = \"0.0.0.0:0\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(WARDEN)
        .arg("serve")
        .arg("--config")
        .arg(dir.join("warden.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("warden.toml:6:10"), "{stderr}");
    assert!(stderr.contains("needs admin_token_file"), "{stderr}");
    assert!(!dir.join("warden.db").exists(), "serve started anyway");
}

/// The value of one sample of the exposition: `name{labels…} value`, where
/// the sample's labels include `labels`.
fn sample(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples(exposition)
        .into_iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| v)
}

/// Every sample of an OpenMetrics text exposition, parsed.
fn samples(exposition: &str) -> Vec<(String, HashMap<String, String>, f64)> {
    let line_re = regex::Regex::new(r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$"#).unwrap();
    let label_re = regex::Regex::new(r#"([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#).unwrap();
    let mut out = Vec::new();
    for line in exposition.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let c = line_re
            .captures(line)
            .unwrap_or_else(|| panic!("not an exposition line: {line:?}"));
        let labels = c
            .get(3)
            .map(|m| {
                label_re
                    .captures_iter(m.as_str())
                    .map(|l| (l[1].to_string(), l[2].to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let value = match &c[4] {
            "+Inf" => f64::INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        out.push((c[1].to_string(), labels, value));
    }
    out
}

#[tokio::test]
async fn issue_8_metrics_count_a_known_sequence_of_runs() {
    let (_canvas, _setup, serve) = loopback("warden-dashboard-metrics").await;
    let csrf = serve.csrf("/", &[]).await;
    let mut ids = Vec::new();
    for job in ["lister", "lister", "failing"] {
        let (status, headers, body) = serve
            .post(
                &format!("/jobs/{job}/run"),
                &[("csrf", &csrf)],
                &SAME_ORIGIN,
            )
            .await;
        assert_eq!(status, 303, "{body}");
        let id = run_id_of(&headers);
        serve.wait_run(&id).await;
        ids.push(id);
    }
    let (status, headers, text) = serve.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("application/openmetrics-text"));
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    let all = samples(&text);
    let get = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);

    assert_eq!(
        get(
            "warden_job_runs_total",
            &[
                ("job", "lister"),
                ("status", "succeeded"),
                ("trigger", "manual")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "warden_job_runs_total",
            &[
                ("job", "failing"),
                ("status", "failed"),
                ("trigger", "manual")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            "warden_job_run_duration_seconds_count",
            &[("job", "lister")]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "warden_job_run_duration_seconds_bucket",
            &[("job", "lister"), ("le", "+Inf")]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "warden_canvas_requests_total",
            &[
                ("job", "lister"),
                ("method", "GET"),
                ("status_class", "2xx")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "warden_canvas_refusals_total",
            &[("job", "lister"), ("kind", "denied")]
        ),
        Some(2.0)
    );
    let last = get(
        "warden_job_last_success_timestamp_seconds",
        &[("job", "lister")],
    )
    .unwrap();
    let now = Utc::now().timestamp() as f64;
    assert!(last <= now + 1.0 && last > now - 120.0, "{last} vs {now}");
    assert_eq!(
        get(
            "warden_job_last_success_timestamp_seconds",
            &[("job", "failing")]
        ),
        None
    );
    for job in ["lister", "failing", "idle"] {
        assert_eq!(
            get("warden_job_running", &[("job", job)]),
            Some(0.0),
            "{job}"
        );
        assert_eq!(
            get("warden_job_suspended", &[("job", job)]),
            Some(0.0),
            "{job}"
        );
        let next = get("warden_job_next_run_timestamp_seconds", &[("job", job)]).unwrap();
        assert!(next > now, "{job}: next firing {next} is not after {now}");
        let interval = get("warden_job_interval_seconds", &[("job", job)]).unwrap();
        assert!(interval >= 86_400.0, "{job}: {interval}");
    }
    assert_eq!(get("warden_history_writable", &[]), Some(1.0));
    assert_eq!(
        get(
            "warden_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    // Bounded labels only: no run id, no path, anywhere.
    for (name, labels, _) in &all {
        for (key, value) in labels {
            assert!(
                [
                    "job",
                    "status",
                    "trigger",
                    "method",
                    "status_class",
                    "kind",
                    "le",
                    "version"
                ]
                .contains(&key.as_str()),
                "{name} has label {key}"
            );
            assert!(!value.contains('/'), "{name}{{{key}={value:?}}}");
            for id in &ids {
                assert!(!value.contains(id.as_str()), "{name} names run {id}");
            }
        }
    }
    serve.stop().await;
}

#[tokio::test]
async fn issue_8_cancel_stops_a_run_that_is_going_and_says_who() {
    let canvas = standin().await;
    let setup = Setup::new(
        "warden-dashboard-cancel",
        &canvas.base_url(),
        "listen = \"127.0.0.1:0\"",
    );
    std::fs::write(
        setup.dir.join("jobs/spinner.toml"),
        format!(
            "version = 1\n[job]\nname = \"spinner\"\ncomponent = {:?}\nschedule = \"@yearly\"\n[canvas]\nscopes = []\n[limits]\ntimeout = \"2m\"\n[env]\nMODE = \"spin\"\n",
            warden_test_artifacts::MISBEHAVE
        ),
    )
    .unwrap();
    let serve = Serve::start(&setup.config()).await;
    let csrf = serve.csrf("/", &[]).await;
    let (status, headers, _) = serve
        .post("/jobs/spinner/run", &[("csrf", &csrf)], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 303);
    let id = run_id_of(&headers);
    // Going: the page offers Cancel, and "forbid" refuses a second run.
    let mut going = String::new();
    for _ in 0..100 {
        going = serve.get(&format!("/runs/{id}")).await.2;
        if going.contains(&format!("/runs/{id}/cancel")) && going.contains("status running") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(going.contains(&format!("/runs/{id}/cancel")), "{going}");
    let (status, _, body) = serve
        .post("/jobs/spinner/run", &[("csrf", &csrf)], &SAME_ORIGIN)
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already running"), "{body}");
    let (_, _, metrics) = serve.get("/metrics").await;
    assert_eq!(
        sample(&metrics, "warden_job_running", &[("job", "spinner")]),
        Some(1.0)
    );

    let (status, headers, _) = serve
        .post(
            &format!("/runs/{id}/cancel"),
            &[("csrf", &csrf)],
            &SAME_ORIGIN,
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], format!("/runs/{id}"));
    let page = serve.wait_run(&id).await;
    assert!(page.contains("class=\"status cancelled\""), "{page}");
    assert!(
        page.contains("cancelled by admin from 127.0.0.1 (dashboard)"),
        "{page}"
    );
    let (status, _, _) = serve
        .post(
            &format!("/runs/{id}/cancel"),
            &[("csrf", &csrf)],
            &SAME_ORIGIN,
        )
        .await;
    assert_eq!(status, 404, "a run that ended cannot be cancelled");
    serve.stop().await;
    let history = History::open_read_only(&setup.dir.join("warden.db")).unwrap();
    assert!(history
        .activity(50)
        .unwrap()
        .iter()
        .any(|a| a.action == "cancel"
            && a.run_id.as_deref() == Some(id.as_str())
            && a.outcome == "cancelled"));
}
