//! `warden serve [--config warden.toml]`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use warden::clock::SystemClock;
use warden::config::Config;
use warden::daemon::{self, DaemonHandle, Observers};
use warden::dashboard::{Dashboard, Parts};
use warden::metrics::Metrics;
use warden::run::Runner;

/// How long the dashboard may take to close its connections at exit.
const DASHBOARD_CLOSE: Duration = Duration::from_secs(2);

pub async fn serve(config_path: Option<&Path>, no_cache: bool) -> Result<ExitCode> {
    let config = super::load_config_for_components(config_path, no_cache)?;
    if let Some(warning) = config.jobs_matching_config_warning() {
        tracing::warn!("{warning}");
    }
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

    let served = Served::start(&config, runner).await?;
    tracing::info!(
        "serving {} (history in {}); SIGHUP reloads, SIGTERM stops",
        config.path.display(),
        served.daemon.history().path().display()
    );
    loop {
        tokio::select! {
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: re-reading every manifest");
                served.daemon.reload();
            }
        }
    }
    tracing::info!("stopping: no more firings");
    served.stop(config.daemon.shutdown_grace).await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// A running daemon with its metrics and, when configured, its dashboard.
pub struct Served {
    pub daemon: DaemonHandle,
    /// Where the dashboard listens, when it does.
    pub dashboard_addr: Option<std::net::SocketAddr>,
    dashboard: Option<(JoinHandle<()>, oneshot::Sender<()>)>,
}

impl Served {
    /// Starts the daemon and the dashboard of `config`.
    pub async fn start(config: &Config, runner: Runner) -> Result<Served> {
        let metrics = Arc::new(Metrics::new());
        let observers = Observers::new().with(metrics.clone());
        let (governor, token) = (runner.governor.clone(), runner.token.clone());
        let daemon =
            daemon::start_observed(config, runner, Arc::new(SystemClock), observers).await?;
        match daemon.history().last_successes() {
            Ok(last) => metrics.seed_last_successes(&last),
            Err(e) => tracing::warn!("cannot read the last successful runs for /metrics: {e}"),
        }
        let Some(settings) = &config.dashboard else {
            return Ok(Served {
                daemon,
                dashboard_addr: None,
                dashboard: None,
            });
        };
        let parts = Parts {
            config: settings.clone(),
            control: daemon.control(),
            history: daemon.history().path().to_path_buf(),
            activity: daemon.activity_log(),
            writable: daemon.history_writable(),
            metrics: Arc::clone(&metrics),
            governor,
            token,
            config_path: config.path.clone(),
        };
        let dashboard = match Dashboard::bind(parts).await {
            Ok(dashboard) => dashboard,
            Err(e) => {
                daemon.shutdown(Duration::ZERO).await;
                return Err(anyhow::Error::new(e)
                    .context(format!("{}: [dashboard]", config.path.display())));
            }
        };
        let addr = dashboard.local_addr().context("the dashboard's address")?;
        tracing::info!(
            "dashboard on http://{addr}/ (also /metrics, /healthz, /readyz){}",
            if settings.admin_token_file.is_some() {
                "; pages need the admin token"
            } else {
                ""
            }
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = dashboard.spawn(async move {
            let _ = stopped.await;
        });
        Ok(Served {
            daemon,
            dashboard_addr: Some(addr),
            dashboard: Some((task, stop)),
        })
    }

    /// Stops the daemon (running jobs get `grace`), then the dashboard.
    pub async fn stop(self, grace: Duration) {
        self.daemon.shutdown(grace).await;
        if let Some((mut task, stop)) = self.dashboard {
            let _ = stop.send(());
            if tokio::time::timeout(DASHBOARD_CLOSE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}
