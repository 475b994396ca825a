//! The stand-in's mutable data and the look-ups the routes share.

use std::collections::BTreeMap;

use super::params::decode_path_segment;
use super::seed::{Account, Course, Enrollment, Seed, Term, User, WORKER_USER_ID};

#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) accounts: BTreeMap<u64, Account>,
    pub(crate) terms: BTreeMap<u64, Term>,
    pub(crate) courses: BTreeMap<u64, Course>,
    pub(crate) users: BTreeMap<u64, User>,
    pub(crate) enrollments: Vec<Enrollment>,
}

impl Data {
    pub(crate) fn from_seed(seed: Seed) -> Data {
        Data {
            accounts: seed.accounts.into_iter().map(|a| (a.id, a)).collect(),
            terms: seed.terms.into_iter().map(|t| (t.id, t)).collect(),
            courses: seed.courses.into_iter().map(|c| (c.id, c)).collect(),
            users: seed.users.into_iter().map(|u| (u.id, u)).collect(),
            enrollments: seed.enrollments,
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
        let seg = decode_path_segment(raw).ok()?;
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
            parse_id(&seg)?
        };
        self.users.get(&id).map(|u| u.id)
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

    pub(crate) fn student_count(&self, course_id: u64) -> usize {
        let mut ids: Vec<u64> = self
            .enrollments
            .iter()
            .filter(|e| e.course_id == course_id && e.kind == "StudentEnrollment")
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
