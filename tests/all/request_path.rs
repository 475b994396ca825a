//! The request path end to end: what a job may send, what is refused before
//! anything is sent, and that what was approved is exactly what Canvas got.

use serde_json::json;
use warden::standin::Override;

use crate::support::{kind, script, standin, TOKEN};

const COURSE: &str = "url:GET|/api/v1/courses/:id";
const PUT_COURSE: &str = "url:PUT|/api/v1/courses/:id";
const ACCOUNT_COURSES: &str = "url:GET|/api/v1/accounts/:account_id/courses";
const BY_PATH: &str = "url:GET|/api/v1/courses/:course_id/folders/by_path/*full_path";

#[tokio::test]
async fn allowed_request_reaches_canvas_with_the_token() {
    let canvas = standin().await;
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE],
        "",
        json!([{"method": "GET", "path": "/api/v1/courses/1"}]),
    )
    .await;
    assert_eq!(results[0]["ok"]["status"], 200, "{results:?}");
    assert!(results[0]["ok"]["body"]
        .as_str()
        .unwrap()
        .contains("\"id\":1"));
    let seen = canvas.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, "/api/v1/courses/1");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(ran.report.stats.sent, 1);
    assert_eq!(ran.report.audit[0].scope.as_deref(), Some(COURSE));
}

#[tokio::test]
async fn denied_request_never_reaches_canvas() {
    let canvas = standin().await;
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE],
        "",
        json!([
            {"method": "GET", "path": "/api/v1/users/1"},
            {"method": "DELETE", "path": "/api/v1/courses/1"},
            {"method": "PUT", "path": "/api/v1/courses/1", "body": "{}"},
        ]),
    )
    .await;
    for r in &results {
        assert_eq!(kind(r), "denied", "{r}");
    }
    assert!(results[0]["err"]["message"]
        .as_str()
        .unwrap()
        .contains("GET /api/v1/users/1"));
    assert!(canvas.requests().is_empty(), "{:?}", canvas.requests());
    assert_eq!(ran.report.stats.denied, 3);
    assert_eq!(ran.report.stats.sent, 0);
}

#[tokio::test]
async fn head_is_checked_against_get_scopes() {
    let canvas = standin().await;
    let (results, _) = script(
        &canvas.base_url(),
        &[COURSE],
        "",
        json!([
            {"method": "HEAD", "path": "/api/v1/courses/1"},
            {"method": "HEAD", "path": "/api/v1/users/1"},
        ]),
    )
    .await;
    assert_eq!(results[0]["ok"]["status"], 200, "{results:?}");
    assert_eq!(results[0]["ok"]["body"], "");
    assert_eq!(kind(&results[1]), "denied");
    assert_eq!(canvas.requests().len(), 1);
}

/// Every refusal of the issue, each answered with the right variant, and
/// nothing at all reaching Canvas.
#[tokio::test]
async fn refusals_send_nothing() {
    let canvas = standin().await;
    let base = canvas.base_url();
    let port = canvas.addr().port();
    let get = |path: &str| json!({"method": "GET", "path": path});
    let with_header = |name: &str, value: &str| json!({"method": "GET", "path": "/api/v1/courses/1", "headers": [[name, value]]});
    let with_query =
        |key: &str| json!({"method": "GET", "path": "/api/v1/courses/1", "query": [[key, "1"]]});
    let put = |content_type: &str, body: &str| {
        json!({"method": "PUT", "path": "/api/v1/courses/1",
               "headers": [["content-type", content_type]], "body": body})
    };
    let cases = vec![
        // Dot segments, also under a *glob scope that would match them.
        (
            "dot-dot under glob",
            get("/api/v1/courses/1/folders/by_path/a/../../../../users/1"),
            "invalid",
        ),
        (
            "dot under glob",
            get("/api/v1/courses/1/folders/by_path/./x"),
            "invalid",
        ),
        (
            "encoded dot-dot",
            get("/api/v1/courses/1/folders/by_path/%2e%2e/x"),
            "invalid",
        ),
        (
            "mixed dot-dot",
            get("/api/v1/courses/1/folders/by_path/.%2E/x"),
            "invalid",
        ),
        (
            "encoded slash",
            get("/api/v1/courses/1/folders/by_path/a%2Fb"),
            "invalid",
        ),
        (
            "encoded backslash",
            get("/api/v1/courses/1%5C..%5Cusers"),
            "invalid",
        ),
        ("backslash", get("/api/v1/courses/1\\x"), "invalid"),
        ("empty segment", get("/api/v1//courses/1"), "invalid"),
        ("trailing slash", get("/api/v1/courses/1/"), "invalid"),
        (
            "CRLF in path",
            get("/api/v1/courses/1\r\nX-Evil: 1"),
            "invalid",
        ),
        (
            "space in path",
            get("/api/v1/courses/1 HTTP/1.1"),
            "invalid",
        ),
        ("NUL in path", get("/api/v1/courses/1\u{0}"), "invalid"),
        ("encoded NUL", get("/api/v1/courses/1%00"), "invalid"),
        ("encoded CRLF", get("/api/v1/courses/1%0d%0a"), "invalid"),
        ("tab in path", get("/api/v1/courses/\t1"), "invalid"),
        ("non-ASCII", get("/api/v1/courses/é"), "invalid"),
        ("fragment", get("/api/v1/courses/1#x"), "invalid"),
        // Other origins.
        (
            "other host",
            get("http://evil.example/api/v1/courses/1"),
            "invalid",
        ),
        (
            "other port",
            get(&format!("http://127.0.0.1:{}/api/v1/courses/1", port + 1)),
            "invalid",
        ),
        (
            "other scheme",
            get(&format!("https://127.0.0.1:{port}/api/v1/courses/1")),
            "invalid",
        ),
        (
            "scheme-relative",
            get("//evil.example/api/v1/courses/1"),
            "invalid",
        ),
        (
            "userinfo",
            get(&format!("http://user:pw@127.0.0.1:{port}/api/v1/courses/1")),
            "invalid",
        ),
        (
            "host suffix",
            get(&format!(
                "http://127.0.0.1:{port}.evil.example/api/v1/courses/1"
            )),
            "invalid",
        ),
        ("relative", get("api/v1/courses/1"), "invalid"),
        // Credential and routing headers.
        (
            "authorization",
            with_header("Authorization", "Bearer other"),
            "invalid",
        ),
        (
            "AUTHORIZATION",
            with_header("AUTHORIZATION", "Bearer other"),
            "invalid",
        ),
        (
            "cookie",
            with_header("Cookie", "_normandy_session=x"),
            "invalid",
        ),
        ("host", with_header("Host", "evil.example"), "invalid"),
        (
            "method override",
            with_header("X-HTTP-Method-Override", "DELETE"),
            "invalid",
        ),
        (
            "method override 2",
            with_header("X-Method-Override", "DELETE"),
            "invalid",
        ),
        (
            "proxy",
            with_header("Proxy-Authorization", "Basic x"),
            "invalid",
        ),
        (
            "header CRLF",
            with_header("Accept", "application/json\r\nX-Evil: 1"),
            "invalid",
        ),
        // Forbidden parameters, in every place Canvas reads them.
        ("access_token query", with_query("access_token"), "invalid"),
        ("_method query", with_query("_method"), "invalid"),
        ("as_user_id query", with_query("as_user_id"), "invalid"),
        ("as_user_id array", with_query("as_user_id[]"), "invalid"),
        (
            "raw access_token",
            get("/api/v1/courses/1?access_token=x"),
            "invalid",
        ),
        (
            "encoded as_user_id",
            get("/api/v1/courses/1?%61s_user_id=2"),
            "invalid",
        ),
        (
            "as_user_id JSON",
            put(
                "application/json",
                r#"{"as_user_id": 2, "course": {"name": "x"}}"#,
            ),
            "invalid",
        ),
        (
            "_method JSON",
            put("application/json", r#"{"_method": "DELETE"}"#),
            "invalid",
        ),
        (
            "as_user_id form",
            put(
                "application/x-www-form-urlencoded",
                "course[name]=x&as_user_id=2",
            ),
            "invalid",
        ),
        (
            "access_token form",
            put("application/x-www-form-urlencoded", "access_token=x"),
            "invalid",
        ),
        (
            "as_user_id JSON, lying content-type",
            put("text/plain", r#"{"as_user_id": 2}"#),
            "invalid",
        ),
        (
            "body on GET",
            json!({"method": "GET", "path": "/api/v1/courses/1", "body": "x"}),
            "invalid",
        ),
    ];
    let steps: Vec<_> = cases.iter().map(|(_, step, _)| step.clone()).collect();
    let (results, ran) = script(&base, &[COURSE, PUT_COURSE, BY_PATH], "", json!(steps)).await;
    assert_eq!(results.len(), cases.len(), "stderr: {}", ran.stderr);
    for ((name, _, expected), result) in cases.iter().zip(&results) {
        assert_eq!(kind(result), *expected, "{name}: {result}");
        let message = result["err"]["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{name}");
        assert!(!message.contains(TOKEN), "{name}");
    }
    assert!(
        canvas.requests().is_empty(),
        "sent: {:?}",
        canvas.requests()
    );
    assert_eq!(ran.report.stats.sent, 0);
    assert_eq!(ran.report.stats.invalid as usize, cases.len());
}

#[tokio::test]
async fn masquerade_must_be_declared() {
    let canvas = standin().await;
    let step =
        json!([{"method": "GET", "path": "/api/v1/courses/1", "query": [["as_user_id", "5"]]}]);
    let (results, _) = script(&canvas.base_url(), &[COURSE], "", step.clone()).await;
    assert_eq!(kind(&results[0]), "invalid");
    assert!(results[0]["err"]["message"]
        .as_str()
        .unwrap()
        .contains("masquerade"));
    assert!(canvas.requests().is_empty());

    // The same request with `masquerade = true` goes through.
    let mut m = crate::support::manifest(warden_test_artifacts::SCRIPTED, &[COURSE], "");
    m.masquerade = true;
    m.env.insert("SCRIPT".into(), step.to_string());
    let ran = crate::support::run(&canvas.base_url(), &m).await;
    assert!(ran.stdout.contains("\"status\":200"), "{}", ran.stdout);
    assert_eq!(
        canvas.requests()[0].target,
        "/api/v1/courses/1?as_user_id=5"
    );
}

/// What the check approved is byte for byte what Canvas received: no
/// re-encoding, no dot-segment resolution, query encoded as documented.
#[tokio::test]
async fn approved_bytes_are_the_bytes_sent() {
    let canvas = standin().await;
    let base = canvas.base_url();
    let paths = [
        "/api/v1/courses/1",
        "/api/v1/courses/sis_course_id:BIO%20101",
        "/api/v1/courses/%31",
        "/api/v1/courses/a~b;c=d@e!f$g'h(i)j*k+l,m",
        "/api/v1/courses/1.json",
    ];
    let mut steps: Vec<_> = paths
        .iter()
        .map(|p| json!({"method": "GET", "path": p}))
        .collect();
    steps.push(json!({"method": "GET", "path": "/api/v1/accounts/1/courses",
        "query": [["include[]", "term"], ["include[]", "teachers"], ["search_term", "intro bio & more=yes"], ["x", "é/?#"]]}));
    steps.push(json!({"method": "GET", "path": format!("{base}/api/v1/accounts/1/courses?page=bookmark:WzEsMl0&per_page=5"),
        "query": [["published", "false"]]}));
    let (results, _) = script(&base, &[COURSE, ACCOUNT_COURSES], "", json!(steps)).await;
    for r in &results {
        assert_eq!(kind(r), "ok", "{r}");
    }
    let seen: Vec<String> = canvas.requests().into_iter().map(|r| r.target).collect();
    let mut expected: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    expected.push(
        "/api/v1/accounts/1/courses?include[]=term&include[]=teachers&search_term=intro%20bio%20%26%20more%3Dyes&x=%C3%A9%2F%3F%23"
            .into(),
    );
    expected
        .push("/api/v1/accounts/1/courses?page=bookmark:WzEsMl0&per_page=5&published=false".into());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn redirects_go_back_to_the_job() {
    let canvas = standin().await;
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/7".into(),
        status: 302,
        headers: vec![("location".into(), "http://evil.example/steal".into())],
        body: String::new(),
        skip_auth: false,
    });
    let (results, _) = script(
        &canvas.base_url(),
        &[COURSE],
        "",
        json!([{"method": "GET", "path": "/api/v1/courses/7"}]),
    )
    .await;
    assert_eq!(results[0]["ok"]["status"], 302, "{results:?}");
    let headers = results[0]["ok"]["headers"].as_array().unwrap();
    assert!(headers
        .iter()
        .any(|h| h[0] == "location" && h[1] == "http://evil.example/steal"));
    assert_eq!(canvas.requests().len(), 1);
}

#[tokio::test]
async fn an_echoed_token_is_redacted() {
    let canvas = standin().await;
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/8".into(),
        status: 200,
        headers: vec![("x-echo".into(), "Bearer {token}".into())],
        body: "{\"you_sent\": \"{token}\", \"again\": \"{token}{token}\"}".into(),
        skip_auth: false,
    });
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE],
        "",
        json!([{"method": "GET", "path": "/api/v1/courses/8"}]),
    )
    .await;
    let ok = &results[0]["ok"];
    assert_eq!(
        ok["body"],
        "{\"you_sent\": \"[REDACTED]\", \"again\": \"[REDACTED][REDACTED]\"}"
    );
    let headers = ok["headers"].as_array().unwrap();
    assert!(headers
        .iter()
        .any(|h| h[0] == "x-echo" && h[1] == "Bearer [REDACTED]"));
    assert!(!ran.stdout.contains(TOKEN) && !ran.stderr.contains(TOKEN));
}

#[tokio::test]
async fn throttling_is_retried_then_reported() {
    let canvas = standin().await;
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/9".into(),
        status: 429,
        headers: vec![],
        body: "Too Many Requests".into(),
        skip_auth: false,
    });
    canvas.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/10".into(),
        status: 403,
        headers: vec![],
        body: "403 Forbidden (Rate Limit Exceeded)".into(),
        skip_auth: false,
    });
    let (results, ran) = script(
        &canvas.base_url(),
        &[COURSE],
        "",
        json!([
            {"method": "GET", "path": "/api/v1/courses/9"},
            {"method": "GET", "path": "/api/v1/courses/10"},
        ]),
    )
    .await;
    assert_eq!(kind(&results[0]), "throttled", "{results:?}");
    assert_eq!(kind(&results[1]), "throttled", "{results:?}");
    // One try and three retries each.
    assert_eq!(canvas.requests().len(), 8);
    assert_eq!(ran.report.stats.sent, 8);
}

#[tokio::test]
async fn the_request_budget_is_enforced() {
    let canvas = standin().await;
    let get = json!({"method": "GET", "path": "/api/v1/courses/1"});
    let (results, _) = script(
        &canvas.base_url(),
        &[COURSE],
        "[limits]\nmax_requests = 2\n",
        json!([get, get, get]),
    )
    .await;
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    assert_eq!(kinds, ["ok", "ok", "budget_exhausted"]);
    assert!(results[2]["err"]["message"]
        .as_str()
        .unwrap()
        .contains("max_requests"));
    assert_eq!(canvas.requests().len(), 2);
}

#[tokio::test]
async fn an_unreachable_canvas_is_unavailable() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (results, ran) = script(
        &base,
        &[COURSE],
        "",
        json!([{"method": "GET", "path": "/api/v1/courses/1"}]),
    )
    .await;
    assert_eq!(kind(&results[0]), "unavailable", "{results:?}");
    assert!(!results[0]["err"]["message"]
        .as_str()
        .unwrap()
        .contains(TOKEN));
    assert!(!ran.stdout.contains(TOKEN));
}
