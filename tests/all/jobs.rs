//! The example jobs of jobs/, run with their manifests from examples/
//! against the stand-in: what `warden demo` shows.

use std::path::Path;

use warden::manifest::Manifest;
use warden::run::RunStatus;

use crate::support::{run, standin};

pub fn example(name: &str, component: &str) -> Manifest {
    let path = Path::new(warden_test_artifacts::ROOT)
        .join("examples")
        .join(name)
        .join("job.toml");
    let mut m = Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    // The manifest points at jobs/target; the tests built the job elsewhere.
    m.component = component.into();
    m
}

#[tokio::test]
async fn unpublished_courses_lists_exactly_the_unpublished_ones() {
    let canvas = standin().await;
    let m = example(
        "unpublished-courses",
        warden_test_artifacts::JOB_UNPUBLISHED_COURSES,
    );
    let ran = run(&canvas.base_url(), &m).await;
    assert_eq!(ran.report.status, RunStatus::Succeeded, "{}", ran.stderr);
    let account: u64 = m.env["ACCOUNT_ID"].parse().unwrap();
    let unpublished: Vec<u64> = canvas
        .courses()
        .iter()
        .filter(|c| c.workflow_state == "unpublished")
        .filter(|c| c.account_id == account || c.root_account_id == account)
        .map(|c| c.id)
        .collect();
    assert!(!unpublished.is_empty());
    for id in &unpublished {
        assert!(
            ran.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{id}\t"))),
            "course {id} missing from:\n{}",
            ran.stdout
        );
    }
    assert!(
        ran.stdout
            .contains(&format!("{} unpublished courses", unpublished.len())),
        "{}",
        ran.stdout
    );
    assert_eq!(ran.report.stats.denied + ran.report.stats.invalid, 0);
    assert!(canvas.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn set_default_view_writes_then_finds_nothing_to_do() {
    let canvas = standin().await;
    let m = example(
        "set-default-view",
        warden_test_artifacts::JOB_SET_DEFAULT_VIEW,
    );
    let wanted = m.env["DEFAULT_VIEW"].clone();
    let ids: Vec<u64> = m.env["COURSE_IDS"]
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();

    let ran = run(&canvas.base_url(), &m).await;
    ran.assert_succeeded();
    for id in &ids {
        assert_eq!(canvas.course(*id).unwrap().default_view, wanted);
    }
    assert!(canvas.requests().iter().any(|r| r.method == "PUT"));

    canvas.clear_requests();
    let again = run(&canvas.base_url(), &m).await;
    assert_eq!(again.report.status, RunStatus::Succeeded);
    assert!(
        again.stdout.contains(&format!("already {wanted}")),
        "{}",
        again.stdout
    );
    assert!(canvas.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn the_example_config_names_the_example_jobs() {
    let examples = Path::new(warden_test_artifacts::ROOT).join("examples");
    let config = warden::config::Config::load(&examples.join("warden.toml")).unwrap();
    let found = config.manifest_paths().unwrap();
    assert_eq!(
        found,
        [
            examples.join("set-default-view/job.toml"),
            examples.join("unpublished-courses/job.toml")
        ]
    );
    assert_eq!(config.state, Some(examples.join("state/warden.db")));
    for path in found {
        let m = Manifest::load(&path).unwrap();
        assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    }
}
