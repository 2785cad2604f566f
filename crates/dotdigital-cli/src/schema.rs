//! `dotdigital contacts schema`: the JSON Schema of one JSONL sync row (or,
//! with `--update`, of a v2 update body), so a team can validate an export
//! with a standard validator before a sync.
//!
//! The schema is the one schemars derives from the generated type (the
//! client's `schemars` feature), made as strict as the reader the sync uses
//! (`dotdigital_contacts::json`): it refuses what that reader refuses and
//! takes what it takes.

use clap::Args;
use dotdigital_contacts::types;
use serde_json::{Map, Value, json};

use crate::failure::{Exit, Failure};

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Print the schema of a v2 update body (`ApiContactUpdate`) instead of a sync row.
    #[arg(long)]
    update: bool,
    /// The identifier the sync looks rows up by (its `--identifier`): the
    /// row must carry it.
    #[arg(long, default_value = "email", conflicts_with = "update")]
    identifier: String,
}

pub(crate) fn run(args: &SchemaArgs) -> Result<Exit, Failure> {
    let schema = if args.update {
        update_schema()
    } else {
        row_schema(&args.identifier)
    };
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Failure::new(Exit::Failed, format!("cannot print the schema: {e}")))?;
    println!("{text}");
    Ok(Exit::Done)
}

/// One JSONL row of `dotdigital contacts sync --identifier <identifier>`:
/// an import request body that carries the identifier, plus the top-level
/// `contactId` the sync takes out of a row before reading it.
pub(crate) fn row_schema(identifier: &str) -> Value {
    let mut schema = strict(schemars::schema_for!(types::ImportContactRequest));
    let Some(root) = schema.as_object_mut() else {
        return schema;
    };
    let mut required = Vec::new();
    // The sync removes `contactId` from every row (it keys `--identifier contactId`).
    let contact_id = if identifier == "contactId" {
        required.push(json!("contactId"));
        json!({"type": "integer", "minimum": 0, "maximum": u64::MAX})
    } else {
        json!(true)
    };
    if let Some(Value::Object(properties)) = root.get_mut("properties") {
        properties.insert("contactId".to_owned(), contact_id);
        if identifier != "contactId" {
            required.push(json!("identifiers"));
            // The key the sync looks the contact up by: a string in `identifiers`.
            let identifiers = properties.remove("identifiers").unwrap_or(json!(true));
            properties.insert(
                "identifiers".to_owned(),
                json!({"allOf": [
                    identifiers,
                    {"type": "object", "required": [identifier], "properties": {identifier: {"type": "string", "minLength": 1}}},
                ]}),
            );
        }
    }
    root.insert("required".to_owned(), Value::Array(required));
    schema
}

/// A v2 update body, as `dotdigital_contacts::json::update_request` reads it.
pub(crate) fn update_schema() -> Value {
    strict(schemars::schema_for!(types::ApiContactUpdate))
}

/// The derived schema made as strict as the JSON reader.
fn strict(schema: impl serde::Serialize) -> Value {
    let mut value = serde_json::to_value(schema).unwrap_or(Value::Bool(true));
    tighten(&mut value);
    value
}

/// Applied to every schema within:
/// - an object with properties and no `additionalProperties` is closed: the
///   reader refuses a key the type does not have (a struct without a
///   flattened map), where serde alone would ignore it;
/// - an array that is neither required nor nullable may be empty whatever
///   its `minItems`: it is then not sent, and `check_item_counts` skips it;
/// - an integer of a fixed width gets its range, which serde checks.
fn tighten(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("properties").is_some_and(Value::is_object) {
                map.entry("additionalProperties")
                    .or_insert(Value::Bool(false));
                empty_arrays(map);
            }
            integer_range(map);
            for child in map.values_mut() {
                tighten(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tighten),
        _ => {}
    }
}

fn empty_arrays(object: &mut Map<String, Value>) {
    let required: Vec<Value> = object
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(Value::Object(properties)) = object.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        let optional = !required.contains(&Value::String(name.clone()));
        let array = property.get("type") == Some(&json!("array"));
        let min = property
            .get("minItems")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if optional && array && min > 0 {
            *property = json!({"anyOf": [{"type": "array", "maxItems": 0}, property.take()]});
        }
    }
}

fn integer_range(map: &mut Map<String, Value>) {
    let (min, max): (Value, Value) = match map.get("format").and_then(Value::as_str) {
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("int64") => (i64::MIN.into(), i64::MAX.into()),
        Some("uint32") => (0.into(), u32::MAX.into()),
        Some("uint64") => (0.into(), u64::MAX.into()),
        _ => return,
    };
    map.entry("minimum").or_insert(min);
    map.entry("maximum").or_insert(max);
}
