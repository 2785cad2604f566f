//! The wrapper against the sandbox: an independent implementation of the
//! API, so the two can disagree only if one of them is wrong.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod common;

use common::import_ann;

use std::time::Duration;

use dotdigital_contacts::types::{
    ApiContactEmailType, ApiContactOptInType, OptInTypeUpdate, StoredApiContactEmailType,
    StoredApiContactOptInType,
};
use dotdigital_contacts::{
    ContactsClient, Delivery, EmailChannel, Error, Identifier, ImportOutcome, RetryPolicy,
};
use dotdigital_sandbox::{Sandbox, SandboxBuilder};

async fn connect(builder: SandboxBuilder, retry: RetryPolicy) -> (Sandbox, ContactsClient) {
    let sandbox = builder.start().await.unwrap();
    let client = ContactsClient::builder()
        .base_url(sandbox.base_url())
        .credentials(sandbox.api_user(), sandbox.api_password())
        .retry_policy(retry)
        .build()
        .unwrap();
    (sandbox, client)
}

#[tokio::test]
async fn import_creates_updates_and_clears() {
    let (_sandbox, client) = connect(Sandbox::builder(), RetryPolicy::none()).await;
    let ann = || client.import_contact(Identifier::email("ann@example.com"));
    let created = ann()
        .set("FIRSTNAME", "Ann")
        .set("POSTCODE", "N1 9GU")
        .list(12345)
        .send()
        .await
        .unwrap();
    assert_eq!(created.outcome, ImportOutcome::Created);
    let updated = ann()
        .clear("POSTCODE")
        .email_channel(EmailChannel::new().opt_in_type(OptInTypeUpdate::VerifiedDouble))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.outcome, ImportOutcome::Updated);
    assert_eq!(updated.contact.contact_id, created.contact.contact_id);
    assert_eq!(updated.contact.data_fields["FIRSTNAME"], "Ann");
    assert!(updated.contact.data_fields["POSTCODE"].is_null());
    assert_eq!(
        updated.contact.status,
        dotdigital_contacts::types::ContactStatus::PendingOptIn
    );
}

#[tokio::test]
async fn the_sandboxs_errors_map_to_the_typed_error() {
    let (_sandbox, client) = connect(Sandbox::builder(), RetryPolicy::none()).await;
    client
        .import_contact(Identifier::email("ann@example.com"))
        .mobile_number("447123123123")
        .send()
        .await
        .unwrap();

    let clash = client
        .import_contact(Identifier::email("bob@example.com"))
        .mobile_number("447123123123")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&clash, Error::Api { error_code, status, .. } if error_code == "contacts:idAlreadyExists" && status.as_u16() == 409),
        "{clash:?}"
    );

    let unknown = client
        .import_contact(Identifier::email("ann@example.com"))
        .set("SHOE_SIZE", 42)
        .send()
        .await
        .unwrap_err();
    let Error::Api {
        status, details, ..
    } = &unknown
    else {
        panic!("{unknown:?}")
    };
    assert_eq!(status.as_u16(), 400);
    assert!(
        details.iter().any(|d| d.item.contains("SHOE_SIZE")),
        "{details:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let client = ContactsClient::builder()
        .base_url(sandbox.base_url())
        .credentials(sandbox.api_user(), "wrong-password")
        .build()
        .unwrap();
    let err = import_ann(&client).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert_eq!(sandbox.contact_count(), 0);
}

#[tokio::test]
async fn a_429_carries_the_sandboxs_rate_limit_headers() {
    // The window resets within a minute: longer than the policy accepts, so
    // the error comes back at once instead of being slept through.
    let policy = RetryPolicy::default().max_server_wait(Duration::from_millis(1));
    let (_sandbox, client) = connect(Sandbox::builder().rate_limit(2), policy).await;
    for _ in 0..2 {
        let ok = import_ann(&client).await.unwrap();
        assert_eq!(ok.rate_limit.as_ref().unwrap().limit, Some(2));
    }
    let err = import_ann(&client).await.unwrap_err();
    let limit = err.rate_limit().unwrap_or_else(|| panic!("{err:?}"));
    assert_eq!((limit.limit, limit.remaining), (Some(2), Some(0)));
    assert!(
        limit
            .reset
            .is_some_and(|reset| reset <= Duration::from_secs(60))
    );
    assert_eq!(limit.scope.as_deref(), Some("mediumCallRate"));
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_that_may_have_been_applied() {
    let (_sandbox, client) = connect(Sandbox::builder().drop_rate(1.0), RetryPolicy::none()).await;
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
}

#[tokio::test]
async fn v2_update_replaces_and_the_explicit_reset_resets() {
    let (_sandbox, client) = connect(Sandbox::builder(), RetryPolicy::none()).await;
    let stored = client
        .update_contact(
            0,
            "john@example.com",
            ApiContactOptInType::Double,
            ApiContactEmailType::Html,
        )
        .set("FIRSTNAME", "John")
        .send()
        .await
        .unwrap()
        .contact;
    assert_eq!(stored.email_type, Some(StoredApiContactEmailType::Html));
    let id = stored.id.unwrap();
    let reset = client
        .update_contact_resetting_types(id, "john@example.com")
        .send()
        .await
        .unwrap()
        .contact;
    assert_eq!(
        (reset.opt_in_type, reset.email_type),
        (
            Some(StoredApiContactOptInType::Unknown),
            Some(StoredApiContactEmailType::PlainText)
        )
    );
    let first_name = reset
        .data_fields
        .iter()
        .find(|f| f.key == "FIRSTNAME")
        .unwrap();
    assert!(
        first_name.value.as_ref().is_none_or(|v| v.is_null()),
        "a full replace clears fields not sent"
    );

    let imported = client
        .import_contact(Identifier::contact_id(id))
        .send()
        .await
        .unwrap();
    assert_eq!(
        imported.contact.identifiers.email.as_deref(),
        Some("john@example.com"),
        "v2 and v3 see one contact"
    );
}

#[tokio::test]
async fn an_upsert_by_custom_identifier_is_idempotent() {
    let (_sandbox, client) = connect(
        Sandbox::builder().custom_identifier("crmId"),
        RetryPolicy::none(),
    )
    .await;
    let import = || {
        client
            .import_contact(Identifier::custom("crmId", "ABC123"))
            .email("crm@example.com")
            .set("FIRSTNAME", "Cy")
    };
    let first = import().send().await.unwrap();
    assert_eq!(first.outcome, ImportOutcome::Created);
    assert_eq!(first.contact.identifiers.extra["crmId"], "ABC123");
    let second = import().send().await.unwrap();
    assert_eq!(second.outcome, ImportOutcome::Updated);
    assert_eq!(second.contact.contact_id, first.contact.contact_id);
}
