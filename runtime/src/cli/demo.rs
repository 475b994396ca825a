//! `warden demo`: builds the example jobs and serves them against the
//! built-in Canvas stand-in, on schedules that fire within the first
//! minute, so a newcomer sees runs happen (and reads them with `warden
//! history`) without a Canvas instance or a token.
//!
//! It writes a config and copies of the example manifests under
//! `target/demo/` (the copies get demo schedules and absolute component
//! paths) and keeps the run history there.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use warden::config::Config;
use warden::history::report;
use warden::run::new_run_id;
use warden::standin::{Seed, StandIn};
use warden::token::Token;

const WASM_TARGET: &str = "wasm32-wasip2";

/// Demo schedules (with seconds): the first firings come within 20 s.
const SCHEDULES: [&str; 2] = ["*/15 * * * * *", "*/20 * * * * *"];

pub struct DemoOptions {
    pub root: Option<PathBuf>,
    pub build: bool,
    /// Stop after this long instead of at Ctrl-C.
    pub run_for: Option<Duration>,
    /// Compile the example jobs in memory, without the component cache.
    pub no_cache: bool,
    /// Where the dashboard listens.
    pub dashboard: std::net::SocketAddr,
}

pub async fn demo(options: DemoOptions) -> Result<ExitCode> {
    let root = options
        .root
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let root = root.canonicalize().unwrap_or(root);
    if !root.join("jobs/Cargo.toml").exists() || !root.join("examples").is_dir() {
        bail!(
            "{} is not a Warden source tree (no jobs/ and examples/); run the demo from a clone, or pass --root",
            root.display()
        );
    }
    if options.build {
        ensure_wasm_target()?;
        build_jobs(&root)?;
    }

    let token = Token::new(format!("demo~{}", new_run_id().replace('-', "")))
        .context("cannot make the demo token")?;
    let standin = StandIn::start(token.expose(), Seed::demo())
        .await
        .context("cannot start the Canvas stand-in")?;
    let dir = root.join("target/demo");
    // A busy port (another demo, another server) is no reason to fail.
    let dashboard = match std::net::TcpListener::bind(options.dashboard) {
        Ok(_) => options.dashboard,
        Err(e) => {
            let free = std::net::SocketAddr::new(options.dashboard.ip(), 0);
            eprintln!(
                "warden demo: cannot listen on {} ({e}); the dashboard takes a free port instead",
                options.dashboard
            );
            free
        }
    };
    let config_path = write_demo_tree(&root, &dir, &standin.base_url(), &token, dashboard)?;
    let mut config = Config::load(&config_path)?;
    if options.no_cache {
        config.cache = None;
    }
    let runner = super::runner(&config)?;

    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    let served = super::serve::Served::start(&config, runner).await?;
    let shown = config_path.display();
    println!(
        "Warden demo: a Canvas stand-in with seeded data listens on {}.",
        standin.base_url()
    );
    println!("Serving the example jobs of examples/ on demo schedules (every 15 and 20 seconds);");
    if let Some(addr) = served.dashboard_addr {
        println!("the dashboard is at http://{addr}/ (metrics at http://{addr}/metrics);");
    }
    println!(
        "their manifests, config and run history are in {}.",
        dir.display()
    );
    println!("In another terminal:");
    println!("  cargo run --release -p warden -- history --config {shown}");
    println!("  cargo run --release -p warden -- logs <run id> --config {shown}");
    println!("  cargo run --release -p warden -- next --config {shown}");
    println!("Ctrl-C stops the demo.\n");
    let stop = async {
        match options.run_for {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stop => {}
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    let history = std::sync::Arc::clone(served.daemon.history());
    served.stop(Duration::from_secs(10)).await;

    let runs = history.runs(None, 20)?;
    println!("\nThe last runs (cargo run --release -p warden -- history --config {shown}):");
    print!("{}", report::runs_table(&runs));
    if let Some(last) = runs.first() {
        println!("What a run printed, and its Canvas requests:");
        println!(
            "  cargo run --release -p warden -- logs {} --config {shown}",
            last.run_id
        );
        println!("The fewest Canvas scopes that job needs, from what its runs asked for:");
        println!(
            "  cargo run --release -p warden -- scopes suggest {} --config {shown}",
            last.job
        );
    }
    let requests = standin.requests();
    let expected = format!("Bearer {}", token.expose());
    let with_token = requests
        .iter()
        .filter(|r| r.header("authorization") == Some(expected.as_str()))
        .count();
    println!(
        "\nThe stand-in received {} requests, {with_token} of them with the worker token, which Warden added; no job ever held it.",
        requests.len()
    );
    standin.shutdown().await;
    let failed = runs.iter().any(|r| r.status.is_failure());
    Ok(if failed || with_token != requests.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes `dir/warden.toml`, `dir/token` and one manifest per example
/// (`dir/jobs/<name>.toml`) with a demo schedule and an absolute component
/// path. Returns the config's path.
fn write_demo_tree(
    root: &Path,
    dir: &Path,
    base_url: &str,
    token: &Token,
    dashboard: std::net::SocketAddr,
) -> Result<PathBuf> {
    let jobs = dir.join("jobs");
    if jobs.exists() {
        std::fs::remove_dir_all(&jobs).with_context(|| jobs.display().to_string())?;
    }
    std::fs::create_dir_all(&jobs).with_context(|| jobs.display().to_string())?;
    for (i, example) in example_manifests(root)?.into_iter().enumerate() {
        let text =
            std::fs::read_to_string(&example).with_context(|| example.display().to_string())?;
        let mut manifest: toml::Table =
            toml::from_str(&text).with_context(|| example.display().to_string())?;
        let job = manifest
            .get_mut("job")
            .and_then(|j| j.as_table_mut())
            .with_context(|| format!("{}: no [job] table", example.display()))?;
        let name = job
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("job")
            .to_string();
        if let Some(component) = job.get("component").and_then(|c| c.as_str()) {
            let folder = example.parent().unwrap_or(Path::new(""));
            let absolute = std::path::absolute(folder.join(component))?;
            job.insert(
                "component".into(),
                absolute.to_string_lossy().into_owned().into(),
            );
        }
        job.insert("schedule".into(), SCHEDULES[i % SCHEDULES.len()].into());
        let generated = format!(
            "# Generated by `warden demo` from {}, with a demo schedule.\n{}",
            example.display(),
            toml::to_string(&manifest)?
        );
        std::fs::write(jobs.join(format!("{name}.toml")), generated)?;
    }
    let token_file = dir.join("token");
    std::fs::write(&token_file, token.expose())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))?;
    }
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "# Generated by `warden demo`: the built-in Canvas stand-in and the example jobs.\nversion = 1\njobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\n[canvas]\nbase_url = {base_url:?}\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"10s\"\n[dashboard]\nlisten = \"{dashboard}\"\n"
        ),
    )?;
    Ok(config)
}

/// The example manifests, `examples/*/job.toml`, in name order.
fn example_manifests(root: &Path) -> Result<Vec<PathBuf>> {
    let examples = root.join("examples");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&examples).with_context(|| examples.display().to_string())? {
        let manifest = entry?.path().join("job.toml");
        if manifest.is_file() {
            found.push(manifest);
        }
    }
    found.sort();
    if found.is_empty() {
        bail!("no example manifests under {}", examples.display());
    }
    Ok(found)
}

fn ensure_wasm_target() -> Result<()> {
    if wasm_target_installed() {
        return Ok(());
    }
    eprintln!("warden demo: the {WASM_TARGET} target is missing; adding it: rustup target add {WASM_TARGET}");
    let added = Command::new("rustup")
        .args(["target", "add", WASM_TARGET])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !added || !wasm_target_installed() {
        bail!("the {WASM_TARGET} target is missing; add it with: rustup target add {WASM_TARGET}");
    }
    Ok(())
}

fn wasm_target_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .is_dir()
}

fn build_jobs(root: &Path) -> Result<()> {
    let jobs = root.join("jobs");
    eprintln!("warden demo: building the example jobs (cargo build --release in jobs/)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&jobs)
        .args([
            "build",
            "--release",
            "--target",
            WASM_TARGET,
            "--target-dir",
        ])
        .arg(jobs.join("target"))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building the example jobs in {} failed", jobs.display());
    }
    Ok(())
}
