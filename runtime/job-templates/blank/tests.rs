//! The job's logic on the host, without Warden: `cargo test` runs it with
//! warden-sdk's fake Canvas (the crate's runner is `warden exec`).

use warden_sdk::testing::FakeCanvas;

#[test]
fn runs() {
    let canvas = FakeCanvas::new();
    let _installed = canvas.install();
    super::main().unwrap();
    assert!(canvas.requests().is_empty());
}
