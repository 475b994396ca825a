//! The scheduler's sense of time, injectable so that tests can jump over
//! hours of downtime without sleeping.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// Wall-clock time and waiting for it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves at (or soon after) `deadline`.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// Longest single sleep: the wall clock can jump (NTP, suspend), so the
/// deadline is re-checked at least this often.
const MAX_SLEEP: Duration = Duration::from_secs(30);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            loop {
                let left = (deadline - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                if left.is_zero() {
                    return;
                }
                tokio::time::sleep(left.min(MAX_SLEEP)).await;
            }
        })
    }
}

/// A clock that moves only when told to. Clones share the time, which
/// lives in the channel that wakes its sleepers.
#[derive(Clone)]
pub struct ManualClock {
    changed: watch::Sender<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            changed: watch::channel(start).0,
        }
    }

    /// Moves the clock forward and wakes every sleeper whose time has come.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        self.changed.send_modify(|now| *now += by);
    }

    /// Sets the clock (forward or back).
    pub fn set(&self, to: DateTime<Utc>) {
        self.changed.send_replace(to);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.changed.borrow()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut changed = self.changed.subscribe();
        Box::pin(async move {
            // The sender lives as long as any clone; if all are gone, time
            // has stopped and so does this sleeper.
            let _ = changed.wait_for(|now| *now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn manual_sleepers_wake_when_time_passes_their_deadline() {
        let clock = ManualClock::new(at("2026-01-01T00:00:00Z"));
        let sleeper = tokio::spawn(clock.sleep_until(at("2026-01-01T01:00:00Z")));
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(1800));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1800));
        tokio::time::timeout(Duration::from_secs(1), sleeper)
            .await
            .expect("woke")
            .unwrap();
        assert_eq!(clock.now(), at("2026-01-01T01:00:00Z"));
        // A deadline already past resolves at once.
        clock.sleep_until(at("2025-01-01T00:00:00Z")).await;
    }

    #[tokio::test]
    async fn the_system_clock_sleeps_until_the_deadline() {
        let start = SystemClock.now();
        SystemClock
            .sleep_until(start + chrono::Duration::milliseconds(50))
            .await;
        assert!(SystemClock.now() >= start + chrono::Duration::milliseconds(50));
    }
}
