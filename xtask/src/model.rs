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

use crate::source::EXTERNAL;

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
    /// `readOnly: true`: only the server sends it.
    pub read_only: bool,
    /// `writeOnly: true`: only the client sends it.
    pub write_only: bool,
    /// Where it is defined: `#/components/schemas/Thing/properties/name`, or
    /// `schemas/thing.yaml#/properties/name` inside an external file.
    pub pointer: String,
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
    /// Where it is defined, as for [`Node::pointer`].
    pub pointer: String,
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
            let (item, _, item_at) = follow(spec, item, &format!("/paths/{}", escape(path)));
            let path_parameters = item
                .get("parameters")
                .and_then(Value::as_array)
                .map(|list| (list, format!("{item_at}/parameters")));
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let op_at = format!("{item_at}/{method}");
                    let operation =
                        operation(spec, method, path, path_parameters.clone(), op, &op_at);
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
            read_only: false,
            write_only: false,
            pointer: String::new(),
        }
    }

    /// The media types of a body, one by one.
    pub fn media_types(&self) -> Vec<&str> {
        self.media
            .as_deref()
            .map(|media| media.split(", ").collect())
            .unwrap_or_default()
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
        if self.read_only {
            parts.push("readOnly".to_owned());
        }
        if self.write_only {
            parts.push("writeOnly".to_owned());
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
    path_parameters: Option<(&Vec<Value>, String)>,
    op: &Value,
    op_at: &str,
) -> Operation {
    let mut nodes = BTreeMap::new();
    let mut listed: Vec<(&Value, String)> = Vec::new();
    if let Some((list, at)) = path_parameters {
        listed.extend(
            list.iter()
                .enumerate()
                .map(|(i, p)| (p, format!("{at}/{i}"))),
        );
    }
    for (i, param) in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        listed.push((param, format!("{op_at}/parameters/{i}")));
    }
    // Operation parameters override path-item parameters of the same name and place.
    let mut parameters: BTreeMap<(String, String), (&Value, String)> = BTreeMap::new();
    for (param, at) in listed {
        let (param, _, at) = follow(spec, param, &at);
        let name = text(param.get("name"));
        let place = text(param.get("in"));
        parameters.insert((place, name), (param, at));
    }
    for ((place, name), (param, param_at)) in &parameters {
        let required = param.get("required") == Some(&Value::Bool(true));
        let schema = param.get("schema").cloned().unwrap_or(Value::Bool(true));
        let at = format!("parameters/{place}/{}", escape(name));
        let schema_at = format!("{param_at}/schema");
        let mut refs = Vec::new();
        flatten(
            spec,
            &schema,
            &schema_at,
            &at,
            Side::Parameter,
            required,
            &mut nodes,
            &mut refs,
        );
        set_pointer(&mut nodes, &at, param_at);
    }
    if let Some(body) = op.get("requestBody") {
        let (body, _, body_at) = follow(spec, body, &format!("{op_at}/requestBody"));
        let required = body.get("required") == Some(&Value::Bool(true));
        body_nodes(
            spec,
            (body, &body_at),
            "request",
            Side::Request,
            required,
            &mut nodes,
        );
    }
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let response_at = format!("{op_at}/responses/{}", escape(status));
        let (response, _, response_at) = follow(spec, response, &response_at);
        let at = format!("responses/{status}");
        body_nodes(
            spec,
            (response, &response_at),
            &at,
            Side::Response,
            false,
            &mut nodes,
        );
        for (name, header) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let header_at = format!("{response_at}/headers/{}", escape(name));
            let (header, _, header_at) = follow(spec, header, &header_at);
            let required = header.get("required") == Some(&Value::Bool(true));
            let schema = header.get("schema").cloned().unwrap_or(Value::Bool(true));
            let at = format!("headers/{status}/{}", escape(name));
            let schema_at = format!("{header_at}/schema");
            let mut refs = Vec::new();
            flatten(
                spec,
                &schema,
                &schema_at,
                &at,
                Side::Response,
                required,
                &mut nodes,
                &mut refs,
            );
            set_pointer(&mut nodes, &at, &header_at);
        }
    }
    Operation {
        method: method.to_uppercase(),
        path: path.to_owned(),
        operation_id: text(op.get("operationId")),
        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        pointer: shown(op_at),
        nodes,
    }
}

/// Points the node at `at` (a parameter, body or header) at its definition
/// rather than at its schema's.
fn set_pointer(nodes: &mut BTreeMap<String, Node>, at: &str, pointer: &str) {
    if let Some(node) = nodes.get_mut(at) {
        node.pointer = shown(pointer);
    }
}

/// The node of a request body or a response and the nodes of its schema
/// (the first JSON media type's, or the first media type's).
fn body_nodes(
    spec: &Value,
    (body, body_at): (&Value, &str),
    at: &str,
    side: Side,
    required: bool,
    nodes: &mut BTreeMap<String, Node>,
) {
    let content = body.get("content").and_then(Value::as_object);
    let media: Vec<&String> = content.into_iter().flatten().map(|(m, _)| m).collect();
    let schema = content.and_then(|content| {
        content
            .get_key_value("application/json")
            .or_else(|| content.iter().next())
            .and_then(|(m, v)| v.get("schema").map(|s| (m, s)))
    });
    match schema {
        Some((media, schema)) => {
            let schema_at = format!("{body_at}/content/{}/schema", escape(media));
            flatten(
                spec,
                schema,
                &schema_at,
                at,
                side,
                required,
                nodes,
                &mut Vec::new(),
            );
        }
        None => {
            nodes.insert(at.to_owned(), Node::new(side, required, "none"));
        }
    }
    set_pointer(nodes, at, body_at);
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

/// The node of `schema` (found at pointer `schema_at`) at key `at`, and the
/// nodes below it.
#[allow(
    clippy::too_many_arguments,
    reason = "one recursive walk; a struct would only rename them"
)]
fn flatten(
    spec: &Value,
    schema: &Value,
    schema_at: &str,
    at: &str,
    side: Side,
    required: bool,
    nodes: &mut BTreeMap<String, Node>,
    refs: &mut Vec<String>,
) {
    let Effective {
        schema: effective,
        name,
        origins,
        ..
    } = effective(spec, schema, schema_at, refs);
    let mut node = Node::new(side, required, "any");
    node.pointer = shown(schema_at);
    node.schema_name = name.clone();
    node.read_only = effective.get("readOnly") == Some(&Value::Bool(true));
    node.write_only = effective.get("writeOnly") == Some(&Value::Bool(true));
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
    let origin = |key: &str| origins.get(key).cloned().unwrap_or_default();
    for (property, child) in properties.into_iter().flatten() {
        let child_at = format!("{at}/{}", escape(property));
        let required = required_names.contains(property.as_str());
        let schema_at = origin(&format!("properties/{property}"));
        flatten(
            spec, child, &schema_at, &child_at, side, required, nodes, refs,
        );
    }
    for property in &required_names {
        if !properties.is_some_and(|p| p.contains_key(*property)) {
            let child_at = format!("{at}/{}", escape(property));
            let mut node = Node::new(side, true, "undefined");
            node.pointer = shown(schema_at);
            nodes.insert(child_at, node);
        }
    }
    if let Some(items) = effective.get("items") {
        let child_at = format!("{at}/[]");
        flatten(
            spec,
            items,
            &origin("items"),
            &child_at,
            side,
            false,
            nodes,
            refs,
        );
    }
    if let Some(Value::Object(map)) = additional
        && !map.is_empty()
    {
        let child_at = format!("{at}/*");
        let schema_at = origin("additionalProperties");
        let schema = Value::Object(map.clone());
        flatten(
            spec, &schema, &schema_at, &child_at, side, false, nodes, refs,
        );
    }
    if let Some((keyword, branches)) = alternatives {
        for (i, branch) in branches.iter().enumerate() {
            let child_at = format!("{at}/{keyword}/{i}");
            let schema_at = format!("{}/{i}", origin(keyword));
            flatten(
                spec, branch, &schema_at, &child_at, side, false, nodes, refs,
            );
        }
    }
    if name.is_some() {
        refs.pop();
    }
}

/// A schema with its `$ref`s followed and its layers merged.
pub(crate) struct Effective {
    /// The merged schema.
    pub schema: Map<String, Value>,
    /// The component name it was reached through.
    pub name: Option<String>,
    /// Where each subschema the walk descends into is defined, keyed
    /// `properties/<name>`, `items`, `additionalProperties`, `oneOf`, `anyOf`.
    origins: BTreeMap<String, String>,
}

/// The schema (found at pointer `at`) with `$ref`s followed and `allOf`
/// layers (and one-branch `oneOf`/`anyOf` wrappers, NSwag's way of adding
/// `nullable` to a ref) merged into one object, and the component name it was
/// reached through.
pub(crate) fn effective(spec: &Value, schema: &Value, at: &str, refs: &[String]) -> Effective {
    let (schema, name, at) = follow(spec, schema, at);
    let mut found = Effective {
        schema: Map::new(),
        name: name.clone(),
        origins: BTreeMap::new(),
    };
    let Some(map) = schema.as_object() else {
        return found;
    };
    if name.as_ref().is_some_and(|n| refs.contains(n)) {
        // A recursive schema: stop here, the node still names its type.
        return found;
    }
    let mut branch_name = None;
    let mut layers: Vec<(&Value, String)> = Vec::new();
    for (key, value) in map {
        let branches = value.as_array().into_iter().flatten().enumerate();
        match key.as_str() {
            "allOf" => layers.extend(branches.map(|(i, l)| (l, format!("{at}/allOf/{i}")))),
            "oneOf" | "anyOf" if value.as_array().is_some_and(|a| a.len() == 1) => {
                layers.extend(branches.map(|(i, l)| (l, format!("{at}/{key}/{i}"))));
            }
            _ => {
                if key == "properties" {
                    for property in value.as_object().into_iter().flat_map(|p| p.keys()) {
                        found.origins.insert(
                            format!("properties/{property}"),
                            format!("{at}/properties/{}", escape(property)),
                        );
                    }
                } else if ["items", "additionalProperties", "oneOf", "anyOf"]
                    .contains(&key.as_str())
                {
                    found.origins.insert(key.clone(), format!("{at}/{key}"));
                }
                found.schema.insert(key.clone(), value.clone());
            }
        }
    }
    let refs_below: Vec<String> = refs.iter().cloned().chain(name.clone()).collect();
    for (layer, layer_at) in layers {
        let layer = effective(spec, layer, &layer_at, &refs_below);
        if layer.name.is_some() {
            branch_name = layer.name;
        }
        // The first layer to define a subschema is where it is defined (a
        // property defined in two layers is merged, and points at the first).
        for (key, origin) in layer.origins {
            found.origins.entry(key).or_insert(origin);
        }
        merge(&mut found.schema, layer.schema);
    }
    found.name = name.or(branch_name);
    found
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
    let (target, name, _) = follow(spec, item, "");
    (target, name)
}

/// Follows local `$ref`s from `item`, found at pointer `at`: the target, the
/// last component name, and the target's pointer.
pub fn follow<'a>(
    spec: &'a Value,
    item: &'a Value,
    at: &str,
) -> (&'a Value, Option<String>, String) {
    let mut current = item;
    let mut name = None;
    let mut at = at.to_owned();
    // A bounded walk: a chain of refs longer than this is a cycle.
    for _ in 0..32 {
        let Some(pointer) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|target| target.strip_prefix('#'))
        else {
            break;
        };
        let Some(found) = spec.pointer(pointer) else {
            break;
        };
        name = Some(component_name(pointer));
        at = pointer.to_owned();
        current = found;
    }
    (current, name, at)
}

/// The generated type's name for a ref target: its last pointer token, or for
/// a whole external file, the file's stem (`schemas/pet.yaml` is `pet`).
fn component_name(pointer: &str) -> String {
    let last = pointer.rsplit('/').next().unwrap_or_default();
    let external = format!("/{EXTERNAL}/");
    if pointer
        .strip_prefix(&external)
        .is_some_and(|file| !file.contains('/'))
    {
        let file = unescape(last);
        let base = file.rsplit('/').next().unwrap_or_default();
        for extension in [".yaml", ".yml", ".json"] {
            if let Some(stem) = base.strip_suffix(extension) {
                return stem.to_owned();
            }
        }
        return base.to_owned();
    }
    last.to_owned()
}

/// A pointer into the bundled document as the user wrote it: `#/…`, or
/// `file#/…` inside an external file.
fn shown(at: &str) -> String {
    match at.strip_prefix(&format!("/{EXTERNAL}/")) {
        Some(rest) => match rest.split_once('/') {
            Some((file, inner)) => format!("{}#/{inner}", unescape(file)),
            None => unescape(rest),
        },
        None => format!("#{at}"),
    }
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The key a JSON pointer token stands for (RFC 6901).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
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
