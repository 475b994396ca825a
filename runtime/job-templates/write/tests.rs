//! The job's logic on the host, without Warden: `cargo test` runs it with
//! warden-sdk's fake Canvas (the crate's runner is `warden exec`).

use serde_json::json;
use warden_sdk::testing::FakeCanvas;
use warden_sdk::Method;

fn canvas(view: &str) -> FakeCanvas {
    FakeCanvas::new()
        .env("COURSE_ID", "1")
        .env("DEFAULT_VIEW", "modules")
        .respond(Method::Get, "/api/v1/courses/1", 200, json!({"id": 1, "default_view": view}))
        .respond(Method::Put, "/api/v1/courses/1", 200, json!({"id": 1, "default_view": "modules"}))
}

#[test]
fn changes_the_view_once() {
    let fake = canvas("syllabus");
    let _installed = fake.install();
    super::main().unwrap();
    assert_eq!(fake.writes().len(), 1);
}

#[test]
fn leaves_a_course_that_already_has_it() {
    let fake = canvas("modules");
    let _installed = fake.install();
    super::main().unwrap();
    assert!(fake.writes().is_empty());
}
