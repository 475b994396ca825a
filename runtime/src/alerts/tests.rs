//! Alerts against stand-in webhook receivers on 127.0.0.1: what arrives,
//! retries, refusals, unreachable and silent webhooks, the queue bound,
//! flushing, and secrets.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::*;
use crate::token::Token;

const TOKEN: &str = "canvas-token-7c1f9e22d4";
const SECRET_PATH: &str = "services/T000/B000/SECRETSECRET";

/// What a receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Script {
    /// Statuses to answer, in order; 200 once they run out.
    statuses: Mutex<VecDeque<u16>>,
    received: Mutex<Vec<Received>>,
}

/// A webhook receiver answering the scripted statuses.
struct Receiver {
    addr: SocketAddr,
    script: Arc<Script>,
}

impl Receiver {
    async fn start(statuses: &[u16]) -> Receiver {
        let script = Arc::new(Script::default());
        script.statuses.lock().unwrap().extend(statuses);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&script));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { addr, script }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.script.received.lock().unwrap().clone()
    }
}

async fn receive(
    State(script): State<Arc<Script>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.received.lock().unwrap().push(Received {
        path: uri.to_string(),
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    });
    let status = script.statuses.lock().unwrap().pop_front().unwrap_or(200);
    let status = StatusCode::from_u16(status).unwrap();
    if status.is_redirection() {
        (status, [("location", "/elsewhere")], "").into_response()
    } else if status.is_success() {
        (status, "ok").into_response()
    } else {
        (status, "invalid_payload\nmore").into_response()
    }
}

/// A port that accepts connections and never answers; counts them.
async fn silent() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (addr, accepted)
}

/// A port nothing listens on.
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn webhook(url: &str) -> Webhook {
    Webhook::new(WebhookUrl::parse(url).unwrap())
}

fn settings(webhooks: Vec<Webhook>) -> AlertSettings {
    AlertSettings {
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        ..AlertSettings::new(webhooks)
    }
}

/// An alerter whose sink sends every delivery to the returned channel.
fn spawn(settings: AlertSettings) -> (Alerter, mpsc::UnboundedReceiver<Delivery>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let sink: DeliverySink = Arc::new(move |d| {
        let _ = tx.send(d);
    });
    let public_url = Url::parse("https://warden.school.edu/ops/").unwrap();
    let redact = vec![TokenSource::Fixed(Token::new(TOKEN).unwrap())];
    let alerter = Alerter::spawn(settings, Some(public_url), redact, sink).unwrap();
    (alerter, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a delivery is reported")
        .expect("the sink is alive")
}

fn ended(job: &str, run_id: &str, status: RunStatus, error: Option<&str>) -> RunEnded {
    let started_at = Utc.with_ymd_and_hms(2025, 3, 1, 6, 0, 0).unwrap();
    RunEnded {
        job: job.into(),
        run_id: run_id.into(),
        status,
        trigger: Trigger::Schedule,
        error: error.map(str::to_string),
        started_at,
        ended_at: started_at + chrono::Duration::seconds(4),
    }
}

fn failed(run_id: &str) -> RunEnded {
    ended(
        "sync-courses",
        run_id,
        RunStatus::Failed,
        Some("the job exited with code 1"),
    )
}

#[tokio::test]
async fn exactly_one_alert_per_failed_run_with_the_right_fields_and_never_the_token() {
    let receiver = Receiver::start(&[]).await;
    let mut hook = webhook(&receiver.url(SECRET_PATH));
    hook.recovery = true;
    let (alerter, mut rx) = spawn(settings(vec![hook]));

    let leaky = format!("the job exited with code 1; last Canvas error: Bearer {TOKEN} refused");
    alerter.run_ended(ended(
        "sync-courses",
        "r-1",
        RunStatus::Failed,
        Some(&leaky),
    ));
    alerter.run_ended(ended(
        "sync-courses",
        "r-2",
        RunStatus::Cancelled,
        Some("the daemon stopped"),
    ));
    alerter.run_ended(ended("sync-courses", "r-3", RunStatus::Skipped, None));
    alerter.run_ended(ended("other", "r-4", RunStatus::Succeeded, None));
    alerter.run_ended(ended("sync-courses", "r-5", RunStatus::Succeeded, None));
    alerter.run_ended(ended("sync-courses", "r-6", RunStatus::Succeeded, None));
    alerter.run_ended(ended(
        "other",
        "r-7",
        RunStatus::TimedOut,
        Some("ran past 5m"),
    ));
    alerter.run_ended(ended("other", "r-8", RunStatus::Running, None));
    alerter.flush(Duration::from_secs(20)).await;

    // flush waited for all three.
    let reports: Vec<Delivery> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    let summary: Vec<(&str, &str, bool, u32, &str)> = reports
        .iter()
        .map(|d| {
            (
                d.run_id.as_str(),
                d.kind,
                d.delivered,
                d.attempts,
                d.detail.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("r-1", "failure", true, 1, "200 OK"),
            ("r-5", "recovery", true, 1, "200 OK"),
            ("r-7", "failure", true, 1, "200 OK"),
        ]
    );
    let label = format!("http://{}/…", receiver.addr);
    assert!(reports.iter().all(|d| d.webhook == label), "{reports:?}");

    let got = receiver.received();
    assert_eq!(got.len(), 3, "{got:?}");
    for r in &got {
        assert_eq!(r.path, format!("/{SECRET_PATH}"));
        assert_eq!(r.headers["content-type"], "application/json");
        assert_eq!(
            r.headers["user-agent"],
            concat!("warden/", env!("CARGO_PKG_VERSION"))
        );
        assert!(!r.body.contains(TOKEN), "the token was sent: {}", r.body);
    }
    let first = got[0].json();
    assert_eq!(first["warden"], "alert");
    assert_eq!(first["kind"], "failure");
    assert_eq!(first["job"], "sync-courses");
    assert_eq!(first["run_id"], "r-1");
    assert_eq!(first["status"], "failed");
    assert_eq!(first["trigger"], "schedule");
    assert_eq!(
        first["error"],
        "the job exited with code 1; last Canvas error: Bearer [REDACTED] refused"
    );
    assert_eq!(first["started_at"], "2025-03-01T06:00:00.000Z");
    assert_eq!(first["ended_at"], "2025-03-01T06:00:04.000Z");
    assert_eq!(first["url"], "https://warden.school.edu/ops/runs/r-1");
    let text = first["text"].as_str().unwrap();
    assert!(
        text.starts_with("Warden: job sync-courses run r-1 failed: the job exited with code 1")
            && text.ends_with(" https://warden.school.edu/ops/runs/r-1"),
        "{text}"
    );
    assert_eq!(got[1].json()["kind"], "recovery");
    assert_eq!(got[2].json()["status"], "timed-out");
}

#[tokio::test]
async fn server_errors_are_retried_and_the_sink_hears_of_the_third_attempt() {
    let receiver = Receiver::start(&[500, 503, 200]).await;
    let (alerter, mut rx) = spawn(settings(vec![webhook(&receiver.url("hook"))]));
    alerter.run_ended(failed("r-1"));
    let d = next(&mut rx).await;
    assert_eq!(
        (d.delivered, d.attempts, d.detail.as_str()),
        (true, 3, "200 OK")
    );
    assert_eq!(receiver.received().len(), 3);
    // The same body each time.
    let bodies: Vec<String> = receiver.received().into_iter().map(|r| r.body).collect();
    assert!(bodies.iter().all(|b| *b == bodies[0]));
}

#[tokio::test]
async fn a_client_error_or_a_redirect_is_not_retried_and_retries_run_out() {
    let receiver = Receiver::start(&[400, 302, 500, 500, 500]).await;
    let mut s = settings(vec![webhook(&receiver.url("hook"))]);
    s.retries = 2;
    let (alerter, mut rx) = spawn(s);
    alerter.run_ended(failed("r-1"));
    alerter.run_ended(failed("r-2"));
    alerter.run_ended(failed("r-3"));
    let bad = next(&mut rx).await;
    assert_eq!(
        (bad.run_id.as_str(), bad.delivered, bad.attempts),
        ("r-1", false, 1)
    );
    assert_eq!(bad.detail, "400 Bad Request: invalid_payload more");
    let moved = next(&mut rx).await;
    assert_eq!((moved.delivered, moved.attempts), (false, 1));
    assert_eq!(moved.detail, "302 Found (redirects are not followed)");
    let down = next(&mut rx).await;
    assert_eq!((down.delivered, down.attempts), (false, 3));
    assert!(
        down.detail.starts_with("500 Internal Server Error"),
        "{down:?}"
    );
    let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/hook"; 5], "nothing followed to /elsewhere");
}

#[tokio::test]
async fn unreachable_and_silent_webhooks_delay_neither_run_ended_nor_other_webhooks() {
    let receiver = Receiver::start(&[]).await;
    let (silent_addr, accepted) = silent().await;
    let closed = closed_port();
    let mut s = settings(vec![
        webhook(&format!("http://{closed}/{SECRET_PATH}")),
        webhook(&format!("http://{silent_addr}/{SECRET_PATH}")),
        webhook(&receiver.url("hook")),
    ]);
    s.timeout = Duration::from_millis(500);
    s.retries = 1;
    let (alerter, mut rx) = spawn(s);

    let began = Instant::now();
    let mut slowest = Duration::ZERO;
    for i in 0..20 {
        let call = Instant::now();
        alerter.run_ended(failed(&format!("r-{i}")));
        slowest = slowest.max(call.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(50),
        "run_ended took {slowest:?}"
    );

    // The working webhook gets all 20 while the others are still failing.
    for _ in 0..200 {
        if receiver.received().len() == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(receiver.received().len(), 20);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "the working webhook waited for the others: {:?}",
        began.elapsed()
    );
    assert!(
        accepted.load(Ordering::SeqCst) >= 1,
        "the silent webhook was tried"
    );

    // The broken ones report, without their secret path.
    let closed_label = format!("http://{closed}/…");
    let silent_label = format!("http://{silent_addr}/…");
    let mut reports = Vec::new();
    while !reports.iter().any(|d: &Delivery| d.webhook == silent_label) {
        reports.push(next(&mut rx).await);
    }
    let refused = reports.iter().find(|d| d.webhook == closed_label).unwrap();
    assert_eq!((refused.delivered, refused.attempts), (false, 2));
    assert!(
        refused.detail.contains("error sending request"),
        "{refused:?}"
    );
    let unanswered = reports.iter().find(|d| d.webhook == silent_label).unwrap();
    assert_eq!((unanswered.delivered, unanswered.attempts), (false, 2));
    assert_eq!(
        unanswered.detail,
        "no answer within 500ms ([alerts] timeout)"
    );
    for d in &reports {
        assert!(
            !d.webhook.contains("SECRET") && !d.detail.contains("SECRET"),
            "{d:?}"
        );
    }
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_and_flush_reports_what_is_left() {
    let (silent_addr, accepted) = silent().await;
    let mut s = settings(vec![webhook(&format!("http://{silent_addr}/hook"))]);
    s.queue = 3;
    s.retries = 0;
    s.timeout = Duration::from_secs(30);
    let (alerter, mut rx) = spawn(s);
    alerter.run_ended(failed("r-1"));
    for _ in 0..500 {
        if accepted.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "r-1 is being sent");
    for i in 2..=6 {
        alerter.run_ended(failed(&format!("r-{i}")));
    }
    for oldest in ["r-2", "r-3"] {
        let d = next(&mut rx).await;
        assert_eq!(
            (d.run_id.as_str(), d.delivered, d.attempts),
            (oldest, false, 0)
        );
        assert_eq!(
            d.detail,
            "dropped: 3 newer alerts were waiting for this webhook"
        );
    }
    assert_eq!(alerter.pending(), 4, "r-1 in flight and three queued");

    let began = Instant::now();
    alerter.flush(Duration::from_millis(100)).await;
    assert!(began.elapsed() < Duration::from_secs(5));
    for left in ["r-4", "r-5", "r-6"] {
        let d = next(&mut rx).await;
        assert_eq!((d.run_id.as_str(), d.delivered), (left, false));
        assert_eq!(d.detail, "not sent: Warden stopped first");
    }
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn recovery_goes_to_its_own_url_and_only_to_webhooks_that_want_it() {
    let receiver = Receiver::start(&[]).await;
    let healthchecks = Webhook {
        name: Some("healthchecks".into()),
        recovery_url: Some(UrlSource::Inline(
            WebhookUrl::parse(&receiver.url("hc/warden-{job}")).unwrap(),
        )),
        recovery: true,
        ..webhook(&receiver.url("hc/warden-{job}/fail"))
    };
    let quiet = webhook(&receiver.url("chat"));
    let (alerter, mut rx) = spawn(settings(vec![healthchecks, quiet]));
    alerter.run_ended(failed("r-1"));
    alerter.run_ended(ended("sync-courses", "r-2", RunStatus::Succeeded, None));
    alerter.flush(Duration::from_secs(20)).await;
    let mut paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/chat",
            "/hc/warden-sync-courses",
            "/hc/warden-sync-courses/fail"
        ]
    );
    let labels: Vec<String> = std::iter::from_fn(|| rx.try_recv().ok())
        .map(|d| format!("{} {}", d.webhook, d.kind))
        .collect();
    assert!(
        labels.contains(&"healthchecks recovery".to_string()),
        "{labels:?}"
    );
}

#[tokio::test]
async fn a_webhook_file_is_read_at_every_alert() {
    let receiver = Receiver::start(&[]).await;
    let dir = std::env::temp_dir().join(format!("warden-alert-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("hook");
    std::fs::write(&file, format!("{}\n", receiver.url("first"))).unwrap();
    let hook = Webhook {
        url: UrlSource::File(file.clone()),
        ..webhook("https://unused.example/")
    };
    let (alerter, mut rx) = spawn(settings(vec![hook]));
    alerter.run_ended(failed("r-1"));
    assert!(next(&mut rx).await.delivered);
    std::fs::write(&file, receiver.url("second")).unwrap();
    alerter.run_ended(failed("r-2"));
    assert!(next(&mut rx).await.delivered);
    std::fs::write(&file, "ftp://nowhere.example/").unwrap();
    alerter.run_ended(failed("r-3"));
    let bad = next(&mut rx).await;
    assert_eq!((bad.delivered, bad.attempts), (false, 0));
    assert!(bad.detail.contains("has scheme \"ftp\""), "{bad:?}");
    let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/first", "/second"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
