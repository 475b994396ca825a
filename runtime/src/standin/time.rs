//! Just enough ISO 8601 for course dates: Canvas answers times in UTC as
//! `YYYY-MM-DDTHH:MM:SSZ`, whatever offset they were given in.

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with an optional `Z` or `±HH:MM`
/// (a space may stand for the `T`; no offset means UTC) and prints it in UTC.
/// None when it is not such a time.
pub(crate) fn normalize_time(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut dp = date.split('-');
    let (y, mo, d) = (dp.next()?, dp.next()?, dp.next()?);
    if dp.next().is_some() || y.len() != 4 || mo.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, mo, d) = (digits(y)?, digits(mo)?, digits(d)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut offset_min) = (0, 0, 0, 0i64);
    if let Some(rest) = rest {
        let (clock, offset) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
            (c, None)
        } else if let Some(i) = rest.rfind(['+', '-']) {
            (&rest[..i], Some(&rest[i..]))
        } else {
            (rest, None)
        };
        let mut cp = clock.split(':');
        h = digits(cp.next()?)?;
        mi = digits(cp.next()?)?;
        if let Some(sp) = cp.next() {
            let whole = sp.split('.').next()?;
            sec = digits(whole)?;
        }
        if cp.next().is_some() || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        if let Some(off) = offset {
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let body = &off[1..];
            let (oh, om) = match body.split_once(':') {
                Some((a, b)) => (digits(a)?, digits(b)?),
                None if body.len() == 4 && body.is_ascii() => {
                    (digits(&body[..2])?, digits(&body[2..])?)
                }
                None => (digits(body)?, 0),
            };
            if oh > 23 || om > 59 {
                return None;
            }
            offset_min = sign * (oh * 60 + om);
        }
    }
    let total = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    let days = total.div_euclid(86_400);
    let secs = total.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::normalize_time;

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize_time("2026-01-12").as_deref(),
            Some("2026-01-12T00:00:00Z")
        );
        assert_eq!(
            normalize_time("2026-01-12T08:30:00Z").as_deref(),
            Some("2026-01-12T08:30:00Z")
        );
        assert_eq!(
            normalize_time("2026-01-12T01:30:00-06:00").as_deref(),
            Some("2026-01-12T07:30:00Z")
        );
        assert_eq!(
            normalize_time("2026-03-01T00:30+01:00").as_deref(),
            Some("2026-02-28T23:30:00Z")
        );
        assert_eq!(
            normalize_time("2024-02-29 12:00:00.123").as_deref(),
            Some("2024-02-29T12:00:00Z")
        );
        assert_eq!(normalize_time("2025-02-29"), None);
        assert_eq!(normalize_time("tomorrow"), None);
        assert_eq!(normalize_time("2026-13-01"), None);
        assert_eq!(normalize_time(""), None);
        assert_eq!(normalize_time("2026-01-01T00:00+a\u{e9}1"), None);
        assert_eq!(normalize_time("2026-01-01T00:00+\u{e9}\u{e9}"), None);
    }
}
