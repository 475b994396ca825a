//! The Rust toolchain as `warden demo`, `warden build` and `warden new`
//! need it: the `wasm32-wasip2` target, and cargo.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

/// The target every job is built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// The cargo that runs this (`$CARGO` under `cargo run`), else `cargo`.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Adds the target with rustup when it is missing (the demo's promise:
/// two commands on a fresh machine).
pub fn ensure_wasm_target() -> Result<()> {
    if wasm_target_installed() {
        return Ok(());
    }
    eprintln!(
        "warden: the {WASM_TARGET} target is missing; adding it: rustup target add {WASM_TARGET}"
    );
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

/// Refuses, with the command to run, when the target is missing.
pub fn require_wasm_target() -> Result<()> {
    if wasm_target_installed() {
        return Ok(());
    }
    bail!("the {WASM_TARGET} target is not installed, so cargo cannot build a job; add it with: rustup target add {WASM_TARGET}")
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
