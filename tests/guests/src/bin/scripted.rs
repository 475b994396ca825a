//! Sends the requests listed in the SCRIPT environment variable (a JSON
//! array) through the raw `warden:canvas/api` import, exactly as given, and
//! prints one JSON line per result. Lets tests send any request, malicious
//! ones included, without a guest per case.

use serde::{Deserialize, Serialize};
use warden_sdk::raw::warden::canvas::api::{self, Error, HttpRequest, Method};

#[derive(Deserialize)]
struct Step {
    method: String,
    path: String,
    #[serde(default)]
    query: Vec<(String, String)>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Ok {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    Err {
        kind: &'static str,
        message: String,
    },
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => panic!("unknown method {other}"),
    }
}

fn main() {
    let script = std::env::var("SCRIPT").expect("SCRIPT is set");
    // BODY_ONLY: print a success as its status and body alone (no headers,
    // whose values change from run to run).
    let body_only = std::env::var_os("BODY_ONLY").is_some();
    let steps: Vec<Step> = serde_json::from_str(&script).expect("SCRIPT is a JSON array");
    for step in steps {
        let result = api::request(&HttpRequest {
            method: method(&step.method),
            path: step.path,
            query: step.query,
            headers: step.headers,
            body: step.body.map(String::into_bytes),
        });
        let outcome = match result {
            Ok(r) => Outcome::Ok {
                status: r.status,
                headers: if body_only { Vec::new() } else { r.headers },
                body: String::from_utf8_lossy(&r.body).into_owned(),
            },
            Err(e) => {
                let (kind, message) = match e {
                    Error::Denied(m) => ("denied", m),
                    Error::Invalid(m) => ("invalid", m),
                    Error::Throttled(m) => ("throttled", m),
                    Error::BudgetExhausted(m) => ("budget_exhausted", m),
                    Error::Unavailable(m) => ("unavailable", m),
                    Error::InsufficientScope(m) => ("insufficient_scope", m),
                };
                Outcome::Err { kind, message }
            }
        };
        println!("{}", serde_json::to_string(&outcome).expect("serializable"));
    }
}
