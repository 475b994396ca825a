//! Prints how warden_sdk reports each kind of failure, one line each, so
//! tests can check the typed errors a job author sees.

use warden_sdk::canvas;

fn show(label: &str, r: Result<warden_sdk::Response, warden_sdk::Error>) {
    match r {
        Ok(resp) => println!("{label}: ok {}", resp.status()),
        Err(e) => println!(
            "{label}: {} | status={:?} denied={} | {e}",
            kind(&e),
            e.status(),
            e.is_denied()
        ),
    }
}

fn kind(e: &warden_sdk::Error) -> &'static str {
    use warden_sdk::Error::*;
    match e {
        Denied(_) => "Denied",
        Invalid(_) => "Invalid",
        Throttled(_) => "Throttled",
        BudgetExhausted(_) => "BudgetExhausted",
        Unavailable(_) => "Unavailable",
        Status { .. } => "Status",
        _ => "Other",
    }
}

fn main() {
    show("missing", canvas::get("/api/v1/courses/999999").send());
    show("denied", canvas::get("/api/v1/users/1").send());
    show(
        "invalid",
        canvas::get("/api/v1/courses/1/../../users/1").send(),
    );
    show("found", canvas::get("/api/v1/courses/1").send());
    match warden_sdk::env("NOT_DECLARED") {
        Ok(v) => println!("env: ok {v}"),
        Err(e) => println!("env: {e}"),
    }
}
