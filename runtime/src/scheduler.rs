//! When a job fires: the pure decision the daemon takes for each job at each
//! tick, from its schedule, the last firing it accounted for and the time
//! now. No I/O and no clock of its own, so catch-up after downtime is tested
//! by passing times, not by waiting.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::manifest::CatchUp;
use crate::schedule::{Schedule, TimeZone};

/// How late a firing may be and still count as on time. Later than this it
/// was missed (the daemon was down, or the machine asleep) and the job's
/// `catch_up` decides.
pub const ON_TIME: Duration = Duration::from_secs(60);

/// What to do for one job now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Fire for this scheduled time. `missed` firings before it were dropped.
    Fire {
        scheduled: DateTime<Utc>,
        catch_up: bool,
        missed: u64,
    },
    /// Firings up to and including `latest` were missed and are dropped.
    Drop { latest: DateTime<Utc>, missed: u64 },
    /// Nothing is due; the next firing is at this time (None: never again).
    Wait(Option<DateTime<Utc>>),
}

impl Decision {
    /// The firing time the job's cursor moves to, when the decision
    /// accounts for firings.
    pub fn cursor(&self) -> Option<DateTime<Utc>> {
        match self {
            Decision::Fire { scheduled, .. } => Some(*scheduled),
            Decision::Drop { latest, .. } => Some(*latest),
            Decision::Wait(_) => None,
        }
    }
}

/// Most missed firings counted for a log line; past it the count says "at
/// least".
const COUNT_LIMIT: u64 = 10_000;

/// Decides for a job whose firings up to `cursor` are accounted for.
pub fn decide(
    schedule: &Schedule,
    tz: TimeZone,
    catch_up: CatchUp,
    cursor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Decision {
    let Some(next) = schedule.next_after(cursor, tz) else {
        return Decision::Wait(None);
    };
    if next > now {
        return Decision::Wait(Some(next));
    }
    // At least one firing is due; the latest one is what may run.
    let latest = schedule
        .latest_at_or_before(now, tz)
        .unwrap_or(next)
        .max(next);
    let missed = count_between(schedule, tz, cursor, latest);
    let lateness = (now - latest).to_std().unwrap_or(Duration::ZERO);
    if lateness <= ON_TIME {
        return Decision::Fire {
            scheduled: latest,
            catch_up: false,
            missed,
        };
    }
    match catch_up {
        CatchUp::Latest { deadline } if deadline.is_none_or(|d| lateness <= d) => Decision::Fire {
            scheduled: latest,
            catch_up: true,
            missed,
        },
        _ => Decision::Drop {
            latest,
            missed: missed + 1,
        },
    }
}

/// [`decide`] for a job whose next firing `due` (the first after `cursor`)
/// has come, and the firing after the new cursor. The usual case, one
/// firing due and on time, costs one evaluation of the schedule instead of
/// several.
pub fn decide_due(
    schedule: &Schedule,
    tz: TimeZone,
    catch_up: CatchUp,
    cursor: DateTime<Utc>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (Decision, Option<DateTime<Utc>>) {
    let following = schedule.next_after(due, tz);
    let on_time = (now - due).to_std().unwrap_or(Duration::ZERO) <= ON_TIME;
    if on_time && following.is_none_or(|f| f > now) {
        let fire = Decision::Fire {
            scheduled: due,
            catch_up: false,
            missed: 0,
        };
        return (fire, following);
    }
    let decision = decide(schedule, tz, catch_up, cursor, now);
    let next = match decision.cursor() {
        Some(moved) => schedule.next_after(moved, tz),
        None => schedule.next_after(cursor, tz),
    };
    (decision, next)
}

/// Firings strictly between `after` and `before`.
fn count_between(
    schedule: &Schedule,
    tz: TimeZone,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
) -> u64 {
    schedule
        .firings_after(after, tz)
        .take_while(|t| *t < before)
        .take(COUNT_LIMIT as usize)
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn hourly() -> Schedule {
        "0 * * * *".parse().unwrap()
    }

    const LATEST_1H: CatchUp = CatchUp::Latest {
        deadline: Some(Duration::from_secs(3600)),
    };

    #[test]
    fn waits_for_the_next_firing() {
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            CatchUp::None,
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T10:20:00Z"),
        );
        assert_eq!(d, Decision::Wait(Some(at("2026-01-01T11:00:00Z"))));
        assert_eq!(d.cursor(), None);
    }

    #[test]
    fn fires_on_time() {
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            CatchUp::None,
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T11:00:00.004Z"),
        );
        assert_eq!(
            d,
            Decision::Fire {
                scheduled: at("2026-01-01T11:00:00Z"),
                catch_up: false,
                missed: 0
            }
        );
        assert_eq!(d.cursor(), Some(at("2026-01-01T11:00:00Z")));
    }

    #[test]
    fn after_downtime_without_catch_up_missed_firings_are_dropped() {
        // Down from 10:00 to 14:30: 11, 12, 13 and 14 were missed.
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            CatchUp::None,
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T14:30:00Z"),
        );
        assert_eq!(
            d,
            Decision::Drop {
                latest: at("2026-01-01T14:00:00Z"),
                missed: 4
            }
        );
        // Then it waits for 15:00.
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            CatchUp::None,
            at("2026-01-01T14:00:00Z"),
            at("2026-01-01T14:30:00Z"),
        );
        assert_eq!(d, Decision::Wait(Some(at("2026-01-01T15:00:00Z"))));
    }

    #[test]
    fn catch_up_latest_runs_the_most_recent_missed_firing_once() {
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            LATEST_1H,
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T14:30:00Z"),
        );
        assert_eq!(
            d,
            Decision::Fire {
                scheduled: at("2026-01-01T14:00:00Z"),
                catch_up: true,
                missed: 3
            }
        );
        // Having fired for 14:00, nothing more until 15:00.
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            LATEST_1H,
            at("2026-01-01T14:00:00Z"),
            at("2026-01-01T14:30:01Z"),
        );
        assert_eq!(d, Decision::Wait(Some(at("2026-01-01T15:00:00Z"))));
    }

    #[test]
    fn catch_up_respects_the_starting_deadline() {
        let daily: Schedule = "0 6 * * *".parse().unwrap();
        // Missed 06:00, back at 08:00: two hours late, past a one-hour deadline.
        let d = decide(
            &daily,
            TimeZone::UTC,
            LATEST_1H,
            at("2026-01-01T06:00:00Z"),
            at("2026-01-02T08:00:00Z"),
        );
        assert_eq!(
            d,
            Decision::Drop {
                latest: at("2026-01-02T06:00:00Z"),
                missed: 1
            }
        );
        // Back at 06:40: within the deadline.
        let d = decide(
            &daily,
            TimeZone::UTC,
            LATEST_1H,
            at("2026-01-01T06:00:00Z"),
            at("2026-01-02T06:40:00Z"),
        );
        assert_eq!(
            d,
            Decision::Fire {
                scheduled: at("2026-01-02T06:00:00Z"),
                catch_up: true,
                missed: 0
            }
        );
        // No deadline: any age.
        let forever = CatchUp::Latest { deadline: None };
        let d = decide(
            &daily,
            TimeZone::UTC,
            forever,
            at("2025-06-01T06:00:00Z"),
            at("2026-01-02T23:00:00Z"),
        );
        assert!(matches!(d, Decision::Fire { catch_up: true, .. }), "{d:?}");
    }

    #[test]
    fn a_short_restart_fires_the_current_firing_normally() {
        // Down 10:00–11:00:30; 11:00 is 30 s late, still on time.
        let d = decide(
            &hourly(),
            TimeZone::UTC,
            CatchUp::None,
            at("2026-01-01T10:00:00Z"),
            at("2026-01-01T11:00:30Z"),
        );
        assert_eq!(
            d,
            Decision::Fire {
                scheduled: at("2026-01-01T11:00:00Z"),
                catch_up: false,
                missed: 0
            }
        );
    }

    #[test]
    fn decide_due_agrees_with_decide() {
        let cases = [
            (
                "0 * * * *",
                "2026-01-01T10:00:00Z",
                "2026-01-01T11:00:00.004Z",
            ),
            ("0 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T11:00:30Z"),
            ("0 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T14:30:00Z"),
            ("0 * * * *", "2026-01-01T10:00:00Z", "2026-01-01T11:05:00Z"),
            (
                "* * * * * *",
                "2026-01-01T10:00:00Z",
                "2026-01-01T10:00:01.002Z",
            ),
            (
                "* * * * * *",
                "2026-01-01T10:00:00Z",
                "2026-01-01T10:00:03Z",
            ),
            ("0 6 * * *", "2026-01-01T06:00:00Z", "2026-01-02T06:40:00Z"),
        ];
        for catch_up in [CatchUp::None, LATEST_1H] {
            for (text, cursor, now) in cases {
                let s: Schedule = text.parse().unwrap();
                let (cursor, now) = (at(cursor), at(now));
                let due = s.next_after(cursor, TimeZone::UTC).unwrap();
                let expected = decide(&s, TimeZone::UTC, catch_up, cursor, now);
                let (got, next) = decide_due(&s, TimeZone::UTC, catch_up, cursor, due, now);
                assert_eq!(got, expected, "{text} {cursor} {now}");
                let moved = expected.cursor().unwrap();
                assert_eq!(next, s.next_after(moved, TimeZone::UTC), "{text}");
            }
        }
    }

    #[test]
    fn a_schedule_in_a_zone_catches_up_in_that_zone() {
        let daily: Schedule = "0 6 * * *".parse().unwrap();
        let ny: TimeZone = "America/New_York".parse().unwrap();
        // 06:00 New York is 11:00Z in winter.
        let d = decide(
            &daily,
            ny,
            LATEST_1H,
            at("2026-01-01T11:00:00Z"),
            at("2026-01-02T11:30:00Z"),
        );
        assert_eq!(
            d,
            Decision::Fire {
                scheduled: at("2026-01-02T11:00:00Z"),
                catch_up: true,
                missed: 0
            }
        );
    }
}
