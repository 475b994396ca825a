//! The compiled [`ScopeSet`] against the reference matcher,
//! [`Scope::allows`]: on every Canvas scope's example paths and mutations of
//! them, on random scopes and paths, and what it captures.

use super::tests::{all_scopes, examples, scope};
use super::*;

/// The answer of a loop over the scopes: the first that allows the request.
fn first_allowing(scopes: &[Scope], method: Method, path: &str) -> Option<usize> {
    scopes.iter().position(|s| s.allows(method, path))
}

fn all_allowing(scopes: &[Scope], method: Method, path: &str) -> Vec<usize> {
    (0..scopes.len())
        .filter(|&i| scopes[i].allows(method, path))
        .collect()
}

fn index_of(set: &ScopeSet, found: Option<&Scope>) -> Option<usize> {
    let found = found?;
    set.iter().position(|s| std::ptr::eq(s, found))
}

#[track_caller]
fn agree(scopes: &[Scope], set: &ScopeSet, method: Method, path: &str) {
    assert_eq!(
        index_of(set, set.find(method, path)),
        first_allowing(scopes, method, path),
        "find {method} {path:?}"
    );
}

/// Paths near `path` that a sloppy matcher could get wrong.
fn mutations(path: &str) -> Vec<String> {
    let mut out = vec![
        format!("{path}/"),
        format!("{path}/x"),
        format!("{path}."),
        format!("{path}.json/x"),
        format!("{path}.a.b"),
        format!("/{path}"),
        format!("x{path}"),
        path.replace('/', "//"),
        path.replacen("/1", "/1/2", 1),
        path.replace("123", "1\u{e9}"),
        path.replace("123", "a.b"),
        path.replace("123", "\u{e9}"),
        path.replace("/a/b/c", "/a//c"),
        path.to_uppercase(),
    ];
    if let Some((cut, _)) = path.char_indices().last() {
        out.push(path[..cut].to_string());
    }
    if let Some(i) = path.rfind('/') {
        out.push(path[..i].to_string());
        out.push(format!("{}/zz{}", &path[..i], &path[i..]));
    }
    out
}

#[test]
fn every_canvas_scope_is_compiled_into_the_trie() {
    let set = ScopeSet::new(all_scopes());
    assert_eq!(set.len(), 1292);
    assert!(set.inner.alone.is_empty(), "{:?}", set.inner.alone);
}

/// Every example path of every Canvas scope, and mutations of them, with
/// one set of all 1,292 scopes: the same first scope as the loop, and the
/// same set of allowing scopes, for the scope's method, HEAD and another.
#[test]
fn set_agrees_with_the_reference_on_all_canvas_examples() {
    let scopes = all_scopes();
    let set = ScopeSet::new(scopes.clone());
    let mut checked = 0usize;
    for (n, s) in scopes.iter().enumerate() {
        let mut paths = examples(s.path());
        if n % 4 == 0 {
            let extra: Vec<String> = paths.iter().flat_map(|p| mutations(p)).collect();
            paths.extend(extra);
        }
        for path in &paths {
            let other = if s.method() == Method::Get {
                Method::Post
            } else {
                Method::Get
            };
            for method in [s.method(), Method::Head, other] {
                agree(&scopes, &set, method, path);
                checked += 1;
            }
            let all: Vec<usize> = set
                .matching(s.method(), path)
                .into_iter()
                .filter_map(|f| index_of(&set, Some(f)))
                .collect();
            assert_eq!(all, all_allowing(&scopes, s.method(), path), "{path}");
        }
    }
    assert!(checked > 30_000, "only {checked} checks");
}

#[test]
fn set_agrees_on_hand_picked_paths() {
    let scopes = all_scopes();
    let set = ScopeSet::new(scopes.clone());
    for path in [
        "",
        "/",
        "/api",
        "/api/v1",
        "/api/v1/",
        "/api/v1/courses",
        "/api/v1/courses.json",
        "/api/v1/courses/",
        "/api/v1/courses/1",
        "/api/v1/courses/1.json",
        "/api/v1/courses/1.",
        "/api/v1/courses/.json",
        "/api/v1/courses/self/users",
        "/api/v1/courses/1/assignments/gradeable_students",
        "/api/v1/courses/1/folders/by_path/",
        "/api/v1/courses/1/folders/by_path/a/b.c/d.json",
        "/api/v1/users/self/custom_data",
        "/api/v1/users/self/custom_data/",
        "/api/v1/users/self/custom_data/a/b",
        "/api/v1/users/self/custom_data.json",
        "/api/v1/jobs2/running/by_tag",
        "/api/v1/jobs2/running/by_/search",
        "/api/v1/jobs2/running/by_tag/search.json",
        "/api/v1/accounts/1/outcome_imports/group/7",
        "/api/v1/accounts/1/outcome_imports/group",
        "/api/v1/accounts/1/bounced_communication_channels.csv",
        "/api/v1/accounts/1/bounced_communication_channelsXcsv",
        "/api/v1/courses/\u{e9}/users",
        "/api/v1/courses/1\n/users",
    ] {
        for method in Method::ALL {
            agree(&scopes, &set, method, path);
        }
    }
    let long = format!("/api/v1/courses/1/folders/by_path/{}", "a.b/".repeat(2000));
    agree(&scopes, &set, Method::Get, &long);
    agree(&scopes, &set, Method::Get, &format!("{long}x.json"));
    let segment = format!("/api/v1/courses/{}", "1.".repeat(4000));
    agree(&scopes, &set, Method::Get, &segment);
}

/// Random scopes (with every construct, pathological ones included) and
/// random paths over a small alphabet, so that they often nearly match.
#[test]
fn set_agrees_with_the_reference_on_random_scopes() {
    const PARTS: &[&str] = &[
        "/a",
        "/b",
        "/ab",
        "/a.b",
        "/:x",
        "/:y",
        "/*g",
        "/c:x",
        "(/a)",
        "(/:x)",
        "(/*g)",
        "(/a/:x)",
        ":x",
        "(:x)",
        "b",
        ".c",
        "(/a(/:y))",
    ];
    const PATH: &[&str] = &[
        "/", "/", "a", "b", "ab", ".", "c", "1", "\u{e9}", ".json", "/a", "/b", "/1",
    ];
    let mut rng = fastrand::Rng::with_seed(0x5c09e);
    let mut alone = 0;
    for _ in 0..400 {
        let mut scopes = Vec::new();
        while scopes.len() < 12 {
            let parts = rng.usize(1..6);
            let path: String = (0..parts)
                .map(|_| PARTS[rng.usize(..PARTS.len())])
                .collect();
            let method = if rng.bool() { "GET" } else { "PUT" };
            if let Ok(s) = format!("url:{method}|{path}").parse::<Scope>() {
                scopes.push(s);
            }
        }
        let set = ScopeSet::new(scopes.clone());
        alone += set.inner.alone.len();
        let mut paths: Vec<String> = scopes
            .iter()
            .flat_map(|s| s.example_paths("1", "a/b"))
            .collect();
        for _ in 0..60 {
            let parts = rng.usize(1..8);
            paths.push((0..parts).map(|_| PATH[rng.usize(..PATH.len())]).collect());
        }
        for path in &paths {
            for method in [Method::Get, Method::Head, Method::Put, Method::Post] {
                agree(&scopes, &set, method, path);
            }
            for p in mutations(path) {
                agree(&scopes, &set, Method::Get, &p);
            }
        }
    }
    assert!(alone > 100, "too few scopes outside the trie: {alone}");
}

#[test]
fn first_scope_in_order_wins_and_later_ones_are_pruned() {
    let set = ScopeSet::new(vec![
        scope("url:GET|/api/v1/courses/:id"),
        scope("url:GET|/api/v1/courses/self"),
        scope("url:GET|/api/v1/courses/:course_id"),
    ]);
    assert_eq!(
        set.find(Method::Get, "/api/v1/courses/self")
            .map(Scope::as_str),
        Some("url:GET|/api/v1/courses/:id")
    );
    let set = ScopeSet::new(vec![
        scope("url:GET|/api/v1/courses/self"),
        scope("url:GET|/api/v1/courses/:id"),
    ]);
    assert_eq!(
        set.find(Method::Get, "/api/v1/courses/self")
            .map(Scope::as_str),
        Some("url:GET|/api/v1/courses/self")
    );
    assert_eq!(set.matching(Method::Get, "/api/v1/courses/self").len(), 2);
    assert_eq!(set.matching(Method::Get, "/api/v1/courses/1").len(), 1);
}

#[test]
fn scopes_outside_the_trie_keep_their_place_in_the_order() {
    // Not in the trie: ':a' is followed by ':b' in one form.
    let odd = "url:GET|/x(/y:a):b";
    let set = ScopeSet::new(vec![scope(odd), scope("url:GET|/:any")]);
    assert_eq!(set.inner.alone, [0]);
    assert_eq!(set.find(Method::Get, "/xab").map(Scope::as_str), Some(odd));
    assert_eq!(
        set.find(Method::Get, "/zz").map(Scope::as_str),
        Some("url:GET|/:any")
    );
    let set = ScopeSet::new(vec![scope("url:GET|/:any"), scope(odd)]);
    assert_eq!(
        set.find(Method::Get, "/xab").map(Scope::as_str),
        Some("url:GET|/:any")
    );
    assert_eq!(
        set.find(Method::Get, "/x/yab").map(Scope::as_str),
        Some(odd)
    );
    // The pathological scope stays bounded inside a set too.
    let set = ScopeSet::new(vec![scope("url:GET|/x(:a)(:b)(:c)(:d)(:e)/y")]);
    let start = std::time::Instant::now();
    assert!(set
        .find(Method::Get, &format!("/x{}", "a".repeat(8000)))
        .is_none());
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

fn captured(set: &ScopeSet, method: Method, path: &str) -> Vec<(String, String)> {
    let (_, captures) = set.find_captures(method, path).expect(path);
    captures
        .into_iter()
        .map(|c| (c.name.to_string(), c.value.to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn captures_name_each_value() {
    let set = ScopeSet::new(all_scopes());
    assert_eq!(
        captured(&set, Method::Get, "/api/v1/courses/42/enrollments"),
        pairs(&[("course_id", "42")])
    );
    assert_eq!(
        captured(
            &set,
            Method::Get,
            "/api/v1/accounts/sis_account_id:A%20B/courses"
        ),
        pairs(&[("account_id", "sis_account_id:A%20B")])
    );
    assert_eq!(
        captured(&set, Method::Get, "/api/v1/courses/1/folders/by_path/a/b/c"),
        pairs(&[("course_id", "1"), ("full_path", "a/b/c")])
    );
    assert_eq!(
        captured(&set, Method::Get, "/api/v1/jobs2/running/by_tag/search"),
        pairs(&[("bucket", "running"), ("group", "tag")])
    );
    assert_eq!(
        captured(
            &set,
            Method::Post,
            "/api/v1/accounts/1/outcome_imports/group/7"
        ),
        pairs(&[("account_id", "1"), ("learning_outcome_group_id", "7")])
    );
    assert_eq!(
        captured(&set, Method::Post, "/api/v1/accounts/1/outcome_imports"),
        pairs(&[("account_id", "1")])
    );
    assert!(set.find_captures(Method::Get, "/api/v1/nope").is_none());
}

#[test]
fn every_way_of_matching_is_offered() {
    let set = ScopeSet::new(vec![scope("url:GET|/api/v1/courses/:id")]);
    let mut seen = Vec::new();
    let found = set.find_where(Method::Get, "/api/v1/courses/1.a.json", |m| {
        let value = m.captures().next().map(|c| c.value.to_string());
        seen.push((value, m.format_suffix().to_string()));
        false
    });
    assert!(found.is_none());
    seen.sort();
    assert_eq!(
        seen,
        [
            (Some("1".to_string()), ".a.json".to_string()),
            (Some("1.a".to_string()), ".json".to_string()),
            (Some("1.a.json".to_string()), String::new()),
        ]
    );
    // Accepting a later way settles it.
    let found = set.find_where(Method::Get, "/api/v1/courses/1.json", |m| {
        m.captures().next().map(|c| c.value) == Some("1")
    });
    assert_eq!(
        found.map(Scope::as_str),
        Some("url:GET|/api/v1/courses/:id")
    );
}

#[test]
fn the_reference_matcher_offers_captures_too() {
    // Outside the trie, the same captures come from the reference matcher.
    let set = ScopeSet::new(vec![scope("url:GET|/x(/y:a):b")]);
    assert_eq!(set.inner.alone, [0]);
    assert_eq!(
        captured(&set, Method::Get, "/x/yab"),
        pairs(&[("a", "a"), ("b", "b")])
    );
    let mut seen = Vec::new();
    set.find_where(Method::Get, "/x/yabc", |m| {
        seen.push(
            m.captures()
                .map(|c| format!("{}={}", c.name, c.value))
                .collect::<Vec<_>>()
                .join(","),
        );
        false
    });
    seen.sort();
    assert_eq!(seen, ["a=a,b=bc", "a=ab,b=c"]);
}

#[test]
fn example_paths_cover_each_form() {
    let s = scope("url:GET|/api/v1/users/:user_id/custom_data(/*scope)");
    assert_eq!(
        s.example_paths("1", "a/b"),
        [
            "/api/v1/users/1/custom_data",
            "/api/v1/users/1/custom_data/a/b"
        ]
    );
    for path in s.example_paths("self", "x") {
        assert!(s.allows(Method::Get, &path), "{path}");
    }
    assert_eq!(s.vars().len(), 2);
    assert!(s.vars()[1].glob);
    assert!(!s.is_write());
    assert!(scope("url:PUT|/x").is_write());
}
