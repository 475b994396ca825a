//! `warden standin [--seed file] [--port N]`: the built-in Canvas stand-in
//! on its own, for running one's own job against it by hand. It prints its
//! URL, its token and a ready `warden.toml`, and serves until Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use warden::run::new_run_id;
use warden::standin::{Seed, StandIn};

/// The flags of `warden standin`.
pub struct StandinOptions {
    pub seed: Option<PathBuf>,
    pub port: u16,
    /// Where to write the ready config (and the token file beside it).
    pub config: Option<PathBuf>,
}

pub async fn standin(options: StandinOptions) -> Result<ExitCode> {
    let seed = match &options.seed {
        Some(path) => load_seed(path)?,
        None => Seed::demo(),
    };
    let token = format!("standin~{}", new_run_id().replace('-', ""));
    let canvas = StandIn::start_on(options.port, token.clone(), seed)
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", options.port))?;
    let config = options
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from("standin.toml"));
    let token_file = config.with_file_name(format!(
        "{}.token",
        config.file_stem().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&token_file, &token)
        .with_context(|| format!("cannot write {}", token_file.display()))?;
    let text = format!(
        "# Written by `warden standin`: points Warden at the stand-in while it runs.\nversion = 1\n[canvas]\nbase_url = {:?}\ntoken_file = {:?}\n",
        canvas.base_url(),
        token_file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
    );
    std::fs::write(&config, &text).with_context(|| format!("cannot write {}", config.display()))?;
    println!(
        "The Canvas stand-in listens on {} with {}.",
        canvas.base_url(),
        match &options.seed {
            Some(path) => format!("the data of {}", path.display()),
            None => "its demo data".to_string(),
        }
    );
    println!(
        "Its token is in {}; a config that uses it is {}:\n",
        token_file.display(),
        config.display()
    );
    print!("{text}");
    println!(
        "\nRun a job against it:\n  warden run <job.toml> --config {}",
        config.display()
    );
    println!("It answers a route it does not model with a 404 that says so. Ctrl-C stops it.");
    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    let requests = canvas.requests().len();
    canvas.shutdown().await;
    println!("The stand-in answered {requests} request(s).");
    Ok(ExitCode::SUCCESS)
}

fn load_seed(path: &Path) -> Result<Seed> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Seed::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
