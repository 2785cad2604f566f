//! Sync benchmarks (not tests): run with `cargo bench -p dotdigital-cli --bench sync [-- WHAT]`
//! where WHAT is `throughput`, `rate-limit`, `memory` or `all` (the default).
//!
//! The sandbox runs as its own process (`dotdigital sandbox`), so neither
//! side of a comparison shares a runtime with it.
//!
//! - throughput: 100k rows synced by `dotdigital contacts sync` against a raw
//!   reqwest client sending the same PATCHes at the same concurrency; the
//!   ratio CLI / raw (target >= 0.9).
//! - rate-limit: 1.5 windows' worth of rows against a sandbox at 400 calls a
//!   minute (its window opens with the first call): the share of the allowed
//!   rate achieved (target >= 95%) and of calls answered 429 (target <= 1%).
//! - memory: the CLI's peak RSS syncing a 1M-row file, sampled as it goes
//!   (target: flat, <= 64 MB).

#![allow(clippy::unwrap_used, reason = "a benchmark fails by panicking")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dotdigital");
const CONCURRENCY: usize = 16;

struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["sandbox", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap()
            .to_owned();
        SandboxProcess { child, base_url }
    }

    fn stats(&self) -> Value {
        admin(|client| client.get(format!("{}/_sandbox/stats", self.base_url)))
    }

    fn reset(&self) {
        admin(|client| client.post(format!("{}/_sandbox/reset", self.base_url)));
    }
}

/// One admin call to the sandbox, from this (synchronous) benchmark.
fn admin(request: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();
    runtime.block_on(async {
        request(&client)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(Value::Null)
    })
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_csv(path: &Path, rows: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "email,FIRSTNAME,LASTNAME,POSTCODE").unwrap();
    for i in 0..rows {
        writeln!(
            file,
            "bench.{i:07}@example.com,First{},Last{},N{} {}AB",
            i % 97,
            i % 89,
            i % 20,
            i % 9
        )
        .unwrap();
    }
}

fn sync(sandbox: &SandboxProcess, input: &Path, concurrency: usize) -> (Duration, Child) {
    let start = Instant::now();
    let child = Command::new(BIN)
        .args(["contacts", "sync"])
        .arg(input)
        .args(["--concurrency", &concurrency.to_string()])
        .env("DOTDIGITAL_BASE_URL", &sandbox.base_url)
        .env("DOTDIGITAL_API_USER", "demo@apiconnector.com")
        .env("DOTDIGITAL_API_PASSWORD", "demo-password")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (start.elapsed(), child)
}

fn run_sync(sandbox: &SandboxProcess, input: &Path, concurrency: usize) -> Duration {
    let start = Instant::now();
    let (_, mut child) = sync(sandbox, input, concurrency);
    assert!(child.wait().unwrap().success(), "the sync failed");
    start.elapsed()
}

/// The same PATCHes, hand-written with reqwest, at the same concurrency.
fn run_raw(base_url: &str, input: &Path, concurrency: usize) -> Duration {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base_url = base_url.to_owned();
    let input = input.to_owned();
    runtime.block_on(async move {
        let client = reqwest::Client::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut reader = csv::Reader::from_path(&input).unwrap();
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for record in reader.records() {
            let record = record.unwrap();
            let email = record[0].to_owned();
            let body = json!({"identifiers": {"email": email}, "dataFields": {"FIRSTNAME": &record[1], "LASTNAME": &record[2], "POSTCODE": &record[3]}});
            let permit = permits.clone().acquire_owned().await.unwrap();
            let (client, url) = (client.clone(), format!("{base_url}/contacts/v3/email/{email}?merge-option=overwrite"));
            tasks.spawn(async move {
                let response = client.patch(url).basic_auth("demo@apiconnector.com", Some("demo-password")).json(&body).send().await.unwrap();
                assert!(response.status().is_success());
                let _: Value = response.json().await.unwrap();
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        start.elapsed()
    })
}

fn patch_counts(sandbox: &SandboxProcess) -> (u64, u64) {
    let stats = sandbox.stats();
    let mut all = 0;
    let mut limited = 0;
    for entry in stats["requests"].as_array().unwrap() {
        if entry["route"].as_str().unwrap().starts_with("PATCH ") {
            all += entry["count"].as_u64().unwrap();
            if entry["status"] == 429 {
                limited += entry["count"].as_u64().unwrap();
            }
        }
    }
    (all, limited)
}

fn throughput(dir: &Path) {
    const ROWS: usize = 100_000;
    let input = dir.join("throughput.csv");
    write_csv(&input, ROWS);
    let sandbox = SandboxProcess::start(&[]);
    // Interleave twice each; the sandbox is reset so every run creates.
    let mut cli = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..2 {
        sandbox.reset();
        cli.push(run_sync(&sandbox, &input, CONCURRENCY));
        sandbox.reset();
        raw.push(run_raw(&sandbox.base_url, &input, CONCURRENCY));
    }
    let best = |runs: &[Duration]| runs.iter().min().copied().unwrap();
    let (cli, raw) = (best(&cli), best(&raw));
    let rate = |d: Duration| ROWS as f64 / d.as_secs_f64();
    println!("| throughput: {ROWS} rows, concurrency {CONCURRENCY}, best of 2 | rows/s |");
    println!("|---|---|");
    println!("| dotdigital contacts sync | {:.0} |", rate(cli));
    println!("| raw reqwest PATCHes | {:.0} |", rate(raw));
    println!(
        "| ratio CLI / raw | {:.3} (target >= 0.9) |\n",
        rate(cli) / rate(raw)
    );
}

fn rate_limit(dir: &Path) {
    const LIMIT: u64 = 400;
    let rows = LIMIT as usize * 3 / 2;
    let input = dir.join("rate.csv");
    write_csv(&input, rows);
    let sandbox = SandboxProcess::start(&["--rate-limit", &LIMIT.to_string()]);
    let elapsed = run_sync(&sandbox, &input, CONCURRENCY);
    let (calls, limited) = patch_counts(&sandbox);
    // At the limit, the first window takes LIMIT rows in 60 s and the rest
    // follow at LIMIT per minute: the best possible finish.
    let ideal = Duration::from_secs_f64(rows as f64 / LIMIT as f64 * 60.0);
    println!("| rate limit: {rows} rows at {LIMIT} calls/min, concurrency {CONCURRENCY} | value |");
    println!("|---|---|");
    println!(
        "| elapsed (ideal {:.0} s) | {:.1} s |",
        ideal.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "| share of the allowed rate achieved | {:.1}% (target >= 95%) |",
        ideal.as_secs_f64() / elapsed.as_secs_f64() * 100.0
    );
    println!(
        "| calls answered 429 | {limited} of {calls} = {:.2}% (target <= 1%) |\n",
        limited as f64 / calls as f64 * 100.0
    );
}

fn memory(dir: &Path) {
    const ROWS: usize = 1_000_000;
    let input = dir.join("memory.csv");
    write_csv(&input, ROWS);
    let sandbox = SandboxProcess::start(&[]);
    let (_, mut child) = sync(&sandbox, &input, CONCURRENCY);
    let status = format!("/proc/{}/status", child.id());
    let field = |text: &str, name: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let started = Instant::now();
    let (mut peak_kb, mut samples) = (0, Vec::new());
    while child.try_wait().unwrap().is_none() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            peak_kb = peak_kb.max(field(&text, "VmHWM:").unwrap_or(0));
            if let Some(rss) = field(&text, "VmRSS:") {
                samples.push((started.elapsed(), rss));
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let elapsed = started.elapsed();
    let at = |fraction: f64| {
        samples
            .get(((samples.len() as f64 * fraction) as usize).min(samples.len().saturating_sub(1)))
            .map_or(0, |s| s.1)
    };
    println!("| memory: {ROWS} rows synced (sandbox in its own process) | value |");
    println!("|---|---|");
    println!(
        "| elapsed | {:.1} s ({:.0} rows/s) |",
        elapsed.as_secs_f64(),
        ROWS as f64 / elapsed.as_secs_f64()
    );
    println!(
        "| CLI RSS at 10% / 50% / 90% of the run | {:.1} / {:.1} / {:.1} MB |",
        at(0.1) as f64 / 1024.0,
        at(0.5) as f64 / 1024.0,
        at(0.9) as f64 / 1024.0
    );
    println!(
        "| CLI peak RSS (VmHWM) | {:.1} MB (target <= 64 MB) |\n",
        peak_kb as f64 / 1024.0
    );
}

fn main() {
    let what = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "all".to_owned());
    let dir: PathBuf =
        std::env::temp_dir().join(format!("dotdigital-sync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if matches!(what.as_str(), "throughput" | "all") {
        throughput(&dir);
    }
    if matches!(what.as_str(), "rate-limit" | "all") {
        rate_limit(&dir);
    }
    if matches!(what.as_str(), "memory" | "all") {
        memory(&dir);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
