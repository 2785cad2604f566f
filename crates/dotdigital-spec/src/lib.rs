//! The hand-maintained OpenAPI description of the two contact operations,
//! `openapi/dotdigital-contacts.yaml`, and the few things every consumer needs
//! from it: the text, a parse into [`openapiv3::OpenAPI`], and a conversion of
//! its OpenAPI 3.0 schemas into plain JSON Schema so that a standard validator
//! can check examples and requests against them.
//!
//! ```
//! let spec = dotdigital_spec::parse(dotdigital_spec::SPEC_YAML).unwrap();
//! assert_eq!(spec.openapi, "3.0.3");
//! ```
#![warn(missing_docs)]

mod json_schema;
mod reach;

pub use json_schema::{Example, SchemaDocument, escape, examples, resolve, schema_document};
pub use reach::{Side, operation_pointer, operations, parameters, reachable_schemas};

/// A validator for `schema`, a schema object of `spec` (a `$ref` to a named
/// schema, or one written inline), with its `format`s checked: the schema is
/// turned into JSON Schema by [`schema_document`] and compiled once.
///
/// ```
/// let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
/// let schema = serde_json::json!({"$ref": "#/components/schemas/ImportContactRequest"});
/// let validator = dotdigital_spec::validator(&spec, &schema).unwrap();
/// assert!(validator.is_valid(&serde_json::json!({"identifiers": {"email": "a@b.co"}})));
/// assert!(!validator.is_valid(&serde_json::json!({"lists": []})));
/// ```
#[cfg(feature = "validator")]
pub fn validator(
    spec: &serde_json::Value,
    schema: &serde_json::Value,
) -> Result<jsonschema::Validator, SpecError> {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema_document(spec, schema).0)
        .map_err(|e| SpecError(format!("not valid JSON Schema: {e}")))
}

/// Path of the spec, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/dotdigital-contacts.yaml";

/// The spec's text, as compiled into this crate.
///
/// The crate reads it through a symlink to `openapi/`, so the spec has one
/// source in the repository, and `cargo package` puts a copy in the package.
/// When `DOTDIGITAL_CONTACTS_SPEC` names a file at build time, it is that
/// file's text instead (`cargo xtask evolve` builds against changed copies).
pub const SPEC_YAML: &str = include_str!(concat!(env!("OUT_DIR"), "/spec.yaml"));

/// The spec could not be read as OpenAPI 3.0.
#[derive(Debug)]
pub struct SpecError(String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

/// Parses spec text (YAML or JSON) into the typed OpenAPI model.
///
/// ```
/// let err = dotdigital_spec::parse("openapi: 3.0.3\npaths: 7\n").unwrap_err();
/// assert!(err.to_string().contains("paths"));
/// ```
pub fn parse(text: &str) -> Result<openapiv3::OpenAPI, SpecError> {
    serde_yaml_ng::from_str(text)
        .map_err(|e| SpecError(format!("not a valid OpenAPI 3.0 document: {e}")))
}

/// Parses spec text (YAML or JSON) into an untyped JSON value.
///
/// ```
/// let doc = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).unwrap();
/// assert!(doc["paths"]["/v2/contacts/{id}"]["put"].is_object());
/// ```
pub fn to_json(text: &str) -> Result<serde_json::Value, SpecError> {
    serde_yaml_ng::from_str(text).map_err(|e| SpecError(format!("not valid YAML: {e}")))
}
