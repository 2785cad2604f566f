//! Request bodies read from JSON, strictly: a file, a JSONL row, a queue
//! message. A key the spec does not have is refused with its path (with a
//! typo such as `dataFeilds`, nothing the user meant would be imported), and
//! a value that breaks a pattern or a limit is named with the field and the
//! value.

use serde::de::DeserializeOwned;
use serde_json::Value;

use dotdigital_contacts_api::types;

use crate::{Error, validation};

/// Reads a v3 import request body from JSON text.
///
/// ```
/// use dotdigital_contacts::json;
/// let body = json::import_request(r#"{"identifiers": {"email": "ann@example.com"}, "lists": [7]}"#).unwrap();
/// assert_eq!(body.lists, [7]);
///
/// let err = json::import_request(r#"{"channelProperties": {"email": {"optInTyp": "single"}}}"#).unwrap_err();
/// assert!(err.to_string().starts_with("invalid channelProperties.email.optInTyp: not a property the spec has"));
///
/// let err = json::import_request(r#"{"dataFeilds": {"FIRSTNAME": "Ann"}}"#).unwrap_err();
/// assert_eq!(err.to_string(), "invalid dataFeilds: not a property the spec has");
///
/// let err = json::import_request(r#"{"identifiers": {"mobileNumber": "+44 7123"}}"#).unwrap_err();
/// assert!(err.to_string().starts_with(r#"invalid identifiers.mobileNumber: "+44 7123": doesn't match pattern"#));
///
/// let err = json::import_request(&format!(r#"{{"lists": {:?}}}"#, (1..=101).collect::<Vec<i32>>())).unwrap_err();
/// assert_eq!(err.to_string(), "invalid lists: at most 100 items, got 101");
/// ```
pub fn import_request(text: &str) -> Result<types::ImportContactRequest, Error> {
    import_request_from_value(parse(text)?)
}

/// [`import_request`] for JSON already parsed.
///
/// ```
/// let row = serde_json::json!({"identifiers": {"email": "ann@example.com"}, "dataFields": {"FIRSTNAME": "Ann"}});
/// let body = dotdigital_contacts::json::import_request_from_value(row)?;
/// assert_eq!(body.data_fields["FIRSTNAME"], "Ann");
/// # Ok::<(), dotdigital_contacts::Error>(())
/// ```
pub fn import_request_from_value(value: Value) -> Result<types::ImportContactRequest, Error> {
    let body: types::ImportContactRequest = from_value(value)?;
    validation::item_counts(&body)?;
    Ok(body)
}

/// Reads a v2 update body (`ApiContactUpdate`) from JSON text.
///
/// ```
/// let body = dotdigital_contacts::json::update_request(r#"{"email": "john@example.com", "optInType": "Single"}"#).unwrap();
/// assert_eq!(body.email.as_str(), "john@example.com");
/// ```
pub fn update_request(text: &str) -> Result<types::ApiContactUpdate, Error> {
    let body: types::ApiContactUpdate = from_value(parse(text)?)?;
    body.check_item_counts()
        .map_err(|e| Error::validation(e.field.clone(), e.reason()))?;
    Ok(body)
}

/// Reads any generated type from JSON strictly: every key must be one the
/// type has, at any depth, and every value must fit.
///
/// ```
/// use dotdigital_contacts::{json, types};
/// let channel: types::EmailChannelUpdate = json::from_value(serde_json::json!({"status": "subscribed"}))?;
/// assert_eq!(channel.status, Some(types::EmailStatusUpdate::Subscribed));
/// let err = json::from_value::<types::EmailChannelUpdate>(serde_json::json!({"stauts": "subscribed"})).unwrap_err();
/// assert!(err.to_string().starts_with("invalid stauts: not a property the spec has"), "{err}");
/// # Ok::<(), dotdigital_contacts::Error>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    let mut unknown = Vec::new();
    let mut found = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let parsed = serde_path_to_error::deserialize::<_, T>(serde_ignored::Deserializer::new(
        &value, &mut found,
    ));
    let parsed = parsed.map_err(|e| {
        let path = e.path().to_string();
        let at = pointer(e.path());
        let message = e.inner().to_string();
        // serde's own wording for a closed object (`additionalProperties: false`).
        if let Some(rest) = message.strip_prefix("unknown field ") {
            let expected = rest.split_once(", ").map_or("", |(_, expected)| expected);
            return Error::validation(path, format!("not a property the spec has; {expected}"));
        }
        let reason = match value.pointer(&at) {
            Some(Value::String(text)) => format!("{}: {}", validation::shown(text), e.inner()),
            Some(other) if !other.is_object() && !other.is_array() => {
                format!("{other}: {}", e.inner())
            }
            _ => e.inner().to_string(),
        };
        Error::validation(if path == "." { "body".to_owned() } else { path }, reason)
    })?;
    match unknown.as_slice() {
        [] => Ok(parsed),
        [key] => Err(Error::validation(key, "not a property the spec has")),
        [key, others @ ..] => Err(Error::validation(
            key,
            format!(
                "not a property the spec has (nor are {})",
                others.join(", ")
            ),
        )),
    }
}

fn parse(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::validation("body", format!("not JSON: {e}")))
}

/// The JSON pointer of a path that serde found a value at.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|segment| match segment {
            Segment::Seq { index } => format!("/{index}"),
            Segment::Map { key } => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => format!("/{variant}"),
            Segment::Unknown => "/?".to_owned(),
        })
        .collect()
}
