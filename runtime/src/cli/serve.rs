//! `warden serve [--config warden.toml]`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use warden::clock::SystemClock;
use warden::daemon;

pub async fn serve(config_path: Option<&Path>, no_cache: bool) -> Result<ExitCode> {
    let config = super::load_config_for_components(config_path, no_cache)?;
    let runner = super::runner(&config)?;
    // Fail at start, not at the first firing, when the token is unreadable.
    runner
        .token
        .read()
        .with_context(|| format!("cannot read the worker token from the {}", runner.token))?;
    if let Some(alerts) = &config.alerts {
        alerts.check_files().context("[alerts]")?;
    }
    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let mut hangup = signal(SignalKind::hangup()).context("SIGHUP handler")?;

    let daemon = daemon::start(&config, runner, Arc::new(SystemClock)).await?;
    tracing::info!(
        "serving {} (history in {}); SIGHUP reloads, SIGTERM stops",
        config.path.display(),
        daemon.history().path().display()
    );
    loop {
        tokio::select! {
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: re-reading every manifest");
                daemon.reload();
            }
        }
    }
    tracing::info!("stopping: no more firings");
    daemon.shutdown(config.daemon.shutdown_grace).await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
