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
    let paths = config.manifest_paths()?;
    if let Some(warning) = config.jobs_matching_config_warning() {
        eprintln!("warning: {warning}");
    }
    let mut manifests = Vec::new();
    let mut failures = Vec::new();
    for path in &paths {
        match Manifest::load(path) {
            Ok(m) => manifests.push(m),
            Err(e) => failures.push((path.clone(), e.to_string())),
        }
    }
    // The job asked for is in a manifest that does not load: say why.
    if let Some(job) = job {
        if !manifests.iter().any(|m| m.name.as_str() == job) {
            if let Some((_, error)) = failures.iter().find(|(p, _)| names_job(p, job)) {
                bail!("job {job:?} is not scheduled: its manifest does not load: {error}");
            }
        }
    }
    let failures: Vec<String> = failures.into_iter().map(|(_, e)| e).collect();
    if manifests.is_empty() && !failures.is_empty() {
        bail!("{}", none_loads(failures.len(), &config.path, &failures));
    }
    for failure in &failures {
        eprintln!("warning: {failure} (skipped; `warden check` lists every problem)");
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

/// Whether a manifest that does not load says `[job] name = "<job>"`, as
/// far as its TOML can be read at all.
fn names_job(path: &Path, job: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    match text.parse::<toml::Table>() {
        Ok(table) => {
            table
                .get("job")
                .and_then(|j| j.get("name"))
                .and_then(|n| n.as_str())
                == Some(job)
        }
        // Not even TOML: a line `name = "<job>"` is the best guess.
        Err(_) => text.lines().any(|line| {
            let line = line.trim();
            line.strip_prefix("name")
                .map(|rest| rest.trim_start().trim_start_matches('=').trim())
                .is_some_and(|v| v.trim_matches('"') == job)
        }),
    }
}

/// The error when every manifest the globs match fails to load: the globs
/// are right, the manifests are not.
fn none_loads(matched: usize, config: &Path, failures: &[String]) -> String {
    let manifests = if matched == 1 {
        "1 job manifest matches"
    } else {
        &format!("{matched} job manifests match")
    };
    let mut text = format!("{manifests} `jobs` in {} but none loads:", config.display());
    for failure in failures {
        text.push_str("\n  ");
        text.push_str(failure);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_loads_counts_the_manifests_and_lists_each_error() {
        assert_eq!(
            none_loads(
                2,
                Path::new("/etc/warden.toml"),
                &["a.toml: bad".to_string(), "b.toml: worse".to_string()]
            ),
            "2 job manifests match `jobs` in /etc/warden.toml but none loads:\n  a.toml: bad\n  b.toml: worse"
        );
        assert_eq!(
            none_loads(1, Path::new("w.toml"), &["a.toml: bad".to_string()]),
            "1 job manifest matches `jobs` in w.toml but none loads:\n  a.toml: bad"
        );
    }
}
