//! The documented limits, checked before anything is sent. Each check names
//! the field and the limit in its error.

use dotdigital_contacts_api::types;

use crate::Error;

/// Identifier names (path `identifier`, custom identifier names): 1–50
/// characters of `A-Z a-z 0-9 - _`.
pub(crate) fn identifier_name(field: &str, name: &str) -> Result<(), Error> {
    let length = name.chars().count();
    if !(1..=50).contains(&length) {
        return Err(Error::validation(
            field,
            format!("must be 1 to 50 characters, got {length}"),
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(Error::validation(
            field,
            format!("may hold only letters, digits, '-' and '_', got {bad:?}"),
        ));
    }
    Ok(())
}

/// Identifier values: 1–256 characters.
pub(crate) fn identifier_value(field: &str, value: &str) -> Result<(), Error> {
    let length = value.chars().count();
    if !(1..=256).contains(&length) {
        return Err(Error::validation(
            field,
            format!("must be 1 to 256 characters, got {length}"),
        ));
    }
    Ok(())
}

/// An email address as the spec's `IdentifiersUpdate.email` defines it (its
/// pattern and length: the sandbox checks the same schema).
pub(crate) fn email(field: &str, value: &str) -> Result<types::IdentifiersUpdateEmail, Error> {
    value.parse().map_err(|e| {
        Error::validation(
            field,
            format!(
                "{value:?} is not an email address ({e}: 1 to 64 characters, one '@', a dotted domain, no spaces, at most 254 characters)"
            ),
        )
    })
}

/// E.164 as the spec's `IdentifiersUpdate.mobileNumber` defines it: an
/// optional `+`, then 7 to 15 digits, the first not 0. Spaces, dashes and
/// brackets are rejected, not stripped: the client never guesses which
/// digits were meant (`+44 7123 123123` must be sent as `447123123123`).
pub(crate) fn mobile_number(
    field: &str,
    value: &str,
) -> Result<types::IdentifiersUpdateMobileNumber, Error> {
    value.parse().map_err(|_| {
        let suggestion: String = value.chars().filter(char::is_ascii_digit).collect();
        Error::validation(
            field,
            format!(
                "{value:?} is not an E.164 mobile number (7 to 15 digits, the first not 0, optionally after '+', no spaces; e.g. {suggestion:?})"
            ),
        )
    })
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

/// Finishes a value through its generated builder. The builder reports a bad
/// or missing property by its Rust name; the error names it as the wire does,
/// under `at` (e.g. `consentRecords[0].userAgent`).
pub(crate) fn built<T, B>(at: &str, builder: B) -> Result<T, Error>
where
    T: TryFrom<B, Error = dotdigital_contacts_api::types::error::ConversionError>,
{
    T::try_from(builder).map_err(|e| {
        let message = e.to_string();
        let (property, reason) =
            if let Some(rest) = message.strip_prefix("error converting supplied value for ") {
                rest.split_once(": ").unwrap_or((rest, "invalid value"))
            } else if let Some(property) = message.strip_prefix("no value supplied for ") {
                (property, "is required")
            } else {
                return Error::validation(at, message);
            };
        let field = match at {
            "" => wire_name(property),
            _ => format!("{at}.{}", wire_name(property)),
        };
        Error::validation(field, reason)
    })
}

/// `user_agent` -> `userAgent`: how typify names a camelCase property in Rust, undone.
fn wire_name(rust_name: &str) -> String {
    let mut out = String::with_capacity(rust_name.len());
    let mut upper = false;
    for c in rust_name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
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
                .contains("1 to 50")
        );
        assert!(identifier_name("identifier", "").is_err());
        assert!(identifier_name("identifier", "crm id").is_err());
    }
}
