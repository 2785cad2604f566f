//! Imports one contact with the generated client.
//!
//! With `DOTDIGITAL_API_USER` and `DOTDIGITAL_API_PASSWORD` set (and optionally
//! `DOTDIGITAL_BASE_URL`, default `https://r1-api.dotdigital.com`) it calls
//! Dotdigital; without them, a local sandbox it starts itself.
//!
//! `cargo run -p dotdigital-contacts-api --example import_contact`

use dotdigital_contacts_api::{Client, Credentials, types};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The sandbox, when one is used, serves as long as it is held.
    let (base_url, credentials, _sandbox) = match (
        std::env::var("DOTDIGITAL_API_USER"),
        std::env::var("DOTDIGITAL_API_PASSWORD"),
    ) {
        (Ok(user), Ok(password)) => {
            let base_url = std::env::var("DOTDIGITAL_BASE_URL")
                .unwrap_or_else(|_| "https://r1-api.dotdigital.com".to_owned());
            (base_url, Credentials::new(user, password), None)
        }
        _ => {
            let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
            println!(
                "no DOTDIGITAL_API_USER/DOTDIGITAL_API_PASSWORD: using a sandbox at {}",
                sandbox.base_url()
            );
            let credentials = Credentials::new(sandbox.api_user(), sandbox.api_password());
            (sandbox.base_url().to_owned(), credentials, Some(sandbox))
        }
    };

    let client = Client::new_with_client(
        &base_url,
        dotdigital_contacts_api::http_client_builder()?.build()?,
        credentials,
    );
    // Wire values come from the generated builders, never struct literals:
    // a property added to the spec then needs no change here.
    // IdentifiersUpdate holds a map of custom identifiers: JSON reads it most plainly.
    let identifiers: types::IdentifiersUpdate =
        serde_json::from_value(json!({"email": "ann@example.com"}))?;
    let mut data_fields = serde_json::Map::new();
    data_fields.insert("FIRSTNAME".into(), json!("Ann"));
    data_fields.insert("POSTCODE".into(), serde_json::Value::Null); // null clears the field
    let body = types::ImportContactRequest::builder()
        .identifiers(identifiers)
        .data_fields(data_fields)
        .lists(vec![12345]);

    let response = client
        .import_contact()
        .identifier("email")
        .value("ann@example.com")
        .merge_option(types::MergeOption::Overwrite)
        .body(body)
        .send()
        .await?;
    let outcome = if response.status() == 201 {
        "created"
    } else {
        "updated"
    };
    println!("{outcome} contact {}", response.contact_id);
    println!("{}", serde_json::to_string_pretty(&response.into_inner())?);
    Ok(())
}
