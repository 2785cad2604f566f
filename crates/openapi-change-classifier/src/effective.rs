//! A schema as the model reads it: `$ref`s followed (local ones, and those
//! into external files the [`Source`](crate::Source) bundled) and `allOf`
//! layers merged into one object, with where each subschema is written.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::source::EXTERNAL;
use crate::{escape, unescape};

/// A schema with its `$ref`s followed and its layers merged.
pub(crate) struct Effective {
    /// The merged schema.
    pub schema: Map<String, Value>,
    /// The component name it was reached through.
    pub name: Option<String>,
    /// Where each subschema the walk descends into is defined, keyed
    /// `properties/<name>`, `items`, `additionalProperties`, `oneOf`, `anyOf`.
    pub origins: BTreeMap<String, String>,
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

/// Follows local `$ref`s from `item`, found at pointer `at`: the target, the
/// last component name, and the target's pointer.
pub(crate) fn follow<'a>(
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
pub(crate) fn shown(at: &str) -> String {
    match at.strip_prefix(&format!("/{EXTERNAL}/")) {
        Some(rest) => match rest.split_once('/') {
            Some((file, inner)) => format!("{}#/{inner}", unescape(file)),
            None => unescape(rest),
        },
        None => format!("#{at}"),
    }
}
