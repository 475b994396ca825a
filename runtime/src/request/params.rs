//! Request parameters: the forbidden ones (credentials, method override,
//! masquerading), wherever they appear, and the guest's plain-text query
//! pairs, checked and percent-encoded onto the path.

use super::{invalid, show, show_bytes, Refusal, MAX_PATH_AND_QUERY_BYTES, MAX_QUERY_PAIRS};
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

// ---- forbidden parameters ------------------------------------------------

/// Parameters that would change who the request acts as or which method
/// Canvas runs, whatever the scope check saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Forbidden {
    AccessToken,
    MethodOverride,
    Masquerade,
}

impl Forbidden {
    pub(super) const ALL: [Forbidden; 3] = [
        Forbidden::AccessToken,
        Forbidden::MethodOverride,
        Forbidden::Masquerade,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Forbidden::AccessToken => "access_token",
            Forbidden::MethodOverride => "_method",
            Forbidden::Masquerade => "as_user_id",
        }
    }

    pub(super) fn applies(self, masquerade: bool) -> bool {
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

    pub(super) fn refusal(self, place: &str, key: &str) -> Refusal {
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
pub(super) fn forbidden_key(key: &[u8], masquerade: bool) -> Option<Forbidden> {
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
pub(super) fn check_form_keys(text: &[u8], place: &str, masquerade: bool) -> Result<(), Refusal> {
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

pub(super) fn check_guest_query(
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

pub(super) fn build_path_and_query(
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

#[cfg(test)]
mod tests {
    use crate::request::test_support::*;

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
}
