//! Contact identifiers: which names exist and which values each accepts.
//!
//! Rules (where Dotdigital is silent, these are the sandbox's choices):
//! - `email` and `mobileNumber`: the spec's schemas for
//!   `IdentifiersUpdate.email` and `.mobileNumber` (pattern and length), the
//!   very rule the client checks, wherever such a value appears (path, body,
//!   v2 `email`). Emails match case-insensitively and are stored as sent;
//!   mobile numbers are stored and matched without the `+`.
//! - `contactId`: decimal digits (a positive integer), path only.
//! - a custom identifier: any non-empty string of at most 256 characters,
//!   matched exactly; only names configured for the account exist.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

use crate::config::Config;
use crate::error::ApiError;

/// The spec's schemas for an email and a mobile number.
struct Rules {
    email: Validator,
    mobile_number: Validator,
}

static RULES: LazyLock<Result<Rules, String>> = LazyLock::new(|| {
    let spec = dotdigital_spec::to_json(dotdigital_spec::SPEC_YAML).map_err(|e| e.to_string())?;
    let compile = |property: &str| {
        let pointer = format!("/components/schemas/IdentifiersUpdate/properties/{property}");
        let schema = spec
            .pointer(&pointer)
            .ok_or_else(|| format!("the spec has no {pointer}"))?;
        let document = dotdigital_spec::schema_document(&spec, schema);
        jsonschema::options()
            .build(&document.0)
            .map_err(|e| format!("{pointer} does not compile: {e}"))
    };
    Ok(Rules {
        email: compile("email")?,
        mobile_number: compile("mobileNumber")?,
    })
});

/// Compiles the identifier rules from the spec; the sandbox calls it at start,
/// so a spec without them fails there rather than on a request.
pub(crate) fn check_rules() -> Result<(), String> {
    RULES.as_ref().map(drop).map_err(Clone::clone)
}

fn is_email(value: &str) -> bool {
    RULES
        .as_ref()
        .is_ok_and(|rules| rules.email.is_valid(&Value::from(value)))
}

fn is_mobile_number(value: &str) -> bool {
    RULES
        .as_ref()
        .is_ok_and(|rules| rules.mobile_number.is_valid(&Value::from(value)))
}

/// An identifier name, as used in the path or in `identifiers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identifier {
    ContactId,
    Email,
    MobileNumber,
    Custom(String),
}

impl Identifier {
    /// The identifier called `name` in this account, if there is one.
    pub fn named(name: &str, config: &Config) -> Option<Self> {
        match name {
            "contactId" => Some(Self::ContactId),
            "email" => Some(Self::Email),
            "mobileNumber" => Some(Self::MobileNumber),
            custom => config
                .custom_identifiers
                .iter()
                .any(|known| known == custom)
                .then(|| Self::Custom(custom.to_owned())),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::ContactId => "contactId",
            Self::Email => "email",
            Self::MobileNumber => "mobileNumber",
            Self::Custom(name) => name,
        }
    }

    /// Checks `value` and returns it in stored form (mobile numbers without `+`).
    /// `item` names the value in the error.
    pub fn normalise(&self, value: &str, item: &str) -> Result<String, ApiError> {
        let valid = match self {
            Self::ContactId => {
                !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.parse::<u64>().is_ok_and(|id| id > 0)
            }
            Self::Email => is_email(value),
            Self::MobileNumber => is_mobile_number(value),
            Self::Custom(_) => !value.is_empty() && value.chars().count() <= 256,
        };
        if !valid {
            return Err(ApiError::invalid_id(item, self.name(), value));
        }
        Ok(match self {
            Self::MobileNumber => value.trim_start_matches('+').to_owned(),
            _ => value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_by_identifier_type() {
        let item = "value";
        assert!(Identifier::Email.normalise("a+b@example.com", item).is_ok());
        assert!(Identifier::Email.normalise("not-an-email", item).is_err());
        assert!(Identifier::Email.normalise("a@b", item).is_err());
        assert_eq!(
            Identifier::MobileNumber.normalise("+447123123123", item),
            Ok("447123123123".to_owned())
        );
        assert!(Identifier::MobileNumber.normalise("12345", item).is_err());
        assert!(Identifier::MobileNumber.normalise("44 7123", item).is_err());
        assert!(
            Identifier::MobileNumber
                .normalise("07123123123", item)
                .is_err()
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Identifier::Email.normalise(&long, item).is_err());
        assert!(Identifier::ContactId.normalise("42", item).is_ok());
        assert!(Identifier::ContactId.normalise("abc", item).is_err());
        assert!(Identifier::ContactId.normalise("0", item).is_err());
    }
}
