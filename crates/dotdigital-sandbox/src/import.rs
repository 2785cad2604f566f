//! v3 "Import a single contact": the upsert behind
//! `PATCH /contacts/v3/{identifier}/{value}`.
//!
//! A request is checked completely (schema, identifiers, data fields, lists,
//! values its answer must report) before the store is locked; under the lock
//! the contact is changed as a copy, its answer is built, and the copy is put
//! back only when nothing failed, so a failing request changes nothing. One
//! lock around the store serialises writes, which also keeps identifiers
//! unique under parallel creates.
//!
//! The body is split once: the parts Dotdigital documents behaviour for
//! (identifiers, data fields, channel types and statuses, lists) go to
//! fields of their own; everything else, at any depth, is kept as sent and
//! merged into the contact's stored JSON (`preferences` replaced by id,
//! `consentRecords` appended with a `dateTimeCreated`).

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::app::App;
use crate::config::{Config, DataFieldType};
use crate::contact::{Contact, Name, name, pascal_case, timestamp};
use crate::error::{ApiError, Detail};
use crate::identifier::Identifier;
use crate::model::{Model, Reported};
use crate::schema;
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

/// The query parameter, as the spec names it.
pub(crate) const MERGE_OPTION: &str = "merge-option";

impl MergeOption {
    /// Reads the parameter (absent: the spec's default). A value outside the
    /// spec is a bad request; a value of the spec the sandbox has no
    /// behaviour for is answered "not emulated", never read as another.
    pub fn parse(raw: Option<&str>, model: &Model) -> Result<Self, ApiError> {
        let raw = raw
            .or_else(|| model.parameter_default(MERGE_OPTION))
            .unwrap_or("overwrite");
        model.check_parameter(MERGE_OPTION, raw)?;
        match raw {
            "overwrite" => Ok(Self::Overwrite),
            "overwrite-if-not-empty" => Ok(Self::OverwriteIfNotEmpty),
            "overwrite-if-empty" => Ok(Self::OverwriteIfEmpty),
            other => Err(ApiError::not_emulated(
                MERGE_OPTION,
                format!(
                    "'{other}' is a merge option of the spec whose behaviour the sandbox does not model"
                ),
            )),
        }
    }
}

/// Data fields sent: the configured name and the value, `None` for JSON `null`.
pub(crate) type SentDataFields = Vec<(Arc<str>, Option<Value>)>;

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
    body: Value,
) -> Result<Imported, ApiError> {
    let config = app.config();
    let model = app.model();
    let (target, value) = path_identifier(identifier, value, &config, model)?;
    check_schema(&body, model)?;
    let request = Request::parse(body, &config, model)?;
    let now = Utc::now();
    let mut store = app.store();
    let (contact, created) = request.apply(&store, &target, &value, merge, now)?;
    let answer = contact.to_v3(&config, model);
    // Rule-made parts conform by construction; what was sent may not.
    if !contact.more().sent.is_empty() {
        let problems = model.check_v3_answer(&answer);
        if !problems.is_empty() {
            return Err(ApiError::unanswerable(problems));
        }
    }
    store.put(contact);
    Ok(Imported {
        status: if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        contact: answer,
    })
}

/// The body against the spec's request schema. An identifier value that
/// breaks its schema is a value of the wrong type for its identifier:
/// [`Request::parse`] answers it as Dotdigital does, 400 `contacts:invalidId`.
fn check_schema(body: &Value, model: &Model) -> Result<(), ApiError> {
    let mut problems = model.check_import(body);
    problems.retain(|p| {
        p.item
            .strip_prefix("identifiers.")
            .is_none_or(|name| model.identifier_rule(name).is_none())
    });
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::schema(problems))
    }
}

/// Checks the path's identifier name and value; returns the value in stored form.
pub(crate) fn path_identifier(
    name: &str,
    value: &str,
    config: &Config,
    model: &Model,
) -> Result<(Identifier, String), ApiError> {
    model.check_parameter("identifier", name)?;
    model.check_parameter("value", value)?;
    let identifier = Identifier::named(name, config, model).ok_or_else(|| {
        ApiError::field(
            "contacts:invalidId",
            "identifier",
            format!("'{name}' is not contactId, a built-in identifier or a custom identifier of the account"),
        )
    })?;
    let value = identifier.normalise(value, "value", model)?;
    Ok((identifier, value))
}

/// A checked import body.
#[derive(Debug, Default)]
struct Request {
    identifiers: Vec<(Identifier, String)>,
    data_fields: SentDataFields,
    channels: Channels,
    lists: Vec<i32>,
    /// Everything else, as sent.
    sent: Map<String, Value>,
}

/// The channel values with rules of their own, in reported form.
#[derive(Debug, Default)]
struct Channels {
    email_type: Option<Name>,
    /// `VerifiedDouble` has a rule of its own.
    opt_in_type: Option<Name>,
    email_status: Option<Name>,
    resubscribe_with_no_challenge: Option<bool>,
    sms_status: Option<Name>,
    whatsapp_status: Option<Name>,
}

impl Request {
    /// Splits a body that passed the schema, checking what the schema cannot:
    /// identifier names and values, data fields and their types, list ids,
    /// and that answers can report the channel values.
    fn parse(body: Value, config: &Config, model: &Model) -> Result<Self, ApiError> {
        let Value::Object(mut body) = body else {
            return Err(ApiError::field(
                "server:badRequest",
                "body",
                "must be a JSON object",
            ));
        };
        let identifiers = identifiers(body.remove("identifiers"), config, model)?;
        let data_fields = data_fields(body.remove("dataFields"), config)?;
        let channels = Channels::take(&mut body, model)?;
        let lists = lists(body.remove("lists"), config)?;
        schema::prune(&mut body);
        Ok(Self {
            identifiers,
            data_fields,
            channels,
            lists,
            sent: body,
        })
    }

    /// Finds, restores or creates the contact and applies the request to a
    /// copy, which the caller stores.
    fn apply(
        self,
        store: &Store,
        target: &Identifier,
        value: &str,
        merge: MergeOption,
        now: DateTime<Utc>,
    ) -> Result<(Contact, bool), ApiError> {
        let (mut contact, created) = match store.find(target, value) {
            Some(found) => (found.clone(), false),
            None => (self.new_contact(store, now)?, true),
        };
        contact.binned = false;
        set_identifiers(&mut contact, self.identifiers, store)?;
        for (name, value) in self.data_fields {
            merge_data_field(&mut contact, &name, value, merge);
        }
        self.channels.apply(&mut contact);
        if !self.lists.is_empty() {
            let lists = &mut contact.more_mut().lists;
            for id in self.lists {
                if !lists.contains(&id) {
                    lists.push(id);
                }
            }
        }
        if !self.sent.is_empty() {
            keep_sent(&mut contact.more_mut().sent, self.sent, now);
        }
        contact.updated = now;
        Ok((contact, created))
    }

    /// A contact for a path that matches none: it takes its identifiers from
    /// the body, which must give it a channel.
    fn new_contact(&self, store: &Store, now: DateTime<Utc>) -> Result<Contact, ApiError> {
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
        Ok(Contact::new(store.fresh_id(), now))
    }
}

/// `identifiers`: built-in or configured names, values of the right type.
fn identifiers(
    sent: Option<Value>,
    config: &Config,
    model: &Model,
) -> Result<Vec<(Identifier, String)>, ApiError> {
    let mut found = Vec::new();
    for (name, value) in object(sent) {
        let item = format!("identifiers.{name}");
        if name == crate::model::CONTACT_ID {
            return Err(ApiError::field(
                "server:badRequest",
                item,
                "cannot be sent: a contact's id cannot be changed",
            ));
        }
        let identifier = Identifier::named(&name, config, model).ok_or_else(|| {
            ApiError::field(
                "server:badRequest",
                item.clone(),
                "is not a built-in identifier or a custom identifier of the account",
            )
        })?;
        let Some(value) = value.as_str() else {
            return Err(ApiError::field(
                "server:badRequest",
                item,
                "must be a string",
            ));
        };
        let value = identifier.normalise(value, &item, model)?;
        found.push((identifier, value));
    }
    Ok(found)
}

/// `dataFields`: fields of the account, each sent once, values of its type.
fn data_fields(sent: Option<Value>, config: &Config) -> Result<SentDataFields, ApiError> {
    let mut found = SentDataFields::new();
    for (name, value) in object(sent) {
        let item = format!("dataFields.{name}");
        let field = config.data_field(&name).ok_or_else(|| {
            ApiError::field(
                "server:badRequest",
                item.clone(),
                "is not a data field of the account",
            )
        })?;
        if found.iter().any(|(known, _)| *known == field.name) {
            return Err(ApiError::field(
                "server:badRequest",
                item,
                "is sent twice (data-field names are case-insensitive)",
            ));
        }
        let value = data_field_value(&value, field.kind, &item)?;
        found.push((field.name.clone(), value));
    }
    Ok(found)
}

/// `lists`: ids of lists of the account, each once.
fn lists(sent: Option<Value>, config: &Config) -> Result<Vec<i32>, ApiError> {
    let mut found = Vec::new();
    for (i, id) in array(sent).iter().enumerate() {
        let item = format!("lists[{i}]");
        let id = int32(id, &item)?;
        if config.list(i64::from(id)).is_none() {
            return Err(ApiError::field(
                "server:badRequest",
                item,
                format!("list {id} does not exist in the account"),
            ));
        }
        if !found.contains(&id) {
            found.push(id);
        }
    }
    Ok(found)
}

impl Channels {
    /// Takes the ruled channel values out of `body`; `resubscribeOptions`
    /// is read but stays, as sent.
    fn take(body: &mut Map<String, Value>, model: &Model) -> Result<Self, ApiError> {
        let Some(Value::Object(channels)) = body.get_mut("channelProperties") else {
            return Ok(Self::default());
        };
        let resubscribe_with_no_challenge = channels
            .get("email")
            .and_then(|e| e.pointer("/resubscribeOptions/resubscribeWithNoChallenge"))
            .and_then(Value::as_bool);
        // v3 answers spell types in PascalCase, statuses as requests do.
        let opt_in_type = match take_value(channels, "email", "optInType") {
            // Its rule stores `Double`, checked with the other rule values.
            Some(value) if value == "verifiedDouble" => Some("VerifiedDouble"),
            value => reported(
                value,
                pascal_case,
                Reported::OptInType,
                "email.optInType",
                model,
            )?,
        };
        let mut reported_at = |channel: &str, key: &str, spell: fn(&str) -> Name, what| {
            let value = take_value(channels, channel, key);
            reported(value, spell, what, &format!("{channel}.{key}"), model)
        };
        Ok(Self {
            email_type: reported_at("email", "emailType", pascal_case, Reported::EmailType)?,
            opt_in_type,
            email_status: reported_at("email", "status", name, Reported::EmailStatus)?,
            resubscribe_with_no_challenge,
            sms_status: reported_at("sms", "status", name, Reported::SmsStatus)?,
            whatsapp_status: reported_at("whatsApp", "status", name, Reported::WhatsAppStatus)?,
        })
    }

    /// Dotdigital's channel rules: a challenged resubscribe and
    /// `verifiedDouble` wait for the contact to confirm.
    fn apply(self, contact: &mut Contact) {
        if let Some(email_type) = self.email_type {
            contact.email_type = email_type;
        }
        if let Some(status) = self.email_status {
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
    }
}

/// Removes `channelProperties.{channel}.{key}` and returns it, when a string.
fn take_value(channels: &mut Map<String, Value>, channel: &str, key: &str) -> Option<String> {
    match channels.get_mut(channel)?.as_object_mut()?.remove(key)? {
        Value::String(value) => Some(value),
        _ => None,
    }
}

/// A channel value in stored form, once every answer that shows it can.
fn reported(
    value: Option<String>,
    spell: fn(&str) -> Name,
    what: Reported,
    at: &str,
    model: &Model,
) -> Result<Option<Name>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let stored = spell(&value);
    model.reportable(what, stored).map_err(|why| {
        ApiError::not_emulated(
            format!("channelProperties.{at}"),
            format!("'{value}': {why}"),
        )
    })?;
    Ok(Some(stored))
}

/// Sets the identifiers sent; another contact holding one is a 409.
fn set_identifiers(
    contact: &mut Contact,
    identifiers: Vec<(Identifier, String)>,
    store: &Store,
) -> Result<(), ApiError> {
    for (identifier, value) in identifiers {
        match identifier {
            Identifier::Email => contact.email = Some(value),
            Identifier::MobileNumber => contact.mobile_number = Some(value),
            Identifier::Other(name) => {
                let custom = &mut contact.more_mut().custom;
                custom.retain(|(known, _)| *known != name);
                custom.push((name, value));
            }
            Identifier::ContactId => {}
        }
    }
    let Some(clash) = store.clash(contact) else {
        return Ok(());
    };
    Err(ApiError {
        details: vec![Detail::new(
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
    })
}

/// Keeps what was sent: `preferences` replace an earlier choice for the same
/// id, `consentRecords` are appended with the time they were stored, and
/// everything else is merged over what is stored.
fn keep_sent(stored: &mut Map<String, Value>, mut sent: Map<String, Value>, now: DateTime<Utc>) {
    if let Some(Value::Array(preferences)) = sent.remove("preferences") {
        let mut kept = take_array(stored, "preferences");
        for preference in preferences {
            kept.retain(|known| known.get("id") != preference.get("id"));
            kept.push(preference);
        }
        stored.insert("preferences".to_owned(), Value::Array(kept));
    }
    if let Some(Value::Array(records)) = sent.remove("consentRecords") {
        let created = Value::from(timestamp(now));
        let mut kept = take_array(stored, "consentRecords");
        for mut record in records {
            if let Some(record) = record.as_object_mut() {
                record.insert("dateTimeCreated".to_owned(), created.clone());
            }
            kept.push(record);
        }
        stored.insert("consentRecords".to_owned(), Value::Array(kept));
    }
    schema::overlay(stored, sent);
}

fn take_array(stored: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match stored.remove(key) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
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

fn object(value: Option<Value>) -> impl Iterator<Item = (String, Value)> {
    match value {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    }
    .into_iter()
    .flatten()
}

fn array(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use serde_json::json;

    use super::*;

    #[test]
    fn consent_records_get_a_creation_time_and_preferences_replace_by_id() {
        let mut stored = Map::new();
        let now = Utc::now();
        let sent = json!({
            "preferences": [{"id": 1, "isOptedIn": true}, {"id": 2, "isOptedIn": true}],
            "consentRecords": [{"text": "yes"}],
            "loyalty": {"tier": "gold"},
        });
        keep_sent(&mut stored, sent.as_object().unwrap().clone(), now);
        let again =
            json!({"preferences": [{"id": 1, "isOptedIn": false}], "loyalty": {"since": 2020}});
        keep_sent(&mut stored, again.as_object().unwrap().clone(), now);
        assert_eq!(
            stored["preferences"],
            json!([{"id": 2, "isOptedIn": true}, {"id": 1, "isOptedIn": false}])
        );
        assert_eq!(
            stored["consentRecords"][0]["dateTimeCreated"],
            timestamp(now)
        );
        assert_eq!(stored["loyalty"], json!({"tier": "gold", "since": 2020}));
    }
}
