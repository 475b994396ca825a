//! The job author's loop as a newcomer meets it: `warden new` + `warden
//! build` + `warden test` of the report template, each run in a fresh
//! folder (so the crate's own dependencies compile each time: cargo's
//! registry cache is warm, its build cache is not), and `warden test` of a
//! job already built. The real `warden` binary, as processes.
//!
//! `cargo bench -p warden --bench authoring` (`WARDEN_BENCH_RUNS`, default
//! 3 of the whole loop; `WARDEN_BENCH_TEST_RUNS`, default 20 of `warden
//! test`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn warden(args: &[&str], cwd: &Path) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("warden runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "warden {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn runs(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let scratch =
        std::env::temp_dir().join(format!("warden-bench-authoring-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let (mut new, mut build, mut test, mut total) = (vec![], vec![], vec![], vec![]);
    for i in 0..runs("WARDEN_BENCH_RUNS", 3) {
        let name = format!("report-{i}");
        let n = warden(&["new", &name], &scratch);
        let crate_dir = scratch.join(&name);
        let b = warden(&["build", "."], &crate_dir);
        let t = warden(&["test", "job.toml"], &crate_dir);
        new.push(n);
        build.push(b);
        test.push(t);
        total.push(n + b + t);
    }
    let built = scratch.join("report-0");
    let tests: Vec<Duration> = (0..runs("WARDEN_BENCH_TEST_RUNS", 20))
        .map(|_| warden(&["test", "job.toml"], &built))
        .collect();
    println!(
        "warden new + build + test of the report template (median of {}):",
        total.len()
    );
    println!("  new   {:>8.3} s", median(new).as_secs_f64());
    println!("  build {:>8.3} s", median(build).as_secs_f64());
    println!("  test  {:>8.3} s", median(test).as_secs_f64());
    println!("  total {:>8.3} s", median(total).as_secs_f64());
    let max = tests.iter().max().copied().unwrap_or_default();
    println!(
        "warden test of the built job: median {:.3} s, max {:.3} s ({} runs)",
        median(tests.clone()).as_secs_f64(),
        max.as_secs_f64(),
        tests.len()
    );
    let _ = std::fs::remove_dir_all(&scratch);
}
