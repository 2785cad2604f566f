//! v3 "Import a single contact": the upsert behind
//! `PATCH /contacts/v3/{identifier}/{value}`.
//!
//! A request is checked completely (schema, identifiers, data fields, lists)
//! before the store is locked; under the lock the contact is changed as a copy
//! and put back only when nothing failed, so a failing request changes nothing.
//! One lock around the store serialises writes, which also keeps identifiers
//! unique under parallel creates.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::app::App;
use crate::config::{Config, DataFieldType};
use crate::contact::{Contact, Name, StoredConsent, name, pascal_case};
use crate::error::ApiError;
use crate::identifier::Identifier;
use crate::store::Store;

/// The `merge-option` query parameter. Merge options apply to `dataFields`;
/// identifiers, channels, lists, preferences and consent always apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergeOption {
    /// The value sent sets the field; `null` clears it.
    Overwrite,
    /// Only non-empty values set the field; `null` and `""` are ignored.
    OverwriteIfNotEmpty,
    /// A value is written only where the stored field is empty; `null` does nothing.
    OverwriteIfEmpty,
}

impl MergeOption {
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        match value {
            "overwrite" => Ok(Self::Overwrite),
            "overwrite-if-not-empty" => Ok(Self::OverwriteIfNotEmpty),
            "overwrite-if-empty" => Ok(Self::OverwriteIfEmpty),
            other => Err(ApiError::field(
                "server:badRequest",
                "merge-option",
                format!(
                    "'{other}' is not one of overwrite, overwrite-if-not-empty, overwrite-if-empty"
                ),
            )),
        }
    }
}

/// A created contact answers 201, an updated (or restored) one 200.
#[derive(Debug)]
pub(crate) struct Imported {
    pub status: StatusCode,
    pub contact: Value,
}

/// Runs one import: `identifier`/`value` are the decoded path segments.
pub(crate) fn import(
    app: &App,
    identifier: &str,
    value: &str,
    merge: MergeOption,
    body: &Value,
) -> Result<Imported, ApiError> {
    let config = app.config();
    let (target, value) = path_identifier(identifier, value, &config)?;
    // An email or mobile number that breaks its schema is a value of the
    // wrong type for its identifier: Request::parse answers it as Dotdigital
    // does, 400 contacts:invalidId, with the same rule.
    let mut problems = app.validators.import_contact(body);
    problems.retain(|p| {
        !matches!(
            p.item.as_str(),
            "identifiers.email" | "identifiers.mobileNumber"
        )
    });
    if !problems.is_empty() {
        return Err(ApiError::schema(problems));
    }
    let request = Request::parse(body, &config)?;
    let now = Utc::now();
    let mut store = app.store();
    let (contact, created) = request.apply(&mut store, &target, &value, merge, now)?;
    Ok(Imported {
        status: if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        contact: contact.to_v3(&config),
    })
}

/// Checks the path's identifier name and value; returns the value in stored form.
pub(crate) fn path_identifier(
    name: &str,
    value: &str,
    config: &Config,
) -> Result<(Identifier, String), ApiError> {
    let valid_name = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name.is_empty() || name.len() > 50 || !valid_name {
        return Err(ApiError::field(
            "server:badRequest",
            "identifier",
            "must be 1..50 characters of A-Z, a-z, 0-9, '-' or '_'",
        ));
    }
    let count = value.chars().count();
    if count == 0 || count > 256 {
        return Err(ApiError::field(
            "server:badRequest",
            "value",
            "must be 1..256 characters long",
        ));
    }
    let identifier = Identifier::named(name, config).ok_or_else(|| {
        ApiError::field(
            "contacts:invalidId",
            "identifier",
            format!("'{name}' is not contactId, email, mobileNumber or a custom identifier of the account"),
        )
    })?;
    let value = identifier.normalise(value, "value")?;
    Ok((identifier, value))
}

/// A checked import body.
#[derive(Debug, Default)]
struct Request {
    identifiers: Vec<(Identifier, String)>,
    /// Configured field name to value; `None` is JSON `null`.
    data_fields: Vec<(Arc<str>, Option<Value>)>,
    /// Reported (PascalCase) form.
    email_type: Option<Name>,
    /// Reported (PascalCase) form; `VerifiedDouble` has a rule of its own.
    opt_in_type: Option<Name>,
    email_status: Option<Name>,
    resubscribe_with_no_challenge: Option<bool>,
    sms_status: Option<Name>,
    whatsapp_status: Option<Name>,
    lists: Vec<i32>,
    preferences: Vec<(i32, bool)>,
    consent_records: Vec<Consent>,
}

#[derive(Debug)]
struct Consent {
    text: String,
    date_time_consented: String,
    url: String,
    ip_address: String,
    user_agent: String,
}

impl Request {
    /// Reads a body that passed the schema, checking what the schema cannot:
    /// identifier names and values, data fields and their types, list ids.
    fn parse(body: &Value, config: &Config) -> Result<Self, ApiError> {
        let mut request = Self::default();
        for (name, value) in object(body.get("identifiers")) {
            let item = format!("identifiers.{name}");
            if name == "contactId" {
                return Err(ApiError::field(
                    "server:badRequest",
                    item,
                    "cannot be sent: a contact's id cannot be changed",
                ));
            }
            let identifier = Identifier::named(name, config).ok_or_else(|| {
                ApiError::field(
                    "server:badRequest",
                    item.clone(),
                    "is not email, mobileNumber or a custom identifier of the account",
                )
            })?;
            let Some(value) = value.as_str() else {
                return Err(ApiError::field(
                    "server:badRequest",
                    item,
                    "must be a string",
                ));
            };
            let value = identifier.normalise(value, &item)?;
            request.identifiers.push((identifier, value));
        }
        for (name, value) in object(body.get("dataFields")) {
            let item = format!("dataFields.{name}");
            let field = config.data_field(name).ok_or_else(|| {
                ApiError::field(
                    "server:badRequest",
                    item.clone(),
                    "is not a data field of the account",
                )
            })?;
            if request
                .data_fields
                .iter()
                .any(|(known, _)| *known == field.name)
            {
                return Err(ApiError::field(
                    "server:badRequest",
                    item,
                    "is sent twice (data-field names are case-insensitive)",
                ));
            }
            let value = data_field_value(value, field.kind, &item)?;
            request.data_fields.push((field.name.clone(), value));
        }
        let email = body.pointer("/channelProperties/email");
        let email_str = |key: &str| email.and_then(|e| e.get(key)).and_then(Value::as_str);
        request.email_type = email_str("emailType").map(pascal_case);
        request.opt_in_type = email_str("optInType").map(pascal_case);
        request.email_status = email_str("status").map(name);
        request.resubscribe_with_no_challenge = email
            .and_then(|e| e.pointer("/resubscribeOptions/resubscribeWithNoChallenge"))
            .and_then(Value::as_bool);
        request.sms_status = channel_status(body.pointer("/channelProperties/sms/status"));
        request.whatsapp_status =
            channel_status(body.pointer("/channelProperties/whatsApp/status"));
        for (i, id) in array(body.get("lists")).iter().enumerate() {
            let item = format!("lists[{i}]");
            let id = int32(id, &item)?;
            if config.list(i64::from(id)).is_none() {
                return Err(ApiError::field(
                    "server:badRequest",
                    item,
                    format!("list {id} does not exist in the account"),
                ));
            }
            if !request.lists.contains(&id) {
                request.lists.push(id);
            }
        }
        for (i, preference) in array(body.get("preferences")).iter().enumerate() {
            let id = int32(
                preference.get("id").unwrap_or(&Value::Null),
                &format!("preferences[{i}].id"),
            )?;
            let opted_in = preference
                .get("isOptedIn")
                .and_then(Value::as_bool)
                .unwrap_or_default();
            request.preferences.retain(|(known, _)| *known != id);
            request.preferences.push((id, opted_in));
        }
        for record in array(body.get("consentRecords")) {
            let text = |key: &str| {
                record
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            request.consent_records.push(Consent {
                text: text("text"),
                date_time_consented: text("dateTimeConsented"),
                url: text("url"),
                ip_address: text("ipAddress"),
                user_agent: text("userAgent"),
            });
        }
        Ok(request)
    }

    /// Finds, restores or creates the contact and applies the request to a copy.
    fn apply(
        self,
        store: &mut Store,
        target: &Identifier,
        value: &str,
        merge: MergeOption,
        now: DateTime<Utc>,
    ) -> Result<(Contact, bool), ApiError> {
        let (mut contact, created) = match store.find(target, value) {
            Some(found) => (found.clone(), false),
            None => {
                let has_channel = self
                    .identifiers
                    .iter()
                    .any(|(i, _)| matches!(i, Identifier::Email | Identifier::MobileNumber));
                if !has_channel {
                    return Err(ApiError::field(
                        "server:badRequest",
                        "identifiers",
                        "no contact matches the path, and creating one needs identifiers.email or identifiers.mobileNumber",
                    ));
                }
                (Contact::new(store.fresh_id(), now), true)
            }
        };
        contact.binned = false;
        for (identifier, value) in self.identifiers {
            match identifier {
                Identifier::Email => contact.email = Some(value),
                Identifier::MobileNumber => contact.mobile_number = Some(value),
                Identifier::Custom(name) => {
                    let custom = &mut contact.more_mut().custom;
                    custom.retain(|(known, _)| *known != name);
                    custom.push((name, value));
                }
                Identifier::ContactId => {}
            }
        }
        if let Some(clash) = store.clash(&contact) {
            return Err(ApiError {
                details: vec![crate::error::Detail::new(
                    format!("identifiers.{}", clash.identifier),
                    "already belongs to another contact",
                )],
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "contacts:idAlreadyExists",
                    format!(
                        "The id value '{}' for the identifier '{}' already exists. All identifiers must be unique!",
                        clash.value, clash.identifier
                    ),
                )
            });
        }
        for (name, value) in self.data_fields {
            merge_data_field(&mut contact, &name, value, merge);
        }
        if let Some(email_type) = self.email_type {
            contact.email_type = email_type;
        }
        if let Some(status) = self.email_status {
            // Resubscribing with a challenge waits for the contact to confirm.
            let challenged = status == "subscribed"
                && contact.email_status == "unsubscribed"
                && self.resubscribe_with_no_challenge == Some(false);
            contact.email_status = if challenged { "pendingOptIn" } else { status };
        }
        match self.opt_in_type {
            // A confirmation email goes out; the contact stays `Double` and
            // `pendingOptIn` until it confirms.
            Some("VerifiedDouble") => {
                contact.opt_in_type = "Double";
                contact.email_status = "pendingOptIn";
            }
            Some(opt_in) => contact.opt_in_type = opt_in,
            None => {}
        }
        if let Some(status) = self.sms_status {
            contact.sms_status = status;
        }
        if let Some(status) = self.whatsapp_status {
            contact.whatsapp_status = status;
        }
        if !self.lists.is_empty()
            || !self.preferences.is_empty()
            || !self.consent_records.is_empty()
        {
            let more = contact.more_mut();
            for id in self.lists {
                if !more.lists.contains(&id) {
                    more.lists.push(id);
                }
            }
            for (id, opted_in) in self.preferences {
                more.preferences.retain(|(known, _)| *known != id);
                more.preferences.push((id, opted_in));
            }
            more.consent_records
                .extend(self.consent_records.into_iter().map(|c| StoredConsent {
                    text: c.text,
                    date_time_consented: c.date_time_consented,
                    url: c.url,
                    ip_address: c.ip_address,
                    user_agent: c.user_agent,
                    date_time_created: now,
                }));
        }
        contact.updated = now;
        store.put(contact.clone());
        Ok((contact, created))
    }
}

fn merge_data_field(
    contact: &mut Contact,
    name: &Arc<str>,
    value: Option<Value>,
    merge: MergeOption,
) {
    let empty = |v: &Value| v.as_str().is_some_and(str::is_empty);
    match merge {
        MergeOption::Overwrite => contact.set_data_field(name, value),
        MergeOption::OverwriteIfNotEmpty => {
            if let Some(value) = value.filter(|v| !empty(v)) {
                contact.set_data_field(name, Some(value));
            }
        }
        MergeOption::OverwriteIfEmpty => {
            if value.is_some() && contact.data_field(name).is_none() {
                contact.set_data_field(name, value);
            }
        }
    }
}

/// Checks a data-field value against the field's type; `null` is always allowed.
pub(crate) fn data_field_value(
    value: &Value,
    kind: DataFieldType,
    item: &str,
) -> Result<Option<Value>, ApiError> {
    let fits = match (kind, value) {
        (_, Value::Null) => return Ok(None),
        (DataFieldType::String, Value::String(_)) => true,
        (DataFieldType::Numeric, Value::Number(_)) => true,
        (DataFieldType::Boolean, Value::Bool(_)) => true,
        (DataFieldType::Date, Value::String(s)) => is_iso_date(s),
        _ => false,
    };
    if fits {
        return Ok(Some(value.clone()));
    }
    let expected = match kind {
        DataFieldType::String => "a string (String field)",
        DataFieldType::Numeric => "a number (Numeric field)",
        DataFieldType::Boolean => "true or false (Boolean field)",
        DataFieldType::Date => "an ISO 8601 date or date-time string (Date field)",
    };
    Err(ApiError::field(
        "server:badRequest",
        item,
        format!("must be {expected}"),
    ))
}

/// `2024-05-01`, `2024-05-01T10:00:00`, or RFC 3339 with an offset.
fn is_iso_date(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn int32(value: &Value, item: &str) -> Result<i32, ApiError> {
    let whole = value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0)
            .map(|f| f as i64)
    });
    whole
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| ApiError::field("server:badRequest", item, "must be a 32-bit integer"))
}

fn channel_status(value: Option<&Value>) -> Option<Name> {
    value.and_then(Value::as_str).map(name)
}

fn object(value: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    value.and_then(Value::as_object).into_iter().flatten()
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// What an import stores, past the schema check (as if the spec listed
    /// every value used here).
    fn stored(body: Value) -> Value {
        let config = Config::default();
        let request = Request::parse(&body, &config).unwrap();
        let mut store = Store::default();
        let (contact, _) = request
            .apply(
                &mut store,
                &Identifier::Email,
                "ann@example.com",
                MergeOption::Overwrite,
                Utc::now(),
            )
            .unwrap();
        contact.to_v3(&config)["channelProperties"].clone()
    }

    #[test]
    fn enum_values_without_a_rule_are_stored_as_sent_never_mapped_to_a_default() {
        let channels = stored(json!({
            "identifiers": {"email": "ann@example.com", "mobileNumber": "447123123123"},
            "channelProperties": {
                "email": {"emailType": "amp", "optInType": "triple", "status": "resting"},
                "sms": {"status": "paused"},
                "whatsApp": {"status": "paused"}
            }
        }));
        // v3 answers spell email types and opt-in types in PascalCase.
        assert_eq!(
            channels["email"],
            json!({"emailType": "Amp", "optInType": "Triple", "status": "resting"})
        );
        assert_eq!(channels["sms"]["status"], "paused");
        assert_eq!(channels["whatsApp"]["status"], "paused");
    }

    #[test]
    fn verified_double_keeps_its_rule() {
        let channels = stored(json!({
            "identifiers": {"email": "ann@example.com"},
            "channelProperties": {"email": {"optInType": "verifiedDouble"}}
        }));
        assert_eq!(channels["email"]["optInType"], "Double");
        assert_eq!(channels["email"]["status"], "pendingOptIn");
    }
}
