//! Command-line front end: argument parsing, logging, exit codes.

mod demo;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Build the example jobs and run them against a built-in Canvas stand-in
    /// with seeded data (no Canvas instance or token needed).
    Demo {
        /// The Warden source tree (with jobs/ and examples/).
        #[arg(long)]
        root: Option<PathBuf>,
        /// Use the job components already built in jobs/target.
        #[arg(long)]
        no_build: bool,
    },
}

/// Exit code for problems found before a job started (config, manifest,
/// component, token).
const EXIT_SETUP: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
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
            Command::Demo { root, no_build } => demo::demo(root, !no_build).await,
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
