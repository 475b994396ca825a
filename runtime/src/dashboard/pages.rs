//! The pages: jobs, one job, one run, the activity log, the login form, and
//! the static files.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use http::{header, StatusCode};
use serde::Deserialize;

use super::views::{self, Mark};
use super::{State as Shared, Viewer};
use crate::daemon::{JobView, Snapshot};
use crate::history::{Activity, RequestRow, RunFilter, RunRow, Trigger};
use crate::privilege;
use crate::run::RunStatus;

/// Runs on a page of a job's history.
pub const PER_PAGE: u64 = 50;
/// Runs whose audit the job page reads for unused and suggested scopes.
pub const RECENT_RUNS: usize = 20;

/// A page that could not be shown, as a page.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    pub fn internal(message: String) -> PageError {
        tracing::error!("dashboard: {message}");
        PageError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message,
        }
    }

    pub fn not_found(message: String) -> PageError {
        PageError {
            status: StatusCode::NOT_FOUND,
            message,
        }
    }

    pub fn new(status: StatusCode, message: String) -> PageError {
        PageError { status, message }
    }

    fn stopping() -> PageError {
        PageError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the daemon is stopping".into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let heading = self
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .to_string();
        let page = ErrorPage {
            chrome: Chrome::plain(&heading),
            heading,
            message: self.message,
            back: "/".into(),
        };
        (self.status, render(&page)).into_response()
    }
}

/// Renders a template; a template that fails (it cannot, with these
/// types) is an error page of plain text.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("dashboard: a page did not render: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "the page did not render").into_response()
        }
    }
}

/// What every page has around its content.
pub struct Chrome {
    pub title: String,
    pub csrf: String,
    pub logged_in: bool,
    pub rendered: String,
    pub rendered_iso: String,
    pub notices: Vec<String>,
    /// Reload every few seconds (a run that is starting or going).
    pub refresh: bool,
}

impl Chrome {
    fn new(state: &Shared, viewer: &Viewer, title: &str) -> Chrome {
        Chrome {
            csrf: state.auth.csrf(viewer.login.as_ref()),
            logged_in: viewer.login.is_some(),
            ..Chrome::plain(title)
        }
    }

    pub fn plain(title: &str) -> Chrome {
        let now = Utc::now();
        Chrome {
            title: title.to_string(),
            csrf: String::new(),
            logged_in: false,
            rendered: views::utc(now),
            rendered_iso: views::iso(now),
            notices: Vec::new(),
            refresh: false,
        }
    }

    /// Says what is wrong with the daemon as a whole.
    fn with_snapshot(mut self, snapshot: &Snapshot) -> Chrome {
        if !snapshot.writable {
            self.notices.push(
                "The run history cannot be written: no run starts until it can (see the log)."
                    .into(),
            );
        }
        for (path, why) in &snapshot.failed {
            self.notices
                .push(format!("{} did not load: {why}", path.display()));
        }
        self
    }
}

pub struct TimeView {
    pub utc: String,
    pub iso: String,
    pub zoned: String,
}

impl TimeView {
    fn new(t: DateTime<Utc>, tz: chrono_tz::Tz) -> TimeView {
        TimeView {
            utc: views::utc(t),
            iso: views::iso(t),
            zoned: views::zoned(t, tz),
        }
    }

    fn utc(t: DateTime<Utc>) -> TimeView {
        TimeView::new(t, chrono_tz::UTC)
    }
}

pub struct LastRun {
    pub run_id: String,
    pub status: String,
    pub class: String,
    pub utc: String,
    pub iso: String,
}

pub struct JobRow {
    pub name: String,
    pub description: String,
    pub schedule_words: String,
    pub schedule: String,
    pub timezone: String,
    pub next: Option<TimeView>,
    pub last: Option<LastRun>,
    pub strip: Vec<Mark>,
    pub success: String,
    pub median: String,
    pub running: usize,
    pub suspended: bool,
    pub missed: u64,
}

pub struct ActivityRow {
    pub utc: String,
    pub iso: String,
    pub actor: String,
    pub action: String,
    pub job: Option<String>,
    pub run_id: Option<String>,
    pub outcome: String,
}

impl From<Activity> for ActivityRow {
    fn from(a: Activity) -> ActivityRow {
        ActivityRow {
            utc: views::utc(a.at),
            iso: views::iso(a.at),
            actor: a.actor,
            action: a.action,
            job: a.job,
            run_id: a.run_id,
            outcome: a.outcome,
        }
    }
}

#[derive(Template)]
#[template(path = "jobs.html")]
pub struct JobsPage {
    pub chrome: Chrome,
    pub token_note: String,
    pub config_path: String,
    pub jobs: Vec<JobRow>,
    pub strip_len: usize,
    pub activity: Vec<ActivityRow>,
}

#[derive(Template)]
#[template(path = "activity.html")]
pub struct ActivityPage {
    pub chrome: Chrome,
    pub activity: Vec<ActivityRow>,
}

pub struct ScopeRow {
    pub scope: String,
    pub write: bool,
    pub unused: bool,
}

pub struct Choice {
    pub value: &'static str,
    pub selected: bool,
}

pub struct RunLine {
    pub run_id: String,
    pub status: String,
    pub class: String,
    pub late: bool,
    pub trigger: String,
    pub started: String,
    pub iso: String,
    pub duration: String,
    pub requests: u64,
    pub denials: u64,
    pub invalid: u64,
    pub error: String,
}

impl From<&RunRow> for RunLine {
    fn from(r: &RunRow) -> RunLine {
        RunLine {
            run_id: r.run_id.clone(),
            status: r.status.to_string(),
            class: views::status_class(r.status).to_string(),
            late: views::is_late(r),
            trigger: r.trigger.to_string(),
            started: views::utc(r.started_at),
            iso: views::iso(r.started_at),
            duration: r.duration().map_or("–".into(), views::duration),
            requests: r.requests,
            denials: r.denials,
            invalid: r.invalid,
            error: r.error.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "job.html")]
pub struct JobPage {
    pub chrome: Chrome,
    pub name: String,
    pub description: String,
    pub running: Vec<String>,
    pub suspended_note: Option<String>,
    pub can_suspend: bool,
    pub can_resume: bool,
    pub manifest_path: String,
    pub component: String,
    pub sha256: String,
    pub pin: Option<String>,
    pub schedule_words: String,
    pub schedule: String,
    pub timezone: String,
    pub next: Option<TimeView>,
    pub firing: String,
    pub dry_run: bool,
    pub limits: Vec<(String, String)>,
    pub env: Vec<String>,
    pub scopes: Vec<ScopeRow>,
    pub recent_runs: usize,
    pub params: Vec<(String, String)>,
    pub suggestion: Option<String>,
    pub statuses: Vec<Choice>,
    pub triggers: Vec<Choice>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub runs: Vec<RunLine>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

pub struct AuditLine {
    pub seq: u64,
    pub at: String,
    pub iso: String,
    pub method: String,
    pub target: String,
    pub outcome: String,
    pub status: String,
    pub scope: Option<String>,
    pub duration: String,
    pub class: &'static str,
}

impl From<&RequestRow> for AuditLine {
    fn from(r: &RequestRow) -> AuditLine {
        AuditLine {
            seq: r.seq,
            at: views::utc(r.at),
            iso: views::iso(r.at),
            method: r.method.clone(),
            target: r.target.clone(),
            outcome: r.outcome.clone(),
            status: r.status.map_or("–".into(), |s| s.to_string()),
            scope: r.scope.clone(),
            duration: format!("{} ms", r.duration_ms),
            class: views::request_class(r),
        }
    }
}

#[derive(Template)]
#[template(path = "run.html")]
pub struct RunPage {
    pub chrome: Chrome,
    pub run_id: String,
    pub job: String,
    pub status: String,
    pub class: String,
    pub running: bool,
    pub trigger: String,
    pub attempt: u32,
    pub scheduled: Option<TimeView>,
    pub late: bool,
    pub started: Option<TimeView>,
    pub ended: Option<TimeView>,
    pub duration: String,
    pub exit_code: String,
    pub error: String,
    pub requests: u64,
    pub denials: u64,
    pub invalid: u64,
    pub held: String,
    pub stdout: String,
    pub stderr: String,
    pub audit: Vec<AuditLine>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub back: String,
}

async fn snapshot(state: &Shared) -> Result<Snapshot, PageError> {
    state
        .control
        .snapshot()
        .await
        .ok_or_else(PageError::stopping)
}

/// Where the Canvas token comes from and whether it can be read now; never
/// the token.
fn token_note(state: &Shared) -> String {
    if let Some(session) = state.token.oauth() {
        return match (session.failing(), session.expires_at()) {
            (Some(e), _) => format!("from the {}: renewal FAILING: {e}", state.token),
            (None, Some(at)) => format!(
                "from the {} (the access token in memory expires at {})",
                state.token,
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            (None, None) => format!("from the {} (no access token renewed yet)", state.token),
        };
    }
    match state.token.read() {
        Ok(_) => format!("from the {} (readable)", state.token),
        Err(e) => format!("from the {}: NOT readable: {e}", state.token),
    }
}

fn schedule_words(view: &JobView) -> (String, String) {
    let m = &view.def.manifest;
    match &m.schedule {
        Some(s) => (s.describe(), s.as_str().to_string()),
        None => ("no schedule (runs by hand only)".into(), "–".into()),
    }
}

/// `GET /`: every job.
pub async fn jobs(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Response, PageError> {
    let snapshot = snapshot(&state).await?;
    let names: Vec<String> = snapshot.jobs.iter().map(|j| j.name().to_string()).collect();
    let (mut recent, activity) = state
        .read(move |h| {
            let mut recent = HashMap::new();
            for name in names {
                let runs = h.runs(Some(&name), views::STRIP)?;
                recent.insert(name, runs);
            }
            Ok((recent, h.activity(10)?))
        })
        .await?;
    let jobs = snapshot
        .jobs
        .iter()
        .map(|view| {
            let runs = recent.remove(view.name()).unwrap_or_default();
            let m = &view.def.manifest;
            let tz = m.timezone.tz();
            let (words, text) = schedule_words(view);
            let summary = views::summary(&runs);
            JobRow {
                name: view.name().to_string(),
                description: m.description.clone().unwrap_or_default(),
                schedule_words: words,
                schedule: text,
                timezone: m.timezone.to_string(),
                next: view.next.map(|t| TimeView::new(t, tz)),
                last: runs.first().map(|r| LastRun {
                    run_id: r.run_id.clone(),
                    status: r.status.to_string(),
                    class: views::status_class(r.status).to_string(),
                    utc: views::utc(r.ended_at.unwrap_or(r.started_at)),
                    iso: views::iso(r.ended_at.unwrap_or(r.started_at)),
                }),
                strip: views::strip(&runs),
                success: summary.success,
                median: summary.median,
                running: view.running.len(),
                suspended: view.is_suspended(),
                missed: view.missed + runs.iter().filter(|r| views::is_missed(r)).count() as u64,
            }
        })
        .collect();
    let chrome = Chrome::new(&state, &viewer, "Jobs").with_snapshot(&snapshot);
    Ok(render(&JobsPage {
        chrome,
        token_note: token_note(&state),
        config_path: state.config_path.display().to_string(),
        jobs,
        strip_len: views::STRIP,
        activity: activity.into_iter().map(ActivityRow::from).collect(),
    }))
}

/// `GET /activity`.
pub async fn activity(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Response, PageError> {
    let activity = state.read(|h| h.activity(500)).await?;
    Ok(render(&ActivityPage {
        chrome: Chrome::new(&state, &viewer, "Activity"),
        activity: activity.into_iter().map(ActivityRow::from).collect(),
    }))
}

#[derive(Deserialize, Default)]
pub struct RunsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    trigger: String,
    #[serde(default)]
    page: Option<u64>,
}

fn limits_of(view: &JobView) -> Vec<(String, String)> {
    let l = &view.def.manifest.limits;
    vec![
        ("timeout".into(), format!("{} s", l.timeout.as_secs())),
        ("memory".into(), format!("{} MiB", l.memory >> 20)),
        ("max_requests".into(), l.max_requests.to_string()),
        (
            "request_timeout".into(),
            format!("{} s", l.request_timeout.as_secs()),
        ),
        (
            "max_response_bytes".into(),
            format!("{} MiB", l.max_response_bytes >> 20),
        ),
    ]
}

fn firing_of(view: &JobView) -> String {
    let f = &view.def.manifest.firing;
    let mut parts = vec![
        format!("concurrency {:?}", f.concurrency).to_lowercase(),
        format!("catch-up {:?}", f.catch_up).to_lowercase(),
    ];
    if let Some(j) = f.jitter {
        parts.push(format!("jitter up to {} s", j.as_secs()));
    }
    if let Some(r) = f.retry {
        parts.push(format!(
            "{} retries, backoff from {} s",
            r.attempts,
            r.backoff.as_secs()
        ));
    }
    parts.join(" · ")
}

/// The `scopes = [...]` snippet `warden scopes suggest` would print, when
/// the recent runs had denials.
fn suggestion(requests: &[RequestRow], view: &JobView) -> Option<String> {
    let mut audited = Vec::new();
    let mut denied = HashSet::new();
    for row in requests {
        if let Ok((request, was_denied)) =
            privilege::audited(&row.method, &row.target, &row.outcome)
        {
            if was_denied {
                denied.insert(request.clone());
            }
            audited.push(request);
        }
    }
    if denied.is_empty() {
        return None;
    }
    let suggestion = privilege::suggest(&audited);
    Some(suggestion.toml(&denied, Some(&view.def.manifest.scopes)))
}

fn page_link(name: &str, q: &RunsQuery, page: u64) -> String {
    let mut link = format!("/jobs/{name}?page={page}");
    if !q.status.is_empty() {
        link.push_str(&format!("&status={}", q.status));
    }
    if !q.trigger.is_empty() {
        link.push_str(&format!("&trigger={}", q.trigger));
    }
    link
}

/// `GET /jobs/{name}?status=&trigger=&page=`.
pub async fn job(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
    Path(name): Path<String>,
    Query(q): Query<RunsQuery>,
) -> Result<Response, PageError> {
    let snapshot = snapshot(&state).await?;
    let view = snapshot
        .job(&name)
        .cloned()
        .ok_or_else(|| PageError::not_found(format!("no job is named {name:?}")))?;
    let bad = |what: &str, value: &str| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            format!("{what} {value:?} is not one the run history knows"),
        )
    };
    let status = match q.status.as_str() {
        "" => None,
        s => Some(s.parse::<RunStatus>().map_err(|_| bad("status", s))?),
    };
    let trigger = match q.trigger.as_str() {
        "" => None,
        t => Some(t.parse::<Trigger>().map_err(|_| bad("trigger", t))?),
    };
    let page = q.page.unwrap_or(1).max(1);
    let filter = RunFilter {
        job: Some(name.clone()),
        status,
        trigger,
    };
    let job_name = name.clone();
    let (runs, recent_requests) = state
        .read(move |h| {
            let page = h.runs_page(&filter, (page - 1) * PER_PAGE, PER_PAGE)?;
            let mut requests = Vec::new();
            for run in h.runs(Some(&job_name), RECENT_RUNS)? {
                requests.extend(h.requests(&run.run_id)?);
            }
            Ok((page, requests))
        })
        .await?;
    let m = &view.def.manifest;
    let tz = m.timezone.tz();
    let used: HashSet<&str> = recent_requests
        .iter()
        .filter_map(|r| r.scope.as_deref())
        .collect();
    let unused: HashSet<&str> = privilege::unused(&m.scopes, used.iter().copied())
        .into_iter()
        .map(|s| s.as_str())
        .collect();
    let scopes = m
        .scopes
        .iter()
        .map(|s| ScopeRow {
            scope: s.as_str().to_string(),
            write: s.is_write(),
            unused: unused.contains(s.as_str()),
        })
        .collect();
    let suspended_note = if m.firing.suspend {
        Some(format!(
            "Suspended in its manifest ({}: suspend = true); edit the manifest to resume it.",
            m.path.display()
        ))
    } else {
        view.suspension.as_ref().map(|s| {
            format!(
                "Suspended by {} at {}; it fires again once resumed.",
                s.by,
                views::utc(s.at)
            )
        })
    };
    let (words, text) = schedule_words(&view);
    let pages = views::pages(runs.total, PER_PAGE);
    let page_now = page.min(pages);
    let chrome = Chrome::new(&state, &viewer, &name).with_snapshot(&snapshot);
    let choose = |all: Vec<&'static str>, chosen: &str| {
        all.into_iter()
            .map(|value| Choice {
                value,
                selected: value == chosen,
            })
            .collect()
    };
    let body = JobPage {
        chrome,
        name: name.clone(),
        description: m.description.clone().unwrap_or_default(),
        running: view.running.clone(),
        can_suspend: !view.is_suspended(),
        can_resume: view.suspension.is_some() && !m.firing.suspend,
        suspended_note,
        manifest_path: m.path.display().to_string(),
        component: m.component.display().to_string(),
        sha256: view.def.component.sha256().to_string(),
        pin: m.sha256.clone(),
        schedule_words: words,
        schedule: text,
        timezone: m.timezone.to_string(),
        next: view.next.map(|t| TimeView::new(t, tz)),
        firing: firing_of(&view),
        dry_run: m.dry_run,
        limits: limits_of(&view),
        env: m.env.keys().cloned().collect(),
        scopes,
        recent_runs: RECENT_RUNS,
        params: m
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.join(", ")))
            .collect(),
        suggestion: suggestion(&recent_requests, &view),
        statuses: choose(
            RunStatus::ALL.iter().map(|s| s.as_str()).collect(),
            &q.status,
        ),
        triggers: choose(
            Trigger::ALL.iter().map(|t| t.as_str()).collect(),
            &q.trigger,
        ),
        total: runs.total,
        page: page_now,
        pages,
        newer: runs
            .has_newer()
            .then(|| page_link(&name, &q, page_now.saturating_sub(1).max(1))),
        older: runs.has_older().then(|| page_link(&name, &q, page_now + 1)),
        runs: runs.runs.iter().map(RunLine::from).collect(),
    };
    Ok(render(&body))
}

/// `GET /runs/{id}`.
pub async fn run(
    State(state): State<Arc<Shared>>,
    Extension(viewer): Extension<Viewer>,
    Path(run_id): Path<String>,
) -> Result<Response, PageError> {
    let id = run_id.clone();
    let (row, audit) = state
        .read(move |h| Ok((h.run(&id)?, h.requests(&id)?)))
        .await?;
    let snapshot = snapshot(&state).await?;
    let going = snapshot.jobs.iter().find(|j| j.running.contains(&run_id));
    let Some(row) = row else {
        // Started a moment ago: its start row is on its way.
        if let Some(job) = going {
            let mut chrome = Chrome::new(&state, &viewer, &format!("Run {run_id}"));
            chrome.refresh = true;
            return Ok(render(&RunPage {
                chrome,
                run_id: run_id.clone(),
                job: job.name().to_string(),
                status: "starting".into(),
                class: "running".into(),
                running: true,
                trigger: "–".into(),
                attempt: 0,
                scheduled: None,
                late: false,
                started: None,
                ended: None,
                duration: "–".into(),
                exit_code: "–".into(),
                error: String::new(),
                requests: 0,
                denials: 0,
                invalid: 0,
                held: "0 ms".into(),
                stdout: String::new(),
                stderr: String::new(),
                audit: Vec::new(),
            }));
        }
        return Err(PageError::not_found(format!(
            "no run {run_id:?} in the history (runs are kept as [history] says)"
        )));
    };
    let running = row.status == RunStatus::Running;
    let mut chrome = Chrome::new(&state, &viewer, &format!("Run {run_id}"));
    chrome.refresh = running;
    let page = RunPage {
        chrome,
        run_id: row.run_id.clone(),
        job: row.job.clone(),
        status: row.status.to_string(),
        class: views::status_class(row.status).to_string(),
        running: running && going.is_some(),
        trigger: row.trigger.to_string(),
        attempt: row.attempt,
        scheduled: row.scheduled_at.map(TimeView::utc),
        late: views::is_late(&row),
        started: Some(TimeView::utc(row.started_at)),
        ended: row.ended_at.map(TimeView::utc),
        duration: row.duration().map_or("–".into(), views::duration),
        exit_code: row.exit_code.map_or("–".into(), |c| c.to_string()),
        error: row.error.clone().unwrap_or_default(),
        requests: row.requests,
        denials: row.denials,
        invalid: row.invalid,
        held: views::duration(chrono::Duration::milliseconds(
            i64::try_from(row.held_ms).unwrap_or(i64::MAX),
        )),
        stdout: row.stdout_tail.clone(),
        stderr: row.stderr_tail.clone(),
        audit: audit.iter().map(AuditLine::from).collect(),
    };
    Ok(render(&page))
}

/// `GET /login`.
pub async fn login_form(State(state): State<Arc<Shared>>) -> Response {
    if !state.auth.required() {
        return axum::response::Redirect::to("/").into_response();
    }
    let mut chrome = Chrome::plain("Log in");
    chrome.csrf = state.auth.login_csrf().to_string();
    render(&LoginPage {
        chrome,
        error: None,
    })
}

pub async fn not_found() -> PageError {
    PageError::not_found("there is no such page".into())
}

pub async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

pub async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/local.js"),
    )
        .into_response()
}
