//! Lists every course of ACCOUNT_ID with warden_sdk's paginate and prints how
//! many it saw, how many distinct ids, and the number of pages fetched.

use serde::Deserialize;
use warden_sdk::canvas;

#[derive(Deserialize)]
struct Course {
    id: u64,
}

fn main() -> Result<(), warden_sdk::Error> {
    let account = warden_sdk::env("ACCOUNT_ID")?;
    let per_page: u32 = warden_sdk::env("PER_PAGE")?
        .parse()
        .expect("PER_PAGE is a number");
    let mut ids = Vec::new();
    for course in
        canvas::paginate::<Course>(format!("/api/v1/accounts/{account}/courses")).per_page(per_page)
    {
        ids.push(course?.id);
    }
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    println!("courses {total} distinct {}", ids.len());
    Ok(())
}
