//! PATCH throughput of the sandbox on loopback, the same load against Prism
//! (`@stoplight/prism-cli` mocking the project's spec) when it is installed,
//! and memory with many contacts stored. Prints tables; asserts nothing.
//!
//! ```sh
//! npm install --prefix /tmp/prism @stoplight/prism-cli   # optional
//! cargo bench -p dotdigital-sandbox --bench throughput
//! ```
//!
//! Settings (environment): `BENCH_REQUESTS` (default 20000), `BENCH_CONCURRENCY`
//! (32), `BENCH_CONTACTS` (1000000), `PRISM_BIN` (default
//! `/tmp/prism/node_modules/.bin/prism`).

#![allow(clippy::unwrap_used, reason = "a benchmark fails by panicking")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dotdigital_sandbox::Sandbox;
use serde_json::json;

const USER: &str = "demo@apiconnector.com";
const PASSWORD: &str = "demo-password";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One load run's figures.
struct Run {
    target: &'static str,
    requests: usize,
    seconds: f64,
    not_2xx: usize,
}

impl Run {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// Sends `requests` PATCHes with `concurrency` in flight, over keep-alive
/// connections. Emails repeat, so the load mixes creates and updates.
async fn load(target: &'static str, base_url: &str, requests: usize, concurrency: usize) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let not_2xx = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, not_2xx) = (client.clone(), next.clone(), not_2xx.clone());
        let base_url = base_url.to_owned();
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let email = format!("user{}@example.com", i % 5000);
                let body = json!({
                    "identifiers": {"email": email},
                    "dataFields": {"FIRSTNAME": format!("Name {i}"), "POSTCODE": null},
                    "channelProperties": {"email": {"optInType": "single", "emailType": "html"}},
                    "lists": [12345],
                });
                let status = client
                    .patch(format!(
                        "{base_url}/contacts/v3/email/{email}?merge-option=overwrite"
                    ))
                    .basic_auth(USER, Some(PASSWORD))
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().is_success());
                if !matches!(status, Ok(true)) {
                    not_2xx.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    Run {
        target,
        requests,
        seconds: started.elapsed().as_secs_f64(),
        not_2xx: not_2xx.load(Ordering::Relaxed),
    }
}

/// Starts Prism on a free port, or says why not.
async fn start_prism() -> Result<(Child, String), String> {
    let bin = std::env::var("PRISM_BIN")
        .unwrap_or_else(|_| "/tmp/prism/node_modules/.bin/prism".to_owned());
    if !PathBuf::from(&bin).exists() {
        return Err(format!(
            "{bin} not found (npm install --prefix /tmp/prism @stoplight/prism-cli)"
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let spec =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/dotdigital-contacts.yaml");
    let child = Command::new(&bin)
        .args(["mock", "--host", "127.0.0.1", "-p", &port.to_string()])
        .arg(spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {bin}: {e}"))?;
    let base_url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client.get(&base_url).send().await.is_ok() {
            return Ok((child, base_url));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("Prism did not answer within 60 s".to_owned())
}

fn rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[tokio::main]
async fn main() {
    let requests = setting("BENCH_REQUESTS", 20_000);
    let concurrency = setting("BENCH_CONCURRENCY", 32);
    let contacts = setting("BENCH_CONTACTS", 1_000_000);

    let sandbox = Sandbox::start_default().await.unwrap();
    // Warm up connections and the store.
    load("warm-up", sandbox.base_url(), 1000, concurrency).await;
    let mut runs = vec![load("sandbox", sandbox.base_url(), requests, concurrency).await];
    sandbox.shutdown().await;

    match start_prism().await {
        Ok((mut prism, base_url)) => {
            load("warm-up", &base_url, 200, concurrency).await;
            // Prism is much slower; a tenth of the load gives a steady figure.
            runs.push(load("prism", &base_url, (requests / 10).max(500), concurrency).await);
            let _ = prism.kill();
            let _ = prism.wait();
        }
        Err(why) => println!("Prism skipped: {why}\n"),
    }

    println!("PATCH /contacts/v3/email/{{value}} on loopback, {concurrency} in flight");
    println!("| target  | requests | seconds | requests/s | non-2xx |");
    println!("|---------|---------:|--------:|-----------:|--------:|");
    for run in &runs {
        println!(
            "| {:<7} | {:>8} | {:>7.2} | {:>10.0} | {:>7} |",
            run.target,
            run.requests,
            run.seconds,
            run.per_second(),
            run.not_2xx
        );
    }
    if let [sandbox, prism] = runs.as_slice() {
        println!(
            "\nsandbox / prism throughput: {:.1}x",
            sandbox.per_second() / prism.per_second()
        );
    }

    let sandbox = Sandbox::start_default().await.unwrap();
    let before = rss_kib();
    let started = Instant::now();
    for i in 0..contacts {
        sandbox
            .import_contact(json!({
                "identifiers": {"email": format!("user{i}@example.com")},
                "dataFields": {"FIRSTNAME": "Ann", "LASTNAME": format!("Smith{i}")},
            }))
            .unwrap();
    }
    let seeded = started.elapsed();
    let after = rss_kib();
    println!("\nMemory with {contacts} contacts (email + 2 data fields each)");
    println!("| RSS before | RSS after | per contact | seeding time |");
    println!("|-----------:|----------:|------------:|-------------:|");
    match (before, after) {
        (Some(before), Some(after)) => println!(
            "| {:>7} MiB | {:>6} MiB | {:>7} bytes | {:>10.1} s |",
            before / 1024,
            after / 1024,
            (after.saturating_sub(before) * 1024) / contacts.max(1) as u64,
            seeded.as_secs_f64()
        ),
        _ => println!(
            "| VmRSS unavailable (not Linux) | | | {:.1} s |",
            seeded.as_secs_f64()
        ),
    }
    assert_eq!(sandbox.contact_count(), contacts);
}
