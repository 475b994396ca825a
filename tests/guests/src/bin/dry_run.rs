//! Shows what a job sees of a dry run through warden_sdk: `is_dry_run()`,
//! the answer to a PUT of COURSE_PATH (status, `Response::is_dry_run()`,
//! body) and to a GET of it.

use warden_sdk::canvas;

fn main() -> Result<(), warden_sdk::Error> {
    println!("is_dry_run {}", warden_sdk::is_dry_run());
    let path = warden_sdk::env("COURSE_PATH")?;
    let put = canvas::put(&path)
        .json(&serde_json::json!({"course": {"name": "Renamed by a dry run"}}))?
        .send()?;
    println!(
        "put {} dry {} body {}",
        put.status(),
        put.is_dry_run(),
        put.text()
    );
    let get = canvas::get(&path).send()?;
    let course: serde_json::Value = get.json()?;
    println!(
        "get {} dry {} name {}",
        get.status(),
        get.is_dry_run(),
        course["name"]
    );
    Ok(())
}
