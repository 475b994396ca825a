//! When a schedule fires, in a time zone, with Vixie cron's rules for
//! daylight saving time.
//!
//! Croner is used as a matcher of wall clock times only (its search over
//! `NaiveDateTime`, where every wall clock time exists exactly once); the
//! time zone is applied here. The set of firing instants is defined from
//! the wall clock times the pattern matches:
//!
//! - a wall clock time that exists once fires at that instant;
//! - a repeated one (the autumn overlap) fires at both instants for an
//!   interval job, at the earlier one only for a fixed-time job;
//! - a skipped one (the spring gap) fires nowhere for an interval job, and
//!   for a fixed-time job at the end of the gap, the instant the clock
//!   jumps (several skipped times fire once there).
//!
//! Every firing is a whole second. [`Schedule::next_after`] walks that set
//! forward one UTC-offset segment at a time; [`Schedule::latest_at_or_before`]
//! is a search over `next_after` itself, so the two cannot disagree.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset as _, TimeZone as _, Utc};
use chrono_tz::Tz;

use super::{Schedule, TimeZone};

/// How far back [`Schedule::latest_at_or_before`] looks.
const LATEST_SEARCH_SECONDS: i64 = 400 * 86_400;

/// The step of the scan for an offset change. Two changes closer together
/// than this that cancel out would be missed; in the tz database (as
/// chrono-tz 0.10 has it) no zone has two changes less than 7 days apart
/// between 1970 and 2100.
const TRANSITION_PROBE_SECONDS: i64 = 86_400;

/// A bound on the walk's steps (segments crossed plus repeated times
/// skipped), against a loop in a case nobody foresaw.
const MAX_STEPS: usize = 100_000;

impl Schedule {
    /// The first firing strictly after `after`, evaluated in `tz`.
    ///
    /// Daylight saving time follows Vixie cron. A *fixed-time* job
    /// ([`Schedule::is_fixed_time`], e.g. `30 2 * * *`) whose wall clock time
    /// is skipped in spring runs once, at the end of the gap (03:00 local
    /// when 02:00 jumps to 03:00); one whose time is repeated in autumn runs
    /// once, at the first occurrence. An *interval* job (`*/15 * * * *`,
    /// `0 * * * *`) runs through both repeated hours in autumn, every real
    /// 15 minutes, and simply continues after the spring gap.
    ///
    /// `None` when it never fires again (croner searches up to the year
    /// 5000).
    pub fn next_after(&self, after: DateTime<Utc>, tz: TimeZone) -> Option<DateTime<Utc>> {
        let first = after.timestamp().checked_add(1)?;
        let secs = self.first_at_or_after(first, tz.tz(), None)?;
        DateTime::from_timestamp(secs, 0)
    }

    /// The latest firing at or before `at`, for catching up after downtime;
    /// `None` when there is none in the 400 days up to `at`.
    ///
    /// Agrees with [`Schedule::next_after`]: for `L` its answer,
    /// `next_after(L - 1 ms) == Some(L)` and no firing lies in `(L, at]`.
    pub fn latest_at_or_before(&self, at: DateTime<Utc>, tz: TimeZone) -> Option<DateTime<Utc>> {
        let tz = tz.tz();
        let end = at.timestamp();
        // Whether a firing lies in [start, end].
        let fires_from = |start: i64| self.first_at_or_after(start, tz, Some(end)).is_some();
        // Usually the latest matching wall clock time, at the offset of
        // `end`, is the answer; it is checked like any other start.
        let offset = offset_at(tz, end)?;
        if let Some(wall) = naive(end.checked_add(offset)?)
            .and_then(|wall| self.0.cron.find_previous_occurrence(&wall, true).ok())
        {
            let guess = timestamp(wall) - offset;
            if (end - LATEST_SEARCH_SECONDS..=end).contains(&guess)
                && fires_from(guess)
                && !fires_from(guess + 1)
            {
                return DateTime::from_timestamp(guess, 0);
            }
        }
        if fires_from(end) {
            return DateTime::from_timestamp(end, 0);
        }
        // Otherwise gallop back until a firing lies in [end - back, end],
        // then narrow down between the last start without one and that one.
        let (mut without, mut with) = (end, None);
        let mut back = 1i64;
        loop {
            let start = end - back;
            if fires_from(start) {
                with = Some(start);
                break;
            }
            without = start;
            if back == LATEST_SEARCH_SECONDS {
                break;
            }
            back = (back * 2).min(LATEST_SEARCH_SECONDS);
        }
        let mut with = with?;
        // A firing in [with, end], none in [without, end]: the latest firing
        // is the largest start that still has one.
        while without - with > 1 {
            let mid = with + (without - with) / 2;
            if fires_from(mid) {
                with = mid;
            } else {
                without = mid;
            }
        }
        DateTime::from_timestamp(with, 0)
    }

    /// The next `n` firings after `after`.
    pub fn upcoming(&self, after: DateTime<Utc>, tz: TimeZone, n: usize) -> Vec<DateTime<Utc>> {
        self.firings_after(after, tz).take(n).collect()
    }

    /// The firings after `after`, in order (chained [`Schedule::next_after`]).
    pub fn firings_after(
        &self,
        after: DateTime<Utc>,
        tz: TimeZone,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        std::iter::successors(self.next_after(after, tz), move |t| self.next_after(*t, tz))
    }

    /// The first firing at or after the Unix second `from`; with `limit`,
    /// `None` as soon as it is known to lie past `limit`.
    fn first_at_or_after(&self, mut from: i64, tz: Tz, limit: Option<i64>) -> Option<i64> {
        for _ in 0..MAX_STEPS {
            if limit.is_some_and(|limit| from > limit) {
                return None;
            }
            // Within the offset segment that holds `from`, wall clock time
            // and UTC move together: the first wall clock match from here,
            // shifted by this offset, is the answer if no offset change
            // comes first.
            let offset = offset_at(tz, from)?;
            if self.0.fixed_time {
                let before = offset_at(tz, from.checked_sub(1)?)?;
                if before < offset {
                    // The clock jumps forward at `from`: the wall clock
                    // times in [gap_start, gap_end) never happen, and a
                    // fixed-time job scheduled in them runs as it jumps.
                    let gap_start = naive(from.checked_add(before)?)?;
                    let gap_end = naive(from.checked_add(offset)?)?;
                    if self.next_wall_match(gap_start)? < gap_end {
                        return Some(from);
                    }
                }
            }
            let wall = self.next_wall_match(naive(from.checked_add(offset)?)?)?;
            let candidate = timestamp(wall) - offset;
            let scan_to = limit.map_or(candidate, |limit| candidate.min(limit));
            match next_transition(tz, from, scan_to, offset)? {
                None if candidate != scan_to => return None, // past `limit`
                None => {
                    if self.0.fixed_time && is_later_twin(tz, wall, candidate) {
                        // The second occurrence of a repeated wall clock
                        // time; a fixed-time job ran at the first.
                        from = candidate + 1;
                        continue;
                    }
                    return Some(candidate);
                }
                // No wall clock match before the offset changes: carry on
                // from the change (where a gap is checked, above).
                Some(transition) => from = transition,
            }
        }
        None
    }

    /// The first wall clock time at or after `wall` that the pattern
    /// matches, with no time zone involved.
    fn next_wall_match(&self, wall: NaiveDateTime) -> Option<NaiveDateTime> {
        self.0.cron.find_next_occurrence(&wall, true).ok()
    }
}

/// The UTC offset, in seconds, at the Unix second `secs`.
fn offset_at(tz: Tz, secs: i64) -> Option<i64> {
    let utc = DateTime::from_timestamp(secs, 0)?.naive_utc();
    Some(i64::from(
        tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
    ))
}

/// The first Unix second in `(from, to]` whose offset is not `offset`
/// (`from` has it). `Some(None)` when there is none; `None` when out of
/// range.
fn next_transition(tz: Tz, from: i64, to: i64, offset: i64) -> Option<Option<i64>> {
    let mut lo = from;
    while lo < to {
        let hi = to.min(lo.saturating_add(TRANSITION_PROBE_SECONDS));
        if offset_at(tz, hi)? != offset {
            // `lo` has the offset and `hi` has not: bisect to the second.
            let (mut same, mut changed) = (lo, hi);
            while changed - same > 1 {
                let mid = same + (changed - same) / 2;
                if offset_at(tz, mid)? == offset {
                    same = mid;
                } else {
                    changed = mid;
                }
            }
            return Some(Some(changed));
        }
        lo = hi;
    }
    Some(None)
}

/// Whether the instant `secs` is the later of the two instants of the
/// repeated wall clock time `wall`.
fn is_later_twin(tz: Tz, wall: NaiveDateTime, secs: i64) -> bool {
    match tz.from_local_datetime(&wall) {
        LocalResult::Ambiguous(earlier, _) => earlier.timestamp() != secs,
        _ => false,
    }
}

fn naive(secs: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(secs, 0).map(|t| t.naive_utc())
}

fn timestamp(wall: NaiveDateTime) -> i64 {
    wall.and_utc().timestamp()
}
