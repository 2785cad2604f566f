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
//! - an id of 0, a negative id or an unknown id creates a contact, but only
//!   with an email no contact holds (else 400 `ERROR_CONTACT_INVALID`);
//!   a binned contact's id restores it;
//! - a body `id` other than 0 must equal the path id.

use std::borrow::Cow;

use chrono::Utc;
use serde_json::Value;

use crate::app::App;
use crate::contact::{Contact, name};
use crate::error::V2Error;
use crate::identifier::Identifier;
use crate::import::data_field_value;

const INVALID: &str = "ERROR_PARAMETER_INVALID";

/// Parses the path id (int32).
pub(crate) fn path_id(raw: &str) -> Result<i32, V2Error> {
    raw.parse()
        .map_err(|_| V2Error::bad_request(format!("id: '{raw}' is not a 32-bit integer."), INVALID))
}

/// Runs one update; answers the stored contact.
pub(crate) fn update_contact(app: &App, id: i32, body: &Value) -> Result<Value, V2Error> {
    let config = app.config();
    let body = &not_given_for_null(body);
    let problems = app.validators.update_contact(body);
    if !problems.is_empty() {
        let text: Vec<String> = problems
            .iter()
            .map(|d| format!("{}: {}", d.item, d.description))
            .collect();
        return Err(V2Error::bad_request(
            format!("{}.", text.join("; ")),
            INVALID,
        ));
    }
    let email = body
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let email = Identifier::Email
        .normalise(email, "email")
        .map_err(|_| V2Error::bad_request("Email is not a valid email address.", INVALID))?;
    if let Some(body_id) = body.get("id").and_then(Value::as_i64)
        && body_id != 0
        && body_id != i64::from(id)
    {
        return Err(V2Error::bad_request(
            format!("id: the body id {body_id} does not match the path id {id}."),
            INVALID,
        ));
    }
    let mut data_fields = Vec::new();
    for (i, entry) in body
        .get("dataFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = entry.get("key").and_then(Value::as_str).unwrap_or_default();
        let field = config.data_field(key).ok_or_else(|| {
            V2Error::bad_request(
                format!("dataFields[{i}].key: '{key}' is not a data field of the account."),
                "ERROR_DATAFIELD_NOTFOUND",
            )
        })?;
        if data_fields.iter().any(|(name, _)| *name == field.name) {
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
        data_fields.push((field.name.clone(), value));
    }
    // Missing (or null) types reset; any other value is kept as sent.
    let email_type = body
        .get("emailType")
        .and_then(Value::as_str)
        .map_or("PlainText", name);
    let opt_in = body.get("optInType").and_then(Value::as_str);

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
            if store.find(&Identifier::Email, &email).is_some() {
                return Err(V2Error::bad_request(
                    "A contact with this email already exists; update it by its id.",
                    "ERROR_CONTACT_INVALID",
                ));
            }
            Contact::new(store.fresh_id(), now)
        }
    };
    contact.binned = false;
    contact.email = Some(email);
    contact.email_type = email_type;
    contact.opt_in_type = match opt_in {
        // Stays `Double` and `pendingOptIn` until the contact confirms.
        Some("VerifiedDouble") => {
            contact.email_status = "pendingOptIn";
            "Double"
        }
        Some(opt_in) => name(opt_in),
        None => "Unknown",
    };
    contact.data_fields = data_fields
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .filter(|(_, v)| v.as_str() != Some(""))
        .collect();
    if store.clash(&contact).is_some() {
        return Err(V2Error::bad_request(
            "The email already belongs to another contact.",
            "ERROR_CONTACT_INVALID",
        ));
    }
    contact.updated = now;
    store.put(contact.clone());
    Ok(contact.to_v2(&config))
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
        .map(|c| c.to_v2(&config))
        .ok_or_else(V2Error::not_found)
}
