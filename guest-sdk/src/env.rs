//! The job's configuration: the environment variables of the manifest's
//! `[env]` table, plus `WARDEN_JOB` and `WARDEN_RUN_ID` set by the host.

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
pub fn env_opt(key: &str) -> Option<String> {
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
    fn set_variable() {
        // PATH is set in any test environment.
        assert_eq!(env("PATH").ok(), std::env::var("PATH").ok());
    }
}
