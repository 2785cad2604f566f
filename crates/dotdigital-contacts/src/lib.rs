//! Write contacts into Dotdigital from Rust.
//!
//! Two operations, each a fluent call ending in `.send().await`:
//!
//! - [`ContactsClient::import_contact`]: v3 "Import a single contact", an
//!   upsert by email, mobile number, contact id or custom identifier. The
//!   merge option defaults to `overwrite` and is always sent; data fields are
//!   [set](ImportContact::set) or [cleared](ImportContact::clear) (JSON
//!   `null`), and untouched fields are never sent.
//! - [`ContactsClient::update_contact`]: v2 "Update contact", a full replace
//!   that makes you choose the opt-in and email types (Dotdigital would
//!   otherwise reset them).
//!
//! Input is checked against the documented limits before anything is sent;
//! every failure is one [`Error`] that keeps the HTTP status, Dotdigital's
//! code and message, the rate-limit headers, and whether the request may have
//! been applied ([`Error::delivery`]). 429, 500, 502, 503, 504 and transport
//! errors are retried, as far as repeating the request is safe, with bounded,
//! jittered exponential backoff that honours the server's wait
//! ([`RetryPolicy`]).
//!
//! Answers from a service newer than this client's spec still succeed: an
//! enum value the spec does not list is kept as the enum's `Other` variant,
//! and every header is readable ([`ImportedContact::headers`]). An answer is
//! read up to [`ContactsClientBuilder::max_answer_bytes`] (256 KiB by default).
//! Request bodies from JSON are read strictly by [`json`].
//!
//! The examples run against the local sandbox (`dotdigital-sandbox`), an
//! emulator of both endpoints; against Dotdigital, build the client with
//! [`Region`] and real credentials, or with [`ContactsClient::from_env`].
//!
//! ```
//! use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType, StoredApiContactOptInType};
//! use dotdigital_contacts::{ContactsClient, Identifier, ImportOutcome};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
//! let client = ContactsClient::builder()
//!     .base_url(sandbox.base_url()) // or .region(Region::R1)
//!     .credentials(sandbox.api_user(), sandbox.api_password())
//!     .build()?;
//!
//! // v3: upsert by email; FIRSTNAME set, POSTCODE cleared, nothing else touched.
//! let imported = client
//!     .import_contact(Identifier::email("ann@example.com"))
//!     .set("FIRSTNAME", "Ann")
//!     .clear("POSTCODE")
//!     .send()
//!     .await?;
//! assert_eq!(imported.outcome, ImportOutcome::Created);
//! let again = client.import_contact(Identifier::email("ann@example.com")).set("LASTNAME", "Smith").send().await?;
//! assert_eq!(again.outcome, ImportOutcome::Updated);
//! assert_eq!(again.contact.data_fields["FIRSTNAME"], "Ann");
//!
//! // v2: a full replace, with both types chosen; a v3 answer's contact id goes in as it is.
//! let updated = client
//!     .update_contact(again.contact.contact_id, "ann@example.com", ApiContactOptInType::Double, ApiContactEmailType::Html)
//!     .set("FIRSTNAME", "Annie")
//!     .send()
//!     .await?;
//! assert_eq!(updated.contact.opt_in_type, Some(StoredApiContactOptInType::Double));
//! # Ok(()) }
//! ```
//!
//! Validation happens before the network, and names the field and the limit:
//!
//! ```
//! use dotdigital_contacts::{ContactsClient, Identifier};
//! let client = ContactsClient::builder().base_url("http://127.0.0.1:9").credentials("u", "p").build().unwrap();
//! let err = client.import_contact(Identifier::mobile_number("+44 7123 123123")).to_request().unwrap_err();
//! assert!(err.to_string().contains("E.164"));
//! let err = client.import_contact(Identifier::email("ann@example.com")).lists(0..101).to_request().unwrap_err();
//! assert_eq!(err.to_string(), "invalid lists: at most 100 items, got 101");
//! ```
#![warn(missing_docs)]

mod client;
mod data_fields;
mod error;
mod execute;
mod identifier;
mod import;
pub mod json;
mod rate_limit;
mod request_body;
mod retry;
pub mod text;
mod update;
mod validation;

pub use client::{ContactsClient, ContactsClientBuilder, Region};
pub use data_fields::{DataFieldValue, DataFields};
pub use error::{Delivery, Error, ErrorDetail};
pub use identifier::{ContactId, Identifier};
pub use import::{ConsentRecord, EmailChannel, ImportContact, ImportOutcome, ImportedContact};
pub use rate_limit::RateLimit;
pub use request_body::ImportRequestExt;
pub use retry::{RetryPolicy, Retrying};
pub use update::{UpdateContact, UpdatedContact};

/// The wire types generated from the spec (enums for channels, opt-in types
/// and statuses; the stored contact), re-exported rather than copied.
///
/// Every struct and enum here is `#[non_exhaustive]`, so a property or value
/// the spec adds is a minor release: build a value with its builder
/// (`types::PreferenceUpdate::builder().id(7).is_opted_in(true)`, then
/// `try_into()`), with `Default` and assignment, or from JSON; match an enum
/// with a wildcard arm; list an enum's values with `ALL`.
///
/// ```
/// use dotdigital_contacts::types;
/// let preference: types::PreferenceUpdate =
///     types::PreferenceUpdate::builder().id(7).is_opted_in(true).try_into().unwrap();
/// assert_eq!(preference.id, 7);
/// assert!(types::MergeOption::ALL.contains(&types::MergeOption::default()));
/// ```
pub use dotdigital_contacts_api::types;

/// The date and time types the API takes ([`ConsentRecord::consented_at`],
/// data-field dates), re-exported so that no direct dependency on chrono is
/// needed (nor can its version disagree with this crate's).
pub use chrono;
