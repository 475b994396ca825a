//! Issue 9 against the stand-in's own OAuth2 provider (no overrides): the
//! login of the real binary (out-of-band and loopback), Canvas's own scope
//! check refusing a request Warden's check let through, a token Canvas
//! expires in the middle of a run, 20 concurrent runs at expiry, and a
//! `warden serve` that survives a revoked authorization, alerts once, and
//! recovers after a new login without a restart.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use warden::config::Config;
use warden::history::History;
use warden::standin::{DeveloperKey, StandIn};
use warden::token::TokenSource;

use crate::support::{
    cache_home, fast_retries, kind, manifest, run_with, runner, standin, TempDir,
};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const CLIENT_ID: &str = "10000000000077";
const CLIENT_SECRET: &str = "StandInClientSecret-Wq4Zr7Tn1Yp9Lm3Kx";
const COURSE: &str = "url:GET|/api/v1/courses/:id";
const COURSES: &str = "url:GET|/api/v1/accounts/:account_id/courses";
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

fn key(redirect: &str) -> DeveloperKey {
    DeveloperKey::scoped(CLIENT_ID, CLIENT_SECRET, redirect, &[COURSE, COURSES])
}

/// A config folder: client secret, `[canvas.oauth]`, a history, one job.
struct Folder {
    dir: TempDir,
}

impl Folder {
    fn new(name: &str, canvas: &StandIn, redirect_uri: &str, extra: &str) -> Folder {
        let dir = TempDir::new(&format!("warden-oauth-flow-{name}"));
        std::fs::create_dir_all(dir.join("jobs")).unwrap();
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::write(dir.join("client-secret"), CLIENT_SECRET).unwrap();
        std::fs::write(
            dir.join("warden.toml"),
            format!(
                "jobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\ncache = \"cache\"\n{extra}[canvas]\nbase_url = {:?}\n[canvas.oauth]\nclient_id = {CLIENT_ID:?}\nclient_secret_file = \"client-secret\"\nrefresh_token_file = \"state/canvas-refresh-token\"\nredirect_uri = {redirect_uri:?}\n",
                canvas.base_url()
            ),
        )
        .unwrap();
        Folder { dir }
    }

    /// Writes jobs/report.toml: the scripted guest with these scopes.
    fn job(&self, scopes: &[&str], schedule: &str, script: serde_json::Value) -> PathBuf {
        let path = self.dir.join("jobs/report.toml");
        std::fs::write(
            &path,
            format!(
                "version = 1\n[job]\nname = \"report\"\ncomponent = {:?}\n{schedule}[canvas]\nscopes = {scopes:?}\n[env]\nSCRIPT = '{script}'\n",
                warden_test_artifacts::SCRIPTED,
            ),
        )
        .unwrap();
        path
    }

    fn config(&self) -> PathBuf {
        self.dir.join("warden.toml")
    }

    /// `warden <args…> --config <this config>`.
    fn warden(&self, args: &[&std::ffi::OsStr]) -> Command {
        let mut c = warden(args);
        c.arg("--config").arg(self.config());
        c
    }

    /// `warden <args…> --config …`, run to the end: (success, stdout, stderr).
    async fn output(&self, args: &[&str]) -> (bool, String, String) {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        let out = self.warden(&args).output().await.unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn refresh_token(&self) -> String {
        std::fs::read_to_string(self.dir.join("state/canvas-refresh-token"))
            .unwrap()
            .trim()
            .to_string()
    }
}

fn warden(args: &[&std::ffi::OsStr]) -> Command {
    let mut c = Command::new(WARDEN);
    c.args(args)
        .env("XDG_CACHE_HOME", cache_home())
        .env_remove("WARDEN_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// The text of a GET, without following redirects.
async fn page(url: &str) -> String {
    http().get(url).send().await.unwrap().text().await.unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens the authorization URL as a browser would, and returns where the
/// stand-in (approving at once) sends the browser.
async fn approve(url: &str) -> String {
    let r = http().get(url).send().await.unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    r.headers()["location"].to_str().unwrap().to_string()
}

/// A `warden auth login` in progress, its authorization URL shown.
struct Login {
    child: tokio::process::Child,
    stdout: tokio::process::ChildStdout,
    shown: String,
    url: String,
}

impl Login {
    async fn start(folder: &Folder) -> Login {
        let mut child = folder
            .warden(&["auth".as_ref(), "login".as_ref()])
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut shown = String::new();
        let url = crate::support::authorize_url_shown(&mut stdout, &mut shown).await;
        Login {
            child,
            stdout,
            shown,
            url,
        }
    }

    /// Waits for the login to succeed; returns its stdout and stderr.
    async fn finish(mut self) -> (String, String) {
        let status = self.child.wait().await.unwrap();
        self.stdout.read_to_string(&mut self.shown).await.unwrap();
        let mut stderr = String::new();
        let mut pipe = self.child.stderr.take().unwrap();
        pipe.read_to_string(&mut stderr).await.unwrap();
        assert!(status.success(), "{}\n{stderr}", self.shown);
        (self.shown, stderr)
    }
}

/// `warden auth login` out-of-band: the admin pastes the address Canvas's
/// page ends on. Returns stdout and stderr.
async fn login_oob(folder: &Folder) -> (String, String) {
    let mut login = Login::start(folder).await;
    let page = approve(&login.url).await;
    let mut stdin = login.child.stdin.take().unwrap();
    stdin
        .write_all(format!("{page}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    login.finish().await
}

/// Every secret the stand-in issued, and the client secret.
fn secrets(canvas: &StandIn) -> Vec<String> {
    let mut all = canvas.issued_access_tokens();
    all.extend(canvas.issued_refresh_tokens());
    all.push(CLIENT_SECRET.to_string());
    all
}

#[track_caller]
fn assert_no_secret(canvas: &StandIn, texts: &[&str]) {
    let secrets = secrets(canvas);
    assert!(secrets.len() >= 3, "{secrets:?}");
    for text in texts {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret leaked: {text}");
        }
    }
}

#[tokio::test]
async fn issue_9_login_oob_then_canvas_refuses_what_the_authorization_lacks() {
    let canvas = standin().await;
    canvas.add_developer_key(key("http://127.0.0.1/"));
    let folder = Folder::new("oob", &canvas, OOB, "");
    let script = json!([
        {"method": "GET", "path": "/api/v1/courses/1", "query": [["include[]", "term"]]},
        {"method": "GET", "path": "/api/v1/accounts/1/courses"},
    ]);
    let job = folder.job(&[COURSE], "", script.clone());

    let (shown, stderr) = login_oob(&folder).await;
    assert!(
        shown.contains("Authorized by Warden Worker (user 1) for 1 scopes"),
        "{shown}"
    );
    assert_eq!(canvas.oauth_stats().code_exchanges, 1);
    assert_eq!(canvas.issued_refresh_tokens(), vec![folder.refresh_token()]);
    assert_no_secret(&canvas, &[&shown, &stderr]);

    // The job now needs a scope the authorization lacks.
    let before = folder.dir.join("report-before.toml");
    std::fs::copy(&job, &before).unwrap();
    folder.job(&[COURSE, COURSES], "", script);
    let (ok, text, _) = folder.output(&["check"]).await;
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("scope {COURSES} is not in Warden's Canvas authorization, so Canvas answers the job's requests under it with 401")),
        "{text}"
    );
    assert!(!text.contains(&format!("scope {COURSE} is not")), "{text}");
    let (before, job) = (before.to_str().unwrap(), job.to_str().unwrap());
    let (ok, text, _) = folder.output(&["scopes", "diff", before, job]).await;
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("+ {COURSES} (needs a new Canvas authorization")),
        "{text}"
    );
    assert!(
        text.contains("1 added scope(s) need a new Canvas authorization"),
        "{text}"
    );

    // Warden's check lets both requests through; Canvas refuses the second.
    let (_, stdout, stderr) = folder.output(&["run", job]).await;
    let results: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(results.len(), 2, "{stdout}\n{stderr}");
    assert_eq!(results[0]["ok"]["status"], 200, "{stdout}");
    // The key does not allow include parameters: Canvas ignored include[].
    let course: serde_json::Value =
        serde_json::from_str(results[0]["ok"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(course["id"], 1);
    assert!(course.get("term").is_none(), "{course}");
    assert_eq!(kind(&results[1]), "insufficient_scope", "{stdout}");
    let message = results[1]["err"]["message"].as_str().unwrap();
    assert!(message.contains("warden auth login"), "{message}");
    let sent: Vec<_> = canvas
        .requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/api/"))
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(sent, ["/api/v1/courses/1", "/api/v1/accounts/1/courses"]);
    // The fresh process renewed the access token once, with the stored
    // refresh token.
    assert_eq!(canvas.oauth_stats().refreshes, 1);

    let history = History::open_read_only(&folder.dir.join("warden.db")).unwrap();
    let run = &history.runs(Some("report"), 1).unwrap()[0];
    let requests = history.requests(&run.run_id).unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].outcome, "ok");
    assert!(
        requests[1].outcome.starts_with("insufficient-scope: "),
        "{:?}",
        requests[1]
    );
    assert_eq!(requests[1].status, Some(401));
    let audit = format!("{:?}{:?}", history.runs(None, 100).unwrap(), requests);

    // Now that a run sent include[], `warden check` says it was ignored.
    let (_, text, _) = folder.output(&["check"]).await;
    assert!(
        text.contains("job report sent include[] parameters in 1 request(s) of its last 1 run(s) (e.g. GET /api/v1/courses/1?include[]=term), but [canvas.oauth] include_parameters = false"),
        "{text}\n{:?}",
        requests[0]
    );
    assert_no_secret(&canvas, &[&stdout, &stderr, &audit]);
}

#[tokio::test]
async fn issue_9_login_on_a_loopback_redirect_against_the_stand_in() {
    let canvas = standin().await;
    let port = crate::support::free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    canvas.add_developer_key(key(&redirect));
    let folder = Folder::new("loopback", &canvas, &redirect, "");
    folder.job(&[COURSE, COURSES], "", json!([]));
    let login = Login::start(&folder).await;
    // The browser follows Canvas's redirect to Warden's one-shot listener.
    let callback = approve(&login.url).await;
    assert!(callback.starts_with(&redirect), "{callback}");
    let page = page(&callback).await;
    assert!(page.contains("Warden received the authorization"), "{page}");
    let (shown, stderr) = login.finish().await;
    assert!(shown.contains("for 2 scopes"), "{shown}");
    assert_eq!(canvas.issued_refresh_tokens(), vec![folder.refresh_token()]);
    assert_no_secret(&canvas, &[&shown, &stderr]);

    // status names who and what, and no secret.
    let (_, text, _) = folder.output(&["auth", "status"]).await;
    assert!(
        text.contains("authorized by: Warden Worker (user 1)"),
        "{text}"
    );
    assert_no_secret(&canvas, &[&text]);

    // logout revokes at Canvas: the refresh token is no more.
    let old = folder.refresh_token();
    let (_, text, _) = folder.output(&["auth", "logout"]).await;
    assert!(
        text.contains("Canvas revoked Warden's authorization."),
        "{text}"
    );
    assert_eq!(canvas.oauth_stats().revocations, 1);
    let refused = http()
        .post(format!("{}/login/oauth2/token", canvas.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", old.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

/// Logs in with the library (the code flow against the stand-in) and
/// returns the config's credential.
async fn logged_in(folder: &Folder, canvas: &StandIn, scopes: &[&str]) -> TokenSource {
    let config = Config::load(&folder.config()).unwrap();
    let session = config.canvas.token.oauth().unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let attempt =
        warden::oauth::login::attempt(session.settings(), session.origin(), scopes.clone())
            .unwrap();
    let page = approve(&attempt.url).await;
    let code = warden::oauth::login::code_from_pasted(&page, Some(&attempt.state)).unwrap();
    warden::oauth::login::complete(session.settings(), session.origin(), &code, scopes)
        .await
        .unwrap();
    assert!(canvas.oauth_stats().code_exchanges >= 1);
    config.canvas.token.clone()
}

#[tokio::test]
async fn issue_9_a_token_canvas_expires_in_the_middle_of_a_run_is_renewed_and_the_run_goes_on() {
    let canvas = standin().await;
    canvas.add_developer_key(key(OOB));
    let folder = Folder::new("midrun", &canvas, OOB, "");
    let source = logged_in(&folder, &canvas, &[COURSE]).await;
    // Right after the first request, Canvas's clock passes the hour.
    canvas.advance_clock_after("GET", "/api/v1/courses/1", Duration::from_secs(3601));
    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env.insert(
        "SCRIPT".into(),
        json!([
            {"method": "GET", "path": "/api/v1/courses/1"},
            {"method": "GET", "path": "/api/v1/courses/2"},
        ])
        .to_string(),
    );
    let mut r = runner(&canvas.base_url());
    r.token = source;
    let ran = run_with(r, &m, fast_retries()).await;
    ran.assert_succeeded();
    let results: Vec<serde_json::Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 2, "{}", ran.stdout);
    assert!(
        results.iter().all(|r| r["ok"]["status"] == 200),
        "{}",
        ran.stdout
    );
    // One renewal at the start (a new process has no access token), one on
    // Canvas's 401; the second request was sent again with the new token.
    assert_eq!(canvas.oauth_stats().refreshes, 2);
    let tokens: Vec<String> = canvas
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/api/"))
        .map(|r| format!("{} {}", r.path(), r.header("authorization").unwrap_or("")))
        .collect();
    let issued = canvas.issued_access_tokens();
    assert_eq!(
        tokens,
        [
            format!("/api/v1/courses/1 Bearer {}", issued[1]),
            format!("/api/v1/courses/2 Bearer {}", issued[1]),
            format!("/api/v1/courses/2 Bearer {}", issued[2]),
        ]
    );
    assert_no_secret(&canvas, &[&ran.stdout, &ran.stderr]);
}

#[tokio::test]
async fn issue_9_the_access_token_is_renewed_before_it_expires() {
    let canvas = standin().await;
    canvas.add_developer_key(key(OOB));
    // Tokens of 4 s: Warden renews a quarter of the life (1 s) before the end.
    canvas.set_token_lifetime(Duration::from_secs(4));
    let folder = Folder::new("before", &canvas, OOB, "");
    let source = logged_in(&folder, &canvas, &[COURSE]).await;
    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env.insert(
        "SCRIPT".into(),
        json!([{"method": "GET", "path": "/api/v1/courses/1"}]).to_string(),
    );
    let run_once = || {
        let mut r = runner(&canvas.base_url());
        r.token = source.clone();
        run_with(r, &m, fast_retries())
    };
    run_once().await.assert_succeeded();
    run_once().await.assert_succeeded();
    assert_eq!(canvas.oauth_stats().refreshes, 1, "a valid token is reused");
    tokio::time::sleep(Duration::from_millis(3300)).await;
    run_once().await.assert_succeeded();
    assert_eq!(
        canvas.oauth_stats().refreshes,
        2,
        "renewed before it expired"
    );
    // No request met an expired token: three runs, three requests.
    let issued = canvas.issued_access_tokens();
    let sent: Vec<String> = canvas
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/api/"))
        .map(|r| r.header("authorization").unwrap_or("").to_string())
        .collect();
    assert_eq!(
        sent,
        [
            format!("Bearer {}", issued[1]),
            format!("Bearer {}", issued[1]),
            format!("Bearer {}", issued[2]),
        ]
    );
}

#[tokio::test]
async fn issue_9_twenty_concurrent_runs_when_canvas_expires_the_token_renew_once() {
    let canvas = standin().await;
    canvas.add_developer_key(key(OOB));
    let folder = Folder::new("twenty", &canvas, OOB, "");
    let source = logged_in(&folder, &canvas, &[COURSE]).await;
    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env.insert(
        "SCRIPT".into(),
        json!([{"method": "GET", "path": "/api/v1/courses/1"}]).to_string(),
    );
    let run_once = |source: TokenSource| {
        let m = m.clone();
        let base = canvas.base_url();
        async move {
            let mut r = runner(&base);
            r.token = source;
            run_with(r, &m, fast_retries()).await
        }
    };
    run_once(source.clone()).await.assert_succeeded();
    assert_eq!(canvas.oauth_stats().refreshes, 1);

    canvas.advance_clock(Duration::from_secs(3601));
    let runs: Vec<_> = (0..20)
        .map(|_| tokio::spawn(run_once(source.clone())))
        .collect();
    for run in runs {
        let ran = run.await.unwrap();
        ran.assert_succeeded();
        assert!(ran.stdout.contains("\"status\":200"), "{}", ran.stdout);
    }
    assert_eq!(
        canvas.oauth_stats().refreshes,
        2,
        "exactly one renewal for 20 runs"
    );
}

type Received = Arc<Mutex<Vec<serde_json::Value>>>;

async fn receiver() -> (String, Received) {
    use axum::body::Bytes;
    use axum::extract::State;
    let received = Received::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .fallback(|State(received): State<Received>, body: Bytes| async move {
            received
                .lock()
                .unwrap()
                .push(serde_json::from_slice(&body).unwrap_or_default());
            "ok"
        })
        .with_state(Arc::clone(&received));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), received)
}

fn credential_alerts(received: &Received) -> Vec<String> {
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|a| a["job"] == "canvas-authorization")
        .map(|a| a["status"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let began = Instant::now();
    while !ok() {
        assert!(began.elapsed() < within, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn api_requests(canvas: &StandIn) -> usize {
    canvas
        .requests()
        .iter()
        .filter(|r| r.path() == "/api/v1/courses/1")
        .count()
}

#[tokio::test]
async fn issue_9_serve_survives_a_revoked_authorization_alerts_once_and_recovers_after_login() {
    let canvas = standin().await;
    canvas.add_developer_key(key(OOB));
    let (hook, received) = receiver().await;
    let folder = Folder::new(
        "serve",
        &canvas,
        OOB,
        &format!("[daemon]\nshutdown_grace = \"3s\"\n[dashboard]\nlisten = \"127.0.0.1:0\"\n[alerts]\nrecovery = true\nwebhooks = [{hook:?}]\n"),
    );
    folder.job(
        &[COURSE],
        "schedule = \"* * * * * *\"\n",
        json!([{"method": "GET", "path": "/api/v1/courses/1"}]),
    );
    logged_in(&folder, &canvas, &[COURSE]).await;

    let mut serve = folder.warden(&["serve".as_ref()]).spawn().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let mut stderr = serve.stderr.take().unwrap();
    let sink = Arc::clone(&log);
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    wait_for("a first run", Duration::from_secs(60), || {
        api_requests(&canvas) >= 2
    })
    .await;

    // The admin deletes Warden's token in Canvas: requests get 401, the
    // renewal is refused, one alert; serve keeps running.
    canvas.revoke_key_tokens(CLIENT_ID);
    wait_for("the credential alert", Duration::from_secs(30), || {
        !credential_alerts(&received).is_empty()
    })
    .await;
    let refused_at = api_requests(&canvas);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        credential_alerts(&received),
        ["failed"],
        "one alert, not one per run"
    );
    let alert = received
        .lock()
        .unwrap()
        .iter()
        .find(|a| a["job"] == "canvas-authorization")
        .cloned()
        .unwrap();
    assert!(
        alert["error"]
            .as_str()
            .unwrap_or("")
            .contains("Canvas refused to renew Warden's access token"),
        "{alert}"
    );
    assert!(
        serve.try_wait().unwrap().is_none(),
        "serve is still running"
    );

    // The dashboard says so, and shows no secret.
    let dashboard = {
        let text = log.lock().unwrap().clone();
        let at = text.find("dashboard on http://").expect("a dashboard line");
        let rest = &text[at + "dashboard on ".len()..];
        rest.split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string()
    };
    let mut pages = String::new();
    for path in ["/", "/jobs/report", "/activity", "/metrics"] {
        let page = page(&format!("{dashboard}{path}")).await;
        pages.push_str(&page);
    }
    assert!(pages.contains("renewal FAILING"), "{pages}");

    // A new login: the running serve picks up the new refresh token by itself.
    logged_in(&folder, &canvas, &[COURSE]).await;
    let began = Instant::now();
    while credential_alerts(&received).len() < 2 {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "no recovery alert: {:?}\n{}",
            received.lock().unwrap(),
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(credential_alerts(&received), ["failed", "succeeded"]);
    wait_for(
        "runs that reach Canvas again",
        Duration::from_secs(30),
        || api_requests(&canvas) >= refused_at + 2,
    )
    .await;

    crate::support::signal(&serve, "TERM");
    let status = tokio::time::timeout(Duration::from_secs(30), serve.wait())
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = log.lock().unwrap().clone();
    assert_eq!(status.code(), Some(0), "{log}");

    let history = History::open_read_only(&folder.dir.join("warden.db")).unwrap();
    let runs = history.runs(Some("report"), 10_000).unwrap();
    let mut outcomes = Vec::new();
    for run in &runs {
        for r in history.requests(&run.run_id).unwrap() {
            outcomes.push(r.outcome);
        }
    }
    assert!(
        outcomes.iter().any(|o| o.starts_with(
            "unavailable: Canvas refused to renew Warden's access token (run warden auth login)"
        )),
        "{outcomes:?}"
    );
    // Runs succeed again after the new login (runs come newest first).
    let newest_ok = outcomes.iter().position(|o| o == "ok");
    let newest_refused = outcomes.iter().position(|o| o.starts_with("unavailable: "));
    assert!(
        matches!((newest_ok, newest_refused), (Some(ok), Some(refused)) if ok < refused),
        "{outcomes:?}"
    );
    let everything = format!(
        "{log}{pages}{:?}{outcomes:?}{:?}",
        runs,
        received.lock().unwrap()
    );
    assert_no_secret(&canvas, &[&everything]);
}
