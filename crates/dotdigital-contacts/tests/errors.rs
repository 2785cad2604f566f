//! Every kind of answer maps to one `Error` variant, keeping the status even
//! when the body is not JSON.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use std::time::Duration;

use common::{PASSWORD, client, import_ann, ok};
use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType};
use dotdigital_contacts::{ContactsClient, Delivery, Error, RetryPolicy};
use serde_json::json;

async fn import_error(reply: Reply) -> Error {
    let server = CaptureServer::start(vec![reply]).await;
    import_ann(&client(&server)).await.unwrap_err()
}

#[tokio::test]
async fn v3_errors_keep_code_description_and_details() {
    let err = import_error(Reply::json(400, json!({"errorCode": "contacts:invalidId", "description": "bad id", "details": [{"item": "identifiers.email", "description": "invalid"}]}))).await;
    assert_eq!(
        err.to_string(),
        "HTTP 400 Bad Request: contacts:invalidId: bad id; identifiers.email: invalid"
    );
    let Error::Api {
        status,
        error_code,
        details,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (
            status.as_u16(),
            error_code.as_str(),
            details[0].item.as_str()
        ),
        (400, "contacts:invalidId", "identifiers.email")
    );
    assert!(!err.is_retryable());
    assert_eq!(err.delivery(), Delivery::Sent);

    let err = import_error(Reply::json(
        409,
        json!({"errorCode": "contacts:idAlreadyExists", "description": "taken"}),
    ))
    .await;
    assert!(
        matches!(&err, Error::Api { error_code, .. } if error_code == "contacts:idAlreadyExists"),
        "{err:?}"
    );
    assert_eq!(err.status().unwrap().as_u16(), 409);
}

#[tokio::test]
async fn unauthorized_and_forbidden_are_their_own_variants_with_or_without_json() {
    let err = import_error(Reply::json(
        401,
        json!({"errorCode": "server:unauthorized", "description": "Authorization has been denied"}),
    ))
    .await;
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let err = import_error(Reply::text(401, "text/html", "<h1>401</h1>")).await;
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(err.status().unwrap().as_u16(), 401);
    let err = import_error(Reply::text(
        403,
        "text/plain",
        "Forbidden: Access is denied",
    ))
    .await;
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    assert!(err.to_string().contains("region"), "{err}");
}

#[tokio::test]
async fn a_429_keeps_the_rate_limit_headers_json_or_not() {
    for reply in [
        Reply::json(
            429,
            json!({"errorCode": "server:tooManyRequests", "description": "slow down"}),
        ),
        Reply::text(429, "text/html", "<html>Too Many Requests</html>"),
    ] {
        let reply = reply
            .header("x-ratelimit-limit", "35")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", "41")
            .header("x-ratelimit-scope", "mediumCallRate");
        let err = import_error(reply).await;
        let limit = err.rate_limit().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(
            (limit.limit, limit.remaining, limit.reset),
            (Some(35), Some(0), Some(Duration::from_secs(41)))
        );
        assert_eq!(limit.scope.as_deref(), Some("mediumCallRate"));
        assert_eq!(err.status().unwrap().as_u16(), 429);
        assert!(err.is_retryable());
    }
}

#[tokio::test]
async fn a_500_keeps_its_status_and_body() {
    let err = import_error(Reply::text(500, "text/plain", "upstream exploded")).await;
    let Error::UnexpectedResponse { status, body, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((status.as_u16(), body.as_str()), (500, "upstream exploded"));
    assert!(
        err.is_retryable(),
        "a 500 is transient (whether a retry is safe depends on the request)"
    );

    let err = import_error(Reply::json(
        500,
        json!({"errorCode": "server:error", "description": "boom"}),
    ))
    .await;
    assert!(
        matches!(&err, Error::Api { error_code, .. } if error_code == "server:error"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_success_status_with_an_unreadable_body_says_it_was_sent() {
    let err = import_error(Reply::text(200, "application/json", "{not json")).await;
    assert!(
        matches!(&err, Error::UnreadableAnswer { status, .. } if status.as_u16() == 200),
        "{err:?}"
    );
    assert!(err.to_string().contains("the request was applied"), "{err}");
    assert_eq!(err.delivery(), Delivery::Sent);
}

async fn update_error(reply: Reply) -> Error {
    let server = CaptureServer::start(vec![reply]).await;
    client(&server)
        .update_contact(
            1,
            "a@example.com",
            ApiContactOptInType::Single,
            ApiContactEmailType::Html,
        )
        .send()
        .await
        .unwrap_err()
}

#[tokio::test]
async fn v2_errors_keep_the_message_and_its_error_token() {
    let message = "Email is not a valid email address. ERROR_PARAMETER_INVALID";
    let err = update_error(Reply::json(400, json!({ "message": message }))).await;
    let Error::ApiV2 {
        status,
        error_token,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status.as_u16(), 400);
    assert_eq!(error_token.as_deref(), Some("ERROR_PARAMETER_INVALID"));

    let err = update_error(Reply::json(
        404,
        json!({"message": "Error: ERROR_CONTACT_NOT_FOUND"}),
    ))
    .await;
    assert!(
        matches!(&err, Error::ApiV2 { error_token: Some(t), .. } if t == "ERROR_CONTACT_NOT_FOUND"),
        "{err:?}"
    );
}

#[tokio::test]
async fn no_connection_means_not_sent_and_a_timeout_means_maybe_sent() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = ContactsClient::builder()
        .base_url(url)
        .credentials("u", "p")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = import_ann(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                delivery: Delivery::NotSent,
                ..
            }
        ),
        "{err:?}"
    );

    let server = CaptureServer::start(vec![ok(200).delayed(Duration::from_secs(5))]).await;
    let client = ContactsClient::builder()
        .base_url(server.base_url())
        .credentials("u", "p")
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = import_ann(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                delivery: Delivery::MaybeSent,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1, "the request did arrive");
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_error_text() {
    let server = CaptureServer::start(vec![Reply::text(401, "text/plain", "denied")]).await;
    let builder = ContactsClient::builder()
        .base_url(server.base_url())
        .credentials("apiuser-1@apiconnector.com", PASSWORD)
        .integration_token("5a96bc79-19a7-4544-973b-e2da0c9136f9");
    assert!(!format!("{builder:?}").contains(PASSWORD));
    let client = builder.build().unwrap();
    let err = import_ann(&client).await.unwrap_err();
    for shown in [format!("{client:?}"), format!("{err:?}"), err.to_string()] {
        assert!(
            !shown.contains(PASSWORD) && !shown.contains("5a96bc79"),
            "{shown}"
        );
        assert!(
            !shown.contains("YXBpdXNlci0x"),
            "no Basic header value either: {shown}"
        );
    }
}
