//! {{name}}: sets the default view of the course COURSE_ID to DEFAULT_VIEW,
//! unless it already is. In a dry run the change is checked and recorded,
//! not sent, and the job says what it would do.

use warden_sdk::canvas::courses::{self, CourseUpdate};
use warden_sdk::CourseId;

fn main() -> warden_sdk::Result<()> {
    let course: CourseId = warden_sdk::env("COURSE_ID")?.parse()?;
    let view = warden_sdk::env("DEFAULT_VIEW")?;
    let current = courses::get(course.clone()).send()?;
    if current.default_view.as_deref() == Some(view.as_str()) {
        println!("course {}: already {view}", current.id);
        return Ok(());
    }
    courses::update(course, &CourseUpdate::new().default_view(&view)).send()?;
    let done = if warden_sdk::is_dry_run() { "would set" } else { "set" };
    println!("course {}: {done} the default view to {view}", current.id);
    Ok(())
}

#[cfg(test)]
mod tests;
