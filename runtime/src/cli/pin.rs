//! `warden pin <job.toml>`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

pub fn pin(_manifest: &Path) -> Result<ExitCode> {
    bail!("`warden pin` is being built")
}
