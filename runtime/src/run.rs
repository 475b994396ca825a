//! Runs a job once: a fresh store with the job's environment and limits,
//! its `main`, and a report of what happened. A job that loops, allocates
//! without bound, recurses too deep, panics or exits non-zero fails alone;
//! this function returns a report either way.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use wasmtime::Store;
use wasmtime_wasi::WasiCtx;

use crate::client::CanvasClient;
use crate::dry_run;
use crate::governor::Governor;
use crate::host::{AuditEntry, AuditSink, CallPolicy, CallStats, CanvasApi, Grant};
use crate::manifest::Manifest;
use crate::output::{Capture, Sink};
use crate::request::Origin;
use crate::sandbox::{JobComponent, JobState, MemoryLimitExceeded, MemoryLimiter, Sandbox};
use crate::token::{TokenError, TokenSource};

/// Where a run's output goes and how much of it.
pub struct RunOptions {
    pub run_id: String,
    /// Receives the job's stdout as it is written.
    pub stdout: Option<Sink>,
    pub stderr: Option<Sink>,
    /// Most bytes of each stream forwarded and captured.
    pub output_limit: usize,
    /// Bytes of each stream kept in the report.
    pub tail_limit: usize,
    /// Forward stdout in blocks, at least every 100 ms, instead of a write
    /// per line ([`crate::output`]); for a stdout that is not a terminal.
    pub buffer_stdout: bool,
    pub calls: CallPolicy,
    /// Receives each Canvas request's audit entry as it happens.
    pub audit_sink: Option<AuditSink>,
    /// A denied request is audited as denied but answered with an empty
    /// list (200 `[]`, [`crate::host::DENIED_COLLECTED_HEADER`]) instead of
    /// an error, so that one run meets every scope the job lacks
    /// (`warden run --collect-denials`, which also makes the run dry).
    pub collect_denials: bool,
    /// Arguments after the program name (`warden exec`, which runs a
    /// job crate's test binary); a job gets none.
    pub args: Vec<String>,
}

impl RunOptions {
    pub fn new(run_id: impl Into<String>) -> RunOptions {
        RunOptions {
            run_id: run_id.into(),
            stdout: None,
            stderr: None,
            output_limit: 1 << 20,
            tail_limit: 64 << 10,
            buffer_stdout: false,
            calls: CallPolicy::default(),
            audit_sink: None,
            collect_denials: false,
            args: Vec::new(),
        }
    }
}

/// The state of a run, as the run history records it. A run of
/// [`Runner::run`] ends in one of the first four; the scheduler adds the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Succeeded,
    /// Exited non-zero, trapped, panicked or could not start.
    Failed,
    TimedOut,
    KilledForMemory,
    /// Still going (or the daemon has not recorded its end yet).
    Running,
    /// Stopped by the daemon: shutdown past the grace period, or replaced by
    /// a newer run.
    Cancelled,
    /// A firing that did not start a run (the previous run was still going
    /// and the job's concurrency is `forbid`).
    Skipped,
    /// Left `running` by a daemon that crashed or was killed.
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 8] = [
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::TimedOut,
        RunStatus::KilledForMemory,
        RunStatus::Running,
        RunStatus::Cancelled,
        RunStatus::Skipped,
        RunStatus::Interrupted,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed-out",
            RunStatus::KilledForMemory => "killed-for-memory",
            RunStatus::Running => "running",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Skipped => "skipped",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// Whether the job ran and failed (what `retry` applies to).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            RunStatus::Failed | RunStatus::TimedOut | RunStatus::KilledForMemory
        )
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RunStatus {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        RunStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown run status {text:?}"))
    }
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub job: String,
    pub run_id: String,
    pub started: SystemTime,
    pub duration: Duration,
    pub status: RunStatus,
    /// The job's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Why it failed, in one or two lines.
    pub message: Option<String>,
    pub stats: CallStats,
    /// Writes were checked and recorded, not sent.
    pub dry_run: bool,
    pub audit: Vec<AuditEntry>,
    pub audit_dropped: u64,
    pub stdout_tail: String,
    pub stderr_tail: String,
    pub output_truncated: bool,
}

impl RunReport {
    /// The one-line summary `warden run` prints last.
    pub fn summary(&self) -> String {
        let outcome = match (&self.status, &self.message) {
            (RunStatus::Succeeded, _) => "succeeded".to_string(),
            (status, Some(m)) => format!("{}: {m}", status.as_str()),
            (status, None) => status.as_str().to_string(),
        };
        let took = if self.duration < std::time::Duration::from_secs(1) {
            format!("{} ms", self.duration.as_millis())
        } else {
            format!("{:.2} s", self.duration.as_secs_f64())
        };
        let mode = if self.dry_run { " (DRY RUN)" } else { "" };
        let not_sent = if self.dry_run {
            let n = self.stats.dry_run;
            format!(", {n} write{} not sent", if n == 1 { "" } else { "s" })
        } else {
            String::new()
        };
        let held = if self.stats.held >= Duration::from_millis(1) {
            format!(
                "; held {:.2} s by the rate-limit governor",
                self.stats.held.as_secs_f64()
            )
        } else {
            String::new()
        };
        format!(
            "warden: job {}{mode} {outcome} in {took}; {} Canvas request{}{not_sent}, {} denied, {} invalid{held}",
            self.job,
            self.stats.sent,
            if self.stats.sent == 1 { "" } else { "s" },
            self.stats.denied,
            self.stats.invalid,
        )
    }
}

/// Setting up a run failed before the job started.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read the worker token from the {source_name}: {error}")]
    Token {
        source_name: String,
        error: TokenError,
    },
    #[error(
        "[env] {key} holds the worker token; a job must never see it, remove it from the manifest"
    )]
    TokenInEnv { key: String },
}

/// Everything a job needs besides its component: the shared sandbox,
/// client and rate-limit governor, the Canvas origin and where the token
/// comes from.
#[derive(Clone)]
pub struct Runner {
    pub sandbox: Sandbox,
    pub client: CanvasClient,
    pub origin: Origin,
    pub token: TokenSource,
    /// One for every run of this process, so that concurrent jobs share
    /// Canvas's rate limit ([`Governor::disabled`] to send freely).
    pub governor: Governor,
}

/// Why a [`Runner`] could not be set up from a config.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Engine(#[from] crate::sandbox::EngineError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl Runner {
    /// What `warden run` and `warden serve` run jobs with: the config's
    /// component cache, Canvas origin, token and `[throttle]` governor.
    pub fn from_config(config: &crate::config::Config) -> Result<Runner, SetupError> {
        Ok(Runner {
            sandbox: Sandbox::with_cache(
                config.cache.as_ref().map(crate::cache::ComponentCache::new),
            )?,
            client: CanvasClient::new()?,
            origin: config.canvas.origin.clone(),
            token: config.canvas.token.clone(),
            governor: Governor::new(config.throttle),
        })
    }

    /// Runs the job once, now.
    pub async fn run(
        &self,
        job: &Manifest,
        component: &JobComponent,
        options: RunOptions,
    ) -> Result<RunReport, RunError> {
        // Fail before the job starts when the token is unreadable, and make
        // sure the manifest does not hand the token to the job.
        // (For an OAuth credential: that the refresh token and the client
        // secret can be read; a refused renewal fails the job's requests.)
        let token = self.token.read().map_err(|error| RunError::Token {
            source_name: self.token.to_string(),
            error,
        })?;
        let mut secrets = self.token.secrets();
        secrets.push(token);
        let leaked = |v: &String| secrets.iter().any(|s| v.contains(s.expose()));
        if let Some((key, _)) = job.env.iter().find(|(_, v)| leaked(v)) {
            return Err(RunError::TokenInEnv { key: key.clone() });
        }
        drop(secrets);

        let started = SystemTime::now();
        let clock = Instant::now();
        let stdout = Capture::with_buffering(
            options.output_limit,
            options.tail_limit,
            options.stdout,
            options.buffer_stdout,
        );
        let stderr = Capture::new(options.output_limit, options.tail_limit, options.stderr);
        let wasi = wasi_ctx(job, &options.run_id, &options.args, &stdout, &stderr);
        let grant = Arc::new(Grant {
            origin: self.origin.clone(),
            scopes: job.scopes.clone(),
            masquerade: job.masquerade,
            max_requests: job.limits.max_requests,
            request_timeout: job.limits.request_timeout,
            max_response_bytes: job.limits.max_response_bytes,
            dry_run: job.dry_run,
            params: job.params.clone(),
            scope_lines: job.scope_lines.clone(),
            collect_denials: options.collect_denials,
        });
        let api = CanvasApi::new(
            job.name.as_str(),
            grant,
            self.token.clone(),
            self.client.clone(),
            options.calls,
        )
        .with_sink(options.audit_sink)
        .with_governor(self.governor.clone());
        let state = JobState::new(wasi, MemoryLimiter::new(job.limits.memory), api);
        let mut store = Store::new(self.sandbox.engine(), state);
        store.limiter(|s| &mut s.limiter);
        // Yield to the executor at every epoch tick so the deadline below can
        // interrupt a guest that never calls the host.
        store.epoch_deadline_async_yield_and_update(1);

        let timeout = job.limits.timeout;
        // A buffered stdout is forwarded at least every FLUSH_EVERY.
        let flusher = options.buffer_stdout.then(|| {
            let stdout = stdout.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(crate::output::FLUSH_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    stdout.flush_pending();
                }
            })
        });
        let outcome = tokio::time::timeout(timeout, async {
            let command = component.pre().instantiate_async(&mut store).await?;
            command.wasi_cli_run().call_run(&mut store).await
        })
        .await;
        let duration = clock.elapsed();
        if let Some(flusher) = flusher {
            flusher.abort();
        }
        stdout.flush_pending();

        let (status, exit_code, message) = match outcome {
            Err(_elapsed) => (
                RunStatus::TimedOut,
                None,
                Some(format!(
                    "the job did not finish within its timeout of {} ([limits] timeout)",
                    crate::units::DurationSpec::from_duration(timeout)
                )),
            ),
            Ok(Ok(Ok(()))) => (RunStatus::Succeeded, Some(0), None),
            Ok(Ok(Err(()))) => (
                RunStatus::Failed,
                Some(1),
                Some("the job's main returned an error".to_string()),
            ),
            Ok(Err(error)) => classify(&error, &stderr.tail()),
        };

        let api = &mut store.data_mut().api;
        let stats = api.stats();
        let (audit, audit_dropped) = api.take_audit();
        let stderr_tail = stderr.tail();
        let message = match status {
            RunStatus::Succeeded => message,
            _ => message.map(|m| explain(m, &stderr_tail, api.last_failure())),
        };
        Ok(RunReport {
            job: job.name.to_string(),
            run_id: options.run_id,
            started,
            duration,
            status,
            exit_code,
            message,
            stats,
            dry_run: job.dry_run,
            audit,
            audit_dropped,
            stdout_tail: stdout.tail(),
            stderr_tail,
            output_truncated: stdout.truncated() || stderr.truncated(),
        })
    }
}

/// The job's WASI context: its manifest `[env]`, WARDEN_JOB and
/// WARDEN_RUN_ID (and WARDEN_DRY_RUN=1 in a dry run), its name as the only
/// argument, captured stdout and stderr, empty stdin, no directories, no
/// network.
fn wasi_ctx(
    job: &Manifest,
    run_id: &str,
    args: &[String],
    stdout: &Capture,
    stderr: &Capture,
) -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.stdout(stdout.clone())
        .stderr(stderr.clone())
        .arg(job.name.as_str())
        .args(args)
        .env("WARDEN_JOB", job.name.as_str())
        .env("WARDEN_RUN_ID", run_id)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
    if job.dry_run {
        b.env(dry_run::ENV, "1");
    }
    for (key, value) in &job.env {
        b.env(key, value);
    }
    b.build()
}

/// Turns a trap or host error into a status and a message.
fn classify(error: &wasmtime::Error, stderr: &str) -> (RunStatus, Option<i32>, Option<String>) {
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return match exit.0 {
            0 => (RunStatus::Succeeded, Some(0), None),
            code => (
                RunStatus::Failed,
                Some(code),
                Some(format!("the job exited with code {code}")),
            ),
        };
    }
    if let Some(limit) = error.downcast_ref::<MemoryLimitExceeded>() {
        return (RunStatus::KilledForMemory, None, Some(limit.to_string()));
    }
    match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::StackOverflow) => (
            RunStatus::Failed,
            None,
            Some("the job overflowed its stack (unbounded recursion?)".to_string()),
        ),
        Some(wasmtime::Trap::UnreachableCodeReached) => match panic_message(stderr) {
            Some(panic) => (RunStatus::Failed, None, Some(format!("the job panicked at {panic}"))),
            None => (
                RunStatus::Failed,
                None,
                Some("the job aborted (wasm `unreachable` reached)".to_string()),
            ),
        },
        // Rust keeps its stack in linear memory below the data; deep
        // recursion runs off its start, which wasm reports as out of bounds.
        Some(wasmtime::Trap::MemoryOutOfBounds) => (
            RunStatus::Failed,
            None,
            Some("the job trapped: out of bounds memory access (in a Rust job usually a stack overflow from deep recursion)".to_string()),
        ),
        Some(trap) => (RunStatus::Failed, None, Some(format!("the job trapped: {trap}"))),
        None => (RunStatus::Failed, None, Some(format!("{error:#}"))),
    }
}

/// Most bytes of the job's own error line in a run's error.
const ERROR_LINE_CAP: usize = 512;
/// Most bytes of the last Canvas failure in a run's error.
const CANVAS_ERROR_CAP: usize = 1024;

/// A failed run's error: what happened, the job's own last error line (the
/// last non-empty line of its stderr, unless the message has it already,
/// as a panic's does) and the last Canvas request that failed, e.g. `the
/// job's main returned an error: Error: no courses; last Canvas error:
/// unavailable: Canvas did not answer GET /api/v1/courses within 2s`.
fn explain(message: String, stderr: &str, canvas: Option<&str>) -> String {
    let mut text = message;
    let line = stderr
        .lines()
        .rev()
        .map(str::trim)
        // Rust's hint after a panic is not the job's error.
        .find(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .map(|l| cut(l, ERROR_LINE_CAP));
    if let Some(line) = line {
        if !text.contains(line.trim_end_matches('…')) {
            text.push_str(": ");
            text.push_str(&line);
        }
    }
    if let Some(canvas) = canvas {
        text.push_str("; last Canvas error: ");
        text.push_str(&cut(canvas, CANVAS_ERROR_CAP));
    }
    text
}

/// `s` with control characters replaced, cut to at most `max` bytes as the
/// history cuts text ([`crate::history::keep_start`]).
fn cut(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    crate::history::keep_start(&clean, max).into_owned()
}

/// "src/main.rs:3:5: boom" from Rust's panic report on stderr.
fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.rfind("panicked at ")? + "panicked at ".len();
    let mut lines = stderr[start..].lines();
    let location = lines.next()?.trim_end_matches(':');
    let message = lines.next().unwrap_or("").trim();
    Some(format!("{location}: {message}"))
}

/// A run id: UTC time and a random suffix, e.g. `20261129T113000Z-3f9a1c`.
pub fn new_run_id() -> String {
    new_run_id_at(chrono::Utc::now())
}

/// A run id for a run that starts (or was skipped) at `now`: its UTC time
/// to the second and 24 random bits.
pub fn new_run_id_at(now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}-{:06x}",
        now.format("%Y%m%dT%H%M%SZ"),
        fastrand::u32(..0x100_0000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_extracted() {
        let stderr = "\nthread 'main' panicked at src/bin/misbehave.rs:12:9:\nboom: the job gave up\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("src/bin/misbehave.rs:12:9: boom: the job gave up")
        );
        assert_eq!(panic_message("no panic here"), None);
    }

    #[test]
    fn a_failed_run_says_the_jobs_last_error_line_and_the_last_canvas_error() {
        let stderr = "working\nError: no courses found for account 7\n\n  \n";
        assert_eq!(
            explain("the job's main returned an error".into(), stderr, None),
            "the job's main returned an error: Error: no courses found for account 7"
        );
        assert_eq!(
            explain(
                "the job exited with code 3".into(),
                "",
                Some("unavailable: Canvas did not answer GET /api/v1/courses/1 within 2s ([limits] request_timeout)")
            ),
            "the job exited with code 3; last Canvas error: unavailable: Canvas did not answer GET /api/v1/courses/1 within 2s ([limits] request_timeout)"
        );
        // A panic's message has the line already.
        let panic = "thread 'main' panicked at src/main.rs:3:5:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        let m = format!("the job panicked at src/main.rs:3:5: {}", "boom");
        assert_eq!(explain(m.clone(), panic, None), m);
        // Long lines are cut, control characters replaced.
        let long = format!("E\u{1b}[31m{}", "x".repeat(2000));
        let text = explain("failed".into(), &long, Some(&"y".repeat(5000)));
        assert!(text.len() < 1700, "{}", text.len());
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("…; last Canvas error: yyy"));
    }

    #[test]
    fn statuses_round_trip() {
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse::<RunStatus>(), Ok(status));
        }
        assert!("done".parse::<RunStatus>().is_err());
    }

    #[test]
    fn run_ids_are_unique_and_sortable() {
        let a = new_run_id();
        let b = new_run_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), "20261129T113000Z-3f9a1c".len());
    }
}
