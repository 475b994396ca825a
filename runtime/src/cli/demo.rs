//! `warden demo`: builds the example jobs and runs each of them once against
//! the built-in Canvas stand-in, so a newcomer sees Warden work without a
//! Canvas instance or a token.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use warden::client::CanvasClient;
use warden::manifest::Manifest;
use warden::request::Origin;
use warden::run::{new_run_id, RunOptions, RunStatus, Runner};
use warden::sandbox::Sandbox;
use warden::standin::{Seed, StandIn};
use warden::token::{Token, TokenSource};

const WASM_TARGET: &str = "wasm32-wasip2";

pub async fn demo(root: Option<PathBuf>, build: bool) -> Result<ExitCode> {
    let root = root.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    if !root.join("jobs/Cargo.toml").exists() || !root.join("examples").is_dir() {
        bail!(
            "{} is not a Warden source tree (no jobs/ and examples/); run the demo from a clone, or pass --root",
            root.display()
        );
    }
    if build {
        ensure_wasm_target()?;
        build_jobs(&root)?;
    }
    let manifests = example_manifests(&root)?;

    let token = Token::new(format!("demo~{}", new_run_id().replace('-', "")))
        .context("cannot make the demo token")?;
    let standin = StandIn::start(token.expose(), Seed::demo())
        .await
        .context("cannot start the Canvas stand-in")?;
    println!("Canvas stand-in listening on {}", standin.base_url());
    let runner = Runner {
        sandbox: Sandbox::new()?,
        client: CanvasClient::new().context("cannot set up the HTTP client")?,
        origin: Origin::parse(&standin.base_url()).context("stand-in address")?,
        token: TokenSource::Fixed(token.clone()),
    };

    let mut all_ok = true;
    for path in manifests {
        let manifest = Manifest::load(&path)?;
        println!();
        println!(
            "── {} ── {}",
            manifest.name,
            manifest.description.as_deref().unwrap_or("")
        );
        for scope in manifest.scopes.iter() {
            println!("   scope: {scope}");
        }
        let component = super::run::load_component(&runner.sandbox, &manifest)?;
        let mut options = RunOptions::new(new_run_id());
        options.stdout = Some(Box::new(std::io::stdout()));
        options.stderr = Some(Box::new(std::io::stderr()));
        let report = runner
            .run(&manifest, &component, options)
            .await
            .with_context(|| format!("job {} ({})", manifest.name, path.display()))?;
        println!("{}", report.summary());
        all_ok &= report.status == RunStatus::Succeeded;
    }

    let requests = standin.requests();
    let expected = format!("Bearer {}", token.expose());
    let with_token = requests
        .iter()
        .filter(|r| r.header("authorization") == Some(expected.as_str()))
        .count();
    println!();
    println!(
        "The stand-in received {} requests, {with_token} of them with the worker token, which Warden added; no job ever held it.",
        requests.len()
    );
    standin.shutdown().await;
    Ok(if all_ok && with_token == requests.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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
