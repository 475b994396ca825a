//! The runtime config, `warden.toml`: which Canvas to talk to, where the
//! worker token comes from, and for `warden serve` which jobs to run and
//! where to keep their history.
//!
//! ```toml
//! version = 1                                    # optional; 1 is the only version
//! jobs = ["jobs/*/job.toml"]                     # manifests (globs, relative to this file)
//! state = "state/warden.db"                      # run history (SQLite); optional for `warden run`
//! cache = "state/cache"                          # compiled components; default: beside `state`, else the user's (crate::cache::user_cache_dir)
//! [canvas]
//! base_url = "https://school.instructure.com"   # http:// only for loopback hosts
//! token_env = "CANVAS_TOKEN"                     # or: token_file = "/run/secrets/canvas-token"
//!                                                # or: token_credential = "canvas-token" ($CREDENTIALS_DIRECTORY/canvas-token, systemd's LoadCredential=)
//!                                                # or, instead of a token: a scoped developer key (see crate::oauth)
//! # [canvas.oauth]
//! # client_id = "10000000000042"
//! # client_secret_file = "/run/secrets/warden-client-secret"
//! # refresh_token_file = "state/canvas-refresh-token"   # written by `warden auth login`
//! # redirect_uri = "http://127.0.0.1:8765/callback"      # or "urn:ietf:wg:oauth:2.0:oob"
//! [history]                                      # optional; these are the defaults
//! max_age = "90d"                                # runs older than this are deleted
//! max_runs = 1000                                # and all but the newest 1000 of each job
//! [daemon]                                       # optional; these are the defaults
//! shutdown_grace = "30s"                         # on SIGTERM, running jobs get this long
//! reload_interval = "2s"                         # how often manifest and component files are checked
//! [throttle]                                     # optional; these are the defaults (see crate::governor)
//! governor = true                                # false: no job's request is ever held back
//! floor = 100                                    # hold requests while X-Rate-Limit-Remaining would drop below this (0: off)
//! capacity = 700                                 # Canvas's high-water mark (X-Rate-Limit-Remaining when idle)
//! refill_per_second = 10                         # how fast Canvas's bucket drains
//! reserve = 50                                   # held per request in flight (Canvas's pre-flight penalty)
//! [dashboard]                                    # optional; `warden serve` serves no web pages without it
//! listen = "127.0.0.1:8080"                      # the default; also /metrics, /healthz, /readyz
//! admin_token_file = "/run/secrets/warden-admin" # required unless listen is a loopback address
//! public_url = "https://warden.example.edu"      # how admins reach it (links in alerts)
//! [alerts]                                       # optional; no alerts without it (see crate::alerts)
//! webhooks = ["https://hooks.slack.com/services/T000/B000/XXXX"]
//! recovery = false                               # also alert when a job succeeds after a failure alert
//! timeout = "10s"                                # per attempt
//! retries = 5                                    # attempts after the first
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::alerts::{AlertSettings, RawAlerts};
use crate::diag::FileError;
use crate::governor::GovernorSettings;
use crate::manifest::FormatVersion;
use crate::request::Origin;
use crate::token::{credential_name_problem, TokenSource};
use crate::units::DurationSpec;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[allow(dead_code)]
    version: Option<FormatVersion>,
    #[serde(default)]
    jobs: Vec<Spanned<String>>,
    state: Option<Spanned<String>>,
    cache: Option<Spanned<String>>,
    canvas: Spanned<RawCanvas>,
    #[serde(default)]
    history: RawHistory,
    #[serde(default)]
    daemon: RawDaemon,
    #[serde(default)]
    throttle: RawThrottle,
    dashboard: Option<Spanned<RawDashboard>>,
    alerts: Option<Spanned<RawAlerts>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDashboard {
    listen: Option<Spanned<String>>,
    admin_token_file: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawThrottle {
    governor: Option<bool>,
    floor: Option<Spanned<f64>>,
    capacity: Option<Spanned<f64>>,
    refill_per_second: Option<Spanned<f64>>,
    reserve: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    max_age: Option<DurationSpec>,
    max_runs: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    shutdown_grace: Option<DurationSpec>,
    reload_interval: Option<DurationSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCanvas {
    base_url: Spanned<String>,
    token_env: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    token_credential: Option<Spanned<String>>,
    oauth: Option<Spanned<crate::oauth::RawOAuth>>,
}

/// A parsed, validated runtime config.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub canvas: CanvasConfig,
    /// Manifest globs, anchored at the config's folder.
    pub jobs: Vec<String>,
    /// The run-history database.
    pub state: Option<PathBuf>,
    /// Where compiled components are kept: `cache`, or beside `state`;
    /// None when the config gives neither (the CLI then uses
    /// [`crate::cache::user_cache_dir`]).
    pub cache: Option<PathBuf>,
    pub history: HistoryConfig,
    pub daemon: DaemonConfig,
    /// `[throttle]`: the rate-limit governor shared by every run.
    pub throttle: GovernorSettings,
    /// `[dashboard]`: web pages, metrics and health checks of `warden serve`.
    pub dashboard: Option<DashboardConfig>,
    /// `[alerts]`: the webhooks told about failed runs; None without it.
    pub alerts: Option<AlertSettings>,
}

/// Where and how `warden serve` serves its dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardConfig {
    pub listen: std::net::SocketAddr,
    /// A file holding the admin token; every page then needs a login.
    pub admin_token_file: Option<PathBuf>,
    /// How admins reach the dashboard, for links (no trailing slash).
    pub public_url: Option<url::Url>,
}

/// The dashboard's address when `listen` is not given.
pub const DEFAULT_DASHBOARD_LISTEN: &str = "127.0.0.1:8080";

/// How long the run history keeps runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryConfig {
    pub max_age: Duration,
    /// Per job.
    pub max_runs: usize,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            max_age: Duration::from_secs(90 * 86_400),
            max_runs: 1000,
        }
    }
}

/// How `warden serve` behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonConfig {
    /// On SIGTERM/SIGINT, how long running jobs may finish before they are
    /// cancelled.
    pub shutdown_grace: Duration,
    /// How often manifest and component files are checked for changes.
    pub reload_interval: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            shutdown_grace: Duration::from_secs(30),
            reload_interval: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CanvasConfig {
    /// Scheme, host and port of the Canvas instance.
    pub origin: Origin,
    pub token: TokenSource,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError::io(path, &e))?;
        Config::parse(path, &text)
    }

    /// Validates config text; `path` names it in errors and anchors a
    /// relative `token_file`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, FileError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| FileError::toml(path, text, &e))?;
        let at = |span, msg: String| FileError::at(path, text, span, msg);
        let canvas_span = raw.canvas.span();
        let mut canvas = raw.canvas.into_inner();

        let origin = Origin::parse(canvas.base_url.get_ref())
            .map_err(|e| at(canvas.base_url.span(), e.to_string()))?;

        let folder = path.parent().unwrap_or(Path::new(""));
        let token = match canvas.oauth.take() {
            Some(oauth) => {
                let given = [
                    ("token_env", &canvas.token_env),
                    ("token_file", &canvas.token_file),
                    ("token_credential", &canvas.token_credential),
                ];
                if let Some((key, value)) = given.iter().find_map(|(k, v)| Some((k, v.as_ref()?))) {
                    return Err(at(
                        value.span(),
                        format!(
                            "[canvas] has both {key} and [canvas.oauth]: give one credential, a manual token or a developer key's OAuth2 authorization (remove {key} to use [canvas.oauth])"
                        ),
                    ));
                }
                let settings = crate::oauth::parse_settings(oauth, folder, &at)?;
                TokenSource::OAuth(crate::oauth::Session::new(settings, origin.clone()))
            }
            None => token_source(path, canvas_span, canvas, &at)?,
        };

        let mut jobs = Vec::new();
        for glob in &raw.jobs {
            let anchored = folder.join(glob.get_ref());
            let anchored = anchored.to_string_lossy().into_owned();
            if let Err(e) = glob::Pattern::new(&anchored) {
                return Err(at(
                    glob.span(),
                    format!("jobs: {:?} is not a valid glob: {e}", glob.get_ref()),
                ));
            }
            jobs.push(anchored);
        }
        let non_empty = |field: &Option<Spanned<String>>, name: &str| match field {
            Some(v) if v.get_ref().is_empty() => Err(at(v.span(), format!("{name} is empty"))),
            Some(v) => Ok(Some(folder.join(v.get_ref()))),
            None => Ok(None),
        };
        let state = non_empty(&raw.state, "state")?;
        let cache = non_empty(&raw.cache, "cache")?.or_else(|| {
            state
                .as_ref()
                .map(|db| db.parent().unwrap_or(Path::new("")).join("cache"))
        });

        let defaults = HistoryConfig::default();
        let max_runs = match &raw.history.max_runs {
            Some(n) if *n.get_ref() == 0 => {
                return Err(at(
                    n.span(),
                    "max_runs must be at least 1 (it is the number of runs kept per job)".into(),
                ))
            }
            Some(n) => usize::try_from(*n.get_ref()).unwrap_or(usize::MAX),
            None => defaults.max_runs,
        };
        let history = HistoryConfig {
            max_age: raw
                .history
                .max_age
                .map_or(defaults.max_age, |d| d.as_duration()),
            max_runs,
        };
        let daemon_defaults = DaemonConfig::default();
        let daemon = DaemonConfig {
            shutdown_grace: raw
                .daemon
                .shutdown_grace
                .map_or(daemon_defaults.shutdown_grace, |d| d.as_duration()),
            reload_interval: raw
                .daemon
                .reload_interval
                .map_or(daemon_defaults.reload_interval, |d| d.as_duration()),
        };

        let throttle = throttle(&raw.throttle, &at)?;
        let dashboard = raw
            .dashboard
            .map(|d| dashboard(d, folder, &at))
            .transpose()?;
        let alerts = raw
            .alerts
            .map(|alerts| crate::alerts::parse_settings(alerts, folder, &at))
            .transpose()?;

        Ok(Config {
            path: path.to_path_buf(),
            canvas: CanvasConfig { origin, token },
            jobs,
            state,
            cache,
            history,
            daemon,
            throttle,
            dashboard,
            alerts,
        })
    }

    /// The manifests the `jobs` globs match now, sorted, without duplicates.
    /// A glob that matches nothing is not an error (the folder may fill
    /// later); an unreadable folder is.
    pub fn manifest_paths(&self) -> Result<Vec<PathBuf>, FileError> {
        let itself = std::fs::canonicalize(&self.path).ok();
        let is_itself = |path: &Path| {
            path.file_name() == self.path.file_name()
                && itself.is_some()
                && std::fs::canonicalize(path).ok() == itself
        };
        let mut found = Vec::new();
        for pattern in &self.jobs {
            let paths = glob::glob(pattern)
                .map_err(|e| FileError::whole(&self.path, format!("jobs: {pattern:?}: {e}")))?;
            for entry in paths {
                let path = entry.map_err(|e| {
                    FileError::whole(
                        &self.path,
                        format!("jobs: cannot read {}", e.path().display()),
                    )
                })?;
                // The config is no manifest (see `jobs_matching_config`).
                if path.is_file() && !is_itself(&path) {
                    found.push(path);
                }
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }

    /// The first `jobs` pattern that matches this config file itself (say
    /// `*.toml` beside it): [`Config::manifest_paths`] skips the file, and
    /// `check`, `next` and `serve` say why. The patterns and the config's
    /// path start from the same folder, so this needs no walk.
    pub fn jobs_matching_config(&self) -> Option<&str> {
        self.jobs
            .iter()
            .find(|p| glob::Pattern::new(p).is_ok_and(|p| p.matches_path(&self.path)))
            .map(String::as_str)
    }

    /// What `check`, `next` and `serve` say when a `jobs` pattern matches
    /// the config file itself.
    pub fn jobs_matching_config_warning(&self) -> Option<String> {
        let pattern = self.jobs_matching_config()?;
        let folder = self.path.parent().unwrap_or(Path::new(""));
        let shown = pattern
            .strip_prefix(&format!("{}/", folder.display()))
            .unwrap_or(pattern);
        Some(format!(
            "{}: `jobs` pattern {shown:?} matches this config file itself, which is not a job manifest, so it is skipped; keep the manifests in a folder of their own, e.g. jobs = [\"jobs/*/job.toml\"]",
            self.path.display()
        ))
    }
}

/// Validates `[dashboard]`.
fn dashboard(
    raw: Spanned<RawDashboard>,
    folder: &Path,
    at: &impl Fn(std::ops::Range<usize>, String) -> FileError,
) -> Result<DashboardConfig, FileError> {
    let table = raw.span();
    let raw = raw.into_inner();
    let listen: std::net::SocketAddr = match &raw.listen {
        Some(text) => text.get_ref().parse().map_err(|_| {
            at(
                text.span(),
                format!(
                    "listen {:?} is not an address and port such as \"127.0.0.1:8080\" or \"[::1]:8080\"",
                    text.get_ref()
                ),
            )
        })?,
        None => DEFAULT_DASHBOARD_LISTEN.parse().expect("a valid address"),
    };
    let admin_token_file = match &raw.admin_token_file {
        Some(file) if file.get_ref().is_empty() => {
            return Err(at(file.span(), "admin_token_file is empty".into()))
        }
        Some(file) => Some(folder.join(file.get_ref())),
        None => None,
    };
    if admin_token_file.is_none() && !listen.ip().is_loopback() {
        let span = raw.listen.as_ref().map_or(table, Spanned::span);
        return Err(at(
            span,
            format!(
                "the dashboard listens on {listen}, which other machines can reach, so it needs admin_token_file = \"/path/to/admin-token\" (a file holding a long random token); there are no default credentials"
            ),
        ));
    }
    let public_url = match &raw.public_url {
        Some(text) => {
            let url = url::Url::parse(text.get_ref())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .filter(|u| u.username().is_empty() && u.password().is_none())
                .filter(|u| u.query().is_none() && u.fragment().is_none())
                .ok_or_else(|| {
                    at(
                        text.span(),
                        format!(
                            "public_url {:?} is not an http(s) URL without credentials, query or fragment, such as \"https://warden.example.edu\"",
                            text.get_ref()
                        ),
                    )
                })?;
            Some(url)
        }
        None => None,
    };
    Ok(DashboardConfig {
        listen,
        admin_token_file,
        public_url,
    })
}

/// The `[canvas]` keys that say where the token comes from.
#[derive(Clone, Copy)]
enum TokenKey {
    Env,
    File,
    Credential,
}

impl TokenKey {
    fn name(self) -> &'static str {
        match self {
            TokenKey::Env => "token_env",
            TokenKey::File => "token_file",
            TokenKey::Credential => "token_credential",
        }
    }
}

/// Where `[canvas]` says the token comes from: exactly one of `token_env`,
/// `token_file` (relative to the config's folder) and `token_credential`.
fn token_source(
    path: &Path,
    canvas_span: std::ops::Range<usize>,
    canvas: RawCanvas,
    at: &impl Fn(std::ops::Range<usize>, String) -> FileError,
) -> Result<TokenSource, FileError> {
    let mut given: Vec<(TokenKey, Spanned<String>)> = [
        (TokenKey::Env, canvas.token_env),
        (TokenKey::File, canvas.token_file),
        (TokenKey::Credential, canvas.token_credential),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value?)))
    .collect();
    // In the order they appear, so the error points at the second.
    given.sort_by_key(|(_, value)| value.span().start);
    let (key, value) = match given.as_slice() {
        [one] => one,
        [] => {
            return Err(at(
                canvas_span,
                "[canvas] needs token_env = \"CANVAS_TOKEN\" (an environment variable), token_file = \"/path/to/token\" or token_credential = \"canvas-token\" (a systemd credential), or a [canvas.oauth] table (a scoped developer key)".into(),
            ))
        }
        [(first, _), (second, value), ..] => {
            return Err(at(
                value.span(),
                format!(
                    "give one of token_env, token_file and token_credential, not both {} and {}",
                    first.name(),
                    second.name()
                ),
            ))
        }
    };
    let text = value.get_ref();
    let problem = |message: String| Err(at(value.span(), message));
    match key {
        TokenKey::Env => {
            let valid =
                !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return problem(format!(
                    "token_env {text:?} is not an environment variable name"
                ));
            }
            Ok(TokenSource::Env(text.clone()))
        }
        TokenKey::File => {
            if text.is_empty() {
                return problem("token_file is empty".into());
            }
            let folder = path.parent().unwrap_or(Path::new(""));
            Ok(TokenSource::File(folder.join(text)))
        }
        TokenKey::Credential => match credential_name_problem(text) {
            Some(why) => problem(format!(
                "token_credential {text:?} {why}: give the NAME of the unit's LoadCredential=NAME:PATH, read from $CREDENTIALS_DIRECTORY/NAME (for a path, use token_file)"
            )),
            None => Ok(TokenSource::Credential(text.clone())),
        },
    }
}

/// Validates `[throttle]`, filling in the defaults.
fn throttle(
    raw: &RawThrottle,
    at: &impl Fn(std::ops::Range<usize>, String) -> FileError,
) -> Result<GovernorSettings, FileError> {
    let d = GovernorSettings::default();
    let value = |field: &Option<Spanned<f64>>, default: f64| {
        field.as_ref().map_or(default, |v| *v.get_ref())
    };
    let span = |field: &Option<Spanned<f64>>| field.as_ref().map_or(0..0, Spanned::span);
    let settings = GovernorSettings {
        enabled: raw.governor.unwrap_or(d.enabled),
        floor: value(&raw.floor, d.floor),
        capacity: value(&raw.capacity, d.capacity),
        refill_per_second: value(&raw.refill_per_second, d.refill_per_second),
        reserve: value(&raw.reserve, d.reserve),
    };
    for (name, field, number, positive) in [
        ("floor", &raw.floor, settings.floor, false),
        ("capacity", &raw.capacity, settings.capacity, true),
        (
            "refill_per_second",
            &raw.refill_per_second,
            settings.refill_per_second,
            true,
        ),
        ("reserve", &raw.reserve, settings.reserve, false),
    ] {
        let valid = number.is_finite() && (number > 0.0 || (!positive && number == 0.0));
        if !valid {
            let least = if positive { "more than 0" } else { "0 or more" };
            return Err(at(
                span(field),
                format!("[throttle] {name} must be a number {least} (Canvas units)"),
            ));
        }
    }
    if settings.floor > 0.0 && settings.floor + settings.reserve > settings.capacity {
        let field = if raw.floor.is_some() {
            &raw.floor
        } else if raw.reserve.is_some() {
            &raw.reserve
        } else {
            &raw.capacity
        };
        return Err(at(
            span(field),
            format!(
                "[throttle] floor ({}) plus reserve ({}) is more than capacity ({}): no request could ever be sent; lower the floor (0 turns the governor off)",
                settings.floor, settings.reserve, settings.capacity
            ),
        ));
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("/etc/warden/warden.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_documented_example_parses() {
        let c = parse(
            "[canvas]\nbase_url = \"https://school.instructure.com\"\ntoken_env = \"CANVAS_TOKEN\"\n",
        )
        .unwrap();
        assert_eq!(c.canvas.origin.as_str(), "https://school.instructure.com");
        assert_eq!(c.canvas.token, TokenSource::Env("CANVAS_TOKEN".into()));
    }

    #[test]
    fn token_file_is_relative_to_the_config() {
        let c = parse(
            "version = 1\n[canvas]\nbase_url = \"http://127.0.0.1:8080\"\ntoken_file = \"secrets/token\"\n",
        )
        .unwrap();
        assert_eq!(
            c.canvas.token,
            TokenSource::File("/etc/warden/secrets/token".into())
        );
    }

    #[test]
    fn token_credential_names_a_systemd_credential() {
        let base = "[canvas]\nbase_url = \"https://a.example\"\n";
        let c = parse(&format!("{base}token_credential = \"canvas-token\"\n")).unwrap();
        assert_eq!(
            c.canvas.token,
            TokenSource::Credential("canvas-token".into())
        );
        assert_eq!(
            c.canvas.token.to_string(),
            "systemd credential canvas-token"
        );

        let e = |extra: &str| parse(&format!("{base}{extra}")).unwrap_err();
        for (name, why) in [
            ("", "is empty"),
            ("/etc/warden/canvas-token", "has a '/'"),
            ("a/b", "has a '/'"),
            (".", "is not a file name"),
            ("..", "is not a file name"),
        ] {
            let err = e(&format!("token_credential = {name:?}\n"));
            let expected = format!(
                "/etc/warden/warden.toml:3:20: token_credential {name:?} {why}: give the NAME of the unit's LoadCredential=NAME:PATH"
            );
            assert!(err.starts_with(&expected), "{err}");
        }
        // Exactly one source; the error points at the second one given.
        for (first, second, column) in [
            ("token_file = \"f\"", "token_credential = \"c\"", 20),
            ("token_credential = \"c\"", "token_env = \"T\"", 13),
        ] {
            let err = e(&format!("{first}\n{second}\n"));
            assert!(err.contains(&format!(":4:{column}: give one of token_env, token_file and token_credential, not both ")), "{err}");
        }
        let err = e("token_credential = \"c\"\ntoken_file = \"f\"\ntoken_env = \"T\"\n");
        assert!(err.ends_with(":4:14: give one of token_env, token_file and token_credential, not both token_credential and token_file"), "{err}");
        let err = e("");
        assert!(err.contains(":1:1: [canvas] needs token_env = \"CANVAS_TOKEN\" (an environment variable), token_file = \"/path/to/token\" or token_credential = \"canvas-token\" (a systemd credential)"), "{err}");
    }

    #[test]
    fn daemon_settings_and_their_defaults() {
        let c = parse(
            "jobs = [\"jobs/*/job.toml\"]\nstate = \"state/warden.db\"\n[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n[history]\nmax_runs = 5\n[daemon]\nshutdown_grace = \"5s\"\n",
        )
        .unwrap();
        assert_eq!(c.jobs, ["/etc/warden/jobs/*/job.toml"]);
        assert_eq!(
            c.state.as_deref(),
            Some(Path::new("/etc/warden/state/warden.db"))
        );
        assert_eq!(
            c.cache.as_deref(),
            Some(Path::new("/etc/warden/state/cache"))
        );
        assert_eq!(c.history.max_runs, 5);
        assert_eq!(c.history.max_age, HistoryConfig::default().max_age);
        assert_eq!(c.daemon.shutdown_grace, Duration::from_secs(5));
        assert_eq!(c.daemon.reload_interval, Duration::from_secs(2));

        let bare =
            parse("[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n").unwrap();
        assert!(bare.jobs.is_empty() && bare.state.is_none() && bare.cache.is_none());
        let e = parse("[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n[history]\nmax_runs = 0\n")
            .unwrap_err();
        assert!(e.contains(":5:12: max_runs must be at least 1"), "{e}");
        let e = parse(
            "jobs = [\"a/[\"]\n[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n",
        )
        .unwrap_err();
        assert!(e.contains(":1:9: jobs: \"a/[\" is not a valid glob"), "{e}");
    }

    #[test]
    fn manifest_paths_expand_the_globs() {
        let dir = std::env::temp_dir().join(format!("warden-config-{}", std::process::id()));
        for job in ["b", "a"] {
            std::fs::create_dir_all(dir.join("jobs").join(job)).unwrap();
            std::fs::write(dir.join("jobs").join(job).join("job.toml"), "").unwrap();
        }
        std::fs::create_dir_all(dir.join("jobs/empty")).unwrap();
        let text = "jobs = [\"jobs/*/job.toml\", \"jobs/a/job.toml\", \"nothing/*.toml\"]\n[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n";
        let c = Config::parse(&dir.join("warden.toml"), text).unwrap();
        let found = c.manifest_paths().unwrap();
        assert_eq!(
            found,
            [dir.join("jobs/a/job.toml"), dir.join("jobs/b/job.toml")]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn throttle_settings_and_their_defaults() {
        let base = "[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n";
        assert_eq!(parse(base).unwrap().throttle, GovernorSettings::CANVAS);
        let c = parse(&format!(
            "{base}[throttle]\nfloor = 5\ncapacity = 20.5\nrefill_per_second = 40\nreserve = 1\n"
        ))
        .unwrap();
        assert_eq!(
            c.throttle,
            GovernorSettings {
                enabled: true,
                floor: 5.0,
                capacity: 20.5,
                refill_per_second: 40.0,
                reserve: 1.0,
            }
        );
        let off = parse(&format!("{base}[throttle]\ngovernor = false\n")).unwrap();
        assert!(!off.throttle.is_active());
        let zero = parse(&format!("{base}[throttle]\nfloor = 0\n")).unwrap();
        assert!(!zero.throttle.is_active());

        let e = |extra: &str| parse(&format!("{base}[throttle]\n{extra}\n")).unwrap_err();
        assert!(e("refill_per_second = 0")
            .contains(":5:21: [throttle] refill_per_second must be a number more than 0"));
        assert!(e("floor = -1").contains(":5:9: [throttle] floor must be a number 0 or more"));
        assert!(e("capacity = nan").contains("capacity must be a number more than 0"));
        assert!(e("floor = 700").contains(
            ":5:9: [throttle] floor (700) plus reserve (50) is more than capacity (700)"
        ));
        assert!(e("capacity = 120").contains("more than capacity (120)"));
        assert!(e("floor = \"high\"").contains("invalid type: string \"high\", expected f64"));
        assert!(e("flor = 1").contains("unknown field `flor`, expected one of `governor`, `floor`"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("[canvas]\nbase_url = \"http://school.example\"\ntoken_env = \"T\"\n")
            .unwrap_err();
        assert!(
            e.starts_with("/etc/warden/warden.toml:2:12: base_url "),
            "{e}"
        );
        let e = parse("[canvas]\nbase_url = \"https://a.example\"\n").unwrap_err();
        assert!(
            e.starts_with("/etc/warden/warden.toml:1:1: [canvas] needs token_env"),
            "{e}"
        );
        let e = parse(
            "[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\ntoken_file = \"f\"\n",
        )
        .unwrap_err();
        assert!(
            e.contains(":4:14: give one of token_env, token_file and token_credential, not both token_env and token_file"),
            "{e}"
        );
        let e = parse("[canvas]\nbase_url = \"https://a.example\"\ntoken = \"abc\"\n").unwrap_err();
        assert!(e.contains(":3:1: unknown field `token`, expected one of `base_url`, `token_env`, `token_file`, `token_credential`"), "{e}");
        let e =
            parse("version = 3\n[canvas]\nbase_url = \"https://a.example\"\ntoken_env = \"T\"\n")
                .unwrap_err();
        assert!(e.contains(":1:11: unsupported version 3"), "{e}");
    }
}
