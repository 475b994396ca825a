//! The job's logic on the host, without Warden: `cargo test` runs it with
//! warden-sdk's fake Canvas (the crate's runner is `warden exec`).

use serde_json::json;
use warden_sdk::testing::FakeCanvas;

#[test]
fn lists_every_course_of_the_account_page_by_page() {
    let canvas = FakeCanvas::new().env("ACCOUNT_ID", "1").respond_pages(
        "/api/v1/accounts/1/courses",
        [
            json!([{"id": 1, "name": "BIO 101", "workflow_state": "available"}]),
            json!([{"id": 2, "name": "CHEM 110", "workflow_state": "unpublished"}]),
        ],
    );
    let _installed = canvas.install();
    super::main().unwrap();
    assert_eq!(canvas.requests().len(), 2, "both pages were read");
}
