//! Cron schedules and IANA time zones, as written in a manifest, and when
//! they fire. Pure: parsing, validation, firing times and their display.
//!
//! The fields are read as Vixie cron and cronie read them, in the `fields`
//! module. Firing times follow Vixie cron's rules for daylight saving time
//! (see [`Schedule::next_after`]), in the `firing` module; `warden next`'s
//! lines are built in `next`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

#[cfg(test)]
mod days_tests;
mod fields;
mod firing;
#[cfg(test)]
mod firing_tests;
mod next;

pub use fields::{Field, FieldError};
pub use next::next_lines;

/// A validated cron expression: five fields (minute hour day-of-month month
/// day-of-week, POSIX day-of-week 0–7 and names like `MON`, `JAN`), an
/// optional leading seconds field, or `@hourly`, `@daily`, `@weekly`,
/// `@monthly`, `@yearly`.
///
/// The fields mean what they mean in Vixie cron and cronie (see the
/// `fields` module): names are numbers before ranges are built (`SUN-SUN` is
/// Sundays only), and when day-of-month or day-of-week starts with `*` a day
/// must match both fields, otherwise either. Croner matches wall clock
/// times against the fields as read here.
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
#[error("invalid cron expression {text:?}: {reason}{tail}", tail = if matches!(reason, Reason::Nickname(_)) { "" } else { "; write five fields \"minute hour day-of-month month day-of-week\", e.g. \"0 6 * * MON\", or @hourly, @daily, @weekly, @monthly, @yearly" })]
pub struct ScheduleError {
    text: String,
    reason: Reason,
}

/// Why an expression is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("it has {0} fields")]
    FieldCount(usize),
    #[error("{0} is not a nickname cron knows (the nicknames are @hourly, @daily or @midnight, @weekly, @monthly, @yearly or @annually){hint}", hint = nickname_hint(.0))]
    Nickname(String),
    #[error(transparent)]
    Field(#[from] FieldError),
    /// An `L`, `W` or `#` item in a form Warden does not read.
    #[error("{0}")]
    Special(String),
    #[error("it never fires")]
    NeverFires,
}

impl ScheduleError {
    pub fn reason(&self) -> &Reason {
        &self.reason
    }
}

impl Schedule {
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    pub fn cron(&self) -> &Cron {
        &self.0.cron
    }

    /// The schedule in English words (croner's description of the fields
    /// as read), e.g. "At 06:30 on Monday through Friday".
    pub fn describe(&self) -> String {
        self.0.cron.describe()
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
    // Vixie cron's MIN_STAR / HR_STAR: a field that starts with `*`.
    time_fields.iter().all(|f| !f.starts_with(['*', '?']))
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
    let err = |reason: Reason| ScheduleError {
        text: text.to_string(),
        reason,
    };
    let trimmed = text.trim();
    let written = match trimmed.strip_prefix('@') {
        Some(nickname) => {
            nickname_fields(nickname).ok_or_else(|| err(Reason::Nickname(trimmed.to_string())))?
        }
        None => trimmed,
    };
    let fields: Vec<&str> = written.split_whitespace().collect();
    if !(5..=6).contains(&fields.len()) {
        return Err(err(Reason::FieldCount(fields.len())));
    }
    let normalized = fields::normalize(&fields).map_err(|e| err(Reason::Field(e)))?;
    let parser = CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .dom_and_dow(normalized.dom_and_dow)
        .build();
    let cron = parser
        .parse(&normalized.text)
        .map_err(|_| err(Reason::Special(explain_special(&fields))))?;
    // "0 0 30 2 *" parses but never fires.
    let start = chrono::DateTime::<chrono::Utc>::from_timestamp(0, 0).unwrap_or_default();
    cron.find_next_occurrence(&start, false)
        .map_err(|_| err(Reason::NeverFires))?;
    Ok(Schedule(Arc::new(Parsed {
        text: text.to_string(),
        cron,
        fixed_time: is_fixed_time(text),
        seconds: fields.len() == 6,
    })))
}

/// Why croner refused fields that passed [`fields::normalize`]: an `L`,
/// `W` or `#` item in a form it does not take, said in Warden's words.
fn explain_special(fields: &[&str]) -> String {
    let names = [
        "second",
        "minute",
        "hour",
        "day-of-month",
        "month",
        "day-of-week",
    ];
    let names = &names[6 - fields.len()..];
    for (field, name) in fields.iter().zip(names) {
        for item in field.split(',') {
            let upper = item.to_ascii_uppercase();
            if let Some(problem) = special_item(name, &upper) {
                return format!("{name} {item}: {problem}");
            }
        }
    }
    "an item with L, W or # is in a form Warden does not read; in day-of-month: L, LW or NW (15W); in day-of-week: DL (5L, the last Friday) or D#N (5#2, the second Friday)".into()
}

/// What is wrong with one upper-cased item of a field, if it is an `L`,
/// `W` or `#` item Warden does not read.
fn special_item(field: &str, item: &str) -> Option<&'static str> {
    let dom = field == "day-of-month";
    let dow = field == "day-of-week";
    if item.contains('#') {
        if !dow {
            return Some("# is allowed only in day-of-week (D#N, e.g. 5#2 for the second Friday)");
        }
        let (_, n) = item.split_once('#')?;
        return match n.parse::<u8>() {
            Err(_) => Some("write D#N, e.g. 5#2 (the second Friday of the month)"),
            Ok(1..=5) => None,
            Ok(_) => Some("in D#N, N counts that weekday in the month, 1 to 5"),
        };
    }
    if item.contains('W') && !item.starts_with("WED") && !dow {
        if !dom {
            return Some("W is allowed only in day-of-month (NW, e.g. 15W)");
        }
        let n = item.strip_suffix('W')?;
        if n == "L" || n.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d)) {
            return None;
        }
        return Some("write NW, e.g. 15W (the weekday nearest the 15th), or LW");
    }
    if item.contains('L') && !item.starts_with("JUL") {
        if dom {
            if item == "L" || item == "LW" {
                return None;
            }
            if item.starts_with('L') {
                return Some("L does not take a range or an offset; the forms are L, LW and NW");
            }
            return Some("L here means the last day of the month; 5L (the last Friday) belongs in day-of-week");
        }
        if dow {
            return None;
        }
        return Some("L is allowed only in day-of-month (the last day) and day-of-week (5L, the last Friday)");
    }
    None
}

/// Vixie cron's nicknames (any case) and the fields they stand for.
const NICKNAMES: [(&str, &str); 7] = [
    ("yearly", "0 0 1 1 *"),
    ("annually", "0 0 1 1 *"),
    ("monthly", "0 0 1 * *"),
    ("weekly", "0 0 * * 0"),
    ("daily", "0 0 * * *"),
    ("midnight", "0 0 * * *"),
    ("hourly", "0 * * * *"),
];

/// The fields a nickname stands for (any case), as in Vixie cron.
fn nickname_fields(nickname: &str) -> Option<&'static str> {
    NICKNAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(nickname))
        .map(|(_, fields)| *fields)
}

/// What to write instead of a nickname cron does not have.
fn nickname_hint(written: &str) -> String {
    let name = written.trim_start_matches('@').to_ascii_lowercase();
    let fields = match name.as_str() {
        "weekdays" | "weekday" | "workdays" => Some("0 0 * * MON-FRI"),
        "weekends" | "weekend" => Some("0 0 * * SAT,SUN"),
        "minutely" | "everyminute" => Some("* * * * *"),
        "quarterly" => Some("0 0 1 JAN,APR,JUL,OCT *"),
        _ => None,
    };
    if let Some(fields) = fields {
        return format!("; for {written} write the fields, e.g. \"{fields}\" (midnight; change the first two fields for another time)");
    }
    if name == "reboot" {
        return "; @reboot has no meaning for Warden, which runs jobs on a clock: use `warden run` at boot instead".into();
    }
    match crate::suggest::closest(&name, NICKNAMES.iter().map(|(n, _)| *n)) {
        Some(close) => format!("; did you mean @{close}?"),
        None => String::new(),
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
#[error("unknown time zone {text:?}{}; write an IANA name such as \"UTC\", \"America/New_York\" or \"Europe/Amsterdam\"", suggestion.as_ref().map(|s| format!("; did you mean {s:?}?")).unwrap_or_default())]
pub struct TimeZoneError {
    text: String,
    suggestion: Option<String>,
}

impl TimeZoneError {
    fn new(text: &str) -> TimeZoneError {
        let names = || chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        // What people call the North American zones.
        const SPOKEN: [(&str, &str); 6] = [
            ("eastern", "America/New_York"),
            ("central", "America/Chicago"),
            ("mountain", "America/Denver"),
            ("pacific", "America/Los_Angeles"),
            ("alaska", "America/Anchorage"),
            ("hawaii", "Pacific/Honolulu"),
        ];
        let spoken = text
            .trim()
            .to_ascii_lowercase()
            .trim_end_matches(" time")
            .to_string();
        let spoken = SPOKEN.iter().find(|(k, _)| *k == spoken).map(|(_, v)| *v);
        // The whole name, else the city alone ("NewYork").
        let suggestion = spoken
            .or_else(|| crate::suggest::closest(text, names()))
            .or_else(|| {
                let city = text.rsplit('/').next().unwrap_or(text);
                names().find(|name| {
                    let last = name.rsplit('/').next().unwrap_or(name);
                    crate::suggest::closest(city, [last]).is_some()
                })
            });
        TimeZoneError {
            text: text.to_string(),
            suggestion: suggestion.map(str::to_string),
        }
    }

    /// The IANA name the text was probably meant to be.
    pub fn suggestion(&self) -> Option<&str> {
        self.suggestion.as_deref()
    }
}

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
            .map_err(|_| TimeZoneError::new(text))
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
            "5/15 * * * *",
            "0 0 * * SUN-SUN",
            "0 0 * * FRI-SUN",
            "0 0 1 JAN-MAR *",
            "0 0 ? * MON",
            "@annually",
            "@Daily",
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
        assert!(e("0 6 * * FUNDAY")
            .contains(": day-of-week \"FUNDAY\" is not a number 0-7 or a name SUN-SAT;"));
        assert!(e("0 6 MON * *").contains(": day-of-month \"MON\" is not a number 1-31;"));
        assert!(
            e("*/0 * * * *").contains(": minute \"*/0\" has a step that is not a number from 1;")
        );
        assert!(e("0 0 * * SAT-MON").contains(": day-of-week range \"SAT-MON\" runs backwards"));
        assert_eq!(
            e("@fortnightly"),
            "invalid cron expression \"@fortnightly\": @fortnightly is not a nickname cron knows (the nicknames are @hourly, @daily or @midnight, @weekly, @monthly, @yearly or @annually)"
        );
        assert!(e("@weekdays").ends_with("for @weekdays write the fields, e.g. \"0 0 * * MON-FRI\" (midnight; change the first two fields for another time)"));
        assert!(e("@Hourli").ends_with("; did you mean @hourly?"));
        assert!(e("@reboot").contains("@reboot has no meaning for Warden"));
        assert_eq!(
            "@midnight"
                .parse::<Schedule>()
                .unwrap()
                .cron()
                .pattern
                .to_string(),
            "@daily"
                .parse::<Schedule>()
                .unwrap()
                .cron()
                .pattern
                .to_string()
        );
        assert_eq!(
            "0 0 30 2 *".parse::<Schedule>().unwrap_err().reason(),
            &Reason::NeverFires
        );
        assert!(matches!(
            "0 6 * * 9".parse::<Schedule>().unwrap_err().reason(),
            Reason::Field(FieldError::OutOfRange {
                field: Field::DayOfWeek,
                value: 9,
                ..
            })
        ));
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
