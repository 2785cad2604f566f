//! A normalised, flat view of the operations of an OpenAPI document: one node
//! per parameter, request-body property, response status and response
//! property, with the facts a client depends on (type, format, required,
//! enum, limits, nullability, closed objects). `$ref`s are followed and
//! `allOf` layers merged, so our flat spec and Dotdigital's layered files
//! produce comparable models. The spec snapshot, `diff` and `upstream` all
//! read this one model.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item can hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Keywords that limit the values a schema accepts.
pub const LIMITS: [&str; 10] = [
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// Which way the values of a node travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A path, query or header parameter the client sends.
    Parameter,
    /// Part of the request body the client sends.
    Request,
    /// Part of a response the client reads.
    Response,
}

/// What an object says about properties it does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Additional {
    /// Absent, `true` or `{}`: anything goes.
    Open,
    /// `false`: only the listed properties.
    Closed,
    /// A schema: the `*` child node describes the values.
    Typed,
}

/// One parameter, body, property or response of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Which way the value travels.
    pub side: Side,
    /// A required parameter, body or property.
    pub required: bool,
    /// `string`, `integer`, `object`, …; `any` without a type; `none` for a
    /// response without a body; `undefined` for a required property that has
    /// no definition.
    pub ty: String,
    /// The `format`, if any.
    pub format: Option<String>,
    /// `nullable: true`.
    pub nullable: bool,
    /// The allowed values, each as JSON text.
    pub enum_values: Option<Vec<String>>,
    /// The limit keywords, each value as JSON text.
    pub limits: BTreeMap<String, String>,
    /// The `default`, as JSON text.
    pub default: Option<String>,
    /// For objects: what happens to properties not listed.
    pub additional: Option<Additional>,
    /// The component schema the node refers to (the generated type's name).
    pub schema_name: Option<String>,
    /// For bodies: the media types.
    pub media: Option<String>,
}

/// One operation and its nodes, keyed by a path such as
/// `parameters/query/merge-option`, `request/channelProperties/email`,
/// `responses/200/lists/[]/id` (`[]` for array items, `*` for
/// `additionalProperties`, `oneOf/0` for alternatives) or
/// `headers/429/X-RateLimit-Limit` (a response header).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// The operationId (empty when the spec has none).
    pub operation_id: String,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// The nodes, sorted by key.
    pub nodes: BTreeMap<String, Node>,
}

/// Every operation of a document, keyed by `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    /// The operations, sorted by key.
    pub operations: BTreeMap<String, Operation>,
}

impl Model {
    /// Builds the model of an OpenAPI document given as JSON.
    pub fn from_spec(spec: &Value) -> Model {
        let mut operations = BTreeMap::new();
        for (path, item) in spec
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let path_parameters = item.get("parameters").and_then(Value::as_array);
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let operation = operation(spec, method, path, path_parameters, op);
                    operations.insert(format!("{} {path}", operation.method), operation);
                }
            }
        }
        Model { operations }
    }

    /// The model as text: one line per node, operations and nodes sorted, so
    /// a spec change reads as a small diff.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (key, op) in &self.operations {
            let deprecated = if op.deprecated { " deprecated" } else { "" };
            let _ = writeln!(out, "{key} {}{deprecated}", op.operation_id);
            for (at, node) in &op.nodes {
                let _ = writeln!(out, "  {at}: {}", node.describe());
            }
            out.push('\n');
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }
}

impl Node {
    fn new(side: Side, required: bool, ty: &str) -> Node {
        Node {
            side,
            required,
            ty: ty.to_owned(),
            format: None,
            nullable: false,
            enum_values: None,
            limits: BTreeMap::new(),
            default: None,
            additional: None,
            schema_name: None,
            media: None,
        }
    }

    /// The type with its format, as in `integer(int32)`.
    pub fn type_text(&self) -> String {
        match &self.format {
            Some(format) => format!("{}({format})", self.ty),
            None => self.ty.clone(),
        }
    }

    /// One line: `required string(uri) nullable enum [..] maxLength 5 = Name`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.required {
            parts.push("required".to_owned());
        }
        if let Some(media) = &self.media {
            parts.push(media.clone());
        }
        parts.push(self.type_text());
        if self.nullable {
            parts.push("nullable".to_owned());
        }
        if let Some(values) = &self.enum_values {
            parts.push(format!("enum [{}]", values.join(", ")));
        }
        for (name, value) in &self.limits {
            parts.push(format!("{name} {value}"));
        }
        if let Some(default) = &self.default {
            parts.push(format!("default {default}"));
        }
        match self.additional {
            Some(Additional::Closed) => parts.push("closed".to_owned()),
            Some(Additional::Typed) => parts.push("additionalProperties *".to_owned()),
            Some(Additional::Open) | None => {}
        }
        if let Some(name) = &self.schema_name {
            parts.push(format!("= {name}"));
        }
        parts.join(" ")
    }
}

fn operation(
    spec: &Value,
    method: &str,
    path: &str,
    path_parameters: Option<&Vec<Value>>,
    op: &Value,
) -> Operation {
    let mut nodes = BTreeMap::new();
    let mut parameters: BTreeMap<(String, String), Value> = BTreeMap::new();
    // Operation parameters override path-item parameters of the same name and place.
    for param in path_parameters.into_iter().flatten().chain(
        op.get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    ) {
        let param = resolve(spec, param).0;
        let name = text(param.get("name"));
        let place = text(param.get("in"));
        parameters.insert((place, name), param.clone());
    }
    for ((place, name), param) in &parameters {
        let required = param.get("required") == Some(&Value::Bool(true));
        let schema = param.get("schema").cloned().unwrap_or(Value::Bool(true));
        flatten(
            spec,
            &schema,
            &format!("parameters/{place}/{}", escape(name)),
            Side::Parameter,
            required,
            &mut nodes,
            &mut Vec::new(),
        );
    }
    if let Some(body) = op.get("requestBody") {
        let body = resolve(spec, body).0;
        let required = body.get("required") == Some(&Value::Bool(true));
        body_nodes(spec, body, "request", Side::Request, required, &mut nodes);
    }
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let response = resolve(spec, response).0;
        let at = format!("responses/{status}");
        body_nodes(spec, response, &at, Side::Response, false, &mut nodes);
        for (name, header) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let header = resolve(spec, header).0;
            let required = header.get("required") == Some(&Value::Bool(true));
            let schema = header.get("schema").cloned().unwrap_or(Value::Bool(true));
            let at = format!("headers/{status}/{}", escape(name));
            flatten(
                spec,
                &schema,
                &at,
                Side::Response,
                required,
                &mut nodes,
                &mut Vec::new(),
            );
        }
    }
    Operation {
        method: method.to_uppercase(),
        path: path.to_owned(),
        operation_id: text(op.get("operationId")),
        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        nodes,
    }
}

/// The node of a request body or a response and the nodes of its schema
/// (the first JSON media type's, or the first media type's).
fn body_nodes(
    spec: &Value,
    body: &Value,
    at: &str,
    side: Side,
    required: bool,
    nodes: &mut BTreeMap<String, Node>,
) {
    let content = body.get("content").and_then(Value::as_object);
    let media: Vec<&String> = content.into_iter().flatten().map(|(m, _)| m).collect();
    let schema = content.and_then(|content| {
        content
            .get("application/json")
            .or_else(|| content.values().next())
            .and_then(|m| m.get("schema"))
    });
    match schema {
        Some(schema) => flatten(spec, schema, at, side, required, nodes, &mut Vec::new()),
        None => {
            nodes.insert(at.to_owned(), Node::new(side, required, "none"));
        }
    }
    if let Some(node) = nodes.get_mut(at)
        && !media.is_empty()
    {
        node.media = Some(
            media
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
}

fn flatten(
    spec: &Value,
    schema: &Value,
    at: &str,
    side: Side,
    required: bool,
    nodes: &mut BTreeMap<String, Node>,
    refs: &mut Vec<String>,
) {
    let (effective, name) = effective(spec, schema, refs);
    let mut node = Node::new(side, required, "any");
    node.schema_name = name.clone();
    if let Some(ty) = effective.get("type").and_then(Value::as_str) {
        node.ty = ty.to_owned();
    }
    node.format = effective
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_owned);
    node.nullable = effective.get("nullable") == Some(&Value::Bool(true));
    node.enum_values = effective
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().map(Value::to_string).collect());
    for limit in LIMITS {
        if let Some(value) = effective.get(limit) {
            node.limits.insert(limit.to_owned(), value.to_string());
        }
    }
    node.default = effective.get("default").map(Value::to_string);
    let properties = effective.get("properties").and_then(Value::as_object);
    let is_object = node.ty == "object" || properties.is_some();
    if is_object && node.ty == "any" {
        node.ty = "object".to_owned();
    }
    let additional = effective.get("additionalProperties");
    if is_object {
        node.additional = Some(match additional {
            Some(Value::Bool(false)) => Additional::Closed,
            Some(Value::Object(map)) if !map.is_empty() => Additional::Typed,
            _ => Additional::Open,
        });
    }
    let alternatives = ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| effective.get(k).and_then(Value::as_array).map(|a| (k, a)));
    if let Some((keyword, _)) = alternatives
        && node.ty == "any"
    {
        node.ty = keyword.to_owned();
    }
    nodes.insert(at.to_owned(), node);

    // Refs on the way down guard against recursive schemas.
    if let Some(name) = &name {
        refs.push(name.clone());
    }
    let required_names: BTreeSet<&str> = effective
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (property, child) in properties.into_iter().flatten() {
        let child_at = format!("{at}/{}", escape(property));
        let required = required_names.contains(property.as_str());
        flatten(spec, child, &child_at, side, required, nodes, refs);
    }
    for property in &required_names {
        if !properties.is_some_and(|p| p.contains_key(*property)) {
            let child_at = format!("{at}/{}", escape(property));
            nodes.insert(child_at, Node::new(side, true, "undefined"));
        }
    }
    if let Some(items) = effective.get("items") {
        flatten(spec, items, &format!("{at}/[]"), side, false, nodes, refs);
    }
    if let Some(Value::Object(map)) = additional
        && !map.is_empty()
    {
        flatten(
            spec,
            &Value::Object(map.clone()),
            &format!("{at}/*"),
            side,
            false,
            nodes,
            refs,
        );
    }
    if let Some((keyword, branches)) = alternatives {
        for (i, branch) in branches.iter().enumerate() {
            flatten(
                spec,
                branch,
                &format!("{at}/{keyword}/{i}"),
                side,
                false,
                nodes,
                refs,
            );
        }
    }
    if name.is_some() {
        refs.pop();
    }
}

/// The schema with `$ref`s followed and `allOf` layers (and one-branch
/// `oneOf`/`anyOf` wrappers, NSwag's way of adding `nullable` to a ref)
/// merged into one object, and the component name it was reached through.
pub(crate) fn effective(
    spec: &Value,
    schema: &Value,
    refs: &[String],
) -> (Map<String, Value>, Option<String>) {
    let (schema, name) = resolve(spec, schema);
    let Some(map) = schema.as_object() else {
        return (Map::new(), name);
    };
    if name.as_ref().is_some_and(|n| refs.contains(n)) {
        // A recursive schema: stop here, the node still names its type.
        return (Map::new(), name);
    }
    let mut merged = Map::new();
    let mut branch_name = None;
    let mut layers: Vec<&Value> = Vec::new();
    for (key, value) in map {
        match key.as_str() {
            "allOf" => layers.extend(value.as_array().into_iter().flatten()),
            "oneOf" | "anyOf" if value.as_array().is_some_and(|a| a.len() == 1) => {
                layers.extend(value.as_array().into_iter().flatten());
            }
            _ => {
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    let refs_below: Vec<String> = refs.iter().cloned().chain(name.clone()).collect();
    for layer in layers {
        let (layer, layer_name) = effective(spec, layer, &refs_below);
        if layer_name.is_some() {
            branch_name = layer_name;
        }
        merge(&mut merged, layer);
    }
    (merged, name.or(branch_name))
}

/// Merges one `allOf` layer into the schema built so far.
fn merge(into: &mut Map<String, Value>, layer: Map<String, Value>) {
    for (key, value) in layer {
        match key.as_str() {
            "properties" => {
                let properties = into
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()));
                let Some(properties) = properties.as_object_mut() else {
                    continue;
                };
                for (name, schema) in value.as_object().into_iter().flatten() {
                    let combined = match properties.remove(name) {
                        // The same property in two layers: both apply.
                        Some(existing) => serde_json::json!({ "allOf": [existing, schema] }),
                        None => schema.clone(),
                    };
                    properties.insert(name.clone(), combined);
                }
            }
            "required" => {
                let mut names: Vec<Value> = into
                    .get("required")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for name in value.as_array().into_iter().flatten() {
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
                into.insert(key, Value::Array(names));
            }
            // A closed layer closes the whole object.
            "additionalProperties" => match (into.get(&key), &value) {
                (Some(Value::Bool(false)), _) => {}
                (Some(Value::Object(existing)), Value::Bool(true)) if !existing.is_empty() => {}
                _ => {
                    into.insert(key, value);
                }
            },
            "nullable" => {
                // Nullable only when every layer that says so allows null.
                if !into.contains_key(&key) {
                    into.insert(key, value);
                }
            }
            _ => {
                into.entry(key).or_insert(value);
            }
        }
    }
}

/// Follows local `$ref`s, returning the target and the last component name.
pub fn resolve<'a>(spec: &'a Value, item: &'a Value) -> (&'a Value, Option<String>) {
    let mut current = item;
    let mut name = None;
    // A bounded walk: a chain of refs longer than this is a cycle.
    for _ in 0..32 {
        let Some(target) = current.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(found) = target.strip_prefix('#').and_then(|p| spec.pointer(p)) else {
            break;
        };
        name = target.rsplit('/').next().map(str::to_owned);
        current = found;
    }
    (current, name)
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;
    use serde_json::json;

    #[test]
    fn all_of_layers_merge_and_a_closed_layer_closes() {
        let spec = json!({
            "paths": {"/x": {"patch": {
                "operationId": "x",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "allOf": [
                        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                        {"$ref": "#/components/schemas/B"}
                    ]
                }}}},
                "responses": {"401": {"description": "no body",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}}}}
            }}},
            "components": {"schemas": {"B": {"type": "object", "additionalProperties": false,
                "properties": {"b": {"nullable": true, "oneOf": [{"$ref": "#/components/schemas/E"}]}}},
                "E": {"type": "string", "enum": ["x", "y"]}}}
        });
        let model = Model::from_spec(&spec);
        assert_eq!(
            model.render(),
            "PATCH /x x\n  \
             headers/401/Retry-After: integer\n  \
             request: required application/json object closed = B\n  \
             request/a: required string\n  \
             request/b: string nullable enum [\"x\", \"y\"] = E\n  \
             responses/401: none\n"
        );
    }
}
