//! Human-written quantities in manifests: durations (`"5m"`, `"1h30m"`) and
//! byte sizes (`"64MiB"`). Pure parsing, no I/O.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration written as one or more `<number><unit>` parts, units `ms`, `s`,
/// `m`, `h`, `d`: `"30s"`, `"5m"`, `"1h30m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationSpec(Duration);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {text:?}: {reason}; write e.g. \"30s\", \"5m\" or \"1h30m\" (units ms, s, m, h, d)")]
pub struct DurationError {
    text: String,
    reason: &'static str,
}

impl DurationSpec {
    pub const fn from_duration(d: Duration) -> Self {
        DurationSpec(d)
    }

    pub fn as_duration(&self) -> Duration {
        self.0
    }
}

impl FromStr for DurationSpec {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, DurationError> {
        let err = |reason| DurationError {
            text: text.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(err("it is empty"));
        }
        let mut total: u128 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err("expected a number"));
            }
            let number: u128 = rest[..digits]
                .parse()
                .map_err(|_| err("number too large"))?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let millis_per_unit: u128 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "" => return Err(err("a number needs a unit")),
                _ => return Err(err("unknown unit")),
            };
            rest = &rest[unit_len..];
            total = number
                .checked_mul(millis_per_unit)
                .and_then(|ms| total.checked_add(ms))
                .ok_or_else(|| err("too large"))?;
        }
        if total == 0 {
            return Err(err("it must be longer than zero"));
        }
        let millis = u64::try_from(total).map_err(|_| err("too large"))?;
        Ok(DurationSpec(Duration::from_millis(millis)))
    }
}

impl fmt::Display for DurationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        let units = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
        ];
        for (size, unit) in units {
            if ms.is_multiple_of(size) {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

/// A byte size: a whole number with a unit `B`, `KiB`, `MiB`, `GiB` (powers of
/// 1024) or `KB`, `MB`, `GB` (powers of 1000): `"64MiB"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {text:?}: {reason}; write e.g. \"64MiB\" or \"1GiB\" (units B, KiB, MiB, GiB, KB, MB, GB)")]
pub struct ByteSizeError {
    text: String,
    reason: &'static str,
}

impl ByteSize {
    pub const fn bytes(n: u64) -> Self {
        ByteSize(n)
    }

    pub const fn mib(n: u64) -> Self {
        ByteSize(n * 1024 * 1024)
    }

    pub fn as_u64(&self) -> u64 {
        self.0
    }
}

impl FromStr for ByteSize {
    type Err = ByteSizeError;

    fn from_str(text: &str) -> Result<Self, ByteSizeError> {
        let err = |reason| ByteSizeError {
            text: text.to_string(),
            reason,
        };
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err("expected a number"));
        }
        let number: u64 = text[..digits]
            .parse()
            .map_err(|_| err("number too large"))?;
        let multiplier: u64 = match &text[digits..] {
            "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            "KB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "" => return Err(err("a number needs a unit")),
            _ => return Err(err("unknown unit")),
        };
        let bytes = number
            .checked_mul(multiplier)
            .ok_or_else(|| err("too large"))?;
        if bytes == 0 {
            return Err(err("it must be larger than zero"));
        }
        Ok(ByteSize(bytes))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        for (size, unit) in units {
            if self.0.is_multiple_of(size) {
                return write!(f, "{}{unit}", self.0 / size);
            }
        }
        write!(f, "{}B", self.0)
    }
}

deserialize_from_str!(DurationSpec, ByteSize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        let d = |s: &str| s.parse::<DurationSpec>().map(|d| d.as_duration());
        assert_eq!(d("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(d("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(d("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(d("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(d("2d"), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn bad_durations_explain_themselves() {
        let e = |s: &str| s.parse::<DurationSpec>().unwrap_err().to_string();
        assert_eq!(
            e("5"),
            "invalid duration \"5\": a number needs a unit; write e.g. \"30s\", \"5m\" or \"1h30m\" (units ms, s, m, h, d)"
        );
        assert!(e("5 m").contains("a number needs a unit"));
        assert!(e("").contains("empty"));
        assert!(e("0s").contains("longer than zero"));
        assert!(e("5min").contains("unknown unit"));
        assert!(e("-5m").contains("expected a number"));
        assert!(e("99999999999999999999999d").contains("too large"));
    }

    #[test]
    fn durations_display_in_their_largest_unit() {
        assert_eq!("90s".parse::<DurationSpec>().unwrap().to_string(), "90s");
        assert_eq!("120s".parse::<DurationSpec>().unwrap().to_string(), "2m");
        assert_eq!(
            "1500ms".parse::<DurationSpec>().unwrap().to_string(),
            "1500ms"
        );
    }

    #[test]
    fn sizes_parse() {
        let s = |t: &str| t.parse::<ByteSize>().map(|b| b.as_u64());
        assert_eq!(s("64MiB"), Ok(64 << 20));
        assert_eq!(s("1GiB"), Ok(1 << 30));
        assert_eq!(s("512KiB"), Ok(512 << 10));
        assert_eq!(s("10MB"), Ok(10_000_000));
        assert_eq!(s("100B"), Ok(100));
        assert_eq!(ByteSize::mib(64).to_string(), "64MiB");
    }

    #[test]
    fn bad_sizes_explain_themselves() {
        let e = |s: &str| s.parse::<ByteSize>().unwrap_err().to_string();
        assert_eq!(
            e("64"),
            "invalid size \"64\": a number needs a unit; write e.g. \"64MiB\" or \"1GiB\" (units B, KiB, MiB, GiB, KB, MB, GB)"
        );
        assert!(e("64mb").contains("unknown unit"));
        assert!(e("MiB").contains("expected a number"));
        assert!(e("0MiB").contains("larger than zero"));
        assert!(e("99999999999GiB").contains("too large"));
    }
}
