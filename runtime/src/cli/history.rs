//! `warden history [job] [--limit N]` and `warden logs <run-id>`.

use super::out::out;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use warden::config::Config;
use warden::history::{report, spill, History};

pub(super) fn open(config: &Config) -> Result<History> {
    let Some(state) = &config.state else {
        bail!(
            "{} has no `state`: runs are recorded only when it names a history database",
            config.path.display()
        );
    };
    if !state.exists() {
        bail!("no run history at {} yet: nothing has run", state.display());
    }
    // Read-only: never waits for a `warden serve` that holds the write
    // lock, never migrates.
    let history = History::open_read_only(state)?;
    let spill = spill::path_for(state);
    if spill.exists() {
        eprintln!(
            "warning: {} holds writes the history could not take yet; they are stored the next time `warden serve` or `warden run` starts",
            spill.display()
        );
    }
    Ok(history)
}

pub fn history(config: Option<&Path>, job: Option<&str>, limit: usize) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let runs = open(&config)?.runs(job, limit)?;
    out!("{}", report::runs_table(&runs));
    Ok(ExitCode::SUCCESS)
}

pub fn logs(config: Option<&Path>, run_id: &str) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let history = open(&config)?;
    let Some(run) = history.run(run_id)? else {
        bail!(
            "no run {run_id:?} in {}; `warden history` lists them",
            history.path().display()
        );
    };
    let requests = history.requests(run_id)?;
    out!("{}", report::run_log(&run, &requests));
    Ok(ExitCode::SUCCESS)
}
