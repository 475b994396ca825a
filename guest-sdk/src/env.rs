//! The job's configuration: the environment variables of the manifest's
//! `[env]` table, plus `WARDEN_JOB` and `WARDEN_RUN_ID` set by the host (and
//! `WARDEN_DRY_RUN=1` in a dry run).

use crate::error::{Error, Result};

/// The value of `key`, one of the manifest's `[env]` variables. A variable
/// that is not set is [`Error::MissingEnv`], whose message names the key and
/// says to declare it in `[env]`.
pub fn env(key: &str) -> Result<String> {
    env_opt(key).ok_or_else(|| Error::MissingEnv {
        key: key.to_string(),
    })
}

/// The value of `key`, or `None` when it is not set.
///
/// With the `test-support` feature, while a `warden_sdk::testing::FakeCanvas`
/// is installed on the current thread, the value is the fake's
/// (`FakeCanvas::env`) and the process environment is not read.
pub fn env_opt(key: &str) -> Option<String> {
    #[cfg(feature = "test-support")]
    if let Some(value) = crate::testing::env_override(key) {
        return value;
    }
    std::env::var(key).ok()
}

/// The job's name (`WARDEN_JOB`, the manifest's `job.name`); `None` outside
/// Warden.
pub fn job_name() -> Option<String> {
    env_opt("WARDEN_JOB")
}

/// This run's id (`WARDEN_RUN_ID`); `None` outside Warden.
pub fn run_id() -> Option<String> {
    env_opt("WARDEN_RUN_ID")
}

/// Whether this run is a dry run (`warden run --dry-run`, or `dry_run =
/// true` in the manifest's `[job]`; the host sets `WARDEN_DRY_RUN=1`).
///
/// In a dry run, reads (GET, HEAD) reach Canvas as usual, but writes (POST,
/// PUT, PATCH, DELETE) are checked, recorded in the run's audit and *not
/// sent*: the host answers them itself, with status 200, the header
/// `x-warden-dry-run: 1` ([`crate::Response::is_dry_run`]) and a JSON body
/// that is not Canvas's:
///
/// ```json
/// {"warden_dry_run":true,"method":"PUT","path":"/api/v1/courses/3","body_bytes":42}
/// ```
///
/// (`path` is the path and query that would have been sent, `body_bytes`
/// the size of the body.) A job that parses the answer to a write should
/// check [`crate::Response::is_dry_run`] first, or print what it would have
/// done.
pub fn is_dry_run() -> bool {
    env_opt("WARDEN_DRY_RUN").as_deref() == Some("1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_variable_names_the_key() {
        let e = env("WARDEN_SDK_TEST_SURELY_UNSET").unwrap_err();
        assert!(matches!(&e, Error::MissingEnv { key } if key == "WARDEN_SDK_TEST_SURELY_UNSET"));
        assert!(e.to_string().contains("WARDEN_SDK_TEST_SURELY_UNSET"));
        assert!(e.to_string().contains("[env]"));
        assert_eq!(env_opt("WARDEN_SDK_TEST_SURELY_UNSET"), None);
    }

    #[test]
    fn not_a_dry_run_outside_warden() {
        // The SDK's own tests never run with WARDEN_DRY_RUN set.
        assert!(!is_dry_run());
    }

    #[test]
    fn set_variable() {
        // PATH is set in any test environment.
        assert_eq!(env("PATH").ok(), std::env::var("PATH").ok());
    }
}
