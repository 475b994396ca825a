//! The request body: no body on GET or HEAD, and no forbidden parameter in
//! it, whether it is read as JSON, as a form or as multipart.

use super::params::{check_form_keys, forbidden_key, Forbidden};
use super::{invalid, show, show_bytes, Refusal};
use crate::scope::Method;
use memchr::memmem;

/// Checks the body, fail-closed whatever the content-type says: keys of a
/// JSON object, keys of the body read as a form, and part names of a
/// multipart body.
pub(super) fn check_body(
    method: Method,
    headers: &[(String, String)],
    body: Option<&[u8]>,
    masquerade: bool,
) -> Result<(), Refusal> {
    let Some(body) = body else {
        return Ok(());
    };
    if matches!(method, Method::Get | Method::Head) {
        return Err(invalid(format!(
            "a {method} request cannot carry a body; send its parameters in the query"
        )));
    }
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.to_ascii_lowercase())
        .unwrap_or_default();

    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => {
            for key in map.keys() {
                if let Some(f) = forbidden_key(key.as_bytes(), masquerade) {
                    return Err(f.refusal("the JSON body", &show(key)));
                }
            }
        }
        Ok(_) => {}
        Err(e) if content_type.contains("json") => {
            return Err(invalid(format!(
                "the body is declared as JSON (content-type {}) but is not valid JSON: {e}",
                show(&content_type)
            )));
        }
        Err(_) => {}
    }

    check_form_keys(body, "the body (read as a form)", masquerade)?;

    if content_type.contains("multipart/") {
        check_multipart_names(body, masquerade)?;
    }
    Ok(())
}

/// Refuses a multipart body with a part whose name starts with a forbidden
/// parameter: every `name="…"`, `name=…` or `name*=…` is looked at,
/// ASCII-case-insensitively, wherever it appears (this also catches
/// `filename=`, which is fine: fail closed).
fn check_multipart_names(body: &[u8], masquerade: bool) -> Result<(), Refusal> {
    let lower = body.to_ascii_lowercase();
    let mut from = 0;
    while let Some(offset) = memmem::find(&lower[from..], b"name") {
        let mut i = from + offset + b"name".len();
        from = i;
        let skip = |i: &mut usize, what: &[u8]| {
            while lower.get(*i).is_some_and(|b| what.contains(b)) {
                *i += 1;
            }
        };
        skip(&mut i, b"*");
        skip(&mut i, b" \t");
        if lower.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        skip(&mut i, b" \t\"");
        let value_end = lower[i..]
            .iter()
            .position(|b| matches!(b, b'"' | b';' | b'\r' | b'\n'))
            .map_or(lower.len(), |n| i + n);
        let mut value = &lower[i..value_end];
        // RFC 5987 `name*=utf-8''value`.
        if let Some(quotes) = memmem::find(value, b"''") {
            value = &value[quotes + 2..];
        }
        let start = value
            .iter()
            .position(|b| !matches!(b, b'[' | b']') && !b.is_ascii_whitespace())
            .unwrap_or(value.len());
        let value = &value[start..];
        let hit = Forbidden::ALL
            .into_iter()
            .find(|f| f.applies(masquerade) && value.starts_with(f.name().as_bytes()));
        if let Some(f) = hit {
            return Err(f.refusal("the multipart body", &show_bytes(value)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::request::test_support::*;
    use crate::scope::Method;

    #[test]
    fn forbidden_keys_in_a_json_body() {
        for (body, name) in [
            (&br#"{"as_user_id": 5}"#[..], "as_user_id"),
            (br#"{"title": "x", "AS_USER_ID": 5}"#, "as_user_id"),
            (br#"{"as_user_id[x]": 5}"#, "as_user_id"),
            (br#"{"\u0061s_user_id": 5}"#, "as_user_id"),
            (br#"{"access_token": "t"}"#, "access_token"),
            (br#"{"_method": "DELETE"}"#, "_method"),
        ] {
            for content_type in [Some("application/json"), Some("text/plain"), None] {
                assert_invalid(
                    run(post(TOPICS, content_type, body)),
                    "the JSON body has parameter",
                );
                assert_invalid(run(post(TOPICS, content_type, body)), &format!("({name})"));
            }
        }
        // Nested keys are not parameters of their own.
        approved(run(post(
            TOPICS,
            Some("application/json"),
            br#"{"topic": {"as_user_id": 5}}"#,
        )));
        // A body declared as JSON must be JSON (Ruby's parser accepts
        // comments that serde_json does not).
        assert_invalid(
            run(post(
                TOPICS,
                Some("application/json"),
                br#"{"a": 1, /* c */ "as_user_id": 5}"#,
            )),
            "is not valid JSON",
        );
        assert_invalid(
            run(post(TOPICS, Some("application/vnd.api+json"), b"{")),
            "is not valid JSON",
        );
    }

    #[test]
    fn forbidden_keys_in_a_form_body() {
        for (body, name) in [
            (&b"title=x&as_user_id=5"[..], "as_user_id"),
            (b"_method=DELETE", "_method"),
            (b"%61ccess_token=t", "access_token"),
            (b"title=x;access_token=t", "access_token"),
            (b"as_user_id[]=1", "as_user_id"),
            (b"title=\xff\xfe&as_user_id=5", "as_user_id"),
        ] {
            for content_type in [
                Some("application/x-www-form-urlencoded"),
                None,
                Some("text/plain"),
            ] {
                assert_invalid(
                    run(post(TOPICS, content_type, body)),
                    "the body (read as a form) has parameter",
                );
                assert_invalid(run(post(TOPICS, content_type, body)), &format!("({name})"));
            }
        }
        approved(run(post(TOPICS, None, b"title=as_user_id&message=_method")));
    }

    #[test]
    fn forbidden_names_in_a_multipart_body() {
        let ct = Some("multipart/form-data; boundary=XyZ");
        let part = |disposition: &str| {
            format!("--XyZ\r\nContent-Disposition: {disposition}\r\n\r\nvalue\r\n--XyZ--\r\n")
                .into_bytes()
        };
        for (disposition, name) in [
            ("form-data; name=\"access_token\"", "access_token"),
            ("form-data; NAME=\"Access_Token\"", "access_token"),
            ("form-data; name=\"_method\"", "_method"),
            ("form-data; name=\"as_user_id\"", "as_user_id"),
            ("form-data; name=as_user_id", "as_user_id"),
            ("form-data; name = \"as_user_id\"", "as_user_id"),
            ("form-data; name=\"[as_user_id]\"", "as_user_id"),
            ("form-data; name=\"as_user_idx\"", "as_user_id"),
            ("form-data; name*=utf-8''as_user_id", "as_user_id"),
        ] {
            assert_invalid(
                run(post(TOPICS, ct, &part(disposition))),
                "the multipart body has parameter",
            );
            assert_invalid(
                run(post(TOPICS, ct, &part(disposition))),
                &format!("({name})"),
            );
        }
        approved(run(post(TOPICS, ct, &part("form-data; name=\"title\""))));
        approved(run(post(
            TOPICS,
            ct,
            &part("form-data; name=\"attachment\"; filename=\"a.txt\""),
        )));
        // Without a multipart content-type the body is not read as multipart.
        approved(run(post(
            TOPICS,
            Some("text/plain"),
            &part("form-data; name=\"as_user_id\""),
        )));
    }

    #[test]
    fn body_on_get_or_head_is_refused() {
        for method in [Method::Get, Method::Head] {
            let mut req = request(method, "/api/v1/courses/1");
            req.body = Some(b"x".to_vec());
            assert_invalid(run(req), "cannot carry a body");
            let mut req = request(method, "/api/v1/courses/1");
            req.body = Some(Vec::new());
            assert_invalid(run(req), "cannot carry a body");
        }
        for method in [Method::Put, Method::Patch, Method::Delete] {
            let mut req = request(method, "/api/v1/courses/1");
            req.body = Some(b"course[name]=x".to_vec());
            approved(run(req));
        }
    }
}
