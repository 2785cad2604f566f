//! Shared by the wrapper's tests: a client pointed at a capture server.

#![allow(
    dead_code,
    reason = "each test file uses its own subset of these helpers"
)]

use std::time::Duration;

use dotdigital_capture_server::{CaptureServer, Reply};
use dotdigital_contacts::{ContactsClient, RetryPolicy};

pub const PASSWORD: &str = "pa55-w0rd!";

pub fn client(server: &CaptureServer) -> ContactsClient {
    client_with_retries(server, RetryPolicy::none())
}

pub fn client_with_retries(server: &CaptureServer, policy: RetryPolicy) -> ContactsClient {
    ContactsClient::builder()
        .base_url(server.base_url())
        .credentials("apiuser-1@apiconnector.com", PASSWORD)
        .retry_policy(policy)
        .build()
        .unwrap()
}

/// Retries without real waiting: 1 ms backoffs.
pub fn fast_retries(retries: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(retries)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2))
}

pub use dotdigital_capture_server::contact_json;

pub fn ok(status: u16) -> Reply {
    Reply::json(status, contact_json())
}

/// Imports ann@example.com with nothing set: the call most tests make.
pub async fn import_ann(
    client: &ContactsClient,
) -> Result<dotdigital_contacts::ImportedContact, dotdigital_contacts::Error> {
    client
        .import_contact(dotdigital_contacts::Identifier::email("ann@example.com"))
        .send()
        .await
}
