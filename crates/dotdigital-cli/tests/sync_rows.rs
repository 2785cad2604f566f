//! No row of a sync reordered, shifted, mis-recorded or hidden: the real
//! binary against the sandbox, or a misbehaving server on 127.0.0.1.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use common::*;
use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_sandbox::Sandbox;
use serde_json::json;

fn input(name: &str, text: &str) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary against a capture server (any credentials do).
fn against(server: &CaptureServer) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"));
    command
        .env_clear()
        .env("DOTDIGITAL_BASE_URL", server.base_url())
        .env("DOTDIGITAL_API_USER", "demo@apiconnector.com")
        .env("DOTDIGITAL_API_PASSWORD", "demo-password")
        .kill_on_drop(true);
    command
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn patch_count(sandbox: &Sandbox) -> u64 {
    patches(sandbox).await.values().sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_for_one_contact_end_as_the_last_row_in_every_run() {
    // dup@ five times (v1..v5, within 16 rows of each other, two adjacent)
    // among 80 other rows; the fourth names it in another case.
    let mut csv = String::from("email,FIRSTNAME\n");
    let dup_at = [60, 61, 64, 68, 73];
    for i in 0..80 {
        if let Some(v) = dup_at.iter().position(|&at| at == i) {
            let email = if v == 3 {
                "Dup@example.com"
            } else {
                "dup@example.com"
            };
            csv.push_str(&format!("{email},v{}\n", v + 1));
        }
        csv.push_str(&format!("c{i}@example.com,First{i}\n"));
    }
    let path = input("dup.csv", &csv);
    for run in 0..6 {
        // One call in five answered 5xx: retried rows land late, so
        // without per-contact order an earlier row overtakes a later one.
        let sandbox = start(Sandbox::builder().fail_rate(0.2).seed(run)).await;
        let output = run_sync(&sandbox, &path).await;
        assert!(output.status.success(), "run {run}: {:?}", text(&output));
        faults_off(&sandbox).await;
        let contact = get_contact(&sandbox, "dup@example.com").await;
        assert_eq!(
            contact["dataFields"]["FIRSTNAME"], "v5",
            "run {run}: {contact}"
        );
        assert_eq!(sandbox.contact_count(), 81, "run {run}");
    }
    std::fs::remove_file(path).unwrap();
}

async fn faults_off(sandbox: &Sandbox) {
    reqwest::Client::new()
        .patch(format!("{}/_sandbox/config", sandbox.base_url()))
        .json(&json!({"faults": {}}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

async fn run_sync(sandbox: &Sandbox, path: &std::path::Path) -> Output {
    run(dotdigital(sandbox)
        .args(["contacts", "sync", "--concurrency", "16"])
        .arg(path))
    .await
}

#[tokio::test]
async fn resume_never_sends_an_earlier_row_over_a_later_one_already_applied() {
    let sandbox = start(Sandbox::builder()).await;
    // Row 1 fails (an unknown list); row 3, for the same contact, lands.
    let path = input(
        "resume-order.csv",
        "email,FIRSTNAME,lists\ndup@example.com,v1,999\nother@example.com,o,\ndup@example.com,v3,\n",
    );
    let report_path = temp_path("resume-order.jsonl");
    let sync = |resume: bool| {
        let mut command = dotdigital(&sandbox);
        command
            .args(["contacts", "sync", "--concurrency", "16", "--report"])
            .arg(&report_path)
            .arg(&path);
        if resume {
            command.arg("--resume");
        }
        command
    };
    let first = run(&mut sync(false)).await;
    assert_eq!(first.status.code(), Some(1), "{:?}", text(&first));
    let sent = patch_count(&sandbox).await;

    let resumed = run(&mut sync(true)).await;
    let (stdout, stderr) = text(&resumed);
    assert_eq!(resumed.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(
        patch_count(&sandbox).await,
        sent,
        "row 1 was not sent again"
    );
    assert!(
        stderr.contains("row 1 (dup@example.com) failed: not sent: a later row for the same contact is already applied"),
        "{stderr}"
    );
    assert!(stdout.contains("superseded by a later row: 1"), "{stdout}");
    let contact = get_contact(&sandbox, "dup@example.com").await;
    assert_eq!(contact["dataFields"]["FIRSTNAME"], "v3", "{contact}");
    std::fs::remove_file(path).unwrap();
    std::fs::remove_file(report_path).unwrap();
}

#[tokio::test]
async fn a_repeated_column_is_a_usage_error_before_anything_is_sent() {
    let sandbox = start(Sandbox::builder()).await;
    for (csv, named) in [
        (
            "email,FIRSTNAME,FIRSTNAME\nfirst@example.com,First,Second\n",
            "\"FIRSTNAME\" (column 2) and \"FIRSTNAME\" (column 3)",
        ),
        (
            "email,FIRSTNAME,email\nd1@example.com,Ann,d2@example.com\n",
            "\"email\" (column 1) and \"email\" (column 3)",
        ),
    ] {
        let path = input("repeated.csv", csv);
        let output = run_sync(&sandbox, &path).await;
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("repeated column: {named}")),
            "{stderr}"
        );
        std::fs::remove_file(path).unwrap();
    }
    assert_eq!(patch_count(&sandbox).await, 0, "nothing was sent");
    assert_eq!(sandbox.contact_count(), 0);
}

#[tokio::test]
async fn a_row_with_more_or_fewer_cells_than_the_header_fails_and_is_not_sent() {
    let sandbox = start(Sandbox::builder()).await;
    let path = input(
        "shifted.csv",
        "email,FIRSTNAME,LASTNAME\nshift@example.com,John, Jr,Smith\nok@example.com,\"John, Jr\",Smith\nshort@example.com,Bo\n",
    );
    let output = run_sync(&sandbox, &path).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "row 1 (shift@example.com) failed: the row has 4 cells but the header has 3 columns"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "row 3 (short@example.com) failed: the row has 2 cells but the header has 3 columns"
        ),
        "{stderr}"
    );
    assert_eq!(
        patch_count(&sandbox).await,
        1,
        "only the whole row was sent"
    );
    let contact = get_contact(&sandbox, "ok@example.com").await;
    assert_eq!(contact["dataFields"]["FIRSTNAME"], "John, Jr");
    assert_eq!(contact["dataFields"]["LASTNAME"], "Smith");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn quoted_cells_keep_their_spaces_and_unquoted_cells_are_trimmed() {
    let sandbox = start(Sandbox::builder()).await;
    let path = input(
        "spaces.csv",
        "email,FIRSTNAME,LASTNAME\n  ann@example.com ,\"  Ann \",  Lee  \n",
    );
    let output = run_sync(&sandbox, &path).await;
    assert!(output.status.success(), "{:?}", text(&output));
    let contact = get_contact(&sandbox, "ann@example.com").await;
    assert_eq!(contact["dataFields"]["FIRSTNAME"], "  Ann ", "{contact}");
    assert_eq!(contact["dataFields"]["LASTNAME"], "Lee", "{contact}");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn resume_refuses_an_input_that_changed_and_says_what_changed() {
    let sandbox = start(Sandbox::builder()).await;
    let original = "email,FIRSTNAME\na@example.com,A\nb@example.com,B\nc@example.com,C\n";
    let path = input("changed.csv", original);
    let report_path = temp_path("changed.jsonl");
    let sync = || {
        let mut command = dotdigital(&sandbox);
        command
            .args(["contacts", "sync", "--resume", "--report"])
            .arg(&report_path)
            .arg(&path);
        command
    };
    assert!(run(&mut sync()).await.status.success());
    assert_eq!(patch_count(&sandbox).await, 3);

    // A row inserted at the top shifts every row number.
    std::fs::write(
        &path,
        original.replace("email,FIRSTNAME\n", "email,FIRSTNAME\nnew@example.com,N\n"),
    )
    .unwrap();
    let output = run(&mut sync()).await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("was made from another input")
            && stderr.contains("(64 bytes, FNV-1a ")
            && stderr.contains("(82 bytes, FNV-1a "),
        "{stderr}"
    );
    assert_eq!(patch_count(&sandbox).await, 3, "nothing was sent");

    // The input it was made from resumes: every row done, none sent again.
    std::fs::write(&path, original).unwrap();
    let output = run(&mut sync()).await;
    let (stdout, _) = text(&output);
    assert!(stdout.contains("skipped 3"), "{stdout}");
    assert_eq!(patch_count(&sandbox).await, 3);
    std::fs::remove_file(path).unwrap();
    std::fs::remove_file(report_path).unwrap();
}

#[tokio::test]
async fn failed_rows_are_shown_with_their_reason_without_a_report() {
    let sandbox = start(Sandbox::builder()).await;
    let mut csv = String::from("email,FIRSTNAME,lists\n");
    for i in 1..=13 {
        csv.push_str(&format!("bad{i},x,\n"));
    }
    csv.push_str("good@example.com,g,\nlisted@example.com,l,999\n");
    let path = input("visible.csv", &csv);
    let output = run(dotdigital(&sandbox)
        .args(["contacts", "sync", "--concurrency", "1"])
        .arg(&path))
    .await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let shown: Vec<&str> = stderr.lines().filter(|l| l.starts_with("row ")).collect();
    assert_eq!(shown.len(), 10, "{stderr}");
    assert!(
        shown[0].starts_with("row 1 (bad1) failed: email: "),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "... and 4 more failed rows; rerun with --report FILE to keep every row's reason"
        ),
        "{stderr}"
    );
    assert!(
        stdout.contains("failed rows by reason: bad row: 13, HTTP "),
        "{stdout}"
    );
    assert!(
        stdout.contains("created 1, updated 0, failed 14"),
        "{stdout}"
    );
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn control_characters_from_the_server_and_the_input_are_escaped() {
    let hostile = "<html>\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m bad gateway\n</html>";
    let body = format!("{hostile}{}", "A".repeat(2000));
    let server = CaptureServer::start(vec![Reply::text(502, "text/html", &body)]).await;
    let path = input(
        "hostile.csv",
        "email,FIRSTNAME\nann@example.com,x\nbad\u{1b}[31m,y\n",
    );
    let output = run(against(&server)
        .args([
            "contacts",
            "sync",
            "--retries",
            "1",
            "--concurrency",
            "1",
            "-v",
        ])
        .arg(&path))
    .await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    for raw in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(
            !stderr.contains(raw) && !stdout.contains(raw),
            "{raw:?} in {stderr}"
        );
    }
    assert!(
        stderr.contains("\\x1b]0;owned\\x07\\x1b[2J\\u{9b}31m bad gateway\\n</html>AAA"),
        "{stderr}"
    );
    assert!(
        stderr.contains("(cut at 300 of "),
        "a long body is cut: {stderr}"
    );
    let retry_log = stderr.lines().find(|l| l.contains("retrying")).unwrap();
    assert!(
        retry_log.contains("bad gateway\\n</html>AAA") && retry_log.contains("(cut at 300 of "),
        "the -v log line is escaped and cut too: {retry_log}"
    );
    assert!(stderr.contains("row 2 (bad\\x1b[31m) failed"), "{stderr}");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn a_call_that_never_answers_is_said_and_bounded_by_timeout() {
    let server = CaptureServer::start(vec![
        Reply::json(200, json!({})).delayed(Duration::from_secs(120)),
    ])
    .await;
    let path = input("silent.csv", "email,FIRSTNAME\nann@example.com,x\n");
    let started = Instant::now();
    let output = run(against(&server)
        .args(["contacts", "sync", "--timeout", "7", "--retries", "0"])
        .arg(&path))
    .await;
    let elapsed = started.elapsed();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        elapsed >= Duration::from_secs(7) && elapsed < Duration::from_secs(20),
        "{elapsed:?}"
    );
    assert!(
        stderr.contains("waiting: row 1 has not finished after 5 s, retries included (each attempt waits up to 7 s (--timeout), and a row gives up after 1 attempt, at most 7 s"),
        "{stderr}"
    );
    assert!(
        stdout.contains("failed rows by reason: no answer: 1"),
        "{stdout}"
    );
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn a_read_only_report_says_it_cannot_be_written() {
    let sandbox = start(Sandbox::builder()).await;
    let path = contacts_csv("read-only.csv", 3);
    let report_path = temp_path("read-only.jsonl");
    let sync = || {
        let mut command = dotdigital(&sandbox);
        command
            .args(["contacts", "sync", "--resume", "--report"])
            .arg(&report_path)
            .arg(&path);
        command
    };
    assert!(run(&mut sync()).await.status.success());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&report_path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let mut resume = sync();
    // The report was created by this process: its owner is our user.
    if std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&report_path).unwrap()) == 0 {
        // root writes read-only files: resume as nobody.
        resume.uid(65534).gid(65534);
    }
    let output = run(&mut resume).await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {}", report_path.display())),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot read"), "{stderr}");
    std::fs::remove_file(path).unwrap();
    std::fs::remove_file(report_path).unwrap();
}

#[tokio::test]
async fn a_pipe_named_as_the_input_is_read_once_with_a_report() {
    use tokio::io::AsyncWriteExt;
    let sandbox = start(Sandbox::builder()).await;
    let report_path = temp_path("pipe.jsonl");
    let mut child = dotdigital(&sandbox)
        .args(["contacts", "sync", "/dev/stdin", "--report"])
        .arg(&report_path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"email,FIRSTNAME\na@example.com,A\nb@example.com,B\n")
        .await
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("created 2,"),
        "no row was consumed by a look ahead: {stdout}"
    );
    assert_eq!(report(&report_path).len(), 2);
    std::fs::remove_file(report_path).unwrap();
}
