//! Command-line front end: argument parsing, logging, exit codes.

mod auth;
mod authorization;
mod build;
mod check;
mod demo;
mod exec;
mod history;
mod new;
mod next;
mod out;
mod pin;
mod run;
mod scopes;
mod serve;
mod standin;
mod test;
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use warden::cache::ComponentCache;
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
    /// How log lines are written to stderr: `human` (the default) or
    /// `json`, one object a line for log shippers (also WARDEN_LOG_FORMAT).
    #[arg(long, global = true, value_enum, env = "WARDEN_LOG_FORMAT")]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Human,
    Json,
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
        /// Send reads as usual, but only check and record writes
        /// (POST, PUT, PATCH, DELETE): the job gets a marked synthetic answer.
        #[arg(long)]
        dry_run: bool,
        /// Gather every scope the job lacks in one run: a denied request is
        /// answered with an empty list instead of an error, writes are not
        /// sent (a dry run), and the scopes to add are printed at the end.
        #[arg(long)]
        collect_denials: bool,
        /// Compile the job's component in memory: do not read or write the
        /// compiled-component cache.
        #[arg(long)]
        no_cache: bool,
    },
    /// Create a job crate that builds, tests and runs as generated: Cargo.toml,
    /// src/main.rs, job.toml with the scopes the code needs, fixtures.
    New {
        /// The job's name (lower-case letters, digits and '-').
        name: String,
        /// The folder to create it in; default: the current folder.
        #[arg(long)]
        path: Option<PathBuf>,
        /// What the job does as generated.
        #[arg(long, value_enum, default_value = "report")]
        template: new::Template,
        /// The warden-sdk crate to depend on (the guest-sdk/ folder of a
        /// Warden source tree); default: the one this warden was built from.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Serve the built-in Canvas stand-in on 127.0.0.1, print its URL and
    /// write a ready config, until Ctrl-C: run your own job against it.
    Standin {
        /// Seed data (JSON: accounts, terms, courses, users, enrollments,
        /// sections, assignments, submissions); default: the demo data.
        #[arg(long)]
        seed: Option<PathBuf>,
        /// The port; default: a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where to write the config that points at it.
        #[arg(long, default_value = "standin.toml")]
        config: PathBuf,
    },
    /// Run a WASI command (a job crate's test binary) in the sandbox: the
    /// cargo runner that makes `cargo test` work in a job crate.
    #[command(hide = true)]
    Exec {
        /// The .wasm file.
        program: PathBuf,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Build a job crate for wasm32-wasip2 (release), then report the
    /// component's path, size and SHA-256 and check it against the job's
    /// manifest as `warden check` does.
    Build {
        /// The job crate's folder, or its job.toml; default: the current folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Write the new build's SHA-256 into the manifest (`warden pin`).
        #[arg(long)]
        pin: bool,
    },
    /// Run a job once against the Canvas stand-in seeded from its fixtures
    /// (fixtures/ beside the manifest), and compare its output and requests
    /// with the expected ones. Without a manifest: every job of the config.
    Test {
        /// The job's manifest (job.toml); default: every job of the config.
        manifest: Option<PathBuf>,
        /// The fixtures folder; default: fixtures/ beside the manifest.
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Write this run's output and requests as the expected ones.
        #[arg(long)]
        update: bool,
        /// The runtime config (for `jobs`, without a manifest); defaults to
        /// ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Compile the job's component in memory.
        #[arg(long)]
        no_cache: bool,
    },
    /// Work out which Canvas scopes jobs need.
    Scopes {
        #[command(subcommand)]
        command: ScopesCommand,
    },
    /// Write the SHA-256 of the job's component into its manifest, so that
    /// the manifest's scopes are granted to that build only.
    Pin {
        /// The job's manifest (job.toml).
        manifest: PathBuf,
    },
    /// Run the jobs of the config on their schedules until SIGTERM or
    /// SIGINT (SIGHUP re-reads every manifest).
    Serve {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Compile components in memory: do not read or write the
        /// compiled-component cache.
        #[arg(long)]
        no_cache: bool,
    },
    /// Validate the config, every manifest, schedule, time zone and scope,
    /// and that every component loads; run nothing.
    Check {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Compile components in memory: do not read or write the
        /// compiled-component cache.
        #[arg(long)]
        no_cache: bool,
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
    /// Authorize Warden with a scoped Canvas developer key ([canvas.oauth]),
    /// show the authorization, or revoke it.
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
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
        /// Compile components in memory: do not read or write the
        /// compiled-component cache.
        #[arg(long)]
        no_cache: bool,
        /// Where the dashboard listens (port 0: any free port).
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:8080")]
        dashboard: std::net::SocketAddr,
    },
}

#[derive(Subcommand)]
enum AuthCommand {
    /// Print the authorization URL for the jobs' scopes, receive the code
    /// (loopback redirect, or pasted for urn:ietf:wg:oauth:2.0:oob), and
    /// store the refresh token (mode 0600).
    Login {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// The credential, who authorized it, its scopes, and when the current
    /// access token expires; never a secret.
    Status {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Revoke the authorization at Canvas and delete the refresh token.
    Logout {
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ScopesCommand {
    /// Which Canvas scopes allow this request.
    Explain {
        /// GET, HEAD, POST, PUT, PATCH or DELETE.
        method: String,
        /// The request path, e.g. /api/v1/courses/42/enrollments.
        path: String,
    },
    /// The fewest real Canvas scopes that would have allowed every request
    /// of the job's recent runs, denied ones included, as TOML.
    Suggest {
        job: String,
        /// How many recent runs to look at.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// The manifest's scopes that no recent run used.
    Unused {
        job: String,
        /// How many recent runs to look at.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// The runtime config; defaults to ./warden.toml.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// What a manifest change newly grants or takes away. With one file,
    /// compares it with its version in git's HEAD. With a `[canvas.oauth]`
    /// config, added scopes the Canvas authorization lacks are marked as
    /// needing a new `warden auth login`.
    Diff {
        old: PathBuf,
        new: Option<PathBuf>,
        /// The runtime config; defaults to ./warden.toml when it exists.
        #[arg(long, short)]
        config: Option<PathBuf>,
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
        cli.log_format.unwrap_or(LogFormat::Human),
    );
    // The daemons run many jobs at once on every core; a one-shot command
    // runs one job, whose guest, host calls and HTTP connection are one
    // chain of work: one thread does it without hand-offs between threads.
    let runtime = if matches!(cli.command, Command::Serve { .. } | Command::Demo { .. }) {
        tokio::runtime::Runtime::new()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_SETUP);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Build { path, pin } => build::build(&path, pin),
            Command::Exec { program, args } => exec::exec(&program, args).await,
            Command::Standin { seed, port, config } => {
                standin::standin(standin::StandinOptions {
                    seed,
                    port,
                    config: Some(config),
                })
                .await
            }
            Command::New {
                name,
                path,
                template,
                sdk,
            } => new::new(new::NewOptions {
                name,
                path,
                template,
                sdk,
            }),
            Command::Test {
                manifest,
                fixtures,
                update,
                config,
                no_cache,
            } => {
                test::test(test::TestOptions {
                    manifest,
                    fixtures,
                    update,
                    config,
                    no_cache,
                })
                .await
            }
            Command::Run {
                manifest,
                config,
                dry_run,
                collect_denials,
                no_cache,
            } => {
                let how = run::How {
                    dry_run,
                    collect_denials,
                    no_cache,
                };
                run::run(&manifest, config.as_deref(), how).await
            }
            Command::Scopes { command } => match command {
                ScopesCommand::Explain { method, path } => scopes::explain(&method, &path),
                ScopesCommand::Suggest { job, runs, config } => {
                    scopes::suggest(config.as_deref(), &job, runs)
                }
                ScopesCommand::Unused { job, runs, config } => {
                    scopes::unused(config.as_deref(), &job, runs)
                }
                ScopesCommand::Diff { old, new, config } => {
                    scopes::diff(&old, new.as_deref(), config.as_deref())
                }
            },
            Command::Pin { manifest } => pin::pin(&manifest),
            Command::Serve { config, no_cache } => serve::serve(config.as_deref(), no_cache).await,
            Command::Check { config, no_cache } => check::check(config.as_deref(), no_cache),
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
            Command::Auth { command } => match command {
                AuthCommand::Login { config } => auth::login(config.as_deref()).await,
                AuthCommand::Status { config } => auth::status(config.as_deref()),
                AuthCommand::Logout { config } => auth::logout(config.as_deref()).await,
            },
            Command::Demo {
                root,
                no_build,
                run_for,
                no_cache,
                dashboard,
            } => {
                demo::demo(demo::DemoOptions {
                    root,
                    build: !no_build,
                    run_for: run_for.map(|d| d.as_duration()),
                    no_cache,
                    dashboard,
                })
                .await
            }
        }
    });
    match result {
        Ok(code) => code,
        // The reader of our output went away (`warden logs … | head`).
        Err(e) if out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_SETUP)
        }
    }
}

/// Logs to stderr. Lines logged while a job runs carry its `job` and
/// `run_id` from the run's span: a prefix in the human format, a `span`
/// object in JSON.
fn init_logging(verbose: bool, format: LogFormat) {
    let default = if verbose { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Human => builder.without_time().init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
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

/// Loads the config for a command that loads components, with the
/// component cache it uses: the config's (`cache`, or beside `state`), else
/// the user's ($XDG_CACHE_HOME/warden or ~/.cache/warden); none with
/// `--no-cache`.
fn load_config_for_components(path: Option<&Path>, no_cache: bool) -> Result<Config> {
    let mut config = load_config(path)?;
    config.cache = if no_cache {
        None
    } else {
        config.cache.take().or_else(warden::cache::user_cache_dir)
    };
    Ok(config)
}

/// A sandbox that uses the config's component cache, if it has one.
fn sandbox(config: &Config) -> Result<Sandbox> {
    Ok(Sandbox::with_cache(
        config.cache.as_ref().map(ComponentCache::new),
    )?)
}

/// A runner for a Canvas on this machine (the stand-in, or nothing), with
/// one fixed token and no rate-limit governor: `warden test` and `warden exec`.
fn local_runner(sandbox: Sandbox, base_url: &str, token: warden::token::Token) -> Result<Runner> {
    Ok(Runner {
        sandbox,
        client: warden::client::CanvasClient::new()?,
        origin: warden::request::Origin::parse(base_url)?,
        token: warden::token::TokenSource::Fixed(token),
        governor: warden::governor::Governor::disabled(),
    })
}

/// Everything a run needs from the config.
fn runner(config: &Config) -> Result<Runner> {
    Ok(Runner::from_config(config)?)
}
