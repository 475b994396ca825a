//! The dashboard of `warden serve` with 100 jobs and 100,000 runs in the
//! history (see BENCHMARKS.md, "Dashboard"):
//!
//! - the jobs page (`/`), a job page (`/jobs/{name}`, plain and with a
//!   filter and a later page) and `/metrics`, each fetched N times over HTTP
//!   as a browser or a Prometheus scraper would (end to end over loopback:
//!   an upper bound of the server-side time); median and p95;
//! - whether scraping delays firings: scheduled → started (as the history
//!   records it, ms resolution) of every scheduled firing while nothing is
//!   fetched, while `/metrics` is scraped every second, and while
//!   `/metrics`, the jobs page and a job page are fetched every second (at
//!   the whole second, when the firings are due); the three modes take
//!   turns of 10 s until each has had its window;
//! - the same history reads as the pages make, timed in this process on a
//!   read-only connection (the database's share of a page).
//!
//! The history is built with the library before `warden serve` starts:
//! `History::open` (the real schema), then `start_run`, `record_requests`
//! and `finish_run` (or `record_skipped_as`) for 1,000 runs of each of 100
//! jobs, one every 5 minutes (the last 3.5 days), with varied statuses and
//! triggers, and 5 audited requests (some denied) for the newest 20 runs of
//! each job. The 100 manifests run the `scripted` test guest (a GET of a
//! course, allowed, and a GET of an account, denied) against a Canvas
//! stand-in in this process, on six-field schedules every 5 seconds, 20 jobs
//! on each second: 20 firings a second during the whole bench. The real
//! `warden serve` binary (the one cargo builds with the bench) runs as a
//! child process with `[dashboard] listen = "127.0.0.1:0"`.
//!
//! ```sh
//! cargo bench -p warden --bench dashboard
//! WARDEN_BENCH_WINDOW_SECS=20 WARDEN_BENCH_FETCHES=20 cargo bench -p warden --bench dashboard
//! ```
//!
//! Settings (environment variables, defaults in brackets):
//! `WARDEN_BENCH_JOBS` [100], `WARDEN_BENCH_RUNS_PER_JOB` [1000],
//! `WARDEN_BENCH_FETCHES` [50 timed fetches of each page, after 5 warm-up],
//! `WARDEN_BENCH_WINDOW_SECS` [60, seconds of firings for each mode],
//! `WARDEN_BENCH_EVERY` [5, seconds between a job's firings; divides 60],
//! `WARDEN_BENCH_DIR` [the system temp folder], `WARDEN_BENCH_KEEP=1` keeps
//! the scratch folder, `WARDEN_BENCH_BIN` another `warden` binary to time.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use warden::history::{History, NewRun, RunEnd, RunFilter, Trigger};
use warden::host::{AuditEntry, Outcome};
use warden::run::RunStatus;
use warden::scope::Method;
use warden::standin::{Seed, StandIn};

const TOKEN: &str = "7~WardenDashboardBench-not-a-real-token-0123456789";
/// The job whose page is fetched.
const PAGE_JOB: usize = 42;
const WARMUP: usize = 5;
/// Minutes between two runs of a job in the built history.
const HISTORY_SPACING_MIN: i64 = 5;
/// Runs of each job that get audited requests in the built history (the
/// job page reads the requests of the newest 20).
const AUDITED_RUNS: usize = 20;
/// Seconds of one turn of a firing mode.
const SLICE: u64 = 10;
const COURSE_SCOPE: &str = "url:GET|/api/v1/courses/:id";
const USER_SCOPE: &str = "url:GET|/api/v1/users/:id";

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(async { tokio::spawn(bench()).await? }) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark failed: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Settings {
    jobs: usize,
    runs_per_job: usize,
    fetches: usize,
    window: u64,
    every: u32,
}

impl Settings {
    fn from_env() -> Result<Settings> {
        let s = Settings {
            jobs: env_usize("WARDEN_BENCH_JOBS", 100)?,
            runs_per_job: env_usize("WARDEN_BENCH_RUNS_PER_JOB", 1000)?,
            fetches: env_usize("WARDEN_BENCH_FETCHES", 50)?.max(1),
            window: env_usize("WARDEN_BENCH_WINDOW_SECS", 60)? as u64,
            every: env_usize("WARDEN_BENCH_EVERY", 5)? as u32,
        };
        if s.every == 0 || !60u32.is_multiple_of(s.every) {
            bail!("WARDEN_BENCH_EVERY must divide 60");
        }
        if s.jobs <= PAGE_JOB {
            bail!("WARDEN_BENCH_JOBS must be more than {PAGE_JOB}");
        }
        Ok(s)
    }
}

fn job_name(i: usize) -> String {
    format!("job-{i:03}")
}

async fn bench() -> Result<()> {
    let settings = Settings::from_env()?;
    println!("warden dashboard benchmark");
    println!("  {}", common::machine_line());
    println!("  load average before: {}", common::load_average());
    let scratch = Scratch::new()?;

    // 1. The history.
    let clock = Instant::now();
    let built = build_history(&scratch.state(), &settings)?;
    let db_bytes = std::fs::metadata(scratch.state()).map_or(0, |m| m.len())
        + std::fs::metadata(scratch.state().with_extension("db-wal")).map_or(0, |m| m.len());
    println!(
        "  history: {} runs of {} jobs ({} audited requests, {} denied), built with the History API in {:.1} s; {:.1} MiB",
        built.runs,
        settings.jobs,
        built.requests,
        built.denied,
        clock.elapsed().as_secs_f64(),
        db_bytes as f64 / (1 << 20) as f64
    );

    // 2. Canvas, the manifests, `warden serve`.
    let standin = StandIn::start(TOKEN, Seed::demo()).await?;
    scratch.write_config(&standin.base_url())?;
    for i in 0..settings.jobs {
        scratch.write_job(i, &settings)?;
    }
    let clock = Instant::now();
    let mut serve = Serve::start(&scratch)?;
    let base = serve.wait_for_dashboard(Duration::from_secs(300)).await?;
    println!(
        "  warden serve: {} (pid {}), dashboard at {base}, up in {:.1} s (the component compiled on the first start)",
        warden_bin().display(),
        serve.child.id(),
        clock.elapsed().as_secs_f64()
    );
    println!(
        "  jobs: {} × the scripted guest (GET a course: allowed; GET an account: denied), every {} s, {} firings a second",
        settings.jobs,
        settings.every,
        settings.jobs / settings.every as usize
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    // Let the first firings and the start-up prune go by.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // 3. Pages.
    let job = job_name(PAGE_JOB);
    let pages: Vec<(String, String, Option<f64>)> = vec![
        ("jobs page  /".into(), "/".into(), Some(50.0)),
        (
            format!("job page   /jobs/{job}"),
            format!("/jobs/{job}"),
            Some(50.0),
        ),
        (
            "  with ?status=failed".into(),
            format!("/jobs/{job}?status=failed"),
            None,
        ),
        (
            "  with ?page=15".into(),
            format!("/jobs/{job}?page=15"),
            None,
        ),
        ("metrics    /metrics".into(), "/metrics".into(), Some(20.0)),
    ];
    println!(
        "\n== pages: {} timed fetches of each after {WARMUP} warm-up, round robin, one keep-alive connection (reqwest), send → whole body",
        settings.fetches
    );
    println!("  load average before: {}", common::load_average());
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); pages.len()];
    let mut sizes = vec![0usize; pages.len()];
    for round in 0..WARMUP + settings.fetches {
        for (k, (_, path, _)) in pages.iter().enumerate() {
            let (ms, size) = fetch(&client, &base, path).await?;
            sizes[k] = size;
            if round >= WARMUP {
                times[k].push(ms);
            }
        }
    }
    check_pages(&client, &base, &job).await?;
    println!(
        "  {:<34} {:>9} {:>9} {:>9} {:>9} {:>9}  target",
        "", "median", "p95", "min", "max", "bytes"
    );
    let mut verdicts = Vec::new();
    for (k, (label, _, target)) in pages.iter().enumerate() {
        let s = Summary::of(times[k].clone());
        let verdict = match target {
            Some(t) => {
                let met = s.median <= *t;
                verdicts.push((label.trim().to_string(), *t, s.median, met));
                format!("median ≤ {t} ms: {}", verdict(met))
            }
            None => String::new(),
        };
        println!(
            "  {label:<34} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>9}  {verdict}",
            s.median, s.p95, s.min, s.max, sizes[k]
        );
    }
    println!("  (end to end over loopback from this process: an upper bound of the server's time)");
    println!("  load average after: {}", common::load_average());

    // 4. Firings, without and with scraping: the three modes take turns,
    // SLICE seconds each, until each has had its window, so that a change
    // of load on the machine falls on all three alike.
    let modes = [
        Scrape::Nothing,
        Scrape::Metrics,
        Scrape::MetricsAndPages(job.clone()),
    ];
    let slices = settings.window.div_ceil(SLICE).max(1);
    println!(
        "\n== firings: scheduled → started as recorded (ms resolution), every scheduled firing; {} s per mode, in turns of {SLICE} s",
        slices * SLICE
    );
    println!("  load average before: {}", common::load_average());
    let mut windows: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>> = vec![Vec::new(); modes.len()];
    let mut scrapes = vec![0usize; modes.len()];
    for _ in 0..slices {
        for (k, mode) in modes.iter().enumerate() {
            let (from, to, n) = window(&client, &base, mode, SLICE).await?;
            windows[k].push((from, to));
            scrapes[k] += n;
        }
    }
    // Let the last firings' ends be written, then read the history while
    // `warden serve` still runs (a read-only connection of its own, as
    // `warden history` would).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let history = History::open_read_only(&scratch.state())?;
    let filter = RunFilter {
        trigger: Some(Trigger::Schedule),
        ..RunFilter::default()
    };
    let page = history.runs_page(&filter, 0, 1_000_000)?;
    let queries = time_queries(&history, &settings, &job)?;
    let stopped = serve.stop(Duration::from_secs(60)).await?;
    standin.shutdown().await;

    let expected_per_sec = settings.jobs as f64 / settings.every as f64;
    println!(
        "  {:<58} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8}  target p99 ≤ 10 ms",
        "", "firings", "p50", "p90", "p99", "max", "scrapes"
    );
    let mut firing_verdicts = Vec::new();
    for (k, mode) in modes.iter().enumerate() {
        let label = mode.describe();
        let mut late = Vec::new();
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        // The worst lateness of each second.
        let mut seconds: BTreeMap<i64, f64> = BTreeMap::new();
        for run in &page.runs {
            let Some(at) = run.scheduled_at else { continue };
            if !windows[k].iter().any(|(from, to)| at >= *from && at < *to) {
                continue;
            }
            *statuses.entry(run.status.to_string()).or_default() += 1;
            if run.status != RunStatus::Skipped {
                let ms = (run.started_at - at).num_milliseconds() as f64;
                late.push(ms);
                let worst = seconds.entry(at.timestamp()).or_default();
                *worst = worst.max(ms);
            }
        }
        let secs: i64 = windows[k]
            .iter()
            .map(|(f, t)| (*t - *f).num_seconds())
            .sum();
        let expected = (secs as f64 * expected_per_sec).round() as usize;
        let s = Summary::of(late);
        let met = s.n > 0 && s.p99 <= 10.0 && s.n >= expected;
        firing_verdicts.push((label.clone(), s.p99, met));
        println!(
            "  {label:<58} {:>6} {:>4.0}ms {:>4.0}ms {:>4.0}ms {:>4.0}ms {:>8}  {}",
            s.n,
            s.median,
            s.p90,
            s.p99,
            s.max,
            scrapes[k],
            verdict(met)
        );
        let recorded: usize = statuses.values().sum();
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let mut worst: Vec<(i64, f64)> = seconds.into_iter().collect();
        worst.sort_by(|a, b| b.1.total_cmp(&a.1));
        let worst: Vec<String> = worst
            .iter()
            .take(5)
            .map(|(at, ms)| {
                let t = DateTime::from_timestamp(*at, 0).unwrap_or_default();
                format!("{} {ms:.0} ms", t.format("%H:%M:%S"))
            })
            .collect();
        println!(
            "      {expected} due, {recorded} recorded ({}); worst seconds: {}",
            statuses.join(", "),
            worst.join(", ")
        );
    }
    println!("  load average after: {}", common::load_average());
    println!("  warden serve after SIGTERM: {stopped}");

    println!(
        "\n== the pages' history queries alone, in this process (a read-only connection, as the dashboard's), {} times each",
        QUERY_REPS
    );
    for (label, s) in &queries {
        println!(
            "  {label:<58} median {:>7.3} ms  p95 {:>7.3} ms  max {:>7.3} ms",
            s.median, s.p95, s.max
        );
    }

    println!("\n== against the targets");
    for (label, target, median, met) in &verdicts {
        println!(
            "  {label}: median {median:.2} ms (≤ {target} ms): {}",
            verdict(*met)
        );
    }
    for (label, p99, met) in &firing_verdicts {
        println!(
            "  scheduled → started p99, {label}: {p99:.0} ms (≤ 10 ms): {}",
            verdict(*met)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The history

struct Built {
    runs: usize,
    requests: usize,
    denied: usize,
}

/// A small deterministic generator (xorshift), so that every bench run
/// builds the same history.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn build_history(path: &Path, s: &Settings) -> Result<Built> {
    let history = History::open(path)?;
    let now = Utc::now();
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let mut built = Built {
        runs: 0,
        requests: 0,
        denied: 0,
    };
    let mut ids = std::collections::HashSet::new();
    for i in 0..s.jobs {
        let job = job_name(i);
        // Jobs 3 s apart within the 5 minutes, so no two runs share a second.
        let offset = chrono::Duration::seconds((i as i64 * 3) % (HISTORY_SPACING_MIN * 60));
        let mut failed_before = false;
        for k in 0..s.runs_per_job {
            let age = (s.runs_per_job - k) as i64 * HISTORY_SPACING_MIN;
            let scheduled = now - chrono::Duration::minutes(age) - offset;
            let roll = dice.below(1000);
            let trigger = if failed_before {
                Trigger::Retry
            } else if roll < 40 {
                Trigger::Manual
            } else if roll < 60 {
                Trigger::CatchUp
            } else {
                Trigger::Schedule
            };
            let started = scheduled
                + chrono::Duration::milliseconds(match trigger {
                    Trigger::CatchUp => 30_000 + dice.below(60_000) as i64,
                    Trigger::Retry => 10_000,
                    _ => 1 + dice.below(8) as i64,
                });
            let mut run_id = warden::run::new_run_id_at(started);
            while !ids.insert(run_id.clone()) {
                run_id = warden::run::new_run_id_at(started);
            }
            built.runs += 1;
            let status_roll = dice.below(1000);
            if trigger == Trigger::Schedule && status_roll < 15 {
                history.record_skipped_as(
                    &run_id,
                    &job,
                    scheduled,
                    "the previous run was still going (concurrency = \"forbid\")",
                    started,
                )?;
                failed_before = false;
                continue;
            }
            history.start_run(&NewRun {
                run_id: run_id.clone(),
                job: job.clone(),
                scheduled_at: (trigger != Trigger::Manual).then_some(scheduled),
                started_at: started,
                attempt: u32::from(trigger == Trigger::Retry),
                trigger,
            })?;
            let status = match status_roll {
                0..=59 => RunStatus::Failed,
                60..=74 => RunStatus::TimedOut,
                75..=79 => RunStatus::KilledForMemory,
                80..=94 => RunStatus::Cancelled,
                95..=99 => RunStatus::Interrupted,
                _ => RunStatus::Succeeded,
            };
            failed_before = trigger != Trigger::Retry && status == RunStatus::Failed;
            let audited = k + AUDITED_RUNS >= s.runs_per_job;
            let mut denials = 0;
            let mut sent = 3;
            if audited {
                let (entries, denied) = audit(&mut dice, started, k);
                denials = denied;
                sent = (entries.len() - denied) as u64;
                built.requests += entries.len();
                built.denied += denied;
                history.record_requests(&run_id, &entries)?;
            }
            let took = chrono::Duration::milliseconds(200 + dice.below(20_000) as i64);
            let (exit_code, error) = match status {
                RunStatus::Succeeded => (Some(0), None),
                RunStatus::Failed => (
                    Some(1),
                    Some("exited with code 1: src/main.rs:40:9: course 17 has no term".into()),
                ),
                RunStatus::TimedOut => (None, Some("timed out after 1m".into())),
                RunStatus::KilledForMemory => {
                    (None, Some("killed: over its memory limit of 64 MiB".into()))
                }
                RunStatus::Cancelled => (
                    None,
                    Some("cancelled by admin from 127.0.0.1 (dashboard)".into()),
                ),
                _ => (None, Some(warden::history::INTERRUPTED_ERROR.into())),
            };
            history.finish_run(
                &run_id,
                &RunEnd {
                    ended_at: started + took,
                    status,
                    exit_code,
                    error,
                    requests: sent,
                    denials: denials as u64,
                    invalid: 0,
                    stdout_tail: format!(
                        "checked {} courses\n{} unpublished\n",
                        20 + k % 40,
                        k % 7
                    ),
                    stderr_tail: String::new(),
                    held_ms: dice.below(50),
                },
            )?;
        }
    }
    Ok(built)
}

/// Five requests of a run: four course GETs, then a user GET, or in a
/// third of the runs a denied account GET.
fn audit(dice: &mut Dice, started: DateTime<Utc>, k: usize) -> (Vec<AuditEntry>, usize) {
    let at = |ms: u64| SystemTime::from(started) + Duration::from_millis(ms);
    let mut entries = Vec::new();
    for n in 0..4u64 {
        let course = 1 + dice.below(60);
        entries.push(AuditEntry {
            at: at(5 + n * 40),
            method: Method::Get,
            target: format!("/api/v1/courses/{course}?include[]=term"),
            scope: Some(COURSE_SCOPE.into()),
            outcome: Outcome::Status(if course == 13 { 404 } else { 200 }),
            duration: Duration::from_millis(20 + dice.below(40)),
            attempts: 1,
        });
    }
    let denied = k.is_multiple_of(3);
    entries.push(if denied {
        AuditEntry {
            at: at(200),
            method: Method::Get,
            target: "/api/v1/accounts/1".into(),
            scope: None,
            outcome: Outcome::Denied(
                "no scope of the manifest allows GET /api/v1/accounts/1".into(),
            ),
            duration: Duration::ZERO,
            attempts: 0,
        }
    } else {
        AuditEntry {
            at: at(200),
            method: Method::Get,
            target: format!("/api/v1/users/{}", 2 + dice.below(19)),
            scope: Some(USER_SCOPE.into()),
            outcome: Outcome::Status(200),
            duration: Duration::from_millis(20 + dice.below(40)),
            attempts: 1,
        }
    });
    (entries, usize::from(denied))
}

// ---------------------------------------------------------------------------
// The pages' queries alone

const QUERY_REPS: usize = 20;

/// The history reads of each page, as the handlers make them: the jobs
/// page's newest 20 runs of every job (and the activity log), the job
/// page's page of 50 with its count and the requests of its newest 20 runs.
fn time_queries(history: &History, s: &Settings, job: &str) -> Result<Vec<(String, Summary)>> {
    let names: Vec<String> = (0..s.jobs).map(job_name).collect();
    let mut jobs_page = Vec::new();
    let mut job_page = Vec::new();
    let mut requests = Vec::new();
    let mut filtered = Vec::new();
    let filter = RunFilter {
        job: Some(job.to_string()),
        ..RunFilter::default()
    };
    let failed = RunFilter {
        status: Some(RunStatus::Failed),
        ..filter.clone()
    };
    for _ in 0..QUERY_REPS {
        let clock = Instant::now();
        for name in &names {
            history.runs(Some(name), 20)?;
        }
        history.activity(10)?;
        jobs_page.push(clock.elapsed().as_secs_f64() * 1e3);

        let clock = Instant::now();
        history.runs_page(&filter, 0, 50)?;
        job_page.push(clock.elapsed().as_secs_f64() * 1e3);

        let clock = Instant::now();
        for run in history.runs(Some(job), 20)? {
            history.requests(&run.run_id)?;
        }
        requests.push(clock.elapsed().as_secs_f64() * 1e3);

        let clock = Instant::now();
        history.runs_page(&failed, 0, 50)?;
        filtered.push(clock.elapsed().as_secs_f64() * 1e3);
    }
    Ok(vec![
        (
            format!("jobs page: newest 20 runs × {} jobs + activity", s.jobs),
            Summary::of(jobs_page),
        ),
        (
            "job page: COUNT + a page of 50 runs".into(),
            Summary::of(job_page),
        ),
        (
            "job page: the requests of its newest 20 runs".into(),
            Summary::of(requests),
        ),
        (
            "job page with ?status=failed: COUNT + a page of 50".into(),
            Summary::of(filtered),
        ),
    ])
}

// ---------------------------------------------------------------------------
// Fetching

async fn fetch(client: &reqwest::Client, base: &str, path: &str) -> Result<(f64, usize)> {
    let clock = Instant::now();
    let response = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    let status = response.status();
    let body = response.bytes().await?;
    let ms = clock.elapsed().as_secs_f64() * 1e3;
    if !status.is_success() {
        bail!(
            "GET {path}: {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(500)])
        );
    }
    Ok((ms, body.len()))
}

async fn text(client: &reqwest::Client, base: &str, path: &str) -> Result<String> {
    Ok(client
        .get(format!("{base}{path}"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?)
}

/// The pages show what the bench built: every job, a job's 1,000+ runs,
/// its denials' suggestion, and every job in `/metrics`.
async fn check_pages(client: &reqwest::Client, base: &str, job: &str) -> Result<()> {
    let jobs = text(client, base, "/").await?;
    for name in [job_name(0), job_name(PAGE_JOB)] {
        if !jobs.contains(&name) {
            bail!("the jobs page does not show {name}");
        }
    }
    let page = text(client, base, &format!("/jobs/{job}")).await?;
    if !page.contains("scopes = [") {
        bail!("the job page of {job} shows no scopes suggestion");
    }
    let metrics = text(client, base, "/metrics").await?;
    let jobs_in_metrics = metrics
        .lines()
        .filter(|l| l.starts_with("warden_job_suspended{"))
        .count();
    if jobs_in_metrics == 0 {
        bail!("/metrics has no warden_job_suspended lines");
    }
    Ok(())
}

enum Scrape {
    Nothing,
    Metrics,
    MetricsAndPages(String),
}

impl Scrape {
    fn describe(&self) -> String {
        match self {
            Scrape::Nothing => "no requests".into(),
            Scrape::Metrics => "GET /metrics every second".into(),
            Scrape::MetricsAndPages(job) => format!("/metrics, / and /jobs/{job} every second"),
        }
    }

    fn paths(&self) -> Vec<String> {
        match self {
            Scrape::Nothing => Vec::new(),
            Scrape::Metrics => vec!["/metrics".into()],
            Scrape::MetricsAndPages(job) => {
                vec!["/metrics".into(), "/".into(), format!("/jobs/{job}")]
            }
        }
    }
}

/// One firing window: from the next whole second on, `secs` seconds, with
/// the scrapes of `mode` sent at each whole second (when the firings are
/// due: the worst moment). Returns the window and the number of scrapes.
async fn window(
    client: &reqwest::Client,
    base: &str,
    mode: &Scrape,
    secs: u64,
) -> Result<(DateTime<Utc>, DateTime<Utc>, usize)> {
    let now = Utc::now();
    let from = DateTime::from_timestamp(now.timestamp() + 1, 0).context("time")?;
    let to = from + chrono::Duration::seconds(secs as i64);
    let paths = mode.paths();
    let mut scrapes = 0;
    for second in 0..secs as i64 {
        let at = from + chrono::Duration::seconds(second);
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        // Each set of requests on its own task, so that a slow one does not
        // shift the next second's.
        let tasks: Vec<_> = paths
            .iter()
            .map(|p| {
                let (client, url) = (client.clone(), format!("{base}{p}"));
                tokio::spawn(async move { client.get(url).send().await?.bytes().await })
            })
            .collect();
        for task in tasks {
            task.await??;
            scrapes += 1;
        }
    }
    let wait = (to - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    Ok((from, to, scrapes))
}

// ---------------------------------------------------------------------------
// Set-up

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let root = std::env::var_os("WARDEN_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = root.join(format!("warden-bench-dashboard-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("jobs"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(dir.join("token"), TOKEN)?;
        Ok(Scratch { dir })
    }

    fn state(&self) -> PathBuf {
        self.dir.join("state/warden.db")
    }

    fn write_config(&self, base_url: &str) -> Result<()> {
        std::fs::write(
            self.dir.join("warden.toml"),
            format!(
                "version = 1\njobs = [\"jobs/*/job.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = {base_url:?}\ntoken_file = \"token\"\n[history]\nmax_age = \"365d\"\n[dashboard]\nlisten = \"127.0.0.1:0\"\n"
            ),
        )?;
        Ok(())
    }

    /// Job `i`: every `every` seconds, on the seconds ≡ i (mod every).
    fn write_job(&self, i: usize, s: &Settings) -> Result<()> {
        let name = job_name(i);
        let first = i as u32 % s.every;
        let seconds: Vec<String> = (first..60)
            .step_by(s.every as usize)
            .map(|x| x.to_string())
            .collect();
        let schedule = format!("{} * * * * *", seconds.join(","));
        let course = 1 + i % 60;
        let script = format!(
            r#"[{{"method":"GET","path":"/api/v1/courses/{course}"}},{{"method":"GET","path":"/api/v1/accounts/1"}}]"#
        );
        let dir = self.dir.join("jobs").join(&name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("job.toml"),
            format!(
                "version = 1\n[job]\nname = {name:?}\ndescription = \"Dashboard bench job {i}\"\ncomponent = {:?}\nschedule = {schedule:?}\n[canvas]\nscopes = [{COURSE_SCOPE:?}, {USER_SCOPE:?}]\n[limits]\ntimeout = \"1m\"\n[env]\nSCRIPT = '{script}'\n",
                warden_test_artifacts::SCRIPTED
            ),
        )?;
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("WARDEN_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("kept {}", self.dir.display());
        }
    }
}

fn warden_bin() -> PathBuf {
    std::env::var_os("WARDEN_BENCH_BIN")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_warden").into())
}

/// `warden serve` as a child process, its log in `serve.log`.
struct Serve {
    child: Child,
    log: PathBuf,
}

impl Serve {
    fn start(scratch: &Scratch) -> Result<Serve> {
        let log = scratch.dir.join("serve.log");
        let child = Command::new(warden_bin())
            .arg("serve")
            .arg("--config")
            .arg(scratch.dir.join("warden.toml"))
            // The dashboard's address is logged at info; the rest at warn.
            .env("WARDEN_LOG", "warn,warden::cli=info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("cannot start warden serve")?;
        Ok(Serve { child, log })
    }

    /// Waits for `dashboard on http://…/` in the log; returns the base URL.
    async fn wait_for_dashboard(&mut self, limit: Duration) -> Result<String> {
        let clock = Instant::now();
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(rest) = log.split("dashboard on ").nth(1) {
                let url = rest.split_whitespace().next().unwrap_or("");
                return Ok(url.trim_end_matches('/').to_string());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("warden serve exited ({status}):\n{log}");
            }
            if clock.elapsed() > limit {
                bail!("warden serve did not start its dashboard in {limit:?}:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then waits up to `limit` for it to exit (polling, so that
    /// this process's runtime, which serves the Canvas stand-in, is never
    /// blocked); SIGKILL when it has not. Says what happened.
    async fn stop(&mut self, limit: Duration) -> Result<String> {
        let pid = libc::pid_t::try_from(self.child.id()).context("pid")?;
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let clock = Instant::now();
        let outcome = loop {
            if let Some(status) = self.child.try_wait()? {
                break format!(
                    "exited in {:.2} s ({status})",
                    clock.elapsed().as_secs_f64()
                );
            }
            if clock.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break format!("did NOT exit within {limit:?}; killed");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        // The guests' denied request is logged at warn on every run.
        let warnings: Vec<&str> = log
            .lines()
            .filter(|l| {
                (l.contains("WARN") || l.contains("ERROR")) && !l.contains("refused: denied")
            })
            .collect();
        if let Some(first) = warnings.first() {
            println!(
                "  warden serve logged {} other warnings/errors; the first: {first}",
                warnings.len()
            );
        }
        Ok(outcome)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// Numbers

struct Summary {
    n: usize,
    median: f64,
    p90: f64,
    p95: f64,
    p99: f64,
    min: f64,
    max: f64,
}

impl Summary {
    fn of(mut v: Vec<f64>) -> Summary {
        v.sort_by(f64::total_cmp);
        let q = |percent| common::nearest_rank(&v, percent).unwrap_or(f64::NAN);
        Summary {
            n: v.len(),
            median: q(50),
            p90: q(90),
            p95: q(95),
            p99: q(99),
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met {
        "MET"
    } else {
        "MISSED"
    }
}

fn env_usize(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{name}={v:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}
