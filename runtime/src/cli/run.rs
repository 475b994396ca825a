//! `warden run <job.toml> [--config warden.toml]`: one run, now, in the
//! foreground; recorded in the run history when the config has `state`.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Utc;
use warden::history::{History, HistoryWriter, NewRun, RunEnd, Trigger};
use warden::host::Outcome;
use warden::manifest::Manifest;
use warden::privilege;
use warden::run::{new_run_id, RunOptions, RunReport, RunStatus};

/// How long the history's writes are retried after the run before what is
/// left goes to the spill file.
const FLUSH_GRACE: Duration = Duration::from_secs(10);

/// The flags of `warden run`.
pub struct How {
    pub dry_run: bool,
    pub collect_denials: bool,
    pub no_cache: bool,
}

pub async fn run(manifest_path: &Path, config_path: Option<&Path>, how: How) -> Result<ExitCode> {
    let config = super::load_config_for_components(config_path, how.no_cache)?;
    let mut manifest = Manifest::load(manifest_path)?;
    // Collecting denials means running on past them: nothing is written.
    manifest.dry_run |= how.dry_run || how.collect_denials;
    for warning in manifest.warnings() {
        eprintln!("warning: {warning}");
    }
    let runner = super::runner(&config)?;
    let component = runner.sandbox.load_job(&manifest)?;
    let history = match &config.state {
        Some(state) => Some(Arc::new(History::open(state)?)),
        None => None,
    };

    let run_id = new_run_id();
    let mut options = RunOptions::new(run_id.clone());
    options.collect_denials = how.collect_denials;
    options.stdout = Some(Box::new(std::io::stdout()));
    // Into a pipe or a file (a CronJob's log, a systemd journal), output
    // goes in blocks; on a terminal, line by line.
    options.buffer_stdout = !std::io::IsTerminal::is_terminal(&std::io::stdout());
    options.stderr = Some(Box::new(std::io::stderr()));
    // Every write goes through the writer thread, as in `serve`: a guest's
    // request never waits on the disk, and a write the disk cannot take now
    // is retried, or kept in the spill file for the next start.
    let writer = match &history {
        Some(history) => Some(
            HistoryWriter::spawn(Arc::clone(history))
                .context("cannot start the run history's writer thread")?,
        ),
        None => None,
    };
    if let Some((writer, _)) = &writer {
        // The start row is stored before the job starts, or the job does
        // not run: a run whose Canvas requests cannot be recorded must not
        // happen.
        writer
            .start_run(NewRun {
                run_id: run_id.clone(),
                job: manifest.name.to_string(),
                scheduled_at: None,
                started_at: Utc::now(),
                attempt: 0,
                trigger: Trigger::Manual,
            })
            .await
            .with_context(|| format!("job {} ({})", manifest.name, manifest.path.display()))?;
        options.audit_sink = Some(writer.audit_sink(&run_id));
    }
    let span = tracing::info_span!("run", job = %manifest.name, run_id = %run_id);
    let result = tracing::Instrument::instrument(runner.run(&manifest, &component, options), span)
        .await
        .with_context(|| format!("job {} ({})", manifest.name, manifest.path.display()));
    if let Some((writer, thread)) = writer {
        let end = match &result {
            Ok(report) => RunEnd::from_report(report, Utc::now()),
            Err(e) => RunEnd::without_report(RunStatus::Failed, format!("{e:#}"), Utc::now()),
        };
        writer.finish_run(&run_id, end);
        drop(writer);
        let spilled = tokio::task::spawn_blocking(move || thread.finish(FLUSH_GRACE))
            .await
            .unwrap_or(0);
        if spilled > 0 {
            if let Some(history) = &history {
                eprintln!(
                    "warning: run history {} could not be written; {spilled} write(s) of this run wait in {} and are stored the next time Warden opens it",
                    history.path().display(),
                    warden::history::spill::path_for(history.path()).display()
                );
            }
        }
    }
    let report = result?;
    eprintln!("{}", report.summary());
    if how.collect_denials {
        eprint!("{}", collected(&manifest, &report));
    }
    Ok(exit_code(&report))
}

/// What `--collect-denials` found: the scopes to add for the denied
/// requests, as `warden scopes suggest` would put them.
fn collected(manifest: &Manifest, report: &RunReport) -> String {
    let mut requests = Vec::new();
    let mut denied = HashSet::new();
    for entry in &report.audit {
        let Some(path) = privilege::request_path(&entry.target) else {
            continue;
        };
        let request = (entry.method, path.to_string());
        if matches!(entry.outcome, Outcome::Denied(_)) {
            denied.insert(request.clone());
        }
        requests.push(request);
    }
    if denied.is_empty() {
        return "warden: --collect-denials: no request was denied; the manifest's scopes allow everything this run asked for\n".into();
    }
    let denied_list: Vec<_> = denied.iter().cloned().collect();
    let missing = privilege::suggest(&denied_list);
    let all = privilege::suggest(&requests);
    let mut text = format!(
        "warden: --collect-denials: {} distinct request(s) were denied (answered with an empty list, not sent); Canvas scopes that allow them:\n",
        denied.len()
    );
    for s in &missing.scopes {
        text.push_str(&format!("  {}\n", s.scope));
    }
    for (method, path) in &missing.uncovered {
        text.push_str(&format!("  (no Canvas scope allows {method} {path})\n"));
    }
    text.push_str(&format!(
        "The fewest scopes for every request of this run, to paste into [canvas] of {}:\n",
        manifest.path.display()
    ));
    text.push_str(&all.toml(&denied, Some(&manifest.scopes)));
    text
}

/// 0 on success; 1 when the job failed (WASI 0.2 carries no other exit
/// code); 124 when it ran out of time (like timeout(1)).
pub fn exit_code(report: &RunReport) -> ExitCode {
    match report.status {
        RunStatus::Succeeded => ExitCode::SUCCESS,
        RunStatus::TimedOut => ExitCode::from(124),
        _ => match report.exit_code {
            Some(code) if (1..=255).contains(&code) => ExitCode::from(code as u8),
            _ => ExitCode::FAILURE,
        },
    }
}
