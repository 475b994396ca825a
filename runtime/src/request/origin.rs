//! The configured Canvas origin ([`Origin`]) and guest paths given as
//! absolute URLs on it.

use super::{invalid, show, Refusal};
use std::fmt;
use url::{Host, Url};

/// The configured Canvas origin (from the runtime config's `base_url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    url: Url,
    serialized: String,
}

/// Why a `base_url` is not a usable Canvas origin. Messages never repeat the
/// whole `base_url`, which might carry a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("base_url is not a valid URL ({0}); write the Canvas origin, e.g. \"https://school.instructure.com\"")]
    Malformed(String),
    #[error("base_url contains a space, control character or backslash; write the Canvas origin, e.g. \"https://school.instructure.com\"")]
    BadCharacter,
    #[error("base_url has scheme {0:?}; use https:// (http:// is only allowed for a loopback test server)")]
    Scheme(String),
    #[error("base_url uses http:// for host {0:?}, which is not loopback (127.0.0.0/8, ::1 or localhost); use https://")]
    InsecureHttp(String),
    #[error("base_url contains a user name or password (before '@'); remove it, the host adds the API token itself")]
    Userinfo,
    #[error("base_url has a query string; give only the origin, e.g. \"https://school.instructure.com\"")]
    Query,
    #[error("base_url has a fragment ('#'); give only the origin, e.g. \"https://school.instructure.com\"")]
    Fragment,
    #[error("base_url has path {0:?}; give only the origin, e.g. \"https://school.instructure.com\" (requests carry their own /api/v1/... paths)")]
    Path(String),
}

impl Origin {
    /// Parses `"https://school.instructure.com"` or `"http://127.0.0.1:8080"`.
    ///
    /// Refuses a scheme other than http/https, `http://` for a host that is
    /// not loopback (127.0.0.0/8, `::1`, `localhost`), userinfo, a query or
    /// fragment, and a path other than empty or `/`.
    pub fn parse(base_url: &str) -> Result<Origin, OriginError> {
        if base_url
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || b == b'\\')
        {
            return Err(OriginError::BadCharacter);
        }
        let Some((scheme, after_scheme)) = base_url.split_once("://") else {
            return Err(OriginError::Malformed("no \"://\" after the scheme".into()));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(OriginError::Scheme(scheme));
        }
        let authority_end = after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len());
        if after_scheme[..authority_end].contains('@') {
            return Err(OriginError::Userinfo);
        }
        let rest = &after_scheme[authority_end..];
        if rest.contains('#') {
            return Err(OriginError::Fragment);
        }
        if rest.contains('?') {
            return Err(OriginError::Query);
        }
        if !rest.is_empty() && rest != "/" {
            return Err(OriginError::Path(rest.to_owned()));
        }

        let url = Url::parse(base_url).map_err(|e| OriginError::Malformed(e.to_string()))?;
        let host = url
            .host()
            .ok_or_else(|| OriginError::Malformed("no host".into()))?;
        if url.scheme() == "http" && !is_loopback(&host) {
            return Err(OriginError::InsecureHttp(host.to_string()));
        }
        let serialized = url.origin().ascii_serialization();
        Ok(Origin { url, serialized })
    }

    /// The serialized origin, e.g. `"https://school.instructure.com"`: no
    /// trailing slash, default port omitted.
    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    /// Whether `url` has this origin (scheme, host and port, default ports
    /// normalised).
    fn contains(&self, url: &Url) -> bool {
        url.origin() == self.url.origin()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.serialized)
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => *name == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Returns the path (and query) of `path`: itself if it is origin-relative,
/// the part after the authority if it is an absolute URL on `origin`.
pub(super) fn strip_origin<'p>(origin: &Origin, path: &'p str) -> Result<&'p str, Refusal> {
    if path.contains('#') {
        return Err(invalid(format!(
            "path {} contains '#'; fragments are never sent, remove it (or write %23)",
            show(path)
        )));
    }
    let scheme_len = ["https://", "http://"].iter().find_map(|prefix| {
        path.get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(prefix))
            .map(|p| p.len())
    });
    let Some(scheme_len) = scheme_len else {
        if path.starts_with("//") {
            return Err(invalid(format!(
                "path {} starts with '//' (a scheme-relative URL to another host); write a path such as \"/api/v1/courses\"",
                show(path)
            )));
        }
        if !path.starts_with('/') {
            return Err(invalid(format!(
                "path {} does not start with '/'; write a path such as \"/api/v1/courses\" or an absolute URL on {origin}",
                show(path)
            )));
        }
        return Ok(path);
    };

    if path.contains('\\') {
        return Err(invalid(format!(
            "URL {} contains a backslash, which URL parsers read as '/'",
            show(path)
        )));
    }
    let after = &path[scheme_len..];
    let authority_end = after.find(['/', '?']).unwrap_or(after.len());
    let authority = &after[..authority_end];
    let rest = &after[authority_end..];
    if authority.contains('@') {
        return Err(invalid(format!(
            "URL {} has a user name or password before '@'; write a URL on {origin} without one",
            show(path)
        )));
    }
    let host_char =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']');
    if authority.is_empty() || !authority.bytes().all(host_char) {
        return Err(invalid(format!(
            "URL {} has a malformed host; write a URL on {origin}",
            show(path)
        )));
    }
    let prefix = &path[..scheme_len + authority_end];
    let on_origin = Url::parse(prefix).is_ok_and(|url| origin.contains(&url));
    if !on_origin {
        return Err(invalid(format!(
            "URL {} is not on the configured Canvas origin {origin}",
            show(prefix)
        )));
    }
    if !rest.starts_with('/') {
        return Err(invalid(format!(
            "URL {} has no path after the host; write e.g. \"{origin}/api/v1/courses\"",
            show(path)
        )));
    }
    Ok(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::test_support::*;
    use crate::request::{check, Policy};

    #[test]
    fn fragments_and_relative_paths_are_refused() {
        assert_invalid(run(get("/api/v1/courses/1#x")), "fragments are never sent");
        assert_invalid(
            run(get("/api/v1/courses/1?a=1#x")),
            "fragments are never sent",
        );
        assert_invalid(
            run(get("https://school.instructure.com/api/v1/courses/1#x")),
            "fragments are never sent",
        );
        assert_invalid(run(get("api/v1/courses/1")), "does not start with '/'");
        assert_invalid(run(get("")), "does not start with '/'");
        assert_invalid(run(get("//evil.example/api/v1/x")), "scheme-relative");
        assert_invalid(run(get("javascript:alert(1)")), "does not start with '/'");
    }

    #[test]
    fn absolute_urls_must_be_on_the_configured_origin() {
        for url in [
            "https://evil.example/api/v1/courses/1",
            "https://school.instructure.com:8443/api/v1/courses/1",
            "http://school.instructure.com/api/v1/courses/1",
            "https://school.instructure.com.evil.example/api/v1/courses/1",
            "https://school.instructure.com./api/v1/courses/1",
            "https://other.instructure.com/api/v1/courses/1",
        ] {
            assert_invalid(
                run(get(url)),
                "is not on the configured Canvas origin https://school.instructure.com",
            );
        }
        assert_invalid(
            run(get("https://user@school.instructure.com/api/v1/courses/1")),
            "user name or password",
        );
        assert_invalid(
            run(get(
                "https://school.instructure.com@evil.example/api/v1/courses/1",
            )),
            "user name or password",
        );
        assert_invalid(
            run(get(
                "https://school.instructure.com%2eevil.example/api/v1/courses/1",
            )),
            "malformed host",
        );
        assert_invalid(run(get("https:///api/v1/courses/1")), "malformed host");
        assert_invalid(run(get("https://school.instructure.com")), "no path");
        assert_invalid(run(get("https://school.instructure.com?x=1")), "no path");
        assert_invalid(
            run(get(
                "https://school.instructure.com//evil.example/api/v1/courses/1",
            )),
            "empty segment",
        );
        assert_invalid(
            run(get("ftp://school.instructure.com/api/v1/courses/1")),
            "does not start with '/'",
        );
    }

    #[test]
    fn absolute_url_on_the_origin_is_accepted() {
        for url in [
            "https://school.instructure.com/api/v1/courses/1/users?page=bookmark:WzEsMl0&per_page=100",
            "https://school.instructure.com:443/api/v1/courses/1/users?page=bookmark:WzEsMl0&per_page=100",
            "https://SCHOOL.Instructure.COM/api/v1/courses/1/users?page=bookmark:WzEsMl0&per_page=100",
            "HTTPS://school.instructure.com/api/v1/courses/1/users?page=bookmark:WzEsMl0&per_page=100",
            "/api/v1/courses/1/users?page=bookmark:WzEsMl0&per_page=100",
        ] {
            let a = approved(run(get(url)));
            assert_eq!(
                a.url.as_str(),
                "https://school.instructure.com/api/v1/courses/1/users?page=bookmark:WzEsMl0&per_page=100",
                "{url}"
            );
            assert_eq!(a.path, "/api/v1/courses/1/users");
        }
    }

    #[test]
    fn origin_parse_table() {
        use OriginError as E;
        let ok = [
            (
                "https://school.instructure.com",
                "https://school.instructure.com",
            ),
            (
                "https://school.instructure.com/",
                "https://school.instructure.com",
            ),
            (
                "https://School.Instructure.com:443",
                "https://school.instructure.com",
            ),
            (
                "https://school.instructure.com:8443",
                "https://school.instructure.com:8443",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://127.1.2.3", "http://127.1.2.3"),
            ("http://localhost:3000/", "http://localhost:3000"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            (
                "HTTPS://School.instructure.com",
                "https://school.instructure.com",
            ),
        ];
        for (input, serialized) in ok {
            let origin = Origin::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(origin.as_str(), serialized);
            assert_eq!(origin.to_string(), serialized);
        }
        let refused = [
            (
                "http://school.instructure.com",
                E::InsecureHttp("school.instructure.com".into()),
            ),
            ("http://10.0.0.1", E::InsecureHttp("10.0.0.1".into())),
            (
                "http://localhost.evil.example",
                E::InsecureHttp("localhost.evil.example".into()),
            ),
            ("ftp://school.instructure.com", E::Scheme("ftp".into())),
            ("file:///etc/passwd", E::Scheme("file".into())),
            (
                "https://school.instructure.com/canvas",
                E::Path("/canvas".into()),
            ),
            ("https://school.instructure.com/.", E::Path("/.".into())),
            ("https://user:pw@school.instructure.com", E::Userinfo),
            ("https://@school.instructure.com", E::Userinfo),
            ("https://school.instructure.com?x=1", E::Query),
            ("https://school.instructure.com/?", E::Query),
            ("https://school.instructure.com#x", E::Fragment),
            ("https://school.instructure.com ", E::BadCharacter),
            ("https://sch\nool.instructure.com", E::BadCharacter),
            ("https:\\\\school.instructure.com", E::BadCharacter),
            (
                "school.instructure.com",
                E::Malformed("no \"://\" after the scheme".into()),
            ),
        ];
        for (input, expected) in refused {
            assert_eq!(Origin::parse(input).unwrap_err(), expected, "{input}");
        }
        assert!(matches!(Origin::parse("https://"), Err(E::Malformed(_))));
        let message = Origin::parse("https://user:secret@school.instructure.com")
            .unwrap_err()
            .to_string();
        assert!(!message.contains("secret"), "{message}");
        assert_eq!(
            Origin::parse("http://school.instructure.com").unwrap_err().to_string(),
            "base_url uses http:// for host \"school.instructure.com\", which is not loopback (127.0.0.0/8, ::1 or localhost); use https://"
        );
    }

    #[test]
    fn loopback_origin_builds_exact_urls() {
        let origin = Origin::parse("http://127.0.0.1:8080/").unwrap();
        let scopes = scope_set(SCOPES);
        let params = crate::request::ParamLimits::new();
        let policy = Policy {
            origin: &origin,
            scopes: &scopes,
            masquerade: false,
            params: &params,
        };
        let a = approved(check(
            &policy,
            get("http://127.0.0.1:8080/api/v1/courses/1"),
        ));
        assert_eq!(a.url.as_str(), "http://127.0.0.1:8080/api/v1/courses/1");
        assert_invalid(
            check(&policy, get("http://127.0.0.1:8081/api/v1/courses/1")),
            "not on the configured Canvas origin http://127.0.0.1:8080",
        );
    }
}
