//! `warden scopes explain|suggest|unused|diff`: least privilege.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

pub fn explain(_method: &str, _path: &str) -> Result<ExitCode> {
    bail!("`warden scopes explain` is being built")
}

pub fn suggest(_config: Option<&Path>, _job: &str, _runs: usize) -> Result<ExitCode> {
    bail!("`warden scopes suggest` is being built")
}

pub fn unused(_config: Option<&Path>, _job: &str, _runs: usize) -> Result<ExitCode> {
    bail!("`warden scopes unused` is being built")
}

pub fn diff(_old: &Path, _new: Option<&Path>) -> Result<ExitCode> {
    bail!("`warden scopes diff` is being built")
}
