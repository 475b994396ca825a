//! End-to-end tests of the roster endpoints (enrollments, sections) against the demo
//! data: course 1 has a teacher (3), students 9, 13, 16, 19 (16 and 9 in the lab
//! section 12, the others in the default section 11), a TA (21), an observer (22),
//! a designer (7), and students 8 (completed), 10 (invited), 11 (inactive) and 12
//! (deleted).

use serde_json::{json, Value};

use super::tests::{body_json, demo, get_json, header, ids, link_rel, send};
use super::*;

#[tokio::test]
async fn course_enrollments_default_to_the_current_roster_in_canvas_order() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/1/enrollments?per_page=100").await;
    assert_eq!(status, 200);
    // By type, then sortable name: Johnson, Kowalski, Müller, Nguyen, Patel, Tanaka.
    assert_eq!(ids(&v, "user_id"), [7, 22, 10, 16, 13, 11, 9, 19, 21, 3]);
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/sis_course_id:BIO101/enrollments?type[]=StudentEnrollment&state[]=active&per_page=100",
    )
    .await;
    assert_eq!(ids(&v, "user_id"), [16, 13, 9, 19]);
    for (state, user) in [
        ("completed", 8),
        ("deleted", 12),
        ("inactive", 11),
        ("invited", 10),
    ] {
        let (_, v) = get_json(
            &s,
            &format!("/api/v1/courses/1/enrollments?state[]={state}"),
        )
        .await;
        assert_eq!(ids(&v, "user_id"), [user], "{state}");
        assert_eq!(v[0]["enrollment_state"], state);
    }
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/enrollments?type[]=TaEnrollment&type[]=TeacherEnrollment",
    )
    .await;
    assert_eq!(ids(&v, "user_id"), [21, 3]);
    let (_, v) = get_json(&s, "/api/v1/courses/1/enrollments?role_id[]=7").await;
    assert_eq!(ids(&v, "user_id"), [7]);
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/enrollments?role[]=ObserverEnrollment",
    )
    .await;
    assert_eq!(v[0]["associated_user_id"], 9);
    let (status, _) = get_json(&s, "/api/v1/courses/1/enrollments?role[]=Librarian").await;
    assert_eq!(status, 400);
    // A course without a teacher.
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/61/enrollments?type[]=TeacherEnrollment",
    )
    .await;
    assert_eq!(v, json!([]));
}

#[tokio::test]
async fn an_enrollment_has_canvas_fields_its_user_and_grades() {
    let s = demo().await;
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/enrollments?user_id=sis_user_id:S0009",
    )
    .await;
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    let e = &list[0];
    let stored = s
        .enrollments()
        .into_iter()
        .find(|e| e.course_id == 1 && e.user_id == 9)
        .unwrap();
    let base = s.base_url();
    for (field, value) in [
        ("id", json!(stored.id)),
        ("course_id", json!(1)),
        ("course_section_id", json!(12)),
        ("user_id", json!(9)),
        ("type", json!("StudentEnrollment")),
        ("role", json!("StudentEnrollment")),
        ("role_id", json!(3)),
        ("enrollment_state", json!("active")),
        ("root_account_id", json!(1)),
        ("limit_privileges_to_course_section", json!(false)),
        ("sis_course_id", json!("BIO101")),
        ("sis_section_id", json!("BIO101-LAB")),
        ("sis_account_id", json!("SCI")),
        ("sis_user_id", json!("S0009")),
        ("associated_user_id", Value::Null),
        ("html_url", json!(format!("{base}/courses/1/users/9"))),
    ] {
        assert_eq!(e[field], value, "{field}");
    }
    assert_eq!(
        e["user"],
        json!({"id": 9, "name": "Noah Patel", "created_at": stored_user_created(&s, 9),
               "sortable_name": "Patel, Noah", "short_name": "Noah Patel", "sis_user_id": "S0009",
               "integration_id": null, "sis_import_id": null, "login_id": "npatel"})
    );
    // Homework 1: 9/10, Midterm Essay: 35/50 (late); Participation (5) and the
    // Capstone (20) not graded yet.
    assert_eq!(e["grades"]["current_score"], 73.33);
    assert_eq!(e["grades"]["final_score"], 51.76);
    assert_eq!(
        e["grades"]["html_url"],
        format!("{base}/courses/1/grades/9")
    );
    // Teachers have no grades.
    let (_, v) = get_json(&s, "/api/v1/courses/1/enrollments?type[]=TeacherEnrollment").await;
    assert!(v[0].get("grades").is_none());
    // include[]=email reaches the user.
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/enrollments?user_id=9&include[]=email",
    )
    .await;
    assert_eq!(v[0]["user"]["email"], "npatel@demo.example.edu");
}

fn stored_user_created(s: &StandIn, id: u64) -> String {
    s.users()
        .into_iter()
        .find(|u| u.id == id)
        .unwrap()
        .created_at
}

#[tokio::test]
async fn section_and_user_enrollments() {
    let s = demo().await;
    let (_, v) = get_json(&s, "/api/v1/sections/12/enrollments").await;
    assert_eq!(ids(&v, "user_id"), [16, 9]);
    let (_, v) = get_json(&s, "/api/v1/sections/sis_section_id:BIO101-LAB/enrollments").await;
    assert_eq!(ids(&v, "user_id"), [16, 9]);

    let expected: Vec<u64> = s
        .enrollments()
        .iter()
        .filter(|e| e.user_id == 9 && e.enrollment_state == "active")
        .map(|e| e.course_id)
        .collect();
    let (_, v) = get_json(&s, "/api/v1/users/9/enrollments?per_page=100").await;
    let mut courses = ids(&v, "course_id");
    courses.sort_unstable();
    assert_eq!(courses, expected);
    assert!(courses.contains(&63), "the unpublished course counts too");
    let (_, v) = get_json(
        &s,
        "/api/v1/users/sis_login_id:ochen/enrollments?state[]=completed",
    )
    .await;
    assert_eq!(ids(&v, "course_id"), [1]);

    // The worker's own enrollments: none, and Canvas's check of state[].
    let (status, v) = get_json(&s, "/api/v1/users/self/enrollments").await;
    assert_eq!((status, v), (200, json!([])));
    let (status, v) = get_json(
        &s,
        "/api/v1/users/self/enrollments?state[]=current_and_invited",
    )
    .await;
    assert_eq!((status, v), (200, json!([])));
    let (status, v) = get_json(&s, "/api/v1/users/self/enrollments?state[]=bogus").await;
    assert_eq!((status, v), (400, json!({"error": "Invalid state bogus"})));

    for path in [
        "/api/v1/users/9999/enrollments",
        "/api/v1/sections/9999/enrollments",
        "/api/v1/sections/261/enrollments", // the deleted course's section
        "/api/v1/courses/26/enrollments",
        "/api/v1/courses/1/enrollments?user_id=9999",
    ] {
        let (status, _) = get_json(&s, path).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn enrollments_paginate_with_link_headers() {
    let s = demo().await;
    let r = send(&s, "GET", "/api/v1/courses/1/enrollments?per_page=4").await;
    let link = header(&r, "link").unwrap().to_string();
    assert_eq!(
        link_rel(&link, "next").unwrap(),
        format!(
            "{}/api/v1/courses/1/enrollments?page=2&per_page=4",
            s.base_url()
        )
    );
    assert!(link_rel(&link, "last").unwrap().contains("page=3&"));
    let first = ids(&body_json(r).await, "id");
    let (_, v) = get_json(&s, "/api/v1/courses/1/enrollments?page=3&per_page=4").await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(ids(&v, "id").iter().all(|id| !first.contains(id)));
    let r = send(&s, "HEAD", "/api/v1/courses/1/enrollments?per_page=4").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(header(&r, "link").is_some());
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn course_sections_with_students_and_totals() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/1/sections").await;
    assert_eq!(status, 200);
    // By name: "BIO 101 Lab" sorts before "BIO 101 — …".
    assert_eq!(ids(&v, "id"), [12, 11]);
    assert_eq!(
        v[0],
        json!({"id": 12, "course_id": 1, "name": "BIO 101 Lab", "start_at": null, "end_at": null,
               "restrict_enrollments_to_section_dates": false, "nonxlist_course_id": null,
               "sis_section_id": "BIO101-LAB", "sis_course_id": "BIO101", "integration_id": null,
               "sis_import_id": null})
    );
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/sections?include[]=students&include[]=total_students&include[]=enrollments",
    )
    .await;
    assert_eq!(v[0]["total_students"], 2);
    // 13 and 19 active, 10 invited; 8 (completed) and 11 (inactive) do not count.
    assert_eq!(v[1]["total_students"], 3);
    let students = v[0]["students"].as_array().unwrap();
    assert_eq!(ids(&v[0]["students"], "id"), [16, 9]);
    assert_eq!(students[1]["name"], "Noah Patel");
    assert_eq!(students[1]["enrollments"][0]["course_section_id"], 12);
    assert!(v[0].get("students").is_some());
    // Without include, neither.
    let (_, v) = get_json(&s, "/api/v1/courses/1/sections").await;
    assert!(v[0].get("students").is_none() && v[0].get("total_students").is_none());
    // A section without students: null, as Canvas says it.
    let (_, v) = get_json(&s, "/api/v1/courses/59/sections?include[]=students").await;
    assert_eq!(v[0]["students"], Value::Null);

    let (_, v) = get_json(&s, "/api/v1/courses/1/sections?search_term=LAB").await;
    assert_eq!(ids(&v, "id"), [12]);
    let (status, _) = get_json(&s, "/api/v1/courses/1/sections?search_term=l").await;
    assert_eq!(status, 400);
    let r = send(&s, "GET", "/api/v1/courses/1/sections?all=1").await;
    assert!(header(&r, "link").is_none());
    assert_eq!(ids(&body_json(r).await, "id"), [12, 11]);
    let r = send(&s, "GET", "/api/v1/courses/1/sections?per_page=1").await;
    assert!(link_rel(header(&r, "link").unwrap(), "next").is_some());
}

#[tokio::test]
async fn one_section_by_id_sis_id_or_through_its_course() {
    let s = demo().await;
    for path in [
        "/api/v1/sections/12",
        "/api/v1/sections/sis_section_id:BIO101-LAB",
        "/api/v1/courses/1/sections/12",
        "/api/v1/courses/sis_course_id:BIO101/sections/sis_section_id:BIO101-LAB",
    ] {
        let (status, v) = get_json(&s, path).await;
        assert_eq!((status, v["id"].clone()), (200, json!(12)), "{path}");
    }
    let (_, v) = get_json(&s, "/api/v1/sections/11?include[]=total_students").await;
    assert_eq!(v["total_students"], 3);
    for path in [
        "/api/v1/courses/2/sections/12",
        "/api/v1/sections/261",
        "/api/v1/sections/sis_section_id:NOPE",
    ] {
        let (status, _) = get_json(&s, path).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn a_seed_from_json_serves_like_canvas() {
    let seed = Seed::from_json(
        r#"{
          "accounts": [{"id": 1, "name": "Root"}],
          "courses": [{"id": 7, "name": "Biology", "account_id": 1, "workflow_state": "available"}],
          "users": [{"id": 1, "name": "Warden Worker"}, {"id": 2, "name": "Ada Lovelace"}],
          "enrollments": [{"id": 1, "course_id": 7, "user_id": 2, "type": "StudentEnrollment"}],
          "assignments": [{"id": 4, "course_id": 7, "name": "Essay", "submission_types": ["online_upload"],
                           "due_at": "2020-01-01T00:00:00Z", "points_possible": 10}]
        }"#,
    )
    .unwrap();
    let s = StandIn::start(super::tests::TOKEN, seed).await.unwrap();
    let (_, v) = get_json(&s, "/api/v1/courses/7/sections").await;
    assert_eq!(v[0]["name"], "Biology");
    let section = v[0]["id"].clone();
    let (_, v) = get_json(&s, "/api/v1/courses/7/enrollments").await;
    assert_eq!(v[0]["course_section_id"], section);
    assert_eq!(v[0]["user"]["sortable_name"], "Lovelace, Ada");
    let (_, v) = get_json(&s, "/api/v1/courses/7/assignments/4/submissions").await;
    assert_eq!(v[0]["workflow_state"], "unsubmitted");
    assert_eq!(v[0]["missing"], true);
    assert_eq!(v[0]["user_id"], 2);
}

#[tokio::test]
async fn course_users_and_totals_count_the_current_roster() {
    let s = demo().await;
    let (_, v) = get_json(&s, "/api/v1/courses/1/users?per_page=100").await;
    // Not 8 (completed), 11 (inactive) or 12 (deleted); 10 is invited.
    let mut users = ids(&v, "id");
    users.sort_unstable();
    assert_eq!(users, [3, 7, 9, 10, 13, 16, 19, 21, 22]);
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/users?enrollment_state[]=completed&enrollment_state[]=deleted&include[]=enrollments",
    )
    .await;
    assert_eq!(ids(&v, "id"), [8, 12]);
    assert_eq!(v[1]["enrollments"][0]["enrollment_state"], "deleted");
    let (_, v) = get_json(&s, "/api/v1/courses/1?include[]=total_students").await;
    assert_eq!(v["total_students"], 5);
}
