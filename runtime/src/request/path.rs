//! The bytes of the raw path and of the raw query string a guest gives in
//! its path: which characters and percent-escapes are allowed, and the
//! segment rules (no dot, empty or encoded-slash segments).

use super::{invalid, show, Refusal};
use percent_encoding::percent_decode;

/// RFC 3986 `unreserved`, `sub-delims`, `:` and `@` (a `pchar` other than a
/// percent-escape).
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match b? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A readable name for a byte that is not allowed.
pub(super) fn describe_byte(b: u8) -> String {
    match b {
        b' ' => "a space (write %20)".into(),
        b'\t' => "a tab".into(),
        b'\r' => "a carriage return (CR)".into(),
        b'\n' => "a line feed (LF)".into(),
        0 => "a NUL byte".into(),
        0x7f => "a DEL control character".into(),
        0x01..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f => format!("control character 0x{b:02X}"),
        0x80.. => "a non-ASCII byte (percent-encode it as UTF-8, e.g. %C3%A9)".into(),
        b'\\' => "a backslash".into(),
        _ => format!("{:?} (percent-encode it as %{b:02X})", char::from(b)),
    }
}

/// Which characters a component may contain besides `pchar`s, `/` and
/// percent-escapes, and what it is called in messages.
struct Component {
    name: &'static str,
    /// Bytes allowed besides pchars and '/'.
    also: &'static [u8],
}

/// Checks every byte of a raw path or query and every percent-escape in it.
/// Returns the decoded value of each escape so callers can refuse more.
fn check_bytes(
    text: &str,
    component: &Component,
    mut escape: impl FnMut(u8, usize) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let (Some(high), Some(low)) =
                (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2)))
            else {
                return Err(invalid(format!(
                    "{} {} has a '%' at byte {i} that is not followed by two hex digits (write %25 for a literal '%')",
                    component.name,
                    show(text)
                )));
            };
            let value = high * 16 + low;
            if value < 0x20 || value == 0x7f {
                return Err(invalid(format!(
                    "{} {} contains an encoded control character %{value:02X} at byte {i}",
                    component.name,
                    show(text)
                )));
            }
            escape(value, i)?;
            i += 3;
            continue;
        }
        let allowed = is_pchar(b) || b == b'/' || component.also.contains(&b);
        if !allowed {
            return Err(invalid(format!(
                "{} {} contains {} at byte {i}; allowed are letters, digits, -._~!$&'()*+,;=:@, '/' and %XX escapes",
                component.name,
                show(text),
                describe_byte(b)
            )));
        }
        i += 1;
    }
    Ok(())
}

const PATH: Component = Component {
    name: "path",
    also: b"",
};
const QUERY: Component = Component {
    name: "query string",
    // `[` and `]` are not RFC 3986 query characters, but Canvas parameters
    // use them (`include[]=term`), the host writes them unencoded in guest
    // query pairs, and no parser on the way changes or splits on them.
    also: b"?[]",
};

/// Checks the raw path (no query) that the scope check will see.
pub(super) fn check_raw_path(raw: &str) -> Result<(), Refusal> {
    if raw == "/" {
        return Err(invalid(
            "path \"/\" is not a Canvas API path; write e.g. \"/api/v1/courses\"".into(),
        ));
    }
    check_bytes(raw, &PATH, |value, i| {
        match value {
        b'/' => Err(invalid(format!(
            "path {} contains an encoded slash (%2F) at byte {i}; it would be read as a segment separator after the scope check",
            show(raw)
        ))),
        b'\\' => Err(invalid(format!(
            "path {} contains an encoded backslash (%5C) at byte {i}",
            show(raw)
        ))),
        _ => Ok(()),
    }
    })?;

    let mut segments = raw.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        if segment.is_empty() {
            let problem = if segments.peek().is_none() {
                "ends with '/'"
            } else {
                "contains an empty segment ('//')"
            };
            return Err(invalid(format!("path {} {problem}; remove it", show(raw))));
        }
        // "." and ".." are at most six bytes even when encoded ("%2e%2e").
        if segment.len() <= 6 {
            let decoded: Vec<u8> = percent_decode(segment.as_bytes()).collect();
            if decoded == b"." || decoded == b".." {
                return Err(invalid(format!(
                    "path {} contains a dot segment {}; '.' and '..' (also encoded as %2E) are not allowed",
                    show(raw),
                    show(segment)
                )));
            }
        }
    }
    Ok(())
}

/// Checks a raw query string given in the path; it is sent as given.
pub(super) fn check_raw_query(raw: &str) -> Result<(), Refusal> {
    if let Some(i) = raw.find('\'') {
        // The URL parser percent-encodes `'` in the query of http(s) URLs.
        return Err(invalid(format!(
            "query string {} contains \"'\" at byte {i}; write it as %27",
            show(raw)
        )));
    }
    check_bytes(raw, &QUERY, |_, _| Ok(()))
}

#[cfg(test)]
mod tests {
    use crate::request::test_support::*;

    #[test]
    fn dot_segments_are_refused_even_under_a_glob() {
        let by_path = "/api/v1/courses/1/folders/by_path";
        approved(run(get(&format!("{by_path}/a/b"))));
        for dots in [
            "/a/../../../../accounts/1",
            "/a/./b",
            "/a/..",
            "/a/%2e%2e/b",
            "/a/%2E%2E/b",
            "/a/.%2e/b",
            "/a/%2e./b",
            "/a/%2e/b",
            "/a/%2E",
        ] {
            assert_invalid(run(get(&format!("{by_path}{dots}"))), "dot segment");
        }
        assert_invalid(run(get("/api/v1/users/self/custom_data/..")), "dot segment");
        // Dots inside a segment are fine.
        approved(run(get(&format!("{by_path}/a..b/.c/...json"))));
    }

    #[test]
    fn encoded_slash_and_backslash_are_refused() {
        for p in ["/api/v1/courses/1%2Fusers", "/api/v1/courses/1%2fusers"] {
            assert_invalid(run(get(p)), "encoded slash");
        }
        for p in ["/api/v1/courses/1%5Cusers", "/api/v1/courses/1%5cusers"] {
            assert_invalid(run(get(p)), "encoded backslash");
        }
        assert_invalid(run(get("/api/v1/courses/1\\users")), "a backslash");
        assert_invalid(
            run(get(
                "https://school.instructure.com/api/v1/courses/1\\users",
            )),
            "which URL parsers read as '/'",
        );
        assert_invalid(
            run(get("/api/v1/courses/1%2")),
            "not followed by two hex digits",
        );
        assert_invalid(
            run(get("/api/v1/courses/1%zz")),
            "not followed by two hex digits",
        );
    }

    #[test]
    fn empty_segments_are_refused() {
        assert_invalid(run(get("/api/v1//courses/1")), "empty segment");
        assert_invalid(run(get("/api/v1/courses/1/")), "ends with '/'");
        assert_invalid(run(get("/api/v1/courses/1/?x=1")), "ends with '/'");
        assert_invalid(run(get("/")), "not a Canvas API path");
    }

    #[test]
    fn control_whitespace_and_non_ascii_in_path_are_refused() {
        for (p, needle) in [
            ("/api/v1/courses/1\0", "NUL"),
            ("/api/v1/courses/1\r", "carriage return"),
            ("/api/v1/courses/1\n", "line feed"),
            ("/api/v1/courses/1\r\nX-Evil: 1", "carriage return"),
            ("/api/v1/courses/1 2", "a space"),
            ("/api/v1/courses/1\t", "a tab"),
            ("/api/v1/courses/1\x7f", "DEL"),
            ("/api/v1/courses/1\x01", "control character 0x01"),
            ("/api/v1/courses/é", "non-ASCII"),
            ("/api/v1/courses/1\"", "'\"'"),
            ("/api/v1/courses/1<", "'<'"),
            ("/api/v1/courses/1{", "'{'"),
            ("/api/v1/courses/1|", "'|'"),
            ("/api/v1/courses/1^", "'^'"),
            ("/api/v1/courses/1`", "'`'"),
            ("/api/v1/courses/1[", "'['"),
        ] {
            assert_invalid(run(get(p)), needle);
        }
        for p in [
            "/api/v1/courses/%0d%0a",
            "/api/v1/courses/%00",
            "/api/v1/courses/%7F",
            "/api/v1/courses/%1f",
        ] {
            assert_invalid(run(get(p)), "encoded control character");
        }
    }

    #[test]
    fn raw_query_refusals() {
        let base = "/api/v1/courses/1/users";
        approved(run(get(&format!("{base}?a=/x?y:z@w&b=%20%2F%E6%97%A5"))));
        assert_invalid(run(get(&format!("{base}?a=b c"))), "a space");
        assert_invalid(run(get(&format!("{base}?a=é"))), "non-ASCII");
        assert_invalid(run(get(&format!("{base}?a=\n"))), "line feed");
        assert_invalid(
            run(get(&format!("{base}?a=%0a"))),
            "encoded control character %0A",
        );
        assert_invalid(
            run(get(&format!("{base}?a=%7f"))),
            "encoded control character %7F",
        );
        assert_invalid(run(get(&format!("{base}?a=%g1"))), "two hex digits");
        assert_invalid(run(get(&format!("{base}?a=it's"))), "write it as %27");
        assert!(run(get(&format!("{base}?include[]=x"))).is_ok());
        assert_invalid(run(get(&format!("{base}?a=\"x\""))), "'\"'");
    }
}
