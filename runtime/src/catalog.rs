//! The 1,292 scopes Canvas LMS defines (`data/canvas_scopes.txt`), to tell a
//! real scope from a typo, and to name the real scope a typo was meant to be.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// The list, one `url:VERB|/path` a line.
pub const CANVAS_SCOPES: &str = include_str!("../data/canvas_scopes.txt");

static KNOWN: LazyLock<HashSet<&'static str>> = LazyLock::new(|| all().collect());

/// Every scope Canvas defines, in the list's order.
pub fn all() -> impl Iterator<Item = &'static str> {
    CANVAS_SCOPES.lines().filter(|l| !l.is_empty())
}

/// Whether Canvas defines exactly this scope.
pub fn is_canvas_scope(scope: &str) -> bool {
    KNOWN.contains(scope)
}

/// The Canvas scope most like `scope` (same method preferred), for a "did
/// you mean" hint; `None` when nothing is reasonably close.
///
/// The distance is an edit distance over path segments: inserting,
/// deleting or replacing a segment costs one; a renamed parameter (`:id`
/// for `:account_id`) costs 0.15 to 0.25, the closer the names the less; a
/// value where a parameter goes (`123`, `self`, `sis_course_id:A1`) costs
/// 0.5; a literal with a typo (`course` for `courses`) costs the share of
/// its characters that changed, up to half (more is a different word, a
/// whole replacement). The same method is preferred; failing that only GET
/// is offered, at a cost of 0.4 (HEAD counts as GET), so that a hint never
/// turns a read into a write or one write into another. An optional group
/// `( … )` may be left out at a tiny cost. A match is reasonably close at a
/// cost of at most one segment and at most 0.3 per segment of the longer
/// path; a whole-segment edit that several scopes tie on gives no hint. A
/// query string is ignored, and the `url:` prefix may be left out.
///
/// A real scope is its own closest. Well under a millisecond a call in a
/// release build (the first call also cuts up the catalog, about 2 ms).
pub fn closest(scope: &str) -> Option<&'static str> {
    if let Some(&known) = KNOWN.get(scope) {
        return Some(known);
    }
    ranked(scope)
}

/// One segment edit, the unit of cost.
const SEGMENT: u32 = 100;
/// Replacing one parameter with another, at most (`:id` for `:account_id`).
const RENAMED_PARAMETER: u32 = 25;
/// GET in place of the method asked for.
const OTHER_METHOD: u32 = 40;
/// A value (`123`, `self`) written where the catalog has a parameter.
const VALUE_FOR_PARAMETER: u32 = 50;
/// Leaving an optional group out, so that the full form wins a tie.
const OPTIONAL_LEFT_OUT: u32 = 1;

/// The catalog, cut into segments for the distance.
struct Index {
    /// Every distinct segment text, with whether it is a parameter.
    segments: Vec<Segment>,
    /// Every scope once per form: with each optional group in or out.
    forms: Vec<Form>,
}

struct Segment {
    text: String,
    /// The characters, for the distance; a parameter's without its sigil.
    chars: Vec<char>,
    parameter: bool,
}

impl Segment {
    fn new(text: &str) -> Segment {
        let parameter = is_parameter(text);
        let name = if parameter { &text[1..] } else { text };
        Segment {
            text: text.to_string(),
            chars: name.chars().collect(),
            parameter,
        }
    }
}

struct Form {
    scope: &'static str,
    method: &'static str,
    /// Indexes into `Index::segments`.
    path: Vec<usize>,
    /// How many optional groups this form leaves out.
    left_out: u32,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut segments = Vec::new();
    let mut forms = Vec::new();
    for scope in all() {
        let Some((method, path)) = split(scope) else {
            continue;
        };
        for (form, left_out) in optional_forms(path) {
            let path = path_segments(&form)
                .map(|text| {
                    *ids.entry(text.to_string()).or_insert_with(|| {
                        segments.push(Segment::new(text));
                        segments.len() - 1
                    })
                })
                .collect();
            forms.push(Form {
                scope,
                method,
                path,
                left_out,
            });
        }
    }
    Index { segments, forms }
});

/// The closest scope by distance alone, with no shortcut for an exact one.
fn ranked(scope: &str) -> Option<&'static str> {
    let (method, path) = split(scope.trim())?;
    let method = method.to_ascii_uppercase();
    let method = if method == "HEAD" { "GET" } else { &method };
    let index = &*INDEX;

    // The query in each of its own optional forms, each segment costed
    // against a catalog segment when the distance first needs it.
    let mut queries: Vec<Query> = optional_forms(path)
        .into_iter()
        .map(|(form, left_out)| {
            let segments: Vec<Segment> = path_segments(&form).map(Segment::new).collect();
            let costs = vec![UNKNOWN; segments.len() * index.segments.len()];
            Query {
                segments,
                costs,
                left_out,
            }
        })
        .collect();

    // The best cost, the form reaching it, and how many other scopes tie
    // on it. Nothing above one segment edit is close, so the search is
    // bounded by that from the start.
    let mut best: Option<(u32, &Form)> = None;
    let mut ties = 0;
    let mut scratch = Scratch::default();
    for form in &index.forms {
        // Another method is offered only as GET: a hint never turns a
        // request into a different kind of write, or a read into a write.
        let method_cost = if form.method == method {
            0
        } else if form.method == "GET" {
            OTHER_METHOD
        } else {
            continue;
        };
        for query in &mut queries {
            let fixed = method_cost + OPTIONAL_LEFT_OUT * (query.left_out + form.left_out);
            let bound = best.map_or(SEGMENT, |(b, _)| b);
            // Each segment the lengths differ by is at least one edit.
            let length_gap = query.segments.len().abs_diff(form.path.len()) as u32 * SEGMENT;
            if fixed + length_gap > bound {
                continue;
            }
            let Some(distance) = path_distance(query, &form.path, bound - fixed, &mut scratch)
            else {
                continue;
            };
            let cost = fixed + distance;
            match best {
                Some((b, f)) if cost == b && f.scope != form.scope => ties += 1,
                Some((b, _)) if cost >= b => {}
                _ => {
                    best = Some((cost, form));
                    ties = 0;
                }
            }
        }
    }

    let (cost, form) = best?;
    let longest = queries
        .iter()
        .map(|q| q.segments.len())
        .max()
        .unwrap_or(0)
        .max(form.path.len()) as u32;
    let close = cost * 10 <= longest * 3 * SEGMENT;
    // A whole-segment edit that several scopes share says nothing.
    let telling = cost < SEGMENT || ties == 0;
    (close && telling).then_some(form.scope)
}

/// A segment cost not worked out yet.
const UNKNOWN: u32 = u32::MAX;

/// One form of the query, with its segment costs so far: row `i` holds
/// segment `i`'s cost against each catalog segment.
struct Query {
    segments: Vec<Segment>,
    costs: Vec<u32>,
    left_out: u32,
}

#[derive(Default)]
struct Scratch {
    row: Vec<u32>,
    chars: Vec<u32>,
}

/// Levenshtein distance between the query's segments and a catalog path,
/// one row at a time; `None` as soon as it must exceed `bound`.
fn path_distance(
    query: &mut Query,
    path: &[usize],
    bound: u32,
    scratch: &mut Scratch,
) -> Option<u32> {
    let width = INDEX.segments.len();
    let row = &mut scratch.row;
    row.clear();
    row.extend((0..=path.len() as u32).map(|j| j * SEGMENT));
    for i in 0..query.segments.len() {
        let mut diagonal = row[0];
        row[0] = (i as u32 + 1) * SEGMENT;
        let mut lowest = row[0];
        for (j, &segment) in path.iter().enumerate() {
            let cost = &mut query.costs[i * width + segment];
            if *cost == UNKNOWN {
                *cost = segment_cost(
                    &query.segments[i],
                    &INDEX.segments[segment],
                    &mut scratch.chars,
                );
            }
            let replaced = diagonal + *cost;
            diagonal = row[j + 1];
            row[j + 1] = replaced.min(row[j + 1] + SEGMENT).min(row[j] + SEGMENT);
            lowest = lowest.min(row[j + 1]);
        }
        // A row's lowest value never goes down again.
        if lowest > bound {
            return None;
        }
    }
    Some(row[path.len()]).filter(|&d| d <= bound)
}

/// The cost of writing the query segment `q` where the catalog has `c`.
fn segment_cost(q: &Segment, c: &Segment, scratch: &mut Vec<u32>) -> u32 {
    if q.text == c.text {
        return 0;
    }
    let longest = q.chars.len().max(c.chars.len()).max(1) as u32;
    match (q.parameter, c.parameter) {
        // Renamed: cheap, and cheaper the closer the names.
        (true, true) => {
            let changed = char_distance(&q.chars, &c.chars, u32::MAX, scratch);
            RENAMED_PARAMETER * 3 / 5 + RENAMED_PARAMETER * 2 / 5 * changed / longest
        }
        (false, false) => {
            // A typo changes at most half of a word; more is a different
            // word altogether.
            let changed = char_distance(&q.chars, &c.chars, longest / 2, scratch);
            if changed * 2 <= longest {
                (SEGMENT * changed / longest).max(1)
            } else {
                SEGMENT
            }
        }
        (false, true) if looks_like_a_value(&q.text) => VALUE_FOR_PARAMETER,
        _ => SEGMENT,
    }
}

/// Whether a literal segment looks like a value for a parameter: a number,
/// `self`, or a SIS-style `sis_course_id:…`.
fn looks_like_a_value(segment: &str) -> bool {
    segment.bytes().all(|b| b.is_ascii_digit())
        || segment == "self"
        || (segment.starts_with("sis_") && segment.contains(':'))
}

/// Levenshtein distance in characters, or some number above `limit` as
/// soon as it is known to exceed it.
fn char_distance(a: &[char], b: &[char], limit: u32, row: &mut Vec<u32>) -> u32 {
    // Every character the lengths differ by is one change.
    if a.len().abs_diff(b.len()) as u32 > limit {
        return limit.saturating_add(1);
    }
    row.clear();
    row.extend(0..=b.len() as u32);
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i as u32 + 1;
        let mut lowest = row[0];
        for (j, cb) in b.iter().enumerate() {
            let replaced = diagonal + u32::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = replaced.min(row[j + 1] + 1).min(row[j] + 1);
            lowest = lowest.min(row[j + 1]);
        }
        // A row's lowest value never goes down again.
        if lowest > limit {
            return lowest;
        }
    }
    row[b.len()]
}

/// `url:VERB|/path` into its method and path; the `url:` prefix may be
/// left out or written in any case.
fn split(scope: &str) -> Option<(&str, &str)> {
    let rest = match scope.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("url:") => &scope[4..],
        _ => scope,
    };
    let (method, path) = rest.split_once('|')?;
    // A query string is no part of a scope.
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    (!method.is_empty()).then_some((method, path))
}

fn path_segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn is_parameter(segment: &str) -> bool {
    segment.len() > 1 && (segment.starts_with(':') || segment.starts_with('*'))
}

/// Every form of a path with optional groups `( … )`: each group in or out,
/// with how many are out. A path without groups is its only form.
fn optional_forms(path: &str) -> Vec<(String, u32)> {
    let Some(open) = path.find('(') else {
        return vec![(path.to_string(), 0)];
    };
    // The matching parenthesis; an unbalanced one is left as it is.
    let mut depth = 0;
    let close = path[open..].char_indices().find_map(|(i, c)| {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        (depth == 0).then_some(open + i)
    });
    let Some(close) = close else {
        return vec![(path.to_string(), 0)];
    };
    let (before, inner, after) = (&path[..open], &path[open + 1..close], &path[close + 1..]);
    let mut out = Vec::new();
    for (rest, left_out) in optional_forms(after) {
        for (inner, inner_out) in optional_forms(inner) {
            out.push((format!("{before}{inner}{rest}"), left_out + inner_out));
        }
        out.push((format!("{before}{rest}"), left_out + 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_complete() {
        assert_eq!(all().count(), 1292);
        assert!(is_canvas_scope(
            "url:GET|/api/v1/accounts/:account_id/courses"
        ));
        assert!(!is_canvas_scope("url:GET|/api/v1/accounts/:id/courses"));
    }

    #[test]
    fn a_renamed_parameter_is_a_near_match() {
        assert_eq!(
            closest("url:GET|/api/v1/accounts/:id/courses"),
            Some("url:GET|/api/v1/accounts/:account_id/courses")
        );
        assert_eq!(
            closest("url:GET|/api/v1/courses/:id/users"),
            Some("url:GET|/api/v1/courses/:course_id/users")
        );
    }

    #[test]
    fn a_typo_in_a_word() {
        assert_eq!(
            closest("url:GET|/api/v1/course/:id"),
            Some("url:GET|/api/v1/courses/:id")
        );
        assert_eq!(
            closest("url:GET|/api/v1/acounts/:account_id/courses"),
            Some("url:GET|/api/v1/accounts/:account_id/courses")
        );
    }

    #[test]
    fn the_same_method_first_then_get() {
        assert_eq!(
            closest("url:POST|/api/v1/accounts/:account_id/courses"),
            Some("url:POST|/api/v1/accounts/:account_id/courses")
        );
        assert_eq!(
            ranked("url:POST|/api/v1/accounts/:id/courses"),
            Some("url:POST|/api/v1/accounts/:account_id/courses")
        );
        // No DELETE or PATCH here: GET, never PUT or POST.
        assert_eq!(
            closest("url:DELETE|/api/v1/accounts/:account_id/courses"),
            Some("url:GET|/api/v1/accounts/:account_id/courses")
        );
        assert_eq!(
            closest("url:PATCH|/api/v1/accounts/:id/courses"),
            Some("url:GET|/api/v1/accounts/:account_id/courses")
        );
        // A method in lower case, and HEAD, which is checked against GET.
        assert_eq!(
            closest("url:head|/api/v1/course/:id"),
            Some("url:GET|/api/v1/courses/:id")
        );
        // The right method beats a closer path under another one.
        assert_eq!(
            closest("url:DELETE|/api/v1/course/:id"),
            Some("url:DELETE|/api/v1/courses/:id")
        );
    }

    #[test]
    fn a_read_is_never_offered_a_write() {
        // Canvas has only DELETE at this path.
        assert!(is_canvas_scope(
            "url:DELETE|/api/v1/accounts/:account_id/users/:user_id"
        ));
        assert_eq!(
            closest("url:GET|/api/v1/accounts/:account_id/users/:user_id"),
            None
        );
        assert_eq!(
            closest("url:PUT|/api/v1/accounts/:account_id/users/:user_id"),
            None
        );
    }

    #[test]
    fn a_value_where_a_parameter_goes() {
        for value in ["123", "self", "sis_course_id:A1"] {
            assert_eq!(
                closest(&format!("url:GET|/api/v1/courses/{value}/users")),
                Some("url:GET|/api/v1/courses/:course_id/users"),
                "{value}"
            );
        }
        assert_eq!(
            closest("url:GET|/api/v1/users/self/courses"),
            Some("url:GET|/api/v1/users/:user_id/courses")
        );
    }

    #[test]
    fn loosely_written_scopes() {
        for loose in [
            "GET|/api/v1/accounts/:account_id/courses",
            "URL:get|/api/v1/accounts/:account_id/courses",
            "url:GET|api/v1/accounts/:account_id/courses",
            "url:GET|/api/v1/accounts/:account_id/courses?published=false",
            " url:GET|/api/v1/accounts/:account_id/courses/ ",
        ] {
            assert_eq!(
                closest(loose),
                Some("url:GET|/api/v1/accounts/:account_id/courses"),
                "{loose:?}"
            );
        }
    }

    #[test]
    fn optional_groups_may_be_left_out() {
        assert_eq!(
            closest("url:GET|/api/v1/users/:user_id/custom_data"),
            Some("url:GET|/api/v1/users/:user_id/custom_data(/*scope)")
        );
        assert_eq!(
            closest("url:GET|/api/v1/users/:id/custom_data/*scope"),
            Some("url:GET|/api/v1/users/:user_id/custom_data(/*scope)")
        );
        assert_eq!(
            optional_forms("/a(/b(/c))/d"),
            [
                ("/a/b/c/d".to_string(), 0),
                ("/a/b/d".to_string(), 1),
                ("/a/d".to_string(), 1)
            ]
        );
    }

    #[test]
    fn a_missing_segment() {
        assert_eq!(
            closest("url:GET|/v1/accounts/:account_id/courses"),
            Some("url:GET|/api/v1/accounts/:account_id/courses")
        );
        assert_eq!(
            closest("url:GET|/api/v1/courses/:course_id/assignments/:id/submission"),
            Some("url:GET|/api/v1/courses/:course_id/assignments/:assignment_id/submissions")
        );
    }

    #[test]
    fn nonsense_gets_no_hint() {
        for nonsense in [
            "url:GET|/nonsense/path/here",
            "url:GET|/api/v1/frobnicate",
            "url:GET|/api/v1/courses/:course_id/frobnicate/:id/widgets",
            "url:GET|/",
            "url:GET|",
            "read:courses",
            "",
            "url:GET|/lorem/ipsum/dolor/sit/amet",
        ] {
            assert_eq!(closest(nonsense), None, "{nonsense}");
        }
    }

    #[test]
    fn every_real_scope_is_its_own_closest() {
        for scope in all() {
            assert_eq!(closest(scope), Some(scope));
            // By the distance alone too, not only by the exact lookup.
            assert_eq!(ranked(scope), Some(scope), "{scope}");
        }
    }
}
