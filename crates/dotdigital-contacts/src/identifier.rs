//! Which contact a v3 import addresses: the `{identifier}/{value}` of the path.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::{Error, validation};
use dotdigital_contacts_api::types;

/// A contact's id: what v3 answers carry (`contactId`), what
/// [`Identifier::contact_id`] and [`ContactsClient::update_contact`](crate::ContactsClient::update_contact)
/// take, and what a v2 answer's `i32` id converts into with `.into()`.
pub type ContactId = i64;

/// The identifier a v3 import looks the contact up by.
///
/// ```
/// use dotdigital_contacts::Identifier;
/// assert_eq!(Identifier::email("ann@example.com").name(), "email");
/// assert_eq!(Identifier::mobile_number("447123123123").value(), "447123123123");
/// assert_eq!(Identifier::contact_id(42).value(), "42");
/// assert_eq!(Identifier::custom("crmId", "A-1").name(), "crmId");
/// assert_eq!(Identifier::custom("crmId", "A-1").to_string(), "crmId=A-1");
/// ```
///
/// A custom identifier of the account, used to import (the contact created
/// holds it, so the same import again finds it):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let sandbox = dotdigital_sandbox::Sandbox::builder().custom_identifier("crmId").start().await?;
/// # let client = dotdigital_contacts::ContactsClient::builder()
/// #     .base_url(sandbox.base_url())
/// #     .credentials(sandbox.api_user(), sandbox.api_password())
/// #     .build()?;
/// use dotdigital_contacts::{Identifier, ImportOutcome};
/// let first = client.import_contact(Identifier::custom("crmId", "A-1")).email("ann@example.com").send().await?;
/// let again = client.import_contact(Identifier::custom("crmId", "A-1")).set("FIRSTNAME", "Ann").send().await?;
/// assert_eq!((first.outcome, again.outcome), (ImportOutcome::Created, ImportOutcome::Updated));
/// // A contact id from an answer looks the same contact up.
/// let by_id = client.import_contact(Identifier::contact_id(again.contact.contact_id)).send().await?;
/// assert_eq!(by_id.contact.contact_id, first.contact.contact_id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "identifier", content = "value", rename_all = "camelCase")]
pub enum Identifier {
    /// By email address.
    Email(String),
    /// By mobile number, E.164 (digits, optionally after `+`).
    MobileNumber(String),
    /// By Dotdigital's contact id.
    ContactId(ContactId),
    /// By a custom identifier defined in the account.
    Custom {
        /// The custom identifier's name (1–50 of `A-Z a-z 0-9 - _`).
        name: String,
        /// Its value.
        value: String,
    },
}

impl Identifier {
    /// By email address.
    pub fn email(email: impl Into<String>) -> Self {
        Identifier::Email(email.into())
    }

    /// By mobile number (E.164: `447123123123` or `+447123123123`).
    pub fn mobile_number(number: impl Into<String>) -> Self {
        Identifier::MobileNumber(number.into())
    }

    /// By contact id: a v3 answer's `contact_id` as it is, or a v2 answer's
    /// `id` (an `i32`). A negative id is refused at send.
    pub fn contact_id(id: impl Into<ContactId>) -> Self {
        Identifier::ContactId(id.into())
    }

    /// The identifier a path names: `email`, `mobileNumber`, `contactId` (whose
    /// value must be a number), or else a custom identifier of the account.
    /// For a command line or a file column that says which one by name.
    ///
    /// ```
    /// use dotdigital_contacts::Identifier;
    /// assert_eq!(Identifier::from_name("email", "ann@example.com")?, Identifier::email("ann@example.com"));
    /// assert_eq!(Identifier::from_name("contactId", "42")?, Identifier::contact_id(42));
    /// assert_eq!(Identifier::from_name("crmId", "A-1")?, Identifier::custom("crmId", "A-1"));
    /// assert!(Identifier::from_name("contactId", "x42").unwrap_err().to_string().contains("not a number"));
    /// # Ok::<(), dotdigital_contacts::Error>(())
    /// ```
    pub fn from_name(name: &str, value: impl Into<String>) -> Result<Self, Error> {
        let value = value.into();
        Ok(match name {
            "email" => Identifier::Email(value),
            "mobileNumber" => Identifier::MobileNumber(value),
            "contactId" => Identifier::ContactId(value.parse().map_err(|_| {
                Error::validation(
                    "contactId",
                    format!("{} is not a number", validation::shown(&value)),
                )
            })?),
            custom => Identifier::custom(custom, value),
        })
    }

    /// By a custom identifier of the account, e.g. `custom("crmId", "A-1")`.
    pub fn custom(name: impl Into<String>, value: impl Into<String>) -> Self {
        Identifier::Custom {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The path's `{identifier}`.
    pub fn name(&self) -> &str {
        match self {
            Identifier::Email(_) => "email",
            Identifier::MobileNumber(_) => "mobileNumber",
            Identifier::ContactId(_) => "contactId",
            Identifier::Custom { name, .. } => name,
        }
    }

    /// The path's `{value}`.
    pub fn value(&self) -> String {
        self.value_text().into_owned()
    }

    fn value_text(&self) -> Cow<'_, str> {
        match self {
            Identifier::Email(v)
            | Identifier::MobileNumber(v)
            | Identifier::Custom { value: v, .. } => Cow::Borrowed(v),
            Identifier::ContactId(id) => Cow::Owned(id.to_string()),
        }
    }

    /// Checks the documented limits and the value's type for the identifier
    /// (an email or mobile number by the spec's own schema for it), without
    /// sending anything.
    ///
    /// ```
    /// use dotdigital_contacts::Identifier;
    /// assert!(Identifier::mobile_number("447123123123").validate().is_ok());
    /// let err = Identifier::mobile_number("07123 123123").validate().unwrap_err();
    /// assert!(err.to_string().contains("E.164"));
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        self.checked().map(drop)
    }

    /// [`validate`](Self::validate), keeping an email address or mobile
    /// number in the spec's type, ready for the body.
    pub(crate) fn checked(&self) -> Result<Checked, Error> {
        let value = self.value_text();
        validation::identifier_name("identifier", self.name())?;
        validation::identifier_value("value", &value)?;
        match self {
            Identifier::Email(email) => validation::email("value", email).map(Checked::Email),
            Identifier::MobileNumber(number) => {
                validation::mobile_number("value", number).map(Checked::MobileNumber)
            }
            Identifier::ContactId(_) => {
                validation::contact_id("value", &value).map(|()| Checked::Other)
            }
            Identifier::Custom { name, .. }
                if name == "contactId" || name == "email" || name == "mobileNumber" =>
            {
                Err(Error::validation(
                    "identifier",
                    format!(
                        "{name:?} is a built-in identifier, not a custom one; use its own constructor"
                    ),
                ))
            }
            Identifier::Custom { .. } => Ok(Checked::Other),
        }
    }

    /// The path's `{identifier}` and `{value}` in the generated client's
    /// types, made once per import and cloned per attempt. The built-in names
    /// are parsed once per process: the type's pattern check is a regex run.
    pub(crate) fn path(
        &self,
    ) -> Result<(types::ImportContactIdentifier, types::ImportContactValue), Error> {
        static BUILT_IN: LazyLock<Vec<types::ImportContactIdentifier>> = LazyLock::new(|| {
            ["email", "mobileNumber", "contactId"]
                .into_iter()
                .filter_map(|name| name.parse().ok())
                .collect()
        });
        let name = match BUILT_IN.iter().find(|name| name.as_str() == self.name()) {
            Some(name) => name.clone(),
            None => self
                .name()
                .parse::<types::ImportContactIdentifier>()
                .map_err(|e| Error::validation("identifier", e.to_string()))?,
        };
        let value = types::ImportContactValue::try_from(self.value())
            .map_err(|e| Error::validation("value", e.to_string()))?;
        Ok((name, value))
    }
}

/// A checked identifier's value, parsed where the body has a type for it.
pub(crate) enum Checked {
    Email(types::IdentifiersUpdateEmail),
    MobileNumber(types::IdentifiersUpdateMobileNumber),
    Other,
}

impl std::fmt::Display for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.name(), self.value())
    }
}
