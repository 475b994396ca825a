//! Warden job `set-default-view`: sets the home page (`default_view`) of a
//! list of Canvas courses.
//!
//! Env (manifest `[env]`): `COURSE_IDS`, comma-separated course ids (`101`
//! or `sis_course_id:...`); `DEFAULT_VIEW`, one of feed, wiki, modules,
//! syllabus, assignments.
//! Scopes: `url:GET|/api/v1/courses/:id`, `url:PUT|/api/v1/courses/:id`.
//!
//! For each course it reads the course and, only if its `default_view`
//! differs, updates it, printing `course 101: feed -> modules` or
//! `course 101: already modules`. A course that fails (a 404, say) is
//! reported on stderr and the job goes on; it exits 1 at the end if any
//! course failed. A refusal by the host that would fail every remaining
//! course too (denied by the manifest, request budget spent) stops the run.

use serde::Deserialize;
use serde_json::json;
use warden_sdk::{canvas, Error};

/// The values Canvas accepts for a course's `default_view`.
const VIEWS: [&str; 5] = ["feed", "wiki", "modules", "syllabus", "assignments"];

#[derive(Debug, Deserialize)]
struct Course {
    #[serde(default)]
    default_view: Option<String>,
}

enum Outcome {
    Changed { from: String },
    Unchanged,
}

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("set-default-view: {e}");
            std::process::exit(1);
        }
    }
}

/// `Ok(false)` when some course failed.
fn run() -> Result<bool, Error> {
    let view = parse_view(&warden_sdk::env("DEFAULT_VIEW")?)?;
    let ids = parse_ids(&warden_sdk::env("COURSE_IDS")?)?;

    let (mut changed, mut unchanged, mut failed) = (0, 0, Vec::new());
    for (n, id) in ids.iter().enumerate() {
        match update(id, view) {
            Ok(Outcome::Changed { from }) => {
                println!("course {id}: {from} -> {view}");
                changed += 1;
            }
            Ok(Outcome::Unchanged) => {
                println!("course {id}: already {view}");
                unchanged += 1;
            }
            Err(e) => {
                eprintln!("course {id}: {e}");
                failed.push(id.as_str());
                if matches!(e, Error::Denied(_) | Error::BudgetExhausted(_)) {
                    let rest = &ids[n + 1..];
                    if !rest.is_empty() {
                        eprintln!("stopping: {} course(s) not tried", rest.len());
                        failed.extend(rest.iter().map(String::as_str));
                    }
                    break;
                }
            }
        }
    }

    println!(
        "{} courses: {changed} changed, {unchanged} already {view}, {} failed",
        ids.len(),
        failed.len()
    );
    if failed.is_empty() {
        Ok(true)
    } else {
        eprintln!(
            "set-default-view: {} of {} courses failed: {}",
            failed.len(),
            ids.len(),
            failed.join(", ")
        );
        Ok(false)
    }
}

fn update(id: &str, view: &str) -> Result<Outcome, Error> {
    let path = format!("/api/v1/courses/{}", canvas::encode_segment(id));
    let course: Course = canvas::get(&path).send()?.json()?;
    let from = course.default_view.unwrap_or_else(|| "(none)".into());
    if from == view {
        return Ok(Outcome::Unchanged);
    }
    let updated: Course = canvas::put(&path)
        .json(&json!({ "course": { "default_view": view } }))?
        .send()?
        .json()?;
    match updated.default_view {
        Some(now) if now != view => Err(Error::other(format!(
            "PUT {path}: Canvas kept default_view {now}"
        ))),
        _ => Ok(Outcome::Changed { from }),
    }
}

fn parse_view(value: &str) -> Result<&'static str, Error> {
    let value = value.trim();
    VIEWS
        .iter()
        .find(|v| v.eq_ignore_ascii_case(value))
        .copied()
        .ok_or_else(|| {
            Error::other(format!(
                "DEFAULT_VIEW {value:?} is not one of {}",
                VIEWS.join(", ")
            ))
        })
}

/// The ids of `COURSE_IDS`, trimmed, without empties and repeats.
fn parse_ids(value: &str) -> Result<Vec<String>, Error> {
    let mut ids: Vec<String> = Vec::new();
    for id in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !ids.iter().any(|seen| seen == id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err(Error::other(
            "COURSE_IDS lists no course: set it to comma-separated ids, e.g. \"3,4,5\"",
        ));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views() {
        assert_eq!(parse_view("modules").unwrap(), "modules");
        assert_eq!(parse_view(" Wiki ").unwrap(), "wiki");
        let e = parse_view("home").unwrap_err();
        assert_eq!(
            e.to_string(),
            "DEFAULT_VIEW \"home\" is not one of feed, wiki, modules, syllabus, assignments"
        );
    }

    #[test]
    fn ids() {
        assert_eq!(parse_ids("3,4,5").unwrap(), ["3", "4", "5"]);
        assert_eq!(
            parse_ids(" 3 , ,4,3,sis_course_id:A1,").unwrap(),
            ["3", "4", "sis_course_id:A1"]
        );
        assert!(parse_ids(" , ").is_err());
    }
}
