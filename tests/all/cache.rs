//! The compiled-component cache of one-shot commands: with no `cache` (and
//! no `state`) in the config, `warden run` keeps compiled components in the
//! user's cache folder, created private; `--no-cache` reads and writes
//! nothing; a folder that is not private, or cannot be made, is not used
//! and the run goes on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

struct Scratch {
    dir: TempDir,
    job: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = TempDir::new(&format!("warden-default-cache-{name}"));
        std::fs::write(dir.join("token"), TOKEN).unwrap();
        std::fs::write(
            dir.join("warden.toml"),
            "version = 1\n[canvas]\nbase_url = \"http://127.0.0.1:9\"\ntoken_file = \"token\"\n",
        )
        .unwrap();
        let job = dir.join("job.toml");
        std::fs::write(
            &job,
            format!(
                "version = 1\n[job]\nname = \"stamp\"\ncomponent = {:?}\n[canvas]\nscopes = []\n",
                warden_test_artifacts::STAMP
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("home")).unwrap();
        Scratch { dir, job }
    }

    /// `warden -v run` with HOME in the scratch folder and XDG_CACHE_HOME
    /// as given (unset for `None`).
    fn run(&self, xdg_cache_home: Option<&Path>, extra: &[&str]) -> (String, Output) {
        let mut cmd = Command::new(WARDEN);
        cmd.args(["-v", "run"])
            .arg(&self.job)
            .arg("--config")
            .arg(self.dir.join("warden.toml"))
            .args(extra)
            .env("HOME", self.dir.join("home"))
            .env_remove("WARDEN_LOG");
        match xdg_cache_home {
            Some(dir) => cmd.env("XDG_CACHE_HOME", dir),
            None => cmd.env_remove("XDG_CACHE_HOME"),
        };
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("stamp: "));
        (stderr, out)
    }
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

const LOADED: &str = "compiled code loaded from the cache";

#[test]
fn run_caches_compiled_components_in_the_users_cache_folder() {
    let s = Scratch::new("hit");
    let xdg = s.dir.join("xdg");
    let cache = xdg.join("warden");

    let (stderr, _) = s.run(Some(&xdg), &[]);
    assert!(!stderr.contains(LOADED), "{stderr}");
    let stored = entries(&cache);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].extension().is_some_and(|e| e == "cwasm"));
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&stored[0]), 0o600);

    // The second run loads what the first compiled.
    let (stderr, _) = s.run(Some(&xdg), &[]);
    assert!(stderr.contains(LOADED), "{stderr}");

    // --no-cache: compiled in memory, the cache neither read nor written.
    let (stderr, _) = s.run(Some(&xdg), &["--no-cache"]);
    assert!(!stderr.contains(LOADED), "{stderr}");
    let fresh = s.dir.join("xdg-fresh");
    s.run(Some(&fresh), &["--no-cache"]);
    assert!(!fresh.exists(), "--no-cache created {}", fresh.display());

    // Without XDG_CACHE_HOME: ~/.cache/warden.
    s.run(None, &[]);
    let home_cache = s.dir.join("home/.cache/warden");
    assert_eq!(entries(&home_cache).len(), 1);
    assert_eq!(mode(&home_cache), 0o700);
    let (stderr, _) = s.run(None, &[]);
    assert!(stderr.contains(LOADED), "{stderr}");
}

#[test]
fn a_cache_folder_that_is_not_private_or_cannot_be_made_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let s = Scratch::new("refused");

    // Writable by others: never read or written, one warning, the run goes on.
    let shared = s.dir.join("shared");
    std::fs::create_dir_all(shared.join("warden")).unwrap();
    std::fs::set_permissions(
        shared.join("warden"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let (stderr, _) = s.run(Some(&shared), &[]);
    assert!(
        stderr.contains("writable by its group or others (mode 777)"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("writable by its group").count(),
        1,
        "{stderr}"
    );
    assert!(entries(&shared.join("warden")).is_empty());

    // A file where the folder should go: it cannot be created.
    let blocked = s.dir.join("blocked");
    std::fs::write(&blocked, "not a folder").unwrap();
    let (stderr, _) = s.run(Some(&blocked), &[]);
    assert!(stderr.contains("cannot create it"), "{stderr}");
    assert!(!stderr.contains(LOADED), "{stderr}");
}
