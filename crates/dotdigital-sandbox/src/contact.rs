//! The stored contact and how v3 (`Contact`) and v2 (`ApiContact`) show it.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::identifier::{EMAIL, MOBILE_NUMBER};
use crate::model::Model;

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
    name(&upper_first(value))
}

/// `value` with its first character in upper case.
pub(crate) fn upper_first(value: &str) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => format!("{}{}", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// The parts of a contact most contacts do not have.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct More {
    /// Identifier name to value, for identifiers other than email and mobile number.
    pub custom: Vec<(String, String)>,
    pub lists: Vec<i32>,
    /// What v3 requests sent that no rule reads into a field of its own,
    /// merged request by request: properties at any depth, and the
    /// `preferences` and `consentRecords`, which rules merge and append.
    pub sent: Map<String, Value>,
    /// The same for v2 requests; a v2 update replaces it whole.
    pub v2_sent: Map<String, Value>,
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

    /// Custom identifiers, lists and what requests sent beyond the rules.
    pub fn more(&self) -> &More {
        static NONE: LazyLock<More> = LazyLock::new(More::default);
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

    /// The v3 `Contact` shape: what the rules give, completed with what v3
    /// requests sent wherever the answer schema has a place for it.
    pub fn to_v3(&self, config: &Config, model: &Model) -> Value {
        let mut ruled = Map::new();
        ruled.insert("contactId".into(), json!(self.id));
        ruled.insert("status".into(), json!(self.status()));
        ruled.insert("created".into(), json!(timestamp(self.created)));
        ruled.insert("updated".into(), json!(timestamp(self.updated)));
        ruled.insert("identifiers".into(), self.identifiers());
        ruled.insert(
            "dataFields".into(),
            Value::Object(self.all_data_fields(config).collect()),
        );
        ruled.insert("channelProperties".into(), self.channels());
        ruled.insert("lists".into(), self.lists(config));
        let mut answer = model.v3_answer(ruled, &self.more().sent);
        // Dotdigital's description gives `consentRecords` no minimum, so an
        // empty list is shown; `preferences` has at least one item, so it
        // shows only once a request sent some.
        if let Some(answer) = answer.as_object_mut() {
            answer.entry("consentRecords").or_insert_with(|| json!([]));
        }
        // A channel exists only with its identifier, whatever was sent for it.
        if let Some(channels) = answer
            .get_mut("channelProperties")
            .and_then(Value::as_object_mut)
        {
            if self.email.is_none() {
                channels.remove("email");
            }
            if self.mobile_number.is_none() {
                channels.remove("sms");
                channels.remove("whatsApp");
            }
        }
        answer
    }

    fn identifiers(&self) -> Value {
        let mut identifiers = Map::new();
        if let Some(email) = &self.email {
            identifiers.insert(EMAIL.into(), json!(email));
        }
        if let Some(mobile) = &self.mobile_number {
            identifiers.insert(MOBILE_NUMBER.into(), json!(mobile));
        }
        for (name, value) in &self.more().custom {
            identifiers.insert(name.clone(), json!(value));
        }
        Value::Object(identifiers)
    }

    /// Channels as Dotdigital reports them; a binned contact's are `binned`
    /// (WhatsApp has no such status and shows `noSubscription`).
    fn channels(&self) -> Value {
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
        if let Some(mobile) = &self.mobile_number {
            let (sms, whatsapp) = if self.binned {
                ("binned", "noSubscription")
            } else {
                (self.sms_status, self.whatsapp_status)
            };
            channels.insert(
                "sms".into(),
                json!({ "countryCode": country_code(mobile), "status": sms }),
            );
            channels.insert("whatsApp".into(), json!({ "status": whatsapp }));
        }
        Value::Object(channels)
    }

    /// Memberships with the list names of the account.
    fn lists(&self, config: &Config) -> Value {
        self.more()
            .lists
            .iter()
            .map(|id| {
                let name = config
                    .list(i64::from(*id))
                    .map_or_else(|| format!("List {id}"), |list| list.name.clone());
                json!({ "id": id, "name": name, "status": "subscribed" })
            })
            .collect()
    }

    /// The v2 `ApiContact` shape: every account data field, `null` when unset.
    pub fn to_v2(&self, config: &Config, model: &Model) -> Value {
        let data_fields: Vec<Value> = self
            .all_data_fields(config)
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect();
        let ruled = json!({
            "id": self.id,
            "email": self.email.as_deref().unwrap_or_default(),
            "optInType": self.opt_in_type,
            "emailType": self.email_type,
            "dataFields": data_fields,
            "status": pascal_case(self.email_status),
        });
        match ruled {
            Value::Object(ruled) => model.v2_answer(ruled, &self.more().v2_sent),
            other => other,
        }
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
