//! What every bench prints about the machine it ran on.

/// CPUs, CPU model and build profile, for the report's first lines.
pub fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "?".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cpus} CPU(s), {cpu}; profile {}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "optimized (bench/release)"
        }
    )
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), or `?`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The `percent`th percentile of `sorted` by nearest rank (50 is the
/// median), or `None` for no samples.
pub fn nearest_rank<T: Copy>(sorted: &[T], percent: usize) -> Option<T> {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}
