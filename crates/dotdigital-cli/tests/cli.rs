//! End to end: the real `dotdigital` binary against a sandbox on 127.0.0.1.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use dotdigital_sandbox::Sandbox;
use serde_json::{Value, json};

#[tokio::test]
async fn import_creates_then_updates_and_clears_with_null() {
    let sandbox = start(Sandbox::builder()).await;
    let created = stdout_json(
        &run(dotdigital(&sandbox).args([
            "contacts",
            "import",
            "email",
            "ann@example.com",
            "--set",
            "FIRSTNAME=Ann",
            "--set",
            "POSTCODE=N1 9GU",
            "--list",
            "12345",
        ]))
        .await,
    );
    assert_eq!(created["outcome"], "created");
    assert_eq!(created["contact"]["dataFields"]["POSTCODE"], "N1 9GU");

    let updated = stdout_json(
        &run(dotdigital(&sandbox).args([
            "contacts",
            "import",
            "email",
            "ann@example.com",
            "--clear",
            "POSTCODE",
        ]))
        .await,
    );
    assert_eq!(updated["outcome"], "updated");
    assert_eq!(
        updated["contact"]["contactId"],
        created["contact"]["contactId"]
    );
    let stored = get_contact(&sandbox, "ann@example.com").await;
    assert_eq!(stored["dataFields"]["FIRSTNAME"], "Ann");
    assert_eq!(stored["dataFields"]["POSTCODE"], Value::Null);
}

#[tokio::test]
async fn import_reads_a_json_body_from_stdin() {
    let sandbox = start(Sandbox::builder()).await;
    let mut child = dotdigital(&sandbox)
        .args([
            "contacts",
            "import",
            "email",
            "bob@example.com",
            "--json",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let body =
        json!({"identifiers": {"email": "bob@example.com"}, "dataFields": {"LASTNAME": "Jones"}});
    tokio::io::AsyncWriteExt::write_all(child.stdin.as_mut().unwrap(), body.to_string().as_bytes())
        .await
        .unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(
        stdout_json(&output)["contact"]["dataFields"]["LASTNAME"],
        "Jones"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_the_network_with_the_field_named() {
    let sandbox = start(Sandbox::builder()).await;
    let output =
        run(dotdigital(&sandbox).args(["contacts", "import", "mobileNumber", "+44 7123 123123"]))
            .await;
    assert_eq!(output.status.code(), Some(2), "bad input is a usage error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("E.164"), "{stderr}");
    assert!(patches(&sandbox).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn update_needs_both_types_or_an_explicit_reset() {
    let sandbox = start(Sandbox::builder()).await;
    let output = run(dotdigital(&sandbox).args([
        "contacts",
        "update",
        "0",
        "--email",
        "john@example.com",
        "--opt-in-type",
        "single",
    ]))
    .await;
    assert_eq!(output.status.code(), Some(2), "clap refuses a half choice");

    let stored = stdout_json(
        &run(dotdigital(&sandbox).args([
            "contacts",
            "update",
            "0",
            "--email",
            "john@example.com",
            "--opt-in-type",
            "single",
            "--email-type",
            "html",
            "--set",
            "FIRSTNAME=John",
        ]))
        .await,
    );
    assert_eq!(
        (stored["optInType"].as_str(), stored["emailType"].as_str()),
        (Some("Single"), Some("Html"))
    );
    let id = stored["id"].as_i64().unwrap().to_string();
    let reset = stdout_json(
        &run(dotdigital(&sandbox).args([
            "contacts",
            "update",
            &id,
            "--email",
            "john@example.com",
            "--reset-types",
        ]))
        .await,
    );
    assert_eq!(
        (reset["optInType"].as_str(), reset["emailType"].as_str()),
        (Some("Unknown"), Some("PlainText"))
    );
}

#[tokio::test]
async fn credentials_are_never_an_argument_and_missing_ones_are_named() {
    let output = run(
        tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"))
            .env_clear()
            .args(["contacts", "import", "email", "a@example.com"]),
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "missing credentials");
    assert!(String::from_utf8_lossy(&output.stderr).contains("DOTDIGITAL_API_USER"));
}

#[tokio::test]
async fn sync_imports_every_example_row_once_with_a_report() {
    let sandbox = start(Sandbox::builder()).await;
    let path = temp_path("sync.jsonl");
    let output = run(dotdigital(&sandbox)
        .args([
            "contacts",
            "sync",
            &format!("{EXAMPLES}/contacts.csv"),
            "--concurrency",
            "16",
            "--report",
        ])
        .arg(&path))
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains("rows: 1200 (created 1200, updated 0, failed 0, skipped 0), retried 0"),
        "{summary}"
    );
    let lines = report(&path);
    let mut rows: Vec<u64> = lines.iter().map(|l| l["row"].as_u64().unwrap()).collect();
    rows.sort();
    assert_eq!(rows, (1..=1200).collect::<Vec<_>>());
    assert_eq!(sandbox.contact_count(), 1200);
    assert_eq!(patches(&sandbox).await, BTreeMap::from([(201, 1200)]));
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn bad_rows_are_reported_not_fatal() {
    let sandbox = start(Sandbox::builder()).await;
    let path = temp_path("errors.jsonl");
    let output = run(dotdigital(&sandbox)
        .args([
            "contacts",
            "sync",
            &format!("{EXAMPLES}/contacts-with-errors.csv"),
            "--concurrency",
            "1",
            "--report",
        ])
        .arg(&path))
    .await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed row makes the exit code non-zero"
    );
    let lines = report(&path);
    assert_eq!(lines.len(), 11, "every row is accounted for");
    let failed: BTreeMap<u64, String> = lines
        .iter()
        .filter(|l| l["status"] == "failed")
        .map(|l| {
            (
                l["row"].as_u64().unwrap(),
                l["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        failed.keys().copied().collect::<Vec<_>>(),
        [2, 4, 5, 7, 8, 10]
    );
    assert!(failed[&2].contains("not an email address"));
    assert!(failed[&5].contains("E.164"));
    assert!(failed[&7].contains("list 999"));
    assert!(failed[&10].contains("contacts:idAlreadyExists"));
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn an_interrupted_sync_resumes_without_redoing_finished_rows() {
    let sandbox = start(Sandbox::builder().latency(Duration::from_millis(20))).await;
    let path = temp_path("interrupted.jsonl");
    let input = format!("{EXAMPLES}/contacts.csv");
    let child = dotdigital(&sandbox)
        .args(["contacts", "sync", &input, "--concurrency", "4", "--report"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_report_lines(&path, 100).await;
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "an interrupted sync is not a success"
    );
    let done_before = report(&path).len() as u64;
    assert!(done_before < 1200, "the sync was interrupted");

    let output = run(dotdigital(&sandbox)
        .args(["contacts", "sync", &input, "--resume", "--report"])
        .arg(&path))
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        summary.contains(&format!("skipped {done_before})")),
        "{summary}"
    );
    assert_eq!(report(&path).len(), 1200);
    let answered: u64 = patches(&sandbox).await.values().sum();
    assert_eq!(answered, 1200, "no row was sent twice");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn jsonl_rows_are_the_generated_request_type_whole_and_unknown_keys_fail_the_row() {
    let sandbox = start(Sandbox::builder()).await;
    let input = temp_path("rows.jsonl");
    let full = json!({
        "identifiers": {"email": "ann@example.com", "mobileNumber": "447123123123"},
        "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null},
        "channelProperties": {"email": {"emailType": "html", "optInType": "single", "status": "subscribed"},
                              "sms": {"status": "subscribed"}},
        "lists": [12345],
        "preferences": [{"id": 7, "isOptedIn": true}],
        "consentRecords": [{"text": "Yes", "dateTimeConsented": "2026-01-05T09:30:00Z",
                            "url": "https://example.com/s", "ipAddress": "10.0.0.1", "userAgent": "Mozilla/5.0"}]
    });
    let typo =
        json!({"identifiers": {"email": "bob@example.com"}, "dataField": {"FIRSTNAME": "Bob"}});
    let nested = json!({"identifiers": {"email": "cy@example.com"}, "channelProperties": {"email": {"optinType": "single"}}});
    std::fs::write(&input, format!("{full}\n{typo}\n{nested}\n")).unwrap();
    let report_path = temp_path("rows-report.jsonl");
    let output = run(dotdigital(&sandbox)
        .args(["contacts", "sync"])
        .arg(&input)
        .arg("--report")
        .arg(&report_path))
    .await;
    assert_eq!(output.status.code(), Some(1), "two rows fail");

    let mut lines = report(&report_path);
    lines.sort_by_key(|line| line["row"].as_u64());
    assert_eq!(lines[0]["status"], "created", "{lines:?}");
    assert_eq!(lines[1]["status"], "failed");
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("dataField: not a property the spec has"),
        "{lines:?}"
    );
    assert_eq!(lines[2]["status"], "failed");
    assert!(
        lines[2]["error"].as_str().unwrap().contains("optinType"),
        "{lines:?}"
    );
    assert_eq!(
        patches(&sandbox).await,
        BTreeMap::from([(201, 1)]),
        "bad rows send nothing"
    );

    // Every property of the row reached the sandbox.
    let stored = get_contact(&sandbox, "ann@example.com").await;
    assert_eq!(stored["identifiers"]["mobileNumber"], "447123123123");
    assert_eq!(stored["dataFields"]["FIRSTNAME"], "Ann");
    assert_eq!(stored["channelProperties"]["email"]["emailType"], "Html");
    assert_eq!(stored["channelProperties"]["sms"]["status"], "subscribed");
    assert_eq!(stored["lists"][0]["id"], 12345);
    assert_eq!(stored["preferences"][0]["id"], 7);
    assert_eq!(stored["consentRecords"][0]["text"], "Yes");
    std::fs::remove_file(input).unwrap();
    std::fs::remove_file(report_path).unwrap();
}

#[tokio::test]
async fn help_offers_the_values_the_spec_lists() {
    use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType, MergeOption};
    async fn help(command: &str) -> String {
        let output = run(
            tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"))
                .args(["contacts", command, "--help"]),
        )
        .await;
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
    let update = help("update").await;
    for value in ApiContactOptInType::ALL.iter().map(ToString::to_string) {
        assert!(update.contains(&value), "{value} missing from:\n{update}");
    }
    for value in ApiContactEmailType::ALL.iter().map(ToString::to_string) {
        assert!(update.contains(&value), "{value} missing from:\n{update}");
    }
    for command in ["import", "sync"] {
        let text = help(command).await;
        for value in MergeOption::ALL.iter().map(ToString::to_string) {
            assert!(text.contains(&value), "{value} missing from:\n{text}");
        }
    }
}
