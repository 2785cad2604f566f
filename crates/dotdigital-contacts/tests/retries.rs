//! Retry counts: what is retried, how often, and what never is.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::time::Duration;

use common::{client, client_with_retries, fast_retries, ok};
use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType};
use dotdigital_contacts::{ConsentRecord, Error, Identifier, RetryPolicy};
use serde_json::json;

fn status(code: u16) -> Reply {
    Reply::text(code, "text/plain", "try later")
}

fn rate_limited(reset: &str) -> Reply {
    Reply::json(
        429,
        json!({"errorCode": "server:tooManyRequests", "description": "slow down"}),
    )
    .header("x-ratelimit-reset", reset)
}

#[tokio::test]
async fn transient_answers_are_retried_until_success() {
    for transient in [502, 503, 504] {
        let server =
            CaptureServer::start(vec![status(transient), status(transient), ok(200)]).await;
        let imported = client_with_retries(&server, fast_retries(3))
            .import_contact(Identifier::email("ann@example.com"))
            .send()
            .await
            .unwrap();
        assert_eq!(imported.attempts, 3);
        assert_eq!(server.requests().len(), 3, "HTTP {transient}");
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_servers_wait() {
    let server = CaptureServer::start(vec![rate_limited("0"), ok(201)]).await;
    let imported = client_with_retries(&server, fast_retries(3))
        .import_contact(Identifier::email("ann@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!((imported.attempts, server.requests().len()), (2, 2));
}

#[tokio::test]
async fn a_wait_longer_than_the_policy_allows_is_returned_not_slept() {
    let server = CaptureServer::start(vec![rate_limited("120"), ok(200)]).await;
    let policy = fast_retries(3).max_server_wait(Duration::from_secs(60));
    let err = client_with_retries(&server, policy)
        .import_contact(Identifier::email("ann@example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retries_stop_at_the_configured_count() {
    let server = CaptureServer::start(vec![status(503)]).await;
    let err = client_with_retries(&server, fast_retries(2))
        .import_contact(Identifier::email("ann@example.com"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 503);
    assert_eq!(server.requests().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn client_errors_and_500_are_never_retried_and_retries_can_be_off() {
    for reply in [
        status(500),
        Reply::json(
            400,
            json!({"errorCode": "contacts:invalidId", "description": "x"}),
        ),
        Reply::json(
            409,
            json!({"errorCode": "contacts:idAlreadyExists", "description": "x"}),
        ),
        status(401),
        status(403),
    ] {
        let server = CaptureServer::start(vec![reply, ok(200)]).await;
        client_with_retries(&server, fast_retries(3))
            .import_contact(Identifier::email("ann@example.com"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(server.requests().len(), 1);
    }
    let server = CaptureServer::start(vec![status(503), ok(200)]).await;
    client(&server)
        .import_contact(Identifier::email("ann@example.com"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        server.requests().len(),
        1,
        "RetryPolicy::none() never retries"
    );
}

#[tokio::test]
async fn v2_updates_are_retried_too() {
    let answer = Reply::json(200, json!({"id": 1, "email": "a@example.com"}));
    let server = CaptureServer::start(vec![status(502), answer]).await;
    let updated = client_with_retries(&server, fast_retries(1))
        .update_contact(
            1,
            "a@example.com",
            ApiContactOptInType::Single,
            ApiContactEmailType::Html,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(updated.attempts, 2);
}

#[tokio::test]
async fn imports_that_append_consent_records_are_not_repeated_when_they_may_have_been_applied() {
    let record = || {
        ConsentRecord::new(
            "Yes",
            "2026-01-05T09:30:00Z".parse().unwrap(),
            "https://example.com/s",
            "10.0.0.1",
            "ua",
        )
    };
    let server = CaptureServer::start(vec![status(502), ok(200)]).await;
    let client = client_with_retries(&server, fast_retries(3));
    let err = client
        .import_contact(Identifier::email("ann@example.com"))
        .consent_record(record())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 502);
    assert_eq!(
        server.requests().len(),
        1,
        "a 502 may hide an applied append"
    );

    let server = CaptureServer::start(vec![rate_limited("0"), ok(200)]).await;
    let client = client_with_retries(&server, fast_retries(3));
    client
        .import_contact(Identifier::email("ann@example.com"))
        .consent_record(record())
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.requests().len(),
        2,
        "a 429 was certainly not applied"
    );
}

#[test]
fn the_default_policy_is_bounded() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.get_max_retries(), 3);
    let longest = (0..3)
        .map(|retry| policy.delay(retry, None, 1.0).unwrap())
        .max()
        .unwrap();
    assert!(longest <= Duration::from_secs(8));
}
