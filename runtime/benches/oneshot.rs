//! `warden run` as a user runs it (a CronJob, a systemd timer): the whole
//! `warden` process, start to exit, against a native client process doing
//! the same work, alternated, against the same fast server.
//!
//! The job is `jobs/unpublished-courses` (100 pages of 100 courses through
//! warden-sdk's `paginate`, one printed line per course). The native client
//! is this bench's own executable started again in client mode: a tokio
//! runtime and a `reqwest` client (rustls, as Warden) that sends the same
//! GETs with the token, follows `Link: rel="next"`, deserializes the same
//! fields and prints the same lines. Both processes' stdout goes into a
//! pipe the bench reads and checks.
//!
//! The server runs in this process on 127.0.0.1: pages pre-rendered from
//! the Canvas stand-in (its course JSON with `include[]=term`), served by a
//! minimal HTTP/1.1 keep-alive server (a few µs a page), so that the time
//! measured is the clients'.
//!
//! The config sets no `cache` and no `state`: `warden run` uses its default
//! compiled-component cache, here `$XDG_CACHE_HOME/warden` with
//! `XDG_CACHE_HOME` pointed at a scratch folder (warmed by one run first).
//!
//! `cargo bench -p warden --bench oneshot` (`WARDEN_BENCH_RUNS`, default 20
//! of each; `WARDEN_BENCH_NO_CACHE_RUNS`, default 3, of `warden run
//! --no-cache`; `WARDEN_BENCH_BIN`, another `warden` binary to time;
//! `WARDEN_BENCH_CACHE_IN_CONFIG=1`, a `cache` in the config;
//! `WARDEN_BENCH_COMPONENT`, another build of the job;
//! `WARDEN_BENCH_KEEP=1` keeps the scratch folder).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use warden::standin::{Seed, StandIn};

const TOKEN: &str = "7~oneshot-bench-token";
const TOKEN_ENV: &str = "ONESHOT_BENCH_TOKEN";
const ACCOUNT: u64 = 2;
const PAGES: usize = 100;
const PER_PAGE: usize = 100;
/// Set in the native client's environment: the first page's URL.
const NATIVE_URL_ENV: &str = "WARDEN_ONESHOT_NATIVE_URL";
/// The `warden` binary cargo built with this bench; `WARDEN_BENCH_BIN`
/// names another (an older build, to compare).
fn warden_bin() -> std::path::PathBuf {
    std::env::var_os("WARDEN_BENCH_BIN")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_warden").into())
}

fn main() {
    if let Ok(url) = std::env::var(NATIVE_URL_ENV) {
        native::main(&url);
        return;
    }
    let runs = env_number("WARDEN_BENCH_RUNS", 20);
    let no_cache_runs = env_number("WARDEN_BENCH_NO_CACHE_RUNS", 3);

    let pages = Arc::new(render_pages());
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    {
        let (pages, base) = (Arc::clone(&pages), base.clone());
        std::thread::spawn(move || serve(listener, pages, base));
    }

    let scratch = std::env::temp_dir().join(format!("warden-oneshot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("home")).expect("scratch");
    let xdg = scratch.join("xdg-cache");
    let config = scratch.join("warden.toml");
    // `WARDEN_BENCH_CACHE_IN_CONFIG=1` names a cache in the config instead
    // (for binaries without a default cache).
    let cache_line = if std::env::var_os("WARDEN_BENCH_CACHE_IN_CONFIG").is_some() {
        format!("cache = {:?}\n", xdg.join("warden"))
    } else {
        String::new()
    };
    std::fs::write(
        &config,
        format!(
            "version = 1\n{cache_line}[canvas]\nbase_url = {base:?}\ntoken_env = {TOKEN_ENV:?}\n"
        ),
    )
    .expect("config");
    // `WARDEN_BENCH_COMPONENT` names another build of the job.
    let component = std::env::var("WARDEN_BENCH_COMPONENT")
        .unwrap_or_else(|_| warden_test_artifacts::JOB_UNPUBLISHED_COURSES.to_string());
    let manifest = scratch.join("job.toml");
    std::fs::write(
        &manifest,
        format!(
            "version = 1\n[job]\nname = \"unpublished-courses\"\ncomponent = {:?}\n[canvas]\nscopes = [\"url:GET|/api/v1/accounts/:account_id/courses\"]\n[limits]\nmax_requests = 1000\n[env]\nACCOUNT_ID = \"{ACCOUNT}\"\n",
            component
        ),
    )
    .expect("manifest");
    let first = format!(
        "{base}/api/v1/accounts/{ACCOUNT}/courses?published=false&include%5B%5D=term&per_page={PER_PAGE}"
    );
    let bin = warden_bin();
    let warden = |extra: &[&str]| {
        let mut cmd = Command::new(&bin);
        cmd.arg("run")
            .arg(&manifest)
            .arg("--config")
            .arg(&config)
            .args(extra);
        cmd.env("HOME", scratch.join("home"))
            .env("XDG_CACHE_HOME", &xdg)
            .env(TOKEN_ENV, TOKEN)
            .env_remove("WARDEN_LOG");
        cmd
    };
    let native = || {
        let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
        cmd.env(NATIVE_URL_ENV, &first).env(TOKEN_ENV, TOKEN);
        cmd
    };

    println!("warden one-shot benchmark: `warden run` process vs a native client process");
    println!("  {}", common::machine_line());
    println!("  warden binary: {}", bin.display());
    println!("  load average before: {}", common::load_average());
    println!(
        "  {PAGES} pages of {PER_PAGE} courses from 127.0.0.1 ({} KiB a page on average); {runs} runs of each, alternated",
        pages.iter().map(|p| p.len()).sum::<usize>() / PAGES / 1024
    );

    let cold = time(warden(&[]));
    let entries = cache_entries(&xdg.join("warden"));
    println!(
        "  first run, empty default cache: {:.1} ms ({} compiled component(s) now in {})",
        ms(cold),
        entries,
        xdg.join("warden").display()
    );
    if entries == 0 {
        println!("  WARNING: the first run left nothing in the cache: every run compiles");
    }
    let mut no_cache: Vec<Duration> = (0..no_cache_runs)
        .map(|_| time(warden(&["--no-cache"])))
        .collect();
    // Warm-up of each.
    time(warden(&[]));
    time(native());

    let (mut w, mut n, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        // Alternate which goes first, so neither always follows the other.
        let (a, b) = if i % 2 == 0 {
            let a = time(warden(&[]));
            (a, time(native()))
        } else {
            let b = time(native());
            (time(warden(&[])), b)
        };
        w.push(a);
        n.push(b);
        ratios.push(a.as_secs_f64() / b.as_secs_f64());
    }
    let (wm, nm) = (median(&mut w), median(&mut n));
    ratios.sort_by(f64::total_cmp);
    let ratio_median = common::nearest_rank(&ratios, 50).unwrap_or(f64::NAN);
    let row = |name: &str, samples: &[Duration], median: Duration| {
        println!(
            "  {name:<34} median {:>7.1} ms  (min {:.1}, p90 {:.1}, max {:.1})",
            ms(median),
            ms(samples[0]),
            ms(common::nearest_rank(samples, 90).unwrap_or_default()),
            ms(*samples.last().unwrap())
        )
    };
    row("warden run (default cache, warm):", &w, wm);
    row("native reqwest client:", &n, nm);
    if !no_cache.is_empty() {
        let nc = median(&mut no_cache);
        row("warden run --no-cache:", &no_cache, nc);
    }
    let per_request = (wm.as_secs_f64() - nm.as_secs_f64()) / PAGES as f64 * 1e3;
    println!(
        "  Warden's extra time: {:.1} ms a run, {per_request:.3} ms a request",
        ms(wm.saturating_sub(nm))
    );
    println!(
        "  ratio of the medians, Warden / native: {:.3}; median of the per-pair ratios: {ratio_median:.3} (target ≤ 1.15 → {})",
        wm.as_secs_f64() / nm.as_secs_f64(),
        if ratio_median <= 1.15 {
            "MET"
        } else {
            "MISSED"
        }
    );
    println!("  load average after: {}", common::load_average());
    if std::env::var_os("WARDEN_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
}

/// Runs the command to its end, checks what it printed, and returns its
/// wall time (spawn to exit, stdout read to its end).
fn time(mut cmd: Command) -> Duration {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let mut stdout = Vec::with_capacity(1 << 20);
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .expect("stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("wait");
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(status.success(), "{status}\n{stderr}");
    let expected = format!(
        "{} unpublished courses in account {ACCOUNT}",
        PAGES * PER_PAGE
    );
    assert_eq!(stdout.lines().last(), Some(expected.as_str()), "{}", stderr);
    assert_eq!(stdout.lines().count(), PAGES * PER_PAGE + 2);
    took
}

fn cache_entries(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
                .count()
        })
        .unwrap_or(0)
}

/// The bodies of pages 1..=100: the stand-in's own course JSON for the
/// account's unpublished courses, with terms.
fn render_pages() -> Vec<Vec<u8>> {
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(async {
        let seed = Seed::demo().with_generated_courses(ACCOUNT, PAGES * PER_PAGE, PAGES * PER_PAGE);
        let canvas = StandIn::start(TOKEN, seed).await.expect("stand-in");
        let client = reqwest::Client::new();
        let mut pages = Vec::new();
        for page in 1..=PAGES {
            let url = format!(
                "{}/api/v1/accounts/{ACCOUNT}/courses?published=false&include[]=term&per_page={PER_PAGE}&page={page}",
                canvas.base_url()
            );
            let response = client
                .get(&url)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("stand-in page");
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.bytes().await.expect("body").to_vec();
            let courses: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("json");
            assert_eq!(courses.len(), PER_PAGE, "page {page}");
            pages.push(body);
        }
        canvas.shutdown().await;
        pages
    })
}

/// A minimal HTTP/1.1 server: one thread a connection, keep-alive, the
/// pre-rendered page that `page=N` names (1 without it), Canvas's `Link`
/// header; 401 without the token.
fn serve(listener: TcpListener, pages: Arc<Vec<Vec<u8>>>, base: String) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (pages, base) = (Arc::clone(&pages), base.clone());
        std::thread::spawn(move || {
            let _ = connection(stream, &pages, &base);
        });
    }
}

fn connection(stream: TcpStream, pages: &[Vec<u8>], base: &str) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let expected_auth = format!("bearer {TOKEN}");
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut authorized = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("authorization") {
                    authorized = value.trim().eq_ignore_ascii_case(&expected_auth);
                }
            }
        }
        if !authorized {
            let body = br#"{"errors":[{"message":"Invalid access token."}]}"#;
            write!(
                writer,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )?;
            writer.write_all(body)?;
            continue;
        }
        let page = target
            .split_once('?')
            .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("page=")))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=PAGES).contains(n))
            .unwrap_or(1);
        let link = |n: usize| {
            format!("<{base}/api/v1/accounts/{ACCOUNT}/courses?published=false&include%5B%5D=term&page={n}&per_page={PER_PAGE}>")
        };
        let mut links = vec![format!("{}; rel=\"current\"", link(page))];
        if page < PAGES {
            links.push(format!("{}; rel=\"next\"", link(page + 1)));
        }
        if page > 1 {
            links.push(format!("{}; rel=\"prev\"", link(page - 1)));
        }
        links.push(format!("{}; rel=\"first\"", link(1)));
        links.push(format!("{}; rel=\"last\"", link(PAGES)));
        let body = &pages[page - 1];
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\nlink: {}\r\nx-rate-limit-remaining: 699.5\r\nx-request-cost: 0.02\r\ncontent-length: {}\r\n\r\n",
            links.join(","),
            body.len()
        );
        let mut response = Vec::with_capacity(head.len() + body.len());
        response.extend_from_slice(head.as_bytes());
        response.extend_from_slice(body);
        writer.write_all(&response)?;
    }
}

/// The native client: what the job does, as a plain Rust program.
mod native {
    use serde::Deserialize;
    use std::io::Write;

    #[derive(Deserialize)]
    struct Course {
        id: u64,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        course_code: Option<String>,
        #[serde(default)]
        term: Option<Term>,
    }

    #[derive(Deserialize)]
    struct Term {
        #[serde(default)]
        name: Option<String>,
    }

    pub fn main(first: &str) {
        let token = std::env::var(super::TOKEN_ENV).expect("token");
        tokio::runtime::Runtime::new()
            .expect("tokio")
            .block_on(async {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("reqwest");
                println!("id\tcourse_code\tname\tterm");
                let mut count = 0;
                let mut next = Some(first.to_string());
                while let Some(url) = next.take() {
                    let response = client
                        .get(&url)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("request");
                    assert!(response.status().is_success(), "{}", response.status());
                    next = super::next_link(response.headers());
                    let body = response.bytes().await.expect("body");
                    let page: Vec<Course> = serde_json::from_slice(&body).expect("courses");
                    for course in &page {
                        println!("{}", line(course));
                    }
                    count += page.len();
                }
                println!("{count} unpublished courses in account {}", super::ACCOUNT);
                std::io::stdout().flush().expect("stdout");
            });
    }

    fn line(course: &Course) -> String {
        let term = course.term.as_ref().and_then(|t| t.name.as_deref());
        [
            course.id.to_string(),
            clean(course.course_code.as_deref()),
            clean(course.name.as_deref()),
            clean(term),
        ]
        .join("\t")
    }

    fn clean(value: Option<&str>) -> String {
        value
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string()
    }
}

/// The `rel="next"` URL of a Canvas `Link` header.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    common::nearest_rank(samples, 50).unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
