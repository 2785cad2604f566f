//! v3 "Import a single contact": `PATCH /contacts/v3/{identifier}/{value}`.

use chrono::{DateTime, Utc};
use dotdigital_contacts_api::types::{self, MergeOption};

use crate::ImportRequestExt as _;
use crate::execute::Repeat;
use crate::identifier::Checked;
use crate::{ContactsClient, DataFieldValue, DataFields, Error, Identifier, RateLimit, validation};

/// Whether an import created the contact or changed an existing one.
///
/// ```
/// use dotdigital_contacts::ImportOutcome;
/// assert_eq!(ImportOutcome::Created.as_str(), "created");
/// assert_eq!(ImportOutcome::Updated.as_str(), "updated");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportOutcome {
    /// 201: no contact had the identifier; a new one was created.
    Created,
    /// 200: an existing contact (possibly restored from the recycle bin) was updated.
    Updated,
}

impl ImportOutcome {
    /// `created` or `updated`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ImportOutcome::Created => "created",
            ImportOutcome::Updated => "updated",
        }
    }
}

/// The answer to a successful import.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImportedContact {
    /// Created or updated.
    pub outcome: ImportOutcome,
    /// The contact as stored after the import.
    pub contact: types::Contact,
    /// The `X-RateLimit-*` headers of the answer, if sent.
    pub rate_limit: Option<RateLimit>,
    /// How many attempts it took (1 without retries).
    pub attempts: u32,
    headers: reqwest::header::HeaderMap,
}

impl ImportedContact {
    /// Every header of the answer, including any the spec adds later
    /// (`X-Request-Id`, say), with no change to this crate.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
    /// # let client = dotdigital_contacts::ContactsClient::builder()
    /// #     .base_url(sandbox.base_url())
    /// #     .credentials(sandbox.api_user(), sandbox.api_password())
    /// #     .build()?;
    /// use dotdigital_contacts::Identifier;
    /// let imported = client.import_contact(Identifier::email("ann@example.com")).send().await?;
    /// let content_type = imported.headers().get("content-type").and_then(|v| v.to_str().ok());
    /// assert!(content_type.is_some_and(|t| t.starts_with("application/json")));
    /// # Ok(()) }
    /// ```
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }
}

/// A consent record to append to the contact, built with named setters: the
/// consent text shown, when it was given, the page's URL, the contact's IPv4
/// or IPv6 address, and the browser's user agent. All five are required; one
/// left out or invalid is named when the import is sent
/// (`consentRecords[0].ipAddress`), and nothing is sent.
///
/// The time is a [`chrono::DateTime<Utc>`](crate::chrono::DateTime), re-exported as
/// [`dotdigital_contacts::chrono`](crate::chrono).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
/// # let client = dotdigital_contacts::ContactsClient::builder()
/// #     .base_url(sandbox.base_url())
/// #     .credentials(sandbox.api_user(), sandbox.api_password())
/// #     .build()?;
/// use dotdigital_contacts::chrono::{TimeZone, Utc};
/// use dotdigital_contacts::{ConsentRecord, Identifier};
/// let record = ConsentRecord::new()
///     .text("Yes, send me the newsletter")
///     .consented_at(Utc.with_ymd_and_hms(2026, 1, 5, 9, 30, 0).unwrap())
///     .url("https://example.com/signup")
///     .ip_address("2b01:1234:136::d6b7")
///     .user_agent("Mozilla/5.0");
/// let imported = client
///     .import_contact(Identifier::email("ann@example.com"))
///     .consent_record(record)
///     .send()
///     .await?;
/// assert_eq!(imported.contact.consent_records.len(), 1);
///
/// let missing = ConsentRecord::new().text("Yes").consented_at(Utc::now());
/// let err = client.import_contact(Identifier::email("bob@example.com")).consent_record(missing).send().await.unwrap_err();
/// assert!(err.to_string().starts_with("invalid consentRecords[0]"), "{err}");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConsentRecord {
    record: types::builder::ConsentRecord,
    /// Kept to name it in the error: the builder's would not.
    ip_address: Option<String>,
}

impl ConsentRecord {
    /// A record with nothing set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The consent text the contact agreed to.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.record = self.record.text(text.into());
        self
    }

    /// When consent was given.
    pub fn consented_at(mut self, at: DateTime<Utc>) -> Self {
        self.record = self.record.date_time_consented(at);
        self
    }

    /// The absolute URL of the page where consent was given.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.record = self.record.url(url.into());
        self
    }

    /// The contact's IPv4 or IPv6 address.
    pub fn ip_address(mut self, ip_address: impl Into<String>) -> Self {
        let ip_address = ip_address.into();
        self.record = self.record.ip_address(ip_address.clone());
        self.ip_address = Some(ip_address);
        self
    }

    /// The browser's user agent.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.record = self.record.user_agent(user_agent.into());
        self
    }

    fn to_wire(&self, index: usize) -> Result<types::ConsentRecord, Error> {
        let at = format!("consentRecords[{index}]");
        if let Some(ip_address) = &self.ip_address
            && ip_address.parse::<types::IpAddress>().is_err()
        {
            return Err(Error::validation(
                format!("{at}.ipAddress"),
                format!("{ip_address:?} is not an IPv4 or IPv6 address"),
            ));
        }
        let record: types::ConsentRecord = validation::built(&at, self.record.clone())?;
        reqwest::Url::parse(&record.url).map_err(|e| {
            Error::validation(
                format!("{at}.url"),
                format!("{:?} is not an absolute URL: {e}", record.url),
            )
        })?;
        Ok(record)
    }
}

impl From<types::ConsentRecord> for ConsentRecord {
    fn from(record: types::ConsentRecord) -> Self {
        ConsentRecord {
            ip_address: Some(record.ip_address.to_string()),
            record: record.into(),
        }
    }
}

/// Email channel changes for an import: each left out stays as it is.
///
/// ```
/// use dotdigital_contacts::{EmailChannel, types};
/// let channel = EmailChannel::new()
///     .status(types::EmailStatusUpdate::Subscribed)
///     .opt_in_type(types::OptInTypeUpdate::Double)
///     .resubscribe_with_challenge(types::PreferredLocale::EnEn, "https://example.com/welcome-back");
/// let quiet = EmailChannel::new()
///     .email_type(types::EmailTypeUpdate::Html)
///     .resubscribe_without_challenge();
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailChannel(types::EmailChannelUpdate);

impl EmailChannel {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The format the contact receives emails in.
    pub fn email_type(mut self, email_type: types::EmailTypeUpdate) -> Self {
        self.0.email_type = Some(email_type);
        self
    }

    /// The opt-in type; `VerifiedDouble` sends a confirmation email and makes
    /// the status `pendingOptIn` until the contact confirms.
    pub fn opt_in_type(mut self, opt_in_type: types::OptInTypeUpdate) -> Self {
        self.0.opt_in_type = Some(opt_in_type);
        self
    }

    /// The subscription status. Resubscribing an unsubscribed contact only
    /// happens when the status is sent.
    pub fn status(mut self, status: types::EmailStatusUpdate) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Resubscribes without a confirmation email.
    pub fn resubscribe_without_challenge(mut self) -> Self {
        let mut options = types::ResubscribeOptions::default();
        options.resubscribe_with_no_challenge = Some(true);
        self.0.resubscribe_options = Some(options);
        self
    }

    /// Resubscribes by sending a confirmation email in `locale`; the contact
    /// lands on `redirect_url` after confirming.
    pub fn resubscribe_with_challenge(
        mut self,
        locale: types::PreferredLocale,
        redirect_url: impl Into<String>,
    ) -> Self {
        let mut options = types::ResubscribeOptions::default();
        options.resubscribe_with_no_challenge = Some(false);
        options.preferred_locale = Some(locale);
        options.redirect_url_after_challenge = Some(redirect_url.into());
        self.0.resubscribe_options = Some(options);
        self
    }
}

impl From<types::EmailChannelUpdate> for EmailChannel {
    fn from(update: types::EmailChannelUpdate) -> Self {
        EmailChannel(update)
    }
}

/// A v3 import being prepared; [`send`](Self::send) validates and sends it.
///
/// Made by [`ContactsClient::import_contact`]. The merge option defaults to
/// `overwrite` and is always sent. Every setter is shown here;
/// [`to_request`](Self::to_request) builds the body without sending it.
///
/// ```
/// use dotdigital_contacts::{DataFields, EmailChannel, Identifier, ImportRequestExt, types};
/// # let client = dotdigital_contacts::ContactsClient::builder().credentials("u", "p").build()?;
/// let mut fields = DataFields::new();
/// fields.set("LASTNAME", "Smith");
/// let body = client
///     .import_contact(Identifier::email("ann@example.com"))
///     .merge_option(types::MergeOption::OverwriteIfEmpty)
///     .mobile_number("447123123123")
///     .custom_identifier("crmId", "A-1")
///     .set("FIRSTNAME", "Ann")
///     .clear("POSTCODE")
///     .data_fields(&fields)
///     .email_channel(EmailChannel::new().status(types::EmailStatusUpdate::Subscribed))
///     .sms_status(types::ChannelStatusUpdate::Subscribed)
///     .whats_app_status(types::ChannelStatusUpdate::Unsubscribed)
///     .list(12345)
///     .lists([7, 8])
///     .preference(3, true)
///     .to_request()?;
/// // The email looked up by is sent too, so that a new contact gets it.
/// assert_eq!(body.email(), Some("ann@example.com"));
/// assert_eq!(body.mobile_number(), Some("447123123123"));
/// assert_eq!(body.identifier("crmId"), Some("A-1"));
/// assert_eq!(body.data_fields["LASTNAME"], "Smith");
/// assert_eq!(body.lists, [12345, 7, 8]);
/// assert_eq!(body.preferences[0].id, 3);
/// # Ok::<(), dotdigital_contacts::Error>(())
/// ```
///
/// By mobile number, sent to the sandbox:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
/// # let client = dotdigital_contacts::ContactsClient::builder()
/// #     .base_url(sandbox.base_url())
/// #     .credentials(sandbox.api_user(), sandbox.api_password())
/// #     .build()?;
/// use dotdigital_contacts::{Identifier, ImportOutcome};
/// let imported = client
///     .import_contact(Identifier::mobile_number("447123123123"))
///     .set("FIRSTNAME", "Ann")
///     .send()
///     .await?;
/// assert_eq!(imported.outcome.as_str(), "created");
/// assert_eq!(imported.outcome, ImportOutcome::Created);
/// assert_eq!(imported.attempts, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "an import does nothing until .send().await"]
pub struct ImportContact<'c> {
    client: &'c ContactsClient,
    identifier: Identifier,
    merge_option: MergeOption,
    /// Everything of the body but what is checked per item at send.
    body: types::ImportContactRequest,
    data_fields: DataFields,
    preferences: Vec<types::builder::PreferenceUpdate>,
    consent_records: Vec<ConsentRecord>,
    /// The first (field, reason) a setter found invalid, reported at send.
    invalid: Option<(String, String)>,
}

impl ContactsClient {
    /// Starts a v3 import (upsert) of the contact found by `identifier`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
    /// # let client = dotdigital_contacts::ContactsClient::builder()
    /// #     .base_url(sandbox.base_url())
    /// #     .credentials(sandbox.api_user(), sandbox.api_password())
    /// #     .build()?;
    /// use dotdigital_contacts::{Identifier, ImportOutcome};
    /// let imported = client
    ///     .import_contact(Identifier::email("ann@example.com"))
    ///     .email("ann@example.com")
    ///     .set("FIRSTNAME", "Ann")
    ///     .clear("POSTCODE")
    ///     .list(12345)
    ///     .send()
    ///     .await?;
    /// assert_eq!(imported.outcome, ImportOutcome::Created);
    /// assert_eq!(imported.contact.lists[0].id, 12345);
    /// # Ok(()) }
    /// ```
    pub fn import_contact(&self, identifier: Identifier) -> ImportContact<'_> {
        ImportContact {
            client: self,
            identifier,
            merge_option: MergeOption::Overwrite,
            body: types::ImportContactRequest::default(),
            data_fields: DataFields::new(),
            preferences: Vec::new(),
            consent_records: Vec::new(),
            invalid: None,
        }
    }
}

impl ImportContact<'_> {
    /// How sent values merge into an existing contact (default `overwrite`).
    pub fn merge_option(mut self, merge_option: MergeOption) -> Self {
        self.merge_option = merge_option;
        self
    }

    /// Sets `identifiers.email` (required, with or instead of a mobile
    /// number, when the import creates the contact). An import looked up by
    /// email or mobile number sends that value here unless told otherwise.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.set_identifier("email", email.into());
        self
    }

    /// Sets `identifiers.mobileNumber` (E.164).
    pub fn mobile_number(mut self, number: impl Into<String>) -> Self {
        self.set_identifier("mobileNumber", number.into());
        self
    }

    /// Sets a custom identifier of the account.
    pub fn custom_identifier(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.set_identifier(&name.into(), value.into());
        self
    }

    /// Writes a data field.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<DataFieldValue>) -> Self {
        self.data_fields.set(key, value);
        self
    }

    /// Empties a data field (sends `null`).
    pub fn clear(mut self, key: impl Into<String>) -> Self {
        self.data_fields.clear(key);
        self
    }

    /// Applies a prepared set of data-field changes on top of any made so far.
    pub fn data_fields(mut self, fields: &DataFields) -> Self {
        for (key, value) in fields.iter() {
            match value {
                Some(value) => self.data_fields.set(key, value.clone()),
                None => self.data_fields.clear(key),
            };
        }
        self
    }

    /// Changes the email channel.
    pub fn email_channel(mut self, channel: EmailChannel) -> Self {
        self.channel_properties().email = Some(channel.0);
        self
    }

    /// Changes the SMS channel's status.
    pub fn sms_status(mut self, status: types::ChannelStatusUpdate) -> Self {
        let channels = self.channel_properties();
        channels.sms.get_or_insert_with(Default::default).status = Some(status);
        self
    }

    /// Changes the WhatsApp channel's status.
    pub fn whats_app_status(mut self, status: types::ChannelStatusUpdate) -> Self {
        let channels = self.channel_properties();
        channels
            .whats_app
            .get_or_insert_with(Default::default)
            .status = Some(status);
        self
    }

    /// Adds the contact to a list (existing memberships stay); the spec's
    /// `maxItems` limits the lists per import (100 today), checked at send.
    pub fn list(mut self, list_id: i32) -> Self {
        self.body.lists.push(list_id);
        self
    }

    /// Adds the contact to several lists.
    pub fn lists(mut self, list_ids: impl IntoIterator<Item = i32>) -> Self {
        self.body.lists.extend(list_ids);
        self
    }

    /// Opts the contact into (`true`) or out of (`false`) a preference.
    pub fn preference(mut self, preference_id: i32, opted_in: bool) -> Self {
        self.preferences.push(
            types::PreferenceUpdate::builder()
                .id(preference_id)
                .is_opted_in(opted_in),
        );
        self
    }

    /// Appends a consent record; the spec's `maxItems` limits the records per
    /// import (5 today), checked at send.
    pub fn consent_record(mut self, record: ConsentRecord) -> Self {
        self.consent_records.push(record);
        self
    }

    /// Adds everything in a request body read from JSON (a file, a JSONL row)
    /// to this import: every property the spec has, so a new one needs no code
    /// here. A value in the body replaces one set before, lists and other
    /// arrays are appended to, and data fields merge field by field. Limits
    /// are still checked at [`send`](Self::send); a data-field value that is
    /// an array or object is refused here.
    ///
    /// ```
    /// # let client = dotdigital_contacts::ContactsClient::builder().credentials("u", "p").build().unwrap();
    /// use dotdigital_contacts::{Identifier, types};
    /// let body: types::ImportContactRequest =
    ///     serde_json::from_str(r#"{"identifiers": {"email": "ann@example.com"}, "dataFields": {"POSTCODE": null}, "lists": [7]}"#).unwrap();
    /// let request = client.import_contact(Identifier::email("ann@example.com")).apply(body).unwrap().to_request().unwrap();
    /// assert_eq!(request.data_fields["POSTCODE"], serde_json::Value::Null);
    /// assert_eq!(request.lists, [7]);
    /// ```
    pub fn apply(mut self, mut request: types::ImportContactRequest) -> Result<Self, Error> {
        for (key, value) in std::mem::take(&mut request.data_fields) {
            if value.is_null() {
                self.data_fields.clear(key);
            } else {
                let value = DataFieldValue::try_from(value)
                    .map_err(|reason| Error::validation(format!("dataFields.{key}"), reason))?;
                self.data_fields.set(key, value);
            }
        }
        let preferences = std::mem::take(&mut request.preferences);
        self.preferences
            .extend(preferences.into_iter().map(Into::into));
        let records = std::mem::take(&mut request.consent_records);
        self.consent_records
            .extend(records.into_iter().map(ConsentRecord::from));
        // Merging into an empty body is the body itself: skip the JSON round
        // trip on the sync's usual path (a fresh import per row).
        self.body = if self.body == types::ImportContactRequest::default() {
            request
        } else {
            merged(&self.body, request)?
        };
        Ok(self)
    }

    /// Checks every documented limit and builds the request body, without
    /// sending anything.
    pub fn to_request(&self) -> Result<types::ImportContactRequest, Error> {
        self.clone().take_request()
    }

    /// The request, built from what the import holds (moved out, not copied:
    /// `send` calls it once per import).
    fn take_request(&mut self) -> Result<types::ImportContactRequest, Error> {
        let mut body = std::mem::take(&mut self.body);
        if let Some((field, reason)) = &self.invalid {
            return Err(Error::validation(field, reason));
        }
        // Creating a contact needs its email or mobile number in the body;
        // the one the import looks up by is the obvious value to send. One the
        // body already holds was checked by its type when set.
        if !holds_lookup_value(&body, &self.identifier) {
            match self.identifier.checked()? {
                Checked::Email(email) if !has_identifier(&body, "email") => {
                    identifiers(&mut body)?.email = Some(email);
                }
                Checked::MobileNumber(number) if !has_identifier(&body, "mobileNumber") => {
                    identifiers(&mut body)?.mobile_number = Some(number);
                }
                // A custom identifier too: a contact created by it holds it,
                // so the same import again finds and updates that contact.
                Checked::Other => {
                    if let Identifier::Custom { name, value } = &self.identifier
                        && !has_identifier(&body, name)
                    {
                        identifiers(&mut body)?
                            .extra
                            .insert(name.clone(), value.clone());
                    }
                }
                _ => {}
            }
        }
        // Email and mobile number were checked when set (their types hold the spec's rules).
        if let Some(identifiers) = &body.identifiers {
            for (name, value) in &identifiers.extra {
                let field = format!("identifiers.{name}");
                if name == "contactId" {
                    return Err(Error::validation(field, "contactId cannot be changed"));
                }
                validation::identifier_name(&field, name)?;
                validation::identifier_value(&field, value)?;
            }
        }

        self.data_fields.validate()?;
        body.data_fields
            .extend(std::mem::take(&mut self.data_fields).into_v3());

        let redirect_url = body
            .channel_properties
            .as_ref()
            .and_then(|c| c.email.as_ref())
            .and_then(|e| e.resubscribe_options.as_ref())
            .and_then(|o| o.redirect_url_after_challenge.as_ref());
        if let Some(url) = redirect_url {
            reqwest::Url::parse(url).map_err(|e| {
                Error::validation(
                    "channelProperties.email.resubscribeOptions.redirectUrlAfterChallenge",
                    format!("{url:?} is not an absolute URL: {e}"),
                )
            })?;
        }

        for (i, preference) in self.preferences.iter().enumerate() {
            let at = format!("preferences[{i}]");
            body.preferences
                .push(validation::built(&at, preference.clone())?);
        }
        for (i, record) in self.consent_records.iter().enumerate() {
            body.consent_records.push(record.to_wire(i)?);
        }
        validation::item_counts(&body)?;
        Ok(body)
    }

    /// Validates, sends (retrying as the client's policy allows) and returns
    /// the stored contact.
    pub async fn send(mut self) -> Result<ImportedContact, Error> {
        let body = self.take_request()?;
        let repeat = if appends_or_sends_email(&body) {
            Repeat::OnlyIfNotApplied
        } else {
            Repeat::Safe
        };
        let (identifier, value) = self.identifier.path()?;
        let api = &self.client.api;
        let answer = self
            .client
            .execute("importContact", repeat, || {
                api.import_contact()
                    .identifier(identifier.clone())
                    .value(value.clone())
                    .merge_option(self.merge_option)
                    .body(body.clone())
                    .send()
            })
            .await?;
        let outcome = if answer.value.status() == reqwest::StatusCode::CREATED {
            ImportOutcome::Created
        } else {
            ImportOutcome::Updated
        };
        Ok(ImportedContact {
            headers: answer.value.headers().clone(),
            outcome,
            contact: answer.value.into_inner(),
            rate_limit: answer.rate_limit,
            attempts: answer.attempts,
        })
    }

    fn set_identifier(&mut self, name: &str, value: String) {
        if let Err(error) = self.body.set_identifier(name, &value) {
            let (field, reason) = match error {
                Error::Validation { field, reason } => (field, reason),
                other => (format!("identifiers.{name}"), other.to_string()),
            };
            self.invalid.get_or_insert((field, reason));
        }
    }

    fn channel_properties(&mut self) -> &mut types::ChannelPropertiesUpdate {
        self.body
            .channel_properties
            .get_or_insert_with(Default::default)
    }
}

/// Whether the body's email or mobile number is the one the import looks up by.
fn holds_lookup_value(body: &types::ImportContactRequest, identifier: &Identifier) -> bool {
    let Some(identifiers) = &body.identifiers else {
        return false;
    };
    match identifier {
        Identifier::Email(email) => identifiers.email.as_deref() == Some(email),
        Identifier::MobileNumber(number) => identifiers.mobile_number.as_deref() == Some(number),
        _ => false,
    }
}

/// Whether the body names the identifier `name` itself.
fn has_identifier(body: &types::ImportContactRequest, name: &str) -> bool {
    body.identifiers.as_ref().is_some_and(|i| match name {
        "email" => i.email.is_some(),
        "mobileNumber" => i.mobile_number.is_some(),
        _ => i.extra.contains_key(name),
    })
}

/// The body's identifiers, made empty if there were none. (typify gives
/// `IdentifiersUpdate`, with its map of custom identifiers, no `Default`; it
/// reads from `{}` unless the spec makes an identifier required.)
pub(crate) fn identifiers(
    body: &mut types::ImportContactRequest,
) -> Result<&mut types::IdentifiersUpdate, Error> {
    if body.identifiers.is_none() {
        body.identifiers = Some(
            serde_json::from_str("{}")
                .map_err(|e| Error::validation("identifiers", e.to_string()))?,
        );
    }
    body.identifiers
        .as_mut()
        .ok_or_else(|| Error::validation("identifiers", "missing"))
}

/// `overlay` on top of `base`, property by property, through JSON: objects
/// merge, arrays append, any other value replaces. Works for every property
/// the spec has now or adds later.
fn merged<T>(base: &T, overlay: T) -> Result<T, Error>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    fn merge(base: &mut serde_json::Value, overlay: serde_json::Value) {
        use serde_json::Value;
        match (base, overlay) {
            (Value::Object(base), Value::Object(overlay)) => {
                for (key, value) in overlay {
                    match base.get_mut(&key) {
                        Some(slot) => merge(slot, value),
                        None => {
                            base.insert(key, value);
                        }
                    }
                }
            }
            (Value::Array(base), Value::Array(overlay)) => base.extend(overlay),
            (slot, value) => *slot = value,
        }
    }
    let invalid = |e: serde_json::Error| Error::validation("request", e.to_string());
    let mut merged = serde_json::to_value(base).map_err(invalid)?;
    merge(&mut merged, serde_json::to_value(overlay).map_err(invalid)?);
    serde_json::from_value(merged).map_err(invalid)
}

/// Whether applying the import twice differs from applying it once: consent
/// records are appended, and a verified double opt-in or a challenged
/// resubscribe emails the contact each time.
fn appends_or_sends_email(body: &types::ImportContactRequest) -> bool {
    let email = body
        .channel_properties
        .as_ref()
        .and_then(|channels| channels.email.as_ref());
    !body.consent_records.is_empty()
        || email.is_some_and(|email| {
            email.opt_in_type == Some(types::OptInTypeUpdate::VerifiedDouble)
                || email
                    .resubscribe_options
                    .as_ref()
                    .is_some_and(|options| options.resubscribe_with_no_challenge == Some(false))
        })
}
