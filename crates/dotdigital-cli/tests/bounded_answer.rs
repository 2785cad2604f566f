//! A server that answers 200 MB: the CLI reads up to the client's limit,
//! fails saying the request was applied, and its peak memory stays near a
//! normal import's. (Its own test binary: peak RSS of children is per process.)

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use dotdigital_capture_server::{CaptureServer, Reply};
use nix::sys::resource::{UsageWho, getrusage};
use serde_json::json;

/// Answers one request with a JSON string of `bytes` bytes, streamed, so this
/// process stays small (a child's peak RSS counts what it inherits at fork).
fn huge_answer_server(bytes: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        reader.take(length).read_to_end(&mut Vec::new()).unwrap();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {bytes}\r\n\r\n\""
        );
        let chunk = vec![b'x'; 64 * 1024];
        let mut sent = 1;
        let mut write = || -> std::io::Result<()> {
            stream.write_all(head.as_bytes())?;
            while sent + chunk.len() < bytes {
                stream.write_all(&chunk)?;
                sent += chunk.len();
            }
            stream.write_all(&vec![b'x'; bytes - sent - 1])?;
            stream.write_all(b"\"")
        };
        // The client hangs up at its limit: that error is the point.
        let _ = write();
    });
    url
}

/// The largest peak RSS of any child this process has waited for, in KiB.
fn children_peak_kib() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss()
}

async fn import(base_url: &str) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dotdigital"))
        .env_clear()
        .env("DOTDIGITAL_BASE_URL", base_url)
        .env("DOTDIGITAL_API_USER", "apiuser-1@apiconnector.com")
        .env("DOTDIGITAL_API_PASSWORD", "pw")
        .args(["contacts", "import", "email", "ann@example.com"])
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_200_mb_answer_is_refused_at_the_limit_in_bounded_memory() {
    let contact = json!({"contactId": 7, "status": "subscribed", "created": "2026-01-05T09:30:00Z",
        "updated": "2026-01-05T09:30:00Z", "identifiers": {"email": "ann@example.com"}});
    let normal = CaptureServer::start(vec![Reply::json(200, contact)]).await;
    let output = import(&normal.base_url()).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let usual = children_peak_kib();

    let output = import(&huge_answer_server(200 * 1024 * 1024)).await;
    let peak = children_peak_kib();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("longer than the client's limit of 262144 bytes"),
        "{stderr}"
    );
    assert!(stderr.contains("may have been applied"), "{stderr}");
    assert!(
        stderr.len() < 2048,
        "the body must not reach stderr: {} bytes",
        stderr.len()
    );
    eprintln!("peak RSS: usual import {usual} KiB, 200 MB answer {peak} KiB");
    assert!(
        peak <= usual + 8 * 1024,
        "peak RSS {peak} KiB against {usual} KiB for a usual import"
    );
}
