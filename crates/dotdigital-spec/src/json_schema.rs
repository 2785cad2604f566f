//! OpenAPI 3.0 schema objects are a dialect of JSON Schema draft 4/5: `nullable`
//! instead of a `null` type, refs into `#/components/schemas`, and keywords such
//! as `example` that validators do not know. This module rewrites them into
//! plain draft-7 JSON Schema and finds every `example` the spec carries.

use serde_json::{Map, Value, json};

const COMPONENT_PREFIX: &str = "#/components/schemas/";

/// A self-contained draft-7 JSON Schema: one schema of the spec with every
/// component schema under `definitions`, so refs resolve without the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDocument(pub Value);

/// Converts `schema` (any schema object taken from `spec`) into a
/// self-contained JSON Schema document.
///
/// ```
/// let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
/// let doc = dotdigital_spec::schema_document(&spec, &serde_json::json!({"$ref": "#/components/schemas/ErrorResponse"}));
/// assert_eq!(doc.0["$ref"], "#/definitions/ErrorResponse");
/// assert!(doc.0["definitions"]["ErrorResponse"].is_object());
/// ```
pub fn schema_document(spec: &Value, schema: &Value) -> SchemaDocument {
    let mut root = match convert(schema) {
        Value::Object(map) => map,
        // `true`/`false` schemas have no room for definitions; wrap them.
        other => Map::from_iter([("allOf".to_owned(), json!([other]))]),
    };
    let definitions: Map<String, Value> = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, s)| (name.clone(), convert(s)))
                .collect()
        })
        .unwrap_or_default();
    root.insert(
        "$schema".to_owned(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    root.insert("definitions".to_owned(), Value::Object(definitions));
    SchemaDocument(Value::Object(root))
}

fn convert(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if let Some(Value::String(target)) = map.get("$ref") {
        let target = target
            .strip_prefix(COMPONENT_PREFIX)
            .map_or_else(|| target.clone(), |name| format!("#/definitions/{name}"));
        return with_null(json!({ "$ref": target }), map);
    }
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            // Annotations OpenAPI adds that JSON Schema does not have.
            "example" | "nullable" | "xml" | "externalDocs" | "discriminator" | "deprecated" => {
                continue;
            }
            "properties" => Value::Object(
                value
                    .as_object()
                    .map(|props| props.iter().map(|(k, v)| (k.clone(), convert(v))).collect())
                    .unwrap_or_default(),
            ),
            "items" | "additionalProperties" | "not" => convert(value),
            "allOf" | "oneOf" | "anyOf" => Value::Array(
                value
                    .as_array()
                    .map(|all| all.iter().map(convert).collect())
                    .unwrap_or_default(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    with_null(Value::Object(out), map)
}

/// Applies OpenAPI's `nullable: true` to a converted schema.
fn with_null(converted: Value, original: &Map<String, Value>) -> Value {
    if original.get("nullable") != Some(&Value::Bool(true)) {
        return converted;
    }
    match converted {
        Value::Object(mut map) if map.contains_key("type") && !map.contains_key("$ref") => {
            if let Some(Value::String(t)) = map.get("type").cloned() {
                map.insert("type".to_owned(), json!([t, "null"]));
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.push(Value::Null);
            }
            Value::Object(map)
        }
        // No type means any value, null included; a ref or combinator needs an explicit alternative.
        Value::Object(map)
            if !map.contains_key("$ref")
                && !["allOf", "oneOf", "anyOf"]
                    .iter()
                    .any(|k| map.contains_key(*k)) =>
        {
            Value::Object(map)
        }
        other => json!({ "anyOf": [other, { "type": "null" }] }),
    }
}

/// One `example` (or `examples` entry) found in the spec, with the schema it
/// illustrates.
#[derive(Debug, Clone)]
pub struct Example {
    /// Where the example sits, as a JSON pointer into the spec.
    pub location: String,
    /// The OpenAPI schema object the example must satisfy.
    pub schema: Value,
    /// The example value.
    pub value: Value,
}

/// Every example of the spec: on schemas (at any depth), on parameters, and on
/// request and response media types (`example` and `examples`, refs resolved).
///
/// ```
/// let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
/// assert!(dotdigital_spec::examples(&spec).len() > 40);
/// ```
pub fn examples(spec: &Value) -> Vec<Example> {
    let mut found = Vec::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            schema_examples(schema, &format!("/components/schemas/{name}"), &mut found);
        }
    }
    for (method, path, op) in crate::operations(spec) {
        let at = crate::operation_pointer(method, path);
        for (i, param) in crate::parameters(op) {
            if let (Some(schema), Some(value)) = (param.get("schema"), param.get("example")) {
                found.push(Example {
                    location: format!("{at}/parameters/{i}/example"),
                    schema: schema.clone(),
                    value: value.clone(),
                });
            }
        }
        if let Some(content) = op.pointer("/requestBody/content") {
            media_examples(
                spec,
                content,
                &format!("{at}/requestBody/content"),
                &mut found,
            );
        }
        for (status, response) in op
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(content) = response.get("content") {
                media_examples(
                    spec,
                    content,
                    &format!("{at}/responses/{status}/content"),
                    &mut found,
                );
            }
        }
    }
    found
}

fn schema_examples(schema: &Value, at: &str, found: &mut Vec<Example>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(value) = map.get("example") {
        found.push(Example {
            location: format!("{at}/example"),
            schema: schema.clone(),
            value: value.clone(),
        });
    }
    for (key, child) in map {
        match key.as_str() {
            "properties" => {
                for (name, prop) in child.as_object().into_iter().flatten() {
                    schema_examples(prop, &format!("{at}/properties/{}", escape(name)), found);
                }
            }
            "items" | "additionalProperties" | "not" => {
                schema_examples(child, &format!("{at}/{key}"), found)
            }
            "allOf" | "oneOf" | "anyOf" => {
                for (i, sub) in child.as_array().into_iter().flatten().enumerate() {
                    schema_examples(sub, &format!("{at}/{key}/{i}"), found);
                }
            }
            _ => {}
        }
    }
}

fn media_examples(spec: &Value, content: &Value, at: &str, found: &mut Vec<Example>) {
    for (media, body) in content.as_object().into_iter().flatten() {
        let Some(schema) = body.get("schema") else {
            continue;
        };
        let at = format!("{at}/{}", escape(media));
        if let Some(value) = body.get("example") {
            found.push(Example {
                location: format!("{at}/example"),
                schema: schema.clone(),
                value: value.clone(),
            });
        }
        for (name, example) in body
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let example = resolve(spec, example);
            if let Some(value) = example.get("value") {
                found.push(Example {
                    location: format!("{at}/examples/{}", escape(name)),
                    schema: schema.clone(),
                    value: value.clone(),
                });
            }
        }
    }
}

/// Follows local `$ref`s (`#/…`) until a value that is not a reference (or
/// whose target is missing), leaving anything else as it is.
///
/// ```
/// let spec = serde_json::json!({"components": {"schemas": {
///     "A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}}});
/// let item = serde_json::json!({"$ref": "#/components/schemas/A"});
/// assert_eq!(dotdigital_spec::resolve(&spec, &item)["type"], "string");
/// ```
pub fn resolve<'a>(spec: &'a Value, item: &'a Value) -> &'a Value {
    let mut current = item;
    // A cycle of bare refs would loop; a spec has no reason for more than a few.
    for _ in 0..32 {
        let next = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| spec.pointer(pointer));
        match next {
            Some(next) => current = next,
            None => return current,
        }
    }
    current
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
///
/// ```
/// assert_eq!(dotdigital_spec::escape("/contacts/v3/{identifier}"), "~1contacts~1v3~1{identifier}");
/// ```
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
