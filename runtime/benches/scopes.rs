//! How long one scope check takes with all 1,292 Canvas scopes compiled into
//! one `ScopeSet`, against the target of 1 µs; and, for contrast, the loop
//! over the scopes with `Scope::allows` that the set replaced.
//!
//! `cargo bench -p warden --bench scopes` (a plain binary that prints a
//! report; see BENCHMARKS.md). `WARDEN_BENCH_PASSES` (default 20) sets how
//! many times the timed passes go over every path.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use warden::catalog;
use warden::scope::{Method, Scope, ScopeSet};

/// The target for one check, with all Canvas scopes in the set.
const TARGET: Duration = Duration::from_micros(1);

fn main() {
    let passes: usize = std::env::var("WARDEN_BENCH_PASSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let scopes: Vec<Scope> = catalog::all()
        .map(|line| {
            line.parse::<Scope>()
                .unwrap_or_else(|e| panic!("{line}: {e}"))
        })
        .collect();
    let built = Instant::now();
    let set = ScopeSet::new(scopes.clone());
    let build_time = built.elapsed();

    let hits = hits(&scopes);
    // Near misses that no scope allows (the loop agreeing); a candidate some
    // scope does allow (`…/12` cut from `…/123` still fits `:id`; a path
    // after a `*name`) is left out, so the miss numbers are of real misses.
    let candidates = near_misses(&hits);
    let (misses, allowed_misses): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|(m, p)| {
        let found = set.find(*m, p).is_some();
        assert_eq!(found, scopes.iter().any(|s| s.allows(*m, p)), "{m} {p}");
        !found
    });
    let allowed_misses = allowed_misses.len();
    // Every hit is found, with the loop's answer.
    for (method, path) in &hits {
        let found = set.find(*method, path).map(Scope::as_str);
        let expected = scopes
            .iter()
            .find(|s| s.allows(*method, path))
            .map(Scope::as_str);
        assert!(found.is_some(), "{method} {path} not found");
        assert_eq!(found, expected, "{method} {path}");
    }

    println!("warden scope-check benchmark");
    println!("  {}", common::machine_line());
    println!("  load average before: {}", common::load_average());
    println!(
        "  {} scopes compiled into one set in {:.2} ms",
        set.len(),
        build_time.as_secs_f64() * 1e3
    );
    println!(
        "  {} hit paths (every form of every scope with the ids 123, self, sis_course_id:A1, with and without .json), {} miss paths (near misses; {} more candidates were allowed after all and left out)",
        hits.len(),
        misses.len(),
        allowed_misses
    );
    println!("  {passes} timed passes over each list after one warm-up pass");

    let overhead = timer_overhead();
    println!(
        "  timer overhead (Instant::now twice), subtracted from single checks: {:.0} ns",
        overhead.as_secs_f64() * 1e9
    );

    let trie_hits = single_checks(&hits, passes, overhead, |m, p| set.find(m, p).is_some());
    let trie_misses = single_checks(&misses, passes, overhead, |m, p| set.find(m, p).is_some());
    let mean_hits = mean_per_check(&hits, passes, |m, p| set.find(m, p).is_some());
    let mean_misses = mean_per_check(&misses, passes, |m, p| set.find(m, p).is_some());
    let loop_passes = passes.div_ceil(10).max(1);
    let loop_hits = mean_per_check(&hits, loop_passes, |m, p| {
        scopes.iter().any(|s| s.allows(m, p))
    });
    let loop_misses = mean_per_check(&misses, loop_passes, |m, p| {
        scopes.iter().any(|s| s.allows(m, p))
    });

    println!();
    println!("  per check (ns)                         median      p90      p99      max     mean (back to back)");
    row("ScopeSet::find, hits", &trie_hits, mean_hits);
    row("ScopeSet::find, misses", &trie_misses, mean_misses);
    println!(
        "  loop of Scope::allows, hits                                                 {:>8.0}",
        loop_hits.as_secs_f64() * 1e9
    );
    println!(
        "  loop of Scope::allows, misses                                               {:>8.0}",
        loop_misses.as_secs_f64() * 1e9
    );
    println!();
    let p99 = percentile(&trie_hits, 99).max(percentile(&trie_misses, 99));
    println!(
        "  target: one check with all {} scopes <= {} ns at p99: {} ns: {}",
        set.len(),
        TARGET.as_nanos(),
        p99.as_nanos(),
        if p99 <= TARGET { "MET" } else { "MISSED" }
    );
    println!(
        "  speed-up over the loop (means): hits {:.0}x, misses {:.0}x",
        loop_hits.as_secs_f64() / mean_hits.as_secs_f64(),
        loop_misses.as_secs_f64() / mean_misses.as_secs_f64()
    );
    println!("  load average after: {}", common::load_average());
}

/// Every form of every scope, with each id value, with and without `.json`.
fn hits(scopes: &[Scope]) -> Vec<(Method, String)> {
    let mut hits = Vec::new();
    for scope in scopes {
        for value in ["123", "self", "sis_course_id:A1"] {
            for path in scope.example_paths(value, "a/b/c") {
                hits.push((scope.method(), format!("{path}.json")));
                hits.push((scope.method(), path));
            }
        }
    }
    hits
}

/// Near-miss candidates: an extra segment, a changed version, another
/// method, a trailing slash, a cut last character.
fn near_misses(hits: &[(Method, String)]) -> Vec<(Method, String)> {
    let mut misses = Vec::new();
    for (method, path) in hits.iter().step_by(2) {
        let other = if *method == Method::Delete {
            Method::Patch
        } else {
            Method::Delete
        };
        misses.push((*method, format!("{path}/zz_missing")));
        misses.push((*method, path.replacen("/api/v1/", "/api/v2/", 1)));
        misses.push((other, path.clone()));
        misses.push((*method, format!("{path}/")));
        let mut cut = path.clone();
        cut.pop();
        misses.push((*method, cut));
    }
    misses
}

/// Each check timed on its own, `passes` times over `paths`, minus the
/// timer's own cost; sorted.
fn single_checks(
    paths: &[(Method, String)],
    passes: usize,
    overhead: Duration,
    check: impl Fn(Method, &str) -> bool,
) -> Vec<Duration> {
    for (m, p) in paths {
        black_box(check(*m, p));
    }
    let mut times = Vec::with_capacity(paths.len() * passes);
    for _ in 0..passes {
        for (m, p) in paths {
            let start = Instant::now();
            black_box(check(black_box(*m), black_box(p)));
            times.push(start.elapsed().saturating_sub(overhead));
        }
    }
    times.sort_unstable();
    times
}

/// Mean time per check, checks back to back.
fn mean_per_check(
    paths: &[(Method, String)],
    passes: usize,
    check: impl Fn(Method, &str) -> bool,
) -> Duration {
    for (m, p) in paths {
        black_box(check(*m, p));
    }
    let start = Instant::now();
    for _ in 0..passes {
        for (m, p) in paths {
            black_box(check(black_box(*m), black_box(p)));
        }
    }
    let checks = u32::try_from(paths.len() * passes).unwrap_or(u32::MAX);
    start.elapsed() / checks.max(1)
}

/// The median cost of timing nothing.
fn timer_overhead() -> Duration {
    let mut times: Vec<Duration> = (0..100_000)
        .map(|_| {
            let start = Instant::now();
            black_box(());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

/// Nearest-rank percentile of sorted times.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    common::nearest_rank(sorted, p).unwrap_or_default()
}

fn row(name: &str, sorted: &[Duration], mean: Duration) {
    let ns = |d: Duration| d.as_secs_f64() * 1e9;
    println!(
        "  {name:<36} {:>8.0} {:>8.0} {:>8.0} {:>8.0} {:>8.0}",
        ns(percentile(sorted, 50)),
        ns(percentile(sorted, 90)),
        ns(percentile(sorted, 99)),
        ns(sorted.last().copied().unwrap_or_default()),
        ns(mean)
    );
}
