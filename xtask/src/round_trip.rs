//! The round trip: the JSON Schema schemars derives from each generated type
//! (the client's `schemars` feature) against the spec's own schema, so a
//! generator that loses meaning (a `nullable`, a limit, an enum value, an
//! `additionalProperties`) fails `cargo xtask check`, not a user.
//!
//! Both sides are normalised: `$ref`s resolved (or compared by name when
//! both sides name a schema, which is checked on its own), OpenAPI's
//! `nullable` and schemars' `anyOf [T, null]` read as one flag, descriptions,
//! titles and examples set aside. What is left must agree, except where a
//! rule of [`ALLOWED`] says why it may not.
//!
//! xtask never compiles the generated client: the derived schemas come from
//! a child cargo running the client's `json_schemas` example.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value};

use crate::Failure;

/// A difference the check allows, with its reason.
#[derive(Debug)]
pub struct Allowance {
    /// The rule's id, named in the report.
    pub id: &'static str,
    /// Why the generated type may differ from the spec here.
    pub reason: &'static str,
}

/// Every difference the round trip allows: the one place they are listed.
pub const ALLOWED: &[Allowance] = &[
    OPEN_RESPONSE_ENUM,
    OPTIONAL_READS_NULL,
    ONE_OF_AS_ANY_OF,
    FORMAT_NOT_CHECKED,
    DEFAULT_AS_DEFAULT_IMPL,
];

/// Response enums accept any string (`Other(String)`, codegen `open_enums.rs`).
pub const OPEN_RESPONSE_ENUM: Allowance = Allowance {
    id: "open-response-enum",
    reason: "an enum a response reaches is open: the type keeps a value the spec does not list \
             (`Other(String)`, so an answer from a newer service is not an error); its schema is \
             a string that accepts any value",
};

/// typify makes a property that is not required an `Option`, which reads `null` as absent.
pub const OPTIONAL_READS_NULL: Allowance = Allowance {
    id: "optional-reads-null",
    reason: "a property that is not required is an `Option`; serde reads `null` as absent (and \
             never sends it), so the type accepts `null` where the spec says nothing of it. Only \
             for properties that are not required: a required one that turns nullable, or a \
             nullable one that no longer is, fails",
};

/// typify's untagged enum for a `oneOf` of disjoint types.
pub const ONE_OF_AS_ANY_OF: Allowance = Allowance {
    id: "one-of-as-any-of",
    reason: "a `oneOf` becomes an untagged enum, which takes the first variant that fits: \
             schemars says `anyOf`. The branches are still compared one by one, in order",
};

/// A `format` that typify keeps as a plain `String`.
pub const FORMAT_NOT_CHECKED: Allowance = Allowance {
    id: "format-not-checked",
    reason: "a string `format` typify has no type for (`uri`) is a plain `String`: the client \
             does not check it (the service does), so the derived schema has no `format`",
};

/// A `default` typify turns into a `Default` impl.
pub const DEFAULT_AS_DEFAULT_IMPL: Allowance = Allowance {
    id: "default-as-default-impl",
    reason: "a named schema's `default` becomes the type's `Default` impl (what the builders \
             fill in); schemars 0.8 writes `default` only for struct fields with \
             `#[serde(default)]`, so the derived schema has none. A `default` that the derived \
             schema states must still equal the spec's",
};

/// A disagreement between the spec and the derived schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where, as a JSON pointer into the spec (`#/components/schemas/X/properties/y`).
    pub pointer: String,
    /// The spec's value (`None`: absent).
    pub spec: Option<Value>,
    /// The derived value (`None`: absent).
    pub derived: Option<Value>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Value>| v.as_ref().map_or("(absent)".to_owned(), Value::to_string);
        write!(
            f,
            "{}: spec {}, derived {}",
            self.pointer,
            show(&self.spec),
            show(&self.derived)
        )
    }
}

/// What the round trip found.
#[derive(Debug, Default)]
pub struct Report {
    /// Disagreements no rule allows.
    pub differences: Vec<Difference>,
    /// Where a rule allowed a difference: rule id and pointer.
    pub allowed: Vec<(&'static str, String)>,
    /// How many spec schemas were compared.
    pub compared: usize,
}

impl Report {
    /// One line per difference (or a summary), ready to print.
    pub fn render(&self) -> String {
        if self.differences.is_empty() {
            let mut rules: Vec<&str> = self.allowed.iter().map(|(id, _)| *id).collect();
            rules.sort_unstable();
            rules.dedup();
            let counts: Vec<String> = rules
                .iter()
                .map(|id| {
                    let n = self.allowed.iter().filter(|(r, _)| r == id).count();
                    format!("{id} ×{n}")
                })
                .collect();
            return format!(
                "the derived JSON Schemas of {} spec schemas mean what the spec says (allowed: {})",
                self.compared,
                if counts.is_empty() {
                    "none".to_owned()
                } else {
                    counts.join(", ")
                }
            );
        }
        let mut out = format!(
            "the JSON Schema derived from the generated types differs from the spec ({} place(s); \
             no rule of xtask/src/round_trip.rs ALLOWED covers them):\n",
            self.differences.len()
        );
        for difference in &self.differences {
            out.push_str(&format!("  {difference}\n"));
        }
        out
    }
}

/// Runs the client's `json_schemas` example in a child cargo, with the spec
/// at `root`: every derived schema, by type name.
pub fn derived_schemas(root: &Path) -> Result<Value, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "-p",
            "dotdigital-contacts-api",
            "--features",
            "schemars",
            "--example",
            "json_schemas",
        ])
        .env_remove(crate::cargo::SPEC_VAR)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .map_err(|e| Failure::new(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        return Err(Failure::new(format!(
            "the client's json_schemas example failed (cargo run -p dotdigital-contacts-api \
             --features schemars --example json_schemas):\n{}",
            lines[lines.len().saturating_sub(20)..].join("\n")
        )));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| Failure::new(format!("the json_schemas example printed no JSON: {e}")))
}

/// Compares every schema a request or a response reaches with the schema
/// derived from its generated type (`derived`: type name to root schema).
pub fn compare(spec: &Value, derived: &Value) -> Report {
    use dotdigital_spec::{Side, reachable_schemas};
    let response = reachable_schemas(spec, Side::Response);
    let mut names = reachable_schemas(spec, Side::Request);
    names.extend(response.iter().cloned());
    let mut report = Report::default();
    for name in &names {
        let pointer = format!("#/components/schemas/{}", dotdigital_spec::escape(name));
        let type_name = dotdigital_codegen::type_name(name);
        let Some(root) = derived.get(&type_name) else {
            report.differences.push(Difference {
                pointer,
                spec: Some(Value::String(name.clone())),
                derived: None,
            });
            continue;
        };
        let empty = Value::Object(Map::new());
        let mut walk = Walk {
            spec,
            definitions: root.get("definitions").unwrap_or(&empty),
            response: &response,
            report: &mut report,
        };
        let schema = &spec["components"]["schemas"][name.as_str()];
        walk.compare(&pointer, schema, root, Some(name), false, 0);
        report.compared += 1;
    }
    report
}

/// Keys that carry no meaning for a value's validity.
const SET_ASIDE: [&str; 8] = [
    "description",
    "title",
    "example",
    "examples",
    "$schema",
    "definitions",
    "externalDocs",
    "deprecated",
];

struct Walk<'a> {
    spec: &'a Value,
    definitions: &'a Value,
    response: &'a BTreeSet<String>,
    report: &'a mut Report,
}

impl Walk<'_> {
    fn differ(&mut self, pointer: String, spec: Option<&Value>, derived: Option<&Value>) {
        self.report.differences.push(Difference {
            pointer,
            spec: spec.cloned(),
            derived: derived.cloned(),
        });
    }

    fn allow(&mut self, rule: &Allowance, pointer: &str) {
        self.report.allowed.push((rule.id, pointer.to_owned()));
    }

    /// `optional`: the schema is a property that is not required.
    /// `name`: the spec schema's name, when `spec` is a named schema.
    fn compare(
        &mut self,
        at: &str,
        spec: &Value,
        derived: &Value,
        name: Option<&str>,
        optional: bool,
        depth: usize,
    ) {
        if depth > 32 {
            return;
        }
        let (derived_null, d) = derived_nullable(strip(derived));
        let d = strip(&d);
        let s = strip(spec);
        let spec_ref = ref_name(&s, "#/components/schemas/").map(str::to_owned);
        let derived_ref = ref_name(&d, "#/definitions/").map(str::to_owned);
        let (s, name) = match &spec_ref {
            Some(a) => (
                strip(&self.spec["components"]["schemas"][a.as_str()]),
                Some(a.as_str()),
            ),
            None => (s, name),
        };
        let (spec_null, s) = spec_nullable(s);
        // A named schema's own `nullable` is checked where it is used:
        // typify makes the use an `Option`, not the type.
        if depth > 0 && spec_null != derived_null {
            if derived_null && optional {
                self.allow(&OPTIONAL_READS_NULL, at);
            } else {
                self.differ(
                    format!("{at}/nullable"),
                    Some(&Value::Bool(spec_null)),
                    Some(&Value::Bool(derived_null)),
                );
            }
        }
        if let (Some(a), Some(b)) = (&spec_ref, &derived_ref) {
            // Both name a schema, which is compared on its own.
            if dotdigital_codegen::type_name(a) != *b {
                self.differ(
                    format!("{at}/$ref"),
                    Some(&Value::String(a.clone())),
                    Some(&Value::String(b.clone())),
                );
            }
            return;
        }
        let d = match &derived_ref {
            Some(b) => strip(&self.definitions[b.as_str()]),
            None => d,
        };
        self.keywords(at, s, d, name, depth);
    }

    fn keywords(
        &mut self,
        at: &str,
        mut s: Map<String, Value>,
        mut d: Map<String, Value>,
        name: Option<&str>,
        depth: usize,
    ) {
        self.set_aside_allowed(at, &mut s, &mut d, name, depth);
        let required = set(s.get("required"));
        if required != set(d.get("required")) {
            self.differ(
                format!("{at}/required"),
                s.get("required"),
                d.get("required"),
            );
        }
        if set(s.get("enum")) != set(d.get("enum")) {
            self.differ(format!("{at}/enum"), s.get("enum"), d.get("enum"));
        }
        self.properties(at, &s, &d, &required, depth);
        self.additional_and_items(at, &s, &d, depth);
        self.other_keywords(at, &s, &d);
    }

    /// The differences typify makes on purpose: each is counted under its
    /// rule and its keywords set aside (a `oneOf` as `anyOf` is compared
    /// branch by branch).
    fn set_aside_allowed(
        &mut self,
        at: &str,
        s: &mut Map<String, Value>,
        d: &mut Map<String, Value>,
        name: Option<&str>,
        depth: usize,
    ) {
        // An open response enum: a string that accepts any value.
        if let Some(name) = name
            && self.response.contains(name)
            && s.contains_key("enum")
            && !d.contains_key("enum")
            && d.get("type") == Some(&Value::String("string".into()))
        {
            self.allow(&OPEN_RESPONSE_ENUM, at);
            s.remove("enum");
        }
        if let (Some(Value::Array(one_of)), Some(Value::Array(any_of))) =
            (s.get("oneOf"), d.get("anyOf"))
            && one_of.len() == any_of.len()
        {
            self.allow(&ONE_OF_AS_ANY_OF, at);
            let pairs: Vec<(Value, Value)> =
                one_of.iter().cloned().zip(any_of.iter().cloned()).collect();
            for (i, (a, b)) in pairs.iter().enumerate() {
                self.compare(&format!("{at}/oneOf/{i}"), a, b, None, false, depth + 1);
            }
            s.remove("oneOf");
            d.remove("anyOf");
        }
        if s.contains_key("format")
            && !d.contains_key("format")
            && s.get("format") == Some(&Value::String("uri".into()))
        {
            self.allow(&FORMAT_NOT_CHECKED, at);
            s.remove("format");
        }
        if s.contains_key("default") && !d.contains_key("default") {
            self.allow(&DEFAULT_AS_DEFAULT_IMPL, at);
            s.remove("default");
        }
    }

    /// Every property of either side, compared by name.
    fn properties(
        &mut self,
        at: &str,
        s: &Map<String, Value>,
        d: &Map<String, Value>,
        required: &BTreeSet<String>,
        depth: usize,
    ) {
        let empty = Map::new();
        let sp = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone();
        let dp = d
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty)
            .clone();
        let keys: BTreeSet<&String> = sp.keys().chain(dp.keys()).collect();
        for key in keys {
            let pointer = format!("{at}/properties/{}", dotdigital_spec::escape(key));
            match (sp.get(key), dp.get(key)) {
                (Some(a), Some(b)) => {
                    let optional = !required.contains(&Value::String(key.clone()).to_string());
                    self.compare(&pointer, a, b, None, optional, depth + 1);
                }
                (a, b) => self.differ(pointer, a, b),
            }
        }
    }

    fn additional_and_items(
        &mut self,
        at: &str,
        s: &Map<String, Value>,
        d: &Map<String, Value>,
        depth: usize,
    ) {
        let (sa, da) = (
            additional(s.get("additionalProperties")),
            additional(d.get("additionalProperties")),
        );
        match (&sa, &da) {
            (Value::Object(_), Value::Object(_)) => {
                self.compare(
                    &format!("{at}/additionalProperties"),
                    &sa,
                    &da,
                    None,
                    false,
                    depth + 1,
                );
            }
            _ if sa != da => {
                self.differ(format!("{at}/additionalProperties"), Some(&sa), Some(&da))
            }
            _ => {}
        }
        match (s.get("items"), d.get("items")) {
            (Some(a), Some(b)) => {
                let (a, b) = (a.clone(), b.clone());
                self.compare(&format!("{at}/items"), &a, &b, None, false, depth + 1);
            }
            (None, None) => {}
            (a, b) => self.differ(format!("{at}/items"), a, b),
        }
    }

    /// Every other keyword (type, format, pattern, limits): equal or a difference.
    fn other_keywords(&mut self, at: &str, s: &Map<String, Value>, d: &Map<String, Value>) {
        let handled = [
            "required",
            "enum",
            "properties",
            "additionalProperties",
            "items",
        ];
        let keys: BTreeSet<&String> = s
            .keys()
            .chain(d.keys())
            .filter(|k| !handled.contains(&k.as_str()))
            .collect();
        for key in keys {
            if s.get(key) != d.get(key) {
                self.differ(
                    format!("{at}/{}", dotdigital_spec::escape(key)),
                    s.get(key),
                    d.get(key),
                );
            }
        }
    }
}

/// The schema as an object without the keys set aside; `true` is `{}`.
/// A `$ref` or `allOf: [one]` with siblings (schemars wraps a described
/// reference so) becomes the reference.
fn strip(schema: &Value) -> Map<String, Value> {
    let mut map = match schema {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    for key in SET_ASIDE {
        map.remove(key);
    }
    if let Some(Value::Array(all_of)) = map.get("allOf")
        && let [one] = all_of.as_slice()
        && map.len() == 1
    {
        return strip(one);
    }
    map
}

fn ref_name<'a>(map: &'a Map<String, Value>, prefix: &str) -> Option<&'a str> {
    map.get("$ref")?.as_str()?.strip_prefix(prefix)
}

/// OpenAPI's `nullable: true`, taken out.
fn spec_nullable(mut map: Map<String, Value>) -> (bool, Map<String, Value>) {
    let nullable = map.remove("nullable") == Some(Value::Bool(true));
    (nullable, map)
}

/// schemars' `anyOf: [T, {type: null}]` or `type: [t, "null"]`, taken out.
fn derived_nullable(mut map: Map<String, Value>) -> (bool, Value) {
    let null = Value::String("null".into());
    if let Some(Value::Array(any_of)) = map.get("anyOf")
        && any_of.len() == 2
        && let Some(i) = any_of.iter().position(|b| b.get("type") == Some(&null))
    {
        let other = any_of[1 - i].clone();
        map.remove("anyOf");
        let mut other = strip(&other);
        // Keep siblings (none but set-aside ones in practice).
        for (k, v) in map {
            other.entry(k).or_insert(v);
        }
        return (true, Value::Object(other));
    }
    if let Some(Value::Array(types)) = map.get("type")
        && types.contains(&null)
    {
        let rest: Vec<Value> = types.iter().filter(|t| **t != null).cloned().collect();
        let rest = match rest.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(rest),
        };
        map.insert("type".into(), rest);
        return (true, Value::Object(map));
    }
    (false, Value::Object(map))
}

/// `additionalProperties`: absent, `true` and `{}` all allow any value.
fn additional(value: Option<&Value>) -> Value {
    match value {
        None | Some(Value::Bool(true)) => Value::Bool(true),
        Some(Value::Object(map)) if strip(&Value::Object(map.clone())).is_empty() => {
            Value::Bool(true)
        }
        Some(other) => other.clone(),
    }
}

fn set(value: Option<&Value>) -> BTreeSet<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(Value::to_string)
        .collect()
}
