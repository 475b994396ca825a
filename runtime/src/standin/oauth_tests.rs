//! The stand-in's OAuth2 provider, over real HTTP: the three endpoints with
//! Canvas's answers, expiry on the jumping clock, refresh, revocation, scope
//! enforcement and include stripping.

use std::time::Duration;

use serde_json::{json, Value};

use super::tests::client;
use super::*;

const TOKEN: &str = "fixed-test-token";
const CLIENT_ID: &str = "10000000000042";
const SECRET: &str = "client-secret-of-the-key";
const REDIRECT: &str = "http://127.0.0.1:8765/callback";
const COURSE: &str = "url:GET|/api/v1/courses/:id";
const COURSES: &str = "url:GET|/api/v1/accounts/:account_id/courses";

async fn canvas(key: DeveloperKey) -> StandIn {
    let s = StandIn::start(TOKEN, Seed::demo()).await.expect("start");
    s.add_developer_key(key);
    s
}

fn key() -> DeveloperKey {
    DeveloperKey::scoped(CLIENT_ID, SECRET, REDIRECT, &[COURSE, COURSES])
}

fn authorize_url(s: &StandIn, redirect: &str, scopes: &[&str], extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/login/oauth2/auth", s.base_url())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "st4te")
        .append_pair("scope", &scopes.join(" "))
        .extend_pairs(extra);
    url.into()
}

/// Where the authorize step redirected to.
async fn authorize(s: &StandIn, redirect: &str, scopes: &[&str]) -> url::Url {
    let r = client()
        .get(authorize_url(s, redirect, scopes, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    url::Url::parse(&location).unwrap()
}

fn param(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn token_call(
    s: &StandIn,
    form: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let r = client()
        .post(format!("{}/login/oauth2/token", s.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    (status, v, headers)
}

async fn login(s: &StandIn, scopes: &[&str]) -> Value {
    let to = authorize(s, REDIRECT, scopes).await;
    let code = param(&to, "code").unwrap();
    let (status, v, _) = token_call(
        s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("redirect_uri", REDIRECT),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn refresh(s: &StandIn, refresh_token: &str) -> (u16, Value) {
    let (status, v, _) = token_call(
        s,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("refresh_token", refresh_token),
        ],
    )
    .await;
    (status, v)
}

async fn api(s: &StandIn, method: &str, path: &str, token: &str) -> reqwest::Response {
    client()
        .request(method.parse().unwrap(), format!("{}{path}", s.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_code_grant_gives_canvas_tokens_that_work_within_their_scopes() {
    let s = canvas(key()).await;
    let to = authorize(&s, REDIRECT, &[COURSE]).await;
    assert_eq!((to.host_str(), to.path()), (Some("127.0.0.1"), "/callback"));
    assert_eq!(param(&to, "state").as_deref(), Some("st4te"));
    let code = param(&to, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    let (status, v, _) = token_call(&s, &form).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["user"]["id"], 1);
    assert_eq!(v["user"]["name"], "Warden Worker");
    let access = v["access_token"].as_str().unwrap().to_string();
    let refresh_token = v["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("7~") && access.len() == 66, "{access}");
    assert_ne!(access, refresh_token);
    assert_eq!(s.issued_access_tokens(), vec![access.clone()]);
    assert_eq!(s.issued_refresh_tokens(), vec![refresh_token.to_string()]);

    // A code is good once.
    let (status, again, _) = token_call(&s, &form).await;
    assert_eq!(
        (status, again),
        (
            400,
            json!({"error": "invalid_grant", "error_description": "authorization_code not found"})
        )
    );

    // Inside the scopes: answered; HEAD is covered by the GET scope.
    let r = api(&s, "GET", "/api/v1/courses/1", &access).await;
    assert_eq!(r.status(), 200);
    let r = api(&s, "HEAD", "/api/v1/courses/1.json", &access).await;
    assert_eq!(r.status(), 200);
    // Outside: Canvas's 401 without WWW-Authenticate.
    for (method, path) in [
        ("GET", "/api/v1/accounts/1/courses"),
        ("PUT", "/api/v1/courses/1"),
    ] {
        let r = api(&s, method, path, &access).await;
        assert_eq!(r.status(), 401, "{method} {path}");
        assert!(r.headers().get("www-authenticate").is_none());
        assert_eq!(
            json_of(r).await,
            json!({"errors": [{"message": "Insufficient scopes on access token."}]})
        );
    }
    // The fixed token still works for everything.
    assert_eq!(
        api(&s, "GET", "/api/v1/accounts/1/courses", TOKEN)
            .await
            .status(),
        200
    );
    let stats = s.oauth_stats();
    assert_eq!(
        (stats.authorizations, stats.code_exchanges, stats.refused),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn access_tokens_expire_by_the_clock_and_the_refresh_token_renews_them() {
    let s = canvas(key()).await;
    let v = login(&s, &[COURSE]).await;
    let first = v["access_token"].as_str().unwrap().to_string();
    let refresh_token = v["refresh_token"].as_str().unwrap().to_string();

    s.advance_clock(Duration::from_secs(3599));
    assert_eq!(
        api(&s, "GET", "/api/v1/courses/1", &first).await.status(),
        200
    );
    s.advance_clock(Duration::from_secs(2));
    let r = api(&s, "GET", "/api/v1/courses/1", &first).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"canvas-lms\""
    );
    assert_eq!(
        json_of(r).await,
        json!({"errors": [{"message": "Invalid access token."}]})
    );

    let (status, v) = refresh(&s, &refresh_token).await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v.get("refresh_token").is_none(),
        "no new refresh token: {v}"
    );
    assert_eq!(v["expires_in"], 3600);
    let second = v["access_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert_eq!(
        api(&s, "GET", "/api/v1/courses/1", &second).await.status(),
        200
    );

    // Renewing again replaces the access token: the one before stops working.
    let (_, v) = refresh(&s, &refresh_token).await;
    let third = v["access_token"].as_str().unwrap();
    assert_eq!(
        api(&s, "GET", "/api/v1/courses/1", &second).await.status(),
        401
    );
    assert_eq!(
        api(&s, "GET", "/api/v1/courses/1", third).await.status(),
        200
    );
    assert_eq!(s.oauth_stats().refreshes, 2);
    assert_eq!(s.issued_access_tokens().len(), 3);

    // A shorter lifetime, for tests of renewal before expiry.
    s.set_token_lifetime(Duration::from_secs(90));
    let (_, v) = refresh(&s, &refresh_token).await;
    assert_eq!(v["expires_in"], 90);
}

#[tokio::test]
async fn revoked_and_unknown_refresh_tokens_are_not_found() {
    let s = canvas(key()).await;
    let v = login(&s, &[COURSE]).await;
    let access = v["access_token"].as_str().unwrap().to_string();
    let refresh_token = v["refresh_token"].as_str().unwrap().to_string();
    let not_found =
        json!({"error": "invalid_grant", "error_description": "refresh_token not found"});

    assert_eq!(refresh(&s, "7~nonsense").await, (400, not_found.clone()));
    assert_eq!(s.revoke_key_tokens(CLIENT_ID), 1);
    assert_eq!(refresh(&s, &refresh_token).await, (400, not_found.clone()));
    assert_eq!(
        api(&s, "GET", "/api/v1/courses/1", &access).await.status(),
        401
    );

    // DELETE /login/oauth2/token with the access token forgets the grant.
    let v = login(&s, &[COURSE]).await;
    let access = v["access_token"].as_str().unwrap().to_string();
    let refresh_token = v["refresh_token"].as_str().unwrap().to_string();
    let r = api(&s, "DELETE", "/login/oauth2/token", &access).await;
    assert_eq!(r.status(), 200);
    assert_eq!(refresh(&s, &refresh_token).await, (400, not_found));
    let r = api(&s, "DELETE", "/login/oauth2/token", TOKEN).await;
    assert_eq!(r.status(), 400);
    assert_eq!(s.oauth_stats().revocations, 2);
}

/// A form, and the status, error and description Canvas answers it with.
type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, &'a str);

#[tokio::test]
async fn the_token_endpoint_refuses_with_canvas_words() {
    let s = canvas(key()).await;
    let v = login(&s, &[COURSE]).await;
    let refresh_token = v["refresh_token"].as_str().unwrap().to_string();
    let cases: [Case; 5] = [
        (
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "999"),
                ("client_secret", SECRET),
                ("refresh_token", &refresh_token),
            ],
            401,
            "invalid_client",
            "unknown client",
        ),
        (
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("client_secret", "wrong"),
                ("refresh_token", &refresh_token),
            ],
            401,
            "invalid_client",
            "invalid client",
        ),
        (
            &[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
            ],
            400,
            "invalid_request",
            "You must provide the refresh_token parameter when using the refresh_token grant type",
        ),
        (
            &[("grant_type", "password")],
            400,
            "unsupported_grant_type",
            "The grant_type you requested is not currently supported",
        ),
        (
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
            ],
            400,
            "invalid_request",
            "You must provide the code parameter when using the authorization_code grant type",
        ),
    ];
    for (form, status, error, description) in cases {
        let (got, v, headers) = token_call(&s, form).await;
        assert_eq!(
            (got, v),
            (
                status,
                json!({"error": error, "error_description": description})
            ),
            "{form:?}"
        );
        assert_eq!(
            headers.get("www-authenticate").is_some(),
            status == 401,
            "{form:?}"
        );
    }

    // The code's redirect_uri must be given again, the same.
    let to = authorize(&s, REDIRECT, &[COURSE]).await;
    let code = param(&to, "code").unwrap();
    let (status, v, _) = token_call(
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("redirect_uri", "http://127.0.0.1:9999/other"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn the_authorize_step_checks_the_key_the_redirect_and_the_scopes() {
    let s = canvas(key()).await;
    let http = client();
    let get = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap() }
    };

    // Unknown client and foreign redirect: JSON errors, no redirect.
    let mut url = url::Url::parse(&authorize_url(&s, REDIRECT, &[COURSE], &[])).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "client_id" {
                "1".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let r = get(url.into()).await;
    assert_eq!(r.status(), 401);
    assert_eq!(json_of(r).await["error_description"], "unknown client");
    let r = get(authorize_url(&s, "https://evil.example/cb", &[COURSE], &[])).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        json_of(r).await["error_description"],
        "redirect_uri does not match client settings"
    );

    // A scope the key lacks: Canvas's invalid_scope on the redirect.
    let extra = "url:GET|/api/v1/users/:id";
    let to = authorize(&s, REDIRECT, &[COURSE, extra]).await;
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_scope"));
    assert!(param(&to, "error_description")
        .unwrap()
        .ends_with("requested, but not granted: url:GET|/api/v1/users/:id"));
    assert_eq!(param(&to, "code"), None);
    // A scoped key and no scope at all: invalid_scope too.
    let to = authorize(&s, REDIRECT, &[]).await;
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_scope"));

    // Another response type.
    let r = get(authorize_url(
        &s,
        REDIRECT,
        &[COURSE],
        &[("response_type", "token")],
    ))
    .await;
    let to = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        param(&to, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(param(&to, "state").as_deref(), Some("st4te"));

    // Out of band: Canvas's own page, with the code in its address.
    let to = authorize(&s, OOB_REDIRECT_URI, &[COURSE]).await;
    assert_eq!(to.path(), "/login/oauth2/auth");
    let code = param(&to, "code").unwrap();
    let page = get(to.to_string()).await.text().await.unwrap();
    assert!(page.contains(&code), "{page}");

    // Past Canvas's header limit.
    let many: Vec<String> = (0..400)
        .map(|i| format!("url:GET|/api/v1/courses/:course_id/things_{i}"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let r = get(authorize_url(&s, REDIRECT, &many, &[])).await;
    assert_eq!(r.status(), 414);
}

#[tokio::test]
async fn a_scoped_key_drops_include_parameters_unless_allowed() {
    let s = canvas(key()).await;
    let access = login(&s, &[COURSE]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let path = "/api/v1/courses/1?include[]=term&include%5B%5D=total_students";
    let v = json_of(api(&s, "GET", path, &access).await).await;
    assert!(
        v.get("term").is_none() && v.get("total_students").is_none(),
        "{v}"
    );
    let v = json_of(api(&s, "GET", path, TOKEN).await).await;
    assert!(
        v.get("term").is_some() && v.get("total_students").is_some(),
        "{v}"
    );

    s.add_developer_key(key().with_includes());
    let access = login(&s, &[COURSE]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let v = json_of(api(&s, "GET", path, &access).await).await;
    assert!(v.get("term").is_some(), "{v}");

    assert_eq!(
        oauth::strip_includes("a=1&include[]=x&includes%5B%5D=y&include=z&b=2"),
        "a=1&b=2"
    );
}

#[tokio::test]
async fn an_unscoped_key_gives_tokens_that_can_do_everything() {
    let mut unscoped = key();
    unscoped.require_scopes = false;
    unscoped.scopes.clear();
    let s = canvas(unscoped).await;
    let access = login(&s, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api(
        &s,
        "GET",
        "/api/v1/accounts/1/courses?include[]=term",
        &access,
    )
    .await;
    assert_eq!(r.status(), 200);
    let v = json_of(r).await;
    assert!(v[0].get("term").is_some(), "{v}");
}
