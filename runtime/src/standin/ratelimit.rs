//! Canvas-style rate-limit accounting (`X-Rate-Limit-Remaining`, `X-Request-Cost`).
//!
//! Canvas meters each token with a leaky bucket: every request adds its cost to the
//! bucket, the bucket drains at a fixed rate, and `X-Rate-Limit-Remaining` is the room
//! left. By default the stand-in only reports it (a 700-unit bucket, tiny costs) and
//! never throttles. With a [`Throttle`] ([`super::StandIn::set_throttle`]) it keeps
//! a bucket of that size and refuses a request that does not fit, as Canvas does:
//! 403 `Rate Limit Exceeded` (open-source Canvas) or 429 (Canvas Cloud), with the
//! truthful `X-Rate-Limit-Remaining` and no `X-Request-Cost`.

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

    /// Adds a request's cost if it fits: `Ok(quota left afterwards)`, or
    /// `Err(quota left)` and nothing charged when it does not.
    pub fn try_charge(&mut self, cost: f64, now: Instant) -> Result<f64, f64> {
        self.leak(now);
        let cost = cost.max(0.0);
        if self.level + cost > self.capacity + 1e-9 {
            return Err(self.remaining_now());
        }
        self.level += cost;
        Ok(self.remaining_now())
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

/// How the stand-in answers when its bucket is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleStatus {
    /// `403 Forbidden (Rate Limit Exceeded)`, as open-source Canvas answers.
    Forbidden,
    /// `429 Too Many Requests (Rate Limit Exceeded)`, as Canvas Cloud answers.
    TooManyRequests,
}

impl ThrottleStatus {
    pub fn code(self) -> u16 {
        match self {
            ThrottleStatus::Forbidden => 403,
            ThrottleStatus::TooManyRequests => 429,
        }
    }

    /// The plain-text body Canvas sends.
    pub fn body(self) -> &'static str {
        match self {
            ThrottleStatus::Forbidden => "403 Forbidden (Rate Limit Exceeded)\n",
            ThrottleStatus::TooManyRequests => "429 Too Many Requests (Rate Limit Exceeded)\n",
        }
    }
}

/// The stand-in's throttling mode: a bucket of `capacity` units, refilled at
/// `refill_per_sec`, every request costing `cost`; a request that does not fit
/// is refused with `status`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub capacity: f64,
    pub refill_per_sec: f64,
    pub cost: f64,
    pub status: ThrottleStatus,
}

/// What charging one request came to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Charge {
    /// `X-Request-Cost`; none on a throttled answer.
    pub(crate) cost: Option<f64>,
    /// `X-Rate-Limit-Remaining`.
    pub(crate) remaining: f64,
    /// Set when the request is refused for the rate limit.
    pub(crate) throttled: Option<ThrottleStatus>,
}

/// The bucket and, in throttling mode, its settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter {
    bucket: LeakyBucket,
    throttle: Option<Throttle>,
}

impl Meter {
    /// Switches throttling on (with a full bucket of its size) or off (back to
    /// the default, never-throttling bucket).
    pub(crate) fn set(&mut self, throttle: Option<Throttle>) {
        self.bucket = match &throttle {
            Some(t) => LeakyBucket::new(t.capacity, t.refill_per_sec),
            None => LeakyBucket::default(),
        };
        self.throttle = throttle;
    }

    /// Charges one request of `method` arriving at `now`.
    pub(crate) fn charge(&mut self, method: &str, now: Instant) -> Charge {
        match self.throttle {
            None => {
                let cost = request_cost(method);
                Charge {
                    cost: Some(cost),
                    remaining: self.bucket.charge(cost, now),
                    throttled: None,
                }
            }
            Some(t) => match self.bucket.try_charge(t.cost, now) {
                Ok(remaining) => Charge {
                    cost: Some(t.cost),
                    remaining,
                    throttled: None,
                },
                Err(remaining) => Charge {
                    cost: None,
                    remaining,
                    throttled: Some(t.status),
                },
            },
        }
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
    fn try_charge_refuses_what_does_not_fit() {
        let t0 = Instant::now();
        let mut b = LeakyBucket::new(3.0, 10.0);
        b.last = t0;
        assert_eq!(b.try_charge(1.0, t0), Ok(2.0));
        assert_eq!(b.try_charge(1.0, t0), Ok(1.0));
        assert_eq!(b.try_charge(1.0, t0), Ok(0.0));
        // Full: refused, nothing charged.
        assert_eq!(b.try_charge(1.0, t0), Err(0.0));
        assert_eq!(b.try_charge(1.0, t0), Err(0.0));
        // 50 ms later half a unit has drained: still not enough.
        let r = b.try_charge(1.0, t0 + Duration::from_millis(50));
        assert!(matches!(r, Err(x) if (x - 0.5).abs() < 1e-9), "{r:?}");
        let r = b.try_charge(1.0, t0 + Duration::from_millis(100));
        assert!(matches!(r, Ok(x) if x.abs() < 1e-9), "{r:?}");
    }

    #[test]
    fn the_meter_throttles_only_in_throttling_mode() {
        let t0 = Instant::now();
        let mut m = Meter::default();
        for _ in 0..100 {
            let c = m.charge("PUT", t0);
            assert_eq!(c.throttled, None);
            assert_eq!(c.cost, Some(0.25));
        }
        m.set(Some(Throttle {
            capacity: 2.0,
            refill_per_sec: 0.001,
            cost: 1.0,
            status: ThrottleStatus::TooManyRequests,
        }));
        let now = Instant::now();
        assert_eq!(m.charge("GET", now).throttled, None);
        let c = m.charge("GET", now);
        assert_eq!((c.throttled, c.cost), (None, Some(1.0)));
        assert!(c.remaining.abs() < 0.01, "{c:?}");
        let c = m.charge("GET", now);
        assert_eq!(c.throttled, Some(ThrottleStatus::TooManyRequests));
        assert_eq!(c.cost, None);
        m.set(None);
        assert_eq!(m.charge("GET", now).throttled, None);
        assert_eq!(ThrottleStatus::Forbidden.code(), 403);
        assert!(ThrottleStatus::Forbidden
            .body()
            .contains("Rate Limit Exceeded"));
        assert!(ThrottleStatus::TooManyRequests
            .body()
            .contains("Rate Limit Exceeded"));
    }

    #[test]
    fn formats_floats() {
        assert_eq!(format_float(700.0), "700.0");
        assert_eq!(format_float(699.95), "699.95");
        assert_eq!(format_float(0.05), "0.05");
        assert_eq!(format_float(700.0 - 0.05 - 0.05 - 0.05), "699.85");
    }
}
