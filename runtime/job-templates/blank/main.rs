//! {{name}}: a job that does nothing yet. Canvas requests go through
//! `warden_sdk::canvas`; each needs a scope in job.toml.

fn main() -> warden_sdk::Result<()> {
    println!("hello from {}", warden_sdk::job_name());
    Ok(())
}
