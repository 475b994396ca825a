//! `warden history [job] [--limit N]` and `warden logs <run-id>`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use warden::config::Config;
use warden::history::{report, History};

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
    Ok(History::open(state)?)
}

pub fn history(config: Option<&Path>, job: Option<&str>, limit: usize) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let runs = open(&config)?.runs(job, limit)?;
    print!("{}", report::runs_table(&runs));
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
    print!("{}", report::run_log(&run, &requests));
    Ok(ExitCode::SUCCESS)
}
