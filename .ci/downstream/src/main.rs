//! One import against the sandbox, through the packaged crates.

use dotdigital_contacts::{ContactsClient, Identifier, ImportOutcome};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
    let client = ContactsClient::builder()
        .base_url(sandbox.base_url())
        .credentials(sandbox.api_user(), sandbox.api_password())
        .build()?;
    let imported = client
        .import_contact(Identifier::email("ann@example.com"))
        .set("FIRSTNAME", "Ann")
        .send()
        .await?;
    if imported.outcome != ImportOutcome::Created {
        return Err(format!("expected a created contact, got {:?}", imported.outcome).into());
    }
    // HTTPS needs the default TLS provider to be set up: building a client for
    // a region must not panic or fail.
    ContactsClient::builder()
        .credentials("apiuser-1@apiconnector.com", "password")
        .build()?;
    println!(
        "downstream: contact {} {}",
        imported.contact.contact_id,
        imported.outcome.as_str()
    );
    Ok(())
}
