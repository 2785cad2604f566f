//! Contact identifiers: which names exist and which values each accepts.
//!
//! Rules (where Dotdigital is silent, these are the sandbox's choices):
//! - `email`: one `@`, a non-empty local part, a dotted domain, no whitespace,
//!   at most 254 characters; matched case-insensitively, stored as sent.
//! - `mobileNumber`: E.164, i.e. an optional leading `+` then 7 to 15 digits
//!   and nothing else; stored and matched without the `+`.
//! - `contactId`: decimal digits (a positive integer), path only.
//! - a custom identifier: any non-empty string of at most 256 characters,
//!   matched exactly; only names configured for the account exist.

use crate::config::Config;
use crate::error::ApiError;

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

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    value.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

fn is_mobile_number(value: &str) -> bool {
    let digits = value.strip_prefix('+').unwrap_or(value);
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
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
        assert!(Identifier::ContactId.normalise("42", item).is_ok());
        assert!(Identifier::ContactId.normalise("abc", item).is_err());
        assert!(Identifier::ContactId.normalise("0", item).is_err());
    }
}
