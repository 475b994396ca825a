//! The typed helpers, re-exported as `canvas::courses`, `canvas::enrollments`,
//! ...: each builds the request of one common Canvas call and returns a
//! lazy [`Pages`](crate::Pages) (lists) or [`Call`](crate::Call) (one
//! object); nothing is sent until iteration or `send`.

pub mod assignments;
pub mod courses;
pub mod enrollments;
pub mod sections;
pub mod submissions;
pub mod users;

#[cfg(test)]
mod tests {
    use crate::canvas::{assignments, courses, enrollments, sections, submissions, users};
    use crate::canvas::{Method, Request};
    use crate::ids::{AccountId, CourseId, SectionId, UserId};
    use crate::models::EnrollmentType;

    fn pairs(r: &Request) -> Vec<(&str, &str)> {
        r.query_pairs()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn list_paths() {
        let course = CourseId::id(7);
        let cases = [
            (
                courses::list(1).first_request().cloned(),
                "/api/v1/accounts/1/courses",
            ),
            (
                courses::list(AccountId::sis("SCI/BIO"))
                    .first_request()
                    .cloned(),
                "/api/v1/accounts/sis_account_id:SCI%2FBIO/courses",
            ),
            (
                courses::list(AccountId::SELF).first_request().cloned(),
                "/api/v1/accounts/self/courses",
            ),
            (
                enrollments::list(CourseId::sis("MATH 101"))
                    .first_request()
                    .cloned(),
                "/api/v1/courses/sis_course_id:MATH%20101/enrollments",
            ),
            (
                enrollments::list_for_section(SectionId::sis("S1"))
                    .first_request()
                    .cloned(),
                "/api/v1/sections/sis_section_id:S1/enrollments",
            ),
            (
                enrollments::list_for_user(UserId::SELF)
                    .first_request()
                    .cloned(),
                "/api/v1/users/self/enrollments",
            ),
            (
                assignments::list(7).first_request().cloned(),
                "/api/v1/courses/7/assignments",
            ),
            (
                submissions::list(7, 9).first_request().cloned(),
                "/api/v1/courses/7/assignments/9/submissions",
            ),
            (
                sections::list(&course).first_request().cloned(),
                "/api/v1/courses/7/sections",
            ),
        ];
        for (request, path) in cases {
            let request = request.expect("not iterated yet");
            assert_eq!(request.method(), Method::Get);
            assert_eq!(request.path(), path);
            assert!(request.query_pairs().is_empty(), "{path}");
            assert_eq!(request.body_bytes(), None);
        }
    }

    #[test]
    fn lists_take_queries() {
        let pages = courses::list(1)
            .query("published", false)
            .include("term")
            .per_page(50);
        let r = pages.first_request().unwrap();
        assert_eq!(
            pairs(r),
            [
                ("published", "false"),
                ("include[]", "term"),
                ("per_page", "50")
            ]
        );

        let pages = enrollments::list(3)
            .of_type(EnrollmentType::Student)
            .of_type(EnrollmentType::Ta)
            .with_state("active")
            .role("Grader");
        assert_eq!(
            pairs(pages.first_request().unwrap()),
            [
                ("type[]", "StudentEnrollment"),
                ("type[]", "TaEnrollment"),
                ("state[]", "active"),
                ("role[]", "Grader")
            ]
        );
    }

    #[test]
    fn single_object_calls() {
        let call = courses::get(CourseId::sis("A 1")).include("term");
        let r = call.request().unwrap();
        assert_eq!(r.method(), Method::Get);
        assert_eq!(r.path(), "/api/v1/courses/sis_course_id:A%201");
        assert_eq!(pairs(r), [("include[]", "term")]);

        let call = users::get(UserId::login("a@b")).header("accept", "application/json");
        let r = call.request().unwrap();
        assert_eq!(r.path(), "/api/v1/users/sis_login_id:a@b");
        assert_eq!(r.headers()[0].0, "accept");

        let call = assignments::get(4, 5).query("include[]", "submission");
        assert_eq!(
            call.request().unwrap().path(),
            "/api/v1/courses/4/assignments/5"
        );
        assert!(format!("{call:?}").starts_with("Call { request: Ok(Request"));
    }

    #[test]
    fn update_sends_only_the_fields_set() {
        let changes = courses::CourseUpdate::new()
            .default_view("modules")
            .name("Biology & more")
            .is_public(true);
        let call = courses::update(42, &changes);
        let r = call.request().unwrap();
        assert_eq!(r.method(), Method::Put);
        assert_eq!(r.path(), "/api/v1/courses/42");
        assert!(r.query_pairs().is_empty());
        assert_eq!(
            r.headers(),
            [("content-type".to_string(), "application/json".to_string())]
        );
        let body: serde_json::Value = serde_json::from_slice(r.body_bytes().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"course": {"default_view": "modules", "name": "Biology & more", "is_public": true}})
        );

        let empty = courses::CourseUpdate::new();
        assert!(empty.is_empty() && !changes.is_empty());
        let r = courses::update(1, &empty);
        assert_eq!(
            r.request().unwrap().body_bytes(),
            Some(&br#"{"course":{}}"#[..])
        );

        let all = courses::CourseUpdate::new()
            .name("n")
            .course_code("c")
            .default_view("feed")
            .public_description("d")
            .start_at("2026-01-01T00:00:00Z")
            .end_at("2026-06-01T00:00:00Z")
            .is_public(false)
            .syllabus_body("<p>s</p>")
            .event("offer");
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 9);
        assert_eq!(json["event"], "offer");
        assert_eq!(json["is_public"], false);
    }
}
