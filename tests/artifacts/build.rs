//! Builds the guest programs the integration tests run (tests/guests) and
//! the example jobs (jobs/) for wasm32-wasip2, into OUT_DIR, and exports
//! their paths as constants (wasmtime's test-programs pattern).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = here.join("../..").canonicalize().expect("repository root");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));

    ensure_target();
    let guests = root.join("tests/guests");
    let jobs = root.join("jobs");
    watch(&root, &guests, &jobs);

    let guests_target = out.join("guests");
    build(&guests, &guests_target);
    let jobs_target = out.join("jobs");
    build(&jobs, &jobs_target);

    let mut code = String::new();
    writeln!(code, "/// The repository root.").unwrap();
    writeln!(
        code,
        "pub const ROOT: &str = {:?};",
        root.display().to_string()
    )
    .unwrap();
    for (prefix, dir) in [("", guests_target), ("JOB_", jobs_target)] {
        let release = dir.join(TARGET).join("release");
        let mut wasms: Vec<PathBuf> = std::fs::read_dir(&release)
            .expect("release dir")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        wasms.sort();
        for wasm in wasms {
            let stem = wasm.file_stem().unwrap().to_string_lossy().to_uppercase();
            writeln!(
                code,
                "pub const {prefix}{stem}: &str = {:?};",
                wasm.display().to_string()
            )
            .unwrap();
        }
    }
    std::fs::write(out.join("components.rs"), code).expect("write components.rs");
}

fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("run rustc --print sysroot");
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .is_dir()
    {
        panic!("\n\nThe {TARGET} target is missing; the tests build guest programs with it.\nAdd it with: rustup target add {TARGET}\n\n");
    }
}

/// Rebuild when guest sources, the SDK, the WIT or the jobs change (not on
/// changes to their target dirs).
fn watch(root: &Path, guests: &Path, jobs: &Path) {
    let mut paths = vec![
        guests.join("src"),
        guests.join("Cargo.toml"),
        guests.join("Cargo.lock"),
        root.join("guest-sdk/src"),
        root.join("guest-sdk/Cargo.toml"),
        root.join("runtime/wit"),
        jobs.join("Cargo.toml"),
        jobs.join("Cargo.lock"),
    ];
    if let Ok(entries) = std::fs::read_dir(jobs) {
        for entry in entries.flatten() {
            let member = entry.path();
            if member.join("Cargo.toml").exists() {
                paths.push(member.join("src"));
                paths.push(member.join("Cargo.toml"));
            }
        }
    }
    for p in paths {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

fn build(workspace: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(target_dir);
    // What cargo tells this build script about the host build must not leak
    // into the nested wasm build (clippy's wrapper, host RUSTFLAGS, cc's TARGET).
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "TARGET",
        "HOST",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
        "NUM_JOBS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("run cargo");
    assert!(
        status.success(),
        "building {} for {TARGET} failed",
        workspace.display()
    );
}
