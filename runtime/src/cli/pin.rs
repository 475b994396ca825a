//! `warden pin <job.toml>`: writes the SHA-256 of the job's component into
//! `[job] sha256`, keeping the rest of the file (comments, order) as it is.
//! From then on the manifest's scopes are granted to that build only.

use super::out::outln;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use warden::cache::sha256_hex;
use warden::manifest::Manifest;

pub fn pin(manifest_path: &Path) -> Result<ExitCode> {
    // The manifest must be valid as it is, pin aside.
    let manifest = Manifest::load(manifest_path)?;
    let wasm = std::fs::read(&manifest.component).with_context(|| {
        manifest
            .component_error(format!(
                "cannot read component {}",
                manifest.component.display()
            ))
            .to_string()
    })?;
    let sha256 = sha256_hex(&wasm);
    if manifest.sha256.as_deref() == Some(sha256.as_str()) {
        outln!("{}: already pinned to {sha256}", manifest_path.display());
        return Ok(ExitCode::SUCCESS);
    }

    let text = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let updated = with_pin(&text, &sha256)
        .with_context(|| format!("cannot edit {}", manifest_path.display()))?;
    // Check what is about to be written before it replaces the file.
    Manifest::parse(manifest_path, &updated)?;
    let tmp = manifest_path.with_extension("toml.pin-tmp");
    std::fs::write(&tmp, &updated).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, manifest_path)
        .with_context(|| format!("cannot replace {}", manifest_path.display()))?;
    match &manifest.sha256 {
        Some(old) => outln!(
            "{}: pin moved from {old} to {sha256} ({})",
            manifest_path.display(),
            manifest.component.display()
        ),
        None => outln!(
            "{}: pinned to {sha256} ({})",
            manifest_path.display(),
            manifest.component.display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The manifest text with `[job] sha256` set, formatting kept.
fn with_pin(text: &str, sha256: &str) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse()?;
    let Some(job) = doc.get_mut("job").and_then(|j| j.as_table_like_mut()) else {
        bail!("it has no [job] table");
    };
    job.insert("sha256", toml_edit::value(sha256));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_goes_into_job_and_nothing_else_changes() {
        let text = "# a comment that stays\nversion = 1\n\n[job]\nname = \"a\"   # trailing\ncomponent = \"a.wasm\"\n\n[canvas]\nscopes = []\n";
        let pinned = with_pin(text, &"a".repeat(64)).unwrap();
        assert_eq!(
            pinned,
            format!("# a comment that stays\nversion = 1\n\n[job]\nname = \"a\"   # trailing\ncomponent = \"a.wasm\"\nsha256 = \"{}\"\n\n[canvas]\nscopes = []\n", "a".repeat(64))
        );
        let moved = with_pin(&pinned, &"b".repeat(64)).unwrap();
        assert!(moved.contains(&format!("sha256 = \"{}\"", "b".repeat(64))));
        assert!(!moved.contains(&"a".repeat(64)));
        assert!(with_pin("version = 1\n", "x").is_err());
    }
}
