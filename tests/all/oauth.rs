//! Issue 9: a scoped developer key's OAuth2 credential on the request path.
//! The token endpoint is a stand-in override here, so these tests pin the
//! host's side: single-flight renewal, one renewal on a rejected token, the
//! distinct insufficient-scope error, a refused renewal that alerts once and
//! recovers after a new login without a restart, and that no secret of the
//! credential reaches a job.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::json;
use warden::config::Config;
use warden::host::Outcome;
use warden::oauth::CredentialEvent;
use warden::standin::{Override, StandIn};
use warden::token::TokenSource;

use crate::support::{fast_retries, kind, manifest, run_with, runner, standin, Ran, TOKEN};

const COURSE: &str = "url:GET|/api/v1/courses/:id";
const REFRESH_TOKEN: &str = "1~RefreshTokenOfTheWorker-3kq0yT9sUv8wRzBn";
const NEW_REFRESH_TOKEN: &str = "1~RefreshTokenAfterNewLogin-x7Pq2Lm9Vc4Zt";
const CLIENT_SECRET: &str = "ClientSecretOfTheKey-Hn5Rw8Ty2Qp6Lk0Zd";
const TOKEN_PATH: &str = "/login/oauth2/token";

struct Setup {
    dir: PathBuf,
    source: TokenSource,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn setup(name: &str, canvas: &StandIn) -> Setup {
    let dir = std::env::temp_dir().join(format!("warden-oauth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("state")).unwrap();
    std::fs::write(dir.join("client-secret"), format!("{CLIENT_SECRET}\n")).unwrap();
    std::fs::write(dir.join("state/canvas-refresh-token"), REFRESH_TOKEN).unwrap();
    let text = format!(
        "[canvas]\nbase_url = {:?}\n[canvas.oauth]\nclient_id = \"10000000000042\"\nclient_secret_file = \"client-secret\"\nrefresh_token_file = \"state/canvas-refresh-token\"\nredirect_uri = \"urn:ietf:wg:oauth:2.0:oob\"\n",
        canvas.base_url()
    );
    let config = Config::parse(&dir.join("warden.toml"), &text).unwrap();
    assert!(matches!(config.canvas.token, TokenSource::OAuth(_)));
    Setup {
        dir,
        source: config.canvas.token,
    }
}

/// Canvas's answer to a refresh: a new access token, no new refresh token.
fn grants(access_token: &str) -> Override {
    Override::new(
        "POST",
        TOKEN_PATH,
        200,
        json!({"access_token": access_token, "token_type": "Bearer", "user": {"id": 1, "name": "Warden Worker"}, "expires_in": 3600}).to_string(),
    )
    .without_auth()
}

fn refuses() -> Override {
    Override::new(
        "POST",
        TOKEN_PATH,
        400,
        json!({"error": "invalid_grant", "error_description": "refresh_token not found"})
            .to_string(),
    )
    .without_auth()
}

fn renewals(canvas: &StandIn) -> Vec<String> {
    canvas
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path() == TOKEN_PATH)
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

async fn script_with(
    source: &TokenSource,
    base_url: &str,
    steps: serde_json::Value,
) -> (Vec<serde_json::Value>, Ran) {
    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env.insert("SCRIPT".into(), steps.to_string());
    let mut r = runner(base_url);
    r.token = source.clone();
    let ran = run_with(r, &m, fast_retries()).await;
    let results = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (results, ran)
}

#[track_caller]
fn assert_no_secret(texts: &[&str]) {
    for text in texts {
        for secret in [
            REFRESH_TOKEN,
            NEW_REFRESH_TOKEN,
            CLIENT_SECRET,
            TOKEN,
            "1~ExpiredAccessToken",
        ] {
            assert!(!text.contains(secret), "a secret leaked: {text}");
        }
    }
}

fn get_course() -> serde_json::Value {
    json!([{"method": "GET", "path": "/api/v1/courses/1"}])
}

#[tokio::test]
async fn issue_9_twenty_concurrent_runs_at_expiry_renew_exactly_once() {
    let canvas = standin().await;
    // The first renewal hands out a token Canvas no longer takes (it has
    // expired): every run gets 401 with WWW-Authenticate, and one renewal
    // serves them all.
    canvas.add_override(grants(TOKEN));
    canvas.add_override_times(grants("1~ExpiredAccessToken"), 1);
    let s = setup("concurrent", &canvas);
    let runs = (0..20).map(|_| {
        let source = s.source.clone();
        let base = canvas.base_url();
        tokio::spawn(async move { script_with(&source, &base, get_course()).await })
    });
    let mut resent = 0;
    for run in runs {
        let (results, ran) = run.await.unwrap();
        ran.assert_succeeded();
        assert_eq!(results[0]["ok"]["status"], 200, "{results:?}");
        assert_no_secret(&[&ran.stdout, &ran.stderr]);
        // Sent with the expired token, then with the renewed one; or, for
        // a run that started after the renewal, once.
        match ran.attempts().as_slice() {
            [2] => resent += 1,
            [1] => {}
            other => panic!("attempts {other:?}"),
        }
    }
    assert!(resent >= 1, "no run met the expired token");
    let bodies = renewals(&canvas);
    assert_eq!(
        bodies.len(),
        2,
        "one renewal at the start, one at expiry: {bodies:?}"
    );
    for body in &bodies {
        assert!(body.contains("grant_type=refresh_token"), "{body}");
        assert!(body.contains("client_id=10000000000042"), "{body}");
    }
    assert_eq!(s.source.oauth().unwrap().renewals(), 2);
    // Every API request carried a renewed access token, never the refresh token.
    for r in canvas
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/api/"))
    {
        let auth = r.header("authorization").unwrap();
        assert!(
            auth == format!("Bearer {TOKEN}") || auth == "Bearer 1~ExpiredAccessToken",
            "{auth}"
        );
    }
}

#[tokio::test]
async fn issue_9_insufficient_scopes_is_a_distinct_error_and_audited_as_such() {
    let canvas = standin().await;
    canvas.add_override(grants(TOKEN));
    canvas.add_override(Override::new(
        "GET",
        "/api/v1/courses/2",
        401,
        json!({"errors": [{"message": "Insufficient scopes on access token."}]}).to_string(),
    ));
    let s = setup("insufficient", &canvas);
    let (results, ran) = script_with(
        &s.source,
        &canvas.base_url(),
        json!([{"method": "GET", "path": "/api/v1/courses/2"}]),
    )
    .await;
    // Warden's own check passed, so the request was sent.
    assert_eq!(
        canvas
            .requests()
            .iter()
            .filter(|r| r.path() == "/api/v1/courses/2")
            .count(),
        1
    );
    assert_eq!(kind(&results[0]), "insufficient_scope", "{results:?}");
    let message = results[0]["err"]["message"].as_str().unwrap();
    assert!(message.contains("warden auth login"), "{message}");
    assert!(message.contains(COURSE), "{message}");
    match &ran.report.audit[0].outcome {
        Outcome::InsufficientScope(m) => {
            assert!(m.contains("Insufficient scopes on access token."))
        }
        other => panic!("audited as {other:?}"),
    }
    assert_no_secret(&[&ran.stdout, &ran.stderr]);
}

#[tokio::test]
async fn issue_9_a_refused_renewal_alerts_once_and_a_new_login_recovers_without_a_restart() {
    let canvas = standin().await;
    canvas.add_override(refuses());
    let s = setup("revoked", &canvas);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    s.source
        .oauth()
        .unwrap()
        .set_listener(Arc::new(move |e| seen.lock().unwrap().push(e)));

    for _ in 0..3 {
        let (results, ran) = script_with(&s.source, &canvas.base_url(), get_course()).await;
        assert_eq!(kind(&results[0]), "unavailable", "{results:?}");
        let message = results[0]["err"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "Canvas refused to renew Warden's access token (run warden auth login)"
            ),
            "{message}"
        );
        assert!(
            message.contains("invalid_grant: refresh_token not found"),
            "{message}"
        );
        assert_no_secret(&[&ran.stdout, &ran.stderr, message]);
    }
    // Nothing reached the API, Canvas was asked once (the same refused
    // refresh token is not retried at once), and one alert was raised.
    assert!(canvas
        .requests()
        .iter()
        .all(|r| !r.path().starts_with("/api/")));
    assert_eq!(renewals(&canvas).len(), 1);
    let failed: Vec<_> = events.lock().unwrap().clone();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        matches!(&failed[0], CredentialEvent::Failed(m) if m.contains("run warden auth login"))
    );

    // An admin runs `warden auth login`: a new refresh token in the file.
    canvas.clear_overrides();
    canvas.add_override(grants(TOKEN));
    std::fs::write(s.dir.join("state/canvas-refresh-token"), NEW_REFRESH_TOKEN).unwrap();
    let (results, ran) = script_with(&s.source, &canvas.base_url(), get_course()).await;
    ran.assert_succeeded();
    assert_eq!(results[0]["ok"]["status"], 200, "{results:?}");
    let bodies = renewals(&canvas);
    assert_eq!(bodies.len(), 2);
    assert!(
        bodies[1].contains(&format!(
            "refresh_token={}",
            NEW_REFRESH_TOKEN.replace('~', "%7E")
        )) || bodies[1].contains(NEW_REFRESH_TOKEN),
        "{}",
        bodies[1]
    );
    assert_eq!(
        events.lock().unwrap().last(),
        Some(&CredentialEvent::Recovered)
    );
}

#[tokio::test]
async fn issue_9_no_secret_of_the_credential_reaches_the_job() {
    let canvas = standin().await;
    canvas.add_override(grants(TOKEN));
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/9".into(),
        status: 200,
        headers: vec![("x-echo".into(), format!("Bearer {{token}} {REFRESH_TOKEN}"))],
        body: format!("{{\"token\": \"{{token}}\", \"refresh\": \"{REFRESH_TOKEN}\", \"secret\": \"{CLIENT_SECRET}\"}}"),
        skip_auth: false,
    });
    let s = setup("secrecy", &canvas);
    let (results, ran) = script_with(
        &s.source,
        &canvas.base_url(),
        json!([{"method": "GET", "path": "/api/v1/courses/9"}]),
    )
    .await;
    ran.assert_succeeded();
    assert_eq!(
        results[0]["ok"]["body"],
        "{\"token\": \"[REDACTED]\", \"refresh\": \"[REDACTED]\", \"secret\": \"[REDACTED]\"}"
    );
    assert_no_secret(&[&ran.stdout, &ran.stderr, &format!("{:?}", ran.report)]);
    // The debug form of the credential names no secret either.
    assert_no_secret(&[&format!("{:?} {}", s.source, s.source)]);
    let status = std::fs::read_to_string(s.dir.join("state/canvas-refresh-token.json"));
    assert!(status.is_err(), "no login, no status file");
}

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

/// Canvas's answer to the code exchange.
fn exchanges() -> Override {
    Override::new(
        "POST",
        TOKEN_PATH,
        200,
        json!({"access_token": TOKEN, "token_type": "Bearer", "refresh_token": NEW_REFRESH_TOKEN, "user": {"id": 1, "name": "Warden Worker", "global_id": "10000000000001", "effective_locale": "en"}, "expires_in": 3600, "canvas_region": "unknown"}).to_string(),
    )
    .without_auth()
}

/// A config folder for the real binary, with one job and this redirect URI.
fn login_setup(name: &str, canvas: &StandIn, redirect_uri: &str) -> Setup {
    let s = setup(name, canvas);
    std::fs::remove_file(s.dir.join("state/canvas-refresh-token")).unwrap();
    std::fs::create_dir_all(s.dir.join("jobs")).unwrap();
    std::fs::write(
        s.dir.join("jobs/report.toml"),
        format!("version = 1\n[job]\nname = \"report\"\ncomponent = \"report.wasm\"\n[canvas]\nscopes = [{COURSE:?}, \"url:GET|/api/v1/accounts/:account_id/courses\", {COURSE:?}]\n"),
    )
    .unwrap();
    std::fs::write(
        s.dir.join("warden.toml"),
        format!(
            "jobs = [\"jobs/*.toml\"]\n[canvas]\nbase_url = {:?}\n[canvas.oauth]\nclient_id = \"10000000000042\"\nclient_secret_file = \"client-secret\"\nrefresh_token_file = \"state/canvas-refresh-token\"\nredirect_uri = {redirect_uri:?}\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    s
}

fn auth(s: &Setup, command: &str) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(WARDEN);
    c.args(["auth", command, "--config"])
        .arg(s.dir.join("warden.toml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Reads the child's stdout until the authorization URL, which it returns.
async fn authorize_url(stdout: &mut tokio::process::ChildStdout, shown: &mut String) -> url::Url {
    url::Url::parse(&crate::support::authorize_url_shown(stdout, shown).await).unwrap()
}

fn query(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn issue_9_auth_login_oob_stores_the_refresh_token_and_prints_no_secret() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let canvas = standin().await;
    canvas.add_override(exchanges());
    let s = login_setup("login-oob", &canvas, "urn:ietf:wg:oauth:2.0:oob");
    let mut child = auth(&s, "login").spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = String::new();
    let url = authorize_url(&mut stdout, &mut shown).await;
    assert_eq!(query(&url, "client_id").as_deref(), Some("10000000000042"));
    assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query(&url, "redirect_uri").as_deref(),
        Some("urn:ietf:wg:oauth:2.0:oob")
    );
    // The union of the jobs' scopes, without duplicates.
    assert_eq!(
        query(&url, "scope").as_deref(),
        Some("url:GET|/api/v1/accounts/:account_id/courses url:GET|/api/v1/courses/:id")
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"oob-code-123\n").await.unwrap();
    drop(stdin);
    let status = child.wait().await.unwrap();
    stdout.read_to_string(&mut shown).await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(status.success(), "{shown}\n{stderr}");
    assert!(
        shown.contains("Authorized by Warden Worker (user 1) for 2 scopes"),
        "{shown}"
    );
    assert_no_secret(&[&shown, &stderr]);

    let exchange = renewals(&canvas);
    assert_eq!(exchange.len(), 1);
    assert!(
        exchange[0].contains("grant_type=authorization_code")
            && exchange[0].contains("code=oob-code-123"),
        "{}",
        exchange[0]
    );
    let path = s.dir.join("state/canvas-refresh-token");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().trim(),
        NEW_REFRESH_TOKEN
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // status: who, what, when; no secret.
    let out = auth(&s, "status").output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("credential: OAuth2, developer key 10000000000042"),
        "{text}"
    );
    assert!(
        text.contains("authorized by: Warden Worker (user 1)"),
        "{text}"
    );
    assert!(text.contains("current access token expires: "), "{text}");
    assert!(text.contains("url:GET|/api/v1/courses/:id"), "{text}");
    assert_no_secret(&[&text, &String::from_utf8_lossy(&out.stderr)]);

    // logout: revokes at Canvas (DELETE with a renewed access token) and
    // deletes the refresh token.
    canvas.clear_overrides();
    canvas.add_override(grants(TOKEN));
    canvas.add_override(Override::new("DELETE", TOKEN_PATH, 200, "{}"));
    let out = auth(&s, "logout").output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Canvas revoked Warden's authorization."),
        "{text}"
    );
    assert!(!path.exists() && !s.dir.join("state/canvas-refresh-token.json").exists());
    let deleted = canvas
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect::<Vec<_>>();
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[tokio::test]
async fn issue_9_auth_login_on_a_loopback_redirect_checks_the_state() {
    use tokio::io::AsyncReadExt;
    let canvas = standin().await;
    canvas.add_override(exchanges());
    let port = crate::support::free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let s = login_setup("login-loopback", &canvas, &redirect);
    let http = reqwest::Client::new();

    // A redirect with another state is refused, and nothing is stored.
    let mut child = auth(&s, "login").spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = String::new();
    let url = authorize_url(&mut stdout, &mut shown).await;
    assert_eq!(
        query(&url, "redirect_uri").as_deref(),
        Some(redirect.as_str())
    );
    let page = http
        .get(format!("{redirect}?code=stolen&state=not-ours"))
        .send()
        .await
        .unwrap();
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("not the one this login sent"));
    let status = child.wait().await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("it did not come from the authorization Warden started"),
        "{stderr}"
    );
    assert!(renewals(&canvas).is_empty(), "no code was exchanged");
    assert!(!s.dir.join("state/canvas-refresh-token").exists());

    // The browser's redirect with the right state completes the login.
    let mut child = auth(&s, "login").spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = String::new();
    let url = authorize_url(&mut stdout, &mut shown).await;
    let state = query(&url, "state").unwrap();
    assert_eq!(state.len(), 32);
    let page = http
        .get(format!("{redirect}?code=loop-code&state={state}"))
        .send()
        .await
        .unwrap();
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Warden received the authorization"));
    let status = child.wait().await.unwrap();
    stdout.read_to_string(&mut shown).await.unwrap();
    assert!(status.success(), "{shown}");
    assert!(shown.contains("Authorized by Warden Worker"), "{shown}");
    assert_no_secret(&[&shown]);
    let exchange = renewals(&canvas);
    assert_eq!(exchange.len(), 1);
    assert!(exchange[0].contains("code=loop-code"), "{}", exchange[0]);
    assert_eq!(
        std::fs::read_to_string(s.dir.join("state/canvas-refresh-token"))
            .unwrap()
            .trim(),
        NEW_REFRESH_TOKEN
    );
}
