//! The emulated account: API user, data fields, custom identifiers, lists,
//! rate limit and faults. Admin routes read and change it at run time.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::Model;

/// Default API user name, as in Dotdigital's own samples.
pub const DEFAULT_API_USER: &str = "demo@apiconnector.com";
/// Default API password (8+ characters with a non-letter, as Dotdigital requires).
pub const DEFAULT_API_PASSWORD: &str = "demo-password";

/// The type of an account data field, as Dotdigital names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataFieldType {
    /// Any JSON string.
    String,
    /// A JSON number.
    Numeric,
    /// An ISO 8601 date or date-time, as a JSON string.
    Date,
    /// A JSON boolean.
    Boolean,
}

/// One data field of the account. Names are matched case-insensitively and
/// reported as configured (Dotdigital's names are upper case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataField {
    /// Field name, e.g. `FIRSTNAME`; contacts share it rather than copy it.
    pub name: Arc<str>,
    /// What values the field takes.
    #[serde(rename = "type")]
    pub kind: DataFieldType,
}

/// A list (address book) contacts can be added to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailingList {
    /// Id of the list, as sent in `lists`.
    pub id: i32,
    /// Name reported in a contact's `lists`.
    pub name: String,
}

/// Injected faults, applied to API routes only. Each request draws from one
/// seeded generator, so a run with the same seed and request order repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Probability (0..=1) of answering 500 or 503 (half each) without doing anything.
    pub error_rate: f64,
    /// Probability (0..=1) of closing the connection without answering.
    pub drop_rate: f64,
    /// Latency added before every API answer, in milliseconds.
    pub latency_ms: u64,
    /// Seed of the fault generator.
    pub seed: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            error_rate: 0.0,
            drop_rate: 0.0,
            latency_ms: 0,
            seed: 1,
        }
    }
}

/// The whole emulated account.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Basic-auth user name.
    pub api_user: String,
    /// Basic-auth password; never serialised or printed.
    #[serde(skip)]
    pub api_password: String,
    /// The account's data fields.
    pub data_fields: Vec<DataField>,
    /// Names of the account's custom identifiers.
    pub custom_identifiers: Vec<String>,
    /// Lists that exist; other list ids are rejected.
    pub lists: Vec<MailingList>,
    /// Calls per window, or `None` for no limit.
    pub rate_limit: Option<u32>,
    /// Length of a rate-limit window in seconds: Dotdigital's is a minute
    /// (the default); shorter windows let a test see several.
    pub rate_window_secs: u64,
    /// Injected faults.
    pub faults: Faults,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("api_user", &self.api_user)
            .field("api_password", &"<redacted>")
            .field("data_fields", &self.data_fields)
            .field("custom_identifiers", &self.custom_identifiers)
            .field("lists", &self.lists)
            .field("rate_limit", &self.rate_limit)
            .field("rate_window_secs", &self.rate_window_secs)
            .field("faults", &self.faults)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        let string = |name: &str| DataField {
            name: name.into(),
            kind: DataFieldType::String,
        };
        Self {
            api_user: DEFAULT_API_USER.to_owned(),
            api_password: DEFAULT_API_PASSWORD.to_owned(),
            data_fields: ["FIRSTNAME", "LASTNAME", "FULLNAME", "GENDER", "POSTCODE"]
                .into_iter()
                .map(string)
                .collect(),
            custom_identifiers: Vec::new(),
            lists: vec![MailingList {
                id: 12345,
                name: "Top customers".to_owned(),
            }],
            rate_limit: None,
            rate_window_secs: 60,
            faults: Faults::default(),
        }
    }
}

/// A partial change of the configuration, as sent to `PATCH /_sandbox/config`.
/// Each property given replaces the current value; `rateLimit: 0` turns the
/// limit off.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfigChange {
    pub data_fields: Option<Vec<DataField>>,
    pub custom_identifiers: Option<Vec<String>>,
    pub lists: Option<Vec<MailingList>>,
    pub rate_limit: Option<u32>,
    pub rate_window_secs: Option<u64>,
    pub faults: Option<Faults>,
}

impl Config {
    /// Applies `change` to a copy and checks the result.
    pub(crate) fn changed(&self, change: ConfigChange, model: &Model) -> Result<Config, String> {
        let mut next = self.clone();
        if let Some(fields) = change.data_fields {
            next.data_fields = fields;
        }
        if let Some(names) = change.custom_identifiers {
            next.custom_identifiers = names;
        }
        if let Some(lists) = change.lists {
            next.lists = lists;
        }
        if let Some(limit) = change.rate_limit {
            next.rate_limit = (limit > 0).then_some(limit);
        }
        if let Some(secs) = change.rate_window_secs {
            next.rate_window_secs = secs;
        }
        if let Some(faults) = change.faults {
            next.faults = faults;
        }
        next.check(model)?;
        Ok(next)
    }

    /// Checks that the configuration is usable; the message names the field.
    pub(crate) fn check(&self, model: &Model) -> Result<(), String> {
        if self.api_user.is_empty() || self.api_password.is_empty() {
            return Err("apiUser and apiPassword must not be empty".to_owned());
        }
        for (i, field) in self.data_fields.iter().enumerate() {
            if field.name.is_empty() || field.name.len() > 50 {
                return Err(format!("dataFields[{i}].name must be 1..50 characters"));
            }
            if self.data_fields[..i]
                .iter()
                .any(|other| other.name.eq_ignore_ascii_case(&field.name))
            {
                return Err(format!(
                    "dataFields[{i}].name '{}' is a duplicate (names are case-insensitive)",
                    field.name
                ));
            }
        }
        for (i, name) in self.custom_identifiers.iter().enumerate() {
            let valid_chars = name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if name.is_empty() || name.len() > 50 || !valid_chars {
                return Err(format!(
                    "customIdentifiers[{i}] '{name}' must match ^[-A-Za-z0-9_]{{1,50}}$"
                ));
            }
            if model.is_builtin_identifier(name) || self.custom_identifiers[..i].contains(name) {
                return Err(format!(
                    "customIdentifiers[{i}] '{name}' is a built-in identifier or a duplicate"
                ));
            }
        }
        for (i, list) in self.lists.iter().enumerate() {
            if self.lists[..i].iter().any(|other| other.id == list.id) {
                return Err(format!("lists[{i}].id {} is a duplicate", list.id));
            }
            if list.name.is_empty() || list.name.len() > 128 {
                return Err(format!("lists[{i}].name must be 1..128 characters"));
            }
        }
        for (name, rate) in [
            ("faults.errorRate", self.faults.error_rate),
            ("faults.dropRate", self.faults.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        if !(1..=3600).contains(&self.rate_window_secs) {
            return Err(format!(
                "rateWindowSecs must be 1..3600, got {}",
                self.rate_window_secs
            ));
        }
        if self.faults.latency_ms > 60_000 {
            return Err("faults.latencyMs must be at most 60000".to_owned());
        }
        Ok(())
    }

    /// The configured data field named `name`, ignoring case.
    pub(crate) fn data_field(&self, name: &str) -> Option<&DataField> {
        self.data_fields
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
    }

    /// The configured list with this id.
    pub(crate) fn list(&self, id: i64) -> Option<&MailingList> {
        self.lists.iter().find(|list| i64::from(list.id) == id)
    }
}
