//! The CLI under real conditions: transient faults and 429s, a crash in the
//! middle of a sync, a dry run, a rate cap, exit codes, and pipes.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use dotdigital_sandbox::Sandbox;
use serde_json::Value;

/// Every report line parsed, each row counted.
fn rows_by_status(path: &std::path::Path) -> (BTreeMap<u64, u32>, BTreeMap<String, u32>) {
    let (mut rows, mut statuses) = (BTreeMap::new(), BTreeMap::new());
    for line in report(path) {
        *rows.entry(line["row"].as_u64().unwrap()).or_insert(0) += 1;
        *statuses
            .entry(line["status"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    (rows, statuses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rows_land_in_one_run_through_faults_and_429s() {
    const ROWS: u32 = 10_000;
    // 10% 500/503, 2% dropped connections, and a rate limit of 2,000 calls
    // per 2 s window that another integration of the same API user spends in
    // bursts, so the sync's pacing cannot see the 429s coming.
    let sandbox = start(
        Sandbox::builder()
            .fail_rate(0.10)
            .drop_rate(0.02)
            .seed(7)
            .rate_limit(2_000)
            .rate_limit_window(Duration::from_secs(2)),
    )
    .await;
    let neighbour = {
        let (base, user, password) = (
            sandbox.base_url().to_owned(),
            sandbox.api_user(),
            sandbox.api_password(),
        );
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let call = move |client: reqwest::Client| {
                let (base, user, password) = (base.clone(), user.clone(), password.clone());
                async move {
                    client
                        .get(format!("{base}/contacts/v3/email/neighbour@example.com"))
                        .basic_auth(&user, Some(&password))
                        .send()
                        .await
                        .ok()
                        .and_then(|r| {
                            r.headers()
                                .get("x-ratelimit-remaining")?
                                .to_str()
                                .ok()?
                                .parse::<usize>()
                                .ok()
                        })
                }
            };
            loop {
                tokio::time::sleep(Duration::from_millis(2_500)).await;
                // Spend what is left of the window at once, concurrently: the
                // sync's pacing cannot see it coming, however fast this
                // machine runs it.
                let left = call(client.clone()).await.unwrap_or(0);
                let mut burst = tokio::task::JoinSet::new();
                for _ in 0..left.min(1_500) {
                    burst.spawn(call(client.clone()));
                }
                while burst.join_next().await.is_some() {}
            }
        })
    };
    let input = contacts_csv("faults.csv", ROWS);
    let path = temp_path("faults.jsonl");
    let started = Instant::now();
    let output = run(dotdigital(&sandbox)
        .args(["contacts", "sync", "--concurrency", "64", "--report"])
        .arg(&path)
        .arg(&input))
    .await;
    let elapsed = started.elapsed();
    neighbour.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let (rows, statuses) = rows_by_status(&path);
    assert_eq!(rows.len(), ROWS as usize, "every row is in the report");
    assert!(rows.values().all(|n| *n == 1), "each exactly once");
    assert_eq!(statuses, BTreeMap::from([("created".to_owned(), ROWS)]));

    let (answered, dropped) = patch_stats(&sandbox).await;
    let faults = |status| answered.get(&status).copied().unwrap_or(0);
    assert!(faults(500) + faults(503) > 0 && dropped > 0, "{answered:?}");
    let attempts = answered.values().sum::<u64>() + dropped;
    println!(
        "{ROWS} rows in {elapsed:.1?}: {attempts} attempts ({:.3} per row), {answered:?}, {dropped} dropped",
        attempts as f64 / f64::from(ROWS)
    );
    assert!(faults(429) > 0, "the rate limit was hit: {answered:?}");
    assert!(
        stdout.contains(&format!("retried {}", attempts - u64::from(ROWS))),
        "the summary counts every retry: {stdout}"
    );

    // The sandbox holds exactly the file's data (read with faults and limit off).
    assert_eq!(sandbox.contact_count(), ROWS as usize);
    let client = reqwest::Client::new();
    client
        .patch(format!("{}/_sandbox/config", sandbox.base_url()))
        .json(&serde_json::json!({"rateLimit": 0, "faults": {}}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut checks = tokio::task::JoinSet::new();
    for part in 0..8 {
        let (client, base, user, password) = (
            client.clone(),
            sandbox.base_url().to_owned(),
            sandbox.api_user(),
            sandbox.api_password(),
        );
        checks.spawn(async move {
            for i in (1..=ROWS).filter(|i| i % 8 == part) {
                let contact: Value = client
                    .get(format!("{base}/contacts/v3/email/c{i}@example.com"))
                    .basic_auth(&user, Some(&password))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let fields = &contact["dataFields"];
                assert_eq!(fields["FIRSTNAME"], format!("First{i}"), "{contact}");
                assert_eq!(fields["LASTNAME"], format!("Last{i}"));
                assert_eq!(fields["POSTCODE"], format!("P{}", i % 97));
            }
        });
    }
    while let Some(check) = checks.join_next().await {
        check.unwrap();
    }
    std::fs::remove_file(path).unwrap();
    std::fs::remove_file(input).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_write_resumes_with_every_row_accounted_for_once() {
    let sandbox = start(Sandbox::builder().latency(Duration::from_millis(10))).await;
    let path = temp_path("killed.jsonl");
    let input = format!("{EXAMPLES}/contacts.csv");
    let mut child = dotdigital(&sandbox)
        .args(["contacts", "sync", &input, "--concurrency", "4", "--report"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_report_lines(&path, 100).await;
    child.start_kill().unwrap(); // SIGKILL: no chance to finish anything
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    // A kill between the two halves of a write leaves a torn last line; make
    // sure this run has one (a line-sized write is seldom split for real).
    let mut text = std::fs::read(&path).unwrap();
    let killed_lines = report(&path).len();
    text.extend_from_slice(b"{\"row\":1199,\"identifier\":\"torn@exa");
    std::fs::write(&path, &text).unwrap();

    let output = run(dotdigital(&sandbox)
        .args(["contacts", "sync", &input, "--resume", "--report"])
        .arg(&path))
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("cut off a torn last line"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("skipped {killed_lines})")),
        "{stdout}"
    );

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("{\"madeFrom\""), "{text}");
    for line in text.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    let (rows, statuses) = rows_by_status(&path);
    assert_eq!(rows.len(), 1200);
    assert!(rows.values().all(|n| *n == 1), "each row exactly once");
    assert_eq!(statuses.get("failed"), None);
    assert_eq!(sandbox.contact_count(), 1200);
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn resume_refuses_a_report_that_is_not_this_inputs() {
    let sandbox = start(Sandbox::builder()).await;
    let path = temp_path("foreign.jsonl");
    std::fs::write(
        &path,
        "{\"row\":1,\"identifier\":\"a\",\"status\":\"created\"}\n",
    )
    .unwrap();
    let output = run(dotdigital(&sandbox)
        .args(["contacts", "sync", &format!("{EXAMPLES}/contacts.csv")])
        .args(["--resume", "--report"])
        .arg(&path))
    .await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 1 does not say which input the report was made from"),
        "{stderr}"
    );
    assert!(patches(&sandbox).await.is_empty(), "nothing was sent");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn a_dry_run_checks_every_row_and_sends_nothing_without_credentials() {
    let path = temp_path("dry-run.jsonl");
    let output = run(
        tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"))
            .env_clear()
            .args(["contacts", "sync", "--dry-run", "--report"])
            .arg(&path)
            .arg(format!("{EXAMPLES}/contacts-with-errors.csv")),
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "some rows are bad");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("dry run, nothing sent"), "{stdout}");
    let lines = report(&path);
    let failed: Vec<u64> = lines
        .iter()
        .filter(|l| l["status"] == "failed")
        .map(|l| l["row"].as_u64().unwrap())
        .collect();
    assert!(!failed.is_empty());
    assert!(lines.iter().any(|l| l["status"] == "valid"));
    assert!(
        lines
            .iter()
            .filter(|l| l["status"] == "failed")
            .all(|l| l["delivery"] == "not-sent" && l["error"].is_string())
    );
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn max_rate_caps_the_calls_per_minute() {
    let sandbox = start(Sandbox::builder()).await;
    let input = contacts_csv("max-rate.csv", 20);
    let started = Instant::now();
    let output = run(dotdigital(&sandbox)
        .args([
            "contacts",
            "sync",
            "--max-rate",
            "600",
            "--concurrency",
            "8",
        ])
        .arg(&input))
    .await;
    assert!(output.status.success());
    // 600 a minute is one call every 100 ms: the 20th starts 1.9 s after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sandbox.contact_count(), 20);
    std::fs::remove_file(input).unwrap();
}

#[tokio::test]
async fn refused_credentials_stop_a_sync_with_exit_3() {
    let sandbox = start(Sandbox::builder()).await;
    let output = run(dotdigital(&sandbox)
        .env("DOTDIGITAL_API_PASSWORD", "wrong")
        .args(["contacts", "sync", &format!("{EXAMPLES}/contacts.csv")]))
    .await;
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stopping the sync: HTTP 401"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failed: u64 = stdout
        .split("failed ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        failed < 100,
        "it stopped, not failing all 1200 rows: {stdout}"
    );
}

#[tokio::test]
async fn an_unreachable_service_exits_4_with_the_cause() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for args in [
        vec!["contacts", "import", "email", "ann@example.com"],
        vec![
            "contacts",
            "sync",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contacts.csv"),
        ],
    ] {
        let output = run(
            tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"))
                .env_clear()
                .env("DOTDIGITAL_BASE_URL", &url)
                .env("DOTDIGITAL_API_USER", "demo@apiconnector.com")
                .env("DOTDIGITAL_API_PASSWORD", "secret-password")
                .args(&args),
        )
        .await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(
            stderr.contains("caused by: ") && stderr.to_lowercase().contains("connection refused"),
            "the cause chain reaches the OS error: {stderr}"
        );
        assert!(!stderr.contains("secret-password"));
    }
}

#[tokio::test]
async fn pipes_get_no_colour_codes_and_a_closed_stdout_ends_quietly() {
    let sandbox = start(Sandbox::builder().fail_rate(0.3).seed(3)).await;
    let input = contacts_csv("pipes.csv", 60);
    let output =
        run(dotdigital(&sandbox).args(["contacts", "sync", "-v", input.to_str().unwrap()])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("retrying"), "-v shows each retry: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no ANSI codes in a pipe: {stderr}"
    );
    let quiet = run(dotdigital(&sandbox).args([
        "contacts",
        "sync",
        input.to_str().unwrap(),
        "--merge-option",
        "overwrite",
    ]))
    .await;
    assert!(
        !String::from_utf8_lossy(&quiet.stderr).contains("retrying"),
        "without -v, retries are only counted"
    );

    let mut child = dotdigital(&sandbox)
        .args(["contacts", "import", "email", "ann@example.com"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader went away, as `| head -0` does
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    std::fs::remove_file(input).unwrap();
}
