//! The headers a guest may set.

use super::path::describe_byte;
use super::{invalid, show, Refusal, MAX_HEADERS, MAX_HEADER_BYTES};

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Why a (lower-case) header name may not be set by a guest, if it may not.
fn forbidden_header(name: &str) -> Option<&'static str> {
    const CREDENTIAL: &str = "credentials are added by the host only";
    const ROUTING: &str = "it changes where the request is routed or where it appears to come from";
    const OVERRIDE: &str = "it would override the HTTP method the scope check saw";
    const MANAGED: &str = "the host's HTTP client manages it";
    const WHOLE: &str =
        "the host must read the whole, uncompressed response to remove the token from it";
    match name {
        "authorization" | "cookie" => Some(CREDENTIAL),
        n if n.starts_with("proxy-") => Some(CREDENTIAL),
        "host" | "forwarded" | "x-real-ip" | "client-ip" | "x-client-ip" | "true-client-ip"
        | "x-original-url" | "x-rewrite-url" => Some(ROUTING),
        n if n.starts_with("x-forwarded") => Some(ROUTING),
        "x-http-method-override" | "x-http-method" | "x-method-override" => Some(OVERRIDE),
        "connection" | "content-length" | "transfer-encoding" | "te" | "trailer" | "upgrade"
        | "keep-alive" | "expect" => Some(MANAGED),
        // A compressed body or a byte range could carry an echoed token past
        // the redaction, which looks for it in the plain bytes.
        "accept-encoding" | "range" | "if-range" => Some(WHOLE),
        _ => None,
    }
}

/// Checks the guest's headers and returns them with lower-case names.
pub(super) fn check_headers(
    headers: Vec<(String, String)>,
) -> Result<Vec<(String, String)>, Refusal> {
    if headers.len() > MAX_HEADERS {
        return Err(invalid(format!(
            "the request has {} headers, more than the limit of {MAX_HEADERS}",
            headers.len()
        )));
    }
    let mut out = Vec::with_capacity(headers.len());
    let mut content_type_seen = false;
    for (name, value) in headers {
        if name.is_empty() {
            return Err(invalid("a header has an empty name".into()));
        }
        if name.len() > MAX_HEADER_BYTES {
            return Err(invalid(format!(
                "header name {} is {} bytes long, more than the limit of {MAX_HEADER_BYTES}",
                show(&name),
                name.len()
            )));
        }
        if !name.bytes().all(is_tchar) {
            return Err(invalid(format!(
                "header name {} is not a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~)",
                show(&name)
            )));
        }
        let lower = name.to_ascii_lowercase();
        if let Some(reason) = forbidden_header(&lower) {
            return Err(invalid(format!(
                "header {} is not allowed: {reason}",
                show(&name)
            )));
        }
        if value.len() > MAX_HEADER_BYTES {
            return Err(invalid(format!(
                "the value of header {} is {} bytes long, more than the limit of {MAX_HEADER_BYTES}",
                show(&name),
                value.len()
            )));
        }
        if let Some(b) = value.bytes().find(|&b| !(b' '..=b'~').contains(&b)) {
            return Err(invalid(format!(
                "the value of header {} contains {}",
                show(&name),
                describe_byte(b)
            )));
        }
        if value.starts_with(' ') || value.ends_with(' ') {
            return Err(invalid(format!(
                "the value of header {} has leading or trailing spaces",
                show(&name)
            )));
        }
        if lower == "content-type" {
            if content_type_seen {
                return Err(invalid(
                    "header \"content-type\" is given more than once".into(),
                ));
            }
            content_type_seen = true;
        }
        out.push((lower, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::request::test_support::*;
    use crate::request::{MAX_HEADERS, MAX_HEADER_BYTES};

    #[test]
    fn forbidden_headers_are_refused() {
        let names = [
            "authorization",
            "Authorization",
            "AUTHORIZATION",
            "cookie",
            "Cookie",
            "host",
            "Host",
            "x-http-method-override",
            "X-HTTP-Method-Override",
            "x-http-method",
            "x-method-override",
            "proxy-authorization",
            "Proxy-Authorization",
            "proxy-connection",
            "forwarded",
            "x-forwarded-for",
            "X-Forwarded-Host",
            "x-forwarded-proto",
            "x-real-ip",
            "client-ip",
            "true-client-ip",
            "x-original-url",
            "connection",
            "content-length",
            "Content-Length",
            "transfer-encoding",
            "te",
            "TE",
            "trailer",
            "upgrade",
            "keep-alive",
            "expect",
            "accept-encoding",
            "Accept-Encoding",
            "range",
            "if-range",
        ];
        for name in names {
            let mut req = get("/api/v1/courses/1");
            req.headers = pairs(&[("accept", "application/json"), (name, "x")]);
            assert_invalid(run(req), &format!("header {name:?} is not allowed"));
        }
    }

    #[test]
    fn header_names_and_values_are_checked() {
        let with = |name: &str, value: &str| {
            let mut req = get("/api/v1/courses/1");
            req.headers = pairs(&[(name, value)]);
            run(req)
        };
        let a = approved(with("Content-Type", "application/json; charset=utf-8"));
        assert_eq!(
            a.headers,
            pairs(&[("content-type", "application/json; charset=utf-8")])
        );
        approved(with("X-Custom_Header!", ""));
        assert_invalid(with("", "x"), "empty name");
        assert_invalid(with("x y", "x"), "not a valid HTTP token");
        assert_invalid(with("x:y", "x"), "not a valid HTTP token");
        assert_invalid(with("x\r\ny", "x"), "not a valid HTTP token");
        assert_invalid(with("é", "x"), "not a valid HTTP token");
        assert_invalid(
            with("accept", "a\r\nAuthorization: Bearer x"),
            "carriage return",
        );
        assert_invalid(with("accept", "a\nb"), "line feed");
        assert_invalid(with("accept", "a\tb"), "a tab");
        assert_invalid(with("accept", "a\0"), "NUL");
        assert_invalid(with("accept", "a\x7f"), "DEL");
        assert_invalid(with("accept", "é"), "non-ASCII");
        assert_invalid(with("accept", " a"), "leading or trailing spaces");
        assert_invalid(with("accept", "a "), "leading or trailing spaces");
        assert_invalid(
            with(&"x".repeat(MAX_HEADER_BYTES + 1), "x"),
            "more than the limit of 8192",
        );
        assert_invalid(
            with("accept", &"x".repeat(MAX_HEADER_BYTES + 1)),
            "more than the limit of 8192",
        );
        approved(with("accept", &"x".repeat(MAX_HEADER_BYTES)));

        let mut req = get("/api/v1/courses/1");
        req.headers = vec![("x-a".to_string(), "1".to_string()); MAX_HEADERS + 1];
        assert_invalid(run(req), "65 headers");
        let mut req = get("/api/v1/courses/1");
        req.headers = vec![("x-a".to_string(), "1".to_string()); MAX_HEADERS];
        approved(run(req));

        let mut req = get("/api/v1/courses/1");
        req.headers = pairs(&[
            ("content-type", "application/json"),
            ("Content-Type", "text/plain"),
        ]);
        assert_invalid(run(req), "more than once");
    }
}
