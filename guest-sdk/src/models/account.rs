//! `Account` (accounts_controller.rb) and `Term` (terms_api_controller.rb
//! `EnrollmentTerm`, and the shorter `Term` of courses_controller.rb).

use serde::{Deserialize, Serialize};

use super::Extra;

/// A Canvas account (`GET /api/v1/accounts/:id`): the root account of an
/// institution or one of its sub-accounts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Account {
    /// The account's id.
    pub id: u64,
    /// The display name.
    pub name: Option<String>,
    /// The account's UUID.
    pub uuid: Option<String>,
    /// The parent account's id; `None` for a root account.
    pub parent_account_id: Option<u64>,
    /// The root account's id; `None` for a root account.
    pub root_account_id: Option<u64>,
    /// Default storage quota of a course, in megabytes.
    pub default_storage_quota_mb: Option<u64>,
    /// Default storage quota of a user, in megabytes.
    pub default_user_storage_quota_mb: Option<u64>,
    /// Default storage quota of a group, in megabytes.
    pub default_group_storage_quota_mb: Option<u64>,
    /// The default time zone (IANA or Rails name).
    pub default_time_zone: Option<String>,
    /// The SIS id (only with permission to view SIS information).
    pub sis_account_id: Option<String>,
    /// The integration id (only with permission to view SIS information).
    pub integration_id: Option<String>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The `tool_consumer_instance_guid` of LTI launches (`include[]=lti_guid`).
    pub lti_guid: Option<String>,
    /// `active` or `deleted`.
    pub workflow_state: Option<String>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An enrollment term (`GET /api/v1/accounts/:id/terms/:id`, or a course's
/// `term` with `include[]=term`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Term {
    /// The term's id.
    pub id: u64,
    /// The term's name (`"Fall 2026"`).
    pub name: Option<String>,
    /// When the term starts (ISO 8601); `None` when open-ended.
    pub start_at: Option<String>,
    /// When the term ends (ISO 8601); `None` when open-ended.
    pub end_at: Option<String>,
    /// When the term was created (ISO 8601).
    pub created_at: Option<String>,
    /// `active` or `deleted`.
    pub workflow_state: Option<String>,
    /// The SIS id (only with permission to view SIS information).
    pub sis_term_id: Option<String>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The grading period group of the term.
    pub grading_period_group_id: Option<u64>,
    /// Dates overridden per enrollment type (`include[]=overrides`):
    /// `{"StudentEnrollment": {"start_at": ..., "end_at": ...}}`.
    pub overrides: Option<serde_json::Value>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The answer of `GET /api/v1/accounts/:id/terms`: an object wrapping the
/// page's terms, not a bare array (so it is not a [`crate::Pages`] list).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct EnrollmentTermsList {
    /// The terms of this page.
    #[serde(default)]
    pub enrollment_terms: Vec<Term>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}
