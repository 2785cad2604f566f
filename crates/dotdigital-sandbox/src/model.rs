//! The sandbox's one model of the spec, built once when a sandbox starts,
//! from `dotdigital_spec::SPEC_YAML` or from the text given to
//! [`SandboxBuilder::spec`](crate::SandboxBuilder::spec): both operations
//! (request, parameter and answer schemas, compiled), the built-in identifier
//! names and their value rules, the merge options, and the values each
//! answer can report. Everything is found by walking from an operation
//! (`requestBody`, `parameters`, `responses`), never by a schema's name.

use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::error::{ApiError, Detail};
use crate::schema;
use crate::validate;

/// The path identifier that is not a property of `identifiers`: a contact's
/// id can be looked up but never sent (Dotdigital's rule).
pub(crate) const CONTACT_ID: &str = "contactId";

/// The spec, as the sandbox uses it.
pub(crate) struct Model {
    spec: Value,
    import: Operation,
    update: Operation,
    /// Properties of the import request's `identifiers`, with their value schema.
    identifiers: Vec<(String, Validator)>,
    /// Where each stored enum value shows in an answer, and what it may be there.
    places: Vec<Place>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").finish_non_exhaustive()
    }
}

/// One operation: its request body, parameters and success answer.
struct Operation {
    request: Validator,
    parameters: Vec<(String, Value, Validator)>,
    answer_schema: Value,
    answer: Validator,
}

/// A stored enum value with a rule of its own, reported in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reported {
    EmailType,
    OptInType,
    EmailStatus,
    SmsStatus,
    WhatsAppStatus,
}

/// Which answer shows a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V3,
    V2,
}

/// Where answers show a stored value (a dotted path into the answer).
const PLACES: [(Reported, Api, &str); 10] = [
    (
        Reported::EmailType,
        Api::V3,
        "channelProperties.email.emailType",
    ),
    (Reported::EmailType, Api::V2, "emailType"),
    (
        Reported::OptInType,
        Api::V3,
        "channelProperties.email.optInType",
    ),
    (Reported::OptInType, Api::V2, "optInType"),
    (
        Reported::EmailStatus,
        Api::V3,
        "channelProperties.email.status",
    ),
    (Reported::EmailStatus, Api::V3, "status"),
    (Reported::EmailStatus, Api::V2, "status"),
    (Reported::SmsStatus, Api::V3, "channelProperties.sms.status"),
    (Reported::SmsStatus, Api::V3, "status"),
    (
        Reported::WhatsAppStatus,
        Api::V3,
        "channelProperties.whatsApp.status",
    ),
];

/// Values the sandbox's own rules store: new contacts' defaults, v2's type
/// resets, `verifiedDouble`'s `Double` and `pendingOptIn`.
const RULE_VALUES: [(Reported, &str); 7] = [
    (Reported::EmailType, "PlainText"),
    (Reported::OptInType, "Unknown"),
    (Reported::OptInType, "Double"),
    (Reported::EmailStatus, "subscribed"),
    (Reported::EmailStatus, "pendingOptIn"),
    (Reported::SmsStatus, "noSubscription"),
    (Reported::WhatsAppStatus, "noSubscription"),
];

#[derive(Debug)]
struct Place {
    reported: Reported,
    api: Api,
    path: &'static str,
    /// `None`: the answer schema takes any value there.
    values: Option<Vec<String>>,
}

impl Model {
    /// Parses `text` (YAML or JSON) and compiles what the sandbox needs; the
    /// message says what is missing.
    pub fn new(text: &str) -> Result<Self, String> {
        let spec = dotdigital_spec::to_json(text).map_err(|e| e.to_string())?;
        let import = Operation::new(&spec, "importContact")?;
        let update = Operation::new(&spec, "updateContact")?;
        let identifiers_schema = import_request_schema(&spec)
            .and_then(|request| schema::property(&spec, request, "identifiers"))
            .ok_or("importContact's request has no identifiers")?;
        let mut identifiers = Vec::new();
        for name in schema::property_names(&spec, identifiers_schema) {
            let property = schema::property(&spec, identifiers_schema, &name)
                .ok_or_else(|| format!("identifiers.{name} has no schema"))?;
            identifiers.push((name.clone(), validate::compile(&spec, property, &name)?));
        }
        for needed in [crate::identifier::EMAIL, crate::identifier::MOBILE_NUMBER] {
            if !identifiers.iter().any(|(name, _)| name == needed) {
                return Err(format!(
                    "importContact's identifiers has no {needed}, which the sandbox's rules need"
                ));
            }
        }
        let places = PLACES
            .iter()
            .map(|&(reported, api, path)| {
                let answer = match api {
                    Api::V3 => &import.answer_schema,
                    Api::V2 => &update.answer_schema,
                };
                let steps: Vec<&str> = path.split('.').collect();
                Place {
                    reported,
                    api,
                    path,
                    values: schema::at(&spec, answer, &steps)
                        .and_then(|s| schema::enum_values(&spec, s)),
                }
            })
            .collect();
        let model = Self {
            spec,
            import,
            update,
            identifiers,
            places,
        };
        for (reported, value) in RULE_VALUES {
            model.reportable(reported, value).map_err(|e| {
                format!("a value the sandbox's rules store cannot be answered: {e}")
            })?;
        }
        Ok(model)
    }

    /// Problems of a v3 import body; empty when it is valid.
    pub fn check_import(&self, body: &Value) -> Vec<Detail> {
        validate::details(&self.import.request, body)
    }

    /// Problems of a v2 update body; empty when it is valid.
    pub fn check_update(&self, body: &Value) -> Vec<Detail> {
        validate::details(&self.update.request, body)
    }

    /// Checks a v3 parameter's text against its schema; the error names it.
    pub fn check_parameter(&self, name: &str, raw: &str) -> Result<(), ApiError> {
        let Some((_, _, validator)) = self.import.parameters.iter().find(|(n, ..)| n == name)
        else {
            return Ok(());
        };
        let problems = validate::details(validator, &Value::from(raw));
        match problems.into_iter().next() {
            None => Ok(()),
            Some(problem) => Err(ApiError::field(
                "server:badRequest",
                name,
                problem.description,
            )),
        }
    }

    /// The `default` of a v3 parameter's schema.
    pub fn parameter_default(&self, name: &str) -> Option<&str> {
        let (_, schema, _) = self.import.parameters.iter().find(|(n, ..)| n == name)?;
        schema::resolve(&self.spec, schema)
            .get("default")
            .and_then(Value::as_str)
    }

    /// The value rule of a built-in identifier (a property of `identifiers`).
    pub fn identifier_rule(&self, name: &str) -> Option<&Validator> {
        self.identifiers
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, rule)| rule)
    }

    /// Whether `name` is a built-in identifier, which no custom one may shadow.
    pub fn is_builtin_identifier(&self, name: &str) -> bool {
        name == CONTACT_ID || self.identifier_rule(name).is_some()
    }

    /// Whether every answer that shows `reported` can show `value`; the
    /// error says where it cannot and what it could show.
    pub fn reportable(&self, reported: Reported, value: &str) -> Result<(), String> {
        for place in self.places.iter().filter(|p| p.reported == reported) {
            // v2 spells statuses in PascalCase (`PendingOptIn`) where v3 uses camelCase.
            let shown = if place.api == Api::V2 && reported == Reported::EmailStatus {
                crate::contact::upper_first(value)
            } else {
                value.to_owned()
            };
            if let Some(values) = &place.values
                && !values.contains(&shown)
            {
                let api = match place.api {
                    Api::V3 => "a v3 Contact",
                    Api::V2 => "a v2 ApiContact",
                };
                return Err(format!(
                    "{api} reports {} as one of {}, which has no '{shown}'",
                    place.path,
                    values.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// A v3 answer: `ruled` (built by the sandbox's rules) completed with
    /// what `sent` holds and the answer schema has a place for.
    pub fn v3_answer(&self, ruled: Map<String, Value>, sent: &Map<String, Value>) -> Value {
        answer(&self.spec, &self.import.answer_schema, ruled, sent)
    }

    /// A v2 answer, as [`Model::v3_answer`].
    pub fn v2_answer(&self, ruled: Map<String, Value>, sent: &Map<String, Value>) -> Value {
        answer(&self.spec, &self.update.answer_schema, ruled, sent)
    }

    /// Where a v3 answer breaks the answer schema; empty when it conforms.
    pub fn check_v3_answer(&self, answer: &Value) -> Vec<Detail> {
        validate::details(&self.import.answer, answer)
    }

    /// Where a v2 answer breaks the answer schema; empty when it conforms.
    pub fn check_v2_answer(&self, answer: &Value) -> Vec<Detail> {
        validate::details(&self.update.answer, answer)
    }
}

fn answer(
    spec: &Value,
    schema: &Value,
    mut ruled: Map<String, Value>,
    sent: &Map<String, Value>,
) -> Value {
    if !sent.is_empty() {
        schema::fill(&mut ruled, schema::project_object(spec, schema, sent));
    }
    Value::Object(ruled)
}

fn import_request_schema(spec: &Value) -> Option<&Value> {
    let (_, operation) = find_operation(spec, "importContact")?;
    operation.pointer("/requestBody/content/application~1json/schema")
}

/// The path item key and the operation object with this `operationId`.
fn find_operation<'a>(spec: &'a Value, operation_id: &str) -> Option<(&'a str, &'a Value)> {
    spec.get("paths")?
        .as_object()?
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(_, op)| (path.as_str(), op))
        })
        .find(|(_, op)| op.get("operationId").and_then(Value::as_str) == Some(operation_id))
}

impl Operation {
    fn new(spec: &Value, operation_id: &str) -> Result<Self, String> {
        let (_, operation) = find_operation(spec, operation_id)
            .ok_or_else(|| format!("the spec has no operation {operation_id}"))?;
        let request = operation
            .pointer("/requestBody/content/application~1json/schema")
            .ok_or_else(|| format!("{operation_id} has no JSON request body schema"))?;
        let answer_schema = ["200", "201"]
            .iter()
            .find_map(|status| {
                operation.pointer(&format!(
                    "/responses/{status}/content/application~1json/schema"
                ))
            })
            .ok_or_else(|| format!("{operation_id} has no JSON success answer"))?
            .clone();
        let mut parameters = Vec::new();
        for parameter in operation
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let parameter = schema::resolve(spec, parameter);
            let (Some(name), Some(schema)) = (
                parameter.get("name").and_then(Value::as_str),
                parameter.get("schema"),
            ) else {
                continue;
            };
            let validator = validate::compile(spec, schema, name)?;
            parameters.push((name.to_owned(), schema.clone(), validator));
        }
        Ok(Self {
            request: validate::compile(spec, request, operation_id)?,
            answer: validate::compile(spec, &answer_schema, operation_id)?,
            parameters,
            answer_schema,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use super::*;

    #[test]
    fn the_model_reads_identifiers_defaults_and_reportable_values_from_the_spec() {
        let model = Model::new(dotdigital_spec::SPEC_YAML).unwrap();
        assert!(model.is_builtin_identifier("email"));
        assert!(model.is_builtin_identifier("contactId"));
        assert!(!model.is_builtin_identifier("crmId"));
        assert_eq!(model.parameter_default("merge-option"), Some("overwrite"));
        assert!(model.reportable(Reported::EmailType, "Html").is_ok());
        let error = model.reportable(Reported::EmailType, "Amp").unwrap_err();
        assert!(
            error.contains("channelProperties.email.emailType"),
            "{error}"
        );
        assert!(model.check_parameter("identifier", "bad name").is_err());
        assert!(Model::new("openapi: 3.0.3\npaths: {}\n").is_err());
    }
}
