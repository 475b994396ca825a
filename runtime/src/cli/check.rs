//! `warden check [--config warden.toml]`: validates everything `serve`
//! would load, runs nothing, exits non-zero on any error.

use super::out::outln;
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use warden::manifest::Manifest;

pub fn check(config_path: Option<&Path>, no_cache: bool) -> Result<ExitCode> {
    let config = super::load_config_for_components(config_path, no_cache)?;
    let (mut errors, mut warnings) = (0usize, 0usize);
    outln!("ok: {}", config.path.display());
    if let Err(e) = config.canvas.token.read() {
        warnings += 1;
        outln!(
            "warning: {}: the worker token cannot be read now: {e}",
            config.path.display()
        );
    }
    if let Some(Err(e)) = config.alerts.as_ref().map(|a| a.check_files()) {
        errors += 1;
        outln!("error: {}: [alerts] {e}", config.path.display());
    }
    let paths = config.manifest_paths()?;
    if let Some(warning) = config.jobs_matching_config_warning() {
        warnings += 1;
        outln!("warning: {warning}");
    }
    if paths.is_empty() {
        warnings += 1;
        outln!(
            "warning: {}: `jobs` matches no manifest",
            config.path.display()
        );
    }
    let authorization = super::authorization::Authorization::of(&config);
    if let Some(problem) = authorization.as_ref().and_then(|a| a.problem()) {
        warnings += 1;
        outln!("warning: {}: {problem}", config.path.display());
    }
    let sandbox = super::sandbox(&config)?;
    let mut names: HashMap<String, String> = HashMap::new();
    for path in &paths {
        let manifest = match Manifest::load(path) {
            Ok(m) => m,
            Err(e) => {
                errors += 1;
                outln!("error: {e}");
                continue;
            }
        };
        for warning in manifest.warnings() {
            warnings += 1;
            outln!("warning: {warning}");
        }
        let shown = path.display().to_string();
        if let Some(other) = names.insert(manifest.name.to_string(), shown.clone()) {
            errors += 1;
            outln!(
                "error: {shown}: job name {:?} is already used by {other}; job names must be unique",
                manifest.name.as_str()
            );
            continue;
        }
        if let Err(e) = sandbox.load_job(&manifest) {
            errors += 1;
            outln!("error: {e}");
            continue;
        }
        if manifest.sha256.is_none() {
            warnings += 1;
            outln!(
                "warning: {shown}: the component is not pinned, so whoever can replace {} inherits the job's scopes; `warden pin {shown}` pins it",
                manifest.component.display()
            );
        }
        if let Some(authorization) = &authorization {
            let found = authorization.scope_warnings(&manifest);
            let found = found
                .into_iter()
                .chain(authorization.include_warning(&manifest));
            for warning in found {
                warnings += 1;
                outln!("warning: {warning}");
            }
        }
        let schedule = manifest.schedule_summary();
        outln!(
            "ok: {shown}: job {}, {} scope(s), {schedule}",
            manifest.name,
            manifest.scopes.len()
        );
    }
    outln!(
        "{} manifest(s), {errors} error(s), {warnings} warning(s)",
        paths.len()
    );
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
