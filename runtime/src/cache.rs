//! Compiled components on disk, so that a component is compiled once: keyed
//! by the SHA-256 of the component's bytes and by the engine's compatibility
//! hash (wasmtime version, compiler settings, CPU features), so a change of
//! either misses instead of loading something stale.
//!
//! Loading compiled code runs it natively: whoever can write the cache
//! folder can run code inside Warden, next to the token. The folder is
//! created readable and writable by its owner only; keep it that way.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// A folder of compiled components.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
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
        ComponentCache { dir: dir.into() }
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
    /// cache, or compiled with `compile` and stored. A damaged cache entry is replaced; a cache
    /// that cannot be written is reported through `on_store_error` and the
    /// compiled component is returned anyway.
    pub fn load_or_compile<E>(
        &self,
        engine: &Engine,
        sha256: &str,
        compile: impl FnOnce() -> Result<Component, E>,
        on_store_error: impl FnOnce(CacheError),
    ) -> Result<(Component, CacheOutcome), E> {
        let entry = self.entry(engine, sha256);
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
            on_store_error(e);
        }
        Ok((component, CacheOutcome::Miss))
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
            let mut f = std::fs::File::create(&tmp)?;
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
