//! `warden scopes explain|suggest|unused|diff`: the binary, on recorded
//! runs and on manifest files (and git).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

/// `warden <args>`, run in `dir`: exit code, stdout, stderr.
fn warden(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out: Output = Command::new(WARDEN)
        .args(args)
        .current_dir(dir)
        // Keep git from finding a repository above the test's folder.
        .env("GIT_CEILING_DIRECTORIES", std::env::temp_dir())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn manifest_text(name: &str, canvas: &str) -> String {
    format!(
        "version = 1\n[job]\nname = {name:?}\ncomponent = {:?}\n[canvas]\n{canvas}\n",
        warden_test_artifacts::SCRIPTED
    )
}

#[test]
fn explain_names_the_scopes_that_allow_a_request() {
    let dir = TempDir::new("warden-scopes-explain");
    let (code, stdout, stderr) = warden(
        &dir,
        &["scopes", "explain", "GET", "/api/v1/courses/42/enrollments"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "url:GET|/api/v1/courses/:course_id/enrollments\n");

    // Lower-case methods, absolute URLs and queries are fine; narrowest first.
    let (code, stdout, _) = warden(
        &dir,
        &[
            "scopes",
            "explain",
            "get",
            "https://school.instructure.com/api/v1/courses/1/assignments/gradeable_students?per_page=5",
        ],
    );
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        "url:GET|/api/v1/courses/:course_id/assignments/gradeable_students\nurl:GET|/api/v1/courses/:course_id/assignments/:id\n"
    );

    let (code, stdout, stderr) = warden(&dir, &["scopes", "explain", "POST", "/api/v1/foo"]);
    assert_eq!(code, Some(1));
    assert_eq!(stdout, "");
    assert_eq!(stderr, "no Canvas scope allows POST /api/v1/foo\n");

    // What the host refuses whatever the scopes is not explained as allowed.
    let (code, stdout, stderr) = warden(
        &dir,
        &["scopes", "explain", "GET", "/api/v1/courses/1/files/a/../b"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("Warden refuses GET /api/v1/courses/1/files/a/../b before any scope check: invalid request:"),
        "{stderr}"
    );

    let (code, _, stderr) = warden(&dir, &["scopes", "explain", "TRACE", "/api/v1/foo"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown HTTP method \"TRACE\""), "{stderr}");
}

/// Two recorded runs of a job with allowed, denied and invalid requests:
/// `suggest` prints the fewest real scopes as pasteable TOML, `unused` the
/// manifest scopes no request used.
#[tokio::test]
async fn suggest_and_unused_read_the_recorded_runs() {
    let canvas = standin().await;
    let dir = TempDir::new("warden-scopes-history");
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    std::fs::write(
        dir.join("warden.toml"),
        format!(
            "jobs = [\"jobs/*.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = {:?}\ntoken_file = \"token\"\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    let script = serde_json::json!([
        {"method": "GET", "path": "/api/v1/accounts/1/courses", "query": [["per_page", "5"]]},
        {"method": "GET", "path": "/api/v1/courses/5"},
        {"method": "PUT", "path": "/api/v1/courses/5", "headers": [["Content-Type", "application/json"]], "body": "{}"},
        {"method": "GET", "path": format!("{}/api/v1/accounts/2/courses?page=2", canvas.base_url())},
        {"method": "POST", "path": "/api/v1/nowhere"},
        {"method": "GET", "path": "/api/v1/courses/1/../../users/1"},
    ])
    .to_string();
    let job = dir.join("jobs/reporter.toml");
    std::fs::write(
        &job,
        manifest_text(
            "reporter",
            &format!(
                "scopes = [\"url:GET|/api/v1/accounts/:account_id/courses\", \"url:GET|/api/v1/users/:id\", \"url:DELETE|/api/v1/courses/:id\"]\n[env]\nSCRIPT = {script:?}\n"
            ),
        ),
    )
    .unwrap();
    for _ in 0..2 {
        let out = tokio::process::Command::new(WARDEN)
            .arg("run")
            .arg(&job)
            .arg("--config")
            .arg(dir.join("warden.toml"))
            .output()
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (code, stdout, stderr) = warden(
        &dir,
        &[
            "scopes",
            "suggest",
            "reporter",
            "--runs",
            "5",
            "--config",
            "warden.toml",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let has = |text: &str| assert!(stdout.contains(text), "no {text:?} in:\n{stdout}");
    has("# Canvas scopes for job \"reporter\": the fewest that allow every request of its last 2 run(s)\n");
    has("# (10 request(s), 6 of them denied; 5 distinct).\n");
    has("# Skipped 2 request(s): refused as invalid");
    has("    \"url:GET|/api/v1/accounts/:account_id/courses\",  # 2 distinct request(s), e.g. GET /api/v1/accounts/1/courses\n");
    has("    \"url:GET|/api/v1/courses/:id\",  # 1 distinct request(s), 1 denied, not in the manifest, e.g. GET /api/v1/courses/5\n");
    has("    \"url:PUT|/api/v1/courses/:id\",  # write, 1 distinct request(s), 1 denied, not in the manifest, e.g. PUT /api/v1/courses/5\n");
    has("# No Canvas scope allows these; they stay denied whatever the manifest says:\n#   POST /api/v1/nowhere\n");
    // The snippet is TOML, ready to paste.
    let start = stdout.find("scopes = [").unwrap();
    let end = start + stdout[start..].find("\n]").unwrap() + 2;
    let table: toml::Table = toml::from_str(&stdout[start..end]).unwrap();
    let scopes: Vec<&str> = table["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [
            "url:GET|/api/v1/accounts/:account_id/courses",
            "url:GET|/api/v1/courses/:id",
            "url:PUT|/api/v1/courses/:id",
        ]
    );

    // Only the last run.
    let (code, stdout, _) = warden(
        &dir,
        &[
            "scopes",
            "suggest",
            "reporter",
            "--runs",
            "1",
            "--config",
            "warden.toml",
        ],
    );
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("of its last 1 run(s)\n# (5 request(s), 3 of them denied; 5 distinct).\n"),
        "{stdout}"
    );

    let (code, stdout, stderr) = warden(
        &dir,
        &["scopes", "unused", "reporter", "--config", "warden.toml"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        // The manifest's path as the config names it (relative to the
        // config, which was given relative to the working folder).
        "# job \"reporter\" (jobs/reporter.toml): 2 of 3 scope(s) unused in its last 2 run(s) (12 request(s))\nurl:GET|/api/v1/users/:id\nurl:DELETE|/api/v1/courses/:id\n"
    );

    let (code, _, stderr) = warden(
        &dir,
        &["scopes", "suggest", "ghost", "--config", "warden.toml"],
    );
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no recorded runs of job \"ghost\""),
        "{stderr}"
    );
    let (code, _, stderr) = warden(
        &dir,
        &["scopes", "unused", "ghost", "--config", "warden.toml"],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("names job \"ghost\""), "{stderr}");
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

const OLD_CANVAS: &str = "scopes = [\"url:GET|/api/v1/courses/:id\", \"url:GET|/api/v1/users/:id\"]\n[canvas.params]\nid = [\"1\", \"2\"]\n";
const NEW_CANVAS: &str = "scopes = [\"url:GET|/api/v1/courses/:id\", \"url:PUT|/api/v1/courses/:id\"]\nmasquerade = true\n[canvas.params]\nid = [\"1\", \"3\"]\n";

const EXPECTED_CHANGES: &str = "+ url:PUT|/api/v1/courses/:id (write)\n\
- url:GET|/api/v1/users/:id\n\
+ masquerade = true: requests may carry as_user_id and act as other users\n\
+ [canvas.params] id also allows \"3\"\n\
- [canvas.params] id no longer allows \"2\"\n\
# 3 grant(s) added, 2 taken away, 0 other change(s)\n";

#[test]
fn diff_lists_what_a_change_grants_and_removes() {
    let dir = TempDir::new("warden-scopes-diff");
    write(&dir.join("old.toml"), &manifest_text("report", OLD_CANVAS));
    let new = write(&dir.join("new.toml"), &manifest_text("report", NEW_CANVAS));
    let (code, stdout, stderr) = warden(&dir, &["scopes", "diff", "old.toml", "new.toml"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!("# old.toml -> new.toml\n{EXPECTED_CHANGES}")
    );

    let (code, stdout, _) = warden(&dir, &["scopes", "diff", "new.toml", "new.toml"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        "# new.toml -> new.toml\n# no change to what the job may do\n"
    );

    std::fs::write(&new, "version = 1\n[job]\n").unwrap();
    let (code, _, stderr) = warden(&dir, &["scopes", "diff", "old.toml", "new.toml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("new.toml"), "{stderr}");
}

#[test]
fn diff_with_one_file_compares_with_git_head() {
    let dir = TempDir::new("warden-scopes-git");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(&*dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // Not in git yet.
    write(&dir.join("job.toml"), &manifest_text("report", OLD_CANVAS));
    let (code, _, stderr) = warden(&dir, &["scopes", "diff", "job.toml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("job.toml is not in a git repository"),
        "{stderr}"
    );

    git(&["init", "-q"]);
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    write(
        &dir.join("jobs/job.toml"),
        &manifest_text("report", OLD_CANVAS),
    );
    git(&["add", "jobs/job.toml"]);
    git(&["commit", "-q", "-m", "report job"]);
    write(
        &dir.join("jobs/job.toml"),
        &manifest_text("report", NEW_CANVAS),
    );

    let (code, stdout, stderr) = warden(&dir, &["scopes", "diff", "jobs/job.toml"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!("# HEAD:jobs/job.toml -> jobs/job.toml\n{EXPECTED_CHANGES}")
    );
    // From inside the folder, by absolute path, the same.
    let absolute = dir.join("jobs/job.toml");
    let (code, stdout, _) = warden(
        &dir.join("jobs"),
        &["scopes", "diff", absolute.to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
    assert!(stdout.ends_with(EXPECTED_CHANGES), "{stdout}");

    // A file git does not track.
    write(
        &dir.join("jobs/other.toml"),
        &manifest_text("other", OLD_CANVAS),
    );
    let (code, _, stderr) = warden(&dir, &["scopes", "diff", "jobs/other.toml"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("cannot read the HEAD version of jobs/other.toml with git"),
        "{stderr}"
    );
}
