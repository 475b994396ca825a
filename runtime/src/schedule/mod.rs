//! Cron schedules and IANA time zones, as written in a manifest, and when
//! they fire. Pure: parsing, validation, firing times and their display.
//!
//! Firing times follow Vixie cron's rules for daylight saving time (see
//! [`Schedule::next_after`]), in the `firing` module; `warden next`'s lines
//! are built in `next`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

mod firing;
#[cfg(test)]
mod firing_tests;
mod next;

pub use next::next_lines;

/// A validated cron expression: five fields (minute hour day-of-month month
/// day-of-week, POSIX day-of-week 0–7 and names like `MON`, `JAN`), an
/// optional leading seconds field, or `@hourly`, `@daily`, `@weekly`,
/// `@monthly`, `@yearly`.
///
/// Parsed schedules are shared: every job with the same expression holds
/// the same one (croner's parsed form is about 5 KiB, mostly a bit per
/// year up to 5000, which adds up at thousands of jobs).
#[derive(Clone)]
pub struct Schedule(Arc<Parsed>);

struct Parsed {
    text: String,
    cron: Cron,
    /// Whether this is a fixed-time job in Vixie cron's sense; see
    /// [`Schedule::is_fixed_time`].
    fixed_time: bool,
    /// Whether the expression has a leading seconds field.
    seconds: bool,
}

/// The schedules parsed so far, by text, while some job holds them.
static PARSED: LazyLock<Mutex<HashMap<String, Weak<Parsed>>>> = LazyLock::new(Default::default);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression {text:?}: {reason}; write five fields \"minute hour day-of-month month day-of-week\", e.g. \"0 6 * * MON\", or @hourly, @daily, @weekly, @monthly, @yearly")]
pub struct ScheduleError {
    text: String,
    reason: String,
}

impl Schedule {
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    pub fn cron(&self) -> &Cron {
        &self.0.cron
    }

    /// Whether this is a *fixed-time* job, as Vixie cron tells them apart
    /// for daylight saving time: its seconds (if written), minute and hour
    /// fields name specific values (`30 2 * * *`, `0 9,17 * * *`,
    /// `0 1-3 * * *`, `@daily`). A field with `*` or a step `/`
    /// (`*/15 * * * *`, `0 * * * *`, `0 */2 * * *`, `@hourly`) makes it an
    /// *interval* job instead. The two differ only when a local time is
    /// skipped or repeated; see [`Schedule::next_after`].
    pub fn is_fixed_time(&self) -> bool {
        self.0.fixed_time
    }

    /// Whether the expression has a leading seconds field (six fields).
    pub fn has_seconds(&self) -> bool {
        self.0.seconds
    }
}

/// Reads the job type from the text as written (croner keeps no trace of
/// `*` in a field it has expanded, and its own `determine_job_type` calls a
/// list or a range an interval job, which Vixie cron does not).
fn is_fixed_time(text: &str) -> bool {
    let text = text.trim();
    if let Some(nickname) = text.strip_prefix('@') {
        return !nickname.eq_ignore_ascii_case("hourly");
    }
    let fields: Vec<&str> = text.split_whitespace().collect();
    let time_fields = if fields.len() == 6 {
        &fields[..3]
    } else {
        &fields[..fields.len().min(2)]
    };
    time_fields.iter().all(|f| !f.contains(['*', '/', '?']))
}

/// Names each field's numbers that are out of range, which croner reports
/// only as "Number out of bounds". Names (`MON`, `JAN`), `L`, `W` and `#`
/// are left to croner.
fn check_ranges(text: &str) -> Result<(), String> {
    const FIVE: [(&str, u32, u32); 5] = [
        ("minute", 0, 59),
        ("hour", 0, 23),
        ("day-of-month", 1, 31),
        ("month", 1, 12),
        ("day-of-week", 0, 7),
    ];
    let fields: Vec<&str> = text.split_whitespace().collect();
    let named: Vec<(&str, u32, u32)> = if fields.len() == 6 {
        std::iter::once(("second", 0, 59)).chain(FIVE).collect()
    } else {
        FIVE.to_vec()
    };
    for (field, (name, low, high)) in fields.iter().zip(named) {
        for item in field.split(',') {
            // The part before a step; a step itself only has to be a number.
            let range = item.split('/').next().unwrap_or("");
            let range = range.split('#').next().unwrap_or("");
            for number in range.split('-') {
                let Ok(n) = number.parse::<u32>() else {
                    continue;
                };
                if n < low || n > high {
                    return Err(format!("{name} {n} is out of range {low}-{high}"));
                }
            }
        }
    }
    Ok(())
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(text: &str) -> Result<Self, ScheduleError> {
        let mut parsed = PARSED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(shared) = parsed.get(text).and_then(Weak::upgrade) {
            return Ok(Schedule(shared));
        }
        let schedule = parse(text)?;
        if parsed.len() >= 1024 {
            parsed.retain(|_, weak| weak.strong_count() > 0);
        }
        parsed.insert(text.to_string(), Arc::downgrade(&schedule.0));
        Ok(schedule)
    }
}

fn parse(text: &str) -> Result<Schedule, ScheduleError> {
    {
        let err = |reason: String| ScheduleError {
            text: text.to_string(),
            reason,
        };
        let fields = text.split_whitespace().count();
        if !text.starts_with('@') && !(5..=6).contains(&fields) {
            return Err(err(format!("it has {fields} fields")));
        }
        if !text.starts_with('@') {
            check_ranges(text).map_err(err)?;
        }
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser.parse(text).map_err(|e| err(e.to_string()))?;
        // "0 0 30 2 *" parses but never fires.
        let start = chrono::DateTime::<chrono::Utc>::from_timestamp(0, 0).unwrap_or_default();
        cron.find_next_occurrence(&start, false)
            .map_err(|_| err("it never fires".to_string()))?;
        Ok(Schedule(Arc::new(Parsed {
            text: text.to_string(),
            cron,
            fixed_time: is_fixed_time(text),
            seconds: !text.trim().starts_with('@') && fields == 6,
        })))
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.0.text)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.0.text == other.0.text
    }
}

/// An IANA time zone name such as `America/New_York` or `UTC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}; write an IANA name such as \"UTC\", \"America/New_York\" or \"Europe/Amsterdam\"")]
pub struct TimeZoneError(String);

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::UTC);

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::UTC
    }
}

impl FromStr for TimeZone {
    type Err = TimeZoneError;

    fn from_str(text: &str) -> Result<Self, TimeZoneError> {
        text.parse::<chrono_tz::Tz>()
            .map(TimeZone)
            .map_err(|_| TimeZoneError(text.to_string()))
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

deserialize_from_str!(Schedule, TimeZone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_standard_cron() {
        for text in [
            "0 6 * * MON",
            "*/15 * * * *",
            "0 0 1 JAN *",
            "30 2 * * 0",
            "30 2 * * 7",
            "0 9 * * 1-5",
            "0 0 L * *",
            "0 0 * * 5#2",
            "0 0 15W * *",
            "@hourly",
            "@daily",
            "@weekly",
            "@monthly",
            "@yearly",
            "0 */5 * * * *",
        ] {
            assert!(text.parse::<Schedule>().is_ok(), "{text}");
        }
    }

    #[test]
    fn refuses_bad_cron_with_a_reason() {
        let e = |t: &str| t.parse::<Schedule>().unwrap_err().to_string();
        assert!(e("0 6 * *").contains("it has 4 fields"));
        assert!(e("0 6 * * * * *").contains("it has 7 fields"));
        assert!(e("61 * * * *").starts_with("invalid cron expression \"61 * * * *\""));
        assert!(e("61 * * * *").contains(": minute 61 is out of range 0-59;"));
        assert!(e("0 25 * * *").contains(": hour 25 is out of range 0-23;"));
        assert!(e("0 6 0 * *").contains(": day-of-month 0 is out of range 1-31;"));
        assert!(e("0 6 * 13 *").contains(": month 13 is out of range 1-12;"));
        assert!(e("0 6 * * 1-8").contains(": day-of-week 8 is out of range 0-7;"));
        assert!(e("60 0 6 * * *").contains(": second 60 is out of range 0-59;"));
        assert!(
            e("0 0 30 2 *").contains("never fires"),
            "{}",
            e("0 0 30 2 *")
        );
        assert!(e("0 6 * * FUNDAY").contains("invalid cron expression"));
        assert!(e("@fortnightly").contains("invalid cron expression"));
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            "America/New_York".parse::<TimeZone>().unwrap().to_string(),
            "America/New_York"
        );
        assert_eq!(TimeZone::default(), TimeZone::UTC);
        assert_eq!(
            "Mars/Olympus".parse::<TimeZone>().unwrap_err().to_string(),
            "unknown time zone \"Mars/Olympus\"; write an IANA name such as \"UTC\", \"America/New_York\" or \"Europe/Amsterdam\""
        );
    }
}
