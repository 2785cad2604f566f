//! The documented limits, checked before anything is sent. Each check names
//! the field and the limit in its error.

use dotdigital_contacts_api::types;

use crate::Error;

/// Identifier names (path `identifier`, custom identifier names), by the
/// spec's own rule for the path parameter (its generated type's check).
pub(crate) fn identifier_name(field: &str, name: &str) -> Result<(), Error> {
    name.parse::<types::ImportContactIdentifier>()
        .map(drop)
        .map_err(|e| Error::validation(field, format!("{}: {e}", shown(name))))
}

/// Identifier values, by the spec's rule for the path parameter `value`.
pub(crate) fn identifier_value(field: &str, value: &str) -> Result<(), Error> {
    value
        .parse::<types::ImportContactValue>()
        .map(drop)
        .map_err(|e| Error::validation(field, format!("{}: {e}", shown(value))))
}

/// An email address as the spec's `IdentifiersUpdate.email` defines it (its
/// pattern and length: the sandbox checks the same schema).
pub(crate) fn email(field: &str, value: &str) -> Result<types::IdentifiersUpdateEmail, Error> {
    value.parse().map_err(|e| {
        Error::validation(
            field,
            format!("{} is not an email address: {e}", shown(value)),
        )
    })
}

/// E.164 as the spec's `IdentifiersUpdate.mobileNumber` defines it. Spaces,
/// dashes and brackets are rejected, not stripped: the client never guesses
/// which digits were meant (`+44 7123 123123` must be sent as `447123123123`).
pub(crate) fn mobile_number(
    field: &str,
    value: &str,
) -> Result<types::IdentifiersUpdateMobileNumber, Error> {
    value.parse().map_err(|e| {
        let suggestion: String = value.chars().filter(char::is_ascii_digit).collect();
        Error::validation(
            field,
            format!(
                "{} is not an E.164 mobile number: {e} (digits only, optionally after '+'; e.g. {suggestion:?})",
                shown(value)
            ),
        )
    })
}

/// A value quoted for an error: escaped, and cut when long (a limit's
/// error must not repeat a megabyte of input).
pub(crate) fn shown(value: &str) -> String {
    const SHOWN: usize = 80;
    match value.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!(
            "{:?}… ({} characters)",
            &value[..cut],
            value.chars().count()
        ),
        None => format!("{value:?}"),
    }
}

/// Contact ids: digits only.
pub(crate) fn contact_id(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::validation(
            field,
            format!("{value:?} is not a contact id (digits only)"),
        ));
    }
    Ok(())
}

/// Finishes a value through its generated builder. The builder names a bad
/// or missing property as the wire does (`userAgent: shorter than 1
/// characters`: see `dotdigital-codegen`); the error puts it under `at`.
pub(crate) fn built<T, B>(at: &str, builder: B) -> Result<T, Error>
where
    T: TryFrom<B, Error = dotdigital_contacts_api::types::error::ConversionError>,
{
    T::try_from(builder).map_err(|e| Error::validation(at, e.to_string()))
}

/// A request's arrays against the spec's `minItems` and `maxItems` (checked
/// by the generated code: the numbers are the spec's).
pub(crate) fn item_counts(body: &types::ImportContactRequest) -> Result<(), Error> {
    body.check_item_counts()
        .map_err(|e| Error::validation(e.field.clone(), e.reason()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in [
            "ann@example.com",
            "a.b+tag@sub.example.co.uk",
            "zoë@exämple.com",
        ] {
            assert!(email("e", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann @example.com",
            "ann@example..com",
            "a@b@example.com",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mobile_numbers_follow_e164_and_are_never_rewritten() {
        for good in ["447123123123", "+447123123123", "1234567"] {
            assert!(mobile_number("m", good).is_ok(), "{good}");
        }
        for bad in [
            "+44 7123 123123",
            "07123123123",
            "123456",
            "1234567890123456",
            "44-7123",
            "",
        ] {
            assert!(mobile_number("m", bad).is_err(), "{bad}");
        }
        let err = mobile_number("identifiers.mobileNumber", "+44 7123 123123")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("identifiers.mobileNumber") && err.contains("\"447123123123\""),
            "{err}"
        );
    }

    #[test]
    fn identifier_names() {
        assert!(identifier_name("identifier", "crm_id-2").is_ok());
        assert!(identifier_name("identifier", &"a".repeat(50)).is_ok());
        assert!(
            identifier_name("identifier", &"a".repeat(51))
                .unwrap_err()
                .to_string()
                .contains("longer than 50 characters")
        );
        assert!(identifier_name("identifier", "").is_err());
        assert!(identifier_name("identifier", "crm id").is_err());
    }
}
