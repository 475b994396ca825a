//! Conversions at the edge of the database: times as integer milliseconds
//! since the Unix epoch (UTC), counts as SQLite's signed integers, and caps on
//! the size of stored text.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};

/// Most bytes kept of each output tail (the end is kept).
pub const TAIL_CAP: usize = 64 << 10;
/// Most bytes kept of a request target, scope, outcome or run error (the
/// start is kept, ending in `…` when cut).
pub const TEXT_CAP: usize = 4 << 10;

/// Milliseconds since the epoch. Sub-millisecond precision is dropped
/// (rounded down).
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The time of a stored millisecond count; `None` past chrono's range.
pub fn from_ms(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// Milliseconds since the epoch of a `SystemTime`, clamped to the range
/// [`from_ms`] can read back.
pub fn system_ms(t: SystemTime) -> i64 {
    let ms = match t.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => {
            let ms = before.duration().as_nanos().div_ceil(1_000_000);
            i64::try_from(ms).map(|m| -m).unwrap_or(i64::MIN)
        }
    };
    ms.clamp(
        DateTime::<Utc>::MIN_UTC.timestamp_millis(),
        DateTime::<Utc>::MAX_UTC.timestamp_millis(),
    )
}

/// Whole milliseconds of a duration, saturating.
pub fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A count as SQLite stores it, saturating.
pub fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The last at most `max` bytes of `s`, starting on a character boundary.
pub fn keep_end(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// At most `max` bytes of `s` (`max` ≥ 3): all of it, or its start cut on a
/// character boundary followed by `…`.
pub fn keep_start(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &s[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_end_cuts_on_a_character_boundary() {
        assert_eq!(keep_end("abc", 3), "abc");
        assert_eq!(keep_end("abcdef", 3), "def");
        // 'é' is two bytes: cutting into it moves past it.
        assert_eq!(keep_end("aébc", 3), "bc");
        assert_eq!(keep_end("aébc", 4), "ébc");
        assert_eq!(keep_end("日本語", 4), "語");
    }

    #[test]
    fn keep_start_marks_the_cut() {
        assert_eq!(keep_start("short", 10), "short");
        assert_eq!(keep_start("abcdefghij", 10), "abcdefghij");
        assert_eq!(keep_start("abcdefghijk", 10), "abcdefg…");
        // "日本" is six bytes; seven leave room for one character and '…'.
        assert_eq!(keep_start("日本語", 7), "日…");
        assert!(keep_start(&"x".repeat(10_000), TEXT_CAP).len() <= TEXT_CAP);
    }

    #[test]
    fn times_convert_to_milliseconds_and_back() {
        let t = DateTime::parse_from_rfc3339("2026-11-29T11:30:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_ms(t), 1_795_951_800_123);
        assert_eq!(
            from_ms(to_ms(t)).unwrap().to_rfc3339(),
            "2026-11-29T11:30:00.123+00:00"
        );
        let st = UNIX_EPOCH + Duration::from_millis(1_795_951_800_123) + Duration::from_micros(999);
        assert_eq!(system_ms(st), 1_795_951_800_123);
        assert_eq!(system_ms(UNIX_EPOCH - Duration::from_micros(1500)), -2);
        assert!(from_ms(system_ms(UNIX_EPOCH + Duration::from_secs(u64::MAX / 4))).is_some());
        assert_eq!(count(u64::MAX), i64::MAX);
        assert_eq!(duration_ms(Duration::from_micros(2_999)), 2);
    }
}
