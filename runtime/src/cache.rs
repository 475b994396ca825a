//! Compiled components on disk, so that a component is compiled once: keyed
//! by the SHA-256 of the component's bytes and by the engine's compatibility
//! hash (wasmtime version, compiler settings, CPU features), so a change of
//! either misses instead of loading something stale.
//!
//! Loading compiled code runs it natively: whoever can write the cache
//! folder can run code inside Warden, next to the token. The folder is
//! created readable and writable by its owner only (0700), and a folder or
//! entry that someone else owns, or that its group or others may write, is
//! not used: the component is compiled in memory instead, with one warning.
//!
//! Without a `cache` in the config (or a `state` beside which it goes), the
//! CLI uses the user's cache folder ([`user_cache_dir`]):
//! `$XDG_CACHE_HOME/warden`, else `~/.cache/warden`.

use std::ffi::OsString;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// A folder of compiled components. Clones share the "given up" state.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
    /// Set at the first problem (reported then): later loads compile
    /// without trying the folder again.
    given_up: Arc<AtomicBool>,
}

/// The user's cache folder for Warden: `$XDG_CACHE_HOME/warden` when that
/// is an absolute path, else `$HOME/.cache/warden`; `None` without either.
pub fn user_cache_dir() -> Option<PathBuf> {
    user_cache_dir_from(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))
}

/// [`user_cache_dir`] from given values of `XDG_CACHE_HOME` and `HOME`.
pub fn user_cache_dir_from(
    xdg_cache_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    // The XDG spec: a relative value is invalid and is ignored.
    let xdg = xdg_cache_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    match xdg {
        Some(dir) => Some(dir.join("warden")),
        None => home
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .map(|home| home.join(".cache").join("warden")),
    }
}

/// Whether a load found the compiled form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    /// Compiled now (and stored, unless storing failed).
    Miss,
}

/// The cache could not be used; compiling without it still works.
#[derive(Debug, thiserror::Error)]
#[error("component cache {path}: {reason}")]
pub struct CacheError {
    pub path: PathBuf,
    pub reason: String,
}

/// The SHA-256 of a component's bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl ComponentCache {
    pub fn new(dir: impl Into<PathBuf>) -> ComponentCache {
        ComponentCache {
            dir: dir.into(),
            given_up: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the compiled form for `engine` of the component whose SHA-256
    /// is `sha256` ([`sha256_hex`]) lives.
    pub fn entry(&self, engine: &Engine, sha256: &str) -> PathBuf {
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        self.dir.join(format!("{sha256}-{:016x}.cwasm", h.finish()))
    }

    /// The compiled component whose bytes hash to `sha256`: loaded from the
    /// cache, or compiled with `compile` and stored. A damaged cache entry
    /// is replaced. A cache that cannot be created or written, or that is
    /// not private to this user, is reported through `on_error` (once for
    /// this cache and its clones; later loads just compile) and the compiled
    /// component is returned anyway.
    pub fn load_or_compile<E>(
        &self,
        engine: &Engine,
        sha256: &str,
        compile: impl FnOnce() -> Result<Component, E>,
        on_error: impl FnOnce(CacheError),
    ) -> Result<(Component, CacheOutcome), E> {
        if self.given_up.load(Ordering::Relaxed) {
            return Ok((compile()?, CacheOutcome::Miss));
        }
        if let Err(e) = check_private(&self.dir, "folder") {
            self.give_up(e, on_error);
            return Ok((compile()?, CacheOutcome::Miss));
        }
        let entry = self.entry(engine, sha256);
        if let Err(e) = check_private(&entry, "entry") {
            self.give_up(e, on_error);
            return Ok((compile()?, CacheOutcome::Miss));
        }
        if entry.is_file() {
            // SAFETY: the file was written by `Component::serialize` for an
            // engine with the same compatibility hash (it is in the name),
            // into a folder only this user can write; wasmtime checks the
            // header and refuses files of another version or configuration.
            match unsafe { Component::deserialize_file(engine, &entry) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => tracing::warn!(
                    "ignoring damaged compiled component {}: {e}",
                    entry.display()
                ),
            }
        }
        let component = compile()?;
        if let Err(e) = self.store(&entry, &component) {
            self.give_up(e, on_error);
        }
        Ok((component, CacheOutcome::Miss))
    }

    fn give_up(&self, error: CacheError, on_error: impl FnOnce(CacheError)) {
        if !self.given_up.swap(true, Ordering::Relaxed) {
            on_error(error);
        }
    }

    fn store(&self, entry: &Path, component: &Component) -> Result<(), CacheError> {
        let fail = |reason: String| CacheError {
            path: self.dir.clone(),
            reason,
        };
        create_private_dir(&self.dir).map_err(|e| fail(format!("cannot create it: {e}")))?;
        let bytes = component
            .serialize()
            .map_err(|e| fail(format!("cannot serialize: {e}")))?;
        // Write beside, then rename: a reader never sees half a file.
        let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut f = options.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, entry)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(format!("cannot write {}: {e}", entry.display()))
        })
    }
}

/// Refuses a cache folder or entry that exists and is not private to this
/// user: owned by someone else, or writable by its group or others (who
/// could then plant compiled code that Warden would run). A path that does
/// not exist yet passes (it is created private).
fn check_private(path: &Path, what: &str) -> Result<(), CacheError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Missing or out of reach: nothing to load from it; storing will
        // create it private, or say why it cannot.
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        let reason = if meta.uid() != me {
            Some(format!(
                "the cache {what} is owned by user id {}, not by this user ({me})",
                meta.uid()
            ))
        } else if meta.mode() & 0o022 != 0 {
            Some(format!(
                "the cache {what} is writable by its group or others (mode {:03o}); make it private with chmod 700",
                meta.mode() & 0o777
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(CacheError {
                path: path.to_path_buf(),
                reason: format!(
                    "{reason}; not using it, so that nobody else's code can run as Warden"
                ),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component: no imports, no exports.
    const EMPTY_COMPONENT: &[u8] = &[0, b'a', b's', b'm', 0x0d, 0, 1, 0];

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("warden-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_second_load_does_not_compile() {
        let engine = Engine::default();
        let cache = ComponentCache::new(scratch("hit").join("nested"));
        let compile = || Component::new(&engine, EMPTY_COMPONENT);
        let fail = |e: CacheError| panic!("{e}");
        let (_, first) = cache
            .load_or_compile(&engine, &sha256_hex(EMPTY_COMPONENT), compile, fail)
            .unwrap();
        assert_eq!(first, CacheOutcome::Miss);
        assert!(cache.entry(&engine, &sha256_hex(EMPTY_COMPONENT)).is_file());
        let (_, second) = cache
            .load_or_compile(
                &engine,
                &sha256_hex(EMPTY_COMPONENT),
                || -> wasmtime::Result<Component> { panic!("compiled again") },
                fail,
            )
            .unwrap();
        assert_eq!(second, CacheOutcome::Hit);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache.dir()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        std::fs::remove_dir_all(cache.dir().parent().unwrap()).unwrap();
    }

    #[test]
    fn a_damaged_entry_is_replaced() {
        let engine = Engine::default();
        let dir = scratch("damaged");
        let cache = ComponentCache::new(&dir);
        let entry = cache.entry(&engine, &sha256_hex(EMPTY_COMPONENT));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&entry, b"not a compiled component").unwrap();
        let (_, outcome) = cache
            .load_or_compile(
                &engine,
                &sha256_hex(EMPTY_COMPONENT),
                || Component::new(&engine, EMPTY_COMPONENT),
                |e| panic!("{e}"),
            )
            .unwrap();
        assert_eq!(outcome, CacheOutcome::Miss);
        assert_ne!(std::fs::read(&entry).unwrap(), b"not a compiled component");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_follow_content_and_engine() {
        let a = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let b = Engine::new(&config).unwrap();
        let cache = ComponentCache::new("/c");
        assert_ne!(
            cache.entry(&a, &sha256_hex(EMPTY_COMPONENT)),
            cache.entry(&b, &sha256_hex(EMPTY_COMPONENT))
        );
        assert_ne!(
            cache.entry(&a, &sha256_hex(EMPTY_COMPONENT)),
            cache.entry(&a, &sha256_hex(b"other"))
        );
        assert_eq!(
            cache.entry(&a, &sha256_hex(EMPTY_COMPONENT)),
            cache.entry(&a, &sha256_hex(EMPTY_COMPONENT))
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_user_cache_dir_follows_xdg_then_home() {
        let dir = |xdg: Option<&str>, home: Option<&str>| {
            user_cache_dir_from(xdg.map(Into::into), home.map(Into::into))
        };
        assert_eq!(
            dir(Some("/x/cache"), Some("/home/u")),
            Some(PathBuf::from("/x/cache/warden"))
        );
        assert_eq!(
            dir(None, Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/warden"))
        );
        // A relative or empty XDG_CACHE_HOME is ignored, as the spec says.
        assert_eq!(
            dir(Some("rel"), Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/warden"))
        );
        assert_eq!(
            dir(Some(""), Some("/home/u")),
            Some(PathBuf::from("/home/u/.cache/warden"))
        );
        assert_eq!(dir(None, None), None);
        assert_eq!(dir(None, Some("")), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_others_can_write_is_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let engine = Engine::default();
        let dir = scratch("shared");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let cache = ComponentCache::new(&dir);
        let entry = cache.entry(&engine, &sha256_hex(EMPTY_COMPONENT));
        // Even a good entry planted there is not loaded.
        let good = Component::new(&engine, EMPTY_COMPONENT).unwrap();
        std::fs::write(&entry, good.serialize().unwrap()).unwrap();
        let mut reported = Vec::new();
        for _ in 0..2 {
            let (_, outcome) = cache
                .load_or_compile(
                    &engine,
                    &sha256_hex(EMPTY_COMPONENT),
                    || Component::new(&engine, EMPTY_COMPONENT),
                    |e| reported.push(e.to_string()),
                )
                .unwrap();
            assert_eq!(outcome, CacheOutcome::Miss);
        }
        assert_eq!(reported.len(), 1, "reported once: {reported:?}");
        assert!(
            reported[0].contains("writable by its group or others (mode 777)"),
            "{}",
            reported[0]
        );
        // A private folder with an entry others may write: refused too.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
        let mut reported = None;
        let (_, outcome) = ComponentCache::new(&dir)
            .load_or_compile(
                &engine,
                &sha256_hex(EMPTY_COMPONENT),
                || Component::new(&engine, EMPTY_COMPONENT),
                |e| reported = Some(e.to_string()),
            )
            .unwrap();
        assert_eq!(outcome, CacheOutcome::Miss);
        assert!(reported.unwrap().contains("cache entry is writable"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_cache_still_compiles() {
        let engine = Engine::default();
        let file = scratch("blocked");
        std::fs::write(&file, b"a file where the folder should be").unwrap();
        let cache = ComponentCache::new(file.join("cache"));
        let mut reported = None;
        let (_, outcome) = cache
            .load_or_compile(
                &engine,
                &sha256_hex(EMPTY_COMPONENT),
                || Component::new(&engine, EMPTY_COMPONENT),
                |e| reported = Some(e.to_string()),
            )
            .unwrap();
        assert_eq!(outcome, CacheOutcome::Miss);
        assert!(reported.unwrap().contains("cannot create it"));
        std::fs::remove_file(&file).unwrap();
    }
}
