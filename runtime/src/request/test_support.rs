//! Helpers shared by the request tests: a fixed origin and scope set, and
//! shorthands for building guest requests and checking the outcome of
//! [`check`].

use super::{check, Approved, GuestRequest, Origin, ParamLimits, Policy, Refusal};
use crate::scope::{Method, Scope, ScopeSet};
use std::fmt;

pub(super) const ORIGIN: &str = "https://school.instructure.com";

pub(super) const SCOPES: &[&str] = &[
    "url:GET|/api/v1/courses/:course_id",
    "url:GET|/api/v1/courses/:course_id/users",
    "url:GET|/api/v1/courses/:course_id/folders/by_path/*full_path",
    "url:POST|/api/v1/courses/:course_id/discussion_topics",
    "url:PUT|/api/v1/courses/:course_id",
    "url:DELETE|/api/v1/courses/:course_id",
    "url:PATCH|/api/v1/courses/:course_id",
    "url:GET|/api/v1/users/:user_id/custom_data(/*scope)",
];

pub(super) fn scope_set(list: &[&str]) -> ScopeSet {
    ScopeSet::new(list.iter().map(|s| s.parse::<Scope>().unwrap()).collect())
}

pub(super) fn run_with(
    scopes: &[&str],
    masquerade: bool,
    req: GuestRequest,
) -> Result<Approved, Refusal> {
    run_with_params(scopes, masquerade, &ParamLimits::new(), req)
}

pub(super) fn run_with_params(
    scopes: &[&str],
    masquerade: bool,
    params: &ParamLimits,
    req: GuestRequest,
) -> Result<Approved, Refusal> {
    let origin = Origin::parse(ORIGIN).unwrap();
    let scopes = scope_set(scopes);
    check(
        &Policy {
            origin: &origin,
            scopes: &scopes,
            masquerade,
            params,
        },
        req,
    )
}

pub(super) fn run(req: GuestRequest) -> Result<Approved, Refusal> {
    run_with(SCOPES, false, req)
}

pub(super) fn request(method: Method, path: &str) -> GuestRequest {
    GuestRequest {
        method,
        path: path.to_owned(),
        query: Vec::new(),
        headers: Vec::new(),
        body: None,
    }
}

pub(super) fn get(path: &str) -> GuestRequest {
    request(Method::Get, path)
}

pub(super) fn post(path: &str, content_type: Option<&str>, body: &[u8]) -> GuestRequest {
    let mut req = request(Method::Post, path);
    if let Some(ct) = content_type {
        req.headers.push(("Content-Type".into(), ct.into()));
    }
    req.body = Some(body.to_vec());
    req
}

pub(super) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[track_caller]
pub(super) fn approved(result: Result<Approved, Refusal>) -> Approved {
    match result {
        Ok(a) => a,
        Err(e) => panic!("expected approval, got {e}"),
    }
}

/// Asserts an Invalid refusal whose message contains `needle`.
#[track_caller]
pub(super) fn assert_invalid<T: fmt::Debug>(result: Result<T, Refusal>, needle: &str) {
    match result {
        Err(Refusal::Invalid(message)) => {
            assert!(
                message.contains(needle),
                "message {message:?} lacks {needle:?}"
            );
            assert!(!message.contains('\n') && !message.contains('\r'));
        }
        other => panic!("expected Invalid containing {needle:?}, got {other:?}"),
    }
}

pub(super) const TOPICS: &str = "/api/v1/courses/1/discussion_topics";
