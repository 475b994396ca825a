//! Shared set-up for the integration tests: one sandbox and one compiled
//! copy of each test component per test binary, a stand-in Canvas, and
//! helpers to run a job and capture everything it printed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use warden::cache::ComponentCache;
use warden::client::CanvasClient;
use warden::governor::{Governor, GovernorSettings};
use warden::host::CallPolicy;
use warden::manifest::Manifest;
use warden::request::Origin;
use warden::run::{RunOptions, RunReport, RunStatus, Runner};
use warden::sandbox::{JobComponent, Sandbox};
use warden::standin::{Seed, StandIn};
use warden::token::{Token, TokenSource};

/// The worker token of every test: long and distinctive, so a scan for it
/// cannot match by accident.
pub const TOKEN: &str = "7~WardenTestToken-q8ZxK2mV9pL4rT6yN1bC3dF5gH7jW0sA";

/// One sandbox per test binary, with a component cache so that the daemon
/// tests (which load components themselves) compile each component once.
pub fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warden-test-cache-{}", std::process::id()));
        Sandbox::with_cache(Some(ComponentCache::new(dir))).expect("sandbox")
    })
}

/// Compiles each component once per test binary.
pub fn component(path: &str) -> JobComponent {
    static CACHE: OnceLock<Mutex<HashMap<String, JobComponent>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().unwrap().get(path) {
        return c.clone();
    }
    let loaded = sandbox()
        .load(Path::new(path))
        .unwrap_or_else(|e| panic!("{e}"));
    cache
        .lock()
        .unwrap()
        .entry(path.to_string())
        .or_insert(loaded)
        .clone()
}

pub async fn standin() -> StandIn {
    standin_with(Seed::demo()).await
}

pub async fn standin_with(seed: Seed) -> StandIn {
    StandIn::start(TOKEN, seed).await.expect("stand-in starts")
}

/// A manifest for `component` with these scopes, parsed like a real file.
/// `extra` is appended verbatim (e.g. a `[limits]` table).
pub fn manifest(component: &str, scopes: &[&str], extra: &str) -> Manifest {
    let scopes: Vec<String> = scopes.iter().map(|s| format!("{s:?}")).collect();
    let text = format!(
        "version = 1\n[job]\nname = \"test-job\"\ncomponent = {component:?}\n[canvas]\nscopes = [{}]\n{extra}",
        scopes.join(", ")
    );
    Manifest::parse(Path::new("/tests/job.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

pub fn runner(base_url: &str) -> Runner {
    Runner {
        sandbox: sandbox().clone(),
        client: CanvasClient::new().expect("client"),
        origin: Origin::parse(base_url).expect("origin"),
        token: TokenSource::Fixed(Token::new(TOKEN).unwrap()),
        // Canvas's own settings: the stand-in's default bucket never comes
        // near the floor, so the governor holds nothing back.
        governor: Governor::new(GovernorSettings::default()),
    }
}

/// A buffer a run's output is forwarded into.
#[derive(Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a run produced.
pub struct Ran {
    pub report: RunReport,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Fails the test, showing the job's output, unless the run succeeded.
    #[track_caller]
    pub fn assert_succeeded(&self) {
        assert_eq!(
            self.report.status,
            RunStatus::Succeeded,
            "{}\n{}",
            self.stdout,
            self.stderr
        );
    }

    /// How many attempts each audited request took, in order.
    pub fn attempts(&self) -> Vec<u32> {
        self.report.audit.iter().map(|e| e.attempts).collect()
    }
}

/// The HTTP status of each result a `scripted` guest printed (0 for an error).
pub fn statuses(results: &[serde_json::Value]) -> Vec<u64> {
    results
        .iter()
        .map(|r| r["ok"]["status"].as_u64().unwrap_or(0))
        .collect()
}

pub fn fast_retries() -> CallPolicy {
    CallPolicy {
        throttle_backoff: Duration::from_millis(10),
        error_backoff: Duration::from_millis(10),
        ..CallPolicy::default()
    }
}

/// Runs `manifest` once against the Canvas at `base_url`.
pub async fn run(base_url: &str, manifest: &Manifest) -> Ran {
    run_with(runner(base_url), manifest, fast_retries()).await
}

pub async fn run_with(runner: Runner, manifest: &Manifest, calls: CallPolicy) -> Ran {
    let component = component(manifest.component.to_str().unwrap());
    let (stdout, stderr) = (Buffer::default(), Buffer::default());
    let mut options = RunOptions::new("test-run");
    options.stdout = Some(Box::new(stdout.clone()));
    options.stderr = Some(Box::new(stderr.clone()));
    options.calls = calls;
    let report = runner
        .run(manifest, &component, options)
        .await
        .expect("run starts");
    Ran {
        report,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// Runs the `scripted` guest with these requests (a JSON array of
/// `{method, path, query, headers, body}`) and returns one JSON value per
/// request.
pub async fn script(
    base_url: &str,
    scopes: &[&str],
    extra: &str,
    steps: serde_json::Value,
) -> (Vec<serde_json::Value>, Ran) {
    let mut m = manifest(warden_test_artifacts::SCRIPTED, scopes, extra);
    m.env.insert("SCRIPT".into(), steps.to_string());
    let ran = run(base_url, &m).await;
    let results = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (results, ran)
}

/// `{"err": {"kind": …}}` → the kind; `{"ok": …}` → "ok".
pub fn kind(result: &serde_json::Value) -> &str {
    if result.get("ok").is_some() {
        "ok"
    } else {
        result["err"]["kind"].as_str().unwrap_or("?")
    }
}

/// A fresh folder under the system's temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `<temp>/<name>-<pid>`, emptied first.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `XDG_CACHE_HOME` for the real binary in tests whose config names no
/// `cache` and no `state`, so that their runs keep compiled components in a
/// scratch folder, not in the user's `~/.cache/warden`.
pub fn cache_home() -> PathBuf {
    std::env::temp_dir().join(format!("warden-test-xdg-cache-{}", std::process::id()))
}

/// Reads a `warden auth login`'s stdout up to the authorization URL it
/// prints (and the instructions after it), and returns the URL.
pub async fn authorize_url_shown(
    stdout: &mut tokio::process::ChildStdout,
    shown: &mut String,
) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    loop {
        if let Some(line) = shown
            .lines()
            .find(|l| l.trim().starts_with("http") && l.contains("/login/oauth2/auth?"))
        {
            if shown.contains("Waiting") || shown.contains("paste") {
                return line.trim().to_string();
            }
        }
        let n = tokio::time::timeout(std::time::Duration::from_secs(30), stdout.read(&mut buf))
            .await
            .expect("the URL is printed")
            .unwrap();
        assert!(n > 0, "no URL printed: {shown}");
        shown.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// Sends a signal (`TERM`, `HUP`, `KILL`) to a child process, as an admin
/// or an init system would.
pub fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

/// A port on 127.0.0.1 that was free a moment ago (for a listener the code
/// under test binds itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
