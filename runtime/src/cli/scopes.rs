//! `warden scopes explain|suggest|unused|diff`: least privilege.

use super::out::outln;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use warden::config::Config;
use warden::history::{History, RequestRow, RunRow};
use warden::manifest::Manifest;
use warden::privilege::Change;
use warden::privilege::{self, Request, Skip};
use warden::scope::{Method, Scope};

/// `warden scopes explain <METHOD> <path>`: the Canvas scopes that allow
/// the request, narrowest first, one a line; exit 1 when none does.
pub fn explain(method: &str, path: &str) -> Result<ExitCode> {
    let method: Method = method.to_ascii_uppercase().parse()?;
    let Some(path) = privilege::request_path(path) else {
        bail!("{path:?} is not a request path; give one starting with '/', e.g. /api/v1/courses/42/enrollments");
    };
    if let Err(refusal) = warden::request::check_path(path) {
        eprintln!("Warden refuses {method} {path} before any scope check: {refusal}");
        return Ok(ExitCode::from(1));
    }
    let scopes = privilege::explain(method, path);
    if scopes.is_empty() {
        eprintln!("no Canvas scope allows {method} {path}");
        return Ok(ExitCode::from(1));
    }
    for scope in scopes {
        outln!("{scope}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The recent runs of a job and their requests.
struct Audit {
    runs: Vec<RunRow>,
    requests: Vec<RequestRow>,
}

fn audit(config: &Config, job: &str, runs: usize) -> Result<Audit> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let history = super::history::open(config)?;
    let rows = history.runs(Some(job), runs)?;
    if rows.is_empty() {
        bail!(
            "no recorded runs of job {job:?} in {}; run it first (`warden run` or `warden serve`)",
            history.path().display()
        );
    }
    let requests = requests_of(&history, &rows)?;
    Ok(Audit {
        runs: rows,
        requests,
    })
}

fn requests_of(history: &History, runs: &[RunRow]) -> Result<Vec<RequestRow>> {
    let mut all = Vec::new();
    for run in runs {
        all.extend(history.requests(&run.run_id)?);
    }
    Ok(all)
}

/// `warden scopes suggest <job> [--runs N]`: the fewest Canvas scopes that
/// allow every request of the job's recent runs, denied ones included, as
/// a TOML snippet.
pub fn suggest(config: Option<&Path>, job: &str, runs: usize) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let audit = audit(&config, job, runs)?;
    let mut requests: Vec<Request> = Vec::new();
    let mut denied: HashSet<Request> = HashSet::new();
    let mut denied_rows = 0;
    let mut skipped: BTreeMap<Skip, usize> = BTreeMap::new();
    for row in &audit.requests {
        match privilege::audited(&row.method, &row.target, &row.outcome) {
            Ok((request, was_denied)) => {
                if was_denied {
                    denied_rows += 1;
                    denied.insert(request.clone());
                }
                requests.push(request);
            }
            Err(skip) => *skipped.entry(skip).or_default() += 1,
        }
    }
    let suggestion = privilege::suggest(&requests);
    let manifest = find_manifest(&config, job).ok();

    outln!(
        "# Canvas scopes for job {job:?}: the fewest that allow every request of its last {} run(s)",
        audit.runs.len()
    );
    outln!(
        "# ({} request(s), {} of them denied; {} distinct).",
        requests.len(),
        denied_rows,
        suggestion.distinct
    );
    for (skip, count) in &skipped {
        outln!("# Skipped {count} request(s): {}.", skip.reason());
    }
    if !suggestion.proven_minimal {
        outln!(
            "# The search for a smaller set ran out of steps; this set may not be the smallest."
        );
    }
    if let Some(m) = &manifest {
        outln!("# Paste into [canvas] of {}:", m.path.display());
    }
    let snippet = suggestion.toml(&denied, manifest.as_ref().map(|m| &m.scopes));
    outln!("{}", snippet.trim_end());
    Ok(ExitCode::SUCCESS)
}

/// `warden scopes unused <job> [--runs N]`: the manifest's scopes that no
/// request of the job's recent runs used.
pub fn unused(config: Option<&Path>, job: &str, runs: usize) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let manifest = find_manifest(&config, job)?;
    let audit = audit(&config, job, runs)?;
    let used = audit.requests.iter().filter_map(|r| r.scope.as_deref());
    let unused = privilege::unused(&manifest.scopes, used);
    outln!(
        "# job {job:?} ({}): {} of {} scope(s) unused in its last {} run(s) ({} request(s))",
        manifest.path.display(),
        unused.len(),
        manifest.scopes.len(),
        audit.runs.len(),
        audit.requests.len()
    );
    for scope in unused {
        outln!("{scope}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The manifest among the config's `jobs` whose job has this name.
fn find_manifest(config: &Config, job: &str) -> Result<Manifest> {
    let mut unreadable = Vec::new();
    for path in config.manifest_paths()? {
        match Manifest::load(&path) {
            Ok(m) if m.name.as_str() == job => return Ok(m),
            Ok(_) => {}
            Err(e) => unreadable.push(e.to_string()),
        }
    }
    let mut message = format!(
        "no manifest of {} (`jobs`) names job {job:?}",
        config.path.display()
    );
    if !unreadable.is_empty() {
        message.push_str(&format!("; these did not load: {}", unreadable.join("; ")));
    }
    bail!(message)
}

/// `warden scopes diff <old.toml> [new.toml]`: what the change grants or
/// takes away. With one file, the old version is the file in git's HEAD.
pub fn diff(old: &Path, new: Option<&Path>, config: Option<&Path>) -> Result<ExitCode> {
    let (old_manifest, new_manifest, old_name) = match new {
        Some(new) => (
            Manifest::load(old)?,
            Manifest::load(new)?,
            old.display().to_string(),
        ),
        None => {
            let text = git_head_version(old)?;
            let before = Manifest::parse(old, &text)
                .map_err(|e| anyhow::anyhow!("the HEAD version of {}: {e}", old.display()))?;
            (
                before,
                Manifest::load(old)?,
                format!("HEAD:{}", old.display()),
            )
        }
    };
    let new_name = new.unwrap_or(old).display().to_string();
    let diff = privilege::diff(&old_manifest, &new_manifest);
    outln!("# {old_name} -> {new_name}");
    if diff.is_empty() {
        outln!("# no change to what the job may do");
        return Ok(ExitCode::SUCCESS);
    }
    let config = diff_config(config)?;
    let authorization = config
        .as_ref()
        .and_then(super::authorization::Authorization::of);
    let authorized = authorization.as_ref().map(|a| a.authorized());
    let mut reauthorize = 0;
    for change in &diff.changes {
        let needs_login = match (change, &authorized) {
            (Change::ScopeAdded { scope, .. }, Some(authorized)) => scope
                .parse::<Scope>()
                .map(|s| !authorized.holds(&s))
                .unwrap_or(false),
            _ => false,
        };
        if needs_login {
            reauthorize += 1;
            outln!("{change} (needs a new Canvas authorization: the [canvas.oauth] token does not hold it; run `warden auth login` after the change)");
        } else {
            outln!("{change}");
        }
    }
    let (grants, removes) = diff.counts();
    outln!(
        "# {grants} grant(s) added, {removes} taken away, {} other change(s)",
        diff.changes.len() - grants - removes
    );
    if reauthorize > 0 {
        outln!(
            "# {reauthorize} added scope(s) need a new Canvas authorization (`warden auth login`) before the job can use them"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The config whose authorization `diff` compares with: the one named, or
/// ./warden.toml when it exists and loads (otherwise none: a diff of two
/// manifests needs no config).
fn diff_config(path: Option<&Path>) -> Result<Option<Config>> {
    match path {
        Some(path) => Ok(Some(super::load_config(Some(path))?)),
        None => {
            let default = Path::new("warden.toml");
            Ok(default
                .exists()
                .then(|| Config::load(default).ok())
                .flatten())
        }
    }
}

/// The text of `path` in git's HEAD, read with `git show` in its folder.
fn git_head_version(path: &Path) -> Result<String> {
    let Some(name) = path.file_name() else {
        bail!("{} is not a file", path.display());
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let spec = format!("HEAD:./{}", name.to_string_lossy());
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&folder)
        .args(["show", &spec])
        .output()
        .with_context(|| {
            format!(
                "cannot run git to read the HEAD version of {}; give the old version as a file: warden scopes diff <old.toml> <new.toml>",
                path.display()
            )
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        if stderr.contains("not a git repository") {
            bail!(
                "{} is not in a git repository; give the old version as a file: warden scopes diff <old.toml> <new.toml>",
                path.display()
            );
        }
        bail!(
            "cannot read the HEAD version of {} with git ({first}); give the old version as a file: warden scopes diff <old.toml> <new.toml>",
            path.display()
        );
    }
    String::from_utf8(out.stdout)
        .with_context(|| format!("the HEAD version of {} is not UTF-8", path.display()))
}
