//! {{name}}: a job that does nothing yet. Canvas requests go through
//! `warden_sdk::canvas`; each needs a scope in job.toml.

fn main() -> warden_sdk::Result<()> {
    let name = warden_sdk::job_name().unwrap_or_default();
    println!("hello from {name}");
    Ok(())
}

#[cfg(test)]
mod tests;
