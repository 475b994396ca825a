//! `warden_sdk::testing` (feature `test-support`): a job's requests and
//! `[env]` served by a FakeCanvas on the host.
//!
//! Run with `cargo test -p warden-sdk --features test-support`.
#![cfg(feature = "test-support")]

use serde_json::json;
use warden_sdk::canvas::{self, assignments, courses, enrollments, sections, submissions, users};
use warden_sdk::models::{Course, EnrollmentType};
use warden_sdk::raw;
use warden_sdk::testing::{FakeCanvas, Reply, ORIGIN};
use warden_sdk::{CourseId, Error, Method, UserId};

fn fixtures(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn requests_are_answered_and_recorded() {
    let fake = FakeCanvas::new().respond(
        Method::Get,
        "/api/v1/courses/3",
        200,
        json!({"id": 3, "name": "Biology"}),
    );
    let _installed = fake.install();
    let response = canvas::get("/api/v1/courses/3")
        .query("include[]", "term")
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        response.json::<Course>().unwrap().name.as_deref(),
        Some("Biology")
    );

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, Method::Get);
    assert_eq!(sent[0].path, "/api/v1/courses/3");
    assert_eq!(
        sent[0].query,
        [("include[]".to_string(), "term".to_string())]
    );
    assert_eq!(sent[0].query_value("include[]"), Some("term"));
    assert_eq!(sent[0].headers[0].0, "accept");
    assert_eq!(sent[0].body, None);
    assert_eq!(
        sent[0].to_string(),
        "GET /api/v1/courses/3?include%5B%5D=term"
    );
    assert!(fake.unused().is_empty());
}

#[test]
fn an_unanswered_request_names_its_method_and_path() {
    let fake = FakeCanvas::new().respond(Method::Get, "/api/v1/courses/3", 200, json!({"id": 3}));
    let _installed = fake.install();
    let e = canvas::put("/api/v1/courses/3").send().unwrap_err();
    assert!(matches!(e, Error::Invalid(_)), "{e:#?}");
    assert_eq!(
        e.to_string(),
        "invalid request: FakeCanvas has no canned answer for PUT /api/v1/courses/3: \
         add one with FakeCanvas::respond or in responses.json"
    );
    let e = courses::get(4).include("term").send().unwrap_err();
    assert!(
        e.to_string()
            .contains("no canned answer for GET /api/v1/courses/4 (query include%5B%5D=term)"),
        "{e}"
    );
    // both were recorded all the same
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(fake.writes().len(), 1);
}

#[test]
fn without_a_fake_a_request_on_the_host_fails_clearly() {
    let e = canvas::get("/api/v1/courses/1").send().unwrap_err();
    assert!(matches!(e, Error::Invalid(_)));
    assert!(
        e.to_string()
            .contains("GET /api/v1/courses/1: no FakeCanvas is installed on this thread"),
        "{e}"
    );
}

#[test]
fn the_guard_uninstalls_and_restores_the_previous_fake() {
    let outer = FakeCanvas::new().respond(Method::Get, "/a", 200, json!("outer"));
    let inner = FakeCanvas::new().respond(Method::Get, "/a", 200, json!("inner"));
    let get = || canvas::get("/a").send().and_then(|r| r.json::<String>());
    {
        let _o = outer.install();
        assert_eq!(get().unwrap(), "outer");
        {
            let _i = inner.install();
            assert_eq!(get().unwrap(), "inner");
        }
        assert_eq!(get().unwrap(), "outer");
    }
    assert!(get()
        .unwrap_err()
        .to_string()
        .contains("no FakeCanvas is installed"));
    assert_eq!(outer.requests().len(), 2);
    assert_eq!(inner.requests().len(), 1);
}

#[test]
fn each_thread_sees_only_its_own_fake() {
    let fake = FakeCanvas::new()
        .env("WHO", "main")
        .respond(Method::Get, "/a", 200, json!(1));
    let _installed = fake.install();
    std::thread::spawn(|| {
        assert_eq!(warden_sdk::env_opt("WHO"), None);
        let e = canvas::get("/a").send().unwrap_err();
        assert!(e.to_string().contains("no FakeCanvas is installed"), "{e}");
        let other =
            FakeCanvas::new()
                .env("WHO", "thread")
                .respond(Method::Get, "/a", 200, json!(2));
        let _i = other.install();
        assert_eq!(warden_sdk::env("WHO").unwrap(), "thread");
        assert_eq!(canvas::get("/a").send().unwrap().json::<u32>().unwrap(), 2);
    })
    .join()
    .unwrap();
    assert_eq!(warden_sdk::env("WHO").unwrap(), "main");
    assert_eq!(canvas::get("/a").send().unwrap().json::<u32>().unwrap(), 1);
}

#[test]
fn env_comes_from_the_fake_alone_while_installed() {
    // PATH is set in any test process; the fake hides it, as Warden does.
    assert!(warden_sdk::env_opt("PATH").is_some());
    let fake = FakeCanvas::new().env("ACCOUNT_ID", "sis_account_id:SCI");
    {
        let _installed = fake.install();
        assert_eq!(warden_sdk::env("ACCOUNT_ID").unwrap(), "sis_account_id:SCI");
        assert_eq!(warden_sdk::env_opt("PATH"), None);
        let e = warden_sdk::env("COURSE_IDS").unwrap_err();
        assert!(matches!(&e, Error::MissingEnv { key } if key == "COURSE_IDS"));
        assert!(!warden_sdk::is_dry_run());
        assert_eq!(warden_sdk::job_name(), None);
        // variables added after installing are seen too
        let _fake = fake.clone().env("WARDEN_JOB", "report");
        assert_eq!(warden_sdk::job_name().as_deref(), Some("report"));
    }
    assert!(warden_sdk::env_opt("PATH").is_some());
    assert_eq!(warden_sdk::env_opt("ACCOUNT_ID"), None);
}

#[test]
fn pages_are_served_with_next_links() {
    let fake = FakeCanvas::new().respond_pages(
        "/api/v1/accounts/1/courses?published=false",
        [
            json!([{"id": 1}, {"id": 2}]),
            json!([{"id": 3}]),
            json!([{"id": 4, "name": "last"}]),
        ],
    );
    let _installed = fake.install();
    let ids: Vec<u64> = courses::list(1)
        .query("published", false)
        .per_page(2)
        .map(|c| c.unwrap().id)
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    let sent: Vec<String> = fake.requests().iter().map(ToString::to_string).collect();
    assert_eq!(
        sent,
        [
            "GET /api/v1/accounts/1/courses?published=false&per_page=2".to_string(),
            format!("GET {ORIGIN}/api/v1/accounts/1/courses?published=false&page=2"),
            format!("GET {ORIGIN}/api/v1/accounts/1/courses?published=false&page=3"),
        ]
    );
    // the canned query must be present: without published=false nothing matches
    let e = courses::list(1).next().unwrap().unwrap_err();
    assert!(e
        .to_string()
        .contains("no canned answer for GET /api/v1/accounts/1/courses"));
}

#[test]
fn a_single_page_has_no_next_link() {
    let fake = FakeCanvas::new().respond_pages("/api/v1/courses/1/sections", [json!([{"id": 9}])]);
    let _installed = fake.install();
    let response = canvas::get("/api/v1/courses/1/sections").send().unwrap();
    assert_eq!(response.links().next, None);
    assert!(response.links().current.is_some());
    assert_eq!(sections::list(1).count(), 1);
}

#[test]
fn answers_are_used_in_order_and_the_last_repeats() {
    let fake = FakeCanvas::new()
        .respond(
            Method::Get,
            "/api/v1/courses/1",
            200,
            json!({"id": 1, "default_view": "feed"}),
        )
        .respond(
            Method::Get,
            "/api/v1/courses/1",
            200,
            json!({"id": 1, "default_view": "modules"}),
        );
    let _installed = fake.install();
    let view = || courses::get(1).send().unwrap().default_view.unwrap();
    assert_eq!(view(), "feed");
    assert_eq!(view(), "modules");
    assert_eq!(view(), "modules");
}

#[test]
fn the_most_specific_query_wins() {
    let fake = FakeCanvas::new()
        .respond(Method::Get, "/api/v1/courses/1", 200, json!({"id": 1}))
        .respond(
            Method::Get,
            "/api/v1/courses/1?include[]=term",
            200,
            json!({"id": 1, "term": {"id": 5, "name": "Fall"}}),
        )
        .respond(
            Method::Get,
            &format!("{ORIGIN}/api/v1/courses/2"),
            200,
            json!({"id": 2}),
        );
    let _installed = fake.install();
    assert!(courses::get(1).send().unwrap().term.is_none());
    let with_term = courses::get(1)
        .include("term")
        .include("teachers")
        .send()
        .unwrap();
    assert_eq!(with_term.term.unwrap().id, 5);
    // an absolute canned URL matches the path the job sends
    assert_eq!(courses::get(2).send().unwrap().id, 2);
}

#[test]
fn host_refusals() {
    let fake = FakeCanvas::new()
        .refuse(
            Method::Put,
            "/api/v1/courses/1",
            raw::Error::Denied("no scope allows PUT /api/v1/courses/1".into()),
        )
        .refuse(
            Method::Get,
            "/api/v1/users/self",
            raw::Error::BudgetExhausted("100 requests".into()),
        );
    let _installed = fake.install();
    let e = courses::update(1, &courses::CourseUpdate::new().name("x"))
        .send()
        .unwrap_err();
    assert!(e.is_denied());
    assert_eq!(
        e.to_string(),
        "denied by the manifest: no scope allows PUT /api/v1/courses/1"
    );
    let e = users::get(UserId::SELF).send().unwrap_err();
    assert!(matches!(e, Error::BudgetExhausted(_)));
}

#[test]
fn canvas_error_messages_are_in_every_error() {
    let not_found = json!({"errors": [{"message": "The specified resource does not exist."}]});
    let fake = FakeCanvas::new()
        .respond(Method::Get, "/api/v1/courses/9", 404, not_found.clone())
        .respond(Method::Get, "/api/v1/courses/9/enrollments", 404, not_found.clone())
        .respond(
            Method::Put,
            "/api/v1/courses/9",
            400,
            json!({"errors": {"default_view": [{"message": "is invalid"}], "base": [{"message": "course is concluded"}]}}),
        )
        .reply(
            Method::Get,
            "/api/v1/users/5",
            Reply::json(401, &json!({"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}, {"message": "second reason"}]})),
        );
    let _installed = fake.install();
    let message = "GET /api/v1/courses/9: 404 Not Found: The specified resource does not exist.";
    assert_eq!(
        canvas::get("/api/v1/courses/9")
            .send()
            .unwrap_err()
            .to_string(),
        message
    );
    assert_eq!(courses::get(9).send().unwrap_err().to_string(), message);
    let e = enrollments::list(9).next().unwrap().unwrap_err();
    assert_eq!(
        e.to_string(),
        "GET /api/v1/courses/9/enrollments: 404 Not Found: The specified resource does not exist."
    );
    let e = courses::update(9, &courses::CourseUpdate::new().default_view("x"))
        .send()
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("default_view: is invalid"), "{e}");
    assert!(e.to_string().contains("course is concluded"), "{e}");
    let e = users::get(5).send().unwrap_err();
    assert_eq!(
        e.to_string(),
        "GET /api/v1/users/5: 401 Unauthorized: user not authorized to perform that action; second reason"
    );
    // send_any hands back the status instead
    let r = canvas::get("/api/v1/courses/9").send_any().unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.error_messages(),
        ["The specified resource does not exist."]
    );
}

#[test]
fn a_dry_run_is_answered_like_the_host_does() {
    let fake = FakeCanvas::new()
        .dry_run(true)
        .respond(
            Method::Get,
            "/api/v1/courses/3",
            200,
            json!({"id": 3, "default_view": "feed"}),
        )
        .respond(
            Method::Put,
            "/api/v1/courses/3",
            200,
            json!({"id": 3, "default_view": "modules"}),
        );
    let _installed = fake.install();
    assert!(warden_sdk::is_dry_run());
    assert_eq!(
        courses::get(3).send().unwrap().default_view.as_deref(),
        Some("feed")
    );

    let changes = courses::CourseUpdate::new().default_view("modules");
    let course = courses::update(3, &changes).send().unwrap();
    assert_eq!(course.id, 3);
    assert_eq!(course.default_view.as_deref(), Some("modules"));
    assert_eq!(course.extra["warden_dry_run"], true);
    assert_eq!(course.extra["method"], "PUT");
    assert_eq!(course.extra["path"], "/api/v1/courses/3");

    let course = courses::update(CourseId::sis("BIO 101"), &changes)
        .send()
        .unwrap();
    assert_eq!(course.id, 0);

    let r = canvas::post("/api/v1/courses/3/pages")
        .query("x", "a b")
        .json(&json!({"wiki_page": {"title": "T"}}))
        .unwrap()
        .send()
        .unwrap();
    assert!(r.is_dry_run());
    let body: serde_json::Value = r.json().unwrap();
    assert_eq!(body["path"], "/api/v1/courses/3/pages?x=a+b");
    assert_eq!(body["body_bytes"], r#"{"wiki_page":{"title":"T"}}"#.len());

    // every write was recorded, and the PUT answer was never used
    assert_eq!(fake.writes().len(), 3);
    assert_eq!(fake.unused(), ["PUT /api/v1/courses/3"]);
    assert_eq!(
        fake.writes()[0].body_json(),
        Some(json!({"course": {"default_view": "modules"}}))
    );
    let fake = fake.dry_run(false);
    assert!(!warden_sdk::is_dry_run());
    let course = courses::update(3, &changes).send().unwrap();
    assert!(course.extra.is_empty());
    assert_eq!(fake.unused(), Vec::<String>::new());
}

#[test]
fn typed_helpers_send_what_they_build() {
    let fake = FakeCanvas::new()
        .respond(
            Method::Get,
            "/api/v1/courses/sis_course_id:MATH%20101%2F2026/enrollments",
            200,
            json!([{"id": 1, "type": "StudentEnrollment", "grades": {"current_score": 91.5}}]),
        )
        .respond(
            Method::Get,
            "/api/v1/courses/7/assignments",
            200,
            json!([{"id": 5, "points_possible": 10, "submission_types": ["online_upload"]}]),
        )
        .respond(
            Method::Get,
            "/api/v1/courses/7/assignments/5/submissions",
            200,
            json!([{"id": 9, "score": 8.5, "grade": "8.5", "user_id": 21}]),
        )
        .respond(
            Method::Get,
            "/api/v1/users/sis_login_id:a@b.edu",
            200,
            json!({"id": 21}),
        );
    let _installed = fake.install();

    let students: Vec<_> = enrollments::list(CourseId::sis("MATH 101/2026"))
        .of_type(EnrollmentType::Student)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        students[0].grades.as_ref().unwrap().current_score,
        Some(91.5)
    );
    let sent = &fake.requests()[0];
    assert_eq!(sent.query_value("type[]"), Some("StudentEnrollment"));

    let assignment = assignments::list(7).next().unwrap().unwrap();
    assert_eq!(assignment.points_possible, Some(10.0));
    let sub = submissions::list(7, &assignment).next().unwrap().unwrap();
    assert_eq!((sub.score, sub.grade.as_deref()), (Some(8.5), Some("8.5")));
    assert_eq!(users::get(UserId::login("a@b.edu")).send().unwrap().id, 21);
}

#[test]
fn fixtures_from_a_folder() {
    let fake = FakeCanvas::from_dir(fixtures("report")).unwrap();
    let _installed = fake.install();

    let all: Vec<Course> = courses::list(1)
        .per_page(2)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [101, 102, 87]);
    assert_eq!(
        all[0].term.as_ref().unwrap().name.as_deref(),
        Some("Fall 2026")
    );
    assert_eq!(all[2].access_restricted_by_date, Some(true));

    assert_eq!(
        courses::get(101).send().unwrap().default_view.as_deref(),
        Some("feed")
    );
    let e = courses::update(101, &courses::CourseUpdate::new().default_view("wiki"))
        .send()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "PUT /api/v1/courses/101: 400 Bad Request: default_view: must be a front page first"
    );
    let e = courses::get(999).send().unwrap_err();
    assert_eq!(e.status(), Some(404));
    let r = canvas::delete("/api/v1/courses/101/enrollments/7")
        .send()
        .unwrap();
    assert_eq!((r.status(), r.body().len()), (204, 0));
    let r = canvas::get("/api/v1/courses/101/front_page")
        .send()
        .unwrap();
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.text(), "<p>not JSON</p>");
    assert!(fake.unused().is_empty(), "{:?}", fake.unused());
}

fn write_fixture(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("warden-sdk-fixture-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("responses.json"), text).unwrap();
    dir
}

#[test]
fn bad_fixture_folders_are_clear_errors() {
    let missing = std::env::temp_dir().join("warden-sdk-no-such-fixture-folder");
    let e = FakeCanvas::from_dir(&missing).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "cannot read {}: ",
            missing.join("responses.json").display()
        )),
        "{e}"
    );

    let cases = [
        (
            "not-array",
            r#"{"method": "GET"}"#,
            "not a JSON array of canned responses",
        ),
        (
            "typo",
            r#"[{"method": "GET", "path": "/a", "stauts": 404}]"#,
            "unknown field `stauts`",
        ),
        ("no-path", r#"[{"method": "GET"}]"#, "missing field `path`"),
        (
            "method",
            r#"[{"method": "GET", "path": "/a"}, {"method": "FETCH", "path": "/b"}]"#,
            "entry 1: unknown HTTP method \"FETCH\"",
        ),
        (
            "both",
            r#"[{"method": "GET", "path": "/a", "body": {}, "text": "x"}]"#,
            "entry 0: has both body and text",
        ),
    ];
    for (name, text, expected) in cases {
        let dir = write_fixture(name, text);
        let e = FakeCanvas::from_dir(&dir).unwrap_err();
        assert!(matches!(e, Error::Other(_)), "{name}: {e:#?}");
        assert!(e.to_string().contains(expected), "{name}: {e}");
        assert!(e.to_string().contains("responses.json"), "{name}: {e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
