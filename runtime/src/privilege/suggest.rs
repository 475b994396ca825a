//! The fewest Canvas scopes that allow a list of requests: a minimum set
//! cover over the catalog.
//!
//! Each distinct request has the Canvas scopes that allow it (usually one;
//! a few when a literal route such as `…/assignments/gradeable_students`
//! sits beside a parameter route `…/assignments/:id`). Requests with the
//! same scopes are one element to cover. A depth-first branch and bound
//! finds the smallest set of scopes covering every element (always branching
//! on the element with the fewest scopes), and among sets of that size the
//! narrowest: the smallest total [`breadth`](super::breadth) (parameters, a
//! glob counting double), then the alphabetically first list. The search
//! starts from the greedy answer (repeatedly the scope covering the most
//! uncovered elements; ties to the narrowest, then alphabetical) and is
//! capped at [`SEARCH_NODES`] steps; past the cap the best answer found so
//! far is returned, marked not proven minimal. A job's requests give a
//! handful of elements, far below the cap.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::{allowing, breadth, canvas_scopes};
use crate::scope::{Method, Scope};

/// One request: method and raw path, without the query.
pub type Request = (Method, String);

/// Most branch-and-bound steps before the best answer so far is returned.
pub const SEARCH_NODES: usize = 200_000;

/// What [`suggest`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The scopes to grant, alphabetical, each with the requests it is
    /// there for.
    pub scopes: Vec<Suggested>,
    /// Requests no Canvas scope allows, in the order given.
    pub uncovered: Vec<Request>,
    /// How many distinct requests there were.
    pub distinct: usize,
    /// Whether no smaller set of scopes exists (false only when the search
    /// ran past [`SEARCH_NODES`]).
    pub proven_minimal: bool,
}

/// One suggested scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggested {
    pub scope: &'static str,
    /// POST, PUT, PATCH or DELETE.
    pub write: bool,
    /// The distinct requests it allows that no scope before it (in
    /// [`Suggestion::scopes`]) does, in the order given.
    pub requests: Vec<Request>,
}

impl Suggestion {
    /// The `scopes = [...]` TOML of the suggestion, a comment on each scope
    /// (write, distinct requests, how many of them were `denied`, whether
    /// `manifest` lacks it, an example), then the requests no scope allows
    /// as comments.
    pub fn toml(
        &self,
        denied: &HashSet<Request>,
        manifest: Option<&crate::scope::ScopeSet>,
    ) -> String {
        let mut text = String::from("scopes = [\n");
        for s in &self.scopes {
            let newly_denied = s.requests.iter().filter(|r| denied.contains(r)).count();
            let mut notes = Vec::new();
            if s.write {
                notes.push("write".to_string());
            }
            notes.push(format!("{} distinct request(s)", s.requests.len()));
            if newly_denied > 0 {
                notes.push(format!("{newly_denied} denied"));
            }
            if let Some(own) = manifest {
                if !own.iter().any(|own| own.as_str() == s.scope) {
                    notes.push("not in the manifest".to_string());
                }
            }
            if let Some((method, path)) = s.requests.first() {
                notes.push(format!("e.g. {method} {path}"));
            }
            text.push_str(&format!("    {:?},  # {}\n", s.scope, notes.join(", ")));
        }
        text.push_str("]\n");
        if !self.uncovered.is_empty() {
            text.push_str(
                "# No Canvas scope allows these; they stay denied whatever the manifest says:\n",
            );
            for (method, path) in &self.uncovered {
                text.push_str(&format!("#   {method} {path}\n"));
            }
        }
        text
    }
}

/// The fewest Canvas scopes that allow every one of `requests` (see the
/// module documentation); HEAD requests count as GET.
pub fn suggest(requests: &[Request]) -> Suggestion {
    let catalog = canvas_scopes();
    let mut seen = HashSet::new();
    let distinct: Vec<&Request> = requests.iter().filter(|r| seen.insert(*r)).collect();
    // For each distinct request, the catalog scopes that allow it (sorted).
    let allowed_by: Vec<Vec<usize>> = distinct
        .iter()
        .map(|(method, path)| allowing(*method, path).into_iter().collect())
        .collect();
    let uncovered = distinct
        .iter()
        .zip(&allowed_by)
        .filter(|(_, scopes)| scopes.is_empty())
        .map(|(r, _)| (*r).clone())
        .collect();
    // Elements: the distinct sets of allowing scopes.
    let elements: Vec<Vec<usize>> = allowed_by
        .iter()
        .filter(|scopes| !scopes.is_empty())
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let scope = |i: usize| catalog.get(i);
    let breadth_of = |i: usize| scope(i).map_or(0, breadth);
    let name_of = |i: usize| scope(i).map_or("", Scope::as_str);
    let cover = Cover::new(&elements, &breadth_of, &name_of);
    let (mut chosen, proven_minimal) = cover.solve();
    chosen.sort_by_key(|&i| scope(i).map_or("", Scope::as_str));

    let mut credited = vec![false; distinct.len()];
    let mut scopes = Vec::new();
    for (i, s) in chosen.into_iter().filter_map(|i| Some((i, scope(i)?))) {
        let mut requests = Vec::new();
        for (r, request) in distinct.iter().enumerate() {
            if !credited[r] && allowed_by[r].binary_search(&i).is_ok() {
                credited[r] = true;
                requests.push((*request).clone());
            }
        }
        scopes.push(Suggested {
            scope: s.as_str(),
            write: s.is_write(),
            requests,
        });
    }
    Suggestion {
        scopes,
        uncovered,
        distinct: distinct.len(),
        proven_minimal,
    }
}

/// A set-cover instance: elements, each a sorted list of the candidates
/// that cover it.
struct Cover<'a> {
    elements: &'a [Vec<usize>],
    breadth: &'a dyn Fn(usize) -> usize,
    name: &'a dyn Fn(usize) -> &'static str,
}

/// A cover's rank: fewer candidates, then narrower, then alphabetical.
type Rank = (usize, usize, Vec<&'static str>);

impl<'a> Cover<'a> {
    fn new(
        elements: &'a [Vec<usize>],
        breadth: &'a dyn Fn(usize) -> usize,
        name: &'a dyn Fn(usize) -> &'static str,
    ) -> Cover<'a> {
        Cover {
            elements,
            breadth,
            name,
        }
    }

    fn rank(&self, chosen: &[usize]) -> Rank {
        let mut names: Vec<&'static str> = chosen.iter().map(|&c| (self.name)(c)).collect();
        names.sort_unstable();
        (
            chosen.len(),
            chosen.iter().map(|&c| (self.breadth)(c)).sum(),
            names,
        )
    }

    /// The order candidates are tried in: narrowest, then alphabetical.
    fn preference(&self, a: usize, b: usize) -> std::cmp::Ordering {
        (self.breadth)(a)
            .cmp(&(self.breadth)(b))
            .then_with(|| (self.name)(a).cmp((self.name)(b)))
    }

    /// The best cover found, and whether the search finished.
    fn solve(&self) -> (Vec<usize>, bool) {
        if self.elements.is_empty() {
            return (Vec::new(), true);
        }
        let greedy = self.greedy();
        let mut best = (self.rank(&greedy), greedy);
        let mut steps = 0usize;
        let open: Vec<usize> = (0..self.elements.len()).collect();
        let finished = self.branch(&open, &mut Vec::new(), &mut best, &mut steps);
        (best.1, finished)
    }

    /// Repeatedly the candidate covering the most uncovered elements.
    fn greedy(&self) -> Vec<usize> {
        let mut open: Vec<usize> = (0..self.elements.len()).collect();
        let mut chosen = Vec::new();
        while !open.is_empty() {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            for &e in &open {
                for &c in &self.elements[e] {
                    *counts.entry(c).or_default() += 1;
                }
            }
            let Some(pick) = counts
                .into_iter()
                .max_by(|(a, na), (b, nb)| na.cmp(nb).then_with(|| self.preference(*b, *a)))
                .map(|(c, _)| c)
            else {
                break;
            };
            chosen.push(pick);
            open.retain(|&e| !self.elements[e].contains(&pick));
        }
        chosen
    }

    /// Branch and bound: covers `open` on top of `chosen`, improving
    /// `best`. False once the step budget is spent.
    fn branch(
        &self,
        open: &[usize],
        chosen: &mut Vec<usize>,
        best: &mut (Rank, Vec<usize>),
        steps: &mut usize,
    ) -> bool {
        *steps += 1;
        if *steps > SEARCH_NODES {
            return false;
        }
        let Some(&next) = open.iter().min_by_key(|&&e| self.elements[e].len()) else {
            let rank = self.rank(chosen);
            if rank < best.0 {
                *best = (rank, chosen.clone());
            }
            return true;
        };
        // One more candidate is needed: a larger cover can never win.
        if chosen.len() + 1 > best.0 .0 {
            return true;
        }
        let mut candidates = self.elements[next].clone();
        candidates.sort_by(|&a, &b| self.preference(a, b));
        for c in candidates {
            let rest: Vec<usize> = open
                .iter()
                .copied()
                .filter(|&e| !self.elements[e].contains(&c))
                .collect();
            chosen.push(c);
            let finished = self.branch(&rest, chosen, best, steps);
            chosen.pop();
            if !finished {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request {
        (Method::Get, path.to_string())
    }

    fn names(s: &Suggestion) -> Vec<&str> {
        s.scopes.iter().map(|s| s.scope).collect()
    }

    #[test]
    fn one_scope_per_kind_of_request() {
        let s = suggest(&[
            get("/api/v1/accounts/1/courses"),
            get("/api/v1/accounts/2/courses"),
            get("/api/v1/courses/5"),
            (Method::Head, "/api/v1/courses/6".into()),
            (Method::Put, "/api/v1/courses/5".into()),
            get("/api/v1/courses/5"),
            (Method::Post, "/api/v1/nowhere".into()),
        ]);
        assert_eq!(
            names(&s),
            [
                "url:GET|/api/v1/accounts/:account_id/courses",
                "url:GET|/api/v1/courses/:id",
                "url:PUT|/api/v1/courses/:id",
            ]
        );
        assert!(s.proven_minimal);
        assert_eq!(s.uncovered, [(Method::Post, "/api/v1/nowhere".to_string())]);
        assert_eq!(s.scopes[0].requests.len(), 2);
        assert_eq!(
            s.scopes[1].requests,
            [
                get("/api/v1/courses/5"),
                (Method::Head, "/api/v1/courses/6".into())
            ]
        );
        assert!(!s.scopes[1].write && s.scopes[2].write);
    }

    #[test]
    fn the_narrowest_scope_wins_a_tie_and_the_broad_one_covers_several() {
        // Alone, the literal route is narrower than `…/assignments/:id`.
        let s = suggest(&[get("/api/v1/courses/1/assignments/gradeable_students")]);
        assert_eq!(
            names(&s),
            ["url:GET|/api/v1/courses/:course_id/assignments/gradeable_students"]
        );
        // With another assignment, one scope allows both.
        let s = suggest(&[
            get("/api/v1/courses/1/assignments/gradeable_students"),
            get("/api/v1/courses/1/assignments/7"),
        ]);
        assert_eq!(
            names(&s),
            ["url:GET|/api/v1/courses/:course_id/assignments/:id"]
        );
        assert_eq!(s.scopes[0].requests.len(), 2);
    }

    #[test]
    fn nothing_to_cover() {
        let s = suggest(&[]);
        assert!(s.scopes.is_empty() && s.uncovered.is_empty() && s.proven_minimal);
    }

    /// Greedy alone is not minimal here; the search is.
    #[test]
    fn the_search_beats_greedy() {
        // Elements 0..6; candidate 9 covers four of them, but 7 and 8
        // cover all six between them.
        let elements: Vec<Vec<usize>> = vec![
            vec![7, 9],
            vec![7, 9],
            vec![7],
            vec![8, 9],
            vec![8, 9],
            vec![8],
        ];
        let elements: Vec<Vec<usize>> = elements
            .into_iter()
            .map(|mut e| {
                e.sort_unstable();
                e
            })
            .collect();
        let names = |c: usize| ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"][c];
        let cover = Cover::new(&elements, &|_| 1, &names);
        let mut greedy = cover.greedy();
        greedy.sort_unstable();
        assert_eq!(greedy, [7, 8, 9]);
        let (mut best, proven) = cover.solve();
        best.sort_unstable();
        assert_eq!(best, [7, 8]);
        assert!(proven);
    }

    #[test]
    fn ties_go_to_the_narrowest_then_alphabetical() {
        let elements = vec![vec![1, 2, 3]];
        let breadth = |c: usize| if c == 1 { 2 } else { 1 };
        let names = |c: usize| ["", "a", "c", "b"][c];
        let cover = Cover::new(&elements, &breadth, &names);
        assert_eq!(cover.solve(), (vec![3], true));
    }
}
