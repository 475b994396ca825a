//! The fields of a cron expression, read the way Vixie cron and cronie read
//! them (`entry.c`): names become numbers first, then each range and step is
//! expanded into the set of values the field matches. Croner is handed that
//! set written out as a list, so its own reading of names, ranges and steps
//! never decides when a job runs. Pure.
//!
//! - Names map to numbers before ranges are built: `SUN` is 0, so `SUN-SUN`
//!   is Sundays only and `SUN-SAT` every day. `7` is Sunday too (`5-7`).
//! - A range runs upwards; one that runs backwards is refused, naming the
//!   field and the wrap-around to write instead, except that a day-of-week
//!   range ending on Sunday runs to 7 (`FRI-SUN` is Friday to Sunday), as
//!   cronie reads it.
//! - `N/step` is `N-max/step` (`5/15` is minutes 5, 20, 35, 50), as FreeBSD
//!   cron reads it; Vixie cron and cronie refuse it.
//! - `L`, `W` and `#` (croner extensions) are passed on to croner, with a
//!   day name before `#` or `L` turned into its number.
//!
//! Which rule combines day-of-month and day-of-week follows from the text as
//! written: [`Normalized::dom_and_dow`].

use std::fmt;

/// A field of a cron expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Field {
    /// The fields of a five-field expression, in order.
    pub const FIVE: [Field; 5] = [
        Field::Minute,
        Field::Hour,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
    ];

    /// The lowest and highest value (day-of-week 7 is Sunday, like 0).
    pub fn bounds(self) -> (u32, u32) {
        match self {
            Field::Second | Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (0, 7),
        }
    }

    /// The names of the values, the first one being the lowest value.
    fn names(self) -> &'static [&'static str] {
        match self {
            Field::Month => &MONTHS,
            Field::DayOfWeek => &DAYS,
            _ => &[],
        }
    }

    /// The highest value a wrapped-around range is split at: Saturday for
    /// day-of-week (7 is Sunday again).
    fn wrap_high(self) -> u32 {
        match self {
            Field::DayOfWeek => 6,
            _ => self.bounds().1,
        }
    }

    /// What a value of this field may be written as.
    fn expected(self) -> String {
        let (low, high) = self.bounds();
        match self.names() {
            [] => format!("a number {low}-{high}"),
            names => format!(
                "a number {low}-{high} or a name {}-{}",
                names[0],
                names[names.len() - 1]
            ),
        }
    }

    /// Whether `?` may stand for `*` (a croner extension, in the day fields).
    fn is_day(self) -> bool {
        matches!(self, Field::DayOfMonth | Field::DayOfWeek)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Second => "second",
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
        })
    }
}

/// Why a field is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("{field} {value} is out of range {low}-{high}")]
    OutOfRange {
        field: Field,
        value: u32,
        low: u32,
        high: u32,
    },
    #[error("{field} {text:?} is not {}", .field.expected())]
    NotAValue { field: Field, text: String },
    #[error("{field} {item:?} has a step that is not a number from 1")]
    BadStep { field: Field, item: String },
    #[error("{field} {text:?} has an empty item between commas")]
    EmptyItem { field: Field, text: String },
    #[error("{field} range {item:?} runs backwards ({from} to {to}), which cron refuses; to wrap around write {suggestion:?}")]
    Backwards {
        field: Field,
        item: String,
        from: u32,
        to: u32,
        suggestion: String,
    },
}

/// An expression's fields as croner is to read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The fields, space-separated: `*`, or the matching values as a list,
    /// followed by any `L`, `W` or `#` items.
    pub text: String,
    /// Vixie cron's day rule: when day-of-month or day-of-week starts with
    /// `*` (`*`, `*/2`; also croner's `?`), a day must match both; when
    /// neither does, either (`0 0 13 * FRI` runs on every 13th and every
    /// Friday, `0 16 */2 * SAT` only on Saturdays that are odd days).
    pub dom_and_dow: bool,
}

/// Reads the five or six fields of an expression (a leading seconds field
/// when six).
pub fn normalize(fields: &[&str]) -> Result<Normalized, FieldError> {
    let named: Vec<Field> = if fields.len() == 6 {
        std::iter::once(Field::Second).chain(Field::FIVE).collect()
    } else {
        Field::FIVE.to_vec()
    };
    let mut out = Vec::with_capacity(fields.len());
    let mut day_star = false;
    for (&text, field) in fields.iter().zip(named) {
        if field.is_day() && text.starts_with(['*', '?']) {
            day_star = true;
        }
        out.push(expand(field, text)?);
    }
    Ok(Normalized {
        text: out.join(" "),
        dom_and_dow: day_star,
    })
}

/// One field written out: `*`, or its values and special items as a list.
pub fn expand(field: Field, text: &str) -> Result<String, FieldError> {
    if text == "*" || (field.is_day() && text == "?") {
        return Ok("*".to_string());
    }
    let mut values = 0u64;
    let mut specials = Vec::new();
    for item in text.split(',') {
        if item.is_empty() {
            return Err(FieldError::EmptyItem {
                field,
                text: text.to_string(),
            });
        }
        match special(field, item)? {
            Some(special) => specials.push(special),
            None => values |= range(field, item)?,
        }
    }
    let (low, high) = field.bounds();
    let mut list: Vec<String> = (low..=high)
        .filter(|v| values & (1 << v) != 0)
        .map(|v| v.to_string())
        .collect();
    list.extend(specials);
    Ok(list.join(","))
}

/// The values of one item without `L`, `W` or `#`, as bits.
fn range(field: Field, item: &str) -> Result<u64, FieldError> {
    let (low, high) = field.bounds();
    let (span, step) = match item.split_once('/') {
        Some((span, step)) => {
            let step = step
                .parse::<u32>()
                .ok()
                .filter(|&s| s > 0 && step.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| FieldError::BadStep {
                    field,
                    item: item.to_string(),
                })?;
            (span, Some(step))
        }
        None => (item, None),
    };
    let (from, to) = if span == "*" || (field.is_day() && span == "?") {
        (low, high)
    } else if let Some((a, b)) = span.split_once('-') {
        if a.is_empty() || b.is_empty() {
            return Err(FieldError::NotAValue {
                field,
                text: item.to_string(),
            });
        }
        let (from, to) = (value(field, a)?, value(field, b)?);
        if from <= to {
            (from, to)
        } else if field == Field::DayOfWeek && to == 0 && step.is_none() {
            // cronie: a day-of-week range ending on Sunday ends on 7.
            (from, 7)
        } else {
            return Err(FieldError::Backwards {
                field,
                item: item.to_string(),
                from,
                to,
                suggestion: wrapped(field, a, b, from, to, step),
            });
        }
    } else {
        let from = value(field, span)?;
        // `N/step` runs to the field's highest value.
        (from, if step.is_some() { high } else { from })
    };
    let step = step.unwrap_or(1);
    let mut bits = 0u64;
    let mut v = from;
    while v <= to {
        bits |= 1 << v;
        v += step;
    }
    Ok(bits)
}

/// A number, or a name of this field's values (any case).
fn value(field: Field, text: &str) -> Result<u32, FieldError> {
    let (low, high) = field.bounds();
    let not_a_value = || FieldError::NotAValue {
        field,
        text: text.to_string(),
    };
    let v = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u32>().map_err(|_| not_a_value())?
    } else {
        let index = field
            .names()
            .iter()
            .position(|n| n.eq_ignore_ascii_case(text))
            .ok_or_else(not_a_value)?;
        low + index as u32
    };
    if v < low || v > high {
        return Err(FieldError::OutOfRange {
            field,
            value: v,
            low,
            high,
        });
    }
    Ok(v)
}

/// The wrap-around for a backwards range, in the spelling of its ends:
/// `NOV-FEB` → `NOV-DEC,JAN-FEB`, `22-2` → `22-23,0-2`, `SAT-MON` →
/// `SAT,SUN-MON`.
fn wrapped(field: Field, a: &str, b: &str, from: u32, to: u32, step: Option<u32>) -> String {
    let (low, _) = field.bounds();
    let high = field.wrap_high();
    let names = !a.bytes().all(|c| c.is_ascii_digit()) || !b.bytes().all(|c| c.is_ascii_digit());
    let show = |v: u32| match field.names().get((v - low) as usize) {
        Some(name) if names => name.to_string(),
        _ => v.to_string(),
    };
    let part = |from: u32, to: u32| match (from == to, step) {
        (true, _) => show(from),
        (false, None) => format!("{}-{}", show(from), show(to)),
        (false, Some(step)) => format!("{}-{}/{step}", show(from), show(to)),
    };
    // Day-of-week 7 is Sunday: `7-3` is simply `0-3`.
    if field == Field::DayOfWeek && from == 7 {
        return part(0, to);
    }
    format!("{},{}", part(from, high), part(low, to))
}

/// An item with `L`, `W` or `#` where the field allows them, upper-cased,
/// a day name before `#` or `L` turned into its number; `None` for any
/// other item.
fn special(field: Field, item: &str) -> Result<Option<String>, FieldError> {
    let upper = item.to_ascii_uppercase();
    let is_special = match field {
        Field::DayOfMonth => upper.contains(['L', 'W']),
        Field::DayOfWeek => upper.contains('#') || upper.ends_with('L'),
        _ => false,
    };
    if !is_special {
        return Ok(None);
    }
    let (head, tail) = match upper.find(['#', 'L', 'W']) {
        Some(at) => upper.split_at(at),
        None => (upper.as_str(), ""),
    };
    if head.is_empty() {
        return Ok(Some(upper.clone()));
    }
    let head = value(field, head)?;
    Ok(Some(format!("{head}{tail}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dow(text: &str) -> Result<String, FieldError> {
        expand(Field::DayOfWeek, text)
    }

    #[test]
    fn day_names_become_numbers_before_ranges() {
        for (text, values) in [
            ("SUN-SUN", "0"),
            ("sun-sun", "0"),
            ("SUN", "0"),
            ("7", "7"),
            ("7-7", "7"),
            ("SUN-SAT", "0,1,2,3,4,5,6"),
            ("MON-FRI", "1,2,3,4,5"),
            ("MON-SUN", "1,2,3,4,5,6,7"),
            ("FRI-SUN", "5,6,7"),
            ("SAT-SUN", "6,7"),
            ("5-0", "5,6,7"),
            ("5-7", "5,6,7"),
            ("0-7", "0,1,2,3,4,5,6,7"),
            ("SUN-7", "0,1,2,3,4,5,6,7"),
            ("MON,WED-FRI", "1,3,4,5"),
            ("*/2", "0,2,4,6"),
            ("MON-FRI/2", "1,3,5"),
        ] {
            assert_eq!(dow(text).as_deref(), Ok(values), "{text}");
        }
    }

    #[test]
    fn month_names_become_numbers_before_ranges() {
        let month = |t: &str| expand(Field::Month, t);
        assert_eq!(month("JAN-DEC").unwrap(), "1,2,3,4,5,6,7,8,9,10,11,12");
        assert_eq!(month("jan-mar").unwrap(), "1,2,3");
        assert_eq!(month("DEC-DEC").unwrap(), "12");
        assert_eq!(month("NOV-DEC").unwrap(), "11,12");
        assert_eq!(month("JUN,AUG").unwrap(), "6,8");
        assert_eq!(month("FEB-SEP/3").unwrap(), "2,5,8");
    }

    #[test]
    fn a_backwards_range_is_refused_with_its_wrap_around() {
        let backwards = |field: Field, text: &str| match expand(field, text) {
            Err(e @ FieldError::Backwards { .. }) => e.to_string(),
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            backwards(Field::Month, "NOV-FEB"),
            "month range \"NOV-FEB\" runs backwards (11 to 2), which cron refuses; to wrap around write \"NOV-DEC,JAN-FEB\""
        );
        assert_eq!(
            backwards(Field::Month, "DEC-JAN"),
            "month range \"DEC-JAN\" runs backwards (12 to 1), which cron refuses; to wrap around write \"DEC,JAN\""
        );
        assert_eq!(
            backwards(Field::DayOfWeek, "SAT-MON"),
            "day-of-week range \"SAT-MON\" runs backwards (6 to 1), which cron refuses; to wrap around write \"SAT,SUN-MON\""
        );
        assert!(backwards(Field::DayOfWeek, "THU-TUE").ends_with("write \"THU-SAT,SUN-TUE\""));
        assert!(backwards(Field::DayOfWeek, "5-2").ends_with("write \"5-6,0-2\""));
        assert!(backwards(Field::DayOfWeek, "7-3").ends_with("write \"0-3\""));
        // With a step, a range ending on Sunday is not carried to 7.
        assert!(backwards(Field::DayOfWeek, "FRI-SUN/2").ends_with("write \"FRI-SAT/2,SUN\""));
        assert!(backwards(Field::Hour, "22-2").ends_with("write \"22-23,0-2\""));
        assert!(backwards(Field::Minute, "50-10/5").ends_with("write \"50-59/5,0-10/5\""));
        assert!(backwards(Field::Minute, "5-0").ends_with("write \"5-59,0\""));
        assert!(backwards(Field::DayOfMonth, "31-1").ends_with("write \"31,1\""));
        assert!(backwards(Field::DayOfMonth, "28-3").ends_with("write \"28-31,1-3\""));
    }

    #[test]
    fn n_slash_step_runs_to_the_fields_highest_value() {
        assert_eq!(expand(Field::Minute, "5/15").unwrap(), "5,20,35,50");
        assert_eq!(expand(Field::Second, "50/5").unwrap(), "50,55");
        assert_eq!(expand(Field::Hour, "3/6").unwrap(), "3,9,15,21");
        assert_eq!(expand(Field::DayOfMonth, "2/5").unwrap(), "2,7,12,17,22,27");
        assert_eq!(expand(Field::Month, "2/3").unwrap(), "2,5,8,11");
        assert_eq!(expand(Field::Month, "FEB/3").unwrap(), "2,5,8,11");
        assert_eq!(dow("1/2").unwrap(), "1,3,5,7");
        assert_eq!(dow("MON/2").unwrap(), "1,3,5,7");
        assert_eq!(expand(Field::Minute, "0/15").unwrap(), "0,15,30,45");
        assert_eq!(expand(Field::Minute, "59/15").unwrap(), "59");
        // The same sets as `*/step` and `N-max/step`.
        assert_eq!(
            expand(Field::Minute, "5/15").unwrap(),
            expand(Field::Minute, "5-59/15").unwrap()
        );
        assert_eq!(
            expand(Field::Minute, "0/15").unwrap(),
            expand(Field::Minute, "*/15").unwrap()
        );
    }

    #[test]
    fn ranges_steps_and_lists_as_vixie_cron_expands_them() {
        assert_eq!(expand(Field::Minute, "*").unwrap(), "*");
        assert_eq!(expand(Field::Minute, "*/20").unwrap(), "0,20,40");
        assert_eq!(expand(Field::Minute, "*/100").unwrap(), "0");
        assert_eq!(expand(Field::Minute, "10-30/7").unwrap(), "10,17,24");
        assert_eq!(expand(Field::Minute, "05").unwrap(), "5");
        assert_eq!(expand(Field::Minute, "30,5,5").unwrap(), "5,30");
        assert_eq!(expand(Field::DayOfMonth, "*/10").unwrap(), "1,11,21,31");
        assert_eq!(expand(Field::DayOfMonth, "?").unwrap(), "*");
        assert_eq!(dow("?").unwrap(), "*");
        assert_eq!(
            expand(Field::Hour, "*,3").unwrap(),
            (0..24).map(|h| h.to_string()).collect::<Vec<_>>().join(",")
        );
    }

    #[test]
    fn special_items_are_passed_on() {
        assert_eq!(expand(Field::DayOfMonth, "L").unwrap(), "L");
        assert_eq!(expand(Field::DayOfMonth, "15w").unwrap(), "15W");
        assert_eq!(expand(Field::DayOfMonth, "LW").unwrap(), "LW");
        assert_eq!(expand(Field::DayOfMonth, "1,L").unwrap(), "1,L");
        assert_eq!(dow("5#2").unwrap(), "5#2");
        assert_eq!(dow("FRI#2").unwrap(), "5#2");
        assert_eq!(dow("5L").unwrap(), "5L");
        assert_eq!(dow("friL").unwrap(), "5L");
        assert!(matches!(
            dow("8#2"),
            Err(FieldError::OutOfRange { value: 8, .. })
        ));
        assert!(matches!(
            expand(Field::DayOfMonth, "32W"),
            Err(FieldError::OutOfRange { value: 32, .. })
        ));
    }

    #[test]
    fn refusals_name_the_field_and_what_is_valid() {
        let e = |field: Field, text: &str| expand(field, text).unwrap_err().to_string();
        assert_eq!(e(Field::Minute, "61"), "minute 61 is out of range 0-59");
        assert_eq!(
            e(Field::DayOfWeek, "1-8"),
            "day-of-week 8 is out of range 0-7"
        );
        assert_eq!(
            e(Field::DayOfMonth, "0"),
            "day-of-month 0 is out of range 1-31"
        );
        assert_eq!(
            e(Field::DayOfWeek, "FUNDAY"),
            "day-of-week \"FUNDAY\" is not a number 0-7 or a name SUN-SAT"
        );
        assert_eq!(
            e(Field::DayOfWeek, "MONDAY"),
            "day-of-week \"MONDAY\" is not a number 0-7 or a name SUN-SAT"
        );
        // Names belong to their own field.
        assert_eq!(
            e(Field::DayOfMonth, "MON"),
            "day-of-month \"MON\" is not a number 1-31"
        );
        assert_eq!(
            e(Field::DayOfWeek, "JAN"),
            "day-of-week \"JAN\" is not a number 0-7 or a name SUN-SAT"
        );
        assert_eq!(e(Field::Month, "13"), "month 13 is out of range 1-12");
        assert_eq!(
            e(Field::Minute, "*/0"),
            "minute \"*/0\" has a step that is not a number from 1"
        );
        assert_eq!(
            e(Field::Minute, "*/x"),
            "minute \"*/x\" has a step that is not a number from 1"
        );
        assert_eq!(
            e(Field::Minute, "*/+5"),
            "minute \"*/+5\" has a step that is not a number from 1"
        );
        assert_eq!(
            e(Field::Hour, "1,,2"),
            "hour \"1,,2\" has an empty item between commas"
        );
        assert_eq!(e(Field::Hour, "-2"), "hour \"-2\" is not a number 0-23");
        assert_eq!(e(Field::Hour, "1-"), "hour \"1-\" is not a number 0-23");
        assert_eq!(e(Field::Hour, "?"), "hour \"?\" is not a number 0-23");
        assert_eq!(e(Field::Minute, "L"), "minute \"L\" is not a number 0-59");
        assert_eq!(
            e(Field::DayOfWeek, "+MON"),
            "day-of-week \"+MON\" is not a number 0-7 or a name SUN-SAT"
        );
    }

    #[test]
    fn the_day_rule_follows_a_leading_star() {
        let and = |text: &str| {
            let fields: Vec<&str> = text.split_whitespace().collect();
            normalize(&fields).unwrap().dom_and_dow
        };
        // Either day field starting with `*`: both must match.
        assert!(and("0 16 */2 * SAT"));
        assert!(and("0 16 * * SAT"));
        assert!(and("0 16 13 * *"));
        assert!(and("0 16 13 * */2"));
        assert!(and("0 16 ? * SAT"));
        assert!(and("0 16 *,13 * SAT"));
        assert!(and("0 0 16 */2 * SAT"));
        // Neither: either may match.
        assert!(!and("0 16 13 * FRI"));
        assert!(!and("0 16 1-31/2 * SAT"));
        assert!(!and("0 16 1-31 * 0-7"));
        assert!(!and("0 16 L * 5#2"));
        // The time and month fields play no part.
        assert!(!and("* * 13 * FRI"));
        assert!(!and("*/5 * 13 */2 FRI"));
        assert_eq!(
            normalize(&["5/15", "9", "*/2", "JAN-MAR", "SAT"]).unwrap(),
            Normalized {
                text: "5,20,35,50 9 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 1,2,3 6".to_string(),
                dom_and_dow: true,
            }
        );
    }
}
