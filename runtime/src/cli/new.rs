//! `warden new <name> [--path dir] [--template report|write|blank]`: a job
//! crate that builds, tests and runs as generated: Cargo.toml (depending on
//! warden-sdk), `.cargo/config.toml` (wasm32-wasip2), src/main.rs, a
//! job.toml with exactly the scopes that code needs, and fixtures with
//! their expected output, so that `warden build` and `warden test` pass
//! with no edits.
//!
//! Inside a cargo workspace (this repository's `jobs/`), the crate is
//! added to its members and uses its dependencies; anywhere else it is a
//! workspace of its own. warden-sdk comes from `--sdk <path>`, else from
//! the `guest-sdk/` of the source tree this `warden` was built from.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use warden::manifest::JobName;

use super::toolchain::WASM_TARGET;

/// What the generated job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// Lists an account's courses, page by page (read-only).
    Report,
    /// Changes a course, and says what it would do in a dry run.
    Write,
    /// Prints a line; no Canvas request.
    Blank,
}

/// The flags of `warden new`.
pub struct NewOptions {
    pub name: String,
    pub path: Option<PathBuf>,
    pub template: Template,
    pub sdk: Option<PathBuf>,
}

struct Files {
    main_rs: &'static str,
    tests_rs: &'static str,
    job_toml: &'static str,
    fixtures: &'static [(&'static str, &'static str)],
}

/// The files of one template folder under `runtime/job-templates/`.
macro_rules! template {
    ($dir:literal) => {
        Files {
            main_rs: include_str!(concat!("../../job-templates/", $dir, "/main.rs")),
            tests_rs: include_str!(concat!("../../job-templates/", $dir, "/tests.rs")),
            job_toml: include_str!(concat!("../../job-templates/", $dir, "/job.toml")),
            fixtures: &[
                (
                    "seed.json",
                    include_str!(concat!("../../job-templates/", $dir, "/seed.json")),
                ),
                (
                    "expected/stdout.txt",
                    include_str!(concat!("../../job-templates/", $dir, "/stdout.txt")),
                ),
                (
                    "expected/requests.txt",
                    include_str!(concat!("../../job-templates/", $dir, "/requests.txt")),
                ),
            ],
        }
    };
}

fn files(template: Template) -> Files {
    match template {
        Template::Report => template!("report"),
        Template::Write => template!("write"),
        Template::Blank => template!("blank"),
    }
}

pub fn new(options: NewOptions) -> Result<ExitCode> {
    let name: JobName = options.name.parse().map_err(anyhow::Error::msg)?;
    let parent = options.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let dir = parent.join(name.as_str());
    if dir.exists() {
        bail!(
            "{} already exists; warden new never overwrites: choose another name, or another folder with --path",
            dir.display()
        );
    }
    std::fs::create_dir_all(&parent).with_context(|| parent.display().to_string())?;
    let parent = std::fs::canonicalize(&parent).with_context(|| parent.display().to_string())?;
    let dir = parent.join(name.as_str());
    let workspace = enclosing_workspace(&parent);
    let sdk = sdk_path(options.sdk.as_deref())?;
    let files = files(options.template);

    let (cargo_toml, component) = match &workspace {
        Some(root) => {
            let depth = dir
                .strip_prefix(root)
                .map(|rel| rel.components().count())
                .unwrap_or(1);
            let up = "../".repeat(depth);
            (
                workspace_member_toml(name.as_str(), root, &sdk)?,
                format!("{up}target/{WASM_TARGET}/release/{name}.wasm"),
            )
        }
        None => (
            standalone_toml(name.as_str(), &sdk),
            format!("target/{WASM_TARGET}/release/{name}.wasm"),
        ),
    };
    let fill = |text: &str| {
        text.replace("{{name}}", name.as_str())
            .replace("{{component}}", &component)
    };

    write(&dir.join("Cargo.toml"), &cargo_toml)?;
    write(
        &dir.join(".cargo/config.toml"),
        &format!("# Every Warden job is a WASI command component.\n[build]\ntarget = \"{WASM_TARGET}\"\n\n# `cargo test` runs the test binary, a WASI command too, in Warden's sandbox.\n[target.{WASM_TARGET}]\nrunner = \"warden exec\"\n"),
    )?;
    write(&dir.join("src/main.rs"), &fill(files.main_rs))?;
    write(&dir.join("src/tests.rs"), &fill(files.tests_rs))?;
    write(&dir.join("job.toml"), &fill(files.job_toml))?;
    for (file, text) in files.fixtures {
        write(&dir.join("fixtures").join(file), &fill(text))?;
    }
    write(&dir.join(".gitignore"), "/target\n")?;
    if let Some(root) = &workspace {
        add_member(root, &dir)?;
    }

    let shown = relative_to_cwd(&dir);
    println!(
        "Created job {name} ({:?} template) in {shown}{}.",
        options.template,
        workspace
            .as_ref()
            .map(|r| format!(
                ", a member of the workspace {}",
                r.join("Cargo.toml").display()
            ))
            .unwrap_or_default()
    );
    println!("Next:");
    println!("  warden build {shown}             # compile it for {WASM_TARGET} and check it");
    println!("  warden test {shown}/job.toml     # run it against the stand-in with its fixtures");
    println!("  warden pin {shown}/job.toml      # bind its scopes to this build");
    Ok(ExitCode::SUCCESS)
}

/// The nearest folder from `start` up whose Cargo.toml has `[workspace]`.
fn enclosing_workspace(start: &Path) -> Option<PathBuf> {
    let mut at = Some(start);
    while let Some(dir) = at {
        let cargo = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&cargo) {
            if let Ok(table) = text.parse::<toml::Table>() {
                if table.contains_key("workspace") {
                    return Some(dir.to_path_buf());
                }
            }
        }
        at = dir.parent();
    }
    None
}

/// Where warden-sdk is: `--sdk`, else the source tree's guest-sdk/.
fn sdk_path(given: Option<&Path>) -> Result<PathBuf> {
    let candidate = match given {
        Some(path) => path.to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-sdk"),
    };
    let sdk = std::fs::canonicalize(&candidate)
        .ok()
        .filter(|p| p.join("Cargo.toml").is_file());
    match sdk {
        Some(sdk) => Ok(sdk),
        None if given.is_some() => bail!(
            "--sdk {}: no warden-sdk crate there (it is the guest-sdk/ folder of a Warden source tree)",
            candidate.display()
        ),
        None => bail!(
            "this warden was built from a source tree that is gone, so warden new cannot find warden-sdk: pass --sdk <path to a Warden clone's guest-sdk/>"
        ),
    }
}

fn standalone_toml(name: &str, sdk: &Path) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
warden-sdk = {{ path = {sdk:?} }}

# `cargo test` drives the job's logic against warden-sdk's fake Canvas.
[dev-dependencies]
warden-sdk = {{ path = {sdk:?}, features = ["test-support"] }}
serde_json = "1"

# A workspace of its own, so that it builds wherever it is.
[workspace]

# Jobs ship as release builds. No LTO and cargo's default codegen units
# keep a first build under half a minute on two cores; `lto = true` and
# `codegen-units = 1` make a smaller component, more slowly.
[profile.release]
opt-level = 3
strip = true
"#,
        sdk = sdk.display().to_string()
    )
}

/// A member's Cargo.toml: the workspace's warden-sdk when it has one.
fn workspace_member_toml(name: &str, root: &Path, sdk: &Path) -> Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let table: toml::Table = text.parse()?;
    let inherits = |key: &str| {
        table
            .get("workspace")
            .and_then(|w| w.get(key))
            .and_then(|t| t.as_table())
            .cloned()
            .unwrap_or_default()
    };
    let deps = inherits("dependencies");
    let (dependency, dev) = if deps.contains_key("warden-sdk") {
        (
            "warden-sdk.workspace = true".to_string(),
            "warden-sdk = { workspace = true, features = [\"test-support\"] }".to_string(),
        )
    } else {
        let path = sdk.display().to_string();
        (
            format!("warden-sdk = {{ path = {path:?} }}"),
            format!("warden-sdk = {{ path = {path:?}, features = [\"test-support\"] }}"),
        )
    };
    let serde_json = if deps.contains_key("serde_json") {
        "serde_json.workspace = true"
    } else {
        "serde_json = \"1\""
    };
    let package = inherits("package");
    let inherited: Vec<String> = ["edition", "rust-version", "license", "publish"]
        .iter()
        .filter(|k| package.contains_key(**k))
        .map(|k| format!("{k}.workspace = true"))
        .collect();
    let package_lines = if inherited.is_empty() {
        "edition = \"2021\"\npublish = false".to_string()
    } else {
        inherited.join("\n")
    };
    Ok(format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n{package_lines}\n\n[dependencies]\n{dependency}\n\n[dev-dependencies]\n{dev}\n{serde_json}\n"
    ))
}

/// Adds `dir` to the workspace's members, keeping the file's formatting.
fn add_member(root: &Path, dir: &Path) -> Result<()> {
    let path = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("cannot edit {}", path.display()))?;
    let member = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .to_string_lossy()
        .into_owned();
    let workspace = doc["workspace"]
        .as_table_like_mut()
        .with_context(|| format!("{}: [workspace] is not a table", path.display()))?;
    match workspace.get_mut("members").and_then(|m| m.as_array_mut()) {
        Some(members) => {
            if !members.iter().any(|m| m.as_str() == Some(member.as_str())) {
                members.push(member.as_str());
            }
        }
        None => {
            let mut members = toml_edit::Array::new();
            members.push(member.as_str());
            workspace.insert("members", toml_edit::value(members));
        }
    }
    std::fs::write(&path, doc.to_string()).with_context(|| path.display().to_string())?;
    println!(
        "Added {member} to [workspace] members in {}.",
        path.display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn relative_to_cwd(dir: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| dir.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| dir.to_path_buf())
        .display()
        .to_string()
}
