//! What `warden check` and `warden scopes diff` say about a `[canvas.oauth]`
//! credential: the job scopes the stored authorization lacks, and include
//! parameters a key without "Allow Include Parameters" would drop.

use std::path::Path;

use warden::config::Config;
use warden::history::History;
use warden::manifest::Manifest;
use warden::oauth::coverage::{uses_include_params, Authorized};
use warden::oauth::store::{self, AuthStatus};
use warden::oauth::OAuthSettings;

/// How many recent runs of a job `warden check` looks at for include[].
const RECENT_RUNS: usize = 20;

/// The config's OAuth credential and what its last login stored.
pub(super) struct Authorization<'a> {
    config: &'a Path,
    settings: &'a OAuthSettings,
    /// None: no login yet (or the status file is unreadable; `problem` says).
    status: Option<AuthStatus>,
    problem: Option<String>,
    /// The run history, opened once for every job's include[] check (only
    /// with `include_parameters = false`).
    history: Option<History>,
}

impl<'a> Authorization<'a> {
    /// None when the config's credential is not `[canvas.oauth]`.
    pub(super) fn of(config: &'a Config) -> Option<Authorization<'a>> {
        let settings = config.canvas.token.oauth()?.settings();
        let file = settings.status_file();
        let (status, problem) = match store::read_status(&file) {
            Ok(Some(status)) if status.client_id != settings.client_id => {
                let problem = format!(
                    "[canvas.oauth]: the stored authorization ({}) is for developer key {}, not {}; run `warden auth login --config {}`",
                    file.display(),
                    status.client_id,
                    settings.client_id,
                    config.path.display()
                );
                (None, Some(problem))
            }
            Ok(Some(status)) => (Some(status), None),
            Ok(None) => (
                None,
                Some(format!(
                    "[canvas.oauth]: Warden is not authorized yet (no {}); run `warden auth login --config {}`",
                    file.display(),
                    config.path.display()
                )),
            ),
            Err(e) => (
                None,
                Some(format!(
                    "[canvas.oauth]: {e}; run `warden auth login --config {}`",
                    config.path.display()
                )),
            ),
        };
        let history = (!settings.include_parameters)
            .then(|| config.state.as_ref().filter(|s| s.exists()))
            .flatten()
            .and_then(|state| History::open_read_only(state).ok());
        Some(Authorization {
            config: &config.path,
            settings,
            history,
            status,
            problem,
        })
    }

    /// Why there is no usable authorization, if there is none.
    pub(super) fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// The scopes the token holds (none before a login).
    pub(super) fn authorized(&self) -> Authorized {
        match &self.status {
            Some(status) => Authorized::new(&status.scopes),
            None => Authorized::default(),
        }
    }

    /// Warnings for one job: its scopes outside the authorization (or, before
    /// a login, outside `[canvas.oauth] scopes` when that lists them).
    pub(super) fn scope_warnings(&self, manifest: &Manifest) -> Vec<String> {
        let shown = manifest.path.display();
        let mut out = Vec::new();
        let listed =
            self.settings.scopes.as_ref().map(|scopes| {
                Authorized::new(&scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>())
            });
        let login = format!("`warden auth login --config {}`", self.config.display());
        for scope in self.authorized().missing(&manifest.scopes) {
            let not_listed = listed.as_ref().is_some_and(|l| !l.holds(scope));
            let fix = if not_listed {
                format!(
                    "add it to [canvas.oauth] scopes (and to the developer key), then run {login}"
                )
            } else {
                format!("make sure the developer key has it, then run {login}")
            };
            if self.status.is_some() {
                out.push(format!(
                    "{shown}: scope {scope} is not in Warden's Canvas authorization, so Canvas answers the job's requests under it with 401 \"Insufficient scopes on access token.\"; {fix}"
                ));
            } else if not_listed {
                out.push(format!(
                    "{shown}: scope {scope} is not in [canvas.oauth] scopes, so `warden auth login` will not request it and Canvas will answer 401 insufficient scopes; add it there"
                ));
            }
        }
        out
    }

    /// A warning when the job's recent runs sent include parameters the key
    /// does not allow (`include_parameters = false`).
    pub(super) fn include_warning(&self, manifest: &Manifest) -> Option<String> {
        let history = self.history.as_ref()?;
        let runs = history
            .runs(Some(manifest.name.as_str()), RECENT_RUNS)
            .ok()?;
        let mut count = 0usize;
        let mut example = None;
        for run in &runs {
            for request in history.requests(&run.run_id).ok()? {
                if uses_include_params(&request.target) {
                    count += 1;
                    example.get_or_insert(format!("{} {}", request.method, request.target));
                }
            }
        }
        let example = example?;
        Some(format!(
            "{}: job {} sent include[] parameters in {count} request(s) of its last {} run(s) (e.g. {example}), but [canvas.oauth] include_parameters = false: a scoped developer key without \"Allow Include Parameters\" makes Canvas ignore them, so the answers lack what they ask for; turn the option on for the key and set include_parameters = true, or stop sending them",
            manifest.path.display(),
            manifest.name,
            runs.len()
        ))
    }
}
