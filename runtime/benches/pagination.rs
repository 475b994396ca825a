//! Lists 10,000 courses (100 pages of 100) from the Canvas stand-in twice in
//! each round: once through Warden (the `paginate` guest, warden-sdk's
//! `paginate` following `Link: rel="next"`, every request scope-checked,
//! token-injected, redacted and metered by the default rate-limit governor)
//! and once with a plain native Rust client
//! (reqwest, following the same links). Prints the wall times and their
//! ratio; the target is Warden within 1.15× of the native client.
//!
//! `cargo bench -p warden --bench pagination` (`WARDEN_BENCH_ROUNDS`, default 7).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use warden::client::CanvasClient;
use warden::governor::{Governor, GovernorSettings};
use warden::manifest::Manifest;
use warden::request::Origin;
use warden::run::{RunOptions, RunStatus, Runner};
use warden::sandbox::Sandbox;
use warden::standin::{Seed, StandIn};
use warden::token::{Token, TokenSource};

const TOKEN: &str = "7~pagination-bench-token";
const ACCOUNT: u64 = 2;
const COURSES: usize = 10_000;

#[derive(serde::Deserialize)]
struct Course {
    #[allow(dead_code)]
    id: u64,
}

fn main() {
    let rounds: usize = std::env::var("WARDEN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let runtime = tokio::runtime::Runtime::new().expect("tokio");
    runtime.block_on(bench(rounds));
}

async fn bench(rounds: usize) {
    // The demo data has some courses in the account already; top it up to
    // exactly 10,000 live ones.
    let existing = Seed::demo()
        .courses
        .iter()
        .filter(|c| c.account_id == ACCOUNT && c.workflow_state != "deleted")
        .count();
    let seed = Seed::demo().with_generated_courses(ACCOUNT, COURSES - existing, 0);
    let canvas = StandIn::start(TOKEN, seed).await.expect("stand-in");
    let base = canvas.base_url();

    let sandbox = Sandbox::new().expect("sandbox");
    let component = sandbox
        .load(Path::new(warden_test_artifacts::PAGINATE))
        .expect("paginate guest");
    let text = format!(
        "version = 1\n[job]\nname = \"paginate\"\ncomponent = {:?}\n[canvas]\nscopes = [\"url:GET|/api/v1/accounts/:account_id/courses\"]\n[env]\nACCOUNT_ID = \"{ACCOUNT}\"\nPER_PAGE = \"100\"\n",
        warden_test_artifacts::PAGINATE
    );
    let manifest = Manifest::parse(Path::new("bench/job.toml"), &text).expect("manifest");
    let runner = Runner {
        sandbox,
        client: CanvasClient::new().expect("client"),
        origin: Origin::parse(&base).expect("origin"),
        token: TokenSource::Fixed(Token::new(TOKEN).expect("token")),
        // What `warden run` and `serve` use: the default rate-limit governor.
        governor: Governor::new(GovernorSettings::default()),
    };
    let native = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("reqwest");

    println!("warden pagination benchmark");
    println!("  {}", common::machine_line());
    println!("  load average before: {}", common::load_average());
    println!("  {COURSES} courses, 100 a page; {rounds} rounds, each: Warden then native");
    // One of each to warm up connections and caches.
    warden_once(&runner, &manifest, &component).await;
    native_once(&native, &base).await;

    let (mut w, mut n) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        w.push(warden_once(&runner, &manifest, &component).await);
        n.push(native_once(&native, &base).await);
    }
    let (wm, nm) = (median(&mut w), median(&mut n));
    println!(
        "  through Warden (guest + host):  median {:>8.1} ms  (min {:.1}, max {:.1})",
        ms(wm),
        ms(w[0]),
        ms(*w.last().unwrap())
    );
    println!(
        "  native reqwest client:          median {:>8.1} ms  (min {:.1}, max {:.1})",
        ms(nm),
        ms(n[0]),
        ms(*n.last().unwrap())
    );
    let ratio = wm.as_secs_f64() / nm.as_secs_f64();
    println!(
        "  ratio Warden / native: {ratio:.3}  (target ≤ 1.15 → {})",
        if ratio <= 1.15 { "MET" } else { "MISSED" }
    );
    println!("  load average after: {}", common::load_average());
    canvas.shutdown().await;
}

async fn warden_once(
    runner: &Runner,
    manifest: &Manifest,
    component: &warden::sandbox::JobComponent,
) -> Duration {
    let started = Instant::now();
    let report = runner
        .run(manifest, component, RunOptions::new("bench"))
        .await
        .expect("run");
    let took = started.elapsed();
    assert_eq!(report.status, RunStatus::Succeeded, "{:?}", report.message);
    assert!(
        report
            .stdout_tail
            .contains(&format!("courses {COURSES} distinct {COURSES}")),
        "{}",
        report.stdout_tail
    );
    assert_eq!(report.stats.sent, (COURSES / 100) as u64);
    took
}

async fn native_once(client: &reqwest::Client, base: &str) -> Duration {
    let started = Instant::now();
    let mut next = Some(format!(
        "{base}/api/v1/accounts/{ACCOUNT}/courses?per_page=100"
    ));
    let mut count = 0;
    while let Some(url) = next.take() {
        let response = client
            .get(&url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("native request");
        next = next_link(response.headers());
        let body = response.bytes().await.expect("native body");
        let page: Vec<Course> = serde_json::from_slice(&body).expect("a page of courses");
        count += page.len();
    }
    let took = started.elapsed();
    assert_eq!(count, COURSES);
    took
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

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    common::nearest_rank(samples, 50).unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
