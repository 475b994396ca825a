//! `warden run <job.toml> [--config warden.toml]`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use warden::client::CanvasClient;
use warden::config::Config;
use warden::manifest::Manifest;
use warden::run::{new_run_id, RunOptions, RunReport, RunStatus, Runner};
use warden::sandbox::{LoadError, Sandbox};

pub async fn run(manifest_path: &Path, config_path: Option<&Path>) -> Result<ExitCode> {
    let config_path = config_path.unwrap_or(Path::new("warden.toml"));
    if !config_path.exists() {
        anyhow::bail!(
            "config {} does not exist; pass --config <warden.toml> (see examples/warden.toml)",
            config_path.display()
        );
    }
    let config = Config::load(config_path)?;
    let manifest = Manifest::load(manifest_path)?;
    for warning in manifest.warnings() {
        eprintln!("warning: {warning}");
    }
    let sandbox = Sandbox::new()?;
    let component = load_component(&sandbox, &manifest)?;
    let runner = Runner {
        sandbox,
        client: CanvasClient::new().context("cannot set up the HTTP client")?,
        origin: config.canvas.origin.clone(),
        token: config.canvas.token.clone(),
    };
    let mut options = RunOptions::new(new_run_id());
    options.stdout = Some(Box::new(std::io::stdout()));
    options.stderr = Some(Box::new(std::io::stderr()));
    let report = runner
        .run(&manifest, &component, options)
        .await
        .with_context(|| format!("job {} ({})", manifest.name, manifest.path.display()))?;
    eprintln!("{}", report.summary());
    Ok(exit_code(&report))
}

/// Loads the manifest's component; a missing file points at `[job] component`.
pub fn load_component(
    sandbox: &Sandbox,
    manifest: &Manifest,
) -> Result<warden::sandbox::JobComponent> {
    if !manifest.component.exists() {
        return Err(manifest
            .component_error(format!(
                "component {} does not exist; build the job first (cargo build --release in jobs/)",
                manifest.component.display()
            ))
            .into());
    }
    sandbox
        .load(&manifest.component)
        .map_err(|e: LoadError| manifest.component_error(e.to_string()).into())
}

/// 0 on success; the job's own exit code when it exited non-zero; 124 when
/// it ran out of time (like timeout(1)); 1 for any other failure.
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
