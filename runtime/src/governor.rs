//! The rate-limit governor: one model of Canvas's leaky bucket for the worker
//! token, shared by every run (all of `warden serve`'s concurrent jobs), that
//! holds new requests back while the budget left is near a floor.
//!
//! Canvas meters each token with a leaky bucket. Every request costs
//! something (`X-Request-Cost`, roughly the seconds of work it took); while a
//! request is in flight Canvas also holds a pre-flight penalty (50 by
//! default) against the token; the bucket drains at a fixed rate (10 units
//! a second by default); and `X-Rate-Limit-Remaining` on every answer says
//! how much room is left below the high-water mark (700 on Canvas Cloud,
//! 600 by default on open-source Canvas). Past it, Canvas answers 403 "Rate
//! Limit Exceeded" (or 429 on Canvas Cloud). Every job shares the one
//! token, so they share the one bucket.
//!
//! The model ([`Model`], pure: every function takes the time) knows:
//! - the latest reading of `X-Rate-Limit-Remaining`, when it came, and
//!   which request it answered (requests are numbered as they are admitted);
//! - the refill since then, at `refill_per_second`, up to `capacity`;
//! - the requests in flight, each holding a reservation of
//!   `max(reserve, typical X-Request-Cost)`. A request admitted before the
//!   one whose answer carried the reading is taken to be counted in that
//!   reading already (it reached Canvas earlier); a later one is not, so its
//!   reservation is subtracted.
//!
//! A request is admitted when the estimate minus its own reservation stays
//! at or above `floor`; otherwise it waits, first come first served, until
//! refill or an answer (which may bring a better reading or free a
//! reservation) lifts the estimate. A reading from an older request than
//! the current one only ever lowers the estimate, so answers arriving out of
//! order cannot make the model optimistic.
//!
//! [`Governor`] is the async wrapper the host uses: [`Governor::admit`]
//! waits for a [`Permit`], and [`Permit::finish`] hands the answer's headers
//! back. A dropped permit (a cancelled run, a timeout) frees its
//! reservation.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// How the governor models Canvas's bucket (`[throttle]` in `warden.toml`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GovernorSettings {
    /// `false`: requests are sent as soon as jobs make them.
    pub enabled: bool,
    /// Requests wait while the estimated `X-Rate-Limit-Remaining` would
    /// fall below this. 0 turns the governor off.
    pub floor: f64,
    /// The bucket's high-water mark: `X-Rate-Limit-Remaining` of an idle
    /// token, and the most the estimate refills to.
    pub capacity: f64,
    /// How fast Canvas's bucket drains (the remaining budget refills), in
    /// cost units per second.
    pub refill_per_second: f64,
    /// Held for each request in flight (Canvas's pre-flight penalty); at
    /// least the typical `X-Request-Cost` seen is held.
    pub reserve: f64,
}

impl GovernorSettings {
    /// Canvas's own numbers: a high-water mark of 700 (Canvas Cloud), a
    /// leak of 10 units a second, a pre-flight penalty of 50; the floor
    /// keeps 100 units for whatever else uses the token.
    pub const CANVAS: GovernorSettings = GovernorSettings {
        enabled: true,
        floor: 100.0,
        capacity: 700.0,
        refill_per_second: 10.0,
        reserve: 50.0,
    };

    /// Whether these settings make requests wait at all.
    pub fn is_active(&self) -> bool {
        self.enabled && self.floor > 0.0
    }
}

impl Default for GovernorSettings {
    fn default() -> Self {
        GovernorSettings::CANVAS
    }
}

/// Shortest wait the model asks for (a timer tick, not a busy loop).
const MIN_WAIT: Duration = Duration::from_millis(2);
/// Longest wait before the model is asked again (answers wake waiters
/// earlier).
const MAX_WAIT: Duration = Duration::from_secs(5);
/// Weight of the newest `X-Request-Cost` in the typical cost.
const COST_WEIGHT: f64 = 0.2;

/// What an answer said about the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Report {
    /// `X-Rate-Limit-Remaining`, when the answer carried it.
    pub remaining: Option<f64>,
    /// `X-Request-Cost`, when the answer carried it.
    pub cost: Option<f64>,
    /// Canvas refused the request for the rate limit (403 "Rate Limit
    /// Exceeded" or 429).
    pub throttled: bool,
}

impl Report {
    /// Reads `X-Rate-Limit-Remaining` and `X-Request-Cost` (names compared
    /// case-insensitively; values that are not finite numbers are ignored).
    pub fn from_headers(headers: &[(String, String)], throttled: bool) -> Report {
        let number = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.trim().parse::<f64>().ok())
                .filter(|x| x.is_finite())
        };
        Report {
            remaining: number("x-rate-limit-remaining"),
            cost: number("x-request-cost").filter(|c| *c >= 0.0),
            throttled,
        }
    }
}

/// The latest `X-Rate-Limit-Remaining` the model believes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    remaining: f64,
    at: Instant,
    /// The request whose answer carried it.
    seq: u64,
}

/// A request let through: its number and what it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ticket {
    pub seq: u64,
    pub reserved: f64,
}

/// The pure model of the bucket. Times are passed in; nothing sleeps.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    settings: GovernorSettings,
    reading: Option<Reading>,
    /// Requests in flight, by number, with their reservations.
    in_flight: BTreeMap<u64, f64>,
    next_seq: u64,
    /// Typical `X-Request-Cost` (a moving average); 0 until one is seen.
    cost: Option<f64>,
    /// Waiting requests, first come first served.
    queue: VecDeque<u64>,
    next_waiter: u64,
}

impl Model {
    pub fn new(settings: GovernorSettings) -> Model {
        Model {
            settings,
            reading: None,
            in_flight: BTreeMap::new(),
            next_seq: 1,
            cost: None,
            queue: VecDeque::new(),
            next_waiter: 1,
        }
    }

    pub fn settings(&self) -> &GovernorSettings {
        &self.settings
    }

    /// The bucket's remaining budget at `now` by the latest reading and the
    /// refill since, before any request in flight is counted.
    fn base(&self, now: Instant) -> f64 {
        let capacity = self.settings.capacity;
        match &self.reading {
            None => capacity,
            // A reading above the configured capacity is believed as it is.
            Some(r) if r.remaining >= capacity => r.remaining,
            Some(r) => {
                let dt = now.saturating_duration_since(r.at).as_secs_f64();
                (r.remaining + dt * self.settings.refill_per_second).min(capacity)
            }
        }
    }

    /// What the reservations of requests the reading `after` does not cover
    /// add up to.
    fn uncounted(&self, after: Option<u64>) -> f64 {
        let first = after.map_or(0, |seq| seq + 1);
        self.in_flight.range(first..).map(|(_, r)| r).sum()
    }

    /// The estimated `X-Rate-Limit-Remaining` at `now`, every request in
    /// flight counted.
    pub fn estimate(&self, now: Instant) -> f64 {
        self.base(now) - self.uncounted(self.reading.map(|r| r.seq))
    }

    /// Requests in flight.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Requests waiting to be admitted.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// What one more request holds: at least the reserve and the typical
    /// cost, but never so much that a request could not go even when the
    /// bucket is full.
    pub fn need(&self) -> f64 {
        let room = (self.settings.capacity - self.settings.floor).max(0.0);
        self.settings
            .reserve
            .max(self.cost.unwrap_or(0.0))
            .min(room)
    }

    /// Lets a request through, or says how long to wait before asking
    /// again. `place` is the caller's place in the queue: `None` on the
    /// first call, then whatever this left there; pass it back on every
    /// retry, and to [`Model::leave`] if the caller gives up.
    pub fn admit(&mut self, now: Instant, place: &mut Option<u64>) -> Result<Ticket, Duration> {
        let first_in_line = match *place {
            None => self.queue.is_empty(),
            Some(id) => self.queue.front() == Some(&id),
        };
        let need = self.need();
        let short = self.settings.floor + need - self.estimate(now);
        if !self.settings.is_active() || (first_in_line && short <= 0.0) {
            if let Some(id) = place.take() {
                self.queue.retain(|w| *w != id);
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            self.in_flight.insert(seq, need);
            return Ok(Ticket {
                seq,
                reserved: need,
            });
        }
        if place.is_none() {
            let id = self.next_waiter;
            self.next_waiter += 1;
            self.queue.push_back(id);
            *place = Some(id);
        }
        if !first_in_line {
            // Woken when the queue moves.
            return Err(MAX_WAIT);
        }
        let wait = Duration::try_from_secs_f64(short / self.settings.refill_per_second)
            .unwrap_or(MAX_WAIT);
        Err(wait.clamp(MIN_WAIT, MAX_WAIT))
    }

    /// A waiting caller gives up its place.
    pub fn leave(&mut self, place: Option<u64>) {
        if let Some(id) = place {
            self.queue.retain(|w| *w != id);
        }
    }

    /// The request `seq` was answered at `now`.
    pub fn finish(&mut self, seq: u64, now: Instant, report: Report) {
        self.in_flight.remove(&seq);
        if let Some(cost) = report.cost {
            self.cost = Some(match self.cost {
                None => cost,
                Some(typical) => typical + COST_WEIGHT * (cost - typical),
            });
        }
        let remaining = match (report.remaining, report.throttled) {
            (Some(r), _) => r,
            // Throttled without saying how much is left: nothing is.
            (None, true) => 0.0,
            (None, false) => return,
        };
        let candidate = Reading {
            remaining,
            at: now,
            seq,
        };
        let adopt = match &self.reading {
            None => true,
            Some(current) if seq > current.seq => true,
            // An answer to an older request: believed only where it is more
            // careful than what the model has.
            Some(_) => {
                let with_it = remaining - self.uncounted(Some(seq));
                with_it < self.estimate(now)
            }
        };
        if adopt {
            self.reading = Some(candidate);
        }
    }

    /// The request `seq` got no answer (a connection failure, a timeout, a
    /// cancelled run): its reservation is freed.
    pub fn cancel(&mut self, seq: u64) {
        self.in_flight.remove(&seq);
    }
}

/// The shared governor; cheap to clone. [`Governor::disabled`] lets every
/// request through at once.
#[derive(Clone, Default)]
pub struct Governor {
    shared: Option<Arc<Shared>>,
    /// The latest `X-Rate-Limit-Remaining` any answer carried, for the
    /// metrics (kept when the governor is disabled too).
    seen: Arc<LastSeen>,
}

/// An `f64` behind an atomic: NaN until a value is seen.
struct LastSeen(std::sync::atomic::AtomicU64);

impl Default for LastSeen {
    fn default() -> Self {
        LastSeen(std::sync::atomic::AtomicU64::new(f64::NAN.to_bits()))
    }
}

impl LastSeen {
    fn set(&self, value: f64) {
        self.0
            .store(value.to_bits(), std::sync::atomic::Ordering::Relaxed);
    }

    fn get(&self) -> Option<f64> {
        let value = f64::from_bits(self.0.load(std::sync::atomic::Ordering::Relaxed));
        (!value.is_nan()).then_some(value)
    }
}

struct Shared {
    model: Mutex<Model>,
    /// Signalled whenever the model changes in a way that may let a waiter
    /// through.
    changed: Notify,
}

impl Shared {
    fn model(&self) -> MutexGuard<'_, Model> {
        // The model stays consistent between statements; a panic elsewhere
        // while holding the lock leaves it usable.
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Governor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.shared {
            None => f.write_str("Governor(disabled)"),
            Some(s) => write!(f, "Governor({:?})", s.model().settings()),
        }
    }
}

impl Governor {
    /// A governor with these settings; inactive settings make a disabled one.
    pub fn new(settings: GovernorSettings) -> Governor {
        if !settings.is_active() {
            return Governor::disabled();
        }
        Governor {
            shared: Some(Arc::new(Shared {
                model: Mutex::new(Model::new(settings)),
                changed: Notify::new(),
            })),
            seen: Arc::default(),
        }
    }

    /// Lets every request through at once.
    pub fn disabled() -> Governor {
        Governor {
            shared: None,
            seen: Arc::default(),
        }
    }

    /// The latest `X-Rate-Limit-Remaining` Canvas sent, if any answer had it.
    pub fn last_remaining(&self) -> Option<f64> {
        self.seen.get()
    }

    #[cfg(test)]
    pub fn is_active(&self) -> bool {
        self.shared.is_some()
    }

    /// The estimated `X-Rate-Limit-Remaining` now, every request in flight
    /// counted; `None` when disabled.
    #[cfg(test)]
    pub fn estimate(&self) -> Option<f64> {
        self.shared
            .as_ref()
            .map(|s| s.model().estimate(Instant::now()))
    }

    /// Waits until the model lets one more request go. Dropping the future
    /// gives up the caller's place in the queue.
    pub async fn admit(&self) -> Permit {
        let Some(shared) = &self.shared else {
            return Permit {
                shared: None,
                seen: Arc::clone(&self.seen),
                seq: 0,
                waited: Duration::ZERO,
            };
        };
        let started = Instant::now();
        let mut place = Leave {
            shared,
            place: None,
        };
        loop {
            let notified = shared.changed.notified();
            tokio::pin!(notified);
            // Registered before the model is asked, so that a change in
            // between is not missed.
            notified.as_mut().enable();
            let decision = shared.model().admit(Instant::now(), &mut place.place);
            match decision {
                Ok(ticket) => {
                    // The queue moved: the next in line may go too.
                    shared.changed.notify_waiters();
                    return Permit {
                        shared: Some(Arc::clone(shared)),
                        seen: Arc::clone(&self.seen),
                        seq: ticket.seq,
                        waited: started.elapsed(),
                    };
                }
                Err(wait) => {
                    tracing::debug!(
                        "rate-limit governor: holding a request for up to {} ms",
                        wait.as_millis()
                    );
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        () = &mut notified => {}
                    }
                }
            }
        }
    }
}

/// Gives up a place in the queue when the waiting future is dropped.
struct Leave<'a> {
    shared: &'a Arc<Shared>,
    place: Option<u64>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if self.place.is_some() {
            self.shared.model().leave(self.place.take());
            self.shared.changed.notify_waiters();
        }
    }
}

/// One request let through by the governor. Hand its answer back with
/// [`Permit::finish`]; dropping it frees its reservation.
pub struct Permit {
    shared: Option<Arc<Shared>>,
    seen: Arc<LastSeen>,
    seq: u64,
    waited: Duration,
}

impl Permit {
    /// How long the request was held back.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The request was answered with these headers.
    pub fn finish(mut self, report: Report) {
        if let Some(remaining) = report.remaining {
            self.seen.set(remaining);
        }
        if let Some(shared) = self.shared.take() {
            shared.model().finish(self.seq, Instant::now(), report);
            shared.changed.notify_waiters();
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.model().cancel(self.seq);
            shared.changed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small numbers: capacity 20, refill 10/s, floor 4, reserve 1.
    fn small() -> GovernorSettings {
        GovernorSettings {
            enabled: true,
            floor: 4.0,
            capacity: 20.0,
            refill_per_second: 10.0,
            reserve: 1.0,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn report(remaining: f64, cost: f64) -> Report {
        Report {
            remaining: Some(remaining),
            cost: Some(cost),
            throttled: false,
        }
    }

    /// Admits without keeping a place: only for calls expected to succeed,
    /// or the last call of a test.
    fn admit(m: &mut Model, now: Instant) -> Result<Ticket, Duration> {
        m.admit(now, &mut None)
    }

    /// A wait of about `n` ms (the model computes waits in floating point).
    fn about(wait: Result<Ticket, Duration>, n: u64) -> bool {
        match wait {
            Err(d) => d.abs_diff(ms(n)) < Duration::from_micros(1),
            Ok(_) => false,
        }
    }

    #[test]
    fn a_fresh_model_admits_until_the_floor() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        // 20 - 4 = 16 units above the floor, 1 per request in flight.
        let tickets: Vec<Ticket> = (0..16).map(|_| admit(&mut m, t0).unwrap()).collect();
        assert_eq!(tickets[0].seq, 1);
        assert_eq!(tickets[15].seq, 16);
        assert!((m.estimate(t0) - 4.0).abs() < 1e-9);
        // The 17th must wait for 1 unit of refill: 100 ms.
        assert!(about(admit(&mut m, t0), 100));
    }

    #[test]
    fn refill_lets_a_waiter_through_and_is_capped() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        let t = admit(&mut m, t0).unwrap();
        m.finish(t.seq, t0, report(4.0, 1.0));
        assert!((m.estimate(t0) - 4.0).abs() < 1e-9);
        let mut place = None;
        assert!(about(m.admit(t0, &mut place), 100));
        assert!(place.is_some());
        assert!(about(m.admit(t0 + ms(50), &mut place), 50));
        assert!(m.admit(t0 + ms(100), &mut place).is_ok());
        assert_eq!(place, None);
        assert_eq!(m.waiting(), 0);
        // Long idle: back to capacity, never above.
        assert!((m.estimate(t0 + Duration::from_secs(3600)) - 19.0).abs() < 1e-9);
    }

    #[test]
    fn requests_admitted_after_the_reading_are_subtracted_earlier_ones_are_not() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        let a = admit(&mut m, t0).unwrap();
        let b = admit(&mut m, t0).unwrap();
        let c = admit(&mut m, t0).unwrap();
        // b's answer: 15 left, and it already counts a (sent before b).
        m.finish(b.seq, t0, report(15.0, 1.0));
        assert!((m.estimate(t0) - 14.0).abs() < 1e-9, "c is still uncounted");
        // a's answer is older than b's: it may only lower the estimate.
        m.finish(a.seq, t0, report(18.0, 1.0));
        assert!((m.estimate(t0) - 14.0).abs() < 1e-9);
        let d = admit(&mut m, t0).unwrap();
        assert!((m.estimate(t0) - 13.0).abs() < 1e-9);
        // c's answer is newer than b's: believed, d still uncounted.
        m.finish(c.seq, t0, report(10.0, 1.0));
        assert!((m.estimate(t0) - 9.0).abs() < 1e-9, "d is still uncounted");
        m.finish(d.seq, t0, report(12.0, 1.0));
        assert!(
            (m.estimate(t0) - 12.0).abs() < 1e-9,
            "a newer reading replaces"
        );
        assert_eq!(m.in_flight(), 0);

        // An answer to an older request that is more careful is believed.
        let e = admit(&mut m, t0).unwrap();
        let f = admit(&mut m, t0).unwrap();
        m.finish(f.seq, t0, report(11.0, 1.0));
        assert!((m.estimate(t0) - 11.0).abs() < 1e-9);
        m.finish(e.seq, t0, report(7.0, 1.0));
        assert!((m.estimate(t0) - 7.0).abs() < 1e-9);
    }

    #[test]
    fn a_newer_reading_can_raise_the_estimate() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        let a = admit(&mut m, t0).unwrap();
        m.finish(
            a.seq,
            t0,
            Report {
                remaining: None,
                cost: None,
                throttled: true,
            },
        );
        assert_eq!(m.estimate(t0), 0.0);
        // Waits (4 + 1) / 10 s.
        assert!(about(admit(&mut m, t0), 500));
        let mut m2 = m.clone();
        m2.queue.clear();
        // Something else freed the bucket: the next answer says so.
        let t = m2.admit(t0 + ms(500), &mut None).unwrap();
        m2.finish(t.seq, t0 + ms(510), report(19.0, 1.0));
        assert!((m2.estimate(t0 + ms(510)) - 19.0).abs() < 1e-9);
    }

    #[test]
    fn waiters_go_first_come_first_served() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        let t = admit(&mut m, t0).unwrap();
        m.finish(t.seq, t0, report(4.0, 1.0));
        let (mut first, mut second) = (None, None);
        assert!(m.admit(t0, &mut first).is_err());
        assert!(m.admit(t0, &mut second).is_err());
        assert_eq!(m.waiting(), 2);
        // Enough for one: the second in line and a newcomer must not take it.
        let later = t0 + ms(100);
        assert_eq!(m.admit(later, &mut second), Err(MAX_WAIT));
        let mut newcomer = None;
        assert!(m.admit(later, &mut newcomer).is_err());
        assert_eq!(m.waiting(), 3);
        assert!(m.admit(later, &mut first).is_ok());
        // The first gave up nothing; the second is now at the front.
        assert!(about(m.admit(later, &mut second), 100));
        // A waiter that gives up leaves the queue.
        m.leave(second);
        assert!(m.admit(later + ms(100), &mut newcomer).is_ok());
        assert_eq!(m.waiting(), 0);
    }

    #[test]
    fn reservations_follow_the_typical_cost_and_fit_the_bucket() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        assert_eq!(m.need(), 1.0);
        let t = admit(&mut m, t0).unwrap();
        m.finish(t.seq, t0, report(17.0, 3.0));
        assert_eq!(m.need(), 3.0);
        let t = admit(&mut m, t0).unwrap();
        assert_eq!(t.reserved, 3.0);
        m.finish(t.seq, t0, report(14.0, 8.0));
        assert!((m.need() - 4.0).abs() < 1e-9, "3 + 0.2 * (8 - 3)");
        // A cost larger than the room above the floor is capped at it, so a
        // full bucket always lets a request through.
        let t = admit(&mut m, t0).unwrap();
        m.finish(t.seq, t0, report(0.0, 500.0));
        assert_eq!(m.need(), 16.0);
        let full = t0 + Duration::from_secs(60);
        assert!(admit(&mut m, full).is_ok());
    }

    #[test]
    fn a_cancelled_request_frees_its_reservation() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        let t = admit(&mut m, t0).unwrap();
        assert!((m.estimate(t0) - 19.0).abs() < 1e-9);
        m.cancel(t.seq);
        assert_eq!(m.estimate(t0), 20.0);
        assert_eq!(m.in_flight(), 0);
        // An answer without the header changes no reading.
        let t = admit(&mut m, t0).unwrap();
        m.finish(t.seq, t0, Report::default());
        assert_eq!(m.estimate(t0), 20.0);
    }

    #[test]
    fn readings_above_the_capacity_are_believed() {
        let t0 = Instant::now();
        let mut m = Model::new(small());
        let t = admit(&mut m, t0).unwrap();
        m.finish(t.seq, t0, report(25.0, 0.1));
        assert_eq!(m.estimate(t0 + ms(100)), 25.0);
    }

    #[test]
    fn inactive_settings_admit_everything() {
        let t0 = Instant::now();
        let off = GovernorSettings {
            enabled: false,
            ..small()
        };
        assert!(!off.is_active());
        assert!(!GovernorSettings {
            floor: 0.0,
            ..small()
        }
        .is_active());
        let mut m = Model::new(off);
        for _ in 0..100 {
            assert!(admit(&mut m, t0).is_ok());
        }
        assert!(!Governor::new(off).is_active());
        assert!(Governor::new(GovernorSettings::default()).is_active());
    }

    #[test]
    fn headers_are_read_case_insensitively() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let r = Report::from_headers(
            &h(&[
                ("X-Rate-Limit-Remaining", "699.95"),
                ("x-request-cost", "0.05"),
            ]),
            false,
        );
        assert_eq!(r.remaining, Some(699.95));
        assert_eq!(r.cost, Some(0.05));
        let r = Report::from_headers(
            &h(&[("x-rate-limit-remaining", "NaN"), ("x-request-cost", "-1")]),
            true,
        );
        assert_eq!(r.remaining, None);
        assert_eq!(r.cost, None);
        assert!(r.throttled);
        assert_eq!(
            Report::from_headers(&h(&[("x-rate-limit-remaining", "-120.5")]), true).remaining,
            Some(-120.5)
        );
    }

    #[tokio::test]
    async fn permits_reserve_and_release() {
        let g = Governor::new(small());
        let a = g.admit().await;
        let b = g.admit().await;
        assert!((g.estimate().unwrap() - 18.0).abs() < 0.01);
        drop(a);
        assert!((g.estimate().unwrap() - 19.0).abs() < 0.01);
        b.finish(report(10.0, 1.0));
        let e = g.estimate().unwrap();
        assert!((10.0..10.5).contains(&e), "{e}");
        assert_eq!(Governor::disabled().estimate(), None);
        let p = Governor::disabled().admit().await;
        assert_eq!(p.waited(), Duration::ZERO);
    }

    #[tokio::test]
    async fn an_answer_wakes_a_waiter() {
        // Refill so slow that only an answer can let the waiter through.
        let g = Governor::new(GovernorSettings {
            refill_per_second: 0.001,
            ..small()
        });
        let first = g.admit().await;
        first.finish(report(5.0, 1.0));
        let held = g.admit().await;
        let waiter = {
            let g = g.clone();
            tokio::spawn(async move { g.admit().await.waited() })
        };
        tokio::time::sleep(ms(20)).await;
        assert!(!waiter.is_finished());
        held.finish(report(10.0, 1.0));
        let waited = tokio::time::timeout(Duration::from_secs(2), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert!(waited >= ms(15), "{waited:?}");
    }
}
