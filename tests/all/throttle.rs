//! Canvas's rate limit and failures: the governor shared by concurrent
//! jobs against the stand-in's throttling mode, retries of throttled, 5xx
//! and failed-connection requests (and the methods that are never retried),
//! the per-request timeout and the per-run response budget.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use warden::governor::{Governor, GovernorSettings};
use warden::host::Outcome;
use warden::run::{RunStatus, Runner};
use warden::standin::{Override, StandIn, Throttle, ThrottleStatus};

use crate::support::{fast_retries, kind, manifest, run_with, runner, script, standin, statuses};

const COURSE: &str = "url:GET|/api/v1/courses/:id";
const PUT_COURSE: &str = "url:PUT|/api/v1/courses/:id";
const CREATE_COURSE: &str = "url:POST|/api/v1/accounts/:account_id/courses";

/// Jobs that run at once, and the GETs each sends.
const JOBS: usize = 6;
const GETS_PER_JOB: usize = 15;

/// The stand-in's bucket for the governor test: small, so that six jobs
/// overrun it within a fraction of a second.
fn small_bucket(status: ThrottleStatus) -> Throttle {
    Throttle {
        capacity: 10.0,
        refill_per_sec: 20.0,
        cost: 1.0,
        status,
    }
}

/// What the six jobs of one round saw.
struct Round {
    took: Duration,
    /// Answers refused for the rate limit, as the stand-in counted them.
    throttled_at_canvas: u64,
    /// `throttled` errors the guests got.
    throttled_errors: usize,
    /// 403 and 429 answers the guests got.
    throttled_statuses: usize,
    ok: usize,
    requests_at_canvas: usize,
    held: Duration,
}

/// Runs `JOBS` scripted jobs at once, each with `GETS_PER_JOB` GETs, through
/// `runner`, against a freshly filled throttling bucket.
async fn round(canvas: &StandIn, runner: Runner) -> Round {
    canvas.set_throttle(Some(small_bucket(ThrottleStatus::Forbidden)));
    canvas.clear_requests();
    let before = canvas.throttled();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for job in 0..JOBS {
        let steps: Vec<Value> = (0..GETS_PER_JOB)
            .map(|_| json!({"method": "GET", "path": format!("/api/v1/courses/{}", 1 + job)}))
            .collect();
        let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
        m.env.insert("SCRIPT".into(), json!(steps).to_string());
        let runner = runner.clone();
        tasks.spawn(async move { run_with(runner, &m, fast_retries()).await });
    }
    let mut out = Round {
        took: Duration::ZERO,
        throttled_at_canvas: 0,
        throttled_errors: 0,
        throttled_statuses: 0,
        ok: 0,
        requests_at_canvas: 0,
        held: Duration::ZERO,
    };
    while let Some(ran) = tasks.join_next().await {
        let ran = ran.expect("the job's task");
        out.held += ran.report.stats.held;
        for line in ran.stdout.lines() {
            let result: Value = serde_json::from_str(line).expect("JSON line");
            match (kind(&result), result["ok"]["status"].as_u64()) {
                ("throttled", _) => out.throttled_errors += 1,
                ("ok", Some(403 | 429)) => out.throttled_statuses += 1,
                ("ok", Some(200)) => out.ok += 1,
                other => panic!("unexpected result {other:?}: {line}"),
            }
        }
    }
    out.took = started.elapsed();
    out.throttled_at_canvas = canvas.throttled() - before;
    out.requests_at_canvas = canvas.requests().len();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_governor_keeps_concurrent_jobs_under_the_rate_limit() {
    let canvas = standin().await;
    let base = canvas.base_url();

    let free = round(
        &canvas,
        Runner {
            governor: Governor::disabled(),
            ..runner(&base)
        },
    )
    .await;
    eprintln!(
        "without the governor: {JOBS} jobs x {GETS_PER_JOB} GETs in {:.2} s; Canvas throttled {} of {} requests; the jobs got {} throttled errors and {} ok",
        free.took.as_secs_f64(),
        free.throttled_at_canvas,
        free.requests_at_canvas,
        free.throttled_errors,
        free.ok,
    );
    // Without the governor the jobs overrun the bucket together: this is
    // what the test proves the governor prevents.
    assert!(free.throttled_at_canvas > 0);

    let bucket = small_bucket(ThrottleStatus::Forbidden);
    let governed = round(
        &canvas,
        Runner {
            governor: Governor::new(GovernorSettings {
                enabled: true,
                // Room for the answers of the other jobs' requests to
                // arrive in any order.
                floor: 6.0,
                capacity: bucket.capacity,
                refill_per_second: bucket.refill_per_sec,
                reserve: bucket.cost,
            }),
            ..runner(&base)
        },
    )
    .await;
    eprintln!(
        "with the governor: {JOBS} jobs x {GETS_PER_JOB} GETs in {:.2} s; Canvas throttled {} of {} requests; the jobs got {} throttled errors and {} ok; requests held {:.2} s in all",
        governed.took.as_secs_f64(),
        governed.throttled_at_canvas,
        governed.requests_at_canvas,
        governed.throttled_errors,
        governed.ok,
        governed.held.as_secs_f64(),
    );
    assert_eq!(governed.throttled_errors, 0);
    assert_eq!(governed.throttled_statuses, 0);
    assert_eq!(
        governed.throttled_at_canvas, 0,
        "Canvas never had to throttle"
    );
    assert_eq!(governed.ok, JOBS * GETS_PER_JOB);
    assert_eq!(governed.requests_at_canvas, JOBS * GETS_PER_JOB);
    assert!(governed.held > Duration::ZERO);
    // The bucket refills 20 units a second: 90 requests of 1 unit beyond
    // the 4 above the floor cannot take much less than 4 s.
    assert!(
        governed.took >= Duration::from_secs(3),
        "{:?}",
        governed.took
    );
}

#[tokio::test]
async fn rate_limit_answers_of_both_kinds_are_retried_then_succeed() {
    let canvas = standin().await;
    canvas.add_override_times(
        Override::new(
            "GET",
            "/api/v1/courses/1",
            403,
            "403 Forbidden (Rate Limit Exceeded)\n",
        )
        .header("content-type", "text/plain; charset=utf-8"),
        2,
    );
    canvas.add_override_times(
        Override::new("GET", "/api/v1/courses/2", 429, "Too Many Requests"),
        3,
    );
    // A 403 that is not about the rate limit is an answer, not a retry.
    canvas.add_override(Override::new(
        "GET",
        "/api/v1/courses/3",
        403,
        "{\"errors\":[{\"message\":\"user not authorized to perform that action\"}]}",
    ));
    // Throttled requests were not processed: even a POST is retried.
    canvas.add_override(Override::new(
        "POST",
        "/api/v1/accounts/1/courses",
        200,
        "{\"id\": 99}",
    ));
    canvas.add_override_times(
        Override::new("POST", "/api/v1/accounts/1/courses", 429, ""),
        1,
    );
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE, CREATE_COURSE],
        "",
        json!([
            {"method": "GET", "path": "/api/v1/courses/1"},
            {"method": "GET", "path": "/api/v1/courses/2"},
            {"method": "GET", "path": "/api/v1/courses/3"},
            {"method": "POST", "path": "/api/v1/accounts/1/courses", "body": "{}",
             "headers": [["content-type", "application/json"]]},
        ]),
    )
    .await;
    assert_eq!(statuses(&results), [200, 200, 403, 200], "{results:?}");
    assert_eq!(ran.attempts(), [3, 4, 1, 2]);
    assert_eq!(canvas.requests().len(), 10);
    assert_eq!(ran.report.stats.sent, 10);
    assert_eq!(ran.report.audit[1].outcome, Outcome::Status(200));
}

#[tokio::test]
async fn the_stand_ins_own_throttling_is_retried_through() {
    // A bucket of 1 that refills fast enough for the backoff: every second
    // request is throttled once, and the job never notices.
    let canvas = standin().await;
    canvas.set_throttle(Some(Throttle {
        capacity: 1.0,
        refill_per_sec: 200.0,
        cost: 1.0,
        status: ThrottleStatus::TooManyRequests,
    }));
    let get = json!({"method": "GET", "path": "/api/v1/courses/1"});
    let mut m = manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.env
        .insert("SCRIPT".into(), json!([get, get, get, get]).to_string());
    // Without the governor (which would hold the requests instead).
    let runner = Runner {
        governor: Governor::disabled(),
        ..runner(&canvas.base_url())
    };
    let ran = run_with(runner, &m, fast_retries()).await;
    let results: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), 4, "{}", ran.stderr);
    for r in &results {
        assert_eq!(r["ok"]["status"], 200, "{results:?}");
    }
    assert_eq!(
        canvas.requests().len() as u64,
        4 + canvas.throttled(),
        "each throttled answer was retried"
    );
    assert_eq!(ran.report.stats.sent as usize, canvas.requests().len());
}

#[tokio::test]
async fn server_errors_are_retried_for_get_and_put_never_for_post() {
    let canvas = standin().await;
    canvas.add_override(Override::new(
        "POST",
        "/api/v1/accounts/1/courses",
        500,
        "{\"errors\":[{\"message\":\"An error occurred.\"}]}",
    ));
    canvas.add_override_times(Override::new("GET", "/api/v1/courses/1", 500, "{}"), 1);
    canvas.add_override(Override::new("GET", "/api/v1/courses/2", 503, "{}"));
    canvas.add_override_times(Override::new("PUT", "/api/v1/courses/3", 502, "{}"), 1);
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE, PUT_COURSE, CREATE_COURSE],
        "",
        json!([
            {"method": "POST", "path": "/api/v1/accounts/1/courses", "body": "{}",
             "headers": [["content-type", "application/json"]]},
            {"method": "GET", "path": "/api/v1/courses/1"},
            {"method": "GET", "path": "/api/v1/courses/2"},
            {"method": "PUT", "path": "/api/v1/courses/3",
             "body": "{\"course\": {\"name\": \"Retried\"}}",
             "headers": [["content-type", "application/json"]]},
        ]),
    )
    .await;
    // The POST's 500 goes to the job as it is; the GET succeeds on its
    // retry; the GET that keeps failing gives its last answer after 1 + 2
    // attempts; the PUT succeeds on its retry.
    assert_eq!(statuses(&results), [500, 200, 503, 200], "{results:?}");
    assert_eq!(ran.attempts(), [1, 2, 3, 2]);
    let methods: Vec<String> = canvas.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods.iter().filter(|m| *m == "POST").count(),
        1,
        "exactly one POST reached Canvas: {methods:?}"
    );
    assert_eq!(methods.len(), 8);
    assert_eq!(canvas.course(3).unwrap().name, "Retried");
}

/// A server on 127.0.0.1 that closes the first `drop_first` connections at
/// once and answers every request on later ones with `200 {}`. Returns its
/// base URL and the number of connections accepted.
async fn flaky_server(drop_first: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            if count.fetch_add(1, Ordering::SeqCst) < drop_first {
                drop(socket);
                continue;
            }
            tokio::spawn(answer_ok(socket));
        }
    });
    (format!("http://{addr}"), accepted)
}

/// Reads requests (without bodies) and answers each with `200 {}`.
async fn answer_ok(socket: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if socket.readable().await.is_err() {
            return;
        }
        match socket.try_read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        }
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.drain(..end + 4);
            let reply =
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
            let mut written = 0;
            while written < reply.len() {
                if socket.writable().await.is_err() {
                    return;
                }
                match socket.try_write(&reply[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(_) => return,
                }
            }
        }
    }
}

#[tokio::test]
async fn a_failed_connection_is_retried_for_get_not_for_post() {
    let get = json!([{"method": "GET", "path": "/api/v1/courses/1"}]);
    let (base, accepted) = flaky_server(1).await;
    let (results, ran) = script(&base, &[COURSE], "", get).await;
    assert_eq!(results[0]["ok"]["status"], 200, "{results:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    assert_eq!(ran.report.audit[0].attempts, 2);

    let post = json!([{"method": "POST", "path": "/api/v1/accounts/1/courses", "body": "{}",
                       "headers": [["content-type", "application/json"]]}]);
    let (base, accepted) = flaky_server(1).await;
    let (results, ran) = script(&base, &[CREATE_COURSE], "", post).await;
    assert_eq!(kind(&results[0]), "unavailable", "{results:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "the POST was not sent again"
    );
    assert_eq!(ran.report.stats.sent, 1);
}

#[tokio::test]
async fn a_request_that_gets_no_answer_times_out() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let (results, ran) = script(
        &base,
        &[COURSE],
        "[limits]\nrequest_timeout = \"1s\"\n",
        json!([{"method": "GET", "path": "/api/v1/courses/1"}]),
    )
    .await;
    let took = started.elapsed();
    silent.abort();
    assert_eq!(kind(&results[0]), "unavailable", "{results:?}");
    let message = results[0]["err"]["message"].as_str().unwrap();
    assert!(
        message
            .contains("did not answer GET /api/v1/courses/1 within 1s ([limits] request_timeout)"),
        "{message}"
    );
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(10),
        "{took:?}"
    );
    assert_eq!(ran.report.status, RunStatus::Succeeded);
}

/// A retry whose wait (here Canvas's `Retry-After`) would end past
/// `request_timeout` is not waited for: the job gets Canvas's last answer
/// at once, not `unavailable` for an answer that did come.
#[tokio::test]
async fn a_retry_past_the_request_timeout_is_not_waited_for() {
    let canvas = standin().await;
    canvas.add_override(
        Override::new("GET", "/api/v1/courses/1", 429, "").header("retry-after", "30"),
    );
    canvas.add_override(
        Override::new("GET", "/api/v1/courses/2", 503, "").header("retry-after", "30"),
    );
    let started = Instant::now();
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE],
        "[limits]\nrequest_timeout = \"2s\"\n",
        json!([
            {"method": "GET", "path": "/api/v1/courses/1"},
            {"method": "GET", "path": "/api/v1/courses/2"},
        ]),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(kind(&results[0]), "throttled", "{results:?}");
    let message = results[0]["err"]["message"].as_str().unwrap();
    assert_eq!(message, "Canvas answered 429 (rate limited)");
    assert_eq!(statuses(&results), [0, 503], "{results:?}");
    assert_eq!(ran.attempts(), [1, 1]);
    assert_eq!(canvas.requests().len(), 2);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn the_response_budget_of_a_run_is_enforced() {
    let canvas = standin().await;
    let get = json!({"method": "GET", "path": "/api/v1/courses/1"});
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE],
        "[limits]\nmax_response_bytes = \"2KiB\"\n",
        json!(vec![get; 12]),
    )
    .await;
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    let ok = kinds.iter().take_while(|k| **k == "ok").count();
    assert!(ok >= 1, "{kinds:?}");
    assert!(
        kinds[ok..].iter().all(|k| *k == "budget_exhausted"),
        "{kinds:?}"
    );
    assert!(ok < kinds.len(), "{kinds:?}");
    let message = results[ok]["err"]["message"].as_str().unwrap();
    assert!(message.contains("2KiB"), "{message}");
    assert!(message.contains("[limits] max_response_bytes"), "{message}");
    assert!(ran.report.stats.received <= 2048);
    // The request that would have gone past the budget was sent; none after.
    assert_eq!(canvas.requests().len(), ok + 1);
}
