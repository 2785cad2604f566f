//! Data-field changes: each field is untouched, set, or cleared, and the three
//! can never be confused.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;
use dotdigital_contacts_api::types;

/// A value for a data field: text, a number, a boolean, or a date (sent as
/// ISO 8601 text). Never `null`: clearing is its own call, [`DataFields::clear`].
///
/// ```
/// use dotdigital_contacts::DataFieldValue;
/// let date = chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap();
/// assert_eq!(DataFieldValue::from(date).to_json(), serde_json::json!("1990-05-17"));
/// assert_eq!(DataFieldValue::from(42).to_json(), serde_json::json!(42));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct DataFieldValue(Repr);

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    Json(Value),
    /// NaN or an infinity: JSON has no such number; reported at send.
    NotFinite(f64),
}

impl DataFieldValue {
    /// The value as it goes on the wire.
    pub fn to_json(&self) -> Value {
        Value::from(self.clone())
    }

    fn check(&self, key: &str) -> Result<(), Error> {
        match self.0 {
            Repr::NotFinite(f) => Err(Error::validation(
                format!("dataFields.{key}"),
                format!("{f} is not a finite number"),
            )),
            Repr::Json(_) => Ok(()),
        }
    }
}

impl From<DataFieldValue> for Value {
    fn from(value: DataFieldValue) -> Self {
        match value.0 {
            Repr::Json(value) => value,
            Repr::NotFinite(f) => Value::String(f.to_string()),
        }
    }
}

impl TryFrom<Value> for DataFieldValue {
    type Error = String;
    fn try_from(value: Value) -> Result<Self, String> {
        match value {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                Ok(DataFieldValue(Repr::Json(value)))
            }
            other => Err(format!(
                "a data field value is a string, number or boolean, not {other}"
            )),
        }
    }
}

macro_rules! from_json {
    ($($t:ty),*) => {$(
        impl From<$t> for DataFieldValue {
            fn from(value: $t) -> Self {
                DataFieldValue(Repr::Json(Value::from(value)))
            }
        }
    )*};
}
from_json!(&str, String, bool, i32, i64, u32, u64);

impl From<f64> for DataFieldValue {
    fn from(value: f64) -> Self {
        match serde_json::Number::from_f64(value) {
            Some(number) => DataFieldValue(Repr::Json(Value::Number(number))),
            None => DataFieldValue(Repr::NotFinite(value)),
        }
    }
}

impl From<NaiveDate> for DataFieldValue {
    fn from(date: NaiveDate) -> Self {
        DataFieldValue(Repr::Json(Value::String(
            date.format("%Y-%m-%d").to_string(),
        )))
    }
}

impl From<DateTime<Utc>> for DataFieldValue {
    fn from(time: DateTime<Utc>) -> Self {
        DataFieldValue(Repr::Json(Value::String(
            time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )))
    }
}

/// The data-field changes of one request. A field not mentioned is left as it
/// is; [`set`](Self::set) writes a value; [`clear`](Self::clear) sends `null`,
/// which empties the field. The last call for a field wins.
///
/// ```
/// use dotdigital_contacts::DataFields;
/// let mut fields = DataFields::new();
/// fields.set("FIRSTNAME", "Ann").set("AGE", 42).clear("POSTCODE");
/// assert_eq!(
///     serde_json::to_value(&fields).unwrap(),
///     serde_json::json!({"AGE": 42, "FIRSTNAME": "Ann", "POSTCODE": null})
/// );
/// assert!(!fields.is_empty() && DataFields::new().is_empty());
/// let cleared: Vec<&str> = fields.iter().filter(|(_, value)| value.is_none()).map(|(key, _)| key).collect();
/// assert_eq!(cleared, ["POSTCODE"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DataFields(BTreeMap<String, Option<DataFieldValue>>);

impl DataFields {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `value` into the field `key`.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<DataFieldValue>) -> &mut Self {
        self.0.insert(key.into(), Some(value.into()));
        self
    }

    /// Empties the field `key` (sends `null`).
    pub fn clear(&mut self, key: impl Into<String>) -> &mut Self {
        self.0.insert(key.into(), None);
        self
    }

    /// Whether no field is touched.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each touched field in name order: `Some(value)` to set, `None` to clear.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&DataFieldValue>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_ref()))
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        for (key, value) in &self.0 {
            if key.trim().is_empty() {
                return Err(Error::validation(
                    "dataFields",
                    "a data field name must not be empty",
                ));
            }
            if let Some(value) = value {
                value.check(key)?;
            }
        }
        Ok(())
    }

    /// The v3 form: a map, `null` for cleared fields.
    pub(crate) fn into_v3(self) -> serde_json::Map<String, Value> {
        self.0
            .into_iter()
            .map(|(k, v)| (k, v.map_or(Value::Null, Value::from)))
            .collect()
    }

    /// The v2 form: `[{key, value}]`, `null` for cleared fields.
    pub(crate) fn to_v2(&self) -> Result<Vec<types::ApiContactDataField>, Error> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, (key, value))| {
                let value = value.as_ref().map_or(Value::Null, DataFieldValue::to_json);
                let field = types::ApiContactDataField::builder()
                    .key(key.clone())
                    .value(Some(value));
                crate::validation::built(&format!("dataFields[{i}]"), field)
            })
            .collect()
    }
}
