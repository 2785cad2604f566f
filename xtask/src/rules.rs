//! The project's own spec rules (README.md, "Changing the spec"): what progenitor
//! 0.15 needs and what keeps the generated client honest. Every violation
//! names a JSON pointer into the spec.

use std::collections::BTreeMap;

use dotdigital_spec::{escape, resolve};
use openapi_change_classifier::LIMITS;
use serde_json::{Map, Value};

/// Schema objects by the JSON pointer where each is written.
type Schemas<'a> = BTreeMap<String, &'a Map<String, Value>>;

/// Every rule the spec breaks, as `pointer: message`.
pub fn violations(spec: &Value) -> Vec<String> {
    let mut found = Vec::new();
    if spec.get("openapi").and_then(Value::as_str) != Some("3.0.3") {
        found.push("/openapi: must be 3.0.3".to_owned());
    }
    let mut request_schemas = BTreeMap::new();
    let mut response_schemas = BTreeMap::new();
    for (method, path, op) in dotdigital_spec::operations(spec) {
        let at = dotdigital_spec::operation_pointer(method, path);
        if op
            .get("operationId")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            found.push(format!("{at}: no operationId"));
        }
        responses(spec, &at, op, &mut response_schemas, &mut found);
        for (i, param) in dotdigital_spec::parameters(op) {
            if let Some(schema) = resolve(spec, param).get("schema") {
                let schema_at = format!("{at}/parameters/{i}/schema");
                walk(spec, schema, &schema_at, &mut request_schemas);
            }
        }
        if let Some(body) = op.get("requestBody") {
            request_body(spec, &at, body, &mut request_schemas, &mut found);
        }
    }
    for (pointer, schema) in &response_schemas {
        if request_schemas.contains_key(pointer) {
            continue;
        }
        for limit in LIMITS {
            if schema.get(limit).is_some() {
                found.push(format!(
                    "{pointer}/{limit}: a limit on a response-only schema (a response must never fail to parse)"
                ));
            }
        }
    }
    found.extend(invalid_examples(spec));
    found.sort();
    found.dedup();
    found
}

/// The rules on an operation's responses: explicit statuses, one success
/// schema, at most one error schema; collects the schemas they reach.
fn responses<'a>(
    spec: &'a Value,
    at: &str,
    op: &'a Value,
    response_schemas: &mut Schemas<'a>,
    found: &mut Vec<String>,
) {
    let responses = op.get("responses").and_then(Value::as_object);
    if responses.is_some_and(|r| r.contains_key("default")) {
        found.push(format!(
            "{at}/responses/default: a `default` response (progenitor needs explicit statuses)"
        ));
    }
    let mut success = Vec::new();
    let mut errors = Vec::new();
    for (status, response) in responses.into_iter().flatten() {
        let response_at = format!("{at}/responses/{}", escape(status));
        for (media, body) in content(resolve(spec, response)) {
            let Some(schema) = body.get("schema") else {
                continue;
            };
            let schema_at = format!("{response_at}/content/{}/schema", escape(media));
            if status.starts_with('2') && !success.contains(&schema) {
                success.push(schema);
            }
            if (status.starts_with('4') || status.starts_with('5')) && !errors.contains(&schema) {
                errors.push(schema);
            }
            walk(spec, schema, &schema_at, response_schemas);
        }
    }
    if success.len() != 1 {
        found.push(format!(
            "{at}/responses: {} success schemas across 2xx, must be exactly one",
            success.len()
        ));
    }
    if errors.len() > 1 {
        found.push(format!(
            "{at}/responses: {} error schemas across 4xx and 5xx, must be at most one",
            errors.len()
        ));
    }
}

/// No default on a request-body property; collects the schemas it reaches.
fn request_body<'a>(
    spec: &'a Value,
    at: &str,
    body: &'a Value,
    request_schemas: &mut Schemas<'a>,
    found: &mut Vec<String>,
) {
    let mut body_schemas = BTreeMap::new();
    for (media, media_body) in content(resolve(spec, body)) {
        if let Some(schema) = media_body.get("schema") {
            let schema_at = format!("{at}/requestBody/content/{}/schema", escape(media));
            walk(spec, schema, &schema_at, &mut body_schemas);
        }
    }
    for (pointer, schema) in &body_schemas {
        for (name, property) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if property.get("default").is_some() {
                found.push(format!(
                    "{pointer}/properties/{}/default: a default on a request-body property (the client would always send it)",
                    escape(name)
                ));
            }
        }
    }
    request_schemas.extend(body_schemas);
}

/// Examples that do not validate against their schema.
fn invalid_examples(spec: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for example in dotdigital_spec::examples(spec) {
        let validator = match dotdigital_spec::validator(spec, &example.schema) {
            Ok(validator) => validator,
            Err(e) => {
                found.push(format!("{}: its schema is {e}", example.location));
                continue;
            }
        };
        for error in validator.iter_errors(&example.value) {
            let path = error.instance_path().to_string();
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" at `{path}`")
            };
            found.push(format!(
                "{}: invalid example{at}: {error}",
                example.location
            ));
        }
    }
    found
}

fn content(body: &Value) -> impl Iterator<Item = (&String, &Value)> {
    body.get("content")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// Collects every schema object reachable from `schema` (refs followed),
/// each under the JSON pointer where it is written.
fn walk<'a>(spec: &'a Value, schema: &'a Value, at: &str, seen: &mut Schemas<'a>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(target) = map.get("$ref").and_then(Value::as_str) {
        if let Some(pointer) = target.strip_prefix('#')
            && let Some(found) = spec.pointer(pointer)
            && !seen.contains_key(pointer)
        {
            walk(spec, found, pointer, seen);
        }
        return;
    }
    if seen.contains_key(at) {
        return;
    }
    seen.insert(at.to_owned(), map);
    for (key, child) in map {
        match key.as_str() {
            "properties" => {
                for (name, property) in child.as_object().into_iter().flatten() {
                    walk(
                        spec,
                        property,
                        &format!("{at}/properties/{}", escape(name)),
                        seen,
                    );
                }
            }
            "items" | "additionalProperties" | "not" => {
                walk(spec, child, &format!("{at}/{key}"), seen)
            }
            "allOf" | "oneOf" | "anyOf" => {
                for (i, branch) in child.as_array().into_iter().flatten().enumerate() {
                    walk(spec, branch, &format!("{at}/{key}/{i}"), seen);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    #[test]
    fn the_project_spec_keeps_every_rule() {
        let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
        assert_eq!(violations(&spec), Vec::<String>::new());
    }

    #[test]
    fn each_rule_reports_its_pointer() {
        let spec = dotdigital_spec::to_json(
            r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/In'}
      responses:
        "200": {description: a, content: {application/json: {schema: {$ref: '#/components/schemas/Out'}}}}
        "201": {description: b, content: {application/json: {schema: {type: string}}}}
        "400": {description: d, content: {application/json: {schema: {$ref: '#/components/schemas/Out'}}}}
        "409": {description: e, content: {application/json: {schema: {type: string}}}}
        default: {description: c}
components:
  schemas:
    In:
      type: object
      properties:
        flag: {type: boolean, default: true}
    Out:
      type: object
      properties:
        name: {type: string, maxLength: 3, example: toolong}
"#,
        )
        .unwrap();
        assert_eq!(
            violations(&spec),
            [
                "/components/schemas/In/properties/flag/default: a default on a request-body property (the client would always send it)",
                "/components/schemas/Out/properties/name/example: invalid example: \"toolong\" is longer than 3 characters",
                "/components/schemas/Out/properties/name/maxLength: a limit on a response-only schema (a response must never fail to parse)",
                "/paths/~1x/post/responses/default: a `default` response (progenitor needs explicit statuses)",
                "/paths/~1x/post/responses: 2 error schemas across 4xx and 5xx, must be at most one",
                "/paths/~1x/post/responses: 2 success schemas across 2xx, must be exactly one",
                "/paths/~1x/post: no operationId",
            ]
        );
    }
}
