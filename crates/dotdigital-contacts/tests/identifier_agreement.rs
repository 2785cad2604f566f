//! One verdict for one input: for generated emails and mobile numbers, the
//! wrapper (before the network) and the independent sandbox (over HTTP)
//! accept and reject exactly the same values. Both read the rule from the
//! spec's `IdentifiersUpdate` schemas.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::cell::Cell;

use dotdigital_contacts::{ContactsClient, Identifier, RetryPolicy};
use dotdigital_sandbox::Sandbox;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::json;

/// Whether the sandbox accepts `value` as the path value and in the body.
async fn sandbox_accepts(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    identifier: &str,
    value: &str,
) -> bool {
    let url = format!(
        "{}/contacts/v3/{identifier}/{}",
        sandbox.base_url(),
        utf8_percent_encode(value, NON_ALPHANUMERIC)
    );
    let status = http
        .patch(url)
        .basic_auth(sandbox.api_user(), Some(sandbox.api_password()))
        .json(&json!({ "identifiers": { identifier: value } }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        status.is_success() || status == 400,
        "{identifier}={value:?}: HTTP {status}"
    );
    status.is_success()
}

fn agree(identifier: &'static str, values: BoxedStrategy<String>) {
    // A path segment is never empty (both sides refuse it; the sandbox has no route for it).
    let values = values.prop_filter("a non-empty value", |v| !v.is_empty());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime.block_on(Sandbox::start_default()).unwrap();
    let client = ContactsClient::builder()
        .base_url(sandbox.base_url())
        .credentials(sandbox.api_user(), sandbox.api_password())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // With the default TLS feature (rustls with ring) reqwest has no
    // process-wide provider: a client comes from the builder that sets it up.
    let http = dotdigital_contacts_api::http_client_builder()
        .unwrap()
        .build()
        .unwrap();
    // Seeded, so every run checks the same values; PROPTEST_RNG_SEED explores others.
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let config = Config {
        cases: 400,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let (accepted, rejected) = (Cell::new(0), Cell::new(0));
    runner
        .run(&values, |value| {
            let lookup = match identifier {
                "email" => Identifier::email(value.clone()),
                _ => Identifier::mobile_number(value.clone()),
            };
            let wrapper = client.import_contact(lookup).to_request().is_ok();
            let sandbox = runtime.block_on(sandbox_accepts(&http, &sandbox, identifier, &value));
            prop_assert_eq!(wrapper, sandbox, "{}={:?}", identifier, value);
            let verdict = if wrapper { &accepted } else { &rejected };
            verdict.set(verdict.get() + 1);
            Ok(())
        })
        .unwrap();
    // Both verdicts were exercised, not only one.
    let (accepted, rejected) = (accepted.get(), rejected.get());
    assert!(
        accepted > 50 && rejected > 50,
        "{accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn the_wrapper_and_the_sandbox_agree_on_every_email() {
    let emails = prop_oneof![
        // Plausible addresses, and near misses.
        "[a-zA-Z0-9._%+-]{1,12}@[a-z0-9-]{1,10}(\\.[a-z]{1,6}){1,2}",
        "[a-zA-Z0-9._%+@ -]{0,14}@?[a-z0-9.@-]{0,14}",
        // Local parts and totals around the 64 and 254 character limits,
        // with multi-byte characters (characters, not bytes, count).
        "[a-zé]{60,68}@[a-z]{1,8}\\.[a-z]{2,3}",
        "[a-z]{20,64}@[a-zé]{60,63}\\.[a-z]{60,63}\\.[a-zé]{50,63}",
        // Anything printable or not, around an @.
        "\\PC{0,8}@\\PC{0,8}\\.\\PC{0,4}",
        "[\\x00-\\x21]{0,2}[a-z]{1,4}@[a-z]{1,4}\\.[a-z\\x00-\\x21]{1,4}",
    ]
    .boxed();
    agree("email", emails);
}

#[test]
fn the_wrapper_and_the_sandbox_agree_on_every_mobile_number() {
    let numbers = prop_oneof![
        "\\+?[1-9][0-9]{6,14}",
        "\\+?[0-9]{4,17}",
        "[0-9 +()-]{5,18}",
        "\\+?0[0-9]{6,14}",
    ]
    .boxed();
    agree("mobileNumber", numbers);
}
