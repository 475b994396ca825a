//! `warden build [path] [--pin]`: builds a job crate for `wasm32-wasip2`
//! in release mode (cargo's own progress stays on the terminal), reports
//! the component's path, size and SHA-256, and runs the checks `warden
//! check` runs on it (imports allowed, loads) against the job's manifest.
//! When cargo or the manifest disagree with the layout (a crate outside
//! its workspace's members, a `[[bin]]` named differently from the
//! manifest's component), the error names the cause.

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use warden::cache::sha256_hex;
use warden::manifest::Manifest;
use warden::sandbox::Sandbox;

use super::out::outln;
use super::toolchain::{cargo, require_wasm_target, WASM_TARGET};

/// The part of `cargo metadata` this needs.
#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

pub fn build(path: &Path, pin: bool) -> Result<ExitCode> {
    let (crate_dir, job_manifest) = locate(path)?;
    require_wasm_target()?;
    let metadata = metadata(&crate_dir)?;
    let cargo_toml = crate_dir.join("Cargo.toml");
    let package = metadata
        .packages
        .iter()
        .find(|p| same_file(&p.manifest_path, &cargo_toml))
        .with_context(|| {
            format!(
                "{} is not a member of the cargo workspace at {}: add it to [workspace] members in {}",
                crate_dir.display(),
                metadata.workspace_root.display(),
                metadata.workspace_root.join("Cargo.toml").display()
            )
        })?;
    let bins: Vec<&str> = package
        .targets
        .iter()
        .filter(|t| t.kind.iter().any(|k| k == "bin"))
        .map(|t| t.name.as_str())
        .collect();
    if bins.is_empty() {
        bail!(
            "{} has no binary target: a job is a WASI command, a crate with src/main.rs (fn main)",
            cargo_toml.display()
        );
    }

    let status = cargo()
        .args([
            "build",
            "--release",
            "--target",
            WASM_TARGET,
            "--manifest-path",
        ])
        .arg(&cargo_toml)
        .stdin(Stdio::null())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!(
            "cargo could not build {} (its errors are above)",
            package.name
        );
    }
    let release = metadata.target_directory.join(WASM_TARGET).join("release");
    let built: Vec<PathBuf> = bins
        .iter()
        .map(|b| release.join(format!("{b}.wasm")))
        .collect();

    let component = match &job_manifest {
        Some(manifest_path) => {
            let text = std::fs::read_to_string(manifest_path)
                .with_context(|| format!("cannot read {}", manifest_path.display()))?;
            let component = declared_component(manifest_path, &text)?;
            if !built.iter().any(|b| same_file(b, &component)) {
                bail!("{}", mismatch(manifest_path, &component, &built));
            }
            component
        }
        None => built[0].clone(),
    };
    let wasm = std::fs::read(&component).with_context(|| {
        format!(
            "cargo reported success, but {} is missing",
            component.display()
        )
    })?;
    outln!("built {}", component.display());
    outln!("  size {} bytes, sha256 {}", wasm.len(), sha256_hex(&wasm));

    let Some(manifest_path) = job_manifest else {
        let sandbox = Sandbox::new()?;
        sandbox.load(&component)?;
        outln!("  ok: the component loads and imports only what a job may (no job.toml beside it to check it against)");
        return Ok(ExitCode::SUCCESS);
    };
    if pin {
        super::pin::pin(&manifest_path)?;
    }
    let manifest = Manifest::load(&manifest_path)?;
    let sandbox = Sandbox::new()?;
    match sandbox.load_job(&manifest) {
        Ok(_) => outln!(
            "  ok: {} loads with its manifest {} ({} scope(s))",
            manifest.name,
            manifest_path.display(),
            manifest.scopes.len()
        ),
        Err(e) if manifest.sha256.is_some() && !pin => {
            bail!("{e}\n(this build is new: review it, then `warden build --pin` or `warden pin {}` pins it)", manifest_path.display())
        }
        Err(e) => return Err(e.into()),
    }
    if manifest.sha256.is_none() {
        outln!(
            "  not pinned: `warden build --pin` writes the hash into {}",
            manifest_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The crate folder and the job manifest for a path: a crate folder (its
/// job.toml, if any), or a job.toml (its folder's crate).
fn locate(path: &Path) -> Result<(PathBuf, Option<PathBuf>)> {
    if path.is_file() {
        let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let folder = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        };
        if !folder.join("Cargo.toml").is_file() {
            bail!(
                "{} has no Cargo.toml beside it; give the job crate's folder: warden build <crate folder>",
                path.display()
            );
        }
        return Ok((folder, Some(path.to_path_buf())));
    }
    if !path.join("Cargo.toml").is_file() {
        bail!(
            "{} is not a job crate (no Cargo.toml); `warden new <name>` makes one",
            path.display()
        );
    }
    let manifest = path.join("job.toml");
    Ok((path.to_path_buf(), manifest.is_file().then_some(manifest)))
}

/// `cargo metadata` of the crate, with cargo's own complaint turned into
/// what to do.
fn metadata(crate_dir: &Path) -> Result<Metadata> {
    let cargo_toml = crate_dir.join("Cargo.toml");
    let out = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(&cargo_toml)
        .stdin(Stdio::null())
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("believes it's in a workspace when it's not") {
            let root = stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix("workspace:"))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|| "the workspace above it".into());
            bail!(
                "{} is inside the cargo workspace {root} but not one of its members, so cargo will not build it: add its folder to [workspace] members there, or give {} an empty [workspace] table to build it on its own",
                crate_dir.display(),
                cargo_toml.display()
            );
        }
        bail!(
            "cargo cannot read {}:\n{}",
            cargo_toml.display(),
            stderr.trim_end()
        );
    }
    serde_json::from_slice(&out.stdout).context("cannot read cargo metadata's answer")
}

/// `[job] component` of a manifest, resolved against its folder, read even
/// when the file does not exist yet (which `Manifest::load` refuses).
fn declared_component(manifest_path: &Path, text: &str) -> Result<PathBuf> {
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not TOML", manifest_path.display()))?;
    let component = table
        .get("job")
        .and_then(|j| j.get("component"))
        .and_then(|c| c.as_str())
        .with_context(|| format!("{}: [job] has no component", manifest_path.display()))?;
    let folder = manifest_path.parent().unwrap_or(Path::new(""));
    Ok(folder.join(component))
}

/// The error when the manifest's component is not what cargo builds.
fn mismatch(manifest_path: &Path, component: &Path, built: &[PathBuf]) -> String {
    let names: Vec<String> = built
        .iter()
        .filter_map(|b| b.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let wanted = component
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut text = format!(
        "{}: [job] component is {}, but this crate builds {}",
        manifest_path.display(),
        component.display(),
        built
            .iter()
            .map(|b| b.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let swapped = |s: &str| {
        s.replace('-', "\u{0}")
            .replace('_', "-")
            .replace('\u{0}', "_")
    };
    if let Some(name) = names.iter().find(|n| **n == swapped(&wanted)) {
        text.push_str(&format!(
            "; the names differ only in - and _ (cargo names the file after the [[bin]] name): did you mean {name}?"
        ));
    } else if let Some(name) = names.iter().find(|n| **n == wanted) {
        text.push_str(&format!(
            "; the file name {name} matches but the folder does not: the component path is relative to {}",
            manifest_path.parent().unwrap_or(Path::new(".")).display()
        ));
    } else if let Some(close) = warden::suggest::closest(&wanted, names.iter().map(String::as_str))
    {
        text.push_str(&format!("; did you mean {close}?"));
    }
    text
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_named_with_the_other_separator_is_named() {
        let text = mismatch(
            Path::new("jobs/x/job.toml"),
            Path::new("jobs/x/../target/wasm32-wasip2/release/my-job.wasm"),
            &[PathBuf::from(
                "jobs/target/wasm32-wasip2/release/my_job.wasm",
            )],
        );
        assert!(
            text.ends_with("the names differ only in - and _ (cargo names the file after the [[bin]] name): did you mean my_job.wasm?"),
            "{text}"
        );
    }
}
