//! The job manifest, `job.toml`: what a job is, which Canvas endpoints it may
//! call, its limits and its configuration. Strict: unknown fields, bad values
//! and unsupported versions are errors naming the file, line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::catalog;
use crate::diag::FileError;
use crate::schedule::{Schedule, TimeZone};
use crate::scope::{Scope, ScopeSet};
use crate::units::{ByteSize, DurationSpec};

/// The manifest and config format version this Warden reads.
pub const FORMAT_VERSION: u32 = 1;

/// The `version` field of a manifest or config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatVersion;

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        if v == i64::from(FORMAT_VERSION) {
            Ok(FormatVersion)
        } else {
            Err(D::Error::custom(format!(
                "unsupported version {v}; this Warden reads version {FORMAT_VERSION}"
            )))
        }
    }
}

/// A job's name: 1–64 characters, lower-case letters, digits and `-`,
/// starting with a letter (it names runs, logs and files).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobName(String);

impl JobName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for JobName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let valid = (1..=64).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(JobName(text.to_string()))
        } else {
            Err(format!(
                "invalid job name {text:?}; use 1 to 64 lower-case letters, digits and '-', starting with a letter, e.g. \"unpublished-courses\""
            ))
        }
    }
}

impl fmt::Display for JobName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of an environment variable given to the job.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvKey(String);

impl EnvKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for EnvKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let valid = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!(
                "invalid environment variable name {text:?}; use letters, digits and '_', not starting with a digit"
            ));
        }
        if text.to_ascii_uppercase().starts_with("WARDEN_") {
            return Err(format!(
                "environment variable {text:?} is reserved: Warden sets WARDEN_JOB and WARDEN_RUN_ID itself"
            ));
        }
        Ok(EnvKey(text.to_string()))
    }
}

deserialize_from_str!(JobName, EnvKey);

/// A value of `[env]`: a string. Anything else is refused with the quoted
/// form to write instead (TOML reads `ACCOUNT_ID = 1` as a number).
struct EnvValue(String);

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;

        fn quote<E: serde::de::Error>(what: &str, written: impl std::fmt::Display) -> E {
            E::custom(format!(
                "{written} is {what}, but [env] values are strings (a job reads its environment as text): quote it, \"{written}\""
            ))
        }

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = EnvValue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string in quotes")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue(v.to_string()))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<EnvValue, E> {
                Ok(EnvValue(v))
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Err(quote("a number", v))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Err(quote("a number", v))
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Err(quote("a number", v))
            }

            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Err(quote("a boolean", v))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<EnvValue, A::Error> {
                Err(serde::de::Error::custom(
                    "a list; [env] values are strings: join the items into one string (e.g. \"1,2,3\") and split it in the job",
                ))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<EnvValue, A::Error> {
                // TOML dates and times arrive as a one-entry map.
                Err(serde::de::Error::custom(
                    "a table, date or time; [env] values are strings: put the value in quotes",
                ))
            }
        }

        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[allow(dead_code)]
    version: FormatVersion,
    job: RawJob,
    canvas: RawCanvas,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    env: BTreeMap<EnvKey, EnvValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    name: JobName,
    description: Option<String>,
    component: Spanned<String>,
    schedule: Option<Schedule>,
    timezone: Option<TimeZone>,
    #[serde(default)]
    concurrency: Concurrency,
    #[serde(default)]
    catch_up: Option<Spanned<CatchUpMode>>,
    starting_deadline: Option<Spanned<DurationSpec>>,
    jitter: Option<DurationSpec>,
    #[serde(default)]
    suspend: bool,
    retry: Option<Retry>,
    #[serde(default)]
    dry_run: bool,
    sha256: Option<Spanned<String>>,
}

/// What a firing does while the job's previous run is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Concurrency {
    /// Skip the firing and record it as skipped.
    #[default]
    Forbid,
    /// Start another run alongside.
    Allow,
    /// Cancel the running run and start a new one.
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum CatchUpMode {
    None,
    Latest,
}

/// What happens to firings missed while the daemon was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatchUp {
    /// They are dropped.
    #[default]
    None,
    /// The most recent one runs once, if it is no older than the deadline
    /// (any age when there is none).
    Latest { deadline: Option<Duration> },
}

/// Retrying a failed run: up to `attempts` more runs, the first after
/// `backoff`, each following one after twice the previous wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    pub attempts: u32,
    #[serde(deserialize_with = "duration")]
    pub backoff: Duration,
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    DurationSpec::deserialize(d).map(|d| d.as_duration())
}

/// When and how the scheduler fires a job (`[job]` fields besides
/// `schedule` and `timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Firing {
    pub concurrency: Concurrency,
    pub catch_up: CatchUp,
    /// A random delay up to this bound before each scheduled run.
    pub jitter: Option<Duration>,
    /// Loaded and checked, but not fired.
    pub suspend: bool,
    pub retry: Option<Retry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCanvas {
    // Parsed after deserializing, so that an error points at the one bad
    // string rather than at the whole array.
    scopes: Vec<Spanned<String>>,
    #[serde(default)]
    masquerade: bool,
    #[serde(default)]
    params: BTreeMap<String, Spanned<Vec<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    timeout: Option<Spanned<DurationSpec>>,
    memory: Option<Spanned<ByteSize>>,
    max_requests: Option<Spanned<u64>>,
    request_timeout: Option<Spanned<DurationSpec>>,
    max_response_bytes: Option<Spanned<ByteSize>>,
}

/// What one run of a job may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline for the whole run, host calls included.
    pub timeout: Duration,
    /// Cap on the job's linear memory, in bytes.
    pub memory: u64,
    /// Canvas requests one run may send.
    pub max_requests: u64,
    /// Longest wait for one Canvas answer (throttle retries included).
    pub request_timeout: Duration,
    /// Response bytes one run may receive, all requests together.
    pub max_response_bytes: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        timeout: Duration::from_secs(5 * 60),
        memory: 64 << 20,
        max_requests: 10_000,
        request_timeout: Duration::from_secs(60),
        max_response_bytes: 1 << 30,
    };
    const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
    const MIN_MEMORY: u64 = 1 << 20;
    const MAX_MEMORY: u64 = 4 << 30;
    const MAX_REQUESTS: u64 = 10_000_000;
}

/// Validates `[limits]`, filling in the defaults.
fn limits(
    raw: &RawLimits,
    at: &impl Fn(std::ops::Range<usize>, String) -> FileError,
) -> Result<Limits, FileError> {
    let d = Limits::DEFAULT;
    let timeout = raw
        .timeout
        .as_ref()
        .map_or(d.timeout, |t| t.get_ref().as_duration());
    let limits = Limits {
        timeout,
        memory: raw
            .memory
            .as_ref()
            .map_or(d.memory, |m| m.get_ref().as_u64()),
        max_requests: raw
            .max_requests
            .as_ref()
            .map_or(d.max_requests, |n| *n.get_ref()),
        // Unset, a request may take up to a minute, but never longer than the run.
        request_timeout: raw
            .request_timeout
            .as_ref()
            .map_or(d.request_timeout.min(timeout), |t| {
                t.get_ref().as_duration()
            }),
        max_response_bytes: raw
            .max_response_bytes
            .as_ref()
            .map_or(d.max_response_bytes, |b| b.get_ref().as_u64()),
    };
    let span = |field: Option<std::ops::Range<usize>>| field.unwrap_or(0..0);
    if limits.timeout > Limits::MAX_TIMEOUT {
        let s = span(raw.timeout.as_ref().map(Spanned::span));
        return Err(at(s, "timeout is longer than the maximum of 24h".into()));
    }
    if !(Limits::MIN_MEMORY..=Limits::MAX_MEMORY).contains(&limits.memory) {
        return Err(at(
            span(raw.memory.as_ref().map(Spanned::span)),
            "memory must be between 1MiB and 4GiB (the most a 32-bit WebAssembly memory can hold)"
                .into(),
        ));
    }
    if limits.max_requests > Limits::MAX_REQUESTS {
        return Err(at(
            span(raw.max_requests.as_ref().map(Spanned::span)),
            format!("max_requests must be at most {}", Limits::MAX_REQUESTS),
        ));
    }
    if limits.request_timeout > limits.timeout {
        let s = span(raw.request_timeout.as_ref().map(Spanned::span));
        return Err(at(
            s,
            "request_timeout is longer than the run's timeout".into(),
        ));
    }
    Ok(limits)
}

/// A parsed, validated job manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file, as given.
    pub path: PathBuf,
    pub name: JobName,
    pub description: Option<String>,
    /// The component file, resolved against the manifest's folder.
    pub component: PathBuf,
    /// Line and column of `[job] component`, for errors found when loading it.
    pub component_position: (usize, usize),
    pub schedule: Option<Schedule>,
    pub timezone: TimeZone,
    pub firing: Firing,
    /// Writes are checked and recorded but not sent.
    pub dry_run: bool,
    /// The SHA-256 (hex) the component must have, when pinned.
    pub sha256: Option<String>,
    pub scopes: ScopeSet,
    /// The line of each scope in the manifest, in the order of `scopes`.
    pub scope_lines: Vec<usize>,
    /// `[canvas.params]`: path parameters restricted to listed values, by
    /// parameter name (`account_id = ["1"]`).
    pub params: crate::request::ParamLimits,
    /// Whether requests may carry `as_user_id`.
    pub masquerade: bool,
    pub limits: Limits,
    /// `[env]`: the only environment the job sees, besides WARDEN_JOB and WARDEN_RUN_ID.
    pub env: BTreeMap<String, String>,
    warnings: Vec<FileError>,
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Manifest, FileError> {
        let text = std::fs::read_to_string(path).map_err(|e| FileError::io(path, &e))?;
        Manifest::parse(path, &text)
    }

    /// Validates manifest text; `path` names it in errors and anchors the
    /// component path.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, FileError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| FileError::toml(path, text, &e))?;
        let at = |span: std::ops::Range<usize>, msg: String| FileError::at(path, text, span, msg);

        let component_text = raw.job.component.get_ref();
        if component_text.trim().is_empty() {
            return Err(at(
                raw.job.component.span(),
                "component is empty; give the path of the job's .wasm file, relative to this manifest".into(),
            ));
        }
        let folder = path.parent().unwrap_or(Path::new(""));
        let component = folder.join(component_text);
        let component_position = FileError::at(path, text, raw.job.component.span(), "")
            .position
            .unwrap_or((1, 1));

        let limits = limits(&raw.limits, &at)?;

        let catch_up = match (raw.job.catch_up, raw.job.starting_deadline) {
            (Some(mode), deadline) if *mode.get_ref() == CatchUpMode::Latest => CatchUp::Latest {
                deadline: deadline.map(|d| d.get_ref().as_duration()),
            },
            (_, Some(deadline)) => {
                return Err(at(
                    deadline.span(),
                    "starting_deadline applies only with catch_up = \"latest\"".into(),
                ))
            }
            _ => CatchUp::None,
        };
        if let Some(retry) = &raw.job.retry {
            if retry.attempts > 100 {
                return Err(FileError::whole(
                    path,
                    "[job] retry: attempts must be at most 100".to_string(),
                ));
            }
        }
        let firing = Firing {
            concurrency: raw.job.concurrency,
            catch_up,
            jitter: raw.job.jitter.map(|j| j.as_duration()),
            suspend: raw.job.suspend,
            retry: raw.job.retry.filter(|r| r.attempts > 0),
        };

        let sha256 = match raw.job.sha256 {
            Some(pin) => {
                let hex = pin.get_ref();
                if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(at(
                        pin.span(),
                        "sha256 must be 64 lower-case hex digits; `warden pin <job.toml>` writes it".into(),
                    ));
                }
                Some(hex.clone())
            }
            None => None,
        };

        let mut warnings = Vec::new();
        let mut scopes: Vec<Scope> = Vec::new();
        let mut scope_lines: Vec<usize> = Vec::new();
        for entry in raw.canvas.scopes {
            let span = entry.span();
            let line = text.get(..span.start).unwrap_or("").matches('\n').count() + 1;
            let scope: Scope = entry
                .get_ref()
                .parse()
                .map_err(|e: crate::scope::ScopeError| at(span.clone(), e.to_string()))?;
            if scopes.contains(&scope) {
                warnings.push(at(
                    span,
                    format!("scope {:?} is listed twice", scope.as_str()),
                ));
                continue;
            }
            if !catalog::is_canvas_scope(scope.as_str()) {
                let hint = match catalog::closest(scope.as_str()) {
                    Some(real) => format!("; did you mean {real:?}?"),
                    None => String::new(),
                };
                warnings.push(at(
                    span,
                    format!(
                        "scope {:?} is not one of the scopes Canvas defines (it is used as written, but a Canvas developer key could not grant it){hint}",
                        scope.as_str()
                    ),
                ));
            }
            scopes.push(scope);
            scope_lines.push(line);
        }

        let mut params = BTreeMap::new();
        for (name, values) in raw.canvas.params {
            let span = values.span();
            let valid_name = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid_name {
                return Err(at(
                    span,
                    format!("[canvas.params] {name:?} is not a scope parameter name; use the name after ':' in a scope, e.g. account_id"),
                ));
            }
            let values = values.into_inner();
            if values.is_empty() || values.iter().any(|v| v.is_empty() || v.contains('/')) {
                return Err(at(
                    span,
                    format!("[canvas.params] {name}: list one or more values, each one path segment, e.g. [\"1\", \"sis_account_id:ARTS\"]"),
                ));
            }
            let named = |glob: bool| {
                scopes
                    .iter()
                    .any(|s| s.vars().iter().any(|v| v.glob == glob && *v.name == *name))
            };
            if !named(false) {
                let glob = if named(true) {
                    format!(" (*{name} is a glob, which cannot be restricted)")
                } else {
                    String::new()
                };
                warnings.push(at(
                    span,
                    format!("[canvas.params] {name}: no scope of this manifest has a :{name} parameter, so it restricts nothing{glob}"),
                ));
            }
            params.insert(name, values);
        }

        Ok(Manifest {
            path: path.to_path_buf(),
            name: raw.job.name,
            description: raw.job.description,
            component,
            component_position,
            schedule: raw.job.schedule,
            timezone: raw.job.timezone.unwrap_or_default(),
            firing,
            dry_run: raw.job.dry_run,
            sha256,
            scopes: ScopeSet::new(scopes),
            scope_lines,
            params,
            masquerade: raw.canvas.masquerade,
            limits,
            env: raw
                .env
                .into_iter()
                .map(|(k, v)| (k.as_str().to_string(), v.0))
                .collect(),
            warnings,
        })
    }

    /// Things that are allowed but probably wrong, each with its position.
    pub fn warnings(&self) -> &[FileError] {
        &self.warnings
    }

    /// An error about the component file, pointing at `[job] component`.
    pub fn component_error(&self, message: impl Into<String>) -> FileError {
        FileError {
            path: self.path.display().to_string(),
            position: Some(self.component_position),
            message: message.into(),
        }
    }

    /// `schedule "0 6 * * MON" in America/New_York`, `suspended` or `no
    /// schedule`, for `check` and the daemon's log.
    pub fn schedule_summary(&self) -> String {
        match (&self.schedule, self.firing.suspend) {
            (Some(s), false) => format!("schedule {:?} in {}", s.as_str(), self.timezone),
            (Some(_), true) => "suspended".to_string(),
            (None, _) => "no schedule".to_string(),
        }
    }

    /// Checks a loaded component's SHA-256 (hex) against `[job] sha256`, if
    /// the manifest pins one: its scopes are granted to that build only.
    pub fn check_pin(&self, actual: &str) -> Result<(), FileError> {
        match &self.sha256 {
            Some(pinned) if pinned != actual => Err(self.component_error(format!(
                "component {} has sha256 {actual}, but the manifest pins {pinned}: its scopes are granted to that build only; review the new build, then run `warden pin {}`",
                self.component.display(),
                self.path.display()
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
version = 1
[job]
name = "unpublished-courses"
description = "Lists the unpublished courses of an account"
component = "unpublished_courses.wasm"
schedule = "0 6 * * MON"
timezone = "America/New_York"
[canvas]
scopes = ["url:GET|/api/v1/accounts/:account_id/courses"]
masquerade = false
[limits]
timeout = "5m"
memory = "64MiB"
max_requests = 10000
[env]
ACCOUNT_ID = "1"
"#;

    fn parse(text: &str) -> Result<Manifest, String> {
        Manifest::parse(Path::new("jobs/x/job.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_documented_example_parses() {
        let m = parse(GOOD).unwrap();
        assert_eq!(m.name.as_str(), "unpublished-courses");
        assert_eq!(m.component, Path::new("jobs/x/unpublished_courses.wasm"));
        assert_eq!(m.component_position, (6, 13));
        assert_eq!(m.timezone.to_string(), "America/New_York");
        assert_eq!(m.schedule.as_ref().unwrap().as_str(), "0 6 * * MON");
        assert_eq!(m.scopes.len(), 1);
        assert_eq!(m.limits.timeout, Duration::from_secs(300));
        assert_eq!(m.limits.memory, 64 << 20);
        assert_eq!(m.env["ACCOUNT_ID"], "1");
        assert!(m.warnings().is_empty());
    }

    #[test]
    fn defaults_apply() {
        let m = parse(
            "version = 1\n[job]\nname = \"a\"\ncomponent = \"a.wasm\"\n[canvas]\nscopes = []\n",
        )
        .unwrap();
        assert_eq!(m.limits, Limits::DEFAULT);
        assert_eq!(m.timezone, TimeZone::UTC);
        assert!(!m.masquerade);
        assert!(m.schedule.is_none());
        assert!(m.env.is_empty());
    }

    #[test]
    fn firing_policies() {
        let m = parse(&GOOD.replace(
            "timezone = \"America/New_York\"",
            "timezone = \"America/New_York\"\nconcurrency = \"replace\"\ncatch_up = \"latest\"\nstarting_deadline = \"2h\"\njitter = \"30s\"\nsuspend = true\nretry = { attempts = 2, backoff = \"1m\" }",
        ))
        .unwrap();
        assert_eq!(
            m.firing,
            Firing {
                concurrency: Concurrency::Replace,
                catch_up: CatchUp::Latest {
                    deadline: Some(Duration::from_secs(7200))
                },
                jitter: Some(Duration::from_secs(30)),
                suspend: true,
                retry: Some(Retry {
                    attempts: 2,
                    backoff: Duration::from_secs(60)
                }),
            }
        );
        assert_eq!(parse(GOOD).unwrap().firing, Firing::default());
        let e = |extra: &str| {
            parse(&GOOD.replace(
                "timezone = \"America/New_York\"",
                &format!("timezone = \"America/New_York\"\n{extra}"),
            ))
            .unwrap_err()
        };
        assert!(e("concurrency = \"queue\"")
            .contains("unknown variant `queue`, expected one of `forbid`, `allow`, `replace`"));
        assert!(e("starting_deadline = \"1h\"")
            .contains(":9:21: starting_deadline applies only with catch_up = \"latest\""));
        assert!(e("retry = { attempts = 2 }").contains("missing field `backoff`"));
        assert!(e("retry = { attempts = 2, backoff = \"soon\" }").contains("invalid duration"));
    }

    #[test]
    fn a_pin_refuses_any_other_build() {
        let pin = "b".repeat(64);
        let m = parse(&GOOD.replace(
            "timezone = \"America/New_York\"",
            &format!("timezone = \"America/New_York\"\nsha256 = \"{pin}\""),
        ))
        .unwrap();
        assert!(m.check_pin(&pin).is_ok());
        let e = m.check_pin(&"c".repeat(64)).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "jobs/x/job.toml:6:13: component jobs/x/unpublished_courses.wasm has sha256 ccc"
            ),
            "{e}"
        );
        assert!(e.contains("but the manifest pins bbb"), "{e}");
        assert!(e.ends_with("run `warden pin jobs/x/job.toml`"), "{e}");
        assert!(
            parse(GOOD).unwrap().check_pin(&"c".repeat(64)).is_ok(),
            "unpinned: anything goes"
        );
    }

    #[test]
    fn limits_pin_dry_run_and_params() {
        let m = parse(&GOOD.replace(
            "max_requests = 10000",
            "max_requests = 10000\nrequest_timeout = \"20s\"\nmax_response_bytes = \"8MiB\"",
        ))
        .unwrap();
        assert_eq!(m.limits.request_timeout, Duration::from_secs(20));
        assert_eq!(m.limits.max_response_bytes, 8 << 20);
        assert!(!m.dry_run && m.sha256.is_none() && m.params.is_empty());
        assert_eq!(
            parse(GOOD).unwrap().limits.request_timeout,
            Limits::DEFAULT.request_timeout
        );
        let short = parse(&GOOD.replace("timeout = \"5m\"", "timeout = \"2s\"")).unwrap();
        assert_eq!(short.limits.request_timeout, Duration::from_secs(2));

        let pin = "a".repeat(64);
        let m = parse(&GOOD.replace(
            "timezone = \"America/New_York\"",
            &format!("timezone = \"America/New_York\"\ndry_run = true\nsha256 = \"{pin}\""),
        ).replace("masquerade = false", "masquerade = false\n[canvas.params]\naccount_id = [\"1\", \"sis_account_id:ARTS\"]"))
        .unwrap();
        assert!(m.dry_run);
        assert_eq!(m.sha256.as_deref(), Some(pin.as_str()));
        assert_eq!(m.params["account_id"], ["1", "sis_account_id:ARTS"]);
        assert!(m.warnings().is_empty(), "{:?}", m.warnings());

        let e = |from: &str, to: &str| parse(&GOOD.replace(from, to)).unwrap_err();
        assert!(e("timezone = \"America/New_York\"", "sha256 = \"ABC\"")
            .contains("64 lower-case hex digits"));
        assert!(e("max_requests = 10000", "request_timeout = \"10m\"")
            .contains("longer than the run's timeout"));
        assert!(e("masquerade = false", "[canvas.params]\naccount_id = []")
            .contains("one or more values"));
        assert!(e(
            "masquerade = false",
            "[canvas.params]\naccount_id = [\"1/2\"]"
        )
        .contains("one path segment"));
        assert!(
            e("masquerade = false", "[canvas.params]\nAccount = [\"1\"]")
                .contains("not a scope parameter name")
        );
        let m = parse(&GOOD.replace("masquerade = false", "[canvas.params]\ncourse_id = [\"1\"]"))
            .unwrap();
        assert!(m.warnings()[0]
            .to_string()
            .contains("no scope of this manifest has a :course_id parameter"));
        let m = parse(
            &GOOD
                .replace(
                    "url:GET|/api/v1/accounts/:account_id/courses",
                    "url:GET|/api/v1/groups/:group_id/folders/by_path/*full_path",
                )
                .replace(
                    "masquerade = false",
                    "[canvas.params]\nfull_path = [\"a\"]\ngroup_id = [\"1\"]",
                ),
        )
        .unwrap();
        assert_eq!(m.warnings().len(), 1, "{:?}", m.warnings());
        assert!(m.warnings()[0]
            .to_string()
            .ends_with("restricts nothing (*full_path is a glob, which cannot be restricted)"));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let bad = GOOD.replace("max_requests = 10000", "max_request = 10000");
        let e = parse(&bad).unwrap_err();
        assert!(e.starts_with("jobs/x/job.toml:15:1: unknown field `max_request`, expected one of `timeout`, `memory`, `max_requests`"), "{e}");
    }

    #[test]
    fn each_value_is_validated() {
        let cases = [
            (
                "version = 1",
                "version = 2",
                "unsupported version 2; this Warden reads version 1",
            ),
            (
                "\"unpublished-courses\"",
                "\"Unpublished Courses\"",
                "invalid job name",
            ),
            ("\"0 6 * * MON\"", "\"0 6 * *\"", "invalid cron expression"),
            (
                "\"America/New_York\"",
                "\"America/Nowhere\"",
                "unknown time zone",
            ),
            (
                "\"url:GET|/api/v1/accounts/:account_id/courses\"",
                "\"url:GET|api/v1/courses\"",
                "scope",
            ),
            ("\"5m\"", "\"5 minutes\"", "invalid duration"),
            ("\"64MiB\"", "\"64\"", "invalid size"),
            (
                "\"64MiB\"",
                "\"8GiB\"",
                "memory must be between 1MiB and 4GiB",
            ),
            (
                "ACCOUNT_ID = \"1\"",
                "ACCOUNT_ID = 1",
                "1 is a number, but [env] values are strings (a job reads its environment as text): quote it, \"1\"",
            ),
            (
                "ACCOUNT_ID = \"1\"",
                "ACCOUNT_ID = [1, 2]",
                "a list; [env] values are strings",
            ),
            (
                "ACCOUNT_ID = \"1\"",
                "ACCOUNT_ID = 2026-01-01",
                "a table, date or time; [env] values are strings",
            ),
            ("ACCOUNT_ID = \"1\"", "WARDEN_JOB = \"x\"", "is reserved"),
            (
                "masquerade = false",
                "masquerade = \"no\"",
                "expected a boolean",
            ),
            (
                "component = \"unpublished_courses.wasm\"",
                "component = \"\"",
                "component is empty",
            ),
        ];
        for (from, to, expected) in cases {
            let e = parse(&GOOD.replace(from, to)).unwrap_err();
            assert!(e.contains(expected), "{to}: {e}");
            assert!(e.starts_with("jobs/x/job.toml:"), "{e}");
        }
    }

    #[test]
    fn unknown_and_duplicate_scopes_warn() {
        let text = GOOD.replace(
            "scopes = [\"url:GET|/api/v1/accounts/:account_id/courses\"]",
            "scopes = [\"url:GET|/api/v1/accounts/:id/courses\", \"url:GET|/api/v1/accounts/:id/courses\"]",
        );
        let m = parse(&text).unwrap();
        let warnings: Vec<String> = m.warnings().iter().map(|w| w.to_string()).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("not one of the scopes Canvas defines"));
        assert!(
            warnings[0].ends_with("did you mean \"url:GET|/api/v1/accounts/:account_id/courses\"?"),
            "{}",
            warnings[0]
        );
        assert!(warnings[1].contains("listed twice"));
        assert_eq!(m.scopes.len(), 1);
    }
}
