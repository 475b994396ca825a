//! {{name}}: prints the courses of one Canvas account, a line each, and how
//! many there are. Its one scope, in job.toml, lists an account's courses.

use warden_sdk::{canvas::courses, AccountId};

fn main() -> warden_sdk::Result<()> {
    let account: AccountId = warden_sdk::env("ACCOUNT_ID")?.parse()?;
    let mut count = 0;
    for course in courses::list(account).per_page(100) {
        let course = course?;
        let state = course.workflow_state.unwrap_or_default();
        println!("{}\t{state}\t{}", course.id, course.name.unwrap_or_default());
        count += 1;
    }
    println!("{count} courses");
    Ok(())
}

#[cfg(test)]
mod tests;
