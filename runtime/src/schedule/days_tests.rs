//! Which days and times a schedule fires on, as Vixie cron and cronie read
//! the fields: name ranges, the day-of-month/day-of-week rule, `N/step`;
//! tables at fixed dates and a comparison of the day rule with a brute-force
//! reference over random expressions.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike as _, NaiveDate, TimeDelta, Timelike as _, Utc};

use super::{Reason, Schedule, TimeZone};

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The first `n` firings after `after`, in UTC, as `Sat 2024-06-15 16:00`.
fn firings(cron: &str, after: &str, n: usize) -> Vec<String> {
    let s: Schedule = cron.parse().unwrap_or_else(|e| panic!("{cron}: {e}"));
    s.upcoming(utc(after), TimeZone::UTC, n)
        .into_iter()
        .map(|t| t.format("%a %F %H:%M:%S").to_string())
        .collect()
}

/// The weekdays of the first `n` daily firings from Monday 2024-06-03.
fn weekdays(cron: &str, n: usize) -> Vec<String> {
    firings(cron, "2024-06-02T12:00:00Z", n)
        .into_iter()
        .map(|f| f[..3].to_string())
        .collect()
}

// --- Name ranges: names become numbers first -------------------------------

#[test]
fn sun_sun_is_sundays_only() {
    assert_eq!(
        firings("0 0 * * SUN-SUN", "2024-06-02T12:00:00Z", 3),
        [
            "Sun 2024-06-09 00:00:00",
            "Sun 2024-06-16 00:00:00",
            "Sun 2024-06-23 00:00:00"
        ]
    );
    for sundays in [
        "0 0 * * sun-sun",
        "0 0 * * 0-0",
        "0 0 * * 7-7",
        "0 0 * * 7-SUN",
    ] {
        assert_eq!(weekdays(sundays, 2), ["Sun", "Sun"], "{sundays}");
    }
}

#[test]
fn day_name_ranges() {
    let week = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mon"];
    for every_day in [
        "0 0 * * SUN-SAT",
        "0 0 * * MON-SUN",
        "0 0 * * 0-7",
        "0 0 * * SUN-7",
        "0 0 * * 1-7",
    ] {
        assert_eq!(weekdays(every_day, 8), week, "{every_day}");
    }
    // A range ending on Sunday runs to 7, as cronie reads it.
    for fri_to_sun in [
        "0 0 * * FRI-SUN",
        "0 0 * * 5-7",
        "0 0 * * 5-0",
        "0 0 * * fri-sun",
    ] {
        assert_eq!(
            weekdays(fri_to_sun, 4),
            ["Fri", "Sat", "Sun", "Fri"],
            "{fri_to_sun}"
        );
    }
    for weekend in ["0 0 * * SAT-SUN", "0 0 * * 6-7", "0 0 * * SAT,SUN"] {
        assert_eq!(weekdays(weekend, 3), ["Sat", "Sun", "Sat"], "{weekend}");
    }
    assert_eq!(
        weekdays("0 0 * * MON-FRI", 6),
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    );
    assert_eq!(weekdays("0 0 * * TUE-THU/2", 3), ["Tue", "Thu", "Tue"]);
}

#[test]
fn month_name_ranges() {
    assert_eq!(
        firings("0 0 1 JAN-MAR *", "2024-06-02T12:00:00Z", 4),
        [
            "Wed 2025-01-01 00:00:00",
            "Sat 2025-02-01 00:00:00",
            "Sat 2025-03-01 00:00:00",
            "Thu 2026-01-01 00:00:00"
        ]
    );
    assert_eq!(
        firings("0 0 1 nov-dec *", "2024-06-02T12:00:00Z", 3),
        [
            "Fri 2024-11-01 00:00:00",
            "Sun 2024-12-01 00:00:00",
            "Sat 2025-11-01 00:00:00"
        ]
    );
    assert_eq!(
        firings("0 0 1 DEC-DEC *", "2024-06-02T12:00:00Z", 2),
        ["Sun 2024-12-01 00:00:00", "Mon 2025-12-01 00:00:00"]
    );
    assert_eq!(
        firings("0 0 1 JAN-DEC *", "2024-06-02T12:00:00Z", 2),
        ["Mon 2024-07-01 00:00:00", "Thu 2024-08-01 00:00:00"]
    );
}

#[test]
fn backwards_ranges_are_refused_naming_the_field() {
    let e = |t: &str| t.parse::<Schedule>().unwrap_err();
    for (text, reason) in [
        (
            "0 0 * * SAT-MON",
            "day-of-week range \"SAT-MON\" runs backwards (6 to 1), which cron refuses; to wrap around write \"SAT,SUN-MON\"",
        ),
        (
            "0 0 * * FRI-SUN/2",
            "day-of-week range \"FRI-SUN/2\" runs backwards (5 to 0), which cron refuses; to wrap around write \"FRI-SAT/2,SUN\"",
        ),
        (
            "0 0 1 NOV-FEB *",
            "month range \"NOV-FEB\" runs backwards (11 to 2), which cron refuses; to wrap around write \"NOV-DEC,JAN-FEB\"",
        ),
        (
            "0 22-2 * * *",
            "hour range \"22-2\" runs backwards (22 to 2), which cron refuses; to wrap around write \"22-23,0-2\"",
        ),
    ] {
        let error = e(text);
        assert!(matches!(error.reason(), Reason::Field(_)), "{text}");
        assert_eq!(error.reason().to_string(), reason);
        assert!(
            error
                .to_string()
                .starts_with(&format!("invalid cron expression {text:?}: {reason}; ")),
            "{error}"
        );
    }
}

// --- Day of month and day of week -------------------------------------------

#[test]
fn a_day_field_starting_with_a_star_makes_both_fields_count() {
    // June 2024: Saturdays 1, 8, 15, 22, 29; July: 6, 13, 20, 27.
    assert_eq!(
        firings("0 16 */2 * SAT", "2024-06-02T12:00:00Z", 4),
        [
            "Sat 2024-06-15 16:00:00",
            "Sat 2024-06-29 16:00:00",
            "Sat 2024-07-13 16:00:00",
            "Sat 2024-07-27 16:00:00"
        ]
    );
    // The 13th on a Sunday, Tuesday, Thursday or Saturday.
    assert_eq!(
        firings("0 0 13 * */2", "2024-06-02T12:00:00Z", 4),
        [
            "Thu 2024-06-13 00:00:00",
            "Sat 2024-07-13 00:00:00",
            "Tue 2024-08-13 00:00:00",
            "Sun 2024-10-13 00:00:00"
        ]
    );
    assert_eq!(
        firings("0 0 ? * FRI", "2024-06-02T12:00:00Z", 2),
        ["Fri 2024-06-07 00:00:00", "Fri 2024-06-14 00:00:00"]
    );
    assert_eq!(
        firings("0 0 *,13 * FRI", "2024-06-02T12:00:00Z", 2),
        ["Fri 2024-06-07 00:00:00", "Fri 2024-06-14 00:00:00"]
    );
    assert_eq!(
        firings("@weekly", "2024-06-02T12:00:00Z", 2),
        ["Sun 2024-06-09 00:00:00", "Sun 2024-06-16 00:00:00"]
    );
    assert_eq!(
        firings("@monthly", "2024-06-02T12:00:00Z", 2),
        ["Mon 2024-07-01 00:00:00", "Thu 2024-08-01 00:00:00"]
    );
}

#[test]
fn two_restricted_day_fields_either_may_match() {
    // Odd days, and Saturday the 8th.
    assert_eq!(
        firings("0 16 1-31/2 * SAT", "2024-06-02T12:00:00Z", 5),
        [
            "Mon 2024-06-03 16:00:00",
            "Wed 2024-06-05 16:00:00",
            "Fri 2024-06-07 16:00:00",
            "Sat 2024-06-08 16:00:00",
            "Sun 2024-06-09 16:00:00"
        ]
    );
    // `1-31` matches every day as `*` does, but does not start with `*`.
    assert_eq!(weekdays("0 0 1-31 * SUN", 3), ["Mon", "Tue", "Wed"]);
    // A list whose first item is not `*` does not count as `*`: the 13th,
    // a Thursday, and Sundays, Wednesdays, Fridays and Saturdays.
    assert_eq!(
        firings("0 0 13 * 5,*/3", "2024-06-08T12:00:00Z", 4),
        [
            "Sun 2024-06-09 00:00:00",
            "Wed 2024-06-12 00:00:00",
            "Thu 2024-06-13 00:00:00",
            "Fri 2024-06-14 00:00:00"
        ]
    );
    assert_eq!(
        firings("0 0 13 * FRI", "2024-09-01T00:00:00Z", 3),
        [
            "Fri 2024-09-06 00:00:00",
            "Fri 2024-09-13 00:00:00",
            "Fri 2024-09-20 00:00:00"
        ]
    );
}

// --- N/step ----------------------------------------------------------------

#[test]
fn n_slash_step_is_n_to_the_highest_value() {
    assert_eq!(
        firings("5/15 * * * *", "2024-06-03T00:00:00Z", 5),
        [
            "Mon 2024-06-03 00:05:00",
            "Mon 2024-06-03 00:20:00",
            "Mon 2024-06-03 00:35:00",
            "Mon 2024-06-03 00:50:00",
            "Mon 2024-06-03 01:05:00"
        ]
    );
    assert_eq!(
        firings("5/15 * * * *", "2024-06-03T00:00:00Z", 9),
        firings("5-59/15 * * * *", "2024-06-03T00:00:00Z", 9)
    );
    assert_eq!(
        firings("0 3/6 * * *", "2024-06-03T00:00:00Z", 5),
        [
            "Mon 2024-06-03 03:00:00",
            "Mon 2024-06-03 09:00:00",
            "Mon 2024-06-03 15:00:00",
            "Mon 2024-06-03 21:00:00",
            "Tue 2024-06-04 03:00:00"
        ]
    );
    assert_eq!(
        firings("0 0 25/5 * *", "2024-06-03T00:00:00Z", 3),
        [
            "Tue 2024-06-25 00:00:00",
            "Sun 2024-06-30 00:00:00",
            "Thu 2024-07-25 00:00:00"
        ]
    );
    assert_eq!(
        firings("0 0 1 10/2 *", "2024-06-03T00:00:00Z", 3),
        [
            "Tue 2024-10-01 00:00:00",
            "Sun 2024-12-01 00:00:00",
            "Wed 2025-10-01 00:00:00"
        ]
    );
    // Day-of-week runs to 7, Sunday.
    assert_eq!(weekdays("0 0 * * 4/2", 3), ["Thu", "Sat", "Thu"]);
    assert_eq!(weekdays("0 0 * * FRI/2", 3), ["Fri", "Sun", "Fri"]);
    assert_eq!(
        firings("10/20 * * * * *", "2024-06-03T00:00:00Z", 4),
        [
            "Mon 2024-06-03 00:00:10",
            "Mon 2024-06-03 00:00:30",
            "Mon 2024-06-03 00:00:50",
            "Mon 2024-06-03 00:01:10"
        ]
    );
}

// --- The day rule against a brute-force reference ----------------------------

/// A random day-of-month, month or day-of-week field and the values it
/// stands for, built from the written forms (numbers, names, `7` for
/// Sunday, ranges, steps, `N/step`, `*`, lists).
fn random_field(
    rng: &mut fastrand::Rng,
    low: u32,
    high: u32,
    names: &[&str],
) -> (String, BTreeSet<u32>) {
    let dow = high == 7;
    let top = if dow { 6 } else { high };
    // Sunday as 7 only as a single value (`0-7` is every day, `7-3` backwards).
    let write = |rng: &mut fastrand::Rng, v: u32, alone: bool| -> String {
        if dow && v == 0 && alone && rng.bool() {
            return "7".to_string();
        }
        match names.get((v - low) as usize) {
            Some(name) if rng.u8(0..3) == 0 => {
                if rng.bool() {
                    name.to_string()
                } else {
                    name.to_ascii_lowercase()
                }
            }
            _ => v.to_string(),
        }
    };
    if rng.u8(0..5) == 0 {
        return ("*".to_string(), (low..=top).collect());
    }
    let mut items = Vec::new();
    let mut values = BTreeSet::new();
    for _ in 0..rng.usize(1..=3) {
        let (item, set): (String, Vec<u32>) = match rng.u8(0..6) {
            0 => {
                let v = rng.u32(low..=top);
                (write(rng, v, true), vec![v])
            }
            1 => {
                let a = rng.u32(low..=top);
                let b = rng.u32(a..=top);
                (
                    format!("{}-{}", write(rng, a, false), write(rng, b, false)),
                    (a..=b).collect(),
                )
            }
            2 => {
                let a = rng.u32(low..=top);
                let b = rng.u32(a..=top);
                let s = rng.u32(1..=4);
                (
                    format!("{}-{}/{s}", write(rng, a, false), write(rng, b, false)),
                    (a..=b).step_by(s as usize).collect(),
                )
            }
            3 => {
                let a = rng.u32(low..=top);
                let s = rng.u32(1..=9);
                (
                    format!("{}/{s}", write(rng, a, false)),
                    (a..=high).step_by(s as usize).collect(),
                )
            }
            4 => {
                let s = rng.u32(1..=9);
                (format!("*/{s}"), (low..=high).step_by(s as usize).collect())
            }
            _ if dow => {
                // A range ending on Sunday, carried to 7.
                let a = rng.u32(1..=6);
                (
                    format!(
                        "{}-{}",
                        write(rng, a, false),
                        if rng.bool() { "SUN" } else { "0" }
                    ),
                    (a..=7).collect(),
                )
            }
            _ => {
                let v = rng.u32(low..=top);
                (write(rng, v, true), vec![v])
            }
        };
        items.push(item);
        values.extend(set.into_iter().map(|v| if dow && v == 7 { 0 } else { v }));
    }
    (items.join(","), values)
}

/// Whether the reference fires on `day`, straight from Vixie cron's
/// `cron.c`: both day fields must match when either starts with `*`,
/// otherwise one is enough.
fn reference_day(
    day: NaiveDate,
    (dom_text, dom): &(String, BTreeSet<u32>),
    months: &BTreeSet<u32>,
    (dow_text, dow): &(String, BTreeSet<u32>),
) -> bool {
    let dom_match = dom.contains(&day.day());
    let dow_match = dow.contains(&day.weekday().num_days_from_sunday());
    let star = dom_text.starts_with('*') || dow_text.starts_with('*');
    months.contains(&day.month())
        && if star {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
}

#[test]
fn the_day_rule_agrees_with_a_brute_force_reference() {
    let mut rng = fastrand::Rng::with_seed(0xd0d0);
    let (mut checked, mut firings_seen, mut and_cases, mut or_cases) = (0, 0, 0, 0);
    for _ in 0..400 {
        let dom = random_field(&mut rng, 1, 31, &[]);
        let month = random_field(
            &mut rng,
            1,
            12,
            &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
        );
        let dow = random_field(
            &mut rng,
            0,
            7,
            &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
        );
        let (minute, hour) = (rng.u32(0..60), rng.u32(0..24));
        let text = format!("{minute} {hour} {} {} {}", dom.0, month.0, dow.0);
        // Two years from a random start: every day in it is checked.
        let start = NaiveDate::from_ymd_opt(rng.i32(2020..2040), 1, 1).unwrap();
        let end = start + TimeDelta::days(731);
        let want: Vec<DateTime<Utc>> = start
            .iter_days()
            .take_while(|d| *d < end)
            .filter(|d| reference_day(*d, &dom, &month.1, &dow))
            .map(|d| d.and_hms_opt(hour, minute, 0).unwrap().and_utc())
            .collect();
        let schedule = match text.parse::<Schedule>() {
            Ok(s) => s,
            // Some combinations never fire (`0 0 30 FEB *`).
            Err(e) if *e.reason() == Reason::NeverFires => {
                assert!(
                    want.is_empty(),
                    "{text}: refused as never firing, but fires {want:?}"
                );
                continue;
            }
            Err(e) => panic!("{text}: {e}"),
        };
        let from = start.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::seconds(1);
        let end = end.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let got: Vec<DateTime<Utc>> = schedule
            .firings_after(from, TimeZone::UTC)
            .take_while(|t| *t < end)
            .collect();
        assert_eq!(got, want, "{text} from {start}");
        assert!(got.iter().all(|t| t.hour() == hour && t.minute() == minute));
        if dom.0.starts_with('*') || dow.0.starts_with('*') {
            and_cases += 1;
        } else {
            or_cases += 1;
        }
        checked += 1;
        firings_seen += got.len();
    }
    assert!(checked > 300, "{checked}");
    assert!(
        and_cases > 50 && or_cases > 50,
        "{and_cases} AND, {or_cases} OR"
    );
    assert!(firings_seen > 10_000, "{firings_seen}");
}
