//! Checking a value against one of the spec's schemas: the schema (taken
//! from the spec by the [`model`](crate::model)) is converted to JSON Schema
//! by `dotdigital-spec` and compiled with `jsonschema`. Failures become
//! [`Detail`]s naming the field (`identifiers.email`, `lists[3]`) and the
//! broken limit.

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::error::Detail;

/// Compiles `schema`, a schema object of `spec`; `what` names it in the error.
pub(crate) fn compile(spec: &Value, schema: &Value, what: &str) -> Result<Validator, String> {
    dotdigital_spec::validator(spec, schema)
        .map_err(|e| format!("the schema of {what} does not compile: {e}"))
}

/// Problems of `value`; empty when it is valid.
pub(crate) fn details(validator: &Validator, body: &Value) -> Vec<Detail> {
    let mut found: Vec<Detail> = validator.iter_errors(body).flat_map(describe).collect();
    found.dedup();
    found
}

/// One validation error as details: the field it concerns and the broken rule.
fn describe(error: ValidationError<'_>) -> Vec<Detail> {
    let at = item(&error.instance_path().to_string());
    let child = |name: &str| {
        if at == "body" {
            name.to_owned()
        } else {
            format!("{at}.{name}")
        }
    };
    let description = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|name| Detail::new(child(name), "is not a known property"))
                .collect();
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            return vec![Detail::new(child(name), "is required")];
        }
        ValidationErrorKind::Type { kind } => format!("must be of type {}", type_names(kind)),
        ValidationErrorKind::Enum { options } => format!("must be one of {options}"),
        ValidationErrorKind::MaxItems { limit } => format!("must have at most {limit} items"),
        ValidationErrorKind::MinItems { limit } => format!("must have at least {limit} items"),
        ValidationErrorKind::MaxLength { limit } => {
            format!("must be at most {limit} characters long")
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("must be at least {limit} characters long")
        }
        ValidationErrorKind::Pattern { pattern } => format!("must match the pattern {pattern}"),
        ValidationErrorKind::Format { format } => format!("must be a valid {format}"),
        ValidationErrorKind::Minimum { limit } => format!("must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("must be at most {limit}"),
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            "does not match any allowed form".to_owned()
        }
        _ => shorten(&error.to_string()),
    };
    vec![Detail::new(at, description)]
}

fn type_names(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(types) => types
            .into_iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// `/identifiers/email` -> `identifiers.email`, `/lists/3` -> `lists[3]`.
pub(crate) fn item(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    if out.is_empty() {
        "body".to_owned()
    } else {
        out
    }
}

/// Keeps error texts short: some quote the whole offending value.
fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use crate::model::Model;
    use serde_json::json;

    #[test]
    fn details_name_the_field_and_the_limit() {
        let model = Model::new(dotdigital_spec::SPEC_YAML).unwrap();
        let too_many: Vec<i32> = (0..101).collect();
        let details = model.check_import(&json!({
            "lists": too_many,
            "channelProperties": {"email": {"optInType": "VerifiedDouble", "colour": 1}},
            "consentRecords": [{"text": "yes"}],
        }));
        let items: Vec<&str> = details.iter().map(|d| d.item.as_str()).collect();
        assert!(items.contains(&"lists"), "{details:?}");
        assert!(
            details
                .iter()
                .any(|d| d.item == "lists" && d.description.contains("100"))
        );
        assert!(
            items.contains(&"channelProperties.email.optInType"),
            "{details:?}"
        );
        assert!(
            items.contains(&"channelProperties.email.colour"),
            "{details:?}"
        );
        assert!(items.contains(&"consentRecords[0].url"), "{details:?}");
        assert!(
            model
                .check_import(&json!({"identifiers": {"email": "a@b.co"}}))
                .is_empty()
        );
    }
}
