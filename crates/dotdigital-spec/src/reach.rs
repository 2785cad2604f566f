//! Which named schemas the requests and the responses of the spec reach.
//!
//! The generator makes response enums accept values the spec does not list
//! and request enums refuse them; the evolution test picks its changes by
//! side. Both ask this one walk.

use std::collections::BTreeSet;

use serde_json::Value;

/// The HTTP methods an OpenAPI path item may hold operations under.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Which side of a call a schema is reached from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// What the client sends: request bodies and parameters.
    Request,
    /// What the service answers: every response of every status, with its headers.
    Response,
}

/// Every operation of `spec` (the spec as JSON): its method, path and object.
///
/// ```
/// let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
/// let ids: Vec<_> = dotdigital_spec::operations(&spec)
///     .map(|(_, _, op)| op["operationId"].as_str().unwrap().to_owned())
///     .collect();
/// assert!(ids.contains(&"importContact".to_owned()));
/// ```
pub fn operations(spec: &Value) -> impl Iterator<Item = (&'static str, &str, &Value)> {
    spec["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |&method| {
                item.get(method)
                    .filter(|op| op.is_object())
                    .map(|op| (method, path.as_str(), op))
            })
        })
}

/// The JSON pointer of the operation at `method` and `path`.
///
/// ```
/// assert_eq!(dotdigital_spec::operation_pointer("put", "/v2/contacts/{id}"), "/paths/~1v2~1contacts~1{id}/put");
/// ```
pub fn operation_pointer(method: &str, path: &str) -> String {
    format!("/paths/{}/{method}", crate::escape(path))
}

/// The parameters an operation lists itself (not its path item's), with
/// their index in its `parameters`.
///
/// ```
/// let op = serde_json::json!({"parameters": [{"name": "a"}, {"name": "b"}]});
/// let names: Vec<_> = dotdigital_spec::parameters(&op).map(|(i, p)| (i, p["name"].as_str())).collect();
/// assert_eq!(names, [(0, Some("a")), (1, Some("b"))]);
/// ```
pub fn parameters(op: &Value) -> impl Iterator<Item = (usize, &Value)> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The names of the component schemas (`#/components/schemas/NAME`) that the
/// `side` of some operation reaches, through any depth of `$ref`s.
///
/// ```
/// use dotdigital_spec::{Side, reachable_schemas};
/// let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
/// assert!(reachable_schemas(&spec, Side::Request).contains("MergeOption"));
/// assert!(reachable_schemas(&spec, Side::Response).contains("ContactStatus"));
/// assert!(!reachable_schemas(&spec, Side::Response).contains("MergeOption"));
/// ```
pub fn reachable_schemas(spec: &Value, side: Side) -> BTreeSet<String> {
    let mut stack: Vec<&Value> = Vec::new();
    for (_, path, op) in operations(spec) {
        match side {
            Side::Request => {
                stack.push(&op["requestBody"]);
                stack.push(&op["parameters"]);
                stack.push(&spec["paths"][path]["parameters"]);
            }
            Side::Response => stack.extend(
                op["responses"]
                    .as_object()
                    .into_iter()
                    .flat_map(|responses| responses.values()),
            ),
        }
    }
    let mut found = BTreeSet::new();
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                let name = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"));
                if let Some(name) = name
                    && found.insert(name.to_owned())
                {
                    stack.push(&spec["components"]["schemas"][name]);
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}
