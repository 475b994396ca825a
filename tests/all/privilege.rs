//! `[canvas.params]` end to end: a real guest's requests allowed or refused
//! as the manifest narrows its scopes, and nothing sent for the refused ones.

use serde_json::json;
use warden::host::Outcome;

use crate::support::{kind, script, standin};

const ACCOUNT_COURSES: &str = "url:GET|/api/v1/accounts/:account_id/courses";
const COURSE: &str = "url:GET|/api/v1/courses/:id";
const PUT_COURSE: &str = "url:PUT|/api/v1/courses/:id";

#[tokio::test]
async fn listed_values_are_allowed_and_others_refused_before_sending() {
    let canvas = standin().await;
    let base = canvas.base_url();
    let (results, ran) = script(
        &base,
        &[ACCOUNT_COURSES, COURSE, PUT_COURSE],
        "[canvas.params]\naccount_id = [\"2\", \"sis_account_id:SCI\"]\nid = [\"1\"]\n",
        json!([
            {"method": "GET", "path": "/api/v1/accounts/2/courses", "query": [["per_page", "2"]]},
            {"method": "GET", "path": "/api/v1/accounts/sis_account_id:SCI/courses"},
            {"method": "GET", "path": "/api/v1/accounts/3/courses"},
            {"method": "GET", "path": "/api/v1/accounts/self/courses"},
            {"method": "GET", "path": "/api/v1/courses/1"},
            {"method": "HEAD", "path": "/api/v1/courses/1.json"},
            {"method": "PUT", "path": "/api/v1/courses/2", "headers": [["Content-Type", "application/json"]], "body": "{}"},
            {"method": "GET", "path": format!("{base}/api/v1/accounts/1/courses?page=2")},
            {"method": "GET", "path": "/api/v1/courses/1.csv"},
        ]),
    )
    .await;
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    assert_eq!(
        kinds,
        ["ok", "ok", "denied", "denied", "ok", "ok", "denied", "denied", "denied"],
        "{results:?}\n{}",
        ran.stderr
    );
    let message = |i: usize| results[i]["err"]["message"].as_str().unwrap().to_string();
    assert_eq!(
        message(2),
        "url:GET|/api/v1/accounts/:account_id/courses allows GET /api/v1/accounts/3/courses, but its parameter account_id = \"3\" is not in [canvas.params] account_id (\"2\", \"sis_account_id:SCI\")"
    );
    assert!(
        message(3).contains("account_id = \"self\""),
        "{}",
        message(3)
    );
    assert!(
        message(6).contains("PUT /api/v1/courses/2, but its parameter id = \"2\" is not in [canvas.params] id (\"1\")"),
        "{}",
        message(6)
    );
    assert!(message(7).contains("account_id = \"1\""), "{}", message(7));
    assert!(message(8).contains("id = \"1.csv\""), "{}", message(8));

    // Only the allowed requests reached Canvas.
    let sent: Vec<String> = canvas
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        sent,
        [
            "GET /api/v1/accounts/2/courses?per_page=2",
            "GET /api/v1/accounts/sis_account_id:SCI/courses",
            "GET /api/v1/courses/1",
            "HEAD /api/v1/courses/1.json",
        ]
    );
    assert_eq!(ran.report.stats.sent, 4);
    assert_eq!(ran.report.stats.denied, 5);
    let audit = &ran.report.audit;
    assert_eq!(audit[0].scope.as_deref(), Some(ACCOUNT_COURSES));
    assert_eq!(audit[4].scope.as_deref(), Some(COURSE));
    assert!(audit[2].scope.is_none());
    assert!(
        matches!(&audit[2].outcome, Outcome::Denied(m) if m.contains("[canvas.params] account_id"))
    );
}

#[tokio::test]
async fn a_scope_without_the_parameter_is_not_narrowed() {
    let canvas = standin().await;
    let (results, ran) = script(
        &canvas.base_url(),
        &["url:GET|/api/v1/courses/:course_id/users", COURSE],
        "[canvas.params]\ncourse_id = [\"1\"]\n",
        json!([
            {"method": "GET", "path": "/api/v1/courses/1/users"},
            {"method": "GET", "path": "/api/v1/courses/2/users"},
            {"method": "GET", "path": "/api/v1/courses/2"},
        ]),
    )
    .await;
    let kinds: Vec<&str> = results.iter().map(kind).collect();
    assert_eq!(kinds, ["ok", "denied", "ok"], "{results:?}");
    assert_eq!(ran.report.stats.sent, 2);
    assert_eq!(canvas.requests().len(), 2);
}
