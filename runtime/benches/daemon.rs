//! Benchmarks of `warden serve`'s daemon (see BENCHMARKS.md):
//!
//! - `firing`: per-firing overhead with a warm compiled cache, from the
//!   moment the daemon's clock reaches a firing time to the guest's `main`
//!   running; and, for contrast, one bare `Runner::run` of the same guest.
//! - `start`: `daemon::start` with 100 jobs, cold (empty component cache,
//!   new history) and warm (cache filled by the cold start).
//! - `scale`: 10,000 jobs on six-field schedules spread over the seconds of
//!   a minute, on the real clock: resident memory when started and at the
//!   end, and how late each firing's `main` starts.
//!
//! A plain binary (`harness = false`) that prints its numbers:
//!
//! ```sh
//! cargo bench -p warden --bench daemon                   # all three parts
//! cargo bench -p warden --bench daemon -- firing start   # some of them
//! WARDEN_BENCH_SCALE_SECS=20 cargo bench -p warden --bench daemon -- scale
//! ```
//!
//! Every job runs the `stamp` guest, which reads the wall clock (the host's,
//! through WASI) as its first action and prints it; the daemon keeps the
//! line in the run history's `stdout_tail`, where the bench reads it back.
//! Settings, all optional, are environment variables (defaults in brackets):
//! `WARDEN_BENCH_FIRINGS` [200], `WARDEN_BENCH_START_JOBS` [100],
//! `WARDEN_BENCH_START_REPS` [5], `WARDEN_BENCH_SCALE_JOBS` [10000],
//! `WARDEN_BENCH_SCALE_SECS` [90], `WARDEN_BENCH_RELOAD_INTERVAL` [the
//! config's default, 2s], `WARDEN_BENCH_DIR` [the system temp folder] and
//! `WARDEN_BENCH_KEEP=1` to keep the scratch folders. A long reload
//! interval (`WARDEN_BENCH_RELOAD_INTERVAL=1h`) takes the daemon's periodic
//! check of the manifest files out of the `scale` numbers.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Timelike, Utc};
use warden::cache::ComponentCache;
use warden::clock::{Clock, ManualClock, SystemClock};
use warden::config::Config;
use warden::daemon;
use warden::history::{History, NewRun, RunEnd, RunRow, Trigger};
use warden::manifest::Manifest;
use warden::run::{RunOptions, RunStatus, Runner};
use warden::sandbox::Sandbox;
use warden::scheduler::decide;

/// The guest every job runs.
const STAMP: &str = warden_test_artifacts::STAMP;

/// The worker token written to the scratch folder's token file. No request
/// is made: the guest never calls Canvas.
const TOKEN: &str = "7~WardenBenchToken-not-a-real-token-0123456789abcdef";

/// Where the manual clock of the `firing` and `start` parts begins: a whole
/// second, so that advancing by one second lands exactly on a firing.
const MANUAL_START: &str = "2026-01-05T00:00:00Z";

const PARTS: [&str; 3] = ["firing", "start", "scale"];

/// The `scale` part also reports lateness without the firings of this many
/// seconds after the daemon started.
const SETTLE_SECS: i64 = 10;

/// The pause before each timed operation of the `firing` part, about the
/// time between two firings there (a firing waits for the run's end to be
/// recorded, then 10 ms).
const PACE: Duration = Duration::from_millis(20);

fn main() -> std::process::ExitCode {
    // `cargo bench` passes `--bench`; other flags are ignored too.
    let mut parts: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let Some(bad) = parts.iter().find(|p| !PARTS.contains(&p.as_str())) {
        eprintln!(
            "unknown part {bad:?}; the parts are {}: cargo bench -p warden --bench daemon -- [firing] [start] [scale]",
            PARTS.join(", ")
        );
        return std::process::ExitCode::from(2);
    }
    if parts.is_empty() {
        parts = PARTS.iter().map(|p| p.to_string()).collect();
    }
    // The same runtime `warden serve` uses: multi-threaded, one worker per CPU.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("warden daemon benchmark");
    println!("  {}", common::machine_line());
    println!("  guest: {STAMP}");
    let result = runtime.block_on(async move {
        for part in &parts {
            let part = part.clone();
            // Each part is a task, as the daemon's own work is: the runtime's
            // worker threads poll it, not the thread blocked in block_on.
            tokio::spawn(async move {
                match part.as_str() {
                    "firing" => firing().await,
                    "start" => start().await,
                    _ => scale().await,
                }
            })
            .await
            .context("a benchmark part panicked")??;
        }
        Ok::<(), anyhow::Error>(())
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark failed: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------
// Part 1: per-firing overhead

async fn firing() -> Result<()> {
    let firings = env_usize("WARDEN_BENCH_FIRINGS", 200)?;
    let warmup = 10;
    header(&format!(
        "firing: 1 job on \"* * * * * *\", manual clock, warm component cache; {firings} firings after {warmup} warm-up"
    ));
    let s = Scratch::new("firing")?;
    s.write_config()?;
    s.write_job("stamp", "* * * * * *")?;
    let config = s.config()?;
    fill_cache(&config)?;

    let start_at: DateTime<Utc> = MANUAL_START.parse()?;
    let clock = ManualClock::new(start_at);
    let runner = runner(&config)?;
    let daemon = daemon::start(&config, runner.clone(), Arc::new(clock.clone())).await?;
    // A connection of its own, so that polling never holds the daemon's.
    let history = History::open(&s.state())?;
    // Let the daemon's first tick (and its first reload check) go by.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut overhead = Vec::with_capacity(firings);
    let mut first = None;
    for i in 0..warmup + firings {
        let scheduled = start_at + chrono::Duration::seconds(i as i64 + 1);
        let before = now_ns();
        clock.advance(Duration::from_secs(1));
        let run = wait_for_run(&history, "stamp", scheduled).await?;
        let stamp = stamp_of(&run)?;
        let ms = (stamp - before) as f64 / 1e6;
        if i == 0 {
            first = Some(ms);
        }
        if i >= warmup {
            overhead.push(ms);
        }
        // Let the daemon take the run's end and go back to sleep.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    daemon.shutdown(Duration::from_secs(5)).await;
    let overhead = Summary::of(overhead);

    // The same guest and manifest, run by hand: the sandbox's share.
    let manifest = Manifest::load(&s.job_path("stamp"))?;
    let component = runner.sandbox.load(Path::new(STAMP))?;
    // Paced like the firings above: a run that follows a pause finds colder
    // caches than one in a tight loop, and that is the daemon's case.
    let (mut to_main, mut whole) = (Vec::new(), Vec::new());
    let (mut hot_to_main, mut hot_whole) = (Vec::new(), Vec::new());
    for i in 0..2 * (warmup + firings) {
        let paced = i < warmup + firings;
        if paced {
            tokio::time::sleep(PACE).await;
        }
        let before = now_ns();
        let clock = Instant::now();
        let report = runner
            .run(&manifest, &component, RunOptions::new(format!("bare-{i}")))
            .await?;
        let took = clock.elapsed();
        if report.status != RunStatus::Succeeded {
            bail!("a bare run of the stamp guest {}", report.summary());
        }
        let stamp = parse_stamp(&report.stdout_tail)?;
        let (to_main, whole) = if paced {
            (&mut to_main, &mut whole)
        } else {
            (&mut hot_to_main, &mut hot_whole)
        };
        if i % (warmup + firings) >= warmup {
            to_main.push((stamp - before) as f64 / 1e6);
            whole.push(took.as_secs_f64() * 1e3);
        }
    }
    let (to_main, whole) = (Summary::of(to_main), Summary::of(whole));
    let (hot_to_main, hot_whole) = (Summary::of(hot_to_main), Summary::of(hot_whole));

    // What the daemon's task writes to the history for each firing before
    // the run is spawned (the run's end is written by the run's own task).
    let writes = history_writes(&s.dir.join("writes.db"), firings).await?;
    // The same hand-offs between tasks as a firing, doing nothing else.
    let hops = runtime_hops(warmup + firings, warmup).await?;
    // The scheduling decision a tick takes for the job.
    let (decide_due, decide_wait) = decision_costs(&manifest, 1000)?;

    println!(
        "  tick → guest main, through the daemon   {}",
        overhead.line_ms()
    );
    println!(
        "      target: median ≤ 1 ms → {}",
        verdict(overhead.median <= 1.0)
    );
    println!(
        "      (the first firing after start took {:.3} ms)",
        first.unwrap_or(f64::NAN)
    );
    println!(
        "  Runner::run alone, call → guest main    {}",
        to_main.line_ms()
    );
    println!(
        "  Runner::run alone, whole run            {}",
        whole.line_ms()
    );
    println!(
        "  Runner::run back to back (hot caches), call → main {}",
        hot_to_main.line_ms()
    );
    println!(
        "  Runner::run back to back (hot caches), whole run  {}",
        hot_whole.line_ms()
    );
    println!(
        "  daemon's own share (median tick→main − median call→main): {:.3} ms",
        overhead.median - to_main.median
    );
    println!(
        "  history writes per firing (set_last_fire + start_run; the daemon queues them to its writer thread): {}",
        writes.line_ms()
    );
    println!(
        "  scheduler::decide for this job, a firing due: {}",
        decide_due.line_us()
    );
    println!(
        "  scheduler::decide for this job, nothing due (Schedule::next_after): {}",
        decide_wait.line_us()
    );
    println!(
        "  the runtime's hand-offs alone (wake a waiting task, it spawns a task that spawns one): {}",
        hops.line_ms()
    );
    footer();
    Ok(())
}

/// Waits until the run of `job` for `scheduled` has ended (20 s at most).
async fn wait_for_run(history: &History, job: &str, scheduled: DateTime<Utc>) -> Result<RunRow> {
    let deadline = Instant::now() + Duration::from_secs(20);
    // A run takes about a millisecond: look after a short wait, then often.
    tokio::time::sleep(Duration::from_millis(5)).await;
    loop {
        let runs = history.runs(Some(job), 4)?;
        if let Some(run) = runs
            .into_iter()
            .find(|r| r.scheduled_at == Some(scheduled) && r.status != RunStatus::Running)
        {
            if run.status != RunStatus::Succeeded {
                bail!(
                    "the run for {scheduled} {}: {:?}",
                    run.status,
                    run.error.as_deref().unwrap_or("")
                );
            }
            return Ok(run);
        }
        if Instant::now() > deadline {
            bail!("no ended run of {job} for {scheduled} within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// What one scheduling decision for `job` costs: with a firing due (what a
/// firing pays) and with none (the cost of finding the next firing; a
/// daemon that evaluated every job's schedule at each tick would pay it
/// once per job).
fn decision_costs(job: &Manifest, n: usize) -> Result<(Summary, Summary)> {
    let schedule = job.schedule.as_ref().context("the job has no schedule")?;
    let cursor: DateTime<Utc> = MANUAL_START.parse()?;
    let next = schedule
        .next_after(cursor, job.timezone)
        .context("the schedule never fires")?;
    let (mut due, mut wait) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let clock = Instant::now();
        let d = decide(schedule, job.timezone, job.firing.catch_up, cursor, next);
        due.push(clock.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(d);
        let clock = Instant::now();
        let d = decide(schedule, job.timezone, job.firing.catch_up, cursor, cursor);
        wait.push(clock.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(d);
    }
    Ok((Summary::of(due), Summary::of(wait)))
}

/// A firing passes through three tasks before the guest runs: the clock
/// wakes the daemon's task, which spawns the run's task, which spawns the
/// run itself. This times that chain with no work in it, idle workers
/// first, as in the firing measurement: the cost of the runtime and the
/// operating system's scheduling.
async fn runtime_hops(n: usize, warmup: usize) -> Result<Summary> {
    let (tick, mut ticked) = tokio::sync::watch::channel(0usize);
    let (report, mut reported) = tokio::sync::mpsc::unbounded_channel::<i64>();
    let waiter = tokio::spawn(async move {
        while ticked.changed().await.is_ok() {
            let report = report.clone();
            tokio::spawn(async move {
                let inner = tokio::spawn(async move { now_ns() });
                if let Ok(at) = inner.await {
                    let _ = report.send(at);
                }
            });
        }
    });
    let mut took = Vec::with_capacity(n);
    for i in 0..n {
        tokio::time::sleep(PACE).await;
        let before = now_ns();
        tick.send_replace(i + 1);
        let at = reported.recv().await.context("the hop task stopped")?;
        if i >= warmup {
            took.push((at - before) as f64 / 1e6);
        }
    }
    waiter.abort();
    Ok(Summary::of(took))
}

/// Times `set_last_fire` + `start_run` (and then `finish_run`, untimed)
/// on a scratch history, as the daemon does them for each firing.
async fn history_writes(db: &Path, n: usize) -> Result<Summary> {
    let history = History::open(db)?;
    let base: DateTime<Utc> = MANUAL_START.parse()?;
    let mut took = Vec::with_capacity(n);
    for i in 0..n + 10 {
        let at = base + chrono::Duration::seconds(i as i64);
        let run_id = format!("w{i}");
        tokio::time::sleep(PACE).await;
        let clock = Instant::now();
        history.set_last_fire("job", at)?;
        history.start_run(&NewRun {
            run_id: run_id.clone(),
            job: "job".into(),
            scheduled_at: Some(at),
            started_at: at,
            attempt: 0,
            trigger: Trigger::Schedule,
        })?;
        if i >= 10 {
            took.push(clock.elapsed().as_secs_f64() * 1e3);
        }
        history.finish_run(
            &run_id,
            &RunEnd {
                ended_at: at,
                status: RunStatus::Succeeded,
                exit_code: Some(0),
                error: None,
                requests: 0,
                denials: 0,
                invalid: 0,
                stdout_tail: "stamp: 0\n".into(),
                stderr_tail: String::new(),
                held_ms: 0,
            },
        )?;
    }
    Ok(Summary::of(took))
}

// ---------------------------------------------------------------------------
// Part 2: start time

async fn start() -> Result<()> {
    let jobs = env_usize("WARDEN_BENCH_START_JOBS", 100)?;
    let reps = env_usize("WARDEN_BENCH_START_REPS", 5)?.max(1);
    header(&format!(
        "start: daemon::start with {jobs} jobs sharing one component; 1 cold start, then {reps} warm"
    ));
    let s = Scratch::new("start")?;
    s.write_config()?;
    for i in 0..jobs {
        // Never due while measured: the clock stays at MANUAL_START.
        s.write_job(&format!("job-{i:03}"), "0 6 * * MON")?;
    }
    let config = s.config()?;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(MANUAL_START.parse()?));

    let cold = start_once(&config, &clock).await?;
    let mut warm = Vec::with_capacity(reps);
    for _ in 0..reps {
        warm.push(start_once(&config, &clock).await?);
    }
    let starts = Summary::of(warm.iter().map(|w| w.start_ms).collect());
    let setups = Summary::of(warm.iter().map(|w| w.setup_ms).collect());

    println!(
        "  cold start (empty cache, new history): daemon::start {:.1} ms (+ {:.1} ms engine and linker set-up)",
        cold.start_ms, cold.setup_ms
    );
    println!(
        "  warm start, daemon::start                {}",
        starts.line_ms()
    );
    println!(
        "      target: ≤ 1 s (1000 ms) → {} (worst of {reps})",
        verdict(starts.max <= 1000.0)
    );
    println!(
        "  warm start, engine and linker set-up before it (Runner, as `warden serve` builds it): {}",
        setups.line_ms()
    );
    println!(
        "  warm start per job: {:.3} ms (median / {jobs})",
        starts.median / jobs as f64
    );
    footer();
    Ok(())
}

struct Started {
    setup_ms: f64,
    start_ms: f64,
}

/// One start, as a new process would do it: a new engine, then the daemon.
async fn start_once(config: &Config, clock: &Arc<dyn Clock>) -> Result<Started> {
    let clock_setup = Instant::now();
    let runner = runner(config)?;
    let setup_ms = clock_setup.elapsed().as_secs_f64() * 1e3;
    let clock_start = Instant::now();
    let daemon = daemon::start(config, runner, Arc::clone(clock)).await?;
    let start_ms = clock_start.elapsed().as_secs_f64() * 1e3;
    daemon.shutdown(Duration::from_secs(5)).await;
    Ok(Started { setup_ms, start_ms })
}

// ---------------------------------------------------------------------------
// Part 3: 10,000 jobs on the real clock

async fn scale() -> Result<()> {
    let jobs = env_usize("WARDEN_BENCH_SCALE_JOBS", 10_000)?;
    let secs = env_usize("WARDEN_BENCH_SCALE_SECS", 90)? as u64;
    header(&format!(
        "scale: {jobs} jobs on \"<i % 60> * * * * *\" (~{} a second), system clock, {secs} s",
        jobs.div_ceil(60)
    ));
    let s = Scratch::new("scale")?;
    s.write_config()?;
    let clock_write = Instant::now();
    let mut per_second = [0u64; 60];
    for i in 0..jobs {
        s.write_job(&format!("j{i:05}"), &format!("{} * * * * *", i % 60))?;
        per_second[i % 60] += 1;
    }
    println!(
        "  (wrote {jobs} manifests in {:.1} s)",
        clock_write.elapsed().as_secs_f64()
    );
    let config = s.config()?;
    fill_cache(&config)?;

    let runner = runner(&config)?;
    let baseline = Memory::now()?;
    let clock_start = Instant::now();
    let daemon = daemon::start(&config, runner, Arc::new(SystemClock)).await?;
    let start_s = clock_start.elapsed().as_secs_f64();
    // The daemon's cursor is the time it finished loading: the first firing
    // is the next whole second after that.
    let started_at = Utc::now();
    let history = Arc::clone(daemon.history());
    let after_start = Memory::now()?;
    let fired_before_sample = !history.runs(None, 1)?.is_empty();

    let samples: Arc<Mutex<Vec<(f64, Memory)>>> = Arc::default();
    let sampler = {
        let samples = Arc::clone(&samples);
        let begin = Instant::now();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Ok(m) = Memory::now() {
                    let t = begin.elapsed().as_secs_f64();
                    samples
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((t, m));
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let window_end = Utc::now();
    let at_end = Memory::now()?;
    sampler.abort();
    let clock_stop = Instant::now();
    daemon.shutdown(Duration::from_secs(30)).await;
    let stop_s = clock_stop.elapsed().as_secs_f64();

    // Every firing scheduled in (started_at, window_end]: its lateness.
    let runs = history.runs(None, usize::MAX)?;
    let in_window = |t: DateTime<Utc>| t > started_at && t <= window_end;
    let mut expected = 0u64;
    let mut t = started_at.with_nanosecond(0).unwrap_or(started_at) + chrono::Duration::seconds(1);
    while t <= window_end {
        expected += per_second[t.second() as usize % 60];
        t += chrono::Duration::seconds(1);
    }
    let (mut to_main, mut to_record, mut run_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut by_status: HashMap<RunStatus, u64> = HashMap::new();
    let mut worst: Vec<(f64, DateTime<Utc>)> = Vec::new();
    let mut recorded = 0u64;
    for run in &runs {
        let Some(scheduled) = run.scheduled_at.filter(|t| in_window(*t)) else {
            continue;
        };
        recorded += 1;
        *by_status.entry(run.status).or_default() += 1;
        if run.status == RunStatus::Skipped {
            continue;
        }
        let scheduled_ns = scheduled.timestamp_nanos_opt().unwrap_or(0);
        to_record.push((run.started_at - scheduled).num_microseconds().unwrap_or(0) as f64 / 1e3);
        if let Some(d) = run.duration() {
            run_ms.push(d.num_microseconds().unwrap_or(0) as f64 / 1e3);
        }
        if let Ok(stamp) = stamp_of(run) {
            let late = (stamp - scheduled_ns) as f64 / 1e6;
            to_main.push(late);
            worst.push((late, scheduled));
        }
    }
    // The same, leaving out the first seconds after start (the daemon's
    // first reload check and the first firings' cold caches).
    let settled_from = started_at + chrono::Duration::seconds(SETTLE_SECS);
    let settled = Summary::of(
        worst
            .iter()
            .filter(|(_, at)| *at >= settled_from)
            .map(|(l, _)| *l)
            .collect(),
    );
    let late = Summary::of(to_main);
    let to_record = Summary::of(to_record);
    let run_ms = Summary::of(run_ms);
    // Per second of the run: the worst lateness, to show periodic stalls.
    let mut by_second: HashMap<DateTime<Utc>, f64> = HashMap::new();
    for (l, at) in &worst {
        let e = by_second.entry(*at).or_insert(f64::MIN);
        *e = e.max(*l);
    }
    let mut seconds: Vec<(DateTime<Utc>, f64)> = by_second.into_iter().collect();
    seconds.sort_by_key(|(at, _)| *at);

    println!(
        "  start with a warm cache: {start_s:.2} s ({:.3} ms a job); shutdown {stop_s:.2} s",
        start_s * 1e3 / jobs as f64
    );
    println!(
        "  memory before start (runtime + engine): {}",
        baseline.line()
    );
    println!(
        "  memory after start, idle ({}):  {}",
        if fired_before_sample {
            "a firing had already started"
        } else {
            "no firing yet"
        },
        after_start.line()
    );
    println!(
        "      → {:.1} KiB a job over the baseline",
        (after_start.rss_kib as f64 - baseline.rss_kib as f64) / jobs as f64
    );
    let peak_sampled = samples
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(_, m)| m.rss_kib)
        .max()
        .unwrap_or(0);
    println!("  memory at the end ({secs} s):  {}", at_end.line());
    println!(
        "      highest VmRSS sampled each second: {:.1} MiB; peak (VmHWM) {:.1} MiB",
        peak_sampled as f64 / 1024.0,
        at_end.hwm_kib as f64 / 1024.0
    );
    println!(
        "      target: ≤ 100 MB RSS → idle {}, end {}",
        verdict(after_start.rss_kib as f64 * 1024.0 <= 100e6),
        verdict(at_end.rss_kib as f64 * 1024.0 <= 100e6)
    );
    let mut statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    statuses.sort();
    let ran = late.n as u64;
    let skipped = by_status.get(&RunStatus::Skipped).copied().unwrap_or(0);
    println!(
        "  firings due in the window: {expected}; recorded: {recorded} ({}); reached main: {ran}",
        statuses.join(", ")
    );
    if skipped > 0 {
        println!(
            "      {skipped} skipped: the job's run of a minute before was still in the daemon's books (concurrency = \"forbid\")"
        );
    }
    if recorded < expected {
        println!(
            "      {} never recorded (dropped as missed, or not yet fired at the end)",
            expected - recorded
        );
    }
    println!(
        "  lateness, scheduled → guest main        {}",
        late.line_ms()
    );
    println!(
        "      target: p99 ≤ 10 ms → {}",
        verdict(ran > 0 && late.p99 <= 10.0 && ran >= expected)
    );
    println!(
        "  the same, firings from {SETTLE_SECS} s after start on {}",
        settled.line_ms()
    );
    println!(
        "  lateness, scheduled → run recorded as started (ms resolution, runs not skipped) {}",
        to_record.line_ms()
    );
    println!(
        "  run duration as recorded (start → end)  {}",
        run_ms.line_ms()
    );
    let mut line = String::new();
    for (at, l) in seconds.iter().take(40) {
        let _ = write!(line, " {:02}:{:.0}", at.second(), l);
    }
    println!("  worst lateness per second, ms (ss:ms), first 40 s:{line}");
    footer();
    Ok(())
}

// ---------------------------------------------------------------------------
// Set-up

/// A scratch folder with a config, a token file and job manifests.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(part: &str) -> Result<Scratch> {
        let root = std::env::var_os("WARDEN_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let dir = root.join(format!("warden-bench-{part}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("jobs"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(dir.join("token"), TOKEN)?;
        Ok(Scratch { dir })
    }

    /// `warden.toml`: the manifests under `jobs/*/`, the history and the
    /// component cache under `state/`. Canvas is never called.
    fn write_config(&self) -> Result<()> {
        let mut text = String::from(
            "version = 1\njobs = [\"jobs/*/job.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_file = \"token\"\n",
        );
        if let Some(every) = std::env::var_os("WARDEN_BENCH_RELOAD_INTERVAL") {
            let every = every.to_string_lossy();
            let _ = write!(text, "[daemon]\nreload_interval = {every:?}\n");
        }
        std::fs::write(self.dir.join("warden.toml"), text)?;
        Ok(())
    }

    fn job_path(&self, name: &str) -> PathBuf {
        self.dir.join("jobs").join(name).join("job.toml")
    }

    fn write_job(&self, name: &str, schedule: &str) -> Result<()> {
        let path = self.job_path(name);
        std::fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
        std::fs::write(
            &path,
            format!(
                "version = 1\n[job]\nname = {name:?}\ncomponent = {STAMP:?}\nschedule = {schedule:?}\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n[limits]\ntimeout = \"1m\"\n"
            ),
        )?;
        Ok(())
    }

    fn config(&self) -> Result<Config> {
        Ok(Config::load(&self.dir.join("warden.toml"))?)
    }

    fn state(&self) -> PathBuf {
        self.dir.join("state/warden.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("WARDEN_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// What `warden serve` runs jobs with.
fn runner(config: &Config) -> Result<Runner> {
    Ok(Runner::from_config(config)?)
}

/// Compiles the guest into the config's component cache, with an engine of
/// its own (as an earlier `warden serve` would have).
fn fill_cache(config: &Config) -> Result<()> {
    let sandbox = Sandbox::with_cache(config.cache.as_ref().map(ComponentCache::new))?;
    sandbox.load(Path::new(STAMP))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Measuring

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

fn parse_stamp(stdout: &str) -> Result<i64> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("stamp: "))
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("no stamp in the guest's output {stdout:?}"))
}

fn stamp_of(run: &RunRow) -> Result<i64> {
    parse_stamp(&run.stdout_tail)
}

/// Order statistics of a sample, in its unit.
struct Summary {
    n: usize,
    median: f64,
    p90: f64,
    p99: f64,
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
            p99: q(99),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// For a sample in milliseconds, in microseconds.
    fn line_us(&self) -> String {
        format!(
            "median {:.2} µs  p90 {:.2} µs  p99 {:.2} µs  max {:.2} µs  (n = {})",
            self.median * 1e3,
            self.p90 * 1e3,
            self.p99 * 1e3,
            self.max * 1e3,
            self.n
        )
    }

    fn line_ms(&self) -> String {
        format!(
            "median {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  (n = {})",
            self.median, self.p90, self.p99, self.max, self.n
        )
    }
}

/// This process's memory, from /proc/self/status and /proc/self/maps.
#[derive(Debug, Clone, Copy)]
struct Memory {
    rss_kib: u64,
    hwm_kib: u64,
    anon_kib: u64,
    file_kib: u64,
    maps: usize,
}

impl Memory {
    fn now() -> Result<Memory> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        let maps = std::fs::read_to_string("/proc/self/maps")
            .map(|m| m.lines().count())
            .unwrap_or(0);
        Ok(Memory {
            rss_kib: field("VmRSS:"),
            hwm_kib: field("VmHWM:"),
            anon_kib: field("RssAnon:"),
            file_kib: field("RssFile:"),
            maps,
        })
    }

    fn line(&self) -> String {
        let mib = |k: u64| k as f64 / 1024.0;
        format!(
            "VmRSS {:.1} MiB ({:.1} MB; anon {:.1} MiB, file {:.1} MiB), {} memory mappings",
            mib(self.rss_kib),
            self.rss_kib as f64 * 1024.0 / 1e6,
            mib(self.anon_kib),
            mib(self.file_kib),
            self.maps
        )
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

fn header(title: &str) {
    println!("\n== {title}");
    println!("  load average before: {}", common::load_average());
}

fn footer() {
    println!("  load average after: {}", common::load_average());
}
