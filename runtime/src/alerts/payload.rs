//! The JSON body of an alert. Pure: serde_json does all the escaping.
//!
//! ```json
//! {
//!   "warden": "alert",
//!   "kind": "failure",
//!   "job": "sync-courses",
//!   "run_id": "20250301T060000Z-3f2a1b",
//!   "status": "failed",
//!   "trigger": "schedule",
//!   "error": "the job exited with code 1; job: cannot parse term",
//!   "started_at": "2025-03-01T06:00:00.012Z",
//!   "ended_at": "2025-03-01T06:00:04.250Z",
//!   "duration_seconds": 4.238,
//!   "url": "https://warden.school.edu/runs/20250301T060000Z-3f2a1b",
//!   "text": "Warden: job sync-courses run 20250301T060000Z-3f2a1b failed: the job exited with code 1; job: cannot parse term https://warden.school.edu/runs/20250301T060000Z-3f2a1b"
//! }
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use url::Url;

use super::decide::AlertKind;
use super::settings::Format;
use super::Alert;
use crate::run::RunStatus;
use crate::token::REDACTED;

/// Longest `error` sent, in characters.
pub const MAX_ERROR_CHARS: usize = 2000;
/// Longest error quoted in the one-line `text`, in characters.
pub const MAX_TEXT_ERROR_CHARS: usize = 300;

#[derive(Serialize)]
struct Generic<'a> {
    warden: &'static str,
    kind: &'static str,
    job: &'a str,
    run_id: &'a str,
    status: &'static str,
    trigger: &'static str,
    error: Option<&'a str>,
    started_at: String,
    ended_at: String,
    duration_seconds: f64,
    url: Option<&'a str>,
    text: String,
}

/// The body posted for `alert` in `format`. Every occurrence of each of
/// `secrets` is replaced with `[REDACTED]` before anything is cut.
pub fn body(
    alert: &Alert,
    format: Format,
    public_url: Option<&Url>,
    secrets: &[String],
) -> Vec<u8> {
    let ended = &alert.ended;
    let job = scrub(&ended.job, secrets);
    let run_id = scrub(&ended.run_id, secrets);
    let error = ended
        .error
        .as_deref()
        .map(|e| cap(&scrub(e, secrets), MAX_ERROR_CHARS));
    let link = public_url.map(|base| run_url(base, &run_id).to_string());
    let summary = summary(alert.kind, &job, &run_id, ended.status, error.as_deref());
    let generic = Generic {
        warden: "alert",
        kind: alert.kind.as_str(),
        job: &job,
        run_id: &run_id,
        status: ended.status.as_str(),
        trigger: ended.trigger.as_str(),
        error: error.as_deref(),
        started_at: timestamp(ended.started_at),
        ended_at: timestamp(ended.ended_at),
        duration_seconds: (ended.ended_at - ended.started_at)
            .num_milliseconds()
            .max(0) as f64
            / 1000.0,
        url: link.as_deref(),
        text: slack_escape(&match &link {
            Some(link) => format!("{summary} {link}"),
            None => summary.clone(),
        }),
    };
    let value = match format {
        Format::Generic => serde_json::to_value(&generic),
        Format::Teams => serde_json::to_value(&generic).map(|mut v| {
            let card = adaptive_card(alert.kind, &generic, &summary);
            if let Value::Object(map) = &mut v {
                map.insert("type".into(), "message".into());
                map.insert(
                    "attachments".into(),
                    json!([{
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "contentUrl": null,
                        "content": card,
                    }]),
                );
            }
            v
        }),
    };
    // Serializing strings and numbers into a Value cannot fail.
    serde_json::to_vec(&value.unwrap_or(Value::Null)).unwrap_or_default()
}

/// The run's page on the dashboard: `<public_url>/runs/<run id>`, under
/// whatever path `public_url` has.
pub fn run_url(public_url: &Url, run_id: &str) -> Url {
    let mut url = public_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push("runs").push(run_id);
    }
    url
}

/// One line for people: what happened to which run, and why.
fn summary(
    kind: AlertKind,
    job: &str,
    run_id: &str,
    status: RunStatus,
    error: Option<&str>,
) -> String {
    match kind {
        AlertKind::Recovery => format!("Warden: job {job} recovered: run {run_id} {status}"),
        AlertKind::Failure => {
            let what = match status {
                RunStatus::TimedOut => "timed out",
                RunStatus::KilledForMemory => "was killed for using too much memory",
                RunStatus::Interrupted => "was interrupted (Warden stopped while it ran)",
                _ => "failed",
            };
            match error.map(one_line).filter(|e| !e.is_empty()) {
                Some(error) => format!(
                    "Warden: job {job} run {run_id} {what}: {}",
                    cap(&error, MAX_TEXT_ERROR_CHARS)
                ),
                None => format!("Warden: job {job} run {run_id} {what}"),
            }
        }
    }
}

/// A Microsoft Teams Adaptive Card with the summary, the facts, the error
/// and a button to the run page.
fn adaptive_card(kind: AlertKind, alert: &Generic<'_>, summary: &str) -> Value {
    let mut body = vec![
        json!({
            "type": "TextBlock",
            "text": summary,
            "wrap": true,
            "weight": "Bolder",
            "color": if kind == AlertKind::Failure { "Attention" } else { "Good" },
        }),
        json!({
            "type": "FactSet",
            "facts": [
                {"title": "Job", "value": alert.job},
                {"title": "Run", "value": alert.run_id},
                {"title": "Status", "value": alert.status},
                {"title": "Trigger", "value": alert.trigger},
                {"title": "Started", "value": alert.started_at},
                {"title": "Ended", "value": alert.ended_at},
            ],
        }),
    ];
    if let Some(error) = alert.error {
        body.push(
            json!({"type": "TextBlock", "text": error, "wrap": true, "fontType": "Monospace"}),
        );
    }
    let mut card = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = alert.url {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": "Open the run", "url": url}]);
    }
    card
}

/// RFC 3339 in UTC with milliseconds: `2025-03-01T06:00:00.012Z`.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `text` with every occurrence of each non-empty secret replaced.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), REDACTED);
        }
    }
    text
}

/// At most `max` characters of `text`, cut on a character boundary, with
/// `…` in place of what was cut.
pub fn cap(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if text[at..].chars().nth(1).is_some() => format!("{}…", &text[..at]),
        _ => text.to_string(),
    }
}

/// Control characters (line breaks, tabs) as spaces.
fn one_line(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Slack reads `<…>` in `text` as a link or a mention (`<!channel>`
/// notifies everyone), so `&`, `<` and `>` are written as the entities
/// Slack asks for; Markdown renderers (Teams, Mattermost) show them as the
/// characters. Only `text` is escaped; `error` is the exact text.
fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::RunEnded;
    use crate::history::Trigger;
    use chrono::TimeZone;

    fn alert(kind: AlertKind, status: RunStatus, error: Option<&str>) -> Alert {
        let started_at = Utc.with_ymd_and_hms(2025, 3, 1, 6, 0, 0).unwrap();
        Alert {
            kind,
            ended: RunEnded {
                job: "sync-courses".into(),
                run_id: "20250301T060000Z-3f2a1b".into(),
                status,
                trigger: Trigger::Schedule,
                error: error.map(str::to_string),
                started_at,
                ended_at: started_at + chrono::Duration::milliseconds(4250),
            },
        }
    }

    fn json(alert: &Alert, format: Format, public_url: Option<&str>, secrets: &[&str]) -> Value {
        let public_url = public_url.map(|u| Url::parse(u).unwrap());
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        serde_json::from_slice(&body(alert, format, public_url.as_ref(), &secrets)).unwrap()
    }

    #[test]
    fn a_failure_alert_has_every_field() {
        let a = alert(
            AlertKind::Failure,
            RunStatus::Failed,
            Some("the job exited with code 1; job: cannot parse term"),
        );
        assert_eq!(
            json(&a, Format::Generic, Some("https://warden.school.edu"), &[]),
            json!({
                "warden": "alert",
                "kind": "failure",
                "job": "sync-courses",
                "run_id": "20250301T060000Z-3f2a1b",
                "status": "failed",
                "trigger": "schedule",
                "error": "the job exited with code 1; job: cannot parse term",
                "started_at": "2025-03-01T06:00:00.000Z",
                "ended_at": "2025-03-01T06:00:04.250Z",
                "duration_seconds": 4.25,
                "url": "https://warden.school.edu/runs/20250301T060000Z-3f2a1b",
                "text": "Warden: job sync-courses run 20250301T060000Z-3f2a1b failed: the job exited with code 1; job: cannot parse term https://warden.school.edu/runs/20250301T060000Z-3f2a1b",
            })
        );
    }

    #[test]
    fn without_a_public_url_there_is_no_link() {
        let a = alert(AlertKind::Failure, RunStatus::TimedOut, None);
        let v = json(&a, Format::Generic, None, &[]);
        assert_eq!(v["url"], Value::Null);
        assert_eq!(v["error"], Value::Null);
        assert_eq!(
            v["text"],
            "Warden: job sync-courses run 20250301T060000Z-3f2a1b timed out"
        );
        let a = alert(AlertKind::Recovery, RunStatus::Succeeded, None);
        let v = json(&a, Format::Generic, None, &[]);
        assert_eq!(v["kind"], "recovery");
        assert_eq!(v["status"], "succeeded");
        assert_eq!(
            v["text"],
            "Warden: job sync-courses recovered: run 20250301T060000Z-3f2a1b succeeded"
        );
    }

    #[test]
    fn the_run_link_keeps_the_public_urls_path() {
        let u = |base: &str| run_url(&Url::parse(base).unwrap(), "r-1").to_string();
        assert_eq!(
            u("https://ops.example/warden/"),
            "https://ops.example/warden/runs/r-1"
        );
        assert_eq!(
            u("https://ops.example/warden"),
            "https://ops.example/warden/runs/r-1"
        );
        assert_eq!(u("http://127.0.0.1:8080"), "http://127.0.0.1:8080/runs/r-1");
        assert_eq!(
            u("https://ops.example/?x=1#y"),
            "https://ops.example/runs/r-1"
        );
    }

    #[test]
    fn the_error_is_capped_on_a_character_boundary() {
        assert_eq!(cap("abc", 3), "abc");
        assert_eq!(cap("abcd", 3), "ab…");
        assert_eq!(cap("ééééé", 4), "ééé…");
        assert_eq!(cap("", 3), "");
        let long = "é".repeat(5000);
        let a = alert(AlertKind::Failure, RunStatus::Failed, Some(&long));
        let v = json(&a, Format::Generic, None, &[]);
        let error = v["error"].as_str().unwrap();
        assert_eq!(error.chars().count(), MAX_ERROR_CHARS);
        assert!(error.ends_with('…'));
        let text = v["text"].as_str().unwrap();
        assert!(text.chars().count() < MAX_TEXT_ERROR_CHARS + 100, "{text}");
    }

    #[test]
    fn secrets_are_redacted_before_the_cut() {
        let secret = "tok-SECRET-12345";
        let error = format!(
            "{}{secret} and again {secret}",
            "x".repeat(MAX_ERROR_CHARS - 8)
        );
        let a = alert(AlertKind::Failure, RunStatus::Failed, Some(&error));
        let body = String::from_utf8(body(
            &a,
            Format::Teams,
            None,
            &[secret.into(), String::new()],
        ))
        .unwrap();
        assert!(!body.contains("tok-SECRET"), "{body}");
        assert!(
            !body.contains("tok-S"),
            "a cut secret leaks its start: {body}"
        );
        let short = alert(
            AlertKind::Failure,
            RunStatus::Failed,
            Some(&format!("got {secret}")),
        );
        let v = json(&short, Format::Generic, None, &[secret]);
        assert_eq!(v["error"], "got [REDACTED]");
    }

    #[test]
    fn hostile_text_is_escaped_by_serde_and_for_slack() {
        let error = "line one\n\"quoted\" <!channel> <script>alert(1)</script> & \\ \u{7}";
        let a = alert(AlertKind::Failure, RunStatus::KilledForMemory, Some(error));
        let v = json(&a, Format::Generic, None, &[]);
        assert_eq!(v["error"], error, "the exact text in the JSON field");
        let text = v["text"].as_str().unwrap();
        assert_eq!(
            text,
            "Warden: job sync-courses run 20250301T060000Z-3f2a1b was killed for using too much memory: line one \"quoted\" &lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\  "
        );
    }

    #[test]
    fn the_teams_format_adds_an_adaptive_card() {
        let a = alert(
            AlertKind::Failure,
            RunStatus::Interrupted,
            Some("Warden stopped"),
        );
        let v = json(&a, Format::Teams, Some("https://w.example/"), &[]);
        assert_eq!(v["type"], "message");
        assert_eq!(v["job"], "sync-courses", "the generic fields stay");
        let attachment = &v["attachments"][0];
        assert_eq!(
            attachment["contentType"],
            "application/vnd.microsoft.card.adaptive"
        );
        let card = &attachment["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(
            card["body"][0]["text"],
            "Warden: job sync-courses run 20250301T060000Z-3f2a1b was interrupted (Warden stopped while it ran): Warden stopped"
        );
        assert_eq!(card["body"][1]["facts"][2]["value"], "interrupted");
        assert_eq!(card["body"][2]["text"], "Warden stopped");
        assert_eq!(
            card["actions"][0]["url"],
            "https://w.example/runs/20250301T060000Z-3f2a1b"
        );
        assert!(json(&a, Format::Generic, None, &[])
            .get("attachments")
            .is_none());
    }
}
