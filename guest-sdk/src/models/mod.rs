//! Typed Canvas objects, as the Canvas REST API documents them (the `@model`
//! blocks of Canvas's API controllers).
//!
//! Every type derives `Deserialize` and `Serialize` and follows the same
//! rules:
//!
//! - Field names are Canvas's own (`type` is `enrollment_type` in Rust).
//! - The object's `id` is required (`u64`); every other field is an
//!   `Option`, because Canvas omits many fields depending on the endpoint,
//!   the `include[]` parameters and the caller's permissions, and sends
//!   `null` for others. Lists that Canvas always sends default to empty.
//! - Dates stay ISO 8601 strings (`"2026-08-31T20:00:00Z"`), as Canvas sent
//!   them.
//! - Fields this crate does not name are kept in `extra` (a
//!   `#[serde(flatten)]` map), so an object survives a
//!   deserialize → serialize round trip with every field Canvas sent.
//!   `None` serializes as `null`.
//! - Scores that Canvas documents as strings but sends as numbers
//!   (an enrollment's `grades.current_score`, ...) accept both.
//!
//! ```
//! use warden_sdk::models::Course;
//!
//! let course: Course = serde_json::from_str(
//!     r#"{"id": 7, "name": "Biology", "workflow_state": "unpublished",
//!         "term": {"id": 1, "name": "Fall 2026"}, "homeroom_course": false}"#,
//! )?;
//! assert_eq!(course.id, 7);
//! assert_eq!(course.term.and_then(|t| t.name).as_deref(), Some("Fall 2026"));
//! assert_eq!(course.extra["homeroom_course"], false);
//! # Ok::<(), serde_json::Error>(())
//! ```

mod account;
mod assignment;
mod content;
mod course;
mod de;
mod group;
mod people;
mod section;

pub use account::{Account, EnrollmentTermsList, Term};
pub use assignment::{Assignment, Submission};
pub use content::{Module, Page};
pub use course::{Course, CourseEnrollment};
pub use group::Group;
pub use people::{Enrollment, EnrollmentType, Grades, User};
pub use section::Section;

/// The map that keeps the fields a model does not name.
pub type Extra = serde_json::Map<String, serde_json::Value>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_documented_as_strings_accept_both() {
        let g: Grades = serde_json::from_value(json!({
            "current_score": "85.5", "final_score": 70, "unposted_current_score": "",
            "unposted_final_score": null, "html_url": "https://x"
        }))
        .unwrap();
        assert_eq!(g.current_score, Some(85.5));
        assert_eq!(g.final_score, Some(70.0));
        assert_eq!(g.unposted_current_score, None);
        assert_eq!(g.unposted_final_score, None);
        assert_eq!(g.current_points, None);
        let e = serde_json::from_value::<Grades>(json!({"current_score": "A"})).unwrap_err();
        assert!(e.to_string().contains("expected a number"), "{e}");
    }

    #[test]
    fn the_id_is_required_and_types_are_checked() {
        let e = serde_json::from_value::<Course>(json!({"name": "x"})).unwrap_err();
        assert!(e.to_string().contains("missing field `id`"), "{e}");
        let e = serde_json::from_value::<Course>(json!({"id": 1, "total_students": "many"}))
            .unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");
        let c: Course = serde_json::from_value(json!({"id": 1})).unwrap();
        assert_eq!(c.name, None);
        assert!(c.extra.is_empty());
    }

    #[test]
    fn unknown_fields_are_kept_and_written_back() {
        let json = json!({"id": 3, "name": "S", "brand_new_field": {"a": [1, 2]}, "type": "x"});
        let s: Section = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(s.extra.len(), 2);
        let out = serde_json::to_value(&s).unwrap();
        assert_eq!(out["brand_new_field"], json["brand_new_field"]);
        assert_eq!(out["type"], "x");
        assert_eq!(out["name"], "S");
        // untouched fields come back as null
        assert_eq!(out["sis_section_id"], serde_json::Value::Null);
    }

    #[test]
    fn enrollment_type_is_renamed_and_parsed() {
        let e: Enrollment =
            serde_json::from_value(json!({"id": 1, "type": "TaEnrollment", "role": "Grader"}))
                .unwrap();
        assert_eq!(e.enrollment_type.as_deref(), Some("TaEnrollment"));
        assert_eq!(e.kind(), Some(EnrollmentType::Ta));
        assert_eq!(serde_json::to_value(&e).unwrap()["type"], "TaEnrollment");
        assert!(serde_json::to_value(&e)
            .unwrap()
            .get("enrollment_type")
            .is_none());
        for t in EnrollmentType::ALL {
            assert_eq!(EnrollmentType::parse(t.as_str()), Some(t));
            assert_eq!(t.to_string(), t.as_str());
        }
        assert_eq!(
            EnrollmentType::parse("student"),
            Some(EnrollmentType::Student)
        );
        assert_eq!(
            EnrollmentType::parse(" Designer "),
            Some(EnrollmentType::Designer)
        );
        assert_eq!(EnrollmentType::parse("Enrollment"), None);
        assert_eq!(EnrollmentType::parse("Grader"), None);
        let bare: Enrollment = serde_json::from_value(json!({"id": 2})).unwrap();
        assert_eq!(bare.kind(), None);
    }

    #[test]
    fn assignment_submission_types_default_to_empty() {
        let a: Assignment = serde_json::from_value(json!({"id": 1})).unwrap();
        assert!(a.submission_types.is_empty());
        let m: Module = serde_json::from_value(json!({"id": 1})).unwrap();
        assert!(m.prerequisite_module_ids.is_empty());
    }
}
