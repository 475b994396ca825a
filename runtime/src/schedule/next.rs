//! The lines `warden next` prints.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Schedule, TimeZone};

/// One line per upcoming firing: `<job>  <local time with zone abbreviation>
/// (<UTC RFC 3339>)`, e.g.
/// `unpublished-courses  2026-11-30 06:00 EST  (2026-11-30T11:00:00Z)`; the
/// job column padded to `width`. The local time shows seconds when the
/// expression has a seconds field. Fewer than `count` lines when the
/// schedule stops firing.
pub fn next_lines(
    job: &str,
    width: usize,
    schedule: &Schedule,
    tz: TimeZone,
    after: DateTime<Utc>,
    count: usize,
) -> Vec<String> {
    let local_format = if schedule.has_seconds() {
        "%Y-%m-%d %H:%M:%S %Z"
    } else {
        "%Y-%m-%d %H:%M %Z"
    };
    schedule
        .upcoming(after, tz, count)
        .into_iter()
        .map(|t| {
            format!(
                "{job:<width$}  {}  ({})",
                t.with_timezone(&tz.tz()).format(local_format),
                t.to_rfc3339_opts(SecondsFormat::Secs, true)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn lines(job: &str, width: usize, cron: &str, tz: &str, after: &str, n: usize) -> Vec<String> {
        next_lines(
            job,
            width,
            &cron.parse().unwrap(),
            tz.parse().unwrap(),
            utc(after),
            n,
        )
    }

    #[test]
    fn the_example_line() {
        assert_eq!(
            lines(
                "unpublished-courses",
                19,
                "0 6 * * MON",
                "America/New_York",
                "2026-11-25T00:00:00Z",
                1
            ),
            ["unpublished-courses  2026-11-30 06:00 EST  (2026-11-30T11:00:00Z)"]
        );
    }

    #[test]
    fn across_the_autumn_change_edt_then_est() {
        assert_eq!(
            lines(
                "report",
                8,
                "0 6 * * *",
                "America/New_York",
                "2024-11-01T12:00:00Z",
                4
            ),
            [
                "report    2024-11-02 06:00 EDT  (2024-11-02T10:00:00Z)",
                "report    2024-11-03 06:00 EST  (2024-11-03T11:00:00Z)",
                "report    2024-11-04 06:00 EST  (2024-11-04T11:00:00Z)",
                "report    2024-11-05 06:00 EST  (2024-11-05T11:00:00Z)",
            ]
        );
    }

    #[test]
    fn the_repeated_hour_tells_its_two_halves_apart() {
        assert_eq!(
            lines(
                "sync",
                4,
                "*/30 * * * *",
                "America/New_York",
                "2024-11-03T04:45:00Z",
                5
            ),
            [
                "sync  2024-11-03 01:00 EDT  (2024-11-03T05:00:00Z)",
                "sync  2024-11-03 01:30 EDT  (2024-11-03T05:30:00Z)",
                "sync  2024-11-03 01:00 EST  (2024-11-03T06:00:00Z)",
                "sync  2024-11-03 01:30 EST  (2024-11-03T06:30:00Z)",
                "sync  2024-11-03 02:00 EST  (2024-11-03T07:00:00Z)",
            ]
        );
    }

    #[test]
    fn the_spring_gap_and_other_zones() {
        assert_eq!(
            lines(
                "nightly",
                0,
                "30 2 * * *",
                "Europe/Amsterdam",
                "2024-03-30T00:00:00Z",
                3
            ),
            [
                "nightly  2024-03-30 02:30 CET  (2024-03-30T01:30:00Z)",
                "nightly  2024-03-31 03:00 CEST  (2024-03-31T01:00:00Z)",
                "nightly  2024-04-01 02:30 CEST  (2024-04-01T00:30:00Z)",
            ]
        );
        assert_eq!(
            lines("k", 3, "@daily", "Asia/Kolkata", "2024-01-01T00:00:00Z", 1),
            ["k    2024-01-02 00:00 IST  (2024-01-01T18:30:00Z)"]
        );
        assert_eq!(
            lines("u", 1, "0 0 * * *", "UTC", "2024-01-01T00:00:00Z", 1),
            ["u  2024-01-02 00:00 UTC  (2024-01-02T00:00:00Z)"]
        );
    }

    #[test]
    fn seconds_are_shown_for_a_six_field_expression() {
        assert_eq!(
            lines(
                "tick",
                4,
                "*/20 0 12 * * *",
                "UTC",
                "2024-01-01T12:00:00Z",
                2
            ),
            [
                "tick  2024-01-01 12:00:20 UTC  (2024-01-01T12:00:20Z)",
                "tick  2024-01-01 12:00:40 UTC  (2024-01-01T12:00:40Z)",
            ]
        );
    }

    #[test]
    fn a_long_name_is_not_cut_and_a_schedule_that_stops_gives_fewer_lines() {
        assert_eq!(
            lines(
                "longer-than-width",
                4,
                "0 0 1 1 *",
                "UTC",
                "2024-06-01T00:00:00Z",
                1
            ),
            ["longer-than-width  2025-01-01 00:00 UTC  (2025-01-01T00:00:00Z)"]
        );
        assert!(lines("none", 4, "0 0 1 1 *", "UTC", "2024-06-01T00:00:00Z", 0).is_empty());
        // Croner searches up to the year 5000.
        assert_eq!(
            lines("end", 3, "0 0 1 1 *", "UTC", "4998-06-01T00:00:00Z", 5),
            [
                "end  4999-01-01 00:00 UTC  (4999-01-01T00:00:00Z)",
                "end  5000-01-01 00:00 UTC  (5000-01-01T00:00:00Z)",
            ]
        );
    }
}
