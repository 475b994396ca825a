//! warden-sdk as a job author uses it, against the stand-in.

use warden::run::RunStatus;
use warden::standin::Seed;

use crate::support::{manifest, run, standin, standin_with};

const ACCOUNT_COURSES: &str = "url:GET|/api/v1/accounts/:account_id/courses";
const COURSE: &str = "url:GET|/api/v1/courses/:id";

#[tokio::test]
async fn paginate_follows_link_headers_across_1000_items() {
    let canvas = standin_with(Seed::demo().with_generated_courses(2, 1000, 100)).await;
    let mut m = manifest(
        warden_test_artifacts::PAGINATE,
        &[ACCOUNT_COURSES],
        "[env]\nACCOUNT_ID = \"2\"\nPER_PAGE = \"100\"\n",
    );
    m.limits.timeout = std::time::Duration::from_secs(60);
    let ran = run(&canvas.base_url(), &m).await;
    assert_eq!(ran.report.status, RunStatus::Succeeded, "{}", ran.stderr);
    let expected = canvas
        .courses()
        .iter()
        .filter(|c| c.account_id == 2 && c.workflow_state != "deleted")
        .count();
    assert!(expected >= 1000);
    assert_eq!(
        ran.stdout.trim(),
        format!("courses {expected} distinct {expected}")
    );
    let seen = canvas.requests();
    assert_eq!(seen.len(), expected.div_ceil(100));
    assert_eq!(seen[0].target, "/api/v1/accounts/2/courses?per_page=100");
    // Later pages are the stand-in's own Link URLs, used as they were given.
    assert_eq!(
        seen[1].target,
        "/api/v1/accounts/2/courses?page=2&per_page=100"
    );
    assert_eq!(ran.report.stats.sent as usize, seen.len());
}

#[tokio::test]
async fn sdk_errors_are_typed() {
    let canvas = standin().await;
    let m = manifest(warden_test_artifacts::SDK_ERRORS, &[COURSE], "");
    let ran = run(&canvas.base_url(), &m).await;
    let line = |label: &str| {
        ran.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{label}: ")))
            .unwrap_or_else(|| panic!("no {label} line in {}", ran.stdout))
            .to_string()
    };
    let missing = line("missing");
    assert!(
        missing.starts_with("missing: Status | status=Some(404) denied=false | "),
        "{missing}"
    );
    assert!(
        missing.contains("The specified resource does not exist."),
        "{missing}"
    );
    let denied = line("denied");
    assert!(
        denied.starts_with("denied: Denied | status=None denied=true | "),
        "{denied}"
    );
    assert!(line("invalid").starts_with("invalid: Invalid | "));
    assert_eq!(line("found"), "found: ok 200");
    let env = line("env");
    assert!(
        env.contains("NOT_DECLARED") && env.contains("[env]"),
        "{env}"
    );
    assert_eq!(ran.report.stats.denied, 1);
    assert_eq!(ran.report.stats.invalid, 1);
}
