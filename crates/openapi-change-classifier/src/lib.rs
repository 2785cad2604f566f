//! Every change between two OpenAPI 3.0 documents, classified for the
//! clients of the API: a stable rule id in oasdiff's style
//! (`request-property-enum-value-removed`), a level (error: breaking;
//! warning: a behaviour change a client may notice; info), the JSON pointer
//! (and, from the document's text, the line) of both sides, and the semver
//! bump a Rust client generated with `#[non_exhaustive]` types needs.
//!
//! Both documents are first read into one flat [`Model`]: a node per
//! parameter, body, property, status and header, with `$ref`s (local or to
//! relative files) followed and `allOf` layers merged, so a flat spec and a
//! layered one compare. The direction a value travels decides what a change
//! does: a value the client sends breaks when the accepted set narrows, one
//! it reads when the set it may receive widens.
//!
//! ```
//! use openapi_change_classifier::{Level, diff, model_of};
//!
//! let old = r#"
//! openapi: 3.0.3
//! info: {title: t, version: "1"}
//! paths:
//!   /things:
//!     post:
//!       operationId: addThing
//!       requestBody:
//!         required: true
//!         content:
//!           application/json:
//!             schema: {type: object, properties: {colour: {type: string, enum: [red, blue]}}}
//!       responses: {"204": {description: done}}
//! "#;
//! let new = old.replace("[red, blue]", "[red]");
//! let changes = diff(&model_of("old", old)?, &model_of("new", &new)?);
//! assert_eq!(changes[0].id, "request-property-enum-value-removed");
//! assert_eq!(changes[0].level, Level::Error);
//! assert_eq!(changes[0].at(), "addThing request/colour");
//! # Ok::<(), openapi_change_classifier::Error>(())
//! ```
#![warn(missing_docs)]

mod branches;
mod diff;
mod differences;
mod effective;
pub mod format;
mod lines;
mod model;
mod rules;
mod semver;
mod source;

use std::path::Path;

pub use diff::{Change, diff};
pub use differences::{Difference, compare};
pub use lines::LineIndex;
pub use model::{Additional, LIMITS, Model, Node, Operation, Side};
pub use rules::{
    Level, REQUEST_SUBJECTS, RESPONSE_SUBJECTS, RULES, SCHEMA_RULES, SchemaRule, all_rules,
    level_of,
};
pub use semver::{
    Rust, any_at, any_breaking, count, rust_impact, rust_semver, semver_hint, verdict,
};
pub use source::{EXTERNAL, Source, bundle};

/// Why a document could not be read: the whole message, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Parses a document's text (YAML or JSON) into JSON; `name` is for the error.
///
/// ```
/// let doc = openapi_change_classifier::parse("x.yaml", "openapi: 3.0.3").unwrap();
/// assert_eq!(doc["openapi"], "3.0.3");
/// assert!(openapi_change_classifier::parse("x.yaml", "a: [").unwrap_err().to_string().starts_with("x.yaml: "));
/// ```
pub fn parse(name: &str, text: &str) -> Result<serde_json::Value, Error> {
    serde_yaml_ng::from_str(text).map_err(|e| Error(format!("{name}: not valid YAML: {e}")))
}

/// Parses a document's text into the model (external `$ref`s stay
/// unresolved: there is no file to resolve them from; see [`load`]).
pub fn model_of(name: &str, text: &str) -> Result<Model, Error> {
    Ok(Model::from_spec(&parse(name, text)?))
}

/// Reads one side as the command line gives it ([`Source::parse`]: a path,
/// `git:<rev>` for `default_path` at that revision, or `git:<rev>:<path>`)
/// and its external `$ref`s into the model; git runs in `root`.
pub fn load(root: &Path, side: &str, default_path: &str) -> Result<Model, Error> {
    Ok(Model::from_spec(
        &Source::parse(side, default_path).load(root)?,
    ))
}

/// Escapes a key for use in a JSON pointer (RFC 6901).
///
/// ```
/// assert_eq!(openapi_change_classifier::escape("/a~b"), "~1a~0b");
/// ```
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The key a JSON pointer token stands for (RFC 6901).
///
/// ```
/// assert_eq!(openapi_change_classifier::unescape("~1a~0b"), "/a~b");
/// ```
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}
