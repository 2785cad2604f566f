//! The stored contact and how v3 (`Contact`) and v2 (`ApiContact`) show it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::config::Config;

/// An enum value as stored and reported (`"Html"`, `"subscribed"`). Values
/// with a rule of their own (`verifiedDouble`, resubscribing, `pendingOptIn`)
/// are handled where they apply; every other value is kept as sent, so a
/// value added to the spec is stored and returned, never mapped to a default.
pub(crate) type Name = &'static str;

/// The one stored copy of an enum value. Requests are validated against the
/// spec first, so the distinct values are the spec's enum values: each is
/// leaked once, and a contact holds a pointer rather than a string.
pub(crate) fn name(value: &str) -> Name {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(value) {
        return known;
    }
    let leaked: &'static str = Box::leak(value.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// v3 requests spell `emailType`/`optInType` in camelCase (`verifiedDouble`),
/// answers in PascalCase (`VerifiedDouble`); v2 spells statuses in
/// PascalCase (`PendingOptIn`) where v3 uses camelCase.
pub(crate) fn pascal_case(value: &str) -> Name {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => name(&format!("{}{}", first.to_uppercase(), chars.as_str())),
        None => name(value),
    }
}

/// A consent record with the time the sandbox stored it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredConsent {
    pub text: String,
    pub date_time_consented: String,
    pub url: String,
    pub ip_address: String,
    pub user_agent: String,
    pub date_time_created: DateTime<Utc>,
}

/// The parts of a contact most contacts do not have.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct More {
    /// Custom identifier name to value.
    pub custom: Vec<(String, String)>,
    pub lists: Vec<i32>,
    /// Preference id to opted-in.
    pub preferences: Vec<(i32, bool)>,
    pub consent_records: Vec<StoredConsent>,
}

/// One contact. `binned` contacts are in the recycle bin.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Contact {
    pub id: u64,
    pub email: Option<String>,
    /// E.164 digits, without `+`.
    pub mobile_number: Option<String>,
    /// Data-field name (as configured) to a non-null, non-empty value.
    pub data_fields: Vec<(Arc<str>, Value)>,
    /// Reported form: `PlainText`, `Html`.
    pub email_type: Name,
    /// Reported form: `Unknown`, `Single`, `Double`. A request for
    /// `verifiedDouble` is stored as `Double`: it would become
    /// `VerifiedDouble` only once the contact confirms, which never happens here.
    pub opt_in_type: Name,
    /// v3 form: `subscribed`, `unsubscribed`, `pendingOptIn`…
    pub email_status: Name,
    pub sms_status: Name,
    pub whatsapp_status: Name,
    /// Rarely set, so boxed: most contacts pay one pointer for them.
    pub more: Option<Box<More>>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub binned: bool,
}

impl Contact {
    /// A new contact with Dotdigital's defaults: email subscribed, mobile
    /// channels without subscription (an account whose "mobile subscription"
    /// setting is off).
    pub fn new(id: u64, now: DateTime<Utc>) -> Self {
        Self {
            id,
            email: None,
            mobile_number: None,
            data_fields: Vec::new(),
            email_type: "PlainText",
            opt_in_type: "Unknown",
            email_status: "subscribed",
            sms_status: "noSubscription",
            whatsapp_status: "noSubscription",
            more: None,
            created: now,
            updated: now,
            binned: false,
        }
    }

    pub fn data_field(&self, name: &str) -> Option<&Value> {
        self.data_fields
            .iter()
            .find(|(key, _)| **key == *name)
            .map(|(_, value)| value)
    }

    /// Sets (or with `None` clears) a data field; empty strings count as clear.
    pub fn set_data_field(&mut self, name: &Arc<str>, value: Option<Value>) {
        self.data_fields.retain(|(key, _)| key != name);
        match value {
            Some(Value::String(s)) if s.is_empty() => {}
            Some(value) => self.data_fields.push((name.clone(), value)),
            None => {}
        }
    }

    /// Custom identifiers, lists, preferences and consent records.
    pub fn more(&self) -> &More {
        static NONE: More = More {
            custom: Vec::new(),
            lists: Vec::new(),
            preferences: Vec::new(),
            consent_records: Vec::new(),
        };
        self.more.as_deref().unwrap_or(&NONE)
    }

    pub fn more_mut(&mut self) -> &mut More {
        self.more.get_or_insert_with(Box::default)
    }

    /// The v3 `ContactStatus`.
    fn status(&self) -> Name {
        if self.binned {
            return "binned";
        }
        if self.email.is_some() {
            return self.email_status;
        }
        self.sms_status
    }

    /// The v3 `Contact` shape.
    pub fn to_v3(&self, config: &Config) -> Value {
        let mut identifiers = Map::new();
        if let Some(email) = &self.email {
            identifiers.insert("email".into(), json!(email));
        }
        if let Some(mobile) = &self.mobile_number {
            identifiers.insert("mobileNumber".into(), json!(mobile));
        }
        for (name, value) in &self.more().custom {
            identifiers.insert(name.clone(), json!(value));
        }
        let mut channels = Map::new();
        if self.email.is_some() {
            let status = if self.binned {
                "binned"
            } else {
                self.email_status
            };
            channels.insert(
                "email".into(),
                json!({
                    "emailType": self.email_type,
                    "optInType": self.opt_in_type,
                    "status": status,
                }),
            );
        }
        if self.mobile_number.is_some() {
            let (sms, whatsapp) = if self.binned {
                ("binned", "noSubscription")
            } else {
                (self.sms_status, self.whatsapp_status)
            };
            let country = self.mobile_number.as_deref().map(country_code);
            channels.insert(
                "sms".into(),
                json!({ "countryCode": country, "status": sms }),
            );
            channels.insert("whatsApp".into(), json!({ "status": whatsapp }));
        }
        let lists: Vec<Value> = self
            .more()
            .lists
            .iter()
            .map(|id| {
                let name = config
                    .list(i64::from(*id))
                    .map_or_else(|| format!("List {id}"), |list| list.name.clone());
                json!({ "id": id, "name": name, "status": "subscribed" })
            })
            .collect();
        let preferences: Vec<Value> = self
            .more()
            .preferences
            .iter()
            .map(|(id, opted_in)| json!({ "id": id, "isOptedIn": opted_in }))
            .collect();
        let consent_records: Vec<Value> = self
            .more()
            .consent_records
            .iter()
            .map(|record| {
                json!({
                    "text": record.text,
                    "dateTimeConsented": record.date_time_consented,
                    "url": record.url,
                    "ipAddress": record.ip_address,
                    "userAgent": record.user_agent,
                    "dateTimeCreated": timestamp(record.date_time_created),
                })
            })
            .collect();
        let mut contact = json!({
            "contactId": self.id,
            "status": self.status(),
            "created": timestamp(self.created),
            "updated": timestamp(self.updated),
            "identifiers": identifiers,
            "dataFields": self.all_data_fields(config).collect::<Map<_, _>>(),
            "channelProperties": channels,
            "lists": lists,
            "consentRecords": consent_records,
        });
        // Dotdigital's description gives `preferences` at least one item:
        // with none, the property is left out.
        if !preferences.is_empty() {
            contact["preferences"] = Value::Array(preferences);
        }
        contact
    }

    /// The v2 `ApiContact` shape: every account data field, `null` when unset.
    pub fn to_v2(&self, config: &Config) -> Value {
        let data_fields: Vec<Value> = self
            .all_data_fields(config)
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect();
        json!({
            "id": self.id,
            "email": self.email.as_deref().unwrap_or_default(),
            "optInType": self.opt_in_type,
            "emailType": self.email_type,
            "dataFields": data_fields,
            "status": pascal_case(self.email_status),
        })
    }

    /// Every configured data field with this contact's value or `null`.
    fn all_data_fields<'a>(
        &'a self,
        config: &'a Config,
    ) -> impl Iterator<Item = (String, Value)> + 'a {
        config.data_fields.iter().map(|field| {
            let value = self.data_field(&field.name).cloned().unwrap_or(Value::Null);
            (field.name.to_string(), value)
        })
    }
}

/// The ISO 3166-1 alpha-2 country of an E.164 number (digits, no `+`), as
/// Dotdigital reports it in `sms.countryCode`: the region libphonenumber
/// places the number in; for a number it cannot place, the main region of its
/// calling code; for a calling code no country has, libphonenumber's own
/// "unknown region", `ZZ`.
pub(crate) fn country_code(digits: &str) -> String {
    if let Ok(number) = phonenumber::parse(None, format!("+{digits}"))
        && let Some(id) = number.country().id()
    {
        return id.as_ref().to_owned();
    }
    // Calling codes are prefix-free, 1 to 3 digits. Non-geographic ones
    // (+800, +882…) have the pseudo-region "001", not a country.
    (1..=3)
        .filter_map(|len| digits.get(..len)?.parse::<u16>().ok())
        .find_map(|code| phonenumber::metadata::DATABASE.region(&code))
        .into_iter()
        .flatten()
        .find(|id| id.len() == 2 && id.chars().all(|c| c.is_ascii_uppercase()))
        .map_or_else(|| UNKNOWN_REGION.to_owned(), str::to_owned)
}

const UNKNOWN_REGION: &str = "ZZ";

/// ISO 8601 UTC with a `Z`, whole seconds.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::country_code;

    #[test]
    fn a_mobile_number_is_placed_in_its_country() {
        assert_eq!(country_code("447123123123"), "GB");
        assert_eq!(country_code("4915112345678"), "DE");
        assert_eq!(country_code("12025550123"), "US");
        assert_eq!(country_code("14165550123"), "CA");
        // Not a valid number, but +44's main region.
        assert_eq!(country_code("440000000"), "GB");
        // +800 belongs to no country; +28x is assigned to nobody.
        assert_eq!(country_code("80012345678"), "ZZ");
        assert_eq!(country_code("2812345678"), "ZZ");
    }
}
