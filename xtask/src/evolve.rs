//! `cargo xtask evolve`: the evolution test. Each change of a catalogue is
//! applied to a scratch copy of the spec; the hand-written crates are built
//! and tested against the client generated from it, and `xtask diff` gives
//! its verdict. Additive changes must compile and pass with no hand edit; the
//! breaking ones must be called breaking.
//!
//! The catalogue is read off the spec itself (every object a request body
//! reaches, a response enum, each operation), so a schema added later is
//! covered without touching this file.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use dotdigital_spec::{Side, reachable_schemas};
use serde_json::{Value, json};

use crate::end_to_end::{self, Probe};
use crate::{Failure, cargo};
use openapi_change_classifier::{self as diff, Level, Rust};

/// The name every probe property, value, parameter and header carries.
const PROBE: &str = "evolutionProbe";

/// One change to the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A new property on a component schema, optional or required.
    AddProperty { schema: String, required: bool },
    /// A component schema's property removed.
    RemoveProperty { schema: String, property: String },
    /// A new value at the end of a component enum.
    AddEnumValue { schema: String },
    /// A new value at the end of a request enum and of the response enums
    /// that hold all its values (the service answers what it was sent).
    AddRequestEnumValue {
        request: String,
        responses: Vec<String>,
    },
    /// A new optional property on a request object and on the response
    /// object at the same path of the answer.
    AddPropertyPair {
        path: Vec<String>,
        request: String,
        response: String,
    },
    /// The last value of a component enum removed.
    RemoveEnumValue { schema: String },
    /// A new optional query parameter on an operation.
    AddQueryParameter { operation: String },
    /// A new header on an operation's first success response.
    AddResponseHeader { operation: String },
    /// A newly documented error status, with the operation's error schema.
    AddErrorStatus { operation: String, status: String },
    /// The first `n` (additive) edits of the catalogue, all applied at once.
    Together(usize),
}

impl std::fmt::Display for Edit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Edit::AddProperty {
                schema,
                required: false,
            } => write!(f, "new optional property on {schema}"),
            Edit::AddProperty {
                schema,
                required: true,
            } => write!(f, "new required property on {schema}"),
            Edit::RemoveProperty { schema, property } => {
                write!(f, "{schema}.{property} removed")
            }
            Edit::AddEnumValue { schema } => write!(f, "new value in enum {schema}"),
            Edit::AddRequestEnumValue { request, responses } => write!(
                f,
                "new value in request enum {request} (and in {})",
                responses.join(", ")
            ),
            Edit::AddPropertyPair {
                path,
                request,
                response,
            } => write!(
                f,
                "new optional property at {} ({request} and {response})",
                path.join(".")
            ),
            Edit::RemoveEnumValue { schema } => write!(f, "value removed from enum {schema}"),
            Edit::AddQueryParameter { operation } => {
                write!(f, "new optional query parameter on {operation}")
            }
            Edit::AddResponseHeader { operation } => {
                write!(f, "new response header on {operation}")
            }
            Edit::AddErrorStatus { operation, status } => {
                write!(f, "newly documented status {status} on {operation}")
            }
            Edit::Together(n) => write!(f, "all {n} additive changes at once"),
        }
    }
}

/// A catalogue entry: the change, and whether client code must survive it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The change.
    pub edit: Edit,
    /// `true`: must compile and pass with no hand edit. `false`: `xtask diff`
    /// must call it breaking (nothing is built).
    pub additive: bool,
    /// What shows the change working end to end (the binaries built from the
    /// spec with every additive change, run against each other).
    pub end_to_end: EndToEnd,
}

/// How a change is shown to work, not only to compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndToEnd {
    /// Not shown beyond compiling and the tests.
    None,
    /// By running the CLI against the sandbox (or a small server).
    Run(Probe),
    /// By a test of the crates that reads the spec it was built from, in the
    /// `cargo test` of every additive change at once.
    Test(&'static str),
}

/// The catalogue for `spec`: a new optional property on every object a
/// request body reaches and on each success response object, a new value in
/// a response enum, a new optional query parameter, a new response header and
/// a newly documented status on each operation; then the breaking side: a
/// request property removed, a new required request property, a request
/// enum value removed.
pub fn catalogue(spec: &Value) -> Vec<Case> {
    let mut catalogue = Catalogue::new(spec);
    catalogue.new_properties();
    catalogue.new_enum_values();
    catalogue.per_operation();
    catalogue.breaking();
    catalogue.cases
}

/// The catalogue being read off one spec.
struct Catalogue<'a> {
    spec: &'a Value,
    request: BTreeSet<String>,
    response: BTreeSet<String>,
    /// The import's request body and success schemas, when it has both.
    import: Option<(String, String)>,
    cases: Vec<Case>,
}

impl<'a> Catalogue<'a> {
    fn new(spec: &'a Value) -> Self {
        Catalogue {
            spec,
            request: reachable_schemas(spec, Side::Request),
            response: reachable_schemas(spec, Side::Response),
            import: import_schemas(spec),
            cases: Vec::new(),
        }
    }

    fn additive(&mut self, edit: Edit, end_to_end: EndToEnd) {
        self.cases.push(Case {
            edit,
            additive: true,
            end_to_end,
        });
    }

    fn breaking(&mut self) {
        let breaking = |edit| Case {
            edit,
            additive: false,
            end_to_end: EndToEnd::None,
        };
        if let Some(first) = self.objects(&self.request).first() {
            if let Some(property) = schema(self.spec, first)["properties"]
                .as_object()
                .and_then(|p| p.keys().next().cloned())
            {
                self.cases.push(breaking(Edit::RemoveProperty {
                    schema: first.clone(),
                    property,
                }));
            }
            self.cases.push(breaking(Edit::AddProperty {
                schema: first.clone(),
                required: true,
            }));
        }
        if let Some(name) = self.enums(&self.request).into_iter().next() {
            self.cases
                .push(breaking(Edit::RemoveEnumValue { schema: name }));
        }
    }

    /// The named schemas among `names` whose `key` passes `has`.
    fn having(&self, names: &BTreeSet<String>, has: fn(&Value) -> bool, key: &str) -> Vec<String> {
        names
            .iter()
            .filter(|name| has(&schema(self.spec, name)[key]))
            .cloned()
            .collect()
    }

    fn objects(&self, names: &BTreeSet<String>) -> Vec<String> {
        self.having(names, Value::is_object, "properties")
    }

    fn enums(&self, names: &BTreeSet<String>) -> Vec<String> {
        self.having(names, Value::is_array, "enum")
    }

    /// A new optional property on every request object (the import body's
    /// shown end to end), on a request object and its answer counterpart,
    /// and on each success schema.
    fn new_properties(&mut self) {
        let probe_path = |mut path: Vec<String>| {
            path.push(PROBE.to_owned());
            path
        };
        for name in self.objects(&self.request) {
            // The import body's own new property: a sync sends it, the sandbox
            // stores it, the answer (whose schema gains it too) carries it back.
            let end_to_end = match &self.import {
                Some((body, _)) if *body == name => EndToEnd::Run(Probe::Property {
                    path: probe_path(Vec::new()),
                    value: "sent by a sync".to_owned(),
                }),
                _ => EndToEnd::None,
            };
            let edit = Edit::AddProperty {
                schema: name,
                required: false,
            };
            self.additive(edit, end_to_end);
        }
        let pair = self
            .import
            .as_ref()
            .and_then(|(body, answer)| nested_pair(self.spec, body, answer));
        if let Some((path, request, response)) = pair {
            let edit = Edit::AddPropertyPair {
                path: path.clone(),
                request,
                response,
            };
            let probe = Probe::Property {
                path: probe_path(path),
                value: "sent nested".to_owned(),
            };
            self.additive(edit, EndToEnd::Run(probe));
        }
        for name in success_schemas(self.spec) {
            let edit = Edit::AddProperty {
                schema: name,
                required: false,
            };
            self.additive(edit, EndToEnd::None);
        }
    }

    /// A new value the service answers (at a property of the import's answer
    /// when one holds a response-only enum), a new request enum value the
    /// service answers back, and a new value of a query parameter's enum.
    fn new_enum_values(&mut self) {
        let response_only: Vec<String> = self
            .enums(&self.response)
            .into_iter()
            .filter(|n| !self.request.contains(n))
            .collect();
        let answered = self.import.as_ref().and_then(|(_, answer)| {
            property_holding(self.spec, answer, |name| {
                response_only.iter().any(|n| n == name)
            })
        });
        match (answered, response_only.first()) {
            (Some((property, name)), _) => {
                let probe = Probe::ResponseValue {
                    path: vec![property],
                    value: PROBE.to_owned(),
                };
                self.additive(Edit::AddEnumValue { schema: name }, EndToEnd::Run(probe));
            }
            (None, Some(name)) => {
                let edit = Edit::AddEnumValue {
                    schema: name.clone(),
                };
                self.additive(edit, EndToEnd::None);
            }
            (None, None) => {}
        }
        let echoed = self.import.as_ref().and_then(|(body, _)| {
            let (request, response) = (self.enums(&self.request), self.enums(&self.response));
            echoed_request_enum(self.spec, body, &request, &response)
        });
        if let Some((edit, path)) = echoed {
            let probe = Probe::RequestValue {
                path,
                value: PROBE.to_owned(),
            };
            self.additive(edit, EndToEnd::Run(probe));
        }
        if let Some(name) = query_enum(self.spec) {
            let probe = Probe::MergeOption {
                value: PROBE.to_owned(),
            };
            self.additive(Edit::AddEnumValue { schema: name }, EndToEnd::Run(probe));
        }
    }

    /// Per operation: a new optional query parameter, a new response header
    /// (read by the wrapper's spec-driven test) and a newly documented status.
    fn per_operation(&mut self) {
        for (operation, _) in operations(self.spec) {
            let edit = Edit::AddQueryParameter {
                operation: operation.clone(),
            };
            self.additive(edit, EndToEnd::None);
            let edit = Edit::AddResponseHeader {
                operation: operation.clone(),
            };
            let test =
                "dotdigital-contacts: every_header_the_spec_documents_on_a_success_is_readable";
            self.additive(edit, EndToEnd::Test(test));
            if let Some(status) = free_error_status(self.spec, &operation) {
                self.additive(Edit::AddErrorStatus { operation, status }, EndToEnd::None);
            }
        }
    }
}

/// The import operation's request body schema and success schema.
pub(crate) fn import_schemas(spec: &Value) -> Option<(String, String)> {
    let (_, op) = operations(spec)
        .into_iter()
        .find(|(id, _)| id == "importContact")?;
    let named = |schema: &Value| {
        schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map(str::to_owned)
    };
    let body = op["requestBody"]["content"]
        .as_object()?
        .values()
        .find_map(|media| named(&media["schema"]))?;
    let answer = op["responses"]
        .as_object()?
        .iter()
        .find_map(|(status, response)| {
            status.starts_with('2').then(|| {
                response["content"]
                    .as_object()
                    .and_then(|c| c.values().find_map(|media| named(&media["schema"])))
            })?
        })?;
    Some((body, answer))
}

/// The named schema a property's schema refers to.
fn ref_name(property: &Value) -> Option<&str> {
    property["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// The first object two levels below both `request` and `response` under the
/// same property names (`channelProperties.email`), with both schemas' names.
fn nested_pair(
    spec: &Value,
    request: &str,
    response: &str,
) -> Option<(Vec<String>, String, String)> {
    let pairs = |request: &str, response: &str| -> Vec<(String, String, String)> {
        schema(spec, request)["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(key, property)| {
                let theirs = &schema(spec, response)["properties"][key.as_str()];
                let (mine, theirs) = (ref_name(property)?, ref_name(theirs)?);
                let objects = schema(spec, mine)["properties"].is_object()
                    && schema(spec, theirs)["properties"].is_object();
                objects.then(|| (key.clone(), mine.to_owned(), theirs.to_owned()))
            })
            .collect()
    };
    pairs(request, response)
        .into_iter()
        .find_map(|(outer, mine, theirs)| {
            pairs(&mine, &theirs)
                .into_iter()
                .next()
                .map(|(inner, request, response)| (vec![outer.clone(), inner], request, response))
        })
}

/// A property of `object` whose schema is a named enum `wanted` accepts.
fn property_holding(
    spec: &Value,
    object: &str,
    wanted: impl Fn(&str) -> bool,
) -> Option<(String, String)> {
    schema(spec, object)["properties"]
        .as_object()?
        .iter()
        .find_map(|(key, property)| {
            ref_name(property)
                .filter(|name| wanted(name))
                .map(|name| (key.clone(), name.to_owned()))
        })
}

/// A request enum with response enums holding all its values, and the path
/// of the import body where it first appears.
fn echoed_request_enum(
    spec: &Value,
    body: &str,
    request_enums: &[String],
    response_enums: &[String],
) -> Option<(Edit, Vec<String>)> {
    let values = |name: &str| -> BTreeSet<String> {
        schema(spec, name)["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    request_enums.iter().find_map(|request| {
        let mine = values(request);
        let responses: Vec<String> = response_enums
            .iter()
            .filter(|r| !request_enums.contains(r) && mine.is_subset(&values(r)))
            .cloned()
            .collect();
        if responses.is_empty() {
            return None;
        }
        let path = path_to(spec, body, request, 3)?;
        Some((
            Edit::AddRequestEnumValue {
                request: request.clone(),
                responses,
            },
            path,
        ))
    })
}

/// The first property path (through named objects, at most `depth` deep)
/// from `object` to a property whose schema is `target`.
fn path_to(spec: &Value, object: &str, target: &str, depth: usize) -> Option<Vec<String>> {
    let properties = schema(spec, object)["properties"].as_object()?;
    for (key, property) in properties {
        match ref_name(property) {
            Some(name) if name == target => return Some(vec![key.clone()]),
            Some(name) if depth > 1 => {
                if let Some(mut rest) = path_to(spec, name, target, depth - 1) {
                    rest.insert(0, key.clone());
                    return Some(rest);
                }
            }
            _ => {}
        }
    }
    None
}

/// The named enum of the import's first query parameter that has one.
fn query_enum(spec: &Value) -> Option<String> {
    let (_, op) = operations(spec)
        .into_iter()
        .find(|(id, _)| id == "importContact")?;
    op["parameters"]
        .as_array()?
        .iter()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| ref_name(&p["schema"]))
        .find(|name| schema(spec, name)["enum"].is_array())
        .map(str::to_owned)
}

/// `spec` with `edit` applied.
pub fn apply(spec: &Value, edit: &Edit) -> Result<Value, Failure> {
    let mut spec = spec.clone();
    match edit {
        Edit::AddProperty { schema, required } => add_property(&mut spec, schema, *required)?,
        Edit::AddPropertyPair {
            request, response, ..
        } => {
            add_property(&mut spec, request, false)?;
            add_property(&mut spec, response, false)?;
        }
        Edit::RemoveProperty { schema, property } => remove_property(&mut spec, schema, property)?,
        Edit::AddEnumValue { schema } => add_enum_value(&mut spec, schema)?,
        Edit::AddRequestEnumValue { request, responses } => {
            for name in std::iter::once(request).chain(responses) {
                add_enum_value(&mut spec, name)?;
            }
        }
        Edit::RemoveEnumValue { schema } => {
            enum_values(&mut spec, schema)?.pop();
        }
        Edit::AddQueryParameter { operation } => {
            let op = operation_mut(&mut spec, operation).ok_or_else(|| missing(operation))?;
            let parameter = json!({"name": "evolution-probe", "in": "query", "required": false,
                                   "description": "Added by cargo xtask evolve.", "schema": {"type": "string"}});
            match op["parameters"].as_array_mut() {
                Some(parameters) => parameters.push(parameter),
                None => op["parameters"] = json!([parameter]),
            }
        }
        Edit::AddResponseHeader { operation } => {
            let op = operation_mut(&mut spec, operation).ok_or_else(|| missing(operation))?;
            let success = op["responses"]
                .as_object_mut()
                .and_then(|r| r.iter_mut().find(|(status, _)| status.starts_with('2')))
                .map(|(_, response)| response)
                .ok_or_else(|| missing(&format!("success response on {operation}")))?;
            success["headers"]["X-Evolution-Probe"] = json!({"description": "Added by cargo xtask evolve.", "schema": {"type": "string"}});
        }
        Edit::AddErrorStatus { operation, status } => {
            add_error_status(&mut spec, operation, status)?
        }
        Edit::Together(_) => {}
    }
    Ok(spec)
}

fn missing(what: &str) -> Failure {
    Failure::new(format!("evolve: the spec has no {what}"))
}

fn add_property(spec: &mut Value, schema: &str, required: bool) -> Result<(), Failure> {
    let target = schema_mut(spec, schema).ok_or_else(|| missing(schema))?;
    target["properties"][PROBE] =
        json!({"type": "string", "description": "Added by cargo xtask evolve."});
    if required {
        match target["required"].as_array_mut() {
            Some(required) => required.push(json!(PROBE)),
            None => target["required"] = json!([PROBE]),
        }
    }
    Ok(())
}

fn remove_property(spec: &mut Value, schema: &str, property: &str) -> Result<(), Failure> {
    let target = schema_mut(spec, schema).ok_or_else(|| missing(schema))?;
    target["properties"]
        .as_object_mut()
        .and_then(|p| p.remove(property))
        .ok_or_else(|| missing(&format!("{schema}.{property}")))?;
    if let Some(required) = target["required"].as_array_mut() {
        required.retain(|r| r != property);
    }
    Ok(())
}

fn enum_values<'a>(spec: &'a mut Value, schema: &str) -> Result<&'a mut Vec<Value>, Failure> {
    schema_mut(spec, schema)
        .and_then(|s| s["enum"].as_array_mut())
        .ok_or_else(|| missing(&format!("enum {schema}")))
}

/// Adds the probe value once: another change of the same run may have added it.
fn add_enum_value(spec: &mut Value, schema: &str) -> Result<(), Failure> {
    let values = enum_values(spec, schema)?;
    if !values.contains(&json!(PROBE)) {
        values.push(json!(PROBE));
    }
    Ok(())
}

fn add_error_status(spec: &mut Value, operation: &str, status: &str) -> Result<(), Failure> {
    let op = operation_mut(spec, operation).ok_or_else(|| missing(operation))?;
    let responses = op["responses"]
        .as_object_mut()
        .ok_or_else(|| missing(&format!("responses on {operation}")))?;
    let mut error = responses
        .iter()
        .find(|(status, _)| status.starts_with('4'))
        .map(|(_, response)| response.clone())
        .ok_or_else(|| missing(&format!("error response on {operation}")))?;
    error["description"] = json!("Added by cargo xtask evolve.");
    responses.insert(status.to_owned(), error);
    Ok(())
}

/// One row of the report.
#[derive(Debug)]
pub struct Row {
    /// The catalogue entry.
    pub case: Case,
    /// `xtask diff`'s verdict on the wire, and for Rust semver.
    pub verdict: String,
    /// Whether the verdict is what the case expects.
    pub verdict_ok: bool,
    /// For additive cases: `cargo check` of the hand-written crates.
    pub compiles: Option<cargo::Outcome>,
    /// For additive cases: `cargo test` of the hand-written crates.
    pub tests: Option<cargo::Outcome>,
    /// For cases shown end to end: what the run saw, or what went wrong.
    pub end_to_end: Option<Result<String, String>>,
}

impl Row {
    /// Whether the row is what the catalogue expects.
    pub fn ok(&self) -> bool {
        self.verdict_ok
            && self.compiles.as_ref().is_none_or(|o| o.success)
            && self.tests.as_ref().is_none_or(|o| o.success)
            && self.end_to_end.as_ref().is_none_or(Result::is_ok)
    }
}

/// How much `cargo xtask evolve` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Only `xtask diff`'s verdicts (`--no-build`).
    Nothing,
    /// `cargo check` per change, then one `cargo test` with every additive
    /// change applied together (the default: what CI runs).
    CheckEachTestTogether,
    /// `cargo check` and `cargo test` per change (`--test-each`).
    TestEach,
    /// Only the end-to-end probes, against binaries built with every
    /// additive change at once (`--end-to-end`).
    EndToEnd,
}

/// Runs the catalogue against the spec of the workspace at `root`, writing the
/// scratch specs under `scratch`.
pub fn run(root: &Path, scratch: &Path, build: Build) -> Result<(String, bool), Failure> {
    let text = crate::read_spec(root)?;
    let spec = dotdigital_spec::to_json(&text)
        .map_err(|e| Failure::new(format!("{}: {e}", dotdigital_spec::SPEC_PATH)))?;
    std::fs::create_dir_all(scratch)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", scratch.display())))?;
    let old = diff::model_of("openapi", &text)?;
    let mut rows = Vec::new();
    let mut together = spec.clone();
    let cases = catalogue(&spec);
    let last_additive = cases.iter().filter(|c| c.additive).count();
    for (index, case) in cases.into_iter().enumerate() {
        let started = Instant::now();
        let changed = apply(&spec, &case.edit)?;
        if case.additive {
            together = apply(&together, &case.edit)?;
        }
        let (path, changed_text) = write(scratch, &format!("{index:02}"), &changed)?;
        let changes = diff::diff(
            &old,
            &diff::model_of(&case.edit.to_string(), &changed_text)?,
        );
        let rust = diff::rust_semver(&changes);
        let verdict_ok = if case.additive {
            rust <= Rust::Minor && !changes.is_empty()
        } else {
            // Breaking on the wire, or for code built on the generated client
            // (a removed request property is only a warning on the wire).
            changes.iter().any(|c| c.level == Level::Error) || rust == Rust::Major
        };
        let mut row = Row {
            verdict: format!("{}; Rust: {}", diff::verdict(&changes), rust.label()),
            case,
            verdict_ok,
            compiles: None,
            tests: None,
            end_to_end: None,
        };
        if row.case.additive && matches!(build, Build::CheckEachTestTogether | Build::TestEach) {
            dotdigital_codegen::generate(&changed_text).map_err(|e| {
                Failure::new(format!("{}: the generator fails: {e}", row.case.edit))
            })?;
            (row.compiles, row.tests) = check_and_test(root, &path, build == Build::TestEach)?;
        }
        progress(&row, started);
        rows.push(row);
    }
    if matches!(build, Build::CheckEachTestTogether | Build::EndToEnd) {
        let (path, _) = write(scratch, "together", &together)?;
        let shown = if build == Build::CheckEachTestTogether {
            let started = Instant::now();
            let (compiles, tests) = check_and_test(root, &path, true)?;
            let compiled = compiles.as_ref().is_some_and(|c| c.success);
            let row = Row {
                case: Case {
                    edit: Edit::Together(last_additive),
                    additive: true,
                    end_to_end: EndToEnd::None,
                },
                verdict: String::new(),
                verdict_ok: true,
                compiles,
                tests,
                end_to_end: None,
            };
            progress(&row, started);
            rows.push(row);
            compiled
        } else {
            true
        };
        // The probes are evidence of their own: they run whenever the crates
        // compile, so a failing test elsewhere does not hide them.
        if shown {
            run_end_to_end(root, &path, &together, &mut rows)?;
        }
    }
    Ok(render(&rows))
}

/// Runs the probes of every row against the binaries built from the spec
/// with all additive changes (`together`), and records what each saw. A row
/// shown by a test is shown when that run's tests passed.
fn run_end_to_end(
    root: &Path,
    path: &Path,
    together: &Value,
    rows: &mut [Row],
) -> Result<(), Failure> {
    let started = Instant::now();
    let probes: Vec<Probe> = rows
        .iter()
        .filter_map(|row| match &row.case.end_to_end {
            EndToEnd::Run(probe) => Some(probe.clone()),
            _ => None,
        })
        .collect();
    let mut results = end_to_end::run(root, path, together, &probes)?.into_iter();
    for row in rows.iter_mut() {
        row.end_to_end = match &row.case.end_to_end {
            EndToEnd::Run(_) => results.next(),
            EndToEnd::Test(test) => Some(Ok(format!("by the test {test}"))),
            EndToEnd::None => None,
        };
    }
    eprintln!(
        "evolve: end to end, {} probes ({:.0} s)",
        probes.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `cargo check` of the hand-written crates against `spec`, then, if it
/// compiles and `test` says so, `cargo test`.
fn check_and_test(
    root: &Path,
    spec: &Path,
    test: bool,
) -> Result<(Option<cargo::Outcome>, Option<cargo::Outcome>), Failure> {
    let check = cargo::run(root, "check", &["--all-targets", "--locked"], Some(spec))?;
    let tests = if check.success && test {
        Some(cargo::run(
            root,
            "test",
            &["--locked", "--no-fail-fast"],
            Some(spec),
        )?)
    } else {
        None
    };
    Ok((Some(check), tests))
}

/// One line on stderr per catalogue row, as it finishes.
fn progress(row: &Row, started: Instant) {
    let outcome = if row.ok() {
        "as expected"
    } else {
        "NOT as expected"
    };
    eprintln!(
        "evolve: {} ({outcome}, {:.0} s)",
        row.case.edit,
        started.elapsed().as_secs_f64()
    );
}

fn write(scratch: &Path, name: &str, spec: &Value) -> Result<(PathBuf, String), Failure> {
    let path = scratch.join(format!("{name}.json"));
    let text =
        serde_json::to_string_pretty(spec).map_err(|e| Failure::new(format!("evolve: {e}")))?;
    std::fs::write(&path, &text)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
    Ok((path, text))
}

/// The report: one row per change, then the details of what went wrong.
pub fn render(rows: &[Row]) -> (String, bool) {
    let mark = |outcome: &Option<cargo::Outcome>| match outcome {
        None => "-",
        Some(o) if o.success => "yes",
        Some(_) => "NO",
    };
    let mut out = String::from(
        "| change | expected | compiles | tests pass | end to end | xtask diff | as expected |\n|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let end_to_end = match &row.end_to_end {
            None => "-".to_owned(),
            Some(Ok(seen)) => format!("yes: {seen}"),
            Some(Err(_)) => "NO".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.case.edit,
            if matches!(row.case.edit, Edit::Together(_)) {
                "builds and passes the tests"
            } else if row.case.additive {
                "builds with no hand edit"
            } else {
                "called breaking"
            },
            mark(&row.compiles),
            mark(&row.tests),
            end_to_end,
            row.verdict,
            if row.ok() { "yes" } else { "NO" },
        );
    }
    let all_ok = rows.iter().all(Row::ok);
    for row in rows.iter().filter(|r| !r.ok()) {
        let _ = writeln!(out, "\n{}:", row.case.edit);
        for outcome in [&row.compiles, &row.tests].into_iter().flatten() {
            if !outcome.success {
                out.push_str(&outcome.describe());
                out.push('\n');
            }
        }
        if let Some(Err(why)) = &row.end_to_end {
            let _ = writeln!(out, "  end to end: {why}");
        }
    }
    (out, all_ok)
}

/// Where the scratch specs go: the workspace's target directory.
pub fn scratch_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("xtask-evolve")
}

fn schema<'a>(spec: &'a Value, name: &str) -> &'a Value {
    &spec["components"]["schemas"][name]
}

fn schema_mut<'a>(spec: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    spec.get_mut("components")?
        .get_mut("schemas")?
        .get_mut(name)
}

/// `(operationId, operation)` for every operation, in path order.
fn operations(spec: &Value) -> Vec<(String, &Value)> {
    dotdigital_spec::operations(spec)
        .filter_map(|(_, _, op)| op["operationId"].as_str().map(|id| (id.to_owned(), op)))
        .collect()
}

fn operation_mut<'a>(spec: &'a mut Value, operation_id: &str) -> Option<&'a mut Value> {
    spec.get_mut("paths")?
        .as_object_mut()?
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|methods| methods.values_mut())
        .find(|op| op["operationId"] == operation_id)
}

/// The schemas of the success responses, by name.
fn success_schemas(spec: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (_, op) in operations(spec) {
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            if !status.starts_with('2') {
                continue;
            }
            for media in response["content"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values())
            {
                if let Some(name) = media["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names
}

/// An error status the operation does not document yet.
fn free_error_status(spec: &Value, operation_id: &str) -> Option<String> {
    let (_, op) = operations(spec)
        .into_iter()
        .find(|(id, _)| id == operation_id)?;
    ["404", "422", "410", "412"]
        .into_iter()
        .find(|status| op["responses"].get(*status).is_none())
        .map(str::to_owned)
}
