//! `warden demo`: builds the example jobs and serves them against the
//! built-in Canvas stand-in, on schedules that fire within the first
//! minute, so a newcomer sees runs happen (and reads them with `warden
//! history`) without a Canvas instance or a token.
//!
//! It writes a config and copies of the example manifests under
//! `target/demo/` (the copies get demo schedules and absolute component
//! paths) and keeps the run history there.
//!
//! The credential is the one an admin would choose: a scoped developer key
//! (`[canvas.oauth]`). The demo registers the key with the stand-in, with
//! the union of the jobs' scopes, authorizes once (the stand-in approves at
//! once, as the worker user), and then runs the jobs under access tokens
//! that live a minute and that Warden renews by itself, while the stand-in
//! enforces the key's scopes as Canvas does.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use super::toolchain::{ensure_wasm_target, WASM_TARGET};
use anyhow::{bail, Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use warden::config::Config;
use warden::history::report;
use warden::manifest::Manifest;
use warden::oauth::login;
use warden::run::new_run_id;
use warden::standin::{DeveloperKey, Seed, StandIn, OOB_REDIRECT_URI};
use warden::token::Token;

/// The demo's developer key.
const CLIENT_ID: &str = "10000000000001";

/// How long the demo's access tokens live: short, so that renewals show.
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// The example jobs the demo is made for. Any other `examples/*/job.toml`
/// (say, a half-written job of the user's own) runs as a dry run: its
/// writes are checked and recorded, never sent.
const DEMO_JOBS: [&str; 2] = ["unpublished-courses", "set-default-view"];

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

    // The stand-in's own fixed token, which Warden never gets.
    let token = Token::new(format!("demo~{}", new_run_id().replace('-', "")))
        .context("cannot make the demo token")?;
    let secret = Token::new(format!("secret~{}", new_run_id().replace('-', "")))
        .context("cannot make the demo client secret")?;
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
    let config_path = write_demo_tree(&root, &dir, &standin.base_url(), &secret, dashboard)?;
    let mut config = Config::load(&config_path)?;
    let scopes = authorize(&config, &standin, &secret).await?;
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
    println!(
        "Warden authorized itself once with the stand-in's scoped developer key {CLIENT_ID} ({} scopes, which the stand-in enforces as Canvas does); its access tokens live {} s and Warden renews them by itself.",
        scopes.len(),
        TOKEN_LIFETIME.as_secs()
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
    let requests: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/api/"))
        .collect();
    let issued = standin.issued_access_tokens();
    let with_access_token = requests
        .iter()
        .filter(|r| {
            r.header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .is_some_and(|t| issued.iter().any(|i| i == t))
        })
        .count();
    let renewals = standin.oauth_stats().refreshes;
    println!(
        "\nThe stand-in received {} API requests, {with_access_token} of them with an access token of the scoped key, which Warden added; no job ever held one. Warden renewed the access token {renewals} time(s).",
        requests.len()
    );
    standin.shutdown().await;
    let failed = runs.iter().any(|r| r.status.is_failure());
    Ok(if failed || with_access_token != requests.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes `dir/warden.toml`, `dir/client-secret` and one manifest per example
/// (`dir/jobs/<name>.toml`) with a demo schedule and an absolute component
/// path. Returns the config's path.
fn write_demo_tree(
    root: &Path,
    dir: &Path,
    base_url: &str,
    secret: &Token,
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
        let own = DEMO_JOBS.contains(&name.as_str());
        if !own {
            job.insert("dry_run".into(), true.into());
            eprintln!(
                "warden demo: {} is not one of the demo's jobs ({}); it runs as a dry run, so its writes are checked and recorded but never sent",
                example.display(),
                DEMO_JOBS.join(", ")
            );
        }
        let generated = format!(
            "# Generated by `warden demo` from {}, with a demo schedule{}.\n{}",
            example.display(),
            if own {
                ""
            } else {
                ", as a dry run (not one of the demo's jobs)"
            },
            toml::to_string(&manifest)?
        );
        std::fs::write(jobs.join(format!("{name}.toml")), generated)?;
    }
    // An older demo's worker token is no longer used.
    let _ = std::fs::remove_file(dir.join("token"));
    let secret_file = dir.join("client-secret");
    std::fs::write(&secret_file, secret.expose())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600))?;
    }
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "# Generated by `warden demo`: the built-in Canvas stand-in and the example jobs.\nversion = 1\njobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\n[canvas]\nbase_url = {base_url:?}\n[canvas.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret_file = \"client-secret\"\nrefresh_token_file = \"canvas-refresh-token\"\nredirect_uri = \"{OOB_REDIRECT_URI}\"\n[daemon]\nshutdown_grace = \"10s\"\n[dashboard]\nlisten = \"{dashboard}\"\n"
        ),
    )?;
    Ok(config)
}

/// Registers the demo's developer key with the stand-in (the union of the
/// jobs' scopes) and goes through `warden auth login` once, approving as
/// the stand-in does at once. Returns the authorized scopes.
async fn authorize(config: &Config, standin: &StandIn, secret: &Token) -> Result<Vec<String>> {
    let session = config
        .canvas
        .token
        .oauth()
        .context("the demo config has no [canvas.oauth]")?;
    let mut manifests = Vec::new();
    for path in config.manifest_paths()? {
        manifests.push(Manifest::load(&path)?);
    }
    let scopes = login::requested_scopes(session.settings(), &manifests);
    let key_scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    standin.add_developer_key(DeveloperKey::scoped(
        CLIENT_ID,
        secret.expose(),
        OOB_REDIRECT_URI,
        &key_scopes,
    ));
    standin.set_token_lifetime(TOKEN_LIFETIME);
    let attempt = login::attempt(session.settings(), session.origin(), scopes)?;
    let http = warden::oauth::endpoint::client()?;
    let approved = http
        .get(&attempt.url)
        .send()
        .await
        .context("the stand-in's authorization page did not answer")?;
    let page = approved
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .with_context(|| {
            format!(
                "the stand-in did not approve the authorization ({})",
                approved.status()
            )
        })?
        .to_string();
    let code = login::code_from_pasted(&page, Some(&attempt.state))?;
    let status = login::complete(session.settings(), session.origin(), &code, attempt.scopes)
        .await
        .context("the demo's authorization failed")?;
    Ok(status.scopes)
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

fn build_jobs(root: &Path) -> Result<()> {
    let jobs = root.join("jobs");
    eprintln!("warden demo: building the example jobs (cargo build --release in jobs/)");
    let status = super::toolchain::cargo()
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
