//! End-to-end tests: a real server on 127.0.0.1, spoken to with reqwest and, where the
//! exact bytes matter, a hand-written HTTP/1.1 request over a TCP socket.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::TcpStream;

use super::*;

pub(super) const TOKEN: &str = "s3cr3t-test-token";

pub(super) async fn demo() -> StandIn {
    StandIn::start(TOKEN, Seed::demo())
        .await
        .expect("start stand-in")
}

pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

pub(super) async fn send(s: &StandIn, method: &str, path_and_query: &str) -> reqwest::Response {
    client()
        .request(
            method.parse().expect("method"),
            format!("{}{}", s.base_url(), path_and_query),
        )
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request")
}

pub(super) async fn get_json(s: &StandIn, path_and_query: &str) -> (u16, Value) {
    let r = send(s, "GET", path_and_query).await;
    let status = r.status().as_u16();
    let v = body_json(r).await;
    (status, v)
}

/// The `key` of every object of a JSON array.
pub(super) fn ids(v: &Value, key: &str) -> Vec<u64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x[key].as_u64().unwrap())
        .collect()
}

/// The body as JSON (reqwest is built without its `json` feature).
pub(super) async fn body_json(r: reqwest::Response) -> Value {
    let bytes = r.bytes().await.expect("body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

pub(super) fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Sends `request` verbatim over a fresh connection and returns everything the server
/// sent back until it closed the connection (the request should say `Connection: close`).
async fn raw_http(addr: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let mut written = 0;
    while written < request.len() {
        stream.writable().await.expect("writable");
        match stream.try_write(&request[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("write: {e}"),
        }
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = tokio::time::timeout_at(deadline, stream.readable()).await;
        ready.expect("server answered in time").expect("readable");
        match stream.try_read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("read: {e}"),
        }
    }
    out
}

/// Splits a raw HTTP response into (head, body).
fn split_response(raw: &[u8]) -> (String, Vec<u8>) {
    let pos = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    (
        String::from_utf8_lossy(&raw[..pos]).into_owned(),
        raw[pos + 4..].to_vec(),
    )
}

fn raw_header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The URL with the given rel in a Link header.
pub(super) fn link_rel(link: &str, rel: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        (params.trim() == format!("rel=\"{rel}\"")).then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

// ---- auth -----------------------------------------------------------------

#[tokio::test]
async fn right_token_is_accepted() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/1").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], 1);
    assert_eq!(v["name"], "BIO 101 — Introduction to Biology");
    assert_eq!(v["course_code"], "BIO 101");
}

#[tokio::test]
async fn wrong_token_gets_401_with_canvas_header_and_body() {
    let s = demo().await;
    let r = client()
        .get(format!("{}/api/v1/courses/1", s.base_url()))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        header(&r, "www-authenticate"),
        Some("Bearer realm=\"canvas-lms\"")
    );
    assert_eq!(
        header(&r, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"errors":[{"message":"Invalid access token."}]}"#
    );
}

#[tokio::test]
async fn missing_token_gets_401_user_authorization_required() {
    let s = demo().await;
    let r = client()
        .get(format!("{}/api/v1/courses/1", s.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(
        header(&r, "www-authenticate"),
        Some("Bearer realm=\"canvas-lms\"")
    );
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"errors":[{"message":"user authorization required"}],"status":"unauthenticated"}"#
    );
    // Another scheme, or an empty bearer token, is no token either.
    for value in ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer"] {
        let r = client()
            .get(format!("{}/api/v1/courses/1", s.base_url()))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{value}");
        let v: Value = body_json(r).await;
        assert_eq!(v["status"], "unauthenticated", "{value}");
    }
}

#[tokio::test]
async fn access_token_query_parameter_is_refused() {
    let s = demo().await;
    let r = client()
        .get(format!(
            "{}/api/v1/courses/1?access_token={TOKEN}",
            s.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = body_json(r).await;
    assert_eq!(v["errors"][0]["message"], "user authorization required");
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let s = demo().await;
    let r = client()
        .get(format!("{}/api/v1/users/self", s.base_url()))
        .header("authorization", format!("bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

// ---- pagination -----------------------------------------------------------

fn thousand_courses() -> Seed {
    Seed {
        accounts: vec![Account::new(1, "Root", None, None)],
        terms: vec![Term::new(1, "Default Term", None, None)],
        ..Seed::default()
    }
    .with_generated_courses(1, 1000, 250)
}

#[tokio::test]
async fn pagination_of_1000_courses_follows_next_links_to_the_end() {
    let s = StandIn::start(TOKEN, thousand_courses()).await.unwrap();
    let c = client();
    let mut url = format!(
        "{}/api/v1/accounts/1/courses?include%5B%5D=term&sort=id&per_page=100",
        s.base_url()
    );
    let mut pages = 0;
    let mut ids = Vec::new();
    loop {
        let r = c.get(&url).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{url}");
        let link = header(&r, "link").expect("Link header").to_string();
        let items: Vec<Value> = serde_json::from_value(body_json(r).await).expect("array");
        pages += 1;
        assert_eq!(items.len(), 100, "page {pages}");
        assert!(items.iter().all(|i| i["term"]["name"] == "Default Term"));
        ids.extend(items.iter().map(|i| i["id"].as_u64().unwrap()));

        let current = link_rel(&link, "current").expect("current");
        let first = link_rel(&link, "first").expect("first");
        let last = link_rel(&link, "last").expect("last");
        for u in [&current, &first, &last] {
            assert!(
                u.starts_with(&format!("{}/api/v1/accounts/1/courses?", s.base_url())),
                "{u}"
            );
            assert!(u.contains("include%5B%5D=term&sort=id&page="), "{u}");
            assert!(u.ends_with("&per_page=100"), "{u}");
        }
        assert!(current.contains(&format!("page={pages}&")), "{current}");
        assert!(last.contains("page=10&"), "{last}");
        assert!(first.contains("page=1&"), "{first}");
        if pages > 1 {
            let prev = link_rel(&link, "prev").expect("prev");
            assert!(prev.contains(&format!("page={}&", pages - 1)), "{prev}");
        } else {
            assert!(link_rel(&link, "prev").is_none());
        }
        match link_rel(&link, "next") {
            Some(next) => {
                assert!(next.starts_with("http://127.0.0.1:"), "{next}");
                assert_eq!(
                    next,
                    format!(
                        "{}/api/v1/accounts/1/courses?include%5B%5D=term&sort=id&page={}&per_page=100",
                        s.base_url(),
                        pages + 1
                    )
                );
                url = next;
            }
            None => break,
        }
        assert!(pages < 20, "runaway pagination");
    }
    assert_eq!(pages, 10);
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 1000);
    assert_eq!(ids, sorted, "default order is by id");
}

#[tokio::test]
async fn per_page_is_capped_at_100_and_defaults_to_10() {
    let s = StandIn::start(TOKEN, thousand_courses()).await.unwrap();
    let r = send(&s, "GET", "/api/v1/accounts/1/courses?per_page=1000").await;
    let link = header(&r, "link").unwrap().to_string();
    assert!(link_rel(&link, "next")
        .unwrap()
        .ends_with("page=2&per_page=100"));
    let items: Vec<Value> = serde_json::from_value(body_json(r).await).expect("array");
    assert_eq!(items.len(), 100);

    for q in ["", "?per_page=0", "?per_page=lots"] {
        let r = send(&s, "GET", &format!("/api/v1/accounts/1/courses{q}")).await;
        let link = header(&r, "link").unwrap().to_string();
        assert!(
            link_rel(&link, "last")
                .unwrap()
                .ends_with("page=100&per_page=10"),
            "{q}: {link}"
        );
        let items: Vec<Value> = serde_json::from_value(body_json(r).await).expect("array");
        assert_eq!(items.len(), 10, "{q}");
    }
    // Past the end: an empty page, still with links.
    let r = send(&s, "GET", "/api/v1/accounts/1/courses?page=11&per_page=100").await;
    let link = header(&r, "link").unwrap().to_string();
    assert!(link_rel(&link, "next").is_none());
    assert!(link_rel(&link, "prev").unwrap().contains("page=10&"));
    let items: Vec<Value> = serde_json::from_value(body_json(r).await).expect("array");
    assert!(items.is_empty());
}

// ---- account courses ------------------------------------------------------

#[tokio::test]
async fn published_filter() {
    let s = demo().await;
    let (status, v) = get_json(
        &s,
        "/api/v1/accounts/1/courses?published=false&per_page=100",
    )
    .await;
    assert_eq!(status, 200);
    let items = v.as_array().unwrap();
    // Canvas's scopes: unpublished = created/claimed, published = available/completed.
    assert_eq!(items.len(), 16);
    assert!(items.iter().all(|c| c["workflow_state"] == "unpublished"));

    let (_, v) = get_json(&s, "/api/v1/accounts/1/courses?published=true&per_page=100").await;
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 46);
    assert!(items
        .iter()
        .all(|c| c["workflow_state"] == "available" || c["workflow_state"] == "completed"));

    // No filter: everything but the deleted course.
    let (_, v) = get_json(&s, "/api/v1/accounts/1/courses?per_page=100").await;
    assert_eq!(v.as_array().unwrap().len(), 62);
}

#[tokio::test]
async fn account_courses_cover_sub_accounts_only_below() {
    let s = demo().await;
    let (_, v) = get_json(&s, "/api/v1/accounts/2/courses?per_page=100").await;
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 26);
    assert!(items.iter().all(|c| c["account_id"] == 2));
    let (_, v) = get_json(
        &s,
        "/api/v1/accounts/sis_account_id:ARTS/courses?per_page=100",
    )
    .await;
    assert!(v.as_array().unwrap().iter().all(|c| c["account_id"] == 3));
}

#[tokio::test]
async fn search_term_filters_and_needs_two_characters() {
    let s = demo().await;
    for q in ["search_term=b", "search_term=", "search_term=%C3%A9"] {
        let r = send(&s, "GET", &format!("/api/v1/accounts/1/courses?{q}")).await;
        assert_eq!(r.status().as_u16(), 400, "{q}");
        let v: Value = body_json(r).await;
        assert_eq!(
            v,
            json!({"errors":[{"field":"search_term","code":"invalid","message":"2 or more characters is required"}]})
        );
    }
    let (status, v) = get_json(
        &s,
        "/api/v1/accounts/1/courses?search_term=bio&per_page=100",
    )
    .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.iter().all(|n| n.to_lowercase().contains("bio")));
    // Codes match too, case-insensitively, with + as a space.
    let (_, v) = get_json(&s, "/api/v1/accounts/1/courses?search_term=math+1").await;
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn sort_by_course_name_and_include_term() {
    let s = demo().await;
    let (_, v) = get_json(
        &s,
        "/api/v1/accounts/3/courses?sort=course_name&include[]=term&per_page=100",
    )
    .await;
    let items = v.as_array().unwrap();
    let names: Vec<String> = items
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(items[0]["term"]["name"], "Spring 2026");
    let (_, v) = get_json(&s, "/api/v1/accounts/3/courses?sort=course_name&order=desc").await;
    assert_eq!(v[0]["name"], "THEA 120 — Acting I");
    // Without include, no term.
    let (_, v) = get_json(&s, "/api/v1/accounts/3/courses").await;
    assert!(v[0].get("term").is_none());
}

// ---- course writes --------------------------------------------------------

#[tokio::test]
async fn put_course_with_json_body() {
    let s = demo().await;
    assert_eq!(s.course(3).unwrap().workflow_state, "unpublished");
    let r = client()
        .put(format!("{}/api/v1/courses/3", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(
            json!({"course": {
                "name": "BIO 305 — Molecular & Cell Biology",
                "default_view": "wiki",
                "is_public": true,
                "start_at": "2026-01-12T01:00:00-06:00",
                "event": "offer"
            }})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = body_json(r).await;
    assert_eq!(v["name"], "BIO 305 — Molecular & Cell Biology");
    assert_eq!(v["workflow_state"], "available");
    let c = s.course(3).unwrap();
    assert_eq!(c.name, "BIO 305 — Molecular & Cell Biology");
    assert_eq!(c.default_view, "wiki");
    assert!(c.is_public);
    assert_eq!(c.workflow_state, "available");
    assert_eq!(c.start_at.as_deref(), Some("2026-01-12T07:00:00Z"));
}

#[tokio::test]
async fn put_course_with_form_body() {
    let s = demo().await;
    let r = client()
        .put(format!("{}/api/v1/courses/sis_course_id:CHEM102", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("course%5Bname%5D=Chemistry+II+%26+Lab&course[default_view]=syllabus&course[event]=offer")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let c = s.course(6).unwrap();
    assert_eq!(c.name, "Chemistry II & Lab");
    assert_eq!(c.default_view, "syllabus");
    assert_eq!(c.workflow_state, "available");

    // claim unpublishes again; an event alone is fine.
    let r = client()
        .put(format!("{}/api/v1/courses/6", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("course[event]=claim")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(s.course(6).unwrap().workflow_state, "unpublished");
    assert_eq!(s.course(6).unwrap().name, "Chemistry II & Lab");
}

#[tokio::test]
async fn put_course_with_bad_default_view_is_400_and_changes_nothing() {
    let s = demo().await;
    let before = s.course(1).unwrap();
    let r = client()
        .put(format!("{}/api/v1/courses/1", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(json!({"course": {"default_view": "dashboard", "name": "Changed"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = body_json(r).await;
    assert_eq!(
        v,
        json!({"errors":{"default_view":[{"attribute":"default_view","type":"inclusion","message":"inclusion"}]}})
    );
    assert_eq!(s.course(1).unwrap(), before);
}

#[tokio::test]
async fn malformed_bodies_and_queries_get_400() {
    let s = demo().await;
    let c = client();
    let cases: Vec<(&str, &str, &str)> = vec![
        ("application/json", "{\"course\": ", "not valid JSON"),
        ("application/json", "[1,2]", "must be an object"),
        (
            "application/x-www-form-urlencoded",
            "course[name]=%ZZ",
            "invalid %-encoding",
        ),
        ("multipart/form-data; boundary=x", "--x--", "multipart"),
    ];
    for (ctype, body, needle) in cases {
        let r = c
            .put(format!("{}/api/v1/courses/1", s.base_url()))
            .bearer_auth(TOKEN)
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
        let v: Value = body_json(r).await;
        let msg = v["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{msg}");
    }
    let r = send(&s, "GET", "/api/v1/accounts/1/courses?search_term=%G1").await;
    assert_eq!(r.status().as_u16(), 400);
    // Unknown events are refused too.
    let r = c
        .put(format!("{}/api/v1/courses/1", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(json!({"course": {"event": "explode"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(s.course(1).unwrap().workflow_state, "available");
}

#[tokio::test]
async fn delete_course_concludes_or_deletes() {
    let s = demo().await;
    let c = client();
    let r = c
        .delete(format!("{}/api/v1/courses/1?event=conclude", s.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body_json(r).await, json!({"conclude": true}));
    assert_eq!(s.course(1).unwrap().workflow_state, "completed");

    let r = c
        .delete(format!("{}/api/v1/courses/2", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("event=delete")
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(r).await, json!({"delete": true}));
    assert_eq!(s.course(2).unwrap().workflow_state, "deleted");
    let (status, _) = get_json(&s, "/api/v1/courses/2").await;
    assert_eq!(status, 404);

    let r = c
        .delete(format!("{}/api/v1/courses/4", s.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        body_json(r).await,
        json!({"message": "Only \"delete\" and \"conclude\" events are allowed."})
    );
}

// ---- errors, formats, lookups ---------------------------------------------

#[tokio::test]
async fn not_found_has_canvas_shape() {
    let s = demo().await;
    let expected = json!({"errors":[{"message":"The specified resource does not exist."}]});
    for path in [
        "/api/v1/courses/9999",
        "/api/v1/courses/26", // deleted
        "/api/v1/courses/abc",
        "/api/v1/courses/99999999999999999999999",
        "/api/v1/accounts/42",
        "/api/v1/users/77",
        "/api/v1/courses/9999/enrollments",
        "/api/v1/sections/9999",
        "/api/v1/courses/1/sections/21", // course 2's section
        "/api/v1/courses/1/assignments/9999",
        "/api/v1/courses/2/assignments/1", // course 1's assignment
        "/api/v1/courses/1/assignments/1/submissions/3", // a teacher, no student
    ] {
        let r = send(&s, "GET", path).await;
        assert_eq!(r.status().as_u16(), 404, "{path}");
        assert_eq!(
            header(&r, "content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(header(&r, STANDIN_HEADER), None, "{path}");
        assert_eq!(body_json(r).await, expected, "{path}");
    }
}

#[tokio::test]
async fn a_route_the_stand_in_does_not_model_says_so() {
    let s = demo().await;
    for (method, path) in [
        ("GET", "/api/v1/nothing/here"),
        ("GET", "/api/v1/courses/1/modules"),
        ("GET", "/api/v2/courses/1"),
        ("GET", "/"),
        ("GET", "/api/v1/courses//5"),
        // A known path with a method it does not take.
        ("POST", "/api/v1/courses/1"),
        ("DELETE", "/api/v1/courses/1/assignments/1"),
    ] {
        let r = send(&s, method, path).await;
        assert_eq!(r.status().as_u16(), 404, "{method} {path}");
        assert_eq!(header(&r, "x-warden-standin"), Some("no-route"));
        assert_eq!(
            header(&r, "content-type"),
            Some("application/json; charset=utf-8")
        );
        let expected = format!(
            "the stand-in has no route for {method} {path} (Warden's Canvas stand-in models only the endpoints listed in its docs; add a canned response to the test's fixtures for this one)"
        );
        assert_eq!(
            body_json(r).await,
            json!({"errors": [{"message": expected}]}),
            "{method} {path}"
        );
    }
    // HEAD answers as GET, without the body.
    let r = send(&s, "HEAD", "/api/v1/courses/1/modules").await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(header(&r, "x-warden-standin"), Some("no-route"));
    // The raw path as received, percent-encoding kept.
    let r = send(&s, "GET", "/api/v1/caf%C3%A9?x=1").await;
    let v = body_json(r).await;
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("the stand-in has no route for GET /api/v1/caf%C3%A9 ("),
        "{msg}"
    );
}

#[tokio::test]
async fn head_has_the_get_headers_and_no_body() {
    let s = demo().await;
    let get = send(&s, "GET", "/api/v1/accounts/1/courses?per_page=5").await;
    let get_len = get.bytes().await.unwrap().len();
    assert!(get_len > 0);

    let req = format!(
        "HEAD /api/v1/accounts/1/courses?per_page=5 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n",
        s.addr()
    );
    let raw = raw_http(s.addr(), req.as_bytes()).await;
    let (head, body) = split_response(&raw);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        body.is_empty(),
        "HEAD sent a body: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        raw_header(&head, "content-length"),
        Some(get_len.to_string().as_str())
    );
    assert_eq!(
        raw_header(&head, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(raw_header(&head, "link").unwrap().contains("rel=\"next\""));
    assert!(raw_header(&head, "x-rate-limit-remaining").is_some());

    let r = send(&s, "HEAD", "/api/v1/courses/9999").await;
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn json_format_suffix_is_accepted() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/5.json").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], 5);
    let (status, v) = get_json(&s, "/api/v1/accounts/1/courses.json?per_page=2").await;
    assert_eq!(status, 200);
    assert_eq!(v.as_array().unwrap().len(), 2);
    let r = send(&s, "GET", "/api/v1/accounts/1/courses.json?per_page=2").await;
    let link = header(&r, "link").unwrap();
    assert!(
        link.contains("/api/v1/accounts/1/courses.json?page=2&per_page=2"),
        "{link}"
    );
}

#[tokio::test]
async fn sis_course_id_lookup() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/sis_course_id:BIO101").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], 1);
    assert_eq!(v["sis_course_id"], "BIO101");
    let (status, v) = get_json(&s, "/api/v1/courses/sis_course_id%3APHYS310.json").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], 10);
    let (status, _) = get_json(&s, "/api/v1/courses/sis_course_id:NOPE").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn accounts_users_and_self() {
    let s = demo().await;
    let (_, v) = get_json(&s, "/api/v1/accounts").await;
    assert_eq!(v, json!([serde_json::to_value(&s.accounts()[0]).unwrap()]));
    let (_, v) = get_json(&s, "/api/v1/accounts/self").await;
    assert_eq!(v["name"], "Demo University");
    assert_eq!(v["root_account_id"], Value::Null);
    let (_, v) = get_json(&s, "/api/v1/accounts/1/sub_accounts").await;
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Faculty of Science", "Faculty of Arts"]);
    let (_, v) = get_json(&s, "/api/v1/accounts/2/sub_accounts?recursive=true").await;
    assert_eq!(v, json!([]));

    let (_, v) = get_json(&s, "/api/v1/users/self").await;
    assert_eq!(v["id"], 1);
    assert_eq!(v["name"], "Warden Worker");
    let (_, v) = get_json(&s, "/api/v1/users/self/profile").await;
    assert_eq!(v["primary_email"], "warden.worker@demo.example.edu");
    let (_, v) = get_json(&s, "/api/v1/users/sis_user_id:F0002").await;
    assert_eq!(v["name"], "Maria Garcia");

    let (_, v) = get_json(&s, "/api/v1/accounts/1/users?per_page=100").await;
    assert_eq!(v.as_array().unwrap().len(), 22);
    assert!(v[0].get("email").is_none());
    let (_, v) = get_json(
        &s,
        "/api/v1/accounts/1/users?search_term=M%C3%BCller&include[]=email",
    )
    .await;
    assert_eq!(
        v,
        json!([{
            "id": 13, "name": "Lukas Müller", "created_at": s.users()[12].created_at,
            "sortable_name": "Müller, Lukas", "short_name": "Lukas Müller",
            "sis_user_id": "S0013", "integration_id": null, "sis_import_id": null,
            "login_id": "lmuller", "email": "lmuller@demo.example.edu"
        }])
    );
    let (status, _) = get_json(&s, "/api/v1/accounts/1/users?search_term=x").await;
    assert_eq!(status, 400);

    let (_, v) = get_json(&s, "/api/v1/courses/1/users?include[]=enrollments").await;
    let users = v.as_array().unwrap();
    assert!(users.len() >= 3, "{v}");
    assert!(users.iter().all(|u| u["enrollments"][0]["course_id"] == 1));
    let (_, v) = get_json(&s, "/api/v1/courses/1/users?enrollment_type[]=teacher").await;
    assert_eq!(v.as_array().unwrap().len(), 1);
}

// ---- overrides ------------------------------------------------------------

#[tokio::test]
async fn override_substitutes_token_and_base() {
    let s = demo().await;
    s.add_override(
        Override::new(
            "GET",
            "/api/v1/courses/1",
            200,
            r#"{"echo":"{token}","self":"{base}/x"}"#,
        )
        .header("X-Echo", "token={token}"),
    );
    let r = send(&s, "GET", "/api/v1/courses/1?ignored=1").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        header(&r, "x-echo"),
        Some(format!("token={TOKEN}").as_str())
    );
    assert_eq!(
        header(&r, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(header(&r, "x-rate-limit-remaining").is_some());
    let v: Value = body_json(r).await;
    assert_eq!(
        v,
        json!({"echo": TOKEN, "self": format!("{}/x", s.base_url())})
    );

    // Still behind the token check.
    let r = client()
        .get(format!("{}/api/v1/courses/1", s.base_url()))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Other paths are untouched; clearing restores the built-in route.
    let (_, v) = get_json(&s, "/api/v1/courses/2").await;
    assert_eq!(v["id"], 2);
    s.clear_overrides();
    let (_, v) = get_json(&s, "/api/v1/courses/1").await;
    assert_eq!(v["id"], 1);
}

#[tokio::test]
async fn override_redirect_error_and_skip_auth() {
    let s = demo().await;
    s.add_override(Override {
        method: "GET".into(),
        path: "/api/v1/courses/2".into(),
        status: 302,
        headers: vec![(
            "Location".into(),
            "http://127.0.0.2:9/steal?t={token}".into(),
        )],
        body: String::new(),
        skip_auth: false,
    });
    s.add_override(Override::new(
        "PUT",
        "/api/v1/courses/3",
        500,
        r#"{"errors":[{"message":"boom"}]}"#,
    ));
    s.add_override(
        Override::new("GET", "/api/v1/open", 200, r#"{"token_was":"{token}"}"#).without_auth(),
    );

    let r = send(&s, "GET", "/api/v1/courses/2").await;
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        header(&r, "location"),
        Some(format!("http://127.0.0.2:9/steal?t={TOKEN}").as_str())
    );

    let r = send(&s, "PUT", "/api/v1/courses/3").await;
    assert_eq!(r.status().as_u16(), 500);
    assert_eq!(s.course(3).unwrap().workflow_state, "unpublished");

    let r = client()
        .get(format!("{}/api/v1/open", s.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(body_json(r).await, json!({"token_was": ""}));
    let r = client()
        .get(format!("{}/api/v1/open", s.base_url()))
        .bearer_auth("whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(r).await, json!({"token_was": "whatever"}));
}

// ---- recording ------------------------------------------------------------

#[tokio::test]
async fn every_request_is_recorded_including_rejected_ones() {
    let s = demo().await;
    let c = client();
    c.get(format!("{}/api/v1/courses/1?x=1", s.base_url()))
        .header("authorization", "Bearer wrong")
        .send()
        .await
        .unwrap();
    send(&s, "GET", "/api/v1/nope").await;
    c.put(format!("{}/api/v1/courses/1", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    let reqs = s.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].target, "/api/v1/courses/1?x=1");
    assert_eq!(reqs[0].path(), "/api/v1/courses/1");
    assert_eq!(reqs[0].query(), Some("x=1"));
    assert_eq!(reqs[0].header("Authorization"), Some("Bearer wrong"));
    assert!(reqs[0].headers.iter().all(|(n, _)| *n == n.to_lowercase()));
    assert_eq!(reqs[1].path(), "/api/v1/nope");
    assert_eq!(reqs[2].method, "PUT");
    assert_eq!(reqs[2].body, b"{oops");
    s.clear_requests();
    assert!(s.requests().is_empty());
}

#[tokio::test]
async fn raw_target_is_recorded_byte_identical() {
    let s = demo().await;
    let target = "/api/v1/courses/%41%2e1?x=%20&y=a+b&z=%2F..%2f&include%5B%5D=term";
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nX-Custom: caf\u{e9}\r\nConnection: close\r\n\r\n",
        s.addr()
    );
    let raw = raw_http(s.addr(), req.as_bytes()).await;
    let (head, _) = split_response(&raw);
    // Ids are percent-decoded for look-up ("A.1" is no id).
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    let reqs = s.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].target.as_bytes(), target.as_bytes());
    assert_eq!(reqs[0].path(), "/api/v1/courses/%41%2e1");
    assert_eq!(
        reqs[0].query(),
        Some("x=%20&y=a+b&z=%2F..%2f&include%5B%5D=term")
    );
    assert_eq!(reqs[0].header("x-custom"), Some("caf\u{e9}"));

    // Dot segments are not normalised either.
    s.clear_requests();
    let req = format!(
        "GET /api/v1/courses/../accounts/./1 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n",
        s.addr()
    );
    let raw = raw_http(s.addr(), req.as_bytes()).await;
    let (head, _) = split_response(&raw);
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert_eq!(s.requests()[0].target, "/api/v1/courses/../accounts/./1");
}

#[tokio::test]
async fn large_bodies_are_capped_and_refused() {
    let s = demo().await;
    let big = vec![b'a'; MAX_RECORDED_BODY + 10];
    let r = client()
        .put(format!("{}/api/v1/courses/1", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let reqs = s.requests();
    assert_eq!(reqs[0].body.len(), MAX_RECORDED_BODY);
    assert!(reqs[0].body_truncated);
}

// ---- rate limit -----------------------------------------------------------

#[tokio::test]
async fn rate_limit_headers_are_floats_on_every_response() {
    let s = demo().await;
    let mut last = f64::INFINITY;
    for (method, path, token) in [
        ("GET", "/api/v1/courses/1", Some(TOKEN)),
        ("GET", "/api/v1/courses/1", None),
        ("GET", "/api/v1/nowhere", Some(TOKEN)),
        ("PUT", "/api/v1/courses/1", Some(TOKEN)),
    ] {
        let mut rb = client().request(method.parse().unwrap(), format!("{}{path}", s.base_url()));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        let r = rb.send().await.unwrap();
        let remaining = header(&r, "x-rate-limit-remaining").expect("remaining");
        let cost = header(&r, "x-request-cost").expect("cost");
        assert!(remaining.contains('.'), "{remaining}");
        assert!(cost.contains('.'), "{cost}");
        let remaining: f64 = remaining.parse().expect("float");
        let cost: f64 = cost.parse().expect("float");
        assert!(cost > 0.0);
        assert!(remaining <= 700.0 && remaining > 690.0, "{remaining}");
        assert!(remaining <= last + 1.0);
        last = remaining;
        if method == "PUT" {
            assert!(cost > 0.05);
        }
    }
}

// ---- robustness -----------------------------------------------------------

#[tokio::test]
async fn a_poisoned_mutex_does_not_take_the_server_down() {
    let s = demo().await;
    let shared = s.shared.clone();
    let _ = std::thread::spawn(move || {
        let _guard = shared.data.lock();
        panic!("poison the data mutex (expected in this test)");
    })
    .join();
    assert!(s.shared.data.is_poisoned());
    let (status, v) = get_json(&s, "/api/v1/courses/1").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], 1);
    assert_eq!(s.course(1).unwrap().id, 1);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let s = demo().await;
    let addr = s.addr();
    send(&s, "GET", "/api/v1/courses/1").await;
    s.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());

    let s = demo().await;
    let addr = s.addr();
    drop(s);
    // The listener closes once the aborted task is dropped by the runtime.
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests() {
    let s = demo().await;
    let base = s.base_url();
    let mut tasks = Vec::new();
    for i in 0..40u64 {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let r = client()
                .get(format!("{base}/api/v1/courses/{}", 1 + i % 25))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            r.status().as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(s.requests().len(), 40);
}

// ---- throttling mode --------------------------------------------------------

#[tokio::test]
async fn throttling_mode_refuses_what_does_not_fit_in_the_bucket() {
    let s = demo().await;
    for status in [ThrottleStatus::Forbidden, ThrottleStatus::TooManyRequests] {
        s.clear_requests();
        let before = s.throttled();
        s.set_throttle(Some(Throttle {
            capacity: 3.0,
            // Slow enough that nothing drains during the test.
            refill_per_sec: 0.001,
            cost: 1.0,
            status,
        }));
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let r = send(&s, "GET", "/api/v1/courses/1").await;
            assert_eq!(r.status(), 200);
            assert_eq!(header(&r, "x-request-cost"), Some("1.0"));
            let left: f64 = header(&r, "x-rate-limit-remaining")
                .unwrap()
                .parse()
                .unwrap();
            remaining.push(left.round());
        }
        assert_eq!(remaining, [2.0, 1.0, 0.0]);
        // Refused before the token check: even without a token.
        for with_token in [true, false] {
            let mut rb = client().get(format!("{}/api/v1/courses/1", s.base_url()));
            if with_token {
                rb = rb.bearer_auth(TOKEN);
            }
            let r = rb.send().await.unwrap();
            assert_eq!(r.status().as_u16(), status.code());
            assert!(header(&r, "x-rate-limit-remaining").is_some());
            assert_eq!(header(&r, "x-request-cost"), None);
            let body = r.text().await.unwrap();
            assert!(body.contains("Rate Limit Exceeded"), "{body}");
        }
        assert_eq!(s.throttled() - before, 2);
        // Every request is recorded, refused ones too.
        assert_eq!(s.requests().len(), 5);
    }
    // Off again: the default bucket never throttles.
    s.set_throttle(None);
    for _ in 0..20 {
        assert_eq!(send(&s, "GET", "/api/v1/courses/1").await.status(), 200);
    }
}

#[tokio::test]
async fn throttling_mode_refills() {
    let s = demo().await;
    s.set_throttle(Some(Throttle {
        capacity: 2.0,
        refill_per_sec: 2.0,
        cost: 1.0,
        status: ThrottleStatus::TooManyRequests,
    }));
    let mut ok = 0;
    let mut refused = 0;
    for _ in 0..10 {
        match send(&s, "GET", "/api/v1/courses/1").await.status().as_u16() {
            200 => ok += 1,
            429 => refused += 1,
            other => panic!("status {other}"),
        }
    }
    assert!(refused > 0, "{ok} ok");
    assert_eq!(s.throttled(), refused);
    // 1.1 s refill 2.2 units, capped at 2.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(send(&s, "GET", "/api/v1/courses/1").await.status(), 200);
    assert_eq!(send(&s, "GET", "/api/v1/courses/1").await.status(), 200);
}

#[tokio::test]
async fn an_override_for_some_requests_runs_out() {
    let s = demo().await;
    s.add_override_times(
        Override::new("GET", "/api/v1/courses/1", 503, "{\"errors\":[]}"),
        2,
    );
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(send(&s, "GET", "/api/v1/courses/1").await.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [503, 503, 200]);
    s.add_override_times(Override::new("GET", "/api/v1/courses/1", 500, "{}"), 0);
    assert_eq!(send(&s, "GET", "/api/v1/courses/1").await.status(), 200);
}
