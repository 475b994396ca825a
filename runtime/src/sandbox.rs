//! The wasmtime side: one engine and linker for every job, loading and
//! vetting components, and the per-run store state with its memory cap.
//!
//! A job may import WASI's cli, io, clocks, random and filesystem interfaces
//! (Rust's standard library links them; there are no preopened directories,
//! so the filesystem is empty) and `warden:canvas/api`. A component that
//! imports `wasi:sockets` or `wasi:http` is refused at load: jobs reach Canvas
//! only through warden-sdk. Anything else it imports is refused too.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::cache::{sha256_hex, CacheOutcome, ComponentCache};
use crate::diag::FileError;
use crate::host::{self, CanvasApi};
use crate::manifest::Manifest;

/// How often the epoch advances; a running guest yields to the async
/// executor at every tick, which is what lets a deadline interrupt a loop.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The interface Warden provides, as a component names it.
pub const CANVAS_IMPORT: &str = "warden:canvas/api@0.2.0";

/// The engine and linker shared by all runs. Cheap to clone.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    linker: Linker<JobState>,
    cache: Option<ComponentCache>,
    /// Components already loaded, by SHA-256: manifests that share a
    /// component file share its compiled code.
    loaded: Mutex<HashMap<String, CommandPre<JobState>>>,
}

/// Why a component cannot be used as a job. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read component {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} is not a WebAssembly file")]
    NotWasm { path: PathBuf },
    #[error("{path} is a core WebAssembly module, not a component: build the job for the wasm32-wasip2 target (cargo build --release --target wasm32-wasip2)")]
    CoreModule { path: PathBuf },
    #[error("{path} is not a valid component: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path} imports {import}: jobs have no network access and reach Canvas only through warden-sdk (the {CANVAS_IMPORT} import); remove the use of sockets or HTTP clients")]
    Network { path: PathBuf, import: String },
    #[error("{path} imports {import}, which Warden does not provide; a job may import only WASI cli, io, clocks, random and filesystem interfaces and {CANVAS_IMPORT}")]
    Unsupported { path: PathBuf, import: String },
    #[error("{path} imports {import}, from an older warden-sdk, and Warden provides {CANVAS_IMPORT}: rebuild the job with the current warden-sdk (cargo build --release --target wasm32-wasip2), then pin it again if its manifest has a pin")]
    Outdated { path: PathBuf, import: String },
    #[error("{path} is not a WASI command (it has no wasi:cli/run export): a job is a Rust binary with fn main, built for wasm32-wasip2")]
    NotCommand { path: PathBuf },
    #[error("{path} cannot be linked: {reason}")]
    Link { path: PathBuf, reason: String },
}

/// A component compiled, vetted and pre-linked: each run only instantiates it.
#[derive(Clone)]
pub struct JobComponent {
    pre: CommandPre<JobState>,
    path: PathBuf,
    sha256: String,
    compiled: CacheOutcome,
}

impl JobComponent {
    /// The SHA-256 of the component file, in hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Whether loading it found it compiled (in memory or in the cache).
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.compiled
    }

    pub fn pre(&self) -> &CommandPre<JobState> {
        &self.pre
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The WebAssembly engine could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the WebAssembly engine: {0}")]
pub struct EngineError(String);

impl Sandbox {
    /// A sandbox that compiles every component it loads.
    pub fn new() -> Result<Sandbox, EngineError> {
        Sandbox::with_cache(None)
    }

    /// A sandbox that keeps compiled components in `cache`.
    pub fn with_cache(cache: Option<ComponentCache>) -> Result<Sandbox, EngineError> {
        let fail = |e: wasmtime::Error| EngineError(format!("{e:#}"));
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(fail)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(fail)?;
        host::add_to_linker(&mut linker, |state: &mut JobState| &mut state.api).map_err(fail)?;
        spawn_epoch_ticker(&engine);
        Ok(Sandbox {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache,
                loaded: Mutex::default(),
            }),
        })
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// Loads a manifest's component the way `run`, `serve` and `check` all
    /// do: a missing file, a component that does not load, and a build that
    /// is not the one `[job] sha256` pins are errors at `[job] component`.
    pub fn load_job(&self, manifest: &Manifest) -> Result<JobComponent, FileError> {
        if !manifest.component.exists() {
            return Err(manifest.component_error(format!(
                "component {} does not exist; build the job first (`warden build <the job's crate>`, which names what is wrong when the build lands elsewhere){}",
                manifest.component.display(),
                missing_component_hint(&manifest.component)
            )));
        }
        let component = self
            .load(&manifest.component)
            .map_err(|e| manifest.component_error(e.to_string()))?;
        manifest.check_pin(component.sha256())?;
        Ok(component)
    }

    /// Reads, compiles and vets a job component.
    pub fn load(&self, path: &Path) -> Result<JobComponent, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError::Read {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        self.load_bytes(path, &bytes)
    }

    /// Like [`Sandbox::load`], from bytes; `path` names them in errors.
    pub fn load_bytes(&self, path: &Path, bytes: &[u8]) -> Result<JobComponent, LoadError> {
        let path_buf = path.to_path_buf();
        match bytes.get(..8) {
            Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => {
                return Err(LoadError::CoreModule { path: path_buf })
            }
            Some([0, b'a', b's', b'm', _, _, 1, 0]) => {}
            _ => return Err(LoadError::NotWasm { path: path_buf }),
        }
        let sha256 = sha256_hex(bytes);
        if let Some(pre) = self.loaded().get(&sha256) {
            return Ok(JobComponent {
                pre: pre.clone(),
                path: path_buf,
                sha256,
                compiled: CacheOutcome::Hit,
            });
        }
        let compile = || {
            Component::new(self.engine(), bytes).map_err(|e| LoadError::Invalid {
                path: path_buf.clone(),
                reason: format!("{e:#}"),
            })
        };
        let (component, compiled) = match &self.inner.cache {
            Some(cache) => cache.load_or_compile(self.engine(), &sha256, compile, |e| {
                tracing::warn!("{e}; compiled components are not kept")
            })?,
            None => (compile()?, CacheOutcome::Miss),
        };
        let ty = component.component_type();
        for (name, _) in ty.imports(self.engine()) {
            vet_import(name).map_err(|kind| kind.into_error(path, name))?;
        }
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link {
                path: path_buf.clone(),
                reason: format!("{e:#}"),
            })?;
        let pre = CommandPre::new(pre).map_err(|_| LoadError::NotCommand {
            path: path_buf.clone(),
        })?;
        match compiled {
            CacheOutcome::Hit => {
                tracing::info!("{}: compiled code loaded from the cache", path.display())
            }
            CacheOutcome::Miss => tracing::info!("{}: compiled", path.display()),
        }
        self.loaded().insert(sha256.clone(), pre.clone());
        Ok(JobComponent {
            pre,
            path: path_buf,
            sha256,
            compiled,
        })
    }

    /// Forgets loaded components whose SHA-256 is not in `in_use`, so that
    /// replaced versions do not pile up in a long-running daemon.
    pub fn retain_components(&self, in_use: &HashSet<&str>) {
        self.loaded().retain(|sha, _| in_use.contains(sha.as_str()));
    }

    fn loaded(&self) -> MutexGuard<'_, HashMap<String, CommandPre<JobState>>> {
        self.inner.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why an import is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Network,
    Unsupported,
    /// `warden:canvas/api` of another version than [`CANVAS_IMPORT`].
    Outdated,
}

impl Refused {
    fn into_error(self, path: &Path, import: &str) -> LoadError {
        let (path, import) = (path.to_path_buf(), import.to_string());
        match self {
            Refused::Network => LoadError::Network { path, import },
            Refused::Unsupported => LoadError::Unsupported { path, import },
            Refused::Outdated => LoadError::Outdated { path, import },
        }
    }
}

/// Decides whether a job may import the interface `name`
/// (`package:namespace/interface@version`).
/// What the folder a missing component was expected in says about it: a
/// component of a near name (cargo names the file after the `[[bin]]`
/// name, `my_job.wasm` for `my-job` when the bin says so), or no build
/// there at all (a crate that is not a member of its workspace builds
/// into the workspace's target folder, or not at all).
fn missing_component_hint(component: &Path) -> String {
    let (Some(dir), Some(name)) = (component.parent(), component.file_name()) else {
        return String::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return format!(
            "; {} does not exist either, so nothing was built there: check that the job's crate is a member of its cargo workspace and that the path is relative to the manifest's folder",
            dir.display()
        );
    };
    let built: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wasm"))
        .collect();
    let name = name.to_string_lossy();
    match crate::suggest::closest(&name, built.iter().map(String::as_str)) {
        Some(close) => format!(
            "; {} has {close}: did you mean that? (cargo names the file after the crate's [[bin]] name)",
            dir.display()
        ),
        None => String::new(),
    }
}

pub fn vet_import(name: &str) -> Result<(), Refused> {
    let unversioned = name.split('@').next().unwrap_or(name);
    let allowed_wasi = [
        "wasi:cli/",
        "wasi:io/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:filesystem/",
    ];
    if unversioned.starts_with("wasi:sockets/") || unversioned.starts_with("wasi:http/") {
        Err(Refused::Network)
    } else if unversioned == "warden:canvas/api" {
        if name == CANVAS_IMPORT {
            Ok(())
        } else {
            Err(Refused::Outdated)
        }
    } else if allowed_wasi.iter().any(|p| unversioned.starts_with(p)) {
        Ok(())
    } else {
        Err(Refused::Unsupported)
    }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is gone.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    let spawned = std::thread::Builder::new()
        .name("warden-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the epoch thread, deadlines will not interrupt loops: {e}");
    }
}

/// Everything one run's store holds.
pub struct JobState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub limiter: MemoryLimiter,
    pub api: CanvasApi,
}

impl JobState {
    pub fn new(wasi: WasiCtx, limiter: MemoryLimiter, api: CanvasApi) -> JobState {
        JobState {
            wasi,
            table: ResourceTable::new(),
            limiter,
            api,
        }
    }
}

impl WasiView for JobState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The trap raised when a job asks for more memory than its manifest allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the job tried to grow its memory to {desired} bytes, past its limit of {limit} bytes ([limits] memory)")]
pub struct MemoryLimitExceeded {
    pub limit: u64,
    pub desired: u64,
}

/// Caps linear memory at the manifest's `[limits] memory` and tables at a
/// fixed size; growing past either traps the guest at once.
pub struct MemoryLimiter {
    limit: u64,
}

/// Elements a table may hold (function tables of large programs stay far below).
const TABLE_ELEMENTS_LIMIT: usize = 1_000_000;

impl MemoryLimiter {
    pub fn new(limit: u64) -> MemoryLimiter {
        MemoryLimiter { limit }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                limit: self.limit,
                desired,
            }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > TABLE_ELEMENTS_LIMIT {
            return Err(wasmtime::format_err!(
                "the job tried to grow a table to {desired} elements, past the limit of {TABLE_ELEMENTS_LIMIT}"
            ));
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_vetted() {
        for ok in [
            "wasi:cli/environment@0.2.6",
            "wasi:io/streams@0.2.6",
            "wasi:clocks/monotonic-clock@0.2.0",
            "wasi:random/random@0.2.6",
            "wasi:filesystem/preopens@0.2.6",
            "warden:canvas/api@0.2.0",
        ] {
            assert_eq!(vet_import(ok), Ok(()), "{ok}");
        }
        for old in ["warden:canvas/api@0.1.0", "warden:canvas/api"] {
            assert_eq!(vet_import(old), Err(Refused::Outdated), "{old}");
        }
        for net in [
            "wasi:sockets/tcp@0.2.6",
            "wasi:sockets/ip-name-lookup@0.2.0",
            "wasi:http/outgoing-handler@0.2.6",
        ] {
            assert_eq!(vet_import(net), Err(Refused::Network), "{net}");
        }
        for other in [
            "wasi:keyvalue/store@0.2.0",
            "warden:canvas/admin@0.1.0",
            "acme:evil/api",
            "wasi:cli-extra/x",
        ] {
            assert_eq!(vet_import(other), Err(Refused::Unsupported), "{other}");
        }
    }

    #[test]
    fn memory_limiter_traps_past_the_limit() {
        let mut l = MemoryLimiter::new(64 << 20);
        assert!(l.memory_growing(0, 64 << 20, None).unwrap());
        let e = l.memory_growing(0, (64 << 20) + 65536, None).unwrap_err();
        assert_eq!(
            e.downcast_ref::<MemoryLimitExceeded>(),
            Some(&MemoryLimitExceeded {
                limit: 64 << 20,
                desired: (64 << 20) + 65536
            })
        );
        assert!(l.table_growing(0, TABLE_ELEMENTS_LIMIT + 1, None).is_err());
    }

    #[test]
    fn non_components_are_refused_with_a_reason() {
        let sandbox = Sandbox::new().unwrap();
        let p = Path::new("job.wasm");
        let core = [0, b'a', b's', b'm', 1, 0, 0, 0];
        assert!(matches!(
            sandbox.load_bytes(p, &core),
            Err(LoadError::CoreModule { .. })
        ));
        assert!(matches!(
            sandbox.load_bytes(p, b"#!/bin/sh\n"),
            Err(LoadError::NotWasm { .. })
        ));
        let broken = [0, b'a', b's', b'm', 0x0d, 0, 1, 0, 0xff];
        let e = sandbox.load_bytes(p, &broken).err().unwrap().to_string();
        assert!(e.starts_with("job.wasm is not a valid component: "), "{e}");
    }
}
