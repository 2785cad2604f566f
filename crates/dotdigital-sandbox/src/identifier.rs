//! Contact identifiers: which names exist and which values each accepts.
//!
//! The built-in identifiers are the properties of the import request's
//! `identifiers` in the spec, plus `contactId` (path only); their values
//! follow the spec's schema for them, the very rule the client checks,
//! wherever such a value appears (path, body, v2 `email`). Two have rules of
//! their own, as Dotdigital has: emails match case-insensitively (stored as
//! sent), mobile numbers are stored and matched without the `+`. Where
//! Dotdigital is silent, the sandbox's choices:
//! - `contactId`: decimal digits (a positive integer);
//! - a custom identifier exists only when configured for the account, and
//!   takes any value the path's `value` parameter takes; like any built-in
//!   identifier without a rule of its own, it matches exactly.

use serde_json::Value;

use crate::config::Config;
use crate::error::ApiError;
use crate::model::{CONTACT_ID, Model};

/// The identifier whose contacts have an email channel.
pub(crate) const EMAIL: &str = "email";
/// The identifier whose contacts have SMS and WhatsApp channels.
pub(crate) const MOBILE_NUMBER: &str = "mobileNumber";

/// An identifier name, as used in the path or in `identifiers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identifier {
    ContactId,
    Email,
    MobileNumber,
    /// Another built-in identifier of the spec, or a custom one of the account.
    Other(String),
}

impl Identifier {
    /// The identifier called `name`, if the spec or the account has one.
    pub fn named(name: &str, config: &Config, model: &Model) -> Option<Self> {
        match name {
            CONTACT_ID => Some(Self::ContactId),
            EMAIL => Some(Self::Email),
            MOBILE_NUMBER => Some(Self::MobileNumber),
            other => (model.identifier_rule(other).is_some()
                || config.custom_identifiers.iter().any(|known| known == other))
            .then(|| Self::Other(other.to_owned())),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::ContactId => CONTACT_ID,
            Self::Email => EMAIL,
            Self::MobileNumber => MOBILE_NUMBER,
            Self::Other(name) => name,
        }
    }

    /// Checks `value` and returns it in stored form (mobile numbers without `+`).
    /// `item` names the value in the error.
    pub fn normalise(&self, value: &str, item: &str, model: &Model) -> Result<String, ApiError> {
        let valid = match self {
            Self::ContactId => {
                !value.is_empty()
                    && value.bytes().all(|b| b.is_ascii_digit())
                    && value.parse::<u64>().is_ok_and(|id| id > 0)
            }
            other => match model.identifier_rule(other.name()) {
                Some(rule) => rule.is_valid(&Value::from(value)),
                // A custom identifier: any value it could be looked up by.
                None => model.check_parameter("value", value).is_ok(),
            },
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
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use super::*;

    #[test]
    fn values_are_checked_by_identifier_type() {
        let model = Model::new(dotdigital_spec::SPEC_YAML).unwrap();
        let check =
            |identifier: Identifier, value: &str| identifier.normalise(value, "value", &model);
        assert!(check(Identifier::Email, "a+b@example.com").is_ok());
        assert!(check(Identifier::Email, "not-an-email").is_err());
        assert!(check(Identifier::Email, "a@b").is_err());
        assert_eq!(
            check(Identifier::MobileNumber, "+447123123123"),
            Ok("447123123123".to_owned())
        );
        assert!(check(Identifier::MobileNumber, "12345").is_err());
        assert!(check(Identifier::MobileNumber, "44 7123").is_err());
        assert!(check(Identifier::MobileNumber, "07123123123").is_err());
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check(Identifier::Email, &long).is_err());
        assert!(check(Identifier::ContactId, "42").is_ok());
        assert!(check(Identifier::ContactId, "abc").is_err());
        assert!(check(Identifier::ContactId, "0").is_err());
        let custom = || Identifier::Other("crmId".to_owned());
        assert!(check(custom(), "CRM-1").is_ok());
        assert!(check(custom(), "").is_err());
        assert!(check(custom(), &"x".repeat(257)).is_err());
    }
}
