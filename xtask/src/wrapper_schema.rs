//! Whether a JSON Schema of the wrapper's public input types (schemars'
//! output) stays inside the spec's request schemas: every field the wrapper
//! can send exists in the spec with a compatible type, enum and limits.
//! `check` runs it on each schema of `dotdigital_contacts::input_json_schemas`.

use serde_json::{Map, Value};

use crate::model::{effective, resolve};

/// Integer formats the spec's format accepts, narrowest first.
const INT32: [&str; 6] = ["int8", "int16", "int32", "uint8", "uint16", "uint"];
const INT64: [&str; 8] = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint",
];

/// Every way `wrapper` (a JSON Schema document: draft 7 `definitions` or
/// 2020-12 `$defs`) can produce a value that the spec component schema
/// `spec_schema` would reject. Each finding names the wrapper path.
pub fn check_wrapper_schema(spec: &Value, spec_schema: &str, wrapper: &Value) -> Vec<String> {
    let target = serde_json::json!({ "$ref": format!("#/components/schemas/{spec_schema}") });
    let mut found = Vec::new();
    compare(spec, &target, wrapper, wrapper, spec_schema, &mut found, 0);
    found.sort();
    found
}

fn compare(
    spec: &Value,
    ours: &Value,
    document: &Value,
    theirs: &Value,
    at: &str,
    found: &mut Vec<String>,
    depth: usize,
) {
    // Deeper than any real input type: a recursive schema.
    if depth > 32 {
        return;
    }
    let theirs = wrapper_resolve(document, theirs);
    let (spec_map, _) = effective(spec, ours, &[]);
    let Some(wrapper) = theirs.as_object() else {
        if theirs == &Value::Bool(true) && !spec_map.is_empty() {
            found.push(format!("{at}: the wrapper accepts any value"));
        }
        return;
    };
    for keyword in ["anyOf", "oneOf"] {
        if let Some(branches) = wrapper.get(keyword).and_then(Value::as_array) {
            for branch in branches {
                compare(spec, ours, document, branch, at, found, depth + 1);
            }
            return;
        }
    }
    if wrapper.is_empty() {
        if !spec_map.is_empty() && spec_map.get("type").is_some() {
            found.push(format!("{at}: the wrapper accepts any value"));
        }
        return;
    }
    let spec_type = spec_map.get("type").and_then(Value::as_str);
    let nullable = spec_map.get("nullable") == Some(&Value::Bool(true)) || spec_type.is_none();
    for ty in wrapper_types(wrapper) {
        let fits = match (ty.as_str(), spec_type) {
            (_, None) => true,
            ("null", _) => nullable,
            ("integer", Some("number")) => true,
            (t, Some(s)) => t == s,
        };
        if !fits {
            found.push(format!(
                "{at}: the wrapper can send {ty}, the spec wants {}",
                spec_type.unwrap_or("any")
            ));
        }
    }
    enums(&spec_map, wrapper, nullable, at, found);
    formats(&spec_map, wrapper, at, found);
    limits(&spec_map, wrapper, at, found);
    let properties = spec_map.get("properties").and_then(Value::as_object);
    for (name, schema) in wrapper
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let child_at = format!("{at}.{name}");
        match (
            properties.and_then(|p| p.get(name)),
            spec_map.get("additionalProperties"),
        ) {
            (Some(property), _) => {
                compare(
                    spec,
                    property,
                    document,
                    schema,
                    &child_at,
                    found,
                    depth + 1,
                );
            }
            // Named by the account (custom identifiers): the value schema applies.
            (None, Some(extra @ Value::Object(map))) if !map.is_empty() => {
                compare(spec, extra, document, schema, &child_at, found, depth + 1);
            }
            (None, _) => found.push(format!("{child_at}: the spec has no such property")),
        }
    }
    let wrapper_required: Vec<&str> = wrapper
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for name in spec_map
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if wrapper.get("properties").is_some() && !wrapper_required.contains(&name) {
            found.push(format!(
                "{at}.{name}: required by the spec, optional in the wrapper"
            ));
        }
    }
    if let Some(extra @ Value::Object(map)) = wrapper.get("additionalProperties")
        && !map.is_empty()
    {
        match spec_map.get("additionalProperties") {
            Some(Value::Bool(false)) => found.push(format!(
                "{at}: the wrapper can send any property, the spec is closed"
            )),
            Some(spec_extra @ Value::Object(m)) if !m.is_empty() => {
                compare(
                    spec,
                    spec_extra,
                    document,
                    extra,
                    &format!("{at}.*"),
                    found,
                    depth + 1,
                );
            }
            _ => {}
        }
    }
    if let (Some(items), Some(spec_items)) = (wrapper.get("items"), spec_map.get("items")) {
        compare(
            spec,
            spec_items,
            document,
            items,
            &format!("{at}[]"),
            found,
            depth + 1,
        );
    }
}

/// The JSON types a wrapper schema allows, from `type`, `const` or `enum`.
fn wrapper_types(wrapper: &Map<String, Value>) -> Vec<String> {
    match wrapper.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => wrapper_values(wrapper)
            .into_iter()
            .flatten()
            .map(|v| match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            })
            .map(str::to_owned)
            .collect(),
    }
}

fn wrapper_values(wrapper: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(value) = wrapper.get("const") {
        return Some(vec![value.clone()]);
    }
    wrapper.get("enum").and_then(Value::as_array).cloned()
}

fn enums(
    spec: &Map<String, Value>,
    wrapper: &Map<String, Value>,
    nullable: bool,
    at: &str,
    found: &mut Vec<String>,
) {
    let Some(allowed) = spec.get("enum").and_then(Value::as_array) else {
        return;
    };
    match wrapper_values(wrapper) {
        None => found.push(format!(
            "{at}: the spec allows only {}, the wrapper any value",
            list(allowed)
        )),
        Some(values) => {
            for value in values {
                let allowed_null = value.is_null() && nullable;
                if !allowed_null && !allowed.contains(&value) {
                    found.push(format!(
                        "{at}: the wrapper can send {value}, not in the spec's enum"
                    ));
                }
            }
        }
    }
}

fn formats(
    spec: &Map<String, Value>,
    wrapper: &Map<String, Value>,
    at: &str,
    found: &mut Vec<String>,
) {
    let Some(format) = spec.get("format").and_then(Value::as_str) else {
        return;
    };
    let theirs = wrapper.get("format").and_then(Value::as_str);
    let fits = match format {
        "int32" => theirs.is_some_and(|t| INT32.contains(&t) || t == "int32"),
        "int64" => theirs.is_some_and(|t| INT64.contains(&t)),
        other => theirs == Some(other),
    };
    if !fits {
        found.push(format!(
            "{at}: the spec wants format {format}, the wrapper sends {}",
            theirs.unwrap_or("any")
        ));
    }
}

fn limits(
    spec: &Map<String, Value>,
    wrapper: &Map<String, Value>,
    at: &str,
    found: &mut Vec<String>,
) {
    for (limit, lower) in [
        ("minLength", true),
        ("minItems", true),
        ("minimum", true),
        ("maxLength", false),
        ("maxItems", false),
        ("maximum", false),
    ] {
        let Some(bound) = spec.get(limit).and_then(Value::as_f64) else {
            continue;
        };
        let fits = wrapper
            .get(limit)
            .and_then(Value::as_f64)
            .is_some_and(|theirs| {
                if lower {
                    theirs >= bound
                } else {
                    theirs <= bound
                }
            });
        if !fits {
            let theirs = wrapper
                .get(limit)
                .map_or_else(|| "none".to_owned(), Value::to_string);
            found.push(format!(
                "{at}: the spec has {limit} {bound}, the wrapper {theirs}"
            ));
        }
    }
    if let Some(pattern) = spec.get("pattern")
        && wrapper.get("pattern") != Some(pattern)
    {
        found.push(format!(
            "{at}: the spec has pattern {pattern}, the wrapper does not"
        ));
    }
}

fn list(values: &[Value]) -> String {
    values
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Follows `$ref`s inside the wrapper document.
fn wrapper_resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    resolve(document, schema).0
}
