//! Warden job `unpublished-courses`: a read-only report of the unpublished
//! courses of one Canvas account.
//!
//! Env (manifest `[env]`): `ACCOUNT_ID`, the account's id (`1`, `self` or
//! `sis_account_id:...`).
//! Scope: `url:GET|/api/v1/accounts/:account_id/courses`.
//!
//! Prints a header line, one tab-separated line per course (id, course code,
//! name, term) and a count line; exits 1 with a one-line error otherwise.

use serde::Deserialize;
use warden_sdk::{canvas, Error};

#[derive(Debug, Deserialize)]
struct Course {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    course_code: Option<String>,
    #[serde(default)]
    term: Option<Term>,
}

#[derive(Debug, Deserialize)]
struct Term {
    #[serde(default)]
    name: Option<String>,
}

const HEADER: &str = "id\tcourse_code\tname\tterm";

fn main() -> Result<(), Error> {
    let account = warden_sdk::env("ACCOUNT_ID")?;
    let account = account.trim();
    if account.is_empty() {
        return Err(Error::other(
            "ACCOUNT_ID is empty: set it in the manifest's [env] table",
        ));
    }
    let path = format!(
        "/api/v1/accounts/{}/courses",
        canvas::encode_segment(account)
    );

    println!("{HEADER}");
    let mut count = 0usize;
    for course in canvas::paginate::<Course>(path)
        .query("published", "false")
        .query("include[]", "term")
        .per_page(100)
    {
        println!("{}", line(&course?));
        count += 1;
    }
    println!("{}", summary(count, account));
    Ok(())
}

/// One tab-separated report line; tabs and line breaks inside values become
/// spaces so that every course stays on one line.
fn line(course: &Course) -> String {
    let term = course.term.as_ref().and_then(|t| t.name.as_deref());
    [
        course.id.to_string(),
        clean(course.course_code.as_deref()),
        clean(course.name.as_deref()),
        clean(term),
    ]
    .join("\t")
}

fn clean(value: Option<&str>) -> String {
    value
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn summary(count: usize, account: &str) -> String {
    let noun = if count == 1 { "course" } else { "courses" };
    format!("{count} unpublished {noun} in account {account}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines() {
        let course: Course = serde_json::from_str(
            r#"{"id": 12, "name": "Intro\tto\nBiology", "course_code": "BIO-101",
                "workflow_state": "unpublished", "term": {"id": 1, "name": "Fall 2026"}}"#,
        )
        .unwrap();
        assert_eq!(line(&course), "12\tBIO-101\tIntro to Biology\tFall 2026");
        let bare: Course = serde_json::from_str(r#"{"id": 3, "name": "X", "term": null}"#).unwrap();
        assert_eq!(line(&bare), "3\t\tX\t");
        assert_eq!(HEADER.split('\t').count(), 4);
    }

    #[test]
    fn count_line() {
        assert_eq!(summary(12, "1"), "12 unpublished courses in account 1");
        assert_eq!(summary(1, "1"), "1 unpublished course in account 1");
        assert_eq!(summary(0, "self"), "0 unpublished courses in account self");
    }
}
