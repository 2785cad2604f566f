//! Per-call cost of a wrapper import against a hand-written reqwest PATCH of
//! the same body, both against the same loopback server, interleaved in one run.
//!
//! `cargo bench -p dotdigital-contacts` prints a table; the target is a ratio
//! (wrapper / hand-written) of at most 1.05.

#![allow(clippy::unwrap_used, reason = "a benchmark fails by panicking")]

use std::time::{Duration, Instant};

use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::{ContactsClient, Identifier, RetryPolicy, types};
use serde_json::json;

const CALLS_PER_ROUND: usize = 500;
const ROUNDS: usize = 8;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let contact = json!({"contactId": 7, "status": "subscribed", "created": "2026-01-05T09:30:00Z", "updated": "2026-01-05T09:30:00Z",
                         "identifiers": {"email": "ann@example.com"}, "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null}});
    let server = CaptureServer::start(vec![Reply::json(200, contact)]).await;
    let base_url = server.base_url();

    let wrapper = ContactsClient::builder()
        .base_url(&base_url)
        .credentials("u@apiconnector.com", "p4ssword")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let body = json!({"identifiers": {"email": "ann@example.com"}, "dataFields": {"FIRSTNAME": "Ann", "POSTCODE": null}});
    let url = format!("{base_url}/contacts/v3/email/ann@example.com");

    let wrapper_call = || async {
        wrapper
            .import_contact(Identifier::email("ann@example.com"))
            .email("ann@example.com")
            .set("FIRSTNAME", "Ann")
            .clear("POSTCODE")
            .send()
            .await
            .unwrap();
    };
    let raw_call = || async {
        let response = http
            .patch(&url)
            .query(&[("merge-option", "overwrite")])
            .basic_auth("u@apiconnector.com", Some("p4ssword"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let _: types::Contact = response.json().await.unwrap();
    };

    // Warm both connection pools.
    for _ in 0..50 {
        wrapper_call().await;
        raw_call().await;
    }
    let (mut wrapper_rounds, mut raw_rounds) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            wrapper_call().await;
        }
        wrapper_rounds.push(start.elapsed() / CALLS_PER_ROUND as u32);
        let start = Instant::now();
        for _ in 0..CALLS_PER_ROUND {
            raw_call().await;
        }
        raw_rounds.push(start.elapsed() / CALLS_PER_ROUND as u32);
    }
    let median = |rounds: &mut Vec<Duration>| {
        rounds.sort();
        rounds[rounds.len() / 2]
    };
    let (w, r) = (median(&mut wrapper_rounds), median(&mut raw_rounds));
    println!(
        "| client ({ROUNDS} rounds x {CALLS_PER_ROUND} sequential PATCHes, median) | per call |"
    );
    println!("|---|---|");
    println!(
        "| dotdigital-contacts import | {:.1} us |",
        w.as_secs_f64() * 1e6
    );
    println!(
        "| hand-written reqwest PATCH | {:.1} us |",
        r.as_secs_f64() * 1e6
    );
    println!(
        "| ratio wrapper / hand-written | {:.3} (target <= 1.05) |",
        w.as_secs_f64() / r.as_secs_f64()
    );
}
