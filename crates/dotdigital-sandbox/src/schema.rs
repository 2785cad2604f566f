//! Walking the spec's schemas the way an answer is built: through `$ref`s
//! and `allOf` branches to a property, an array's items or an enum, and
//! projecting a stored value onto a response schema (keeping what the
//! schema has a place for). Schemas are found from an operation, never by
//! their component names, so renamed or split schemas change nothing here.

pub(crate) use dotdigital_spec::resolve;
use serde_json::{Map, Value};

/// The resolved schema and its `allOf` branches, depth first.
fn branches<'a>(spec: &'a Value, schema: &'a Value, out: &mut Vec<&'a Value>) {
    let schema = resolve(spec, schema);
    out.push(schema);
    for branch in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        branches(spec, branch, out);
    }
}

/// The schema of property `name` of an object schema.
pub(crate) fn property<'a>(spec: &'a Value, schema: &'a Value, name: &str) -> Option<&'a Value> {
    let mut all = Vec::new();
    branches(spec, schema, &mut all);
    all.iter()
        .find_map(|s| s.get("properties").and_then(|p| p.get(name)))
}

/// The names of the declared properties of an object schema.
pub(crate) fn property_names(spec: &Value, schema: &Value) -> Vec<String> {
    let mut all = Vec::new();
    branches(spec, schema, &mut all);
    all.iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect()
}

/// The `additionalProperties` schema of an object schema, when it names one
/// (`{}` or a schema). Absent or `false` gives `None`: the schema has no
/// place for properties it does not declare.
pub(crate) fn additional<'a>(spec: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    let mut all = Vec::new();
    branches(spec, schema, &mut all);
    all.iter()
        .filter_map(|s| s.get("additionalProperties"))
        .find(|a| a.is_object() || *a == &Value::Bool(true))
}

/// The schema found by following `path` from `schema`: property names, and
/// `[]` for an array's items.
pub(crate) fn at<'a>(spec: &'a Value, schema: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut current = schema;
    for step in path {
        current = if *step == "[]" {
            resolve(spec, current).get("items")?
        } else {
            property(spec, current, step)?
        };
    }
    Some(current)
}

/// The string values of an enum schema; `None` when it is not an enum.
pub(crate) fn enum_values(spec: &Value, schema: &Value) -> Option<Vec<String>> {
    let values = resolve(spec, schema).get("enum")?.as_array()?;
    Some(
        values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// `value` reduced to what `schema` has a place for: an object keeps the
/// properties the schema declares (or all, under `additionalProperties`),
/// each projected in turn; array items are projected onto `items`; anything
/// else, or a schema that says nothing of its shape, is kept as it is.
pub(crate) fn project(spec: &Value, schema: &Value, value: &Value) -> Value {
    let resolved = resolve(spec, schema);
    match value {
        Value::Object(map) if describes_object(resolved) => {
            Value::Object(project_object(spec, schema, map))
        }
        Value::Array(items) => match resolved.get("items") {
            Some(place) => items.iter().map(|v| project(spec, place, v)).collect(),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

/// [`project`] for an object.
pub(crate) fn project_object(
    spec: &Value,
    schema: &Value,
    map: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, item) in map {
        let place = property(spec, schema, name).or_else(|| additional(spec, schema));
        if let Some(place) = place {
            out.insert(name.clone(), project(spec, place, item));
        }
    }
    out
}

fn describes_object(schema: &Value) -> bool {
    ["properties", "allOf", "additionalProperties"]
        .iter()
        .any(|key| schema.get(key).is_some())
}

/// Adds `extra` into `target` where `target` has nothing yet; where both
/// hold objects, recursively. What `target` already holds wins.
pub(crate) fn fill(target: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (name, value) in extra {
        match (target.get_mut(&name), value) {
            (Some(Value::Object(inner)), Value::Object(more)) => fill(inner, more),
            (Some(_), _) => {}
            (None, value) => {
                target.insert(name, value);
            }
        }
    }
}

/// Merges `sent` into `stored` as a write does: objects merge property by
/// property, any other value replaces what was stored.
pub(crate) fn overlay(stored: &mut Map<String, Value>, sent: Map<String, Value>) {
    for (name, value) in sent {
        match (stored.get_mut(&name), value) {
            (Some(Value::Object(inner)), Value::Object(more)) => overlay(inner, more),
            (_, value) => {
                stored.insert(name, value);
            }
        }
    }
}

/// Drops objects left empty (at any depth) once their ruled properties were taken out.
pub(crate) fn prune(map: &mut Map<String, Value>) {
    map.retain(|_, value| match value {
        Value::Object(inner) => {
            prune(inner);
            !inner.is_empty()
        }
        _ => true,
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use serde_json::json;

    use super::*;

    #[test]
    fn a_value_keeps_what_the_schema_has_a_place_for() {
        let spec = json!({"components": {"schemas": {
            "Thing": {"allOf": [
                {"properties": {"a": {"type": "string"}}},
                {"properties": {"b": {"$ref": "#/components/schemas/Inner"}}},
            ]},
            "Inner": {"properties": {"c": {}}, "additionalProperties": false},
            "Map": {"additionalProperties": {}},
        }}});
        let thing = json!({"$ref": "#/components/schemas/Thing"});
        let value = json!({"a": "x", "b": {"c": {"deep": 1}, "d": 2}, "e": 3});
        assert_eq!(
            project(&spec, &thing, &value),
            json!({"a": "x", "b": {"c": {"deep": 1}}})
        );
        let map = json!({"$ref": "#/components/schemas/Map"});
        assert_eq!(project(&spec, &map, &value), value);
        assert_eq!(
            enum_values(&spec, &json!({"enum": ["p", "q"]})),
            Some(vec!["p".to_owned(), "q".to_owned()])
        );
        assert!(at(&spec, &thing, &["b", "c"]).is_some());
    }

    #[test]
    fn overlay_merges_objects_and_fill_never_overrides() {
        let mut stored = json!({"a": {"x": 1, "y": 2}, "b": 1});
        let sent = json!({"a": {"y": 3}, "b": [1]});
        overlay(
            stored.as_object_mut().unwrap(),
            sent.as_object().unwrap().clone(),
        );
        assert_eq!(stored, json!({"a": {"x": 1, "y": 3}, "b": [1]}));
        let mut answer = json!({"a": {"x": 0}});
        fill(
            answer.as_object_mut().unwrap(),
            stored.as_object().unwrap().clone(),
        );
        assert_eq!(answer, json!({"a": {"x": 0, "y": 3}, "b": [1]}));
        let mut sparse = json!({"a": {"b": {}}, "c": 1});
        prune(sparse.as_object_mut().unwrap());
        assert_eq!(sparse, json!({"c": 1}));
    }
}
