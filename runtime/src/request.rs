//! Validating a guest's Canvas request into exactly the bytes that will be
//! sent.
//!
//! [`check`] takes the request a guest asked for and either refuses it or
//! returns an [`Approved`] request whose URL, headers and body are exactly
//! what the host will send (after adding the API token, which this module
//! never sees). Validation refusals ([`Refusal::Invalid`]) come before the
//! scope check ([`Refusal::Denied`]); nothing is sent for either.
//!
//! The rules are stricter than Canvas wherever a difference of
//! interpretation between this check and Canvas (or anything between the
//! host and Canvas) could widen what a scope allows: no dot segments, no
//! encoded slashes, no empty segments, no credential, method-override or
//! masquerading parameters, no routing headers, and a final check that the
//! URL parser does not change a single byte of what was approved.

use crate::scope::{Method, ScopeSet};
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::fmt;
use url::{Host, Url};

/// Longest path plus query string sent on the request line, in bytes.
pub const MAX_PATH_AND_QUERY_BYTES: usize = 8 * 1024;
/// Most query pairs (those in the path plus the guest's list).
pub const MAX_QUERY_PAIRS: usize = 1000;
/// Most headers a guest may set.
pub const MAX_HEADERS: usize = 64;
/// Longest header name or value, in bytes.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// A request as the guest sent it (mirrors the WIT `http-request` record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestRequest {
    /// The guest can only send GET, HEAD, POST, PUT, PATCH and DELETE.
    pub method: Method,
    /// `/api/v1/...` on the configured Canvas origin, or an absolute URL on
    /// that origin (as in Link headers); may carry a raw, already
    /// percent-encoded query string after `?`.
    pub path: String,
    /// Plain-text query pairs, in order; keys may repeat. The host
    /// percent-encodes them.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

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

/// What a request is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    pub origin: &'a Origin,
    pub scopes: &'a ScopeSet,
    /// The manifest allows `as_user_id` (`masquerade = true` in `[canvas]`).
    pub masquerade: bool,
}

/// Why a request was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No scope of the manifest allows the request.
    #[error("denied: {0}")]
    Denied(String),
    /// The request is malformed or forbidden.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// A request that passed every check, in the exact form it will be sent.
#[derive(Debug, Clone)]
pub struct Approved {
    pub method: Method,
    /// The exact URL to send; `url.as_str()` is byte-identical to the origin
    /// followed by `path_and_query`.
    pub url: Url,
    /// The raw path (no query) the scope check saw.
    pub path: String,
    /// What goes on the request line, for the audit log.
    pub path_and_query: String,
    /// Header names lower-cased, in the guest's order.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The scope that allowed the request.
    pub scope: String,
}

/// Validates `req` against `policy` and returns exactly what to send.
pub fn check(policy: &Policy<'_>, req: GuestRequest) -> Result<Approved, Refusal> {
    let GuestRequest {
        method,
        path,
        query,
        headers,
        body,
    } = req;

    let rest = strip_origin(policy.origin, &path)?;
    if rest.len() > MAX_PATH_AND_QUERY_BYTES {
        return Err(invalid(format!(
            "path and query are {} bytes long, more than the limit of {MAX_PATH_AND_QUERY_BYTES}",
            rest.len()
        )));
    }
    let (raw_path, raw_query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    check_raw_path(raw_path)?;
    if let Some(raw_query) = raw_query {
        check_raw_query(raw_query)?;
        check_form_keys(
            raw_query.as_bytes(),
            "the query string in the path",
            policy.masquerade,
        )?;
    }
    check_guest_query(&query, raw_query, policy.masquerade)?;
    let headers = check_headers(headers)?;
    check_body(method, &headers, body.as_deref(), policy.masquerade)?;

    let path_and_query = build_path_and_query(raw_path, raw_query, &query);
    if path_and_query.len() > MAX_PATH_AND_QUERY_BYTES {
        return Err(invalid(format!(
            "path and query are {} bytes long once the query pairs are encoded, more than the limit of {MAX_PATH_AND_QUERY_BYTES}",
            path_and_query.len()
        )));
    }
    let url = exact_url(policy.origin, &path_and_query)?;

    let Some(scope) = policy.scopes.find(method, raw_path) else {
        let head = if method == Method::Head {
            " (HEAD requests are checked against GET scopes)"
        } else {
            ""
        };
        return Err(Refusal::Denied(format!(
            "no scope of the manifest allows {method} {raw_path}{head}"
        )));
    };

    Ok(Approved {
        method,
        url,
        path: raw_path.to_owned(),
        path_and_query,
        headers,
        body,
        scope: scope.as_str().to_owned(),
    })
}

fn invalid(message: String) -> Refusal {
    Refusal::Invalid(message)
}

/// Guest text for a message: quoted and escaped (one line, no control
/// characters) and cut to a readable length.
fn show(text: &str) -> String {
    const LIMIT: usize = 100;
    match text.char_indices().nth(LIMIT) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
    }
}

fn show_bytes(bytes: &[u8]) -> String {
    show(&String::from_utf8_lossy(bytes))
}

// ---- path --------------------------------------------------------------

/// Returns the path (and query) of `path`: itself if it is origin-relative,
/// the part after the authority if it is an absolute URL on `origin`.
fn strip_origin<'p>(origin: &Origin, path: &'p str) -> Result<&'p str, Refusal> {
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
fn describe_byte(b: u8) -> String {
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
fn check_raw_path(raw: &str) -> Result<(), Refusal> {
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
fn check_raw_query(raw: &str) -> Result<(), Refusal> {
    if let Some(i) = raw.find('\'') {
        // The URL parser percent-encodes `'` in the query of http(s) URLs.
        return Err(invalid(format!(
            "query string {} contains \"'\" at byte {i}; write it as %27",
            show(raw)
        )));
    }
    check_bytes(raw, &QUERY, |_, _| Ok(()))
}

// ---- forbidden parameters ------------------------------------------------

/// Parameters that would change who the request acts as or which method
/// Canvas runs, whatever the scope check saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forbidden {
    AccessToken,
    MethodOverride,
    Masquerade,
}

impl Forbidden {
    const ALL: [Forbidden; 3] = [
        Forbidden::AccessToken,
        Forbidden::MethodOverride,
        Forbidden::Masquerade,
    ];

    fn name(self) -> &'static str {
        match self {
            Forbidden::AccessToken => "access_token",
            Forbidden::MethodOverride => "_method",
            Forbidden::Masquerade => "as_user_id",
        }
    }

    fn applies(self, masquerade: bool) -> bool {
        self != Forbidden::Masquerade || !masquerade
    }

    fn reason(self) -> &'static str {
        match self {
            Forbidden::AccessToken => "the host authenticates every request itself",
            Forbidden::MethodOverride => "it would override the HTTP method the scope check saw",
            Forbidden::Masquerade => {
                "acting as another user needs masquerade = true in the manifest's [canvas] table"
            }
        }
    }

    fn refusal(self, place: &str, key: &str) -> Refusal {
        invalid(format!(
            "{place} has parameter {key} ({}), which is not allowed: {}",
            self.name(),
            self.reason()
        ))
    }
}

/// The parameter name Rack would file a key under: the part before the
/// first bracket. Stricter than the plain "before the first `[`": leading
/// brackets and whitespace are skipped too (Rack 2 reads `[as_user_id]` as
/// `as_user_id`), and trailing whitespace is dropped.
fn base_name(key: &[u8]) -> &[u8] {
    let start = key
        .iter()
        .position(|b| !matches!(b, b'[' | b']') && !b.is_ascii_whitespace())
        .unwrap_or(key.len());
    let key = &key[start..];
    let end = key
        .iter()
        .position(|b| matches!(b, b'[' | b']'))
        .unwrap_or(key.len());
    key[..end].trim_ascii_end()
}

/// The forbidden parameter `key` names, if any.
fn forbidden_key(key: &[u8], masquerade: bool) -> Option<Forbidden> {
    let base = base_name(key);
    Forbidden::ALL
        .into_iter()
        .find(|f| f.applies(masquerade) && base.eq_ignore_ascii_case(f.name().as_bytes()))
}

/// Decodes a form-encoded key the way Rack does: `+` is a space, then
/// percent-escapes (malformed ones are kept as they are).
fn decode_form(key: &[u8]) -> Vec<u8> {
    let plus: Vec<u8> = key
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus).collect()
}

/// Checks the keys of `application/x-www-form-urlencoded` text (a query
/// string or a body). Pairs are split at `&` and at `;` (older Rack splits
/// at both).
fn check_form_keys(text: &[u8], place: &str, masquerade: bool) -> Result<(), Refusal> {
    for pair in text.split(|&b| b == b'&' || b == b';') {
        let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
        if let Some(f) = forbidden_key(&decode_form(key), masquerade) {
            return Err(f.refusal(place, &show_bytes(key)));
        }
    }
    Ok(())
}

// ---- guest query pairs -------------------------------------------------

/// Bytes of a guest query key or value sent as they are; everything else is
/// percent-encoded. `[` and `]` stay readable (`include[]`).
const QUERY_PAIR_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'[')
    .remove(b']');

fn has_control(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 || b == 0x7f)
}

fn check_guest_query(
    pairs: &[(String, String)],
    raw_query: Option<&str>,
    masquerade: bool,
) -> Result<(), Refusal> {
    let raw_pairs = raw_query.map_or(0, |q| q.split('&').count());
    if pairs.len() + raw_pairs > MAX_QUERY_PAIRS {
        return Err(invalid(format!(
            "the request has {} query pairs, more than the limit of {MAX_QUERY_PAIRS}",
            pairs.len() + raw_pairs
        )));
    }
    let plain_bytes: usize = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    if plain_bytes > MAX_PATH_AND_QUERY_BYTES {
        return Err(invalid(format!(
            "the query pairs are {plain_bytes} bytes long, more than the limit of {MAX_PATH_AND_QUERY_BYTES}"
        )));
    }
    for (n, (key, value)) in pairs.iter().enumerate() {
        if key.is_empty() {
            return Err(invalid(format!("query pair #{} has an empty key", n + 1)));
        }
        if has_control(key) {
            return Err(invalid(format!(
                "query key {} contains a control character",
                show(key)
            )));
        }
        if has_control(value) {
            return Err(invalid(format!(
                "the value of query key {} contains a control character",
                show(key)
            )));
        }
        let forbidden = forbidden_key(key.as_bytes(), masquerade)
            .or_else(|| forbidden_key(&decode_form(key.as_bytes()), masquerade));
        if let Some(f) = forbidden {
            return Err(f.refusal("the query list", &show(key)));
        }
    }
    Ok(())
}

fn build_path_and_query(
    raw_path: &str,
    raw_query: Option<&str>,
    pairs: &[(String, String)],
) -> String {
    let mut out = String::from(raw_path);
    if raw_query.is_none() && pairs.is_empty() {
        return out;
    }
    out.push('?');
    let mut query_empty = true;
    if let Some(raw_query) = raw_query {
        out.push_str(raw_query);
        query_empty = raw_query.is_empty();
    }
    for (key, value) in pairs {
        if !query_empty {
            out.push('&');
        }
        query_empty = false;
        out.extend(utf8_percent_encode(key, QUERY_PAIR_KEEP));
        out.push('=');
        out.extend(utf8_percent_encode(value, QUERY_PAIR_KEEP));
    }
    out
}

// ---- headers -------------------------------------------------------------

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
    match name {
        "authorization" | "cookie" => Some(CREDENTIAL),
        n if n.starts_with("proxy-") => Some(CREDENTIAL),
        "host" | "forwarded" | "x-real-ip" | "client-ip" | "x-client-ip" | "true-client-ip"
        | "x-original-url" | "x-rewrite-url" => Some(ROUTING),
        n if n.starts_with("x-forwarded") => Some(ROUTING),
        "x-http-method-override" | "x-http-method" | "x-method-override" => Some(OVERRIDE),
        "connection" | "content-length" | "transfer-encoding" | "te" | "trailer" | "upgrade"
        | "keep-alive" | "expect" => Some(MANAGED),
        _ => None,
    }
}

/// Checks the guest's headers and returns them with lower-case names.
fn check_headers(headers: Vec<(String, String)>) -> Result<Vec<(String, String)>, Refusal> {
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

// ---- body ----------------------------------------------------------------

/// Checks the body, fail-closed whatever the content-type says: keys of a
/// JSON object, keys of the body read as a form, and part names of a
/// multipart body.
fn check_body(
    method: Method,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    masquerade: bool,
) -> Result<(), Refusal> {
    let Some(body) = body else {
        return Ok(());
    };
    if matches!(method, Method::Get | Method::Head) {
        return Err(invalid(format!(
            "a {method} request cannot carry a body; send its parameters in the query"
        )));
    }
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.to_ascii_lowercase())
        .unwrap_or_default();

    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => {
            for key in map.keys() {
                if let Some(f) = forbidden_key(key.as_bytes(), masquerade) {
                    return Err(f.refusal("the JSON body", &show(key)));
                }
            }
        }
        Ok(_) => {}
        Err(e) if content_type.contains("json") => {
            return Err(invalid(format!(
                "the body is declared as JSON (content-type {}) but is not valid JSON: {e}",
                show(&content_type)
            )));
        }
        Err(_) => {}
    }

    check_form_keys(body, "the body (read as a form)", masquerade)?;

    if content_type.contains("multipart/") {
        check_multipart_names(body, masquerade)?;
    }
    Ok(())
}

/// Refuses a multipart body with a part whose name starts with a forbidden
/// parameter: every `name="…"`, `name=…` or `name*=…` is looked at,
/// ASCII-case-insensitively, wherever it appears (this also catches
/// `filename=`, which is fine: fail closed).
fn check_multipart_names(body: &[u8], masquerade: bool) -> Result<(), Refusal> {
    let lower = body.to_ascii_lowercase();
    let mut from = 0;
    while let Some(offset) = find(&lower[from..], b"name") {
        let mut i = from + offset + b"name".len();
        from = i;
        let skip = |i: &mut usize, what: &[u8]| {
            while lower.get(*i).is_some_and(|b| what.contains(b)) {
                *i += 1;
            }
        };
        skip(&mut i, b"*");
        skip(&mut i, b" \t");
        if lower.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        skip(&mut i, b" \t\"");
        let value_end = lower[i..]
            .iter()
            .position(|b| matches!(b, b'"' | b';' | b'\r' | b'\n'))
            .map_or(lower.len(), |n| i + n);
        let mut value = &lower[i..value_end];
        // RFC 5987 `name*=utf-8''value`.
        if let Some(quotes) = find(value, b"''") {
            value = &value[quotes + 2..];
        }
        let start = value
            .iter()
            .position(|b| !matches!(b, b'[' | b']') && !b.is_ascii_whitespace())
            .unwrap_or(value.len());
        let value = &value[start..];
        let hit = Forbidden::ALL
            .into_iter()
            .find(|f| f.applies(masquerade) && value.starts_with(f.name().as_bytes()));
        if let Some(f) = hit {
            return Err(f.refusal("the multipart body", &show_bytes(value)));
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

// ---- exact bytes -----------------------------------------------------------

/// Parses `origin + path_and_query` and refuses if the URL parser would send
/// anything other than exactly those bytes.
fn exact_url(origin: &Origin, path_and_query: &str) -> Result<Url, Refusal> {
    let built = format!("{origin}{path_and_query}");
    let url = Url::parse(&built)
        .map_err(|e| invalid(format!("URL {} does not parse: {e}", show(&built))))?;
    if url.as_str() != built {
        return Err(invalid(format!(
            "URL {} would be re-encoded as {} by the URL parser; nothing was sent",
            show(&built),
            show(url.as_str())
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    const ORIGIN: &str = "https://school.instructure.com";

    const SCOPES: &[&str] = &[
        "url:GET|/api/v1/courses/:course_id",
        "url:GET|/api/v1/courses/:course_id/users",
        "url:GET|/api/v1/courses/:course_id/folders/by_path/*full_path",
        "url:POST|/api/v1/courses/:course_id/discussion_topics",
        "url:PUT|/api/v1/courses/:course_id",
        "url:DELETE|/api/v1/courses/:course_id",
        "url:PATCH|/api/v1/courses/:course_id",
        "url:GET|/api/v1/users/:user_id/custom_data(/*scope)",
    ];

    fn scope_set(list: &[&str]) -> ScopeSet {
        ScopeSet::new(list.iter().map(|s| s.parse::<Scope>().unwrap()).collect())
    }

    fn run_with(scopes: &[&str], masquerade: bool, req: GuestRequest) -> Result<Approved, Refusal> {
        let origin = Origin::parse(ORIGIN).unwrap();
        let scopes = scope_set(scopes);
        check(
            &Policy {
                origin: &origin,
                scopes: &scopes,
                masquerade,
            },
            req,
        )
    }

    fn run(req: GuestRequest) -> Result<Approved, Refusal> {
        run_with(SCOPES, false, req)
    }

    fn request(method: Method, path: &str) -> GuestRequest {
        GuestRequest {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    fn get(path: &str) -> GuestRequest {
        request(Method::Get, path)
    }

    fn post(path: &str, content_type: Option<&str>, body: &[u8]) -> GuestRequest {
        let mut req = request(Method::Post, path);
        if let Some(ct) = content_type {
            req.headers.push(("Content-Type".into(), ct.into()));
        }
        req.body = Some(body.to_vec());
        req
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[track_caller]
    fn approved(result: Result<Approved, Refusal>) -> Approved {
        match result {
            Ok(a) => a,
            Err(e) => panic!("expected approval, got {e}"),
        }
    }

    /// Asserts an Invalid refusal whose message contains `needle`.
    #[track_caller]
    fn assert_invalid<T: fmt::Debug>(result: Result<T, Refusal>, needle: &str) {
        match result {
            Err(Refusal::Invalid(message)) => {
                assert!(
                    message.contains(needle),
                    "message {message:?} lacks {needle:?}"
                );
                assert!(!message.contains('\n') && !message.contains('\r'));
            }
            other => panic!("expected Invalid containing {needle:?}, got {other:?}"),
        }
    }

    const TOPICS: &str = "/api/v1/courses/1/discussion_topics";

    // ---- approval ----------------------------------------------------------

    #[test]
    fn allowed_request_yields_exact_url() {
        let mut req = get("/api/v1/courses/sis_course_id:A1/users?per_page=50");
        req.query = pairs(&[("include[]", "email"), ("include[]", "avatar_url")]);
        req.headers = pairs(&[("Accept", "application/json")]);
        let a = approved(run(req));
        assert_eq!(
            a.url.as_str(),
            "https://school.instructure.com/api/v1/courses/sis_course_id:A1/users?per_page=50&include[]=email&include[]=avatar_url"
        );
        assert_eq!(a.path, "/api/v1/courses/sis_course_id:A1/users");
        assert_eq!(
            a.path_and_query,
            "/api/v1/courses/sis_course_id:A1/users?per_page=50&include[]=email&include[]=avatar_url"
        );
        assert_eq!(a.scope, "url:GET|/api/v1/courses/:course_id/users");
        assert_eq!(a.headers, pairs(&[("accept", "application/json")]));
        assert_eq!(a.method, Method::Get);
        assert!(a.body.is_none());

        let a = approved(run(get("/api/v1/courses/1.json")));
        assert_eq!(
            a.url.as_str(),
            "https://school.instructure.com/api/v1/courses/1.json"
        );
        assert_eq!(a.path_and_query, "/api/v1/courses/1.json");

        let a = approved(run(post(
            TOPICS,
            Some("application/json; charset=utf-8"),
            br#"{"title":"Week 1","message":"hi"}"#,
        )));
        assert_eq!(
            a.body.as_deref(),
            Some(&br#"{"title":"Week 1","message":"hi"}"#[..])
        );
        assert_eq!(a.headers[0].0, "content-type");
    }

    #[test]
    fn percent_escapes_and_sub_delims_are_kept_exactly() {
        let path = "/api/v1/courses/sis_course_id:A%20B;c=d@e!$&'()*+,~/users";
        let a = approved(run(get(path)));
        assert_eq!(a.path, path);
        assert_eq!(a.url.as_str(), format!("{ORIGIN}{path}"));
        // Lower-case escapes are not normalised.
        let a = approved(run(get("/api/v1/courses/a%c3%a9")));
        assert_eq!(a.url.path(), "/api/v1/courses/a%c3%a9");
    }

    #[test]
    fn head_is_checked_against_get_scopes() {
        let a = approved(run(request(Method::Head, "/api/v1/courses/1")));
        assert_eq!(a.scope, "url:GET|/api/v1/courses/:course_id");
        assert_eq!(
            run(request(Method::Head, "/api/v1/accounts/1")).unwrap_err(),
            Refusal::Denied(
                "no scope of the manifest allows HEAD /api/v1/accounts/1 (HEAD requests are checked against GET scopes)"
                    .into()
            )
        );
    }

    #[test]
    fn denied_vs_invalid() {
        assert_eq!(
            run(get("/api/v1/accounts/1")).unwrap_err(),
            Refusal::Denied("no scope of the manifest allows GET /api/v1/accounts/1".into())
        );
        assert_eq!(
            run(request(Method::Post, "/api/v1/courses/1")).unwrap_err(),
            Refusal::Denied("no scope of the manifest allows POST /api/v1/courses/1".into())
        );
        // Validation comes first: a path no scope allows is still Invalid
        // when it is malformed.
        assert_invalid(run(get("/api/v1/accounts/1/")), "ends with '/'");
        assert_eq!(Refusal::Denied("x".into()).to_string(), "denied: x");
        assert_eq!(
            Refusal::Invalid("y".into()).to_string(),
            "invalid request: y"
        );
    }

    // ---- path refusals -------------------------------------------------------

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

    // ---- origins -------------------------------------------------------------

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
        let policy = Policy {
            origin: &origin,
            scopes: &scopes,
            masquerade: false,
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

    // ---- query -----------------------------------------------------------

    #[test]
    fn query_pairs_are_encoded() {
        let mut req = get("/api/v1/courses/1/users");
        req.query = pairs(&[
            ("include[]", "email"),
            ("search_term", "intro biology"),
            ("a&b", "c=d"),
            ("name", "Zoë 日本"),
            ("sym", "+%/?#'\"~._-"),
            ("empty", ""),
        ]);
        let a = approved(run(req));
        assert_eq!(
            a.path_and_query,
            "/api/v1/courses/1/users?include[]=email&search_term=intro%20biology&a%26b=c%3Dd&name=Zo%C3%AB%20%E6%97%A5%E6%9C%AC&sym=%2B%25%2F%3F%23%27%22~._-&empty="
        );
        assert_eq!(a.url.as_str(), format!("{ORIGIN}{}", a.path_and_query));
    }

    #[test]
    fn query_pairs_are_appended_to_the_raw_query() {
        let mut req = get("/api/v1/courses/1/users?page=2");
        req.query = pairs(&[("per_page", "10")]);
        assert_eq!(
            approved(run(req)).path_and_query,
            "/api/v1/courses/1/users?page=2&per_page=10"
        );
        let mut req = get("/api/v1/courses/1/users?");
        req.query = pairs(&[("per_page", "10")]);
        assert_eq!(
            approved(run(req)).path_and_query,
            "/api/v1/courses/1/users?per_page=10"
        );
        assert_eq!(
            approved(run(get("/api/v1/courses/1/users?"))).url.as_str(),
            format!("{ORIGIN}/api/v1/courses/1/users?")
        );
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

    #[test]
    fn guest_query_refusals() {
        let base = "/api/v1/courses/1/users";
        let with = |list: &[(&str, &str)]| {
            let mut req = get(base);
            req.query = pairs(list);
            run(req)
        };
        assert_invalid(with(&[("", "x")]), "empty key");
        assert_invalid(
            with(&[("a\nb", "x")]),
            "query key \"a\\nb\" contains a control character",
        );
        assert_invalid(
            with(&[("a", "x\r\ny")]),
            "value of query key \"a\" contains a control character",
        );
        assert_invalid(with(&[("a", "x\0")]), "control character");
        assert_invalid(with(&[("a", "\x7f")]), "control character");
        assert_invalid(with(&[("a\t", "x")]), "control character");
    }

    #[test]
    fn sizes_are_limited() {
        let base = "/api/v1/courses/1/users";
        let long = format!("{base}?a={}", "x".repeat(MAX_PATH_AND_QUERY_BYTES));
        assert_invalid(run(get(&long)), "more than the limit of 8192");
        let fits = format!(
            "{base}?a={}",
            "x".repeat(MAX_PATH_AND_QUERY_BYTES - base.len() - 3)
        );
        assert_eq!(
            approved(run(get(&fits))).path_and_query.len(),
            MAX_PATH_AND_QUERY_BYTES
        );

        let mut req = get(base);
        req.query = vec![("a".to_string(), "é".repeat(2000))];
        assert_invalid(run(req), "once the query pairs are encoded");

        let mut req = get(base);
        req.query = vec![("a".to_string(), "x".repeat(MAX_PATH_AND_QUERY_BYTES))];
        assert_invalid(run(req), "the query pairs are");

        let mut req = get(base);
        req.query = vec![("a".to_string(), String::new()); MAX_QUERY_PAIRS + 1];
        assert_invalid(run(req), "1001 query pairs");
        let mut req = get(&format!("{base}?x=1"));
        req.query = vec![("a".to_string(), String::new()); MAX_QUERY_PAIRS];
        assert_invalid(run(req), "1001 query pairs");
        let mut req = get(base);
        req.query = vec![("a".to_string(), String::new()); MAX_QUERY_PAIRS];
        approved(run(req));
    }

    // ---- forbidden parameters ---------------------------------------------

    #[test]
    fn forbidden_keys_in_the_raw_query() {
        let base = "/api/v1/courses/1/users";
        for (query, name) in [
            ("access_token=abc", "access_token"),
            ("a=1&ACCESS_TOKEN=abc", "access_token"),
            ("%61ccess_token=abc", "access_token"),
            ("%61CCESS%5fTOKEN=abc", "access_token"),
            ("access_token%5B%5D=abc", "access_token"),
            ("%5Baccess_token%5D=abc", "access_token"),
            ("a=1;access_token=abc", "access_token"),
            ("+access_token=abc", "access_token"),
            ("_method=DELETE", "_method"),
            ("_METHOD=delete", "_method"),
            ("as_user_id=5", "as_user_id"),
            ("as_user_id", "as_user_id"),
            ("as%5Fuser%5Fid=5", "as_user_id"),
        ] {
            let result = run(get(&format!("{base}?{query}")));
            assert_invalid(result.clone(), "the query string in the path has parameter");
            assert_invalid(result, &format!("({name}), which is not allowed"));
        }
        approved(run(get(&format!(
            "{base}?my_access_token=1&as_user=2&method=x"
        ))));
    }

    #[test]
    fn forbidden_keys_in_the_guest_query() {
        let base = "/api/v1/courses/1/users";
        for (key, name) in [
            ("access_token", "access_token"),
            ("Access_Token", "access_token"),
            ("access_token[x]", "access_token"),
            ("%61ccess_token", "access_token"),
            ("_method", "_method"),
            ("as_user_id", "as_user_id"),
            ("as_user_id[]", "as_user_id"),
            ("[as_user_id]", "as_user_id"),
            (" as_user_id ", "as_user_id"),
        ] {
            let mut req = get(base);
            req.query = pairs(&[("per_page", "10"), (key, "5")]);
            assert_invalid(
                run(req),
                &format!("the query list has parameter {key:?} ({name})"),
            );
        }
    }

    #[test]
    fn masquerade_allows_as_user_id_only() {
        let base = "/api/v1/courses/1/users";
        let mut req = get(&format!("{base}?as_user_id=5"));
        req.query = pairs(&[("as_user_id", "6")]);
        let a = approved(run_with(SCOPES, true, req));
        assert_eq!(
            a.path_and_query,
            format!("{base}?as_user_id=5&as_user_id=6")
        );
        approved(run_with(
            SCOPES,
            true,
            post(TOPICS, Some("application/json"), br#"{"as_user_id": 5}"#),
        ));
        approved(run_with(
            SCOPES,
            true,
            post(
                TOPICS,
                Some("multipart/form-data; boundary=b"),
                b"--b\r\nContent-Disposition: form-data; name=\"as_user_id\"\r\n\r\n5\r\n--b--\r\n",
            ),
        ));
        assert_invalid(
            run(get(&format!("{base}?as_user_id=5"))),
            "needs masquerade = true in the manifest's [canvas] table",
        );
        assert_invalid(
            run_with(SCOPES, true, get(&format!("{base}?access_token=x"))),
            "(access_token)",
        );
        assert_invalid(
            run_with(SCOPES, true, get(&format!("{base}?_method=POST"))),
            "(_method)",
        );
    }

    #[test]
    fn forbidden_keys_in_a_json_body() {
        for (body, name) in [
            (&br#"{"as_user_id": 5}"#[..], "as_user_id"),
            (br#"{"title": "x", "AS_USER_ID": 5}"#, "as_user_id"),
            (br#"{"as_user_id[x]": 5}"#, "as_user_id"),
            (br#"{"\u0061s_user_id": 5}"#, "as_user_id"),
            (br#"{"access_token": "t"}"#, "access_token"),
            (br#"{"_method": "DELETE"}"#, "_method"),
        ] {
            for content_type in [Some("application/json"), Some("text/plain"), None] {
                assert_invalid(
                    run(post(TOPICS, content_type, body)),
                    "the JSON body has parameter",
                );
                assert_invalid(run(post(TOPICS, content_type, body)), &format!("({name})"));
            }
        }
        // Nested keys are not parameters of their own.
        approved(run(post(
            TOPICS,
            Some("application/json"),
            br#"{"topic": {"as_user_id": 5}}"#,
        )));
        // A body declared as JSON must be JSON (Ruby's parser accepts
        // comments that serde_json does not).
        assert_invalid(
            run(post(
                TOPICS,
                Some("application/json"),
                br#"{"a": 1, /* c */ "as_user_id": 5}"#,
            )),
            "is not valid JSON",
        );
        assert_invalid(
            run(post(TOPICS, Some("application/vnd.api+json"), b"{")),
            "is not valid JSON",
        );
    }

    #[test]
    fn forbidden_keys_in_a_form_body() {
        for (body, name) in [
            (&b"title=x&as_user_id=5"[..], "as_user_id"),
            (b"_method=DELETE", "_method"),
            (b"%61ccess_token=t", "access_token"),
            (b"title=x;access_token=t", "access_token"),
            (b"as_user_id[]=1", "as_user_id"),
            (b"title=\xff\xfe&as_user_id=5", "as_user_id"),
        ] {
            for content_type in [
                Some("application/x-www-form-urlencoded"),
                None,
                Some("text/plain"),
            ] {
                assert_invalid(
                    run(post(TOPICS, content_type, body)),
                    "the body (read as a form) has parameter",
                );
                assert_invalid(run(post(TOPICS, content_type, body)), &format!("({name})"));
            }
        }
        approved(run(post(TOPICS, None, b"title=as_user_id&message=_method")));
    }

    #[test]
    fn forbidden_names_in_a_multipart_body() {
        let ct = Some("multipart/form-data; boundary=XyZ");
        let part = |disposition: &str| {
            format!("--XyZ\r\nContent-Disposition: {disposition}\r\n\r\nvalue\r\n--XyZ--\r\n")
                .into_bytes()
        };
        for (disposition, name) in [
            ("form-data; name=\"access_token\"", "access_token"),
            ("form-data; NAME=\"Access_Token\"", "access_token"),
            ("form-data; name=\"_method\"", "_method"),
            ("form-data; name=\"as_user_id\"", "as_user_id"),
            ("form-data; name=as_user_id", "as_user_id"),
            ("form-data; name = \"as_user_id\"", "as_user_id"),
            ("form-data; name=\"[as_user_id]\"", "as_user_id"),
            ("form-data; name=\"as_user_idx\"", "as_user_id"),
            ("form-data; name*=utf-8''as_user_id", "as_user_id"),
        ] {
            assert_invalid(
                run(post(TOPICS, ct, &part(disposition))),
                "the multipart body has parameter",
            );
            assert_invalid(
                run(post(TOPICS, ct, &part(disposition))),
                &format!("({name})"),
            );
        }
        approved(run(post(TOPICS, ct, &part("form-data; name=\"title\""))));
        approved(run(post(
            TOPICS,
            ct,
            &part("form-data; name=\"attachment\"; filename=\"a.txt\""),
        )));
        // Without a multipart content-type the body is not read as multipart.
        approved(run(post(
            TOPICS,
            Some("text/plain"),
            &part("form-data; name=\"as_user_id\""),
        )));
    }

    // ---- body --------------------------------------------------------------

    #[test]
    fn body_on_get_or_head_is_refused() {
        for method in [Method::Get, Method::Head] {
            let mut req = request(method, "/api/v1/courses/1");
            req.body = Some(b"x".to_vec());
            assert_invalid(run(req), "cannot carry a body");
            let mut req = request(method, "/api/v1/courses/1");
            req.body = Some(Vec::new());
            assert_invalid(run(req), "cannot carry a body");
        }
        for method in [Method::Put, Method::Patch, Method::Delete] {
            let mut req = request(method, "/api/v1/courses/1");
            req.body = Some(b"course[name]=x".to_vec());
            approved(run(req));
        }
    }

    // ---- headers -----------------------------------------------------------

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

    // ---- exact bytes -------------------------------------------------------

    /// xorshift64*: a tiny deterministic PRNG.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    const SAFE: &[u8] = b"ABCXYZabcxyz0189-._~!$&'()*+,;=:@";

    fn segment(rng: &mut Rng) -> String {
        loop {
            let mut s = String::new();
            for _ in 0..1 + rng.below(8) {
                if rng.below(5) == 0 {
                    // An escape other than a control character, %2F or %5C.
                    let value = loop {
                        let v = (0x20 + rng.below(0xe0)) as u8;
                        if !matches!(v, b'/' | b'\\' | 0x7f) {
                            break v;
                        }
                    };
                    if rng.below(2) == 0 {
                        s.push_str(&format!("%{value:02X}"));
                    } else {
                        s.push_str(&format!("%{value:02x}"));
                    }
                } else {
                    s.push(char::from(*rng.pick(SAFE)));
                }
            }
            let decoded: Vec<u8> = percent_decode(s.as_bytes()).collect();
            if decoded != b"." && decoded != b".." {
                return s;
            }
        }
    }

    #[test]
    fn accepted_paths_are_sent_byte_for_byte() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let scopes = ["url:GET|/*path", "url:POST|/*path"];
        for n in 0..4000 {
            let mut path = String::new();
            for _ in 0..1 + rng.below(6) {
                path.push('/');
                path.push_str(&segment(&mut rng));
            }
            if rng.below(2) == 0 {
                path.push('?');
                for i in 0..rng.below(4) {
                    if i > 0 {
                        path.push('&');
                    }
                    path.push_str(&segment(&mut rng).replace('\'', "%27"));
                    if rng.below(3) == 0 {
                        path.push_str("/?");
                    }
                }
            }
            let mut req = request(
                if n % 2 == 0 {
                    Method::Get
                } else {
                    Method::Post
                },
                &path,
            );
            for _ in 0..rng.below(3) {
                let key: String = (0..1 + rng.below(5))
                    .map(|_| *rng.pick(&['a', 'b', '[', ']', ' ', 'é', '&', '=', '\'', '%', '+']))
                    .collect();
                let value: String = (0..rng.below(5))
                    .map(|_| *rng.pick(&['x', ' ', 'ü', '日', '"', '#', '?', '/', '\'', '%', '+']))
                    .collect();
                req.query.push((format!("k{key}"), value));
            }
            let a = match run_with(&scopes, false, req) {
                Ok(a) => a,
                Err(e) => panic!("{path}: {e}"),
            };
            let built = format!("{ORIGIN}{}", a.path_and_query);
            assert_eq!(a.url.as_str(), built);
            assert!(a.path_and_query.starts_with(&path));
            assert_eq!(a.url.path(), a.path);
        }
    }

    /// Random printable and unprintable text: whatever the checks accept is
    /// never changed by the URL parser (the "re-encoded" refusal stays
    /// unreachable).
    #[test]
    fn nothing_accepted_is_re_encoded() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let alphabet: Vec<char> = (0x00u8..0x80).map(char::from).chain(['é', '日']).collect();
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut path = String::from("/a");
            for _ in 0..rng.below(12) {
                if rng.below(4) == 0 {
                    path.push_str(rng.pick::<&str>(&[
                        "%2e", "%2E", "%00", "%41", "%7e", "%", "/", ".", "?", "%3F", "%23",
                    ]));
                } else {
                    path.push(*rng.pick(&alphabet));
                }
            }
            match run_with(&["url:GET|/*path"], false, get(&path)) {
                Ok(a) => {
                    accepted += 1;
                    assert_eq!(a.url.as_str(), format!("{ORIGIN}{path}"));
                }
                Err(Refusal::Invalid(m)) => assert!(!m.contains("re-encoded"), "{path:?}: {m}"),
                Err(Refusal::Denied(m)) => panic!("{path:?}: {m}"),
            }
        }
        assert!(accepted > 1000, "only {accepted} accepted");
    }

    #[test]
    fn re_encoding_is_detected() {
        let origin = Origin::parse(ORIGIN).unwrap();
        assert_invalid(exact_url(&origin, "/a/../b"), "would be re-encoded");
        assert_invalid(exact_url(&origin, "/a b"), "would be re-encoded");
        assert_invalid(exact_url(&origin, "/a?it's"), "would be re-encoded");
        assert_eq!(
            exact_url(&origin, "/a/b?c=d").unwrap().as_str(),
            "https://school.instructure.com/a/b?c=d"
        );
    }

    #[test]
    fn messages_are_one_line_and_bounded() {
        let long = format!("/api/v1/courses/{}\r\n", "x".repeat(5000));
        match run(get(&long)) {
            Err(Refusal::Invalid(m)) => {
                assert!(!m.contains('\r') && !m.contains('\n'));
                assert!(m.len() < 400, "{} bytes", m.len());
            }
            other => panic!("{other:?}"),
        }
    }
}
