//! Issue 8, in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs) driven over WebDriver
//! against the dashboard of a real `warden serve`. Presses "Run now" and
//! watches the run finish on its page (the page refreshes itself while the
//! run goes on), suspends and resumes a job, checks that the page's script
//! ran and that a `<script>` a job printed is text, and leaves screenshots
//! under `<target>/browser/` for a person to look at.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use warden::history::{History, Trigger};
use warden::run::RunStatus;

use crate::support::{standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What a job prints that must reach the page as text, never as markup.
const HOSTILE: &str = "<script>alert(1)</script>";

/// A chromedriver child, killed when dropped (also when the test panics).
struct Driver {
    child: std::process::Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    /// Fails the test, saying what to install, without both programs.
    fn require() {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser test needs Debian's `chromium` and `chromium-driver` \
                 packages (`apt-get install chromium chromium-driver`; .ci/run installs them); \
                 {package} provides {path}"
            );
        }
    }

    fn start(dir: &Path) -> Driver {
        Driver::require();
        // A free port: bound, read, released for chromedriver to take.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = dir.join("chromedriver.log");
        let home = dir.join("browser-home");
        std::fs::create_dir_all(&home).unwrap();
        let child = std::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            // Chromium writes crash reports and caches under the home
            // folder: a scratch one, not the user's.
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            // A group of its own, so that the browsers it starts go with it.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        Driver { child, port, log }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// A WebDriver session with a headless Chromium on a fresh profile.
    async fn session(&self, profile: &Path) -> Client {
        let options = serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1400,1000",
            ],
        });
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return client,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!(
                    "no WebDriver session with {CHROMIUM} through {CHROMEDRIVER}: {e}\n{}",
                    self.log_tail()
                ),
            }
        }
    }
}

impl Drop for Driver {
    /// Kills chromedriver's process group: chromedriver and the Chromium it
    /// started, which a test that panicked did not close.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `warden serve` with its stderr collected, and the dashboard's address.
struct Serve {
    child: Child,
    base: String,
    stderr: Arc<Mutex<String>>,
}

impl Serve {
    async fn start(config: &Path) -> Serve {
        let mut child = Command::new(WARDEN)
            .args([Path::new("serve"), Path::new("--config"), config])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("warden serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (found, address) = tokio::sync::oneshot::channel();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let collected = Arc::clone(&stderr);
        tokio::spawn(async move {
            let mut found = Some(found);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("dashboard on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_string();
                    if let Some(found) = found.take() {
                        let _ = found.send(url.trim_end_matches('/').to_string());
                    }
                }
                let mut all = collected.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let base = match tokio::time::timeout(Duration::from_secs(60), address).await {
            Ok(Ok(base)) => base,
            _ => panic!(
                "warden serve logged no dashboard address\n{}",
                stderr.lock().unwrap()
            ),
        };
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Serve {
            child,
            base,
            stderr,
        }
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// SIGTERM; exits 0.
    async fn stop(mut self) -> String {
        let pid = self.child.id().expect("running").to_string();
        assert!(std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let Ok(status) = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await
        else {
            panic!("warden serve did not stop on SIGTERM\n{}", self.log());
        };
        let status = status.unwrap();
        // The reader task has the last lines once the pipe closes.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let log = self.log();
        assert_eq!(status.code(), Some(0), "{log}");
        log
    }
}

/// Where the screenshots go: `<target>/browser/`.
fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// A screenshot of the whole page: the window is made as tall as the page
/// (up to 4000 pixels) for it, then put back.
async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let (width, height) = client.get_window_size().await.unwrap();
    let tall = client
        .execute(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap_or(height)
        .clamp(height, 4000);
    client
        .set_window_size(width as u32, tall as u32)
        .await
        .unwrap();
    let png = client.screenshot().await.expect("a screenshot");
    client
        .set_window_size(width as u32, height as u32)
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    let path = screenshot_dir().join(name);
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
    path
}

async fn text(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(found) => found.text().await.unwrap(),
        Err(e) => panic!(
            "no {css} on {}: {e}\n{}",
            path_of(client).await,
            client.source().await.unwrap_or_default()
        ),
    }
}

async fn path_of(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_string()
}

/// Waits up to 10 s for the page's path to satisfy `ok` (a form's POST
/// and its redirect may still be under way when a click returns).
async fn wait_path(client: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let path = path_of(client).await;
        if ok(&path) {
            return path;
        }
        if Instant::now() > deadline {
            panic!("still on {path}, waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits up to 10 s until an element matches `css` (`present`) or none does.
async fn wait_css(client: &Client, css: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(found) = client.find_all(Locator::Css(css)).await {
            if found.is_empty() != present {
                return;
            }
        }
        if Instant::now() > deadline {
            panic!(
                "waited for {css} to be {}\n{}",
                if present { "there" } else { "gone" },
                client.source().await.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses the submit button inside the first element matching `form`.
async fn press(client: &Client, form: &str) {
    let css = format!("{form} button[type=submit]");
    client
        .find(Locator::Css(&css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits (without navigating: the run page refreshes itself while the run
/// goes on) until the run page shows an end, and returns its status.
async fn wait_for_end(client: &Client, serve: &Serve) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    while Instant::now() < deadline {
        // A refresh may be under way: a failed look is tried again.
        if let Ok(status) = client.find(Locator::Css("table.facts .status")).await {
            if let Ok(shown) = status.text().await {
                // "starting": the run began, its start row is on its way.
                if !matches!(shown.as_str(), "running" | "starting" | "") {
                    return shown;
                }
                last = shown;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "the run page still says {last:?} after 30 s\n{}",
        serve.log()
    );
}

#[tokio::test]
async fn in_a_browser_run_now_watch_the_run_suspend_and_resume() {
    let began = Instant::now();
    Driver::require();
    let canvas = standin().await;
    let dir = TempDir::new("warden-browser");
    std::fs::create_dir_all(dir.join("jobs")).unwrap();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    std::fs::write(
        dir.join("warden.toml"),
        format!(
            "jobs = [\"jobs/*.toml\"]\nstate = \"warden.db\"\ncache = \"cache\"\n[canvas]\nbase_url = {:?}\ntoken_file = \"token\"\n[daemon]\nshutdown_grace = \"5s\"\n[dashboard]\nlisten = \"127.0.0.1:0\"\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    // Schedules that do not fire during the test: only the buttons start runs.
    let script = serde_json::json!([
        {"method": "GET", "path": "/api/v1/courses/1"},
        {"method": "GET", "path": "/api/v1/courses/1/users"},
    ])
    .to_string();
    std::fs::write(
        dir.join("jobs/report.toml"),
        format!(
            "version = 1\n[job]\nname = \"report\"\ndescription = \"Reads course 1 and its people\"\ncomponent = {:?}\nschedule = \"@yearly\"\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\", \"url:GET|/api/v1/courses/:course_id/users\"]\n[env]\nSCRIPT = {script:?}\n",
            warden_test_artifacts::SCRIPTED
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("jobs/hostile.toml"),
        format!(
            "version = 1\n[job]\nname = \"hostile\"\ndescription = \"Prints markup\"\ncomponent = {:?}\nschedule = \"@yearly\"\n[canvas]\nscopes = []\n[env]\nMODE = {HOSTILE:?}\n",
            warden_test_artifacts::MISBEHAVE
        ),
    )
    .unwrap();

    let serve = Serve::start(&dir.join("warden.toml")).await;
    let base = serve.base.clone();
    let driver = Driver::start(&dir);
    let client = driver.session(&dir.join("chromium-profile")).await;

    // The jobs page lists the job, and its script ran: each <time> has the
    // viewer's own time beside it.
    client.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(text(&client, "h1").await, "Jobs");
    let row = text(&client, "tr#job-report").await;
    assert!(row.contains("report") && row.contains("@yearly"), "{row}");
    let local = client
        .find_all(Locator::Css("time + span.local"))
        .await
        .unwrap();
    assert!(!local.is_empty(), "the page's script did not run");
    let shown = local[0].text().await.unwrap();
    assert!(shown.contains("your time"), "{shown}");
    assert!(
        !text(&client, "footer .viewer-zone")
            .await
            .contains("when scripts run"),
        "the script did not name the viewer's zone"
    );

    // Run now: the button lands on the run page, which shows the run to
    // its end with its audit.
    press(&client, "tr#job-report form[action='/jobs/report/run']").await;
    let run_page = wait_path(&client, "the run page", |p| p.starts_with("/runs/")).await;
    let run_id = run_page["/runs/".len()..].to_string();
    assert_eq!(
        wait_for_end(&client, &serve).await,
        "succeeded",
        "{}",
        serve.log()
    );
    assert_eq!(path_of(&client).await, run_page);
    assert!(text(&client, "h1").await.contains(&run_id));
    let facts = text(&client, "table.facts").await;
    assert!(facts.contains("manual"), "{facts}");
    let audit = client
        .find_all(Locator::Css("table.audit tbody tr"))
        .await
        .unwrap();
    // Columns: #, At, Method, Path, Outcome, Status, Allowed by, Time.
    let mut rows = Vec::new();
    for row in &audit {
        let mut cells = Vec::new();
        for cell in row.find_all(Locator::Css("td")).await.unwrap() {
            cells.push(cell.text().await.unwrap());
        }
        rows.push(cells);
    }
    let paths: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(
        paths,
        ["/api/v1/courses/1", "/api/v1/courses/1/users"],
        "{rows:#?}"
    );
    for row in &rows {
        assert_eq!(
            (row[2].as_str(), row[4].as_str(), row[5].as_str()),
            ("GET", "ok", "200"),
            "{rows:#?}"
        );
    }
    assert_eq!(rows[0][6], "url:GET|/api/v1/courses/:id");
    assert_eq!(rows[1][6], "url:GET|/api/v1/courses/:course_id/users");
    let run_png = screenshot(&client, "run.png").await;

    // Suspend from the job page: the badge and who did it.
    client
        .find(Locator::Css("main p a[href='/jobs/report']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&client, "the job page", |p| p == "/jobs/report").await;
    assert!(text(&client, "table.runs").await.contains(&run_id));
    press(&client, "form[action='/jobs/report/suspend']").await;
    wait_css(&client, "h1 .badge.suspended", true).await;
    assert_eq!(path_of(&client).await, "/jobs/report");
    assert_eq!(text(&client, "h1 .badge.suspended").await, "suspended");
    let note = text(&client, "main p.notice").await;
    assert!(
        note.contains("Suspended by admin from 127.0.0.1 (dashboard)"),
        "{note}"
    );
    let job_png = screenshot(&client, "job.png").await;
    press(&client, "form[action='/jobs/report/resume']").await;
    wait_css(&client, ".badge.suspended", false).await;
    assert_eq!(path_of(&client).await, "/jobs/report");
    assert!(client
        .find_all(Locator::Css(".badge.suspended, main p.notice"))
        .await
        .unwrap()
        .is_empty());
    client
        .find(Locator::Css("form[action='/jobs/report/suspend']"))
        .await
        .expect("Suspend is offered again");

    // A job that prints a <script>: its output is text, nothing runs.
    client.goto(&format!("{base}/")).await.unwrap();
    press(&client, "tr#job-hostile form[action='/jobs/hostile/run']").await;
    wait_path(&client, "the run page", |p| p.starts_with("/runs/")).await;
    assert_eq!(wait_for_end(&client, &serve).await, "failed");
    let stdout = text(&client, "#stdout").await;
    assert!(stdout.contains(HOSTILE), "{stdout}");
    assert!(client
        .find_all(Locator::Css("#stdout *"))
        .await
        .unwrap()
        .is_empty());
    match client.get_alert_text().await {
        Err(e) if e.is_no_such_alert() => {}
        other => panic!("an alert opened: {other:?}"),
    }
    let hostile_png = screenshot(&client, "hostile-run.png").await;

    // Back on the jobs page: both runs, the activity.
    client.goto(&format!("{base}/")).await.unwrap();
    let row = text(&client, "tr#job-report").await;
    assert!(row.contains("succeeded"), "{row}");
    assert!(text(&client, "tr#job-hostile").await.contains("failed"));
    let activity = text(&client, "table.activity").await;
    for action in ["run-now", "suspend", "resume"] {
        assert!(activity.contains(action), "{activity}");
    }
    let jobs_png = screenshot(&client, "jobs.png").await;
    client.close().await.unwrap();
    drop(driver);

    let log = serve.stop().await;
    assert!(!log.contains(TOKEN), "the token is in the logs");

    // The history agrees with what the pages said.
    let history = History::open_read_only(&dir.join("warden.db")).unwrap();
    let runs = history.runs(None, 100).unwrap();
    assert_eq!(runs.len(), 2, "only the buttons started runs: {runs:#?}");
    assert!(
        runs.iter().all(|r| r.trigger == Trigger::Manual),
        "{runs:#?}"
    );
    let run = history.run(&run_id).unwrap().expect("the run is recorded");
    assert_eq!(run.job, "report");
    assert_eq!(run.status, RunStatus::Succeeded);
    let targets: Vec<String> = history
        .requests(&run_id)
        .unwrap()
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(
        targets,
        ["/api/v1/courses/1", "/api/v1/courses/1/users"],
        "{targets:?}"
    );
    let activity = history.activity(100).unwrap();
    let report: Vec<&str> = activity
        .iter()
        .filter(|a| a.job.as_deref() == Some("report"))
        .map(|a| a.action.as_str())
        .collect();
    // Newest first.
    assert_eq!(report, ["resume", "suspend", "run-now"], "{activity:#?}");
    let run_now = activity
        .iter()
        .find(|a| a.action == "run-now" && a.job.as_deref() == Some("report"))
        .unwrap();
    assert_eq!(run_now.run_id.as_deref(), Some(run_id.as_str()));
    assert!(activity
        .iter()
        .all(|a| a.actor == "admin from 127.0.0.1 (dashboard)"));
    assert!(history.suspension("report").unwrap().is_none());

    for png in [&jobs_png, &run_png, &job_png, &hostile_png] {
        assert!(std::fs::metadata(png).unwrap().len() > 1000);
    }
    println!("browser test took {:.1?}", began.elapsed());
}
