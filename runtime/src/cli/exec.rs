//! `warden exec <file.wasm> [args…]`: runs a WASI command in Warden's
//! sandbox with these arguments, its output on the terminal. It is the
//! cargo `runner` of a job crate (`.cargo/config.toml`), so that `cargo
//! test` runs the crate's test binary, built for wasm32-wasip2, instead of
//! failing to execute a `.wasm`. The program gets no environment, no
//! files, no sockets, and no Canvas scope: tests reach Canvas through
//! warden-sdk's `test-support` fake, never for real.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use warden::manifest::Manifest;
use warden::run::{new_run_id, RunOptions};
use warden::sandbox::Sandbox;
use warden::token::Token;

pub async fn exec(program: &Path, args: Vec<String>) -> Result<ExitCode> {
    let program = std::path::absolute(program)?;
    let text = format!(
        "version = 1\n[job]\nname = \"exec\"\ncomponent = {:?}\n[canvas]\nscopes = []\n[limits]\ntimeout = \"1h\"\nmemory = \"1GiB\"\n",
        program.display().to_string()
    );
    let manifest = Manifest::parse(Path::new("(warden exec)"), &text)?;
    let sandbox = Sandbox::new()?;
    let component = sandbox
        .load_job(&manifest)
        .with_context(|| format!("cannot run {}", program.display()))?;
    // Nothing listens there, and no scope would let a request out.
    let runner = super::local_runner(
        sandbox,
        "http://127.0.0.1:9",
        Token::new("warden-exec-has-no-token")?,
    )?;
    let mut options = RunOptions::new(new_run_id());
    options.stdout = Some(Box::new(std::io::stdout()));
    options.stderr = Some(Box::new(std::io::stderr()));
    options.output_limit = usize::MAX / 2;
    options.args = args;
    let report = runner.run(&manifest, &component, options).await?;
    Ok(super::run::exit_code(&report))
}
