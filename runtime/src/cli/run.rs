//! `warden run <job.toml> [--config warden.toml]`: one run, now, in the
//! foreground; recorded in the run history when the config has `state`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use warden::history::{History, NewRun, RunEnd, Trigger};
use warden::manifest::Manifest;
use warden::run::{new_run_id, RunOptions, RunReport, RunStatus};
use warden::sandbox::{JobComponent, LoadError, Sandbox};

pub async fn run(
    manifest_path: &Path,
    config_path: Option<&Path>,
    dry_run: bool,
) -> Result<ExitCode> {
    let config = super::load_config(config_path)?;
    let mut manifest = Manifest::load(manifest_path)?;
    manifest.dry_run |= dry_run;
    for warning in manifest.warnings() {
        eprintln!("warning: {warning}");
    }
    let runner = super::runner(&config)?;
    let component = load_component(&runner.sandbox, &manifest)?;
    let history = match &config.state {
        Some(state) => Some(Arc::new(History::open(state)?)),
        None => None,
    };

    let run_id = new_run_id();
    let mut options = RunOptions::new(run_id.clone());
    options.stdout = Some(Box::new(std::io::stdout()));
    options.stderr = Some(Box::new(std::io::stderr()));
    if let Some(history) = &history {
        history.start_run(&NewRun {
            run_id: run_id.clone(),
            job: manifest.name.to_string(),
            scheduled_at: None,
            started_at: Utc::now(),
            attempt: 0,
            trigger: Trigger::Manual,
        })?;
        let (history, id) = (Arc::clone(history), run_id.clone());
        options.audit_sink = Some(Arc::new(move |entry| {
            if let Err(e) = history.record_request(&id, entry) {
                tracing::warn!("cannot record a request: {e}");
            }
        }));
    }
    let result = runner
        .run(&manifest, &component, options)
        .await
        .with_context(|| format!("job {} ({})", manifest.name, manifest.path.display()));
    if let Some(history) = &history {
        let end = match &result {
            Ok(report) => RunEnd::from_report(report, Utc::now()),
            Err(e) => RunEnd::without_report(RunStatus::Failed, format!("{e:#}"), Utc::now()),
        };
        history.finish_run(&run_id, &end)?;
    }
    let report = result?;
    eprintln!("{}", report.summary());
    Ok(exit_code(&report))
}

/// Loads the manifest's component; a missing file points at `[job] component`.
pub fn load_component(sandbox: &Sandbox, manifest: &Manifest) -> Result<JobComponent> {
    if !manifest.component.exists() {
        return Err(manifest
            .component_error(format!(
                "component {} does not exist; build the job first (cargo build --release in jobs/)",
                manifest.component.display()
            ))
            .into());
    }
    let component = sandbox
        .load(&manifest.component)
        .map_err(|e: LoadError| manifest.component_error(e.to_string()))?;
    manifest.check_pin(component.sha256())?;
    Ok(component)
}

/// 0 on success; 1 when the job failed (WASI 0.2 carries no other exit
/// code); 124 when it ran out of time (like timeout(1)).
pub fn exit_code(report: &RunReport) -> ExitCode {
    match report.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::TimedOut => ExitCode::from(124),
        _ => match report.exit_code {
            Some(code) if (1..=255).contains(&code) => ExitCode::from(code as u8),
            _ => ExitCode::FAILURE,
        },
    }
}
