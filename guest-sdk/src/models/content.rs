//! `Page` (wiki_pages_api_controller.rb) and `Module`
//! (context_modules_api_controller.rb).

use serde::{Deserialize, Serialize};

use super::{Extra, User};

/// A wiki page (`GET /api/v1/courses/:id/pages/:url_or_id`). Lists of pages
/// leave out `body`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Page {
    /// The page's id (address it as `page_id:<id>`, or by `url`).
    pub page_id: u64,
    /// The page's unique locator (`"my-page-title"`).
    pub url: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// When the page was created (ISO 8601).
    pub created_at: Option<String>,
    /// When the page was last updated (ISO 8601).
    pub updated_at: Option<String>,
    /// Deprecated: the inverse of `published`.
    pub hide_from_students: Option<bool>,
    /// Who may edit: a comma-separated list of `teachers`, `students`,
    /// `members`, `public`.
    pub editing_roles: Option<String>,
    /// Who last edited the page (a short user: id, display name, ...).
    pub last_edited_by: Option<User>,
    /// The content, in HTML (single pages only).
    pub body: Option<String>,
    /// Whether the page is published.
    pub published: Option<bool>,
    /// Whether this is the front page.
    pub front_page: Option<bool>,
    /// Whether the page is locked for the caller.
    pub locked_for_user: Option<bool>,
    /// Why and until when it is locked (when `locked_for_user`).
    pub lock_info: Option<serde_json::Value>,
    /// An explanation of the lock (when `locked_for_user`).
    pub lock_explanation: Option<String>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A course module (`GET /api/v1/courses/:id/modules`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Module {
    /// The module's id.
    pub id: u64,
    /// `active` or `deleted` (use `published` for the publication state).
    pub workflow_state: Option<String>,
    /// The module's position in the course, from 1.
    pub position: Option<u64>,
    /// The module's name.
    pub name: Option<String>,
    /// When the module unlocks (ISO 8601), if set.
    pub unlock_at: Option<String>,
    /// Whether items must be completed in order.
    pub require_sequential_progress: Option<bool>,
    /// `all` or `one`: which required items complete the module.
    pub requirement_type: Option<String>,
    /// Modules that must be completed first.
    #[serde(default)]
    pub prerequisite_module_ids: Vec<u64>,
    /// The number of items.
    pub items_count: Option<u64>,
    /// The API URL of the module's items.
    pub items_url: Option<String>,
    /// The items (`include[]=items`, unless Canvas finds them too many).
    pub items: Option<Vec<serde_json::Value>>,
    /// The caller's (or `student_id`'s) state: `locked`, `unlocked`,
    /// `started`, `completed`.
    pub state: Option<String>,
    /// When the caller (or `student_id`) completed it (ISO 8601).
    pub completed_at: Option<String>,
    /// Whether completing it publishes the final grade to the SIS.
    pub publish_final_grade: Option<bool>,
    /// Whether it is published (callers who may see unpublished modules).
    pub published: Option<bool>,
    /// Every field this type does not name.
    #[serde(flatten)]
    pub extra: Extra,
}
