//! `Group` (groups_controller.rb).

use serde::{Deserialize, Serialize};

use super::Extra;

/// A group of users (`GET /api/v1/courses/:id/groups`,
/// `GET /api/v1/groups/:id`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Group {
    /// The group's id.
    pub id: u64,
    /// The display name.
    pub name: Option<String>,
    /// A plain-text description.
    pub description: Option<String>,
    /// Whether the group is public (community groups only).
    pub is_public: Option<bool>,
    /// Whether the caller follows the group.
    pub followed_by_user: Option<bool>,
    /// `parent_context_auto_join`, `parent_context_request` or
    /// `invitation_only`.
    pub join_level: Option<String>,
    /// The number of members.
    pub members_count: Option<u64>,
    /// The group's avatar URL.
    pub avatar_url: Option<String>,
    /// `Course` or `Account`: which of `course_id` and `account_id` is set.
    pub context_type: Option<String>,
    /// The course, when `context_type` is `Course`.
    pub course_id: Option<u64>,
    /// The account, when `context_type` is `Account`.
    pub account_id: Option<u64>,
    /// `communities`, `student_organized`, `imported`, or `None` for a
    /// regular course or account group.
    pub role: Option<String>,
    /// The group's category (group set).
    pub group_category_id: Option<u64>,
    /// The SIS id (only with permission to view SIS information).
    pub sis_group_id: Option<String>,
    /// The SIS import that created it (only with permission to manage SIS).
    pub sis_import_id: Option<u64>,
    /// The storage quota, in megabytes.
    pub storage_quota_mb: Option<u64>,
    /// The caller's permissions (`include[]=permissions`, single group).
    pub permissions: Option<serde_json::Map<String, serde_json::Value>>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}
