//! Command-line front end: argument parsing, logging, exit codes.

mod check;
mod demo;
mod history;
mod next;
mod run;
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use warden::cache::ComponentCache;
use warden::client::CanvasClient;
use warden::config::Config;
use warden::run::Runner;
use warden::sandbox::Sandbox;

/// Runs sandboxed WebAssembly jobs against the Canvas LMS API, holding the
/// API token so that no job ever sees it.
#[derive(Parser)]
#[command(name = "warden", version)]
struct Cli {
    /// Log every Canvas request (same as WARDEN_LOG=info).
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one job once, now.
    Run {
        /// The job's manifest (job.toml).
        manifest: PathBuf,
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Run the jobs of the config on their schedules until SIGTERM or
    /// SIGINT (SIGHUP re-reads every manifest).
    Serve {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Validate the config, every manifest, schedule, time zone and scope,
    /// and that every component loads; run nothing.
    Check {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Show the next firing times of each job (or of one), in its time zone
    /// and in UTC.
    Next {
        /// Only this job.
        job: Option<String>,
        /// How many firings per job.
        #[arg(long, short = 'n', default_value_t = 5)]
        count: usize,
        /// List firings after this instant (RFC 3339) instead of now.
        #[arg(long)]
        after: Option<String>,
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// List recent runs, newest first.
    History {
        /// Only this job.
        job: Option<String>,
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Show one run: its output and its Canvas requests.
    Logs {
        run_id: String,
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Build the example jobs and serve them, on schedules that fire within
    /// the first minute, against a built-in Canvas stand-in with seeded data
    /// (no Canvas instance or token needed).
    Demo {
        /// The Warden source tree (with jobs/ and examples/).
        #[arg(long)]
        root: Option<PathBuf>,
        /// Use the job components already built in jobs/target.
        #[arg(long)]
        no_build: bool,
        /// Stop after this long (e.g. "90s") instead of at Ctrl-C.
        #[arg(long = "for", value_name = "DURATION")]
        run_for: Option<warden::units::DurationSpec>,
    },
}

/// Exit code for problems found before a job started (config, manifest,
/// component, token).
const EXIT_SETUP: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A daemon says what it does; one-shot commands only what goes wrong.
    init_logging(
        cli.verbose || matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }),
    );
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_SETUP);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run { manifest, config } => run::run(&manifest, config.as_deref()).await,
            Command::Serve { config } => serve::serve(config.as_deref()).await,
            Command::Check { config } => check::check(config.as_deref()),
            Command::Next {
                job,
                count,
                after,
                config,
            } => next::next(config.as_deref(), job.as_deref(), count, after.as_deref()),
            Command::History { job, limit, config } => {
                history::history(config.as_deref(), job.as_deref(), limit)
            }
            Command::Logs { run_id, config } => history::logs(config.as_deref(), &run_id),
            Command::Demo {
                root,
                no_build,
                run_for,
            } => {
                demo::demo(demo::DemoOptions {
                    root,
                    build: !no_build,
                    run_for: run_for.map(|d| d.as_duration()),
                })
                .await
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_SETUP)
        }
    }
}

fn init_logging(verbose: bool) {
    let default = if verbose { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}

/// Loads the config given with --config, or ./warden.toml.
fn load_config(path: Option<&Path>) -> Result<Config> {
    let path = path.unwrap_or(Path::new("warden.toml"));
    if !path.exists() {
        bail!(
            "config {} does not exist; pass --config <warden.toml> (see examples/warden.toml)",
            path.display()
        );
    }
    Ok(Config::load(path)?)
}

/// A sandbox that uses the config's component cache, if it has one.
fn sandbox(config: &Config) -> Result<Sandbox> {
    Ok(Sandbox::with_cache(
        config.cache.as_ref().map(ComponentCache::new),
    )?)
}

/// Everything a run needs from the config.
fn runner(config: &Config) -> Result<Runner> {
    Ok(Runner {
        sandbox: sandbox(config)?,
        client: CanvasClient::new().context("cannot set up the HTTP client")?,
        origin: config.canvas.origin.clone(),
        token: config.canvas.token.clone(),
    })
}
