//! The stand-in's mutable data and the look-ups the routes share.

use std::collections::BTreeMap;

use super::params::decode_path_segment;
use super::seed::{
    Account, Assignment, Course, Enrollment, Section, Seed, Submission, Term, User, WORKER_USER_ID,
};

#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) accounts: BTreeMap<u64, Account>,
    pub(crate) terms: BTreeMap<u64, Term>,
    pub(crate) courses: BTreeMap<u64, Course>,
    pub(crate) users: BTreeMap<u64, User>,
    pub(crate) enrollments: Vec<Enrollment>,
    pub(crate) sections: BTreeMap<u64, Section>,
    pub(crate) assignments: BTreeMap<u64, Assignment>,
    /// By id.
    pub(crate) submissions: BTreeMap<u64, Submission>,
}

/// Enrollment states that still belong to the course's roster.
fn on_roster(e: &Enrollment) -> bool {
    !matches!(e.enrollment_state.as_str(), "deleted" | "rejected")
}

impl Data {
    /// Takes a seed as Canvas would hold it: every course has a section (a default
    /// one, named after the course, is added where the seed has none), every
    /// enrollment is in a section (its course's first unless it says), and every
    /// student on the roster has a submission for every assignment that is not
    /// deleted (`unsubmitted` where the seed has none; ids after the seed's).
    pub(crate) fn from_seed(seed: Seed) -> Data {
        let mut data = Data {
            accounts: seed.accounts.into_iter().map(|a| (a.id, a)).collect(),
            terms: seed.terms.into_iter().map(|t| (t.id, t)).collect(),
            courses: seed.courses.into_iter().map(|c| (c.id, c)).collect(),
            users: seed.users.into_iter().map(|u| (u.id, u)).collect(),
            enrollments: seed.enrollments,
            sections: seed.sections.into_iter().map(|s| (s.id, s)).collect(),
            assignments: seed.assignments.into_iter().map(|a| (a.id, a)).collect(),
            submissions: seed.submissions.into_iter().map(|s| (s.id, s)).collect(),
        };
        data.add_default_sections();
        data.place_enrollments();
        data.add_missing_submissions();
        data
    }

    fn add_default_sections(&mut self) {
        let first = self.sections.keys().max().copied().unwrap_or(0) + 1;
        let bare: Vec<(u64, String)> = self
            .courses
            .values()
            .filter(|c| !self.sections.values().any(|s| s.course_id == c.id))
            .map(|c| (c.id, c.name.clone()))
            .collect();
        for (id, (course, name)) in (first..).zip(bare) {
            self.sections.insert(id, Section::new(id, course, name));
        }
    }

    fn place_enrollments(&mut self) {
        let mut first: BTreeMap<u64, u64> = BTreeMap::new();
        for s in self.sections.values() {
            first.entry(s.course_id).or_insert(s.id);
        }
        for e in &mut self.enrollments {
            if e.course_section_id.is_none() {
                e.course_section_id = first.get(&e.course_id).copied();
            }
        }
    }

    fn add_missing_submissions(&mut self) {
        let next = self.submissions.keys().max().copied().unwrap_or(0) + 1;
        let have: std::collections::BTreeSet<(u64, u64)> = self
            .submissions
            .values()
            .map(|s| (s.assignment_id, s.user_id))
            .collect();
        let mut missing = Vec::new();
        for a in self.assignments.values() {
            if a.workflow_state == "deleted" {
                continue;
            }
            let mut students: Vec<u64> = self
                .enrollments
                .iter()
                .filter(|e| e.course_id == a.course_id && e.kind == "StudentEnrollment")
                .filter(|e| on_roster(e))
                .map(|e| e.user_id)
                .collect();
            students.sort_unstable();
            students.dedup();
            for u in students {
                if !have.contains(&(a.id, u)) {
                    missing.push((a.id, u));
                }
            }
        }
        for (id, (assignment, user)) in (next..).zip(missing) {
            self.submissions
                .insert(id, Submission::new(id, assignment, user));
        }
    }

    fn active_account(&self, id: u64) -> Option<&Account> {
        self.accounts
            .get(&id)
            .filter(|a| a.workflow_state != "deleted")
    }

    /// The account `accounts/self` means: the (first) root account.
    pub(crate) fn root_account_id(&self) -> Option<u64> {
        self.accounts
            .values()
            .find(|a| a.parent_account_id.is_none() && a.workflow_state != "deleted")
            .map(|a| a.id)
    }

    /// Active accounts whose parent is `id`, by id.
    pub(crate) fn children(&self, id: u64) -> Vec<u64> {
        self.accounts
            .values()
            .filter(|a| a.parent_account_id == Some(id) && a.workflow_state != "deleted")
            .map(|a| a.id)
            .collect()
    }

    /// `id` and every active account below it, breadth first.
    pub(crate) fn subtree(&self, id: u64) -> Vec<u64> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() {
            for child in self.children(out[i]) {
                if !out.contains(&child) {
                    out.push(child);
                }
            }
            i += 1;
        }
        out
    }

    /// Resolves an account path segment: digits, `self`, or `sis_account_id:X`.
    pub(crate) fn resolve_account(&self, raw: &str) -> Option<u64> {
        let seg = decode_path_segment(raw).ok()?;
        let id = if seg == "self" {
            self.root_account_id()?
        } else if let Some(sis) = seg.strip_prefix("sis_account_id:") {
            self.accounts
                .values()
                .find(|a| a.sis_account_id.as_deref() == Some(sis))?
                .id
        } else {
            parse_id(&seg)?
        };
        self.active_account(id).map(|a| a.id)
    }

    /// Resolves a course path segment: digits or `sis_course_id:X` (deleted courses too;
    /// callers decide).
    pub(crate) fn resolve_course(&self, raw: &str) -> Option<u64> {
        let seg = decode_path_segment(raw).ok()?;
        if let Some(sis) = seg.strip_prefix("sis_course_id:") {
            return self
                .courses
                .values()
                .find(|c| c.sis_course_id.as_deref() == Some(sis) && c.workflow_state != "deleted")
                .map(|c| c.id);
        }
        let id = parse_id(&seg)?;
        self.courses.get(&id).map(|c| c.id)
    }

    /// Resolves a user path segment: digits, `self`, `sis_user_id:X` or `sis_login_id:X`.
    pub(crate) fn resolve_user(&self, raw: &str) -> Option<u64> {
        self.resolve_user_ref(&decode_path_segment(raw).ok()?)
    }

    /// Like [`Data::resolve_user`], for a value already decoded (a query parameter).
    pub(crate) fn resolve_user_ref(&self, seg: &str) -> Option<u64> {
        let id = if seg == "self" {
            WORKER_USER_ID
        } else if let Some(sis) = seg.strip_prefix("sis_user_id:") {
            self.users
                .values()
                .find(|u| u.sis_user_id.as_deref() == Some(sis))?
                .id
        } else if let Some(login) = seg.strip_prefix("sis_login_id:") {
            self.users.values().find(|u| u.login_id == login)?.id
        } else {
            parse_id(seg)?
        };
        self.users.get(&id).map(|u| u.id)
    }

    /// Resolves a section path segment: digits or `sis_section_id:X`, active sections
    /// of live courses only.
    pub(crate) fn resolve_section(&self, raw: &str) -> Option<u64> {
        let seg = decode_path_segment(raw).ok()?;
        let section = if let Some(sis) = seg.strip_prefix("sis_section_id:") {
            self.sections.values().find(|s| {
                s.sis_section_id.as_deref() == Some(sis) && s.workflow_state != "deleted"
            })?
        } else {
            self.sections.get(&parse_id(&seg)?)?
        };
        let live = self
            .courses
            .get(&section.course_id)
            .is_some_and(|c| c.workflow_state != "deleted");
        (live && section.workflow_state != "deleted").then_some(section.id)
    }

    /// Resolves an assignment path segment of a course: digits or
    /// `sis_assignment_id:X`; deleted assignments are not found.
    pub(crate) fn resolve_assignment(&self, course_id: u64, raw: &str) -> Option<u64> {
        let seg = decode_path_segment(raw).ok()?;
        let found = if let Some(sis) = seg.strip_prefix("sis_assignment_id:") {
            self.assignments
                .values()
                .find(|a| a.course_id == course_id && a.sis_assignment_id.as_deref() == Some(sis))?
        } else {
            self.assignments.get(&parse_id(&seg)?)?
        };
        (found.course_id == course_id && found.workflow_state != "deleted").then_some(found.id)
    }

    /// The sections of a course, active ones only.
    pub(crate) fn course_sections(&self, course_id: u64) -> Vec<&Section> {
        self.sections
            .values()
            .filter(|s| s.course_id == course_id && s.workflow_state != "deleted")
            .collect()
    }

    /// Enrollments in non-deleted courses of these accounts.
    pub(crate) fn user_ids_in_accounts(&self, accounts: &[u64]) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .enrollments
            .iter()
            .filter(|e| {
                self.courses.get(&e.course_id).is_some_and(|c| {
                    c.workflow_state != "deleted" && accounts.contains(&c.account_id)
                })
            })
            .map(|e| e.user_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The course's students taking part (Canvas's `students`: not rejected,
    /// completed, deleted or inactive).
    pub(crate) fn student_count(&self, course_id: u64) -> usize {
        let mut ids: Vec<u64> = self
            .enrollments
            .iter()
            .filter(|e| e.course_id == course_id && e.kind == "StudentEnrollment")
            .filter(|e| {
                !matches!(
                    e.enrollment_state.as_str(),
                    "rejected" | "completed" | "deleted" | "inactive"
                )
            })
            .map(|e| e.user_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

/// Canvas ids: ASCII digits only (no sign, no spaces), fitting in a u64.
pub(crate) fn parse_id(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_seed_adds_what_canvas_always_has() {
        let seed = Seed::from_json(
            r#"{
              "accounts": [{"id": 1, "name": "Root"}],
              "courses": [{"id": 7, "name": "Biology", "account_id": 1},
                          {"id": 8, "name": "Chemistry", "account_id": 1}],
              "users": [{"id": 2, "name": "Ada Lovelace"}, {"id": 3, "name": "Alan Turing"}],
              "sections": [{"id": 70, "course_id": 7, "name": "Bio A"}, {"id": 71, "course_id": 7, "name": "Bio B"}],
              "enrollments": [
                {"id": 1, "course_id": 7, "user_id": 2, "type": "StudentEnrollment"},
                {"id": 2, "course_id": 7, "user_id": 3, "type": "StudentEnrollment", "course_section_id": 71},
                {"id": 3, "course_id": 8, "user_id": 3, "type": "StudentEnrollment", "enrollment_state": "deleted"}],
              "assignments": [{"id": 4, "course_id": 7, "name": "Essay"}, {"id": 5, "course_id": 8, "name": "Lab"},
                              {"id": 6, "course_id": 7, "name": "Gone", "workflow_state": "deleted"}],
              "submissions": [{"id": 40, "assignment_id": 4, "user_id": 2, "submitted_at": "2026-01-01"}]
            }"#,
        )
        .unwrap();
        let data = Data::from_seed(seed);
        // Chemistry had no section: a default one, named after it.
        let chem: Vec<&Section> = data.course_sections(8);
        assert_eq!(chem.len(), 1);
        assert_eq!((chem[0].id, chem[0].name.as_str()), (72, "Chemistry"));
        let sections: Vec<Option<u64>> = data
            .enrollments
            .iter()
            .map(|e| e.course_section_id)
            .collect();
        assert_eq!(sections, [Some(70), Some(71), Some(72)]);
        // One submission per student on the roster and live assignment.
        let subs: Vec<(u64, u64, u64, &str)> = data
            .submissions
            .values()
            .map(|s| (s.id, s.assignment_id, s.user_id, s.workflow_state.as_str()))
            .collect();
        assert_eq!(subs, [(40, 4, 2, "submitted"), (41, 4, 3, "unsubmitted")]);
        assert_eq!(data.resolve_section("71"), Some(71));
        assert_eq!(data.resolve_assignment(7, "4"), Some(4));
        assert_eq!(data.resolve_assignment(8, "4"), None);
        assert_eq!(data.resolve_assignment(7, "6"), None);
    }
}
