//! Sync benchmarks (not tests): run with `cargo bench -p dotdigital-cli --bench sync [-- WHAT]`
//! where WHAT is `cpu`, `duplicates`, `faults`, `rate-limit`, `memory` or `all` (the default).
//!
//! - cpu: what the CLI costs per row. 100k rows synced by `dotdigital
//!   contacts sync`, and the same PATCHes sent by a raw reqwest loop at the
//!   same concurrency, each in a process of its own (this benchmark re-run as
//!   `__raw-loop`), against a [`FixedServer`] that answers at once from a
//!   thread of this process. CPU time is the child's user + sys from
//!   `getrusage(RUSAGE_CHILDREN)`. Both run one runtime worker
//!   (`TOKIO_WORKER_THREADS=1`): with two beside the server thread on two
//!   cores, idle workers' spinning swung the ratio between 0.86 and 1.50.
//!   7 interleaved runs; the ratio CLI / raw of CPU per row is the median of
//!   each CLI run's ratio to the raw run after it (target <= 1.15).
//! - duplicates: what per-contact order costs. 100k rows where every 10th
//!   row names the contact of the row 3 before it (within the 16 in flight,
//!   so it really waits), beside the same file with every contact distinct,
//!   into a sandbox (its own process) answering after 2 ms; 5 interleaved
//!   pairs, the ratio of the medians' rows/s (target >= 90%).
//! - faults: 10k rows into a sandbox (its own process) answering 10% of calls
//!   with 500/503 and dropping 2% of connections, beside the same sync
//!   without faults; interleaved, 2 rounds: rows landed, attempts per row,
//!   and the time ratio (no target: it is the retries' backoff).
//! - rate-limit (against the sandbox in its own process): 1.5 windows' worth of rows against a sandbox at 400 calls a
//!   minute (its window opens with the first call): the share of the allowed
//!   rate achieved (target >= 95%) and of calls answered 429 (target <= 1%).
//! - memory: the CLI's peak RSS syncing a 1M-row file into the sandbox (in its
//!   own process), sampled as it goes
//!   (target: flat, <= 64 MB).

#![allow(clippy::unwrap_used, reason = "a benchmark fails by panicking")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dotdigital_capture_server::{FixedServer, Reply};
use dotdigital_contacts::types;
use nix::sys::resource::{UsageWho, getrusage};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_dotdigital");
const CONCURRENCY: usize = 16;

struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(extra: &[&str]) -> Self {
        let (child, base_url) = dotdigital_capture_server::spawn_listening(
            Command::new(BIN)
                .args(["sandbox", "--port", "0"])
                .args(extra),
        )
        .unwrap();
        SandboxProcess { child, base_url }
    }

    fn stats(&self) -> Value {
        admin(|client| client.get(format!("{}/_sandbox/stats", self.base_url)))
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

/// Like [`write_csv`], but every 10th row names the contact of the row 3
/// before it (10% of the rows are a contact's second row) when `duplicated`.
fn write_csv_with_duplicates(path: &Path, rows: usize, duplicated: bool) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(file, "email,FIRSTNAME,LASTNAME,POSTCODE").unwrap();
    for i in 0..rows {
        let contact = if duplicated && i % 10 == 9 { i - 3 } else { i };
        writeln!(
            file,
            "bench.{contact:07}@example.com,First{},Last{},N{} {}AB",
            i % 97,
            i % 89,
            i % 20,
            i % 9
        )
        .unwrap();
    }
}

fn duplicates(dir: &Path) {
    const ROWS: usize = 100_000;
    const PAIRS: usize = 5;
    let (distinct, duplicated) = (dir.join("distinct.csv"), dir.join("duplicated.csv"));
    write_csv_with_duplicates(&distinct, ROWS, false);
    write_csv_with_duplicates(&duplicated, ROWS, true);
    let sandbox = SandboxProcess::start(&["--latency-ms", "2"]);
    let (mut plain, mut dup) = (Vec::new(), Vec::new());
    for _ in 0..PAIRS {
        for (input, rates) in [(&distinct, &mut plain), (&duplicated, &mut dup)] {
            admin(|client| client.post(format!("{}/_sandbox/reset", sandbox.base_url)));
            let elapsed = run_sync(&sandbox, input, CONCURRENCY);
            rates.push(ROWS as f64 / elapsed.as_secs_f64());
        }
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let runs = |rates: &[f64]| {
        rates
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let (plain_rate, dup_rate) = (median(plain.clone()), median(dup.clone()));
    println!(
        "| duplicates: {ROWS} rows, concurrency {CONCURRENCY}, sandbox answering after 2 ms, {PAIRS} interleaved pairs | rows/s (median) | runs |"
    );
    println!("|---|---|---|");
    println!(
        "| every contact distinct | {plain_rate:.0} | {} |",
        runs(&plain)
    );
    println!(
        "| 10% of rows a contact's second row, 3 rows after its first | {dup_rate:.0} | {} |",
        runs(&dup)
    );
    println!(
        "| ratio duplicated / distinct | {:.1}% (target >= 90%) | |\n",
        dup_rate / plain_rate * 100.0
    );
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

/// The same PATCHes, hand-written with reqwest, at the same concurrency:
/// what this benchmark runs as `__raw-loop INPUT BASE_URL CONCURRENCY`.
fn raw_loop(input: &Path, base_url: &str, concurrency: usize) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let client = reqwest::Client::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut reader = csv::Reader::from_path(input).unwrap();
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
                let _: types::Contact = response.json().await.unwrap();
                drop(permit);
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    });
}

/// CPU time (user + sys) of every child process waited for so far.
fn children_cpu() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    let time =
        |t: nix::sys::time::TimeVal| Duration::new(t.tv_sec() as u64, t.tv_usec() as u32 * 1000);
    time(usage.user_time()) + time(usage.system_time())
}

/// Runs `command` to its end: wall time and the CPU time it used.
fn run_child(command: &mut Command) -> (Duration, Duration) {
    let (cpu, start) = (children_cpu(), Instant::now());
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{command:?} failed");
    (start.elapsed(), children_cpu() - cpu)
}

fn cpu(dir: &Path) {
    const ROWS: usize = 100_000;
    const RUNS: usize = 7;
    let input = dir.join("cpu.csv");
    write_csv(&input, ROWS);
    let contact = json!({"contactId": 7, "status": "subscribed", "created": "2026-01-05T09:30:00Z", "updated": "2026-01-05T09:30:00Z",
                         "identifiers": {"email": "bench@example.com"}, "dataFields": {"FIRSTNAME": "First1", "LASTNAME": "Last1", "POSTCODE": "N1 1AB"}});
    let server = FixedServer::start(Reply::json(200, contact).unlimited_rate());
    let base_url = server.base_url();
    let (mut cli, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        cli.push(run_child(
            Command::new(BIN)
                .args(["contacts", "sync"])
                .arg(&input)
                .args(["--concurrency", &CONCURRENCY.to_string()])
                .env("DOTDIGITAL_BASE_URL", &base_url)
                .env("DOTDIGITAL_API_USER", "demo@apiconnector.com")
                .env("DOTDIGITAL_API_PASSWORD", "demo-password")
                .env("TOKIO_WORKER_THREADS", "1"),
        ));
        raw.push(run_child(
            Command::new(std::env::current_exe().unwrap())
                .env("TOKIO_WORKER_THREADS", "1")
                .arg("__raw-loop")
                .arg(&input)
                .arg(&base_url)
                .arg(CONCURRENCY.to_string()),
        ));
    }
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        (
            values[values.len() / 2],
            values[0],
            values[values.len() - 1],
        )
    };
    let rate = |runs: &[(Duration, Duration)]| {
        median(
            runs.iter()
                .map(|r| ROWS as f64 / r.0.as_secs_f64())
                .collect(),
        )
        .0
    };
    let cpu_per_row = |runs: &[(Duration, Duration)]| {
        median(
            runs.iter()
                .map(|r| r.1.as_secs_f64() * 1e6 / ROWS as f64)
                .collect(),
        )
        .0
    };
    // Each CLI run against the raw run right after it: the machine's slow
    // drifts cancel in the pair's ratio.
    let (ratio, low, high) = median(
        cli.iter()
            .zip(&raw)
            .map(|(c, r)| c.1.as_secs_f64() / r.1.as_secs_f64())
            .collect(),
    );
    println!(
        "| cpu: {ROWS} rows, concurrency {CONCURRENCY}, fixed-reply server, medians of {RUNS} interleaved runs | rows/s | CPU per row |"
    );
    println!("|---|---|---|");
    println!(
        "| dotdigital contacts sync | {:.0} | {:.1} us |",
        rate(&cli),
        cpu_per_row(&cli)
    );
    println!(
        "| raw reqwest loop | {:.0} | {:.1} us |",
        rate(&raw),
        cpu_per_row(&raw)
    );
    println!(
        "| ratio CLI / raw (median of the runs' ratios, range {low:.3} to {high:.3}) | {:.3} | {ratio:.3} (target <= 1.15) |\n",
        rate(&cli) / rate(&raw)
    );
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

fn faults(dir: &Path) {
    const ROWS: usize = 10_000;
    let input = dir.join("faults.csv");
    write_csv(&input, ROWS);
    let clean = SandboxProcess::start(&[]);
    let faulty =
        SandboxProcess::start(&["--fail-rate", "0.1", "--drop-rate", "0.02", "--seed", "7"]);
    let (mut clean_times, mut faulty_times, mut attempts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..2 {
        for (sandbox, times) in [(&clean, &mut clean_times), (&faulty, &mut faulty_times)] {
            admin(|client| client.post(format!("{}/_sandbox/reset", sandbox.base_url)));
            times.push(run_sync(sandbox, &input, CONCURRENCY));
            let stats = sandbox.stats();
            let count = |key: &str| -> u64 {
                stats[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["route"].as_str().unwrap().starts_with("PATCH "))
                    .map(|e| e["count"].as_u64().unwrap())
                    .sum()
            };
            let created = stats["requests"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| {
                    e["route"].as_str().unwrap().starts_with("PATCH ") && e["status"] == 201
                })
                .map(|e| e["count"].as_u64().unwrap())
                .sum::<u64>();
            assert_eq!(created, ROWS as u64, "every row landed, once");
            if std::ptr::eq(sandbox, &faulty) {
                attempts.push(count("requests") + count("droppedConnections"));
            }
        }
    }
    let mean = |times: &[Duration]| times.iter().sum::<Duration>() / times.len() as u32;
    let (clean_mean, faulty_mean) = (mean(&clean_times), mean(&faulty_times));
    let secs = |times: &[Duration]| {
        times
            .iter()
            .map(|t| format!("{:.1}", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "| faults: {ROWS} rows, concurrency {CONCURRENCY}, 2 rounds | no faults | 10% 500/503 + 2% dropped |"
    );
    println!("|---|---|---|");
    println!("| rows landed, each once | {ROWS} | {ROWS} |");
    println!(
        "| attempts per row | 1.000 | {} |",
        attempts
            .iter()
            .map(|a| format!("{:.3}", *a as f64 / ROWS as f64))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    println!(
        "| elapsed per round | {} s | {} s |",
        secs(&clean_times),
        secs(&faulty_times)
    );
    println!(
        "| ratio faulted / clean (mean) | | {:.1}x |\n",
        faulty_mean.as_secs_f64() / clean_mean.as_secs_f64()
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
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, input, base_url, concurrency] = args.as_slice()
        && mode == "__raw-loop"
    {
        return raw_loop(Path::new(input), base_url, concurrency.parse().unwrap());
    }
    let what = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "all".to_owned());
    let dir: PathBuf =
        std::env::temp_dir().join(format!("dotdigital-sync-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if matches!(what.as_str(), "cpu" | "all") {
        cpu(&dir);
    }
    if matches!(what.as_str(), "duplicates" | "all") {
        duplicates(&dir);
    }
    if matches!(what.as_str(), "faults" | "all") {
        faults(&dir);
    }
    if matches!(what.as_str(), "rate-limit" | "all") {
        rate_limit(&dir);
    }
    if matches!(what.as_str(), "memory" | "all") {
        memory(&dir);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
