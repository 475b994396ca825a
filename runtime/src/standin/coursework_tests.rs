//! End-to-end tests of assignments and submissions against the demo data. Course 1's
//! assignments: 1 "Homework 1" (10 points, due 2026-02-06), 2 "Midterm Essay" (50,
//! due 2026-03-13), 3 "Participation" (5, nothing to submit, undated), 4 "Capstone
//! Reflection" (20, due 2031-05-30), 5 "Old Quiz" (deleted). A demo submission's kind
//! is `(assignment + user) % 5`: 0 graded at 90 %, 1 graded late at 70 %, 2 waiting
//! to be graded, 3 missing, 4 full marks.

use serde_json::{json, Value};

use super::tests::{demo, get_json, ids};
use super::*;

#[tokio::test]
async fn course_assignments_in_order_with_search() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/1/assignments").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&v, "id"), [1, 2, 3, 4]);
    let (_, v) = get_json(&s, "/api/v1/courses/1/assignments?order_by=name").await;
    assert_eq!(ids(&v, "id"), [4, 1, 2, 3]);
    let (_, v) = get_json(&s, "/api/v1/courses/1/assignments?order_by=due_at").await;
    assert_eq!(ids(&v, "id"), [1, 2, 4, 3], "undated last");
    let (_, v) = get_json(&s, "/api/v1/courses/1/assignments?search_term=ESSAY").await;
    assert_eq!(ids(&v, "id"), [2]);
    let (status, _) = get_json(&s, "/api/v1/courses/1/assignments?search_term=e").await;
    assert_eq!(status, 400);
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/assignments?assignment_ids[]=3&assignment_ids[]=1",
    )
    .await;
    assert_eq!(ids(&v, "id"), [1, 3]);
    let (status, v) = get_json(
        &s,
        "/api/v1/courses/1/assignments?assignment_ids[]=1&assignment_ids[]=5&assignment_ids[]=999",
    )
    .await;
    assert_eq!(
        (status, v),
        (400, json!({"message": "Invalid assignment_ids: 5,999"}))
    );
    let many: String = (1..=101)
        .map(|i| format!("assignment_ids[]={i}&"))
        .collect();
    let (status, v) = get_json(&s, &format!("/api/v1/courses/1/assignments?{many}")).await;
    assert_eq!(
        (status, v),
        (
            400,
            json!({"message": "Request contains too many assignment_ids.  Limit 100"})
        )
    );
    // An unpublished course's work, and an unpublished assignment, are listed.
    let (_, v) = get_json(&s, "/api/v1/courses/63/assignments").await;
    assert_eq!(v.as_array().unwrap().len(), 3);
    let (_, v) = get_json(&s, "/api/v1/courses/4/assignments").await;
    let last = v.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["name"].clone(), last["published"].clone()),
        (json!("Final Project"), json!(false))
    );
    let (status, _) = get_json(&s, "/api/v1/courses/9999/assignments").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn buckets_sort_as_canvas_does_for_an_admin() {
    let s = demo().await;
    let bucket = |b: &'static str| {
        let s = &s;
        async move {
            let (status, v) =
                get_json(s, &format!("/api/v1/courses/1/assignments?bucket={b}")).await;
            assert_eq!(status, 200, "{b}: {v}");
            assert!(v.as_array().unwrap().iter().all(|a| a["bucket"] == b));
            ids(&v, "id")
        }
    };
    assert_eq!(bucket("past").await, [1, 2]);
    assert_eq!(bucket("future").await, [3, 4]);
    assert_eq!(bucket("undated").await, [3]);
    assert_eq!(bucket("overdue").await, Vec::<u64>::new());
    assert_eq!(bucket("unsubmitted").await, [1, 2, 4]);
    // Something waits to be graded: Homework 1 (user 16), the Capstone (user 13).
    assert_eq!(bucket("ungraded").await, [1, 4]);
    assert_eq!(bucket("upcoming").await, Vec::<u64>::new());
    let soon = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut a = Assignment::new(9001, 1, "Pop Quiz");
    a.due_at = Some(soon);
    a.position = 9;
    s.put_assignment(a);
    assert_eq!(bucket("upcoming").await, [9001]);
    // The clock the stand-in keeps moves due dates into the past.
    s.advance_clock(std::time::Duration::from_secs(3 * 86_400));
    assert_eq!(bucket("past").await, [1, 2, 9001]);

    let (status, v) = get_json(&s, "/api/v1/courses/1/assignments?bucket=later").await;
    let msg = "bucket name must be one of the following: past, overdue, undated, ungraded, unsubmitted, upcoming, future";
    assert_eq!(
        (status, v),
        (
            400,
            json!({"errors": {"bucket": [{"attribute": "bucket", "type": msg, "message": msg}]}})
        )
    );
}

#[tokio::test]
async fn one_assignment_as_canvas_shows_it() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/sis_course_id:BIO101/assignments/2").await;
    assert_eq!(status, 200);
    let base = s.base_url();
    for (field, value) in [
        ("id", json!(2)),
        ("course_id", json!(1)),
        ("name", json!("Midterm Essay")),
        ("points_possible", json!(50.0)),
        ("grading_type", json!("points")),
        ("submission_types", json!(["online_upload"])),
        ("due_at", json!("2026-03-13T17:00:00Z")),
        ("published", json!(true)),
        ("workflow_state", json!("published")),
        ("position", json!(2)),
        ("has_submitted_submissions", json!(true)),
        ("graded_submissions_exist", json!(true)),
        ("needs_grading_count", json!(0)),
        ("html_url", json!(format!("{base}/courses/1/assignments/2"))),
    ] {
        assert_eq!(v[field], value, "{field}");
    }
    assert!(v["description"]
        .as_str()
        .unwrap()
        .starts_with("<p>Write 1,500 words"));
    let (_, v) = get_json(&s, "/api/v1/courses/1/assignments/1").await;
    assert_eq!(v["needs_grading_count"], 1);
    for path in [
        "/api/v1/courses/1/assignments/5", // deleted
        "/api/v1/courses/2/assignments/1", // another course's
        "/api/v1/courses/1/assignments/abc",
    ] {
        let (status, _) = get_json(&s, path).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn assignment_submissions_cover_the_students_taking_part() {
    let s = demo().await;
    let (status, v) = get_json(&s, "/api/v1/courses/1/assignments/1/submissions").await;
    assert_eq!(status, 200);
    // 10 is invited (its submission was added, unsubmitted); 8, 11, 12 take no part.
    assert_eq!(ids(&v, "user_id"), [9, 10, 13, 16, 19]);
    let by_user = |u: u64| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|x| x["user_id"] == u)
            .unwrap()
            .clone()
    };
    let graded = by_user(9);
    for (field, value) in [
        ("assignment_id", json!(1)),
        ("score", json!(9.0)),
        ("grade", json!("9")),
        ("entered_grade", json!("9")),
        ("workflow_state", json!("graded")),
        ("submission_type", json!("online_text_entry")),
        ("submitted_at", json!("2026-02-06T15:30:00Z")),
        ("cached_due_date", json!("2026-02-06T17:00:00Z")),
        ("grader_id", json!(3)),
        ("attempt", json!(1)),
        ("late", json!(false)),
        ("missing", json!(false)),
        ("seconds_late", json!(0)),
    ] {
        assert_eq!(graded[field], value, "{field}");
    }
    assert_eq!(by_user(16)["workflow_state"], "submitted");
    assert_eq!(by_user(16)["score"], Value::Null);
    let missing = by_user(10);
    assert_eq!(
        (
            missing["workflow_state"].clone(),
            missing["missing"].clone(),
            missing["late"].clone()
        ),
        (json!("unsubmitted"), json!(true), json!(false))
    );
    // Late: handed in 2 h 5 min after the deadline.
    let (_, v) = get_json(&s, "/api/v1/courses/1/assignments/2/submissions/9").await;
    assert_eq!(
        (v["late"].clone(), v["seconds_late"].clone()),
        (json!(true), json!(7500))
    );
    assert_eq!(v["score"], 35.0);

    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/assignments/1/submissions?include[]=user&include[]=assignment&per_page=2",
    )
    .await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["user"]["name"], "Noah Patel");
    assert_eq!(v[0]["assignment"]["name"], "Homework 1");
}

#[tokio::test]
async fn one_submission_by_user() {
    let s = demo().await;
    for who in ["9", "sis_user_id:S0009", "sis_login_id:npatel"] {
        let (status, v) = get_json(
            &s,
            &format!("/api/v1/courses/1/assignments/1/submissions/{who}"),
        )
        .await;
        assert_eq!((status, v["user_id"].clone()), (200, json!(9)), "{who}");
    }
    // The inactive student still has one; the teacher and strangers do not.
    let (status, _) = get_json(&s, "/api/v1/courses/1/assignments/1/submissions/11").await;
    assert_eq!(status, 200);
    for who in ["3", "12", "9999", "self"] {
        let (status, _) = get_json(
            &s,
            &format!("/api/v1/courses/1/assignments/1/submissions/{who}"),
        )
        .await;
        assert_eq!(status, 404, "{who}");
    }
    // An assignment without stored submissions: a blank one, without an id.
    s.put_assignment(Assignment::new(9002, 1, "Added later"));
    let (status, v) = get_json(&s, "/api/v1/courses/1/assignments/9002/submissions/9").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            v["id"].clone(),
            v["workflow_state"].clone(),
            v["missing"].clone()
        ),
        (Value::Null, json!("unsubmitted"), json!(false))
    );
}

#[tokio::test]
async fn student_submissions_across_assignments() {
    let s = demo().await;
    let (status, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=9&assignment_ids[]=1&assignment_ids[]=2",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ids(&v, "assignment_id"), [1, 2]);
    let sub_ids = ids(&v, "id");
    assert!(sub_ids[0] < sub_ids[1], "by id");

    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=all&workflow_state=submitted&per_page=100",
    )
    .await;
    let waiting: Vec<(u64, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["assignment_id"].as_u64().unwrap(),
                x["user_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(waiting, [(1, 16), (4, 13)]);

    // Only published assignments: the stand-in's Canvas refuses others.
    let final_project = s
        .assignments()
        .into_iter()
        .find(|a| a.course_id == 4 && a.name == "Final Project")
        .unwrap();
    assert_eq!(final_project.workflow_state, "unpublished");
    let (status, v) = get_json(
        &s,
        &format!(
            "/api/v1/courses/4/students/submissions?student_ids[]=all&assignment_ids[]={}",
            final_project.id
        ),
    )
    .await;
    assert_eq!(
        (status, v),
        (403, json!({"error": "invalid assignment ids requested"}))
    );

    let unauthorized = json!({"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]});
    for q in ["", "?student_ids[]=3", "?student_ids[]=9&student_ids[]=20"] {
        let (status, v) = get_json(&s, &format!("/api/v1/courses/1/students/submissions{q}")).await;
        assert_eq!((status, v), (401, unauthorized.clone()), "{q}");
    }
    let (status, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=all&enrollment_state=gone",
    )
    .await;
    assert_eq!(
        (status, v),
        (400, json!({"error": "invalid enrollment_state"}))
    );
    let (status, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=all&submitted_since=yesterday",
    )
    .await;
    assert_eq!(
        (status, v),
        (
            400,
            json!({"errors": {"submitted_since": "Invalid datetime for submitted_since"}})
        )
    );
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=sis_user_id:S0009&submitted_since=2026-03-01T00:00:00Z",
    )
    .await;
    assert_eq!(ids(&v, "assignment_id"), [2]);
}

#[tokio::test]
async fn student_submissions_grouped_and_by_section() {
    let s = demo().await;
    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=all&grouped=1&assignment_ids[]=1&per_page=100",
    )
    .await;
    // All students but the deleted one, by id.
    assert_eq!(ids(&v, "user_id"), [8, 9, 10, 11, 13, 16, 19]);
    let noah = &v[1];
    assert_eq!(noah["section_id"], 12);
    assert_eq!(noah["sis_user_id"], "S0009");
    assert_eq!(ids(&noah["submissions"], "assignment_id"), [1]);
    // The completed student (8) keeps the unsubmitted one the stand-in added.
    assert_eq!(v[0]["submissions"][0]["workflow_state"], "unsubmitted");

    let (_, v) = get_json(
        &s,
        "/api/v1/sections/12/students/submissions?student_ids[]=all&assignment_ids[]=1",
    )
    .await;
    let mut users = ids(&v, "user_id");
    users.sort_unstable();
    assert_eq!(users, [9, 16]);
    let (status, _) = get_json(&s, "/api/v1/sections/9999/students/submissions").await;
    assert_eq!(status, 404);

    let (_, v) = get_json(
        &s,
        "/api/v1/courses/1/students/submissions?student_ids[]=all&assignment_ids[]=2&order=graded_at&order_direction=descending",
    )
    .await;
    let graded: Vec<bool> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["graded_at"].is_string())
        .collect();
    assert!(
        graded.windows(2).all(|w| w[0] >= w[1]),
        "ungraded last: {graded:?}"
    );
}
