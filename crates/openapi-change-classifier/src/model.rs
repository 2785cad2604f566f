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

use crate::effective::{Effective, effective, follow, shown};
use crate::escape;

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
    /// For bodies: the media type whose schema the nodes below describe.
    pub schema_media: Option<String>,
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
    /// The nodes of each body's media types other than the one [`nodes`]
    /// describes, by `(body key, media type)`, keyed as in [`nodes`].
    ///
    /// [`nodes`]: Operation::nodes
    pub other_media: BTreeMap<(String, String), BTreeMap<String, Node>>,
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
                        operation(spec, (method, path), path_parameters.clone(), op, &op_at);
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
            schema_media: None,
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

/// The nodes of one operation, gathered by one walk over its definition.
struct Walk<'a> {
    spec: &'a Value,
    nodes: BTreeMap<String, Node>,
    /// The nodes of each body's other media types, by `(body key, media type)`.
    other_media: BTreeMap<(String, String), BTreeMap<String, Node>>,
    /// Component names on the way down: a guard against recursive schemas.
    refs: Vec<String>,
}

fn operation(
    spec: &Value,
    (method, path): (&str, &str),
    path_parameters: Option<(&Vec<Value>, String)>,
    op: &Value,
    op_at: &str,
) -> Operation {
    let mut walk = Walk {
        spec,
        nodes: BTreeMap::new(),
        other_media: BTreeMap::new(),
        refs: Vec::new(),
    };
    walk.parameters(path_parameters, op, op_at);
    if let Some(body) = op.get("requestBody") {
        let (body, _, body_at) = follow(spec, body, &format!("{op_at}/requestBody"));
        let required = body.get("required") == Some(&Value::Bool(true));
        walk.body((body, &body_at), "request", Side::Request, required);
    }
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        walk.response(status, response, op_at);
    }
    Operation {
        method: method.to_uppercase(),
        path: path.to_owned(),
        operation_id: text(op.get("operationId")),
        deprecated: op.get("deprecated") == Some(&Value::Bool(true)),
        pointer: shown(op_at),
        nodes: walk.nodes,
        other_media: walk.other_media,
    }
}

impl Walk<'_> {
    /// The path-item and operation parameters; the operation's override the
    /// path item's of the same name and place.
    fn parameters(
        &mut self,
        path_parameters: Option<(&Vec<Value>, String)>,
        op: &Value,
        op_at: &str,
    ) {
        let spec = self.spec;
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
        let mut parameters: BTreeMap<(String, String), (&Value, String)> = BTreeMap::new();
        for (param, at) in listed {
            let (param, _, at) = follow(spec, param, &at);
            let name = text(param.get("name"));
            let place = text(param.get("in"));
            parameters.insert((place, name), (param, at));
        }
        for ((place, name), (param, param_at)) in &parameters {
            let at = format!("parameters/{place}/{}", escape(name));
            self.with_schema(param, param_at, &at, Side::Parameter);
        }
    }

    /// A parameter or header: the node of its schema, pointing at itself.
    fn with_schema(&mut self, item: &Value, item_at: &str, at: &str, side: Side) {
        let required = item.get("required") == Some(&Value::Bool(true));
        let schema = item.get("schema").cloned().unwrap_or(Value::Bool(true));
        self.flatten(&schema, &format!("{item_at}/schema"), at, side, required);
        self.set_pointer(at, item_at);
    }

    /// One response: its body and its headers.
    fn response(&mut self, status: &str, response: &Value, op_at: &str) {
        let response_at = format!("{op_at}/responses/{}", escape(status));
        let (response, _, response_at) = follow(self.spec, response, &response_at);
        let at = format!("responses/{status}");
        self.body((response, &response_at), &at, Side::Response, false);
        for (name, header) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let header_at = format!("{response_at}/headers/{}", escape(name));
            let (header, _, header_at) = follow(self.spec, header, &header_at);
            let at = format!("headers/{status}/{}", escape(name));
            self.with_schema(header, &header_at, &at, Side::Response);
        }
    }

    /// Points the node at `at` (a parameter, body or header) at its
    /// definition rather than at its schema's.
    fn set_pointer(&mut self, at: &str, pointer: &str) {
        if let Some(node) = self.nodes.get_mut(at) {
            node.pointer = shown(pointer);
        }
    }

    /// The node of a request body or a response and the nodes of its schema
    /// ([`primary_media`]'s); each other media type's schema is walked apart,
    /// so that a diff can compare a media type both sides have.
    fn body(&mut self, (body, body_at): (&Value, &str), at: &str, side: Side, required: bool) {
        let content = body.get("content").and_then(Value::as_object);
        let media: Vec<&str> = content
            .into_iter()
            .flatten()
            .filter(|(_, v)| v.get("schema").is_some())
            .map(|(m, _)| m.as_str())
            .collect();
        let primary = primary_media(&media);
        for (name, value) in content.into_iter().flatten() {
            let Some(schema) = value.get("schema") else {
                continue;
            };
            let schema_at = format!("{body_at}/content/{}/schema", escape(name));
            if Some(name.as_str()) == primary {
                self.flatten(schema, &schema_at, at, side, required);
            } else {
                let before = std::mem::take(&mut self.nodes);
                self.flatten(schema, &schema_at, at, side, required);
                self.set_pointer(at, body_at);
                let other = std::mem::replace(&mut self.nodes, before);
                self.other_media
                    .insert((at.to_owned(), name.clone()), other);
            }
        }
        if primary.is_none() {
            self.nodes
                .insert(at.to_owned(), Node::new(side, required, "none"));
        }
        self.set_pointer(at, body_at);
        let all: Vec<&str> = content
            .into_iter()
            .flatten()
            .map(|(m, _)| m.as_str())
            .collect();
        if let Some(node) = self.nodes.get_mut(at)
            && !all.is_empty()
        {
            node.media = Some(all.join(", "));
            node.schema_media = primary.map(str::to_owned);
        }
    }

    /// The node of `schema` (found at pointer `schema_at`) at key `at`, and
    /// the nodes below it.
    fn flatten(&mut self, schema: &Value, schema_at: &str, at: &str, side: Side, required: bool) {
        let Effective {
            schema: effective,
            name,
            origins,
        } = effective(self.spec, schema, schema_at, &self.refs);
        let node = schema_node(&effective, name.clone(), schema_at, side, required);
        self.nodes.insert(at.to_owned(), node);
        if let Some(name) = &name {
            self.refs.push(name.clone());
        }
        let origin = |key: &str| origins.get(key).cloned().unwrap_or_default();
        self.properties(&effective, &origin, schema_at, at, side);
        if let Some(items) = effective.get("items") {
            self.flatten(items, &origin("items"), &format!("{at}/[]"), side, false);
        }
        if let Some(Value::Object(map)) = effective.get("additionalProperties")
            && !map.is_empty()
        {
            let schema = Value::Object(map.clone());
            let schema_at = origin("additionalProperties");
            self.flatten(&schema, &schema_at, &format!("{at}/*"), side, false);
        }
        if let Some((keyword, branches)) = alternatives(&effective) {
            for (i, branch) in branches.iter().enumerate() {
                let child_at = format!("{at}/{keyword}/{i}");
                let schema_at = format!("{}/{i}", origin(keyword));
                self.flatten(branch, &schema_at, &child_at, side, false);
            }
        }
        if name.is_some() {
            self.refs.pop();
        }
    }

    /// The listed properties, and a node for each required one not listed.
    fn properties(
        &mut self,
        effective: &Map<String, Value>,
        origin: &dyn Fn(&str) -> String,
        schema_at: &str,
        at: &str,
        side: Side,
    ) {
        let properties = effective.get("properties").and_then(Value::as_object);
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
            let child_schema_at = origin(&format!("properties/{property}"));
            self.flatten(child, &child_schema_at, &child_at, side, required);
        }
        for property in &required_names {
            if !properties.is_some_and(|p| p.contains_key(*property)) {
                let mut node = Node::new(side, true, "undefined");
                node.pointer = shown(schema_at);
                self.nodes
                    .insert(format!("{at}/{}", escape(property)), node);
            }
        }
    }
}

/// The media type whose schema a body's nodes describe: `application/json`,
/// else the first (of those with a schema).
pub fn primary_media<'a>(media: &[&'a str]) -> Option<&'a str> {
    media
        .iter()
        .find(|m| **m == "application/json")
        .or_else(|| media.first())
        .copied()
}

/// `oneOf` or `anyOf` and its branches, if the schema has them.
fn alternatives(effective: &Map<String, Value>) -> Option<(&'static str, &Vec<Value>)> {
    ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| effective.get(k).and_then(Value::as_array).map(|a| (k, a)))
}

/// The node of one merged schema: the facts a client depends on.
fn schema_node(
    effective: &Map<String, Value>,
    name: Option<String>,
    schema_at: &str,
    side: Side,
    required: bool,
) -> Node {
    let flag = |key: &str| effective.get(key) == Some(&Value::Bool(true));
    let mut node = Node::new(side, required, "any");
    node.pointer = shown(schema_at);
    node.schema_name = name;
    node.read_only = flag("readOnly");
    node.write_only = flag("writeOnly");
    node.nullable = flag("nullable");
    if let Some(ty) = effective.get("type").and_then(Value::as_str) {
        node.ty = ty.to_owned();
    }
    node.format = effective
        .get("format")
        .and_then(Value::as_str)
        .map(str::to_owned);
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
    let is_object = node.ty == "object" || effective.get("properties").is_some();
    if is_object && node.ty == "any" {
        node.ty = "object".to_owned();
    }
    if is_object {
        node.additional = Some(match effective.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Closed,
            Some(Value::Object(map)) if !map.is_empty() => Additional::Typed,
            _ => Additional::Open,
        });
    }
    if let Some((keyword, _)) = alternatives(effective)
        && node.ty == "any"
    {
        node.ty = keyword.to_owned();
    }
    node
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
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
