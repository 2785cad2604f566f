//! Retry counts: what is retried, how often, and what never is.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::time::Duration;

use common::{client, client_with_retries, fast_retries, import_ann, ok};
use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType};
use std::sync::{Arc, Mutex};

use dotdigital_contacts::types::OptInTypeUpdate;
use dotdigital_contacts::{
    ConsentRecord, ContactsClient, Delivery, EmailChannel, Error, Identifier, RetryPolicy,
};
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
    for transient in [500, 502, 503, 504] {
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
async fn client_errors_are_never_retried_and_retries_can_be_off() {
    for reply in [
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
    import_ann(&client(&server)).await.unwrap_err();
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
        ConsentRecord::new()
            .text("Yes")
            .consented_at("2026-01-05T09:30:00Z".parse().unwrap())
            .url("https://example.com/s")
            .ip_address("10.0.0.1")
            .user_agent("ua")
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

    // An answer that never comes (the timeout) may hide one too.
    let server = CaptureServer::start(vec![ok(200).delayed(Duration::from_secs(2)), ok(200)]).await;
    let err = timing_out(&server)
        .import_contact(Identifier::email("ann@example.com"))
        .consent_record(record())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.delivery(), Delivery::MaybeSent, "{err}");
    assert_eq!(server.requests().len(), 1);

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
    assert_eq!(policy.max_retries, 3);
    let longest = (0..3)
        .map(|retry| policy.delay(retry, None, 1.0).unwrap())
        .max()
        .unwrap();
    assert!(longest <= Duration::from_secs(8));
}

/// A client whose attempts give up after 200 ms, leaving their effect unknown.
fn timing_out(server: &CaptureServer) -> ContactsClient {
    ContactsClient::builder()
        .base_url(server.base_url())
        .credentials("apiuser-1@apiconnector.com", common::PASSWORD)
        .retry_policy(fast_retries(3))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap()
}

fn verified_double(client: &ContactsClient) -> dotdigital_contacts::ImportContact<'_> {
    client
        .import_contact(Identifier::email("ann@example.com"))
        .email_channel(EmailChannel::new().opt_in_type(OptInTypeUpdate::VerifiedDouble))
}

#[tokio::test]
async fn imports_that_send_an_email_are_repeated_only_when_certainly_not_applied() {
    let server = CaptureServer::start(vec![status(500), ok(200)]).await;
    let err = verified_double(&client_with_retries(&server, fast_retries(3)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (err.status().unwrap().as_u16(), server.requests().len()),
        (500, 1),
        "a 500 may have sent the confirmation email"
    );

    let server = CaptureServer::start(vec![rate_limited("0"), ok(200)]).await;
    verified_double(&client_with_retries(&server, fast_retries(3)))
        .send()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2, "a 429 sent nothing");

    // Nothing listens on the port: the connection never opens, nothing was sent.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let retries = Arc::new(Mutex::new(Vec::new()));
    let seen = retries.clone();
    let client = ContactsClient::builder()
        .base_url(url)
        .credentials("apiuser-1@apiconnector.com", common::PASSWORD)
        .retry_policy(fast_retries(2))
        .on_retry(move |retrying| {
            seen.lock().unwrap().push((
                retrying.operation,
                retrying.retry,
                retrying.error.delivery(),
            ));
        })
        .build()
        .unwrap();
    let err = verified_double(&client).send().await.unwrap_err();
    assert_eq!(err.delivery(), Delivery::NotSent, "{err}");
    assert_eq!(
        *retries.lock().unwrap(),
        [
            ("importContact", 1, Delivery::NotSent),
            ("importContact", 2, Delivery::NotSent)
        ],
        "a connection that never opened is retried, and each retry is reported"
    );
}

/// A v2 create (id 0) that is expected to fail.
async fn create_contact(client: &ContactsClient) -> Error {
    client
        .update_contact(
            0,
            "new@example.com",
            ApiContactOptInType::Single,
            ApiContactEmailType::Html,
        )
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_v2_create_whose_answer_was_lost_is_maybe_applied_when_the_retry_is_refused() {
    let taken = Reply::json(
        400,
        json!({"message": "A contact with this email already exists. ERROR_CONTACT_INVALID"}),
    );
    let server =
        CaptureServer::start(vec![ok(200).delayed(Duration::from_secs(2)), taken.clone()]).await;
    let err = create_contact(&timing_out(&server)).await;
    let Error::MaybeApplied { earlier, last } = &err else {
        panic!("expected MaybeApplied, got {err:?}");
    };
    assert_eq!(earlier.delivery(), Delivery::MaybeSent);
    assert_eq!(last.status().unwrap().as_u16(), 400);
    assert_eq!(err.delivery(), Delivery::MaybeSent);
    assert!(err.to_string().starts_with("maybe applied: "), "{err}");
    assert_eq!(server.requests().len(), 2);

    // A 5xx may have been applied too.
    let server = CaptureServer::start(vec![status(503), taken]).await;
    let err = create_contact(&client_with_retries(&server, fast_retries(3))).await;
    assert!(matches!(err, Error::MaybeApplied { .. }), "{err:?}");

    // Without an unclear attempt before it, a refusal is a plain error.
    let server = CaptureServer::start(vec![Reply::json(
        400,
        json!({"message": "taken ERROR_CONTACT_INVALID"}),
    )])
    .await;
    let err = create_contact(&client_with_retries(&server, fast_retries(3))).await;
    assert!(matches!(err, Error::ApiV2 { .. }), "{err:?}");
}

#[tokio::test]
async fn every_answer_keeps_its_rate_limit_headers() {
    let server = CaptureServer::start(vec![
        Reply::json(
            400,
            json!({"errorCode": "contacts:invalidId", "description": "x"}),
        )
        .header("x-ratelimit-remaining", "41"),
    ])
    .await;
    let err = import_ann(&client(&server)).await.unwrap_err();
    assert_eq!(err.rate_limit().and_then(|r| r.remaining), Some(41));
}
