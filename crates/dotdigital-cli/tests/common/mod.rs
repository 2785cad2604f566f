//! Shared by the CLI's tests: the real binary against a sandbox on 127.0.0.1.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test file uses its own subset; a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use dotdigital_sandbox::{Sandbox, SandboxBuilder};
use serde_json::Value;

pub const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

pub fn dotdigital(sandbox: &Sandbox) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"));
    command
        .env_clear()
        .env("DOTDIGITAL_BASE_URL", sandbox.base_url())
        .env("DOTDIGITAL_API_USER", sandbox.api_user())
        .env("DOTDIGITAL_API_PASSWORD", sandbox.api_password())
        .kill_on_drop(true);
    command
}

pub async fn run(command: &mut tokio::process::Command) -> Output {
    command.output().await.unwrap()
}

pub fn stdout_json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

pub async fn get_contact(sandbox: &Sandbox, email: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/contacts/v3/email/{email}", sandbox.base_url()))
        .basic_auth(sandbox.api_user(), Some(sandbox.api_password()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// PATCH requests the sandbox answered, by status.
pub async fn patches(sandbox: &Sandbox) -> BTreeMap<u64, u64> {
    patch_stats(sandbox).await.0
}

/// The report's row lines (its first line, what it was made from, left out).
pub fn report(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l.get("madeFrom").is_none())
        .collect()
}

pub fn temp_path(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("dotdigital-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

pub async fn start(builder: SandboxBuilder) -> Sandbox {
    builder.start().await.unwrap()
}

/// The sandbox's statistics: PATCH answers by status, and dropped PATCH connections.
pub async fn patch_stats(sandbox: &Sandbox) -> (BTreeMap<u64, u64>, u64) {
    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let patch_entries = |key: &str| -> Vec<Value> {
        stats[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["route"].as_str().unwrap().starts_with("PATCH "))
            .cloned()
            .collect()
    };
    let answered = patch_entries("requests")
        .iter()
        .map(|r| (r["status"].as_u64().unwrap(), r["count"].as_u64().unwrap()))
        .collect();
    let dropped = patch_entries("droppedConnections")
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    (answered, dropped)
}

/// Waits until the report at `path` has at least `lines` lines.
pub async fn wait_for_report_lines(path: &Path, lines: usize) {
    while std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < lines
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A CSV of `rows` distinct contacts: email, FIRSTNAME, LASTNAME, POSTCODE.
pub fn contacts_csv(name: &str, rows: u32) -> PathBuf {
    let path = temp_path(name);
    let mut text = String::from("email,FIRSTNAME,LASTNAME,POSTCODE\n");
    for i in 1..=rows {
        text.push_str(&format!("c{i}@example.com,First{i},Last{i},P{}\n", i % 97));
    }
    std::fs::write(&path, text).unwrap();
    path
}
