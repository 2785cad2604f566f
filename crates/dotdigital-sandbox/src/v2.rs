//! v2 "Update contact", `PUT /v2/contacts/{id}`: a full replace.
//!
//! Choices where Dotdigital is silent:
//! - a missing or `null` `optInType` / `emailType` resets to `Unknown` /
//!   `PlainText` (Dotdigital declares both nullable); `"dataFields": null` is
//!   no data fields;
//!   data fields not sent are cleared; identifiers other than the email,
//!   lists, preferences and consent records stay;
//! - `status` in the body is accepted and ignored (statuses change through
//!   opt-in, not by writing them);
//! - a property no rule reads is stored as sent and answered where
//!   `ApiContact` has a place for it; the next update replaces it;
//! - an id of 0, a negative id or an unknown id creates a contact, but only
//!   with an email no contact holds (else 400 `ERROR_CONTACT_INVALID`);
//!   a binned contact's id restores it;
//! - a body `id` other than 0 must equal the path id.

use std::borrow::Cow;

use chrono::Utc;
use serde_json::{Map, Value};

use crate::app::App;
use crate::config::Config;
use crate::contact::{Contact, Name, name};
use crate::error::V2Error;
use crate::identifier::Identifier;
use crate::import::{SentDataFields, data_field_value};
use crate::model::{Model, Reported};

const INVALID: &str = "ERROR_PARAMETER_INVALID";
/// The token of a v2 error for a value the sandbox cannot emulate.
const NOT_EMULATED: &str = "SANDBOX_NOT_EMULATED";

/// Parses the path id (int32).
pub(crate) fn path_id(raw: &str) -> Result<i32, V2Error> {
    raw.parse()
        .map_err(|_| V2Error::bad_request(format!("id: '{raw}' is not a 32-bit integer."), INVALID))
}

/// A checked v2 body.
struct Update {
    email: String,
    data_fields: SentDataFields,
    email_type: Name,
    /// `None`: not given, reset to `Unknown`.
    opt_in_type: Option<Name>,
    /// Properties no rule reads, as sent.
    sent: Map<String, Value>,
}

/// Runs one update; answers the stored contact.
pub(crate) fn update_contact(app: &App, id: i32, body: &Value) -> Result<Value, V2Error> {
    let config = app.config();
    let model = app.model();
    let body = not_given_for_null(body);
    check_schema(&body, model)?;
    let update = Update::parse(body.into_owned(), id, &config, model)?;
    let now = Utc::now();
    let mut store = app.store();
    let existing = u64::try_from(id)
        .ok()
        .filter(|id| *id > 0)
        .and_then(|id| store.get(id))
        .cloned();
    let mut contact = match existing {
        Some(contact) => contact,
        None => {
            if store.find(&Identifier::Email, &update.email).is_some() {
                return Err(V2Error::bad_request(
                    "A contact with this email already exists; update it by its id.",
                    "ERROR_CONTACT_INVALID",
                ));
            }
            Contact::new(store.fresh_id(), now)
        }
    };
    update.replace(&mut contact);
    if store.clash(&contact).is_some() {
        return Err(V2Error::bad_request(
            "The email already belongs to another contact.",
            "ERROR_CONTACT_INVALID",
        ));
    }
    contact.updated = now;
    let answer = contact.to_v2(&config, model);
    if !contact.more().v2_sent.is_empty() {
        let problems = model.check_v2_answer(&answer);
        if let Some(problem) = problems.first() {
            return Err(V2Error::bad_request(
                format!(
                    "The sandbox does not emulate this request: its answer would break the spec at {}: {}.",
                    problem.item, problem.description
                ),
                NOT_EMULATED,
            ));
        }
    }
    store.put(contact);
    Ok(answer)
}

fn check_schema(body: &Value, model: &Model) -> Result<(), V2Error> {
    let problems = model.check_update(body);
    if problems.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = problems
        .iter()
        .map(|d| format!("{}: {}", d.item, d.description))
        .collect();
    Err(V2Error::bad_request(
        format!("{}.", text.join("; ")),
        INVALID,
    ))
}

impl Update {
    /// Reads a body that passed the schema, checking what the schema cannot.
    fn parse(body: Value, id: i32, config: &Config, model: &Model) -> Result<Self, V2Error> {
        let Value::Object(mut body) = body else {
            return Err(V2Error::bad_request(
                "The body must be a JSON object.",
                INVALID,
            ));
        };
        let email = body
            .remove("email")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let email = Identifier::Email
            .normalise(&email, "email", model)
            .map_err(|_| V2Error::bad_request("Email is not a valid email address.", INVALID))?;
        if let Some(body_id) = body.remove("id").and_then(|v| v.as_i64())
            && body_id != 0
            && body_id != i64::from(id)
        {
            return Err(V2Error::bad_request(
                format!("id: the body id {body_id} does not match the path id {id}."),
                INVALID,
            ));
        }
        let data_fields = data_fields(body.remove("dataFields"), config)?;
        // Missing (or null) types reset; any other value is kept as sent.
        let email_type =
            reported(body.remove("emailType"), Reported::EmailType, model)?.unwrap_or("PlainText");
        let opt_in_type = match body.remove("optInType") {
            // Its rule stores `Double`, checked with the other rule values.
            Some(Value::String(v)) if v == "VerifiedDouble" => Some("VerifiedDouble"),
            other => reported(other, Reported::OptInType, model)?,
        };
        // Statuses change through opt-in, not by writing them.
        body.remove("status");
        Ok(Self {
            email,
            data_fields,
            email_type,
            opt_in_type,
            sent: body,
        })
    }

    /// The full replace: identifiers other than the email, lists and what
    /// v3 requests sent stay.
    fn replace(self, contact: &mut Contact) {
        contact.binned = false;
        contact.email = Some(self.email);
        contact.email_type = self.email_type;
        contact.opt_in_type = match self.opt_in_type {
            // Stays `Double` and `pendingOptIn` until the contact confirms.
            Some("VerifiedDouble") => {
                contact.email_status = "pendingOptIn";
                "Double"
            }
            Some(opt_in) => opt_in,
            None => "Unknown",
        };
        contact.data_fields = self
            .data_fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .filter(|(_, v)| v.as_str() != Some(""))
            .collect();
        if !self.sent.is_empty() || contact.more.is_some() {
            contact.more_mut().v2_sent = self.sent;
        }
    }
}

/// A v2 type value, once every answer can report it.
fn reported(value: Option<Value>, what: Reported, model: &Model) -> Result<Option<Name>, V2Error> {
    let Some(value) = value.as_ref().and_then(Value::as_str) else {
        return Ok(None);
    };
    model.reportable(what, value).map_err(|why| {
        V2Error::bad_request(
            format!("The sandbox does not emulate '{value}': {why}."),
            NOT_EMULATED,
        )
    })?;
    Ok(Some(name(value)))
}

/// `dataFields`: fields of the account, each sent once, values of its type.
fn data_fields(sent: Option<Value>, config: &Config) -> Result<SentDataFields, V2Error> {
    let mut found = SentDataFields::new();
    let entries = match sent {
        Some(Value::Array(entries)) => entries,
        _ => Vec::new(),
    };
    for (i, entry) in entries.iter().enumerate() {
        let key = entry.get("key").and_then(Value::as_str).unwrap_or_default();
        let field = config.data_field(key).ok_or_else(|| {
            V2Error::bad_request(
                format!("dataFields[{i}].key: '{key}' is not a data field of the account."),
                "ERROR_DATAFIELD_NOTFOUND",
            )
        })?;
        if found.iter().any(|(name, _)| *name == field.name) {
            return Err(V2Error::bad_request(
                format!("dataFields[{i}].key: '{key}' is sent twice."),
                INVALID,
            ));
        }
        let item = format!("dataFields[{i}].value");
        let value = data_field_value(
            entry.get("value").unwrap_or(&Value::Null),
            field.kind,
            &item,
        )
        .map_err(|e| V2Error::bad_request(format!("{}.", e.description), INVALID))?;
        found.push((field.name.clone(), value));
    }
    Ok(found)
}

/// Dotdigital declares `optInType`, `emailType` and `dataFields` nullable,
/// where our spec (the client's stricter contract) does not: `null` there
/// means "not given" (the types reset, no data fields).
fn not_given_for_null(body: &Value) -> Cow<'_, Value> {
    const NULLABLE: [&str; 3] = ["optInType", "emailType", "dataFields"];
    if !NULLABLE
        .iter()
        .any(|key| body.get(key).is_some_and(Value::is_null))
    {
        return Cow::Borrowed(body);
    }
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.retain(|key, value| !(value.is_null() && NULLABLE.contains(&key.as_str())));
    }
    Cow::Owned(body)
}

/// `GET /v2/contacts/{id}`: active contacts with an email.
pub(crate) fn get_contact(app: &App, id: i32) -> Result<Value, V2Error> {
    let config = app.config();
    let store = app.store();
    u64::try_from(id)
        .ok()
        .and_then(|id| store.get(id))
        .filter(|c| !c.binned && c.email.is_some())
        .map(|c| c.to_v2(&config, app.model()))
        .ok_or_else(V2Error::not_found)
}
