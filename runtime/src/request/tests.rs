//! End-to-end tests of [`check`]: approval, denial, size limits, and that
//! whatever is approved is sent byte for byte.

use super::*;
use crate::request::test_support::*;
use percent_encoding::percent_decode;

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

#[test]
fn canvas_params_narrow_the_scopes() {
    let params: ParamLimits = [(
        "course_id".to_string(),
        vec!["1".to_string(), "sis_course_id:A1".to_string()],
    )]
    .into_iter()
    .collect();
    let run = |req| run_with_params(SCOPES, false, &params, req);
    let a = approved(run(get("/api/v1/courses/1/users?per_page=50")));
    assert_eq!(a.scope, "url:GET|/api/v1/courses/:course_id/users");
    assert_eq!(
        a.url.as_str(),
        "https://school.instructure.com/api/v1/courses/1/users?per_page=50"
    );
    approved(run(get("/api/v1/courses/sis_course_id:A1")));
    approved(run(request(Method::Head, "/api/v1/courses/1")));
    assert_eq!(
        run(get("/api/v1/courses/2/users")).unwrap_err(),
        Refusal::Denied(
            "url:GET|/api/v1/courses/:course_id/users allows GET /api/v1/courses/2/users, but its parameter course_id = \"2\" is not in [canvas.params] course_id (\"1\", \"sis_course_id:A1\")"
                .into()
        )
    );
    assert!(matches!(
        run(request(Method::Delete, "/api/v1/courses/self")),
        Err(Refusal::Denied(m)) if m.contains("course_id = \"self\"")
    ));
    // Globs are not restricted; a scope without the parameter is not narrowed.
    approved(run(get("/api/v1/courses/1/folders/by_path/a/b")));
    approved(run(get("/api/v1/users/9/custom_data/x")));
    // Validation still comes first.
    assert_invalid(run(get("/api/v1/courses/2/users/")), "ends with '/'");
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
