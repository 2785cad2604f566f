//! v2 "Update contact": `PUT /v2/contacts/{id}`, a full replace.

use dotdigital_contacts_api::types::{self, ApiContactEmailType, ApiContactOptInType};

use crate::execute::Repeat;
use crate::{ContactId, ContactsClient, DataFieldValue, DataFields, Error, RateLimit, validation};

/// The answer to a successful v2 update.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UpdatedContact {
    /// The contact as stored (its `dataFields` list every field of the account).
    pub contact: types::ApiContact,
    /// The `X-RateLimit-*` headers of the answer, if sent.
    pub rate_limit: Option<RateLimit>,
    /// How many attempts it took.
    pub attempts: u32,
    headers: reqwest::header::HeaderMap,
}

impl UpdatedContact {
    /// Every header of the answer, including any the spec adds later.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }
}

/// A v2 update being prepared. Made by [`ContactsClient::update_contact`] or
/// [`ContactsClient::update_contact_resetting_types`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
/// # let client = dotdigital_contacts::ContactsClient::builder()
/// #     .base_url(sandbox.base_url())
/// #     .credentials(sandbox.api_user(), sandbox.api_password())
/// #     .build()?;
/// use dotdigital_contacts::{Identifier, types};
/// // The id a v3 import answers with goes into a v2 update as it is.
/// let imported = client.import_contact(Identifier::email("ann@example.com")).send().await?;
/// let update = client
///     .update_contact_resetting_types(imported.contact.contact_id, "ann@example.com")
///     .set("FIRSTNAME", "Ann")
///     .clear("POSTCODE")
///     .status(types::ApiContactStatus::Subscribed);
/// let body = update.to_request()?;
/// assert_eq!(body.opt_in_type, None, "left out: Dotdigital resets it");
/// let updated = update.send().await?;
/// assert_eq!(updated.contact.id.map(i64::from), Some(imported.contact.contact_id));
/// assert!(updated.headers().contains_key("content-type"));
/// let err = client.update_contact_resetting_types(1i64 << 31, "ann@example.com").to_request().unwrap_err();
/// assert_eq!(err.to_string(), "invalid id: at most 2147483647 (the v2 path's 32-bit id), got 2147483648");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "an update does nothing until .send().await"]
pub struct UpdateContact<'c> {
    client: &'c ContactsClient,
    id: ContactId,
    email: String,
    opt_in_type: Option<ApiContactOptInType>,
    email_type: Option<ApiContactEmailType>,
    status: Option<types::ApiContactStatus>,
    data_fields: DataFields,
}

impl ContactsClient {
    /// Starts a v2 full replace of contact `id` (0, or an unknown id with a new
    /// email, creates a contact). `id` is a [`ContactId`]: a v3 answer's
    /// `contact_id` or a v2 answer's `id` goes in as it is; one beyond the v2
    /// path's 32-bit range is refused at send.
    ///
    /// A v2 PUT resets a missing opt-in type to `Unknown` and a missing email
    /// type to `PlainText`, so both are required here.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
    /// # let client = dotdigital_contacts::ContactsClient::builder()
    /// #     .base_url(sandbox.base_url())
    /// #     .credentials(sandbox.api_user(), sandbox.api_password())
    /// #     .build()?;
    /// use dotdigital_contacts::types::{ApiContactEmailType, ApiContactOptInType, StoredApiContactEmailType};
    /// let updated = client
    ///     .update_contact(100, "john@example.com", ApiContactOptInType::Single, ApiContactEmailType::Html)
    ///     .set("FIRSTNAME", "John")
    ///     .clear("POSTCODE")
    ///     .send()
    ///     .await?;
    /// assert_eq!(updated.contact.email_type, Some(StoredApiContactEmailType::Html));
    /// # Ok(()) }
    /// ```
    pub fn update_contact(
        &self,
        id: impl Into<ContactId>,
        email: impl Into<String>,
        opt_in_type: ApiContactOptInType,
        email_type: ApiContactEmailType,
    ) -> UpdateContact<'_> {
        UpdateContact {
            client: self,
            id: id.into(),
            email: email.into(),
            opt_in_type: Some(opt_in_type),
            email_type: Some(email_type),
            status: None,
            data_fields: DataFields::new(),
        }
    }

    /// Starts a v2 full replace that leaves out the opt-in and email types, so
    /// Dotdigital resets them to `Unknown` and `PlainText`. Use this only when
    /// that reset is what you want.
    pub fn update_contact_resetting_types(
        &self,
        id: impl Into<ContactId>,
        email: impl Into<String>,
    ) -> UpdateContact<'_> {
        UpdateContact {
            client: self,
            id: id.into(),
            email: email.into(),
            opt_in_type: None,
            email_type: None,
            status: None,
            data_fields: DataFields::new(),
        }
    }
}

impl UpdateContact<'_> {
    /// Writes a data field.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<DataFieldValue>) -> Self {
        self.data_fields.set(key, value);
        self
    }

    /// Empties a data field (sends `"value": null`).
    pub fn clear(mut self, key: impl Into<String>) -> Self {
        self.data_fields.clear(key);
        self
    }

    /// Sets the contact's status.
    pub fn status(mut self, status: types::ApiContactStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Checks every documented limit and builds the request body, without
    /// sending anything.
    pub fn to_request(&self) -> Result<types::ApiContactUpdate, Error> {
        self.path_id()?;
        validation::email("email", &self.email)?;
        self.data_fields.validate()?;
        let body = types::ApiContactUpdate::builder()
            .email(self.email.clone())
            .opt_in_type(self.opt_in_type)
            .email_type(self.email_type)
            .data_fields(self.data_fields.to_v2()?)
            .status(self.status);
        validation::built("", body)
    }

    /// The id as the v2 path takes it (the generated client's type).
    fn path_id(&self) -> Result<i32, Error> {
        if self.id < 0 {
            return Err(Error::validation(
                "id",
                format!("must be 0 (create) or a contact id, got {}", self.id),
            ));
        }
        i32::try_from(self.id).map_err(|_| {
            Error::validation(
                "id",
                format!(
                    "at most {} (the v2 path's 32-bit id), got {}",
                    i32::MAX,
                    self.id
                ),
            )
        })
    }

    /// Validates, sends (retrying as the client's policy allows) and returns
    /// the stored contact.
    pub async fn send(self) -> Result<UpdatedContact, Error> {
        let body = self.to_request()?;
        let id = self.path_id()?;
        // A verified double opt-in emails the contact each time it is applied.
        let repeat = if body.opt_in_type == Some(ApiContactOptInType::VerifiedDouble) {
            Repeat::OnlyIfNotApplied
        } else {
            Repeat::MayCreate
        };
        let api = &self.client.api;
        let answer = self
            .client
            .execute("updateContact", repeat, || {
                api.update_contact().id(id).body(body.clone()).send()
            })
            .await?;
        Ok(UpdatedContact {
            headers: answer.value.headers().clone(),
            contact: answer.value.into_inner(),
            rate_limit: answer.rate_limit,
            attempts: answer.attempts,
        })
    }
}
