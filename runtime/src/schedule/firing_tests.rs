//! Firing times: regression tables at fixed dates, and a comparison with a
//! brute-force reference built straight from the rules, at random instants
//! around real transitions.

use std::collections::BTreeSet;
use std::ops::Bound;

use chrono::{DateTime, LocalResult, NaiveDateTime, SecondsFormat, TimeDelta, TimeZone as _, Utc};

use super::{Schedule, TimeZone};

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn schedule(text: &str) -> Schedule {
    text.parse().unwrap()
}

fn zone(name: &str) -> TimeZone {
    name.parse().unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The first `n` firings after `after`, as RFC 3339 UTC text.
fn chain(cron: &str, tz: &str, after: &str, n: usize) -> Vec<String> {
    schedule(cron)
        .upcoming(utc(after), zone(tz), n)
        .into_iter()
        .map(rfc)
        .collect()
}

/// The same firings as local wall clock text with the zone abbreviation.
fn local_chain(cron: &str, tz: &str, after: &str, n: usize) -> Vec<String> {
    let z = zone(tz);
    schedule(cron)
        .upcoming(utc(after), z, n)
        .into_iter()
        .map(|t| t.with_timezone(&z.tz()).format("%F %T %Z").to_string())
        .collect()
}

fn latest(cron: &str, tz: &str, at: &str) -> Option<String> {
    schedule(cron)
        .latest_at_or_before(utc(at), zone(tz))
        .map(rfc)
}

// --- America/New_York ---------------------------------------------------

#[test]
fn new_york_spring_fixed_time_in_the_gap_runs_once_at_its_end() {
    // 2024-03-10 02:00 EST jumps to 03:00 EDT (07:00Z).
    assert_eq!(
        chain("30 2 * * *", "America/New_York", "2024-03-08T12:00:00Z", 3),
        [
            "2024-03-09T07:30:00Z",
            "2024-03-10T07:00:00Z",
            "2024-03-11T06:30:00Z"
        ]
    );
    assert_eq!(
        local_chain("30 2 * * *", "America/New_York", "2024-03-08T12:00:00Z", 3),
        [
            "2024-03-09 02:30:00 EST",
            "2024-03-10 03:00:00 EDT",
            "2024-03-11 02:30:00 EDT"
        ]
    );
    // The job at the end of the gap's own time still runs once there.
    assert_eq!(
        chain("0 3 * * *", "America/New_York", "2024-03-09T12:00:00Z", 2),
        ["2024-03-10T07:00:00Z", "2024-03-11T07:00:00Z"]
    );
    // Several times in the gap, or in the gap and at its end: once.
    assert_eq!(
        chain(
            "0,30 2 * * *",
            "America/New_York",
            "2024-03-09T12:00:00Z",
            3
        ),
        [
            "2024-03-10T07:00:00Z",
            "2024-03-11T06:00:00Z",
            "2024-03-11T06:30:00Z"
        ]
    );
    assert_eq!(
        chain("0 2,3 * * *", "America/New_York", "2024-03-09T12:00:00Z", 2),
        ["2024-03-10T07:00:00Z", "2024-03-11T06:00:00Z"]
    );
}

#[test]
fn new_york_spring_interval_jobs_continue_after_the_gap() {
    assert_eq!(
        chain(
            "*/30 * * * *",
            "America/New_York",
            "2024-03-10T05:59:59Z",
            4
        ),
        [
            "2024-03-10T06:00:00Z",
            "2024-03-10T06:30:00Z",
            "2024-03-10T07:00:00Z",
            "2024-03-10T07:30:00Z"
        ]
    );
    assert_eq!(
        local_chain(
            "*/30 * * * *",
            "America/New_York",
            "2024-03-10T05:59:59Z",
            4
        ),
        [
            "2024-03-10 01:00:00 EST",
            "2024-03-10 01:30:00 EST",
            "2024-03-10 03:00:00 EDT",
            "2024-03-10 03:30:00 EDT"
        ]
    );
    // Hourly: 02:00 does not exist, so nothing fires for it.
    assert_eq!(
        chain("0 * * * *", "America/New_York", "2024-03-10T05:30:00Z", 3),
        [
            "2024-03-10T06:00:00Z",
            "2024-03-10T07:00:00Z",
            "2024-03-10T08:00:00Z"
        ]
    );
    // An interval job whose only hour is skipped does not run that day.
    assert_eq!(
        chain(
            "*/30 2 * * *",
            "America/New_York",
            "2024-03-09T12:00:00Z",
            2
        ),
        ["2024-03-11T06:00:00Z", "2024-03-11T06:30:00Z"]
    );
}

#[test]
fn new_york_autumn_fixed_time_in_the_overlap_runs_once_at_the_first() {
    // 2024-11-03 02:00 EDT goes back to 01:00 EST (06:00Z).
    assert_eq!(
        chain("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", 2),
        ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"]
    );
    assert_eq!(
        local_chain("30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z", 2),
        ["2024-11-03 01:30:00 EDT", "2024-11-04 01:30:00 EST"]
    );
    // Started during the second 01:xx hour, after the run: not again.
    assert_eq!(
        chain("30 1 * * *", "America/New_York", "2024-11-03T06:10:00Z", 1),
        ["2024-11-04T06:30:00Z"]
    );
    // A list is fixed-time too (Vixie cron; croner alone runs it twice).
    assert_eq!(
        chain(
            "30 1,13 * * *",
            "America/New_York",
            "2024-11-02T12:00:00Z",
            3
        ),
        [
            "2024-11-02T17:30:00Z",
            "2024-11-03T05:30:00Z",
            "2024-11-03T18:30:00Z"
        ]
    );
}

#[test]
fn new_york_autumn_interval_jobs_run_through_both_hours() {
    // The old `cron` crate gave 05:00Z, 05:30Z, 07:00Z.
    assert_eq!(
        chain(
            "*/30 * * * *",
            "America/New_York",
            "2024-11-03T04:45:00Z",
            5
        ),
        [
            "2024-11-03T05:00:00Z",
            "2024-11-03T05:30:00Z",
            "2024-11-03T06:00:00Z",
            "2024-11-03T06:30:00Z",
            "2024-11-03T07:00:00Z"
        ]
    );
    assert_eq!(
        local_chain(
            "*/30 * * * *",
            "America/New_York",
            "2024-11-03T04:45:00Z",
            5
        ),
        [
            "2024-11-03 01:00:00 EDT",
            "2024-11-03 01:30:00 EDT",
            "2024-11-03 01:00:00 EST",
            "2024-11-03 01:30:00 EST",
            "2024-11-03 02:00:00 EST"
        ]
    );
    assert_eq!(
        chain("0 * * * *", "America/New_York", "2024-11-03T04:45:00Z", 3),
        [
            "2024-11-03T05:00:00Z",
            "2024-11-03T06:00:00Z",
            "2024-11-03T07:00:00Z"
        ]
    );
    assert_eq!(
        chain("@hourly", "America/New_York", "2024-11-03T04:45:00Z", 3),
        [
            "2024-11-03T05:00:00Z",
            "2024-11-03T06:00:00Z",
            "2024-11-03T07:00:00Z"
        ]
    );
    // Every 15 real minutes: no gap and no duplicate in UTC.
    let t = schedule("*/15 * * * *").upcoming(
        utc("2024-11-03T04:00:00Z"),
        zone("America/New_York"),
        16,
    );
    for pair in t.windows(2) {
        assert_eq!(pair[1] - pair[0], TimeDelta::minutes(15), "{t:?}");
    }
    // A step in the hour field with one minute is an interval job too.
    assert_eq!(
        chain(
            "30 */1 * * *",
            "America/New_York",
            "2024-11-03T05:00:00Z",
            3
        ),
        [
            "2024-11-03T05:30:00Z",
            "2024-11-03T06:30:00Z",
            "2024-11-03T07:30:00Z"
        ]
    );
}

// --- Europe/Amsterdam ---------------------------------------------------

#[test]
fn amsterdam_spring() {
    // 2024-03-31 02:00 CET jumps to 03:00 CEST (01:00Z).
    assert_eq!(
        chain("30 2 * * *", "Europe/Amsterdam", "2024-03-29T12:00:00Z", 3),
        [
            "2024-03-30T01:30:00Z",
            "2024-03-31T01:00:00Z",
            "2024-04-01T00:30:00Z"
        ]
    );
    assert_eq!(
        chain(
            "*/30 * * * *",
            "Europe/Amsterdam",
            "2024-03-31T00:15:00Z",
            3
        ),
        [
            "2024-03-31T00:30:00Z",
            "2024-03-31T01:00:00Z",
            "2024-03-31T01:30:00Z"
        ]
    );
    assert_eq!(
        local_chain(
            "*/30 * * * *",
            "Europe/Amsterdam",
            "2024-03-31T00:15:00Z",
            3
        ),
        [
            "2024-03-31 01:30:00 CET",
            "2024-03-31 03:00:00 CEST",
            "2024-03-31 03:30:00 CEST"
        ]
    );
    assert_eq!(
        chain("0 3 * * *", "Europe/Amsterdam", "2024-03-30T12:00:00Z", 2),
        ["2024-03-31T01:00:00Z", "2024-04-01T01:00:00Z"]
    );
}

#[test]
fn amsterdam_autumn() {
    // 2024-10-27 03:00 CEST goes back to 02:00 CET (01:00Z).
    assert_eq!(
        chain("30 2 * * *", "Europe/Amsterdam", "2024-10-26T12:00:00Z", 2),
        ["2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"]
    );
    assert_eq!(
        chain(
            "*/30 * * * *",
            "Europe/Amsterdam",
            "2024-10-26T23:45:00Z",
            5
        ),
        [
            "2024-10-27T00:00:00Z",
            "2024-10-27T00:30:00Z",
            "2024-10-27T01:00:00Z",
            "2024-10-27T01:30:00Z",
            "2024-10-27T02:00:00Z"
        ]
    );
    assert_eq!(
        local_chain(
            "*/30 * * * *",
            "Europe/Amsterdam",
            "2024-10-26T23:45:00Z",
            5
        ),
        [
            "2024-10-27 02:00:00 CEST",
            "2024-10-27 02:30:00 CEST",
            "2024-10-27 02:00:00 CET",
            "2024-10-27 02:30:00 CET",
            "2024-10-27 03:00:00 CET"
        ]
    );
}

// --- Australia/Sydney (southern hemisphere) -----------------------------

#[test]
fn sydney_spring_in_october() {
    // 2024-10-06 02:00 AEST jumps to 03:00 AEDT (2024-10-05T16:00Z).
    assert_eq!(
        chain("30 2 * * *", "Australia/Sydney", "2024-10-04T12:00:00Z", 3),
        [
            "2024-10-04T16:30:00Z",
            "2024-10-05T16:00:00Z",
            "2024-10-06T15:30:00Z"
        ]
    );
    assert_eq!(
        chain(
            "*/30 * * * *",
            "Australia/Sydney",
            "2024-10-05T15:15:00Z",
            3
        ),
        [
            "2024-10-05T15:30:00Z",
            "2024-10-05T16:00:00Z",
            "2024-10-05T16:30:00Z"
        ]
    );
}

#[test]
fn sydney_autumn_in_april() {
    // 2024-04-07 03:00 AEDT goes back to 02:00 AEST (2024-04-06T16:00Z).
    assert_eq!(
        chain("30 2 * * *", "Australia/Sydney", "2024-04-05T12:00:00Z", 3),
        [
            "2024-04-05T15:30:00Z",
            "2024-04-06T15:30:00Z",
            "2024-04-07T16:30:00Z"
        ]
    );
    assert_eq!(
        chain(
            "*/30 * * * *",
            "Australia/Sydney",
            "2024-04-06T14:45:00Z",
            5
        ),
        [
            "2024-04-06T15:00:00Z",
            "2024-04-06T15:30:00Z",
            "2024-04-06T16:00:00Z",
            "2024-04-06T16:30:00Z",
            "2024-04-06T17:00:00Z"
        ]
    );
}

// --- No daylight saving time ---------------------------------------------

#[test]
fn kolkata_and_utc_have_nothing_special() {
    // +05:30 all year, on the New York and Amsterdam transition days too.
    assert_eq!(
        chain("30 2 * * *", "Asia/Kolkata", "2024-03-09T12:00:00Z", 2),
        ["2024-03-09T21:00:00Z", "2024-03-10T21:00:00Z"]
    );
    assert_eq!(
        chain("*/30 * * * *", "Asia/Kolkata", "2024-10-26T23:45:00Z", 3),
        [
            "2024-10-27T00:00:00Z",
            "2024-10-27T00:30:00Z",
            "2024-10-27T01:00:00Z"
        ]
    );
    assert_eq!(
        chain("0 9 * * *", "Asia/Kolkata", "2024-11-03T00:00:00Z", 1),
        ["2024-11-03T03:30:00Z"]
    );
    assert_eq!(
        chain("30 2 * * *", "UTC", "2024-03-09T12:00:00Z", 2),
        ["2024-03-10T02:30:00Z", "2024-03-11T02:30:00Z"]
    );
    assert_eq!(
        chain("*/30 * * * *", "UTC", "2024-11-03T00:50:00Z", 3),
        [
            "2024-11-03T01:00:00Z",
            "2024-11-03T01:30:00Z",
            "2024-11-03T02:00:00Z"
        ]
    );
    assert_eq!(
        chain("0 0 1 1 *", "UTC", "2024-06-01T00:00:00Z", 2),
        ["2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]
    );
}

// --- Other zones' shapes of change ---------------------------------------

#[test]
fn half_hour_and_midnight_changes() {
    // Lord Howe moves by 30 minutes: 2024-10-06 02:00 → 02:30 (15:30Z).
    assert_eq!(
        chain(
            "15 2 * * *",
            "Australia/Lord_Howe",
            "2024-10-04T12:00:00Z",
            3
        ),
        [
            "2024-10-04T15:45:00Z",
            "2024-10-05T15:30:00Z",
            "2024-10-06T15:15:00Z"
        ]
    );
    // Santiago jumps at midnight: 2024-09-08 00:00 → 01:00 (04:00Z), on a
    // Sunday; the Sunday job runs at the end of the gap, still Sunday.
    assert_eq!(
        local_chain(
            "30 0 * * SUN",
            "America/Santiago",
            "2024-09-01T12:00:00Z",
            2
        ),
        ["2024-09-08 01:00:00 -03", "2024-09-15 00:30:00 -03"]
    );
    // And goes back from 2024-04-07 00:00 to 2024-04-06 23:00 (03:00Z).
    assert_eq!(
        local_chain("30 23 * * *", "America/Santiago", "2024-04-05T12:00:00Z", 3),
        [
            "2024-04-05 23:30:00 -03",
            "2024-04-06 23:30:00 -03",
            "2024-04-07 23:30:00 -04"
        ]
    );
    assert_eq!(
        local_chain(
            "*/30 23 * * *",
            "America/Santiago",
            "2024-04-06T12:00:00Z",
            5
        ),
        [
            "2024-04-06 23:00:00 -03",
            "2024-04-06 23:30:00 -03",
            "2024-04-06 23:00:00 -04",
            "2024-04-06 23:30:00 -04",
            "2024-04-07 23:00:00 -04"
        ]
    );
}

// --- Pattern features, in a zone -----------------------------------------

#[test]
fn weekday_names_and_posix_sunday() {
    assert_eq!(
        chain("0 6 * * MON", "America/New_York", "2026-11-25T00:00:00Z", 2),
        ["2026-11-30T11:00:00Z", "2026-12-07T11:00:00Z"]
    );
    // 2024-06-03 is a Monday; 2024-06-09 a Sunday.
    for sunday in ["0 12 * * 0", "0 12 * * 7", "0 12 * * SUN", "0 12 * * sun"] {
        assert_eq!(
            chain(sunday, "America/New_York", "2024-06-03T00:00:00Z", 2),
            ["2024-06-09T16:00:00Z", "2024-06-16T16:00:00Z"],
            "{sunday}"
        );
    }
    assert_eq!(
        local_chain(
            "0 9 * * MON-FRI",
            "Europe/Amsterdam",
            "2024-06-07T12:00:00Z",
            2
        ),
        ["2024-06-10 09:00:00 CEST", "2024-06-11 09:00:00 CEST"]
    );
    // Day of month and day of week both restricted: either matches (POSIX).
    assert_eq!(
        local_chain("0 0 13 * FRI", "UTC", "2024-09-01T00:00:00Z", 3),
        [
            "2024-09-06 00:00:00 UTC",
            "2024-09-13 00:00:00 UTC",
            "2024-09-20 00:00:00 UTC"
        ]
    );
}

#[test]
fn last_day_and_nth_weekday() {
    assert_eq!(
        local_chain("0 0 L * *", "America/New_York", "2024-02-01T12:00:00Z", 3),
        [
            "2024-02-29 00:00:00 EST",
            "2024-03-31 00:00:00 EDT",
            "2024-04-30 00:00:00 EDT"
        ]
    );
    // The second Friday.
    assert_eq!(
        local_chain("0 9 * * 5#2", "America/New_York", "2024-06-01T00:00:00Z", 2),
        ["2024-06-14 09:00:00 EDT", "2024-07-12 09:00:00 EDT"]
    );
    // The last Friday.
    assert_eq!(
        local_chain("0 9 * * 5L", "America/New_York", "2024-06-01T00:00:00Z", 1),
        ["2024-06-28 09:00:00 EDT"]
    );
}

#[test]
fn nicknames_in_a_zone() {
    assert_eq!(
        local_chain("@daily", "Europe/Amsterdam", "2024-03-30T12:00:00Z", 2),
        ["2024-03-31 00:00:00 CET", "2024-04-01 00:00:00 CEST"]
    );
    assert_eq!(
        chain("@daily", "Europe/Amsterdam", "2024-03-30T12:00:00Z", 2),
        ["2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z"]
    );
    assert_eq!(
        local_chain("@weekly", "America/New_York", "2024-06-03T00:00:00Z", 1),
        ["2024-06-09 00:00:00 EDT"]
    );
    assert_eq!(
        local_chain("@monthly", "Australia/Sydney", "2024-06-03T00:00:00Z", 1),
        ["2024-07-01 00:00:00 AEST"]
    );
    assert_eq!(
        local_chain("@yearly", "Asia/Kolkata", "2024-06-03T00:00:00Z", 1),
        ["2025-01-01 00:00:00 IST"]
    );
}

#[test]
fn six_fields_with_seconds() {
    assert_eq!(
        local_chain(
            "30 15 10 * * *",
            "America/New_York",
            "2024-06-01T00:00:00Z",
            1
        ),
        ["2024-06-01 10:15:30 EDT"]
    );
    assert_eq!(
        chain("*/20 * * * * *", "UTC", "2024-06-01T12:00:05Z", 3),
        [
            "2024-06-01T12:00:20Z",
            "2024-06-01T12:00:40Z",
            "2024-06-01T12:01:00Z"
        ]
    );
    // A fixed-time six-field job in the spring gap: once, at its end.
    assert_eq!(
        chain(
            "10 30 2 * * *",
            "America/New_York",
            "2024-03-09T12:00:00Z",
            2
        ),
        ["2024-03-10T07:00:00Z", "2024-03-11T06:30:10Z"]
    );
}

#[test]
fn after_is_strict_and_sub_seconds_count() {
    let s = schedule("0 * * * *");
    let ny = zone("America/New_York");
    let at = utc("2024-06-01T12:00:00Z");
    assert_eq!(s.next_after(at, ny), Some(utc("2024-06-01T13:00:00Z")));
    assert_eq!(s.next_after(at - TimeDelta::milliseconds(1), ny), Some(at));
    assert_eq!(
        s.next_after(at + TimeDelta::milliseconds(1), ny),
        Some(utc("2024-06-01T13:00:00Z"))
    );
    assert_eq!(s.latest_at_or_before(at, ny), Some(at));
    assert_eq!(
        s.latest_at_or_before(at - TimeDelta::milliseconds(1), ny),
        Some(utc("2024-06-01T11:00:00Z"))
    );
    assert!(s.upcoming(at, ny, 0).is_empty());
}

// --- latest_at_or_before -------------------------------------------------

#[test]
fn latest_at_or_before_at_fixed_dates() {
    let ny = "America/New_York";
    assert_eq!(
        latest("30 2 * * *", ny, "2024-03-10T12:00:00Z").as_deref(),
        Some("2024-03-10T07:00:00Z")
    );
    assert_eq!(
        latest("30 2 * * *", ny, "2024-03-10T06:59:59Z").as_deref(),
        Some("2024-03-09T07:30:00Z")
    );
    // The second 01:30 of the autumn day is not a firing of a fixed job…
    assert_eq!(
        latest("30 1 * * *", ny, "2024-11-03T06:45:00Z").as_deref(),
        Some("2024-11-03T05:30:00Z")
    );
    // …but is one of an interval job.
    assert_eq!(
        latest("*/30 * * * *", ny, "2024-11-03T06:45:00Z").as_deref(),
        Some("2024-11-03T06:30:00Z")
    );
    assert_eq!(
        latest("0 * * * *", ny, "2024-03-10T06:59:59Z").as_deref(),
        Some("2024-03-10T06:00:00Z")
    );
    // Within the 400-day bound, and past it.
    assert_eq!(
        latest("0 0 29 2 *", "UTC", "2025-03-01T00:00:00Z").as_deref(),
        Some("2024-02-29T00:00:00Z")
    );
    assert_eq!(latest("0 0 29 2 *", "UTC", "2027-03-01T00:00:00Z"), None);
    assert_eq!(
        latest("@yearly", "Asia/Kolkata", "2024-06-01T00:00:00Z").as_deref(),
        Some("2023-12-31T18:30:00Z")
    );
}

// --- Job types -------------------------------------------------------------

#[test]
fn fixed_time_and_interval_jobs() {
    for fixed in [
        "30 2 * * *",
        "0 3 * * *",
        "30 1,13 * * *",
        "0 1-3 * * *",
        "0,30 2 * * MON",
        "@daily",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
        "0 30 2 * * *",
        "0 0 L * *",
        // Vixie cron asks whether the minute or hour field starts with `*`
        // (MIN_STAR, HR_STAR): a stepped range without one is fixed-time.
        "0 1-23/2 * * *",
        "0 5/6 * * *",
        "5,*/20 3 * * *",
    ] {
        assert!(schedule(fixed).is_fixed_time(), "{fixed}");
    }
    for interval in [
        "*/15 * * * *",
        "0 * * * *",
        "* 2 * * *",
        "*/5 2 * * *",
        "0 */2 * * *",
        "@hourly",
        "@HOURLY",
        "*/10 30 2 * * *",
        "* * * * * *",
    ] {
        assert!(!schedule(interval).is_fixed_time(), "{interval}");
    }
    assert!(schedule("0 30 2 * * *").has_seconds());
    assert!(!schedule("30 2 * * *").has_seconds());
    assert!(!schedule("@daily").has_seconds());
}

// --- Where croner's own time zone search differs ---------------------------

/// Croner 4.0.3's zoned search calls a job fixed-time only when its
/// seconds, minute and hour are single values; Vixie cron (and Warden) also
/// count lists and ranges. So croner alone runs `30 1,13 * * *` twice in
/// the autumn overlap and skips `0,30 2 * * *` on the spring day. On every
/// single-value and wildcard case in the tables above it agrees.
#[test]
fn croner_alone_differs_on_lists_and_ranges() {
    let ny = zone("America/New_York");
    let croner_chain = |cron: &str, after: &str, n: usize| {
        let s = schedule(cron);
        let mut t = utc(after).with_timezone(&ny.tz());
        (0..n)
            .map(|_| {
                t = s.cron().find_next_occurrence(&t, false).unwrap();
                rfc(t.with_timezone(&Utc))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        croner_chain("30 1,13 * * *", "2024-11-02T18:00:00Z", 2),
        ["2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z"]
    );
    assert_eq!(
        chain(
            "30 1,13 * * *",
            "America/New_York",
            "2024-11-02T18:00:00Z",
            2
        ),
        ["2024-11-03T05:30:00Z", "2024-11-03T18:30:00Z"]
    );
    assert_eq!(
        croner_chain("0,30 2 * * *", "2024-03-09T12:00:00Z", 1),
        ["2024-03-11T06:00:00Z"]
    );
    assert_eq!(
        chain(
            "0,30 2 * * *",
            "America/New_York",
            "2024-03-09T12:00:00Z",
            1
        ),
        ["2024-03-10T07:00:00Z"]
    );
    assert_eq!(
        croner_chain("0 1-3 * * *", "2024-03-10T05:30:00Z", 2),
        ["2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z"]
    );
    // The 02:00 run is carried to the end of the gap, where it meets the
    // 03:00 run: one firing.
    assert_eq!(
        chain("0 1-3 * * *", "America/New_York", "2024-03-10T05:30:00Z", 3),
        [
            "2024-03-10T06:00:00Z",
            "2024-03-10T07:00:00Z",
            "2024-03-11T05:00:00Z"
        ]
    );
    // Where it is right, it is right: the single-value and wildcard cases.
    assert_eq!(
        croner_chain("30 2 * * *", "2024-03-08T12:00:00Z", 3),
        chain("30 2 * * *", "America/New_York", "2024-03-08T12:00:00Z", 3)
    );
    assert_eq!(
        croner_chain("*/30 * * * *", "2024-11-03T04:45:00Z", 5),
        chain(
            "*/30 * * * *",
            "America/New_York",
            "2024-11-03T04:45:00Z",
            5
        )
    );
}

/// Croner's zoned search, forward and backward, agrees with Warden's on
/// single-value fixed-time jobs and on wildcard and step jobs, at every
/// 13th minute over two days around each change of three zones.
#[test]
fn croner_agrees_where_its_job_type_agrees() {
    let crons = [
        "30 2 * * *",
        "30 1 * * *",
        "0 3 * * *",
        "0 0 * * *",
        "*/30 * * * *",
        "0 * * * *",
        "*/7 2 * * *",
        "0 */2 * * *",
    ];
    for name in ["America/New_York", "Europe/Amsterdam", "Australia/Sydney"] {
        let tz = zone(name);
        for day in transition_days(tz, 2024) {
            for text in crons {
                let s = schedule(text);
                let mut t = day - TimeDelta::hours(12);
                while t < day + TimeDelta::hours(36) {
                    let local = t.with_timezone(&tz.tz());
                    let croner_next = s.cron().find_next_occurrence(&local, false).ok();
                    assert_eq!(
                        croner_next.map(|c| c.with_timezone(&Utc)),
                        s.next_after(t, tz),
                        "{text} in {name} after {t}"
                    );
                    let croner_latest = s.cron().find_previous_occurrence(&local, true).ok();
                    assert_eq!(
                        croner_latest.map(|c| c.with_timezone(&Utc)),
                        s.latest_at_or_before(t, tz),
                        "{text} in {name} at {t}"
                    );
                    t += TimeDelta::minutes(13);
                }
            }
        }
    }
}

// --- Against a brute-force reference ---------------------------------------

/// Every firing whose wall clock time lies in `[from, to)`, straight from the
/// rules: each matching wall clock time (checked one by one) fires at its
/// instant; a repeated one at both for an interval job, at the earlier for
/// a fixed-time job; a skipped one of a fixed-time job at the first
/// existing wall clock time after it.
fn reference(s: &Schedule, tz: TimeZone, from: NaiveDateTime, to: NaiveDateTime) -> BTreeSet<i64> {
    let tz = tz.tz();
    let step = if s.has_seconds() {
        TimeDelta::seconds(1)
    } else {
        TimeDelta::minutes(1)
    };
    let mut out = BTreeSet::new();
    let mut wall = from;
    while wall < to {
        if s.cron().is_time_matching(&wall).unwrap() {
            match tz.from_local_datetime(&wall) {
                LocalResult::Single(t) => {
                    out.insert(t.timestamp());
                }
                LocalResult::Ambiguous(earlier, later) => {
                    out.insert(earlier.timestamp());
                    if !s.is_fixed_time() {
                        out.insert(later.timestamp());
                    }
                }
                LocalResult::None if s.is_fixed_time() => {
                    let mut after = wall;
                    let end = loop {
                        after += TimeDelta::seconds(1);
                        if let Some(t) = tz.from_local_datetime(&after).earliest() {
                            break t;
                        }
                    };
                    out.insert(end.timestamp());
                }
                LocalResult::None => {}
            }
        }
        wall += step;
    }
    out
}

/// The days (UTC) on which `tz`'s offset changes in `year`.
fn transition_days(tz: TimeZone, year: i32) -> Vec<DateTime<Utc>> {
    use chrono::Offset as _;
    let offset = |t: DateTime<Utc>| t.with_timezone(&tz.tz()).offset().fix();
    let mut day = Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    while day.year_ce().1 == year as u32 {
        let next = day + TimeDelta::days(1);
        if offset(day) != offset(next) {
            out.push(day);
        }
        day = next;
    }
    out
}

use chrono::Datelike as _;

#[test]
fn agrees_with_the_reference_around_transitions() {
    let zones = [
        "America/New_York",
        "Europe/Amsterdam",
        "Australia/Sydney",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Pacific/Chatham",
        "America/St_Johns",
        "Asia/Kolkata",
        "UTC",
    ];
    let crons = [
        "30 2 * * *",
        "30 1 * * *",
        "0 3 * * *",
        "45 23 * * *",
        "15 0 * * *",
        "*/30 * * * *",
        "*/15 * * * *",
        "0 * * * *",
        "*/7 2 * * *",
        "0 */2 * * *",
        "30 2,14 * * *",
        "0,30 1-3 * * *",
        "5 0 * * SUN",
        "0 12 * * 1-5",
        "@daily",
    ];
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let ms = |n: i64| TimeDelta::milliseconds(n);
    let mut checked = 0;
    for name in zones {
        let tz = zone(name);
        let mut days = transition_days(tz, 2024);
        if days.is_empty() {
            days.push(utc("2024-03-10T00:00:00Z"));
        }
        for day in days {
            // Wall clock times from 2 days before to 3 days after: every
            // firing in [day - 1 day, day + 2 days] is in the set.
            let from = (day - TimeDelta::days(2)).naive_utc();
            let to = (day + TimeDelta::days(3)).naive_utc();
            let (lo, hi) = (day - TimeDelta::days(1), day + TimeDelta::days(2));
            for text in crons {
                let s = schedule(text);
                let set = reference(&s, tz, from, to);
                let covered = |t: i64| (lo.timestamp()..=hi.timestamp()).contains(&t);
                // Random instants, and each firing on the day of the change
                // (the change lies in (day, day + 1 day]) and its neighbours.
                let mut probes: Vec<DateTime<Utc>> = (0..40)
                    .map(|_| lo + ms(rng.i64(0..(hi - lo).num_milliseconds())))
                    .collect();
                let change_day = day.timestamp()..=(day + TimeDelta::days(1)).timestamp();
                for &f in set.iter().filter(|f| change_day.contains(f)) {
                    let f = DateTime::from_timestamp(f, 0).unwrap();
                    probes.extend([f - ms(1), f, f + ms(1)]);
                }
                for t in probes {
                    let secs = t.timestamp();
                    // next_after
                    let want = set
                        .range((Bound::Excluded(secs), Bound::Unbounded))
                        .next()
                        .copied();
                    let got = s.next_after(t, tz).map(|g| g.timestamp());
                    match want {
                        Some(w) if covered(w) => {
                            assert_eq!(got, Some(w), "{text} in {name}: next_after({t})")
                        }
                        _ => assert!(
                            got.is_none_or(|g| g > hi.timestamp()),
                            "{text} in {name}: next_after({t}) = {got:?}, none expected before {hi}"
                        ),
                    }
                    // latest_at_or_before
                    let want = set.range(..=secs).next_back().copied();
                    let got = s.latest_at_or_before(t, tz);
                    match want {
                        Some(w) if covered(w) => assert_eq!(
                            got.map(|g| g.timestamp()),
                            Some(w),
                            "{text} in {name}: latest_at_or_before({t})"
                        ),
                        _ => assert!(
                            got.is_none_or(|g| g < lo),
                            "{text} in {name}: latest_at_or_before({t}) = {got:?}"
                        ),
                    }
                    // And the two agree, whatever the reference covers.
                    if let Some(l) = got {
                        assert_eq!(s.next_after(l - ms(1), tz), Some(l), "{text} {name} {t}");
                        assert!(
                            s.next_after(l, tz).is_none_or(|n| n > t),
                            "{text} in {name}: a firing in ({l}, {t}]"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 5_000, "{checked}");
}

#[test]
fn latest_and_next_agree_at_random_instants() {
    // Wider and sparser than the reference: whole years, odd patterns.
    let crons = [
        "0 0 29 2 *",
        "0 9 * * 5#2",
        "30 2 L * *",
        "*/20 * * * * *",
        "0 0 1 1 *",
        "15 2 * 3,10,11 SUN",
    ];
    let zones = ["America/New_York", "Europe/Amsterdam", "Australia/Sydney"];
    let mut rng = fastrand::Rng::with_seed(7);
    let start = utc("2023-01-01T00:00:00Z");
    for text in crons {
        let s = schedule(text);
        for name in zones {
            let tz = zone(name);
            for _ in 0..25 {
                let t = start + TimeDelta::milliseconds(rng.i64(0..3 * 365 * 86_400_000));
                match s.latest_at_or_before(t, tz) {
                    Some(l) => {
                        assert!(l <= t);
                        assert_eq!(s.next_after(l - TimeDelta::milliseconds(1), tz), Some(l));
                        assert!(
                            s.next_after(l, tz).is_none_or(|n| n > t),
                            "{text} {name} {t}"
                        );
                    }
                    None => assert!(
                        s.next_after(t - TimeDelta::days(400), tz)
                            .is_none_or(|n| n > t),
                        "{text} {name} {t}"
                    ),
                }
            }
        }
    }
}

#[test]
fn l_w_and_hash_mistakes_are_explained_in_warden_words() {
    let cases = [
        ("0 0 5L * *", "day-of-month 5L: L here means the last day of the month; 5L (the last Friday) belongs in day-of-week"),
        ("0 0 * * 5#9", "day-of-week 5#9: in D#N, N counts that weekday in the month, 1 to 5"),
        ("0 0 * * 5#", "day-of-week 5#: write D#N, e.g. 5#2 (the second Friday of the month)"),
        ("0 0 W * *", "day-of-month W: write NW, e.g. 15W (the weekday nearest the 15th), or LW"),
        ("0 0 L-3 * *", "day-of-month L-3: L does not take a range or an offset; the forms are L, LW and NW"),
    ];
    for (text, expected) in cases {
        let e = text
            .parse::<crate::schedule::Schedule>()
            .unwrap_err()
            .to_string();
        assert!(e.contains(expected), "{text}: {e}");
        assert!(!e.contains("Component error"), "{text}: {e}");
    }
}
