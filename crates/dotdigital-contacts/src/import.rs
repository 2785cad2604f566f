//! v3 "Import a single contact": `PATCH /contacts/v3/{identifier}/{value}`.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use dotdigital_contacts_api::types::{self, MergeOption};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::execute::Repeat;
use crate::{ContactsClient, DataFieldValue, DataFields, Error, Identifier, RateLimit, validation};

/// Whether an import created the contact or changed an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    /// 201: no contact had the identifier; a new one was created.
    Created,
    /// 200: an existing contact (possibly restored from the recycle bin) was updated.
    Updated,
}

/// The answer to a successful import.
#[derive(Debug, Clone)]
pub struct ImportedContact {
    /// Created or updated.
    pub outcome: ImportOutcome,
    /// The contact as stored after the import.
    pub contact: types::Contact,
    /// The `X-RateLimit-*` headers of the answer, if sent.
    pub rate_limit: Option<RateLimit>,
    /// How many attempts it took (1 without retries).
    pub attempts: u32,
}

/// A consent record to append to the contact; all five fields are required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsentRecord {
    /// The consent text shown to the contact (not empty).
    #[schemars(length(min = 1))]
    text: String,
    /// When consent was given.
    #[serde(rename = "dateTimeConsented")]
    consented_at: DateTime<Utc>,
    /// The absolute URL of the page where consent was given.
    #[schemars(url)]
    url: String,
    /// The contact's IPv4 or IPv6 address.
    #[schemars(with = "std::net::IpAddr")]
    ip_address: String,
    /// The browser's user agent (not empty).
    #[schemars(length(min = 1))]
    user_agent: String,
}

impl ConsentRecord {
    /// The consent text shown, when it was given, the page's URL, the
    /// contact's IPv4 or IPv6 address, and the browser's user agent.
    ///
    /// ```
    /// use dotdigital_contacts::ConsentRecord;
    /// let record = ConsentRecord::new(
    ///     "Yes, send me the newsletter",
    ///     "2026-01-05T09:30:00Z".parse().unwrap(),
    ///     "https://example.com/signup",
    ///     "2b01:1234:136::d6b7",
    ///     "Mozilla/5.0",
    /// );
    /// ```
    pub fn new(
        text: impl Into<String>,
        consented_at: DateTime<Utc>,
        url: impl Into<String>,
        ip_address: impl Into<String>,
        user_agent: impl Into<String>,
    ) -> Self {
        ConsentRecord {
            text: text.into(),
            consented_at,
            url: url.into(),
            ip_address: ip_address.into(),
            user_agent: user_agent.into(),
        }
    }

    fn to_wire(&self, index: usize) -> Result<types::ConsentRecord, Error> {
        let field = |name: &str| format!("consentRecords[{index}].{name}");
        let text = self
            .text
            .parse()
            .map_err(|_| Error::validation(field("text"), "must not be empty"))?;
        let user_agent = self
            .user_agent
            .parse()
            .map_err(|_| Error::validation(field("userAgent"), "must not be empty"))?;
        reqwest::Url::parse(&self.url).map_err(|e| {
            Error::validation(
                field("url"),
                format!("{:?} is not an absolute URL: {e}", self.url),
            )
        })?;
        let ip: IpAddr = self.ip_address.parse().map_err(|_| {
            Error::validation(
                field("ipAddress"),
                format!("{:?} is not an IPv4 or IPv6 address", self.ip_address),
            )
        })?;
        let ip_address = match ip {
            IpAddr::V4(v4) => types::IpAddress::Ipv4(v4),
            IpAddr::V6(v6) => types::IpAddress::Ipv6(v6),
        };
        Ok(types::ConsentRecord {
            text,
            date_time_consented: self.consented_at,
            url: self.url.clone(),
            ip_address,
            user_agent,
        })
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
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailChannel {
    update: types::EmailChannelUpdate,
    redirect_url: Option<String>,
}

impl EmailChannel {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The format the contact receives emails in.
    pub fn email_type(mut self, email_type: types::EmailTypeUpdate) -> Self {
        self.update.email_type = Some(email_type);
        self
    }

    /// The opt-in type; `VerifiedDouble` sends a confirmation email and makes
    /// the status `pendingOptIn` until the contact confirms.
    pub fn opt_in_type(mut self, opt_in_type: types::OptInTypeUpdate) -> Self {
        self.update.opt_in_type = Some(opt_in_type);
        self
    }

    /// The subscription status. Resubscribing an unsubscribed contact only
    /// happens when the status is sent.
    pub fn status(mut self, status: types::EmailStatusUpdate) -> Self {
        self.update.status = Some(status);
        self
    }

    /// Resubscribes without a confirmation email.
    pub fn resubscribe_without_challenge(mut self) -> Self {
        self.update.resubscribe_options = Some(types::ResubscribeOptions {
            resubscribe_with_no_challenge: Some(true),
            preferred_locale: None,
            redirect_url_after_challenge: None,
        });
        self.redirect_url = None;
        self
    }

    /// Resubscribes by sending a confirmation email in `locale`; the contact
    /// lands on `redirect_url` after confirming.
    pub fn resubscribe_with_challenge(
        mut self,
        locale: types::PreferredLocale,
        redirect_url: impl Into<String>,
    ) -> Self {
        let redirect_url = redirect_url.into();
        self.update.resubscribe_options = Some(types::ResubscribeOptions {
            resubscribe_with_no_challenge: Some(false),
            preferred_locale: Some(locale),
            redirect_url_after_challenge: Some(redirect_url.clone()),
        });
        self.redirect_url = Some(redirect_url);
        self
    }
}

/// A v3 import being prepared; [`send`](Self::send) validates and sends it.
///
/// Made by [`ContactsClient::import_contact`]. The merge option defaults to
/// `overwrite` and is always sent.
#[derive(Debug, Clone)]
#[must_use = "an import does nothing until .send().await"]
pub struct ImportContact<'c> {
    client: &'c ContactsClient,
    identifier: Identifier,
    merge_option: MergeOption,
    email: Option<String>,
    mobile_number: Option<String>,
    custom_identifiers: HashMap<String, String>,
    data_fields: DataFields,
    email_channel: Option<EmailChannel>,
    sms_status: Option<types::ChannelStatusUpdate>,
    whats_app_status: Option<types::ChannelStatusUpdate>,
    lists: Vec<i32>,
    preferences: Vec<types::PreferenceUpdate>,
    consent_records: Vec<ConsentRecord>,
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
            email: None,
            mobile_number: None,
            custom_identifiers: HashMap::new(),
            data_fields: DataFields::new(),
            email_channel: None,
            sms_status: None,
            whats_app_status: None,
            lists: Vec::new(),
            preferences: Vec::new(),
            consent_records: Vec::new(),
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
        self.email = Some(email.into());
        self
    }

    /// Sets `identifiers.mobileNumber` (E.164).
    pub fn mobile_number(mut self, number: impl Into<String>) -> Self {
        self.mobile_number = Some(number.into());
        self
    }

    /// Sets a custom identifier of the account.
    pub fn custom_identifier(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_identifiers.insert(name.into(), value.into());
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
        self.email_channel = Some(channel);
        self
    }

    /// Changes the SMS channel's status.
    pub fn sms_status(mut self, status: types::ChannelStatusUpdate) -> Self {
        self.sms_status = Some(status);
        self
    }

    /// Changes the WhatsApp channel's status.
    pub fn whats_app_status(mut self, status: types::ChannelStatusUpdate) -> Self {
        self.whats_app_status = Some(status);
        self
    }

    /// Adds the contact to a list (existing memberships stay); 1 to 100 lists per import.
    pub fn list(mut self, list_id: i32) -> Self {
        self.lists.push(list_id);
        self
    }

    /// Adds the contact to several lists.
    pub fn lists(mut self, list_ids: impl IntoIterator<Item = i32>) -> Self {
        self.lists.extend(list_ids);
        self
    }

    /// Opts the contact into (`true`) or out of (`false`) a preference.
    pub fn preference(mut self, preference_id: i32, opted_in: bool) -> Self {
        self.preferences.push(types::PreferenceUpdate {
            id: preference_id,
            is_opted_in: opted_in,
        });
        self
    }

    /// Appends a consent record; 1 to 5 per import.
    pub fn consent_record(mut self, record: ConsentRecord) -> Self {
        self.consent_records.push(record);
        self
    }

    /// Adds everything in a request body read from JSON (a file, a JSONL row)
    /// to this import. Limits are still checked at [`send`](Self::send); a
    /// data-field value that is an array or object is refused here.
    ///
    /// ```
    /// # let client = dotdigital_contacts::ContactsClient::builder().credentials("u", "p").build().unwrap();
    /// use dotdigital_contacts::{Identifier, types};
    /// let body: types::ImportContactRequest =
    ///     serde_json::from_str(r#"{"identifiers": {"email": "ann@example.com"}, "dataFields": {"POSTCODE": null}, "lists": [7]}"#).unwrap();
    /// let request = client.import_contact(Identifier::email("ann@example.com")).apply(body).unwrap().to_request().unwrap();
    /// assert_eq!(request.data_fields["POSTCODE"], serde_json::Value::Null);
    /// ```
    pub fn apply(mut self, request: types::ImportContactRequest) -> Result<Self, Error> {
        if let Some(identifiers) = request.identifiers {
            self.email = identifiers.email.or(self.email);
            self.mobile_number = identifiers.mobile_number.or(self.mobile_number);
            self.custom_identifiers.extend(identifiers.extra);
        }
        for (key, value) in request.data_fields {
            if value.is_null() {
                self.data_fields.clear(key);
            } else {
                let value = DataFieldValue::try_from(value)
                    .map_err(|reason| Error::validation(format!("dataFields.{key}"), reason))?;
                self.data_fields.set(key, value);
            }
        }
        if let Some(channels) = request.channel_properties {
            if let Some(email) = channels.email {
                let redirect_url = email
                    .resubscribe_options
                    .as_ref()
                    .and_then(|o| o.redirect_url_after_challenge.clone());
                self.email_channel = Some(EmailChannel {
                    update: email,
                    redirect_url,
                });
            }
            self.sms_status = channels.sms.and_then(|c| c.status).or(self.sms_status);
            self.whats_app_status = channels
                .whats_app
                .and_then(|c| c.status)
                .or(self.whats_app_status);
        }
        self.lists.extend(request.lists);
        self.preferences.extend(request.preferences);
        self.consent_records
            .extend(request.consent_records.into_iter().map(|r| {
                ConsentRecord::new(
                    r.text.to_string(),
                    r.date_time_consented,
                    r.url,
                    r.ip_address.to_string(),
                    r.user_agent.to_string(),
                )
            }));
        Ok(self)
    }

    /// Checks every documented limit and builds the request body, without
    /// sending anything.
    pub fn to_request(&self) -> Result<types::ImportContactRequest, Error> {
        self.identifier.validate()?;
        let mut body = types::ImportContactRequest::default();

        // Creating a contact needs its email or mobile number in the body;
        // the one the import looks up by is the obvious value to send.
        let (email, mobile_number) = match &self.identifier {
            Identifier::Email(email) => (
                self.email.clone().or_else(|| Some(email.clone())),
                self.mobile_number.clone(),
            ),
            Identifier::MobileNumber(number) => (
                self.email.clone(),
                self.mobile_number.clone().or_else(|| Some(number.clone())),
            ),
            _ => (self.email.clone(), self.mobile_number.clone()),
        };
        let has_identifiers =
            email.is_some() || mobile_number.is_some() || !self.custom_identifiers.is_empty();
        if has_identifiers {
            if let Some(email) = &email {
                validation::email("identifiers.email", email)?;
            }
            if let Some(number) = &mobile_number {
                validation::mobile_number("identifiers.mobileNumber", number)?;
            }
            for (name, value) in &self.custom_identifiers {
                let field = format!("identifiers.{name}");
                if matches!(name.as_str(), "contactId" | "email" | "mobileNumber") {
                    return Err(Error::validation(
                        field,
                        "is not a custom identifier (contactId cannot be changed; use .email() or .mobile_number())",
                    ));
                }
                validation::identifier_name(&field, name)?;
                validation::identifier_value(&field, value)?;
            }
            body.identifiers = Some(types::IdentifiersUpdate {
                email,
                mobile_number,
                extra: self.custom_identifiers.clone(),
            });
        }

        self.data_fields.validate()?;
        body.data_fields = self.data_fields.to_v3();

        if self.email_channel.is_some()
            || self.sms_status.is_some()
            || self.whats_app_status.is_some()
        {
            if let Some(url) = self
                .email_channel
                .as_ref()
                .and_then(|c| c.redirect_url.as_ref())
            {
                reqwest::Url::parse(url).map_err(|e| {
                    Error::validation(
                        "channelProperties.email.resubscribeOptions.redirectUrlAfterChallenge",
                        format!("{url:?} is not an absolute URL: {e}"),
                    )
                })?;
            }
            body.channel_properties = Some(types::ChannelPropertiesUpdate {
                email: self.email_channel.as_ref().map(|c| c.update.clone()),
                sms: self.sms_status.map(|status| types::MobileChannelUpdate {
                    status: Some(status),
                }),
                whats_app: self
                    .whats_app_status
                    .map(|status| types::MobileChannelUpdate {
                        status: Some(status),
                    }),
            });
        }

        if self.lists.len() > 100 {
            return Err(Error::validation(
                "lists",
                format!("at most 100 lists per import, got {}", self.lists.len()),
            ));
        }
        body.lists = self.lists.clone();
        body.preferences = self.preferences.clone();

        if self.consent_records.len() > 5 {
            return Err(Error::validation(
                "consentRecords",
                format!(
                    "at most 5 consent records per import, got {}",
                    self.consent_records.len()
                ),
            ));
        }
        body.consent_records = self
            .consent_records
            .iter()
            .enumerate()
            .map(|(i, r)| r.to_wire(i))
            .collect::<Result<_, _>>()?;
        Ok(body)
    }

    /// Validates, sends (retrying as the client's policy allows) and returns
    /// the stored contact.
    pub async fn send(self) -> Result<ImportedContact, Error> {
        let body = self.to_request()?;
        let identifier: types::ImportContactIdentifier = self
            .identifier
            .name()
            .parse()
            .map_err(|e| Error::validation("identifier", format!("{e}")))?;
        let value: types::ImportContactValue = self
            .identifier
            .value()
            .parse()
            .map_err(|e| Error::validation("value", format!("{e}")))?;
        let repeat = if body.consent_records.is_empty() {
            Repeat::Safe
        } else {
            Repeat::OnlyIfNotApplied
        };
        let api = &self.client.api;
        let answer = self
            .client
            .execute("importContact", repeat, || {
                api.import_contact(&identifier, &value, Some(self.merge_option), None, &body)
            })
            .await?;
        let outcome = if answer.value.status() == reqwest::StatusCode::CREATED {
            ImportOutcome::Created
        } else {
            ImportOutcome::Updated
        };
        Ok(ImportedContact {
            outcome,
            contact: answer.value.into_inner(),
            rate_limit: answer.rate_limit,
            attempts: answer.attempts,
        })
    }
}
