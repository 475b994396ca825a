//! End-to-end tests of `PUT /api/v1/courses/:id` beyond the fields tests.rs covers:
//! every common `course[...]` field, Canvas's quiet corrections, its validations,
//! and `event=undelete`.

use serde_json::{json, Value};

use super::tests::{body_json, client, demo, get_json, header, send, TOKEN};
use super::*;

#[tokio::test]
async fn put_course_stores_the_common_fields() {
    let s = demo().await;
    let r = client()
        .put(format!("{}/api/v1/courses/2", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(
            json!({"course": {
                "name": "Genetics", "course_code": "BIO 210A", "start_at": "2027-01-11",
                "end_at": "2027-05-07T17:00:00Z", "license": "cc_by_sa", "is_public": "1",
                "is_public_to_auth_users": true, "public_syllabus": true,
                "public_description": "Genes and more.", "allow_student_wiki_edits": true,
                "allow_wiki_comments": true, "allow_student_forum_attachments": true,
                "open_enrollment": true, "self_enrollment": true,
                "restrict_enrollments_to_course_dates": true, "term_id": "sis_term_id:2025FA",
                "sis_course_id": "BIO210A", "integration_id": "int-210", "hide_final_grades": true,
                "apply_assignment_group_weights": true, "time_zone": "America/New_York",
                "default_view": "syllabus", "syllabus_body": "<p>Week 1</p>",
                "grading_standard_id": 4, "course_format": "blended", "event": "claim"
            }})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v = body_json(r).await;
    assert_eq!(v["workflow_state"], "unpublished");
    assert_eq!(v["time_zone"], "America/New_York");
    assert!(v.get("syllabus_body").is_none(), "only with include[]");
    let c = s.course(2).unwrap();
    assert_eq!(
        (
            c.name.as_str(),
            c.course_code.as_str(),
            c.license.as_str(),
            c.default_view.as_str()
        ),
        ("Genetics", "BIO 210A", "cc_by_sa", "syllabus")
    );
    assert_eq!(
        (c.start_at.as_deref(), c.end_at.as_deref()),
        (Some("2027-01-11T00:00:00Z"), Some("2027-05-07T17:00:00Z"))
    );
    assert!(c.is_public && c.is_public_to_auth_users && c.public_syllabus);
    assert!(
        c.allow_student_wiki_edits && c.allow_wiki_comments && c.allow_student_forum_attachments
    );
    assert!(c.open_enrollment && c.self_enrollment && c.restrict_enrollments_to_course_dates);
    assert!(c.hide_final_grades && c.apply_assignment_group_weights);
    assert_eq!(c.enrollment_term_id, 2);
    assert_eq!(c.sis_course_id.as_deref(), Some("BIO210A"));
    assert_eq!(c.integration_id.as_deref(), Some("int-210"));
    assert_eq!(c.grading_standard_id, Some(4));
    assert_eq!(c.course_format.as_deref(), Some("blended"));
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/sis_course_id:BIO210A?include[]=syllabus_body&include[]=public_description",
    )
    .await;
    assert_eq!(v["syllabus_body"], "<p>Week 1</p>");
    assert_eq!(v["public_description"], "Genes and more.");
    assert_eq!(v["allow_wiki_comments"], true);

    // Canvas's quiet corrections: an unknown license is private, an unknown format
    // none, an unknown zone the account's; a blank term the default term.
    let put = |body: Value| {
        let s = &s;
        async move {
            let r = client()
                .put(format!("{}/api/v1/courses/2", s.base_url()))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(json!({ "course": body }).to_string())
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), body_json(r).await)
        }
    };
    let (status, v) = put(json!({"license": "mine", "course_format": "hybrid", "time_zone": "Mars/Olympus", "term_id": ""})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (
            v["license"].clone(),
            v["course_format"].clone(),
            v["time_zone"].clone(),
            v["enrollment_term_id"].clone()
        ),
        (json!("private"), Value::Null, json!("Etc/UTC"), json!(1))
    );
    let (status, _) = put(json!({"term_id": 99})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn put_course_validates_like_canvas() {
    let s = demo().await;
    let before = s.course(2).unwrap();
    let put = |body: Value| {
        let s = &s;
        async move {
            let r = client()
                .put(format!("{}/api/v1/courses/2", s.base_url()))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(json!({ "course": body }).to_string())
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), body_json(r).await)
        }
    };
    let msg = "End date cannot be before start date";
    assert_eq!(
        put(json!({"start_at": "2027-05-01", "end_at": "2027-01-01", "name": "X"})).await,
        (
            400,
            json!({"errors": {"conclude_at": [{"attribute": "conclude_at", "type": msg, "message": msg}]}})
        )
    );
    let msg = "SIS ID \"BIO101\" is already in use";
    assert_eq!(
        put(json!({"sis_course_id": "BIO101"})).await,
        (
            400,
            json!({"errors": {"sis_source_id": [{"attribute": "sis_source_id", "type": msg, "message": msg}]}})
        )
    );
    assert_eq!(s.course(2).unwrap(), before, "nothing changed");
    // Blank clears the SIS id.
    let (status, v) = put(json!({"sis_course_id": ""})).await;
    assert_eq!((status, v["sis_course_id"].clone()), (200, Value::Null));

    // undelete brings back a deleted course (unpublished); nothing else reaches one.
    let r = client()
        .put(format!("{}/api/v1/courses/26", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(json!({"course": {"name": "Back?"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(header(&r, STANDIN_HEADER), None);
    let r = client()
        .put(format!("{}/api/v1/courses/26", s.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("course[event]=undelete")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(s.course(26).unwrap().workflow_state, "unpublished");
    assert_eq!(send(&s, "GET", "/api/v1/courses/26").await.status(), 200);
}
