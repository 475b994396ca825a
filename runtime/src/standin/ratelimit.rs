//! Canvas-style rate-limit accounting (`X-Rate-Limit-Remaining`, `X-Request-Cost`).
//!
//! Canvas meters each token with a leaky bucket: every request adds its cost to the
//! bucket, the bucket drains at a fixed rate, and `X-Rate-Limit-Remaining` is the room
//! left. The stand-in only reports it; it never throttles (a throttling mode can be
//! added to [`LeakyBucket`] later without touching the server).

use std::time::Instant;

/// Canvas's default bucket size.
pub const DEFAULT_CAPACITY: f64 = 700.0;
/// How fast the bucket drains, in cost units per second.
pub const DEFAULT_LEAK_PER_SEC: f64 = 10.0;

/// A leaky bucket measured in request-cost units.
#[derive(Debug, Clone)]
pub struct LeakyBucket {
    capacity: f64,
    leak_per_sec: f64,
    level: f64,
    last: Instant,
}

impl LeakyBucket {
    /// An empty bucket (full quota remaining).
    pub fn new(capacity: f64, leak_per_sec: f64) -> LeakyBucket {
        LeakyBucket {
            capacity,
            leak_per_sec,
            level: 0.0,
            last: Instant::now(),
        }
    }

    fn leak(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.level = (self.level - dt * self.leak_per_sec).max(0.0);
        self.last = now;
    }

    /// Adds a request's cost and returns the quota left afterwards (never below 0).
    pub fn charge(&mut self, cost: f64, now: Instant) -> f64 {
        self.leak(now);
        self.level += cost.max(0.0);
        self.remaining_now()
    }

    /// The quota left at `now`.
    pub fn remaining(&mut self, now: Instant) -> f64 {
        self.leak(now);
        self.remaining_now()
    }

    fn remaining_now(&self) -> f64 {
        (self.capacity - self.level).max(0.0)
    }
}

impl Default for LeakyBucket {
    fn default() -> Self {
        LeakyBucket::new(DEFAULT_CAPACITY, DEFAULT_LEAK_PER_SEC)
    }
}

/// The cost the stand-in charges for a request of this method.
pub fn request_cost(method: &str) -> f64 {
    match method {
        "GET" | "HEAD" => 0.05,
        _ => 0.25,
    }
}

/// Formats a float the way Canvas prints these headers: always with a decimal point
/// (`700.0`, `699.95`).
pub fn format_float(x: f64) -> String {
    let rounded = (x * 1_000_000.0).round() / 1_000_000.0;
    let s = format!("{rounded:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn charges_and_refills() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(700.0, 10.0);
        b.last = t0;
        assert_eq!(b.charge(0.05, t0), 699.95);
        assert_eq!(b.charge(100.0, t0), 599.95);
        // 5 s later 50 units have drained.
        let r = b.remaining(t0 + Duration::from_secs(5));
        assert!((r - 649.95).abs() < 1e-9, "{r}");
        // Never negative, never above capacity.
        assert_eq!(b.charge(10_000.0, t0 + Duration::from_secs(5)), 0.0);
        assert_eq!(b.remaining(t0 + Duration::from_secs(100_000)), 700.0);
    }

    #[test]
    fn formats_floats() {
        assert_eq!(format_float(700.0), "700.0");
        assert_eq!(format_float(699.95), "699.95");
        assert_eq!(format_float(0.05), "0.05");
        assert_eq!(format_float(700.0 - 0.05 - 0.05 - 0.05), "699.85");
    }
}
