//! `warden next [job] [--count N] [--after RFC3339]`.

use super::out::outln;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use warden::manifest::Manifest;
use warden::schedule::next_lines;

pub fn next(
    config: Option<&Path>,
    job: Option<&str>,
    count: usize,
    after: Option<&str>,
) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let after: DateTime<Utc> = match after {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("--after {text:?} is not an RFC 3339 time, e.g. 2026-11-29T06:00:00Z")
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let mut manifests = Vec::new();
    for path in config.manifest_paths()? {
        match Manifest::load(&path) {
            Ok(m) => manifests.push(m),
            Err(e) => eprintln!("warning: {e} (skipped; `warden check` lists every problem)"),
        }
    }
    manifests.retain(|m| job.is_none_or(|j| m.name.as_str() == j));
    if manifests.is_empty() {
        match job {
            Some(job) => bail!(
                "no job named {job:?} in the manifests of {}",
                config.path.display()
            ),
            None => bail!("no job manifests match `jobs` in {}", config.path.display()),
        }
    }
    let width = manifests
        .iter()
        .map(|m| m.name.as_str().len())
        .max()
        .unwrap_or(0);
    for m in &manifests {
        match (&m.schedule, m.firing.suspend) {
            (Some(schedule), false) => {
                for line in next_lines(m.name.as_str(), width, schedule, m.timezone, after, count) {
                    outln!("{line}");
                }
            }
            (Some(_), true) => outln!("{:width$}  suspended", m.name.as_str()),
            (None, _) => outln!(
                "{:width$}  no schedule (run it with `warden run`)",
                m.name.as_str()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
