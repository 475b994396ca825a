//! `warden test [job.toml] [--fixtures dir] [--update]`: runs a job once,
//! in the real sandbox with the real request path (scope check, refusals,
//! dry run, audit), against the Canvas stand-in seeded from the job's
//! fixtures, and compares what it printed and asked for with what the
//! fixtures expect (see [`warden::fixtures`]). Without a manifest, every
//! job of the config.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use warden::cache::ComponentCache;
use warden::fixtures::{compare, denials, Actual, Fixtures, Verdict};
use warden::host::Outcome;
use warden::manifest::Manifest;
use warden::run::{new_run_id, RunOptions, RunStatus};
use warden::sandbox::Sandbox;
use warden::standin::{Seed, StandIn};
use warden::token::Token;

/// The flags of `warden test`.
pub struct TestOptions {
    pub manifest: Option<PathBuf>,
    pub fixtures: Option<PathBuf>,
    pub update: bool,
    pub config: Option<PathBuf>,
    pub no_cache: bool,
}

/// What the stand-in's address reads as in the compared output.
const CANVAS_PLACEHOLDER: &str = "{canvas}";

/// Everything a job may print that `warden test` compares.
const OUTPUT_LIMIT: usize = 1 << 20;

pub async fn test(options: TestOptions) -> Result<ExitCode> {
    let (manifests, cache) = match &options.manifest {
        Some(manifest) => (vec![manifest.clone()], warden::cache::user_cache_dir()),
        None => {
            let config = super::load_config(options.config.as_deref())?;
            let paths = config.manifest_paths()?;
            if paths.is_empty() {
                bail!("no job manifests match `jobs` in {}", config.path.display());
            }
            let cache = config.cache.clone().or_else(warden::cache::user_cache_dir);
            (paths, cache)
        }
    };
    if options.fixtures.is_some() && manifests.len() > 1 {
        bail!("--fixtures names one job's fixtures: give the job's manifest too");
    }
    let cache = if options.no_cache { None } else { cache };
    let sandbox = Sandbox::with_cache(cache.as_ref().map(ComponentCache::new))?;
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in &manifests {
        let fixtures = match &options.fixtures {
            Some(dir) => dir.clone(),
            None => path.parent().unwrap_or(Path::new(".")).join("fixtures"),
        };
        let label = path.display();
        match test_one(&sandbox, path, &fixtures, options.update).await {
            Ok((job, verdict)) if verdict.passed() => {
                passed += 1;
                println!("test {job} ({label}) ... ok");
            }
            Ok((job, verdict)) => {
                failed += 1;
                println!("test {job} ({label}) ... FAILED");
                for failure in &verdict.failures {
                    for line in failure.lines() {
                        println!("    {line}");
                    }
                }
            }
            Err(e) => {
                failed += 1;
                println!("test {label} ... FAILED");
                println!("    {e:#}");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs one job against its fixtures; returns its name and the verdict.
async fn test_one(
    sandbox: &Sandbox,
    path: &Path,
    fixtures: &Path,
    update: bool,
) -> Result<(String, Verdict)> {
    let manifest = Manifest::load(path)?;
    let job = manifest.name.to_string();
    let fixtures = Fixtures::load(fixtures)?;
    let component = sandbox
        .load_job(&manifest)
        .with_context(|| format!("job {job}: build it first (warden build)"))?;
    let token = Token::new(format!("test~{}", new_run_id().replace('-', "")))?;
    let seed = fixtures.seed.clone().unwrap_or_else(Seed::demo);
    let canvas = StandIn::start(token.expose(), seed)
        .await
        .context("cannot start the Canvas stand-in")?;
    for canned in &fixtures.responses {
        canvas.add_override(canned.clone());
    }
    let runner = super::local_runner(sandbox.clone(), &canvas.base_url(), token)?;
    let mut options = RunOptions::new(new_run_id());
    options.output_limit = OUTPUT_LIMIT;
    options.tail_limit = OUTPUT_LIMIT;
    let report = runner
        .run(&manifest, &component, options)
        .await
        .with_context(|| format!("job {job} ({})", path.display()))?;
    let canvas_url = canvas.base_url();
    canvas.shutdown().await;

    // The stand-in's port changes from run to run; the goldens say {canvas}.
    let mut actual = Actual {
        stdout: report.stdout_tail.replace(&canvas_url, CANVAS_PLACEHOLDER),
        ..Actual::default()
    };
    for entry in &report.audit {
        let target = entry.target.split('?').next().unwrap_or("");
        let request = format!("{} {target}", entry.method);
        match &entry.outcome {
            Outcome::Denied(why) => actual.denied.push(format!("{request}: {why}")),
            Outcome::Invalid(why) => actual
                .denied
                .push(format!("{request}: refused as invalid: {why}")),
            _ => actual.requests.push(request),
        }
    }
    let mut verdict = if update {
        for written in fixtures.update(&actual)? {
            println!("updated {}", written.display());
        }
        Verdict {
            failures: denials(&actual),
        }
    } else {
        compare(&fixtures.expected, &actual)
    };
    if report.status != RunStatus::Succeeded {
        let mut failure = format!(
            "the job {}: {}",
            report.status,
            report.message.clone().unwrap_or_default()
        );
        let stderr = report.stderr_tail.trim_end();
        if !stderr.is_empty() {
            failure.push_str("\nits stderr:\n");
            failure.push_str(stderr);
        }
        verdict.failures.insert(0, failure);
    }
    Ok((job, verdict))
}
